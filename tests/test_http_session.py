"""HTTP that keeps credentials home: two servers on 127.0.0.1, two ports, are two hosts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from publish_fakes import Answer, Elsewhere, FakeServer, Recorded, dripping_server

from hardening.publish.http_session import (
    Deadline,
    DeadlineExceeded,
    HomeSession,
    OffHome,
    RedirectRefused,
    origin,
)

CREDENTIALS = {
    "PRIVATE-TOKEN": "glpat-Xq3vT9mK2pL7wR4nB8cZ",
    "JOB-TOKEN": "64_Zk3vQ9mP2xL7wT4nB8cY",
    "Authorization": "Bearer ghs_k3Jd9QmZp2Lx7Vt4Rb8Nc1Hw6Ys0Ea5Fg3Ui",
    "Cookie": "_gitlab_session=2f6c1c4e9b8a",
    "X-Api-Key": "k-19dd77aa",
}


class Home(FakeServer):
    """The configured host: answers 200 with what it saw, unless a canned answer says else."""

    def dispatch(self, request: Recorded) -> Answer:
        return 200, {}, {"at": "home", "path": request.path}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def home() -> Iterator[Home]:
    server = Home()
    with server.running():
        yield server


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    server = Elsewhere()
    with server.running():
        yield server


def sent_credentials(server: FakeServer) -> list[str]:
    return [
        name
        for request in server.requests
        for name in CREDENTIALS
        if name.lower() in request.headers
    ]


# --- downloads: a GET may leave home, without credentials ----------------------------------


def get(url: str, headers: dict[str, str]) -> requests.Response:
    """A download as history import-gitlab makes it."""
    with HomeSession(off_home=OffHome.without_credentials) as session:
        response = session.get(url, headers=headers, timeout=10)
        _ = response.content
        return response


def test_a_download_redirected_to_another_host_arrives_without_any_credential(
    home: Home, elsewhere: Elsewhere
) -> None:
    home.redirect(302, f"{elsewhere.base_url}/bucket/artifacts.zip?X-Amz-Signature=abc")

    response = get(f"{home.base_url}/api/v4/jobs/9/artifacts", headers=CREDENTIALS)

    assert response.status_code == 200
    assert [r.path for r in elsewhere.requests] == ["/bucket/artifacts.zip"]
    assert sent_credentials(elsewhere) == []
    assert sorted(sent_credentials(home)) == sorted(CREDENTIALS)


def test_a_download_redirected_within_its_origin_keeps_its_token(home: Home) -> None:
    home.redirect(307, f"{home.base_url}/api/v4/jobs/9/artifacts/moved")

    response = get(f"{home.base_url}/api/v4/jobs/9/artifacts", headers=CREDENTIALS)

    assert response.json() == {"at": "home", "path": "/api/v4/jobs/9/artifacts/moved"}
    assert home.requests[-1].headers["private-token"] == CREDENTIALS["PRIVATE-TOKEN"]


def test_credentials_stripped_once_are_not_sent_back_home(home: Home, elsewhere: Elsewhere) -> None:
    home.redirect(302, f"{elsewhere.base_url}/hop")
    elsewhere.redirect(302, f"{home.base_url}/back")

    get(f"{home.base_url}/start", headers=CREDENTIALS)

    assert [r.path for r in home.requests] == ["/start", "/back"]
    assert "private-token" not in home.requests[1].headers


# --- writes are never redirected -----------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_write_fails_and_nothing_reaches_the_other_host(
    home: Home, elsewhere: Elsewhere, status: int
) -> None:
    home.redirect(status, f"{elsewhere.base_url}/api/v4/projects/42/merge_requests/7/notes")

    with HomeSession() as session, pytest.raises(RedirectRefused) as refused:
        session.post(
            f"{home.base_url}/api/v4/projects/42/merge_requests/7/notes",
            json={"body": "the summary"},
            headers=CREDENTIALS,
        )

    assert elsewhere.requests == []
    assert f"HTTP {status}" in refused.value.reason
    assert refused.value.method == "POST"
    assert "/notes" not in refused.value.reason  # the target's origin only, never its path


def test_a_write_redirected_within_its_origin_fails_too(home: Home) -> None:
    home.redirect(307, f"{home.base_url}/elsewhere-on-home")

    with HomeSession() as session, pytest.raises(RedirectRefused):
        session.put(f"{home.base_url}/note", json={"body": "x"}, headers=CREDENTIALS)

    assert [r.path for r in home.requests] == ["/note"]


def test_an_api_session_refuses_to_follow_a_read_off_its_origin(
    home: Home, elsewhere: Elsewhere
) -> None:
    home.redirect(302, f"{elsewhere.base_url}/api/v4/user")

    with HomeSession(off_home=OffHome.refuse) as session, pytest.raises(RedirectRefused) as err:
        session.get(f"{home.base_url}/api/v4/user", headers=CREDENTIALS)

    assert elsewhere.requests == []
    assert origin(elsewhere.base_url) in err.value.reason


def test_another_scheme_or_port_is_another_origin() -> None:
    assert origin("http://gitlab.example.com/api") == "http://gitlab.example.com:80"
    assert origin("https://GitLab.example.com:443/x") == "https://gitlab.example.com:443"
    assert origin("https://gitlab.example.com/x") != origin("http://gitlab.example.com/x")
    assert origin("https://gitlab.example.com/x") != origin("https://gitlab.example.com:8443/x")


# --- one deadline bounds a request, however slowly the server answers -----------------------


@pytest.mark.parametrize("head", [None, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"])
def test_a_server_dripping_one_byte_a_second_is_cut_off_at_the_deadline(
    head: bytes | None,
) -> None:
    with dripping_server(head) as url:
        started = time.monotonic()
        with HomeSession(deadline=Deadline(2.0)) as session, pytest.raises(DeadlineExceeded):
            session.get(url, timeout=10)
        elapsed = time.monotonic() - started

    assert 1.5 < elapsed < 4.0


def test_a_request_after_the_deadline_is_not_sent(home: Home) -> None:
    with HomeSession(deadline=Deadline(0.0)) as session, pytest.raises(requests.Timeout):
        session.get(f"{home.base_url}/x")

    assert home.requests == []

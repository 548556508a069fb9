"""The comment bot under a bad server: redirects, hostile retry hints, slow answers, refused
connections, answers of the wrong shape and failures after the note was stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import run_cli
from publish_fakes import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    Elsewhere,
    FakeClock,
    FakeGitHub,
    FakeGitLab,
    OptionsFactory,
    dripping_server,
    free_port,
    merge_request_env,
    summary,
)

from hardening.model import Report
from hardening.publish.forges import publish
from hardening.publish.interface import Action, CommentOptions, RetryPolicy
from hardening.render.markdown import MARKER
from hardening.report_io import write_report

NOTES = "/api/v4/projects/42/merge_requests/7/notes"
COMMENTS = "/repos/acme/payments-api/issues/12/comments"


def github_env(server: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": server.base_url,
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_REF": "refs/pull/12/merge",
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    server = Elsewhere()
    with server.running():
        yield server


# --- 1. the token stays home -----------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirected_note_post_fails_and_sends_nothing_elsewhere(
    gitlab_server: FakeGitLab,
    elsewhere: Elsewhere,
    clock: FakeClock,
    status: int,
    options: OptionsFactory,
) -> None:
    gitlab_server.redirect(status, f"{elsewhere.base_url}{NOTES}", method="POST")

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "redirect" in outcome.message and "Posted" not in outcome.message
    assert elsewhere.requests == []
    assert gitlab_server.notes == {}
    assert len([r for r in gitlab_server.requests if r.method == "POST"]) == 1  # not retried


def test_a_redirected_note_list_is_not_followed_with_the_token(
    gitlab_server: FakeGitLab, elsewhere: Elsewhere, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.redirect(302, f"{elsewhere.base_url}{NOTES}", method="GET")

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.failed
    assert elsewhere.requests == []
    assert elsewhere.base_url.split("//")[1] in outcome.message
    assert GITLAB_TOKEN not in outcome.message


def test_a_redirected_github_comment_post_fails_and_sends_nothing_elsewhere(
    github_server: FakeGitHub, elsewhere: Elsewhere, clock: FakeClock, options: OptionsFactory
) -> None:
    github_server.redirect(307, f"{elsewhere.base_url}{COMMENTS}", method="POST")

    outcome = publish(summary(), options(), github_env(github_server))

    assert outcome.action is Action.failed
    assert "redirect" in outcome.message
    assert elsewhere.requests == []
    assert github_server.comments == {}


# --- 14. retry hints, slow servers, refused connections ----------------------------------------


@pytest.mark.parametrize("retry_after", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_retry_after_of_zero_or_in_the_past_means_the_exponential_backoff(
    gitlab_server: FakeGitLab, retry_after: str
) -> None:
    clock = FakeClock()
    gitlab_server.fail(429, times=1000, headers={"Retry-After": retry_after})
    policy = RetryPolicy(budget=60.0, sleep=clock.sleep, clock=clock.clock)

    outcome = publish(summary(), CommentOptions(retry=policy), merge_request_env(gitlab_server))

    assert outcome.action is Action.failed
    assert clock.sleeps[:4] == [1.0, 2.0, 4.0, 8.0]
    assert sum(clock.sleeps) <= 60.0
    assert len(gitlab_server.requests) <= 60  # at most one a second on average


def test_a_longer_retry_after_is_still_honoured(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(429, headers={"Retry-After": "3"})

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.created
    assert clock.sleeps == [3.0]


def test_a_server_dripping_one_byte_a_second_ends_at_the_deadline() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    with dripping_server(head) as url:
        env = {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": f"{url}/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "7",
            "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
        }
        started = time.monotonic()
        outcome = publish(summary(), CommentOptions(retry=RetryPolicy(budget=3.0)), env)
        elapsed = time.monotonic() - started

    assert outcome.action is Action.failed
    assert elapsed < 5.0
    assert "deadline" in outcome.message


def test_the_deadline_option_bounds_the_whole_comment_run(tmp_path: Path) -> None:
    write_report(Report(generator_version="test"), tmp_path / "findings.json")
    with dripping_server() as url:
        env = {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": f"{url}/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "7",
            "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
        }
        started = time.monotonic()
        result = run_cli(["comment", str(tmp_path), "--deadline", "2"], env=env)
        elapsed = time.monotonic() - started

    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr and "deadline" in result.stderr
    assert elapsed < 4.5


def test_a_refused_connection_is_retried_three_times_and_the_warning_names_the_host() -> None:
    clock = FakeClock()
    port = free_port()
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": f"http://127.0.0.1:{port}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "7",
        "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
    }
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.clock)

    outcome = publish(summary(), CommentOptions(retry=policy), env)

    assert outcome.action is Action.failed
    assert clock.sleeps == [1.0, 2.0, 4.0]  # three retries, 7 s in all
    assert f"127.0.0.1:{port}" in outcome.message
    assert "connection refused" in outcome.message
    assert "4 attempt(s)" in outcome.message


# --- 15. answers of a shape python-gitlab does not expect ---------------------------------------


SHAPES: dict[str, tuple[str, str, object]] = {
    "note list is an object": ("GET", NOTES, {"notes": []}),
    "note list holds strings": ("GET", NOTES, ["a", "b"]),
    "note without an id": ("GET", NOTES, [{"body": MARKER, "author": {"id": 501}}]),
    "note list is null": ("GET", NOTES, None),
    "current user is a list": ("GET", "/api/v4/user", [{"id": 501}]),
    "current user without an id": ("GET", "/api/v4/user", {"username": "x"}),
    "created note is a list": ("POST", NOTES, [1, 2]),
    "created note is a number": ("POST", NOTES, 7),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_an_answer_of_an_unexpected_shape_is_one_warning(
    gitlab_server: FakeGitLab, clock: FakeClock, shape: str, options: OptionsFactory
) -> None:
    method, path, body = SHAPES[shape]
    gitlab_server.answer(200 if method == "GET" else 201, body, method=method)
    if path == NOTES and method == "GET":
        gitlab_server.fail(200, method="GET", body=gitlab_server._current_user())  # /user first

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "shape" in outcome.message or "not JSON" in outcome.message


def test_an_unexpected_shape_fails_the_job_only_when_strict(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(200, method="GET", body=gitlab_server._current_user())
    gitlab_server.answer(200, {"notes": []}, method="GET")

    outcome = publish(summary(), options(strict=True), merge_request_env(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 1


def test_an_object_for_a_note_list_is_a_warning_from_the_cli_not_a_traceback(
    gitlab_server: FakeGitLab, tmp_path: Path
) -> None:
    write_report(Report(generator_version="test"), tmp_path / "findings.json")
    gitlab_server.fail(200, method="GET", body=gitlab_server._current_user())
    gitlab_server.answer(200, {"message": "maintenance"}, method="GET")

    result = run_cli(["comment", str(tmp_path)], env=merge_request_env(gitlab_server))

    assert result.exit_code == 0
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("body", [{"comments": []}, ["text"], [{"body": "no id"}]])
def test_a_github_comment_list_of_an_unexpected_shape_is_one_warning(
    github_server: FakeGitHub, clock: FakeClock, body: object, options: OptionsFactory
) -> None:
    github_server.answer(200, body, method="GET")

    outcome = publish(summary(), options(), github_env(github_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0


def test_a_github_created_comment_that_is_not_an_object_is_one_warning(
    github_server: FakeGitHub, clock: FakeClock, options: OptionsFactory
) -> None:
    github_server.answer(201, [1, 2], method="POST")

    outcome = publish(summary(), options(), github_env(github_server))

    assert outcome.action is Action.failed
    assert "not an object" in outcome.message


# --- 16. a failure after the note was stored ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_after_the_note_was_stored_leaves_one_note(
    gitlab_server: FakeGitLab, clock: FakeClock, status: int, options: OptionsFactory
) -> None:
    gitlab_server.fail(status, method="POST", after_handling=True)

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.created
    assert len(gitlab_server.notes) == 1
    assert [m for m, _ in gitlab_server.calls()].count("POST") == 1


def test_a_server_error_that_stored_nothing_is_posted_again(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(502, method="POST")

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.created
    assert len(gitlab_server.notes) == 1
    methods = [m for m, _ in gitlab_server.calls()]
    assert methods == ["GET", "GET", "POST", "GET", "POST"]  # looked before posting again


def test_a_github_server_error_after_the_comment_was_stored_leaves_one_comment(
    github_server: FakeGitHub, clock: FakeClock, options: OptionsFactory
) -> None:
    github_server.fail(502, method="POST", after_handling=True)

    outcome = publish(summary(), options(), github_env(github_server))

    assert outcome.action is Action.created
    assert len(github_server.comments) == 1


def test_a_rate_limited_post_stored_nothing_so_it_is_simply_sent_again(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(429, method="POST", headers={"Retry-After": "1"})

    outcome = publish(summary(), options(), merge_request_env(gitlab_server))

    assert outcome.action is Action.created
    assert [m for m, _ in gitlab_server.calls()] == ["GET", "GET", "POST", "POST"]
    assert len(gitlab_server.notes) == 1

"""Fixtures of the comment bot's tests: fake platforms on 127.0.0.1 and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from publish_fakes import FakeClock, FakeGitHub, FakeGitLab, OptionsFactory

from hardening.publish.interface import CommentOptions


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests honours proxy variables from the process environment; the fakes are local.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def gitlab_server() -> Iterator[FakeGitLab]:
    fake = FakeGitLab()
    with fake.running():
        yield fake


@pytest.fixture
def github_server() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with fake.running():
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def options(clock: FakeClock) -> OptionsFactory:
    """``options(**changes)``: comment options whose retries wait on the test's fake clock."""

    def make(**changes: object) -> CommentOptions:
        return replace(CommentOptions(retry=clock.policy()), **changes)  # type: ignore[arg-type]

    return make

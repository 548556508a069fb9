"""What every forge shares: the note and its store, the API error, the retry policy, where to post.

The sticky-note algorithm (``comment``) and each forge (``github``, ``gitlab``) speak these
types, so a forge module needs only this one and ``comment``, never another forge.  Tokens
never appear in any message.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

import requests
from urllib3.exceptions import NewConnectionError

from hardening.errors import PublishError
from hardening.publish.http_session import Deadline, DeadlineExceeded, RedirectRefused, origin
from hardening.redact import redact
from hardening.render.markdown import MARKER

_DETAIL_CHARS = 160

T = TypeVar("T")


class Platform(StrEnum):
    auto = "auto"
    gitlab = "gitlab"
    github = "github"


class Action(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    skipped = "skipped"
    failed = "failed"


@dataclass(frozen=True)
class RetryPolicy:
    """The run's one deadline (``--deadline``) and the exponential backoff within it.

    Every request, every wait (a GitHub rate limit's included) and every retry of one
    ``comment`` run fits in ``budget`` seconds."""

    budget: float = 60.0
    first_delay: float = 1.0
    max_delay: float = 16.0
    # Injected so tests neither wait nor depend on the wall clock.
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class CommentOptions:
    platform: Platform = Platform.auto
    dry_run: bool = False
    strict: bool = False
    ca_file: str | None = None
    author: str | None = None  # GitHub login of our own comments besides github-actions[bot]
    pr: int | None = None  # GitHub pull request number; overrides the event payload
    timeout: float = 10.0  # seconds per HTTP request
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    marker: str = MARKER


@dataclass(frozen=True)
class CommentOutcome:
    action: Action
    where: str  # URL of the note when known, else a description of the merge/pull request
    message: str  # one line for the user; a warning when action is failed
    exit_code: int = 0
    body: str | None = None  # what was posted, or what a dry run would post
    removed: int = 0  # duplicate summary notes deleted


@dataclass(frozen=True)
class Note:
    """A comment as the sticky algorithm sees it, whatever the platform."""

    id: int
    body: str
    created_at: str
    mine: bool  # written by the identity this run posts as
    url: str | None = None


class NoteStore(Protocol):
    def list_notes(self) -> list[Note]: ...
    def create(self, body: str) -> Note: ...
    def update(self, note: Note, body: str) -> Note: ...
    def delete(self, note: Note) -> None: ...


class ApiError(PublishError):
    """A platform request failed; ``status`` is None when no HTTP answer came back."""

    def __init__(
        self,
        status: int | None,
        detail: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
        tls: bool = False,
        ambiguous: bool | None = None,
        max_retries: int | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {detail}" if status is not None else detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        self.tls = tls
        self.retryable = _is_transient(status) if retryable is None else retryable
        #: The request may have taken effect (a 5xx, a timeout or a connection lost after
        #: sending): a POST is not simply sent again.
        self.ambiguous = (status is not None and status >= 500) if ambiguous is None else ambiguous
        #: At most this many retries of this kind of failure (None: until the deadline).
        self.max_retries = max_retries
        self.action = "calling the API"  # set by the retrier: what was being done
        self.attempts = 1
        self.exhausted = False  # retryable, but the retry budget ran out


def _is_transient(status: int | None) -> bool:
    return status is not None and (status == 429 or status >= 500)


#: A server that cannot be connected to is tried this many more times (1 + 2 + 4 s apart).
CONNECT_RETRIES = 3


def network_failure(exc: requests.RequestException) -> ApiError:
    """A request that got no HTTP answer: retried, except a TLS failure, which would recur, a
    refused redirect and the deadline."""
    if isinstance(exc, RedirectRefused):
        return ApiError(None, exc.reason, retryable=False, ambiguous=False)
    if isinstance(exc, DeadlineExceeded):
        return ApiError(None, f"{_host_of(exc)}{exc}", retryable=False, ambiguous=True)
    if isinstance(exc, requests.exceptions.SSLError):
        return ApiError(
            None, "TLS certificate verification failed", retryable=False, tls=True, ambiguous=False
        )
    if isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and _could_not_connect(exc)
    ):
        return ApiError(
            None,
            f"{_host_of(exc)}the server could not be reached ({_connect_reason(exc)})",
            retryable=True,
            ambiguous=False,
            max_retries=CONNECT_RETRIES,
        )
    if isinstance(exc, requests.Timeout):
        return ApiError(
            None, f"{_host_of(exc)}the request timed out", retryable=True, ambiguous=True
        )
    if isinstance(exc, requests.ConnectionError):
        return ApiError(
            None,
            f"{_host_of(exc)}the connection was lost before an answer came",
            retryable=True,
            ambiguous=True,
        )
    return ApiError(None, f"the request failed ({type(exc).__name__})", retryable=False)


def _host_of(exc: requests.RequestException) -> str:
    """``host:port: `` of the request that failed, to start a detail with ("" when unknown)."""
    request = exc.request
    url = getattr(request, "url", None) if request is not None else None
    if not isinstance(url, str):
        return ""
    return origin(url).split("://", 1)[-1] + ": "


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, its arguments that are exceptions, and their causes (urllib3 nests the
    real reason inside MaxRetryError inside requests' ConnectionError)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        seen.append(current)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        if current.__cause__ is not None:
            todo.append(current.__cause__)
    return seen


def _could_not_connect(exc: BaseException) -> bool:
    """No connection was made, so nothing was sent (refused, no such host, no route)."""
    return any(isinstance(cause, NewConnectionError) for cause in _causes(exc))


def _connect_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "no such host"
        if isinstance(cause, TimeoutError):
            return "connecting timed out"
    if isinstance(exc, requests.ConnectTimeout):
        return "connecting timed out"
    text = " ".join(str(cause) for cause in _causes(exc))
    return "connection refused" if "refused" in text.lower() else "no connection"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def server_detail(text: object) -> str:
    """A server's error text made safe for a one-line message: redacted, single line, short."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = json.dumps(text) if isinstance(text, dict | list) else str(text)
    line = " ".join(redact(text).split())
    return line if len(line) <= _DETAIL_CHARS else line[: _DETAIL_CHARS - 1] + "…"


class Retrier:
    """Runs API operations, retrying transient failures until the run's one deadline.

    Between attempts it waits the exponential backoff, or longer when the server asks
    (``Retry-After``, GitHub's rate-limit headers); never less, so a ``Retry-After: 0`` or a
    date in the past cannot turn it into a tight loop.
    """

    def __init__(self, policy: RetryPolicy, deadline: Deadline | None = None) -> None:
        self._policy = policy
        self.deadline = deadline or Deadline(policy.budget, clock=policy.clock)

    def call(self, action: str, operation: Callable[[], T]) -> T:
        delay = self._policy.first_delay
        attempts = 1
        while True:
            try:
                return operation()
            except ApiError as exc:
                exc.action, exc.attempts = action, attempts
                if not exc.retryable:
                    raise
                if exc.max_retries is not None and attempts > exc.max_retries:
                    exc.exhausted = True
                    raise
                wait = max(exc.retry_after or 0.0, delay)
                if wait > self.deadline.remaining():
                    exc.exhausted = True
                    raise
                self._policy.sleep(wait)
                delay = min(delay * 2, self._policy.max_delay)
                attempts += 1


@dataclass(frozen=True)
class Skip:
    """No merge request or pull request to comment on; ``reason`` is one sentence."""

    reason: str


@dataclass(frozen=True)
class GitLabTarget:
    server_url: str
    project_id: str
    mr_iid: int
    token: str | None
    project_url: str | None  # web URL of the merge request's project, for links

    def describe(self) -> str:
        if self.project_url:
            return f"{self.project_url}/-/merge_requests/{self.mr_iid}"
        return (
            f"GitLab merge request !{self.mr_iid} of project {self.project_id} on {self.server_url}"
        )


@dataclass(frozen=True)
class GitHubTarget:
    api_url: str
    server_url: str
    repository: str
    number: int
    token: str | None

    def describe(self) -> str:
        return f"{self.server_url}/{self.repository}/pull/{self.number}"


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """A CI variable's value, None when unset or blank."""
    value = env.get(name, "").strip()
    return value or None


def tls_verify(options: CommentOptions, env: Mapping[str, str], *fallbacks: str) -> bool | str:
    """``verify`` for requests: the CA file from --ca-file, REQUESTS_CA_BUNDLE or a fallback."""
    names = ("REQUESTS_CA_BUNDLE", *fallbacks)
    path = options.ca_file or next((v for v in map(env.get, names) if v), None)
    if not path:
        return True
    if not Path(path).is_file():
        raise PublishError(f"the CA file {path} does not exist or is not a file")
    return path


def explain_generic(error: ApiError, platform_name: str) -> str:
    """One sentence for failures that are not 401/403/404."""
    if error.tls:
        return (
            f"TLS verification of the {platform_name} server failed while {error.action}; "
            "pass its CA certificate with --ca-file or REQUESTS_CA_BUNDLE."
        )
    if error.exhausted and error.retry_after:
        return (
            f"{platform_name} asked to wait {error.retry_after:.0f} s while {error.action} "
            f"({error}), longer than the time left before the deadline, so it gave up."
        )
    if error.exhausted:
        return (
            f"{platform_name} kept failing while {error.action} ({error}); gave up after "
            f"{error.attempts} attempt(s)"
            + (
                "."
                if error.max_retries is not None and error.attempts > error.max_retries
                else " to stay within the deadline (--deadline)."
            )
        )
    if error.status is None:
        return f"{platform_name} could not be used while {error.action}: {error.detail}."
    return f"{platform_name} answered HTTP {error.status} while {error.action} ({error.detail})."

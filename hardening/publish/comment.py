"""The comment bot's core: where to post, the sticky-note algorithm, size fitting and retries.

``publish()`` is the one entry point.  It reads the CI environment to find the merge request
(GitLab) or pull request (GitHub), re-renders the summary until it fits the platform's limit,
then keeps exactly one summary note there: found by the hidden marker and by its own author,
updated in place (the oldest copy wins, others are deleted), left alone when nothing changed.

The job that calls it is report-only, so by default nothing here fails the pipeline: every
problem becomes an outcome with action ``failed``, a one-sentence explanation and exit code 0,
unless ``strict`` is set.  Tokens never appear in any message.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

import requests
from urllib3.exceptions import NewConnectionError

from hardening.errors import PublishError
from hardening.http_session import Deadline, DeadlineExceeded, RedirectRefused, origin
from hardening.redact import MASK, redact
from hardening.render.markdown import MARKER

GITLAB_MAX_CHARS = 1_000_000
GITHUB_MAX_CHARS = 65_536
DEFAULT_GITHUB_API = "https://api.github.com"
DEFAULT_GITHUB_SERVER = "https://github.com"
GITHUB_BOT_LOGIN = "github-actions[bot]"

_RENDER_ATTEMPTS = 4
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
class SyncResult:
    action: Action
    note: Note
    removed: int


def sync_sticky(store: NoteStore, body: str, marker: str, retrier: Retrier) -> SyncResult:
    """Keep exactly one summary note of ours: create it, update the oldest, drop the others."""
    notes = retrier.call("listing the comments", store.list_notes)
    ours = _ours(notes, marker)
    posted = False
    if not ours:
        created = retrier.call("creating the comment", _PostOnce(store, body, marker))
        if isinstance(created, Note):
            return SyncResult(Action.created, created, 0)
        ours, posted = created, True  # a failed attempt had been stored after all
    keep, extras = ours[0], ours[1:]
    if _normalized(keep.body) == _normalized(body):
        action, note = (Action.created if posted else Action.unchanged), keep
    else:
        action = Action.updated
        note = retrier.call("updating the comment", functools.partial(store.update, keep, body))
    for extra in extras:
        try:
            retrier.call("deleting a duplicate comment", functools.partial(store.delete, extra))
        except ApiError as exc:
            if exc.status != 404:  # 404: a concurrent job already removed it
                raise
    return SyncResult(action, note, len(extras))


def _ours(notes: list[Note], marker: str) -> list[Note]:
    """Our summary notes, oldest first."""
    return sorted((n for n in notes if n.mine and marker in n.body), key=_age)


class _PostOnce:
    """Create the note; after a failure that may have stored it anyway (a 5xx, a timeout, a
    connection lost after sending), look for our marker before posting again, so a retry never
    leaves two notes.  Returns the new note, or our notes found on a later look."""

    def __init__(self, store: NoteStore, body: str, marker: str) -> None:
        self._store, self._body, self._marker = store, body, marker
        self._look_first = False

    def __call__(self) -> Note | list[Note]:
        if self._look_first:
            found = _ours(self._store.list_notes(), self._marker)
            if found:
                return found
        try:
            return self._store.create(self._body)
        except ApiError as exc:
            self._look_first = self._look_first or exc.ambiguous
            raise


def _age(note: Note) -> tuple[datetime, int]:
    try:
        when = datetime.fromisoformat(note.created_at)
    except ValueError:
        when = datetime.max
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when, note.id


def _normalized(body: str) -> str:
    # Platforms may store CRLF line ends or trim trailing whitespace; neither is a change.
    return body.replace("\r\n", "\n").strip()


class BodyTooLarge(PublishError):
    """The renderer could not produce a body within the platform's limit."""


def fit_body(render: Callable[[int], str], limit: int, marker: str) -> str:
    """Ask the renderer for a body within ``limit`` characters, shrinking the budget if needed.

    The renderer shortens the Markdown itself (it never cuts it); here only the budget is
    chosen: the limit minus a margin, then proportionally less while the body is too long.
    """
    margin = max(1_000, limit // 100)
    budget = limit - margin
    length = 0
    for _ in range(_RENDER_ATTEMPTS):
        body = render(budget)
        if marker not in body:  # without it the next run could not find the note again
            body = f"{marker}\n{body}"
        length = len(body)
        if length <= limit:
            return body
        budget = min(budget - 1, int(budget * (limit - margin) / length))
        if budget <= 0:
            break
    raise BodyTooLarge(
        f"the summary is still {length:,} characters after {_RENDER_ATTEMPTS} renderings "
        f"with smaller budgets, over the platform's limit of {limit:,}, so nothing was posted"
    )


# --- where to post ---------------------------------------------------------------------------


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


def choose_platform(requested: Platform, env: Mapping[str, str]) -> Platform | None:
    if requested is not Platform.auto:
        return requested
    if env.get("GITLAB_CI") == "true" or env.get("CI_API_V4_URL"):
        return Platform.gitlab
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_REPOSITORY"):
        return Platform.github
    return None


def gitlab_target(env: Mapping[str, str]) -> GitLabTarget | Skip:
    api_url = _value(env, "CI_API_V4_URL")
    if api_url is None:
        return Skip("CI_API_V4_URL is not set, so this does not run in a GitLab CI job.")
    iid_text = _value(env, "CI_MERGE_REQUEST_IID")
    if iid_text is None:
        return Skip(
            "This is not a merge request pipeline (CI_MERGE_REQUEST_IID is not set), "
            "so there is no merge request to comment on."
        )
    if not iid_text.isdigit():
        return Skip(f"CI_MERGE_REQUEST_IID is not a number ({iid_text[:20]!r}).")
    # The merge request's own project differs from CI_PROJECT_ID for pipelines run in a fork.
    project_id = _value(env, "CI_MERGE_REQUEST_PROJECT_ID") or _value(env, "CI_PROJECT_ID")
    if project_id is None:
        return Skip("CI_PROJECT_ID is not set, so the merge request's project is unknown.")
    project_url = _value(env, "CI_MERGE_REQUEST_PROJECT_URL") or _value(env, "CI_PROJECT_URL")
    return GitLabTarget(
        server_url=re.sub(r"/api/v4/*$", "", api_url.rstrip("/")),
        project_id=project_id,
        mr_iid=int(iid_text),
        token=_value(env, "HARDENING_GITLAB_TOKEN") or _value(env, "GITLAB_TOKEN"),
        project_url=project_url.rstrip("/") if project_url else None,
    )


def github_target(env: Mapping[str, str], pr: int | None) -> GitHubTarget | Skip:
    repository = _value(env, "GITHUB_REPOSITORY")
    if repository is None:
        return Skip("GITHUB_REPOSITORY is not set, so this does not run in a GitHub Actions job.")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        return Skip(f"GITHUB_REPOSITORY is not of the form owner/name ({repository[:60]!r}).")
    number = pr if pr is not None else _pull_request_number(env)
    if isinstance(number, Skip):
        return number
    return GitHubTarget(
        api_url=(_value(env, "GITHUB_API_URL") or DEFAULT_GITHUB_API).rstrip("/"),
        server_url=(_value(env, "GITHUB_SERVER_URL") or DEFAULT_GITHUB_SERVER).rstrip("/"),
        repository=repository,
        number=number,
        token=_value(env, "GITHUB_TOKEN"),
    )


def _pull_request_number(env: Mapping[str, str]) -> int | Skip:
    """The pull request of the triggering event: its payload, else refs/pull/N/... in the ref."""
    event_name = _value(env, "GITHUB_EVENT_NAME") or "this"
    event_path = _value(env, "GITHUB_EVENT_PATH")
    if event_path is not None:
        try:
            payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Skip(f"The event payload at GITHUB_EVENT_PATH ({event_path}) is unreadable.")
        number = _number_in_payload(payload)
        if number is not None:
            return number
    match = re.fullmatch(r"refs/pull/(\d+)/(?:merge|head)", env.get("GITHUB_REF", ""))
    if match:
        return int(match.group(1))
    return Skip(
        f"The {event_name} event is not about a pull request and no --pr was given, "
        "so there is no pull request to comment on."
    )


def _number_in_payload(payload: object) -> int | None:
    if not isinstance(payload, dict):
        return None
    pull_request = payload.get("pull_request")
    if isinstance(pull_request, dict) and isinstance(pull_request.get("number"), int):
        return int(pull_request["number"])
    # issue_comment events carry the pull request as an issue with a pull_request key;
    # a comment on a plain issue is not about a change, so it does not count.
    issue = payload.get("issue")
    if isinstance(issue, dict) and "pull_request" in issue and isinstance(issue.get("number"), int):
        return int(issue["number"])
    return None


def _value(env: Mapping[str, str], name: str) -> str | None:
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


# --- publish ---------------------------------------------------------------------------------


def publish(
    render: Callable[[int], str], options: CommentOptions, env: Mapping[str, str]
) -> CommentOutcome:
    """Post or update the sticky summary note of the current merge request or pull request.

    ``render(max_chars)`` returns the Markdown summary rendered within ``max_chars``
    characters.  ``env`` is the process environment (CI variables).  Never raises for a
    platform problem: the outcome says what happened and which exit code to use.
    """
    platform = choose_platform(options.platform, env)
    if platform is Platform.gitlab:
        return _publish_gitlab(render, options, env)
    if platform is Platform.github:
        return _publish_github(render, options, env)
    reason = "Not running in a GitLab CI or GitHub Actions job, so there is nothing to comment on."
    if options.dry_run:
        # GitHub's limit is the smaller one: a body that fits it fits both platforms.
        return _dry_run_nowhere(render, GITHUB_MAX_CHARS, options, reason)
    return CommentOutcome(Action.skipped, "nowhere", reason)


def _publish_gitlab(
    render: Callable[[int], str], options: CommentOptions, env: Mapping[str, str]
) -> CommentOutcome:
    target = gitlab_target(env)
    if isinstance(target, Skip):
        if options.dry_run:
            return _dry_run_nowhere(render, GITLAB_MAX_CHARS, options, target.reason)
        return CommentOutcome(Action.skipped, "nowhere", target.reason)
    where = target.describe()
    try:
        body = fit_body(render, GITLAB_MAX_CHARS, options.marker)
    except BodyTooLarge as exc:
        return _failed(options, where, str(exc))
    if options.dry_run:
        return _dry_run(where, body)
    if target.token is None:
        return _failed(
            options,
            where,
            "No token: set HARDENING_GITLAB_TOKEN (or GITLAB_TOKEN) to a project access token "
            "with the api scope (a protected variable reaches only pipelines of protected "
            "branches, and pipelines of merge requests from forks get none).",
            body,
        )
    try:
        verify = tls_verify(options, env, "CI_SERVER_TLS_CA_FILE")
    except PublishError as exc:
        return _failed(options, where, str(exc), body, target.token)

    from hardening.publish import gitlab  # python-gitlab is only needed here

    retrier = Retrier(options.retry)
    store = gitlab.GitLabNotes(
        target, timeout=options.timeout, verify=verify, deadline=retrier.deadline
    )
    return _sync(
        store,
        body,
        options,
        where,
        target.token,
        functools.partial(gitlab.explain, target),
        retrier,
    )


def _publish_github(
    render: Callable[[int], str], options: CommentOptions, env: Mapping[str, str]
) -> CommentOutcome:
    target = github_target(env, options.pr)
    summary_path = _value(env, "GITHUB_STEP_SUMMARY")
    if isinstance(target, Skip) and summary_path is None and not options.dry_run:
        return CommentOutcome(Action.skipped, "nowhere", target.reason)
    where = target.describe() if isinstance(target, GitHubTarget) else "nowhere"
    try:
        body = fit_body(render, GITHUB_MAX_CHARS, options.marker)
    except BodyTooLarge as exc:
        return _failed(options, where, str(exc))
    if options.dry_run:
        if isinstance(target, Skip):
            return CommentOutcome(Action.skipped, where, f"Dry run: {target.reason}", body=body)
        return _dry_run(where, body)

    # The job summary belongs to the run, not to a pull request: written whatever happens next.
    summary_note = _append_step_summary(Path(summary_path), body) if summary_path else ""
    if isinstance(target, Skip):
        return CommentOutcome(Action.skipped, where, target.reason + summary_note, body=body)
    outcome = _publish_github_comment(target, body, options, env, where)
    return _with_note(outcome, summary_note)


def _publish_github_comment(
    target: GitHubTarget,
    body: str,
    options: CommentOptions,
    env: Mapping[str, str],
    where: str,
) -> CommentOutcome:
    if target.token is None:
        return _failed(
            options,
            where,
            "No token: pass the workflow's token to the step as GITHUB_TOKEN "
            "(env: GITHUB_TOKEN: ${{ github.token }}).",
            body,
        )
    try:
        verify = tls_verify(options, env)
    except PublishError as exc:
        return _failed(options, where, str(exc), body, target.token)

    from hardening.publish import github

    own = frozenset({GITHUB_BOT_LOGIN, *([options.author] if options.author else [])})
    retrier = Retrier(options.retry)
    store = github.GitHubComments(
        target,
        own_logins=own,
        timeout=options.timeout,
        verify=verify,
        deadline=retrier.deadline,
    )
    return _sync(
        store,
        body,
        options,
        where,
        target.token,
        functools.partial(github.explain, target),
        retrier,
    )


def _append_step_summary(path: Path, body: str) -> str:
    try:
        with path.open("a", encoding="utf-8") as summary:
            summary.write(body.rstrip("\n") + "\n")
    except OSError as exc:
        return f" The job summary could not be written ({exc.strerror or type(exc).__name__})."
    return " The summary was appended to the job summary."


def _sync(
    store: NoteStore,
    body: str,
    options: CommentOptions,
    where: str,
    token: str,
    explain: Callable[[ApiError], str],
    retrier: Retrier,
) -> CommentOutcome:
    try:
        result = sync_sticky(store, body, options.marker, retrier)
    except ApiError as exc:
        return _failed(options, where, explain(exc), body, token)
    location = result.note.url or where
    message = {
        Action.created: f"Posted the summary as a new comment on {where}.",
        Action.updated: f"Updated the summary comment on {where} in place.",
        Action.unchanged: f"The summary comment on {where} is already up to date; nothing posted.",
    }[result.action]
    if result.removed:
        message += f" Removed {result.removed} duplicate summary comment(s)."
    return CommentOutcome(result.action, location, message, body=body, removed=result.removed)


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


def _dry_run(where: str, body: str) -> CommentOutcome:
    return CommentOutcome(
        Action.skipped,
        where,
        f"Dry run: would post or update the summary ({len(body):,} characters) on {where}; "
        "nothing was sent.",
        body=body,
    )


def _dry_run_nowhere(
    render: Callable[[int], str], limit: int, options: CommentOptions, reason: str
) -> CommentOutcome:
    """A dry run with nothing to post to still shows the summary, so it can be previewed."""
    try:
        body = fit_body(render, limit, options.marker)
    except BodyTooLarge as exc:
        return _failed(options, "nowhere", str(exc))
    return CommentOutcome(Action.skipped, "nowhere", f"Dry run: {reason}", body=body)


def _failed(
    options: CommentOptions,
    where: str,
    message: str,
    body: str | None = None,
    token: str | None = None,
) -> CommentOutcome:
    if token:  # belt and braces: no message may ever carry the token
        message = message.replace(token, MASK)
    return CommentOutcome(
        Action.failed, where, message, exit_code=1 if options.strict else 0, body=body
    )


def _with_note(outcome: CommentOutcome, note: str) -> CommentOutcome:
    return replace(outcome, message=outcome.message + note) if note else outcome

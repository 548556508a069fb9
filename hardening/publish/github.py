"""GitHub: which pull request this job is about, and its comments (the issue-comments API).

``GITHUB_TOKEN`` cannot read ``/user``, so our own comments are recognised by their author's
login: ``github-actions[bot]`` or the one given with ``--author``.  Requests go through a
``HomeSession``: a redirected write, or a redirect off the API's origin, is refused.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

from hardening import __version__
from hardening.errors import PublishError
from hardening.publish.comment import (
    BodyTooLarge,
    dry_run,
    failed,
    fit_body,
    keep_sticky,
    with_note,
)
from hardening.publish.http_session import Deadline, HomeSession
from hardening.publish.interface import (
    Action,
    ApiError,
    CommentOptions,
    CommentOutcome,
    GitHubTarget,
    Note,
    Retrier,
    Skip,
    env_value,
    explain_generic,
    network_failure,
    parse_retry_after,
    server_detail,
    tls_verify,
)

MAX_CHARS = 65_536
DEFAULT_API = "https://api.github.com"
DEFAULT_SERVER = "https://github.com"
BOT_LOGIN = "github-actions[bot]"

# --- where to post ---------------------------------------------------------------------------


def github_target(env: Mapping[str, str], pr: int | None) -> GitHubTarget | Skip:
    repository = env_value(env, "GITHUB_REPOSITORY")
    if repository is None:
        return Skip("GITHUB_REPOSITORY is not set, so this does not run in a GitHub Actions job.")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        return Skip(f"GITHUB_REPOSITORY is not of the form owner/name ({repository[:60]!r}).")
    number = pr if pr is not None else _pull_request_number(env)
    if isinstance(number, Skip):
        return number
    return GitHubTarget(
        api_url=(env_value(env, "GITHUB_API_URL") or DEFAULT_API).rstrip("/"),
        server_url=(env_value(env, "GITHUB_SERVER_URL") or DEFAULT_SERVER).rstrip("/"),
        repository=repository,
        number=number,
        token=env_value(env, "GITHUB_TOKEN"),
    )


def _pull_request_number(env: Mapping[str, str]) -> int | Skip:
    """The pull request of the triggering event: its payload, else refs/pull/N/... in the ref."""
    event_name = env_value(env, "GITHUB_EVENT_NAME") or "this"
    event_path = env_value(env, "GITHUB_EVENT_PATH")
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


# --- publish ---------------------------------------------------------------------------------


def publish(
    render: Callable[[int], str], options: CommentOptions, env: Mapping[str, str]
) -> CommentOutcome:
    """Post to the pull request of this GitHub Actions job, and append to its job summary."""
    target = github_target(env, options.pr)
    summary_path = env_value(env, "GITHUB_STEP_SUMMARY")
    if isinstance(target, Skip) and summary_path is None and not options.dry_run:
        return CommentOutcome(Action.skipped, "nowhere", target.reason)
    where = target.describe() if isinstance(target, GitHubTarget) else "nowhere"
    try:
        body = fit_body(render, MAX_CHARS, options.marker)
    except BodyTooLarge as exc:
        return failed(options, where, str(exc))
    if options.dry_run:
        if isinstance(target, Skip):
            return CommentOutcome(Action.skipped, where, f"Dry run: {target.reason}", body=body)
        return dry_run(where, body)

    # The job summary belongs to the run, not to a pull request: written whatever happens next.
    summary_note = _append_step_summary(Path(summary_path), body) if summary_path else ""
    if isinstance(target, Skip):
        return CommentOutcome(Action.skipped, where, target.reason + summary_note, body=body)
    outcome = _publish_github_comment(target, body, options, env, where)
    return with_note(outcome, summary_note)


def _publish_github_comment(
    target: GitHubTarget,
    body: str,
    options: CommentOptions,
    env: Mapping[str, str],
    where: str,
) -> CommentOutcome:
    if target.token is None:
        return failed(
            options,
            where,
            "No token: pass the workflow's token to the step as GITHUB_TOKEN "
            "(env: GITHUB_TOKEN: ${{ github.token }}).",
            body,
        )
    try:
        verify = tls_verify(options, env)
    except PublishError as exc:
        return failed(options, where, str(exc), body, target.token)

    own = frozenset({BOT_LOGIN, *([options.author] if options.author else [])})
    retrier = Retrier(options.retry)
    store = GitHubComments(
        target,
        own_logins=own,
        timeout=options.timeout,
        verify=verify,
        deadline=retrier.deadline,
    )
    return keep_sticky(
        store,
        body,
        options,
        where,
        target.token,
        functools.partial(explain, target),
        retrier,
    )


def _append_step_summary(path: Path, body: str) -> str:
    try:
        with path.open("a", encoding="utf-8") as summary:
            summary.write(body.rstrip("\n") + "\n")
    except OSError as exc:
        return f" The job summary could not be written ({exc.strerror or type(exc).__name__})."
    return " The summary was appended to the job summary."


# --- the comments API ------------------------------------------------------------------------

_PER_PAGE = 100
#: GitHub's advice for a rate limit answer that names no time: wait at least a minute.
_RATE_LIMIT_WAIT = 60.0


class GitHubComments:
    """The conversation comments of one pull request."""

    def __init__(
        self,
        target: GitHubTarget,
        *,
        own_logins: frozenset[str],
        timeout: float,
        verify: bool | str,
        deadline: Deadline | None = None,
    ) -> None:
        self._target = target
        self._own_logins = own_logins
        self._timeout = timeout
        self._verify = verify
        self._session = HomeSession(deadline=deadline)
        self._session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {target.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": f"hardening/{__version__}",
            }
        )
        repo = f"{target.api_url}/repos/{target.repository}"
        self._list_url = f"{repo}/issues/{target.number}/comments"
        self._comment_url = f"{repo}/issues/comments"

    def list_notes(self) -> list[Note]:
        notes: list[Note] = []
        url: str | None = f"{self._list_url}?per_page={_PER_PAGE}"
        while url is not None:
            response = self._request("GET", url)
            page = response.json()
            if not isinstance(page, list):
                raise ApiError(
                    None, "GitHub sent a comment list that is not a list", retryable=False
                )
            notes.extend(self._note(item) for item in page)
            url = self._next_page(response)
        return notes

    def create(self, body: str) -> Note:
        return self._note(self._request("POST", self._list_url, {"body": body}).json())

    def update(self, note: Note, body: str) -> Note:
        url = f"{self._comment_url}/{note.id}"
        return self._note(self._request("PATCH", url, {"body": body}).json())

    def delete(self, note: Note) -> None:
        self._request("DELETE", f"{self._comment_url}/{note.id}")

    def _next_page(self, response: requests.Response) -> str | None:
        next_url = response.links.get("next", {}).get("url")
        if next_url is None:
            return None
        # The token goes with every request: never follow a link off the API host.
        if not next_url.startswith(f"{self._target.api_url}/"):
            raise ApiError(None, "GitHub's next-page link leaves the API host", retryable=False)
        return str(next_url)

    def _note(self, data: object) -> Note:
        if not isinstance(data, Mapping):
            raise ApiError(None, "GitHub sent a comment that is not an object", retryable=False)
        user = data.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        try:
            note_id = int(data["id"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(None, "GitHub sent a comment without an id", retryable=False) from None
        url = data.get("html_url")
        return Note(
            id=note_id,
            body=str(data.get("body") or ""),
            created_at=str(data.get("created_at") or ""),
            mine=login in self._own_logins,
            url=url if isinstance(url, str) else None,
        )

    def _request(
        self, method: str, url: str, payload: Mapping[str, str] | None = None
    ) -> requests.Response:
        try:
            response = self._session.request(
                method, url, json=payload, timeout=self._timeout, verify=self._verify
            )
        except requests.RequestException as exc:
            raise network_failure(exc) from None
        if 200 <= response.status_code < 300:
            if method != "DELETE" and not _is_json(response):
                raise ApiError(None, "GitHub sent a response that is not JSON", retryable=False)
            return response
        raise _http_error(response)


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def _http_error(response: requests.Response) -> ApiError:
    status = response.status_code
    try:
        payload = response.json()
        message = payload.get("message") if isinstance(payload, dict) else None
    except ValueError:
        message = None
    detail = server_detail(message or response.reason or "no details")
    headers = response.headers
    retry_after = parse_retry_after(headers.get("Retry-After"))
    # Primary rate limits answer 403/429 with x-ratelimit-remaining: 0 and a reset time;
    # secondary ones with Retry-After.  Both are waits, not permission problems.
    exhausted = headers.get("X-RateLimit-Remaining") == "0"
    if retry_after is None and exhausted:
        reset = headers.get("X-RateLimit-Reset", "")
        retry_after = max(0.0, float(reset) - time.time()) if reset.isdigit() else None
    # A secondary rate limit may come with neither header, only its message (a 403 that is
    # not about permissions); GitHub then asks for a wait of at least one minute.
    said_rate_limit = isinstance(message, str) and "rate limit" in message.lower()
    if retry_after is None and (status == 429 or (status == 403 and said_rate_limit)):
        retry_after = _RATE_LIMIT_WAIT
    rate_limited = status in (403, 429) and (exhausted or retry_after is not None)
    return ApiError(
        status,
        detail,
        retryable=True if rate_limited else None,
        retry_after=retry_after,
    )


def explain(target: GitHubTarget, error: ApiError) -> str:
    """One sentence saying what went wrong and what to do about it."""
    if error.status == 401:
        return (
            "GitHub rejected the token as invalid or expired (HTTP 401); pass the workflow's "
            "token to the step as GITHUB_TOKEN."
        )
    if error.status == 403 and not error.retryable:
        return (
            "GitHub refused to let this token comment on the pull request (HTTP 403); give the "
            "job `permissions: pull-requests: write` (pull requests from forks get a read-only "
            "GITHUB_TOKEN)."
        )
    if error.status == 404:
        return (
            f"GitHub found no pull request #{target.number} in {target.repository}, or the "
            "token cannot see it (HTTP 404)."
        )
    return explain_generic(error, "GitHub")

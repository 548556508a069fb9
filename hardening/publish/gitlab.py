"""GitLab: which merge request this job is about, and its notes through python-gitlab.

python-gitlab's own retries are switched off on every call: it would honour any Retry-After,
however long, and retry ten times.  The comment core retries instead, within one deadline;
it needs the Retry-After header, which python-gitlab's exceptions do not keep, so a response
hook on the session remembers it.

python-gitlab follows redirects and sends ``PRIVATE-TOKEN`` along to wherever they lead: its
session is a ``HomeSession``, which refuses a redirected write and a redirect to another origin.
Whatever the server answers (an object where a list belongs, a note without an id), the result
is an ``ApiError``, never a traceback.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError, GitlabParsingError
from gitlab.v4.objects import CurrentUserManager

from hardening import __version__
from hardening.errors import PublishError
from hardening.publish.comment import (
    BodyTooLarge,
    dry_run,
    dry_run_nowhere,
    failed,
    fit_body,
    keep_sticky,
)
from hardening.publish.http_session import Deadline, HomeSession
from hardening.publish.interface import (
    Action,
    ApiError,
    CommentOptions,
    CommentOutcome,
    GitLabTarget,
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

MAX_CHARS = 1_000_000

T = TypeVar("T")

# Per-call options that disable python-gitlab's built-in retry loop.
NO_RETRY: dict[str, Any] = {
    "max_retries": 0,
    "obey_rate_limit": False,
    "retry_transient_errors": False,
}


# --- where to post ---------------------------------------------------------------------------


def gitlab_target(env: Mapping[str, str]) -> GitLabTarget | Skip:
    api_url = env_value(env, "CI_API_V4_URL")
    if api_url is None:
        return Skip("CI_API_V4_URL is not set, so this does not run in a GitLab CI job.")
    iid_text = env_value(env, "CI_MERGE_REQUEST_IID")
    if iid_text is None:
        return Skip(
            "This is not a merge request pipeline (CI_MERGE_REQUEST_IID is not set), "
            "so there is no merge request to comment on."
        )
    if not iid_text.isdigit():
        return Skip(f"CI_MERGE_REQUEST_IID is not a number ({iid_text[:20]!r}).")
    # The merge request's own project differs from CI_PROJECT_ID for pipelines run in a fork.
    project_id = env_value(env, "CI_MERGE_REQUEST_PROJECT_ID") or env_value(env, "CI_PROJECT_ID")
    if project_id is None:
        return Skip("CI_PROJECT_ID is not set, so the merge request's project is unknown.")
    project_url = env_value(env, "CI_MERGE_REQUEST_PROJECT_URL") or env_value(env, "CI_PROJECT_URL")
    return GitLabTarget(
        server_url=re.sub(r"/api/v4/*$", "", api_url.rstrip("/")),
        project_id=project_id,
        mr_iid=int(iid_text),
        token=env_value(env, "HARDENING_GITLAB_TOKEN") or env_value(env, "GITLAB_TOKEN"),
        project_url=project_url.rstrip("/") if project_url else None,
    )


# --- publish ---------------------------------------------------------------------------------


def publish(
    render: Callable[[int], str], options: CommentOptions, env: Mapping[str, str]
) -> CommentOutcome:
    """Post to the merge request of this GitLab CI job."""
    target = gitlab_target(env)
    if isinstance(target, Skip):
        if options.dry_run:
            return dry_run_nowhere(render, MAX_CHARS, options, target.reason)
        return CommentOutcome(Action.skipped, "nowhere", target.reason)
    where = target.describe()
    try:
        body = fit_body(render, MAX_CHARS, options.marker)
    except BodyTooLarge as exc:
        return failed(options, where, str(exc))
    if options.dry_run:
        return dry_run(where, body)
    if target.token is None:
        return failed(
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
        return failed(options, where, str(exc), body, target.token)

    retrier = Retrier(options.retry)
    store = GitLabNotes(target, timeout=options.timeout, verify=verify, deadline=retrier.deadline)
    return keep_sticky(
        store,
        body,
        options,
        where,
        target.token,
        functools.partial(explain, target),
        retrier,
    )


# --- the notes API ---------------------------------------------------------------------------


class GitLabNotes:
    """The notes of one merge request; ``mine`` means written by the token's user."""

    def __init__(
        self,
        target: GitLabTarget,
        *,
        timeout: float,
        verify: bool | str,
        deadline: Deadline | None = None,
    ) -> None:
        self._target = target
        self._retry_after: float | None = None
        session = HomeSession(deadline=deadline)
        session.hooks["response"].append(self._remember_retry_after)
        self._gl = gitlab.Gitlab(
            url=target.server_url,
            private_token=target.token,
            ssl_verify=verify,
            timeout=timeout,
            user_agent=f"hardening/{__version__}",
            # Follow pagination on the configured host even if GitLab's external_url differs,
            # so the token goes nowhere else.
            keep_base_url=True,
            session=session,
        )
        project = self._gl.projects.get(target.project_id, lazy=True)
        self._notes = project.mergerequests.get(target.mr_iid, lazy=True).notes
        self._user_id: int | None = None

    def list_notes(self) -> list[Note]:
        user_id = self._current_user_id()
        found = self._call(
            lambda: self._notes.list(
                get_all=True, per_page=100, sort="asc", order_by="created_at", **NO_RETRY
            )
        )
        if not isinstance(found, list):
            raise _unexpected("a note list")
        notes = []
        for item in found:
            attributes = getattr(item, "attributes", None)
            if not isinstance(attributes, dict):
                raise _unexpected("a note list")
            if not attributes.get("system"):
                notes.append(self._note(attributes, user_id))
        return notes

    def create(self, body: str) -> Note:
        created = self._call(lambda: self._notes.create({"body": body}, **NO_RETRY))
        return self._note(getattr(created, "attributes", None), self._user_id)

    def update(self, note: Note, body: str) -> Note:
        updated = self._call(lambda: self._notes.update(note.id, {"body": body}, **NO_RETRY))
        if not isinstance(updated, dict):
            raise _unexpected("the updated note")
        return self._note({"id": note.id, "created_at": note.created_at, **updated}, None, True)

    def delete(self, note: Note) -> None:
        self._call(lambda: self._notes.delete(note.id, **NO_RETRY))

    def _current_user_id(self) -> int:
        # gl.auth() would run python-gitlab's unbounded retry loop; the manager takes options.
        if self._user_id is None:
            user = self._call(lambda: CurrentUserManager(self._gl).get(**NO_RETRY))
            user_id = getattr(user, "attributes", {}).get("id")
            if not _is_id(user_id):
                raise _unexpected("the current user")
            self._user_id = int(user_id)
        return self._user_id

    def _note(self, data: object, user_id: int | None, mine: bool = False) -> Note:
        if not isinstance(data, Mapping) or not _is_id(data.get("id")):
            raise _unexpected("a note")
        author = data.get("author")
        author_id = author.get("id") if isinstance(author, dict) else None
        note_id = int(data["id"])
        url = None
        if self._target.project_url:
            url = f"{self._target.describe()}#note_{note_id}"
        return Note(
            id=note_id,
            body=str(data.get("body") or ""),
            created_at=str(data.get("created_at") or ""),
            mine=mine or (user_id is not None and author_id == user_id),
            url=url,
        )

    def _call(self, operation: Callable[[], T]) -> T:
        """Run one python-gitlab call, turning its failures into the core's ApiError."""
        self._retry_after = None
        try:
            return operation()
        except GitlabError as exc:
            raise failure(exc, self._retry_after) from None
        except requests.RequestException as exc:
            raise network_failure(exc) from None
        except (TypeError, AttributeError, KeyError, ValueError, IndexError):
            # python-gitlab builds its objects from whatever JSON came back (a list where an
            # object belongs, strings where notes belong) and fails in its own code.
            raise _unexpected("an answer") from None

    def _remember_retry_after(
        self, response: requests.Response, *args: object, **kwargs: object
    ) -> None:
        self._retry_after = parse_retry_after(response.headers.get("Retry-After"))


def failure(exc: GitlabError, retry_after: float | None = None) -> ApiError:
    """The ApiError of a python-gitlab failure: an answer that is not JSON, an HTTP status
    with GitLab's message (redacted), or neither."""
    if isinstance(exc, GitlabParsingError):
        return ApiError(None, "GitLab sent a response that is not JSON", retryable=False)
    detail = server_detail(exc.error_message or "no details")
    if exc.response_code is None:
        return ApiError(None, detail, retryable=False)
    return ApiError(exc.response_code, detail, retry_after=retry_after)


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _unexpected(what: str) -> ApiError:
    return ApiError(
        None, f"GitLab sent {what} of a shape it does not have in its API", retryable=False
    )


def explain(target: GitLabTarget, error: ApiError) -> str:
    """One sentence saying what went wrong and what to do about it."""
    if error.status == 401:
        return (
            "GitLab rejected the token as invalid, expired or revoked (HTTP 401; a "
            "CI_JOB_TOKEN is not accepted here); set HARDENING_GITLAB_TOKEN to a valid project "
            "access token with the api scope."
        )
    if error.status == 403:
        return (
            "GitLab refused to let this token write merge request notes (HTTP 403): "
            "CI_JOB_TOKEN cannot write notes, so set HARDENING_GITLAB_TOKEN to a project access "
            "token with the api scope and at least the Reporter role."
        )
    if error.status == 404:
        return (
            f"GitLab found no merge request !{target.mr_iid} in project {target.project_id}, "
            "or the token cannot see it (HTTP 404)."
        )
    return explain_generic(error, "GitLab")

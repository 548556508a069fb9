"""The comment bot's core: the sticky-note algorithm, the size fitting and the dry run.

A forge (``github``, ``gitlab``) finds where to post and opens a ``NoteStore`` there; this
module re-renders the summary until it fits the forge's limit, then keeps exactly one summary
note: found by the hidden marker and by its own author, updated in place (the oldest copy
wins, others are deleted), left alone when nothing changed.

The job that posts is report-only, so by default nothing here fails the pipeline: every
problem becomes an outcome with action ``failed``, a one-sentence explanation and exit code 0,
unless ``strict`` is set.  Tokens never appear in any message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from hardening.errors import PublishError
from hardening.publish.interface import (
    Action,
    ApiError,
    CommentOptions,
    CommentOutcome,
    Note,
    NoteStore,
    Retrier,
)
from hardening.redact import MASK

_RENDER_ATTEMPTS = 4


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


def keep_sticky(
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
        return failed(options, where, explain(exc), body, token)
    location = result.note.url or where
    message = {
        Action.created: f"Posted the summary as a new comment on {where}.",
        Action.updated: f"Updated the summary comment on {where} in place.",
        Action.unchanged: f"The summary comment on {where} is already up to date; nothing posted.",
    }[result.action]
    if result.removed:
        message += f" Removed {result.removed} duplicate summary comment(s)."
    return CommentOutcome(result.action, location, message, body=body, removed=result.removed)


def dry_run(where: str, body: str) -> CommentOutcome:
    return CommentOutcome(
        Action.skipped,
        where,
        f"Dry run: would post or update the summary ({len(body):,} characters) on {where}; "
        "nothing was sent.",
        body=body,
    )


def dry_run_nowhere(
    render: Callable[[int], str], limit: int, options: CommentOptions, reason: str
) -> CommentOutcome:
    """A dry run with nothing to post to still shows the summary, so it can be previewed."""
    try:
        body = fit_body(render, limit, options.marker)
    except BodyTooLarge as exc:
        return failed(options, "nowhere", str(exc))
    return CommentOutcome(Action.skipped, "nowhere", f"Dry run: {reason}", body=body)


def failed(
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


def with_note(outcome: CommentOutcome, note: str) -> CommentOutcome:
    return replace(outcome, message=outcome.message + note) if note else outcome

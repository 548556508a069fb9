"""The baseline: a JSON file kept in the repository that remembers findings and their triage.

It stores fingerprints and short summaries, never secrets.  Its output is deterministic
(sorted keys, stable order, newline-terminated) so its git diff stays small, it is written
atomically under a lock, and it is never rewritten when it cannot be read.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from hardening import targets
from hardening.errors import BaselineError, json_place
from hardening.model import (
    FINGERPRINT_VERSION,
    PREVIOUS_FINGERPRINT_VERSIONS,
    CodeLocation,
    Component,
    Endpoint,
    Finding,
    Kind,
    Report,
    Severity,
    _Model,
    _Record,
    set_fields,
)
from hardening.redact import error_location, redact, screen_path, screen_url
from hardening.report_io import (
    LockTimeout,
    folder_lock,
    remove_temporaries,
    temporary_beside,
    write_atomic,
)

#: Entry keys (fingerprints) an error may name, so the entry can be found.
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")

BASELINE_SCHEMA_VERSION = 3
DEFAULT_PATH = Path(".hardening/baseline.json")


class Triage(StrEnum):
    open = "open"
    accepted = "accepted"
    false_positive = "false_positive"


class ToolInfo(_Model):
    """A tool's version and database date when it scanned one target (``target`` None: its
    unnamed target).  A baseline taken from several reports of one target at different
    versions records each."""

    target: str | None = None
    version: str | None = None
    database_date: str | None = None
    #: Recorded before baselines named targets (format 2): it stands for any of the tool's.
    target_unknown: bool | None = None

    def sort_key(self) -> tuple[bool, str, str, str]:
        return (
            bool(self.target_unknown),
            self.target or "",
            self.version or "",
            self.database_date or "",
        )


@dataclass(slots=True)
class BaselineEntry(_Record):
    """What the baseline remembers of one finding: a summary and its triage.

    A slotted record like ``Finding`` (a baseline of a million entries must fit in memory);
    the Baseline model validates and serializes it."""

    tool: str
    kind: Kind
    rule_id: str
    severity: Severity
    first_seen: str
    title: str = ""
    path: str | None = None
    package: str | None = None
    fixed_version: str | None = None
    endpoint: str | None = None
    #: The scan target it was found in (see ``Finding.target``); None: its tool's unnamed one.
    target: str | None = None
    #: Taken before baselines recorded targets (format 2): in scope only where its tool
    #: scanned exactly one target.
    target_unknown: bool | None = None
    triage: Triage = Triage.open
    reason: str | None = None
    expires: str | None = None
    #: Suppressed in the source or by the tool when seen (absent otherwise): some outputs do
    #: not list suppressed findings at all (semgrep's JSON, gosec without
    #: -track-suppressions), so one gone from such a run is unknown, not fixed.
    suppressed: bool | None = None

    @property
    def triaged(self) -> bool:
        return self.triage is not Triage.open

    def expired(self, today: date) -> bool:
        return (
            self.triage is Triage.accepted
            and self.expires is not None
            and date.fromisoformat(self.expires) < today
        )

    def as_finding(self, fingerprint: str) -> Finding:
        """A finding standing for this entry (for fixed and unknown states), screened: a
        baseline or a ``--compare-to`` file may be hand-edited."""
        location = CodeLocation(path=screen_path(self.path)) if self.path else None
        component = (
            Component(name=redact(self.package), fixed_version=self.fixed_version)
            if self.package
            else None
        )
        endpoint = _endpoint(screen_url(self.endpoint)) if self.endpoint else None
        return Finding(
            tool=self.tool,
            kind=self.kind,
            rule_id=self.rule_id,
            title=redact(self.title),
            severity=self.severity,
            location=location,
            component=component,
            endpoint=endpoint,
            target=self.target,
            fingerprint=fingerprint,
        )


def _endpoint(summary: str) -> Endpoint:
    """The endpoint an entry's ``"METHOD url"`` summary names (see ``summarize``)."""
    method, space, url = summary.partition(" ")
    if space and url and method.isalpha() and method.isupper():
        return Endpoint(method=method, url=url)
    return Endpoint(url=summary)


def summarize(finding: Finding, first_seen: str) -> BaselineEntry:
    """The baseline entry for a finding seen today (no secret, snippet or message)."""
    endpoint = None
    if finding.endpoint is not None:
        method = finding.endpoint.method or ""
        endpoint = f"{method} {finding.endpoint.url}".strip()
    return BaselineEntry(
        tool=finding.tool,
        kind=finding.kind,
        rule_id=finding.rule_id,
        title=finding.title[:200],
        severity=finding.severity,
        path=finding.location.path if finding.location else None,
        package=finding.component.name if finding.component else None,
        fixed_version=finding.component.fixed_version if finding.component else None,
        endpoint=endpoint,
        target=finding.target,
        first_seen=first_seen,
        suppressed=True if finding.suppressed else None,
    )


class Baseline(_Model):
    schema_version: int = BASELINE_SCHEMA_VERSION
    fingerprint_version: str = FINGERPRINT_VERSION
    #: Per tool, what scanned each target: version and database date (see ``ToolInfo``).
    tools: dict[str, list[ToolInfo]] = Field(default_factory=dict)
    strip_prefixes: list[str] = Field(default_factory=list)
    entries: dict[str, BaselineEntry] = Field(default_factory=dict)

    def find(self, prefix: str) -> str:
        """The fingerprint that starts with ``prefix`` (unique), else a BaselineError."""
        matches = [fp for fp in self.entries if fp.startswith(prefix)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise BaselineError(f"no baseline entry has fingerprint {prefix!r}")
        raise BaselineError(f"fingerprint prefix {prefix!r} matches {len(matches)} entries")


def triage(
    baseline: Baseline,
    prefixes: Iterable[str],
    decision: Triage,
    reason: str,
    expires: date | None,
    report: Report | None = None,
    report_origin: str = "the report",
    today: date | None = None,
) -> list[tuple[str, BaselineEntry]]:
    """Record ``decision`` on the entry each fingerprint prefix names (``baseline accept``,
    ``false-positive``), in place; the entries come back in the prefixes' order.

    A prefix no entry has is looked up in ``report`` (a findings.json): its one finding with
    that prefix becomes an entry first, so a finding can be triaged before any ``baseline
    update`` recorded it.  The entries are then kept sorted by fingerprint, as ``save``
    writes them."""
    first_seen = (today or date.today()).isoformat()
    done = []
    for prefix in prefixes:
        fingerprint = _entry_or_finding(baseline, prefix, report, report_origin, first_seen)
        entry = baseline.entries[fingerprint]
        entry.triage = decision
        entry.reason = reason
        entry.expires = expires.isoformat() if expires else None
        done.append((fingerprint, entry))
    baseline.entries = dict(sorted(baseline.entries.items()))
    return done


def _entry_or_finding(
    baseline: Baseline, prefix: str, report: Report | None, origin: str, first_seen: str
) -> str:
    """The fingerprint ``prefix`` names: a baseline entry's, else one finding's of ``report``
    (added to the baseline)."""
    try:
        return baseline.find(prefix)
    except BaselineError:
        if report is None:
            raise
    matches = [f for f in report.findings if f.fingerprint.startswith(prefix)]
    if len(matches) != 1:
        raise BaselineError(
            f"fingerprint {prefix!r} matches {len(matches)} findings in {origin}"
        ) from None
    fingerprint = matches[0].fingerprint
    baseline.entries[fingerprint] = summarize(matches[0], first_seen)
    return fingerprint


@dataclass(frozen=True)
class ShownEntry:
    """One row of ``baseline show``: an entry with its triage status and age today."""

    fingerprint: str
    entry: BaselineEntry
    #: ``accepted``, ``accepted until 2025-01-31``, ``expired``, ``open``, ``false_positive``
    status: str
    age_days: int

    @property
    def where(self) -> str:
        return self.entry.path or self.entry.package or self.entry.endpoint or ""


def shown(baseline: Baseline, today: date, *, triaged_only: bool = False) -> list[ShownEntry]:
    """``baseline show``'s rows, in the file's order (``triaged_only``: accepted and
    false-positive entries)."""
    rows = []
    for fingerprint, entry in baseline.entries.items():
        if triaged_only and not entry.triaged:
            continue
        status = entry.triage.value
        if entry.expired(today):
            status = "expired"
        elif entry.expires:
            status += f" until {entry.expires}"
        age = (today - date.fromisoformat(entry.first_seen)).days
        rows.append(ShownEntry(fingerprint, entry, status, age))
    return rows


# Older layouts are upgraded on read.  Format 1 listed entries as an array with their
# fingerprint inside and called triage "status".
def _upgrade_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    entries = {}
    for item in data.get("entries", []):
        item = dict(item)
        fingerprint = item.pop("fingerprint")
        if fingerprint in entries:
            raise _DuplicateKey(fingerprint)
        if "status" in item:
            item["triage"] = item.pop("status")
        entries[fingerprint] = item
    data = {**data, "entries": entries, "schema_version": 2}
    return data


# Format 3 records each finding's scan target and the tool versions per target.  A format-2
# entry's target is not known (``target_unknown``), nor is its tool record's; but a ZAP
# entry's endpoint names its site, which is its target.
def _upgrade_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    entries = data.get("entries", {})
    if isinstance(entries, dict):
        entries = {
            fingerprint: _entry_with_target(entry) if isinstance(entry, dict) else entry
            for fingerprint, entry in entries.items()
        }
    tools = data.get("tools", {})
    if isinstance(tools, dict):
        tools = {
            name: [{**info, "target_unknown": True}] if isinstance(info, dict) else info
            for name, info in tools.items()
        }
    return {**data, "entries": entries, "tools": tools, "schema_version": 3}


def _entry_with_target(entry: dict[str, Any]) -> dict[str, Any]:
    endpoint = entry.get("endpoint")
    if entry.get("tool") == "zap" and isinstance(endpoint, str):
        site = targets.site(_endpoint(endpoint).url)
        if site is not None:
            return {**entry, "target": site}
    return {**entry, "target_unknown": True}


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _upgrade_1_to_2,
    2: _upgrade_2_to_3,
}


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json would keep the later one: a baseline
    entry listed twice would silently lose the other copy's triage)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _duplicate(origin: str, key: str) -> BaselineError:
    if _FINGERPRINT.fullmatch(key) or len(key) >= 16:
        return BaselineError(
            f"{origin}: fingerprint {key[:64]} is listed twice; keep one entry (and its triage)"
        )
    return BaselineError(f"{origin}: key {key[:64]!r} appears twice in one object")


def parse(text: str, origin: str) -> Baseline:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{origin}: not valid JSON ({json_place(exc.msg, exc.lineno)})"
        ) from None
    except _DuplicateKey as exc:
        raise _duplicate(origin, exc.key) from None
    if not isinstance(data, dict):
        raise BaselineError(f"{origin}: not a hardening baseline (expected a JSON object)")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise BaselineError(f"{origin}: not a hardening baseline (no schema_version)")
    if version > BASELINE_SCHEMA_VERSION:
        raise BaselineError(
            f"{origin}: baseline format {version} is newer than this hardening understands "
            f"({BASELINE_SCHEMA_VERSION}); upgrade hardening"
        )
    while version < BASELINE_SCHEMA_VERSION:
        upgrade = UPGRADES.get(version)
        if upgrade is None:
            raise BaselineError(f"{origin}: baseline format {version} cannot be upgraded")
        try:
            data = upgrade(data)
        except _DuplicateKey as exc:
            raise _duplicate(origin, exc.key) from None
        version = data["schema_version"]
    try:
        baseline = Baseline.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = error_location(first["loc"], keys=_FINGERPRINT)
        raise BaselineError(f"{origin}: invalid baseline: {where}: {first['msg']}") from None
    if (
        baseline.fingerprint_version != FINGERPRINT_VERSION
        and baseline.fingerprint_version not in PREVIOUS_FINGERPRINT_VERSIONS
    ):
        raise BaselineError(
            f"{origin}: fingerprints are {baseline.fingerprint_version}, this hardening "
            f"computes {FINGERPRINT_VERSION}"
        )
    _check_dates(baseline, origin)
    return baseline


def carried_over(
    entries: dict[str, BaselineEntry], findings: Iterable[Finding]
) -> dict[str, BaselineEntry]:
    """Entries keyed by previous-version fingerprints, re-keyed to today's.

    Each finding of today whose ``previous_fingerprint`` keys an entry takes that entry
    (first_seen and triage included) under its own fingerprint, unless an entry has that key
    already; one entry may go to several findings (v1 gave one identity to what v2 tells
    apart).  Other entries keep their keys: identities a version bump did not change are the
    same in both, and an old entry no finding matched today is matched the day one does."""
    renamed: dict[str, list[str]] = {}
    current: set[str] = set()
    for finding in findings:
        current.add(finding.fingerprint)
        previous = finding.previous_fingerprint
        if previous and previous in entries and previous != finding.fingerprint:
            renamed.setdefault(previous, []).append(finding.fingerprint)
    if not renamed:
        return entries
    result: dict[str, BaselineEntry] = {}
    for fingerprint, entry in entries.items():
        targets = renamed.get(fingerprint)
        if targets is None:
            result.setdefault(fingerprint, entry)
            continue
        for target in targets:
            if target not in entries:
                result.setdefault(target, copy.copy(entry))
        if fingerprint in current:  # also today's key of another finding: it stays too
            result.setdefault(fingerprint, entry)
    return result


def carry_over(baseline: Baseline, findings: Iterable[Finding]) -> None:
    """Re-key a baseline's previous-version entries to today's findings, in place (see
    ``carried_over``); it is then of the current version, and an update writes it so."""
    baseline.entries = carried_over(baseline.entries, findings)
    baseline.fingerprint_version = FINGERPRINT_VERSION


#: How the baseline writes dates (and ``--expires`` takes them): ISO 8601, YYYY-MM-DD.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _check_dates(baseline: Baseline, origin: str) -> None:
    """A hand-edited date that is not a real YYYY-MM-DD one (``2027-02-30``, ``01/03/2027``)
    is an error naming the entry, before anything compares with it."""
    for fingerprint, entry in baseline.entries.items():
        for name in ("first_seen", "expires"):
            value = getattr(entry, name)
            if value is None:
                continue
            problem = None
            if not _ISO_DATE.fullmatch(value):
                problem = "expected YYYY-MM-DD"
            else:
                try:
                    date.fromisoformat(value)
                except ValueError as exc:
                    problem = str(exc)
            if problem is not None:
                shown = value if len(value) <= 40 else value[:39] + "…"
                raise BaselineError(
                    f"{origin}: entry {fingerprint[:64]}: {name} {shown!r} is not a date "
                    f"({problem})"
                )


def load(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not UTF-8 text") from None
    return parse(text, str(path))


def load_or_empty(path: Path) -> Baseline:
    return load(path) if path.exists() else Baseline()


def dumps(baseline: Baseline) -> str:
    return "".join(chunks(baseline))


def chunks(baseline: Baseline) -> Iterator[str]:
    """The baseline file's text piece by piece: JSON with sorted keys and two-space indents,
    entries in fingerprint order, each without its unset fields (and without ``triage`` when
    open).  Entries are written one at a time, so a million never exist as one text or as a
    million dicts at once."""
    rest = json.dumps(
        baseline.model_dump(mode="json", exclude={"entries"}, exclude_none=True),
        indent=2,
        sort_keys=True,
        ensure_ascii=False,
    )
    # "entries" sorts before every other key of the file: it comes first.
    if not baseline.entries:
        yield '{\n  "entries": {},\n' + rest[2:] + "\n"
        return
    yield '{\n  "entries": {'
    separator = "\n    "
    quote = _STRING.encode
    for fingerprint in sorted(baseline.entries):
        # An entry is a flat object of strings: laid out here as json.dumps(indent=2) would,
        # whose indenting encoder is pure Python and builds new closures on every call.
        fields = sorted(_entry_dict(baseline.entries[fingerprint]).items())
        body = ",\n      ".join(f"{quote(name)}: {quote(value)}" for name, value in fields)
        yield f"{separator}{quote(fingerprint)}: {{\n      {body}\n    }}"
        separator = ",\n    "
    yield "\n  },\n" + rest[2:] + "\n"


#: Encodes one string as JSON (the C encoder, non-ASCII kept as in the rest of the file).
_STRING = json.JSONEncoder(ensure_ascii=False)


def _entry_dict(entry: BaselineEntry) -> dict[str, str]:
    data = set_fields(entry)
    data["kind"] = entry.kind.value
    data["severity"] = entry.severity.value
    if entry.suppressed is False:
        del data["suppressed"]
    if entry.target_unknown is False:
        del data["target_unknown"]
    if entry.triage is Triage.open:
        del data["triage"]
    else:
        data["triage"] = entry.triage.value
    return data


def save(baseline: Baseline, path: Path) -> bool:
    """Write atomically; return False (and leave the file untouched) when nothing changed.

    A baseline that is a symbolic link has its target rewritten (the link stays), and the
    file keeps its permissions.  A write that fails is a BaselineError naming the file."""
    target = _target(path)
    try:
        return write_atomic(
            target,
            (piece.encode("utf-8") for piece in chunks(baseline)),
            unless_same=True,
            keep_mode=True,
        )
    except OSError as exc:
        raise BaselineError(f"{path}: cannot be written: {exc.strerror or exc}") from None


def _target(path: Path) -> Path:
    """The file a baseline path names: a symbolic link's target (followed to the end)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextmanager
def locked(path: Path, timeout: float = 120.0) -> Iterator[None]:
    """Serialize read-modify-write cycles on one baseline file across processes.

    An OS advisory lock (flock) on the baseline's folder, released when the process ends
    however it ends, and no file left behind.  Holding it, the folder is checked to be
    writable (so a long update does not run only to fail at the end) and what a killed
    update left there (its temporary file) is removed."""
    target = _target(path)
    folder = target.parent
    with ExitStack() as stack:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stack.enter_context(folder_lock(folder, timeout))
            fd, probe = temporary_beside(target)
            os.close(fd)
            probe.unlink()
        except LockTimeout:
            raise BaselineError(f"{path}: another update holds the lock on {folder}") from None
        except OSError as exc:
            raise BaselineError(f"{path}: cannot be written: {exc.strerror or exc}") from None
        remove_temporaries(target)
        yield

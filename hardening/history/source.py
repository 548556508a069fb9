"""One pipeline's findings.json, read into what the history database keeps of it.

Read as plain JSON rather than through the model: the history must read every findings.json
written so far (and fields added later, such as a run's ``targets`` or a finding's
``target``, whose absence means one unnamed target ``""``), and it keeps only the short
summary the baseline keeps, never a message, snippet or secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from hardening.errors import HardeningError
from hardening.model import State
from hardening.report_io import not_valid

#: findings.json schema versions this reader understands (every one written so far).
READABLE_MAJOR = "1"
#: Titles, paths and other summary texts are cut to this many characters.
MAX_TEXT = 500
#: Diff states of findings.json entries that are not findings of that run.
_NOT_CURRENT = {state.value for state in State.GONE}
#: Diff states kept per pipeline (triage seen that day); others are open.
MARK_STATES = ("accepted", "false_positive", "suppressed", "expired")
SEVERITIES = ("critical", "high", "medium", "low", "info")


class HistoryError(HardeningError):
    """A history command cannot go on: bad input, an unreachable or newer database."""


@dataclass(frozen=True, slots=True)
class FindingSummary:
    """What the history keeps of one finding (the baseline's summary, no text of the code)."""

    fingerprint: str
    tool: str
    rule_id: str
    kind: str
    severity: str
    title: str
    where: str  # path, package or "METHOD url"
    target: str  # scan target ("" = the tool's one unnamed target)
    mark: str | None  # accepted, false_positive, suppressed or expired that day; None = open


@dataclass(slots=True)
class PipelineRun:
    """One pipeline's findings.json, as recorded."""

    findings: list[FindingSummary]
    #: tool -> target -> run status ("" is the unnamed target of a run that names none)
    tools: dict[str, dict[str, str]]
    #: tool -> "version" or "version, db DATE" (for scanner drift)
    versions: dict[str, str]
    #: open findings by severity (not accepted, false positive or suppressed)
    open: dict[str, int]
    created: str | None = None  # when findings.json was written, if it says
    warnings: list[str] = field(default_factory=list)


def read_findings_json(path: Path) -> PipelineRun:
    """``path`` (a findings.json, or a folder holding one) read for the history."""
    if path.is_dir():
        path = path / "findings.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file") from None
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read: {exc.strerror}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HistoryError(f"{path}: not valid JSON ({exc})") from None
    return parse_document(document, str(path))


def parse_document(document: Any, origin: str) -> PipelineRun:
    if not isinstance(document, dict) or document.get("generator") != "hardening":
        raise HistoryError(f"{origin}: not a hardening findings.json")
    version = str(document.get("schema_version", ""))
    if version.partition(".")[0] != READABLE_MAJOR:
        raise HistoryError(
            f"{origin}: findings.json schema version {version or '(none)'} is not one this "
            f"hardening reads ({READABLE_MAJOR}.x); record it with a matching hardening"
        )
    runs = document.get("runs")
    findings = document.get("findings")
    if not isinstance(runs, list) or not isinstance(findings, list):
        raise HistoryError(f"{origin}: {not_valid('runs or findings missing')}")
    tools, versions = _runs(runs)
    summaries: list[FindingSummary] = []
    seen: set[str] = set()
    warnings: list[str] = []
    skipped = 0
    for item in findings:
        summary = _summary(item)
        if summary is None:
            skipped += 1
            continue
        if summary.fingerprint in seen or (
            isinstance(item, dict) and item.get("state") in _NOT_CURRENT
        ):
            continue
        seen.add(summary.fingerprint)
        summaries.append(summary)
    if skipped:
        warnings.append(f"{origin}: {skipped} finding(s) without tool, rule or fingerprint skipped")
    open_counts = {severity: 0 for severity in SEVERITIES}
    for summary in summaries:
        if summary.mark in (None, "expired"):
            open_counts[summary.severity] = open_counts.get(summary.severity, 0) + 1
    created = document.get("created")
    return PipelineRun(
        findings=summaries,
        tools=tools,
        versions=versions,
        open=open_counts,
        created=normalize_time(created) if isinstance(created, str) and created else None,
        warnings=warnings,
    )


def _runs(runs: list[Any]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    tools: dict[str, dict[str, str]] = {}
    versions: dict[str, str] = {}
    for run in runs:
        if not isinstance(run, dict) or not isinstance(run.get("tool"), str):
            continue
        tool = run["tool"]
        status = run["status"] if isinstance(run.get("status"), str) else "ok"
        targets = run.get("targets")
        names = [t for t in targets if isinstance(t, str)] if isinstance(targets, list) else []
        per_target = tools.setdefault(tool, {})
        for target in names or [""]:
            # Several runs of one tool: a target is ok when any run of it was.
            if per_target.get(target) != "ok":
                per_target[target] = status
        version = run.get("version")
        if isinstance(version, str) and version:
            database = run.get("database_date")
            versions[tool] = f"{version}, db {database}" if database else version
        elif isinstance(run.get("database_date"), str) and run["database_date"]:
            versions[tool] = f"db {run['database_date']}"
    return tools, versions


def _text(value: object) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _summary(item: object) -> FindingSummary | None:
    if not isinstance(item, dict):
        return None
    fingerprint, tool, rule_id = item.get("fingerprint"), item.get("tool"), item.get("rule_id")
    if not (isinstance(fingerprint, str) and fingerprint and isinstance(tool, str) and tool):
        return None
    if not isinstance(rule_id, str):
        return None
    severity = item.get("severity")
    if severity not in SEVERITIES:
        severity = "info"
    state = item.get("state")
    mark = state if state in MARK_STATES else None
    if mark is None and item.get("suppression"):
        mark = "suppressed"
    return FindingSummary(
        fingerprint=fingerprint[:64],
        tool=tool[:100],
        rule_id=rule_id[:MAX_TEXT],
        kind=_text(item.get("kind"))[:20] or "code",
        severity=str(severity),
        title=_text(item.get("title"))[:200],
        where=_where(item),
        target=_target(item),
        mark=mark,
    )


def _where(item: Mapping[str, Any]) -> str:
    location, component, endpoint = (
        item.get("location"),
        item.get("component"),
        item.get("endpoint"),
    )
    if isinstance(location, dict):
        return _text(location.get("path"))
    if isinstance(component, dict):
        return _text(component.get("name"))
    if isinstance(endpoint, dict):
        method = endpoint.get("method") if isinstance(endpoint.get("method"), str) else ""
        return _text(f"{method} {_text(endpoint.get('url'))}".strip())
    return ""


def _target(item: Mapping[str, Any]) -> str:
    target = item.get("target")
    return target[:MAX_TEXT] if isinstance(target, str) else ""


def normalize_time(value: str) -> str:
    """An ISO 8601 time as fixed-width UTC (``2024-03-01T09:00:00.000000Z``), so that text
    order is time order; a date alone is midnight UTC."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HistoryError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

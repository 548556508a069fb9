"""Trends across recorded pipelines, computed from the intervals: per pipeline open by
severity, new, fixed and reopened; time to fix; open age; gate calibration; flapping and noisy
rules; scanner drift.  ``trends.json``'s field names are fixed (``TRENDS_SCHEMA_VERSION``).

New, fixed and reopened are computed against the previous recorded pipeline of the same
project and ref in ``created`` order, with the diff's scope rule per target: where a
finding's target was not scanned (failed, missing, not exercised, or not listed) it is unknown
and keeps its last known state, never fixed.  The ref's earliest recorded pipeline (in
``created`` order) has no previous one: its findings are the starting point (first seen there,
never new), so neither the new-against-fixed chart nor a ``new:*`` gate's calibration counts
the whole backlog as new.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from hardening.history import schema
from hardening.history.schema import (
    chunks,
    findings,
    intervals,
    marks,
    pipelines,
    projects,
    refs,
    rules,
    texts,
)
from hardening.history.source import SEVERITIES, HistoryError, parse_time
from hardening.history.store import scanned
from hardening.model import State

TRENDS_SCHEMA_VERSION = 1
_RANK = {severity: len(SEVERITIES) - i for i, severity in enumerate(SEVERITIES)}
#: Gates every report calibrates, besides the configured one.
STANDARD_GATES = ("new:critical", "new:high", "new:medium", "expired:high")
_TRIAGED = {state.value for state in State.QUIET}


class NotRecorded(HistoryError):
    """Nothing of that project and ref is in the database."""


@dataclass(frozen=True)
class Window:
    last: int | None = None  # the last N pipelines
    since: str | None = None  # normalized time: pipelines created from then on


@dataclass(frozen=True)
class GateSpec:
    """A gate to calibrate: ``STATE:SEVERITY`` and per-tool rules (the configured gate)."""

    rule: str
    tools: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if not self.tools:
            return self.rule
        per_tool = ", ".join(f"{tool}={rule}" for tool, rule in sorted(self.tools.items()))
        return f"{self.rule} ({per_tool})"


@dataclass(slots=True)
class _Finding:
    ident: int
    tool: str
    rule_id: str
    severity: str
    target: str
    spans: list[tuple[int, int]]  # (first, last) pipeline indexes, sorted


def _pipeline_order(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: (row.created, row.pipeline.zfill(20), row.pipeline))


def _most_severe_first(counts: dict[str, int]) -> dict[str, int]:
    """A pipeline's open counts, critical first, as every reader lists severities (the stored
    JSON may hold them in any order)."""
    return {s: counts[s] for s in sorted(counts, key=lambda s: -_RANK.get(s, 0))}


def compute(
    engine: Engine,
    project: str,
    ref: str,
    window: Window,
    gates: list[GateSpec],
) -> dict[str, Any]:
    """trends.json's content for one project and ref."""
    schema.ensure_schema(engine)  # an older database is upgraded, a newer one refused
    with schema.transaction(engine) as connection:
        project_id = connection.execute(
            select(projects.c.id).where(projects.c.name == project)
        ).scalar()
        ref_id = (
            connection.execute(
                select(refs.c.id).where(refs.c.project_id == project_id, refs.c.name == ref)
            ).scalar()
            if project_id is not None
            else None
        )
        if ref_id is None:
            raise NotRecorded(f"no pipeline of {project} on {ref} is recorded")
        rows = _pipeline_order(
            list(
                connection.execute(
                    select(
                        pipelines.c.id,
                        pipelines.c.pipeline,
                        pipelines.c.commit_sha,
                        pipelines.c.created,
                        pipelines.c.open_counts,
                        pipelines.c.tools,
                        pipelines.c.versions,
                    ).where(pipelines.c.ref_id == ref_id)
                )
            )
        )
        start = _window_start(rows, window)
        index_of = {row.id: i for i, row in enumerate(rows)}
        scans = [json.loads(row.tools) for row in rows]
        # A finding fixed in the window may have last been seen a few pipelines earlier
        # (unknown in between): reach back past pipelines that did not scan everything.
        reach = max(0, start - 1)
        while reach > 0 and not _complete(scans[reach], scans):
            reach -= 1
        wanted = [row.id for row in rows[reach:]]
        loaded = _load(connection, ref_id, wanted, index_of)
        window_ids = [row.id for row in rows[start:]]
        marked: dict[int, dict[int, str]] = defaultdict(dict)  # pipeline index -> finding -> state
        for chunk in chunks(window_ids):
            for pipeline_id, finding_id, state in connection.execute(
                select(marks.c.pipeline_id, marks.c.finding_id, marks.c.state).where(
                    schema.among(connection, marks.c.pipeline_id, chunk)
                )
            ):
                marked[index_of[pipeline_id]][finding_id] = state
        missing_marks = {f for states in marked.values() for f in states} - set(loaded)
        loaded.update(_load_findings(connection, sorted(missing_marks), {}))
    return _trends(project, ref, rows, start, scans, loaded, marked, gates)


def still_open(engine: Engine, project: str, ref: str) -> set[str]:
    """Fingerprints present in the newest recorded pipeline of the ref (or unknown there)."""
    with schema.transaction(engine) as connection:
        rows = connection.execute(
            select(findings.c.fingerprint)
            .select_from(
                intervals.join(findings, intervals.c.finding_id == findings.c.id)
                .join(refs, intervals.c.ref_id == refs.c.id)
                .join(projects, refs.c.project_id == projects.c.id)
            )
            .where(projects.c.name == project, refs.c.name == ref, intervals.c.last.is_(None))
        )
        return {row[0] for row in rows}


def _complete(tools: dict[str, dict[str, str]], scans: list[dict[str, dict[str, str]]]) -> bool:
    return all(status == "ok" for per in tools.values() for status in per.values())


def _window_start(rows: list[Any], window: Window) -> int:
    if window.since is not None:
        return next((i for i, row in enumerate(rows) if row.created >= window.since), len(rows))
    if window.last is not None:
        return max(0, len(rows) - window.last)
    return 0


def _load(
    connection: Any, ref_id: int, wanted: list[int], index_of: dict[int, int]
) -> dict[int, _Finding]:
    """Every finding with an interval reaching into ``wanted`` pipelines (or still open), with
    all its intervals on the ref and its summary: one query."""
    reaching = (
        select(intervals.c.finding_id)
        .where(
            intervals.c.ref_id == ref_id,
            intervals.c.last.is_(None) | schema.among(connection, intervals.c.last, wanted),
        )
        .distinct()
    )
    joined = (
        intervals.join(findings, intervals.c.finding_id == findings.c.id)
        .join(rules, findings.c.rule == rules.c.id)
        .join(texts, findings.c.target == texts.c.id)
    )
    query = (
        select(
            intervals.c.finding_id,
            intervals.c.first,
            intervals.c.last,
            rules.c.tool,
            rules.c.rule_id,
            findings.c.severity,
            texts.c.value,
        )
        .select_from(joined)
        .where(intervals.c.ref_id == ref_id, intervals.c.finding_id.in_(reaching))
    )
    latest = len(index_of) - 1
    loaded: dict[int, _Finding] = {}
    for finding_id, first, last, tool, rule_id, severity, target in connection.execute(query):
        finding = loaded.get(finding_id)
        if finding is None:
            finding = loaded[finding_id] = _Finding(finding_id, tool, rule_id, severity, target, [])
        finding.spans.append((index_of[first], latest if last is None else index_of[last]))
    for finding in loaded.values():
        finding.spans.sort()
    return loaded


def _load_findings(
    connection: Any, finding_ids: list[int], spans: dict[int, list[tuple[int, int]]]
) -> dict[int, _Finding]:
    loaded: dict[int, _Finding] = {}
    joined = findings.join(rules, findings.c.rule == rules.c.id).join(
        texts, findings.c.target == texts.c.id
    )
    for chunk in chunks(finding_ids):
        for ident, tool, rule_id, severity, target in connection.execute(
            select(findings.c.id, rules.c.tool, rules.c.rule_id, findings.c.severity, texts.c.value)
            .select_from(joined)
            .where(schema.among(connection, findings.c.id, chunk))
        ):
            loaded[ident] = _Finding(
                ident, tool, rule_id, severity, target, sorted(spans.get(ident, []))
            )
    return loaded


@dataclass(slots=True)
class _Events:
    new: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    fixed: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    reopened: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    first_seen: dict[int, int] = field(default_factory=dict)
    #: finding -> index of the pipeline it was fixed in (time to fix), one per fix
    fixes: list[tuple[int, int]] = field(default_factory=list)


def _events(loaded: dict[int, _Finding], scans: list[dict[str, dict[str, str]]]) -> _Events:
    """New, fixed and reopened per pipeline index, walking each finding's intervals."""
    events = _Events()
    count = len(scans)
    for finding in loaded.values():
        if not finding.spans:
            continue

        def is_scanned(index: int, f: _Finding = finding) -> bool:
            return scanned(scans[index], f.tool, f.target)

        events.first_seen[finding.ident] = finding.spans[0][0]
        known_absent_after: int | None = None  # last state: None never seen
        state = "never"
        for first, last in finding.spans:
            if state == "present" and known_absent_after is None:
                pass  # joined across unknown pipelines: still present
            elif state == "never":
                if first > 0:  # in the ref's earliest recorded pipeline: the starting point
                    events.new[first].append(finding.ident)
            else:
                events.new[first].append(finding.ident)
                events.reopened[first].append(finding.ident)
            state = "present"
            # The next pipeline after it that scanned its target: fixed there, unless the
            # next interval starts at or before it.
            nxt = last + 1
            while nxt < count and not is_scanned(nxt):
                nxt += 1
            known_absent_after = nxt if nxt < count else None
            if known_absent_after is not None:
                following = next((f for f, _ in finding.spans if f > last), None)
                if following is not None and following <= known_absent_after:
                    known_absent_after = None
                    continue
                events.fixed[known_absent_after].append(finding.ident)
                events.fixes.append((finding.ident, known_absent_after))
                state = "fixed"
    return events


class _Clock:
    """Days between pipelines, each pipeline's time parsed once."""

    def __init__(self, rows: list[Any]) -> None:
        self._seconds = [parse_time(row.created).timestamp() for row in rows]

    def days(self, start: int, end: int) -> float:
        return (self._seconds[end] - self._seconds[start]) / 86400


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round(ordered[middle], 2)
    return round((ordered[middle - 1] + ordered[middle]) / 2, 2)


def _percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 2)


def _gate_parts(rule: str) -> tuple[frozenset[str], int]:
    """``new,expired:high`` -> ({new, expired}, rank of high)."""
    states, _, severity = rule.strip().lower().partition(":")
    names = frozenset(name.strip() for name in states.split(","))
    return names, _RANK.get(severity, _RANK["high"])


def _present(finding: _Finding, index: int, scans: list[dict[str, dict[str, str]]]) -> bool:
    return any(first <= index <= last for first, last in finding.spans) and scanned(
        scans[index], finding.tool, finding.target
    )


def _trends(
    project: str,
    ref: str,
    rows: list[Any],
    start: int,
    scans: list[dict[str, dict[str, str]]],
    loaded: dict[int, _Finding],
    marked: dict[int, dict[int, str]],
    gates: list[GateSpec],
) -> dict[str, Any]:
    events = _events(loaded, scans)
    clock = _Clock(rows)
    window = range(start, len(rows))

    @functools.cache
    def open_new(index: int) -> list[int]:
        return [f for f in events.new.get(index, []) if marked[index].get(f) not in _TRIAGED]

    pipelines_out = []
    for i in window:
        row = rows[i]
        pipelines_out.append(
            {
                "pipeline": row.pipeline,
                "commit": row.commit_sha,
                "created": row.created,
                "open": _most_severe_first(json.loads(row.open_counts)),
                "new": len(open_new(i)),
                "fixed": len(events.fixed.get(i, [])),
                "reopened": len(events.reopened.get(i, [])),
                "starting_point": i == 0,
                "tools": scans[i],
            }
        )

    # Time to fix, per severity, of fixes in the window.
    fixed_days: dict[str, list[float]] = defaultdict(list)
    for finding_id, index in events.fixes:
        if index >= start:
            finding = loaded[finding_id]
            fixed_days[finding.severity].append(clock.days(events.first_seen[finding_id], index))
    time_to_fix = {
        severity: {
            "fixed": len(fixed_days.get(severity, [])),
            "median_days": _median(fixed_days.get(severity, [])),
            "p90_days": _percentile(fixed_days.get(severity, []), 0.9),
        }
        for severity in SEVERITIES
    }

    # Age of what is open in the window's last pipeline.
    ages: dict[str, list[float]] = defaultdict(list)
    if rows and start < len(rows):
        last = len(rows) - 1
        for finding in loaded.values():
            if finding.spans and _present(finding, last, scans):
                if marked[last].get(finding.ident) in _TRIAGED:
                    continue
                ages[finding.severity].append(clock.days(events.first_seen[finding.ident], last))
    open_age = {
        severity: {
            "open": len(ages.get(severity, [])),
            "median_days": _median(ages.get(severity, [])),
            "oldest_days": round(max(ages[severity]), 2) if ages.get(severity) else None,
        }
        for severity in SEVERITIES
    }

    gate_rows = [
        _calibrate(GateSpec(rule), window, loaded, events, marked, scans, open_new)
        for rule in STANDARD_GATES
    ]
    for spec in gates:
        if spec.tools or spec.rule not in STANDARD_GATES:
            gate_rows.append(_calibrate(spec, window, loaded, events, marked, scans, open_new))

    # Flapping: rules whose findings were fixed and came back in the window.
    flap_fingerprints: dict[tuple[str, str], set[int]] = defaultdict(set)
    flap_count: Counter[tuple[str, str]] = Counter()
    for i in window:
        for finding_id in events.reopened.get(i, []):
            finding = loaded[finding_id]
            flap_fingerprints[(finding.tool, finding.rule_id)].add(finding_id)
            flap_count[(finding.tool, finding.rule_id)] += 1
    flapping: list[dict[str, Any]] = [
        {
            "tool": tool,
            "rule_id": rule_id,
            "fingerprints": len(ids),
            "reopened": flap_count[(tool, rule_id)],
        }
        for (tool, rule_id), ids in flap_fingerprints.items()
    ]
    flapping.sort(
        key=lambda item: (-item["reopened"], -item["fingerprints"], item["tool"], item["rule_id"])
    )

    noisy = _noisy(window, loaded, marked, scans)
    drift = _drift(rows, start, loaded, events, open_new)
    return {
        "schema_version": TRENDS_SCHEMA_VERSION,
        "project": project,
        "ref": ref,
        "window": {
            "pipelines": len(window),
            "from": rows[start].created if len(window) else None,
            "to": rows[-1].created if len(window) else None,
        },
        "pipelines": pipelines_out,
        "time_to_fix": time_to_fix,
        "open_age": open_age,
        "gates": gate_rows,
        "flapping": flapping[:50],
        "noisy": noisy[:50],
        "drift": drift,
    }


def _calibrate(
    spec: GateSpec,
    window: range,
    loaded: dict[int, _Finding],
    events: _Events,
    marked: dict[int, dict[int, str]],
    scans: list[dict[str, dict[str, str]]],
    open_new: Any,
) -> dict[str, Any]:
    """How many pipelines of the window this gate would have blocked, and the rules behind."""
    blocked = 0
    behind: Counter[tuple[str, str]] = Counter()

    default = _gate_parts(spec.rule)
    per_tool = {tool: _gate_parts(rule) for tool, rule in spec.tools.items()}

    def applies(finding: _Finding, wanted_state: str) -> bool:
        states, rank = per_tool.get(finding.tool, default)
        return wanted_state in states and _RANK.get(finding.severity, 0) >= rank

    uses = set().union(*(_gate_parts(rule)[0] for rule in (spec.rule, *spec.tools.values())))
    for i in window:
        blocking: set[int] = set()
        if "new" in uses:
            blocking.update(f for f in open_new(i) if applies(loaded[f], "new"))
        if "expired" in uses:
            blocking.update(
                f
                for f, state in marked[i].items()
                if state == "expired" and f in loaded and applies(loaded[f], "expired")
            )
        if "unchanged" in uses:
            new_here = set(events.new.get(i, []))
            blocking.update(
                finding.ident
                for finding in loaded.values()
                if finding.ident not in new_here
                and marked[i].get(finding.ident) is None
                and applies(finding, "unchanged")
                and _present(finding, i, scans)
            )
        if blocking:
            blocked += 1
            for rule in {(loaded[f].tool, loaded[f].rule_id) for f in blocking}:
                behind[rule] += 1
    top = sorted(behind.items(), key=lambda item: (-item[1], item[0]))[:5]
    return {
        "rule": spec.label,
        "pipelines_blocked": blocked,
        "pipelines": len(window),
        "top_rules": [
            {"tool": tool, "rule_id": rule_id, "pipelines": count} for (tool, rule_id), count in top
        ],
    }


def _noisy(
    window: range,
    loaded: dict[int, _Finding],
    marked: dict[int, dict[int, str]],
    scans: list[dict[str, dict[str, str]]],
) -> list[dict[str, Any]]:
    """Rules with the most findings marked false positive or accepted in the window."""
    latest_mark: dict[int, str] = {}
    for i in window:
        for finding_id, state in marked[i].items():
            if state in ("false_positive", "accepted"):
                latest_mark[finding_id] = state
    if not latest_mark:
        return []
    per_rule: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    lo, hi = (window.start, window.stop - 1) if len(window) else (0, -1)
    for finding in loaded.values():
        if any(first <= hi and last >= lo for first, last in finding.spans):
            seen[(finding.tool, finding.rule_id)].add(finding.ident)
    for finding_id, state in latest_mark.items():
        finding = loaded[finding_id]
        key = (finding.tool, finding.rule_id)
        per_rule[key][state] += 1
        seen[key].add(finding_id)
    result: list[dict[str, Any]] = [
        {
            "tool": tool,
            "rule_id": rule_id,
            "findings": len(seen[(tool, rule_id)]),
            "false_positive": counts["false_positive"],
            "accepted": counts["accepted"],
        }
        for (tool, rule_id), counts in per_rule.items()
    ]
    result.sort(
        key=lambda item: (
            -(item["false_positive"] + item["accepted"]),
            item["tool"],
            item["rule_id"],
        )
    )
    return result


def _drift(
    rows: list[Any], start: int, loaded: dict[int, _Finding], events: _Events, open_new: Any
) -> list[dict[str, Any]]:
    """Tool version or database changes between consecutive pipelines that ran the tool."""
    last_version: dict[str, str] = {}
    drift: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        versions: dict[str, str] = json.loads(row.versions)
        for tool, version in sorted(versions.items()):
            before = last_version.get(tool)
            if i >= start and before is not None and before != version:
                drift.append(
                    {
                        "pipeline": row.pipeline,
                        "tool": tool,
                        "from": before,
                        "to": version,
                        "new_findings": sum(1 for f in open_new(i) if loaded[f].tool == tool),
                    }
                )
            last_version[tool] = version
    return drift


def created_of(value: str) -> datetime:
    return parse_time(value)

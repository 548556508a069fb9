"""The baseline diff: a state for every finding, and fixed or unknown for what went away.

Fixed is claimed only when the finding's tool ran, scanned the finding's target today (see
``Finding.target``; an entry recorded before baselines named targets, only when its tool
scanned exactly one target), and its path was in today's scope (not filtered, and among the
paths the tool says it scanned where it lists them, or a file that ``--source-root`` shows
was deleted); otherwise the finding is unknown.  The reference for
new and fixed is the baseline, or with ``--compare-to`` the target branch's latest
findings.json; triage always comes from the baseline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from hardening.baseline import (
    Baseline,
    BaselineEntry,
    ToolInfo,
    Triage,
    carried_over,
    carry_over,
    summarize,
)
from hardening.errors import HardeningError, ParseError
from hardening.filters import SnapshotFilter
from hardening.jsonread import JsonStream, check_json
from hardening.model import (
    FILTERED_BY,
    FINGERPRINT_VERSION,
    DiffInfo,
    Drift,
    Finding,
    Report,
    RunStatus,
    State,
    ToolRun,
)
from hardening.report_io import InvalidFinding, not_valid, validation_reason, walk_findings


@dataclass
class Reference:
    """What new and fixed are judged against: fingerprint -> remembered entry."""

    entries: dict[str, BaselineEntry]
    origin: str
    #: The path prefixes its run stripped: reused, like the baseline's, by a run without the
    #: CI variables, so its fingerprints and today's agree.
    strip_prefixes: list[str] = field(default_factory=list)
    #: The fingerprint version of its entries' keys: an older one is carried over.
    fingerprint_version: str = FINGERPRINT_VERSION


def reference_from_file(path: Path, today: date) -> Reference:
    """A target branch's findings.json as the reference, read as a stream: one finding at a
    time is validated and summarized, so a million-finding file is never held as text or as
    findings (only the summaries, as a baseline holds them)."""
    entries: dict[str, BaselineEntry] = {}
    first_seen = today.isoformat()

    def take(finding: Finding) -> None:
        if finding.state not in State.GONE:
            entries[finding.fingerprint] = summarize(finding, first_seen)

    try:
        with JsonStream(path) as stream:
            if stream.start() != "{":
                check_json(path, depth=1)  # not JSON at all says so first
                raise HardeningError(f"{path}: {not_valid('expected a JSON object')}")
            others, _ = walk_findings(stream, take)
        header = Report.model_validate(others)
        if not names_targets(header.schema_version):
            for entry in entries.values():
                entry.target_unknown = True
    except OSError as exc:
        raise HardeningError(f"{path}: cannot read: {exc.strerror}") from None
    except ParseError as exc:
        raise HardeningError(f"{path}: {not_valid(str(exc))}") from None
    except InvalidFinding as exc:
        reason = validation_reason(exc.error, f"findings.{exc.index}")
        raise HardeningError(f"{path}: {not_valid(reason)}") from None
    except ValidationError as exc:
        raise HardeningError(f"{path}: {not_valid(validation_reason(exc))}") from None
    return Reference(
        entries, str(path), header.path_settings.strip_prefixes, header.fingerprint_version
    )


def reference_from_report(report: Report, origin: str, today: date) -> Reference:
    """A target branch's findings.json as the reference (its fixed/unknown are not in it)."""
    entries = {
        f.fingerprint: summarize(f, today.isoformat())
        for f in report.findings
        if f.state not in State.GONE
    }
    if not names_targets(report.schema_version):
        for entry in entries.values():
            entry.target_unknown = True
    return Reference(
        entries, origin, list(report.path_settings.strip_prefixes), report.fingerprint_version
    )


def names_targets(schema_version: str) -> bool:
    """Whether a findings.json of this schema version names its findings' scan targets (1.1
    and later): in an older one, a finding without a target is of unknown target, not of its
    tool's unnamed one."""
    major, _, minor = schema_version.partition(".")
    try:
        return (int(major), int(minor or 0)) >= (1, 1)
    except ValueError:
        return False


def apply(
    report: Report,
    baseline: Baseline,
    snapshot: SnapshotFilter,
    today: date,
    *,
    baseline_origin: str | None = None,
    reference: Reference | None = None,
) -> None:
    """Set ``state`` on every finding of ``report`` and append fixed and unknown ones.

    Entries of the baseline or reference keyed by a previous fingerprint version are carried
    over to today's keys first (the baseline's in place, so an update writes them so)."""
    carry_over(baseline, report.findings)
    if reference is not None:
        reference.entries = carried_over(reference.entries, report.findings)
        reference.fingerprint_version = FINGERPRINT_VERSION
    ref = reference or Reference(baseline.entries, baseline_origin or "baseline")
    drift = drifted(baseline, report.runs)
    drifted_targets = {(change.tool, change.target) for change in drift}
    present = set()
    #: Tools whose output today lists suppressed findings (see ``BaselineEntry.suppressed``).
    shows_suppressed: set[str] = set()
    for finding in report.findings:
        present.add(finding.fingerprint)
        if finding.suppressed:
            shows_suppressed.add(finding.tool)
        triage = baseline.entries.get(finding.fingerprint)
        finding.state = _state(finding, triage, ref, today)
        if (
            triage is not None
            and triage.reason
            and finding.state in (State.accepted, State.false_positive, State.expired)
        ):
            finding.properties = {**finding.properties, "triage_reason": triage.reason}
        finding.drift = (
            finding.state is State.new and (finding.tool, finding.target) in drifted_targets
        )

    gone: list[Finding] = []
    ran = _tools_that_ran(report.runs)
    targets = scanned_targets(report.runs)
    scanned = _scanned_paths(report.runs)
    for fingerprint, entry in _disappeared(ref, baseline, present):
        finding = entry.as_finding(fingerprint)
        triage = baseline.entries.get(fingerprint)
        in_scope = _in_scope(entry, ran, targets, scanned, snapshot)
        # A suppressed finding is seen gone only where today's output lists suppressed ones.
        if entry.suppressed and entry.tool not in shows_suppressed:
            in_scope = False
        finding.state = State.fixed if in_scope else State.unknown
        if triage is not None and triage.triaged:
            finding.properties = {**finding.properties, **_gone_triage(triage, today)}
        filtered_by = _filtered_by(entry, snapshot)
        if filtered_by is not None and not in_scope:
            # Out of view by a filter, not for want of a scan: counted with the filtered.
            finding.properties = {**finding.properties, FILTERED_BY: filtered_by}
        gone.append(finding)
    report.findings.extend(gone)
    counts = Counter(
        f.state.value for f in report.findings if f.state is not None and not f.filtered
    )
    report.diff = DiffInfo(
        baseline=baseline_origin,
        compare_to=ref.origin if reference is not None else None,
        counts={state.value: counts.get(state.value, 0) for state in State},
        drift_tools=sorted({change.tool for change in drift}),
        drift=drift,
    )


def _state(finding: Finding, triage: BaselineEntry | None, ref: Reference, today: date) -> State:
    if finding.suppressed:
        return State.suppressed
    if triage is not None and triage.triage is Triage.false_positive:
        return State.false_positive
    if triage is not None and triage.triage is Triage.accepted:
        return State.expired if triage.expired(today) else State.accepted
    known = ref.entries.get(finding.fingerprint)
    if known is None:
        return State.new
    fixed_version = finding.component.fixed_version if finding.component else None
    if known.severity is not finding.severity or (known.fixed_version or None) != (
        fixed_version or None
    ):
        return State.updated
    return State.unchanged


def _gone_triage(triage: BaselineEntry, today: date) -> dict[str, object]:
    """What a fixed or unknown finding shows of its triage (hardening.sarif keeps an unknown
    accepted or false-positive result dismissed with its reason, unless the acceptance
    expired)."""
    properties: dict[str, object] = {"triage": triage.triage.value}
    if triage.reason:
        properties["triage_reason"] = triage.reason
    if triage.expired(today):
        properties["triage_expired"] = True
    return properties


def _disappeared(
    ref: Reference, baseline: Baseline, present: set[str]
) -> Iterable[tuple[str, BaselineEntry]]:
    seen = set(present)
    for fingerprint, entry in ref.entries.items():
        if fingerprint not in seen:
            seen.add(fingerprint)
            yield fingerprint, entry
    # Triaged baseline entries stay visible even when judged against another reference.
    for fingerprint, entry in baseline.entries.items():
        if fingerprint not in seen and entry.triaged:
            seen.add(fingerprint)
            yield fingerprint, entry


def _tools_that_ran(runs: list[ToolRun]) -> set[str]:
    ok = {run.tool for run in runs if run.status is RunStatus.ok}
    failed = {run.tool for run in runs if run.status is not RunStatus.ok}
    # A tool with one failed artifact among good ones: its findings might be in the failed one.
    return ok - failed


def scanned_targets(runs: list[ToolRun]) -> dict[str, set[str | None]]:
    """tool -> the targets its good runs scanned today (None: its unnamed target)."""
    scanned: dict[str, set[str | None]] = {}
    for run in runs:
        if run.status is RunStatus.ok:
            scanned.setdefault(run.tool, set()).update(_run_targets(run))
    return scanned


def _run_targets(run: ToolRun) -> list[str | None]:
    return list(run.targets) if run.targets else [None]


def _scanned_paths(runs: list[ToolRun]) -> dict[str, set[str] | None]:
    """tool -> paths it says it scanned, or None when any of its runs scanned everything."""
    scanned: dict[str, set[str] | None] = {}
    for run in runs:
        if run.status is not RunStatus.ok:
            continue
        if run.tool in scanned and scanned[run.tool] is None:
            continue
        if not run.scanned_paths:  # not listed, or an empty list: the whole scan root
            scanned[run.tool] = None
        else:
            current = scanned.get(run.tool) or set()
            scanned[run.tool] = current | set(run.scanned_paths)
    return scanned


def _in_scope(
    entry: BaselineEntry,
    ran: set[str],
    targets: dict[str, set[str | None]],
    scanned: dict[str, set[str] | None],
    snapshot: SnapshotFilter,
) -> bool:
    if entry.tool not in ran:
        return False
    today = targets.get(entry.tool, set())
    if entry.target_unknown:
        # Recorded before targets were: judged only where the tool scanned one target.
        if len(today) != 1:
            return False
    elif entry.target not in today:
        return False
    if entry.path is None:
        return True
    if entry.kind.value in ("code", "secret", "config") and snapshot.scope_reason(entry.path):
        return False
    paths = scanned.get(entry.tool)
    # A tool lists only the files it scanned: a file deleted since is not among them, but
    # what was found in it is fixed (when --source-root shows the file is gone).
    return paths is None or entry.path in paths or snapshot.deleted(entry.path)


def _filtered_by(entry: BaselineEntry, snapshot: SnapshotFilter) -> str | None:
    """The filter that excludes the entry's path today, if any (as ``_in_scope`` reads it)."""
    if entry.path is None or entry.kind.value not in ("code", "secret", "config"):
        return None
    return snapshot.scope_reason(entry.path)


def drifted(baseline: Baseline, runs: list[ToolRun]) -> list[Drift]:
    """What changed since the baseline, per tool and target: a version or database date of
    today that is none of those the baseline recorded for that target.  A target the
    baseline has no record of is compared with the tool's records from before targets were
    recorded, if any; a target scanned for the first time is no drift."""
    changes: dict[tuple[str, str | None], Drift] = {}
    for run in runs:
        records = baseline.tools.get(run.tool)
        if not records or run.status is not RunStatus.ok:
            continue
        for target in _run_targets(run):
            known = [r for r in records if not r.target_unknown and r.target == target]
            known = known or [r for r in records if r.target_unknown]
            change = _change(run, target, known)
            if change is not None:
                changes.setdefault((run.tool, target), change)
    return [changes[key] for key in sorted(changes, key=lambda k: (k[0], k[1] or ""))]


def _change(run: ToolRun, target: str | None, known: list[ToolInfo]) -> Drift | None:
    versions = sorted({r.version for r in known if r.version})
    dates = sorted({r.database_date for r in known if r.database_date})
    new_version = run.version if run.version and versions and run.version not in versions else None
    new_date = (
        run.database_date
        if run.database_date and dates and run.database_date not in dates
        else None
    )
    if new_version is None and new_date is None:
        return None
    return Drift(
        tool=run.tool,
        target=target,
        old_versions=versions if new_version else [],
        new_version=new_version,
        old_database_dates=dates if new_date else [],
        new_database_date=new_date,
    )


def update(baseline: Baseline, report: Report, today: date) -> Baseline:
    """Today's state: add new findings, drop fixed untriaged ones, keep unknown and triaged.

    ``report`` must have been diffed against ``baseline`` (every finding has a state).
    """
    entries: dict[str, BaselineEntry] = {}
    for finding in report.findings:
        old = baseline.entries.get(finding.fingerprint)
        if finding.state is State.fixed:
            if old is not None and old.triaged:
                entries[finding.fingerprint] = old
            continue
        if finding.state is State.unknown:
            if old is not None:
                entries[finding.fingerprint] = old
            continue
        fresh = summarize(finding, old.first_seen if old else today.isoformat())
        if old is not None:
            fresh.triage, fresh.reason, fresh.expires = old.triage, old.reason, old.expires
        entries[finding.fingerprint] = fresh
    tools = _tool_records(baseline.tools, report.runs)
    prefixes = sorted(set(baseline.strip_prefixes) | set(report.path_settings.strip_prefixes))
    return Baseline(
        tools=dict(sorted(tools.items())),
        strip_prefixes=prefixes,
        entries=dict(sorted(entries.items())),
    )


def _tool_records(
    recorded: dict[str, list[ToolInfo]], runs: list[ToolRun]
) -> dict[str, list[ToolInfo]]:
    """The baseline's tool records after today's runs: each target scanned today is recorded
    with every version and database date it was scanned with today (several reports of one
    target at different versions each count); targets not scanned today keep their records,
    and records from before targets were recorded go once the tool has run."""
    today: dict[str, dict[str | None, list[ToolInfo]]] = {}
    for run in runs:
        if run.status is not RunStatus.ok:
            continue
        for target in _run_targets(run):
            info = ToolInfo(target=target, version=run.version, database_date=run.database_date)
            known = today.setdefault(run.tool, {}).setdefault(target, [])
            if info not in known:
                known.append(info)
    tools: dict[str, list[ToolInfo]] = {}
    for tool in sorted(set(recorded) | set(today)):
        fresh = today.get(tool, {})
        kept = [
            info
            for info in recorded.get(tool, [])
            if info.target not in fresh and not (info.target_unknown and fresh)
        ]
        records = kept + [info for infos in fresh.values() for info in infos]
        tools[tool] = sorted(records, key=ToolInfo.sort_key)
    return tools

"""aggregate: discover -> parse -> normalize paths -> fingerprint -> filter -> merge -> report.

Usable without the CLI: build ``AggregateOptions`` and call ``aggregate``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from hardening import __version__, correlate, diff, discover, gate
from hardening.baseline import Baseline
from hardening.config import GateConfig, SeverityOverride
from hardening.errors import ConfigError, HardeningError
from hardening.filters import SnapshotFilter, go_build_input, reason_phrase
from hardening.model import (
    FILTERED_BY,
    ArtifactOutcome,
    Completeness,
    FilterCounts,
    Finding,
    PathSettings,
    Report,
    RunStatus,
    SkippedArtifact,
    State,
    ToolRun,
    Totals,
)
from hardening.paths import PathNormalizer
from hardening.profiles import PROFILES, Profile
from hardening.progress import Progress
from hardening.reading import read_artifact
from hardening.redact import KnownSecrets, screen_findings

#: How many places a merged finding lists beyond its first.
MAX_RELATED = 20


@dataclass
class AggregateOptions:
    paths: Sequence[Path] = ()
    forced: Sequence[tuple[str, Path]] = ()
    profile: str | None = None
    strip_prefixes: Sequence[str] = ()
    snapshot: SnapshotFilter = field(default_factory=SnapshotFilter)
    max_bytes: int = 2 * 1024**3
    severity_overrides: Sequence[SeverityOverride] = ()
    gate: GateConfig = field(default_factory=GateConfig)
    #: --fail-on: the gates enforced, each ``STATES:SEVERITY`` (the CLI exits 1 when one
    #: fires, or when the run is incomplete and none fired); ``gate`` is still simulated.
    fail_on: Sequence[str] = ()
    baseline: Baseline | None = None
    baseline_origin: str | None = None
    #: --compare-to: the target branch's findings.json as the reference for new and fixed.
    compare_to: Report | None = None
    compare_to_origin: str | None = None
    #: The reference already summarized (``diff.reference_from_file``, as the CLI reads
    #: --compare-to); wins over ``compare_to``.
    reference: diff.Reference | None = None
    today: date = field(default_factory=date.today)
    #: A progress display told about each artifact before it is read, then about merging;
    #: the caller closes it.
    progress: Progress | None = None
    #: URL prefix of the project's files at the scanned commit: the outputs link into it.
    link_base: str | None = None
    #: The files the merge request changed (listed first); None when not known.
    changed_files: Sequence[str] | None = None
    #: Said first among the report's warnings (a --compare-to file that could not be used).
    warnings: Sequence[str] = ()
    #: When this report is written (``model.utc_now()``); None leaves it out.
    created: str | None = None


def compare_to(options: AggregateOptions, path: Path) -> None:
    """Judge new and fixed against the target branch's findings.json at ``path`` (a file, or
    a folder holding one, as ``comment`` takes it).

    In CI that file is often absent, empty or cut short (a download that failed): the run then
    goes on against the baseline (an empty one when there is none) and says so in its first
    warning. A file that is plainly something else (another tool's report, a baseline, one of
    hardening's other outputs) is a usage mistake that would repeat in every pipeline: a
    ``ConfigError``, exit 2."""
    has_baseline = options.baseline is not None
    if options.baseline is None:
        options.baseline = Baseline()
    fallback = (
        "new and fixed are judged against the baseline instead"
        if has_baseline
        else "with no baseline either, every finding is new"
    )
    if path.is_dir():
        path = path / "findings.json"
    if not path.is_file():
        reason = "no such file" if not path.exists() else "not a file"
        options.warnings = [*options.warnings, f"--compare-to {path}: {reason}; {fallback}"]
        return
    try:
        options.reference = diff.reference_from_file(path, options.today)
    except HardeningError as exc:
        wrong = _another_kind_of_file(path)
        if wrong is not None:
            raise ConfigError(f"--compare-to {path} {wrong}") from None
        options.warnings = [*options.warnings, f"--compare-to {exc}; {fallback}"]


def _another_kind_of_file(path: Path) -> str | None:
    """What discovery plainly takes ``path`` for when it is not a hardening findings.json
    ("is a gosec report, not a hardening findings.json"), or None when it may be one that is
    broken or cut short, or nothing at all (empty, unrecognised)."""
    try:
        choice = discover.identify(path)
    except OSError:
        return None
    if choice.parser is not None:
        if not choice.parser.tool:  # hardening's own findings.json reader
            return None
        return f"is a {choice.parser.tool} report, not a hardening findings.json"
    if not choice.recognised or choice.skip_reason is None:
        return None  # empty, a temporary file, unrecognised: the reader's reason says more
    return f"is not a hardening findings.json ({choice.skip_reason})"


def aggregate(options: AggregateOptions) -> Report:
    profile = PROFILES[options.profile] if options.profile else None
    recorded = [*(options.baseline.strip_prefixes if options.baseline else [])]
    if options.reference is not None:
        recorded += options.reference.strip_prefixes
    elif options.compare_to is not None:
        recorded += options.compare_to.path_settings.strip_prefixes
    normalizer = PathNormalizer.from_settings([*options.strip_prefixes, *recorded])
    report = Report(generator_version=__version__, profile=options.profile)

    inputs = _inputs(options)
    outcomes: list[ArtifactOutcome] = []
    if options.progress:
        options.progress.begin([path for path, _, _, _ in inputs])
    for index, (path, name, tool, skip) in enumerate(inputs):
        if options.progress:
            options.progress.update(name, index, len(inputs))
        if skip is not None:
            outcomes.append(ArtifactOutcome(name, skipped=SkippedArtifact(path=name, reason=skip)))
            continue
        outcomes.append(
            read_artifact(
                path,
                name,
                normalizer,
                forced_tool=tool,
                max_bytes=options.max_bytes,
                source_root=source.root if (source := options.snapshot.source) else None,
                screen=False,
                on_read=options.progress.reached if options.progress else None,
            )
        )
    if options.progress:
        count = sum(len(outcome.findings) for outcome in outcomes)
        doing = "merging and diffing" if options.baseline else "merging"
        options.progress.stage(f"{doing} {count:,} findings")

    findings: list[Finding] = []
    prefixes: set[str] = set(normalizer.prefixes)
    absolute = 0
    for outcome in outcomes:
        if outcome.skipped is not None:
            report.skipped.append(outcome.skipped)
            continue
        runs, kept = _within_profile(outcome, profile, report)
        report.runs.extend(runs)
        for finding in kept:
            finding.identity = ()  # fingerprinted: its inputs are not needed any more
            finding.previous_identity = None
        findings.extend(kept)
        prefixes |= outcome.prefixes_used
        absolute += outcome.absolute_paths

    report.runs = _drop_relayed_runs(report.runs)
    if profile is not None:
        report.runs.extend(_missing_runs(profile, report.runs))
    elif not report.runs:
        # Without a profile no tool is expected, so an empty folder would read as all clear.
        report.warnings.append(
            "no scanner report was read, so this summary says nothing about any tool: "
            "check that the jobs writing the reports ran and passed them on"
        )

    report.warnings.extend(_scanned_excluded(report.runs, options.snapshot))
    kept, dropped, avoidable = options.snapshot.split_counted(findings)
    screen_findings(kept)  # after the filters, which read the raw paths from the source tree
    _mask_known_secrets(outcomes, kept, report.runs)
    report.filtered = FilterCounts(by_reason=dict(sorted(dropped.items())))
    if avoidable:
        report.warnings.append(_dropped_advice(avoidable))
    report.findings = merge(kept)
    report.path_settings = PathSettings(strip_prefixes=sorted(prefixes))
    if absolute:
        report.warnings.append(
            f"{absolute} finding path(s) stayed absolute: pass --strip-prefix with the scan "
            "root so fingerprints stay stable across machines"
        )
    gate.apply_overrides(report.findings, options.severity_overrides)
    if any(run.tool == "govulncheck" for run in report.runs):
        report.reachability = correlate.carry_reachability(report.findings, report.runs)
    if options.baseline is None:
        _mark_suppressed(report.findings)
    else:
        reference = options.reference
        if reference is None and options.compare_to is not None:
            reference = diff.reference_from_report(
                options.compare_to, options.compare_to_origin or "compare-to", options.today
            )
        diff.apply(
            report,
            options.baseline,
            options.snapshot,
            options.today,
            baseline_origin=options.baseline_origin,
            reference=reference,
        )
        _count_filtered_entries(report, findings, options.snapshot)
    report.findings = sort_findings(report.findings)
    source = options.snapshot.source
    if source is not None and source.refused:
        reasons = ", ".join(sorted(set(source.refused.values())))
        report.warnings.append(
            f"{len(source.refused)} finding path(s) could not be looked up under --source-root "
            f"({reasons}): their findings are kept with the path as given"
        )
    report.completeness = Completeness.of(report.runs)
    report.totals = Totals.of(report)
    report.gate = gate.evaluate(report, options.gate, enforced=options.fail_on)
    report.calibration = gate.calibration(report, options.gate)
    report.warnings[:0] = options.warnings
    report.link_base = options.link_base
    report.created = options.created
    report.changed_files = (
        list(options.changed_files) if options.changed_files is not None else None
    )
    return report


def _count_filtered_entries(report: Report, read: list[Finding], snapshot: SnapshotFilter) -> None:
    """Baseline entries today's filters exclude are counted with the filtered findings, once:
    an entry whose finding was read and dropped today is in the counts already."""
    entries = [f for f in report.findings if f.filtered]
    if not entries:
        return
    dropped = {f.fingerprint for f in read if snapshot.finding_reason(f) is not None}
    by_reason = dict(report.filtered.by_reason)
    for entry in entries:
        if entry.fingerprint not in dropped:
            reason = str(entry.properties[FILTERED_BY])
            by_reason[reason] = by_reason.get(reason, 0) + 1
    report.filtered = FilterCounts(by_reason=dict(sorted(by_reason.items())))


def _mark_suppressed(findings: list[Finding]) -> None:
    """Without a baseline the only state a finding can have is its own suppression: marked,
    so every output shows it as suppressed and no total counts it as open."""
    for finding in findings:
        if finding.suppression is not None:
            finding.state = State.suppressed


def _mask_known_secrets(
    outcomes: list[ArtifactOutcome], findings: list[Finding], runs: list[ToolRun]
) -> None:
    """A secret a secret scanner reported is masked wherever any finding of the run quotes it
    (semgrep's message on the same line, a snippet, a ZAP evidence): one search per text."""
    known = KnownSecrets(secret for outcome in outcomes for secret in outcome.secrets)
    for outcome in outcomes:
        outcome.secrets = set()  # kept no longer than needed
    if not known:
        return
    for finding in findings:
        known.mask_finding(finding)
    for run in runs:
        known.mask_run(run)


#: The advice both warnings end with.
SNAPSHOT_ADVICE = "scan a tracked-source snapshot (`hardening snapshot`)"


def _scanned_excluded(runs: list[ToolRun], snapshot: SnapshotFilter) -> list[str]:
    """Count, per run, the paths its tool says it scanned that the filters drop (semgrep's
    ``paths.scanned``): a scanner that read caches or generated code.  One warning each."""
    warnings = []
    for run in runs:
        if not run.scanned_paths:
            continue
        counts: dict[str, int] = {}
        build_inputs = 0
        for path in run.scanned_paths:
            why = snapshot.reason(path)
            if why is not None:
                counts[why] = counts.get(why, 0) + 1
                build_inputs += go_build_input(path, why)
        run.scanned_excluded = dict(sorted(counts.items()))
        if counts:
            warnings.append(_excluded_warning(run, counts, build_inputs))
    return warnings


def _excluded_warning(run: ToolRun, counts: dict[str, int], build_inputs: int) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    # "300 files under `.cache/` and 1 under `node_modules/`": the noun said once.
    phrases = [
        reason_phrase(reason, n, "file" if i == 0 else None)
        for i, (reason, n) in enumerate(ordered)
    ]
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    total = sum(counts.values())
    share = total * 100 / len(run.scanned_paths or [1])
    percent = "<1%" if share < 1 else f"{share:.0f}%"
    where = f" ({run.artifact})" if run.artifact else ""
    if build_inputs == total:
        advice = (
            "Go build inputs that `hardening snapshot` keeps for gosec; "
            "`hardening snapshot --drop-build-inputs` leaves them out for other scanners"
        )
    else:
        advice = SNAPSHOT_ADVICE
    return f"{run.tool}{where} scanned {listed} ({percent} of what it scanned): {advice}"


def _dropped_advice(avoidable: dict[str, int]) -> str:
    ordered = sorted(avoidable.items(), key=lambda item: (-item[1], item[0]))
    total = sum(avoidable.values())
    listed = ", ".join(reason_phrase(reason, n, "finding") for reason, n in ordered)
    return (
        f"{total:,} finding(s) were in paths the default excludes drop ({listed}): "
        f"{SNAPSHOT_ADVICE}, so scanners do not spend their time there"
    )


def _inputs(options: AggregateOptions) -> list[tuple[Path, str, str | None, str | None]]:
    """(path, name shown, forced tool, skip reason) of every entry to account for, each file
    once however many routes lead to it."""
    forced_paths = {_real(path): tool for tool, path in options.forced}
    seen: set[str] = set()
    items: list[tuple[Path, str, str | None, str | None]] = []
    for tool, path in options.forced:
        resolved = _real(path)
        if resolved not in seen:
            seen.add(resolved)
            items.append((path, path.as_posix(), tool, None))
    for walked in discover.walk(options.paths):
        if walked.skip_reason is not None:
            items.append((walked.path, walked.name, None, walked.skip_reason))
            continue
        resolved = _real(walked.path)
        if resolved in seen:
            continue
        seen.add(resolved)
        items.append((walked.path, walked.name, forced_paths.get(resolved), None))
    return items


def _real(path: Path) -> str:
    """The path with every symbolic link resolved; never an error (a loop stays as given)."""
    return os.path.realpath(path)


def _within_profile(
    outcome: ArtifactOutcome, profile: Profile | None, report: Report
) -> tuple[list[ToolRun], list[Finding]]:
    """Runs and findings of tools the profile expects; the rest is skipped, with a reason."""
    if profile is None:
        return outcome.runs, outcome.findings
    runs = [run for run in outcome.runs if _accepted(profile, run)]
    outside = sorted({run.tool for run in outcome.runs} - {run.tool for run in runs})
    if outside:
        report.skipped.append(
            SkippedArtifact(
                path=outcome.name,
                reason=f"outside profile {profile.name} ({', '.join(outside)})",
            )
        )
    tools = {run.tool for run in runs}
    return runs, [f for f in outcome.findings if f.tool in tools]


def _accepted(profile: Profile, run: ToolRun) -> bool:
    if run.tool in profile.expected:
        return True
    # Another tool's SARIF (CodeQL, Grype...) is read by profiles that take any SARIF.
    return profile.other_sarif and run.format == "sarif"


def _drop_relayed_runs(runs: list[ToolRun]) -> list[ToolRun]:
    """A run relayed through an upstream findings.json is dropped when the raw report of the
    same tool was read too, so a tool is not listed (or counted) twice."""
    raw_tools = {run.tool for run in runs if not run.properties.get("relayed_from")}
    return [
        run for run in runs if not (run.properties.get("relayed_from") and run.tool in raw_tools)
    ]


def _missing_runs(profile: Profile, runs: list[ToolRun]) -> list[ToolRun]:
    present = {run.tool for run in runs}
    return [
        ToolRun(tool=tool, status=RunStatus.missing, error="expected, but no artifact was found")
        for tool in profile.expected
        if tool not in present
    ]


def merge(findings: list[Finding]) -> list[Finding]:
    """One finding per fingerprint, keeping every place and artifact it was seen in."""
    merged: dict[str, Finding] = {}
    for finding in findings:
        kept = merged.get(finding.fingerprint)
        if kept is None:
            merged[finding.fingerprint] = finding
            continue
        kept.occurrences += finding.occurrences
        if finding.previous_fingerprint and not kept.previous_fingerprint:
            # A v1 baseline may know it by either report (govulncheck's SARIF, not its JSON).
            kept.previous_fingerprint = finding.previous_fingerprint
        # A finding's sequences may be shared (see Finding): replaced, never appended to.
        if finding.artifacts != kept.artifacts:
            kept.artifacts = _union(kept.artifacts, finding.artifacts)
        if finding.commits:
            kept.commits = _union(kept.commits, finding.commits)
        if finding.severity.rank > kept.severity.rank:
            kept.severity = finding.severity
        if (
            finding.location is not None
            and finding.location != kept.location
            and finding.location not in kept.related_locations
            and len(kept.related_locations) < MAX_RELATED
        ):
            kept.related_locations = [*kept.related_locations, finding.location]
    return list(merged.values())


def _union(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """``first`` then what ``second`` adds, in order."""
    return list(dict.fromkeys([*first, *second]))


def sort_findings(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding) -> tuple[int, int, str, str, int, str]:
        line = f.location.start_line or 0 if f.location else 0
        state = State.RANK[f.state] if f.state else 0
        return (state, -f.severity.rank, f.tool, f.path or "", line, f.fingerprint)

    return sorted(findings, key=key)

"""Reading one artifact: identify, parse, normalize paths, fingerprint.

This is what ``hardening inspect`` shows and what ``aggregate`` does to every file before
filtering and merging.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hardening import discover, fingerprint
from hardening.errors import ParseError
from hardening.model import Finding, RunStatus, Severity, SkippedArtifact, ToolRun
from hardening.parsers.interface import Artifact, Parser
from hardening.paths import PathNormalizer, is_absolute
from hardening.redact import redact, screen_finding, screen_run


@dataclass
class ArtifactOutcome:
    """What became of one file: parsed into runs and findings, skipped, or failed."""

    name: str
    parser: type[Parser] | None = None
    runs: list[ToolRun] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: SkippedArtifact | None = None
    prefixes_used: set[str] = field(default_factory=set)
    absolute_paths: int = 0
    #: The exact secret values the parser hashed: the run masks them wherever another finding
    #: quotes them (``redact.KnownSecrets``).  Never written anywhere.
    secrets: set[str] = field(default_factory=set, repr=False)

    @property
    def failed(self) -> bool:
        return any(run.status is RunStatus.failed for run in self.runs)


def read_artifact(
    path: Path,
    name: str,
    normalizer: PathNormalizer,
    forced_tool: str | None = None,
    max_bytes: int = 2 * 1024**3,
    source_root: Path | None = None,
    screen: bool = True,
) -> ArtifactOutcome:
    """Read one artifact.  Its findings' paths, URLs and properties are screened
    (``redact.screen_finding``) unless ``screen`` is False: ``aggregate`` screens after the
    source-snapshot filters, which look the raw paths up in the source tree and in git."""
    outcome = ArtifactOutcome(name=name)
    reason = discover.unreadable(path)
    if reason is not None:
        outcome.skipped = SkippedArtifact(path=name, reason=reason)
        return outcome
    try:
        choice = discover.forced(forced_tool, path) if forced_tool else discover.identify(path)
    except OSError as exc:
        outcome.skipped = SkippedArtifact(path=name, reason=f"cannot read: {exc.strerror}")
        return outcome
    if choice.parser is None:
        outcome.skipped = SkippedArtifact(path=name, reason=choice.skip_reason or "not claimed")
        return outcome
    parser_cls = choice.parser
    outcome.parser = parser_cls
    try:
        artifact = Artifact(path=path, name=name, max_bytes=max_bytes, source_root=source_root)
        with fingerprint.collecting_secrets() as outcome.secrets:
            result = parser_cls().parse(artifact)
    except ParseError as exc:
        reason = str(exc) + (_forced_hint(path, parser_cls) if forced_tool else "")
        outcome.runs = [_failed_run(parser_cls, name, reason)]
        return outcome
    except OSError as exc:
        outcome.runs = [_failed_run(parser_cls, name, f"cannot read: {exc.strerror}")]
        return outcome
    except (RecursionError, MemoryError) as exc:
        outcome.runs = [
            _failed_run(parser_cls, name, f"report too deep or large ({type(exc).__name__})")
        ]
        return outcome
    except Exception as exc:  # a parser bug must not lose the other artifacts
        reason = f"unexpected {type(exc).__name__} in {parser_cls.name} parser: {exc}"
        outcome.runs = [_failed_run(parser_cls, name, reason)]
        return outcome

    for run in result.runs:
        run.artifact = run.artifact or name
        if run.format is None:
            run.format = parser_cls.format
        if run.information_uri is None:
            run.information_uri = discover.home_page(run.tool)
        if run.scanned_paths and not result.fingerprinted:
            run.scanned_paths = [normalizer.normalize(p)[0] for p in run.scanned_paths]
    if not result.fingerprinted:
        normalize = _remembering(normalizer)
        for run in result.runs:
            run.targets = sorted({_target(t, normalize, outcome) for t in run.targets})
        artifacts = (name,)  # one tuple shared by all of this artifact's findings
        for finding in result.findings:
            finding.artifact = name
            finding.artifacts = artifacts
            _normalize_locations(finding, normalize, outcome)
            if finding.target is not None:
                finding.target = _target(finding.target, normalize, outcome)
        fingerprint.assign(result.findings)
        _count(result.runs, result.findings)
    # After fingerprints: identity keeps the raw paths and URLs, outputs get them screened.
    if screen:
        for finding in result.findings:
            screen_finding(finding)
    for run in result.runs:
        screen_run(run)
    outcome.runs = result.runs
    outcome.findings = result.findings
    return outcome


def _remembering(normalizer: PathNormalizer) -> Callable[[str], tuple[str, str | None]]:
    """``normalizer.normalize``, once per distinct path of an artifact (findings share paths,
    and then one normalized string)."""
    seen: dict[str, tuple[str, str | None]] = {}

    def normalize(raw: str) -> tuple[str, str | None]:
        known = seen.get(raw)
        if known is None:
            known = seen[raw] = normalizer.normalize(raw)
        return known

    return normalize


def _target(
    target: str, normalize: Callable[[str], tuple[str, str | None]], outcome: ArtifactOutcome
) -> str:
    """A scan target that is an absolute folder (``trivy fs /builds/group/project``) made
    relative like a finding's path, so a CI run and a local one name it alike; the checkout's
    root itself is ``.``.  Images, URLs and relative paths are kept as they are."""
    if not is_absolute(target):
        return target
    folder, prefix = normalize(target.rstrip("/") + "/")
    if prefix is None:
        return target
    outcome.prefixes_used.add(prefix)
    return folder.rstrip("/") or "."


def _normalize_locations(
    finding: Finding, normalize: Callable[[str], tuple[str, str | None]], outcome: ArtifactOutcome
) -> None:
    locations = [finding.location] if finding.location else []
    locations.extend(finding.related_locations)
    for loc in locations:
        if loc is None:
            continue
        loc.path, prefix = normalize(loc.path)
        if prefix:
            outcome.prefixes_used.add(prefix)
        elif is_absolute(loc.path) and loc is finding.location:
            outcome.absolute_paths += 1


def _count(runs: list[ToolRun], findings: list[Finding]) -> None:
    by_tool: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in findings:
        by_tool[finding.tool][finding.severity.value] += 1
    for run in runs:
        counts = by_tool.get(run.tool, Counter())
        run.findings = sum(counts.values())
        run.severity_counts = {s.value: counts[s.value] for s in Severity if counts[s.value]}


def _forced_hint(path: Path, forced: type[Parser]) -> str:
    """Why a forced parser failed, when the content says: another tool's report, or a format
    a parser recognises in order to skip it (a JUnit export)."""
    try:
        choice = discover.identify(path)
    except OSError:
        return ""
    claimed = choice.parser
    if claimed is None:
        recognised = choice.skip_reason and not choice.skip_reason.endswith(_UNRECOGNISED)
        return f" ({choice.skip_reason})" if recognised else ""
    if claimed is forced or (claimed.tool and claimed.tool == forced.tool):
        return ""
    return f" (the file looks like a {claimed.tool or claimed.name} {claimed.format} report)"


#: Endings of discover.identify's reasons for files no parser claimed at all.
_UNRECOGNISED = ("no parser recognises this file", "of unknown tool")


def _failed_run(parser_cls: type[Parser], name: str, reason: str) -> ToolRun:
    return ToolRun(
        tool=parser_cls.tool or parser_cls.name,
        format=parser_cls.format,
        artifact=name,
        status=RunStatus.failed,
        error=_one_line_reason(reason),
    )


def _one_line_reason(reason: str, limit: int = 300) -> str:
    """Parsers promise one-line reasons without secrets; this holds it for third-party parsers
    and exception texts too, since the reason reaches every output."""
    line = " ".join(redact(reason).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

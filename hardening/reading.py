"""Reading one artifact: identify, parse, normalize paths, fingerprint.

This is what ``hardening inspect`` shows and what ``aggregate`` does to every file before
filtering and merging.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from hardening import discover, fingerprint
from hardening.errors import ParseError
from hardening.jsonread import OnRead
from hardening.model import (
    ArtifactOutcome,
    Finding,
    RunStatus,
    Severity,
    SkippedArtifact,
    ToolRun,
    counts_by_tool,
)
from hardening.parsers.interface import Artifact, Parser
from hardening.paths import PathNormalizer, is_absolute
from hardening.redact import redact, screen_findings, screen_run


def read_artifact(
    path: Path,
    name: str,
    normalizer: PathNormalizer,
    forced_tool: str | None = None,
    max_bytes: int = 2 * 1024**3,
    source_root: Path | None = None,
    screen: bool = True,
    on_read: OnRead | None = None,
) -> ArtifactOutcome:
    """Read one artifact.  Its findings' paths, URLs and properties are screened
    (``redact.screen_findings``) unless ``screen`` is False: ``aggregate`` screens after the
    source-snapshot filters, which look the raw paths up in the source tree and in git.
    ``on_read`` is the artifact's (a progress display following the parser's reading)."""
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
        artifact = Artifact(
            path=path, name=name, max_bytes=max_bytes, source_root=source_root, on_read=on_read
        )
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
    oversized: list[Finding] = []
    if not result.fingerprinted:
        normalize = _remembering(normalizer)
        for run in result.runs:
            run.targets = sorted({_target(t, normalize, outcome) for t in run.targets})
        artifacts = (name,)  # one tuple shared by all of this artifact's findings
        for finding in result.findings:
            finding.artifact = name
            finding.artifacts = artifacts
            located = _normalize_locations(finding, normalize, outcome)
            if finding.target is not None:
                finding.target = _target(finding.target, normalize, outcome)
            if located or len(finding.message) > _LONG or len(finding.title) > _LONG:
                oversized.append(finding)
        fingerprint.assign(result.findings)
        _count(result.runs, result.findings)
    else:  # hardening's own findings.json, maybe hand-edited: bounded the same way
        oversized = [finding for finding in result.findings if _oversized(finding)]
    if oversized:
        _bound(oversized, result.runs)  # after fingerprinting: a cut never changes identity
    # After fingerprints: identity keeps the raw paths and URLs, outputs get them screened.
    if screen:
        screen_findings(result.findings)
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
) -> bool:
    """Normalize the finding's paths; True when a location holds a value to bound."""
    locations = [finding.location] if finding.location else []
    locations.extend(finding.related_locations)
    oversized = False
    for loc in locations:
        if loc is None:
            continue
        loc.path, prefix = normalize(loc.path)
        if prefix:
            outcome.prefixes_used.add(prefix)
        elif is_absolute(loc.path) and loc is finding.location:
            outcome.absolute_paths += 1
        if (
            (loc.start_line or 0) > MAX_LINE
            or (loc.end_line or 0) > MAX_LINE
            or (loc.snippet is not None and len(loc.snippet) > _LONG)
            or (loc.start_column or 0) > MAX_LINE
            or (loc.end_column or 0) > MAX_LINE
        ):
            oversized = True
    return oversized


# Bounds on what one value of a report may hold, applied once here (every output reads the
# bounded finding): a 50 MB message would otherwise be repeated in each of five outputs, and
# a line number beyond 2^31 is refused by SARIF consumers and databases.
#: Line and column numbers above this are dropped (the finding is kept).
MAX_LINE = 2**31 - 1
#: Messages, snippets and titles are cut to this many UTF-8 bytes, a marker included.
MAX_TEXT_BYTES = 64 * 1024
#: Texts longer than this many characters may be above MAX_TEXT_BYTES (4 bytes a character
#: at most): only those are measured.
_LONG = MAX_TEXT_BYTES // 4


def _oversized(finding: Finding) -> bool:
    if len(finding.message) > _LONG or len(finding.title) > _LONG:
        return True
    for loc in (finding.location, *finding.related_locations):
        if loc is None:
            continue
        numbers = (loc.start_line, loc.end_line, loc.start_column, loc.end_column)
        if any((n or 0) > MAX_LINE for n in numbers):
            return True
        if loc.snippet is not None and len(loc.snippet) > _LONG:
            return True
    return False


def _bound(findings: list[Finding], runs: list[ToolRun]) -> None:
    """Drop line numbers beyond 2^31 and cut texts over 64 KiB, saying so on the tool's run."""
    dropped: Counter[str] = Counter()
    cut: Counter[str] = Counter()
    for finding in findings:
        for name in ("message", "title"):
            text = getattr(finding, name)
            bounded = cut_text(text)
            if bounded is not text:
                setattr(finding, name, bounded)
                cut[finding.tool] += 1
        for loc in (finding.location, *finding.related_locations):
            if loc is None:
                continue
            numbers = ("start_line", "end_line", "start_column", "end_column")
            beyond = [name for name in numbers if (getattr(loc, name) or 0) > MAX_LINE]
            for name in beyond:
                setattr(loc, name, None)
            if beyond:
                dropped[finding.tool] += 1
            if loc.snippet is not None:
                snippet = cut_text(loc.snippet)
                if snippet is not loc.snippet:
                    loc.snippet = snippet
                    cut[finding.tool] += 1
    for tool in sorted(set(dropped) | set(cut)):
        run = next((r for r in runs if r.tool == tool), runs[0] if runs else None)
        if run is None:
            continue
        if dropped[tool]:
            run.warnings.append(
                f"{dropped[tool]} location(s) with a line or column number beyond 2^31: "
                "the number dropped, the finding kept"
            )
        if cut[tool]:
            run.warnings.append(
                f"{cut[tool]} message(s), title(s) or snippet(s) over 64 KiB cut to 64 KiB"
            )


def cut_text(text: str) -> str:
    """``text`` itself when it fits in MAX_TEXT_BYTES of UTF-8, else its start and a marker
    saying how much was cut, within that size."""
    if len(text) <= _LONG:
        return text
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_TEXT_BYTES:
        return text
    marker = f" … [cut by hardening: {size:,} bytes in all]"
    room = MAX_TEXT_BYTES - len(marker.encode("utf-8"))
    kept = text[:room]
    while len(kept.encode("utf-8", "surrogatepass")) > room:
        kept = kept[: len(kept) - max(1, (len(kept.encode("utf-8", "surrogatepass")) - room) // 4)]
    return kept + marker


def _count(runs: list[ToolRun], findings: list[Finding]) -> None:
    by_tool = counts_by_tool(findings)
    for run in runs:
        counts = by_tool.get(run.tool, Counter())
        run.findings = counts.total()
        run.severity_counts = {s.value: counts[s] for s in Severity if counts[s]}


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

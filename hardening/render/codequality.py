"""gl-code-quality-report.json: the GitLab Code Quality report, written as a stream.

A JSON array (UTF-8, no BOM) of issues with exactly the properties GitLab documents:
``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location`` (``path`` and
``lines.begin``).  GitLab ignores anything else, so nothing else is written.

Which findings: the open ones.  GitLab's merge-request widget compares this report with the
target branch's and calls whatever disappeared "resolved", so the report lists what is open
today: findings without a state (no baseline), new, unchanged, updated and expired ones.  Left
out: fixed (gone), unknown (not judged today; the SARIF output leaves them out too), and
accepted, false-positive and in-source suppressed findings, which a team has decided not to
act on; accepting a finding makes it leave the widget as resolved.

Mappings (DESIGN "Outputs"):

==================  ==========================================================================
severity            critical -> blocker, high -> critical, medium -> major, low -> minor,
                    info -> info
description         ``<tool>: <title> (<package> <version>, fixed in <version>)``, then
                    ``[not called]`` where govulncheck shows the vulnerable code is not called
check_name          ``<tool>:<rule_id>``
fingerprint         the v1 fingerprint (unique per finding after merging; a repeat is skipped);
                    for a finding built without the pipeline, a digest of its tool, kind, rule
                    and place and of how many such findings came before it: never its line
location.path       the code location's path; else, for a package, its lockfile, manifest or
                    image (``component.target``), its path in the artifact, or its purl or
                    name; for a DAST or API finding, the URL path of the endpoint; else the
                    artifact the finding was read from
location.lines      ``begin``: the start line, or 1 where there is none
==================  ==========================================================================
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hardening.model import CodeLocation, Component, Endpoint, Finding, Report, Severity, State
from hardening.render import jsonstream
from hardening.render.interface import Renderer, RenderSettings
from hardening.render.links import package_place, url_path, where
from hardening.render.text import one_line

SEVERITIES: dict[Severity, str] = {
    Severity.critical: "blocker",
    Severity.high: "critical",
    Severity.medium: "major",
    Severity.low: "minor",
    Severity.info: "info",
}

#: Longest description written; GitLab shows it as one line in the widget.
MAX_DESCRIPTION = 500


def write(report: Report, path: Path) -> None:
    """Write the open findings of ``report`` to ``path`` (atomically, one issue at a time)."""
    with jsonstream.atomic_text(path) as out:
        out.write("[")
        jsonstream.write_items(out, issues(report))
        out.write("]\n")


def render(report: Report) -> list[dict[str, Any]]:
    """Every issue in memory (for tests and small reports; ``write`` streams)."""
    return list(issues(report))


def issues(report: Report) -> Iterator[dict[str, Any]]:
    """One Code Quality issue per open finding, in report order, fingerprints unique."""
    seen: set[str] = set()
    occurrences: Counter[str] = Counter()
    # A rule's findings in files share their description: made once.
    descriptions: dict[tuple[str, str], str] = {}
    for finding in report.findings:
        if not is_open(finding):
            continue
        fingerprint = finding.fingerprint or _fallback_fingerprint(finding, occurrences)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        named = _plain_description(finding)
        text = descriptions.get(named) if named is not None else None
        if text is None:
            text = description(finding)
            if named is not None:
                descriptions[named] = text
        yield _issue(finding, fingerprint, text)


def is_open(finding: Finding) -> bool:
    return finding.suppression is None and State.is_open(finding.state)


def _issue(finding: Finding, fingerprint: str, text: str) -> dict[str, Any]:
    """The issue of ``finding``, whose ``description`` is ``text``."""
    line = finding.location.start_line if finding.location else None
    return {
        "description": text,
        "check_name": f"{finding.tool}:{finding.rule_id}",
        "fingerprint": fingerprint,
        "severity": SEVERITIES[finding.severity],
        "location": {
            "path": location_path(finding),
            "lines": {"begin": line if line and line > 0 else 1},
        },
    }


def description(finding: Finding) -> str:
    """``<tool>: <title>``, with the package or operation it is about (one line)."""
    text = f"{finding.tool}: {finding.title or finding.rule_id}"
    component = finding.component
    if component is not None:
        package = " ".join(p for p in (component.name, component.installed_version) if p)
        fixed = f", fixed in {component.fixed_version}" if component.fixed_version else ""
        text += f" ({package}{fixed})"
    elif finding.endpoint is not None and finding.location is None:
        endpoint = finding.endpoint
        text += f" ({' '.join(p for p in (endpoint.method, endpoint.url) if p)})"
    if finding.not_called:
        text += " [not called]"
    return one_line(text, MAX_DESCRIPTION)


def _plain_description(finding: Finding) -> tuple[str, str] | None:
    """What alone makes ``description(finding)`` when it names no package, operation or call
    verdict: the tool and the title (or rule); None when it does."""
    if finding.component is None and finding.location is not None and not finding.not_called:
        return (finding.tool, finding.title or finding.rule_id)
    return None


def location_path(finding: Finding) -> str:
    """The file GitLab attaches the issue to; a stable stand-in where there is no file."""
    place = where(finding)
    if isinstance(place, CodeLocation):
        return place.path
    if isinstance(place, Component):
        return package_place(place)
    if isinstance(place, Endpoint):
        # A bare origin has the root path: never the URL itself, which is no relative path.
        return url_path(place.url) or "/"
    return finding.artifact or (finding.artifacts[0] if finding.artifacts else finding.tool)


def _fallback_fingerprint(finding: Finding, occurrences: Counter[str]) -> str:
    """For a finding built without the pipeline (no fingerprint): stable from what it is and
    where, never from its line (a line moved by an edit above it is no new finding); a second
    alike finding in one place is told apart by its occurrence index, counted in
    ``occurrences`` in report order (as ``fingerprint`` does)."""
    parts = [finding.tool, finding.kind.value, finding.rule_id, location_path(finding)]
    base = "\x1f".join(parts)
    index = occurrences[base]
    occurrences[base] += 1
    text = f"{base}\x1f{index}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class CodeQuality(Renderer):
    file_name = "gl-code-quality-report.json"

    def write(self, report: Report, path: Path, settings: RenderSettings) -> None:
        write(report, path)


RENDERER = CodeQuality()

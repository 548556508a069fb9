"""Correlation across tools: govulncheck's reachability carried onto trivy's findings.

trivy reports every vulnerable Go module it finds in a binary or lockfile; govulncheck knows
whether the code actually calls the vulnerable symbol.  Where both report the same
vulnerability (matched through aliases: GO-, CVE-, GHSA- ids) in the same module, the trivy
finding carries govulncheck's reachability, so a reader sees which dependency findings the
code can reach.

Where govulncheck analysed the calls (a ``-scan symbol`` run, its default, of source or a
binary; not ``-mode query``) and found the vulnerable symbol not called, the finding is marked
``not_called``: govulncheck's own rule is that such a vulnerability does not fail a build, so
it never counts toward a gate, and every output says "not called".  Its own findings below
symbol level in such a run are marked too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from hardening.model import Finding, Kind, ReachabilitySummary, ToolRun

#: trivy's package types for Go modules (binaries and go.mod/go.sum).
GO_ECOSYSTEMS = frozenset({"gobinary", "gomod", "go"})
_RANK = {"symbol": 3, "package": 2, "module": 1}


def _ids(finding: Finding) -> set[str]:
    return {i.upper() for i in (finding.rule_id, *finding.identifiers)}


def carry_reachability(
    findings: Iterable[Finding], runs: Sequence[ToolRun] = ()
) -> ReachabilitySummary:
    """Set ``reachability`` on trivy Go dependency findings that govulncheck also reported,
    and ``not_called`` where a govulncheck run that analysed the calls shows they are not."""
    findings = list(findings)
    analysed = _call_analysing_artifacts(runs)
    known: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        if finding.tool != "govulncheck" or finding.component is None:
            continue
        if _rank(finding) < _RANK["symbol"] and _seen_in(finding, analysed):
            finding.not_called = True
        module = finding.component.name
        for identifier in _ids(finding):
            current = known.get((module, identifier))
            if current is None or _rank(finding) > _rank(current):
                known[(module, identifier)] = finding
    correlated = 0
    by_level: dict[str, int] = defaultdict(int)
    for finding in findings:
        component = finding.component
        if (
            finding.tool != "trivy"
            or finding.kind is not Kind.dependency
            or component is None
            or (component.ecosystem or "").lower() not in GO_ECOSYSTEMS
        ):
            continue
        matches = [
            known[key] for key in ((component.name, i) for i in _ids(finding)) if key in known
        ]
        if not matches:
            continue
        best = max(matches, key=_rank)
        finding.reachability = best.reachability
        finding.not_called = best.not_called
        finding.properties = {
            **finding.properties,
            "reachability_source": f"govulncheck {best.rule_id}",
        }
        correlated += 1
        by_level[best.reachability or "module"] += 1
    return ReachabilitySummary(
        correlated=correlated,
        reachable=by_level.get("symbol", 0),
        by_level=dict(sorted(by_level.items())),
    )


def _call_analysing_artifacts(runs: Sequence[ToolRun]) -> frozenset[str]:
    """The govulncheck artifacts whose run analysed calls down to the symbol."""
    return frozenset(
        run.artifact
        for run in runs
        if run.tool == "govulncheck"
        and run.artifact
        and run.properties.get("scan_level") == "symbol"
        and run.properties.get("scan_mode") != "query"
    )


def _seen_in(finding: Finding, artifacts: frozenset[str]) -> bool:
    return any(a in artifacts for a in (finding.artifacts or (finding.artifact,)))


def _rank(finding: Finding) -> int:
    return _RANK.get(finding.reachability or "", 0)

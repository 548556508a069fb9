"""Correlation across tools: govulncheck's reachability carried onto trivy's findings.

trivy reports every vulnerable Go module it finds in a binary or lockfile; govulncheck knows
whether the code actually calls the vulnerable symbol.  Where both report the same
vulnerability (matched through aliases: GO-, CVE-, GHSA- ids) in the same module, the trivy
finding carries govulncheck's reachability, so a reader sees which dependency findings the
code can reach.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hardening.model import Finding, Kind, ReachabilitySummary

#: trivy's package types for Go modules (binaries and go.mod/go.sum).
GO_ECOSYSTEMS = frozenset({"gobinary", "gomod", "go"})
_RANK = {"symbol": 3, "package": 2, "module": 1}


def _ids(finding: Finding) -> set[str]:
    return {i.upper() for i in (finding.rule_id, *finding.identifiers)}


def carry_reachability(findings: Iterable[Finding]) -> ReachabilitySummary:
    """Set ``reachability`` on trivy Go dependency findings that govulncheck also reported."""
    findings = list(findings)
    known: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        if finding.tool != "govulncheck" or finding.component is None:
            continue
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


def _rank(finding: Finding) -> int:
    return _RANK.get(finding.reachability or "", 0)

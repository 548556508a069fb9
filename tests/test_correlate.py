"""trivy's Go dependency findings carry govulncheck's reachability, matched through aliases."""

from __future__ import annotations

from hardening.correlate import carry_reachability
from hardening.model import Component, Finding, Kind, Severity
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import markdown
from support import SAMPLES


def govulncheck(osv: str, aliases: list[str], module: str, level: str) -> Finding:
    return Finding(
        tool="govulncheck",
        kind=Kind.dependency,
        rule_id=osv,
        title=osv,
        severity=Severity.high,
        identifiers=[osv, *aliases],
        reachability=level,
        component=Component(name=module, ecosystem="go"),
    )


def trivy(cve: str, module: str, ecosystem: str = "gobinary") -> Finding:
    return Finding(
        tool="trivy",
        kind=Kind.dependency,
        rule_id=cve,
        title=cve,
        severity=Severity.high,
        identifiers=[cve],
        component=Component(name=module, ecosystem=ecosystem),
    )


def test_same_vulnerability_in_the_same_module_is_correlated_through_aliases() -> None:
    findings = [
        govulncheck(
            "GO-2024-3250",
            ["CVE-2024-51744", "GHSA-29wx-vh33-7x7r"],
            "github.com/golang-jwt/jwt/v4",
            "symbol",
        ),
        trivy("CVE-2024-51744", "github.com/golang-jwt/jwt/v4"),
    ]
    summary = carry_reachability(findings)
    assert findings[1].reachability == "symbol"
    assert findings[1].properties["reachability_source"] == "govulncheck GO-2024-3250"
    assert (summary.correlated, summary.reachable) == (1, 1)


def test_other_module_or_ecosystem_is_not_correlated() -> None:
    findings = [
        govulncheck("GO-2024-1", ["CVE-2024-1"], "golang.org/x/net", "package"),
        trivy("CVE-2024-1", "golang.org/x/crypto"),
        trivy("CVE-2024-1", "golang.org/x/net", ecosystem="npm"),
    ]
    summary = carry_reachability(findings)
    assert [f.reachability for f in findings[1:]] == [None, None]
    assert summary.correlated == 0


def test_most_precise_level_wins_and_is_counted() -> None:
    findings = [
        govulncheck("GO-2024-2", ["CVE-2024-2"], "stdlib", "package"),
        govulncheck("GO-2024-2", ["CVE-2024-2"], "stdlib", "module"),
        trivy("CVE-2024-2", "stdlib"),
    ]
    summary = carry_reachability(findings)
    assert findings[2].reachability == "package"
    assert (summary.correlated, summary.reachable, summary.by_level) == (1, 0, {"package": 1})


def test_samples_summary_says_how_many_dependency_findings_are_reachable() -> None:
    report = aggregate(AggregateOptions(paths=[SAMPLES]))
    assert report.reachability is not None and report.reachability.reachable >= 1
    assert "called from the code" in markdown.render(report)

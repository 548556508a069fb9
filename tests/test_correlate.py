"""trivy's Go dependency findings carry govulncheck's reachability, matched through aliases."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardening.cli import cli
from hardening.correlate import carry_reachability
from hardening.model import Component, Finding, Kind, Severity
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import markdown
from support import SAMPLES

#: No CI variables: ``comment --dry-run`` prints the note it would post.
NO_CI = {
    name: None
    for name in ("CI", "GITLAB_CI", "CI_MERGE_REQUEST_IID", "GITHUB_ACTIONS", "GITHUB_EVENT_PATH")
}


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


# --- "not called", end to end -----------------------------------------------------------------

#: govulncheck (samples) reports GO-2023-2153, alias CVE-2023-39325, in golang.org/x/net at
#: package level in a symbol-level scan: imported, the vulnerable symbol not called.
RAPID_RESET = "CVE-2023-39325"


def trivy_binary(tmp_path: Path, cve: str = RAPID_RESET, severity: str = "HIGH") -> Path:
    """A trivy image report with one Go binary vulnerability."""
    report = {
        "SchemaVersion": 2,
        "ArtifactName": "registry.example.test/acme/api:1.0",
        "ArtifactType": "container_image",
        "Results": [
            {
                "Target": "app/api",
                "Class": "lang-pkgs",
                "Type": "gobinary",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": cve,
                        "PkgName": "golang.org/x/net",
                        "InstalledVersion": "v0.15.0",
                        "FixedVersion": "0.17.0",
                        "Title": "HTTP/2 rapid reset can cause excessive work in net/http",
                        "Severity": severity,
                    }
                ],
            }
        ],
    }
    path = tmp_path / "trivy.json"
    path.write_text(json.dumps(report))
    return path


def test_a_trivy_finding_govulncheck_shows_not_called_is_marked_and_leaves_the_gate(
    tmp_path: Path,
) -> None:
    report = aggregate(AggregateOptions(paths=[SAMPLES / "govulncheck", trivy_binary(tmp_path)]))
    (trivy_finding,) = [f for f in report.findings if f.tool == "trivy"]
    assert trivy_finding.reachability == "package" and trivy_finding.not_called
    assert report.gate is not None
    assert "trivy" not in report.gate.blocking
    assert report.gate.summary.endswith("(1 more not called)")


def test_govulncheck_findings_below_symbol_level_of_a_symbol_scan_are_not_called() -> None:
    report = aggregate(AggregateOptions(paths=[SAMPLES / "govulncheck"]))
    levels = {f.rule_id: (f.reachability, f.not_called) for f in report.findings}
    assert levels["GO-2024-3250"] == ("symbol", False)
    assert levels["GO-2023-2153"] == ("package", True)
    assert levels["GO-2024-3321"] == ("module", True)


def test_a_module_level_scan_claims_nothing_is_not_called(corpus: Path) -> None:
    report = aggregate(
        AggregateOptions(paths=[corpus / "govulncheck/vuln-source-module-level.json"])
    )
    assert report.findings and not any(f.not_called for f in report.findings)


def test_not_called_reads_in_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["aggregate", str(SAMPLES / "govulncheck"), str(trivy_binary(tmp_path)), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if RAPID_RESET in line]
    assert "[not called]" in line
    summary = (out / "summary.md").read_text()
    (row,) = [row for row in summary.splitlines() if RAPID_RESET in row and "golang.org" in row]
    assert "not called" in row
    assert "1 more not called" in summary
    comment = CliRunner().invoke(cli, ["comment", str(out), "--dry-run"], env=NO_CI)
    assert comment.exit_code == 0
    (row,) = [r for r in comment.output.splitlines() if RAPID_RESET in r and "golang.org" in r]
    assert "not called" in row
    sarif = json.loads((out / "hardening.sarif").read_text())
    (properties,) = [
        r["properties"]
        for run in sarif["runs"]
        for r in run["results"]
        if r["ruleId"] == RAPID_RESET
    ]
    assert properties["not_called"] is True and properties["reachability"] == "package"
    quality = json.loads((out / "gl-code-quality-report.json").read_text())
    (issue,) = [i for i in quality if i["check_name"] == f"trivy:{RAPID_RESET}"]
    assert issue["description"].endswith("[not called]")
    (finding,) = [
        f
        for f in json.loads((out / "findings.json").read_text())["findings"]
        if f["rule_id"] == RAPID_RESET
    ]
    assert finding["not_called"] is True
    assert '"nc":1' in (out / "report.html").read_text()

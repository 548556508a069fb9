"""gl-code-quality-report.json: GitLab Code Quality, open findings only, as GitLab documents it."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

from hardening.model import (
    CodeLocation,
    Component,
    Endpoint,
    Finding,
    Kind,
    Report,
    Severity,
    State,
    Suppression,
)
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import codequality
from support import SAMPLES, semgrep_finding

GITHUB_CANARY = "ghp_" + "Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8c"
REQUIRED = {"description", "check_name", "fingerprint", "severity", "location"}


def finding(fingerprint: str, **fields: Any) -> Finding:
    fields.setdefault("location", CodeLocation(path="cmd/api/main.go", start_line=7))
    return semgrep_finding(fingerprint, **fields)


def written(report: Report, tmp_path: Path) -> tuple[bytes, list[dict[str, Any]]]:
    path = tmp_path / "gl-code-quality-report.json"
    codequality.write(report, path)
    raw = path.read_bytes()
    return raw, json.loads(raw.decode("utf-8"))


def test_a_code_issue_in_full(tmp_path: Path) -> None:
    sql = finding(
        "0f3a",
        rule_id="go.sql-injection",
        title="SQL injection",
        severity=Severity.high,
        message="User input reaches db.Query.",
        location=CodeLocation(path="internal/store/db.go", start_line=42, end_line=44),
    )
    _, issues = written(Report(findings=[sql]), tmp_path)
    assert issues == [
        {
            "description": "semgrep: SQL injection",
            "check_name": "semgrep:go.sql-injection",
            "fingerprint": "0f3a",
            "severity": "critical",
            "location": {"path": "internal/store/db.go", "lines": {"begin": 42}},
        }
    ]


def test_severity_mapping() -> None:
    report = Report(findings=[finding(s.value, severity=s) for s in Severity])
    assert {i["fingerprint"]: i["severity"] for i in codequality.render(report)} == {
        "critical": "blocker",
        "high": "critical",
        "medium": "major",
        "low": "minor",
        "info": "info",
    }


def test_only_open_findings_are_issues() -> None:
    report = Report(findings=[finding(state.value, state=state) for state in State])
    report.findings.append(finding("no-baseline"))
    report.findings.append(
        finding("nosec", suppression=Suppression(kind="inSource", justification="test only"))
    )
    written_states = [i["fingerprint"] for i in codequality.render(report)]
    assert written_states == ["new", "unchanged", "updated", "expired", "no-baseline"]


def test_dependency_issues_point_at_lockfile_image_or_package() -> None:
    def dependency(fingerprint: str, **component: Any) -> Finding:
        return finding(
            fingerprint,
            tool="trivy",
            kind=Kind.dependency,
            rule_id="CVE-2024-27304",
            title="pgx: SQL injection",
            location=None,
            component=Component(name="github.com/jackc/pgx/v5", **component),
        )

    report = Report(
        findings=[
            dependency("lockfile", target="go.mod", installed_version="v5.5.3"),
            dependency("image", target="alpine:3.19 (alpine 3.19.1)"),
            dependency("in-image", package_path="usr/local/bin/api"),
            dependency("purl", purl="pkg:golang/github.com/jackc/pgx/v5@v5.5.3"),
            dependency("bare"),
        ]
    )
    issues = {i["fingerprint"]: i for i in codequality.render(report)}
    assert {fp: i["location"] for fp, i in issues.items()} == {
        "lockfile": {"path": "go.mod", "lines": {"begin": 1}},
        "image": {"path": "alpine:3.19 (alpine 3.19.1)", "lines": {"begin": 1}},
        "in-image": {"path": "usr/local/bin/api", "lines": {"begin": 1}},
        "purl": {"path": "pkg:golang/github.com/jackc/pgx/v5@v5.5.3", "lines": {"begin": 1}},
        "bare": {"path": "github.com/jackc/pgx/v5", "lines": {"begin": 1}},
    }
    assert issues["lockfile"]["description"] == (
        "trivy: pgx: SQL injection (github.com/jackc/pgx/v5 v5.5.3)"
    )


def test_dast_and_api_issues_point_at_the_endpoint_path() -> None:
    xss = finding(
        "xss",
        tool="zap",
        kind=Kind.dast,
        rule_id="40012",
        title="Cross Site Scripting (Reflected)",
        location=None,
        endpoint=Endpoint(method="GET", url="https://api.acme.test/v1/search?q=", param="q"),
    )
    (issue,) = codequality.render(Report(findings=[xss]))
    assert issue["location"] == {"path": "/v1/search", "lines": {"begin": 1}}
    assert issue["check_name"] == "zap:40012"
    assert issue["description"] == (
        "zap: Cross Site Scripting (Reflected) (GET https://api.acme.test/v1/search?q=)"
    )


def test_an_endpoint_at_a_bare_origin_points_at_the_root_path() -> None:
    # GitLab wants a relative path; a ZAP alert on "https://mainsite.com" has the root path.
    header = finding(
        "header",
        tool="zap",
        kind=Kind.dast,
        location=None,
        endpoint=Endpoint(method="GET", url="https://mainsite.com"),
    )
    (issue,) = codequality.render(Report(findings=[header]))
    assert issue["location"] == {"path": "/", "lines": {"begin": 1}}


def test_missing_or_bad_line_begins_at_1() -> None:
    report = Report(
        findings=[
            finding("none", location=CodeLocation(path="a.go")),
            finding("zero", location=CodeLocation(path="a.go", start_line=0)),
        ]
    )
    assert [i["location"]["lines"] for i in codequality.render(report)] == [{"begin": 1}] * 2


def test_secret_issues_show_the_rule_only(tmp_path: Path) -> None:
    secret = finding(
        "secret",
        tool="gitleaks",
        kind=Kind.secret,
        rule_id="github-pat",
        title="GitHub personal access token",
        message=f"token {GITHUB_CANARY}",
        location=CodeLocation(path="deploy/.env", start_line=3, snippet=GITHUB_CANARY),
    )
    raw, issues = written(Report(findings=[secret]), tmp_path)
    assert GITHUB_CANARY.encode() not in raw
    assert issues[0]["description"] == "gitleaks: GitHub personal access token"


def test_file_is_utf8_json_without_bom(tmp_path: Path) -> None:
    report = Report(findings=[finding("a", title="Überprüfung fehlt: «x»")])
    raw, issues = written(report, tmp_path)
    assert raw.startswith(b"[")
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "Überprüfung fehlt: «x»" in raw.decode("utf-8")
    assert issues[0]["description"] == "semgrep: Überprüfung fehlt: «x»"


def test_empty_report_is_an_empty_array(tmp_path: Path) -> None:
    raw, issues = written(Report(), tmp_path)
    assert raw == b"[]\n"
    assert issues == []


def test_fingerprints_are_unique(tmp_path: Path) -> None:
    report = Report(findings=[finding("same"), finding("same", title="Again"), finding("")])
    issues = codequality.render(report)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(fingerprints) == 2 == len(set(fingerprints))
    # A finding built without the pipeline still gets a stable fingerprint.
    assert fingerprints[1] == codequality.render(Report(findings=[finding("")]))[0]["fingerprint"]
    assert len(fingerprints[1]) == 32


def test_a_fallback_fingerprint_does_not_change_when_only_the_line_moves() -> None:
    def fallback(line: int) -> str:
        moved = finding("", location=CodeLocation(path="cmd/api/main.go", start_line=line))
        return str(codequality.render(Report(findings=[moved]))[0]["fingerprint"])

    assert fallback(7) == fallback(40)


def test_alike_findings_without_fingerprints_in_one_file_stay_apart() -> None:
    report = Report(
        findings=[
            finding("", location=CodeLocation(path="cmd/api/main.go", start_line=7)),
            finding("", location=CodeLocation(path="cmd/api/main.go", start_line=9)),
        ]
    )
    assert len({issue["fingerprint"] for issue in codequality.render(report)}) == 2


def test_samples(tmp_path: Path) -> None:
    report = aggregate(AggregateOptions(paths=[SAMPLES]))
    _, issues = written(report, tmp_path)
    open_findings = [f for f in report.findings if codequality.is_open(f)]
    assert len(issues) == len(open_findings) > 30
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert set(issue) == REQUIRED
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"]
        assert issue["location"]["lines"]["begin"] >= 1
    by_check = {i["check_name"]: i for i in issues}
    busybox = by_check["trivy:CVE-2023-42363"]
    assert busybox["location"]["path"] == (
        "registry.gitlab.com/acme/payments-api:1.4.2 (alpine 3.20.3)"
    )
    assert by_check["gosec:G101"]["location"] == {
        "path": "internal/auth/token.go",
        "lines": {"begin": 17},
    }
    # Suppressed in source (gosec G401, G304) is not an open issue.
    assert "gosec:G401" not in by_check
    assert "gosec:G304" not in by_check


def test_a_large_report_is_written_as_a_stream(tmp_path: Path) -> None:
    report = Report(
        findings=[
            finding(f"{i:032x}", location=CodeLocation(path=f"pkg/f{i % 300}.go", start_line=i))
            for i in range(1, 20_001)
        ]
    )
    path = tmp_path / "cq.json"
    tracemalloc.start()
    try:
        codequality.write(report, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert path.stat().st_size > 3_000_000
    assert peak < 4_000_000, peak  # the fingerprint set and the write buffer, not the document
    assert len(json.loads(path.read_bytes())) == 20_000

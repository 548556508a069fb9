"""SARIF 2.1.0 of any tool: one run per ``runs[]`` entry, one finding per result, with small
dialects for gosec, semgrep, gitleaks, trivy, govulncheck and ZAP."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit

import pytest

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import Finding, Kind, RunStatus, Severity, Suppression
from hardening.parsers import sarif
from hardening.parsers.interface import Artifact, Detection, ParseResult
from hardening.parsers.sarif import OWN_OUTPUT_SKIP, SarifParser, logical_tool
from hardening.paths import PathNormalizer
from hardening.reading import ArtifactOutcome, read_artifact
from support import SAMPLES

GHP = "ghp_" + "Zq7Lm3Xw9Rt5Vb1Nc8Kd4Hs6Jf2Gp0Ye7Ua3"
AKIA = "AKIA" + "QWER7TY4UI6OP8AS"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ"
BEARER = f"Authorization: Bearer {JWT}"
CANARIES = (GHP, AKIA, JWT)


# --- helpers ------------------------------------------------------------------------------


def parse(path: Path) -> ParseResult:
    return SarifParser().parse(Artifact(path=path, name=path.name))


def read(path: Path) -> ArtifactOutcome:
    return read_artifact(path, path.name, PathNormalizer())


def write(tmp_path: Path, doc: Any, name: str = "report.sarif") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def location(uri: str, line: int = 10, snippet: str | None = None, **extra: Any) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": line, "startColumn": 5, "endColumn": 20}
    if snippet is not None:
        region["snippet"] = {"text": snippet}
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, **extra}, "region": region}
    return {"physicalLocation": physical}


def result(rule_id: str = "acme/rule", message: str = "Something is wrong", **extra: Any) -> Any:
    entry: dict[str, Any] = {
        "ruleId": rule_id,
        "message": {"text": message},
        "locations": [location("internal/store/db.go", snippet="rows := query(id)")],
    }
    entry.update(extra)
    return entry


def rule(rule_id: str = "acme/rule", **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": "Acme rule"},
        "defaultConfiguration": {"level": "warning"},
    }
    entry.update(extra)
    return entry


def log(
    results: list[Any] | None,
    rules: list[Any] | None = None,
    name: str = "Acme Scan",
    **run_extra: Any,
) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": name, "semanticVersion": "2.3.4", "rules": rules or []}
    run: dict[str, Any] = {"tool": {"driver": driver}, **run_extra}
    if results is not None:
        run["results"] = results
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }


def only(parsed: ParseResult) -> Finding:
    assert len(parsed.findings) == 1, parsed.findings
    return parsed.findings[0]


def assert_no_canary(text: str, *canaries: str) -> None:
    for canary in canaries or CANARIES:
        assert canary not in text


def by_rule(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def fingerprints(outcome: ArtifactOutcome, *, suppressed: bool = True) -> list[str]:
    return sorted(f.fingerprint for f in outcome.findings if suppressed or not f.suppressed)


# --- detection ----------------------------------------------------------------------------


def test_claims_every_sarif_of_the_corpus_by_content(corpus: Path) -> None:
    for path in sorted(corpus.glob("*/*.sarif")):
        head = path.read_bytes()[: 64 * 1024]
        # The name must not matter: DefectDojo stores some of these as .json.
        detection = SarifParser.detect(head, PurePath("artifacts/report.json"))
        assert detection is not None and detection.score >= 85, path
        assert detection.skip_reason is None


def test_claims_gosec_sarif_whose_schema_and_version_come_after_the_head(corpus: Path) -> None:
    head = (corpus / "gosec/gh-app-auth-small-with-fixes.sarif").read_bytes()[:2000]
    assert b"$schema" not in head and b'"version"' not in head
    assert SarifParser.detect(head, PurePath("gosec-out.json")) == Detection(85)


@pytest.mark.parametrize(
    "head",
    [
        b'{"results": [], "errors": [], "version": "1.185.0"}',
        b'[{"RuleID": "aws-access-key", "Secret": "x"}]',
        b'{"SchemaVersion": 2, "Results": []}',
        b"null",
        b"<testsuites></testsuites>",
    ],
)
def test_does_not_claim_other_reports(head: bytes) -> None:
    assert SarifParser.detect(head, PurePath("artifacts/report.json")) is None


def test_skips_hardenings_own_sarif_under_any_name() -> None:
    head = b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "hardening", "rules": []'
    detection = SarifParser.detect(head, PurePath("out/renamed.sarif"))
    assert detection == Detection(95, skip_reason=OWN_OUTPUT_SKIP)


def test_an_empty_file_named_sarif_is_claimed_by_name_only_and_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    assert SarifParser.detect(b"", PurePath(path)) == Detection(30)
    outcome = read(path)
    assert outcome.failed
    assert outcome.runs[0].error == "empty file"


@pytest.mark.parametrize(
    ("driver", "tool"),
    [
        ("gosec", "gosec"),
        ("Semgrep OSS", "semgrep"),
        ("Semgrep", "semgrep"),
        ("semgrep", "semgrep"),
        ("gitleaks", "gitleaks"),
        ("Gitleaks", "gitleaks"),
        ("Trivy", "trivy"),
        ("govulncheck", "govulncheck"),
        ("OWASP ZAP", "zap"),
        ("ZAP", "zap"),
        ("ZAP by Checkmarx", "zap"),
        ("CodeQL", "codeql"),
        ("Grype", "grype"),
        ("Acme Static Analyzer 3", "acme-static-analyzer-3"),
    ],
)
def test_tool_is_named_after_the_driver(driver: str, tool: str) -> None:
    assert logical_tool(driver) == tool


# --- gosec --------------------------------------------------------------------------------


def test_gosec_result_reads_rule_place_snippet_and_gosec_severity(corpus: Path) -> None:
    parsed = parse(corpus / "gosec/gh-app-auth-small-with-fixes.sarif")
    (run,) = parsed.runs
    assert (run.tool, run.version, run.status) == ("gosec", "dev", RunStatus.ok)
    (g304,) = by_rule(parsed.findings, "G304")
    assert g304.kind is Kind.code
    assert g304.title == "Potential file inclusion via variable"
    assert g304.message == "Potential file inclusion via variable"
    assert (g304.severity, g304.tool_severity, g304.confidence) == (
        Severity.medium,
        "MEDIUM",
        "HIGH",
    )
    assert list(g304.identifiers) == ["CWE-22"]
    assert g304.location is not None
    assert g304.location.path == "pkg/jwt/generator.go"
    assert (g304.location.start_line, g304.location.end_line) == (54, 54)
    assert (g304.location.start_column, g304.location.end_column) == (18, 18)
    assert g304.location.snippet == "keyData, err := os.ReadFile(keyPath)"
    # gosec's SARIF snippet is the flagged line, unnumbered: the same text its JSON flags.
    assert g304.identity == [fingerprint.text_digest("keyData, err := os.ReadFile(keyPath)")]
    g104 = by_rule(parsed.findings, "G104")
    assert {(f.severity, f.tool_severity) for f in g104} == {(Severity.low, "LOW")}


def test_gosec_sarif_and_json_of_the_same_code_share_fingerprints(tmp_path: Path) -> None:
    sarif = log(
        [
            {
                "ruleId": "G304",
                "level": "error",
                "message": {"text": "Potential file inclusion via variable"},
                "locations": [
                    location("internal/config/load.go", 23, "raw, err := os.ReadFile(path)")
                ],
            }
        ],
        [rule("G304", properties={"tags": ["security", "MEDIUM"]})],
        name="gosec",
    )
    gosec_json = {
        "Golang errors": {},
        "Issues": [
            {
                "severity": "MEDIUM",
                "confidence": "HIGH",
                "cwe": {"id": "22", "url": "https://cwe.mitre.org/data/definitions/22.html"},
                "rule_id": "G304",
                "details": "Potential file inclusion via variable",
                "file": "/builds/acme/payments-api/internal/config/load.go",
                "code": "22: func Load(path string) {\n23: \traw, err := os.ReadFile(path)\n"
                "24: \tif err != nil {\n",
                "line": "23",
                "column": "14",
                "nosec": False,
                "suppressions": None,
            }
        ],
        "Stats": {"files": 1, "lines": 40, "nosec": 0, "found": 1},
        "GosecVersion": "2.21.4",
    }
    from_sarif = read(write(tmp_path, sarif, "gosec.sarif"))
    from_json = read(write(tmp_path, gosec_json, "gosec.json"))
    assert from_json.parser is not None and from_json.parser.name == "gosec-json"
    assert fingerprints(from_sarif) == fingerprints(from_json)


def test_gosec_hard_coded_credential_shows_no_snippet(tmp_path: Path) -> None:
    line = f'defaultToken = "{GHP}"'
    sarif = log(
        [result("G101", "Potential hardcoded credentials", locations=[location("a.go", 3, line)])],
        [rule("G101", properties={"tags": ["security", "HIGH"]})],
        name="gosec",
    )
    finding = only(parse(write(tmp_path, sarif)))
    assert finding.location is not None and finding.location.snippet is None
    assert finding.identity == [fingerprint.text_digest(line)]
    assert_no_canary(finding.model_dump_json())


# --- semgrep ------------------------------------------------------------------------------


def test_semgrep_nosemgrep_result_is_present_and_marked_suppressed(corpus: Path) -> None:
    parsed = parse(corpus / "semgrep/sg-snapshot-include-nosemgrep.sarif")
    assert parsed.runs[0].tool == "semgrep"
    first, second = parsed.findings
    assert first.suppression == Suppression(kind="inSource", justification="nosemgrep")
    assert second.suppression is None
    assert first.rule_id == "rules.regex.detected-aws-account-id"
    assert first.title == "Detected aws account id"  # not "Semgrep Finding: ..."
    assert (first.severity, first.tool_severity) == (Severity.high, "ERROR")
    assert first.identity == [fingerprint.text_digest("AWS Account ID detected")]
    assert first.location is not None
    assert first.location.path == "targets/basic/regex-nosemgrep.txt"


def test_semgrep_errors_only_run_is_failed_with_the_notification(corpus: Path) -> None:
    parsed = parse(corpus / "semgrep/sg-snapshot-errors-only.sarif")
    (run,) = parsed.runs
    assert run.status is RunStatus.failed
    assert run.error == "SemgrepError: File not found: targets/basic/inexistent.py"
    assert parsed.findings == []


def test_semgrep_sarif_with_a_json_name_is_read_with_rule_security_severity(
    corpus: Path, tmp_path: Path
) -> None:
    # DefectDojo keeps this report as issue_10191.json: content decides, not the name.
    copy = tmp_path / "issue_10191.json"
    copy.write_bytes((corpus / "semgrep/dd-v1.69.0-issue10191.sarif").read_bytes())
    outcome = read(copy)
    assert outcome.parser is SarifParser
    (run,) = outcome.runs
    assert (run.tool, run.version, run.status) == ("semgrep", "1.69.0", RunStatus.ok)
    assert len(outcome.findings) == 77
    # Warning-level notifications (files semgrep could not parse) are run errors, one line each.
    assert run.run_errors and all("\n" not in line for line in run.run_errors)
    assert run.run_errors[2] == (
        "Syntax error: Syntax error at line "
        "data/static/codefixes/tokenSaleChallenge_3_correct.ts:14: `]` was unexpected"
    )
    cors = [f for f in outcome.findings if f.rule_id.endswith("rule-generic-cors")]
    assert cors
    assert (cors[0].severity, cors[0].tool_severity) == (Severity.medium, "MEDIUM")
    assert cors[0].title == "Origin validation error"
    assert list(cors[0].identifiers) == ["CWE-346"]


def test_semgrep_sarif_fingerprints_survive_a_line_shift(corpus: Path) -> None:
    base = read(corpus / "semgrep/local-1.185.0-project.sarif")
    shifted = read(corpus / "semgrep/local-1.185.0-project-lineshift.sarif")
    assert len(base.findings) == 26
    assert fingerprints(base) == fingerprints(shifted)


@pytest.mark.parametrize(
    "json_report", ["local-1.185.0-project.json", "local-1.185.0-project.token.json"]
)
def test_semgrep_sarif_and_json_share_fingerprints(corpus: Path, json_report: str) -> None:
    from_sarif = read(corpus / "semgrep/local-1.185.0-project.sarif")
    from_json = read(corpus / "semgrep" / json_report)
    assert from_json.parser is not None and from_json.parser.name == "semgrep-json"
    # semgrep's JSON omits the nosemgrep result its SARIF keeps (suppressed, counted apart).
    assert fingerprints(from_sarif, suppressed=False) == fingerprints(from_json)
    suppressed = [f for f in from_sarif.findings if f.suppressed]
    assert [(f.rule_id, f.path) for f in suppressed] == [
        ("semgrep-rules.go-weak-hash-md5", "cmd/server/main.go")
    ]


def test_semgrep_credential_rules_never_show_their_snippet(corpus: Path) -> None:
    path = corpus / "semgrep/local-1.185.0-project.sarif"
    raw = json.loads(path.read_text())
    parsed = parse(path)
    credential_rules = {
        "semgrep-rules.go-hardcoded-credential",
        "semgrep-rules.python-hardcoded-secret-key",
    }
    credentials = [f for f in parsed.findings if f.rule_id in credential_rules]
    assert len(credentials) == 4
    assert all(f.location is not None and f.location.snippet is None for f in credentials)
    snippets = [
        r["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]
        for r in raw["runs"][0]["results"]
        if r["ruleId"] in credential_rules
    ]
    dumped = "".join(f.model_dump_json() for f in parsed.findings)
    for snippet in snippets:
        assert snippet not in dumped
    assert "ghp_0123456789" not in dumped
    confidences = {f.rule_id: f.confidence for f in parsed.findings}
    assert confidences["semgrep-rules.go-command-injection-taint"] == "high"


def test_old_semgrep_message_template_is_no_title(tmp_path: Path) -> None:
    # semgrep 0.x wrote the rule's message template as both short and full description.
    template = "Function $F mutates default dict $D. Use None as the default instead."
    rule_id = "python.lang.correctness.default-mutable-dict.default-mutable-dict"
    old_rule = rule(
        rule_id,
        shortDescription={"text": template},
        fullDescription={"text": template},
        defaultConfiguration={"level": "error"},
    )
    message = "Function update mutates default dict default. Use None as the default instead."
    doc = log([result(rule_id, message)], [old_rule], name="semgrep")
    finding = only(parse(write(tmp_path, doc)))
    assert finding.title == "Default mutable dict"  # as semgrep's JSON parser names it
    assert (finding.severity, finding.tool_severity) == (Severity.high, "ERROR")


# --- gitleaks -----------------------------------------------------------------------------


def test_gitleaks_v8_result_is_a_secret_whose_rule_is_not_in_rules(corpus: Path) -> None:
    finding = only(parse(corpus / "gitleaks/gl-golden-simple.sarif"))
    assert (finding.tool, finding.kind, finding.rule_id) == ("gitleaks", Kind.secret, "test-rule")
    assert finding.title == finding.message == "test-rule"
    assert finding.severity is Severity.high
    assert finding.commits == ["0000000000000000"]
    assert finding.location is not None
    assert (finding.location.path, finding.location.start_line) == ("auth.py", 1)
    assert finding.location.snippet is None
    # The SARIF snippet is gitleaks' Secret ("a secret" in gl-golden-simple.json).
    assert finding.identity == ["hash", fingerprint.secret_digest("test-rule", "a secret")]
    assert "a secret" not in finding.model_dump_json()


def test_gitleaks_sarif_and_json_share_a_fingerprint(corpus: Path) -> None:
    from_sarif = read(corpus / "gitleaks/gl-golden-simple.sarif")
    from_json = read(corpus / "gitleaks/gl-golden-simple.json")
    assert from_json.parser is not None and from_json.parser.name == "gitleaks-json"
    assert fingerprints(from_sarif) == fingerprints(from_json)


def test_gitleaks_v7_rule_comes_from_the_message_and_the_offender_is_hashed(
    corpus: Path,
) -> None:
    outcome = read(corpus / "gitleaks/dd-v7.4.0.sarif")
    assert outcome.runs[0].version == "v7.4.0"
    first = outcome.findings[0]
    assert (first.rule_id, first.title, first.message) == (
        "AWS Access Key",
        "AWS Access Key",
        "AWS Access Key",
    )
    assert first.identity == [
        "hash",
        fingerprint.secret_digest("AWS Access Key", "AKIAIOSFODNN7EXAMPLE"),
    ]
    assert first.commits == ["6d127980966808f7413935678e079dcd7fedf9c2"]
    # The same leak in two commits is one identity: 8 results, 4 distinct leaks.
    assert len({f.fingerprint for f in outcome.findings}) == 4
    dumped = "".join(f.model_dump_json() for f in outcome.findings)
    assert "AKIAIOSFODNN7EXAMPLE" not in dumped
    assert "raw_source_code_extract" not in dumped


def test_gitleaks_report_redacted_at_source_hashes_the_redacted_text(tmp_path: Path) -> None:
    sarif = log(
        [
            result(
                "generic-api-key",
                "generic-api-key has detected secret",
                locations=[location("config/app.env", 4, "REDACTED")],
            )
        ],
        [rule("generic-api-key", shortDescription={"text": "Generic API Key"})],
        name="gitleaks",
    )
    finding = only(parse(write(tmp_path, sarif)))
    assert finding.identity == ["redacted", fingerprint.text_digest("REDACTED")]
    assert finding.message == "Generic API Key"


def test_gitleaks_rule_named_by_its_description_not_its_regex(tmp_path: Path) -> None:
    # Some gitleaks v8 releases write the description as the rule's name and its regex as the
    # shortDescription.
    sarif = log(
        [result("tu-api-key", "tu-api-key has detected secret for file text.txt at commit 1a2b.")],
        [
            {
                "id": "tu-api-key",
                "name": "Internal TU API Key",
                "shortDescription": {"text": "\\bTU-API-\\d{8,14}\\b"},
            }
        ],
        name="gitleaks",
    )
    finding = only(parse(write(tmp_path, sarif)))
    assert finding.title == finding.message == "Internal TU API Key"


# --- trivy --------------------------------------------------------------------------------


def test_trivy_vulnerability_reads_package_versions_and_severity(corpus: Path) -> None:
    parsed = parse(corpus / "trivy/trivy-golden-alpine-310.sarif")
    assert (parsed.runs[0].tool, parsed.runs[0].version) == ("trivy", "dev")
    finding = parsed.findings[0]
    assert (finding.kind, finding.rule_id) == (Kind.dependency, "CVE-2019-1549")
    assert finding.title == "openssl: information disclosure in fork()"
    assert (finding.severity, finding.tool_severity) == (Severity.medium, "MEDIUM")
    assert finding.component is not None
    assert (
        finding.component.name,
        finding.component.installed_version,
        finding.component.fixed_version,
        finding.component.target,
    ) == ("libcrypto1.1", "1.1.1c-r0", "1.1.1d-r0", "testdata/fixtures/images/alpine-310.tar.gz")
    assert finding.location is None  # an image name is no repository path
    assert list(finding.identifiers) == ["CVE-2019-1549"]
    assert list(finding.references) == ["https://avd.aquasec.com/nvd/cve-2019-1549"]
    assert finding.identity == [
        "CVE-2019-1549",
        "libcrypto1.1",
        "testdata/fixtures/images/alpine-310.tar.gz",
    ]


def trivy_rule(rule_id: str, name: str, short: str, **extra: Any) -> dict[str, Any]:
    return rule(rule_id, name=name, shortDescription={"text": short}, **extra)


def test_trivy_misconfiguration_secret_license_and_language_package(tmp_path: Path) -> None:
    rules = [
        trivy_rule("DS002", "Misconfiguration", "Image user should not be 'root'"),
        trivy_rule(
            "aws-access-key-id",
            "Secret",
            "AWS Access Key ID",
            fullDescription={"text": f"AWS_ACCESS_KEY_ID={AKIA}"},
        ),
        trivy_rule("github.com/acme/lib:AGPL-3.0", "License", "AGPL-3.0 in github.com/acme/lib"),
        trivy_rule("GHSA-xxxx-2222-yyyy", "LanguageSpecificPackageVulnerability", "lib: DoS"),
    ]
    results = [
        result(
            "DS002",
            "Artifact: Dockerfile\nType: dockerfile\nVulnerability DS002\n"
            "Severity: HIGH\nMessage: Specify at least 1 USER command\nLink: [DS002](x)",
            locations=[location("Dockerfile", 1)],
        ),
        result(
            "aws-access-key-id",
            "Artifact: deploy/env\nType: \nSecret AWS Access Key ID\n"
            "Severity: CRITICAL\nMatch: AWS_ACCESS_KEY_ID=********************",
            locations=[location("deploy/env", 3)],
        ),
        result(
            "github.com/acme/lib:AGPL-3.0",
            "Artifact: go.mod\nLicense AGPL-3.0\n"
            "PkgName: github.com/acme/lib\n Classification: forbidden\n Path: ",
            locations=[location("go.mod", 1)],
        ),
        result(
            "GHSA-xxxx-2222-yyyy",
            "Package: github.com/acme/lib\nInstalled Version: v1.2.0\n"
            "Vulnerability GHSA-xxxx-2222-yyyy\nSeverity: LOW\nFixed Version: v1.2.1\n"
            "Link: [GHSA-xxxx-2222-yyyy](https://example.com)",
            locations=[location("go.sum", 12)],
        ),
    ]
    config, secret, license_, package = parse(
        write(tmp_path, log(results, rules, "Trivy"))
    ).findings
    assert (config.kind, config.severity, config.message) == (
        Kind.config,
        Severity.high,
        "Specify at least 1 USER command",
    )
    assert config.identity == ["DS-0002", "Dockerfile", ""]
    assert (secret.kind, secret.severity, secret.title, secret.message) == (
        Kind.secret,
        Severity.critical,
        "AWS Access Key ID",
        "AWS Access Key ID",
    )
    assert secret.identity == [
        "redacted",
        fingerprint.text_digest("AWS_ACCESS_KEY_ID=********************"),
    ]
    assert secret.location is not None and secret.location.snippet is None
    assert_no_canary(secret.model_dump_json())
    assert license_.kind is Kind.license
    assert license_.identity == ["AGPL-3.0", "go.mod", "github.com/acme/lib"]
    assert (package.kind, package.severity) == (Kind.dependency, Severity.low)
    assert package.location is not None and package.location.path == "go.sum"
    assert package.identity == ["GHSA-XXXX-2222-YYYY", "github.com/acme/lib", "go.sum"]


# --- govulncheck --------------------------------------------------------------------------


def test_govulncheck_reachability_decides_severity_and_identity_is_the_module(
    corpus: Path,
) -> None:
    parsed = parse(corpus / "govulncheck/vuln-source-call.sarif")
    (run,) = parsed.runs
    assert (run.tool, run.version, run.database_date) == (
        "govulncheck",
        "v0.0.0",
        "2023-04-03T15:57:51Z",
    )
    levels = {f.rule_id: (f.reachability, f.severity) for f in parsed.findings}
    assert levels == {
        "GO-2020-0015": ("module", Severity.info),
        "GO-2021-0054": ("symbol", Severity.high),
        "GO-2021-0113": ("package", Severity.low),
        "GO-2021-0265": ("symbol", Severity.high),
    }
    called = by_rule(parsed.findings, "GO-2021-0054")[0]
    assert called.kind is Kind.dependency
    assert called.identity == [
        "GO-2021-0054",
        "github.com/tidwall/gjson",
        "github.com/tidwall/gjson",
    ]
    assert called.previous_identity == ["GO-2021-0054", "", ""]
    assert list(called.identifiers) == ["GO-2021-0054", "CVE-2020-36067", "GHSA-p64j-r5f4-pwwx"]
    assert called.component is not None
    assert (called.component.name, called.component.installed_version) == (
        "github.com/tidwall/gjson",
        "v1.6.5",
    )
    assert [loc.path for loc in called.related_locations][:2] == [
        "vuln.go",
        "github.com/tidwall/gjson@v1.6.5/gjson.go",
    ]
    module_level = by_rule(parsed.findings, "GO-2020-0015")[0]
    assert module_level.component is not None and module_level.component.name == "golang.org/x/text"
    assert module_level.title == "Infinite loop when decoding some inputs in golang.org/x/text"


def test_govulncheck_binary_scan_names_the_module_in_its_stacks(tmp_path: Path) -> None:
    # Older releases' binary mode writes no code flows, only stacks with module-only frames.
    frame = {
        "module": "github.com/tidwall/gjson",
        "location": {"physicalLocation": {"artifactLocation": {}, "region": {}}, "message": {}},
    }
    called = result(
        "GO-2021-0054",
        "Your code calls vulnerable functions in 1 package (github.com/tidwall/gjson).",
        level="error",
        locations=[],
        stacks=[{"message": {"text": "A call stack for vulnerable function"}, "frames": [frame]}],
    )
    finding = only(parse(write(tmp_path, log([called], [rule("GO-2021-0054")], "govulncheck"))))
    assert finding.reachability == "symbol"
    assert finding.component is not None
    assert (finding.component.name, finding.component.installed_version) == (
        "github.com/tidwall/gjson",
        None,
    )
    assert finding.identity == [
        "GO-2021-0054",
        "github.com/tidwall/gjson",
        "github.com/tidwall/gjson",
    ]


def govulncheck_log(message: str, level: str = "warning", scan_level: str = "symbol") -> Any:
    """A govulncheck SARIF log of one result without code flows, located at go.mod."""
    found = result(
        "GO-2024-0001",
        message,
        level=level,
        locations=[location("go.mod", line=1, uriBaseId="%SRCROOT%")],
    )
    doc = log([found], [rule("GO-2024-0001")], "govulncheck")
    doc["runs"][0]["tool"]["driver"]["properties"] = {"scan_level": scan_level}
    return doc


def test_govulncheck_result_naming_several_modules_is_one_finding_per_module(
    tmp_path: Path,
) -> None:
    doc = govulncheck_log(
        "Your code depends on 2 vulnerable modules (github.com/acme/a, golang.org/x/net), "
        "but doesn't appear to call any of the vulnerable symbols.",
        level="note",
    )
    findings = read(write(tmp_path, doc)).findings
    assert [(f.component.name if f.component else None) for f in findings] == [
        "github.com/acme/a",
        "golang.org/x/net",
    ]
    assert [f.identity for f in findings] == [
        ["GO-2024-0001", "github.com/acme/a", "github.com/acme/a"],
        ["GO-2024-0001", "golang.org/x/net", "golang.org/x/net"],
    ]
    assert len({f.fingerprint for f in findings}) == 2
    # v1 knew them as one result: both carry that one fingerprint over.
    assert len({f.previous_fingerprint for f in findings}) == 1
    assert all(f.severity is Severity.info for f in findings)


def test_govulncheck_package_result_takes_its_module_from_the_package_path(
    tmp_path: Path,
) -> None:
    doc = govulncheck_log(
        "Your code imports 2 vulnerable packages (golang.org/x/net/html, net/http), "
        "but doesn't appear to call any of the vulnerable symbols."
    )
    findings = parse(write(tmp_path, doc)).findings
    assert [f.identity for f in findings] == [
        ["GO-2024-0001", "golang.org/x/net", "golang.org/x/net"],
        ["GO-2024-0001", "stdlib", "stdlib"],
    ]
    assert all(f.reachability == "package" and f.severity is Severity.low for f in findings)


def test_govulncheck_package_result_takes_its_module_from_go_mod_under_the_source_root(
    tmp_path: Path,
) -> None:
    # go.opentelemetry.io/otel/sdk is its own module: the package path alone cannot say so.
    source = tmp_path / "src"
    source.mkdir()
    (source / "go.mod").write_text(
        "module example.com/app\n\ngo 1.22\n\nrequire (\n"
        "\tgo.opentelemetry.io/otel v1.28.0\n"
        "\tgo.opentelemetry.io/otel/sdk v1.28.0 // indirect\n)\n"
    )
    doc = govulncheck_log(
        "Your code imports 1 vulnerable package (go.opentelemetry.io/otel/sdk/trace), "
        "but doesn't appear to call any of the vulnerable symbols."
    )
    path = write(tmp_path, doc)
    with_root = SarifParser().parse(Artifact(path=path, name=path.name, source_root=source))
    (finding,) = with_root.findings
    assert finding.component is not None
    assert (finding.component.name, finding.component.installed_version) == (
        "go.opentelemetry.io/otel/sdk",
        "v1.28.0",
    )
    (guessed,) = parse(path).findings
    assert guessed.component is not None and guessed.component.name == "go.opentelemetry.io/otel"


def test_govulncheck_sarif_severity_is_relative_to_the_scan_level(tmp_path: Path) -> None:
    doc = govulncheck_log(
        "Your code imports 1 vulnerable package (golang.org/x/net/html), "
        "but doesn't appear to call any of the vulnerable symbols.",
        scan_level="package",
    )
    assert only(parse(write(tmp_path, doc))).severity is Severity.high


def test_govulncheck_result_naming_no_module_keeps_the_osv_id_alone(tmp_path: Path) -> None:
    doc = govulncheck_log("Findings for GO-2024-0001")
    finding = only(parse(write(tmp_path, doc)))
    assert finding.identity == ["GO-2024-0001", "", ""]
    assert finding.previous_identity is None


# --- zap ----------------------------------------------------------------------------------


def test_zap_result_is_a_dast_endpoint_without_query_values_or_headers(tmp_path: Path) -> None:
    url = "https://pay.acme.test:8443/api/payments/1234?token=" + GHP + "&page=2"
    zap_result = {
        "ruleId": "40012",
        "level": "error",
        "message": {"text": "Reflected XSS in the id parameter"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": url},
                    "region": {"startLine": 1, "snippet": {"text": "<script>alert(1)</script>"}},
                },
                "properties": {"attack": "<script>alert(1)</script>", "evidence": BEARER},
            }
        ],
        "webRequest": {"method": "get", "target": url, "headers": {"Authorization": BEARER}},
    }
    rules = [
        rule(
            "40012",
            name="Cross Site Scripting (Reflected)",
            shortDescription={"text": "Cross Site Scripting (Reflected)"},
            defaultConfiguration={"level": "error"},
            properties={"confidence": "medium", "references": ["https://owasp.org/xss"]},
            relationships=[{"target": {"id": "79", "toolComponent": {"name": "CWE"}}}],
        ),
        rule("10038", properties={"confidence": "false-positive"}),
    ]
    false_positive = dict(zap_result, ruleId="10038")
    first, second = parse(write(tmp_path, log([zap_result, false_positive], rules, "ZAP"))).findings
    assert (first.tool, first.kind, first.severity) == ("zap", Kind.dast, Severity.high)
    assert first.endpoint is not None
    assert (first.endpoint.method, first.endpoint.url) == (
        "GET",
        "https://pay.acme.test:8443/api/payments/1234?token=&page=",
    )
    endpoint = fingerprint.endpoint_parts(urlsplit("https://pay.acme.test:8443/api/payments/1234"))
    assert first.identity == fingerprint.endpoint_identity("40012", "GET", endpoint, None)
    assert (list(first.identifiers), list(first.references), first.confidence) == (
        ["CWE-79"],
        ["https://owasp.org/xss"],
        "medium",
    )
    assert first.suppression is None
    assert second.suppression is not None and second.suppression.kind == "falsePositive"
    assert_no_canary(first.model_dump_json())


# --- other tools: generic SARIF -----------------------------------------------------------


def test_codeql_result_uses_the_flagged_line_of_its_context_region(corpus: Path) -> None:
    parsed = parse(corpus / "sarif-other/codeql-2.5.4.sarif")
    assert (parsed.runs[0].tool, parsed.runs[0].version) == ("codeql", "2.5.4")
    (call,) = by_rule(parsed.findings, "py/call/wrong-arguments")
    flagged = "        response = libsession.create(response=response, username=username)"
    assert call.identity == [fingerprint.text_digest(flagged)]
    assert call.location is not None
    assert (call.location.path, call.location.start_line, call.location.snippet) == (
        "bad/mod_user.py",
        32,
        flagged,
    )
    assert (
        call.message == "Call to function create with too few arguments; should be no fewer than 3."
    )
    assert call.title == "Wrong number of arguments in a call"
    assert (call.severity, call.tool_severity) == (Severity.high, "error")
    assert [(loc.path, loc.start_line) for loc in call.related_locations] == [
        ("good/libsession.py", 28)
    ]
    sqli = by_rule(parsed.findings, "py/sql-injection")
    assert sqli and list(sqli[0].identifiers) == ["CWE-89"]
    assert all(len(f.related_locations) <= 5 for f in parsed.findings)


def test_grype_reads_cvss_from_rule_properties_and_cve_from_the_rule_id(corpus: Path) -> None:
    parsed = parse(corpus / "sarif-other/grype-0.34.7.sarif")
    first = parsed.findings[0]
    assert (first.tool, first.kind) == ("grype", Kind.code)
    assert first.rule_id == "CVE-2008-0732-geronimo-j2ee-management_1.1_spec"
    assert (first.severity, first.tool_severity) == (Severity.low, "2.1")
    assert list(first.identifiers) == ["CVE-2008-0732"]


def test_rule_missing_from_rules_still_reads(tmp_path: Path) -> None:
    finding = only(parse(write(tmp_path, log([result("acme/missing", level="error")]))))
    assert (finding.rule_id, finding.title) == ("acme/missing", "acme/missing")
    assert (finding.severity, finding.tool_severity) == (Severity.high, "error")


def test_rules_resolve_by_index_and_in_extensions(tmp_path: Path) -> None:
    doc = log(
        [
            {"ruleIndex": 1, "message": {"text": "by index"}, "locations": []},
            {
                "rule": {"id": "ext/tls", "index": 0, "toolComponent": {"index": 0}},
                "message": {"text": "in an extension"},
            },
            result("ext/tls", "by id, found in the extension"),
        ],
        [rule("acme/zero"), rule("acme/one", shortDescription={"text": "Rule one"})],
    )
    doc["runs"][0]["tool"]["extensions"] = [
        {"name": "acme-pack", "rules": [rule("ext/tls", shortDescription={"text": "Weak TLS"})]}
    ]
    by_index, in_extension, by_id = parse(write(tmp_path, doc)).findings
    assert (by_index.rule_id, by_index.title) == ("acme/one", "Rule one")
    assert (in_extension.rule_id, in_extension.title) == ("ext/tls", "Weak TLS")
    assert by_id.title == "Weak TLS"


def test_security_severity_comes_before_the_level(tmp_path: Path) -> None:
    rules = [rule("acme/rule", properties={"security-severity": "9.1"})]
    finding = only(parse(write(tmp_path, log([result(level="note")], rules))))
    assert (finding.severity, finding.tool_severity) == (Severity.critical, "9.1")


@pytest.mark.parametrize("score", ["NaN", "nan", "Infinity", "-inf", "-1", "-0.5"])
def test_a_non_finite_or_negative_security_severity_is_no_score(tmp_path: Path, score: str) -> None:
    rules = [rule("acme/rule", properties={"security-severity": score})]
    finding = only(parse(write(tmp_path, log([result(level="error")], rules))))
    # As if absent: the error level decides (NaN used to read as info, below every gate).
    assert (finding.severity, finding.tool_severity) == (Severity.high, "error")


def test_a_nan_security_severity_written_as_a_json_number_is_no_score(tmp_path: Path) -> None:
    doc = json.dumps(log([result(level="error", properties={"security-severity": 1})]))
    path = write(tmp_path, doc.replace('"security-severity": 1', '"security-severity": NaN'))
    finding = only(parse(path))
    assert finding.severity is Severity.high


def test_level_falls_back_to_the_rule_default_then_warning(tmp_path: Path) -> None:
    doc = log(
        [result("acme/a"), result("acme/b")],
        [rule("acme/a", defaultConfiguration={"level": "note"}), {"id": "acme/b"}],
    )
    from_rule, default = parse(write(tmp_path, doc)).findings
    assert (from_rule.severity, from_rule.tool_severity) == (Severity.low, "note")
    assert (default.severity, default.tool_severity) == (Severity.medium, "warning")


def test_suppressions_are_marked_unless_rejected(tmp_path: Path) -> None:
    doc = log(
        [
            result(suppressions=[{"kind": "inSource", "justification": "checked by hand"}]),
            result(suppressions=[{"kind": "external", "status": "accepted"}]),
            result(suppressions=[{"kind": "external", "status": "rejected"}]),
        ]
    )
    in_source, external, rejected = parse(write(tmp_path, doc)).findings
    assert in_source.suppression == Suppression(kind="inSource", justification="checked by hand")
    assert external.suppression == Suppression(kind="external")
    assert rejected.suppression is None


def test_a_suppression_under_review_or_rejected_leaves_the_result_open(tmp_path: Path) -> None:
    """SARIF 3.35.3: under review, the team has not decided yet; one rejected entry outweighs
    an accepted one (as the SARIF SDK's IsSuppressed reads it)."""
    doc = log(
        [
            result(suppressions=[{"kind": "external", "status": "underReview"}]),
            result(
                suppressions=[
                    {"kind": "inSource", "status": "accepted"},
                    {"kind": "external", "status": "rejected"},
                ]
            ),
            result(suppressions=[{"kind": "external"}, {"kind": "inSource"}]),
        ]
    )
    under_review, rejected, accepted = parse(write(tmp_path, doc)).findings
    assert under_review.suppression is None
    assert rejected.suppression is None
    assert accepted.suppression == Suppression(kind="external")


def test_absent_results_are_not_findings(tmp_path: Path) -> None:
    """baselineState "absent": the tool's baseline run had the result, this run does not."""
    doc = log(
        [
            result(message="still here", baselineState="unchanged"),
            result(message="fixed since", baselineState="absent"),
            result(message="introduced", baselineState="new"),
        ]
    )
    parsed = parse(write(tmp_path, doc))
    assert [f.message for f in parsed.findings] == ["still here", "introduced"]
    assert parsed.runs[0].warnings == [
        "1 result(s) with baselineState 'absent' are not findings:"
        " the tool reports them gone since its own baseline"
    ]


def test_identity_falls_back_to_the_message_without_versions(tmp_path: Path) -> None:
    def identity(message: str) -> list[str]:
        no_snippet = result(message=message, locations=[location("go.mod", 3)])
        return only(parse(write(tmp_path, log([no_snippet])))).identity

    assert identity("lib 1.2.3 is outdated") == identity("lib 1.4.0 is outdated")
    assert identity("lib 1.2.3 is outdated") != identity("other 1.2.3 is outdated")


def test_message_strings_are_filled_with_arguments(tmp_path: Path) -> None:
    rules = [rule(messageStrings={"default": {"text": "Call to {0} with {1} arguments"}})]
    by_id = result()
    by_id["message"] = {"id": "default", "arguments": ["f", "2"]}
    assert only(parse(write(tmp_path, log([by_id], rules)))).message == "Call to f with 2 arguments"


def test_uris_relative_to_an_absolute_base_stay_repo_relative(tmp_path: Path) -> None:
    """The base is the checkout of the machine that scanned: resolving against it would tie
    the path (and the fingerprint) to that machine."""
    doc = log(
        [
            result(locations=[location("cmd/api/main%20v2.go", uriBaseId="%SRCROOT%")]),
            result(locations=[location("internal/a%20b.go", uriBaseId="ROOT")]),
            result(locations=[location("file:///builds/acme/payments-api/go.mod")]),
            result(locations=[location("x.go", uriBaseId="SUB")]),
            result(locations=[location("y.go", uriBaseId="UNDER_ROOT")]),
        ],
        originalUriBaseIds={
            "ROOT": {"uri": "file:///home/dev/payments-api/"},
            "SUB": {"uri": "services/api/"},
            "UNDER_ROOT": {"uri": "services/web/", "uriBaseId": "ROOT"},
        },
    )
    undefined, relative, file_uri, nested, under_root = parse(write(tmp_path, doc)).findings
    assert undefined.path == "cmd/api/main v2.go"
    assert relative.path == "internal/a b.go"
    assert file_uri.path == "file:///builds/acme/payments-api/go.mod"
    assert nested.path == "services/api/x.go"
    # A relative base on the absolute checkout keeps its own directory, not the checkout's.
    assert under_root.path == "services/web/y.go"
    normalized = read(write(tmp_path, doc))
    assert [f.path for f in normalized.findings] == [
        "cmd/api/main v2.go",
        "internal/a b.go",
        "go.mod",
        "services/api/x.go",
        "services/web/y.go",
    ]


def test_canaries_in_snippets_messages_and_related_locations_never_surface(
    tmp_path: Path,
) -> None:
    snippet = f'req.Header.Set("Authorization", "Bearer {JWT}") // key {AKIA} token="{GHP}"'
    related = location("internal/auth/token.go", 5, f'githubToken := "{GHP}"')
    doc = log(
        [
            result(
                message=f"Token {GHP} and key {AKIA} sent with {BEARER}",
                locations=[location("internal/auth/client.go", 9, snippet)],
                relatedLocations=[related],
                suppressions=[{"kind": "external", "justification": f"rotated {GHP}"}],
            )
        ],
        [rule(shortDescription={"text": f"Leaks {AKIA}"})],
    )
    finding = only(parse(write(tmp_path, doc)))
    assert finding.location is not None and finding.location.snippet
    assert finding.related_locations[0].snippet
    assert_no_canary(finding.model_dump_json())
    assert finding.identity == [fingerprint.text_digest(snippet)]


def test_credential_rule_of_any_tool_shows_no_snippet(tmp_path: Path) -> None:
    rules = [rule(properties={"tags": ["security", "external/cwe/cwe-798"]})]
    finding = only(parse(write(tmp_path, log([result()], rules))))
    assert list(finding.identifiers) == ["CWE-798"]
    assert finding.location is not None and finding.location.snippet is None


def test_result_identifiers_are_read_once_per_distinct_text_in_a_bounded_cache(
    tmp_path: Path,
) -> None:
    # Issue 20: the results of one rule repeat their tags and CWE lists; a report of many
    # distinct texts must still read each right, and the cache holding them stays bounded.
    tags = {"tags": ["security", "external/cwe/cwe-089"], "cwe": ["CWE-89: SQL injection"]}
    taxa = [{"id": "79", "toolComponent": {"name": "CWE"}}]
    distinct = sarif._merged_identifiers.cache_info().maxsize + 50
    results = [result(properties=dict(tags)), result(properties=dict(tags), taxa=taxa)]
    results.append(result(properties=dict(tags)))
    results += [result(properties={"tags": [f"CVE-2024-{n:05d}"]}) for n in range(distinct)]
    long_text = "external/cwe/cwe-22 " + "x" * sarif._MAX_CACHED_TEXT
    results.append(result(properties={"tags": [long_text]}))
    sarif._merged_identifiers.cache_clear()
    findings = parse(write(tmp_path, log(results))).findings
    assert list(findings[0].identifiers) == ["CWE-89"]
    assert list(findings[1].identifiers) == ["CWE-89", "CWE-79"]
    assert findings[2].identifiers == findings[0].identifiers
    assert [f.identifiers for f in findings[3:-1]] == [
        (f"CVE-2024-{n:05d}",) for n in range(distinct)
    ]
    assert list(findings[-1].identifiers) == ["CWE-22"]
    info = sarif._merged_identifiers.cache_info()
    assert info.currsize == info.maxsize  # full, and no larger
    assert (info.hits, info.misses) == (1, 2 + distinct)  # the long text is not remembered


def test_results_with_equal_tags_share_one_identifiers_tuple(tmp_path: Path) -> None:
    tags = {"tags": ["security", "external/cwe/cwe-089", "owasp-a03"]}
    doc = log([result(properties=dict(tags)) for _ in range(3)])
    findings = parse(write(tmp_path, doc)).findings
    assert findings[0].identifiers == ("CWE-89",)
    assert findings[0].identifiers is findings[1].identifiers is findings[2].identifiers


def test_pass_results_are_not_findings(tmp_path: Path) -> None:
    parsed = parse(write(tmp_path, log([result(kind="pass"), result(kind="fail"), result()])))
    assert len(parsed.findings) == 2
    assert parsed.runs[0].warnings == ["1 result(s) of kind 'pass' are not findings"]


# --- run status ---------------------------------------------------------------------------


def invocation(level: str, text: str, successful: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "executionSuccessful": successful,
            "toolExecutionNotifications": [{"level": level, "message": {"text": text}}],
        }
    ]


def test_error_notification_without_results_fails_the_run(tmp_path: Path) -> None:
    doc = log([], invocations=invocation("error", f"cannot fetch rules with {BEARER}"))
    (run,) = parse(write(tmp_path, doc)).runs
    assert run.status is RunStatus.failed
    assert run.error is not None and run.error.startswith("cannot fetch rules with Authorization")
    assert_no_canary(run.model_dump_json())


def test_unsuccessful_execution_without_results_fails_the_run(tmp_path: Path) -> None:
    doc = log(None, invocations=[{"executionSuccessful": False}])
    (run,) = parse(write(tmp_path, doc)).runs
    assert (run.status, run.error) == (RunStatus.failed, "tool reported executionSuccessful false")


def test_error_notifications_beside_results_are_run_errors(tmp_path: Path) -> None:
    doc = log([result()], invocations=invocation("error", "rule acme/x crashed\non file a.go"))
    (run,) = parse(write(tmp_path, doc)).runs
    assert run.status is RunStatus.ok
    assert run.run_errors == ["rule acme/x crashed on file a.go"]


def test_note_notifications_and_a_clean_run_are_ok(tmp_path: Path) -> None:
    doc = log([], invocations=invocation("note", "scanned 12 files"))
    (run,) = parse(write(tmp_path, doc)).runs
    assert (run.status, run.run_errors, run.tool, run.version) == (
        RunStatus.ok,
        [],
        "acme-scan",
        "2.3.4",
    )


def test_each_run_is_its_own_tool_run(tmp_path: Path) -> None:
    doc = log([result()], name="gosec")
    doc["runs"].append(log([result(), result(message="other")], name="CodeQL")["runs"][0])
    outcome = read(write(tmp_path, doc))
    assert [(run.tool, run.findings) for run in outcome.runs] == [("gosec", 1), ("codeql", 2)]


# --- sample -------------------------------------------------------------------------------


def test_sample_reads_ok_with_relative_paths() -> None:
    outcome = read(SAMPLES / "sarif" / "codeql-like.sarif")
    (run,) = outcome.runs
    assert (run.tool, run.version, run.status) == ("gosentry", "1.4.2", RunStatus.ok)
    assert run.run_errors == [
        "extraction/parse-error: tools/gen/broken_gen.go: Could not parse file; it was skipped"
    ]
    assert [(f.rule_id, f.path, f.suppressed) for f in outcome.findings] == [
        ("go/sql-injection", "internal/store/db.go", False),
        ("go/weak-crypto", "internal/auth/token.go", False),
        ("go/weak-crypto", "internal/auth/token.go", True),
        ("go/hardcoded-credentials", "internal/auth/token.go", False),
        ("go/insecure-tls", "cmd/api/main.go", True),
        ("go/debug-endpoint", "cmd/api/main.go", False),
    ]
    credential = outcome.findings[3]
    assert credential.severity is Severity.critical
    assert credential.location is not None and credential.location.snippet is None
    sqli = outcome.findings[0]
    assert [(loc.path, loc.start_line) for loc in sqli.related_locations] == [
        ("cmd/api/main.go", 57),
        ("internal/store/db.go", 42),
    ]


# --- broken input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty file"),
        ('{"version": "2.1.0", "runs": [{"tool": {"driver": {"na', "truncated or invalid JSON"),
        ("[]", "SARIF log is list, expected an object"),
        ('{"version": "2.1.0"}', "not a SARIF log: no 'runs' list"),
        ('{"runs": {}}', "'runs' is dict, expected a list"),
        ('{"runs": [{"results": []}]}', "runs[0].tool is NoneType, expected an object"),
        ('{"runs": [{"tool": {"driver": {}}}]}', "runs[0].tool.driver has no name"),
        (
            '{"runs": [{"tool": {"driver": {"name": "x"}}, "results": {}}]}',
            "runs[0].results is dict, expected a list",
        ),
        (
            '{"runs": [{"tool": {"driver": {"name": "x"}}, "results": ["' + GHP + '"]}]}',
            "no entry could be read: runs[0].results[0]: the entry is str, expected an object",
        ),
        (
            '{"runs": [{"tool": {"driver": {"name": "x", "rules": [1]}}}]}',
            "runs[0].tool.driver.rules[0] is int, expected an object",
        ),
    ],
)
def test_broken_input_fails_with_a_clear_reason(tmp_path: Path, content: str, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse(write(tmp_path, content))
    assert str(raised.value).startswith(reason)
    assert_no_canary(str(raised.value))


def test_a_related_location_without_an_end_line_ends_on_its_start_line(tmp_path: Path) -> None:
    # SARIF 3.30.6: an absent endLine defaults to startLine, for related places as for the
    # result's own.
    related = {"id": 1, **location("internal/store/query.go", line=42)}
    entry = result(relatedLocations=[related])
    finding = only(parse(write(tmp_path, log([entry], [rule()]))))
    assert finding.location is not None and finding.location.end_line == 10
    assert [(r.start_line, r.end_line) for r in finding.related_locations] == [(42, 42)]

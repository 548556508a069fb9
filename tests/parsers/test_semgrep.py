"""semgrep --json: what the parser reads from real reports, samples and hand-written edge cases."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

import pytest

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import Component, Finding, Kind, RunStatus, Severity, Suppression
from hardening.parsers.interface import Artifact, ParseResult
from hardening.parsers.semgrep import GITLAB_SAST_SKIP, SemgrepJsonParser
from hardening.paths import PathNormalizer
from hardening.pipeline import merge
from hardening.reading import ArtifactOutcome, read_artifact
from support import SAMPLES

# Made-up canaries that look real.
GITHUB_CANARY = "ghp_" + "Zq7RtY2uVw9XkLm4Np6Bc8Df1Gh3Jk5Ls0Qa"
PASSWORD_CANARY = "Tr0ub4dor-&3-horse-Staple9"
AWS_CANARY = "AKIA" + "Q7ZX4M2PLK9W3NVB"


def parse_file(path: Path) -> ParseResult:
    return SemgrepJsonParser().parse(Artifact(path=path, name=path.name))


def parse_report(tmp_path: Path, report: dict[str, Any]) -> ParseResult:
    path = tmp_path / "semgrep.json"
    path.write_text(json.dumps(report))
    return parse_file(path)


def parse_text(tmp_path: Path, text: str) -> ParseResult:
    path = tmp_path / "semgrep.json"
    path.write_text(text)
    return parse_file(path)


def read(path: Path) -> ArtifactOutcome:
    """As the pipeline reads it: detection, paths normalized, fingerprints assigned."""
    return read_artifact(path, path.name, PathNormalizer())


def at(findings: list[Finding], path: str, line: int, rule_suffix: str = "") -> Finding:
    matches = [
        f
        for f in findings
        if f.location
        and f.location.path == path
        and f.location.start_line == line
        and f.rule_id.endswith(rule_suffix)
    ]
    assert len(matches) == 1, [(f.rule_id, f.location) for f in matches]
    return matches[0]


def result(
    check_id: str = "rules.go-weak-hash-md5",
    path: str = "internal/auth/token.go",
    line: int = 10,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": "MD5 is a broken hash function.",
        "metadata": {"cwe": ["CWE-328: Use of Weak Hash"]},
        "severity": "WARNING",
        "fingerprint": "requires login",
        "lines": "requires login",
    }
    body.update(extra)
    return {
        "check_id": check_id,
        "path": path,
        "start": {"line": line, "col": 5, "offset": 100},
        "end": {"line": line, "col": 20, "offset": 115},
        "extra": body,
    }


def report(*results: dict[str, Any], **top: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"version": "1.185.0", "results": list(results), "errors": []}
    body.update(top)
    return body


# --- real reports: the local project scan -----------------------------------------------------


def test_credential_rule_in_project_scan_reads_without_snippet(corpus: Path) -> None:
    findings = parse_file(corpus / "semgrep/local-1.185.0-project.json").findings
    finding = at(findings, "cmd/server/main.go", 16)
    assert finding.rule_id == "semgrep-rules.go-hardcoded-credential"
    assert finding.title == "Go hardcoded credential"
    assert finding.severity is Severity.high
    assert finding.tool_severity == "ERROR"
    assert finding.confidence == "MEDIUM"
    assert finding.identifiers == ("CWE-798",)
    assert finding.message == "Hard-coded credential in 'dbPassword'."
    assert finding.location is not None
    assert (finding.location.start_column, finding.location.end_line) == (7, 16)
    assert finding.location.snippet is None
    assert finding.suppression is None


def test_requires_login_lines_give_no_snippet(corpus: Path) -> None:
    findings = parse_file(corpus / "semgrep/local-1.185.0-project.json").findings
    assert all(f.location is not None and f.location.snippet is None for f in findings)
    tls = at(findings, "cmd/server/main.go", 73)
    assert tls.rule_id == "semgrep-rules.go-tls-insecure-skip-verify"
    assert tls.identifiers == ("CWE-295",)
    assert tls.message == "TLS certificate verification is disabled (InsecureSkipVerify true)."


def test_logged_in_scan_has_snippets_except_for_credential_rules(corpus: Path) -> None:
    findings = parse_file(corpus / "semgrep/local-1.185.0-project.token.json").findings
    md5 = at(findings, "internal/crypto/hash.go", 10)
    assert md5.location is not None
    assert md5.location.snippet == '\treturn fmt.Sprintf("%x", sha1.Sum(b))'
    secret_key = at(findings, "pyapp/app.py", 9)
    assert secret_key.identifiers == ("CWE-798",)
    assert secret_key.severity is Severity.low  # INFO
    assert secret_key.location is not None and secret_key.location.snippet is None


def test_fake_secrets_of_the_logged_in_scan_reach_no_finding(corpus: Path) -> None:
    findings = parse_file(corpus / "semgrep/local-1.185.0-project.token.json").findings
    dumped = "".join(f.model_dump_json() for f in findings)
    for secret in (
        "ghp_0123456789abcdefghijABCDEFGHIJ012345",
        "hunter2-Sup3rS3cret!",
        "AKIAIOSFODNN7EXAMPLE",
        "django-insecure-9f8e7d6c5b4a3210",
    ):
        assert secret not in dumped


def test_project_scan_run_lists_scanned_paths_and_version(corpus: Path) -> None:
    (run,) = parse_file(corpus / "semgrep/local-1.185.0-project.json").runs
    assert run.status is RunStatus.ok
    assert run.version == "1.185.0"
    assert run.scanned_paths is not None
    assert "cmd/server/main.go" in run.scanned_paths
    assert len(run.scanned_paths) == 7
    assert run.run_errors == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("local-1.185.0-project.json", "local-1.185.0-project-lineshift.json"),
        ("local-1.185.0-project.token.json", "local-1.185.0-project-lineshift.token.json"),
        # Logging in adds lines, metavars and real fingerprints: identity must not move.
        ("local-1.185.0-project.json", "local-1.185.0-project.token.json"),
    ],
)
def test_fingerprints_survive_line_shifts_and_login(corpus: Path, before: str, after: str) -> None:
    first = read(corpus / "semgrep" / before)
    second = read(corpus / "semgrep" / after)
    prints = {f.fingerprint for f in first.findings}
    assert len(prints) == 25
    assert prints == {f.fingerprint for f in second.findings}


def test_line_shift_moves_lines_but_not_fingerprints(corpus: Path) -> None:
    first = read(corpus / "semgrep/local-1.185.0-project.json").findings
    second = read(corpus / "semgrep/local-1.185.0-project-lineshift.json").findings
    before = at(first, "cmd/server/main.go", 16)
    after = at(second, "cmd/server/main.go", 21)
    assert before.fingerprint == after.fingerprint


def test_identity_is_the_message_that_sarif_carries_too(corpus: Path) -> None:
    """JSON extra.message equals SARIF message.text for every result of one scan."""
    findings = parse_file(corpus / "semgrep/local-1.185.0-project.token.json").findings
    sarif = json.loads((corpus / "semgrep/local-1.185.0-project.sarif").read_text())
    sarif_identity: dict[tuple[str, str, int, int], list[str]] = {}
    for item in sarif["runs"][0]["results"]:
        physical = item["locations"][0]["physicalLocation"]
        region = physical["region"]
        key = (
            item["ruleId"],
            physical["artifactLocation"]["uri"],
            region["startLine"],
            region["startColumn"],
        )
        sarif_identity[key] = [fingerprint.text_digest(item["message"]["text"])]
    for finding in findings:
        assert finding.location is not None
        key = (
            finding.rule_id,
            finding.location.path,
            finding.location.start_line or 0,
            finding.location.start_column or 0,
        )
        assert finding.identity == sarif_identity[key]


# --- real reports: older and third-party semgrep outputs ----------------------------------------


def test_old_report_without_version(corpus: Path) -> None:
    parsed = parse_file(corpus / "semgrep/dd-many-vulns-48.json")
    (run,) = parsed.runs
    assert (run.version, run.scanned_paths, run.status) == (None, None, RunStatus.ok)
    first = parsed.findings[0]
    assert first.rule_id == "python.lang.correctness.tempfile.flush.tempfile-without-flush"
    assert first.title == "Tempfile without flush"
    assert first.severity is Severity.high
    assert first.location is not None
    assert (first.location.path, first.location.start_line) == ("tasks.py", 186)
    assert first.location.snippet == "                   'xsl-style-sheet': temp.name}"
    assert first.identifiers == ()


def test_cwe_as_list_and_references(corpus: Path) -> None:
    (finding,) = parse_file(corpus / "semgrep/dd-v0.96-cwe-list.json").findings
    assert finding.identifiers == ("CWE-352",)
    assert finding.severity is Severity.low
    assert finding.tool_severity == "INFO"
    assert finding.location is not None and finding.location.start_line == 12
    assert list(finding.references) == [
        "https://www.npmjs.com/package/csurf",
        "https://www.npmjs.com/package/csrf",
        "https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html",
        "https://semgrep.dev/r/javascript.express.security.audit.express-check-csurf-middleware-usage.express-check-csurf-middleware-usage",
    ]
    assert finding.properties["owasp"] == [
        "A01:2021 - Broken Access Control",
        "A05:2017 - Broken Access Control",
    ]


def test_cwe_as_string(corpus: Path) -> None:
    findings = parse_file(corpus / "semgrep/local-1.185.0-parse-errors.json").findings
    sha1 = at(findings, "ok.go", 6)
    assert sha1.identifiers == ("CWE-328",)
    assert sha1.properties["owasp"] == ["A02:2021 - Cryptographic Failures"]


def test_requires_login_report_of_a_third_party(corpus: Path) -> None:
    findings = parse_file(corpus / "semgrep/dd-v1.100.0-requires-login-fingerprint.json").findings
    brute = at(findings, "sample/brute.py", 31)
    assert brute.identifiers == ("CWE-78",)
    assert brute.confidence == "MEDIUM"
    assert brute.location is not None and brute.location.snippet is None
    function = at(findings, "sample/function.go", 37)
    assert function.severity is Severity.medium


def test_newer_severity_word_and_empty_scanned_list(corpus: Path) -> None:
    parsed = parse_file(corpus / "semgrep/dd-v1.84.1-severities.json")
    assert [f.tool_severity for f in parsed.findings] == ["LOW", "LOW", "LOW"]
    assert {f.severity for f in parsed.findings} == {Severity.low}
    # An empty list means the whole scan root, not "unknown".
    assert parsed.runs[0].scanned_paths == []


def test_a_result_listed_twice_at_one_place_is_one_finding_seen_twice(corpus: Path) -> None:
    # The report lists one result twice (same rule, file, lines and columns): read as two, as
    # inspect shows them, with one fingerprint, so aggregate holds one finding seen twice.
    outcome = read(corpus / "semgrep/dd-repeated-findings.json")
    assert len(outcome.findings) == 2
    assert len({f.fingerprint for f in outcome.findings}) == 1
    (merged,) = merge(outcome.findings)
    assert merged.occurrences == 2


def test_one_snippet_at_two_places_of_a_file_is_two_findings(tmp_path: Path) -> None:
    document = json.loads((SAMPLES / "semgrep" / "semgrep.json").read_text())
    first = document["results"][0]
    moved = json.loads(json.dumps(first))
    moved["start"]["line"] += 10
    moved["end"]["line"] += 10
    document["results"] = [first, moved, json.loads(json.dumps(first))]
    (tmp_path / "semgrep.json").write_text(json.dumps(document))
    outcome = read(tmp_path / "semgrep.json")
    assert len(outcome.findings) == 3
    assert len({f.fingerprint for f in outcome.findings}) == 2
    assert [f.occurrences for f in merge(outcome.findings)] == [2, 1]


def test_minimal_empty_report(corpus: Path) -> None:
    parsed = parse_file(corpus / "semgrep/dd-empty-results.json")
    (run,) = parsed.runs
    assert parsed.findings == []
    assert (run.status, run.version, run.scanned_paths) == (RunStatus.ok, None, None)


def test_partial_parsing_error_type_list_is_a_run_error(corpus: Path) -> None:
    parsed = parse_file(corpus / "semgrep/local-1.185.0-parse-errors.json")
    (run,) = parsed.runs
    assert run.status is RunStatus.ok
    assert run.run_errors == [
        "PartialParsing: Syntax error at line broken.go:10: `func (( nope {` was unexpected"
    ]
    assert len(parsed.findings) == 2


def test_warning_level_errors_do_not_fail_the_run(corpus: Path) -> None:
    (run,) = parse_file(corpus / "semgrep/sg-snapshot-nosem-invalid-id-errors.json").runs
    assert run.status is RunStatus.ok
    assert run.version == "0.42"
    assert len(run.run_errors) == 3
    assert run.run_errors[0] == (
        "SemgrepWarning: SemgrepWarning at line targets/nosem_invalid_id/nosem_invalid_id.js:2: "
        "found 'nosem' comment with id 'rules.test-nosem-invalid', but no corresponding rule "
        "trying 'rules.test-nosem'"
    )


def test_fatal_config_error_fails_the_run(corpus: Path) -> None:
    parsed = parse_file(corpus / "semgrep/local-1.185.0-rule-errors.json")
    (run,) = parsed.runs
    assert parsed.findings == []
    assert run.status is RunStatus.failed
    assert run.error == (
        "InvalidRuleSchemaError: ../semgrep-rules-broken/broken-rules.yaml: Invalid rule schema"
    )
    assert run.run_errors[1] == (
        "SemgrepError: invalid configuration file found (1 configs were invalid)"
    )
    assert run.scanned_paths == []


def test_gitlab_sast_output_is_skipped_with_a_reason(corpus: Path) -> None:
    outcome = read(corpus / "semgrep/local-1.185.0-project.gitlab-sast.json")
    assert outcome.skipped is not None
    assert outcome.skipped.reason == GITLAB_SAST_SKIP


# --- the sample -----------------------------------------------------------------------------


def test_sample_reads_ok_with_one_suppressed_finding() -> None:
    outcome = read(SAMPLES / "semgrep/semgrep.json")
    (run,) = outcome.runs
    assert run.status is RunStatus.ok
    assert run.version == "1.102.0"
    assert len(outcome.findings) == 7
    (ignored,) = [f for f in outcome.findings if f.suppressed]
    assert ignored.suppression == Suppression(kind="inSource", justification="nosemgrep")
    assert ignored.location is not None
    assert (ignored.location.path, ignored.location.start_line) == ("cmd/api/main.go", 88)
    token = at(outcome.findings, "internal/auth/token.go", 12)
    assert token.location is not None and token.location.snippet is None
    assert "FAKEcanary" not in "".join(f.model_dump_json() for f in outcome.findings)


# --- hand-written edge cases ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ERROR", Severity.high),
        ("WARNING", Severity.medium),
        ("INFO", Severity.low),
        ("CRITICAL", Severity.critical),
        ("HIGH", Severity.high),
        ("MEDIUM", Severity.medium),
        ("LOW", Severity.low),
    ],
)
def test_both_severity_vocabularies(tmp_path: Path, word: str, expected: Severity) -> None:
    (finding,) = parse_report(tmp_path, report(result(severity=word))).findings
    assert finding.severity is expected
    assert finding.tool_severity == word


def test_canaries_of_a_credential_rule_never_reach_the_finding(tmp_path: Path) -> None:
    credential = result(
        check_id="rules.go-hardcoded-credential",
        message=(
            f"Hard-coded credential '{PASSWORD_CANARY}' assigned to githubToken ({GITHUB_CANARY})."
        ),
        metadata={"cwe": "CWE-798: Use of Hard-coded Credentials"},
        lines=f'const githubToken = "{GITHUB_CANARY}" // {PASSWORD_CANARY}',
        metavars={
            "$NAME": {"abstract_content": "githubToken"},
            "$VALUE": {
                "abstract_content": PASSWORD_CANARY,
                "propagated_value": {"svalue_abstract_content": GITHUB_CANARY},
            },
        },
        fix=f'os.Getenv("X") // was {PASSWORD_CANARY}',
    )
    (finding,) = parse_report(tmp_path, report(credential)).findings
    dumped = finding.model_dump_json()
    assert GITHUB_CANARY not in dumped
    assert PASSWORD_CANARY not in dumped
    assert finding.location is not None and finding.location.snippet is None
    assert "githubToken" in finding.message  # the variable name is code, not a secret
    # Identity is computed from the raw message, before anything was masked.
    assert finding.identity == [fingerprint.text_digest(credential["extra"]["message"])]


# A value no token shape of the redactor knows: only the credential path can hide it.
UNSHAPED_SECRET = "q8Ux2-plover-Kestrel-5510"


@pytest.mark.parametrize(
    ("metadata", "validation_state"),
    [
        ({"product": "secrets", "secret_type": "Slack"}, "NO_VALIDATOR"),
        ({"category": "security"}, "CONFIRMED_VALID"),
    ],
)
def test_semgrep_secrets_results_are_secret_class_without_a_cwe(
    tmp_path: Path, metadata: dict[str, Any], validation_state: str
) -> None:
    secret = result(
        check_id="secrets.slack.webhook",
        message=f"Slack webhook {UNSHAPED_SECRET} detected",
        metadata=metadata,
        lines=f'hook = "{UNSHAPED_SECRET}"',
        metavars={"$SECRET": {"abstract_content": UNSHAPED_SECRET}},
        fix='hook = os.environ["HOOK"]',
        validation_state=validation_state,
    )
    (finding,) = parse_report(tmp_path, report(secret)).findings
    assert UNSHAPED_SECRET not in finding.model_dump_json()
    assert finding.location is not None and finding.location.snippet is None
    assert finding.message == "Slack webhook [REDACTED] detected"


def test_a_validator_verdict_is_kept(tmp_path: Path) -> None:
    secret = result(metadata={"product": "secrets"}, validation_state="CONFIRMED_VALID")
    (finding,) = parse_report(tmp_path, report(secret)).findings
    assert finding.properties["validation_state"] == "CONFIRMED_VALID"
    (plain,) = parse_report(tmp_path, report(result(validation_state="NO_VALIDATOR"))).findings
    assert "validation_state" not in plain.properties


def test_metavars_of_other_rules_are_not_stored(tmp_path: Path) -> None:
    sqli = result(
        check_id="rules.go-sqli",
        metadata={"cwe": ["CWE-89: SQL Injection"]},
        metavars={"$X": {"abstract_content": AWS_CANARY}},
        lines=f"db.Query(\"SELECT * FROM t WHERE k = '{AWS_CANARY}'\" + x)",
    )
    (finding,) = parse_report(tmp_path, report(sqli)).findings
    assert AWS_CANARY not in finding.model_dump_json()
    assert finding.location is not None
    assert finding.location.snippet == "db.Query(\"SELECT * FROM t WHERE k = '[REDACTED]'\" + x)"


def supply_chain_result(path: str, line: int, reachable: bool) -> dict[str, Any]:
    """A Supply Chain result as ``semgrep ci --json`` writes it (lockfile line or usage)."""
    return result(
        check_id="ssc-0ddf890152a281f12fd6d01c3953da8d",
        path=path,
        line=line,
        message="Affected versions of github.com/gin-gonic/gin are vulnerable to CWE-494.",
        metadata={
            "cwe": ["CWE-494: Download of Code Without Integrity Check"],
            "cve": "CVE-2023-29401",
            "ghsa": "GHSA-2c4m-59x9-fr2g",
            "sca-fix-versions": [{"github.com/gin-gonic/gin": "1.9.1"}],
            "sca-kind": "reachable",
            "sca-severity": "MODERATE",
            "sca-vuln-database-identifier": "CVE-2023-29401",
        },
        sca_info={
            "reachability_rule": True,
            "reachable": reachable,
            "sca_finding_schema": 20220913,
            "dependency_match": {
                "dependency_pattern": {
                    "ecosystem": "gomod",
                    "package": "github.com/gin-gonic/gin",
                    "semver_range": "< 1.9.1",
                },
                "found_dependency": {
                    "package": "github.com/gin-gonic/gin",
                    "version": "1.6.3",
                    "ecosystem": "gomod",
                    "transitivity": "direct",
                    "lockfile_path": "go.mod",
                    "line_number": 6,
                },
                "lockfile": "go.mod",
            },
        },
    )


def test_supply_chain_results_are_dependency_findings(tmp_path: Path) -> None:
    in_lockfile = supply_chain_result("go.mod", 6, False)
    used = supply_chain_result("cmd/app.go", 40, True)
    lockfile, usage = parse_report(tmp_path, report(in_lockfile, used)).findings
    assert lockfile.kind is Kind.dependency
    assert lockfile.component == Component(
        name="github.com/gin-gonic/gin",
        installed_version="1.6.3",
        fixed_version="1.9.1",
        target="go.mod",
        ecosystem="gomod",
    )
    assert lockfile.identifiers == ["CWE-494", "CVE-2023-29401", "GHSA-2c4m-59x9-fr2g"]
    assert lockfile.title == "CVE-2023-29401 in github.com/gin-gonic/gin"
    # The advisory's severity, as semgrep shows it, not the rule's WARNING.
    assert (lockfile.severity, lockfile.tool_severity) == (Severity.medium, "MODERATE")
    assert (lockfile.properties["reachable"], usage.properties["reachable"]) == (False, True)
    assert usage.location is not None and usage.location.path == "cmd/app.go"
    # One advisory in one package of one lockfile: one identity, wherever semgrep saw it used.
    expected = ["CVE-2023-29401", "github.com/gin-gonic/gin", "go.mod"]
    assert lockfile.identity == usage.identity == expected


def test_is_ignored_is_an_in_source_suppression(tmp_path: Path) -> None:
    (finding,) = parse_report(tmp_path, report(result(is_ignored=True))).findings
    assert finding.suppression == Suppression(kind="inSource", justification="nosemgrep")


def test_short_description_becomes_the_title(tmp_path: Path) -> None:
    described = result(metadata={"shortDescription": "Use of weak MD5 hash"})
    (finding,) = parse_report(tmp_path, report(described)).findings
    assert finding.title == "Use of weak MD5 hash"


def test_error_level_error_beside_results_is_not_a_failure(tmp_path: Path) -> None:
    errors = [{"code": 2, "level": "error", "type": "Timeout", "path": "big.go", "message": "x"}]
    (run,) = parse_report(
        tmp_path, report(result(), errors=errors, paths={"scanned": ["big.go"]})
    ).runs
    assert run.status is RunStatus.ok
    assert run.run_errors == ["Timeout: big.go: x"]


def test_old_error_only_report_is_failed(tmp_path: Path) -> None:
    errors = [{"level": "error", "type": "SemgrepError", "message": "no valid configuration"}]
    (run,) = parse_report(tmp_path, {"results": [], "errors": errors}).runs
    assert run.status is RunStatus.failed
    assert run.error == "SemgrepError: no valid configuration"


def test_run_error_lines_are_redacted(tmp_path: Path) -> None:
    errors = [{"level": "warn", "type": "LexicalError", "path": "a.go", "message": GITHUB_CANARY}]
    (run,) = parse_report(tmp_path, report(errors=errors)).runs
    assert run.run_errors == ["LexicalError: a.go: [REDACTED]"]


def test_skipped_rules_are_a_warning(tmp_path: Path) -> None:
    skipped = [{"rule_id": "rules.too-new", "details": "requires a later version"}]
    (run,) = parse_report(tmp_path, report(skipped_rules=skipped)).runs
    assert run.warnings == ["semgrep skipped 1 rule(s): rules.too-new"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ('{"results": [{"check_id": "a", ', "truncated or invalid JSON"),
        ("[]", "semgrep report is list, expected an object"),
        ('{"errors": []}', "semgrep report has no 'results' list"),
        ('{"results": {}, "errors": []}', "'results' is dict, expected a list"),
        (
            '{"results": [{"path": "a.go", "extra": {}}]}',
            "no entry could be read: results[0]: check_id is missing",
        ),
        ('{"results": [], "errors": ["boom"]}', "errors[0] is str, expected an object"),
    ],
)
def test_broken_input_is_a_parse_error(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason.replace("[", r"\[").replace("(", r"\(")):
        parse_text(tmp_path, text)


# --- detection ----------------------------------------------------------------------------------


def detect(text: str, path: str = "artifacts/report.json") -> int | None:
    detection = SemgrepJsonParser.detect(text.encode(), PurePath(path))
    assert detection is None or detection.skip_reason is None
    return detection.score if detection else None


def test_detects_a_report_cut_mid_document() -> None:
    head = json.dumps(report(result(), result(line=20)))[:300]
    assert detect(head) == 90


def test_detects_the_minimal_old_report_by_content_and_more_surely_by_name() -> None:
    assert detect('{"results": [], "errors": []}') == 60
    assert detect('{"results": [], "errors": []}', "ci/semgrep/out.json") == 70


@pytest.mark.parametrize(
    "text",
    [
        # Bandit writes results and errors too.
        '{"errors": [], "generated_at": "2024-01-01T00:00:00Z", "metrics": {}, "results": []}',
        # SARIF holds "results" inside its runs.
        '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS"}}, '
        '"results": [{"ruleId": "x", "message": {"text": "m"}}]}]}',
        # gosec JSON, trivy JSON, hardening's own findings.json.
        '{"Golang errors": {}, "Issues": [], "Stats": {}}',
        '{"SchemaVersion": 2, "ArtifactName": ".", "Results": []}',
        '{"schema_version": "1.0", "runs": [], "findings": [], "results": []}',
        "null",
    ],
)
def test_does_not_claim_other_tools(text: str) -> None:
    assert detect(text) is None


def test_claims_the_gitlab_sast_output_only_to_skip_it() -> None:
    head = (
        '{"$schema": "https://gitlab.com/sast-report-format.json", "version": "15.0.4", '
        '"scan": {"analyzer": {"id": "semgrep", "name": "Semgrep"}, '
        '"scanner": {"id": "semgrep", "name": "Semgrep", "vendor": {"name": "Semgrep"}}}, '
        '"vulnerabilities": []}'
    )
    detection = SemgrepJsonParser.detect(head.encode(), PurePath("gl-sast-report.json"))
    assert detection is not None
    assert detection.skip_reason == GITLAB_SAST_SKIP


def test_does_not_claim_gitlab_sast_reports_of_other_analyzers() -> None:
    head = '{"version": "15.0.4", "scan": {"scanner": {"id": "gosec"}}, "vulnerabilities": []}'
    assert SemgrepJsonParser.detect(head.encode(), PurePath("gl-sast-report.json")) is None


def test_a_scan_that_read_no_file_and_found_nothing_is_not_exercised(tmp_path: Path) -> None:
    parsed = parse_report(
        tmp_path, {"version": "1.185.0", "results": [], "errors": [], "paths": {"scanned": []}}
    )
    (run,) = parsed.runs
    assert run.status is RunStatus.not_exercised
    assert run.error == "semgrep scanned no file (paths.scanned is empty) and reported no result"


def test_an_empty_scanned_list_with_results_is_the_whole_scan_root(tmp_path: Path) -> None:
    report = json.loads((SAMPLES / "semgrep" / "semgrep.json").read_text())
    report["paths"] = {"scanned": []}
    (run,) = parse_report(tmp_path, report).runs
    assert (run.status, run.scanned_paths) == (RunStatus.ok, [])


def test_findings_of_one_rule_share_its_facts_unless_they_add_their_own(tmp_path: Path) -> None:
    metadata = {
        "cwe": ["CWE-328: Use of Weak Hash"],
        "owasp": ["A02:2021 - Cryptographic Failures"],
        "references": ["https://pkg.go.dev/crypto/md5"],
        "category": "security",
    }
    first, second, fixed = parse_report(
        tmp_path,
        report(
            result(line=10, metadata=metadata),
            result(line=20, metadata=metadata),
            result(line=30, metadata=metadata, fix="sha256.New()"),
        ),
    ).findings
    rule_properties = {"owasp": ["A02:2021 - Cryptographic Failures"], "category": "security"}
    assert first.properties == second.properties == rule_properties
    assert first.properties is second.properties
    assert first.identifiers is second.identifiers and first.identifiers == ("CWE-328",)
    assert first.references is second.references
    assert fixed.properties == {**rule_properties, "fix": "sha256.New()"}
    assert first.properties == rule_properties  # the rule's own dict is left as it was

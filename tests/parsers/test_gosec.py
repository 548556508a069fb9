"""gosec ``-fmt=json``: one code finding per issue, suppressed ones included and marked."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

import pytest

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import Finding, Kind, RunStatus, Severity, Suppression
from hardening.parsers.gosec import (
    SONARQUBE_SKIP_REASON,
    GosecJsonParser,
    flagged_text,
    line_range,
)
from hardening.parsers.interface import Artifact, Detection, ParseResult
from hardening.paths import PathNormalizer
from hardening.reading import read_artifact
from support import SAMPLES

GHP = "ghp_" + "Q7w9Er2Ty4Ui6Op8As1Df3Gh5Jk7Lz9Xc2Vb4"
AKIA = "AKIA" + "Q7W9ER2TY4UI6OP8"
BEARER = "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ"


def parse(path: Path) -> ParseResult:
    return GosecJsonParser().parse(Artifact(path=path, name=path.name))


def write(tmp_path: Path, doc: Any, name: str = "gosec.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def issue(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "severity": "MEDIUM",
        "confidence": "HIGH",
        "cwe": {"id": "22", "url": "https://cwe.mitre.org/data/definitions/22.html"},
        "rule_id": "G304",
        "details": "Potential file inclusion via variable",
        "file": "/builds/acme/payments-api/internal/config/load.go",
        "code": (
            "22: func Load(path string) {\n"
            "23: \traw, err := os.ReadFile(path)\n"
            "24: \tif err != nil {\n"
        ),
        "line": "23",
        "column": "14",
        "nosec": False,
        "suppressions": None,
    }
    base.update(overrides)
    return base


def report(*issues: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Golang errors": {},
        "Issues": list(issues),
        "Stats": {"files": 1, "lines": 40, "nosec": 0, "found": len(issues)},
        "GosecVersion": "2.21.4",
    }
    doc.update(extra)
    return doc


def only(result: ParseResult) -> Finding:
    assert len(result.findings) == 1
    return result.findings[0]


# --- detection ---------------------------------------------------------------------------


def test_detects_current_report_by_its_keys(corpus: Path) -> None:
    path = corpus / "gosec/tmc-cdp-golang-errors.json"
    head = path.read_bytes()[:65536]
    assert GosecJsonParser.detect(head, PurePath(path.name)) == Detection(90)


def test_detects_old_report_with_only_issues_and_stats(corpus: Path) -> None:
    path = corpus / "gosec/dd-govwa-many-vulns.json"
    assert GosecJsonParser.detect(path.read_bytes(), PurePath("report.json")) == Detection(90)


def test_detects_old_report_whose_stats_lie_beyond_the_head() -> None:
    head = b'{\n\t"Issues": [\n\t\t{\n\t\t\t"severity": "LOW",\n\t\t\t"rule_id": "G104",\n'
    assert GosecJsonParser.detect(head, PurePath("out.json")) == Detection(80)


def test_sonarqube_report_is_skipped_with_a_reason(tmp_path: Path) -> None:
    # gosec -fmt=sonarqube, as gosec writes it (often saved as gosec.json).
    sonar = {
        "issues": [
            {
                "engineId": "gosec",
                "ruleId": "G402",
                "primaryLocation": {
                    "message": "TLS InsecureSkipVerify set true.",
                    "filePath": "vuln.go",
                    "textRange": {"startLine": 10, "endLine": 10},
                },
                "type": "VULNERABILITY",
                "severity": "BLOCKER",
                "effortMinutes": 5,
            }
        ]
    }
    path = write(tmp_path, json.dumps(sonar, indent="\t"))
    detection = GosecJsonParser.detect(path.read_bytes(), PurePath(path.name))
    assert detection == Detection(85, skip_reason=SONARQUBE_SKIP_REASON)
    outcome = read_artifact(path, path.name, PathNormalizer())
    assert outcome.skipped is not None
    assert outcome.skipped.reason == (
        "gosec SonarQube report: not read; run gosec with -fmt=json or -fmt=sarif"
    )


@pytest.mark.parametrize(
    "head",
    [
        b'{"results": [], "errors": [], "paths": {"scanned": []}}',  # semgrep
        b'[{"RuleID": "aws-access-token", "Secret": "x"}]',  # gitleaks
        b'{"SchemaVersion": 2, "Results": []}',  # trivy
        b'{"Issues": []}',  # too little to say it is gosec
        b'{"version": "2.1.0", "runs": []}',  # SARIF, the SARIF parser's
    ],
)
def test_does_not_claim_other_documents(head: bytes) -> None:
    assert GosecJsonParser.detect(head, PurePath("gosec.json")) is None


# --- line ranges and flagged text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("91", (91, 91)), ("12-14", (12, 14)), (7, (7, 7)), ("", (None, None)), (None, (None, None))],
)
def test_line_is_a_number_or_a_range(value: Any, expected: tuple[int | None, int | None]) -> None:
    assert line_range(value) == expected


def test_flagged_text_keeps_only_the_numbered_lines_in_range() -> None:
    code = "107: func f() {\n108: \td.Encode(struct {\n109: \t\tRoot string\n110: \t}{root})\n"
    assert flagged_text(code, 108, 110) == "\td.Encode(struct {\n\t\tRoot string\n\t}{root})"


def test_flagged_text_of_an_unnumbered_old_snippet_is_the_whole_snippet() -> None:
    assert flagged_text("md5.New()", 160, 160) == "md5.New()"


# --- real reports --------------------------------------------------------------------------


def test_old_report_reads_issues_without_cwe_column_or_version(corpus: Path) -> None:
    result = parse(corpus / "gosec/dd-govwa-many-vulns.json")
    run = result.runs[0]
    assert (run.tool, run.format, run.version, run.status) == ("gosec", "json", None, RunStatus.ok)
    assert run.properties["stats"] == {"files": 20, "lines": 1562, "nosec": 0, "found": 28}
    first = result.findings[0]
    assert first.kind is Kind.code
    assert (first.rule_id, first.severity, first.tool_severity, first.confidence) == (
        "G104",
        Severity.low,
        "LOW",
        "HIGH",
    )
    assert first.title == "Errors unhandled."
    assert first.identifiers == []
    assert first.suppression is None
    assert first.location is not None
    assert first.location.path == "/vagrant/go/src/govwa/app.go"
    assert (first.location.start_line, first.location.end_line) == (79, 79)
    assert first.location.start_column is None
    assert first.location.snippet == "s.ListenAndServe()"
    assert first.identity == [fingerprint.text_digest("s.ListenAndServe()")]


def test_old_report_line_range_spans_the_whole_statement(corpus: Path) -> None:
    result = parse(corpus / "gosec/dd-govwa-many-vulns.json")
    ranged = [f for f in result.findings if f.location and f.location.end_line == 39]
    assert len(ranged) == 1
    loc = ranged[0].location
    assert loc is not None
    assert (ranged[0].rule_id, loc.start_line) == ("G201", 36)
    assert loc.snippet is not None and loc.snippet.startswith("fmt.Sprintf(`SELECT p.user_id")


def test_windows_paths_are_kept_raw_for_the_pipeline_to_normalize(corpus: Path) -> None:
    result = parse(corpus / "gosec/heimdall-go-ethereum-insource-suppressed.json")
    first = result.findings[0]
    assert first.location is not None
    assert first.location.path == (
        "C:\\Users\\chu\\Downloads\\go-ethereum-master\\core\\state\\snapshot\\difflayer.go"
    )
    assert (first.location.start_line, first.location.start_column) == (91, 30)
    assert first.rule_id == "G404"
    assert first.severity is Severity.high
    assert first.identifiers == ["CWE-338"]
    assert first.location.snippet == "bloomAccountHasherOffset = rand.Intn(25)"
    assert result.runs[0].version == "dev"


def test_suppressed_issues_are_findings_marked_with_their_first_suppression(corpus: Path) -> None:
    result = parse(corpus / "gosec/heimdall-go-ethereum-insource-suppressed.json")
    suppressed = [f for f in result.findings if f.suppression is not None]
    assert len(result.findings) == 173
    assert len(suppressed) == 12
    by_line = {(f.location.start_line if f.location else 0): f.suppression for f in suppressed}
    assert by_line[458] == Suppression(kind="inSource", justification="False positive")
    assert by_line[1524] == Suppression(kind="inSource", justification=None)
    assert by_line[162] == Suppression(kind="external", justification="Globally suppressed.")
    # [inSource, external]: the in-source annotation comes first and names it.
    assert by_line[102] == Suppression(kind="inSource", justification=None)


def test_range_identity_uses_the_flagged_lines_without_context(corpus: Path) -> None:
    result = parse(corpus / "gosec/heimdall-go-ethereum-insource-suppressed.json")
    finding = next(f for f in result.findings if f.location and f.location.start_line == 108)
    assert finding.location is not None
    assert finding.location.end_line == 110
    flagged = '\td.Encode(struct {\n\t\tRoot common.Hash `json:"root"`\n\t}{root})'
    assert finding.identity == [fingerprint.text_digest(flagged)]
    shown = 'd.Encode(struct {\n\tRoot common.Hash `json:"root"`\n}{root})'
    assert finding.location.snippet == shown


def test_identity_matches_the_trimmed_snippet_gosec_sarif_carries(corpus: Path) -> None:
    result = parse(corpus / "gosec/tmc-cdp-golang-errors.json")
    finding = next(f for f in result.findings if f.location and f.location.start_line == 355)
    sarif_snippet = 'fmt.Sscanf(portStr, "%d", &debugPort)'
    assert finding.identity == [fingerprint.text_digest(sarif_snippet)]


def test_golang_errors_become_one_line_run_errors_with_their_path(corpus: Path) -> None:
    run = parse(corpus / "gosec/tmc-cdp-golang-errors.json").runs[0]
    assert run.status is RunStatus.ok
    # 3 package errors under "", 3 identical ones under "-" (kept once), 7 per file.
    assert len(run.run_errors) == 11
    assert all("\n" not in line and len(line) <= 300 for line in run.run_errors)
    assert (
        "/Users/tmc/go/src/github.com/tmc/misc/chrome-to-har/internal/browser/"
        'session_detector.go:11:2: "os" imported and not used'
    ) in run.run_errors
    assert run.run_errors[2] == (
        'internal/browser/session_detector.go:11:2: "os" imported and not used; '
        "internal/browser/session_detector.go:161:15: declared and not used: err"
    )


def test_corpus_reports_fingerprint_every_finding_distinctly(corpus: Path) -> None:
    for name in ("dd-govwa-many-vulns.json", "heimdall-go-ethereum-insource-suppressed.json"):
        outcome = read_artifact(corpus / "gosec" / name, name, PathNormalizer())
        prints = [f.fingerprint for f in outcome.findings]
        assert len(set(prints)) == len(prints)


# --- hand-written edge cases ---------------------------------------------------------------


def test_severity_words_map_through_the_gosec_table(tmp_path: Path) -> None:
    doc = report(issue(severity="HIGH"), issue(severity="LOW", line="30"), issue(severity="odd"))
    result = parse(write(tmp_path, doc))
    assert [f.severity for f in result.findings] == [Severity.high, Severity.low, Severity.medium]
    assert result.findings[2].tool_severity == "odd"


def test_nosec_without_suppression_entries_is_in_source(tmp_path: Path) -> None:
    finding = only(parse(write(tmp_path, report(issue(nosec=True)))))
    assert finding.suppression == Suppression(kind="inSource")


def test_empty_suppressions_list_is_not_suppressed(tmp_path: Path) -> None:
    assert only(parse(write(tmp_path, report(issue(suppressions=[]))))).suppression is None


def test_inserting_lines_above_changes_no_fingerprint(tmp_path: Path) -> None:
    before = report(issue())
    after = report(
        issue(code="27: func Load(path string) {\n28: \traw, err := os.ReadFile(path)\n", line="28")
    )
    first = read_artifact(write(tmp_path, before, "a.json"), "a.json", PathNormalizer())
    second = read_artifact(write(tmp_path, after, "b.json"), "b.json", PathNormalizer())
    assert first.findings[0].fingerprint == second.findings[0].fingerprint
    assert first.findings[0].location is not None
    assert first.findings[0].location.path == "internal/config/load.go"


def test_hard_coded_credentials_carry_no_snippet(tmp_path: Path) -> None:
    g101 = issue(
        rule_id="G101",
        details="Potential hardcoded credentials",
        cwe={"id": "798", "url": "https://cwe.mitre.org/data/definitions/798.html"},
        code=f'16: const (\n17: \tgithubToken = "{GHP}"\n18: )\n',
        line="17",
    )
    finding = only(parse(write(tmp_path, report(g101))))
    assert finding.location is not None
    assert finding.location.snippet is None
    assert finding.identifiers == ["CWE-798"]
    assert finding.identity == [fingerprint.text_digest(f'\tgithubToken = "{GHP}"')]
    assert GHP not in finding.model_dump_json()


def test_g101_without_cwe_in_an_old_report_still_hides_its_snippet(tmp_path: Path) -> None:
    old = {"Issues": [{"severity": "HIGH", "confidence": "LOW", "rule_id": "G101",
                       "details": "Potential hardcoded credentials", "file": "/src/a.go",
                       "code": f'password := "{AKIA}"', "line": "3"}],
           "Stats": {"files": 1, "lines": 9, "nosec": 0, "found": 1}}  # fmt: skip
    finding = only(parse(write(tmp_path, old)))
    assert finding.location is not None and finding.location.snippet is None
    assert AKIA not in finding.model_dump_json()


def test_other_rules_show_their_snippet_redacted(tmp_path: Path) -> None:
    g107 = issue(
        rule_id="G107",
        details="Potential HTTP request made with variable url",
        code=f'41: \treq.Header.Set("X", "{BEARER}")\n42: \tresp, err := http.Get(url + "{GHP}")\n',
        line="41-42",
        suppressions=[{"kind": "inSource", "justification": f"token {AKIA} is a test fixture"}],
    )
    finding = only(parse(write(tmp_path, report(g107))))
    dumped = finding.model_dump_json()
    for canary in (GHP, AKIA, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ"):
        assert canary not in dumped
    assert finding.location is not None and finding.location.snippet is not None
    assert "http.Get(url" in finding.location.snippet
    assert "[REDACTED]" in finding.location.snippet


def test_golang_errors_with_nothing_scanned_mean_gosec_failed(tmp_path: Path) -> None:
    doc = report(**{"Golang errors": {"-": [{"line": 0, "column": 0, "error": "go list failed"}]}})
    doc["Stats"] = {"files": 0, "lines": 0, "nosec": 0, "found": 0}
    run = parse(write(tmp_path, doc)).runs[0]
    assert run.status is RunStatus.failed
    assert run.error == "gosec reported 1 Go error(s) and scanned no files"
    assert run.run_errors == ["go list failed"]


def test_run_errors_are_redacted(tmp_path: Path) -> None:
    errors = {"/src/a.go": [{"line": 3, "column": 1, "error": f"bad token {GHP}"}]}
    run = parse(write(tmp_path, report(issue(), **{"Golang errors": errors}))).runs[0]
    assert run.run_errors == ["/src/a.go:3:1: bad token [REDACTED]"]


def test_sample_reads_ok_with_relative_paths_and_suppressed_entries() -> None:
    path = SAMPLES / "gosec/gosec.json"
    outcome = read_artifact(path, "samples/gosec/gosec.json", PathNormalizer())
    assert [run.status for run in outcome.runs] == [RunStatus.ok]
    assert outcome.runs[0].version == "2.21.4"
    assert len(outcome.findings) == 7
    assert sum(1 for f in outcome.findings if f.suppressed) == 2
    paths = {f.path for f in outcome.findings}
    assert paths == {
        "cmd/api/main.go",
        "internal/auth/token.go",
        "internal/store/db.go",
        "internal/config/load.go",
    }


# --- broken input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty file"),
        (
            '{"Issues": [{"severity": "LOW", "rule_id": "G1',
            "truncated or invalid JSON: Unterminated string starting at line 1 column 44",
        ),
        ('[{"Issues": []}]', "gosec report is list, expected an object"),
        ('{"Stats": {}}', "not a gosec JSON report: no Issues key"),
        ('{"Issues": {"a": 1}}', "Issues is dict, expected a list"),
        # An issue that cannot be read is skipped; a report of nothing else cannot be read.
        ('{"Issues": ["G104"]}', "no entry could be read: Issues[0]: the entry is str, expected"),
        (
            '{"Issues": [{"file": "a.go", "line": "1"}]}',
            "no entry could be read: Issues[0]: the entry has no rule_id",
        ),
        (
            '{"Issues": [{"rule_id": "G104", "line": "1"}]}',
            "no entry could be read: Issues[0]: the entry has no file",
        ),
        ('{"Issues": [], "Golang errors": []}', "Golang errors is list, expected an object"),
    ],
)
def test_broken_reports_raise_a_one_line_parse_error(
    tmp_path: Path, content: str, reason: str
) -> None:
    with pytest.raises(ParseError) as err:
        parse(write(tmp_path, content))
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_wrong_types_inside_an_issue_raise_parse_error(tmp_path: Path) -> None:
    for bad in (issue(cwe="CWE-22"), issue(suppressions="nosec"), issue(suppressions=[1])):
        with pytest.raises(ParseError):
            parse(write(tmp_path, report(bad)))


def test_non_finite_numbers_are_treated_as_absent(tmp_path: Path) -> None:
    content = json.dumps(report(issue())).replace('"column": "14"', '"column": Infinity')
    finding = only(parse(write(tmp_path, content)))
    assert finding.location is not None and finding.location.start_column is None


def test_a_scan_of_zero_files_that_found_nothing_is_not_exercised(tmp_path: Path) -> None:
    doc = {"Issues": [], "Stats": {"files": 0, "lines": 0, "nosec": 0, "found": 0}}
    (run,) = parse(write(tmp_path, doc)).runs
    assert run.status is RunStatus.not_exercised
    assert run.error == "gosec scanned no file (Stats.files is 0) and reported no issue"


def test_a_clean_scan_of_some_files_is_ok(tmp_path: Path) -> None:
    doc = {"Issues": [], "Stats": {"files": 12, "lines": 900, "nosec": 0, "found": 0}}
    (run,) = parse(write(tmp_path, doc)).runs
    assert run.status is RunStatus.ok

"""gitleaks JSON (v8, v7) and CSV: one secret finding per entry, never its secret."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path, PurePath
from typing import Any

import pytest

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import CodeLocation, Finding, Kind, RunStatus, Severity
from hardening.parsers.gitleaks import (
    JUNIT_SKIP_REASON,
    GitleaksCsvParser,
    GitleaksJsonParser,
)
from hardening.parsers.interface import Artifact, Detection, ParseResult
from hardening.paths import PathNormalizer
from hardening.reading import read_artifact
from support import SAMPLES

# Made-up canaries shaped like real credentials.
GHP = "ghp_" + "Zx8Cv6Bn4Ml2Kj0Hg9Fd7Sa5Qw3Er1Ty8Ui6Op"
AKIA = "AKIA" + "Z7X5C3V1B9N8M6L4"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.Y2FuYXJ5LXNpZ25hdHVyZQ"
BEARER = f"Authorization: Bearer {JWT}"
CANARIES = (GHP, AKIA, JWT, "canary-author", "canary@mail.example", "canary commit message")

V8_COLUMNS = [
    "RuleID", "Commit", "File", "SymlinkFile", "Secret", "Match", "StartLine", "EndLine",
    "StartColumn", "EndColumn", "Author", "Message", "Date", "Email", "Fingerprint", "Tags",
]  # fmt: skip


def parse_json(path: Path) -> ParseResult:
    return GitleaksJsonParser().parse(Artifact(path=path, name=path.name))


def parse_csv(path: Path) -> ParseResult:
    return GitleaksCsvParser().parse(Artifact(path=path, name=path.name))


def write(tmp_path: Path, content: Any, name: str = "gitleaks.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def v8_entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "RuleID": "github-pat",
        "Description": "Uncovered a GitHub Personal Access Token.",
        "StartLine": 12,
        "EndLine": 12,
        "StartColumn": 18,
        "EndColumn": 57,
        "Match": f'token := "{GHP}"',
        "Secret": GHP,
        "File": "internal/auth/token.go",
        "SymlinkFile": "",
        "Commit": "5b1f0c2e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
        "Entropy": 4.8,
        "Author": "canary-author",
        "Email": "canary@mail.example",
        "Date": "2024-05-02T09:14:31Z",
        "Message": f"canary commit message {AKIA}",
        "Tags": [],
        "Fingerprint": "5b1f0c2e:internal/auth/token.go:github-pat:12",
    }
    entry.update(overrides)
    return entry


def v7_entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "line": f"export AWS_ACCESS_KEY_ID={AKIA}",
        "lineNumber": 3,
        "offender": AKIA,
        "offenderEntropy": -1,
        "commit": "d54ce70d0cf883054ed256db46406a5df551f000",
        "repo": "payments-api",
        "repoURL": "",
        "leakURL": "",
        "rule": "AWS Access Key",
        "commitMessage": f"canary commit message\n{BEARER}\n",
        "author": "canary-author",
        "email": "canary@mail.example",
        "file": "deploy/staging.env",
        "date": "2020-04-04T15:52:59-07:00",
        "tags": "key, AWS",
    }
    entry.update(overrides)
    return entry


def csv_text(rows: list[list[str]], header: list[str] = V8_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def only(result: ParseResult) -> Finding:
    assert len(result.findings) == 1
    return result.findings[0]


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, canary


# --- detection ---------------------------------------------------------------------------


def test_detects_v8_and_v7_lists_by_their_keys(corpus: Path) -> None:
    for name in ("pygoat-v8-git-mode.json", "gl-golden-simple.json", "dd-v7-many.json"):
        head = (corpus / "gitleaks" / name).read_bytes()
        assert GitleaksJsonParser.detect(head, PurePath("report.json")) == Detection(90)


@pytest.mark.parametrize("body", [b"null\n", b"[]\n", b"\xef\xbb\xbf[]"])
def test_empty_report_is_claimed_only_when_its_path_names_gitleaks(body: bytes) -> None:
    assert GitleaksJsonParser.detect(body, PurePath("artifacts/gitleaks/report.json")) == Detection(
        30
    )
    assert GitleaksJsonParser.detect(body, PurePath("gitleaks-report.json")) == Detection(30)
    assert GitleaksJsonParser.detect(body, PurePath("artifacts/trivy-report.json")) is None


def test_empty_file_named_for_gitleaks_is_claimed_and_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "", "gitleaks.json")
    assert GitleaksJsonParser.detect(b"", PurePath(path.as_posix())) == Detection(30)
    with pytest.raises(ParseError, match=r"^empty file$"):
        parse_json(path)
    outcome = read_artifact(path, "gitleaks.json", PathNormalizer())
    assert [(run.status, run.error) for run in outcome.runs] == [(RunStatus.failed, "empty file")]


def test_junit_report_is_skipped_with_a_reason_that_holds_none_of_it(corpus: Path) -> None:
    path = corpus / "gitleaks/gl-golden-simple-junit.xml"
    detection = GitleaksJsonParser.detect(path.read_bytes(), PurePath(path.name))
    assert detection == Detection(95, skip_reason=JUNIT_SKIP_REASON)
    outcome = read_artifact(path, path.name, PathNormalizer())
    assert outcome.skipped is not None
    assert outcome.skipped.reason == "gitleaks JUnit report: not read; use -f json or sarif"


@pytest.mark.parametrize(
    "head",
    [
        b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gitleaks"}}}]}',
        b'[{"Target": "go.sum", "Vulnerabilities": []}]',
        b'{"Issues": [], "Stats": {}}',
        b'<?xml version="1.0"?><testsuites><testsuite name="schemathesis">',
    ],
)
def test_does_not_claim_other_documents(head: bytes) -> None:
    assert GitleaksJsonParser.detect(head, PurePath("gitleaks/x.json")) is None
    assert GitleaksCsvParser.detect(head, PurePath("gitleaks/x.csv")) is None


def test_csv_is_detected_by_its_header(corpus: Path) -> None:
    head = (corpus / "gitleaks/gl-golden-simple.csv").read_bytes()
    assert GitleaksCsvParser.detect(head, PurePath("out.csv")) == Detection(90)
    assert GitleaksJsonParser.detect(head, PurePath("out.csv")) is None
    v7_header = b"repo,line,commit,offender,leakURL,rule,tags,commitMsg,author,email,file,date\n"
    assert GitleaksCsvParser.detect(v7_header, PurePath("leaks.csv")) == Detection(90)


# --- v8 JSON -------------------------------------------------------------------------------


def test_v8_entry_reads_rule_description_place_and_commit(corpus: Path) -> None:
    result = parse_json(corpus / "gitleaks/pygoat-v8-git-mode.json")
    assert len(result.findings) == 11
    assert result.runs[0].properties == {"report_schema": "v8"}
    jwt = result.findings[1]
    assert jwt.kind is Kind.secret
    assert (jwt.tool, jwt.rule_id, jwt.severity, jwt.tool_severity) == (
        "gitleaks",
        "jwt",
        Severity.high,
        None,
    )
    assert (
        jwt.title
        == jwt.message
        == (
            "Uncovered a JSON Web Token, which may lead to unauthorized access to web applications "
            "and sensitive user data."
        )
    )
    assert jwt.location == CodeLocation(
        path="pygoat/introduction/static/js/a7.js",
        start_line=4,
        end_line=4,
        start_column=117,
        end_column=254,
        snippet=None,
    )
    assert jwt.commits == ["81c7e88d275ddb310e455f2e7ccb0b0af69feecf"]
    assert jwt.properties == {
        "entropy": 5.373,
        "gitleaks_fingerprint": (
            "81c7e88d275ddb310e455f2e7ccb0b0af69feecf:pygoat/introduction/static/js/a7.js:jwt:4"
        ),
    }


def test_v8_identity_is_the_slow_hash_of_the_secret(corpus: Path) -> None:
    path = corpus / "gitleaks/pygoat-v8-git-mode.json"
    raw = json.loads(path.read_text())
    result = parse_json(path)
    for entry, finding in zip(raw, result.findings, strict=True):
        assert finding.identity == [
            "hash",
            fingerprint.secret_digest(entry["RuleID"], entry["Secret"]),
        ]
        dumped = finding.model_dump_json()
        assert entry["Secret"] not in dumped
        assert entry["Match"] not in dumped
        assert entry["Author"] not in dumped and entry["Email"] not in dumped


def test_json_secret_is_the_snippet_gitleaks_writes_to_sarif(corpus: Path) -> None:
    """The SARIF parser hashes region.snippet.text: both outputs of one scan must agree."""
    sarif = json.loads((corpus / "gitleaks/gl-golden-simple.sarif").read_text())
    result = sarif["runs"][0]["results"][0]
    snippet = result["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]
    finding = only(parse_json(corpus / "gitleaks/gl-golden-simple.json"))
    assert finding.identity == ["hash", fingerprint.secret_digest(result["ruleId"], snippet)]


def test_json_and_csv_of_one_scan_share_fingerprints(corpus: Path) -> None:
    from_json = read_artifact(corpus / "gitleaks/gl-golden-simple.json", "a", PathNormalizer())
    from_csv = read_artifact(corpus / "gitleaks/gl-golden-simple.csv", "b", PathNormalizer())
    assert [f.fingerprint for f in from_json.findings] == [f.fingerprint for f in from_csv.findings]


def test_empty_description_falls_back_to_the_rule_id(corpus: Path) -> None:
    finding = only(parse_json(corpus / "gitleaks/gl-golden-simple.json"))
    assert (finding.title, finding.message) == ("test-rule", "test-rule")
    assert finding.location is not None
    assert (finding.location.start_line, finding.location.end_line) == (1, 2)
    assert finding.commits == ["0000000000000000"]
    assert finding.properties == {}  # Entropy 0, no tags, empty Fingerprint


def test_same_leak_in_two_commits_keeps_one_fingerprint() -> None:
    outcome = read_artifact(SAMPLES / "gitleaks/gitleaks.json", "gitleaks.json", PathNormalizer())
    pats = [f for f in outcome.findings if f.rule_id == "github-pat"]
    assert len(pats) == 2
    assert pats[0].commits != pats[1].commits
    assert pats[0].fingerprint == pats[1].fingerprint


def test_v8_report_redacted_at_source_hashes_the_redacted_match(tmp_path: Path) -> None:
    entry = v8_entry(Secret="REDACTED", Match='token := "REDACTED"')
    finding = only(parse_json(write(tmp_path, [entry])))
    assert finding.identity == ["redacted", fingerprint.text_digest('token := "REDACTED"')]


def test_v8_empty_commit_and_clean_report(tmp_path: Path) -> None:
    finding = only(parse_json(write(tmp_path, [v8_entry(Commit="")])))
    assert finding.commits == []
    assert parse_json(write(tmp_path, "[]")).findings == []


def test_v8_symlinked_file_is_located_at_the_link_as_gitleaks_sarif_does(tmp_path: Path) -> None:
    entry = v8_entry(Tags=["key", "GitHub"], SymlinkFile="link/token.go", Entropy=0)
    finding = only(parse_json(write(tmp_path, [entry])))
    assert finding.location is not None
    assert finding.location.path == "link/token.go"
    assert finding.properties == {
        "tags": ["key", "GitHub"],
        "gitleaks_fingerprint": "5b1f0c2e:internal/auth/token.go:github-pat:12",
        "symlink_target": "internal/auth/token.go",
    }


# --- v7 JSON -------------------------------------------------------------------------------


def test_v7_entries_read_rule_file_commit_and_tags(corpus: Path) -> None:
    result = parse_json(corpus / "gitleaks/dd-v7-many.json")
    assert result.runs[0].properties == {"report_schema": "v7"}
    assert [f.rule_id for f in result.findings] == ["Github", "MailChimp API key"]
    first = result.findings[0]
    assert (first.title, first.message, first.severity) == ("Github", "Github", Severity.high)
    assert first.location == CodeLocation(path=".bashrc")
    assert first.commits == ["d54ce70d0cf883054ed256db46406a5df551f000"]
    assert first.properties == {"tags": ["key", "Github"]}
    secret = 'GITHUB_TOKEN="c77e01c1e89682e4d4b94a059a7fd2b37ab326ed"'
    assert first.identity == ["hash", fingerprint.secret_digest("Github", secret)]
    assert "c77e01c1e89682e4d4b94a059a7fd2b37ab326ed" not in first.model_dump_json()


def test_v7_redacted_report_hashes_each_redacted_line(corpus: Path) -> None:
    path = corpus / "gitleaks/dd-v7-redacted.json"
    raw = json.loads(path.read_text())
    outcome = read_artifact(path, path.name, PathNormalizer())
    assert len(outcome.findings) == 6
    first = outcome.findings[0]
    assert first.identity == ["redacted", fingerprint.text_digest(raw[0]["line"])]
    assert first.location is not None
    assert (first.location.path, first.location.start_line) == (
        "overlays/server/config/server-config.yml",
        224,
    )
    assert len({f.fingerprint for f in outcome.findings}) == 6
    for finding in outcome.findings:
        assert "someuser@gmail.com" not in finding.model_dump_json()
        assert "unique_id" not in finding.model_dump_json()


def test_v7_clean_report_is_null(corpus: Path) -> None:
    result = parse_json(corpus / "gitleaks/dd-null.json")
    assert result.findings == []
    assert [run.status for run in result.runs] == [RunStatus.ok]


def test_v7_positive_entropy_is_kept(tmp_path: Path) -> None:
    finding = only(parse_json(write(tmp_path, [v7_entry(offenderEntropy=3.91234)])))
    assert finding.properties == {"entropy": 3.912, "tags": ["key", "AWS"]}


# --- CSV -----------------------------------------------------------------------------------


def test_csv_row_reads_like_the_json_entry(corpus: Path) -> None:
    finding = only(parse_csv(corpus / "gitleaks/gl-golden-simple.csv"))
    assert (finding.rule_id, finding.title, finding.kind) == ("test-rule", "test-rule", Kind.secret)
    assert finding.location == CodeLocation(
        path="auth.py", start_line=1, end_line=2, start_column=1, end_column=2
    )
    assert finding.commits == ["0000000000000000"]
    assert finding.properties == {
        "tags": ["tag1", "tag2", "tag3"],
        "gitleaks_fingerprint": "fingerprint",
    }
    assert finding.identity == ["hash", fingerprint.secret_digest("test-rule", "a secret")]


def test_csv_with_trailing_link_column(tmp_path: Path) -> None:
    link = "https://example.com/blob/abc123/deploy/staging.env#L3"
    row = ["aws-access-token", "abc123", "deploy/staging.env", "", AKIA, AKIA, "3", "3", "19",
           "38", "a", "m", "d", "e", "f", "", link]  # fmt: skip
    path = write(tmp_path, csv_text([row], [*V8_COLUMNS, "Link"]), "gitleaks.csv")
    finding = only(parse_csv(path))
    assert finding.location is not None and finding.location.start_line == 3


def test_v7_csv_reads_rule_file_and_commit(tmp_path: Path) -> None:
    header = ["repo", "line", "commit", "offender", "rule", "tags", "commitMsg", "author",
              "email", "file", "date"]  # fmt: skip
    row = ["payments-api", f"key={AKIA}", "d54ce70d", AKIA, "AWS Access Key", "key, AWS",
           "canary commit message", "canary-author", "canary@mail.example", ".env",
           "2020-04-04T15:52:59-07:00"]  # fmt: skip
    result = parse_csv(write(tmp_path, csv_text([row], header), "leaks.csv"))
    finding = only(result)
    assert result.runs[0].properties == {"report_schema": "v7"}
    assert (finding.rule_id, finding.commits) == ("AWS Access Key", ["d54ce70d"])
    assert finding.location == CodeLocation(path=".env")
    assert finding.identity == ["hash", fingerprint.secret_digest("AWS Access Key", AKIA)]
    assert_no_canary(finding.model_dump_json())


def test_empty_csv_is_a_clean_gitleaks_run(tmp_path: Path) -> None:
    # gitleaks writes nothing at all to a CSV report when it finds no leaks.
    path = write(tmp_path, "", "gitleaks.csv")
    assert GitleaksCsvParser.detect(b"", PurePath(path.as_posix())) == Detection(30)
    outcome = read_artifact(path, "gitleaks.csv", PathNormalizer())
    assert [run.status for run in outcome.runs] == [RunStatus.ok]
    assert outcome.findings == []


# --- the canary test -------------------------------------------------------------------------


def test_no_planted_secret_reaches_any_finding(tmp_path: Path) -> None:
    v8 = [
        v8_entry(),
        v8_entry(RuleID="aws-access-token", Secret=AKIA, Match=f"aws_key = {AKIA}"),
        v8_entry(RuleID="jwt", Secret=JWT, Match=BEARER, Description=f"leak {GHP}"),
        v8_entry(Secret=f"{GHP[:10]}REDACTED", Match=f"{BEARER} REDACTED"),
    ]
    v7 = [
        v7_entry(),
        v7_entry(offender=GHP, line=f"token: {GHP}", leakURL=f"https://x.example/{JWT}"),
    ]
    rows = [
        [entry["RuleID"], entry["Commit"], entry["File"], "", entry["Secret"], entry["Match"],
         "12", "12", "1", "9", "canary-author", entry["Message"], "2024-05-02",
         "canary@mail.example", entry["Fingerprint"], "key"]
        for entry in v8
    ]  # fmt: skip
    findings = [
        *parse_json(write(tmp_path, v8, "v8.json")).findings,
        *parse_json(write(tmp_path, v7, "v7.json")).findings,
        *parse_csv(write(tmp_path, csv_text(rows), "gitleaks.csv")).findings,
    ]
    assert len(findings) == 10
    for finding in findings:
        assert finding.location is None or finding.location.snippet is None
        assert_no_canary(finding.model_dump_json())


def test_samples_read_ok_without_their_canaries() -> None:
    for name in ("gitleaks.json", "gitleaks.csv"):
        outcome = read_artifact(SAMPLES / "gitleaks" / name, name, PathNormalizer())
        assert [run.status for run in outcome.runs] == [RunStatus.ok]
        assert len(outcome.findings) == 4
        for finding in outcome.findings:
            dumped = finding.model_dump_json()
            assert "ghp_CANARY" not in dumped
            assert "AKIAIOSFODNN7EXAMPLE" not in dumped
            assert "acme_test_" not in dumped


# --- broken input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (f'[{{"RuleID": "github-pat", "Secret": "{GHP}', "truncated or invalid JSON"),
        ('{"findings": []}', "gitleaks report is a JSON dict, expected a list of findings"),
        # An entry that cannot be read is skipped; a report of nothing else cannot be read.
        ('["x"]', "no entry could be read: finding 0: the entry is str, expected an object"),
        (
            '[{"File": "a.go"}]',
            "no entry could be read: finding 0: the entry has neither RuleID (gitleaks v8) nor",
        ),
        ('[{"RuleID": "", "Secret": "x"}]', "no entry could be read: finding 0: the entry has no"),
    ],
)
def test_broken_json_raises_a_parse_error_without_secrets(
    tmp_path: Path, content: str, reason: str
) -> None:
    with pytest.raises(ParseError) as err:
        parse_json(write(tmp_path, content))
    assert reason in str(err.value)
    assert_no_canary(str(err.value))


def test_truncated_csv_row_raises_a_parse_error_without_secrets(tmp_path: Path) -> None:
    text = csv_text([]) + f"github-pat,5b1f0c2e,internal/auth/token.go,,{GHP}\n"
    with pytest.raises(ParseError) as err:
        parse_csv(write(tmp_path, text, "gitleaks.csv"))
    assert str(err.value) == "CSV row 2 has 5 fields, the header has 16 (truncated file?)"


def test_csv_cut_inside_a_quoted_field_raises_a_parse_error(tmp_path: Path) -> None:
    text = csv_text([]) + f'github-pat,c,f,,{GHP},"token := ""{GHP}'
    with pytest.raises(ParseError) as err:
        parse_csv(write(tmp_path, text, "gitleaks.csv"))
    assert str(err.value).startswith("invalid CSV: ")
    assert_no_canary(str(err.value))


def test_csv_without_gitleaks_columns_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="header lacks RuleID"):
        parse_csv(write(tmp_path, "a,b,c\n1,2,3\n", "gitleaks.csv"))


def test_non_finite_numbers_are_treated_as_absent(tmp_path: Path) -> None:
    # Python's JSON reader accepts NaN and Infinity; they must not crash the parser.
    entry = '{"RuleID": "r", "Secret": "s", "File": "a.go", "StartLine": Infinity, "Entropy": NaN}'
    content = f"[{entry}]"
    finding = only(parse_json(write(tmp_path, content)))
    assert finding.location == CodeLocation(path="a.go")
    assert finding.properties == {}

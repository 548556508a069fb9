"""Schemathesis: JUnit XML (both layouts), the ndjson event stream and the json run report.

One finding per (operation, failed check), whatever the format; every name of a check maps to
one canonical id (Schemathesis' check function name), so the same run read from any of its
formats gives the same fingerprints and the same severities.
"""

from __future__ import annotations

import builtins
import json
from pathlib import Path, PurePath
from typing import Any

import pytest

from hardening import discover
from hardening.errors import ParseError
from hardening.model import Endpoint, Finding, Kind, RunStatus, Severity
from hardening.parsers.interface import Artifact, Detection, ParseResult
from hardening.parsers.schemathesis import (
    SchemathesisJsonParser,
    SchemathesisJunitParser,
    SchemathesisNdjsonParser,
    canonical_check,
    parse_failure_text,
    redact_curl,
)
from hardening.paths import PathNormalizer
from hardening.reading import ArtifactOutcome, read_artifact
from support import SAMPLES

FLAWED = {
    "junit": "schemathesis/local-4.32.5-flawed-junit.xml",
    "ndjson": "schemathesis/local-4.32.5-flawed-events.ndjson",
    "json": "schemathesis/local-4.32.5-flawed-report.json",
}
FLAWED_PAIRS = {
    ("negative_data_rejection", "POST", "/users"),
    ("status_code_conformance", "POST", "/users"),
    ("not_a_server_error", "GET", "/items/{item_id}"),
    ("status_code_conformance", "GET", "/items/{item_id}"),
    ("ignored_auth", "GET", "/public-info"),
    ("missing_required_header", "GET", "/public-info"),
    ("response_schema_conformance", "GET", "/reports/{report_id}"),
    ("content_type_conformance", "GET", "/reports/{report_id}"),
}

# Made-up canaries shaped like real credentials.
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lLWNpIn0.c2lnbmF0dXJlLWNhbmFyeQ"
API_KEY = "k3yC4n4ryZq81Wx5"
COOKIE = "Sess10nC4nary77x"
PASSWORD = "Pa55w0rdC4nary9"


def read(path: Path) -> ArtifactOutcome:
    return read_artifact(path, path.name, PathNormalizer())


def parse_junit(path: Path) -> ParseResult:
    return SchemathesisJunitParser().parse(Artifact(path=path, name=path.name))


def parse_ndjson(path: Path) -> ParseResult:
    return SchemathesisNdjsonParser().parse(Artifact(path=path, name=path.name))


def parse_json(path: Path) -> ParseResult:
    return SchemathesisJsonParser().parse(Artifact(path=path, name=path.name))


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_key(findings: list[Finding]) -> dict[tuple[str, str, str], Finding]:
    keyed = {}
    for finding in findings:
        assert finding.identity[0] == finding.rule_id
        keyed[(finding.rule_id, finding.identity[1], finding.identity[2])] = finding
    assert len(keyed) == len(findings), "two findings share one (check, operation)"
    return keyed


def junit(*cases: str) -> str:
    body = "\n".join(cases)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n'
        f'  <testsuite name="schemathesis" hostname="ci">\n{body}\n  </testsuite>\n</testsuites>'
    )


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the same run in three formats -------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FLAWED))
def test_flawed_run_has_its_eight_operation_check_pairs_in_every_format(
    corpus: Path, fmt: str
) -> None:
    outcome = read(corpus / FLAWED[fmt])
    assert set(by_key(outcome.findings)) == FLAWED_PAIRS


def test_flawed_run_gives_identical_fingerprints_and_severities_in_all_formats(
    corpus: Path,
) -> None:
    seen = {fmt: read(corpus / path).findings for fmt, path in FLAWED.items()}
    fingerprints = {fmt: {f.fingerprint for f in found} for fmt, found in seen.items()}
    assert fingerprints["junit"] == fingerprints["ndjson"] == fingerprints["json"]
    severities = {fmt: {(f.rule_id, f.severity) for f in found} for fmt, found in seen.items()}
    assert severities["junit"] == severities["ndjson"] == severities["json"]
    assert ("not_a_server_error", Severity.high) in severities["junit"]
    assert ("status_code_conformance", Severity.low) in severities["junit"]


def test_json_report_severity_is_kept_only_as_the_tools_word(corpus: Path) -> None:
    findings = by_key(read(corpus / FLAWED["json"]).findings)
    auth = findings[("ignored_auth", "GET", "/public-info")]
    assert auth.tool_severity == "critical"
    assert auth.severity is Severity.high  # the product's table, not the report's word
    assert auth.title == "Authentication not enforced"
    assert auth.endpoint == Endpoint(method="GET", url="/public-info")
    assert auth.properties["check_code"] == "ST401"


def test_json_report_run_records_version_and_operations(corpus: Path) -> None:
    (run,) = read(corpus / FLAWED["json"]).runs
    assert (run.tool, run.format, run.version, run.status) == (
        "schemathesis",
        "json",
        "4.32.5",
        RunStatus.ok,
    )
    assert run.properties["operations_tested"] == 7
    assert run.run_errors == []


def test_ndjson_collapses_repeats_of_one_failure_into_one_finding(corpus: Path) -> None:
    findings = by_key(read(corpus / FLAWED["ndjson"]).findings)
    content_type = findings[("content_type_conformance", "GET", "/reports/{report_id}")]
    # 13 failing test cases in the fuzzing phase: one finding that counts them.
    assert content_type.occurrences == 13
    assert content_type.properties["phases"] == ["fuzzing"]
    assert (
        content_type.message == "Received: text/html; charset=utf-8\nDocumented: application/json"
    )
    assert content_type.endpoint == Endpoint(
        method="GET", url="http://127.0.0.1:8765/reports/{report_id}"
    )


# --- JUnit -------------------------------------------------------------------------------


def test_junit_details_in_message_attribute_layout(corpus: Path) -> None:
    result = parse_junit(corpus / "schemathesis/pircsp-v4-junit-failures.xml")
    assert result.runs[0].properties["junit_layout"] == ["details-in-message"]
    findings = by_key(result.findings)
    assert {key[0] for key in findings} == {"status_code_conformance"}
    login = findings[("status_code_conformance", "POST", "/api/auth/login")]
    assert login.kind is Kind.api
    assert login.title == "Undocumented status code"
    assert login.severity is Severity.low
    assert login.message == "Received: 401\nDocumented: 200, 422"
    assert login.endpoint == Endpoint(
        method="POST", url="https://pircsp-cursach.onrender.com/api/auth/login"
    )
    assert login.properties["status_code"] == 401
    assert login.properties["test_case_id"] == "w2M7XP"
    assert login.properties["reproduction"].startswith(
        "curl -X POST -H 'Authorization: [REDACTED]' -H 'Content-Type: application/json'"
    )


def test_junit_path_template_comes_from_the_testcase_not_the_concrete_url(
    corpus: Path,
) -> None:
    findings = by_key(parse_junit(corpus / "schemathesis/pircsp-v4-junit-failures.xml").findings)
    publish = findings[("status_code_conformance", "POST", "/api/tests/{test_id}/publish")]
    assert publish.endpoint is not None
    assert publish.endpoint.url == "https://pircsp-cursach.onrender.com/api/tests/{test_id}/publish"
    assert publish.properties["reproduction"].endswith("/api/tests/6/publish")


def test_junit_codes_in_message_layout_reads_every_check_of_a_testcase(corpus: Path) -> None:
    result = parse_junit(corpus / "schemathesis/local-v4.32.5-junit-failures.xml")
    assert result.runs[0].properties["junit_layout"] == ["codes-in-message"]
    findings = by_key(result.findings)
    assert set(findings) == {
        ("response_schema_conformance", "POST", "/items"),
        ("negative_data_rejection", "POST", "/items"),
        ("not_a_server_error", "GET", "/crash"),
        ("status_code_conformance", "GET", "/crash"),
        ("not_a_server_error", "GET", "/search"),
        ("status_code_conformance", "GET", "/search"),
        ("response_schema_conformance", "GET", "/items/{item_id}"),
    }
    schema = findings[("response_schema_conformance", "POST", "/items")]
    assert schema.properties["check_code"] == "ST108"
    assert schema.message == (
        'null is not of type "string"\n\nValidated against the response schema for status code 201.'
    )
    crash = findings[("not_a_server_error", "GET", "/crash")]
    assert crash.message == "Server error (HTTP 500)"
    assert crash.severity is Severity.high


def test_junit_search_endpoint_drops_query_values(corpus: Path) -> None:
    findings = by_key(
        parse_junit(corpus / "schemathesis/local-v4.32.5-junit-failures.xml").findings
    )
    search = findings[("not_a_server_error", "GET", "/search")]
    assert search.endpoint == Endpoint(method="GET", url="http://127.0.0.1:18081/search")


def test_junit_checks_of_numbered_test_cases_keep_their_own_status_and_case(
    corpus: Path,
) -> None:
    findings = by_key(read(corpus / FLAWED["junit"]).findings)
    rejected = findings[("negative_data_rejection", "POST", "/users")]
    undocumented = findings[("status_code_conformance", "POST", "/users")]
    assert (rejected.properties["test_case_id"], rejected.properties["status_code"]) == (
        "ZpJRhI",
        201,
    )
    assert (undocumented.properties["test_case_id"], undocumented.properties["status_code"]) == (
        "1HGzoP",
        409,
    )


def test_junit_all_pass_reads_as_ok_with_no_findings(corpus: Path) -> None:
    outcome = read(corpus / "schemathesis/pircsp-v4-junit-all-pass.xml")
    assert outcome.findings == []
    assert [run.status for run in outcome.runs] == [RunStatus.ok]


def test_junit_errors_are_run_errors_not_findings(tmp_path: Path) -> None:
    error = (
        "Network Error\n\nRead timed out after 1.0 seconds\n\nReproduce with:\n\n"
        f"    curl -X GET -H 'Authorization: Bearer {JWT}' http://127.0.0.1:8080/v1/payouts\n\n"
        "Tip: Consider setting a higher timeout"
    )
    path = write(
        tmp_path,
        junit(
            '<testcase name="GET /v1/health" time="0.1" />',
            f'<testcase name="GET /v1/payouts" time="1.0"><error type="error">'
            f"{xml_text(error)}</error></testcase>",
            '<testcase name="GET /v1/debug" time="0.0"><skipped type="skipped">'
            "No examples in schema</skipped></testcase>",
        ),
        "junit.xml",
    )
    result = parse_junit(path)
    assert result.findings == []
    (run,) = result.runs
    assert run.status is RunStatus.ok
    assert run.run_errors == ["GET /v1/payouts: Network Error Read timed out after 1.0 seconds"]


def test_junit_error_summary_comes_from_the_message_not_the_traceback(tmp_path: Path) -> None:
    # Early 3.x: the exception in ``message``, its traceback as the element's text.
    path = write(
        tmp_path,
        junit(
            '<testcase name="GET /api/success" time="0.006397"/>',
            '<testcase name="GET /api/malformed_json" time="0.011977">'
            '<error type="error" message="json.decoder.JSONDecodeError: Expecting value: '
            'line 1 column 1 (char 0)&#10;">Traceback (most recent call last):\n'
            '  File "/app/schemathesis/runner/impl/core.py", line 87, in run_test\n'
            "    test(checks, targets, result, **kwargs)\n"
            "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n"
            "</error></testcase>",
        ),
        "junit.xml",
    )
    (run,) = parse_junit(path).runs
    assert run.run_errors == [
        "GET /api/malformed_json: json.decoder.JSONDecodeError: Expecting value: "
        "line 1 column 1 (char 0)"
    ]


def test_junit_run_where_every_operation_errored_is_not_exercised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        junit(
            '<testcase name="GET /v1/health" time="0.0"><error type="error">'
            "Network Error\n\nConnection refused</error></testcase>",
            '<testcase name="POST /v1/payments" time="0.0"><error type="error">'
            "Network Error\n\nConnection refused</error></testcase>",
        ),
        "junit.xml",
    )
    (run,) = read(path).runs
    assert run.status is RunStatus.not_exercised
    assert run.error is not None
    assert run.error.startswith("no API operation was exercised: every operation errored (2")
    assert len(run.run_errors) == 2


def test_junit_with_no_testcase_is_not_exercised(tmp_path: Path) -> None:
    (run,) = read(write(tmp_path, junit(""), "junit.xml")).runs
    assert run.status is RunStatus.not_exercised
    assert run.error == "no API operation was exercised: the report lists no tested operation"


def test_junit_stateful_failure_is_attributed_to_the_operation_its_request_hit(
    tmp_path: Path,
) -> None:
    failure = (
        "1. Test Case ID: h6ZLzJ\n\n- ST108 Response violates schema\n\n"
        '    "name" is a required property\n\n[200] OK:\n\n    `{"id":1}`\n\n'
        "Reproduce with:\n\n    curl -X GET http://127.0.0.1:8080/items/1"
    )
    path = write(
        tmp_path,
        junit(
            '<testcase name="GET /items/{item_id}" time="0.3" />',
            f'<testcase name="Stateful tests" time="1.0"><failure type="failure" '
            f'message="ST108">{xml_text(failure)}</failure></testcase>',
        ),
        "junit.xml",
    )
    (finding,) = parse_junit(path).findings
    assert finding.identity == ["response_schema_conformance", "GET", "/items/{item_id}"]
    assert finding.endpoint == Endpoint(method="GET", url="http://127.0.0.1:8080/items/{item_id}")


def test_junit_run_level_check_belongs_to_no_operation(tmp_path: Path) -> None:
    failure = "- ST112 Response time limit exceeded\n\n    Actual: 2500.00ms\n    Limit: 1500.00ms"
    path = write(
        tmp_path,
        junit(
            '<testcase name="GET /v1/health" time="0.1" />',
            f'<testcase name="Run checks" time="0.0"><failure type="failure" message="ST112">'
            f"{failure}</failure></testcase>",
        ),
        "junit.xml",
    )
    (finding,) = parse_junit(path).findings
    assert finding.identity == ["max_response_time", "", ""]
    assert finding.endpoint is None
    assert finding.message == "Actual: 2500.00ms\nLimit: 1500.00ms"


def test_junit_code_listed_in_message_without_details_is_still_a_finding(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        junit(
            '<testcase name="GET /v1/health" time="0.1">'
            '<failure type="failure" message="ST101, ST103" /></testcase>'
        ),
        "junit.xml",
    )
    findings = parse_junit(path).findings
    assert [(f.rule_id, f.properties.get("check_code")) for f in findings] == [
        ("not_a_server_error", "ST101"),
        ("status_code_conformance", "ST103"),
    ]


def test_junit_of_another_tool_is_not_claimed() -> None:
    gitleaks = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
        b'  <testsuite name="gitleaks" tests="1" failures="1">\n'
        b'    <testcase classname="aws-access-token" name="config.go:12">'
        b'<failure message="leak"/></testcase>\n  </testsuite>\n</testsuites>'
    )
    assert SchemathesisJunitParser.detect(gitleaks, PurePath("gitleaks-junit.xml")) is None


def test_junit_detection_claims_schemathesis_suites(corpus: Path) -> None:
    path = corpus / "schemathesis/pircsp-v4-junit-failures.xml"
    assert SchemathesisJunitParser.detect(path.read_bytes(), PurePath(path.name)) == Detection(90)


# --- XML safety --------------------------------------------------------------------------


def test_xml_with_an_external_entity_is_refused_and_the_file_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FILE-CONTENT-CANARY")
    report = write(
        tmp_path,
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE testsuites [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
        '<testsuites><testsuite name="schemathesis"><testcase name="GET /a">'
        '<failure type="failure" message="&leak;"/></testcase></testsuite></testsuites>',
        "junit.xml",
    )
    data = report.read_bytes()
    opened: list[str] = []
    real_open = builtins.open

    def watching_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)

    class InMemory(Artifact):
        def read_bytes(self) -> bytes:
            return data

    with pytest.raises(ParseError) as raised:
        SchemathesisJunitParser().parse(InMemory(path=report, name="junit.xml"))
    assert "DOCTYPE" in str(raised.value)
    assert "CANARY" not in str(raised.value)
    assert str(secret) not in opened


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<testsuites><testsuite name="schemathesis"><testcase name="GET /&b;"/>'
        "</testsuite></testsuites>"
    )
    outcome = read(write(tmp_path, bomb, "junit.xml"))
    (run,) = outcome.runs
    assert run.status is RunStatus.failed
    assert run.error is not None and "refused" in run.error


def test_truncated_junit_fails_with_a_clear_reason(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / FLAWED["junit"]).read_bytes()
    path = tmp_path / "junit.xml"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="invalid or truncated XML"):
        parse_junit(path)


def test_empty_junit_fails_with_a_clear_reason(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="empty file"):
        parse_junit(write(tmp_path, "  \n", "junit.xml"))


def test_junit_without_a_schemathesis_suite_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '<testsuites><testsuite name="pytest"/></testsuites>', "junit.xml")
    with pytest.raises(ParseError, match="no testsuite named 'schemathesis'"):
        parse_junit(path)


# --- redaction ---------------------------------------------------------------------------


def unfiltered_failure() -> str:
    curl = (
        f"curl -X POST -H 'Authorization: Bearer {JWT}' -H \"X-API-Key: {API_KEY}\" "
        f"--cookie 'sid={COOKIE}' -H 'Content-Type: application/json' "
        f"-d '{{\"amount\": 5}}' https://deploy:{PASSWORD}@api.acme.test/v1/payments"
    )
    return (
        "1. Test Case ID: Zz9Yy8\n\n- ST103 Undocumented status code\n\n"
        "    Received: 418\n    Documented: 201\n\n"
        f'[418] I\'m a Teapot:\n\n    `{{"echo": "Bearer {JWT}"}}`\n\n'
        f"Reproduce with:\n\n    {curl}"
    )


@pytest.mark.parametrize("layout", ["codes-in-message", "details-in-message"])
def test_canary_credentials_in_an_unfiltered_curl_appear_nowhere(
    tmp_path: Path, layout: str
) -> None:
    text = xml_text(unfiltered_failure())
    if layout == "codes-in-message":
        failure = f'<failure type="failure" message="ST103">{text}</failure>'
    else:
        failure = f'<failure type="failure" message="{text.replace(chr(34), "&quot;")}" />'
    path = write(
        tmp_path, junit(f'<testcase name="POST /v1/payments">{failure}</testcase>'), "junit.xml"
    )
    outcome = read(path)
    (finding,) = outcome.findings
    dumped = finding.model_dump_json() + "".join(run.model_dump_json() for run in outcome.runs)
    for canary in (JWT, API_KEY, COOKIE, PASSWORD):
        assert canary not in dumped
    assert finding.properties["reproduction"].startswith(
        "curl -X POST -H 'Authorization: [REDACTED]' -H \"X-API-Key: [REDACTED]\" "
        "--cookie '[REDACTED]'"
    )
    assert (
        "https://deploy:[REDACTED]@api.acme.test/v1/payments" in finding.properties["reproduction"]
    )
    assert finding.endpoint == Endpoint(method="POST", url="https://api.acme.test/v1/payments")


@pytest.mark.parametrize(
    ("curl", "expected"),
    [
        (
            "curl -H 'Authorization: Bearer xyz' http://h/a",
            "curl -H 'Authorization: [REDACTED]' http://h/a",
        ),
        (
            f'curl -H "X-API-Key: {API_KEY}" http://h/a',
            'curl -H "X-API-Key: [REDACTED]" http://h/a',
        ),
        (f"curl -H 'Cookie: sid={COOKIE}' http://h/a", "curl -H 'Cookie: [REDACTED]' http://h/a"),
        (f"curl --cookie 'sid={COOKIE}' http://h/a", "curl --cookie '[REDACTED]' http://h/a"),
        (f"curl -b sid={COOKIE} http://h/a", "curl -b '[REDACTED]' http://h/a"),
        (f"curl -u admin:{PASSWORD} http://h/a", "curl -u '[REDACTED]' http://h/a"),
        (f"curl http://admin:{PASSWORD}@h/a", "curl http://admin:[REDACTED]@h/a"),
        # A header named for a credential is masked whatever its value looks like, even with
        # a quote embedded in the shell's '"'"' way.
        (
            f"curl -H 'X-Session-Id: a1'\"'\"'{COOKIE}' http://h/a",
            "curl -H 'X-Session-Id: [REDACTED]' http://h/a",
        ),
        (
            f"curl --header=X-Auth-Token:{API_KEY} http://h/a",
            "curl --header=X-Auth-Token:[REDACTED] http://h/a",
        ),
    ],
)
def test_reproduction_masks_every_curl_credential_form(curl: str, expected: str) -> None:
    assert redact_curl(curl) == expected


def test_ndjson_reproduction_is_rebuilt_from_the_recorded_request_and_redacted(
    tmp_path: Path,
) -> None:
    request = {
        "method": "GET",
        "uri": "http://127.0.0.1:8080/v1/payments/7",
        "headers": {"Authorization": [f"Bearer {JWT}"], "X-API-Key": [API_KEY]},
    }
    events = [
        {"Initialize": {"command": "st run", "schemathesis_version": "4.32.5", "seed": 1}},
        scenario_event("GET /v1/payments/{payment_id}", "failure", failed_check("c1"), request),
        {"EngineFinished": {"running_time": 1.0, "stop_reason": "completed"}},
    ]
    (finding,) = parse_ndjson(write_events(tmp_path, events)).findings
    assert finding.properties["reproduction"] == (
        "curl -X GET -H 'Authorization: [REDACTED]' -H 'X-API-Key: [REDACTED]' "
        "http://127.0.0.1:8080/v1/payments/7"
    )
    assert JWT not in finding.model_dump_json()
    assert API_KEY not in finding.model_dump_json()


# --- ndjson ------------------------------------------------------------------------------


def failed_check(case_id: str, **failure: Any) -> dict[str, Any]:
    data = {
        "type": "UndefinedStatusCode",
        "code": "ST103",
        "operation": "GET /v1/payments/{payment_id}",
        "title": "Undocumented status code",
        "message": "Received: 418\nDocumented: 200",
        "case_id": None,
        "severity": "medium",
    }
    data.update(failure)
    return {
        case_id: [
            {"name": "not_a_server_error", "status": "success"},
            {
                "name": "status_code_conformance",
                "status": "failure",
                "failure_info": {"failure": data},
            },
        ]
    }


def scenario_event(
    label: str,
    status: str,
    checks: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    recorder: dict[str, Any] = {"label": label}
    if checks:
        recorder["checks"] = checks
        case_id = next(iter(checks))
        method, path = label.split(" ", 1)
        recorder["cases"] = {case_id: {"value": {"method": method, "path": path, "id": case_id}}}
        if request:
            recorder["interactions"] = {
                case_id: {"request": request, "response": {"status_code": 418, "headers": {}}}
            }
    return {
        "ScenarioFinished": {
            "id": "0" * 32,
            "timestamp": 1.0,
            "suite_id": "1" * 32,
            "phase": "fuzzing",
            "status": status,
            "elapsed_time": 0.1,
            "is_final": False,
            "recorder": recorder,
        }
    }


def non_fatal(label: str) -> dict[str, Any]:
    return {
        "NonFatalError": {
            "value": {"type": "ConnectionError", "message": "Connection refused"},
            "phase": "fuzzing",
            "label": label,
            "related_to_operation": True,
        }
    }


def write_events(tmp_path: Path, events: list[dict[str, Any]], tail: str = "") -> Path:
    text = "".join(json.dumps(event) + "\n" for event in events) + tail
    return write(tmp_path, text, "events.ndjson")


def test_ndjson_with_errors_reads_seven_findings_and_its_run_errors(corpus: Path) -> None:
    result = parse_ndjson(corpus / "schemathesis/local-v4.32.5-events-with-errors.ndjson")
    (run,) = result.runs
    assert (run.version, run.status) == ("4.32.5", RunStatus.ok)
    # The same timeout, met in the coverage and the fuzzing phase: one line, counted.
    assert run.run_errors == [
        "GET /slow: ReadTimeout: HTTPConnectionPool(host='127.0.0.1', port=18082): "
        "Read timed out. (read timeout=1.0) (x2)"
    ]
    assert len(result.findings) == 7


def test_ndjson_stateful_repeat_collapses_into_the_operations_finding(corpus: Path) -> None:
    result = parse_ndjson(corpus / "schemathesis/local-v4.32.5-events-with-errors.ndjson")
    findings = by_key(result.findings)
    item = findings[("response_schema_conformance", "GET", "/items/{item_id}")]
    assert item.occurrences == 3
    assert item.properties["phases"] == ["coverage", "fuzzing", "stateful"]
    assert item.tool_severity == "high"
    assert item.severity is Severity.medium


def test_ndjson_run_where_every_operation_errored_is_not_exercised(tmp_path: Path) -> None:
    events = [
        {"Initialize": {"command": "st run", "schemathesis_version": "4.32.5", "seed": 1}},
        non_fatal("GET /v1/health"),
        scenario_event("GET /v1/health", "error"),
        non_fatal("POST /v1/payments"),
        scenario_event("POST /v1/payments", "error"),
        {"EngineFinished": {"running_time": 1.0, "stop_reason": "completed"}},
    ]
    (run,) = read(write_events(tmp_path, events)).runs
    assert run.status is RunStatus.not_exercised
    assert run.error == (
        "no API operation was exercised: every operation errored (2 error(s)); "
        "first error: GET /v1/health: ConnectionError: Connection refused"
    )


def test_ndjson_fatal_error_fails_the_run(tmp_path: Path) -> None:
    events = [
        {"Initialize": {"command": "st run", "schemathesis_version": "4.32.5", "seed": 1}},
        {"FatalError": {"exception": {"type": "LoaderError", "message": "Failed to load schema"}}},
    ]
    (run,) = read(write_events(tmp_path, events)).runs
    assert run.status is RunStatus.failed
    assert run.error == (
        "Schemathesis stopped with a fatal error: LoaderError: Failed to load schema"
    )


def test_ndjson_truncated_last_line_fails_the_run_but_keeps_its_findings(
    tmp_path: Path,
) -> None:
    events = [
        {"Initialize": {"command": "st run", "schemathesis_version": "4.32.5", "seed": 1}},
        scenario_event("GET /v1/payments/{payment_id}", "failure", failed_check("c1")),
    ]
    outcome = read(write_events(tmp_path, events, tail='{"ScenarioFinished":{"id":"ab'))
    (run,) = outcome.runs
    assert run.status is RunStatus.failed
    assert run.error is not None and run.error.startswith("event stream truncated at line 3")
    assert [f.rule_id for f in outcome.findings] == ["status_code_conformance"]


def test_ndjson_without_engine_finished_did_not_complete(tmp_path: Path) -> None:
    events = [
        {"Initialize": {"command": "st run", "schemathesis_version": "4.32.5", "seed": 1}},
        scenario_event("GET /v1/payments/{payment_id}", "failure", failed_check("c1")),
    ]
    (run,) = read(write_events(tmp_path, events)).runs
    assert run.status is RunStatus.failed
    assert run.error == "event stream ends before EngineFinished: the run did not complete"


def test_ndjson_invalid_line_in_the_middle_is_skipped_with_a_warning(tmp_path: Path) -> None:
    events = [
        {"Initialize": {"schemathesis_version": "4.32.5"}},
        scenario_event("GET /v1/payments/{payment_id}", "failure", failed_check("c1")),
        {"EngineFinished": {"stop_reason": "completed"}},
    ]
    lines = [json.dumps(event) for event in events]
    lines.insert(1, "not json")
    result = parse_ndjson(write(tmp_path, "\n".join(lines) + "\n", "e.ndjson"))
    (run,) = result.runs
    assert (run.status, run.error) == (RunStatus.ok, None)
    assert run.warnings == ["skipped line 2: invalid JSON: Expecting value"]
    assert len(result.findings) == 1


def test_ndjson_of_wrong_shape_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 1: not a Schemathesis event"):
        parse_ndjson(write(tmp_path, '{"a": 1, "b": 2}\n', "e.ndjson"))
    with pytest.raises(ParseError, match="empty file"):
        parse_ndjson(write(tmp_path, "\n\n", "e.ndjson"))


def test_ndjson_detection_needs_an_event_line(corpus: Path) -> None:
    path = corpus / FLAWED["ndjson"]
    head = path.read_bytes()[:65536]
    assert SchemathesisNdjsonParser.detect(head, PurePath(path.name)) == Detection(90)
    assert SchemathesisNdjsonParser.detect(b'{"Issues": []}', PurePath("x.json")) is None


# --- json run report ---------------------------------------------------------------------


def run_report(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemathesis_version": "4.32.5",
        "command": "st run http://127.0.0.1:8080/openapi.json",
        "stop_reason": "completed",
        "complete": True,
        "exit_code": 1,
        "operations": {"total": 2, "selected": 2, "tested": 2, "errored": 0, "skipped": 0},
        "failures": [],
        "errors": [],
    }
    doc.update(overrides)
    return doc


def test_json_report_that_tested_nothing_is_not_exercised(tmp_path: Path) -> None:
    doc = run_report(
        operations={"total": 2, "selected": 2, "tested": 0, "errored": 2, "skipped": 0},
        errors=[{"title": "Network Error", "count": 2}],
    )
    (run,) = read(write(tmp_path, json.dumps(doc), "report.json")).runs
    assert run.status is RunStatus.not_exercised
    assert run.run_errors == ["Network Error (x2)"]
    assert run.error == (
        "no API operation was exercised: every operation errored (2 error(s)); "
        "first error: Network Error (x2)"
    )


def test_json_report_with_a_fatal_error_failed(tmp_path: Path) -> None:
    doc = run_report(
        complete=False,
        stop_reason="error",
        operations=None,
        errors=[{"title": "Schema Loading Error", "count": 1}],
    )
    (run,) = read(write(tmp_path, json.dumps(doc), "report.json")).runs
    assert run.status is RunStatus.failed
    assert run.error == "Schemathesis did not complete its run (Schema Loading Error)"


def test_json_report_header_schema_failure_maps_by_its_title(tmp_path: Path) -> None:
    failure = {
        "type": "JsonSchemaError",
        "code": "ST108",
        "title": "Response header does not conform to the schema",
        "severity": "high",
        "count": 1,
        "operations": ["GET /v1/payments"],
    }
    (finding,) = parse_json(
        write(tmp_path, json.dumps(run_report(failures=[failure])), "r.json")
    ).findings
    assert finding.rule_id == "response_headers_conformance"
    assert finding.severity is Severity.low


def test_json_report_of_wrong_shape_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="failures is dict, expected a list"):
        parse_json(write(tmp_path, json.dumps(run_report(failures={})), "r.json"))
    with pytest.raises(ParseError, match="truncated or invalid JSON"):
        parse_json(write(tmp_path, json.dumps(run_report())[:40], "r.json"))


# --- check names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        {"code": "ST103"},
        {"title": "Undocumented HTTP status code"},
        {"title": "ST103 Undocumented status code"},
        {"failure_type": "UndefinedStatusCode"},
        {"name": "status_code_conformance"},
    ],
)
def test_every_name_of_the_status_code_check_is_one_id(names: dict[str, str]) -> None:
    assert canonical_check(**names) == "status_code_conformance"


@pytest.mark.parametrize(
    ("names", "check"),
    [
        ({"code": "ST101"}, "not_a_server_error"),
        ({"title": "Server error"}, "not_a_server_error"),
        ({"code": "ST105"}, "content_type_conformance"),
        ({"title": "Missing Content-Type header"}, "content_type_conformance"),
        ({"code": "ST107"}, "response_headers_conformance"),
        (
            {"code": "ST108", "title": "Response violates schema (3 violations)"},
            "response_schema_conformance",
        ),
        ({"code": "ST201"}, "negative_data_rejection"),
        ({"title": "Accepted negative data"}, "negative_data_rejection"),
        ({"code": "ST202"}, "positive_data_acceptance"),
        ({"code": "ST203"}, "missing_required_header"),
        ({"code": "ST204"}, "unsupported_method"),
        ({"code": "ST301"}, "use_after_free"),
        ({"code": "ST302"}, "ensure_resource_availability"),
        ({"title": "Authentication declared but not enforced"}, "ignored_auth"),
        ({"failure_type": "IgnoredAuth"}, "ignored_auth"),
        ({"code": "ST112"}, "max_response_time"),
        ({"title": "Custom check failed: `no_pii_in_logs`"}, "no_pii_in_logs"),
    ],
)
def test_check_names_map_to_canonical_ids(names: dict[str, str], check: str) -> None:
    assert canonical_check(**names) == check


def test_unknown_check_is_kept_under_its_code_with_a_warning(tmp_path: Path) -> None:
    failure = {
        "type": "Novel",
        "code": "ST777",
        "title": "Novel failure",
        "count": 1,
        "operations": ["GET /a"],
        "severity": "medium",
    }
    result = parse_json(write(tmp_path, json.dumps(run_report(failures=[failure])), "r.json"))
    assert [f.rule_id for f in result.findings] == ["ST777"]
    assert result.runs[0].warnings == [
        "failure of an unknown Schemathesis check ('ST777', 'Novel failure', 'Novel') "
        "kept under its own name"
    ]


def test_failure_text_parser_reads_flattened_attribute_text() -> None:
    flattened = (
        "1. Test Case ID: r6SFtL  - Undocumented HTTP status code      Received: 404     "
        "Documented: 200, 422  [404] Not Found:      `{}`  Reproduce with:      "
        "curl -X GET https://h/api/tests/438"
    )
    (case,) = parse_failure_text(flattened, flattened=True)
    assert case.case_id == "r6SFtL"
    assert [(c.title, c.message) for c in case.checks] == [
        ("Undocumented HTTP status code", "Received: 404\nDocumented: 200, 422")
    ]
    assert (case.status_code, case.curl) == (404, "curl -X GET https://h/api/tests/438")


# --- sibling formats skipped -------------------------------------------------------------


def test_vcr_cassette_is_skipped_with_a_reason(corpus: Path) -> None:
    outcome = read(corpus / "schemathesis/local-v4.32.5-vcr.yaml")
    assert outcome.skipped is not None
    assert outcome.skipped.reason == (
        "Schemathesis VCR cassette: not read; use --report junit, ndjson or json"
    )


def test_har_capture_is_skipped_with_a_reason(tmp_path: Path) -> None:
    har = (
        '{\n    "log": {\n        "version": "1.2",\n        "creator": {\n'
        '            "name": "harfile",\n            "version": "0.6.0"\n        },\n'
        '        "browser": {\n            "name": "",\n            "version": ""\n        },\n'
        '        "entries": []\n    }\n}'
    )
    choice = discover.identify(write(tmp_path, har, "network.har"))
    assert choice.parser is None
    assert (
        choice.skip_reason
        == "Schemathesis HAR capture: not read; use --report junit, ndjson or json"
    )


def test_generic_vcr_cassette_is_skipped_too(tmp_path: Path) -> None:
    cassette = "interactions:\n- request:\n    method: GET\n    uri: http://h/a\nversion: 1\n"
    choice = discover.identify(write(tmp_path, cassette, "cassette.yaml"))
    assert choice.parser is None
    assert choice.skip_reason == "VCR cassette (recorded HTTP traffic): not a findings report"


# --- samples -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["junit.xml", "events.ndjson", "report.json"])
def test_samples_read_ok_with_the_same_six_findings(name: str) -> None:
    outcome = read(SAMPLES / "schemathesis" / name)
    assert [run.status for run in outcome.runs] == [RunStatus.ok]
    assert {(f.rule_id, f.identity[1], f.identity[2]) for f in outcome.findings} == {
        ("negative_data_rejection", "POST", "/v1/payments"),
        ("status_code_conformance", "POST", "/v1/payments"),
        ("not_a_server_error", "GET", "/v1/payments/{payment_id}"),
        ("status_code_conformance", "GET", "/v1/payments/{payment_id}"),
        ("response_schema_conformance", "POST", "/v1/payments/{payment_id}/refunds"),
        ("ignored_auth", "GET", "/v1/admin/settlements"),
    }

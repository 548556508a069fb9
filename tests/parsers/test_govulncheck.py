"""govulncheck ``-json``: one dependency finding per (OSV id, module) at its most precise level.

The v1 stream (also wrapped in an array) and the pre-1.0 single objects; ``osv`` objects alone
are advisories; text after the stream is a warning after findings and a failed run before.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

import pytest

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import CodeLocation, Finding, Kind, RunStatus, Severity
from hardening.parsers.govulncheck import GovulncheckJsonParser
from hardening.parsers.interface import Artifact, Detection, ParseResult
from hardening.paths import PathNormalizer
from hardening.reading import read_artifact
from support import SAMPLES

GHP = "ghp_" + "Q7w9Er2Ty4Ui6Op8As1Df3Gh5Jk7Lz9Xc2Vb4"
AKIA = "AKIA" + "Q7W9ER2TY4UI6OP8"
USER = "github.com/acme/payments-api"


def parse(path: Path) -> ParseResult:
    return GovulncheckJsonParser().parse(Artifact(path=path, name=path.name))


def write(tmp_path: Path, text: str, name: str = "govulncheck.json") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def stream(*messages: dict[str, Any]) -> str:
    """Messages as govulncheck writes them: pretty-printed objects one after another."""
    return "".join(json.dumps(message, indent=2) + "\n" for message in messages)


def config(**overrides: str) -> dict[str, Any]:
    body = {
        "protocol_version": "v1.0.0",
        "scanner_name": "govulncheck",
        "scanner_version": "v1.1.4",
        "db": "https://vuln.go.dev",
        "db_last_modified": "2025-01-14T17:12:03Z",
        "go_version": "go1.22.5",
        "scan_level": "symbol",
        "scan_mode": "source",
    }
    body.update(overrides)
    return {"config": body}


def osv(osv_id: str = "GO-2024-3250", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema_version": "1.3.1",
        "id": osv_id,
        "modified": "2024-11-04T18:24:51Z",
        "published": "2024-11-04T18:24:51Z",
        "aliases": ["CVE-2024-51744", "GHSA-29wx-vh33-7x7r"],
        "summary": "Improper error handling in ParseWithClaims in github.com/golang-jwt/jwt",
        "details": "Unclear documentation of the error behavior in ParseWithClaims.",
        "references": [{"type": "FIX", "url": "https://go.dev/cl/1234"}],
        "database_specific": {"url": f"https://pkg.go.dev/vuln/{osv_id}"},
    }
    body.update(overrides)
    return {"osv": body}


JWT = "github.com/golang-jwt/jwt/v4"


def module_finding(osv_id: str = "GO-2024-3250", module: str = JWT) -> dict[str, Any]:
    return {
        "finding": {
            "osv": osv_id,
            "fixed_version": "v4.5.1",
            "trace": [{"module": module, "version": "v4.5.0"}],
        }
    }


def package_finding(osv_id: str = "GO-2024-3250", module: str = JWT) -> dict[str, Any]:
    frame = {"module": module, "version": "v4.5.0", "package": module}
    return {"finding": {"osv": osv_id, "fixed_version": "v4.5.1", "trace": [frame]}}


def symbol_finding(*user_frames: tuple[str, str, int, int]) -> dict[str, Any]:
    """A called symbol; ``user_frames`` are (package, file, line, column), entry point last."""
    trace: list[dict[str, Any]] = [
        {
            "module": JWT,
            "version": "v4.5.0",
            "package": JWT,
            "function": "ParseWithClaims",
            "receiver": "*Parser",
            "position": {"filename": "parser.go", "offset": 1121, "line": 37, "column": 17},
        }
    ]
    for package, filename, line, column in user_frames:
        trace.append(
            {
                "module": USER,
                "package": f"{USER}/{package}",
                "function": "f",
                "position": {"filename": filename, "offset": 10, "line": line, "column": column},
            }
        )
    return {"finding": {"osv": "GO-2024-3250", "fixed_version": "v4.5.1", "trace": trace}}


def by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule_id: f for f in findings}


# --- the real corpus ---------------------------------------------------------------------


def test_source_call_reads_each_osv_at_its_most_precise_level(corpus: Path) -> None:
    result = parse(corpus / "govulncheck/vuln-source-call-symbol.json")
    levels = {f.rule_id: (f.reachability, f.severity, f.tool_severity) for f in result.findings}
    assert levels == {
        "GO-2021-0265": ("symbol", Severity.high, "symbol"),
        "GO-2021-0054": ("symbol", Severity.high, "symbol"),
        "GO-2021-0113": ("package", Severity.low, "package"),
        "GO-2020-0015": ("module", Severity.info, "module"),
    }
    assert [f.rule_id for f in result.findings] == [
        "GO-2021-0265",
        "GO-2021-0113",
        "GO-2021-0054",
        "GO-2020-0015",
    ]


def test_symbol_finding_is_located_at_the_users_call_site(corpus: Path) -> None:
    found = by_rule(parse(corpus / "govulncheck/vuln-source-call-symbol.json").findings)
    gjson = found["GO-2021-0265"]
    assert gjson.kind is Kind.dependency
    # trace[0] is gjson.go inside the dependency; the user's code is vuln.go (golang.org/vuln).
    assert gjson.location == CodeLocation(path="vuln.go", start_line=14, start_column=20)
    assert gjson.related_locations == []
    assert gjson.component is not None
    assert gjson.component.model_dump() == {
        "name": "github.com/tidwall/gjson",
        "installed_version": "v1.6.5",
        "fixed_version": "v1.9.3",
        "purl": None,
        "target": "github.com/tidwall/gjson",
        "package_path": "github.com/tidwall/gjson",
        "ecosystem": "go",
        "status": None,
    }
    assert gjson.identifiers == [
        "GO-2021-0265",
        "CVE-2021-42248",
        "CVE-2021-42836",
        "GHSA-c9gm-7rfj-8w5h",
        "GHSA-ppj4-34rq-v8j9",
    ]
    assert gjson.references[0] == "https://pkg.go.dev/vuln/GO-2021-0265"
    assert "https://github.com/tidwall/gjson/issues/237" in gjson.references
    assert gjson.properties["symbols"] == ["Result.Get"]
    assert gjson.identity == [
        "GO-2021-0265",
        "github.com/tidwall/gjson",
        "github.com/tidwall/gjson",
    ]


def test_title_is_the_summary_else_the_osv_id(corpus: Path) -> None:
    found = by_rule(parse(corpus / "govulncheck/vuln-source-call-symbol.json").findings)
    assert found["GO-2020-0015"].title == (
        "Infinite loop when decoding some inputs in golang.org/x/text"
    )
    assert found["GO-2021-0113"].title == "GO-2021-0113"
    assert found["GO-2021-0113"].message.startswith("Due to improper index calculation")


def test_package_and_module_levels_have_no_location(corpus: Path) -> None:
    found = by_rule(parse(corpus / "govulncheck/vuln-source-call-symbol.json").findings)
    text = found["GO-2021-0113"]
    assert text.location is None
    assert text.component is not None
    assert text.component.package_path == "golang.org/x/text/language"
    assert text.component.installed_version == "v0.3.0"
    module_only = found["GO-2020-0015"]
    assert module_only.location is None
    assert module_only.component is not None
    assert module_only.component.package_path is None
    assert module_only.component.fixed_version == "v0.3.3"


def test_run_carries_scanner_version_database_date_and_scan_settings(corpus: Path) -> None:
    (run,) = parse(corpus / "govulncheck/dd-v1.1.4-issue15033.json").runs
    assert run.tool == "govulncheck"
    assert run.format == "json"
    assert run.version == "v1.1.4"
    assert run.database_date == "2026-06-16T23:55:18Z"
    assert run.status is RunStatus.ok
    assert run.properties["scan_level"] == "symbol"
    assert run.properties["scan_mode"] == "source"
    assert run.properties["go_version"] == "go1.24.4"
    assert run.scanned_paths is None


def test_real_v114_stream_gives_72_findings_from_71_osv_ids(corpus: Path) -> None:
    findings = parse(corpus / "govulncheck/dd-v1.1.4-issue15033.json").findings
    assert len(findings) == 72
    assert len({f.rule_id for f in findings}) == 71
    severities = [f.severity for f in findings]
    assert severities.count(Severity.high) == 29
    assert severities.count(Severity.low) == 17
    assert severities.count(Severity.info) == 26
    first = findings[0]
    assert first.rule_id == "GO-2024-3333"
    assert first.component is not None
    assert (first.component.name, first.component.installed_version) == (
        "golang.org/x/net",
        "v0.25.0",
    )
    assert first.component.fixed_version == "v0.33.0"


def test_one_osv_in_two_modules_is_two_findings(corpus: Path) -> None:
    findings = parse(corpus / "govulncheck/dd-v1.1.4-issue15033.json").findings
    twice = [f for f in findings if f.rule_id == "GO-2026-4918"]
    summary = {(f.component.name if f.component else "", f.reachability, f.severity) for f in twice}
    assert summary == {
        ("golang.org/x/net", "symbol", Severity.high),
        ("stdlib", "package", Severity.low),
    }
    assert twice[0].identity != twice[1].identity


def test_symbol_location_in_real_stream_is_in_the_users_module(corpus: Path) -> None:
    found = by_rule(parse(corpus / "govulncheck/dd-v1.1.4-issue15033.json").findings)
    xss = found["GO-2025-3595"]
    assert xss.location == CodeLocation(path="api/handlers/user.go", start_line=74, start_column=25)
    assert xss.properties["symbols"] == ["Tokenizer.Next"]


def test_several_call_stacks_of_one_osv_collapse_into_one_finding(corpus: Path) -> None:
    (finding,) = parse(corpus / "govulncheck/vuln-source-multientry.json").findings
    assert finding.rule_id == "GO-2021-0113"
    assert finding.reachability == "symbol"
    # First call stack: multientry.foobar calls language.MustParse at main.go:99:20.
    assert finding.location == CodeLocation(path="main.go", start_line=99, start_column=20)
    assert finding.related_locations == [
        CodeLocation(path="main.go", start_line=44, start_column=23)
    ]
    assert finding.properties["symbols"] == ["MustParse", "Parse"]


def test_module_scan_level_gives_module_findings_at_the_advisory_severity(corpus: Path) -> None:
    # -scan module reaches no further than modules: a vulnerable required module is affecting,
    # and the Go advisory carries no severity of its own, so high (govulncheck's SARIF: error).
    (finding,) = parse(corpus / "govulncheck/vuln-source-module-level.json").findings
    assert (finding.rule_id, finding.reachability, finding.severity) == (
        "GO-2021-0113",
        "module",
        Severity.high,
    )


@pytest.mark.parametrize(
    ("scan_level", "expected"),
    [
        ("symbol", {"module": Severity.info, "package": Severity.low}),
        ("package", {"module": Severity.low, "package": Severity.high}),
        ("module", {"module": Severity.high}),
    ],
)
def test_severity_is_relative_to_the_scan_level(
    tmp_path: Path, scan_level: str, expected: dict[str, Severity]
) -> None:
    other = "github.com/acme/other"
    messages = [config(scan_level=scan_level), osv(), osv("GO-2024-0001")]
    messages.append(module_finding("GO-2024-0001", other))
    if scan_level != "module":
        messages.append(package_finding())
    findings = parse(write(tmp_path, stream(*messages))).findings
    assert {f.reachability: f.severity for f in findings} == expected


def test_a_finding_at_the_scan_level_takes_the_advisory_severity(tmp_path: Path) -> None:
    advisory = osv(database_specific={"severity": "MODERATE"})
    text = stream(config(scan_level="package"), advisory, package_finding())
    (finding,) = parse(write(tmp_path, text)).findings
    assert (finding.reachability, finding.severity) == ("package", Severity.medium)


def test_a_report_without_scan_level_is_a_symbol_scan(tmp_path: Path) -> None:
    body = config()["config"]
    del body["scan_level"]
    (finding,) = parse(write(tmp_path, stream({"config": body}, osv(), package_finding()))).findings
    assert finding.severity is Severity.low


def test_query_mode_advisories_are_not_findings(corpus: Path) -> None:
    result = parse(corpus / "govulncheck/vuln-query-mode.json")
    assert result.findings == []
    assert result.runs[0].status is RunStatus.ok
    assert result.runs[0].properties["scan_mode"] == "query"


def test_stderr_before_any_finding_fails_the_run(corpus: Path) -> None:
    result = parse(corpus / "govulncheck/tmc-cdp-v1.1.4-stderr-appended.json")
    (run,) = result.runs
    assert result.findings == []
    assert run.status is RunStatus.failed
    assert run.error is not None
    assert "before any finding" in run.error
    assert "govulncheck: Loading packages failed" in run.error
    assert "\n" not in run.error
    assert run.version == "v1.1.4"


def test_legacy_vulncheck_result_gives_one_finding_per_osv_and_module(corpus: Path) -> None:
    # 12 Vulns entries: one per vulnerable *symbol* of three stdlib OSV entries.
    findings = parse(corpus / "govulncheck/dd-legacy-v0-many-vulns.json").findings
    assert [f.rule_id for f in findings] == ["GO-2022-1144", "GO-2022-1143", "GO-2022-0969"]
    for finding in findings:
        assert finding.reachability == "symbol"
        assert finding.severity is Severity.high
        assert finding.component is not None
        assert finding.component.name == "stdlib"
        assert finding.component.installed_version == "v1.19.0"
        assert finding.location == CodeLocation(
            path="/home/dtimoshenko/test_parser/evil-app/main.go", start_line=22, start_column=21
        )


def test_legacy_fixed_version_comes_from_the_osv_range(corpus: Path) -> None:
    found = by_rule(parse(corpus / "govulncheck/dd-legacy-v0-many-vulns.json").findings)
    assert found["GO-2022-1144"].component is not None
    # Ranges: introduced 0, fixed 1.18.9, introduced 1.19.0, fixed 1.19.4; installed v1.19.0.
    assert found["GO-2022-1144"].component.fixed_version == "v1.19.4"
    assert found["GO-2022-1144"].properties["symbols"][:2] == [
        "ListenAndServe",
        "Server.ListenAndServe",
    ]
    assert found["GO-2022-1144"].identifiers == ["GO-2022-1144", "CVE-2022-41717"]


def test_identity_of_one_osv_and_module_is_the_same_across_levels(corpus: Path) -> None:
    module_level = parse(corpus / "govulncheck/vuln-source-module-level.json").findings[0]
    symbol_level = parse(corpus / "govulncheck/vuln-source-multientry.json").findings[0]
    assert (module_level.reachability, symbol_level.reachability) == ("module", "symbol")
    assert module_level.identity == symbol_level.identity


def test_sarif_is_left_to_the_sarif_parser(corpus: Path) -> None:
    head = (corpus / "govulncheck/vuln-source-call.sarif").read_bytes()[:65536]
    assert GovulncheckJsonParser.detect(head, PurePath("vuln-source-call.sarif")) is None


@pytest.mark.parametrize(
    "name",
    [
        "vuln-source-call-symbol.json",
        "vuln-source-module-level.json",
        "vuln-source-multientry.json",
        "vuln-query-mode.json",
        "dd-legacy-v0-many-vulns.json",
        "dd-v1.1.4-issue15033.json",
        "tmc-cdp-v1.1.4-stderr-appended.json",
    ],
)
def test_corpus_files_are_claimed_by_content(corpus: Path, name: str) -> None:
    head = (corpus / "govulncheck" / name).read_bytes()[:65536]
    detection = GovulncheckJsonParser.detect(head, PurePath("report.json"))
    assert detection is not None
    assert detection.skip_reason is None
    assert detection.score >= 80


# --- hand-written streams ----------------------------------------------------------------


def test_trailing_text_after_findings_is_a_warning(tmp_path: Path) -> None:
    text = stream(config(), osv(), module_finding()) + (
        "govulncheck: some packages could not be loaded\nmore detail here\n"
    )
    result = parse(write(tmp_path, text))
    (run,) = result.runs
    assert run.status is RunStatus.ok
    assert len(result.findings) == 1
    offset = text.index("govulncheck: some")
    assert run.warnings == [
        f"ignored non-JSON text after the findings at offset {offset}: "
        "govulncheck: some packages could not be loaded more detail here"
    ]


def test_trailing_text_preview_is_short_and_redacted(tmp_path: Path) -> None:
    noise = f"error fetching https://user:{GHP}@proxy.example.com/vuln " + "x" * 200
    result = parse(write(tmp_path, stream(config(), module_finding()) + noise))
    (warning,) = result.runs[0].warnings
    assert GHP not in warning
    assert len(warning) < 200
    assert "\n" not in warning


def test_trailing_text_before_any_finding_fails_naming_its_first_line(tmp_path: Path) -> None:
    text = stream(config(), osv()) + (
        "\ngovulncheck: fetching vulnerabilities: Get https://vuln.go.dev/index/db.json: "
        "dial tcp: lookup vuln.go.dev: no such host\nsecond line\n"
    )
    result = parse(write(tmp_path, text))
    (run,) = result.runs
    assert run.status is RunStatus.failed
    assert run.error is not None
    assert run.error.endswith("dial tcp: lookup vuln.go.dev: no such host")
    assert "second line" not in run.error
    assert result.findings == []


def test_truncated_stream_is_a_parse_error(tmp_path: Path) -> None:
    text = stream(config(), osv(), module_finding())
    with pytest.raises(ParseError, match="truncated JSON"):
        parse(write(tmp_path, text[: len(text) - 40]))


def test_truncated_stream_fails_the_run_when_read_as_an_artifact(tmp_path: Path) -> None:
    text = stream(config(), module_finding())
    path = write(tmp_path, text[:-30])
    outcome = read_artifact(path, "govulncheck.json", PathNormalizer())
    assert outcome.failed
    assert outcome.runs[0].error is not None
    assert outcome.runs[0].error.startswith("truncated JSON")


def test_array_wrapped_stream_reads_like_the_stream(tmp_path: Path) -> None:
    messages = [config(), osv(), module_finding(), package_finding()]
    wrapped = parse(write(tmp_path, json.dumps(messages, indent=2), "wrapped.json"))
    plain = parse(write(tmp_path, stream(*messages), "plain.json"))
    assert [f.model_dump() for f in wrapped.findings] == [f.model_dump() for f in plain.findings]
    assert wrapped.runs[0].version == "v1.1.4"
    assert wrapped.findings[0].reachability == "package"


def test_array_wrapped_stream_is_detected(tmp_path: Path) -> None:
    head = json.dumps([config(), osv()], indent=2).encode()
    assert GovulncheckJsonParser.detect(head, PurePath("out.json")) == Detection(90)


def test_identity_stays_when_a_finding_becomes_reachable(tmp_path: Path) -> None:
    before = parse(write(tmp_path, stream(config(), osv(), module_finding()), "before.json"))
    after = parse(
        write(
            tmp_path,
            stream(
                config(scanner_version="v1.1.5", db_last_modified="2025-06-01T00:00:00Z"),
                osv(details="Rewritten advisory prose.", modified="2025-05-30T00:00:00Z"),
                module_finding(),
                package_finding(),
                symbol_finding(("internal/auth", "internal/auth/token.go", 57, 29)),
            ),
            "after.json",
        )
    )
    (old,), (new,) = before.findings, after.findings
    assert (old.reachability, new.reachability) == ("module", "symbol")
    assert (old.severity, new.severity) == (Severity.info, Severity.high)
    assert old.identity == new.identity == ["GO-2024-3250", JWT, JWT]
    fingerprint.assign(before.findings)
    fingerprint.assign(after.findings)
    assert old.fingerprint == new.fingerprint


def test_call_site_is_where_the_trace_leaves_the_users_module(tmp_path: Path) -> None:
    text = stream(
        config(),
        symbol_finding(
            ("internal/auth", "internal/auth/token.go", 57, 29),
            ("internal/auth", "internal/auth/middleware.go", 24, 27),
            ("cmd/api", "cmd/api/main.go", 48, 33),
        ),
    )
    (finding,) = parse(write(tmp_path, text)).findings
    assert finding.location == CodeLocation(
        path="internal/auth/token.go", start_line=57, start_column=29
    )
    assert finding.related_locations == []


def test_other_call_stacks_are_distinct_related_locations_capped(tmp_path: Path) -> None:
    stacks = [
        symbol_finding(
            ("internal/auth", "internal/auth/token.go", line, 5), ("cmd/api", "m.go", 1, 1)
        )
        for line in range(10, 25)
    ]
    duplicate = symbol_finding(("internal/auth", "internal/auth/token.go", 10, 5))
    (finding,) = parse(write(tmp_path, stream(config(), *stacks, duplicate))).findings
    assert finding.location is not None
    assert finding.location.start_line == 10
    assert [loc.start_line for loc in finding.related_locations] == list(range(11, 21))
    assert finding.properties["call_sites"] == 15


def test_binary_mode_symbol_without_position_has_no_location(tmp_path: Path) -> None:
    frame = {"module": JWT, "version": "v4.5.0", "package": JWT, "function": "ParseWithClaims"}
    text = stream(
        config(scan_mode="binary"),
        {"finding": {"osv": "GO-2024-3250", "fixed_version": "v4.5.1", "trace": [frame]}},
    )
    (finding,) = parse(write(tmp_path, text)).findings
    assert finding.reachability == "symbol"
    assert finding.location is None
    assert finding.properties["symbols"] == ["ParseWithClaims"]


def test_finding_before_its_osv_object_still_gets_the_advisory(tmp_path: Path) -> None:
    (finding,) = parse(write(tmp_path, stream(config(), module_finding(), osv()))).findings
    assert finding.title.startswith("Improper error handling")
    assert finding.identifiers == ["GO-2024-3250", "CVE-2024-51744", "GHSA-29wx-vh33-7x7r"]


def test_finding_without_osv_object_falls_back_to_its_id(tmp_path: Path) -> None:
    (finding,) = parse(write(tmp_path, stream(config(), module_finding()))).findings
    assert finding.title == "GO-2024-3250"
    assert finding.identifiers == ["GO-2024-3250"]
    assert finding.references == []
    assert finding.message == ""


def test_canary_in_osv_details_is_redacted(tmp_path: Path) -> None:
    leaky = osv(
        details=f"Reproduce with GITHUB_TOKEN={GHP} and aws key {AKIA}.",
        summary=f"Token {GHP} leaks",
        references=[{"type": "WEB", "url": f"https://bot:{GHP}@git.example.com/advisory"}],
    )
    (finding,) = parse(write(tmp_path, stream(config(), leaky, module_finding()))).findings
    dumped = finding.model_dump_json()
    assert GHP not in dumped
    assert AKIA not in dumped
    assert "[REDACTED]" in finding.message


def test_database_url_with_credentials_is_redacted(tmp_path: Path) -> None:
    text = stream(config(db=f"https://ci:{GHP}@vulndb.example.com"), module_finding())
    (run,) = parse(write(tmp_path, text)).runs
    assert GHP not in run.model_dump_json()


def test_several_concatenated_runs_are_read_as_one_with_a_warning(tmp_path: Path) -> None:
    text = stream(config(), module_finding(), config(), package_finding())
    result = parse(write(tmp_path, text))
    assert len(result.findings) == 1
    assert result.runs[0].warnings == [
        "2 config objects: several govulncheck runs concatenated, read as one"
    ]


def test_legacy_2023_result_with_modules_and_call_stacks(tmp_path: Path) -> None:
    doc = {
        "Vulns": [
            {
                "OSV": osv()["osv"],
                "Modules": [
                    {
                        "Path": JWT,
                        "FoundVersion": "v4.5.0",
                        "FixedVersion": "v4.5.1",
                        "Packages": [
                            {
                                "Path": JWT,
                                "CallStacks": [
                                    {
                                        "Symbol": "Parser.ParseWithClaims",
                                        "Summary": "main calls jwt.Parser.ParseWithClaims",
                                        "Frames": [
                                            {
                                                "PkgPath": f"{USER}/cmd/api",
                                                "FuncName": "main",
                                                "Position": {
                                                    "Filename": "cmd/api/main.go",
                                                    "Offset": 1,
                                                    "Line": 48,
                                                    "Column": 33,
                                                },
                                            },
                                            {
                                                "PkgPath": f"{USER}/internal/auth",
                                                "FuncName": "Verify",
                                                "Position": {
                                                    "Filename": "internal/auth/token.go",
                                                    "Offset": 1,
                                                    "Line": 57,
                                                    "Column": 29,
                                                },
                                            },
                                            {
                                                "PkgPath": JWT,
                                                "FuncName": "ParseWithClaims",
                                                "RecvType": "*" + JWT + ".Parser",
                                                "Position": {
                                                    "Filename": "parser.go",
                                                    "Offset": 1,
                                                    "Line": 37,
                                                    "Column": 17,
                                                },
                                            },
                                        ],
                                    }
                                ],
                            }
                        ],
                    },
                    {"Path": "golang.org/x/crypto", "FoundVersion": "v0.21.0"},
                ],
            }
        ]
    }
    path = write(tmp_path, json.dumps(doc, indent=2))
    assert GovulncheckJsonParser.detect(path.read_bytes(), PurePath("out.json")) == Detection(85)
    jwt, crypto = parse(path).findings
    assert (jwt.reachability, jwt.severity) == ("symbol", Severity.high)
    assert jwt.location == CodeLocation(
        path="internal/auth/token.go", start_line=57, start_column=29
    )
    assert jwt.component is not None
    assert (jwt.component.installed_version, jwt.component.fixed_version) == ("v4.5.0", "v4.5.1")
    assert jwt.properties["symbols"] == ["Parser.ParseWithClaims"]
    assert (crypto.rule_id, crypto.reachability) == ("GO-2024-3250", "module")
    assert crypto.identity == ["GO-2024-3250", "golang.org/x/crypto", "golang.org/x/crypto"]


# --- detection and broken input ------------------------------------------------------------


def test_detects_the_stream_by_its_config_object() -> None:
    head = stream(config(), osv()).encode()
    assert GovulncheckJsonParser.detect(head, PurePath("x.json")) == Detection(90)


def test_detects_a_utf16_stream_from_windows_powershell(tmp_path: Path) -> None:
    data = stream(config(), module_finding()).encode("utf-16")
    assert GovulncheckJsonParser.detect(data, PurePath("x.json")) == Detection(90)
    path = tmp_path / "ps.json"
    path.write_bytes(data)
    assert len(parse(path).findings) == 1


def test_does_not_claim_other_json() -> None:
    for head in (
        b'{"config": {"name": "something else"}}',
        b'{"SchemaVersion": 2, "Results": []}',
        b'{"Issues": [], "Stats": {}}',
        b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "govulncheck"}}}]}',
        b"[]",
        b"null",
    ):
        assert GovulncheckJsonParser.detect(head, PurePath("govulncheck.json")) is None


def test_text_and_openvex_outputs_are_skipped_with_a_reason() -> None:
    text = b"Scanning your code and 211 packages across 23 dependent modules for known vulns"
    detection = GovulncheckJsonParser.detect(text, PurePath("govulncheck.txt"))
    assert detection is not None
    assert detection.skip_reason is not None
    assert "text output" in detection.skip_reason
    vex = b'{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "govulncheck/vex:1a2b"}'
    detection = GovulncheckJsonParser.detect(vex, PurePath("vex.json"))
    assert detection is not None
    assert detection.skip_reason is not None
    assert "OpenVEX" in detection.skip_reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("  \n", "empty file"),
        ("govulncheck: no go.mod file\n", "does not start with"),
        ("[1, 2]", "item 0 of the array"),
        ('{"unrelated": true}', "not a govulncheck JSON stream"),
        ('{"finding": {"trace": []}}', "names no osv id"),
        ('{"finding": {"osv": "GO-2024-3250", "trace": []}}', "empty trace"),
        ('{"finding": {"osv": "GO-2024-3250", "trace": {}}}', "expected a list"),
        ('{"finding": {"osv": "GO-2024-3250", "trace": [{"version": "v1"}]}}', "names no module"),
        ('{"config": []}', "expected an object"),
        ('{"Vulns": [{"OSV": {"id": "GO-1"}}]}', "has no ModPath"),
        ('{"Vulns": "x"}', "expected a list"),
    ],
)
def test_broken_input_is_a_parse_error(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(write(tmp_path, text))


def test_invalid_json_mid_stream_is_not_mistaken_for_trailing_text(tmp_path: Path) -> None:
    text = stream(config()) + '{"finding": {"osv": "GO-1", oops}}\n' + stream(module_finding())
    with pytest.raises(ParseError, match="invalid JSON"):
        parse(write(tmp_path, text))


# --- the sample ----------------------------------------------------------------------------


def test_sample_reads_ok_with_every_level() -> None:
    path = SAMPLES / "govulncheck" / "govulncheck.json"
    outcome = read_artifact(path, "samples/govulncheck/govulncheck.json", PathNormalizer())
    assert [run.status for run in outcome.runs] == [RunStatus.ok]
    found = {f.rule_id: f for f in outcome.findings}
    assert {rule: f.reachability for rule, f in found.items()} == {
        "GO-2023-2153": "package",
        "GO-2024-3250": "symbol",
        "GO-2024-2611": "package",
        "GO-2024-3321": "module",
        "GO-2024-2887": "symbol",
    }
    jwt = found["GO-2024-3250"]
    assert jwt.location == CodeLocation(
        path="internal/auth/token.go", start_line=57, start_column=29
    )
    assert [loc.path for loc in jwt.related_locations] == ["internal/auth/token.go"]
    assert all(f.fingerprint for f in outcome.findings)

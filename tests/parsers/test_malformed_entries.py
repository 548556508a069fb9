"""One malformed entry does not sink its report.

An entry a parser cannot read (a trivy vulnerability without ``VulnerabilityID``, a SARIF
result whose ``locations`` is a string, a semgrep result without ``check_id``, and the like
in every parser) is skipped with a warning naming its place and why; the run stays ok and the
rest of the report is read.  Only a document that cannot be read at all fails: not JSON or
XML, truncated, the wrong top-level shape, or one of which no entry could be read.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hardening import jsonread
from hardening.cli import cli
from hardening.model import RunStatus
from hardening.parsers.interface import SkippedEntries
from hardening.paths import PathNormalizer
from hardening.reading import ArtifactOutcome, read_artifact
from hardening.render.text import markdown
from support import corpus_or_skip

GHP = "ghp_Hx7Kq2Wm9Pz4Lr8Tv3Ny6Bc1Df5Gj0Ks2Qa"


def read(path: Path) -> ArtifactOutcome:
    return read_artifact(path, path.name, PathNormalizer())


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=1))
    return path


def assert_read_but(outcome: ArtifactOutcome, findings: int, warnings: list[str]) -> None:
    """The run is ok, ``findings`` were read and the skipped entries are the warnings named."""
    assert [(run.status, run.error) for run in outcome.runs] == [(RunStatus.ok, None)]
    assert len(outcome.findings) == findings
    skipped = [w for w in outcome.runs[0].warnings if w.startswith(("skipped ", "and "))]
    assert skipped == warnings


# --- constructed reports, one per parser --------------------------------------------------


def trivy_vulnerability(vuln_id: str, package: str) -> dict[str, Any]:
    return {
        "VulnerabilityID": vuln_id,
        "PkgName": package,
        "InstalledVersion": "1.0.0",
        "Severity": "HIGH",
    }


def trivy_report(vulnerabilities: list[Any]) -> dict[str, Any]:
    return {
        "SchemaVersion": 2,
        "ArtifactName": "alpine:3.19",
        "ArtifactType": "container_image",
        "Results": [
            {
                "Target": "alpine:3.19 (alpine 3.19.1)",
                "Class": "os-pkgs",
                "Type": "alpine",
                "Vulnerabilities": vulnerabilities,
            }
        ],
    }


def test_trivy_vulnerability_without_its_id_is_skipped(tmp_path: Path) -> None:
    broken = trivy_vulnerability("CVE-2024-0002", "musl")
    del broken["VulnerabilityID"]
    report = trivy_report(
        [
            trivy_vulnerability("CVE-2024-0001", "busybox"),
            broken,
            trivy_vulnerability("CVE-2024-0003", "zlib"),
        ]
    )

    outcome = read(write(tmp_path, "trivy.json", report))

    assert_read_but(
        outcome, 2, ["skipped Results[0].Vulnerabilities[1]: the entry has no VulnerabilityID"]
    )
    assert [f.rule_id for f in outcome.findings] == ["CVE-2024-0001", "CVE-2024-0003"]


def test_trivy_result_that_is_not_an_object_is_skipped(tmp_path: Path) -> None:
    report = trivy_report([trivy_vulnerability("CVE-2024-0001", "busybox")])
    report["Results"].insert(0, "alpine")

    outcome = read(write(tmp_path, "trivy.json", report))

    assert_read_but(outcome, 1, ["skipped Results[0]: the entry is str, expected an object"])


def sarif_result(rule: str, path: str) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "level": "error",
        "message": {"text": f"{rule} here"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": 3, "snippet": {"text": "q := x"}},
                }
            }
        ],
    }


def sarif_log(results: list[Any]) -> dict[str, Any]:
    return {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "CodeQL", "rules": []}}, "results": results}],
    }


def test_sarif_result_whose_locations_is_a_string_is_skipped(tmp_path: Path) -> None:
    broken = sarif_result("go/sql-injection", "b.go")
    broken["locations"] = "b.go:3"
    log = sarif_log([sarif_result("go/path-injection", "a.go"), broken])

    outcome = read(write(tmp_path, "codeql.sarif", log))

    assert_read_but(outcome, 1, ["skipped runs[0].results[1]: locations is str, expected a list"])
    assert outcome.findings[0].rule_id == "go/path-injection"


def test_each_sarif_run_names_its_own_skipped_results(tmp_path: Path) -> None:
    log = sarif_log([sarif_result("go/a", "a.go")])
    log["runs"].append(copy.deepcopy(log["runs"][0]))
    log["runs"][1]["results"].append(42)

    outcome = read(write(tmp_path, "codeql.sarif", log))

    assert [run.status for run in outcome.runs] == [RunStatus.ok, RunStatus.ok]
    assert len(outcome.findings) == 2
    assert [w for w in outcome.runs[0].warnings if w.startswith("skipped")] == []
    assert outcome.runs[1].warnings == [
        "skipped runs[1].results[1]: the entry is int, expected an object"
    ]


def semgrep_result(rule: str, path: str) -> dict[str, Any]:
    return {
        "check_id": rule,
        "path": path,
        "start": {"line": 3, "col": 1},
        "end": {"line": 3, "col": 9},
        "extra": {"message": f"{rule} found", "severity": "ERROR", "lines": "x := y"},
    }


def semgrep_report(results: list[Any]) -> dict[str, Any]:
    return {"version": "1.85.0", "results": results, "errors": [], "paths": {"scanned": []}}


def test_semgrep_result_without_check_id_is_skipped(tmp_path: Path) -> None:
    broken = semgrep_result("go.lang.b", "b.go")
    del broken["check_id"]
    report = semgrep_report([semgrep_result("go.lang.a", "a.go"), broken])

    outcome = read(write(tmp_path, "semgrep.json", report))

    assert_read_but(outcome, 1, ["skipped results[1]: check_id is missing or not a string"])


def test_gosec_issue_without_file_is_skipped(tmp_path: Path) -> None:
    good = {
        "rule_id": "G104",
        "severity": "LOW",
        "file": "/src/a.go",
        "line": "3",
        "code": "3: f()",
    }
    report = {
        "Golang errors": {},
        "Issues": [good, {**good, "rule_id": GHP, "file": ""}, {**good, "line": "4"}],
        "Stats": {"files": 1, "lines": 10, "nosec": 0, "found": 3},
        "GosecVersion": "2.21.4",
    }

    outcome = read(write(tmp_path, "gosec.json", report))

    # The place and the missing key, never a value from the report (the rule id here).
    assert_read_but(outcome, 2, ["skipped Issues[1]: the entry has no file"])


def gitleaks_v8(rule: str, path: str) -> dict[str, Any]:
    return {
        "RuleID": rule,
        "Description": "A key",
        "StartLine": 3,
        "EndLine": 3,
        "Match": "key = REDACTED",
        "Secret": "REDACTED",
        "File": path,
        "Commit": "abc",
    }


def test_gitleaks_json_entry_without_rule_is_skipped(tmp_path: Path) -> None:
    report = [gitleaks_v8("aws-key", "a.env"), {"File": "b.env", "Secret": GHP}, "x"]
    report.append(gitleaks_v8("github-pat", "c.env"))

    outcome = read(write(tmp_path, "gitleaks.json", report))

    assert_read_but(
        outcome,
        2,
        [
            "skipped finding 1: the entry has neither RuleID (gitleaks v8) nor rule (v7)",
            "skipped finding 2: the entry is str, expected an object",
        ],
    )


def gitleaks_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["RuleID", "Commit", "File", "SymlinkFile", "Secret", "Match", "StartLine", "EndLine"]
    )
    writer.writerows(rows)
    return out.getvalue()


def test_gitleaks_csv_row_of_the_wrong_width_is_skipped(tmp_path: Path) -> None:
    good = ["aws-key", "abc", "a.env", "", "REDACTED", "key = REDACTED", "3", "3"]
    text = gitleaks_csv([good, good[:5], ["", *good[1:]], good])

    outcome = read(write(tmp_path, "gitleaks.csv", text))

    assert_read_but(
        outcome,
        2,
        [
            "skipped CSV row 3: the entry has 5 fields, the header has 8",
            "skipped CSV row 4: the entry has no rule id",
        ],
    )


def test_gitleaks_csv_cut_in_its_last_row_still_fails(tmp_path: Path) -> None:
    good = ["aws-key", "abc", "a.env", "", "REDACTED", "key = REDACTED", "3", "3"]
    text = gitleaks_csv([good, good[:5]])

    outcome = read(write(tmp_path, "gitleaks.csv", text.rstrip("\r\n")))

    assert [(run.status, run.error) for run in outcome.runs] == [
        (RunStatus.failed, "CSV row 3 has 5 fields, the header has 8 (truncated file?)")
    ]


def govulncheck_finding(osv: str, module: str, trace: list[Any] | None = None) -> dict[str, Any]:
    frames = [{"module": module, "version": "v1.0.0"}] if trace is None else trace
    return {"finding": {"osv": osv, "fixed_version": "v1.0.1", "trace": frames}}


def test_govulncheck_finding_object_without_trace_is_skipped(tmp_path: Path) -> None:
    messages = [
        {"config": {"protocol_version": "v1.0.0", "scanner_name": "govulncheck"}},
        govulncheck_finding("GO-2024-0001", "example.com/a"),
        govulncheck_finding("GO-2024-0002", "example.com/b", trace=[]),
        govulncheck_finding("GO-2024-0003", "example.com/c"),
    ]
    text = "".join(json.dumps(message, indent=2) + "\n" for message in messages)
    offset = text.index('{\n  "finding": {\n    "osv": "GO-2024-0002"')

    outcome = read(write(tmp_path, "govulncheck.json", text))

    assert_read_but(
        outcome, 2, [f"skipped finding at offset {offset}: the entry has an empty trace"]
    )


def test_govulncheck_array_item_is_named_by_its_index(tmp_path: Path) -> None:
    messages = [
        {"config": {"protocol_version": "v1.0.0", "scanner_name": "govulncheck"}},
        govulncheck_finding("GO-2024-0001", "example.com/a"),
        {"finding": {"osv": "", "trace": []}},
    ]

    outcome = read(write(tmp_path, "govulncheck.json", messages))

    assert_read_but(
        outcome,
        1,
        ["skipped finding of item 2 of the array at offset 0: the entry names no osv id"],
    )


def test_legacy_govulncheck_vuln_without_module_is_skipped(tmp_path: Path) -> None:
    vuln = {"OSV": {"id": "GO-2022-0001"}, "Symbol": "Get", "PkgPath": "a/b", "ModPath": "a"}
    report = {"Vulns": [vuln, {**vuln, "ModPath": ""}], "Calls": {"Functions": {}}}

    outcome = read(write(tmp_path, "govulncheck.json", report))

    assert_read_but(outcome, 1, ["skipped Vulns[1]: the entry has no ModPath"])


NDJSON_EVENTS = [
    {"Initialize": {"schemathesis_version": "4.1.0", "seed": 1}},
    {
        "ScenarioFinished": {
            "status": "failure",
            "phase": "examples",
            "recorder": {
                "label": "GET /items",
                "cases": {"c1": {"value": {"method": "GET", "path": "/items"}}},
                "checks": {
                    "c1": [
                        {
                            "name": "not_a_server_error",
                            "status": "failure",
                            "failure_info": {"failure": {"title": "Server error", "code": 500}},
                        }
                    ]
                },
                "interactions": {},
            },
        }
    },
    {"EngineFinished": {"stop_reason": "completed"}},
]


def test_schemathesis_event_line_that_is_not_json_is_skipped(tmp_path: Path) -> None:
    lines = [json.dumps(event) for event in NDJSON_EVENTS]
    lines.insert(1, '{"ScenarioStarted": {"label": ')

    outcome = read(write(tmp_path, "events.ndjson", "\n".join(lines) + "\n"))

    assert_read_but(
        outcome,
        1,
        ["skipped line 2: invalid JSON: Expecting value"],
    )


def test_schemathesis_check_that_is_not_an_object_is_skipped(tmp_path: Path) -> None:
    events = copy.deepcopy(NDJSON_EVENTS)
    events[1]["ScenarioFinished"]["recorder"]["checks"]["c1"].insert(0, GHP)
    text = "".join(json.dumps(event) + "\n" for event in events)

    outcome = read(write(tmp_path, "events.ndjson", text))

    # A case id is a key from the report: the check is named by its place in the scenario.
    assert_read_but(
        outcome, 1, ["skipped line 2: check 1 of case 1: the entry is str, expected an object"]
    )


def test_schemathesis_run_report_failure_that_is_not_an_object_is_skipped(
    tmp_path: Path,
) -> None:
    failure = {"title": "Server error", "code": "ST101", "operations": ["GET /items"], "count": 1}
    report = {
        "schemathesis_version": "4.1.0",
        "complete": True,
        "failures": [failure, "Server error"],
        "errors": [],
        "operations": {"selected": 1, "tested": 1},
    }

    outcome = read(write(tmp_path, "report.json", report))

    assert_read_but(outcome, 1, ["skipped failures[1]: the entry is str, expected an object"])


def zap_alert(plugin: str, uris: list[Any]) -> dict[str, Any]:
    return {
        "pluginid": plugin,
        "alert": "X-Frame-Options Header Not Set",
        "riskcode": "2",
        "confidence": "2",
        "instances": [
            {"uri": uri, "method": "GET"} if isinstance(uri, str) else uri for uri in uris
        ],
        "count": str(len(uris)),
    }


def zap_json(alerts: list[Any]) -> dict[str, Any]:
    return {
        "@programName": "ZAP",
        "@version": "2.14.0",
        "@generated": "Mon, 7 Dec 2026 02:00:00",
        "site": [
            {
                "@name": "http://app:8080",
                "@host": "app",
                "@port": "8080",
                "@ssl": "false",
                "alerts": alerts,
            }
        ],
    }


def test_zap_alert_without_plugin_id_and_instance_that_is_not_an_object_are_skipped(
    tmp_path: Path,
) -> None:
    no_plugin = zap_alert("", ["http://app:8080/b"])
    no_plugin["alert"] = GHP
    report = zap_json(
        [
            zap_alert("10020", ["http://app:8080/a", 7]),
            no_plugin,
            zap_alert("10021", ["http://app:8080/c"]),
        ]
    )

    outcome = read(write(tmp_path, "zap.json", report))

    assert_read_but(
        outcome,
        2,
        [
            "skipped site[0].alerts[0].instances[1]: the entry is int, expected an object",
            "skipped site[0].alerts[1]: the entry has no pluginid",
        ],
    )


ZAP_XML = """<?xml version="1.0"?>
<OWASPZAPReport version="2.14.0" generated="now">
<site name="http://app:8080" host="app" port="8080" ssl="false"><alerts>
<alertitem><pluginid>10020</pluginid><alert>A</alert><riskcode>2</riskcode><confidence>2</confidence>
<instances><instance><uri>http://app:8080/a</uri><method>GET</method></instance></instances></alertitem>
<alertitem><alert>B</alert><riskcode>2</riskcode><confidence>2</confidence>
<instances><instance><uri>http://app:8080/b</uri><method>GET</method></instance></instances></alertitem>
</alerts></site>
</OWASPZAPReport>
"""


def test_zap_xml_alert_without_plugin_id_is_skipped(tmp_path: Path) -> None:
    outcome = read(write(tmp_path, "zap.xml", ZAP_XML))

    assert_read_but(outcome, 1, ["skipped site[0].alerts[1]: the entry has no pluginid"])


def test_findings_json_entry_that_is_not_a_finding_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(
        folder,
        "semgrep.json",
        semgrep_report([semgrep_result("go.lang.a", "a.go"), semgrep_result("go.lang.b", "b.go")]),
    )
    out = tmp_path / "out"
    CliRunner().invoke(
        cli, ["aggregate", str(folder), "--out", str(out), "-q"], catch_exceptions=False
    )
    document = json.loads((out / "findings.json").read_text())
    document["findings"][1]["severity"] = "dreadful"
    document["findings"].insert(0, "a finding")

    outcome = read(write(tmp_path, "findings.json", document))

    assert [run.status for run in outcome.runs] == [RunStatus.ok]
    assert len(outcome.findings) == 1
    assert [w for w in outcome.runs[0].warnings if w.startswith("skipped")] == [
        "skipped findings[0]: Input should be a dictionary or an instance of Finding",
        "skipped findings[2]: severity: Input should be 'critical', 'high', 'medium', 'low' or"
        " 'info'",
    ]


# --- how many are named, and when the document fails -----------------------------------------


def test_the_first_twenty_are_named_then_the_rest_counted(tmp_path: Path) -> None:
    broken = semgrep_result("go.lang.b", "b.go")
    del broken["path"]
    report = semgrep_report([semgrep_result("go.lang.a", "a.go"), *[broken] * 25])

    outcome = read(write(tmp_path, "semgrep.json", report))

    assert_read_but(
        outcome,
        1,
        [f"skipped results[{i}]: path is missing or not a string" for i in range(1, 21)]
        + ["and 5 more entries skipped"],
    )


def test_a_report_none_of_whose_entries_could_be_read_fails(tmp_path: Path) -> None:
    broken = semgrep_result("go.lang.b", "b.go")
    del broken["check_id"]

    outcome = read(write(tmp_path, "semgrep.json", semgrep_report([broken, broken])))

    assert [(run.status, run.error) for run in outcome.runs] == [
        (
            RunStatus.failed,
            "no entry could be read: results[0]: check_id is missing or not a string (and 1 more)",
        )
    ]


def test_a_document_of_the_wrong_shape_still_fails(tmp_path: Path) -> None:
    outcome = read(write(tmp_path, "trivy.json", {"SchemaVersion": 2, "Results": "none"}))

    assert [(run.status, run.error) for run in outcome.runs] == [
        (RunStatus.failed, "Results is str, expected a list")
    ]


def test_a_truncated_document_still_fails(tmp_path: Path) -> None:
    text = json.dumps(semgrep_report([semgrep_result("go.lang.a", "a.go")]))

    outcome = read(write(tmp_path, "semgrep.json", text[:-30]))

    assert outcome.runs[0].status is RunStatus.failed
    assert (outcome.runs[0].error or "").startswith("truncated or invalid JSON")


def test_the_helper_names_the_place_once() -> None:
    skipped = SkippedEntries()
    skipped.add("results[3]", "results[3].locations is str, expected a list")
    skipped.add("Issues[1]", "Issues[1] has no file")
    skipped.add("line 4", "line 4: invalid JSON: Expecting value")
    skipped.add("findings[2]", "severity: Input should be a valid string")

    assert skipped.warnings() == [
        "skipped results[3]: locations is str, expected a list",
        "skipped Issues[1]: the entry has no file",
        "skipped line 4: invalid JSON: Expecting value",
        "skipped findings[2]: severity: Input should be a valid string",
    ]


# --- streamed readers ---------------------------------------------------------------------------


def both_readers(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[ArtifactOutcome]:
    outcomes = []
    for threshold in (1 << 62, 1):  # whole, then streamed
        with monkeypatch.context() as patch:
            patch.setattr(jsonread, "STREAM_MIN_BYTES", threshold)
            outcomes.append(read(path))
    return outcomes


@pytest.mark.parametrize("kind", ["sarif", "semgrep", "trivy"])
def test_a_streamed_report_skips_the_same_entry(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "sarif":
        document: Any = sarif_log([sarif_result("go/a", f"f{i}.go") for i in range(50)])
        document["runs"][0]["results"][7]["locations"] = "f7.go"
        warning = "skipped runs[0].results[7]: locations is str, expected a list"
    elif kind == "semgrep":
        document = semgrep_report([semgrep_result("go.lang.a", f"f{i}.go") for i in range(50)])
        del document["results"][7]["check_id"]
        warning = "skipped results[7]: check_id is missing or not a string"
    else:
        document = trivy_report(
            [trivy_vulnerability(f"CVE-2024-{i:04d}", "zlib") for i in range(50)]
        )
        document["Results"][0]["Vulnerabilities"][7]["VulnerabilityID"] = ""
        warning = "skipped Results[0].Vulnerabilities[7]: the entry has no VulnerabilityID"
    path = write(tmp_path, f"{kind}.json" if kind != "sarif" else "x.sarif", document)

    whole, streamed = both_readers(path, monkeypatch)

    assert_read_but(streamed, 49, [warning])
    assert [r.model_dump() for r in streamed.runs] == [r.model_dump() for r in whole.runs]
    assert [f.fingerprint for f in streamed.findings] == [f.fingerprint for f in whole.findings]


# --- the real corpus, one entry broken ------------------------------------------------------


def _json_edit(edit: Callable[[Any], None]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        document = json.loads(text)
        edit(document)
        return json.dumps(document, indent=1)

    return apply


def _ndjson_line(number: int, replacement: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        lines = text.split("\n")
        lines[number - 1] = replacement
        return "\n".join(lines)

    return apply


def _first_xml_alert_without_plugin_id(text: str) -> str:
    head, item, rest = text.partition("<alertitem>")
    alert, end, tail = rest.partition("</alertitem>")
    alert = re.sub(r"<(pluginid|alertRef)>[^<]*</\1>", "", alert)
    return head + item + alert + end + tail


#: (corpus file, the break, the warning, how many findings it loses; None: at least one).
CORPUS_BREAKS: list[tuple[str, Callable[[str], str], str, int | None]] = [
    (
        "trivy/dd-schema2-image-5.json",
        _json_edit(lambda d: d["Results"][0]["Vulnerabilities"][0].pop("VulnerabilityID")),
        "skipped Results[0].Vulnerabilities[0]: the entry has no VulnerabilityID",
        1,
    ),
    (
        "sarif-other/codeql-2.5.4.sarif",
        _json_edit(lambda d: d["runs"][0]["results"][0].__setitem__("locations", "main.go")),
        "skipped runs[0].results[0]: locations is str, expected a list",
        1,
    ),
    (
        "semgrep/dd-many-vulns-48.json",
        _json_edit(lambda d: d["results"][0].pop("check_id")),
        "skipped results[0]: check_id is missing or not a string",
        1,
    ),
    (
        "gosec/tmc-cdp-golang-errors.json",
        _json_edit(lambda d: d["Issues"][0].pop("file")),
        "skipped Issues[0]: the entry has no file",
        1,
    ),
    (
        "gitleaks/pygoat-v8-git-mode.json",
        _json_edit(lambda d: d.__setitem__(0, "leak")),
        "skipped finding 0: the entry is str, expected an object",
        1,
    ),
    (
        "zap/llowgn-2.14.0-2-sites.json",
        _json_edit(lambda d: d["site"][1]["alerts"][0]["instances"].__setitem__(0, None)),
        "skipped site[1].alerts[0].instances[0]: the entry is NoneType, expected an object",
        1,
    ),
    (
        "zap/dd-2.10.0-juice-shop.xml",
        _first_xml_alert_without_plugin_id,
        "skipped site[0].alerts[0]: the entry has no pluginid",
        None,
    ),
    (
        "schemathesis/local-4.32.5-flawed-events.ndjson",
        _ndjson_line(3, '{"LoadingFinished": '),
        "skipped line 3: invalid JSON: Expecting value",
        0,
    ),
]


@pytest.mark.parametrize(
    ("name", "breaks", "warning", "lost"), CORPUS_BREAKS, ids=[case[0] for case in CORPUS_BREAKS]
)
def test_a_corpus_report_broken_in_one_entry_reads_the_rest(
    name: str, breaks: Callable[[str], str], warning: str, lost: int | None, tmp_path: Path
) -> None:
    root = corpus_or_skip()
    original = tmp_path / "original" / Path(name).name
    original.parent.mkdir()
    shutil.copyfile(root / name, original)
    broken = tmp_path / Path(name).name
    broken.write_text(breaks(original.read_text(encoding="utf-8")), encoding="utf-8")

    before = read(original)
    after = read(broken)

    assert [run.status for run in after.runs] == [run.status for run in before.runs]
    assert [run.error for run in after.runs] == [run.error for run in before.runs]
    assert [w for run in after.runs for w in run.warnings if w.startswith("skipped")] == [warning]
    assert {f.fingerprint for f in after.findings} <= {f.fingerprint for f in before.findings}
    if lost is None:
        assert 0 < len(after.findings) < len(before.findings)
    else:
        assert len(after.findings) == len(before.findings) - lost


# --- every output shows the skipped entry ------------------------------------------------


def test_a_skipped_entry_is_shown_in_every_output(tmp_path: Path) -> None:
    broken = sarif_result("go/sql-injection", "b.go")
    broken["locations"] = GHP
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "codeql.sarif", sarif_log([sarif_result("go/path-injection", "a.go"), broken]))
    out = tmp_path / "out"
    warning = "skipped runs[0].results[1]: locations is str, expected a list"

    result = CliRunner().invoke(
        cli, ["aggregate", str(folder), "--out", str(out)], catch_exceptions=False
    )

    assert result.exit_code == 0
    assert warning in result.output
    report = json.loads((out / "findings.json").read_text())
    assert [(run["status"], run["warnings"]) for run in report["runs"]] == [("ok", [warning])]
    assert len(report["findings"]) == 1
    assert markdown(warning) in (out / "summary.md").read_text()  # escaped, as every text
    assert warning in (out / "report.html").read_text()
    sarif = json.loads((out / "hardening.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert {"level": "warning", "message": {"text": warning}} in notes
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
    for output in out.iterdir():
        assert GHP not in output.read_text(), output.name
    assert GHP not in result.output

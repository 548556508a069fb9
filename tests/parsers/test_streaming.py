"""Big reports are read as a stream (one result at a time), into exactly the findings, runs,
fingerprints and errors that reading them whole gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardening import jsonread
from hardening.model import RunStatus
from hardening.paths import PathNormalizer
from hardening.reading import ArtifactOutcome, read_artifact

RULES = 40


def sarif_result(index: int) -> dict[str, Any]:
    rule = index % RULES
    result: dict[str, Any] = {
        "ruleId": f"go/rule-{rule}",
        "ruleIndex": rule,
        "level": ("error", "warning", "note")[index % 3],
        "message": {"text": f"Value `v{index % 97}` reaches a [sink](1) in handler {index}."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": f"internal/pkg{index % 31}/file{index % 301}.go",
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {
                        "startLine": index % 400 + 1,
                        "startColumn": 3,
                        "endColumn": 40,
                        "snippet": {"text": f"\tdb.Query(q + v{index % 13})  // {index % 7}"},
                    },
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f"{index:016x}:1"},
    }
    if index % 7 == 0:
        result["suppressions"] = [{"kind": "inSource", "justification": "reviewed"}]
    if index % 11 == 0:
        result["relatedLocations"] = [
            {"id": 1, "physicalLocation": {"artifactLocation": {"uri": "cmd/api/main.go"}}}
        ]
    if index % 13 == 0:
        result["properties"] = {"security-severity": "9.1", "tags": ["external/cwe/cwe-798"]}
    if index % 17 == 0:
        result["message"] = {"text": "Sink {0} reached from {1}.", "arguments": ["a", "b"]}
    if index % 19 == 0:
        result["kind"] = "pass"
    return result


def sarif_log(count: int, *, run_keys: tuple[str, ...]) -> dict[str, Any]:
    members: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "CodeQL",
                "semanticVersion": "2.19.3",
                "rules": [
                    {
                        "id": f"go/rule-{rule}",
                        "shortDescription": {"text": f"Rule {rule}"},
                        "properties": {"tags": [f"external/cwe/cwe-{79 + rule}"]},
                    }
                    for rule in range(RULES)
                ],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "src/"}},
        "invocations": [{"executionSuccessful": True}],
        "results": [sarif_result(index) for index in range(count)],
    }
    run = {key: members[key] for key in run_keys}
    return {"version": "2.1.0", "runs": [run, json.loads(json.dumps(run))]}


def semgrep_report(count: int) -> dict[str, Any]:
    return {
        "version": "1.85.0",
        "results": [
            {
                "check_id": f"go.lang.security.rule-{index % RULES}",
                "path": f"internal/pkg{index % 31}/file{index % 301}.go",
                "start": {"line": index % 400 + 1, "col": 2},
                "end": {"line": index % 400 + 1, "col": 30},
                "extra": {
                    "message": f"Tainted value v{index % 97} reaches a sink",
                    "severity": ("ERROR", "WARNING", "INFO")[index % 3],
                    "lines": f"\tdb.Query(q + v{index % 13})",
                    "is_ignored": index % 9 == 0,
                    "metadata": {
                        "cwe": [f"CWE-{89 + index % RULES}: Injection"],
                        "owasp": ["A03:2021 - Injection"],
                        "references": ["https://owasp.org/Top10/A03_2021-Injection/"],
                        "confidence": "HIGH",
                    },
                },
            }
            for index in range(count)
        ],
        "errors": [],
        "paths": {"scanned": ["internal"]},
    }


def trivy_report(count: int) -> dict[str, Any]:
    def vulnerability(index: int) -> dict[str, Any]:
        cve = f"CVE-2024-{1000 + index % 500}"
        return {
            "VulnerabilityID": cve,
            "PkgName": f"lib{index % 300}",
            "InstalledVersion": "1.0.0",
            "FixedVersion": "1.0.1",
            "Severity": ("CRITICAL", "HIGH", "MEDIUM", "LOW")[index % 4],
            "Title": f"lib: flaw {index % 500}",
            "Description": f"A flaw in lib allows {index % 500} things.",
            "CweIDs": ["CWE-787"],
            "References": [f"https://nvd.nist.gov/vuln/detail/{cve}", "https://example.com/a"],
        }

    return {
        "SchemaVersion": 2,
        "ArtifactName": "registry.example/acme/payments-api:1.4.2",
        "ArtifactType": "container_image",
        "Metadata": {"OS": {"Family": "debian", "Name": "12.7"}},
        "Results": [
            {
                "Target": "registry.example/acme/payments-api:1.4.2 (debian 12.7)",
                "Class": "os-pkgs",
                "Type": "debian",
                "Vulnerabilities": [vulnerability(i) for i in range(count // 2)],
            },
            {
                "Target": "go.mod",
                "Class": "lang-pkgs",
                "Type": "gomod",
                "Packages": [{"Name": f"mod{index}"} for index in range(50)],
                "Vulnerabilities": [vulnerability(i) for i in range(count // 2, count)],
            },
        ],
    }


def read(path: Path, monkeypatch: pytest.MonkeyPatch, *, streamed: bool) -> ArtifactOutcome:
    with monkeypatch.context() as patch:
        if streamed:
            patch.setattr(jsonread, "STREAM_MIN_BYTES", 1)

            def whole(data: bytes) -> Any:
                raise AssertionError("read whole, not streamed")

            patch.setattr(jsonread, "loads", whole)
        else:
            patch.setattr(jsonread, "STREAM_MIN_BYTES", 1 << 62)
        return read_artifact(path, path.name, PathNormalizer())


def assert_same_outcome(path: Path, monkeypatch: pytest.MonkeyPatch) -> ArtifactOutcome:
    whole = read(path, monkeypatch, streamed=False)
    streamed = read(path, monkeypatch, streamed=True)
    assert [f.fingerprint for f in streamed.findings] == [f.fingerprint for f in whole.findings]
    assert [f.model_dump() for f in streamed.findings] == [f.model_dump() for f in whole.findings]
    assert [r.model_dump() for r in streamed.runs] == [r.model_dump() for r in whole.runs]
    return streamed


def test_a_big_sarif_log_streams_to_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.sarif"
    keys = ("tool", "originalUriBaseIds", "invocations", "results")
    path.write_text(json.dumps(sarif_log(20_000, run_keys=keys)))
    # The default threshold streams it too.
    assert path.stat().st_size >= jsonread.STREAM_MIN_BYTES

    outcome = assert_same_outcome(path, monkeypatch)

    per_run = 20_000 - len(range(0, 20_000, 19))  # "pass" results are no findings
    assert len(outcome.findings) == 2 * per_run
    # The second run repeats the first one's results at the same places: the same findings.
    assert len({f.fingerprint for f in outcome.findings}) == per_run


@pytest.mark.parametrize(
    "keys",
    [
        # gosec writes members in alphabetical order: results before the tool.
        ("invocations", "originalUriBaseIds", "results", "tool"),
        # A base of the URIs named after the results it resolves.
        ("tool", "results", "invocations", "originalUriBaseIds"),
    ],
    ids=["results-first", "uri-bases-last"],
)
def test_a_run_described_after_its_results_streams_to_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...]
) -> None:
    path = tmp_path / "late.sarif"
    path.write_text(json.dumps(sarif_log(2_000, run_keys=keys)))

    outcome = assert_same_outcome(path, monkeypatch)

    # Resolved against the base named after them (result 0 is a "pass").
    assert outcome.findings[0].path == "src/internal/pkg1/file1.go"


def test_a_truncated_big_sarif_log_fails_with_the_same_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = json.dumps(sarif_log(2_000, run_keys=("tool", "results")), indent=1)
    path = tmp_path / "cut.sarif"
    path.write_text(text[: len(text) * 2 // 3])

    whole = read(path, monkeypatch, streamed=False)
    streamed = read(path, monkeypatch, streamed=True)

    assert streamed.runs[0].error == whole.runs[0].error
    assert (streamed.runs[0].error or "").startswith("truncated or invalid JSON: ")


def test_a_broken_result_in_a_big_log_is_skipped_with_the_same_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = sarif_log(2_000, run_keys=("tool", "results"))
    log["runs"][1]["results"][5]["locations"] = {"not": "a list"}
    path = tmp_path / "broken.sarif"
    path.write_text(json.dumps(log))

    outcome = assert_same_outcome(path, monkeypatch)

    assert [run.status for run in outcome.runs] == [RunStatus.ok, RunStatus.ok]
    assert outcome.runs[1].warnings[-1] == (
        "skipped runs[1].results[5]: locations is dict, expected a list"
    )
    assert not [w for w in outcome.runs[0].warnings if w.startswith("skipped")]


def test_a_big_semgrep_report_streams_to_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "semgrep.json"
    path.write_text(json.dumps(semgrep_report(5_000)))

    outcome = assert_same_outcome(path, monkeypatch)

    assert len(outcome.findings) == 5_000


def test_a_big_trivy_report_streams_to_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "trivy.json"
    path.write_text(json.dumps(trivy_report(5_000)))

    outcome = assert_same_outcome(path, monkeypatch)

    assert len(outcome.findings) == 5_000


def zap_report(sites: int, alerts: int, instances: int) -> dict[str, Any]:
    return {
        "@programName": "ZAP",
        "@version": "2.14.0",
        "@generated": "Thu, 7 Dec 2023 10:00:00",
        "site": [
            {
                "@name": f"https://app{s}.example:8443",
                "@host": f"app{s}.example",
                "@port": "8443",
                "@ssl": "true",
                "alerts": [
                    {
                        "pluginid": str(10000 + a),
                        "alertRef": str(10000 + a),
                        "alert": f"Alert {a}",
                        "name": f"Alert {a}",
                        "riskcode": str(a % 4),
                        "confidence": str(1 + a % 3),
                        "riskdesc": "Medium (Medium)",
                        "desc": "<p>Something is off.</p>",
                        "instances": [
                            {
                                "uri": f"https://app{s}.example:8443/items/{i}?q={i}",
                                "method": ("GET", "POST")[i % 2],
                                "param": f"p{i % 5}",
                                "attack": "",
                                "evidence": f"evidence {i % 7}",
                            }
                            for i in range(instances)
                        ],
                        "count": str(instances),
                        "solution": "<p>Fix it.</p>",
                        "reference": "<p>https://owasp.org/</p>",
                        "cweid": "693",
                        "wascid": "15",
                        "sourceid": "3",
                    }
                    for a in range(alerts)
                ],
            }
            for s in range(sites)
        ],
    }


def test_a_big_zap_report_streams_to_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "zap.json"
    path.write_text(json.dumps(zap_report(3, 20, 100), indent="\t"))

    outcome = assert_same_outcome(path, monkeypatch)

    assert len(outcome.findings) == 3 * 20 * 100
    assert outcome.runs[0].targets == [f"https://app{s}.example:8443" for s in range(3)]


@pytest.mark.parametrize(
    "change",
    ["alerts-first", "no-ssl", "one-site-object", "repeated-site-key", "broken-alert"],
)
def test_an_unusual_big_zap_report_reads_alike_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    report = zap_report(2, 5, 40)
    site = report["site"][1]
    text: str
    if change == "alerts-first":  # the site named after its alerts: they are read at its end
        report["site"][1] = {"alerts": site.pop("alerts"), **site}
    elif change == "no-ssl":
        del site["@ssl"]
    elif change == "one-site-object":
        report["site"] = site
    elif change == "broken-alert":
        site["alerts"][2] = ["not", "an", "alert"]
        site["alerts"][3]["instances"][1] = "not an instance"
    text = json.dumps(report)
    if change == "repeated-site-key":  # loads keeps the last one: so must the stream
        text = text.replace('"@host": "app1.example"', '"@host": "x", "@host": "app1.example"')
    path = tmp_path / "zap.json"
    path.write_text(text)

    with monkeypatch.context() as patch:
        patch.setattr(jsonread, "STREAM_MIN_BYTES", 1)
        streamed = read_artifact(path, path.name, PathNormalizer())
    whole = read(path, monkeypatch, streamed=False)

    assert [f.model_dump() for f in streamed.findings] == [f.model_dump() for f in whole.findings]
    assert [r.model_dump() for r in streamed.runs] == [r.model_dump() for r in whole.runs]
    assert streamed.findings
    if change == "broken-alert":
        assert any("site[1].alerts[2]" in w for w in streamed.runs[0].warnings)

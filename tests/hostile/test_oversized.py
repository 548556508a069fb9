"""Oversized values are bounded once, where findings are normalized, so every output holds
the bounded value: a line or column number beyond 2^31 is dropped (the finding kept) with a
warning, and a message or snippet over 64 KiB is cut with a marker, so a 2 MB message does not
become 10 MB of outputs.  Identity is computed before any cut."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile_support import load_json, run_cli

from hardening.reading import MAX_TEXT_BYTES

BIG = 2 * 1024 * 1024
OUTPUTS = ["findings.json", "summary.md", "report.html", "hardening.sarif"]


def sarif(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {"driver": {"name": "BigScanner", "version": "1.0", "rules": []}},
                "results": results,
            }
        ],
    }


def result(rule: str, message: str, line: int = 3, snippet: str | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": line}
    if snippet is not None:
        region["snippet"] = {"text": snippet}
    return {
        "ruleId": rule,
        "level": "error",
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f"src/{rule}.go"},
                    "region": region,
                }
            }
        ],
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("oversized")
    # Two messages alike in their first megabyte: told apart only after the cut.
    alike = "word " * (BIG // 10)
    report = sarif(
        [
            result("R1", alike + "ending one"),
            result("R1", alike + "ending two"),
            result("R2", "far line", line=2**31 + 7),
            result("R3", "big snippet", snippet="s" * BIG),
            result("R4", "ordinary", line=12),
        ]
    )
    (root / "artifacts").mkdir()
    (root / "artifacts" / "big.sarif").write_text(json.dumps(report))
    run = run_cli(["aggregate", "-q", str(root / "artifacts"), "--out", str(root / "out")])
    assert run.exit_code == 0, run.output
    return root / "out"


def findings(out: Path) -> dict[str, list[dict[str, Any]]]:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in load_json(out / "findings.json")["findings"]:
        by_rule.setdefault(finding["rule_id"], []).append(finding)
    return by_rule


def test_a_long_message_is_cut_with_a_marker(outputs: Path) -> None:
    for finding in findings(outputs)["R1"]:
        message = finding["message"]
        assert len(message.encode()) <= MAX_TEXT_BYTES
        size = len(("word " * (BIG // 10) + "ending one").encode())
        assert message.endswith(f" … [cut by hardening: {size:,} bytes in all]")


def test_identity_is_computed_before_the_cut(outputs: Path) -> None:
    r1 = findings(outputs)["R1"]
    assert len(r1) == 2
    assert r1[0]["message"] == r1[1]["message"]  # the same once cut
    assert r1[0]["fingerprint"] != r1[1]["fingerprint"]


def test_a_long_snippet_is_cut(outputs: Path) -> None:
    (finding,) = findings(outputs)["R3"]
    snippet = finding["location"]["snippet"]
    assert len(snippet.encode()) <= MAX_TEXT_BYTES
    assert snippet.endswith(f" … [cut by hardening: {BIG:,} bytes in all]")


def test_a_line_beyond_2_31_is_dropped_and_the_finding_kept(outputs: Path) -> None:
    (finding,) = findings(outputs)["R2"]
    assert "start_line" not in finding["location"]
    assert finding["location"]["path"] == "src/R2.go"
    (ordinary,) = findings(outputs)["R4"]
    assert ordinary["location"]["start_line"] == 12


def test_each_bound_is_a_warning_on_the_run(outputs: Path) -> None:
    (run,) = load_json(outputs / "findings.json")["runs"]
    assert run["warnings"] == [
        "1 location(s) with a line or column number beyond 2^31: the number dropped, "
        "the finding kept",
        "3 message(s), title(s) or snippet(s) over 64 KiB cut to 64 KiB",
    ]
    assert "beyond 2^31: the number dropped" in (outputs / "summary.md").read_text().replace(
        "\\", ""
    )


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_output_holds_the_whole_text(outputs: Path, name: str) -> None:
    text = (outputs / name).read_text(encoding="utf-8")
    assert "ending one" not in text and "ending two" not in text
    assert "s" * (MAX_TEXT_BYTES + 1) not in text
    # Three texts of 64 KiB at most, each in a few places: far below the 6 MB read.
    assert len(text.encode()) < 1_500_000, len(text.encode())


def test_a_relayed_findings_json_is_bounded_too(outputs: Path, tmp_path: Path) -> None:
    relayed = load_json(outputs / "findings.json")
    relayed["findings"][0]["message"] = "m" * BIG
    relayed["findings"][0]["location"]["start_line"] = 2**40
    (tmp_path / "upstream").mkdir()
    (tmp_path / "upstream" / "findings.json").write_text(json.dumps(relayed))
    run = run_cli(["aggregate", "-q", str(tmp_path / "upstream"), "--out", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    for finding in load_json(tmp_path / "out" / "findings.json")["findings"]:
        assert len(finding["message"].encode()) <= MAX_TEXT_BYTES
        assert finding.get("location", {}).get("start_line", 0) < 2**31

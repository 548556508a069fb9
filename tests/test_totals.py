"""Totals agree: one definition of how many findings a run saw, computed once, in every output;
suppressed findings are marked as such everywhere, with or without a baseline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from support import SAMPLES

#: The .trivyignore'd pgx vulnerability of the samples' trivy image report.
IGNORED_CVE = "CVE-2024-27304"


def run(out: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["aggregate", str(SAMPLES), *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, (pattern, text[:2000])
    return int(match.group(1))


@pytest.mark.parametrize("with_baseline", [False, True], ids=["no-baseline", "baseline"])
def test_terminal_summary_html_and_findings_json_give_the_same_totals(
    tmp_path: Path, with_baseline: bool
) -> None:
    args = ["--baseline", str(SAMPLES / "baseline.json")] if with_baseline else []
    terminal = run(tmp_path, *args)
    summary = (tmp_path / "summary.md").read_text()
    page = (tmp_path / "report.html").read_text()
    document = json.loads((tmp_path / "findings.json").read_text())
    totals = document["totals"]
    seen = [f for f in document["findings"] if f.get("state") not in ("fixed", "unknown")]
    assert totals["findings"] == len(seen)
    summary_total = r"(\d+) finding\(s\) seen today" if with_baseline else r"\*\*(\d+) finding"
    assert number(r"Findings: (\d+) \(", terminal) == totals["findings"]
    assert number(summary_total, summary) == totals["findings"]
    assert number(r"(\d+) finding\(s\) seen today", page) == totals["findings"]
    # Open ones (not suppressed, accepted or false positive), the same everywhere too.
    assert number(r"\((\d+) open", terminal) == totals["open"]
    assert number(r"(\d+) open", summary) == totals["open"]
    assert number(r"seen today: (\d+) open", page) == totals["open"]
    assert totals["open"] + totals["suppressed"] + totals["accepted"] + totals[
        "false_positive"
    ] == len(seen)


def test_a_default_exclude_is_counted_as_filtered_in_every_output(tmp_path: Path) -> None:
    # The sample baseline holds a semgrep finding under vendor/, which the default excludes
    # drop today: filtered, not "not scanned this time", and not an unknown in the counts.
    terminal = run(tmp_path, "--baseline", str(SAMPLES / "baseline.json"))
    summary = (tmp_path / "summary.md").read_text()
    document = json.loads((tmp_path / "findings.json").read_text())
    assert document["filtered"]["by_reason"] == {"excluded folder vendor/": 1}
    assert document["totals"]["filtered"] == 1
    assert "1 filtered out" in terminal and "1 filtered out" in summary
    assert "Filtered out (1)" in summary
    assert "vendor/github.com/acme/legacy/hash.go" not in summary.split("Filtered out")[0]
    # The unknown ones are others: a trivy entry of unknown target (the sample baseline is of
    # format 2, and trivy scanned two targets) and a semgrep one outside its paths.scanned.
    unknown = number(r"Unknown: not scanned this time \((\d+)\)", summary)
    assert unknown == document["diff"]["counts"]["unknown"] == 2
    (entry,) = [f for f in document["findings"] if f.get("properties", {}).get("filtered_by")]
    assert entry["state"] == "unknown"  # kept by an update, never judged gone


def test_without_a_baseline_a_suppressed_finding_is_suppressed_in_every_output(
    tmp_path: Path,
) -> None:
    terminal = run(tmp_path)
    document = json.loads((tmp_path / "findings.json").read_text())
    (ignored,) = [f for f in document["findings"] if f["rule_id"] == IGNORED_CVE]
    assert ignored["state"] == "suppressed"
    assert ignored["suppression"]["kind"] == "external"
    suppressed = [f for f in document["findings"] if f.get("suppression")]
    assert all(f["state"] == "suppressed" for f in suppressed)
    assert document["totals"]["suppressed"] == len(suppressed)
    # Terminal: not among the open findings listed; counted apart.
    assert not [line for line in terminal.splitlines() if IGNORED_CVE in line]
    assert f"{len(suppressed)} suppressed" in terminal
    # summary.md: not an open finding; listed under Suppressed with its state.
    summary = (tmp_path / "summary.md").read_text()
    opened, _, rest = summary.partition(f"Suppressed ({len(suppressed)})")
    assert IGNORED_CVE not in opened.split("### Open findings")[1]
    (row,) = [r for r in rest.splitlines() if IGNORED_CVE in r and r.startswith("| suppressed")]
    assert "trivy" in row
    # report.html: the suppressed state is a filter option.
    assert '<option value="suppressed">' in (tmp_path / "report.html").read_text()
    # SARIF: marked suppressed; Code Quality: not an open issue.
    sarif = json.loads((tmp_path / "hardening.sarif").read_text())
    (result,) = [r for run_ in sarif["runs"] for r in run_["results"] if r["ruleId"] == IGNORED_CVE]
    assert result["properties"]["state"] == "suppressed" and result["suppressions"]
    quality = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    assert not [i for i in quality if i["check_name"] == f"trivy:{IGNORED_CVE}"]
    # Nor does it count toward the gate.
    assert "trivy" in document["gate"]["blocking"]
    assert document["gate"]["blocking"]["trivy"] == len(
        [
            f
            for f in document["findings"]
            if f["tool"] == "trivy"
            and f["severity"] in ("critical", "high")
            and not f.get("suppression")
        ]
    )

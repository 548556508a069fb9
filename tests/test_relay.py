"""One job's findings.json feeds another: same findings, fingerprints and run statuses."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardening.cli import cli
from support import SAMPLES

SAST = [SAMPLES / "gosec", SAMPLES / "semgrep", SAMPLES / "gitleaks"]
OTHERS = [SAMPLES / "trivy", SAMPLES / "zap"]


def aggregate(out: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["aggregate", *args, "--out", str(out), "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "findings.json").read_text())


def sast_view(report: dict) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    findings = {
        f["fingerprint"]: (f["tool"], f["severity"])
        for f in report["findings"]
        if f["tool"] in ("gosec", "semgrep", "gitleaks")
    }
    runs = {
        r["tool"]: r["status"]
        for r in report["runs"]
        if r["tool"] in ("gosec", "semgrep", "gitleaks")
    }
    return findings, runs


def test_findings_json_relays_the_sast_job(tmp_path: Path) -> None:
    sast = aggregate(tmp_path / "sast", "--profile", "sast", *map(str, SAST))
    relayed = aggregate(
        tmp_path / "all",
        "--profile",
        "hardening",
        str(tmp_path / "sast" / "findings.json"),
        *map(str, OTHERS),
    )
    assert sast_view(relayed) == sast_view(sast)
    assert {r["tool"] for r in relayed["runs"] if r["status"] == "missing"} == {
        "govulncheck",
        "schemathesis",
    }


def test_relayed_and_raw_reports_are_not_double_counted(tmp_path: Path) -> None:
    sast = aggregate(tmp_path / "sast", "--profile", "sast", *map(str, SAST))
    both = aggregate(
        tmp_path / "both",
        "--profile",
        "hardening",
        str(tmp_path / "sast" / "findings.json"),
        *map(str, SAST),
    )
    assert sast_view(both)[0] == sast_view(sast)[0]
    tools = [r["tool"] for r in both["runs"] if r["tool"] in ("gosec", "semgrep")]
    assert tools == sorted(set(tools), key=tools.index), "a tool is listed once per raw report"


def test_fixed_and_unknown_entries_are_not_read_back(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    result = CliRunner().invoke(
        cli, ["baseline", "update", *map(str, SAST), "--baseline", str(baseline)]
    )
    assert result.exit_code == 0
    # Only semgrep runs now: gosec's and gitleaks' entries become unknown.
    first = aggregate(tmp_path / "one", str(SAMPLES / "semgrep"), "--baseline", str(baseline))
    states = {f["state"] for f in first["findings"]}
    assert "unknown" in states
    again = aggregate(tmp_path / "two", str(tmp_path / "one" / "findings.json"))
    assert {f["tool"] for f in again["findings"]} == {"semgrep"}
    assert len(again["findings"]) == sum(
        1 for f in first["findings"] if f["state"] not in ("fixed", "unknown")
    )

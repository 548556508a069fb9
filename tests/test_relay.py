"""One job's findings.json feeds another: same findings, fingerprints and run statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def big_findings_json(path: Path, count: int = 30_000) -> dict:
    """A findings.json over the streaming threshold, with fixed and unknown ones among them."""
    from hardening.model import Report, State, ToolRun
    from hardening.report_io import write_report
    from support import numbered_finding

    states = [State.new, State.unchanged, State.fixed, State.unknown]
    findings = [numbered_finding(n, state=states[n % 4], message="m" * 200) for n in range(count)]
    report = Report(generator="hardening", runs=[ToolRun(tool="gosec", findings=count)])
    report.findings = findings
    write_report(report, path)
    return json.loads(path.read_text())


def test_a_big_relayed_findings_json_is_streamed_to_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardening import jsonread
    from hardening.parsers import findings_json
    from hardening.parsers.interface import Artifact

    path = tmp_path / "findings.json"
    big_findings_json(path)
    assert path.stat().st_size > jsonread.STREAM_MIN_BYTES
    calls: list[str] = []
    real = findings_json._streamed

    def spy(stream: jsonread.JsonStream) -> object:
        calls.append("streamed")
        return real(stream)

    monkeypatch.setattr(findings_json, "_streamed", spy)
    streamed = findings_json.FindingsJsonParser().parse(Artifact(path=path, name="f.json"))
    assert calls == ["streamed"]
    monkeypatch.setattr(jsonread, "STREAM_MIN_BYTES", 2**40)  # now read whole
    whole = findings_json.FindingsJsonParser().parse(Artifact(path=path, name="f.json"))
    assert calls == ["streamed"]
    assert len(streamed.findings) == 15_000  # fixed and unknown are not findings of this run
    assert [f.model_dump() for f in streamed.findings] == [f.model_dump() for f in whole.findings]
    assert [r.model_dump() for r in streamed.runs] == [r.model_dump() for r in whole.runs]


def test_a_big_findings_json_skips_an_invalid_finding_as_the_whole_reader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardening import jsonread
    from hardening.parsers.findings_json import FindingsJsonParser
    from hardening.parsers.interface import Artifact

    path = tmp_path / "findings.json"
    data = big_findings_json(path)
    data["findings"][20_000]["severity"] = "urgent"
    path.write_text(json.dumps(data))
    assert path.stat().st_size >= jsonread.STREAM_MIN_BYTES  # read as a stream

    streamed = FindingsJsonParser().parse(Artifact(path=path, name="findings.json"))
    monkeypatch.setattr(jsonread, "STREAM_MIN_BYTES", 1 << 62)
    whole = FindingsJsonParser().parse(Artifact(path=path, name="findings.json"))

    assert [run.warnings for run in streamed.runs] == [run.warnings for run in whole.runs]
    assert (
        streamed.runs[0]
        .warnings[-1]
        .startswith("skipped findings[20000]: severity: Input should be")
    )
    assert len(streamed.findings) == len(whole.findings)
    assert [f.fingerprint for f in streamed.findings] == [f.fingerprint for f in whole.findings]


def test_a_findings_json_with_composed_gates_relays_and_an_incomplete_upstream_stays_incomplete(
    tmp_path: Path,
) -> None:
    # The SAST job: gitleaks missing from its profile, two enforced gates (one fires).
    result = CliRunner().invoke(
        cli,
        [
            "aggregate",
            "--profile",
            "sast",
            str(SAMPLES / "gosec"),
            str(SAMPLES / "semgrep"),
            "--fail-on",
            "new:critical",
            "--fail-on",
            "new,expired:high",
            "--out",
            str(tmp_path / "sast"),
            "-q",
        ],
    )
    assert result.exit_code == 1
    upstream = json.loads((tmp_path / "sast" / "findings.json").read_text())
    assert [c["rule"] for c in upstream["gate"]["enforced_gates"]] == [
        "new:critical",
        "new,expired:high",
    ]
    # Read back by the next job: its headline still says gitleaks is missing.
    report = aggregate(tmp_path / "hardening", str(tmp_path / "sast"), *map(str, OTHERS))
    assert report["completeness"]["tools"] == {"gitleaks": "missing"}
    assert "Run incomplete" in (tmp_path / "hardening" / "summary.md").read_text()

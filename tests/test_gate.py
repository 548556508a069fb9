"""Gate simulation and calibration: what a gate would do, before anyone turns it on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardening.cli import cli
from hardening.config import GateConfig, SeverityOverride
from hardening.gate import apply_overrides, calibration, evaluate
from hardening.model import (
    CodeLocation,
    Finding,
    Kind,
    Report,
    Severity,
    State,
    Suppression,
)
from support import SAMPLES


def finding(
    tool: str,
    severity: Severity,
    state: State | None = State.new,
    rule: str = "r",
    path: str = "a.go",
    suppressed: bool = False,
) -> Finding:
    return Finding(
        tool=tool,
        kind=Kind.code,
        rule_id=rule,
        title=rule,
        severity=severity,
        location=CodeLocation(path=path),
        state=state,
        suppression=Suppression(kind="inSource") if suppressed else None,
    )


def test_gate_counts_new_findings_at_or_above_the_threshold() -> None:
    report = Report(
        findings=[
            finding("semgrep", Severity.high),
            finding("semgrep", Severity.critical),
            finding("semgrep", Severity.medium),
            finding("gosec", Severity.high, state=State.unchanged),
            finding("gosec", Severity.high, state=State.accepted),
            finding("gosec", Severity.critical, suppressed=True, state=State.suppressed),
        ]
    )
    result = evaluate(report, GateConfig(rule="new:high"), enforced=False)
    assert result.fired
    assert result.blocking == {"semgrep": 2}
    assert result.summary == "would block: 2 new high or above in semgrep"


def test_gate_per_tool_rule() -> None:
    report = Report(findings=[finding("semgrep", Severity.medium), finding("gosec", Severity.high)])
    gate = GateConfig(rule="new:critical", tools={"semgrep": "new:medium"})
    assert evaluate(report, gate, enforced=False).blocking == {"semgrep": 1}


def test_gate_that_does_not_fire_says_so() -> None:
    result = evaluate(
        Report(findings=[finding("gosec", Severity.low)]), GateConfig(), enforced=False
    )
    assert not result.fired
    assert result.summary == "would pass: no new high or above"


def test_severity_override_by_tool_rule_and_path() -> None:
    findings = [
        finding("gosec", Severity.high, rule="G104", path="internal/legacy/x.go"),
        finding("gosec", Severity.high, rule="G104", path="cmd/x.go"),
    ]
    apply_overrides(
        findings,
        [
            SeverityOverride(
                severity=Severity.low, tool="gosec", rule="G1*", path="internal/legacy/**"
            )
        ],
    )
    assert [f.severity for f in findings] == [Severity.low, Severity.high]


def test_calibration_table_per_tool_and_rule() -> None:
    report = Report(
        findings=[
            finding("semgrep", Severity.high, rule="noisy"),
            finding("semgrep", Severity.high, rule="noisy", state=State.false_positive),
            finding("semgrep", Severity.low, rule="quiet", state=State.accepted),
        ]
    )
    rows = {row.rule_id: row for row in calibration(report, GateConfig())}
    assert rows["noisy"].findings == 2
    assert rows["noisy"].new == 1
    assert rows["noisy"].false_positive == 1
    assert rows["noisy"].would_block == 1
    assert rows["quiet"].accepted == 1 and rows["quiet"].would_block == 0


def test_fail_on_makes_the_gate_real(tmp_path: Path) -> None:
    runner = CliRunner()
    simulated = runner.invoke(cli, ["aggregate", str(SAMPLES), "--out", str(tmp_path), "-q"])
    assert simulated.exit_code == 0
    gate = json.loads((tmp_path / "findings.json").read_text())["gate"]
    assert gate["fired"] and not gate["enforced"]
    enforced = runner.invoke(cli, ["aggregate", str(SAMPLES), "--fail-on", "new:high", "-q"])
    assert enforced.exit_code == 1
    relaxed = runner.invoke(
        cli, ["aggregate", str(SAMPLES / "gosec"), "--fail-on", "new:critical", "-q"]
    )
    assert relaxed.exit_code == 0


def test_bad_fail_on_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["aggregate", str(SAMPLES), "--fail-on", "high"])
    assert result.exit_code == 2
    assert "STATE:SEVERITY" in result.output

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
    GateResult,
    Kind,
    Report,
    RunStatus,
    Severity,
    State,
    Suppression,
    ToolRun,
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


def ran(*tools: str, status: RunStatus = RunStatus.ok) -> list[ToolRun]:
    return [ToolRun(tool=tool, status=status) for tool in tools]


def test_gate_counts_new_findings_at_or_above_the_threshold() -> None:
    report = Report(
        runs=ran("semgrep", "gosec"),
        findings=[
            finding("semgrep", Severity.high),
            finding("semgrep", Severity.critical),
            finding("semgrep", Severity.medium),
            finding("gosec", Severity.high, state=State.unchanged),
            finding("gosec", Severity.high, state=State.accepted),
            finding("gosec", Severity.critical, suppressed=True, state=State.suppressed),
        ],
    )
    result = evaluate(report, GateConfig(rule="new:high"))
    assert result.fired
    assert result.blocking == {"semgrep": 2}
    assert result.summary == "would block: 2 new high or above in semgrep"


def test_gate_per_tool_rule() -> None:
    report = Report(
        runs=ran("semgrep", "gosec"),
        findings=[finding("semgrep", Severity.medium), finding("gosec", Severity.high)],
    )
    gate = GateConfig(rule="new:critical", tools={"semgrep": "new:medium"})
    assert evaluate(report, gate).blocking == {"semgrep": 1}


def test_gate_that_does_not_fire_says_so() -> None:
    result = evaluate(
        Report(runs=ran("gosec"), findings=[finding("gosec", Severity.low)]), GateConfig()
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
    assert gate["fired"] and not gate["enforced"] and not gate["failed"]
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


def test_a_gate_may_name_several_states() -> None:
    report = Report(
        runs=ran("semgrep"),
        findings=[
            finding("semgrep", Severity.high, state=State.new),
            finding("semgrep", Severity.high, state=State.expired),
            finding("semgrep", Severity.high, state=State.unchanged),
        ],
    )
    result = evaluate(report, GateConfig(rule="new,expired:high"))
    assert result.blocking == {"semgrep": 2}
    assert result.summary == "would block: 2 new or expired high or above in semgrep"


def test_every_enforced_gate_applies_and_the_config_gate_is_still_simulated() -> None:
    report = Report(
        runs=ran("semgrep", "gosec"),
        findings=[
            finding("semgrep", Severity.medium),
            finding("gosec", Severity.high, state=State.expired),
        ],
    )
    config = GateConfig(rule="new:critical", tools={"semgrep": "new:medium"})
    result = evaluate(report, config, enforced=["new:critical", "expired:high"])
    assert [(c.rule, c.fired) for c in result.enforced_gates] == [
        ("new:critical", False),
        ("expired:high", True),
    ]
    assert result.failed
    assert result.verdict == "gate expired:high blocks: 1 expired high or above in gosec"
    # The config's gate, per-tool rule included, is shown beside them, simulated.
    assert (result.rule, result.tool_rules, result.fired) == (
        "new:critical",
        {"semgrep": "new:medium"},
        True,
    )
    assert result.summary == "would block: 1 new medium or above in semgrep"


def test_an_incomplete_run_makes_an_enforced_gate_inconclusive_never_a_pass() -> None:
    report = Report(
        runs=[*ran("semgrep"), *ran("gosec", status=RunStatus.failed)],
        findings=[finding("semgrep", Severity.low)],
    )
    result = evaluate(report, GateConfig(), enforced=["new:high"])
    check = result.enforced_gates[0]
    assert not check.fired and check.inconclusive
    assert check.summary == "inconclusive: gosec failed (no new high or above in what was read)"
    assert result.failed and result.verdict == "gate inconclusive: gosec failed"
    # The simulated gate says it too: no "would pass".
    assert result.inconclusive and "would pass" not in result.summary


def test_not_called_findings_do_not_count_toward_a_gate_and_the_gate_says_how_many() -> None:
    called = finding("trivy", Severity.high)
    not_called = finding("trivy", Severity.critical)
    not_called.not_called = True
    report = Report(runs=ran("trivy"), findings=[called, not_called])
    result = evaluate(report, GateConfig(), enforced=["new:high"])
    assert result.blocking == {"trivy": 1} and result.not_called == 1
    assert result.summary == "would block: 1 new high or above in trivy (1 more not called)"
    only = evaluate(Report(runs=ran("trivy"), findings=[not_called]), GateConfig())
    assert not only.fired
    assert only.summary == "would pass: no new high or above (1 more not called)"


def test_a_findings_json_of_one_enforced_gate_reads_into_the_composed_layout() -> None:
    old = {
        "rule": "new:high",
        "tool_rules": {},
        "fired": True,
        "enforced": True,
        "blocking": {"gosec": 2},
        "summary": "blocks: 2 new high or above in gosec",
    }
    gate = GateResult.model_validate(old)
    assert gate.failed
    assert [(c.rule, c.fired, c.blocking) for c in gate.enforced_gates] == [
        ("new:high", True, {"gosec": 2})
    ]
    assert gate.verdict == "gate blocks: 2 new high or above in gosec"


def test_fail_on_given_several_times_applies_every_gate_in_any_order(tmp_path: Path) -> None:
    runner = CliRunner()
    gosec = str(SAMPLES / "gosec")
    for order in (["new:high", "new:critical"], ["new:critical", "new:high"]):
        args = [a for rule in order for a in ("--fail-on", rule)]
        result = runner.invoke(cli, ["aggregate", gosec, "--out", str(tmp_path), *args])
        assert result.exit_code == 1, (order, result.output)
        gate = json.loads((tmp_path / "findings.json").read_text())["gate"]
        fired = {check["rule"]: check["fired"] for check in gate["enforced_gates"]}
        assert fired == {"new:high": True, "new:critical": False}
        assert "hardening: gate new:high blocks: 2 new high or above in gosec" in result.output


def test_fail_on_takes_a_list_of_states() -> None:
    result = CliRunner().invoke(
        cli, ["aggregate", str(SAMPLES / "gosec"), "-q", "--fail-on", "expired,updated:low"]
    )
    assert result.exit_code == 0, result.output
    fired = CliRunner().invoke(
        cli, ["aggregate", str(SAMPLES / "gosec"), "-q", "--fail-on", "unchanged,new:high"]
    )
    assert fired.exit_code == 1


def test_config_gate_is_shown_beside_the_enforced_ones(tmp_path: Path) -> None:
    config = tmp_path / "hardening.toml"
    config.write_text('[gate]\nrule = "new:critical"\ntools = { gosec = "new:low" }\n')
    result = CliRunner().invoke(
        cli,
        [
            "aggregate",
            str(SAMPLES / "gosec"),
            "--config",
            str(config),
            "--fail-on",
            "new:critical",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Gate new:critical (enforced): passes: no new critical" in result.output
    assert "Gate simulation (config) new:critical: would block: 5 new low or above in gosec" in (
        result.output
    )
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "**Gate** `new:critical` (enforced): passes" in summary
    assert "**Gate simulation (config)** `new:critical`: would block" in summary


def test_fail_on_fails_closed_when_an_expected_tool_failed(tmp_path: Path) -> None:
    (tmp_path / "gosec.json").write_text('{"Issues": [], "Golang errors": {"a.go": [{"line": 1, ')
    semgrep = SAMPLES / "semgrep" / "semgrep.json"
    result = CliRunner().invoke(
        cli,
        [
            "aggregate",
            str(tmp_path / "gosec.json"),
            str(semgrep),
            "-q",
            "--fail-on",
            "new:critical",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "gate inconclusive: gosec failed" in result.output


def test_fail_on_fails_closed_when_an_expected_tool_is_missing() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "aggregate",
            "--profile",
            "sast",
            str(SAMPLES / "gosec"),
            "-q",
            "--fail-on",
            "new:critical",
        ],
    )
    assert result.exit_code == 1
    assert "gate inconclusive: gitleaks missing, semgrep missing" in result.output


def test_fail_on_fails_closed_when_nothing_was_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["aggregate", str(tmp_path / "absent"), "-q", "--fail-on", "new:critical"]
    )
    assert result.exit_code == 1
    assert "gate inconclusive: nothing was read" in result.output


def test_a_nan_security_severity_does_not_hide_an_error_from_an_enforced_gate(
    tmp_path: Path,
) -> None:
    sarif = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Acme Scan",
                        "rules": [{"id": "acme/sqli", "properties": {"security-severity": 1}}],
                    }
                },
                "results": [
                    {
                        "ruleId": "acme/sqli",
                        "level": "error",
                        "message": {"text": "SQL injection"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "db.go"}}}],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "acme.sarif"
    path.write_text(json.dumps(sarif).replace('"security-severity": 1', '"security-severity": NaN'))
    result = CliRunner().invoke(cli, ["aggregate", str(path), "-q", "--fail-on", "new:high"])
    assert result.exit_code == 1, result.output
    assert "blocks: 1 new high or above in acme-scan" in result.output

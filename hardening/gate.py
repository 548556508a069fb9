"""Severity policy and gate simulation: what a gate would do today, and the evidence for it.

Nothing fails unless ``--fail-on`` is given; every summary states what the gate under
calibration would do, and a calibration table per tool and rule shows which rules are noisy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from fnmatch import fnmatchcase

from hardening.config import GateConfig, SeverityOverride, parse_gate
from hardening.filters import glob_match
from hardening.model import CalibrationRow, Finding, GateResult, Report, Severity, State


def apply_overrides(findings: Sequence[Finding], overrides: Sequence[SeverityOverride]) -> None:
    """Set severities from config; the last matching override wins (the tool's own stays)."""
    if not overrides:
        return
    for finding in findings:
        for override in overrides:
            if override.tool is not None and override.tool != finding.tool:
                continue
            if override.rule is not None and not fnmatchcase(finding.rule_id, override.rule):
                continue
            if override.path is not None and not (
                finding.path is not None and glob_match(finding.path, override.path)
            ):
                continue
            finding.severity = override.severity


def _blocks(finding: Finding, state: State, threshold: Severity) -> bool:
    if finding.suppressed:
        return False
    # Without a baseline every finding counts as new: the gate reads what it would see.
    current = finding.state or State.new
    return current is state and finding.severity.rank >= threshold.rank


def evaluate(report: Report, gate: GateConfig, *, enforced: bool) -> GateResult:
    default = parse_gate(gate.rule)
    per_tool = {tool: parse_gate(rule) for tool, rule in gate.tools.items()}
    blocking: dict[str, int] = defaultdict(int)
    for finding in report.findings:
        state, threshold = per_tool.get(finding.tool, default)
        if _blocks(finding, state, threshold):
            blocking[finding.tool] += 1
    fired = bool(blocking)
    if fired:
        parts = [
            f"{n} {_describe(per_tool.get(tool, default))} in {tool}"
            for tool, n in sorted(blocking.items())
        ]
        verb = "blocks" if enforced else "would block"
        summary = f"{verb}: " + "; ".join(parts)
    else:
        summary = f"{'passes' if enforced else 'would pass'}: no {_describe(default)}"
        if per_tool:
            summary += (
                " (per-tool gates: "
                + ", ".join(f"{tool} {rule}" for tool, rule in sorted(gate.tools.items()))
                + ")"
            )
    return GateResult(
        rule=gate.rule,
        tool_rules=dict(sorted(gate.tools.items())),
        fired=fired,
        enforced=enforced,
        blocking=dict(sorted(blocking.items())),
        summary=summary,
    )


def _describe(rule: tuple[State, Severity]) -> str:
    state, severity = rule
    above = "" if severity is Severity.critical else " or above"
    return f"{state.value} {severity.value}{above}"


def calibration(report: Report, gate: GateConfig) -> list[CalibrationRow]:
    default = parse_gate(gate.rule)
    per_tool = {tool: parse_gate(rule) for tool, rule in gate.tools.items()}
    # One pass, one small list of counters per (tool, rule): this runs over every finding.
    # Counters: findings, new, accepted, false_positive, suppressed, would_block.
    rows: dict[tuple[str, str], list[int]] = {}
    gone = (State.fixed, State.unknown)
    for finding in report.findings:
        state = finding.state
        if state in gone:
            continue
        key = (finding.tool, finding.rule_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = [0, 0, 0, 0, 0, 0]
        row[0] += 1
        if state is None or state is State.new:
            row[1] += 1
        elif state is State.accepted:
            row[2] += 1
        elif state is State.false_positive:
            row[3] += 1
        if state is State.suppressed or finding.suppression is not None:
            row[4] += 1
        rule_state, threshold = per_tool.get(finding.tool, default)
        if _blocks(finding, rule_state, threshold):
            row[5] += 1
    ordered = sorted(rows.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        CalibrationRow(
            tool=tool,
            rule_id=rule,
            findings=counts[0],
            new=counts[1],
            accepted=counts[2],
            false_positive=counts[3],
            suppressed=counts[4],
            would_block=counts[5],
        )
        for (tool, rule), counts in ordered
    ]

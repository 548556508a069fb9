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
from hardening.model import (
    CalibrationRow,
    Completeness,
    Finding,
    GateCheck,
    GateResult,
    Report,
    Severity,
    State,
)


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


#: What a gate makes of one finding.
_PASSES, _BLOCKS, _NOT_CALLED = 0, 1, 2

_Rule = tuple[frozenset[State], Severity]


def _verdict(finding: Finding, rule: _Rule) -> int:
    if finding.suppressed:
        return _PASSES
    states, threshold = rule
    # Without a baseline every finding counts as new: the gate reads what it would see.
    current = finding.state or State.new
    if current not in states or finding.severity.rank < threshold.rank:
        return _PASSES
    # govulncheck's own rule: a vulnerability whose code is not called does not fail a build.
    return _NOT_CALLED if finding.not_called else _BLOCKS


def evaluate(report: Report, gate: GateConfig, *, enforced: Sequence[str] = ()) -> GateResult:
    """The config's gate, simulated (per-tool rules included), and every ``--fail-on`` rule
    in ``enforced``, each applied on its own: the run fails when any of them fires or, the
    run being incomplete, none can be trusted to pass."""
    completeness = report.run_completeness()
    config_rules = _Rules(gate.rule, gate.tools)
    enforced_rules = [_Rules(rule, {}) for rule in enforced]
    every = [config_rules, *enforced_rules]
    for finding in report.findings:
        for rules in every:
            rules.count(finding)
    simulated = config_rules.check(completeness, enforced=False)
    checks = [rules.check(completeness, enforced=True) for rules in enforced_rules]
    fired = [check for check in checks if check.fired]
    failed = bool(fired) or any(check.inconclusive for check in checks)
    verdict = ""
    if fired:
        verdict = "; ".join(f"gate {check.rule} {check.summary}" for check in fired)
        if not completeness.complete:
            verdict += f" (and the run is incomplete: {completeness.summary})"
    elif failed:
        verdict = f"gate inconclusive: {completeness.summary}"
    elif len(checks) == 1:
        verdict = f"gate {checks[0].rule} passes"
    elif checks:
        verdict = f"gates {', '.join(check.rule for check in checks)} pass"
    return GateResult(
        rule=gate.rule,
        tool_rules=dict(sorted(gate.tools.items())),
        fired=simulated.fired,
        enforced=bool(checks),
        blocking=simulated.blocking,
        summary=simulated.summary,
        not_called=simulated.not_called,
        inconclusive=simulated.inconclusive,
        enforced_gates=checks,
        failed=failed,
        verdict=verdict,
    )


class _Rules:
    """One gate (a rule, and per-tool rules that replace it for their tool) and its counts."""

    def __init__(self, rule: str, tools: dict[str, str]) -> None:
        self.rule = rule
        self.tools = dict(sorted(tools.items()))
        self.default = parse_gate(rule)
        self.per_tool = {tool: parse_gate(value) for tool, value in tools.items()}
        self.blocking: dict[str, int] = defaultdict(int)
        self.not_called: dict[str, int] = defaultdict(int)

    def count(self, finding: Finding) -> None:
        verdict = _verdict(finding, self.per_tool.get(finding.tool, self.default))
        if verdict == _BLOCKS:
            self.blocking[finding.tool] += 1
        elif verdict == _NOT_CALLED:
            self.not_called[finding.tool] += 1

    def check(self, completeness: Completeness, *, enforced: bool) -> GateCheck:
        not_called = sum(self.not_called.values())
        left_out = f" ({not_called} more not called)" if not_called else ""
        fired = bool(self.blocking)
        inconclusive = not fired and not completeness.complete
        if fired:
            parts = [
                f"{n} {_describe(self.per_tool.get(tool, self.default))} in {tool}"
                for tool, n in sorted(self.blocking.items())
            ]
            summary = f"{'blocks' if enforced else 'would block'}: " + "; ".join(parts) + left_out
        elif inconclusive:
            also = f"; {not_called} more not called" if not_called else ""
            summary = (
                f"inconclusive: {completeness.summary} "
                f"(no {_describe(self.default)} in what was read{also})"
            )
        else:
            summary = f"{'passes' if enforced else 'would pass'}: no {_describe(self.default)}"
            summary += left_out
        if self.tools and not fired:
            rules = ", ".join(f"{tool} {rule}" for tool, rule in self.tools.items())
            summary += f" (per-tool gates: {rules})"
        return GateCheck(
            rule=self.rule,
            tool_rules=self.tools,
            fired=fired,
            inconclusive=inconclusive,
            blocking=dict(sorted(self.blocking.items())),
            not_called=not_called,
            summary=summary,
        )


def _describe(rule: _Rule) -> str:
    states, severity = rule
    above = "" if severity is Severity.critical else " or above"
    names = " or ".join(s.value for s in State.OPEN if s in states)
    return f"{names} {severity.value}{above}"


def calibration(report: Report, gate: GateConfig) -> list[CalibrationRow]:
    default = parse_gate(gate.rule)
    per_tool = {tool: parse_gate(rule) for tool, rule in gate.tools.items()}
    # One pass, one small list of counters per (tool, rule): this runs over every finding.
    # Counters: findings, new, accepted, false_positive, suppressed, would_block.
    rows: dict[tuple[str, str], list[int]] = {}
    for finding in report.findings:
        state = finding.state
        if state in State.GONE:
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
        if _verdict(finding, per_tool.get(finding.tool, default)) == _BLOCKS:
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

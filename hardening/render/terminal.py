"""The terminal summary ``aggregate`` prints: per-tool status, counts, new findings first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import click

from hardening.model import Finding, Report, RunStatus, Severity, State
from hardening.render import text
from hardening.render.links import place_label, where

_SEVERITY_COLOUR = {
    Severity.critical: "magenta",
    Severity.high: "red",
    Severity.medium: "yellow",
    Severity.low: "cyan",
    Severity.info: "white",
}
_STATUS_COLOUR = {
    RunStatus.ok: "green",
    RunStatus.failed: "red",
    RunStatus.missing: "yellow",
    RunStatus.not_exercised: "yellow",
}
#: States listed first, in this order: what a change introduced leads.
_LEAD_STATES = (State.new, *State.REOPENED)


def wants_colour(no_color: bool, environ: Mapping[str, str], is_tty: bool) -> bool:
    """Colour or not, by the usual conventions in this order: ``--no-color``; ``NO_COLOR``
    set to anything non-empty (no-color.org); ``FORCE_COLOR`` set and not ``0``; else
    whether stdout is a terminal."""
    if no_color or environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR")
    if force is not None and force != "":
        return force != "0"
    return is_tty


def render(report: Report, *, colour: bool, limit: int = 50) -> str:
    def style(value: str, fg: str, bold: bool = False) -> str:
        return click.style(value, fg=fg, bold=bold) if colour else value

    lines: list[str] = []
    lines.append(style("Hardening summary", "white", bold=True) + _profile(report))
    completeness = report.run_completeness()
    if not completeness.complete:
        lines.append(
            style(f"Run incomplete: {text.terminal(completeness.summary, 300)}", "red", bold=True)
            + " (this summary does not cover what they would have found)"
        )
    lines.append("")
    lines.append("Tool runs:")
    for run in sorted(report.runs, key=lambda r: (r.tool, r.artifact or "")):
        status = style(f"{run.status.value:13}", _STATUS_COLOUR[run.status])
        version = text.terminal(run.version, 24) if run.version else "-"
        counts = ""
        if run.status is RunStatus.ok:
            counts = f"{run.findings} finding(s)"
            if run.severity_counts:
                counts += f" ({text.severities(run.severity_counts)})"
        where = text.terminal(run.artifact, 80) if run.artifact else ""
        tool = text.terminal(run.tool, 40)
        lines.append(f"  {tool:13} {version:12} {status} {where}".rstrip())
        took = text.duration(run.duration_seconds)
        if took:
            counts = f"{counts}, in {took}" if counts else f"in {took}"
        if counts:
            lines.append(f"      {counts}")
        if run.targets:
            lines.append(f"      scanned: {_targets(run.targets)}")
        if run.error:
            lines.append(f"      {text.terminal(run.error, 200)}")
        lines.extend(f"      warning: {text.terminal(w, 200)}" for w in run.warnings)
        if run.run_errors:
            lines.append(
                f"      {len(run.run_errors)} error(s) reported by the tool, first: "
                f"{text.terminal(run.run_errors[0], 160)}"
            )
    if report.skipped:
        lines.append("")
        lines.append(f"Skipped ({len(report.skipped)}):")
        lines.extend(
            f"  {text.terminal(s.path, 100)}: {text.terminal(s.reason, 160)}"
            for s in report.skipped
        )
    if report.filtered.total:
        lines.append("")
        lines.append(f"Filtered out: {report.filtered.total} finding(s)")
        lines.extend(
            f"  {text.terminal(reason, 160)}: {count}"
            for reason, count in report.filtered.by_reason.items()
        )
    lines.extend(f"warning: {text.terminal(w, 500)}" for w in report.warnings)
    lines.append("")
    lines.append(_counts_line(report))
    if report.diff is not None and report.diff.drift_lines():
        lines.append(
            "Scanner or database changed since the baseline: "
            + "; ".join(text.terminal(line, 200) for line in report.diff.drift_lines())
            + "; new findings there may be scanner drift"
        )
    if report.reachability is not None and report.reachability.correlated:
        lines.append(reachability_sentence(report))
    if report.gate is not None:
        gate = report.gate
        for check in gate.enforced_gates:
            line = f"Gate {text.terminal(check.rule)} (enforced): {text.terminal(check.summary)}"
            lines.append(style(line, _gate_colour(check.fired, check.inconclusive)))
        label = "Gate simulation (config)" if gate.enforced_gates else "Gate (simulated)"
        line = f"{label} {text.terminal(gate.rule)}: {text.terminal(gate.summary)}"
        lines.append(style(line, _gate_colour(gate.fired, gate.inconclusive)))
    if report.history is not None:
        h = report.history
        lines.append(
            f"History: {h.new} new against {h.new_per_pipeline:.1f} per pipeline over the last "
            f"{h.pipelines} on {text.terminal(h.ref, 100)}; {text.terminal(h.gate, 200)} would "
            f"have blocked {h.pipelines_blocked} of them"
        )
    lead = [f for f in report.findings if f.state in (*_LEAD_STATES, None)]
    rest = len(report.findings) - len(lead)
    for finding in lead[:limit]:
        lines.append("  " + _finding_line(finding, colour))
    if len(lead) > limit:
        written = [name for name in ("report.html", "findings.json") if name in report.outputs]
        where = (
            f"see {' or '.join(written)}"
            if written
            else "findings.json and report.html, written with --out, list every finding"
        )
        lines.append(f"  … {len(lead) - limit} more ({where})")
    if rest and lead:
        others = Counter(f.state for f in report.findings if f.state not in (*_LEAD_STATES, None))
        listed = ", ".join(
            f"{others[s]} {s.value.replace('_', ' ')}" for s in State if others.get(s)
        )
        lines.append(f"  ({rest} other finding(s): {listed})")
    return "\n".join(lines) + "\n"


def _gate_colour(fired: bool, inconclusive: bool) -> str:
    """Never green when the run is incomplete."""
    return "red" if fired else "yellow" if inconclusive else "green"


def reachability_sentence(report: Report) -> str:
    """How many trivy dependency findings govulncheck says the code reaches."""
    summary = report.reachability
    assert summary is not None
    return (
        f"Reachability: {summary.reachable} of {summary.correlated} Go dependency finding(s) "
        "that trivy and govulncheck both report are called from the code (symbol level)"
    )


def _profile(report: Report) -> str:
    return f" (profile {report.profile})" if report.profile else ""


def _counts_line(report: Report) -> str:
    totals = report.finding_totals()
    by_severity = text.severities(totals.by_severity)
    summary = f"Findings: {totals.findings} ({totals.open} open"
    summary += f": {by_severity}" if by_severity else ""
    if totals.not_called:
        summary += f"; {totals.not_called} of them not called"
    for count, label in (
        (totals.accepted, "accepted"),
        (totals.false_positive, "false positive"),
        (totals.suppressed, "suppressed"),
    ):
        if count:
            summary += f"; {count} {label}"
    summary += ")"
    if totals.filtered:
        summary += f", {totals.filtered} filtered out"
    states = Counter(f.state for f in report.findings if f.state is not None and not f.filtered)
    if report.diff is not None and states:
        summary += "\nStates: " + ", ".join(
            f"{states[s]} {s.value.replace('_', ' ')}" for s in State if states.get(s)
        )
    return summary


def _finding_line(finding: Finding, colour: bool) -> str:
    sev = f"{finding.severity.value:8}"
    if colour:
        sev = click.style(sev, fg=_SEVERITY_COLOUR[finding.severity])
    state = f"[{finding.state.value.replace('_', ' ')}] " if finding.state else ""
    if finding.drift:
        state += "[drift?] "
    if finding.not_called:
        state += "[not called] "
    return (
        f"{sev} {state}{text.terminal(finding.tool, 40)} {text.middle(finding.rule_id, 60)} "
        f"{text.middle(place_label(where(finding)), 100)}  {text.terminal(finding.title, 100)}"
    )


def _targets(targets: list[str], shown: int = 5) -> str:
    """A run's scan targets, the first few named."""
    named = ", ".join(text.terminal(target, 80) for target in targets[:shown])
    more = len(targets) - shown
    return named + (f" and {more} more" if more > 0 else "")

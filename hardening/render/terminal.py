"""The terminal summary ``aggregate`` prints: per-tool status, counts, new findings first."""

from __future__ import annotations

from collections import Counter

import click

from hardening.model import Finding, Report, RunStatus, Severity, State
from hardening.render import text

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
_LEAD_STATES = (State.new, State.expired, State.updated)


def render(report: Report, *, colour: bool, limit: int = 50) -> str:
    def style(value: str, fg: str, bold: bool = False) -> str:
        return click.style(value, fg=fg, bold=bold) if colour else value

    lines: list[str] = []
    lines.append(style("Hardening summary", "white", bold=True) + _profile(report))
    lines.append("")
    lines.append("Tool runs:")
    for run in sorted(report.runs, key=lambda r: (r.tool, r.artifact or "")):
        status = style(f"{run.status.value:13}", _STATUS_COLOUR[run.status])
        version = text.terminal(run.version, 24) if run.version else "-"
        counts = ""
        if run.status is RunStatus.ok:
            counts = f"{run.findings} finding(s)"
            if run.severity_counts:
                counts += (
                    " (" + ", ".join(f"{n} {sev}" for sev, n in run.severity_counts.items()) + ")"
                )
        where = text.terminal(run.artifact, 80) if run.artifact else ""
        tool = text.terminal(run.tool, 40)
        lines.append(f"  {tool:13} {version:12} {status} {where}".rstrip())
        if counts:
            lines.append(f"      {counts}")
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
    lines.extend(f"warning: {text.terminal(w, 200)}" for w in report.warnings)
    lines.append("")
    lines.append(_counts_line(report))
    if report.diff is not None and report.diff.drift_tools:
        lines.append(
            "Scanner or database changed since the baseline: "
            + ", ".join(text.terminal(tool, 40) for tool in report.diff.drift_tools)
            + " (new findings there may be scanner drift)"
        )
    if report.reachability is not None and report.reachability.correlated:
        lines.append(reachability_sentence(report))
    if report.gate is not None:
        label = "Gate" if report.gate.enforced else "Gate (simulated)"
        colour_name = "red" if report.gate.fired else "green"
        gate_line = (
            f"{label} {text.terminal(report.gate.rule)}: {text.terminal(report.gate.summary)}"
        )
        lines.append(style(gate_line, colour_name) if colour else gate_line)
    lead = [f for f in report.findings if f.state in (*_LEAD_STATES, None)]
    rest = len(report.findings) - len(lead)
    for finding in lead[:limit]:
        lines.append("  " + _finding_line(finding, colour))
    if len(lead) > limit:
        lines.append(f"  … {len(lead) - limit} more (see findings.json or report.html)")
    if rest and lead:
        lines.append(f"  ({rest} other finding(s) are unchanged, accepted, fixed or unknown)")
    return "\n".join(lines) + "\n"


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
    # Seen today: not the fixed and unknown ones, which stand for baseline entries.
    gone = (State.fixed, State.unknown)
    by_severity = Counter(f.severity for f in report.findings if f.state not in gone)
    parts = [f"{by_severity[s]} {s.value}" for s in Severity if by_severity[s]]
    total = sum(by_severity.values())
    summary = f"Findings: {total}" + (f" ({', '.join(parts)})" if parts else "")
    states = Counter(f.state for f in report.findings if f.state is not None)
    if states:
        summary += "\nStates: " + ", ".join(
            f"{states[s]} {s.value.replace('_', ' ')}" for s in State if states.get(s)
        )
    return summary


def _finding_line(finding: Finding, colour: bool) -> str:
    sev = f"{finding.severity.value:8}"
    if colour:
        sev = click.style(sev, fg=_SEVERITY_COLOUR[finding.severity])
    where = ""
    if finding.location:
        where = finding.location.path
        if finding.location.start_line:
            where += f":{finding.location.start_line}"
    elif finding.component:
        where = f"{finding.component.name} {finding.component.installed_version or ''}".strip()
    elif finding.endpoint:
        where = f"{finding.endpoint.method or ''} {finding.endpoint.url}".strip()
    state = f"[{finding.state.value}] " if finding.state else ""
    if finding.drift:
        state += "[drift?] "
    return (
        f"{sev} {state}{text.terminal(finding.tool, 40)} {text.terminal(finding.rule_id, 60)} "
        f"{text.terminal(where, 100)}  {text.terminal(finding.title, 100)}"
    )

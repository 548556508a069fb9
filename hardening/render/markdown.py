"""summary.md: the merge-request comment and job summary, within a size budget.

Sections are added most important first; finding rows are added one at a time while they fit,
so the budget is met by leaving detail out from the bottom, never by cutting a table or a
``<details>`` block in half.  Untrusted text goes through ``render.text.markdown``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from urllib.parse import quote

from hardening.model import Finding, Report, RunStatus, Severity, State
from hardening.render import text

#: Hidden marker by which the comment bot finds its own note.
MARKER = "<!-- hardening:summary -->"
DEFAULT_MAX_CHARS = 60_000
_SEVERITIES = list(Severity)
_STATUS_LABEL = {
    RunStatus.ok: "ran",
    RunStatus.failed: "**failed**",
    RunStatus.missing: "**missing**",
    RunStatus.not_exercised: "**not exercised**",
}


def render(report: Report, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    out = _Budget(max_chars)
    out.add(MARKER)
    out.add("## Hardening summary")
    out.add(_headline(report))
    out.add(_runs_table(report))
    problems = _problems(report)
    if problems:
        out.add(problems)
    findings = report.findings
    new = [f for f in findings if f.state in (None, State.new, State.expired, State.updated)]
    title = "New findings" if any(f.state is not None for f in findings) else "Findings"
    out.add_table(
        f"### {title} ({len(new)})",
        "| Severity | Tool | Rule | Where | Title |\n|---|---|---|---|---|",
        (_finding_row(f, report.link_base) for f in new),
        len(new),
    )
    if report.filtered.total:
        out.add(_filtered(report))
    out.finish("_Full details: `findings.json` and `report.html` in the job artifacts._")
    return out.text()


class _Budget:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.size = 0
        self.left_out = 0
        # Room kept for the closing lines.
        self.reserve = 400

    def fits(self, block: str) -> bool:
        return self.size + len(block) + 2 + self.reserve <= self.max_chars

    def add(self, block: str) -> bool:
        if not self.fits(block):
            self.left_out += 1
            return False
        self.parts.append(block)
        self.size += len(block) + 2
        return True

    def add_table(self, heading: str, header: str, rows: Iterable[str], total: int) -> None:
        if total == 0:
            self.add(f"{heading}\n\nNone.")
            return
        lines = [heading, "", header]
        size = sum(len(line) + 1 for line in lines)
        shown = 0
        for row in rows:
            if self.size + size + len(row) + 1 + self.reserve > self.max_chars:
                break
            lines.append(row)
            size += len(row) + 1
            shown += 1
        if shown == 0:
            self.add(f"{heading}\n\n_{total} not shown: the summary is over its size budget._")
            return
        if shown < total:
            lines.append("")
            lines.append(f"_…and {total - shown} more not shown here (size budget)._")
        self.parts.append("\n".join(lines))
        self.size += size + 2

    def finish(self, closing: str) -> None:
        if self.left_out:
            closing = f"_{self.left_out} section(s) left out to fit the size budget._\n\n" + closing
        self.parts.append(closing)

    def text(self) -> str:
        return "\n\n".join(self.parts) + "\n"


def _headline(report: Report) -> str:
    findings = report.findings
    if any(f.state is not None for f in findings):
        states = Counter(f.state for f in findings)
        order = [State.new, State.fixed, State.unchanged, State.accepted, State.unknown]
        parts = [f"**{states.get(s, 0)} {s.value}**" for s in order]
        return " · ".join(parts)
    by_severity = Counter(f.severity for f in findings)
    counts = ", ".join(f"{by_severity[s]} {s.value}" for s in _SEVERITIES if by_severity[s])
    return f"**{len(findings)} finding(s)**" + (f": {counts}" if counts else "")


def _runs_table(report: Report) -> str:
    rows = ["| Tool | Version | Status | Findings | Artifact |", "|---|---|---|---|---|"]
    for run in sorted(report.runs, key=lambda r: (r.tool, r.artifact or "")):
        rows.append(
            "| {} | {} | {} | {} | {} |".format(
                text.markdown(run.tool),
                text.markdown(run.version or ""),
                _STATUS_LABEL[run.status],
                run.findings if run.status is RunStatus.ok else "",
                text.markdown_code(run.artifact or ""),
            )
        )
    return "### Tools\n\n" + "\n".join(rows)


def _problems(report: Report) -> str:
    lines = []
    for run in report.runs:
        if run.status is not RunStatus.ok and run.error:
            lines.append(f"- {text.markdown(run.tool)}: {text.markdown(run.error, 300)}")
        for warning in run.warnings:
            lines.append(f"- {text.markdown(run.tool)}: {text.markdown(warning, 300)}")
    lines.extend(f"- {text.markdown(w, 300)}" for w in report.warnings)
    return "### Problems\n\n" + "\n".join(lines) if lines else ""


def _where(finding: Finding, link_base: str | None) -> str:
    loc = finding.location
    if loc is not None:
        label = loc.path + (f":{loc.start_line}" if loc.start_line else "")
        code = text.markdown_code(label, 120)
        if link_base and not loc.path.startswith("/"):
            anchor = f"#L{loc.start_line}" if loc.start_line else ""
            return f"[{code}]({link_base.rstrip('/')}/{quote(loc.path)}{anchor})"
        return code
    if finding.component is not None:
        comp = finding.component
        label = f"{comp.name} {comp.installed_version or ''}".strip()
        return text.markdown_code(label, 120)
    if finding.endpoint is not None:
        ep = finding.endpoint
        return text.markdown_code(f"{ep.method or ''} {ep.url}".strip(), 120)
    return ""


def _finding_row(finding: Finding, link_base: str | None) -> str:
    return "| {} | {} | {} | {} | {} |".format(
        finding.severity.value,
        text.markdown(finding.tool),
        text.markdown_code(finding.rule_id, 80),
        _where(finding, link_base),
        text.markdown(finding.title, 120),
    )


def _filtered(report: Report) -> str:
    lines = [f"<details><summary>{report.filtered.total} finding(s) filtered out</summary>", ""]
    lines.extend(
        f"- {text.markdown(reason)}: {count}" for reason, count in report.filtered.by_reason.items()
    )
    lines.extend(["", "</details>"])
    return "\n".join(lines)

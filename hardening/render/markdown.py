"""summary.md: the merge-request comment and job summary, within a size budget.

Sections are added most important first; rows are added one at a time while they fit, so the
budget is met by leaving detail out from the bottom up and saying how much, never by cutting a
table or a ``<details>`` block in half.  Every string from a report goes through
``render.text``; links point only at the project's own files and at advisory pages built
from identifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hardening.model import (
    CalibrationRow,
    CodeLocation,
    Component,
    Finding,
    Report,
    RunStatus,
    State,
    Totals,
)
from hardening.render import text
from hardening.render.interface import Renderer, RenderSettings
from hardening.render.links import advisory_url, place_label, source_url, where
from hardening.render.terminal import reachability_sentence
from hardening.report_io import write_atomic

#: Hidden marker by which the comment bot finds its own note.
MARKER = "<!-- hardening:summary -->"
DEFAULT_MAX_CHARS = 60_000
T = TypeVar("T")
_STATUS_LABEL = {
    RunStatus.ok: "ran",
    RunStatus.failed: "**failed**",
    RunStatus.missing: "**missing**",
    RunStatus.not_exercised: "**not exercised**",
}
#: States of the folded backlog: seen before and unchanged, or decided not to act on.
_BACKLOG = (State.unchanged, *State.QUIET)
_FINDINGS_HEADER = "| Severity | Tool | Rule | Where | Title |\n|---|---|---|---|---|"
_STATE_HEADER = "| State | Severity | Tool | Rule | Where | Title |\n|---|---|---|---|---|---|"


def render(report: Report, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The summary, at most ``max_chars`` characters long."""
    out = _Budget(max_chars, _closing(report), kept=_accounting(report))
    out.block(f"{MARKER}\n## Hardening summary\n\n{_incomplete(report)}{_headline(report)}")
    if report.gate is not None:
        out.block(_gate(report))
    if report.history is not None:
        out.block(history_sentence(report))
    if report.reachability is not None and report.reachability.correlated:
        out.block(reachability_sentence(report) + ".")
    out.table(
        "### Tools",
        "| Tool | Version | Status | Findings | Scan time | Artifact |\n|---|---|---|---|---|---|",
        Rows(_run_rows(report), str),
    )
    problems = list(_problems(report))
    if problems:
        out.table("### Problems", "", Rows(problems, str))

    def row(finding: Finding) -> str:
        return _finding_row(finding, report)

    with_diff = report.diff is not None
    wanted = (State.new,) if with_diff else (None,)
    attention = _ordered(report, [f for f in report.findings if f.state in wanted])
    title = "New findings" if with_diff else "Open findings"
    out.table(f"### {title} ({len(attention)})", _FINDINGS_HEADER, Rows(attention, row), "None.")
    if not with_diff:
        suppressed = [f for f in report.findings if f.state is State.suppressed]
        out.details(
            f"Suppressed ({len(suppressed)})",
            _STATE_HEADER,
            Rows(suppressed, lambda f: _backlog_row(f, report)),
        )
    if with_diff:
        # Open again or changed, not new: listed beside new ones, each with its state.
        reopened = _ordered(report, [f for f in report.findings if f.state in State.REOPENED])
        if reopened:
            out.table(
                f"### Reopened or updated ({len(reopened)})",
                _STATE_HEADER,
                Rows(reopened, lambda f: _backlog_row(f, report)),
            )
        fixed = [f for f in report.findings if f.state is State.fixed]
        unknown = [f for f in report.findings if f.state is State.unknown and not f.filtered]
        backlog = [f for f in report.findings if f.state in _BACKLOG]
        out.details(f"Fixed ({len(fixed)})", _FINDINGS_HEADER, Rows(fixed, row))
        out.details(
            f"Unknown: not scanned this time ({len(unknown)})", _FINDINGS_HEADER, Rows(unknown, row)
        )
        out.details(
            f"Backlog: unchanged, accepted, suppressed ({len(backlog)})",
            _STATE_HEADER,
            Rows(backlog, lambda f: _backlog_row(f, report)),
        )
    if report.calibration:
        out.details(
            "Gate calibration by rule",
            "| Tool | Rule | Findings | New | Accepted | False positive | Would block |\n"
            "|---|---|---|---|---|---|---|",
            Rows(report.calibration, _calibration_row),
        )
    filtered, skipped = _accounting(report)
    if report.filtered.total and not out.details(
        f"Filtered out ({report.filtered.total})",
        "| Reason | Findings |\n|---|---|",
        Rows(
            list(report.filtered.by_reason.items()),
            lambda item: _row(text.markdown(item[0]), str(item[1])),
        ),
        whole=True,
    ):
        out.keep(filtered)
    if report.skipped and not out.details(
        f"Skipped files ({len(report.skipped)})",
        "| File | Reason |\n|---|---|",
        Rows(
            report.skipped,
            lambda s: _row(text.markdown_code(s.path, 120), text.markdown(s.reason, 200)),
        ),
        whole=True,
    ):
        out.keep(skipped)
    return out.finish()


def _accounting(report: Report) -> tuple[str, str]:
    """The filter counts by reason and the skipped-file count in one line each: what the
    summary says even when its tables are left out (nothing vanishes without a count)."""
    by_reason = report.filtered.by_reason.items()
    reasons = ", ".join(f"{text.markdown(reason, 60)}: {count}" for reason, count in by_reason)
    filtered = f"**Filtered out: {report.filtered.total}** ({reasons})" if reasons else ""
    skipped = f"**Skipped files: {len(report.skipped)}**" if report.skipped else ""
    return filtered, skipped


#: The outputs a summary points at for details, in the order it names them.
_DETAILS = ("report.html", "findings.json")


def _closing(report: Report) -> str:
    """The pointer to the full report: only to files this run wrote."""
    names = [name for name in _DETAILS if name in report.outputs]
    if not names:
        return ""
    listed = " and ".join(f"`{name}`" for name in names)
    return f"_Full details: {listed} in the job artifacts._"


class Rows:
    """A sized, lazily rendered sequence of table rows."""

    def __init__(self, items: Sequence[T], render_row: Callable[[T], str]) -> None:
        self._items: Sequence[Any] = items
        self._render: Callable[[Any], str] = render_row

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return (self._render(item) for item in self._items)


class _Budget:
    """Appends blocks while they fit in ``max_chars``, keeping room for the closing line."""

    def __init__(self, max_chars: int, closing: str = "", kept: tuple[str, ...] = ()) -> None:
        self.max_chars = max_chars
        self.closing = closing
        self.parts: list[str] = []
        self.size = 0
        self.left_out = 0
        # Room is kept for the closing line and for the lines that must stay (``keep``).
        self.reserve = len(closing) + 120 + sum(len(line) + 2 for line in kept if line)

    def keep(self, line: str) -> None:
        """Append a line whose room was reserved: it stays whatever the budget."""
        if line:
            self.parts.append(line)

    def _room(self) -> int:
        return self.max_chars - self.reserve - self.size

    def _append(self, block: str) -> None:
        self.parts.append(block)
        self.size += len(block) + 2

    def block(self, block: str) -> None:
        if len(block) + 2 <= self._room():
            self._append(block)
        else:
            self.left_out += 1

    def _fit_rows(self, head: str, rows: Rows, tail: str) -> tuple[list[str], int]:
        """As many rows as fit after ``head`` and before ``tail`` (and the 'more' note).

        Rows are rendered lazily: a huge report renders only what the budget can show.
        """
        note = 80
        room = self._room() - len(head) - len(tail) - note - 4
        shown: list[str] = []
        for row in rows:
            if len(row) + 1 > room:
                break
            shown.append(row)
            room -= len(row) + 1
        return shown, len(rows) - len(shown)

    def table(self, heading: str, header: str, rows: Rows, empty: str = "") -> None:
        if not rows:
            if empty:
                self.block(f"{heading}\n\n{empty}")
            return
        body, _ = self._fitted(f"{heading}\n\n{header}".rstrip(), rows, "", whole=False)
        if body is None:
            self.block(f"{heading}\n\n_Not shown here (size budget)._")
            return
        self._append(body)

    def details(self, summary: str, header: str, rows: Rows, *, whole: bool = False) -> bool:
        """A folded table; False when some of its rows did not fit (``whole``: then none of
        it is shown, for a table that a one-line count replaces)."""
        if not rows:
            return True
        head = f"<details><summary>{summary}</summary>\n\n{header}"
        body, hidden = self._fitted(head, rows, "\n\n</details>", whole=whole)
        if body is None:
            return False
        self._append(body)
        return not hidden

    def _fitted(self, head: str, rows: Rows, tail: str, *, whole: bool) -> tuple[str | None, int]:
        """``head``, the rows that fit, a note when some did not, ``tail``; and how many rows
        were left out.  None when no row fits (``whole``: when not every row does): then all
        of them are left out."""
        shown, hidden = self._fit_rows(head, rows, tail)
        if not shown or (whole and hidden):
            self.left_out += len(rows)
            return None, len(rows)
        body = head + "\n" + "\n".join(shown)
        if hidden:
            body += "\n\n_The rest is not shown here (size budget)._"
            self.left_out += hidden
        return body + tail, hidden

    def finish(self) -> str:
        closing = self.closing
        if self.left_out:
            closing = (
                f"_{self.left_out} item(s) left out to stay within {self.max_chars:,} "
                f"characters._ " + closing
            ).rstrip()
        return "\n\n".join([*self.parts, closing] if closing else self.parts) + "\n"


def _incomplete(report: Report) -> str:
    """The first words of the note when the run is incomplete: never read as clean."""
    completeness = report.run_completeness()
    if completeness.complete:
        return ""
    return (
        f"⚠️ **Run incomplete**: {text.markdown(completeness.summary)}. This summary does not "
        "cover what those tools would have found.\n\n"
    )


def history_sentence(report: Report) -> str:
    """The trend line: this run against the recorded pipelines of its ref."""
    h = report.history
    assert h is not None
    ref = text.markdown_code(h.ref, 100)
    return (
        f"📈 **History:** {h.new} new in this run against {h.new_per_pipeline:.1f} per pipeline "
        f"over the last {h.pipelines} on {ref}; {text.markdown_code(h.gate, 200)} would have "
        f"blocked {h.pipelines_blocked} of the last {h.pipelines} pipelines on {ref}."
    )


def _headline(report: Report) -> str:
    totals = report.finding_totals()
    seen = _totals_line(totals)
    if report.diff is not None:
        counts = report.diff.counts
        parts = [f"**{counts.get(s.value, 0)} {s.value}**" for s in State.HEADLINE]
        others = [
            f"{counts[s.value]} {s.value.replace('_', ' ')}"
            for s in State.ORDER
            if s not in State.HEADLINE
            if counts.get(s.value)
        ]
        line = " · ".join(parts)
        if others:
            line += " (" + ", ".join(others) + ")"
        line += f"\n\n{totals.findings} finding(s) seen today: {seen}."
        against = report.diff.compare_to or report.diff.baseline
        if against:
            line += f"\n\nCompared with {text.markdown_code(against, 120)}."
        return line
    return f"**{totals.findings} finding(s)**: {seen} (no baseline: every finding is listed)"


def _totals_line(totals: Totals) -> str:
    """``47 open (2 critical, 18 high; 1 of them not called), 8 suppressed; 3 filtered out``."""
    details = text.severities(totals.by_severity)
    if totals.not_called:
        details += f"; {totals.not_called} of them not called"
    line = f"{totals.open} open" + (f" ({details})" if details else "")
    for count, label in (
        (totals.accepted, "accepted"),
        (totals.false_positive, "false positive"),
        (totals.suppressed, "suppressed"),
    ):
        if count:
            line += f", {count} {label}"
    if totals.filtered:
        line += f"; {totals.filtered} filtered out"
    return line


def _gate(report: Report) -> str:
    gate = report.gate
    assert gate is not None
    lines = [
        f"{_mark(check.fired, check.inconclusive)} **Gate** `{text.one_line(check.rule)}` "
        f"(enforced): {text.markdown(check.summary)}"
        for check in gate.enforced_gates
    ]
    kind = "Gate simulation (config)" if gate.enforced_gates else "Gate simulation (report-only)"
    lines.append(
        f"{_mark(gate.fired, gate.inconclusive)} **{kind}** `{text.one_line(gate.rule)}`: "
        f"{text.markdown(gate.summary)}"
    )
    return "\n\n".join(lines)


def _mark(fired: bool, inconclusive: bool) -> str:
    """Red when a gate fires; never green when the run is incomplete."""
    return "🔴" if fired else "⚠️" if inconclusive else "🟢"


def _run_rows(report: Report) -> list[str]:
    rows = []
    for run in sorted(report.runs, key=lambda r: (r.tool, r.artifact or "")):
        counts = ""
        if run.status is RunStatus.ok:
            counts = str(run.findings)
            if run.severity_counts:
                counts += f" ({text.severities(run.severity_counts)})"
        rows.append(
            "| {} | {} | {} | {} | {} | {} |".format(
                text.markdown(run.tool),
                text.markdown(run.version or ""),
                _STATUS_LABEL[run.status],
                counts,
                text.duration(run.duration_seconds),
                text.markdown_code(run.artifact or "", 100),
            )
        )
    return rows


def _problems(report: Report) -> Iterable[str]:
    for run in report.runs:
        where = f" ({text.markdown_code(run.artifact, 80)})" if run.artifact else ""
        if run.status is not RunStatus.ok and run.error:
            label = _STATUS_LABEL[run.status].strip("*")
            yield f"- **{text.markdown(run.tool)}** {label}{where}: {text.markdown(run.error, 300)}"
        for warning in run.warnings:
            yield f"- {text.markdown(run.tool)}{where}: {text.markdown(warning, 300)}"
    for warning in report.warnings:
        yield f"- {text.markdown(warning, 500)}"
    if report.diff is not None and report.diff.drift_lines():
        tools = "; ".join(text.markdown(line, 200) for line in report.diff.drift_lines())
        yield (
            f"- Scanner or database changed since the baseline: {tools}; new findings "
            "there may be scanner drift (marked ⚠)."
        )


def _ordered(report: Report, findings: list[Finding]) -> list[Finding]:
    """Findings in files the merge request changed come first."""
    if not report.changed_files:
        return findings
    changed = set(report.changed_files)
    return sorted(findings, key=lambda f: f.path not in changed)


def _where(finding: Finding, report: Report) -> str:
    place = where(finding)
    if place is None:
        return ""
    if isinstance(place, CodeLocation):
        code = text.markdown_code(place_label(place), 120)
        link = source_url(report.link_base, place.path, place.start_line)
        return f"[{code}]({link})" if link else code
    if isinstance(place, Component):
        return text.markdown_code(text.middle(place_label(place, fixed=True), 120))
    return text.markdown_code(place_label(place), 120)


def _rule(finding: Finding) -> str:
    rule = text.markdown_code(text.middle(finding.rule_id, 80))
    for identifier in [finding.rule_id, *finding.identifiers]:
        url = advisory_url(identifier)
        if url:
            return f"[{rule}]({url})"
    return rule


def _finding_row(finding: Finding, report: Report) -> str:
    severity = finding.severity.value
    if finding.drift:
        severity += " ⚠"
    if finding.not_called:
        severity += ", not called"
    return _row(
        severity,
        text.markdown(finding.tool),
        _rule(finding),
        _where(finding, report),
        text.markdown(finding.title, 120),
    )


def _backlog_row(finding: Finding, report: Report) -> str:
    state = finding.state.value.replace("_", " ") if finding.state else ""
    return f"| {state} " + _finding_row(finding, report)


def _calibration_row(row: CalibrationRow) -> str:
    return _row(
        text.markdown(row.tool),
        text.markdown_code(text.middle(row.rule_id, 80)),
        *(str(n) for n in (row.findings, row.new, row.accepted, row.false_positive)),
        str(row.would_block),
    )


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


class Summary(Renderer):
    file_name = "summary.md"

    def write(self, report: Report, path: Path, settings: RenderSettings) -> None:
        write_atomic(path, render(report, max_chars=settings.max_chars))


RENDERER = Summary()

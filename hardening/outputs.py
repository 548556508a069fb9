"""The output formats ``aggregate --out DIR`` writes, one module each under ``render/``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hardening.model import Report
from hardening.report_io import write_atomic, write_report


class OutputFormat(StrEnum):
    json = "json"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"
    codequality = "codequality"


#: The file each format writes into the output folder.
FILE_NAMES = {
    OutputFormat.json: "findings.json",
    OutputFormat.markdown: "summary.md",
    OutputFormat.html: "report.html",
    OutputFormat.sarif: "hardening.sarif",
    OutputFormat.codequality: "gl-code-quality-report.json",
}


@dataclass(frozen=True)
class RenderSettings:
    max_chars: int = 60_000


def _write_json(report: Report, out: Path, settings: RenderSettings) -> Path:
    path = out / FILE_NAMES[OutputFormat.json]
    write_report(report, path)
    return path


def _write_markdown(report: Report, out: Path, settings: RenderSettings) -> Path:
    from hardening.render import markdown

    path = out / FILE_NAMES[OutputFormat.markdown]
    write_atomic(path, markdown.render(report, max_chars=settings.max_chars))
    return path


def _write_html(report: Report, out: Path, settings: RenderSettings) -> Path:
    from hardening.render import html

    path = out / FILE_NAMES[OutputFormat.html]
    html.write(report, path)
    return path


def _write_sarif(report: Report, out: Path, settings: RenderSettings) -> Path:
    from hardening.render import sarif_out

    path = out / FILE_NAMES[OutputFormat.sarif]
    sarif_out.write(report, path)
    return path


def _write_codequality(report: Report, out: Path, settings: RenderSettings) -> Path:
    from hardening.render import codequality

    path = out / FILE_NAMES[OutputFormat.codequality]
    codequality.write(report, path)
    return path


WRITERS: dict[OutputFormat, Callable[[Report, Path, RenderSettings], Path]] = {
    OutputFormat.json: _write_json,
    OutputFormat.markdown: _write_markdown,
    OutputFormat.html: _write_html,
    OutputFormat.sarif: _write_sarif,
    OutputFormat.codequality: _write_codequality,
}
assert set(WRITERS) == set(OutputFormat), "every output format needs a writer"


def write_outputs(
    report: Report,
    out: Path,
    formats: Sequence[OutputFormat],
    settings: RenderSettings,
    before: Callable[[OutputFormat], None] | None = None,
) -> list[Path]:
    """Write each format into ``out``; ``before`` is told of each one first (progress).

    The report records which files this run writes, so that no output points at one it did
    not write (summary.md's pointer to report.html with ``--format markdown``)."""
    report.outputs = [FILE_NAMES[fmt] for fmt in formats]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        if before is not None:
            before(fmt)
        written.append(WRITERS[fmt](report, out, settings))
    return written

"""The output formats ``aggregate --out DIR`` writes, one module each under ``render/``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hardening.errors import OutputError
from hardening.model import Report
from hardening.report_io import (
    STAGING_PREFIX,
    LockTimeout,
    commit_staged,
    staging_folder,
    write_atomic,
    write_report,
)


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

    The outputs are written into a staging folder inside ``out``, then moved into place
    together under a lock on ``out``: a run that fails or is killed leaves the previous
    files as they were, and two runs into one folder leave one run's set, never a mix.
    Other files in ``out`` (outputs of formats not chosen included) are left alone.
    An output that cannot be written is an OutputError naming it and the reason.

    The report records which files this run writes, so that no output points at one it did
    not write (summary.md's pointer to report.html with ``--format markdown``)."""
    report.outputs = [FILE_NAMES[fmt] for fmt in formats]
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: cannot write the outputs there: a file is in the way")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder: {_reason(exc)}") from None
    names = [FILE_NAMES[fmt] for fmt in formats]
    #: What an error is about: the folder, then each output as it is written.
    writing: Path = out
    try:
        with staging_folder(out) as staging:
            for fmt in formats:
                if before is not None:
                    before(fmt)
                writing = out / FILE_NAMES[fmt]
                WRITERS[fmt](report, staging, settings)
            writing = out
            commit_staged(staging, out, names)
    except LockTimeout:
        raise OutputError(f"{out}: another run holds the output folder's lock") from None
    except OSError as exc:
        # Name the output, never the staging folder (an implementation detail), unless the
        # error is about a file in ``out`` itself (a folder in the way of one output).
        where = exc.filename if writing == out and exc.filename else writing
        if STAGING_PREFIX in str(where):
            where = writing
        raise OutputError(f"{where}: cannot be written: {_reason(exc)}") from None
    return [out / name for name in names]


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__

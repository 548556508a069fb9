"""The outputs ``aggregate --out DIR`` writes, one renderer module each in this folder.

Adding an output is one module with a ``Renderer`` and one member here.  The CLI's
``--format`` choices are this enum's values, so this module imports no renderer (nor the
model) until outputs are written: ``hardening --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from hardening.errors import OutputError
from hardening.render.interface import Renderer, RenderSettings

if TYPE_CHECKING:
    from hardening.model import Report


class OutputFormat(StrEnum):
    json = "json"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"
    codequality = "codequality"


def renderers() -> dict[OutputFormat, Renderer]:
    """Each format's renderer (imported here, not at start: see the module docstring)."""
    from hardening.render import codequality, html, json_out, markdown, sarif_out

    return {
        OutputFormat.json: json_out.RENDERER,
        OutputFormat.markdown: markdown.RENDERER,
        OutputFormat.html: html.RENDERER,
        OutputFormat.sarif: sarif_out.RENDERER,
        OutputFormat.codequality: codequality.RENDERER,
    }


def write_outputs(
    report: Report,
    out: Path,
    formats: Sequence[OutputFormat],
    settings: RenderSettings,
    before: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write each format into ``out``; ``before`` is told each file's name first (progress).

    The outputs are written into a staging folder inside ``out``, then moved into place
    together under a lock on ``out``: a run that fails or is killed leaves the previous
    files as they were, and two runs into one folder leave one run's set, never a mix.
    Other files in ``out`` (outputs of formats not chosen included) are left alone.
    An output that cannot be written is an OutputError naming it and the reason.

    The report records which files this run writes, so that no output points at one it did
    not write (summary.md's pointer to report.html with ``--format markdown``)."""
    from hardening.report_io import STAGING_PREFIX, LockTimeout, commit_staged, staging_folder

    chosen = renderers()
    names = [chosen[fmt].file_name for fmt in formats]
    report.outputs = list(names)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: cannot write the outputs there: a file is in the way")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder: {_reason(exc)}") from None
    #: What an error is about: the folder, then each output as it is written.
    writing: Path = out
    try:
        with staging_folder(out) as staging:
            for fmt in formats:
                renderer = chosen[fmt]
                if before is not None:
                    before(renderer.file_name)
                writing = out / renderer.file_name
                renderer.write(report, staging / renderer.file_name, settings)
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

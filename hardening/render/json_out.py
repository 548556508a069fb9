"""findings.json: the report itself, in the schema ``hardening schema`` prints (``report_io``)."""

from __future__ import annotations

from pathlib import Path

from hardening.model import Report
from hardening.render.interface import Renderer, RenderSettings
from hardening.report_io import write_report


class FindingsJson(Renderer):
    file_name = "findings.json"

    def write(self, report: Report, path: Path, settings: RenderSettings) -> None:
        write_report(report, path)


RENDERER = FindingsJson()

"""hardening's own ``findings.json``, read back so one job's output feeds another.

The ``security_sast_report`` job writes it; the ``hardening_report`` job reads it with the
other tools' raw reports.  Findings keep their fingerprints; baseline entries it lists as
fixed or unknown are not findings of this run.  Its text is untrusted like any report's (it
may be hand-edited or foreign): every text of its findings and runs passes the redactor.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError

from hardening.jsonread import JsonStream, read_json
from hardening.model import Report, State, ToolRun
from hardening.parsers._io import strip_bom
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import screen_finding, screen_run
from hardening.report_io import OnInvalid, read_document, read_streamed, validation_reason

_MARKER = re.compile(rb'"generator"\s*:\s*"hardening"')
#: hardening's SARIF output carries the same generator; it is skipped, not read back.
_OWN_SARIF = re.compile(rb'"hardening_output"\s*:\s*true')
_NOT_FINDINGS = {State.fixed, State.unknown}


class FindingsJsonParser(Parser):
    name = "hardening-findings"
    tool = ""
    format = "findings.json"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head)
        if _OWN_SARIF.search(body):
            return None
        if body.lstrip().startswith(b"{") and _MARKER.search(body):
            return Detection(95)
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        report = read_json(artifact, _whole, _streamed, depth=2)
        for run in report.runs:
            screen_run(run)
            run.properties["relayed_from"] = artifact.name
        findings = [f for f in report.findings if f.state not in _NOT_FINDINGS]
        for finding in findings:
            screen_finding(finding, relayed=True)
            finding.state = None
            finding.drift = False
        return ParseResult(runs=report.runs, findings=findings, fingerprinted=True)


def _whole(document: Any) -> Report:
    skipped = SkippedEntries()
    report = read_document(document, _skipping(skipped))
    _report_skipped(report, skipped)
    return report


def _streamed(stream: JsonStream) -> Report:
    """A big findings.json one finding at a time: fixed and unknown ones are dropped as they
    come; one that is not a finding is skipped."""
    skipped = SkippedEntries()
    report = read_streamed(
        stream, lambda finding: finding.state not in _NOT_FINDINGS, _skipping(skipped)
    )
    _report_skipped(report, skipped)
    return report


def _skipping(skipped: SkippedEntries) -> OnInvalid:
    """A finding that fails validation is a skipped entry, named by its place."""

    def skip(index: int, error: ValidationError) -> None:
        skipped.add(f"findings[{index}]", validation_reason(error, whole=None))

    return skip


def _report_skipped(report: Report, skipped: SkippedEntries) -> None:
    """The skipped findings, on the document's first run (one naming no run of its own)."""
    skipped.check(read=len(report.findings))
    if not skipped:
        return
    if not report.runs:
        report.runs.append(ToolRun(tool="hardening", format=FindingsJsonParser.format))
    report.runs[0].warnings.extend(skipped.warnings())

"""hardening's own ``findings.json``, read back so one job's output feeds another.

The ``security_sast_report`` job writes it; the ``hardening_report`` job reads it with the
other tools' raw reports.  Findings keep their fingerprints; baseline entries it lists as
fixed or unknown are not findings of this run.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hardening.errors import ParseError
from hardening.model import Finding, Report, State
from hardening.parsers._io import JsonStream, NotStreamable, read_json, strip_bom
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult
from hardening.redact import error_location

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
            run.properties["relayed_from"] = artifact.name
        findings = [f for f in report.findings if f.state not in _NOT_FINDINGS]
        for finding in findings:
            finding.state = None
            finding.drift = False
        return ParseResult(runs=report.runs, findings=findings, fingerprinted=True)


def _whole(document: Any) -> Report:
    try:
        return Report.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = error_location(first["loc"]) or "document"
        raise ParseError(f"not a valid hardening findings.json: {where}: {first['msg']}") from None


_FINDING = TypeAdapter(Finding)


def _streamed(stream: JsonStream) -> Report:
    """A big findings.json one finding at a time: fixed and unknown ones are dropped as they
    come, and the document is never held whole.  Anything invalid is read again whole, so
    the error is the one pydantic gives for the whole document."""
    if stream.peek() != "{":
        raise NotStreamable("not an object")
    others: dict[str, Any] = {}
    findings: list[Finding] = []
    for key in stream.members():
        if key in others or (key == "findings" and findings):
            raise NotStreamable(f"repeated key {key!r}")
        if key != "findings" or stream.peek() != "[":
            others[key] = stream.value()
            continue
        others[key] = []  # seen (and counted as repeated if it comes again)
        for item in stream.values():
            try:
                finding = _FINDING.validate_python(item)
            except ValidationError:
                raise NotStreamable("invalid finding") from None
            if finding.state not in _NOT_FINDINGS:
                findings.append(finding)
    stream.finish()
    try:
        report = Report.model_validate(others)
    except ValidationError:
        raise NotStreamable("invalid report") from None
    report.findings = findings
    return report

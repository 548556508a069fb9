"""hardening's own ``findings.json``, read back so one job's output feeds another.

The ``security_sast_report`` job writes it; the ``hardening_report`` job reads it with the
other tools' raw reports.  Findings keep their fingerprints; baseline entries it lists as
fixed or unknown are not findings of this run.  Its text is untrusted like any report's (it
may be hand-edited or foreign): every text of its findings and runs passes the redactor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hardening.errors import ParseError
from hardening.model import Finding, Report, State
from hardening.parsers._io import JsonStream, NotStreamable, read_json, strip_bom
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult
from hardening.redact import error_location, screen_finding, screen_run

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
    try:
        return Report.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = error_location(first["loc"]) or "document"
        raise ParseError(f"not a valid hardening findings.json: {where}: {first['msg']}") from None


_FINDING = TypeAdapter(Finding)


class InvalidFinding(Exception):
    """Finding ``index`` of a streamed findings.json failed validation (``error``)."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(f"invalid finding {index}")
        self.index = index
        self.error = error


def walk_findings(
    stream: JsonStream, take: Callable[[Finding], None]
) -> tuple[dict[str, Any], bool]:
    """Walk the findings.json object that comes next: each finding of its ``findings`` list is
    validated and handed to ``take`` (not kept here), so the document is never held whole.
    Returns the other members, not yet validated, and whether a key repeated.  Raises
    ``InvalidFinding`` for the first finding that fails validation."""
    others: dict[str, Any] = {}
    repeated = listed = False
    for key in stream.members():
        repeated = repeated or key in others or (key == "findings" and listed)
        if key != "findings" or stream.peek() != "[":
            others[key] = stream.value()  # the small parts
            continue
        listed = True
        for index, item in enumerate(stream.values()):
            try:
                finding = _FINDING.validate_python(item)
            except ValidationError as exc:
                raise InvalidFinding(index, exc) from None
            take(finding)
    stream.finish()
    return others, repeated


def _streamed(stream: JsonStream) -> Report:
    """A big findings.json one finding at a time: fixed and unknown ones are dropped as they
    come."""
    return read_streamed(stream, lambda finding: finding.state not in _NOT_FINDINGS)


def read_streamed(stream: JsonStream, keep: Callable[[Finding], bool]) -> Report:
    """The findings.json that comes next, one finding at a time, with the findings ``keep``
    takes.  Anything invalid or repeated raises ``NotStreamable``: read it again whole, so the
    error (or the value a repeated key keeps) is the one of the whole document."""
    if stream.peek() != "{":
        raise NotStreamable("not an object")
    findings: list[Finding] = []

    def take(finding: Finding) -> None:
        if keep(finding):
            findings.append(finding)

    try:
        others, repeated = walk_findings(stream, take)
        if repeated:
            raise NotStreamable("repeated key")
        report = Report.model_validate(others)
    except (InvalidFinding, ValidationError):
        raise NotStreamable("invalid findings.json") from None
    report.findings = findings
    return report

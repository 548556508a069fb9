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
from hardening.model import Finding, Report, State, ToolRun
from hardening.parsers._io import JsonStream, NotStreamable, read_json, strip_bom
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
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
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        return _validated(document)  # the document's own shape is wrong: it says where
    report = _validated({key: value for key, value in document.items() if key != "findings"})
    skipped = SkippedEntries()
    for index, item in enumerate(document["findings"]):
        try:
            report.findings.append(_FINDING.validate_python(item))
        except ValidationError as exc:
            skipped.add(f"findings[{index}]", _reason(exc))
    _report_skipped(report, skipped)
    return report


def _validated(document: Any) -> Report:
    try:
        return Report.model_validate(document)
    except ValidationError as exc:
        raise ParseError(
            f"not a valid hardening findings.json: {_reason(exc, 'document')}"
        ) from None


def _reason(error: ValidationError, whole: str | None = None) -> str:
    """The first error, by its place (``whole`` when it is the value itself) and pydantic's
    message (which quotes no value)."""
    first = error.errors()[0]
    where = error_location(first["loc"]) or whole
    return f"{where}: {first['msg']}" if where else first["msg"]


def _report_skipped(report: Report, skipped: SkippedEntries) -> None:
    """The skipped findings, on the document's first run (one naming no run of its own)."""
    skipped.check(read=len(report.findings))
    if not skipped:
        return
    if not report.runs:
        report.runs.append(ToolRun(tool="hardening", format=FindingsJsonParser.format))
    report.runs[0].warnings.extend(skipped.warnings())


_FINDING = TypeAdapter(Finding)


class InvalidFinding(Exception):
    """Finding ``index`` of a streamed findings.json failed validation (``error``)."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(f"invalid finding {index}")
        self.index = index
        self.error = error


def walk_findings(
    stream: JsonStream,
    take: Callable[[Finding], None],
    skipped: SkippedEntries | None = None,
) -> tuple[dict[str, Any], bool]:
    """Walk the findings.json object that comes next: each finding of its ``findings`` list is
    validated and handed to ``take`` (not kept here), so the document is never held whole.
    Returns the other members, not yet validated, and whether a key repeated.  A finding
    that fails validation is put in ``skipped``, or without it raises ``InvalidFinding``."""
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
                if skipped is None:
                    raise InvalidFinding(index, exc) from None
                skipped.add(f"findings[{index}]", _reason(exc))
                continue
            take(finding)
    stream.finish()
    return others, repeated


def _streamed(stream: JsonStream) -> Report:
    """A big findings.json one finding at a time: fixed and unknown ones are dropped as they
    come; one that is not a finding is skipped."""
    skipped = SkippedEntries()
    report = read_streamed(stream, lambda finding: finding.state not in _NOT_FINDINGS, skipped)
    _report_skipped(report, skipped)
    return report


def read_streamed(
    stream: JsonStream, keep: Callable[[Finding], bool], skipped: SkippedEntries | None = None
) -> Report:
    """The findings.json that comes next, one finding at a time, with the findings ``keep``
    takes (and invalid ones put in ``skipped`` when given).  Anything else invalid or
    repeated raises ``NotStreamable``: read it again whole, so the error (or the value a
    repeated key keeps) is the one of the whole document."""
    if stream.peek() != "{":
        raise NotStreamable("not an object")
    findings: list[Finding] = []

    def take(finding: Finding) -> None:
        if keep(finding):
            findings.append(finding)

    try:
        others, repeated = walk_findings(stream, take, skipped)
        if repeated:
            raise NotStreamable("repeated key")
        report = Report.model_validate(others)
    except (InvalidFinding, ValidationError):
        raise NotStreamable("invalid findings.json") from None
    report.findings = findings
    return report

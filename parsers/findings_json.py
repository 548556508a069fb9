"""hardening's own ``findings.json``, read back so one job's output feeds another.

The ``security_sast_report`` job writes it; the ``hardening_report`` job reads it with the
other tools' raw reports.  Findings keep their fingerprints; baseline entries it lists as
fixed or unknown are not findings of this run.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from pydantic import ValidationError

from hardening.errors import ParseError
from hardening.model import Report, State
from hardening.parsers._io import decode, strip_bom
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
        text = decode(artifact.read_bytes())
        if not text.strip():
            raise ParseError("empty file")
        try:
            report = Report.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = error_location(first["loc"]) or "document"
            raise ParseError(
                f"not a valid hardening findings.json: {where}: {first['msg']}"
            ) from None
        for run in report.runs:
            run.properties["relayed_from"] = artifact.name
        findings = [f for f in report.findings if f.state not in _NOT_FINDINGS]
        for finding in findings:
            finding.state = None
            finding.drift = False
        return ParseResult(runs=report.runs, findings=findings, fingerprinted=True)

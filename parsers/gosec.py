"""gosec ``-fmt=json`` reports.

Shape: ``{"Golang errors": {file: [{line, column, error}]}, "Issues": [...], "Stats": {...},
"GosecVersion": "..."}``.  Old reports (gosec 1.x/2.0) hold only ``Issues`` and ``Stats``, and
their issues lack ``cwe``, ``column``, ``nosec`` and ``suppressions``.  ``line`` is a string,
either ``"91"`` or a range ``"12-14"``; ``file`` is usually absolute (Windows paths too);
``code`` is the flagged line(s) numbered ``NN: `` with context lines around them (old reports
carry the bare expression instead).

``-fmt=sonarqube`` (``{"issues": [{"engineId": "gosec", ...}]}``, often saved as ``gosec.json``)
is recognised and skipped: it drops the code, confidence and suppressions that identity and
triage need.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from hardening import fingerprint, severity
from hardening.errors import ParseError
from hardening.jsonread import loads
from hardening.model import CodeLocation, Finding, Kind, RunStatus, Severity, Suppression, ToolRun
from hardening.parsers import sarif
from hardening.parsers._io import as_int, as_str, expect_dict, expect_list, strip_bom
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import is_credential_rule, redact

_NUMBERED = re.compile(r"^(\d+):\s?(.*)$")
_LINE_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")

_ISSUES_KEY = re.compile(rb'"Issues"\s*:')
_REPORT_KEYS = re.compile(rb'"(?:Stats|Golang errors|GosecVersion)"\s*:')
_ISSUE_KEYS = re.compile(rb'"rule_id"\s*:\s*"G\d+"')
_SONARQUBE_ENGINE = re.compile(rb'"engineId"\s*:\s*"gosec"')

SONARQUBE_SKIP_REASON = "gosec SonarQube report: not read; run gosec with -fmt=json or -fmt=sarif"

#: Hard-coded credentials; old reports carry no ``cwe`` to tell it by.
_CREDENTIAL_RULES = frozenset({"G101"})
#: One run error line stays readable in a summary.
_MAX_RUN_ERROR = 300


def flagged_text(code: str, start: int, end: int) -> str:
    """The flagged lines of a gosec ``code`` block, without ``NN: `` prefixes or context lines.

    gosec numbers each line of its snippet (``"90: \\tfor ...\\n91: ..."``) and adds context
    lines around the flagged range; identity uses only the lines whose numbers fall in
    ``start..end``.  Lines without a number prefix continue the previous numbered line.  When
    no numbered line falls in the range, the whole block is used without its prefixes.
    """
    selected: list[str] = []
    every: list[str] = []
    current: int | None = None
    for raw in code.splitlines():
        match = _NUMBERED.match(raw)
        if match:
            current = int(match.group(1))
            text = match.group(2)
        else:
            text = raw
        every.append(text)
        if current is not None and start <= current <= end:
            selected.append(text)
    return "\n".join(selected if selected else every)


def line_range(value: Any) -> tuple[int | None, int | None]:
    """``"91"`` -> (91, 91); ``"12-14"`` -> (12, 14); anything else -> (None, None)."""
    text = as_str(value)
    match = _LINE_RANGE.match(text) if text is not None else None
    if match is None:
        return None, None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    return start, max(start, end)


#: gosec's severity words -> normalized.
SEVERITIES: Mapping[str, Severity] = {
    "HIGH": Severity.high,
    "MEDIUM": Severity.medium,
    "LOW": Severity.low,
}


class GosecJsonParser(Parser):
    name = "gosec-json"
    information_uri = "https://github.com/securego/gosec"
    tool = "gosec"
    format = "json"
    severities = SEVERITIES

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return SARIF_DIALECT

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head).lstrip()
        if not body.startswith(b"{"):
            return None
        if _SONARQUBE_ENGINE.search(body):
            return Detection(85, skip_reason=SONARQUBE_SKIP_REASON)
        if not _ISSUES_KEY.search(body):
            return None
        if _REPORT_KEYS.search(body):
            return Detection(90)
        # A large old report whose Stats lie beyond the head: its issues still say gosec.
        if _ISSUE_KEYS.search(body):
            return Detection(80)
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        doc = expect_dict(loads(artifact.read_bytes()), "gosec report")
        if "Issues" not in doc:
            raise ParseError("not a gosec JSON report: no Issues key")
        issues = expect_list(doc["Issues"], "Issues")
        findings = []
        skipped = SkippedEntries()
        for i, issue in enumerate(issues):
            try:
                findings.append(_finding(expect_dict(issue, f"Issues[{i}]"), i))
            except ParseError as error:
                skipped.add(f"Issues[{i}]", error)
        run = ToolRun(
            tool=self.tool,
            format=self.format,
            version=as_str(doc.get("GosecVersion")) or None,
            run_errors=_golang_errors(doc.get("Golang errors")),
        )
        skipped.report(run, read=len(findings))
        stats = _stats(doc.get("Stats"))
        if stats:
            run.properties["stats"] = stats
        # Go errors with nothing scanned and nothing found: gosec did not really run.
        if run.run_errors and not findings and stats.get("files") == 0:
            run.status = RunStatus.failed
            run.error = f"gosec reported {len(run.run_errors)} Go error(s) and scanned no files"
        elif not findings and stats.get("files") == 0:
            # It says it read no file and found nothing: that is no evidence of a clean tree.
            run.status = RunStatus.not_exercised
            run.error = "gosec scanned no file (Stats.files is 0) and reported no issue"
        return ParseResult(runs=[run], findings=findings)


def _finding(issue: dict[str, Any], index: int) -> Finding:
    rule_id = as_str(issue.get("rule_id"))
    if not rule_id:
        raise ParseError(f"Issues[{index}] has no rule_id")
    path = as_str(issue.get("file"))
    if not path:
        raise ParseError(f"Issues[{index}] has no file")
    start, end = line_range(issue.get("line"))
    code = as_str(issue.get("code")) or ""
    # No usable line: the whole block is the flagged text (an empty range selects nothing).
    flagged = flagged_text(code, start or 1, end or 0)
    identifiers = _cwe(issue.get("cwe"), index)
    credential = is_credential_rule(identifiers) or rule_id in _CREDENTIAL_RULES
    details = redact(as_str(issue.get("details")) or "")
    tool_severity = as_str(issue.get("severity"))
    return Finding(
        tool="gosec",
        kind=Kind.code,
        rule_id=rule_id,
        title=details or rule_id,
        severity=severity.lookup(SEVERITIES, tool_severity),
        tool_severity=tool_severity,
        confidence=as_str(issue.get("confidence")),
        message=details,
        location=CodeLocation(
            path=path,
            start_line=start,
            end_line=end,
            start_column=_finite_int(issue.get("column")),
            # A hard-coded credential's line is the credential: never shown.
            snippet=None if credential else _snippet(flagged),
        ),
        identifiers=identifiers,
        suppression=_suppression(issue, index),
        identity=[fingerprint.text_digest(flagged)],
    )


def _snippet(flagged: str) -> str | None:
    # Shown without the common indentation, as gosec's SARIF shows it; identity ignores it.
    text = textwrap.dedent(flagged).strip("\n")
    return redact(text) if text.strip() else None


def _cwe(value: Any, index: int) -> list[str]:
    if value is None:
        return []
    cwe = expect_dict(value, f"Issues[{index}].cwe")
    cwe_id = as_str(cwe.get("id"))
    return [f"CWE-{cwe_id.strip()}"] if cwe_id and cwe_id.strip() else []


def _suppression(issue: dict[str, Any], index: int) -> Suppression | None:
    """gosec lists why an issue is suppressed (``#nosec`` in source, or excluded by config).

    The first entry names it; ``nosec: true`` without entries (older gosec) is in-source.
    """
    entries = expect_list(issue.get("suppressions"), f"Issues[{index}].suppressions")
    if entries:
        first = expect_dict(entries[0], f"Issues[{index}].suppressions[0]")
        justification = as_str(first.get("justification"))
        return Suppression(
            kind=as_str(first.get("kind")) or "inSource",
            justification=redact(justification) if justification else None,
        )
    if issue.get("nosec") is True:
        return Suppression(kind="inSource")
    return None


def _golang_errors(value: Any) -> list[str]:
    """One short line per error gosec met loading packages, its path first; repeats dropped."""
    if value is None:
        return []
    by_file = expect_dict(value, "Golang errors")
    lines: list[str] = []
    for path, errors in by_file.items():
        for i, entry in enumerate(expect_list(errors, f"Golang errors[{path!r}]")):
            item = expect_dict(entry, f"Golang errors[{path!r}][{i}]")
            line = _golang_error_line(path, item)
            if line not in lines:
                lines.append(line)
    return lines


def _golang_error_line(path: str, item: dict[str, Any]) -> str:
    # gosec keys package-level errors by "" or "-": they carry no file of their own.
    where = path if path not in ("", "-") else ""
    line, column = _finite_int(item.get("line")), _finite_int(item.get("column"))
    if where and line:
        where += f":{line}" + (f":{column}" if column else "")
    parts = [part.strip() for part in (as_str(item.get("error")) or "").splitlines()]
    parts = [part for part in parts if part]
    # Go's "# package" header line before compiler errors says nothing the errors do not.
    if len(parts) > 1 and parts[0].startswith("# "):
        parts = parts[1:]
    message = "; ".join(parts) or "unknown error"
    text = redact(f"{where}: {message}" if where else message)
    return text if len(text) <= _MAX_RUN_ERROR else text[: _MAX_RUN_ERROR - 1] + "…"


def _finite_int(value: Any) -> int | None:
    # JSON's NaN/Infinity reach ``as_int`` as floats it cannot convert: treat them as absent.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return as_int(value)


def _stats(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    counts = {key: _finite_int(value.get(key)) for key in ("files", "lines", "nosec", "found")}
    return {key: count for key, count in counts.items() if count is not None}


# --- SARIF dialect ------------------------------------------------------------------------
# gosec's SARIF, as the SARIF parser (``parsers.sarif``) reads it: the severity word in each
# rule's tags, the flagged lines as identity, as the JSON parser hashes them.

#: gosec rules about hard-coded credentials, whatever CWE a version maps them to.
GOSEC_CREDENTIAL_RULES = frozenset({"G101"})
_GOSEC_WORD = re.compile(r"^(HIGH|MEDIUM|LOW)$")
_GOSEC_CONFIDENCE = re.compile(r"Confidence:\s*(\w+)", re.IGNORECASE)


def _sarif_finding(view: sarif.SarifResult, context: sarif.RunContext) -> Finding:
    # gosec tags each rule with its own severity word and writes "Confidence: X" in help text.
    tags = sarif.string_list(view.rule_properties.get("tags"))
    word = next((tag for tag in tags if _GOSEC_WORD.match(tag)), None)
    severity_pair = (
        (severity.lookup(SEVERITIES, word), word) if word else sarif.generic_severity(view)
    )
    help_text = sarif.rule_text(view.rule, "help") or ""
    confidence_match = _GOSEC_CONFIDENCE.search(help_text)
    identity = sarif.generic_identity(view)
    if view.snippet is not None and view.snippet.strip() and view.start_line is not None:
        flagged = flagged_text(view.snippet, view.start_line, view.end_line or 0)
        identity = [fingerprint.text_digest(flagged)]
    return sarif.code_finding(
        view,
        context,
        identity=identity,
        severity_pair=severity_pair,
        confidence=confidence_match.group(1) if confidence_match else None,
        credential=view.rule_id in GOSEC_CREDENTIAL_RULES,
    )


SARIF_DIALECT = sarif.SarifDialect(
    claims=lambda name: name == "gosec",
    convert=_sarif_finding,
)

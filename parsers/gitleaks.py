"""gitleaks reports: JSON (v8 and v7) and CSV (v8 and v7).

- v8 JSON: a list of objects keyed ``RuleID``, ``Description``, ``StartLine`` ... ``Secret``,
  ``Match``, ``File``, ``Commit``, ``Entropy``, ``Tags`` (list), ``Fingerprint``; ``[]`` when
  clean.
- v7 JSON: a list of objects keyed ``rule``, ``offender``, ``line``, ``lineNumber``, ``file``,
  ``commit``, ``tags`` (comma-separated string); ``null`` when clean.
- CSV: v8 writes the v8 columns (``Tags`` space-separated, an optional trailing ``Link``) and
  nothing at all when clean; v7 wrote lowercase columns (``repo,line,commit,offender,rule,...``).
- JUnit XML (``-f junit``) is recognised and skipped: its failure bodies hold whole findings.

Every entry is one secret finding.  Secrets, matched lines, commit messages and authors are
never stored: the secret only feeds ``fingerprint.secret_digest``; a report redacted at source
(``--redact``) has no secret to hash, so its redacted match text stands in.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.jsonread import decode, loads
from hardening.model import CodeLocation, Finding, Kind, Severity, ToolRun
from hardening.parsers import sarif
from hardening.parsers._io import as_int, as_str, expect_dict, path_mentions, strip_bom
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import redact

TOOL = "gitleaks"
#: gitleaks has no severity: every leaked credential is high.
SECRET_SEVERITY = Severity.high
JUNIT_SKIP_REASON = "gitleaks JUnit report: not read; use -f json or sarif"
#: What ``gitleaks --redact`` writes in place of the secret (whole or partly).
REDACTED_MARK = "REDACTED"

_V8_KEYS = re.compile(rb'"RuleID"\s*:')
_V8_COMPANIONS = re.compile(rb'"(?:Secret|Match|StartLine|Fingerprint)"\s*:')
_V7_KEYS = re.compile(rb'"offender"\s*:')
_V7_COMPANIONS = re.compile(rb'"(?:rule|commitMessage|lineNumber|leakURL|offenderEntropy)"\s*:')
_JUNIT_ROOT = re.compile(rb"<testsuites?\b")
_JUNIT_GITLEAKS = re.compile(
    rb'<testsuite\b[^>]*\bname="gitleaks"|has detected a secret in file|&#34;RuleID&#34;'
)
_EMPTY_REPORT = {b"null", b"[]"}

_V8_CSV_HEADER = ("RuleID", "Commit", "File", "Secret", "Match", "StartLine")
_V7_CSV_HEADER = ("repo", "line", "commit", "offender", "rule")


class GitleaksJsonParser(Parser):
    name = "gitleaks-json"
    information_uri = "https://github.com/gitleaks/gitleaks"
    tool = TOOL
    format = "json"

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return SARIF_DIALECT

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head).strip()
        if body.startswith(b"<"):
            return _detect_junit(body)
        if body.startswith(b"["):
            if _V8_KEYS.search(body) and _V8_COMPANIONS.search(body):
                return Detection(90)
            if _V7_KEYS.search(body) and _V7_COMPANIONS.search(body):
                return Detection(90)
        mentioned = path_mentions(path, "gitleaks")
        if mentioned and body in _EMPTY_REPORT:
            return Detection(30)
        # An empty file where a gitleaks JSON report should be: claimed so it fails loudly.
        if mentioned and not body and path.suffix.lower() == ".json":
            return Detection(30)
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        doc = loads(artifact.read_bytes())
        if doc is None:  # v7 writes null when it found nothing
            return _result([], schema="v7")
        if not isinstance(doc, list):
            raise ParseError(
                f"gitleaks report is a JSON {type(doc).__name__}, expected a list of findings"
            )
        findings: list[Finding] = []
        schemas: set[str] = set()
        skipped = SkippedEntries()
        for index, entry in enumerate(doc):
            try:
                item = expect_dict(entry, f"finding {index}")
                schema = _schema_of(item, index)
                findings.append(_BUILDERS[schema](item, f"finding {index}"))
            except ParseError as error:
                skipped.add(f"finding {index}", error)
                continue
            schemas.add(schema)
        return _result(findings, schema="/".join(sorted(schemas)) or None, skipped=skipped)


class GitleaksCsvParser(Parser):
    name = "gitleaks-csv"
    tool = TOOL
    format = "csv"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head)
        first_line = body.split(b"\n", 1)[0].strip()
        columns = tuple(cell.strip().decode("utf-8", "replace") for cell in first_line.split(b","))
        if _has_columns(columns, _V8_CSV_HEADER) or _has_columns(columns, _V7_CSV_HEADER):
            return Detection(90)
        # gitleaks writes nothing at all to a CSV report when it finds no leaks.
        if not body.strip() and path.suffix.lower() == ".csv" and path_mentions(path, "gitleaks"):
            return Detection(30)
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        text = decode(artifact.read_bytes())
        if not text.strip():
            return _result([], schema=None)
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as exc:
            raise ParseError(f"invalid CSV: {exc}") from None
        header = tuple(column.strip() for column in rows[0])
        if _has_columns(header, _V8_CSV_HEADER):
            schema = "v8"
        elif _has_columns(header, _V7_CSV_HEADER):
            schema = "v7"
        else:
            raise ParseError("not a gitleaks CSV report: header lacks RuleID/File/Secret columns")
        findings = []
        skipped = SkippedEntries()
        last = max(
            (i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), default=0
        )
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            where = f"CSV row {number}"
            if len(row) != len(header):
                width = f"{where} has {len(row)} fields, the header has {len(header)}"
                if number - 1 == last and len(row) < len(header):
                    raise ParseError(f"{width} (truncated file?)")  # cut in its last row
                skipped.add(where, width)
                continue
            try:
                findings.append(_BUILDERS[schema](dict(zip(header, row, strict=True)), where))
            except ParseError as error:
                skipped.add(where, error)
        return _result(findings, schema=schema, skipped=skipped)


def _detect_junit(body: bytes) -> Detection | None:
    # Never echo the document: its failure bodies carry the secrets.
    if _JUNIT_ROOT.search(body) and _JUNIT_GITLEAKS.search(body):
        return Detection(95, skip_reason=JUNIT_SKIP_REASON)
    return None


def _has_columns(columns: tuple[str, ...], required: tuple[str, ...]) -> bool:
    return all(column in columns for column in required)


def _result(
    findings: list[Finding], schema: str | None, skipped: SkippedEntries | None = None
) -> ParseResult:
    run = ToolRun(tool=TOOL)
    if schema:
        run.properties["report_schema"] = schema
    if skipped is not None:
        skipped.report(run, read=len(findings))
    return ParseResult(runs=[run], findings=findings)


def _schema_of(item: dict[str, Any], index: int) -> str:
    if "RuleID" in item:
        return "v8"
    if "rule" in item or "offender" in item:
        return "v7"
    raise ParseError(f"finding {index} has neither RuleID (gitleaks v8) nor rule (v7)")


def _v8_finding(item: dict[str, Any], where: str) -> Finding:
    rule_id = _rule_id(item.get("RuleID"), where)
    description = as_str(item.get("Description")) or ""
    start_line = _finite_int(item.get("StartLine"))
    properties: dict[str, Any] = {}
    entropy = _entropy(item.get("Entropy"))
    if entropy is not None:
        properties["entropy"] = entropy
    tags = _tags(item.get("Tags"), separator=None)
    if tags:
        properties["tags"] = tags
    # gitleaks' own id ("commit:file:rule:line") is what .gitleaksignore takes; no secret in it.
    gitleaks_id = as_str(item.get("Fingerprint"))
    if gitleaks_id:
        properties["gitleaks_fingerprint"] = gitleaks_id
    # gitleaks' SARIF names a symlinked file by the link; so does this, for one identity.
    path = as_str(item.get("File"))
    symlink = as_str(item.get("SymlinkFile"))
    if symlink:
        properties["symlink_target"] = path
        path = symlink
    return _secret_finding(
        rule_id=rule_id,
        title=description,
        path=path,
        lines=(start_line, _finite_int(item.get("EndLine")) or start_line),
        columns=(_finite_int(item.get("StartColumn")), _finite_int(item.get("EndColumn"))),
        commit=as_str(item.get("Commit")),
        identity=_identity(rule_id, as_str(item.get("Secret")), as_str(item.get("Match"))),
        properties=properties,
    )


def _v7_finding(item: dict[str, Any], where: str) -> Finding:
    rule_id = _rule_id(item.get("rule"), where)
    line_number = _finite_int(item.get("lineNumber"))
    properties: dict[str, Any] = {}
    entropy = _entropy(item.get("offenderEntropy"))
    if entropy is not None:
        properties["entropy"] = entropy
    tags = _tags(item.get("tags"), separator=",")
    if tags:
        properties["tags"] = tags
    return _secret_finding(
        rule_id=rule_id,
        title=rule_id,
        path=as_str(item.get("file")),
        lines=(line_number, line_number),
        columns=(None, None),
        commit=as_str(item.get("commit")),
        identity=_identity(rule_id, as_str(item.get("offender")), as_str(item.get("line"))),
        properties=properties,
    )


#: Builders by schema: the entry and its place ("finding 3", "CSV row 4").
_BUILDERS: dict[str, Callable[[dict[str, Any], str], Finding]] = {
    "v8": _v8_finding,
    "v7": _v7_finding,
}


def _secret_finding(
    *,
    rule_id: str,
    title: str,
    path: str | None,
    lines: tuple[int | None, int | None],
    columns: tuple[int | None, int | None],
    commit: str | None,
    identity: list[str],
    properties: dict[str, Any],
) -> Finding:
    """A secret finding: the rule's description and where, never the match or the secret."""
    title = redact(title) or rule_id
    location = None
    if path:
        location = CodeLocation(
            path=path,
            start_line=lines[0] or None,
            end_line=lines[1] or None,
            start_column=columns[0] or None,
            end_column=columns[1] or None,
        )
    return Finding(
        tool=TOOL,
        kind=Kind.secret,
        rule_id=rule_id,
        title=title,
        severity=SECRET_SEVERITY,
        message=title,
        location=location,
        commits=[commit] if commit else [],
        identity=identity,
        properties=properties,
    )


def _identity(rule_id: str, secret: str | None, match: str | None) -> list[str]:
    """Slow hash of the secret; for a report redacted at source, a digest of the match text."""
    secret = secret or ""
    if REDACTED_MARK in secret:
        return ["redacted", fingerprint.text_digest(match or "")]
    return ["hash", fingerprint.secret_digest(rule_id, secret)]


def _finite_int(value: Any) -> int | None:
    # JSON's NaN/Infinity reach ``as_int`` as floats it cannot convert: treat them as absent.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return as_int(value)


def _rule_id(value: Any, where: str) -> str:
    rule_id = as_str(value)
    if not rule_id or not rule_id.strip():
        raise ParseError(f"{where} has no rule id")
    return rule_id.strip()


def _entropy(value: Any) -> float | None:
    # v7 writes -1 (and v8 0) when entropy was not computed: not a fact worth keeping.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return round(number, 3) if math.isfinite(number) and number > 0 else None


def _tags(value: Any, separator: str | None) -> list[str]:
    """Tags as a list: v8 JSON writes a list, v8 CSV a space- and v7 a comma-separated string."""
    if isinstance(value, list):
        return [tag.strip() for tag in value if isinstance(tag, str) and tag.strip()]
    text = as_str(value)
    if not text:
        return []
    return [tag.strip() for tag in text.split(separator) if tag.strip()]


# --- SARIF dialect ------------------------------------------------------------------------
# gitleaks' SARIF, as the SARIF parser (``parsers.sarif``) reads it: secret kind; the secret
# (v8: the region snippet, v7: ``properties.offender``) is only ever slow-hashed; no
# snippet, and the rule's description is the message.

_V7_MESSAGE = re.compile(r"^(?P<rule>.+?) secret detected\s*$")


def _sarif_finding(view: sarif.SarifResult, context: sarif.RunContext) -> Finding:
    rule_id, rule = view.rule_id, view.rule
    if not rule_id:
        # gitleaks v7 writes no ruleId: "AWS Access Key secret detected" names the rule.
        match = _V7_MESSAGE.match(view.message)
        named = match.group("rule") if match else "gitleaks"
        # A name no rule carries is shown only redacted: the message may hold the secret.
        rule_id = named if named in context.rules_by_id else redact(named)
        rule = context.rules_by_id.get(rule_id, rule)
    properties = view.result_properties
    offender = as_str(properties.get("offender"))  # v7: the secret; the snippet is the line
    secret = offender if offender is not None else view.snippet
    commit = as_str(properties.get("commit")) or as_str(
        sarif.as_dict(view.raw.get("partialFingerprints")).get("commitSha")
    )
    # Never the message: gitleaks v7 can put the secret in it.  The rule's description only:
    # some v8 releases write it as ``name`` and the rule's regex as ``shortDescription``.
    description = sarif.rule_text(rule, "name", "shortDescription", "fullDescription") or rule_id
    title = redact(sarif.one_line(description, sarif.MAX_TITLE))
    return Finding(
        tool=context.tool,
        kind=Kind.secret,
        rule_id=rule_id,
        title=title,
        severity=SECRET_SEVERITY,
        message=title,
        location=view.location(None),
        identifiers=view.identifiers,
        references=view.facts.references,
        suppression=view.suppression,
        commits=[commit] if commit else [],
        identity=sarif.secret_identity(rule_id, secret, view.snippet),
    )


SARIF_DIALECT = sarif.SarifDialect(
    claims=lambda name: name == "gitleaks",
    convert=_sarif_finding,
    no_rule="",  # gitleaks v7 writes no rule id: the message names the rule
)

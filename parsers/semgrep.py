"""semgrep ``--json`` reports.

One finding per entry of ``results``.  Identity is the rule's message, not the flagged lines:
semgrep drops the source text ("requires login") from its JSON when not logged in, while its
SARIF output always carries the same message text, so both formats of one scan agree.

Supply Chain results (``extra.sca_info``) are dependency findings: the package and version
semgrep found in a lockfile, the advisory's ids and fixed version from the rule's metadata,
and the identity of any dependency finding (advisory, package, lockfile).  Their SARIF names
no package, so there they stay code findings.

``errors[]`` are tool-reported problems (parse failures, invalid ``nosemgrep`` ids, rule
schema errors); the run failed when error-level errors come with nothing scanned and no
results.  semgrep's GitLab SAST output (``--gitlab-sast``) is claimed only to be skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from hardening import fingerprint, severity
from hardening.errors import ParseError
from hardening.jsonread import JsonStream, NotStreamable, read_json
from hardening.model import (
    CodeLocation,
    Component,
    Finding,
    Kind,
    RunStatus,
    Severity,
    Suppression,
    ToolRun,
)
from hardening.parsers import sarif
from hardening.parsers._io import (
    as_int,
    as_seconds,
    as_str,
    expect_dict,
    expect_list,
    path_mentions,
    strip_bom,
)
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import MASK, is_credential_rule, redact

#: What semgrep writes in place of ``extra.lines`` and ``extra.fingerprint`` when not logged in.
REQUIRES_LOGIN = "requires login"
#: ``extra.validation_state`` of every result no Semgrep Secrets validator looked at.
NO_VALIDATOR = "NO_VALIDATOR"

GITLAB_SAST_SKIP = (
    "GitLab SAST report (semgrep --gitlab-sast): not an input format; use --json or --sarif"
)

# Keys semgrep writes at the top of its JSON object (any output version, sorted or not).
_TOP_KEYS = (
    "results|errors|version|paths|time|engine_requested|interfile_languages_used"
    "|skipped_rules|profiling_results|explanations|rules|rules_parse_time"
)
_FIRST_KEY = re.compile(rb'^\s*\{\s*"(?:' + _TOP_KEYS.encode() + rb')"\s*:')
_RESULTS_KEY = re.compile(rb'"results"\s*:\s*\[')
_ERRORS_KEY = re.compile(rb'"errors"\s*:\s*\[')
_CHECK_ID = re.compile(rb'"check_id"\s*:\s*"')
_EXTRA = re.compile(rb'"extra"\s*:\s*\{')
_SARIF_RUNS = re.compile(rb'"runs"\s*:\s*\[')
_TOP_MARKERS = re.compile(
    rb'"(?:skipped_rules|interfile_languages_used|engine_requested|profiling_results)"\s*:'
    rb'|"paths"\s*:\s*\{\s*"(?:scanned|skipped|_comment)"'
)
# Bandit writes results and errors too, with these beside them; never claim it.
_OTHER_TOOL_MARKERS = re.compile(rb'"(?:generated_at|metrics|test_id|issue_severity)"\s*:')
_GITLAB_VULNERABILITIES = re.compile(rb'"vulnerabilities"\s*:\s*\[')
_GITLAB_SEMGREP = re.compile(
    rb'"(?:scanner|analyzer)"\s*:\s*\{(?:[^{}]|\{[^{}]*\})*?"id"\s*:\s*"semgrep"'
)

_CWE = re.compile(r"\bCWE[-_ ]?(\d+)\b", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
# A metavariable value shaped like a plain identifier without digits is code, not a secret.
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_.]*")

MAX_ERROR_LINE = 300
MAX_LISTED_RULES = 5


#: semgrep's legacy vocabulary (ERROR/WARNING/INFO) and its newer one -> normalized: semgrep
#: itself equates INFO with LOW, and EXPERIMENTAL/INVENTORY rules are informational.
SEVERITIES: Mapping[str, Severity] = {
    "CRITICAL": Severity.critical,
    "HIGH": Severity.high,
    "ERROR": Severity.high,
    "MEDIUM": Severity.medium,
    "MODERATE": Severity.medium,  # Supply Chain advisories' sca-severity
    "WARNING": Severity.medium,
    "LOW": Severity.low,
    "INFO": Severity.low,
    "EXPERIMENT": Severity.info,
    "EXPERIMENTAL": Severity.info,
    "INVENTORY": Severity.info,
}


class SemgrepJsonParser(Parser):
    name = "semgrep-json"
    information_uri = "https://semgrep.dev"
    tool = "semgrep"
    severities = SEVERITIES
    format = "json"

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return SARIF_DIALECT

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        head = strip_bom(head)
        if not head.lstrip().startswith(b"{"):
            return None
        if _GITLAB_VULNERABILITIES.search(head) and _GITLAB_SEMGREP.search(head):
            return Detection(90, skip_reason=GITLAB_SAST_SKIP)
        if not _FIRST_KEY.match(head) or not _RESULTS_KEY.search(head):
            return None
        if _OTHER_TOOL_MARKERS.search(head) or _SARIF_RUNS.search(head):
            return None
        if _CHECK_ID.search(head) and _EXTRA.search(head):
            return Detection(90)
        if not _ERRORS_KEY.search(head):
            return None
        if _TOP_MARKERS.search(head):
            return Detection(90)
        # Old minimal reports hold nothing but {"results": [], "errors": []}.
        return Detection(70 if path_mentions(path, "semgrep") else 60)

    def parse(self, artifact: Artifact) -> ParseResult:
        return read_json(artifact, _read_report, _stream_report, depth=2)


def _read_report(document: Any) -> ParseResult:
    report = expect_dict(document, "semgrep report")
    if "results" not in report:
        if "vulnerabilities" in report:
            raise ParseError(GITLAB_SAST_SKIP)
        raise ParseError("semgrep report has no 'results' list")
    results = expect_list(report.get("results"), "'results'")
    errors = expect_list(report.get("errors"), "'errors'")
    rules = _Rules()
    findings: list[Finding] = []
    skipped = SkippedEntries()
    for index, result in enumerate(results):
        try:
            findings.append(_finding(result, index, rules))
        except ParseError as error:
            skipped.add(f"results[{index}]", error)
    return _result(report, errors, findings, skipped)


def _stream_report(stream: JsonStream) -> ParseResult:
    """``_read_report`` over a stream: results one at a time, the other members whole."""
    if stream.peek() != "{":
        return _read_report(stream.value())  # not an object: _read_report says so
    report: dict[str, Any] = {}
    findings: list[Finding] | None = None
    skipped = SkippedEntries()
    rules = _Rules()
    for key in stream.members():
        if key in report:
            raise NotStreamable(f"repeated key {key!r}")
        if key != "results" or stream.peek() != "[":
            report[key] = stream.value()
            continue
        report[key] = findings = []
        for index, result in enumerate(stream.values()):
            try:
                findings.append(_finding(result, index, rules))
            except ParseError as error:
                skipped.add(f"results[{index}]", error)
    stream.finish()
    if findings is None:  # no results list: nothing big was read
        return _read_report(report)
    return _result(report, expect_list(report.get("errors"), "'errors'"), findings, skipped)


def _result(
    report: dict[str, Any], errors: list[Any], findings: list[Finding], skipped: SkippedEntries
) -> ParseResult:
    run = _run(report, errors, findings)
    skipped.report(run, read=len(findings))
    return ParseResult(runs=[run], findings=findings)


# --- run ------------------------------------------------------------------------------------


def _run(report: dict[str, Any], errors: list[Any], findings: list[Finding]) -> ToolRun:
    error_entries = [expect_dict(e, f"errors[{i}]") for i, e in enumerate(errors)]
    scanned = _scanned_paths(report.get("paths"))
    run = ToolRun(
        tool=SemgrepJsonParser.tool,
        format=SemgrepJsonParser.format,
        version=as_str(report.get("version")),
        scanned_paths=scanned,
        duration_seconds=_duration(report.get("time")),
        run_errors=[_error_line(e) for e in error_entries],
        warnings=_skipped_rules_warnings(report.get("skipped_rules")),
    )
    fatal = [e for e in error_entries if _is_error_level(e)]
    # Error-level errors alone do not fail a run (a rule may error on one file); they do
    # when semgrep produced nothing: no results and no file scanned, as on a config error.
    if fatal and not findings and not scanned:
        run.status = RunStatus.failed
        run.error = _error_line(fatal[0])
    elif scanned == [] and not findings:
        # It says it read no file and found nothing: that is no evidence of a clean tree.
        run.status = RunStatus.not_exercised
        run.error = "semgrep scanned no file (paths.scanned is empty) and reported no result"
    return run


def _duration(timing: Any) -> float | None:
    """The scan's wall time, which semgrep writes only when run with ``--time``."""
    if not isinstance(timing, dict):
        return None
    profiling = timing.get("profiling_times")
    if isinstance(profiling, dict) and "total_time" in profiling:
        return as_seconds(profiling.get("total_time"))
    return as_seconds(timing.get("total_time"))


def _scanned_paths(paths: Any) -> list[str] | None:
    if not isinstance(paths, dict) or "scanned" not in paths:
        return None
    scanned = expect_list(paths.get("scanned"), "'paths.scanned'")
    return [p for p in (as_str(item) for item in scanned) if p is not None]


def _is_error_level(error: dict[str, Any]) -> bool:
    # semgrep writes "error", "warn" or "warning"; an entry without a level is taken as error.
    level = as_str(error.get("level"))
    return level is None or level.strip().lower() == "error"


def _error_line(error: dict[str, Any]) -> str:
    """One redacted line: the error type, where, and the shortest message semgrep gave."""
    parts = [_error_type(error.get("type"))]
    where = as_str(error.get("path")) or _first_span_file(error.get("spans"))
    if where is None:
        where = as_str(error.get("rule_id"))
    message = next(
        (
            text
            for key in ("message", "short_msg", "long_msg")
            if (text := as_str(error.get(key))) and text.strip()
        ),
        None,
    )
    # semgrep's messages often start by naming the file already ("... at line a.go:10").
    if where and not (message and where in message):
        parts.append(where)
    if message:
        parts.append(_one_line(message))
    return redact(": ".join(parts))[:MAX_ERROR_LINE]


def _error_type(value: Any) -> str:
    # Newer semgrep writes some types as a list: ["PartialParsing", [<locations>]].
    if isinstance(value, list) and value:
        value = value[0]
    return as_str(value) or "SemgrepError"


def _first_span_file(spans: Any) -> str | None:
    if isinstance(spans, list) and spans and isinstance(spans[0], dict):
        return as_str(spans[0].get("file"))
    return None


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _skipped_rules_warnings(skipped: Any) -> list[str]:
    if not isinstance(skipped, list) or not skipped:
        return []
    ids = [
        rule_id
        for entry in skipped
        if isinstance(entry, dict) and (rule_id := as_str(entry.get("rule_id")))
    ]
    listed = ", ".join(ids[:MAX_LISTED_RULES]) + (" ..." if len(ids) > MAX_LISTED_RULES else "")
    suffix = f": {listed}" if listed else ""
    return [redact(f"semgrep skipped {len(skipped)} rule(s){suffix}")]


# --- findings -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RuleFacts:
    """What a rule's metadata says about each of its results."""

    title: str
    identifiers: tuple[str, ...]
    credential: bool
    references: tuple[str, ...]
    #: owasp, likelihood, impact, category: shared by the rule's findings (see ``Finding``).
    properties: dict[str, Any]

    @classmethod
    def of(cls, rule_id: str, metadata: dict[str, Any]) -> _RuleFacts:
        identifiers = _cwe_ids(metadata.get("cwe"))
        return cls(
            title=_title(rule_id, metadata),
            identifiers=tuple(identifiers),
            # Semgrep Secrets rules say so in their metadata, whatever CWE they carry.
            credential=is_credential_rule(identifiers) or metadata.get("product") == "secrets",
            references=tuple(_references(metadata)),
            properties=_rule_properties(metadata),
        )


#: The metadata members ``_RuleFacts`` reads, besides the short description (any value but
#: a string reads as none there).
_RULE_KEYS = (
    "cwe",
    "product",
    "references",
    "source",
    "source-rule-url",
    "owasp",
    "likelihood",
    "impact",
    "category",
)
_MAX_RULES = 1 << 16


class _Rules:
    """The facts of each rule of a report: every result of a rule repeats its metadata.

    A result's metadata equal to the one the facts were read from gives the same facts, when
    that one holds only strings (and lists of them) where the facts are read: then equality
    is exact (``1 == 1.0 == True`` would not be, and reads differently).
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[dict[str, Any], _RuleFacts]] = {}

    def facts(self, rule_id: str, metadata: dict[str, Any]) -> _RuleFacts:
        known = self._known.get(rule_id)
        if known is not None and known[0] == metadata:
            return known[1]
        facts = _RuleFacts.of(rule_id, metadata)
        if len(self._known) < _MAX_RULES and all(map(_plain, map(metadata.get, _RULE_KEYS))):
            self._known[rule_id] = (metadata, facts)
        return facts


def _plain(value: Any) -> bool:
    """A string, None or a list of strings: what equals it is of the same type."""
    if value is None or type(value) is str:
        return True
    return type(value) is list and {*map(type, value)} <= _STRINGS


_STRINGS = {str}


def _finding(entry: Any, index: int, rules: _Rules) -> Finding:
    where = f"results[{index}]"
    result = entry if type(entry) is dict else expect_dict(entry, where)
    rule_id = _required_str(result, "check_id", where)
    path = _required_str(result, "path", where)
    extra = expect_dict(result.get("extra", {}), f"{where}.extra")
    metadata = extra.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    raw_message = as_str(extra.get("message")) or ""
    facts = rules.facts(rule_id, metadata)
    validation = as_str(extra.get("validation_state"))
    # A validator's verdict means a Semgrep Secrets rule matched a secret.
    validated = validation is not None and validation != NO_VALIDATOR
    credential = facts.credential or validated
    word = as_str(extra.get("severity"))
    fix = as_str(extra.get("fix"))
    properties = facts.properties  # the rule's, unless the result adds its own
    if validated or (fix and not credential):
        properties = dict(properties)
        if validated:
            properties["validation_state"] = validation
        # A credential rule's autofix may spell out the value it replaces.
        if fix and not credential:
            properties["fix"] = redact(fix)
    dependency = _found_dependency(extra.get("sca_info"))
    if dependency is not None:
        return _dependency_finding(result, rule_id, path, extra, metadata, facts, dependency)
    return Finding(
        tool=SemgrepJsonParser.tool,
        kind=Kind.code,
        rule_id=rule_id,
        title=facts.title,
        severity=_severity(word),
        tool_severity=word,
        confidence=as_str(metadata.get("confidence")),
        message=_display_message(raw_message, extra.get("metavars"), credential),
        location=_location(result, path, extra, credential),
        # The rule's tuples, shared by its findings.
        identifiers=facts.identifiers,
        references=facts.references,
        suppression=_nosemgrep(extra),
        # The message, not the lines: see the module docstring.  Digest of the raw text.
        identity=[fingerprint.text_digest(raw_message)],
        properties=properties,
    )


# --- Supply Chain -----------------------------------------------------------------------------

_ADVISORY_ID = re.compile(r"^(?:CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3}|GO-\d{4}-\d+|MAL-[\w-]+)$")


def _found_dependency(sca_info: Any) -> dict[str, Any] | None:
    """``sca_info.dependency_match.found_dependency`` when it names a package."""
    if not isinstance(sca_info, dict):
        return None
    match = sca_info.get("dependency_match")
    if not isinstance(match, dict):
        return None
    found = match.get("found_dependency")
    if isinstance(found, dict) and as_str(found.get("package")):
        return {**found, "lockfile": match.get("lockfile"), "reachable": sca_info.get("reachable")}
    return None


def _dependency_finding(
    result: dict[str, Any],
    rule_id: str,
    path: str,
    extra: dict[str, Any],
    metadata: dict[str, Any],
    facts: _RuleFacts,
    found: dict[str, Any],
) -> Finding:
    package = as_str(found.get("package")) or ""
    lockfile = as_str(found.get("lockfile_path")) or as_str(found.get("lockfile")) or path
    advisories = _advisory_ids(metadata)
    # The advisory semgrep's rule is about; its rule id when the metadata names none.
    vuln_id = as_str(metadata.get("sca-vuln-database-identifier")) or (
        advisories[0] if advisories else rule_id
    )
    # semgrep shows the advisory's own severity (sca-severity) for these, not the rule's.
    word = as_str(metadata.get("sca-severity")) or as_str(extra.get("severity"))
    properties: dict[str, Any] = {key: v for key, v in facts.properties.items() if key != "owasp"}
    for key, value in (
        ("sca_kind", as_str(metadata.get("sca-kind"))),
        ("transitivity", as_str(found.get("transitivity"))),
        ("reachable", found.get("reachable") if isinstance(found.get("reachable"), bool) else None),
    ):
        if value is not None:
            properties[key] = value
    return Finding(
        tool=SemgrepJsonParser.tool,
        kind=Kind.dependency,
        rule_id=rule_id,
        # Supply Chain rule ids are opaque ("ssc-<hash>"): the advisory and package say more.
        title=facts.title if _short(metadata) else redact(f"{vuln_id} in {package}"),
        severity=_severity(word),
        tool_severity=word,
        confidence=as_str(metadata.get("confidence")),
        message=redact(as_str(extra.get("message")) or ""),
        location=_location(result, path, extra, credential=False),
        component=Component(
            name=package,
            installed_version=as_str(found.get("version")),
            fixed_version=_fixed_version(metadata.get("sca-fix-versions"), package),
            target=lockfile,
            ecosystem=as_str(found.get("ecosystem")),
        ),
        identifiers=[*facts.identifiers, *(a for a in advisories if a not in facts.identifiers)],
        references=list(facts.references),
        suppression=_nosemgrep(extra),
        identity=[vuln_id, package, lockfile],
        properties=properties,
    )


def _advisory_ids(metadata: dict[str, Any]) -> list[str]:
    """CVE, GHSA and other advisory ids the rule's metadata names (a string or a list each)."""
    ids: list[str] = []
    for key in ("sca-vuln-database-identifier", "cve", "ghsa"):
        value = metadata.get(key)
        for item in value if isinstance(value, list) else [value]:
            text = as_str(item)
            if text and _ADVISORY_ID.match(text.strip()) and text.strip() not in ids:
                ids.append(text.strip())
    return ids


def _fixed_version(fixes: Any, package: str) -> str | None:
    """``sca-fix-versions``: a list of ``{package: version}``; the package's own, else none."""
    if not isinstance(fixes, list):
        return None
    versions = [
        text
        for entry in fixes
        if isinstance(entry, dict)
        for name, version in entry.items()
        if name == package and (text := as_str(version))
    ]
    return ", ".join(versions) or None


_SEVERITIES: dict[str | None, Severity] = {}


def _severity(word: str | None) -> Severity:
    known = _SEVERITIES.get(word)
    if known is None:
        known = severity.lookup(SEVERITIES, word)
        if len(_SEVERITIES) < _MAX_RULES:
            _SEVERITIES[word] = known
    return known


def _nosemgrep(extra: dict[str, Any]) -> Suppression | None:
    """A ``nosemgrep`` comment on the line (semgrep keeps such results with
    ``--disable-nosem``, marked ``is_ignored``)."""
    if extra.get("is_ignored") is True:
        return Suppression(kind="inSource", justification="nosemgrep")
    return None


def _short(metadata: dict[str, Any]) -> str | None:
    """The only part of the metadata ``_title`` reads."""
    short = metadata.get("shortDescription")
    if isinstance(short, dict):
        short = short.get("text")
    return short if isinstance(short, str) else None


def _required_str(result: dict[str, Any], key: str, where: str) -> str:
    value = result.get(key)
    if not isinstance(value, str) or not value:
        raise ParseError(f"{where}.{key} is missing or not a string")
    return value


def _title(rule_id: str, metadata: dict[str, Any]) -> str:
    short = _short(metadata)  # also SARIF-style {"text": ...} in some registries' metadata
    if short is not None and short.strip():
        return redact(_one_line(short))
    last = rule_id.rsplit(".", 1)[-1]
    words = re.sub(r"[-_]+", " ", last).strip() or rule_id
    return words[:1].upper() + words[1:]


def _cwe_ids(value: Any) -> list[str]:
    """``"CWE-328: Use of Weak Hash"`` -> ``CWE-328``; semgrep writes a string or a list."""
    items = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for item in items:
        text = as_str(item)
        if text is None:
            continue
        match = _CWE.search(text) or (re.fullmatch(r"\s*(\d+)\s*", text))
        if match and (cwe := f"CWE-{int(match.group(1))}") not in ids:
            ids.append(cwe)
    return ids


_REFERENCE_KEYS = ("references", "source", "source-rule-url")


def _references(metadata: dict[str, Any]) -> list[str]:
    urls: list[str] = []
    candidates: list[Any] = []
    for key in _REFERENCE_KEYS:
        value = metadata.get(key)
        candidates.extend(value if isinstance(value, list) else [value])
    for candidate in candidates:
        text = as_str(candidate)
        if text and text.startswith(("https://", "http://")) and text not in urls:
            urls.append(text)
    return urls


def _location(
    result: dict[str, Any], path: str, extra: dict[str, Any], credential: bool
) -> CodeLocation:
    start = _position(result.get("start"))
    end = _position(result.get("end"))
    lines = as_str(extra.get("lines"))
    # Credential rules never show their snippet; "requires login" is no source text.
    snippet = None if credential or lines is None or lines == REQUIRES_LOGIN else redact(lines)
    return CodeLocation(
        path=path,
        start_line=as_int(start.get("line")),
        end_line=as_int(end.get("line")),
        start_column=as_int(start.get("col")),
        end_column=as_int(end.get("col")),
        snippet=snippet,
    )


def _position(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _display_message(message: str, metavars: Any, credential: bool) -> str:
    """The redacted message; for credential rules also without interpolated metavariables.

    semgrep interpolates metavariables into messages, so a credential rule's message may hold
    the very value it flags; values shaped like plain identifiers (variable names) stay.
    """
    if credential and isinstance(metavars, dict):
        for value in _metavar_values(metavars):
            if not _PLAIN_IDENTIFIER.fullmatch(value):
                message = message.replace(value, MASK)
    return redact(message)


def _metavar_values(metavars: dict[str, Any]) -> list[str]:
    values: list[str] = []
    for binding in metavars.values():
        if not isinstance(binding, dict):
            continue
        candidates = [binding.get("abstract_content")]
        propagated = binding.get("propagated_value")
        if isinstance(propagated, dict):
            candidates.append(propagated.get("svalue_abstract_content"))
        values.extend(text for c in candidates if (text := as_str(c)) and len(text) >= 3)
    # Longest first, so a value containing another is masked whole.
    return sorted(set(values), key=len, reverse=True)


def _rule_properties(metadata: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    owasp = metadata.get("owasp")
    owasp_items = owasp if isinstance(owasp, list) else [owasp]
    owasp_texts = [redact(text) for item in owasp_items if (text := as_str(item))]
    if owasp_texts:
        properties["owasp"] = owasp_texts
    for key in ("likelihood", "impact", "category"):
        text = as_str(metadata.get(key))
        if text:
            properties[key] = redact(text)
    return properties


# --- SARIF dialect ------------------------------------------------------------------------
# semgrep's SARIF, as the SARIF parser (``parsers.sarif``) reads it: the message as
# identity, as the JSON parser hashes it (semgrep's JSON drops source text when logged out).

_SEMGREP_LEVELS = {"error": "ERROR", "warning": "WARNING", "note": "INFO", "none": "INFO"}


def _sarif_finding(view: sarif.SarifResult, context: sarif.RunContext) -> Finding:
    severity_pair = sarif.score_severity(view, SEVERITIES)
    if severity_pair is None:
        word = _SEMGREP_LEVELS.get((view.level or "warning").lower(), "WARNING")
        severity_pair = (severity.lookup(SEVERITIES, word), word)
    suppression = view.suppression
    if suppression is not None and suppression.kind == "inSource" and not suppression.justification:
        suppression = Suppression(kind="inSource", justification="nosemgrep")
    return sarif.code_finding(
        view,
        context,
        # The message, as semgrep's JSON parser hashes it (see the module docstring).
        identity=[fingerprint.text_digest(view.message)],
        severity_pair=severity_pair,
        title=_semgrep_title(view),
        suppression=suppression,
    )


def _semgrep_title(view: sarif.SarifResult) -> str:
    """semgrep writes "Semgrep Finding: <rule>" when a rule has no short description.

    Before 1.x it wrote the rule's message template (``Function $F ...``) as both short and
    full description: no title either, so the JSON parser's title from the rule id stands.
    """
    short = sarif.rule_text(view.rule, "shortDescription")
    if (
        short
        and not short.startswith("Semgrep Finding:")
        and short != sarif.rule_text(view.rule, "fullDescription")
    ):
        return redact(sarif.one_line(short, sarif.MAX_TITLE))
    last = view.rule_id.rsplit(".", 1)[-1]
    words = re.sub(r"[-_]+", " ", last).strip() or view.rule_id
    return redact(words[:1].upper() + words[1:])


SARIF_DIALECT = sarif.SarifDialect(
    claims=lambda name: name.startswith("semgrep"),
    convert=_sarif_finding,
)

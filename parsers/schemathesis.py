"""Schemathesis reports: JUnit XML (3.x and 4.x layouts), ``--report ndjson``, ``--report json``.

One finding is one (API operation, failed check): repeats of a failure across test cases and
phases collapse into it, counted in ``occurrences``.  Every format names checks differently
(``ST103``, "Undocumented HTTP status code", ``UndefinedStatusCode``,
``status_code_conformance``); they all map to one canonical id, Schemathesis' check function
name, so identity and severity do not depend on the format.

Errors that stopped a test are run errors, not findings.  A run in which no operation was
really exercised (every operation errored, or none ran) is ``not_exercised``.  Schemathesis'
other outputs (VCR cassettes, HAR captures, WFC reports) are claimed only to be skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, ClassVar
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from hardening import fingerprint, targets
from hardening.errors import ParseError
from hardening.jsonread import decode, loads
from hardening.model import Endpoint, Finding, Kind, RunStatus, Severity, ToolRun
from hardening.parsers._io import (
    as_int,
    as_seconds,
    as_str,
    expect_dict,
    expect_list,
    shown,
    strip_bom,
)
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import redact

TOOL = "schemathesis"

#: Check (canonical id) -> severity, the same whichever format named the check.
CHECK_SEVERITIES: dict[str, Severity] = {
    "not_a_server_error": Severity.high,
    "ignored_auth": Severity.high,
    "object_level_authorization": Severity.high,
    "use_after_free": Severity.high,
    "response_schema_conformance": Severity.medium,
    "negative_data_rejection": Severity.medium,
    "positive_data_acceptance": Severity.medium,
    "ensure_resource_availability": Severity.medium,
    "missing_required_header": Severity.medium,
    "status_code_conformance": Severity.low,
    "content_type_conformance": Severity.low,
    "response_headers_conformance": Severity.low,
    "unsupported_method": Severity.low,
    "allow_header_conformance": Severity.low,
    "max_response_time": Severity.low,
}
#: The severity of a check not in the table (a custom one).
CHECK_DEFAULT = Severity.medium

# ---------------------------------------------------------------------------------------------
# Check names: every name a format uses -> one canonical check id (the check function's name).
# ---------------------------------------------------------------------------------------------

#: Short human title per canonical check (Schemathesis 4.x failure kind titles).
CHECK_TITLES: dict[str, str] = {
    "not_a_server_error": "Server error",
    "status_code_conformance": "Undocumented status code",
    "content_type_conformance": "Undocumented Content-Type",
    "response_headers_conformance": "Response headers violate the schema",
    "response_schema_conformance": "Response violates schema",
    "negative_data_rejection": "Schema-violating request accepted",
    "positive_data_acceptance": "Schema-valid request rejected",
    "missing_required_header": "Missing required header accepted",
    "unsupported_method": "Wrong response to undeclared method",
    "allow_header_conformance": "Allow header mismatch",
    "use_after_free": "Deleted resource still available",
    "ensure_resource_availability": "Created resource not found",
    "ignored_auth": "Authentication not enforced",
    "object_level_authorization": "Object-level authorization bypass",
    "max_response_time": "Response time limit exceeded",
}

#: ST failure codes (Schemathesis >= 4.x).  A code some checks share maps to the check that
#: reports it first; titles below tell the others apart where a format gives both.
CODE_TO_CHECK: dict[str, str] = {
    "ST101": "not_a_server_error",  # ServerError
    "ST102": "not_a_server_error",  # ContentTypeServerError
    "ST103": "status_code_conformance",  # UndefinedStatusCode
    "ST104": "content_type_conformance",  # MissingContentType
    "ST105": "content_type_conformance",  # UndefinedContentType
    "ST106": "content_type_conformance",  # MalformedMediaType
    "ST107": "response_headers_conformance",  # MissingHeaders
    "ST108": "response_schema_conformance",  # JsonSchemaError (headers: see titles)
    "ST109": "response_schema_conformance",  # MalformedJson
    "ST110": "response_schema_conformance",  # ContentDeserializationError
    "ST111": "response_schema_conformance",  # DiscriminatorMismatch
    "ST112": "max_response_time",  # ResponseTimeExceeded
    "ST113": "not_a_server_error",  # GraphQLServerError
    "ST114": "response_schema_conformance",  # GraphQLSchemaViolation
    "ST115": "response_schema_conformance",  # UnexpectedGraphQLResponse
    "ST201": "negative_data_rejection",  # AcceptedNegativeData
    "ST202": "positive_data_acceptance",  # RejectedPositiveData
    "ST203": "missing_required_header",  # MissingHeaderNotRejected
    "ST204": "unsupported_method",  # UnsupportedMethodResponse
    "ST205": "allow_header_conformance",  # AllowHeaderMismatch
    "ST206": "positive_data_acceptance",  # GraphQLClientError
    "ST301": "use_after_free",  # UseAfterFree
    "ST302": "ensure_resource_availability",  # EnsureResourceAvailability
    "ST401": "ignored_auth",  # IgnoredAuth
    "ST402": "object_level_authorization",  # ObjectLevelAuthorizationViolation
}

#: Failure titles of 3.x and 4.x (lower-cased), including the specific titles some checks
#: give instead of their kind title.
TITLE_TO_CHECK: dict[str, str] = {
    "server error": "not_a_server_error",
    "server error on undeclared request content-type": "not_a_server_error",
    "graphql server error": "not_a_server_error",
    "undocumented http status code": "status_code_conformance",
    "undocumented status code": "status_code_conformance",
    "undocumented content-type": "content_type_conformance",
    "missing content-type header": "content_type_conformance",
    "malformed media type": "content_type_conformance",
    "missing required headers": "response_headers_conformance",
    "missing required response headers": "response_headers_conformance",
    "response header does not conform to the schema": "response_headers_conformance",
    "response violates schema": "response_schema_conformance",
    "json deserialization error": "response_schema_conformance",
    "content deserialization error": "response_schema_conformance",
    "unknown discriminator value": "response_schema_conformance",
    "sse event violates schema": "response_schema_conformance",
    "sse stream violates schema": "response_schema_conformance",
    "sse event payload violates content schema": "response_schema_conformance",
    "null in non-nullable graphql field": "response_schema_conformance",
    "unexpected graphql response": "response_schema_conformance",
    "accepted negative data": "negative_data_rejection",
    "api accepted schema-violating request": "negative_data_rejection",
    "schema-violating request accepted": "negative_data_rejection",
    "rejected positive data": "positive_data_acceptance",
    "api rejected schema-compliant request": "positive_data_acceptance",
    "schema-valid request rejected": "positive_data_acceptance",
    "graphql client error": "positive_data_acceptance",
    "missing header not rejected": "missing_required_header",
    "missing required header accepted": "missing_required_header",
    "unsupported methods": "unsupported_method",
    "wrong response to undeclared method": "unsupported_method",
    "allow header mismatch": "allow_header_conformance",
    "use after free": "use_after_free",
    "deleted resource still available": "use_after_free",
    "resource is not available after creation": "ensure_resource_availability",
    "created resource not found": "ensure_resource_availability",
    "authentication declared but not enforced": "ignored_auth",
    "authentication not enforced": "ignored_auth",
    "api accepts requests without authentication": "ignored_auth",
    "api accepts invalid authentication": "ignored_auth",
    "unexpected response to a request without authentication": "ignored_auth",
    "unexpected response to invalid authentication": "ignored_auth",
    "object-level authorization bypass": "object_level_authorization",
    "response time limit exceeded": "max_response_time",
    "response time exceeded": "max_response_time",
}

#: Failure class names, as the json report's ``type`` and the ndjson ``failure.type`` give them.
TYPE_TO_CHECK: dict[str, str] = {
    "ServerError": "not_a_server_error",
    "ContentTypeServerError": "not_a_server_error",
    "GraphQLServerError": "not_a_server_error",
    "UndefinedStatusCode": "status_code_conformance",
    "UndefinedContentType": "content_type_conformance",
    "MissingContentType": "content_type_conformance",
    "MalformedMediaType": "content_type_conformance",
    "MissingHeaders": "response_headers_conformance",
    "JsonSchemaError": "response_schema_conformance",
    "MalformedJson": "response_schema_conformance",
    "ContentDeserializationError": "response_schema_conformance",
    "DiscriminatorMismatch": "response_schema_conformance",
    "GraphQLSchemaViolation": "response_schema_conformance",
    "UnexpectedGraphQLResponse": "response_schema_conformance",
    "AcceptedNegativeData": "negative_data_rejection",
    "RejectedPositiveData": "positive_data_acceptance",
    "GraphQLClientError": "positive_data_acceptance",
    "MissingHeaderNotRejected": "missing_required_header",
    "UnsupportedMethodResponse": "unsupported_method",
    "AllowHeaderMismatch": "allow_header_conformance",
    "UseAfterFree": "use_after_free",
    "EnsureResourceAvailability": "ensure_resource_availability",
    "IgnoredAuth": "ignored_auth",
    "ObjectLevelAuthorizationViolation": "object_level_authorization",
    "ResponseTimeExceeded": "max_response_time",
}

#: Early 3.x JUnit messages were sentences, not titles.
LEGACY_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Received a response with 5xx status code", re.I), "not_a_server_error"),
    (
        re.compile(r"status code, which is not defined in the schema", re.I),
        "status_code_conformance",
    ),
    (
        re.compile(r"Content-Type, but it is not declared in the schema", re.I),
        "content_type_conformance",
    ),
    (
        re.compile(r"Response is missing the `?Content-Type`? header", re.I),
        "content_type_conformance",
    ),
    (re.compile(r"Received a response with missing headers", re.I), "response_headers_conformance"),
    (re.compile(r"does not conform to the defined schema", re.I), "response_schema_conformance"),
    (re.compile(r"Response time of .* exceeded", re.I), "max_response_time"),
]

_CUSTOM_CHECK_TITLE = re.compile(r"^(?:Custom check failed:\s*|Check\s+)`([^`]+)`")
_KNOWN_CHECKS = frozenset(CHECK_TITLES) | frozenset(CHECK_SEVERITIES)


def canonical_check(
    *,
    name: str | None = None,
    title: str | None = None,
    code: str | None = None,
    failure_type: str | None = None,
) -> str | None:
    """The canonical check id for whatever names a format gives, or None when none is known.

    A check function name wins; then the title (it tells apart checks sharing a code, such as
    ST108 for body and header schema violations); then the ST code; then the failure class.
    """
    if name and name.strip():
        return name.strip()
    if title:
        clean = _clean_title(title)
        by_title = TITLE_TO_CHECK.get(clean.lower())
        if by_title:
            return by_title
        custom = _CUSTOM_CHECK_TITLE.match(clean)
        if custom:
            return custom.group(1)
    if code and code.strip().upper() in CODE_TO_CHECK:
        return CODE_TO_CHECK[code.strip().upper()]
    if failure_type and failure_type in TYPE_TO_CHECK:
        return TYPE_TO_CHECK[failure_type]
    return None


def _clean_title(title: str) -> str:
    """A failure title without its ST code prefix and ``(N violations)`` suffix."""
    text = re.sub(r"^ST\d{3}\s+", "", title.strip())
    return re.sub(r"\s*\(\d+ violations?\)$", "", text)


def check_title(check: str, tool_title: str | None) -> str:
    if check in CHECK_TITLES:
        return CHECK_TITLES[check]
    return _clean_title(tool_title) if tool_title else check


def check_severity(check: str) -> Severity:
    return CHECK_SEVERITIES.get(check, CHECK_DEFAULT)


# ---------------------------------------------------------------------------------------------
# Redaction of reproductions and one-line texts
# ---------------------------------------------------------------------------------------------

_MAX_MESSAGE = 400
_MAX_MESSAGE_LINES = 4
_MAX_LINE = 300
_MAX_CURL = 2000


def redact_curl(curl: str) -> str:
    """A reproduction command, redacted (the shared redactor knows curl's credential options
    and headers) and cut to a readable length."""
    text = redact(curl)
    return text if len(text) <= _MAX_CURL else text[: _MAX_CURL - 1] + "…"


def one_line(text: str, limit: int = _MAX_LINE) -> str:
    """Redacted text collapsed onto one line and cut to ``limit`` characters."""
    line = " ".join(redact(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def short_message(text: str) -> str:
    """The leading paragraphs of a failure message, redacted, at most a few lines.

    Whole paragraphs only, so a schema dump is not cut in half; a trailing heading whose body
    did not fit ("Schema at /properties/name:") is dropped too.
    """
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", redact(text).strip()) if p.strip()]
    kept: list[str] = []
    lines = 0
    for paragraph in paragraphs:
        size = paragraph.count("\n") + 1
        if kept and lines + size > _MAX_MESSAGE_LINES:
            break
        kept.append("\n".join(paragraph.splitlines()[:_MAX_MESSAGE_LINES]))
        lines += size
    while len(kept) > 1 and kept[-1].rstrip().endswith(":"):
        kept.pop()
    message = "\n\n".join(kept)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Operations and URLs
# ---------------------------------------------------------------------------------------------

_OPERATION = re.compile(r"^([A-Za-z]+)\s+(/\S*)")
#: Where Schemathesis reports run-level checks, which are about no single operation.
_RUN_CHECKS_LABEL = "Run checks"
_URL = re.compile(r"https?://[^\s'\"<>`]+", re.I)
_CURL_METHOD = re.compile(r"(?:^|\s)(?:-X|--request)\s+'?([A-Za-z]+)'?")


@dataclass(frozen=True)
class Operation:
    """An API operation: ``GET /items/{item_id}``, or a label such as ``Query.books``."""

    method: str | None
    path: str | None
    label: str

    @classmethod
    def from_label(cls, label: str) -> Operation:
        match = _OPERATION.match(label.strip())
        if match:
            return cls(method=match.group(1).upper(), path=match.group(2), label=label.strip())
        return cls(method=None, path=None, label=label.strip())


def _split_url(url: str) -> tuple[str, list[str]] | None:
    """(``scheme://host[:port]`` without credentials, path segments) of an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")
    return origin, [segment for segment in parts.path.split("/") if segment]


def endpoint_url(template: str, concrete_url: str | None) -> str:
    """The operation's path template prefixed with the base URL a concrete request shows.

    The base path is what precedes the template's segments in the concrete URL; query values
    and URL credentials are dropped.
    """
    if not concrete_url:
        return template
    split = _split_url(concrete_url)
    if split is None:
        return template
    origin, segments = split
    count = len([segment for segment in template.split("/") if segment])
    base = segments[: len(segments) - count] if len(segments) >= count else []
    prefix = "/" + "/".join(base) if base else ""
    return origin + prefix + template


def _matches(template: list[str], concrete: list[str]) -> bool:
    return len(template) == len(concrete) and all(
        t == c or (t.startswith("{") and t.endswith("}"))
        for t, c in zip(template, concrete, strict=True)
    )


def infer_operation(curl: str, known: Iterable[Operation]) -> Operation | None:
    """The operation a reproduction targets, for failures recorded under no operation name
    (stateful scenarios): a known operation whose template matches the URL, else the URL's
    path with ids collapsed."""
    url = _URL.search(curl)
    method_match = _CURL_METHOD.search(curl)
    if url is None:
        return None
    split = _split_url(url.group(0))
    if split is None:
        return None
    _origin, segments = split
    method = method_match.group(1).upper() if method_match else "GET"
    for operation in known:
        if operation.method != method or operation.path is None:
            continue
        template = [segment for segment in operation.path.split("/") if segment]
        if len(segments) >= len(template) and _matches(
            template, segments[len(segments) - len(template) :]
        ):
            return operation
    path = fingerprint.path_template("/" + "/".join(segments))
    return Operation(method=method, path=path, label=f"{method} {path}")


# ---------------------------------------------------------------------------------------------
# Collapsing failures into findings
# ---------------------------------------------------------------------------------------------


@dataclass
class FailureRecord:
    """One failed check as a format reports it, before collapsing repeats."""

    check: str
    operation: Operation | None
    message: str = ""
    tool_title: str | None = None
    code: str | None = None
    tool_severity: str | None = None
    status_code: int | None = None
    case_id: str | None = None
    curl: str | None = None
    concrete_url: str | None = None
    phase: str | None = None
    occurrences: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Group:
    first: FailureRecord
    occurrences: int = 0
    phases: list[str] = field(default_factory=list)


class FindingCollector:
    """Collapses failure records into one finding per (operation, canonical check)."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str, str], _Group] = {}

    def add(self, record: FailureRecord) -> None:
        check, method, path = _identity(record)
        group = self._groups.get((check, method, path))
        if group is None:
            group = self._groups[(check, method, path)] = _Group(first=record)
        else:
            _fill_missing(group.first, record)
        group.occurrences += record.occurrences
        if record.phase and record.phase not in group.phases:
            group.phases.append(record.phase)

    def findings(self) -> list[Finding]:
        return [_finding(group) for group in self._groups.values()]


def _identity(record: FailureRecord) -> list[str]:
    operation = record.operation
    if operation is None:
        return [record.check, "", ""]
    where = operation.path if operation.path is not None else operation.label
    return [record.check, (operation.method or "").upper(), fingerprint.path_template(where)]


def _fill_missing(first: FailureRecord, later: FailureRecord) -> None:
    # The first record leads; a later one fills what it lacked (a status, a reproduction).
    for name in ("message", "tool_title", "code", "tool_severity", "status_code", "case_id"):
        if not getattr(first, name) and getattr(later, name):
            setattr(first, name, getattr(later, name))
    if not first.curl and later.curl:
        first.curl = later.curl
        first.concrete_url = later.concrete_url


def _finding(group: _Group) -> Finding:
    record = group.first
    check = record.check
    title = check_title(check, record.tool_title)
    message = short_message(record.message) if record.message.strip() else ""
    if not message:
        message = title + (f" (HTTP {record.status_code})" if record.status_code else "")
    properties: dict[str, Any] = {}
    if record.operation is not None:
        properties["operation"] = one_line(record.operation.label)
    if record.code:
        properties["check_code"] = record.code
    if record.status_code is not None:
        properties["status_code"] = record.status_code
    if record.case_id:
        properties["test_case_id"] = one_line(record.case_id, 64)
    if record.curl:
        properties["reproduction"] = redact_curl(record.curl)
    if group.phases:
        properties["phases"] = group.phases
    properties.update(record.extra)
    return Finding(
        tool=TOOL,
        kind=Kind.api,
        rule_id=check,
        title=title,
        severity=check_severity(check),
        tool_severity=record.tool_severity,
        message=message,
        endpoint=_endpoint(record),
        occurrences=max(group.occurrences, 1),
        identity=_identity(record),
        properties=properties,
    )


def _endpoint(record: FailureRecord) -> Endpoint | None:
    operation = record.operation
    if operation is None:
        return None
    if operation.path is None:
        return Endpoint(method=operation.method, url=redact(operation.label))
    url = endpoint_url(operation.path, record.concrete_url)
    return Endpoint(method=operation.method, url=redact(url))


def _unknown_check_warning(names: Iterable[str | None]) -> str:
    shown = ", ".join(repr(one_line(name, 60)) for name in names if name) or "an unnamed check"
    return f"failure of an unknown Schemathesis check ({shown}) kept under its own name"


def _fallback_check(code: str | None, title: str | None, failure_type: str | None) -> str:
    """A stable id for a check this module does not know (newer Schemathesis, plugins)."""
    if code and code.strip():
        return code.strip().upper()
    if title and title.strip():
        slug = re.sub(r"[^a-z0-9]+", "_", _clean_title(title).lower()).strip("_")
        return slug[:60] or "unknown_check"
    if failure_type and failure_type.strip():
        return failure_type.strip()
    return "unknown_check"


def resolve_check(
    warnings: list[str],
    *,
    name: str | None = None,
    title: str | None = None,
    code: str | None = None,
    failure_type: str | None = None,
) -> str:
    check = canonical_check(name=name, title=title, code=code, failure_type=failure_type)
    if check is not None:
        if check not in _KNOWN_CHECKS and name is None:
            # A custom check named in its title: known by that name, but say so once.
            note = _unknown_check_warning([check])
            if note not in warnings:
                warnings.append(note)
        return check
    fallback = _fallback_check(code, title, failure_type)
    note = _unknown_check_warning([code, title, failure_type])
    if note not in warnings:
        warnings.append(note)
    return fallback


# ---------------------------------------------------------------------------------------------
# Run status
# ---------------------------------------------------------------------------------------------


def counted(lines: list[str]) -> list[str]:
    """Identical error lines once each, in first-seen order, with how often they occurred
    (the same timeout is reported by every phase that met it)."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [line if count == 1 else f"{line} (x{count})" for line, count in counts.items()]


def exercise_status(run: ToolRun, *, exercised: int, errored: int, errors: list[str]) -> None:
    """Mark a run that never exercised its target (no operation tested) as not exercised."""
    if exercised > 0 or run.status is RunStatus.failed:
        return
    run.status = RunStatus.not_exercised
    if errored or errors:
        example = f"; first error: {errors[0]}" if errors else ""
        count = errored or len(errors)
        run.error = one_line(
            f"no API operation was exercised: every operation errored ({count} error(s)){example}"
        )
    else:
        run.error = "no API operation was exercised: the report lists no tested operation"


# ---------------------------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------------------------

_JUNIT_ROOT = re.compile(rb"<testsuites?\b")
_JUNIT_SCHEMATHESIS = re.compile(rb"<testsuite\b[^>]*\bname\s*=\s*[\"']schemathesis[\"']", re.I)
_CODES_ONLY = re.compile(r"^\s*ST\d{3}(?:\s*,\s*ST\d{3})*\s*$")
_CASE_HEADER = re.compile(r"(?:^|\s)(\d+)\. Test Case ID: (\S+)")
_CURL_MARKER = re.compile(
    r"(?:Reproduce with|Run this cURL command to reproduce this \w+)\s*:[ \t]*"
)
_SEED_HINT = re.compile(r"\s*Or add this option to your command line parameters:.*\Z", re.S)
_CODE_PREFIX = re.compile(r"^(ST\d{3})\s+(.*)$", re.S)


@dataclass(frozen=True)
class _TextLayout:
    """How a failure text separates its parts: real lines (4.x element text) or the single
    line an XML parser makes of an attribute (3.x / early 4.x put the text in ``message``,
    where every newline becomes a space)."""

    check_start: re.Pattern[str]
    status: re.Pattern[str]
    flattened: bool


_LINES = _TextLayout(
    check_start=re.compile(r"^- (?=\S)", re.M),
    status=re.compile(r"^\[(\d{3})\] [^\n]*:[ \t]*$|^\s*<NO RESPONSE>", re.M),
    flattened=False,
)
# In a flattened attribute a check line was preceded by exactly one blank line ("\n\n"): two
# spaces after text.  Indented message content carries four more, so it never matches.
_FLAT = _TextLayout(
    check_start=re.compile(r"(?:^\s*|(?<=\S)\s{2})- (?=\S)"),
    status=re.compile(r"(?:^|(?<=\S)\s{2})\[(\d{3})\] [A-Za-z][^:\[\]]{0,80}:|<NO RESPONSE>"),
    flattened=True,
)


@dataclass
class TextCheck:
    code: str | None
    title: str
    message: str


@dataclass
class TextCase:
    """One numbered test case of a JUnit failure text."""

    case_id: str | None
    checks: list[TextCheck]
    status_code: int | None
    curl: str | None


def parse_failure_text(text: str, *, flattened: bool) -> list[TextCase]:
    """The test cases of a Schemathesis failure text: checks, response status, reproduction."""
    layout = _FLAT if flattened else _LINES
    headers = list(_CASE_HEADER.finditer(text))
    if not headers:
        return [_parse_case(None, text, layout)]
    cases = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        cases.append(_parse_case(header.group(2), text[header.end() : end], layout))
    return cases


def _parse_case(case_id: str | None, block: str, layout: _TextLayout) -> TextCase:
    curl_marker = _CURL_MARKER.search(block)
    body = block[: curl_marker.start()] if curl_marker else block
    curl = _curl_text(block[curl_marker.end() :], layout) if curl_marker else None
    status = layout.status.search(body)
    checks_region = body[: status.start()] if status else body
    status_code = as_int(status.group(1)) if status and status.group(1) else None
    checks = _split_checks(checks_region, layout)
    if not checks:
        checks = _legacy_checks(checks_region)
    return TextCase(case_id=case_id, checks=checks, status_code=status_code, curl=curl)


def _curl_text(rest: str, layout: _TextLayout) -> str | None:
    rest = _SEED_HINT.sub("", rest)
    if layout.flattened:
        text = " ".join(rest.split())
    else:
        # 4.x may print several steps, one command per line, each indented by four spaces.
        lines = [line.strip() for line in rest.strip("\n").splitlines()]
        text = "\n".join(line for line in lines if line)
    return text or None


def _split_checks(region: str, layout: _TextLayout) -> list[TextCheck]:
    starts = list(layout.check_start.finditer(region))
    checks = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(region)
        chunk = region[start.end() : end]
        if layout.flattened:
            pieces = re.split(r"\s{2,}", chunk.strip(), maxsplit=1)
            title = pieces[0]
            message = "\n".join(re.split(r"\s{2,}", pieces[1])) if len(pieces) > 1 else ""
        else:
            title, _, rest = chunk.partition("\n")
            message = textwrap.dedent(rest).strip()
        code_match = _CODE_PREFIX.match(title.strip())
        code = code_match.group(1) if code_match else None
        clean = _clean_title(code_match.group(2) if code_match else title)
        checks.append(TextCheck(code=code, title=clean, message=message.strip()))
    return checks


def _legacy_checks(region: str) -> list[TextCheck]:
    found = []
    for pattern, check in LEGACY_MESSAGES:
        match = pattern.search(region)
        if match:
            line_start = region.rfind("\n", 0, match.start()) + 1
            line_end = region.find("\n", match.end())
            sentence = region[line_start : line_end if line_end >= 0 else len(region)]
            sentence = re.sub(r"^\s*\d+\.\s*", "", sentence).strip()
            found.append(TextCheck(code=None, title=CHECK_TITLES[check], message=sentence))
    return found


def _read_xml(data: bytes) -> Any:
    if not strip_bom(data).strip():
        raise ParseError("empty file")
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden):
        raise ParseError(
            "XML with a DOCTYPE or entity declarations refused: reports must not carry DTDs"
        ) from None
    except DefusedXmlException as exc:
        raise ParseError(f"unsafe XML refused ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise ParseError(f"invalid or truncated XML: {exc}") from None
    except LookupError:  # the XML declaration names an encoding Python does not know
        raise ParseError("the XML declaration names an unknown character encoding") from None


def _local(tag: Any) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1]


@dataclass
class _JunitCase:
    operation: Operation
    failures: list[Any]
    errors: list[Any]
    skipped: list[Any]


class SchemathesisJunitParser(Parser):
    name: ClassVar[str] = "schemathesis-junit"
    tool: ClassVar[str] = TOOL
    information_uri: ClassVar[str | None] = "https://schemathesis.readthedocs.io"
    format: ClassVar[str] = "junit-xml"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        # Only Schemathesis' own JUnit: its suite is named "schemathesis" (gitleaks and trivy
        # JUnit exports belong to their tools' parsers).
        if _JUNIT_ROOT.search(head) and _JUNIT_SCHEMATHESIS.search(head):
            return Detection(90)
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        root = _read_xml(artifact.read_bytes())
        cases = _schemathesis_cases(root)
        run = ToolRun(tool=TOOL, format=self.format, duration_seconds=_junit_time(root))
        collector = FindingCollector()
        known = [case.operation for case in cases if case.operation.path is not None]
        layouts: set[str] = set()
        for case in cases:
            for failure in case.failures:
                layouts.add(_add_junit_failure(collector, case.operation, failure, known, run))
            for error in case.errors:
                run.run_errors.append(_junit_error_line(case.operation, error))
        run.run_errors = counted(run.run_errors)
        if layouts:
            run.properties["junit_layout"] = sorted(layouts)
        # A testcase with no outcome element passed; one with only <error> or <skipped> did not
        # exercise its operation.
        exercised = sum(1 for case in cases if case.failures or not (case.errors or case.skipped))
        errored = sum(1 for case in cases if case.errors and not case.failures)
        exercise_status(run, exercised=exercised, errored=errored, errors=run.run_errors)
        return ParseResult(runs=[run], findings=collector.findings())


def _junit_time(root: Any) -> float | None:
    """The run's time: the ``time`` of the suite named schemathesis (or of the root)."""
    suites = [root] if _local(root.tag) == "testsuite" else list(root)
    ours = [
        as_seconds(suite.get("time"))
        for suite in suites
        if _local(suite.tag) == "testsuite" and (suite.get("name") or "").strip().lower() == TOOL
    ]
    if ours and all(value is not None for value in ours):
        return sum(value for value in ours if value is not None)
    return as_seconds(root.get("time"))


def _schemathesis_cases(root: Any) -> list[_JunitCase]:
    """The testcases of the suites named "schemathesis" (the name its JUnit writer gives)."""
    root_tag = _local(root.tag)
    if root_tag == "testsuite":
        suites = [root]
    elif root_tag == "testsuites":
        suites = [element for element in root if _local(element.tag) == "testsuite"]
    else:
        raise ParseError(f"root element is <{shown(root_tag)}>, expected <testsuites>")
    ours = [suite for suite in suites if (suite.get("name") or "").strip().lower() == TOOL]
    if not ours:
        raise ParseError("not a Schemathesis JUnit report: no testsuite named 'schemathesis'")
    return [_junit_case(element) for suite in ours for element in suite if _is_case(element)]


def _is_case(element: Any) -> bool:
    return _local(element.tag) == "testcase"


def _junit_case(element: Any) -> _JunitCase:
    name = element.get("name") or element.get("classname") or ""
    # 3.x could suffix the data generation mode: "GET /users [P]".
    label = re.sub(r"\s+\[[A-Z]\]$", "", name.strip())
    children = list(element)
    return _JunitCase(
        operation=Operation.from_label(label),
        failures=[child for child in children if _local(child.tag) == "failure"],
        errors=[child for child in children if _local(child.tag) == "error"],
        skipped=[child for child in children if _local(child.tag) == "skipped"],
    )


def _add_junit_failure(
    collector: FindingCollector,
    operation: Operation,
    element: Any,
    known: list[Operation],
    run: ToolRun,
) -> str:
    """Add one <failure> element's checks; return which layout it used."""
    message = element.get("message") or ""
    text = element.text or ""
    codes: list[str] = []
    if text.strip():
        # 4.x: codes in ``message``, details as real lines in the element text.
        layout, cases = "codes-in-message", parse_failure_text(text, flattened=False)
        if _CODES_ONLY.match(message):
            codes = [code.strip() for code in message.split(",")]
    elif _CODES_ONLY.match(message):
        layout, cases = "codes-in-message", []
        codes = [code.strip() for code in message.split(",")]
    else:
        # 3.x / early 4.x: the whole text in ``message``, flattened onto one line.
        layout, cases = "details-in-message", parse_failure_text(message, flattened=True)
    seen: set[str] = set()
    where = None if operation.label == _RUN_CHECKS_LABEL else operation
    for case in cases:
        target = where
        if where is not None and where.path is None and where.method is None and case.curl:
            # "Stateful tests" and similar labels: the reproduction says which operation.
            target = infer_operation(case.curl, known) or where
        url = _URL.search(case.curl) if case.curl else None
        for check in case.checks:
            check_id = resolve_check(run.warnings, title=check.title, code=check.code)
            seen.add(check_id)
            collector.add(
                FailureRecord(
                    check=check_id,
                    operation=target,
                    message=check.message,
                    tool_title=check.title,
                    code=check.code,
                    status_code=case.status_code,
                    case_id=case.case_id,
                    curl=case.curl,
                    concrete_url=url.group(0) if url else None,
                )
            )
    _add_unmatched_codes(collector, where, codes, seen, run)
    if not seen and not codes:
        # A failure whose check this parser cannot tell is still a failure: kept, and said so.
        collector.add(
            FailureRecord(
                check=resolve_check(run.warnings), operation=where, message=message or text
            )
        )
    return layout


def _add_unmatched_codes(
    collector: FindingCollector,
    operation: Operation | None,
    codes: list[str],
    seen: set[str],
    run: ToolRun,
) -> None:
    # A code listed in ``message`` whose details the text did not show is still a failure.
    for code in codes:
        check_id = resolve_check(run.warnings, code=code)
        if check_id not in seen:
            seen.add(check_id)
            collector.add(FailureRecord(check=check_id, operation=operation, code=code))


_ERROR_TAIL = re.compile(r"(?:Reproduce with\s*:|\n\s*Tip:).*\Z", re.S)


def _junit_error_line(operation: Operation, element: Any) -> str:
    # JUnit's ``message`` is the summary, the text the details: early 3.x wrote the exception
    # as the message and its traceback as the text; later versions write only one of them.
    text = (element.get("message") or "").strip() or (element.text or "").strip()
    # The error's title and message say what went wrong; its reproduction and tip do not.
    text = _ERROR_TAIL.sub("", text).strip()
    return one_line(f"{operation.label}: {text or 'error'}")


# ---------------------------------------------------------------------------------------------
# NDJSON event stream (--report ndjson)
# ---------------------------------------------------------------------------------------------

_EVENT_KINDS = frozenset(
    {
        "Initialize",
        "LoadingStarted",
        "LoadingFinished",
        "EngineStarted",
        "PhaseStarted",
        "PhaseFinished",
        "SchemaAnalysisWarnings",
        "SuiteStarted",
        "SuiteFinished",
        "ScenarioStarted",
        "ScenarioFinished",
        "FuzzScenarioStarted",
        "FuzzScenarioFinished",
        "NonFatalError",
        "FatalError",
        "Interrupted",
        "EngineFinished",
        "RateLimitRetry",
    }
)
_FIRST_EVENT = re.compile(
    rb'^\s*\{\s*"(' + b"|".join(k.encode() for k in _EVENT_KINDS) + rb')"\s*:'
)
_ANY_EVENT_LINE = re.compile(
    rb'\n\s*\{\s*"(?:' + b"|".join(k.encode() for k in _EVENT_KINDS) + rb')"\s*:'
)
_TESTED = frozenset({"success", "failure"})
_STATEFUL_LABELS = frozenset({"Stateful tests", _RUN_CHECKS_LABEL})


@dataclass
class _StreamState:
    run: ToolRun
    collector: FindingCollector = field(default_factory=FindingCollector)
    exercised: set[str] = field(default_factory=set)
    errored: set[str] = field(default_factory=set)
    finished: bool = False
    fatal: str | None = None
    known_events: int = 0
    skipped: SkippedEntries = field(default_factory=SkippedEntries)


class SchemathesisNdjsonParser(Parser):
    name: ClassVar[str] = "schemathesis-ndjson"
    tool: ClassVar[str] = TOOL
    format: ClassVar[str] = "ndjson"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head)
        match = _FIRST_EVENT.match(body)
        if match is None:
            return None
        if match.group(1) == b"Initialize" and b'"schemathesis_version"' in body[:4096]:
            return Detection(90)
        # A stream without its Initialize line: several event lines still say Schemathesis.
        return Detection(75) if _ANY_EVENT_LINE.search(body) else None

    def parse(self, artifact: Artifact) -> ParseResult:
        text = decode(artifact.read_bytes())
        if not text.strip():
            raise ParseError("empty file")
        state = _StreamState(run=ToolRun(tool=TOOL, format=self.format))
        # JSON strings may hold characters str.splitlines() breaks on: split on newlines only.
        lines = text.split("\n")
        last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                if index == last:
                    state.fatal = (
                        f"event stream truncated at line {index + 1} ({exc.msg}): "
                        "the report was not written to its end"
                    )
                    break
                state.skipped.add(f"line {index + 1}", f"invalid JSON: {exc.msg}")
                continue
            except RecursionError:
                raise ParseError(f"line {index + 1}: JSON nested too deeply to read") from None
            try:
                _handle_event(state, event, index + 1)
            except ParseError as error:
                state.skipped.add(f"line {index + 1}", error)
        state.skipped.check(read=state.known_events)
        if state.known_events == 0:
            raise ParseError("not a Schemathesis event stream: no known event type")
        return _finish_stream(state)


def _handle_event(state: _StreamState, event: Any, lineno: int) -> None:
    if not isinstance(event, dict) or len(event) != 1:
        raise ParseError(
            f"line {lineno}: not a Schemathesis event (an object with one event-type key)"
        )
    ((kind, payload),) = event.items()
    if kind not in _EVENT_KINDS:
        return  # an event type newer than this parser: nothing it can read from it
    state.known_events += 1
    data = expect_dict(payload, f"line {lineno}: {kind}")
    handler = _EVENT_HANDLERS.get(kind)
    if handler is not None:
        handler(state, data, lineno)


def _on_initialize(state: _StreamState, data: dict[str, Any], lineno: int) -> None:
    state.run.version = as_str(data.get("schemathesis_version")) or state.run.version
    base = command_base_url(as_str(data.get("command")))
    state.run.targets = [base] if base else state.run.targets


def _on_scenario(state: _StreamState, data: dict[str, Any], lineno: int) -> None:
    # The scenario's parts are checked before any is used: a scenario skipped leaves no trace.
    recorder = expect_dict(data.get("recorder") or {}, f"line {lineno}: recorder")
    label = as_str(recorder.get("label")) or ""
    status = as_str(data.get("status")) or ""
    phase = as_str(data.get("phase"))
    cases = expect_dict(recorder.get("cases") or {}, f"line {lineno}: recorder.cases")
    checks = expect_dict(recorder.get("checks") or {}, f"line {lineno}: recorder.checks")
    interactions = expect_dict(
        recorder.get("interactions") or {}, f"line {lineno}: recorder.interactions"
    )
    if status in _TESTED:
        state.exercised.update(_scenario_labels(label, cases))
    elif status == "error":
        state.errored.update(_scenario_labels(label, cases))
    # Case ids are the report's own keys: checks are named by their place, never by them.
    for number, (case_id, results) in enumerate(checks.items(), start=1):
        case = f"case {number}"
        if not isinstance(results, list):
            state.skipped.add(
                f"line {lineno}: checks of {case}",
                f"the checks are {type(results).__name__}, expected a list",
            )
            continue
        for i, result in enumerate(results, start=1):
            if not isinstance(result, dict):
                state.skipped.add(
                    f"line {lineno}: check {i} of {case}",
                    f"the entry is {type(result).__name__}, expected an object",
                )
                continue
            _on_check(
                state, result, case_id, label, cases.get(case_id), interactions.get(case_id), phase
            )


def _scenario_labels(label: str, cases: dict[str, Any]) -> set[str]:
    if label and label not in _STATEFUL_LABELS:
        return {label}
    # A stateful scenario exercises the operations of its cases.
    labels = set()
    for node in cases.values():
        value = node.get("value") if isinstance(node, dict) else None
        if isinstance(value, dict) and value.get("method") and value.get("path"):
            labels.add(f"{str(value['method']).upper()} {value['path']}")
    return labels or ({label} if label else set())


def _on_check(
    state: _StreamState,
    item: dict[str, Any],
    case_id: str,
    label: str,
    case_node: Any,
    interaction: Any,
    phase: str | None,
) -> None:
    status = as_str(item.get("status"))
    name = as_str(item.get("name"))
    if status == "error":
        state.run.run_errors.append(one_line(f"{label}: check {name or '?'} raised an error"))
        return
    if status != "failure":
        return
    info = item.get("failure_info")
    failure = info.get("failure") if isinstance(info, dict) else None
    failure = failure if isinstance(failure, dict) else {}
    operation_label = as_str(failure.get("operation")) or _case_label(case_node) or label
    request = interaction.get("request") if isinstance(interaction, dict) else None
    response = interaction.get("response") if isinstance(interaction, dict) else None
    record = _failure_record(state.run.warnings, failure, operation_label, name=name)
    record.status_code = as_int(response.get("status_code")) if isinstance(response, dict) else None
    record.case_id = as_str(failure.get("case_id")) or case_id
    record.curl = curl_from_request(request) if isinstance(request, dict) else None
    record.concrete_url = as_str(request.get("uri")) if isinstance(request, dict) else None
    record.phase = phase
    state.collector.add(record)


def _failure_record(
    warnings: list[str], failure: dict[str, Any], operation: str | None, name: str | None = None
) -> FailureRecord:
    """What an event's failure object says of a failed check (its check, operation, message,
    title, code and severity); the scenario event adds its case around it."""
    return FailureRecord(
        check=resolve_check(
            warnings,
            name=name,
            title=as_str(failure.get("title")),
            code=as_str(failure.get("code")),
            failure_type=as_str(failure.get("type")),
        ),
        operation=Operation.from_label(operation) if operation else None,
        message=as_str(failure.get("message")) or "",
        tool_title=as_str(failure.get("title")),
        code=as_str(failure.get("code")),
        tool_severity=as_str(failure.get("severity")),
    )


def _case_label(case_node: Any) -> str | None:
    value = case_node.get("value") if isinstance(case_node, dict) else None
    if isinstance(value, dict) and value.get("method") and value.get("path"):
        return f"{str(value['method']).upper()} {value['path']}"
    return None


def curl_from_request(request: dict[str, Any]) -> str | None:
    """A curl command rebuilt from a recorded request (the stream does not keep the tool's
    own code sample).  Credentials are masked later, with every reproduction."""
    method = as_str(request.get("method"))
    uri = as_str(request.get("uri")) or as_str(request.get("url"))
    if not method or not uri:
        return None
    parts = ["curl", "-X", method.upper()]
    headers = request.get("headers")
    if isinstance(headers, dict):
        for header, values in headers.items():
            for value in values if isinstance(values, list) else [values]:
                parts += ["-H", _shell_quote(f"{header}: {as_str(value) or ''}")]
    body = _body_text(request.get("body"))
    if body is not None:
        parts += ["-d", _shell_quote(body)]
    parts.append(_shell_quote(uri) if re.search(r"[\s'\"&;|<>()$`?*]", uri) else uri)
    return " ".join(parts)


def _body_text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, dict) and isinstance(body.get("$base64"), str):
        try:
            raw = base64.b64decode(body["$base64"], validate=True)
        except (binascii.Error, ValueError):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text if len(text) <= 1000 and text.isprintable() else None
    if isinstance(body, str):
        return body[:1000]
    return json.dumps(body, ensure_ascii=False)[:1000]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _on_non_fatal(state: _StreamState, data: dict[str, Any], lineno: int) -> None:
    value = _object(data.get("value"))
    label = as_str(data.get("label")) or ""
    kind = as_str(value.get("type")) or "error"
    message = as_str(value.get("message")) or ""
    state.run.run_errors.append(
        one_line(f"{label}: {kind}: {message}" if label else f"{kind}: {message}")
    )
    if data.get("related_to_operation") is True and label:
        state.errored.add(label)


def _on_fatal(state: _StreamState, data: dict[str, Any], lineno: int) -> None:
    exception = _object(data.get("exception"))
    kind = as_str(exception.get("type")) or "FatalError"
    message = as_str(exception.get("message")) or ""
    state.fatal = one_line(f"Schemathesis stopped with a fatal error: {kind}: {message}")


def _on_interrupted(state: _StreamState, data: dict[str, Any], lineno: int) -> None:
    state.run.warnings.append("the run was interrupted: findings may be incomplete")


def _on_engine_finished(state: _StreamState, data: dict[str, Any], lineno: int) -> None:
    state.finished = True
    state.run.duration_seconds = as_seconds(data.get("running_time"))
    stop_reason = as_str(data.get("stop_reason"))
    if stop_reason:
        state.run.properties["stop_reason"] = stop_reason
        if stop_reason != "completed":
            state.run.warnings.append(
                f"the run stopped early ({stop_reason}): findings may be incomplete"
            )
    # Run-level checks (not tied to an operation) arrive here, not in any scenario.
    for i, entry in enumerate(expect_list(data.get("failures"), f"line {lineno}: failures")):
        if not isinstance(entry, dict):
            state.skipped.add(
                f"line {lineno}: failures[{i}]",
                f"the entry is {type(entry).__name__}, expected an object",
            )
            continue
        operation = as_str(entry.get("operation"))
        state.collector.add(_failure_record(state.run.warnings, entry, operation))


_EVENT_HANDLERS: dict[str, Callable[[_StreamState, dict[str, Any], int], None]] = {
    "Initialize": _on_initialize,
    "ScenarioFinished": _on_scenario,
    "FuzzScenarioFinished": _on_scenario,
    "NonFatalError": _on_non_fatal,
    "FatalError": _on_fatal,
    "Interrupted": _on_interrupted,
    "EngineFinished": _on_engine_finished,
}


def _finish_stream(state: _StreamState) -> ParseResult:
    run = state.run
    run.warnings.extend(state.skipped.warnings())
    run.run_errors = counted(run.run_errors)
    if state.fatal is not None:
        run.status, run.error = RunStatus.failed, state.fatal
    elif not state.finished:
        run.status = RunStatus.failed
        run.error = "event stream ends before EngineFinished: the run did not complete"
    exercised = len(state.exercised - _STATEFUL_LABELS)
    exercise_status(
        run,
        exercised=exercised,
        errored=len(state.errored - state.exercised),
        errors=run.run_errors,
    )
    return ParseResult(runs=[run], findings=_in_target(run, state.collector.findings()))


def _in_target(run: ToolRun, findings: list[Finding]) -> list[Finding]:
    """The findings, each naming the run's target (its API base URL, when the report says)."""
    target = run.targets[0] if run.targets else None
    for finding in findings:
        finding.target = target
    return findings


#: ``st run`` options naming the API base URL (4.x ``--url``, 3.x ``--base-url``).
_BASE_URL_OPTIONS = frozenset({"--url", "-u", "--base-url", "-b"})
#: Options whose value is a URL that is not the API's.
_OTHER_URL_OPTIONS = frozenset({"--proxy", "--request-proxy"})


def command_base_url(command: str | None) -> str | None:
    """The API base URL of an ``st run`` command line, as ``hardening.targets.url`` names it:
    the ``--url`` (``--base-url``) option, else the schema's location when it is a URL (its
    site: the API's path is in the schema, which the report does not hold).  None when the
    command names neither (a schema read from a file, no ``--url``)."""
    if not command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    location = None
    for index, word in enumerate(words):
        option, equals, value = word.partition("=")
        if option in _BASE_URL_OPTIONS:
            given = value if equals else (words[index + 1] if index + 1 < len(words) else "")
            if given:
                return targets.url(given)
        if (
            location is None
            and _URL.match(word)
            and (index == 0 or words[index - 1] not in _OTHER_URL_OPTIONS)
        ):
            location = word
    return targets.site(location) if location else None


# ---------------------------------------------------------------------------------------------
# JSON run report (--report json)
# ---------------------------------------------------------------------------------------------

_JSON_REPORT_START = re.compile(rb'^\s*\{\s*"schemathesis_version"\s*:')
_FATAL_ERROR_TITLES = frozenset({"Schema Loading Error", "Test Execution Error", "Hook Error"})

_HAR_START = re.compile(rb'^\s*\{\s*"log"\s*:\s*\{')
_WFC_TOOL = re.compile(rb'"toolName"\s*:\s*"Schemathesis"', re.I)
_VCR_SCHEMATHESIS = re.compile(rb"^recorded_with:\s*['\"]?Schemathesis", re.M)
_VCR_GENERIC = re.compile(rb"^(?:http_)?interactions:\s*$", re.M)
_VCR_MARKER = re.compile(rb"^(?:recorded_with|version):", re.M)
_HINT = "use --report junit, ndjson or json"


def sibling_detection(head: bytes, path: PurePath) -> Detection | None:
    """Schemathesis outputs the product does not read: claimed only to be skipped precisely."""
    body = strip_bom(head)
    if _VCR_SCHEMATHESIS.search(body) and _VCR_GENERIC.search(body):
        return Detection(90, skip_reason=f"Schemathesis VCR cassette: not read; {_HINT}")
    if (
        _VCR_GENERIC.search(body)
        and _VCR_MARKER.search(body)
        and not body.lstrip().startswith((b"{", b"[", b"<"))
    ):
        return Detection(
            50, skip_reason="VCR cassette (recorded HTTP traffic): not a findings report"
        )
    if _HAR_START.match(body) and b'"creator"' in body:
        if b"harfile" in body or b"X-Schemathesis-TestCaseId" in body or b"chemathesis" in body:
            return Detection(90, skip_reason=f"Schemathesis HAR capture: not read; {_HINT}")
        return Detection(
            60, skip_reason="HAR capture (recorded HTTP traffic): not a findings report"
        )
    if body.lstrip().startswith(b"{") and _WFC_TOOL.search(body) and b'"schemaVersion"' in body:
        return Detection(90, skip_reason=f"Schemathesis WFC report: not read; {_HINT}")
    return None


class SchemathesisJsonParser(Parser):
    name: ClassVar[str] = "schemathesis-json"
    tool: ClassVar[str] = TOOL
    format: ClassVar[str] = "json"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head)
        if _JSON_REPORT_START.match(body):
            return Detection(90)
        if (
            body.lstrip().startswith(b"{")
            and b'"schemathesis_version"' in body
            and b'"test_cases"' in body
            and b'"failures"' in body
        ):
            return Detection(80)
        return sibling_detection(head, path)

    def parse(self, artifact: Artifact) -> ParseResult:
        doc = expect_dict(loads(artifact.read_bytes()), "Schemathesis run report")
        if "schemathesis_version" not in doc and "failures" not in doc:
            raise ParseError("not a Schemathesis run report: no schemathesis_version or failures")
        run = ToolRun(
            tool=TOOL,
            format=self.format,
            version=as_str(doc.get("schemathesis_version")),
            duration_seconds=as_seconds(doc.get("running_time")),
        )
        base = command_base_url(as_str(doc.get("command")))
        run.targets = [base] if base else []
        collector = FindingCollector()
        skipped = SkippedEntries()
        failures = expect_list(doc.get("failures"), "failures")
        for i, entry in enumerate(failures):
            try:
                _add_report_failure(collector, expect_dict(entry, f"failures[{i}]"), i, run)
            except ParseError as error:
                skipped.add(f"failures[{i}]", error)
        skipped.report(run, read=len(failures) - len(skipped))
        fatal = _report_errors(doc, run)
        operations = doc.get("operations")
        operations = expect_dict(operations, "operations") if operations is not None else {}
        for key in ("selected", "tested", "errored", "skipped"):
            count = as_int(operations.get(key))
            if count is not None:
                run.properties[f"operations_{key}"] = count
        _report_status(doc, run, fatal, operations)
        return ParseResult(runs=[run], findings=_in_target(run, collector.findings()))


def _add_report_failure(
    collector: FindingCollector, entry: dict[str, Any], index: int, run: ToolRun
) -> None:
    labels = [
        as_str(label)
        for label in expect_list(entry.get("operations"), f"failures[{index}].operations")
    ]
    title = as_str(entry.get("title"))
    code = as_str(entry.get("code"))
    failure_type = as_str(entry.get("type"))
    check = resolve_check(run.warnings, title=title, code=code, failure_type=failure_type)
    count = as_int(entry.get("count"))
    operations: list[Operation | None] = [
        Operation.from_label(label) for label in labels if label
    ] or [None]
    for operation in operations:
        collector.add(
            FailureRecord(
                check=check,
                operation=operation,
                tool_title=title,
                code=code,
                tool_severity=as_str(entry.get("severity")),
                # The report counts unique failures per kind, not per operation.
                occurrences=count if count and len(operations) == 1 else 1,
                extra={"failure_count": count} if count is not None else {},
            )
        )


def _report_errors(doc: dict[str, Any], run: ToolRun) -> str | None:
    """Put non-fatal error groups into run_errors; return the fatal error title, if any."""
    fatal = None
    for i, entry in enumerate(expect_list(doc.get("errors"), "errors")):
        item = expect_dict(entry, f"errors[{i}]")
        title = as_str(item.get("title")) or "error"
        count = as_int(item.get("count"))
        if title in _FATAL_ERROR_TITLES:
            fatal = title
        run.run_errors.append(one_line(f"{title} (x{count})" if count and count > 1 else title))
    return fatal


def _report_status(
    doc: dict[str, Any], run: ToolRun, fatal: str | None, operations: dict[str, Any]
) -> None:
    stop_reason = as_str(doc.get("stop_reason"))
    if stop_reason:
        run.properties["stop_reason"] = stop_reason
    if fatal is not None or doc.get("complete") is False:
        run.status = RunStatus.failed
        reason = fatal or f"stop reason: {stop_reason or 'unknown'}"
        run.error = one_line(f"Schemathesis did not complete its run ({reason})")
        return
    if stop_reason and stop_reason != "completed":
        run.warnings.append(f"the run stopped early ({stop_reason}): findings may be incomplete")
    tested = as_int(operations.get("tested"))
    if tested is None:
        return
    exercise_status(
        run,
        exercised=tested,
        errored=as_int(operations.get("errored")) or 0,
        errors=run.run_errors,
    )

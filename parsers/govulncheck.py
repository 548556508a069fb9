"""govulncheck ``-json`` / ``-format json`` output, in its three shapes.

- govulncheck >= 1.0: a stream of concatenated, pretty-printed JSON objects with one key each:
  ``config`` (scanner and database facts), ``progress``, ``SBOM``, ``osv`` (an OSV entry: an
  advisory, not a finding) and ``finding`` (``{osv, fixed_version, trace}``).  A finding's
  ``trace`` runs from the vulnerable code (``trace[0]``) to the entry point in the user's code
  (the last frame).  ``trace[0]`` says how precise the finding is: ``function`` set means the
  vulnerable symbol is called, ``package`` set that its package is imported, neither that the
  module is only required.  Since govulncheck 1.0.2 the same (OSV, module) is reported once per
  level and once per call stack, so the unit is one (OSV id, module) at its most precise level.
- The same stream wrapped in a JSON array (``jq -s``, some CI wrappers).
- Pre-1.0 single objects: the 2022 ``vulncheck.Result`` (``Calls``, ``Imports``, ``Requires``,
  ``Vulns: [{OSV, Symbol, PkgPath, ModPath, CallSink, ImportSink, RequireSink}]``,
  ``Modules``), one entry per vulnerable symbol, and the early-2023 ``Result``
  (``Vulns: [{OSV, Modules: [{Path, FoundVersion, FixedVersion, Packages: [{Path,
  CallStacks: [{Symbol, Summary, Frames}]}]}]}]``).  Both fold into the same unit.

When stdout and stderr were captured into one file, govulncheck's error text follows the JSON.
Before any ``finding`` it means the scan never happened (the database could not be fetched,
packages failed to load): the run is failed.  After findings it is a warning.

Location: a symbol-level finding is located at its call site in the user's code, the frame
where the trace leaves the user's module towards the vulnerable code (the line a developer
changes, the one govulncheck's text output prints); each other distinct call site of the same
(OSV, module) is a related location.  Package- and module-level findings have no location.
"""

from __future__ import annotations

import codecs
import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from hardening import severity
from hardening.errors import ParseError, json_place
from hardening.jsonread import decode
from hardening.model import (
    CodeLocation,
    Component,
    Finding,
    Kind,
    RunStatus,
    Severity,
    ToolRun,
)
from hardening.parsers import sarif
from hardening.parsers._io import (
    TrailingTextError,
    as_int,
    as_str,
    expect_dict,
    expect_list,
    iter_concatenated,
    strip_bom,
)
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import redact

#: Reachability levels, least precise first (the index is the precision).
LEVELS = ("module", "package", "symbol")
_MODULE, _PACKAGE, _SYMBOL = range(3)

#: Related call sites kept per finding; the rest are counted in ``properties``.
MAX_RELATED = 10
_MAX_MESSAGE = 1000
_MAX_SYMBOLS = 20
_TRAILING_PREVIEW = 80
_ERROR_PREVIEW = 200

_MESSAGE_KEYS = ("config", "progress", "SBOM", "osv", "finding")

#: govulncheck's reachability levels and ``-scan`` levels, least precise first.
LEVELS = ("module", "package", "symbol")


def severity_at(level: str, scan_level: str | None, advisory: Severity | None = None) -> Severity:
    """Severity of a govulncheck finding at reachability ``level`` in a ``-scan scan_level``
    run (symbol when the report does not say, govulncheck's default), for its JSON and its
    SARIF alike.

    A finding at the most precise level the run can reach is affecting: the advisory's own
    severity, else high (Go advisories rarely carry one; govulncheck's SARIF says ``error``).
    One level less precise (imported but not called in a symbol scan): low; two (only
    required): info.
    """
    reached = LEVELS.index(scan_level) if scan_level in LEVELS else len(LEVELS) - 1
    found = LEVELS.index(level) if level in LEVELS else 0
    gap = reached - found
    if gap <= 0:
        return advisory or Severity.high
    return Severity.low if gap == 1 else Severity.info


_STREAM_START = re.compile(rb'^\s*\[?\s*\{\s*"(config|progress|SBOM|osv|finding)"\s*:\s*\{')
_CONFIG_MARKERS = re.compile(rb'"scanner_name"\s*:\s*"govulncheck"|"protocol_version"\s*:\s*"v\d')
_STREAM_MARKERS = re.compile(
    rb'"finding"\s*:\s*\{\s*"osv"\s*:\s*"|"osv"\s*:\s*\{\s*"schema_version"'
    rb'|"scanner_name"\s*:\s*"govulncheck"'
)
_LEGACY_START = re.compile(rb'^\s*\{\s*"(?:Calls|Imports|Requires|Vulns|Modules)"\s*:')
_LEGACY_MARKERS = re.compile(
    rb'"Calls"\s*:\s*\{\s*"Functions"\s*:|"Requires"\s*:\s*\{\s*"Modules"\s*:'
    rb'|"Imports"\s*:\s*\{\s*"Packages"\s*:|"Vulns"\s*:\s*\[\s*\{\s*"OSV"\s*:'
)
_OPENVEX = re.compile(rb"openvex\.dev/ns")
_TEXT_OUTPUT = re.compile(
    rb"^\s*(?:Scanning your (?:code|binary)|govulncheck is an experimental tool"
    rb"|=== (?:Symbol|Package|Module) Results ===|No vulnerabilities found\.)"
)
_SEMVER = re.compile(
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.\-]+))?(?:\+[0-9A-Za-z.\-]+)?$"
)


class GovulncheckJsonParser(Parser):
    name = "govulncheck-json"
    information_uri = "https://pkg.go.dev/golang.org/x/vuln/cmd/govulncheck"
    tool = "govulncheck"
    format = "json"

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return SARIF_DIALECT

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = _head_as_utf8(head).lstrip()
        start = _STREAM_START.match(body)
        if start:
            first = start.group(1)
            if first == b"config":
                return Detection(90) if _CONFIG_MARKERS.search(body) else None
            if first in (b"osv", b"finding"):
                return Detection(80)
            return Detection(70) if _STREAM_MARKERS.search(body) else None
        if _LEGACY_START.match(body) and _LEGACY_MARKERS.search(body):
            return Detection(85)
        if body.startswith(b"{") and _OPENVEX.search(body) and b"govulncheck" in body:
            return Detection(
                80,
                skip_reason="govulncheck OpenVEX output is not read "
                "(run govulncheck with -format json or -format sarif)",
            )
        if _TEXT_OUTPUT.match(body):
            return Detection(
                60,
                skip_reason="govulncheck text output is not read "
                "(run govulncheck with -format json or -format sarif)",
            )
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        text = decode(artifact.read_bytes())
        if not text.strip():
            raise ParseError("empty file")
        if text.lstrip()[0] not in "{[":
            raise ParseError("not a govulncheck JSON report: it does not start with { or [")
        values, trailing = _read_values(text)
        messages = _messages(values)
        skipped = SkippedEntries()
        if _is_legacy(messages):
            run, groups, osvs, read = _read_legacy(messages[0][1], skipped)
        else:
            run, groups, osvs, read = _read_stream(messages, skipped)
        skipped.report(run, read)
        scan_level = run.properties.get("scan_level")
        findings = [
            _finding(group, osvs.get(group.osv_id), scan_level) for group in groups.values()
        ]
        target = run.targets[0] if run.targets else None
        for finding in findings:
            finding.target = target
        if trailing is not None:
            _judge_trailing(run, trailing, found_before=bool(groups))
        return ParseResult(runs=[run], findings=findings)


# --- reading the stream --------------------------------------------------------------------


@dataclass(frozen=True)
class _Trailing:
    """Non-JSON text after the JSON values (stderr captured into the same file)."""

    offset: int
    text: str


def _head_as_utf8(head: bytes) -> bytes:
    # Windows PowerShell's ``>`` writes UTF-16 with a BOM; detection reads it like UTF-8.
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return strip_bom(head)


def _read_values(text: str) -> tuple[list[tuple[int, Any]], _Trailing | None]:
    """Every JSON value of the stream with its offset, and the trailing text if any."""
    values: list[tuple[int, Any]] = []
    try:
        for offset, value in iter_concatenated(text):
            values.append((offset, value))
    except TrailingTextError as exc:
        rest = text[exc.offset :]
        if rest[:1] in ("{", "["):
            raise ParseError(_broken_json_reason(text, exc.offset)) from None
        return values, _Trailing(exc.offset, rest)
    return values, None


def _broken_json_reason(text: str, offset: int) -> str:
    try:
        json.JSONDecoder().raw_decode(text, offset)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or "Unterminated" in exc.msg:
            return (
                f"truncated JSON: the value starting at offset {offset} is cut off "
                f"({json_place(exc.msg, exc.lineno, exc.colno)})"
            )
        return f"invalid JSON: {json_place(exc.msg, exc.lineno, exc.colno)}"
    except RecursionError:
        return "JSON nested too deeply to read"
    return f"invalid JSON at offset {offset}"


def _messages(values: list[tuple[int, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The stream's message objects, each with where it is ("at offset 120"); an
    array-wrapped stream is unwrapped in place."""
    messages: list[tuple[str, dict[str, Any]]] = []
    for offset, value in values:
        if isinstance(value, list):
            for i, item in enumerate(value):
                where = f"item {i} of the array at offset {offset}"
                messages.append((f"of {where}", expect_dict(item, where)))
        else:
            messages.append(
                (f"at offset {offset}", expect_dict(value, f"JSON value at offset {offset}"))
            )
    return messages


def _is_legacy(messages: list[tuple[str, dict[str, Any]]]) -> bool:
    if len(messages) != 1:
        return False
    only = messages[0][1]
    return "Vulns" in only and not any(key in only for key in _MESSAGE_KEYS)


@dataclass
class _Frame:
    """One stack frame; ``unit`` is what tells the user's code apart (its module)."""

    unit: str | None
    version: str | None
    package: str | None
    function: str | None
    receiver: str | None
    location: CodeLocation | None


@dataclass
class _Group:
    """Everything seen of one (OSV id, module)."""

    osv_id: str
    module: str
    level: int = _MODULE
    version: str | None = None
    fixed: str | None = None
    package: str | None = None
    packages: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    call_sites: list[CodeLocation] = field(default_factory=list)

    def see(
        self,
        level: int,
        version: str | None,
        fixed: str | None,
        package: str | None,
        symbol: str | None,
    ) -> None:
        # Facts of the most precise report win; others only fill gaps.
        more_precise = level > self.level
        if version and (self.version is None or more_precise):
            self.version = version
        if fixed and (self.fixed is None or more_precise):
            self.fixed = fixed
        if package and (self.package is None or more_precise):
            self.package = package
        self.level = max(self.level, level)
        if package and package not in self.packages:
            self.packages.append(package)
        if symbol and symbol not in self.symbols:
            self.symbols.append(symbol)

    def add_call_site(self, site: CodeLocation | None) -> None:
        if site is not None and all(_site_key(site) != _site_key(s) for s in self.call_sites):
            self.call_sites.append(site)


def _site_key(site: CodeLocation) -> tuple[str, int | None, int | None]:
    return (site.path, site.start_line, site.start_column)


def _group(groups: dict[tuple[str, str], _Group], osv_id: str, module: str) -> _Group:
    key = (osv_id, module)
    if key not in groups:
        groups[key] = _Group(osv_id=osv_id, module=module)
    return groups[key]


def _read_stream(
    messages: list[tuple[str, dict[str, Any]]], skipped: SkippedEntries
) -> tuple[ToolRun, dict[tuple[str, str], _Group], dict[str, dict[str, Any]], int]:
    """The run, the (OSV id, module) groups, the advisories, and how many finding objects
    were read (one that cannot be read is skipped)."""
    run = ToolRun(tool="govulncheck", format="json")
    groups: dict[tuple[str, str], _Group] = {}
    osvs: dict[str, dict[str, Any]] = {}
    configs = 0
    known = 0
    read = 0
    modules: list[str | None] = []
    for at, message in messages:
        if "config" in message:
            configs += 1
            if configs == 1:
                _read_config(run, expect_dict(message["config"], f"config {at}"))
        if "SBOM" in message:
            modules.append(_main_module(message["SBOM"]))
        if "osv" in message:
            entry = expect_dict(message["osv"], f"osv {at}")
            osv_id = as_str(entry.get("id"))
            if osv_id:
                osvs.setdefault(osv_id.strip(), entry)
        if "finding" in message:
            where = f"finding {at}"
            try:
                _read_finding(groups, expect_dict(message["finding"], where), where)
                read += 1
            except ParseError as error:
                skipped.add(where, error)
        known += any(key in message for key in _MESSAGE_KEYS)
    if messages and not known:
        raise ParseError(
            "not a govulncheck JSON stream: no config, progress, SBOM, osv or finding object"
        )
    if configs > 1:
        run.warnings.append(
            f"{configs} config objects: several govulncheck runs concatenated, read as one"
        )
    # The scanned module is the target; several runs concatenated cannot tell whose finding
    # is whose, so they are one unnamed target.
    if len(modules) == 1 and modules[0] and configs <= 1:
        run.targets = [modules[0]]
    return run, groups, osvs, read


def _main_module(sbom: Any) -> str | None:
    """The module govulncheck scanned, from its ``SBOM`` object (govulncheck 1.1 and later):
    the first module without a version (source mode), else the first (a binary's main)."""
    if not isinstance(sbom, dict) or not isinstance(sbom.get("modules"), list):
        return None
    modules = [m for m in sbom["modules"] if isinstance(m, dict) and as_str(m.get("path"))]
    main = next((m for m in modules if not m.get("version")), modules[0] if modules else None)
    path = as_str(main.get("path")) if main else None
    return redact(path.strip()) if path and path.strip() else None


def _read_config(run: ToolRun, config: dict[str, Any]) -> None:
    run.version = as_str(config.get("scanner_version")) or None
    run.database_date = as_str(config.get("db_last_modified")) or None
    for key in ("scan_level", "scan_mode", "go_version", "protocol_version"):
        value = as_str(config.get(key))
        if value:
            run.properties[key] = value
    database = as_str(config.get("db"))
    if database:
        run.properties["db"] = redact(database)


def _read_finding(
    groups: dict[tuple[str, str], _Group], finding: dict[str, Any], where: str
) -> None:
    osv_id = (as_str(finding.get("osv")) or "").strip()
    if not osv_id:
        raise ParseError(f"{where} names no osv id")
    trace = [
        _stream_frame(expect_dict(frame, f"{where}: trace[{i}]"))
        for i, frame in enumerate(expect_list(finding.get("trace"), f"{where}: trace"))
    ]
    if not trace:
        raise ParseError(f"{where} has an empty trace")
    vulnerable = trace[0]
    if not vulnerable.unit:
        raise ParseError(f"{where} names no module in trace[0]")
    level = _SYMBOL if vulnerable.function else _PACKAGE if vulnerable.package else _MODULE
    group = _group(groups, osv_id, vulnerable.unit)
    group.see(
        level,
        vulnerable.version,
        as_str(finding.get("fixed_version")) or None,
        vulnerable.package,
        _symbol(vulnerable) if level == _SYMBOL else None,
    )
    if level == _SYMBOL:
        group.add_call_site(_user_call_site(trace))


def _stream_frame(frame: dict[str, Any]) -> _Frame:
    return _Frame(
        unit=as_str(frame.get("module")) or None,
        version=as_str(frame.get("version")) or None,
        package=as_str(frame.get("package")) or None,
        function=as_str(frame.get("function")) or None,
        receiver=as_str(frame.get("receiver")) or None,
        location=_position(frame.get("position"), "filename", "line", "column"),
    )


def _position(value: Any, file_key: str, line_key: str, column_key: str) -> CodeLocation | None:
    """A Go ``token.Position``; valid only with a file name and a line above 0."""
    if not isinstance(value, dict):
        return None
    path = as_str(value.get(file_key))
    line = as_int(value.get(line_key))
    if not path or not line or line < 1:
        return None
    column = as_int(value.get(column_key))
    return CodeLocation(path=path, start_line=line, start_column=column if column else None)


def _user_call_site(trace: list[_Frame]) -> CodeLocation | None:
    """Where the user's code calls towards the vulnerable symbol (see the module docstring).

    The last frame is the entry point, so its unit is the user's module; the first frame of
    that unit, walking from the vulnerable end, is where the trace leaves the user's code.
    """
    users = trace[-1].unit
    for frame in trace:
        if frame.unit == users and frame.location is not None:
            return frame.location
    return None


def _symbol(frame: _Frame) -> str | None:
    """The symbol as OSV entries name it: ``Function`` or ``Receiver.Method``."""
    if not frame.function:
        return None
    receiver = (frame.receiver or "").lstrip("*").rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    return f"{receiver}.{frame.function}" if receiver else frame.function


# --- pre-1.0 single objects ----------------------------------------------------------------


def _read_legacy(
    doc: dict[str, Any], skipped: SkippedEntries
) -> tuple[ToolRun, dict[tuple[str, str], _Group], dict[str, dict[str, Any]], int]:
    run = ToolRun(tool="govulncheck", format="json")
    groups: dict[tuple[str, str], _Group] = {}
    osvs: dict[str, dict[str, Any]] = {}
    graph = _LegacyGraph(doc)
    read = 0
    for i, item in enumerate(expect_list(doc.get("Vulns"), "Vulns")):
        where = f"Vulns[{i}]"
        try:
            vuln = expect_dict(item, where)
            entry = expect_dict(vuln.get("OSV"), f"{where}.OSV")
            osv_id = (as_str(entry.get("id")) or "").strip()
            if not osv_id:
                raise ParseError(f"{where}.OSV has no id")
            if "Modules" in vuln:
                read += _read_legacy_modules(groups, osv_id, vuln["Modules"], where, skipped)
            else:
                _read_legacy_symbol(groups, osv_id, entry, vuln, graph, where)
                read += 1
        except ParseError as error:
            skipped.add(where, error)
            continue
        osvs.setdefault(osv_id, entry)
    run.properties["output"] = "pre-1.0 single object"
    return run, groups, osvs, read


class _LegacyGraph:
    """The 2022 ``vulncheck.Result`` call graph, to find the user's call site of a sink."""

    def __init__(self, doc: dict[str, Any]) -> None:
        calls = doc.get("Calls")
        functions = calls.get("Functions") if isinstance(calls, dict) else None
        self.functions: dict[str, Any] = functions if isinstance(functions, dict) else {}
        self.versions: dict[str, str] = {}
        self.user_modules: list[str] = []
        self._read_modules(doc)

    def _read_modules(self, doc: dict[str, Any]) -> None:
        for module in _items(doc.get("Modules")):
            if isinstance(module, dict) and as_str(module.get("Path")):
                self.versions[str(module["Path"])] = as_str(module.get("Version")) or ""
        requires = doc.get("Requires")
        if not isinstance(requires, dict) or not isinstance(requires.get("Modules"), dict):
            return
        nodes = requires["Modules"]
        for node in nodes.values():
            if isinstance(node, dict) and as_str(node.get("Path")):
                self.versions.setdefault(str(node["Path"]), as_str(node.get("Version")) or "")
        for entry in _items(requires.get("Entries")):
            node = nodes.get(str(entry))
            if isinstance(node, dict) and as_str(node.get("Path")):
                self.user_modules.append(str(node["Path"]))

    def is_user_package(self, package: str) -> bool:
        return any(package == m or package.startswith(m + "/") for m in self.user_modules)

    def call_site(self, sink: int) -> CodeLocation | None:
        """The user's call on the shortest caller chain from ``sink`` (breadth first)."""
        queue: deque[int] = deque([sink])
        seen = {sink}
        while queue:
            node = self.functions.get(str(queue.popleft()))
            sites = node.get("CallSites") if isinstance(node, dict) else None
            for site in _items(sites):
                parent = as_int(site.get("Parent")) if isinstance(site, dict) else None
                if parent is None:
                    continue
                caller = self.functions.get(str(parent))
                package = as_str(caller.get("PkgPath")) if isinstance(caller, dict) else None
                if package and self.is_user_package(package):
                    found = _position(site.get("Pos"), "Filename", "Line", "Column")
                    if found is not None:
                        return found
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        return None


def _read_legacy_symbol(
    groups: dict[tuple[str, str], _Group],
    osv_id: str,
    entry: dict[str, Any],
    vuln: dict[str, Any],
    graph: _LegacyGraph,
    where: str,
) -> None:
    """A 2022 ``vulncheck.Vuln``: one vulnerable symbol and how far the code reaches it."""
    module = as_str(vuln.get("ModPath"))
    if not module:
        raise ParseError(f"{where} has no ModPath")
    call_sink = as_int(vuln.get("CallSink")) or 0
    level = _SYMBOL if call_sink else _PACKAGE if as_int(vuln.get("ImportSink")) else _MODULE
    version = graph.versions.get(module) or None
    package = as_str(vuln.get("PkgPath")) or None
    symbol = as_str(vuln.get("Symbol")) or None
    group = _group(groups, osv_id, module)
    group.see(
        level,
        version,
        _fixed_version(entry, module, version),
        package if level >= _PACKAGE else None,
        symbol if level == _SYMBOL else None,
    )
    if level == _SYMBOL:
        group.add_call_site(graph.call_site(call_sink))


def _read_legacy_modules(
    groups: dict[tuple[str, str], _Group],
    osv_id: str,
    value: Any,
    where: str,
    skipped: SkippedEntries,
) -> int:
    """An early-2023 ``Vuln``: its modules, their imported packages and call stacks.  A
    module that cannot be read is skipped; returns how many were read."""
    read = 0
    for j, item in enumerate(expect_list(value, f"{where}.Modules")):
        place = f"{where}.Modules[{j}]"
        try:
            _read_legacy_module(groups, osv_id, expect_dict(item, place), place)
        except ParseError as error:
            skipped.add(place, error)
            continue
        read += 1
    return read


def _read_legacy_module(
    groups: dict[tuple[str, str], _Group], osv_id: str, module: dict[str, Any], where: str
) -> None:
    path = as_str(module.get("Path"))
    if not path:
        raise ParseError(f"{where} has no Path")
    version = as_str(module.get("FoundVersion")) or None
    fixed = as_str(module.get("FixedVersion")) or None
    # Every part is checked before anything is grouped: a module skipped leaves no trace.
    packages = []
    for k, raw in enumerate(expect_list(module.get("Packages"), f"{where}.Packages")):
        package = expect_dict(raw, f"{where}.Packages[{k}]")
        stacks = expect_list(package.get("CallStacks"), f"{where}.Packages[{k}].CallStacks")
        packages.append((as_str(package.get("Path")) or None, stacks))
    group = _group(groups, osv_id, path)
    group.see(_MODULE, version, fixed, None, None)
    for name, stacks in packages:
        group.see(_SYMBOL if stacks else _PACKAGE, version, fixed, name, None)
        for stack in stacks:
            if isinstance(stack, dict):
                group.see(_SYMBOL, None, None, name, as_str(stack.get("Symbol")) or None)
                group.add_call_site(_legacy_call_site(stack.get("Frames")))


def _legacy_call_site(value: Any) -> CodeLocation | None:
    """The user's call site in an early-2023 call stack (frames run entry point first).

    That format names no module per frame; the user's code is told by the entry package's
    module-like root (``host/owner/repo``, or the first path element without a dot).
    """
    frames = [item for item in _items(value) if isinstance(item, dict)]
    trace = [
        _Frame(
            unit=_package_root(as_str(frame.get("PkgPath")) or ""),
            version=None,
            package=as_str(frame.get("PkgPath")) or None,
            function=as_str(frame.get("FuncName")) or None,
            receiver=as_str(frame.get("RecvType")) or None,
            location=_position(frame.get("Position"), "Filename", "Line", "Column"),
        )
        for frame in reversed(frames)
    ]
    return _user_call_site(trace) if trace else None


def _items(value: Any) -> list[Any]:
    """A list the report may have left out or mistyped (advisory prose is not validated)."""
    return value if isinstance(value, list) else []


def _package_root(package: str) -> str:
    parts = package.split("/")
    return "/".join(parts[:3]) if "." in parts[0] else parts[0]


def _fixed_version(entry: dict[str, Any], module: str, installed: str | None) -> str | None:
    """The fix for ``installed`` in the OSV entry's SEMVER ranges (2022 results name none)."""
    current = _version_key(installed or "")
    if current is None:
        return None
    for affected in _items(entry.get("affected")):
        package = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(package, dict) or package.get("name") != module:
            continue
        for ranges in _items(affected.get("ranges")):
            fixed = _fix_in_range(ranges, current)
            if fixed:
                return fixed if fixed.startswith("v") else f"v{fixed}"
    return None


def _fix_in_range(ranges: Any, current: tuple[Any, ...]) -> str | None:
    if not isinstance(ranges, dict) or ranges.get("type") != "SEMVER":
        return None
    introduced: tuple[Any, ...] | None = None
    for event in _items(ranges.get("events")):
        if not isinstance(event, dict):
            continue
        if "introduced" in event:
            introduced = _version_key(as_str(event["introduced"]) or "")
        elif "fixed" in event:
            fixed = as_str(event["fixed"]) or ""
            fixed_key = _version_key(fixed)
            if introduced is not None and fixed_key and introduced <= current < fixed_key:
                return fixed
            introduced = None
    return None


def _version_key(version: str) -> tuple[Any, ...] | None:
    """A sort key for Go module and OSV SEMVER versions (a release sorts after its -rc)."""
    match = _SEMVER.match(version.strip())
    if not match:
        return None
    numbers = tuple(int(part or 0) for part in match.group(1, 2, 3))
    prerelease = match.group(4)
    if prerelease is None:
        return (numbers, 1, ())
    parts = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in prerelease.split(".")
    )
    return (numbers, 0, parts)


# --- findings and run status ---------------------------------------------------------------


def _finding(group: _Group, entry: dict[str, Any] | None, scan_level: str | None) -> Finding:
    osv = entry or {}
    level = LEVELS[group.level]
    summary = (as_str(osv.get("summary")) or "").strip()
    details = (as_str(osv.get("details")) or "").strip() or summary
    call_sites = group.call_sites if group.level == _SYMBOL else []
    properties: dict[str, Any] = {}
    if group.symbols:
        properties["symbols"] = group.symbols[:_MAX_SYMBOLS]
    if len(group.packages) > 1:
        properties["packages"] = group.packages
    if len(call_sites) > MAX_RELATED + 1:
        properties["call_sites"] = len(call_sites)
    return Finding(
        tool="govulncheck",
        kind=Kind.dependency,
        rule_id=group.osv_id,
        title=redact(summary) if summary else group.osv_id,
        severity=severity_at(level, scan_level, advisory_severity(osv)),
        tool_severity=level,
        message=_shorten(redact(details), _MAX_MESSAGE),
        location=call_sites[0] if call_sites else None,
        related_locations=call_sites[1 : MAX_RELATED + 1],
        component=Component(
            name=group.module,
            installed_version=group.version,
            fixed_version=group.fixed,
            ecosystem="go",
            target=group.module,
            package_path=group.package,
        ),
        identifiers=_identifiers(group.osv_id, osv),
        references=_references(osv),
        reachability=level,
        # Neither level, version nor prose: a finding that becomes reachable keeps its identity.
        identity=[group.osv_id, group.module, group.module],
        properties=properties,
    )


def advisory_severity(osv: dict[str, Any]) -> Severity | None:
    """The advisory's own severity, where its OSV entry has one (Go's database rarely does):
    a ``database_specific.severity`` word (GHSA style) or a numeric CVSS score."""
    blocks = [osv.get("database_specific")]
    blocks += [
        a.get("database_specific") for a in _items(osv.get("affected")) if isinstance(a, dict)
    ]
    for block in blocks:
        word = as_str(block.get("severity")) if isinstance(block, dict) else None
        if word and word.strip().upper() in severity.SARIF_LEVELS:
            return severity.lookup(severity.SARIF_LEVELS, word)
    for rating in _items(osv.get("severity")):
        score = (
            severity.from_cvss(as_str(rating.get("score"))) if isinstance(rating, dict) else None
        )
        if score is not None:
            return score
    return None


# --- modules of packages (govulncheck's SARIF names packages where its JSON names modules) ---

_GO_MOD_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()/][^\s()]*)\s+(v[0-9][^\s]*)\s*(?://.*)?$")
#: Hosts whose module paths have three elements (host/owner/repo); elsewhere two (host/name).
_THREE_ELEMENT_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "golang.org"})
_MAJOR = re.compile(r"^v[0-9]+$")


def go_mod_requirements(text: str) -> dict[str, str]:
    """module -> version of every ``require`` of a go.mod (single lines and blocks)."""
    found: dict[str, str] = {}
    in_block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip() if "//" in raw else raw.strip()
        if in_block:
            if line.startswith(")"):
                in_block = False
                continue
        elif line.startswith("require") and line[len("require") :].strip() == "(":
            in_block = True
            continue
        elif not line.startswith("require "):
            continue
        match = _GO_MOD_REQUIRE.match(line)
        if match:
            found.setdefault(match.group(1).strip('"'), match.group(2))
    return found


def module_of_package(package: str, requirements: dict[str, str]) -> str:
    """The module a package path belongs to: the longest required module that contains it
    (from go.mod), else ``stdlib`` for a standard-library path, else a guess from the path
    (``host/owner/repo`` on github.com and the like, ``host/name`` elsewhere, with a major
    version suffix ``/vN``)."""
    best = ""
    for module in requirements:
        if (package == module or package.startswith(module + "/")) and len(module) > len(best):
            best = module
    if best:
        return best
    parts = package.split("/")
    if "." not in parts[0]:
        return "stdlib"
    size = 3 if parts[0] in _THREE_ELEMENT_HOSTS else 2
    if len(parts) > size and _MAJOR.match(parts[size]):
        size += 1
    return "/".join(parts[:size])


def _identifiers(osv_id: str, osv: dict[str, Any]) -> list[str]:
    identifiers = [osv_id]
    for alias in _items(osv.get("aliases")):
        text = (as_str(alias) or "").strip()
        if text and text not in identifiers:
            identifiers.append(text)
    return identifiers


def _references(osv: dict[str, Any]) -> list[str]:
    """The advisory page first (``database_specific.url``), then the entry's references."""
    urls: list[str] = []
    specific = [osv.get("database_specific")]
    for affected in _items(osv.get("affected")):
        if isinstance(affected, dict):
            specific.append(affected.get("database_specific"))
    for block in specific:
        if isinstance(block, dict):
            urls.append(as_str(block.get("url")) or "")
    for reference in _items(osv.get("references")):
        if isinstance(reference, dict):
            urls.append(as_str(reference.get("url")) or "")
    unique: list[str] = []
    for url in urls:
        url = redact(url.strip())
        if url.startswith(("https://", "http://")) and url not in unique:
            unique.append(url)
    return unique


def _judge_trailing(run: ToolRun, trailing: _Trailing, found_before: bool) -> None:
    """Text after the JSON: a warning after findings, else the scan failed (DESIGN)."""
    if found_before:
        preview = _shorten(" ".join(trailing.text.split()), _TRAILING_PREVIEW)
        run.warnings.append(
            redact(
                f"ignored non-JSON text after the findings at offset {trailing.offset}: {preview}"
            )
        )
        return
    first_line = next((line.strip() for line in trailing.text.splitlines() if line.strip()), "")
    run.status = RunStatus.failed
    run.error = redact(
        f"govulncheck wrote non-JSON text at offset {trailing.offset} before any finding: "
        f"{_shorten(first_line, _ERROR_PREVIEW)}"
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- SARIF dialect ------------------------------------------------------------------------
# govulncheck's SARIF, as the SARIF parser (``parsers.sarif``) reads it: one result per OSV
# id, one finding per vulnerable module it names, keyed as its JSON is (OSV id, module): the
# module from the code flows' ``module``, else the packages or modules the message names,
# resolved through ``go.mod`` under ``--source-root``, else by their paths.  Reachability
# from the message ("calls" > "imports" > "depends on"), severity relative to the run's
# ``scan_level``.

_REACHABILITY = (
    (re.compile(r"\bcalls vulnerable\b", re.IGNORECASE), "symbol"),
    (re.compile(r"\bimports \d+ vulnerable\b", re.IGNORECASE), "package"),
    (re.compile(r"\bdepends on \d+ vulnerable\b", re.IGNORECASE), "module"),
)
#: The packages or modules a result's message names: "in 2 packages (a, b)".
_NAMED = re.compile(r"\b(modules?|packages?) \(([^)]*)\)")
_OSV_PREFIX = re.compile(r"^\[[^\]]+\]\s*")


def _reachability(message: str) -> str | None:
    for pattern, level in _REACHABILITY:
        if pattern.search(message):
            return level
    return None


def _flow_modules(view: sarif.SarifResult) -> list[str]:
    """``module@version`` of the vulnerable end of each code flow (its last step), else of
    each stack's last frame: binary scans of older releases write no code flows, only
    stacks whose frames name their module without a version."""
    modules: list[str] = []
    for flow in expect_list(view.raw.get("codeFlows"), "codeFlows"):
        for thread in expect_list(sarif.as_dict(flow).get("threadFlows"), "threadFlows"):
            steps = expect_list(sarif.as_dict(thread).get("locations"), "threadFlow.locations")
            if steps and (module := as_str(sarif.as_dict(steps[-1]).get("module"))):
                modules.append(module)
    if not modules:
        for stack in expect_list(view.raw.get("stacks"), "stacks"):
            frames = expect_list(sarif.as_dict(stack).get("frames"), "stack.frames")
            if frames and (module := as_str(sarif.as_dict(frames[-1]).get("module"))):
                modules.append(module)
    return modules


def _govulncheck_modules(
    view: sarif.SarifResult, context: sarif.RunContext
) -> list[tuple[str, str | None]]:
    """Every vulnerable module of a result, with its version where known, in order: the code
    flows' modules, else the modules or packages the message names (a package's module
    from go.mod under ``--source-root``, else from its path)."""
    found: dict[str, str | None] = {}
    for module in _flow_modules(view):
        name, _sep, version = module.partition("@")
        if name and not found.get(name):
            found[name] = version or None
    if found:
        return list(found.items())
    named = _NAMED.search(view.message)
    if named is None:
        return []
    requirements = _go_requirements(context, view.path)
    for name in (part.strip() for part in named.group(2).split(",")):
        if not name:
            continue
        if named.group(1).startswith("module"):
            module = name
        else:
            module = module_of_package(name, requirements)
        found.setdefault(module, requirements.get(module))
    return list(found.items())


def _sarif_finding(view: sarif.SarifResult, context: sarif.RunContext) -> list[Finding]:
    reachability = _reachability(view.message)
    level = view.level or "warning"
    if reachability:
        scan_level = as_str(context.driver_properties.get("scan_level"))
        normalized = severity_at(
            reachability, scan_level, severity.from_cvss(sarif.security_severity(view))
        )
    else:
        normalized = severity.lookup(severity.SARIF_LEVELS, level)
    summary = sarif.rule_text(view.rule, "fullDescription", "shortDescription") or view.rule_id
    base: dict[str, Any] = {
        "tool": context.tool,
        "kind": Kind.dependency,
        "rule_id": view.rule_id,
        "title": redact(sarif.one_line(_OSV_PREFIX.sub("", summary), sarif.MAX_TITLE)),
        "severity": normalized,
        "tool_severity": level,
        "message": sarif.display_message(view.message),
        "identifiers": view.identifiers,
        "references": view.facts.references,
        "reachability": reachability,
        "suppression": view.suppression,
    }
    modules = _govulncheck_modules(view, context)
    if not modules:
        # Nothing names a module: the OSV id alone, as v1 keyed every result.
        return [
            Finding(
                **base,
                location=view.location(None),
                related_locations=sarif.related_locations(view, context, with_snippets=False),
                identity=[view.rule_id, "", ""],
            )
        ]
    findings = []
    for module, version in modules:
        # Each its own locations: paths are normalized in place, once per finding.
        findings.append(
            Finding(
                **base,
                location=view.location(None),
                related_locations=sarif.related_locations(view, context, with_snippets=False),
                component=Component(
                    name=module, installed_version=version, ecosystem="go", target=module
                ),
                # As govulncheck's JSON keys it (parsers.govulncheck): neither level nor
                # version, so a finding that becomes reachable keeps its identity.
                identity=[view.rule_id, module, module],
                previous_identity=[view.rule_id, "", ""],
            )
        )
    return findings


#: Characters of a go.mod read (a bound for a hostile source tree).
_MAX_GO_MOD = 1 << 20


def _go_requirements(context: sarif.RunContext, path: str | None) -> dict[str, str]:
    """The requirements of the go.mod at ``path`` (a result's location), else of the source
    root's go.mod, each read once per run; nothing without ``--source-root`` or a readable
    go.mod."""
    if context.source is None:
        return {}
    relative = path if path and PurePath(path).name == "go.mod" else "go.mod"
    read: dict[str, dict[str, str]] = context.memo.setdefault("go.mod", {})
    known = read.get(relative)
    if known is None:
        known = {}
        found = context.source.resolve(relative)
        if found is not None:
            try:
                text = found.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            known = go_mod_requirements(text[:_MAX_GO_MOD])
        read[relative] = known
    return known


SARIF_DIALECT = sarif.SarifDialect(
    claims=lambda name: name == "govulncheck",
    convert=_sarif_finding,
)

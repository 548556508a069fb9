"""report.html: one self-contained page, readable offline from a CI artifact.

The page makes no request of any kind: styles, script, data and the chart are inline, and a
Content-Security-Policy meta tag forbids everything else (``default-src 'none'``; the one style
and the one script are allowed by their SHA-256 hashes, computed here).

Everything that does not grow with the findings (headline, gate, tool runs, chart,
calibration) is rendered by Jinja2 with autoescape.  The findings go into a
``<script type="application/json">`` block in a compact form (an interned string table and one
short array per finding) with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, so no text from a
report can close the block; the page's script builds one page of table rows at a time with DOM
APIs only, so 100k findings never become 100k DOM rows.

Like every renderer this reads the model only: states, gate, calibration and diff counts come
from the Report as the pipeline computed them.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

from hardening.model import (
    CodeLocation,
    Component,
    Endpoint,
    Finding,
    Kind,
    Report,
    RunStatus,
    Severity,
    State,
)
from hardening.render.interface import Renderer, RenderSettings
from hardening.render.links import advisory_url, link_base, place_label, where
from hardening.report_io import write_atomic

TEMPLATE = "report.html.j2"
#: Table rows the page renders at once.
PAGE_SIZE = 200
#: Calibration rows shown; the rest are in findings.json.
MAX_CALIBRATION_ROWS = 500
#: States always shown in the headline (others only when non-zero), as in summary.md.
_SEVERITIES = list(Severity)
_STATES = list(State)
_STATE_BY_NAME = {state.value: state for state in State}
#: Findings that went away are not part of today's picture in the chart.

# C0 and C1 controls except tab, newline and carriage return, and bidirectional overrides
# (which can make text read differently from what it is).
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_STATUS_LABEL = {
    RunStatus.ok: "ran",
    RunStatus.failed: "failed",
    RunStatus.missing: "missing",
    RunStatus.not_exercised: "not exercised",
}

# Chart geometry (SVG user units).
_CHART_LABEL_WIDTH = 150
_CHART_BAR_WIDTH = 520
_CHART_COUNT_WIDTH = 70
_CHART_ROW_HEIGHT = 24
_CHART_TOP = 30


def render(report: Report) -> str:
    """The whole page as one string."""
    return b"".join(chunks(report)).decode("utf-8")


def write(report: Report, path: Path) -> None:
    """Write ``report.html`` atomically, piece by piece."""
    write_atomic(path, chunks(report))


def chunks(report: Report) -> Iterator[bytes]:
    """The page as UTF-8 pieces: the page around the findings rendered once by the template,
    the findings' data streamed a block of rows at a time, so neither the data nor the page
    is ever held whole (a million findings make a page of several hundred megabytes).

    Text a parser kept as lone surrogates (undecodable bytes) becomes "?"."""
    cut = f"hardening-data-{secrets.token_hex(16)}"
    with _gc_paused():
        # The cut is a plain token (no markup), replaced by the streamed data below.
        token = Markup(cut)  # noqa: S704
        page = load_template().render(csp=content_security_policy, data=token, view=_view(report))
    head, found, tail = page.partition(cut)
    if not found:  # pragma: no cover - the template always places the data
        raise AssertionError("report.html template lost its data block")
    yield head.encode("utf-8", "replace")
    with _gc_paused():
        yield from _table_data(report)
    yield tail.encode("utf-8", "replace")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The findings table allocates a few small lists per finding and no cycles; with 100k
    findings, collections triggered by those allocations rescan every live model and cost
    more than the rendering itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Template and Content-Security-Policy


@cache
def load_template(name: str = TEMPLATE, *, keep_trailing_newline: bool = True) -> jinja2.Template:
    """An installed page template (report.html's, trends.html's), autoescaped, strict about
    undefined names."""
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    return env.from_string(_template_source(name))


def _template_source(name: str = TEMPLATE) -> str:
    """The text of one of the installed templates (report.html's, trends.html's)."""
    try:
        folder = resources.files("hardening.templates")
    except ModuleNotFoundError:
        # An editable install maps the data-only templates/ folder as a namespace package it
        # cannot import; there the folder sits beside the package in the source tree.
        return (Path(__file__).resolve().parents[2] / "templates" / name).read_text("utf-8")
    return folder.joinpath(name).read_text("utf-8")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(style: str, script: str | None = None) -> str:
    """Called by a page's template with the exact text of its one style and its one script
    (none: the page runs no script): nothing else may load or run."""
    sources = [f"style-src {_csp_hash(style)}"]
    if script is not None:
        sources.append(f"script-src {_csp_hash(script)}")
    return "; ".join(["default-src 'none'", *sources, "base-uri 'none'", "form-action 'none'"])


def _script_json(value: Any) -> bytes:
    """JSON safe inside a ``<script type="application/json">`` element: no ``<`` at all, so
    neither ``</script>`` nor ``<!--`` can appear; ``&`` and ``>`` for good measure, and the
    line separators JavaScript once treated as newlines."""
    try:
        data = orjson.dumps(value)
    except orjson.JSONEncodeError:  # lone surrogates from a report: "?" instead
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "replace"
        )
    return (
        data.replace(b"<", b"\\u003c")
        .replace(b">", b"\\u003e")
        .replace(b"&", b"\\u0026")
        .replace("\u2028".encode(), b"\\u2028")
        .replace("\u2029".encode(), b"\\u2029")
    )


def _clean(value: str) -> str:
    # Printable text (most of it) holds no control or format character: nothing to remove,
    # and asking costs a quarter of the search.
    if value.isprintable():
        return value
    return _UNSAFE_CHARS.sub("", value)


# ---------------------------------------------------------------------------------------------
# Server-rendered parts (autoescaped by the template)


@dataclass(frozen=True)
class _Count:
    label: str
    count: int
    css: str


@dataclass(frozen=True)
class _Segment:
    severity: str
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class _Bar:
    tool: str
    y: int
    total: int
    segments: list[_Segment]


@dataclass(frozen=True)
class _Chart:
    width: int
    height: int
    label_width: int
    bars: list[_Bar]
    legend: list[tuple[str, int]]


def _view(report: Report) -> dict[str, Any]:
    states_present = _states_present(report)
    tools = sorted({_clean(tool) for tool in {f.tool for f in report.findings}})
    return {
        "title": "Hardening report" + (f" ({_clean(report.profile)})" if report.profile else ""),
        "generator": f"{_clean(report.generator)} {_clean(report.generator_version)}".strip(),
        "profile": _clean(report.profile or ""),
        "has_states": bool(states_present),
        "headline": _headline(report),
        "totals": report.finding_totals(),
        "totals_text": _totals_text(report),
        "completeness": report.run_completeness(),
        "rows": len(report.findings),
        "diff": report.diff,
        "gate": report.gate,
        "runs": _runs(report),
        "problems": _problems(report),
        "skipped": [(_clean(s.path), _clean(s.reason)) for s in report.skipped],
        "filtered": [(_clean(k), v) for k, v in report.filtered.by_reason.items()],
        "filtered_total": report.filtered.total,
        "chart": _chart(report),
        "calibration": report.calibration[:MAX_CALIBRATION_ROWS],
        "calibration_left_out": max(0, len(report.calibration) - MAX_CALIBRATION_ROWS),
        "state_options": [s.value for s in _STATES if s in states_present],
        "severity_options": [s.value for s in _SEVERITIES],
        "tool_options": tools,
        "page_size": PAGE_SIZE,
    }


def _states_present(report: Report) -> set[State]:
    if report.diff is not None:
        return {
            _STATE_BY_NAME[name]
            for name, n in report.diff.counts.items()
            if n and name in _STATE_BY_NAME
        }
    return {f.state for f in report.findings if f.state is not None}


def _headline(report: Report) -> list[_Count]:
    if report.diff is not None:
        counts = report.diff.counts
        shown = [*State.HEADLINE, *(s for s in _STATES if s not in State.HEADLINE)]
        return [
            _Count(state.value.replace("_", " "), counts.get(state.value, 0), state.value)
            for state in shown
            if state in State.HEADLINE or counts.get(state.value, 0)
        ]
    totals = report.finding_totals()
    cards = [_Count(s.value, totals.by_severity.get(s.value, 0), s.value) for s in _SEVERITIES]
    if totals.suppressed:
        cards.append(_Count("suppressed", totals.suppressed, State.suppressed.value))
    return cards


def _totals_text(report: Report) -> str:
    """``47 open, 8 suppressed; 3 filtered out``: the counts every output gives."""
    totals = report.finding_totals()
    parts = [f"{totals.open} open"]
    if totals.not_called:
        parts[0] += f" ({totals.not_called} of them not called)"
    parts += [
        f"{n} {label}"
        for n, label in (
            (totals.accepted, "accepted"),
            (totals.false_positive, "false positive"),
            (totals.suppressed, "suppressed"),
        )
        if n
    ]
    text = ", ".join(parts)
    if totals.filtered:
        text += f"; {totals.filtered} filtered out"
    return text


def _runs(report: Report) -> list[dict[str, Any]]:
    rows = []
    for run in sorted(report.runs, key=lambda r: (r.tool, r.artifact or "")):
        version = _clean(run.version or "")
        if run.database_date:
            version += f" (db {_clean(run.database_date)})"
        rows.append(
            {
                "tool": _clean(run.tool),
                "version": version.strip(),
                "status": _STATUS_LABEL[run.status],
                "css": run.status.value,
                "findings": run.findings if run.status is RunStatus.ok else None,
                "artifact": _clean(run.artifact or ""),
                "error": _clean(run.error or ""),
            }
        )
    return rows


def _problems(report: Report) -> list[tuple[str, str]]:
    """(source, text) for tool warnings, errors the tools reported, and report warnings."""
    problems: list[tuple[str, str]] = []
    for run in report.runs:
        tool = _clean(run.tool)
        problems.extend((tool, _clean(w)) for w in run.warnings)
        problems.extend((tool, "reported: " + _clean(e)) for e in run.run_errors)
    problems.extend(("hardening", _clean(w)) for w in report.warnings)
    return problems


def _chart(report: Report) -> _Chart | None:
    """Findings present today (not fixed or unknown), by tool and severity, as stacked bars."""
    by_tool = report.present_by_tool()
    if not by_tool:
        return None
    largest = max(c.total() for c in by_tool.values())
    bars = []
    for row, tool in enumerate(sorted(by_tool, key=lambda t: (-by_tool[t].total(), t))):
        bars.append(
            _bar(_clean(tool), _CHART_TOP + row * _CHART_ROW_HEIGHT, by_tool[tool], largest)
        )
    totals = Counter[Severity]()
    for counts in by_tool.values():
        totals.update(counts)
    return _Chart(
        width=_CHART_LABEL_WIDTH + _CHART_BAR_WIDTH + _CHART_COUNT_WIDTH,
        height=_CHART_TOP + len(bars) * _CHART_ROW_HEIGHT + 6,
        label_width=_CHART_LABEL_WIDTH,
        bars=bars,
        legend=[(s.value, totals[s]) for s in _SEVERITIES],
    )


def _bar(tool: str, y: int, counts: Counter[Severity], largest: int) -> _Bar:
    x = float(_CHART_LABEL_WIDTH)
    segments = []
    for severity in _SEVERITIES:
        if counts[severity]:
            width = counts[severity] / largest * _CHART_BAR_WIDTH
            segments.append(
                _Segment(severity.value, round(x, 2), round(width, 2), counts[severity])
            )
            x += width
    return _Bar(tool, y, counts.total(), segments)


# ---------------------------------------------------------------------------------------------
# Findings data for the page's script


class _Strings(dict[str | None, int]):
    """An interned string table: repeated tool names, rules, titles, paths and messages are
    stored once and referenced by index; index 0 is the empty string (absent).  A dict
    subclass so a lookup that hits (the common case) costs one C call."""

    def __init__(self) -> None:
        super().__init__({None: 0, "": 0})
        self.table: list[str] = [""]
        # A tuple many findings share (an advisory's identifiers and references), held so its
        # id stays its own, with its indices.
        self._shared: dict[int, tuple[Sequence[str], list[int]]] = {}
        # The rows of a properties content met before (see ``property_rows``).
        self._rows: dict[tuple[Any, ...], list[list[int]]] = {}
        # The same by the properties dict itself, for dicts findings share.
        self._rows_of: dict[int, tuple[dict[str, Any], list[list[int]]]] = {}
        # Endpoint labels ("METHOD url") are held as their URL, which the finding holds
        # anyway, and their method's number in ``_methods`` (``_codes``, one byte per entry
        # of the table, 0 for a plain string): nearly every DAST instance has its own URL, and
        # 100k label strings cost 13 MiB.  ``_labels`` finds such an entry by its URL (with
        # the method of ``_codes``), ``_other_labels`` by method and URL (another method on
        # a URL met before, or a label equal to a plain string met before).
        self._methods: list[str] = []
        self._method_codes: dict[str, int] = {}
        self._codes = bytearray(1)
        self._labels: dict[str, int] = {}
        self._other_labels: dict[tuple[str, str], int] = {}

    def indices(self, values: Sequence[str]) -> tuple[list[int], bool]:
        """The indices of ``values``, and whether they were looked up now (False: a shared
        tuple met before, whose indices are reused)."""
        if type(values) is tuple:
            known = self._shared.get(id(values))
            if known is not None:
                return known[1], False
        found = list(map(self.__getitem__, values))
        if type(values) is tuple:
            self._shared[id(values)] = (values, found)
        return found, True

    def property_rows(self, properties: dict[str, Any]) -> list[list[int]]:
        """[[key, text], ...] indices of a finding's properties: read once per distinct
        content (the findings of one rule or advisory repeat theirs), in a bounded table."""
        known = self._rows_of.get(id(properties))
        if known is not None:  # a dict many findings share (an advisory's, an alert's)
            return known[1]
        key = _properties_key(properties)
        rows = self._rows.get(key) if key is not None else None
        if rows is None:
            rows = [[self[name], self[_property_text(value)]] for name, value in properties.items()]
            if key is not None and len(self._rows) < _MAX_PROPERTY_ROWS:
                self._rows[key] = rows
        if len(self._rows_of) < _MAX_PROPERTY_ROWS:
            self._rows_of[id(properties)] = (properties, rows)  # held: its id stays its own
        return rows

    def __missing__(self, value: str | None) -> int:
        if self._labels and value and " " in value:
            # A text equal to an endpoint label met before has that label's index.
            method, _, url = value.partition(" ")
            index = self._label_index(method, url)
            if index is not None:
                self[value] = index
                return index
        index = len(self.table)
        self[value] = index
        self.table.append(_clean(value or ""))
        self._codes.append(0)
        return index

    def endpoint_label(self, endpoint: Endpoint) -> int:
        """The index of ``place_label(endpoint)``, as ``self[place_label(endpoint)]`` gives
        it, without keeping the label's text (see ``__init__``)."""
        method, url = endpoint.method, endpoint.url
        if (
            not method
            or not url
            or " " in method
            or method[0].isspace()
            or url[-1].isspace()
            or len(self._methods) >= 255
        ):
            return self[place_label(endpoint)]
        index = self._label_index(method, url)
        if index is not None:
            return index
        index = self.get(_endpoint_text(method, url))  # a plain string equal to the label
        if index is None:
            index = len(self.table)
            self.table.append(url)
            code = self._method_codes.get(method)
            if code is None:
                self._methods.append(method)
                code = self._method_codes[method] = len(self._methods)
            self._codes.append(code)
            if url not in self._labels:
                self._labels[url] = index
                return index
        self._other_labels[(method, url)] = index
        return index

    def _label_index(self, method: str, url: str) -> int | None:
        index = self._labels.get(url)
        if index is not None and self._methods[self._codes[index] - 1] == method:
            return index
        return self._other_labels.get((method, url)) if self._other_labels else None

    def texts(self, start: int, stop: int) -> list[str]:
        """Entries ``start`` to ``stop`` of the table as the page holds them."""
        texts = self.table[start:stop]
        codes = self._codes[start:stop]
        if codes.count(0) == len(codes):
            return texts
        methods = self._methods
        return [
            _clean(_endpoint_text(methods[code - 1], text)) if code else text
            for text, code in zip(texts, codes, strict=True)
        ]


def _endpoint_text(method: str, url: str) -> str:
    """``links.place_label`` of an endpoint whose method and URL ``endpoint_label`` admits
    (a method without spaces, neither end blank): nothing there for its ``strip`` to take."""
    return f"{method} {url}"


_Intern = Callable[[str | None], int]

#: Distinct properties contents whose rows a page's string table remembers.
_MAX_PROPERTY_ROWS = 8192


def _properties_key(properties: dict[str, Any]) -> tuple[Any, ...] | None:
    """A hashable key of properties whose text ``_property_text`` gives from it alone: each
    value with its type (``1``, ``1.0`` and ``True`` are equal, and read differently), a list,
    tuple or dict of such plain values too; None when a value nests deeper (its rows are built each
    time)."""
    key: list[Any] = []
    for name, value in properties.items():
        kind = type(value)
        if kind is list or kind is tuple:
            value = _values_key(value)
        elif kind is dict:
            value = (_values_key(value.keys()), _values_key(value.values()))
        elif kind is float:
            value = repr(value)
        key.append((name, kind, value))
    frozen = tuple(key)
    try:
        hash(frozen)
    except TypeError:  # a value nests deeper
        return None
    return frozen


_PLAIN = frozenset({str, int, bool, type(None)})
_PLAIN_OR_FLOAT = _PLAIN | {float}


def _values_key(values: Iterable[Any]) -> tuple[Any, ...]:
    """Values with their types, in C calls where they are plain (the common case): their
    types and themselves, or with a float among them their texts (``-0.0 == 0.0``); else each
    by ``_plain_key``.  The first item tells the three forms apart."""
    values = tuple(values)
    types = tuple(map(type, values))
    if _PLAIN.issuperset(types):
        return (0, types, values)
    if _PLAIN_OR_FLOAT.issuperset(types):
        return (1, types, tuple(map(repr, values)))
    return (2, *map(_plain_key, values))


def _plain_key(value: Any) -> tuple[type, Any]:
    """A value with its type; a float by its text (``-0.0 == 0.0``)."""
    return (float, repr(value)) if type(value) is float else (type(value), value)


#: Findings encoded per block of the page's data.
_ROWS_PER_BLOCK = 1_000
_STRINGS_PER_BLOCK = 20_000


def _table_data(report: Report) -> Iterator[bytes]:
    """The compact findings table the script reads, as a stream of JSON pieces.

    ``f`` holds one array per finding: [state, severity, tool, rule, title, where, line,
    fingerprint, details], where state and severity index ``st`` and ``sv`` (state -1: none),
    strings index ``s``, and details is an object with short keys, present only when set
    (``l``: [path, start line, end line, start column, end column], ``c``: component, ``e``:
    endpoint, ``i``: identifiers ...).  ``lb`` is the link base the page links repository
    paths under (empty: no links).  A snippet (``p``) is written inline rather than interned:
    snippets seldom repeat, and interning a million of them costs more than it saves.  ``u``
    maps identifiers to the advisory pages built from them.  The string table and ``u`` come
    last: they are complete only once every row is.
    """
    strings = _Strings()
    ix: _Intern = strings.__getitem__
    state_index: dict[State | None, int] = {state: i for i, state in enumerate(_STATES)}
    state_index[None] = -1
    severity_index = {severity: i for i, severity in enumerate(_SEVERITIES)}
    kind_index = {kind: ix(kind.value) for kind in Kind}
    advisories: dict[str, str] = {}
    head = {
        "st": [s.value for s in _STATES],
        "sv": [s.value for s in _SEVERITIES],
        "n": PAGE_SIZE,
        "lb": link_base(report.link_base) or "",
    }
    yield _script_json(head)[:-1] + b',"f":['
    findings = report.findings
    for start in range(0, len(findings), _ROWS_PER_BLOCK):
        rows = []
        for finding in findings[start : start + _ROWS_PER_BLOCK]:
            place, line = _where(finding)
            details = _details(finding, strings, advisories)
            details["k"] = kind_index[finding.kind]
            rows.append(
                [
                    state_index[finding.state],
                    severity_index[finding.severity],
                    ix(finding.tool),
                    ix(finding.rule_id),
                    ix(finding.title),
                    ix(place) if isinstance(place, str) else strings.endpoint_label(place),
                    line,
                    finding.fingerprint,
                    details,
                ]
            )
        yield (b"," if start else b"") + _script_json(rows)[1:-1]
    yield b'],"s":['
    for start in range(0, len(strings.table), _STRINGS_PER_BLOCK):
        texts = strings.texts(start, start + _STRINGS_PER_BLOCK)
        yield (b"," if start else b"") + _script_json(texts)[1:-1]
    yield b'],"u":' + _script_json(advisories) + b"}"


def _where(finding: Finding) -> tuple[str | Endpoint, int]:
    """The table's place column and line: a package by name and version alone (the details
    show where it lives); an endpoint as itself, whose label ``_Strings.endpoint_label``
    interns."""
    place = where(finding)
    if isinstance(place, CodeLocation):
        return place.path, place.start_line or 0
    if isinstance(place, Component):
        return f"{place.name} {place.installed_version or ''}".strip(), 0
    if isinstance(place, Endpoint):
        return place, 0
    return place_label(place), 0


def _details(finding: Finding, strings: _Strings, advisories: dict[str, str]) -> dict[str, Any]:
    ix: _Intern = strings.__getitem__
    d: dict[str, Any] = {}
    if finding.message and finding.message != finding.title:
        d["m"] = ix(finding.message)  # interned: one advisory text serves many packages
    loc = finding.location
    if loc is not None:
        d["l"] = [
            ix(loc.path),
            loc.start_line or 0,
            loc.end_line or 0,
            loc.start_column or 0,
            loc.end_column or 0,
        ]
        if loc.snippet:
            d["p"] = _clean(loc.snippet)  # inline: snippets seldom repeat
    if finding.related_locations:
        d["rl"] = [
            ix(r.path + (f":{r.start_line}" if r.start_line else ""))
            for r in finding.related_locations
        ]
    comp = finding.component
    if comp is not None:
        d["c"] = [
            ix(comp.name),
            ix(comp.installed_version),
            ix(comp.fixed_version),
            ix(comp.purl),
            ix(comp.target),
            ix(comp.package_path),
            ix(comp.ecosystem),
            ix(comp.status),
        ]
    ep = finding.endpoint
    if ep is not None:
        d["e"] = [ix(ep.method), ix(ep.url), ix(ep.param)]
    if finding.identifiers:
        d["i"], new = strings.indices(finding.identifiers)
        for identifier in finding.identifiers if new else ():
            if identifier not in advisories:
                url = advisory_url(identifier)
                if url:
                    advisories[identifier] = url
    if finding.references:
        d["r"] = strings.indices(finding.references)[0]
    _optional_details(finding, strings, d)
    return d


def _optional_details(finding: Finding, strings: _Strings, d: dict[str, Any]) -> None:
    ix: _Intern = strings.__getitem__
    if finding.tool_severity:
        d["ts"] = ix(finding.tool_severity)
    if finding.confidence:
        d["cf"] = ix(finding.confidence)
    if finding.reachability:
        d["rc"] = ix(finding.reachability)
    if finding.suppression is not None:
        d["su"] = [ix(finding.suppression.kind), ix(finding.suppression.justification)]
    artifacts = finding.artifacts or ([finding.artifact] if finding.artifact else [])
    if artifacts:
        d["a"] = strings.indices(artifacts)[0]  # an artifact's findings share its tuple
    if finding.occurrences > 1:
        d["o"] = finding.occurrences
    if finding.count is not None:
        d["n"] = finding.count
    if finding.commits:
        d["cm"] = [ix(c) for c in finding.commits]
    if finding.drift:
        d["dr"] = 1
    if finding.not_called:
        d["nc"] = 1
    if finding.properties:
        d["pr"] = strings.property_rows(finding.properties)


def _property_text(value: Any, limit: int = 300) -> str:
    if isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        try:
            text = orjson.dumps(
                value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
            ).decode()
        except orjson.JSONEncodeError:  # lone surrogates: the standard encoder keeps them
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Page(Renderer):
    file_name = "report.html"

    def write(self, report: Report, path: Path, settings: RenderSettings) -> None:
        write(report, path)


RENDERER = Page()

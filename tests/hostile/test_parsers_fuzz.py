"""Every parser, fed anything, reads it or raises a one-line ParseError.

For each registered parser and its own samples: generated JSON shapes built from the
format's own keys, mutations of a real sample (a key deleted, a value retyped to null, a
number, a list, an object or a string, an item duplicated), generated XML (for the XML
parsers), random bytes, and a small real sample truncated at every byte.  Whatever the input:
no exception other than ``hardening.errors.ParseError``, whose text is one line without any
canary; no hang (each call is bounded); what parses survives fingerprinting and
serialization; memory stays bounded.

Hypothesis runs derandomized (the same cases on every run and machine); the number of cases
each parser was given is counted (``HARDENING_HOSTILE_COUNTS=1`` prints the table).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hostile_support import (
    CANARIES,
    Scratch,
    count,
    dump_json_values,
    json_values,
    parse_bytes,
    parser_class,
    parser_names,
    sample_kind,
    samples_by_parser,
    shrink,
    vocabulary,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import SAMPLES, corpus_dir, corpus_or_skip

PARSERS = parser_names()
XML_PARSERS = [name for name in PARSERS if parser_class(name).format.endswith("xml")]


@pytest.fixture
def scratch_file() -> Iterator[Callable[[Path], Scratch]]:
    """Scratch files for one test, closed at its end."""
    opened: list[Scratch] = []

    def make(path: Path) -> Scratch:
        opened.append(Scratch(path))
        return opened[-1]

    yield make
    for scratch in opened:
        scratch.close()


#: Cases per strategy and parser: enough to reach the odd branches, fast enough for CI.
EXAMPLES = {"json-shapes": 100, "mutations": 150, "random-bytes": 150, "xml-shapes": 200}
#: Samples above this size are mutated in their shrunk form (deep copies cost time).
MUTATE_WHOLE_BELOW = 32 * 1024


def fuzz_settings(kind: str) -> settings:
    return settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Values that have broken parsers elsewhere: credentials (which must not reach an error
# message), escapes, huge and odd numbers, paths, markup and lone surrogates.
SPICY_STRINGS = [
    *CANARIES.values(),
    "",
    " ",
    "\x00",
    "\x1b[2J",
    "\r\n",
    "../../etc/passwd",
    "/abs/path.go",
    "C:\\win\\path.go",
    "file:///etc/shadow",
    "<script>alert(1)</script>",
    "\ud800",
    "é\u202eevil",
    "9" * 40,
    "-1",
    "1e999",
    "NaN",
    "null",
    "CVE-2024-0001",
    "HIGH",
    "critical",
    "GET",
    "http://[::1",
    "%zz",
]


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([0.5, -0.0, 1e308, float("inf"), float("-inf"), float("nan")]),
        st.text(max_size=12),
        st.sampled_from(SPICY_STRINGS),
    )


def json_shapes(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON values whose objects mostly use the format's own keys, so the parser goes deep."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=10)) if keys else st.text()
    return st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(key, children, max_size=8),
        ),
        max_leaves=20,
    )


def _serialize(values: list[Any]) -> bytes:
    try:
        return dump_json_values(values)
    except UnicodeEncodeError:  # a lone surrogate: write it as the escape real reports hold
        return "\n".join(json.dumps(v, ensure_ascii=True) for v in values).encode("ascii")


# --- mutations of a real sample ------------------------------------------------------------

REPLACEMENTS: list[Any] = [None, 0, -1, 2**64, 1.5, "", [], {}, True, *CANARIES.values()]
#: Keys a report may hold instead of the expected one: secrets, newlines, markup.
ODD_KEYS = ["", "\n", "a\nb", "<x>", "\x1b[2J", CANARIES["github"], CANARIES["aws"]]


@st.composite
def mutated_json(draw: st.DrawFn, values: list[Any]) -> bytes:
    """A real sample with 1-3 mutations: delete, retype or duplicate somewhere inside it."""
    document = copy.deepcopy(values)
    for _ in range(draw(st.integers(1, 3))):
        parent: Any = document
        key: Any = draw(st.integers(0, len(document) - 1))
        # Walk down a random path; stop at a random depth.
        while isinstance(parent[key], (dict, list)) and parent[key] and draw(st.booleans()):
            parent = parent[key]
            key = draw(
                st.sampled_from(list(parent) if isinstance(parent, dict) else range(len(parent)))
            )
        op = draw(st.sampled_from(["delete", "retype", "stringify", "wrap", "duplicate", "rekey"]))
        value = parent[key]
        if op == "delete" and parent is not document:
            del parent[key]
        elif op == "rekey" and isinstance(parent, dict):
            parent[draw(st.sampled_from(ODD_KEYS))] = parent.pop(key)
        elif op == "retype":
            parent[key] = draw(st.sampled_from(REPLACEMENTS))
        elif op == "stringify":
            parent[key] = json.dumps(value)
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[value], {"value": value}]))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(value))
        elif op == "duplicate" and isinstance(value, (dict, list)):
            parent[key] = value + value if isinstance(value, list) else {**value, **value}
    return _serialize(document)


@st.composite
def mutated_xml(draw: st.DrawFn, data: bytes) -> bytes:
    root = ElementTree.fromstring(data)
    elements = list(root.iter())
    for _ in range(draw(st.integers(1, 3))):
        parents = [e for e in elements if len(e)]
        if not parents:
            break
        parent = draw(st.sampled_from(parents))
        child = draw(st.sampled_from(list(parent)))
        op = draw(st.sampled_from(["delete", "text", "attribute", "duplicate", "rename"]))
        if op == "delete":
            parent.remove(child)
        elif op == "text":
            child.text = draw(st.sampled_from([None, "", "-1", "9" * 30, *CANARIES.values()]))
        elif op == "attribute" and child.attrib:
            name = draw(st.sampled_from(sorted(child.attrib)))
            if draw(st.booleans()):
                del child.attrib[name]
            else:
                child.attrib[name] = draw(st.sampled_from(["", "x", "-1", *CANARIES.values()]))
        elif op == "duplicate":
            parent.append(copy.deepcopy(child))
        elif op == "rename":
            child.tag = draw(st.sampled_from([parent.tag, root.tag, "x", "failure", "site"]))
        elements = list(root.iter())
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=draw(st.booleans()))


@st.composite
def mutated_csv(draw: st.DrawFn, data: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.sampled_from(rows))
        op = draw(st.sampled_from(["delete-cell", "retype", "duplicate", "drop-row"]))
        if op == "delete-cell" and row:
            del row[draw(st.integers(0, len(row) - 1))]
        elif op == "retype" and row:
            row[draw(st.integers(0, len(row) - 1))] = draw(
                st.sampled_from(["", "-1", "x" * 300, '"', "\n", *CANARIES.values()])
            )
        elif op == "duplicate":
            rows.append(list(row))
        elif op == "drop-row" and len(rows) > 1:
            rows.remove(row)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def mutations(data: bytes) -> st.SearchStrategy[bytes]:
    kind = sample_kind(data)
    if kind in ("json", "stream"):
        return mutated_json(json_values(data))
    if kind == "xml":
        return mutated_xml(data)
    return mutated_csv(data)


# --- generated XML ---------------------------------------------------------------------------


def xml_trees(tags: list[str], attributes: list[str]) -> st.SearchStrategy[bytes]:
    """Well-formed XML built from the format's own tags and attributes, with odd values."""
    text = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(SPICY_STRINGS[:-10]))
    xml_text = text.map(lambda t: _xml_safe(t) if t is not None else None)

    def element(children: st.SearchStrategy[list[ElementTree.Element]]) -> Any:
        return st.builds(
            _element,
            st.sampled_from([*tags, *XML_NAME_CANARIES]),
            st.dictionaries(st.sampled_from(attributes or ["name"]), xml_text.map(str), max_size=4),
            xml_text,
            children,
        )

    leaf = element(st.just([]))
    tree = st.recursive(leaf, lambda kids: element(st.lists(kids, max_size=4)), max_leaves=25)
    return tree.map(lambda root: ElementTree.tostring(root, encoding="utf-8"))


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot hold most control characters or lone surrogates at all.
    return "".join(c for c in text if c in "\t\n\r" or (c >= " " and not "\ud800" <= c <= "\udfff"))


def _element(
    tag: str, attrib: dict[str, str], text: str | None, children: list[ElementTree.Element]
) -> ElementTree.Element:
    element = ElementTree.Element(tag, attrib)
    element.text = text
    element.extend(children)
    return element


#: Canaries that are valid XML names, as tags: a tag is echoed in some error messages.
XML_NAME_CANARIES = [CANARIES["github"], CANARIES["gitlab"], CANARIES["aws"]]

XML_FRAGMENTS = [
    b"<",
    b"</",
    b">",
    b"/>",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x1F;",
    b"&undefined;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version='1.0'?>",
    b"<?xml version='1.0' encoding='bogus-9'?>",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"<!DOCTYPE x>",
    b"<OWASPZAPReport version='2.14.0'>",
    b"<site name='http://a' host='a' port='80'>",
    b"<alertitem>",
    b"<testsuites>",
    b"<testsuite name='schemathesis'>",
    b"<testcase name='GET /x'>",
    b"<failure message='x'>",
    b'"',
    b"'",
    b"=",
    b" ",
    b"\xff",
    b"\x00",
]


def xml_soup() -> st.SearchStrategy[bytes]:
    """Broken XML: format tags, markup fragments and junk in any order."""
    return st.lists(
        st.one_of(st.sampled_from(XML_FRAGMENTS), st.binary(max_size=8)), max_size=30
    ).map(b"".join)


RANDOM_STARTS = [b"", b"{", b"[", b"<?xml", b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"RuleID,"]


def random_bytes() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda start, body: start + body, st.sampled_from(RANDOM_STARTS), st.binary(max_size=600)
    )


# --- the tests -------------------------------------------------------------------------------


def test_every_registered_parser_has_a_sample() -> None:
    assert len(PARSERS) >= 13
    assert sorted(samples_by_parser()) == PARSERS


@pytest.mark.parametrize("parser", PARSERS)
def test_generated_json_shapes(
    parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    cls = parser_class(parser)
    keys, _ = vocabulary(parser)
    scratch = scratch_file(tmp_path / "report.json")

    @fuzz_settings("json-shapes")
    @given(st.lists(json_shapes(keys), min_size=1, max_size=3))
    def check(values: list[Any]) -> None:
        count(parser, "json-shapes")
        parse_bytes(cls, scratch, _serialize(values))

    check()


@pytest.mark.parametrize("parser", PARSERS)
def test_mutated_samples(
    parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    cls = parser_class(parser)
    samples = samples_by_parser()[parser]
    scratch = scratch_file(tmp_path / samples[0].name)
    datas = [path.read_bytes() for path in samples]
    strategy = st.one_of(
        [mutations(data if len(data) < MUTATE_WHOLE_BELOW else shrink(data)) for data in datas]
    )

    @fuzz_settings("mutations")
    @given(strategy)
    def check(data: bytes) -> None:
        count(parser, "mutations")
        parse_bytes(cls, scratch, data)

    check()


@pytest.mark.parametrize("parser", PARSERS)
def test_random_bytes(parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]) -> None:
    cls = parser_class(parser)
    scratch = scratch_file(tmp_path / "artifact")

    @fuzz_settings("random-bytes")
    @given(random_bytes())
    def check(data: bytes) -> None:
        count(parser, "random-bytes")
        parse_bytes(cls, scratch, data)

    check()


@pytest.mark.parametrize("parser", XML_PARSERS)
def test_generated_xml(
    parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    cls = parser_class(parser)
    tags, attributes = vocabulary(parser)
    scratch = scratch_file(tmp_path / "report.xml")

    @fuzz_settings("xml-shapes")
    @given(st.one_of(xml_trees(tags, attributes), xml_soup()))
    def check(data: bytes) -> None:
        count(parser, "xml-shapes")
        parse_bytes(cls, scratch, data)

    check()


def test_the_xml_parsers_are_the_expected_ones() -> None:
    assert XML_PARSERS == ["schemathesis-junit", "zap-xml"]


@pytest.mark.parametrize("parser", PARSERS)
def test_sample_truncated_at_every_byte(
    parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    cls = parser_class(parser)
    data = shrink(samples_by_parser()[parser][0].read_bytes())
    scratch = scratch_file(tmp_path / "artifact")
    whole = parse_bytes(cls, scratch, data)
    assert whole.result is not None and whole.result.findings, "the shrunk sample still reads"
    empty = parse_bytes(cls, scratch, b"")
    # gitleaks writes an empty CSV when it finds nothing; every other format refuses it.
    assert empty.error == "empty file" or (empty.result is not None and not empty.result.findings)
    for end in range(1, len(data)):
        parse_bytes(cls, scratch, data[:end])
    count(parser, "truncations", len(data) + 1)


def small_corpus_files() -> list[Any]:
    root = corpus_dir()
    if root is None:
        return [pytest.param(None, id="corpus-missing")]
    from hardening import discover

    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.stat().st_size <= 1024:
            choice = discover.identify(path)
            if choice.parser is not None:
                files.append(pytest.param(path, id=path.relative_to(root).as_posix()))
    return files


@pytest.mark.parametrize("path", small_corpus_files())
def test_small_corpus_file_truncated_at_every_byte(
    path: Path | None, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    from hardening import discover

    if path is None:
        corpus_or_skip()  # skips or, under .ci/run, fails: no corpus file was collected
        return
    cls = discover.identify(path).parser
    assert cls is not None
    data = path.read_bytes()
    scratch = scratch_file(tmp_path / path.name)
    for end in range(len(data) + 1):
        parse_bytes(cls, scratch, data[:end])
    count(cls.name, "truncations (corpus)", len(data) + 1)


#: Memory a parser may use on a small hostile input, measured with tracemalloc.
PEAK_BYTES = 64 * 1024**2


def deep_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("parser", PARSERS)
def test_memory_stays_bounded_on_deep_and_repeated_input(
    parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    """100,000 nested objects or lists, and a real sample's first list item repeated 300 times."""
    cls = parser_class(parser)
    sample = samples_by_parser()[parser][0].read_bytes()
    inputs = [deep_json(100_000), b"[" * 100_000 + b"]" * 100_000]
    if sample_kind(sample) == "json":
        inputs.append(_repeated(json_values(sample)[0], 300))
    scratch = scratch_file(tmp_path / "big.json")
    for data in inputs:
        tracemalloc.start()
        try:
            parse_bytes(cls, scratch, data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        count(parser, "memory")
        assert peak < PEAK_BYTES, f"{peak:,} bytes for a {len(data):,}-byte input"


def _repeated(document: Any, times: int) -> bytes:
    """The document with its first non-empty list (depth-first) repeated ``times`` times."""
    document = copy.deepcopy(document)
    stack = [document]
    while stack:
        node = stack.pop()
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        for item in items:
            if isinstance(item, list) and item:
                item[:] = item[:1] * times
                return json.dumps(document).encode("utf-8")
            stack.append(item)
    return json.dumps(document).encode("utf-8")


# --- regressions the fuzzing found -------------------------------------------------------------


@pytest.mark.parametrize("parser", XML_PARSERS)
def test_an_unknown_xml_encoding_is_refused_with_a_reason(
    parser: str, tmp_path: Path, scratch_file: Callable[[Path], Scratch]
) -> None:
    data = (
        b"<?xml version='1.0' encoding='" + CANARIES["aws"].encode() + b"'?>"
        b"<testsuites><testsuite name='schemathesis'/></testsuites>"
    )
    outcome = parse_bytes(parser_class(parser), scratch_file(tmp_path / "r.xml"), data)
    assert outcome.error == "the XML declaration names an unknown character encoding"


@pytest.mark.parametrize(
    ("parser", "data", "reason"),
    [
        (
            "gosec-json",
            json.dumps({"Issues": [{"rule_id": CANARIES["github"]}]}).encode(),
            # The one issue is skipped, named by its place, never by its rule id.
            "no entry could be read: Issues[0]: the entry has no file",
        ),
        (
            "zap-xml",
            f"<{CANARIES['github']}/>".encode(),
            "root element is <[REDACTED]>, expected <OWASPZAPReport>",
        ),
        (
            "schemathesis-junit",
            f"<{CANARIES['gitlab']}/>".encode(),
            "root element is <[REDACTED]>, expected <testsuites>",
        ),
        (
            "govulncheck-json",
            json.dumps({"finding": {"osv": CANARIES["aws"], "trace": []}}).encode(),
            "no entry could be read: finding at offset 0: the entry has an empty trace",
        ),
        (
            "hardening-findings",
            json.dumps(
                {"runs": [{"tool": "x", "severity_counts": {CANARIES["aws"] + "\nx": "many"}}]}
            ).encode(),
            "not a valid hardening findings.json: runs.0.severity_counts.<key>: Input should "
            "be a valid integer, unable to parse string as an integer",
        ),
        ("hardening-findings", b"\n", "empty file"),
        (
            "trivy-json",
            (SAMPLES / "gitleaks" / "gitleaks.json").read_bytes(),
            "not a trivy JSON report: [0] has no Target (legacy trivy results)",
        ),
    ],
    ids=[
        "gosec-rule-id",
        "zap-root",
        "junit-root",
        "govulncheck-osv",
        "findings-key",
        "findings-empty",
        "trivy-legacy-list-of-other-objects",
    ],
)
def test_reasons_quote_no_secret_and_stay_on_one_line(
    parser: str,
    data: bytes,
    reason: str,
    tmp_path: Path,
    scratch_file: Callable[[Path], Scratch],
) -> None:
    outcome = parse_bytes(parser_class(parser), scratch_file(tmp_path / "report"), data)
    assert outcome.error == reason


_GOOD_ISSUE = {"rule_id": "G104", "file": "/src/a.go", "line": "3", "code": "3: f()"}


@pytest.mark.parametrize(
    ("parser", "data", "warning"),
    [
        (
            "gosec-json",
            json.dumps(
                {
                    "Issues": [
                        _GOOD_ISSUE,
                        {**_GOOD_ISSUE, "rule_id": CANARIES["github"], "file": ""},
                    ]
                },
            ).encode(),
            "skipped Issues[1]: the entry has no file",
        ),
        (
            "govulncheck-json",
            json.dumps(
                [
                    {"finding": {"osv": "GO-2024-0001", "trace": [{"module": "example.com/a"}]}},
                    {"finding": {"osv": CANARIES["aws"], "trace": []}},
                ]
            ).encode(),
            "skipped finding of item 1 of the array at offset 0: the entry has an empty trace",
        ),
        (
            "zap-json",
            json.dumps(
                {
                    "@version": "2.14.0",
                    "site": [
                        {
                            "@name": "http://a",
                            "alerts": [
                                {"pluginid": "10020", "alert": "A"},
                                {"alert": CANARIES["slack"]},
                            ],
                        }
                    ],
                }
            ).encode(),
            "skipped site[0].alerts[1]: the entry has no pluginid",
        ),
    ],
    ids=["gosec-rule-id", "govulncheck-osv", "zap-alert-title"],
)
def test_skipped_entries_are_named_by_place_and_key_never_by_value(
    parser: str,
    data: bytes,
    warning: str,
    tmp_path: Path,
    scratch_file: Callable[[Path], Scratch],
) -> None:
    outcome = parse_bytes(parser_class(parser), scratch_file(tmp_path / "report"), data)
    assert outcome.result is not None and len(outcome.result.findings) == 1
    assert [w for run in outcome.result.runs for w in run.warnings] == [warning]

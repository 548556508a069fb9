"""Helpers of the hostile-input tests (tests/hostile/): canaries, samples per parser, one
bounded parser call, and running the CLI the way a CI job does.

Every parser must turn any input into a result or a one-line ``ParseError``; these helpers
check that contract for one input and count how many inputs each parser was given.
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePath
from typing import Any
from xml.etree import ElementTree

from click.testing import CliRunner, Result

from hardening import discover, fingerprint
from hardening.cli import cli
from hardening.errors import ParseError
from hardening.model import Report
from hardening.parsers._io import iter_concatenated
from hardening.parsers.interface import HEAD_BYTES, Artifact, Parser, ParseResult
from hardening.paths import PathNormalizer
from hardening.report_io import dump_report
from support import SAMPLES

# ---------------------------------------------------------------------------------------------
# Canaries: made-up credentials of real shapes.  Each has a distinctive middle part, looked
# for on its own too, so a partly masked canary still counts as leaked.

CANARIES: dict[str, str] = {
    "github": "ghp_Hx7Kq2Wm9Pz4Lr8Tv3Ny6Bc1Df5Gj0Ks2Qa",
    "gitlab": "glpat-Vb3Nm8Qr2Ts6Wx9Yz4Kp",
    "aws": "AKIAQ7ZK3M9TRW2XPL5V",
    "slack": "xoxb-482910375612-5820193746251-Gq8Rt3Wz6Yp1Lm4Nc7Vb2Xd",
    "pem": (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEpQIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8WvLqK4Xz1Rb0PkQ7Yt5Hs2Jn\n"
        "Wc6Fd8Ug3Ve1Ra9Tb4Yc7Xd2Ze5Af0Bg3Ch6Di9Ej2Fk5Gl8Hm1In4Jo7Kp0Lq3M\n"
        "-----END RSA PRIVATE KEY-----"
    ),
    "jwt": (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        ".eyJzdWIiOiJjYW5hcnktNzE4MiIsInJvbGUiOiJhZG1pbiJ9"
        ".Qm3Xr9Tz2Lp6Wv1Ns8Kd4Hf7Jb0Gc5Ya3Ue6Io9Pq2"
    ),
    "password": 'db_password = "Zq7vK2pW9xL4mT8r"',
}

#: The part of each canary that identifies it even when a redactor masked a prefix.
CANARY_MIDDLES: dict[str, str] = {
    "github": "Wm9Pz4Lr8Tv3Ny6B",
    "gitlab": "Nm8Qr2Ts6Wx9",
    "aws": "Q7ZK3M9TRW2XPL5V",
    "slack": "Gq8Rt3Wz6Yp1Lm4Nc7Vb2Xd",
    "pem": "3Tz2mr7SZiAMfQyuvBjM9Oi8",
    "jwt": "eyJzdWIiOiJjYW5hcnktNzE4MiIs",
    "password": "Zq7vK2pW9xL4mT8r",
}
assert all(CANARY_MIDDLES[name] in value for name, value in CANARIES.items())


def canary_leaks(text: str) -> list[str]:
    """Names of the canaries (whole or by their middle part) found in ``text``."""
    return [
        name for name, value in CANARIES.items() if value in text or CANARY_MIDDLES[name] in text
    ]


# Control characters a terminal acts on: C0 except newline, DEL, C1, and bidi overrides.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_controls(text: str) -> list[str]:
    """Control characters in ``text`` other than newline (tab counts: it is not ours)."""
    return sorted({repr(c) for c in _TERMINAL_CONTROL.findall(text)})


# ---------------------------------------------------------------------------------------------
# Cases per parser, reported by tests/hostile/conftest.py.

CASES: Counter[tuple[str, str]] = Counter()


def count(parser: str, kind: str, n: int = 1) -> None:
    CASES[(parser, kind)] += n


# ---------------------------------------------------------------------------------------------
# One bounded parser call.


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so a parser's ``except Exception`` cannot hide it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # an enclosing bound keeps running, less the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))


#: Per-call bound: real samples parse in milliseconds; this only catches hangs.
CALL_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    result: ParseResult | None
    error: str | None


def check_reason(reason: str) -> None:
    """The contract for a ParseError's text: one non-empty line, no canary."""
    assert reason.strip(), "ParseError without a reason"
    assert "\n" not in reason and "\r" not in reason, f"multi-line reason: {reason!r}"
    assert not canary_leaks(reason), f"canary in reason: {reason!r}"


class Scratch:
    """A file rewritten in place for every generated input.

    Kept open and rewritten with ftruncate+pwrite: on ext4, closing a file just truncated
    forces a flush to disk, which would make the tens of thousands of cases slow.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def write(self, data: bytes) -> None:
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def close(self) -> None:
        os.close(self._fd)


def parse_bytes(parser_cls: type[Parser], scratch: Scratch, data: bytes) -> Outcome:
    """Write ``data`` to ``scratch`` and read it with ``parser_cls``: a result or a one-line
    ParseError; any other exception, or a hang, fails the calling test."""
    scratch.write(data)
    with time_limit(CALL_SECONDS):
        # detect() sees untrusted heads too and must never raise.
        parser_cls.detect(data[:HEAD_BYTES], PurePath(scratch.name))
        try:
            result = parser_cls().parse(Artifact(path=scratch.path, name=scratch.name))
        except ParseError as exc:
            check_reason(str(exc))
            return Outcome(None, str(exc))
        finish(result)
    return Outcome(result, None)


def finish(result: ParseResult) -> None:
    """What the pipeline does after a parser returns (normalize, fingerprint, serialize):
    a parsed result must survive it, and its warnings hold no canary."""
    assert isinstance(result, ParseResult)
    for run in result.runs:  # warnings (skipped entries among them) keep the reasons' contract
        for warning in run.warnings:
            check_reason(warning)
    normalizer = PathNormalizer.from_settings([], env={})
    for finding in result.findings:
        for location in [finding.location, *finding.related_locations]:
            if location is not None:
                location.path = normalizer.normalize(location.path)[0]
    if not result.fingerprinted:
        fingerprint.assign(result.findings)
    dump_report(Report(runs=result.runs, findings=result.findings))


# ---------------------------------------------------------------------------------------------
# Samples per parser.


@cache
def own_findings_json() -> Path:
    """hardening's own findings.json over samples/: the sample of the findings.json reader."""
    from hardening.pipeline import AggregateOptions, aggregate
    from hardening.report_io import write_report

    folder = Path(tempfile.mkdtemp(prefix="hardening-hostile-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    report = aggregate(AggregateOptions(paths=[SAMPLES]))
    path = folder / "findings.json"
    write_report(report, path)
    return path


@cache
def samples_by_parser() -> dict[str, tuple[Path, ...]]:
    """Every file under samples/ (and the generated findings.json) by the parser claiming it."""
    found: dict[str, list[Path]] = {}
    for path in [*sorted(p for p in SAMPLES.rglob("*") if p.is_file()), own_findings_json()]:
        choice = discover.identify(path)
        if choice.parser is not None:
            found.setdefault(choice.parser.name, []).append(path)
    return {name: tuple(paths) for name, paths in found.items()}


def parser_names() -> list[str]:
    return sorted(cls.name for cls in discover.parsers())


def parser_class(name: str) -> type[Parser]:
    return next(cls for cls in discover.parsers() if cls.name == name)


def sample_kind(data: bytes) -> str:
    """json (one document), stream (several concatenated JSON values), xml or csv."""
    text = data.decode("utf-8-sig")
    if text.lstrip().startswith("<"):
        return "xml"
    if text.lstrip()[:1] in ("{", "["):
        return "json" if len(json_values(data)) == 1 else "stream"
    return "csv"


def json_values(data: bytes) -> list[Any]:
    return [value for _, value in iter_concatenated(data.decode("utf-8-sig"))]


def dump_json_values(values: Sequence[Any]) -> bytes:
    """One value as a document; several as a stream, one per line."""
    return "\n".join(json.dumps(value) for value in values).encode("utf-8")


def keys_in(value: Any, found: set[str] | None = None) -> set[str]:
    """Every object key in a JSON value: the vocabulary generated documents are built from."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            keys_in(item, found)
    elif isinstance(value, list):
        for item in value:
            keys_in(item, found)
    return found


def vocabulary(parser: str) -> tuple[list[str], list[str]]:
    """(JSON keys or XML tag names, XML attribute names) used in the parser's samples."""
    keys: set[str] = set()
    attributes: set[str] = set()
    for path in samples_by_parser()[parser]:
        data = path.read_bytes()
        kind = sample_kind(data)
        if kind in ("json", "stream"):
            for value in json_values(data):
                keys_in(value, keys)
        elif kind == "xml":
            for element in ElementTree.fromstring(data).iter():
                keys.add(element.tag)
                attributes.update(element.attrib)
        else:
            keys.update(next(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
    return sorted(keys), sorted(attributes)


# Shrinking a sample keeps its structure but only one item of every list (one child of each
# tag in XML, one event of each kind in a stream, the first data rows in CSV), so truncating
# it at every byte stays fast.


def _first_items(value: Any) -> Any:
    if isinstance(value, list):
        return [_first_items(value[0])] if value else []
    if isinstance(value, dict):
        return {key: _first_items(item) for key, item in value.items()}
    return value


def _richest_children(element: ElementTree.Element) -> None:
    """Keep one child per tag: the one with the most content (a failing test case)."""
    kept: dict[str, ElementTree.Element] = {}
    for child in element:
        best = kept.get(child.tag)
        if best is None or len(ElementTree.tostring(child)) > len(ElementTree.tostring(best)):
            kept[child.tag] = child
    for child in list(element):
        if kept[child.tag] is not child:
            element.remove(child)
    for child in element:
        _richest_children(child)


def _order(item: tuple[int, int, Any]) -> int:
    return item[0]


def shrink(data: bytes) -> bytes:
    kind = sample_kind(data)
    if kind == "json":
        return json.dumps(_first_items(json_values(data)[0]), indent=1).encode("utf-8")
    if kind == "stream":
        # One event of each kind, the one with the most content (a failing scenario).
        kept: dict[tuple[str, ...], tuple[int, int, Any]] = {}
        for index, value in enumerate(json_values(data)):
            shape = tuple(sorted(value)) if isinstance(value, dict) else ("",)
            size = len(json.dumps(value))
            if shape not in kept or size > kept[shape][1]:
                kept[shape] = (kept.get(shape, (index,))[0], size, value)
        return dump_json_values([value for _, _, value in sorted(kept.values(), key=_order)])
    if kind == "xml":
        root = ElementTree.fromstring(data)
        _richest_children(root)
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    lines = data.decode("utf-8-sig").splitlines(keepends=True)
    return "".join(lines[:3]).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The CLI, as a CI job runs it.

#: CI variables that change what the CLI does; tests run without them.
CLEAN_ENV: Mapping[str, str | None] = {
    "CI_PROJECT_DIR": None,
    "CI_MERGE_REQUEST_DIFF_BASE_SHA": None,
    "CI_PROJECT_URL": None,
    "CI_COMMIT_SHA": None,
    "GITHUB_SERVER_URL": None,
    "GITHUB_REPOSITORY": None,
    "GITHUB_SHA": None,
    "GITHUB_BASE_REF": None,
    "GITLAB_CI": None,
    "GITHUB_ACTIONS": None,
}


def run_cli(args: Sequence[str], env: Mapping[str, str | None] | None = None) -> Result:
    """Run the CLI in-process; stdout and stderr kept apart; a traceback fails the test."""
    runner = CliRunner()
    result = runner.invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))

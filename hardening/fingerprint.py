"""Fingerprints v2: stable identity of a finding, combined from inputs the parsers computed.

Identity never holds a line, column, commit, date, tool version or vendor prose.  Parsers put
their kind-specific identity inputs into ``Finding.identity`` (digests computed before any
redaction); this module adds the normalized path and the occurrence index where the kind
needs them, and hashes the lot.

Conventions for ``Finding.identity`` by kind:

- code: ``[text_digest(flagged text)]``; the path and an occurrence index are added here.
- secret: ``["hash", secret_digest(rule, secret)]``, or ``["redacted", text_digest(match)]``
  for a report redacted at source (which also gets an occurrence index).
- dependency: ``[vulnerability id, package, where]``.
- config, license: ``[rule or license, target, resource]``.
- dast: ``endpoint_identity(rule, method, endpoint_parts(url), param)``.
- api: ``[canonical check id, method, path template]``.

Versions: every version hashes under the one domain ``v1``, so a version bump re-keys only
the identities it changes.  v2 changed two: govulncheck's SARIF now names the module
(``[osv id, module, module]``, as its JSON), and a trivy config finding without a resource
adds a digest of its cause lines.  Parsers put the v1 inputs of such a finding in
``Finding.previous_identity``; ``assign`` hashes them into ``previous_fingerprint``, by which
a v1 baseline or findings.json is carried over (``baseline.carried_over``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import SplitResult

from hardening.model import Finding, Kind

#: Hashed into every fingerprint of every version (see the module docstring).
_DOMAIN = "v1"
_VERSION = re.compile(r"\bv?\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.\-]+)?\b")
_SEP = "\x1f"


def normalize_text(text: str) -> str:
    """Collapse runs of whitespace so re-indentation does not change identity."""
    return " ".join(text.split())


def text_digest(text: str) -> str:
    """Fast digest of whitespace-normalized text (SAST snippets, messages)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def strip_versions(text: str) -> str:
    """Drop version numbers from prose, so a message naming a version stays one identity."""
    return _VERSION.sub("", text)


#: The secrets hashed while ``collecting_secrets`` is active (the reading of one artifact).
_COLLECTED: ContextVar[set[str] | None] = ContextVar("collected_secrets", default=None)


@contextmanager
def collecting_secrets() -> Iterator[set[str]]:
    """Collect every secret value ``secret_digest`` is given in this block.

    Every parser's secret passes through ``secret_digest`` (it is the only place a secret is
    used), so this is where the run learns the exact values it must mask wherever another
    tool quotes them (see ``redact.KnownSecrets``).  The caller holds the set for the run
    only; nothing writes it."""
    found: set[str] = set()
    token = _COLLECTED.set(found)
    try:
        yield found
    finally:
        _COLLECTED.reset(token)


def secret_digest(rule: str, secret: str) -> str:
    """Deliberately slow salted hash of a secret (scrypt, n=2**12, r=8, p=1, ~5 ms).

    A committed baseline holding these cannot be reversed cheaply with a dictionary of short
    passwords.  Cached, so each distinct secret is hashed once per run.
    """
    collected = _COLLECTED.get()
    if collected is not None:
        collected.add(secret)
    return _secret_digest(rule, secret)


@lru_cache(maxsize=65536)
def _secret_digest(rule: str, secret: str) -> str:
    salt = ("hardening-fingerprint-v1:" + rule).encode()
    digest = hashlib.scrypt(
        secret.encode("utf-8", "surrogatepass"), salt=salt, n=2**12, r=8, p=1, dklen=16
    )
    return digest.hex()


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NUMERIC = re.compile(r"^\d+$")
_HEXID = re.compile(r"^(?=.*\d)[0-9a-fA-F]{12,}$")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def path_template(path: str) -> str:
    """Collapse ids, UUIDs and long hex ids in a URL path: ``/items/12`` -> ``/items/{id}``."""
    return "/".join([template_segment(segment) for segment in path.split("/")]) or "/"


def template_segment(segment: str) -> str:
    """One segment of a ``path_template``: ``{id}`` for an id, else the segment itself."""
    # Cheap first: a number starts with a digit, a UUID or hex id is 12+ hex digits.
    first = segment[:1]
    if not (first.isdecimal() or (first in _HEX_DIGITS and len(segment) >= 12)):
        return segment
    if _NUMERIC.match(segment) or _UUID.match(segment) or _HEXID.match(segment):
        return "{id}"
    return segment


def endpoint_identity(
    rule: str, method: str | None, endpoint: tuple[str, str, str, str], param: str | None
) -> list[str]:
    """Identity inputs of a DAST finding: rule, method, the ``endpoint_parts`` of its URL
    (scheme, host, port, path template), param."""
    return [rule, (method or "").upper(), *endpoint, param or ""]


def endpoint_parts(parts: SplitResult) -> tuple[str, str, str, str]:
    """(scheme, host, port, path template) of a URL already split."""
    scheme, host, port = site_parts(parts.scheme, parts.netloc)
    return scheme, host, port, path_template(parts.path)


_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=1024)
def site_parts(scheme: str, netloc: str) -> tuple[str, str, str]:
    """(scheme, host, port) of a URL's scheme and netloc, once per distinct site: a DAST
    report names a few sites for many URLs (and its findings then share these strings)."""
    parts = SplitResult(scheme, netloc, "", "", "")
    scheme = scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = _DEFAULT_PORTS.get(scheme)
    return scheme, host, "" if port is None else str(port)


def _hash(parts: Iterable[str]) -> str:
    return _digest(_SEP.join(parts))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _needs_occurrence(finding: Finding) -> bool:
    if finding.kind is Kind.code:
        return True
    return finding.kind is Kind.secret and list(finding.identity[:1]) == ["redacted"]


def _base_parts(finding: Finding, identity: Sequence[str] | None = None) -> list[str]:
    kind = finding.kind
    inputs = finding.identity if identity is None else identity
    if kind in (Kind.code, Kind.secret):
        return [kind.value, finding.tool, finding.rule_id, finding.path or "", *inputs]
    if kind in (Kind.config, Kind.license):
        return [kind.value, finding.tool, *inputs]
    return [kind.value, *inputs]


def assign(findings: list[Finding]) -> None:
    """Set ``fingerprint`` on the findings read from one artifact (paths already normalized).

    Code findings with identical keys in one file are told apart by an occurrence index in
    line then column order, counted separately for findings suppressed in the source and, for
    secrets, per commit (so one leak seen in several commits keeps one identity).  Findings
    with identical keys at the very same place (lines and columns) share an index: a report
    that lists one result twice holds one finding, which ``merge`` counts twice.
    """
    # Every finding first gets the fingerprint of a first occurrence, which also keys its
    # group (with the commit, which groups but is not hashed): a group of one, nearly all of
    # them, then costs one dict slot, its key the finding's own fingerprint string.
    groups: dict[str | tuple[str, str], Finding | list[Finding]] = {}
    for finding in findings:
        if not _needs_occurrence(finding):
            finding.fingerprint = _hash([_DOMAIN, *_base_parts(finding)])
            if finding.previous_identity is not None:
                # Only kinds without an occurrence index changed identity in v2.
                previous = _hash([_DOMAIN, *_base_parts(finding, finding.previous_identity)])
                if previous != finding.fingerprint:
                    finding.previous_fingerprint = previous
            continue
        first = finding.fingerprint = _digest(_head(finding) + _FIRST)
        commit = finding.commits[0] if finding.kind is Kind.secret and finding.commits else ""
        key = (first, commit) if commit else first
        known = groups.get(key)
        if known is None:
            groups[key] = finding
        elif type(known) is list:
            known.append(finding)
        else:
            groups[key] = [known, finding]  # type: ignore[list-item]
    for members in groups.values():
        if type(members) is list:
            members.sort(key=_position)
            head = _head(members[0])
            index, last_place = -1, None
            for finding in members:
                place = _span(finding)
                # The same result listed twice at the same place (a report that repeats it)
                # is one finding: it keeps the index, and merging counts it twice.
                if place is None or place != last_place:
                    index += 1
                last_place = place
                finding.fingerprint = _digest(f"{head}{_SEP}{index}")


#: What follows the head of a first occurrence (index 0).
_FIRST = f"{_SEP}0"


def _head(finding: Finding) -> str:
    """The parts hashed before an occurrence index, joined."""
    suppressed = "s" if finding.suppressed else ""
    return _SEP.join([_DOMAIN, *_base_parts(finding), suppressed])


def _span(finding: Finding) -> tuple[int, int, int, int] | None:
    """Where a finding is, to the column, or None when its report gives no line."""
    loc = finding.location
    if loc is None or loc.start_line is None:
        return None
    return _position(finding)


def _position(finding: Finding) -> tuple[int, int, int, int]:
    """Line then column order; the end breaks ties, so repeats of one place sit together."""
    loc = finding.location
    if loc is None:
        return (0, 0, 0, 0)
    return (loc.start_line or 0, loc.start_column or 0, loc.end_line or 0, loc.end_column or 0)

"""OWASP ZAP traditional reports: XML (``-x``, also "xml-plus") and JSON (``-J``).

Both formats carry the same tree: report > site > alert > instance.  One finding is one listed
instance; an alert without instances is one finding (at its own legacy ``uri`` when an old
report puts it on the alert, else at the site).  ZAP lists only a few instances per alert, so
the alert's own ``count`` is kept on each of its findings.

Rule id: ``pluginid``.  ``alertRef`` (ZAP 2.10+) refines it for some rules (``10020-1``), but
reports before 2.10 have none and it is not stable itself (the CSP-header alert is ``10038`` in
ZAP 2.11 and ``10038-1`` in 2.14), so identity keyed on ``pluginid`` survives a ZAP upgrade.
Sub-alerts of one plugin differ by param in practice (``90005-1``..``-4`` flag different
``Sec-Fetch-*`` headers), except the CSP scanner's (``10055``): it raises one alert per weakness
of a policy ("CSP: Wildcard Directive", "CSP: script-src unsafe-inline" ...), all on the
``Content-Security-Policy`` param of the same page, so its identity adds the alert's name
(see ``identity_rule``).  ``alertRef`` is kept in ``properties["alert_ref"]``.

Request and response headers and bodies (xml-plus, 2.16 "with requests and responses") are
never read: they carry credentials and add nothing to identity.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Any, ClassVar, NamedTuple
from urllib.parse import quote, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException, DTDForbidden

from hardening import fingerprint, severity, targets
from hardening.errors import ParseError
from hardening.jsonread import JsonStream, NotStreamable, loads, read_json
from hardening.model import Endpoint, Finding, Kind, RunStatus, Severity, Suppression, ToolRun
from hardening.parsers import sarif
from hardening.parsers._io import (
    as_int,
    as_str,
    expect_dict,
    expect_list,
    looks_like_json,
    shown,
    strip_bom,
)
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import redact

TOOL = "zap"
NO_SITE_ERROR = "ZAP report lists no site: the target was not scanned"
#: Shared with the SARIF parser's ZAP dialect; copy it before attaching it to a finding.
FALSE_POSITIVE = Suppression(
    kind="falsePositive", justification="ZAP confidence 0 (false positive)"
)

#: ZAP confidence codes (Alert.CONFIDENCE_*).
CONFIDENCE_WORDS = {
    "0": "false positive",
    "1": "low",
    "2": "medium",
    "3": "high",
    "4": "user confirmed",
}
_RISK_WORDS = {"3": "High", "2": "Medium", "1": "Low", "0": "Informational"}
#: ZAP's riskcode (3 high, 2 medium, 1 low, 0 informational) and risk words -> normalized.
SEVERITIES: Mapping[str, Severity] = {
    "3": Severity.high,
    "2": Severity.medium,
    "1": Severity.low,
    "0": Severity.info,
    "HIGH": Severity.high,
    "MEDIUM": Severity.medium,
    "LOW": Severity.low,
    "INFORMATIONAL": Severity.info,
}

#: Alert fields read; anything else (tags, request/response dumps) is ignored.
_ALERT_FIELDS = frozenset(
    {
        "pluginid",
        "alertRef",
        "alert",
        "name",
        "riskcode",
        "confidence",
        "riskdesc",
        "confidencedesc",
        "desc",
        "count",
        "solution",
        "otherinfo",
        "reference",
        "cweid",
        "wascid",
        # Reports before ZAP 2.5 put one instance's facts on the alert itself.
        "uri",
        "method",
        "param",
        "attack",
        "evidence",
    }
)
_INSTANCE_FIELDS = frozenset({"uri", "method", "param", "attack", "evidence", "otherinfo"})

#: Longest evidence, attack, otherinfo or solution kept in properties (after redaction, so a
#: cut never leaves half a token unmasked).
MAX_PROPERTY_CHARS = 500

# ---------------------------------------------------------------------------------------------
# Detection

_XML_ROOT = re.compile(rb"<OWASPZAPReport[\s>/]")
_HTML_REPORT = re.compile(rb"(?i)<title>[^<]{0,80}\bZAP\b[^<]{0,80}Scanning Report")
_MD_REPORT = re.compile(rb"^\s*#\s*ZAP\b[^\n]{0,80}Scanning Report")
_JSON_PROGRAM = re.compile(rb'"@programName"\s*:\s*"(?:OWASP )?ZAP"')
_JSON_VERSION = re.compile(rb'"@version"\s*:')
_JSON_GENERATED = re.compile(rb'"@generated"\s*:')
_JSON_SITE = re.compile(rb'"site"\s*:')
_JSON_API_ALERTS = re.compile(rb'"alerts"\s*:\s*\[\s*\{')


def _detect_xml(head: bytes) -> Detection | None:
    body = strip_bom(head).lstrip()
    if not body.startswith(b"<"):
        return None
    if _XML_ROOT.search(body):
        return Detection(90)
    if _HTML_REPORT.search(body):
        return Detection(60, skip_reason=_OTHER_FORMAT.format(what="ZAP HTML report"))
    return None


def _detect_json(head: bytes) -> Detection | None:
    if not looks_like_json(head):
        body = strip_bom(head)
        if _MD_REPORT.match(body):
            return Detection(60, skip_reason=_OTHER_FORMAT.format(what="ZAP Markdown report"))
        return None
    if _JSON_PROGRAM.search(head):
        return Detection(90)
    if _JSON_VERSION.search(head) and _JSON_GENERATED.search(head):
        return Detection(90 if _JSON_SITE.search(head) else 60)
    # The ZAP API's own alert list (JSON/core/view/alerts) names messageId and pluginId.
    if _JSON_API_ALERTS.search(head) and b'"messageId"' in head and b'"pluginId"' in head:
        return Detection(60, skip_reason=_OTHER_FORMAT.format(what="ZAP API alert list"))
    return None


_OTHER_FORMAT = "{what}: not read (write ZAP's traditional XML or JSON report, or SARIF)"

# ---------------------------------------------------------------------------------------------
# Text helpers


class _HtmlText(HTMLParser):
    """Collects the text of an HTML fragment, one entry per block (paragraph, list item...)."""

    _BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "pre", "table", "hr"}
        | {f"h{level}" for level in range(1, 7)}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.links: list[str] = []
        self._current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self._break()
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def close(self) -> None:
        super().close()
        self._break()

    def _break(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []


def _html(fragment: str) -> _HtmlText:
    parser = _HtmlText()
    parser.feed(fragment)
    parser.close()
    return parser


#: Markup ZAP writes in its HTML fields.  Fields without it are plain text (ZAP 2.16 fields,
#: per-instance otherinfo) where a ``<form ...>`` quoted from a page is text, not a tag.
_ZAP_MARKUP = re.compile(r"(?i)</?(?:p|br|a|ul|ol|li|div|strong|em|b|i|code|pre)\b[^<>]*>")


def html_to_text(fragment: str) -> str:
    """Plain text of a ZAP field: tags dropped, entities decoded, whitespace collapsed.

    Blocks (paragraphs, list items; lines of plain text) are kept apart by one newline.
    """
    if not fragment:
        return ""
    if not _ZAP_MARKUP.search(fragment):
        lines = (" ".join(line.split()) for line in fragment.splitlines())
        return "\n".join(line for line in lines if line)
    return "\n".join(_html(fragment).blocks)


_URL = re.compile(r"https?://[^\s<>\"']+")


def reference_urls(fragment: str) -> list[str]:
    """The URLs a ZAP ``reference`` field lists (``<p>URL</p>`` blocks, links or bare text)."""
    if not fragment:
        return []
    parsed = _html(fragment)
    found = [*parsed.links, *(m.group(0) for b in parsed.blocks for m in _URL.finditer(b))]
    urls: list[str] = []
    for url in found:
        cleaned = _trim_url(url)
        if cleaned.startswith(("http://", "https://")) and cleaned not in urls:
            urls.append(cleaned)
    return [redact(url) for url in urls]


def _trim_url(url: str) -> str:
    url = url.strip().rstrip(".,;:!?")
    # "(see https://x/y)" leaves an unbalanced ")"; "Testing_(OWASP-SM-002)" keeps its own.
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1]
    return url


def _short(text: str) -> str:
    text = redact(text)
    if len(text) > MAX_PROPERTY_CHARS:
        return text[: MAX_PROPERTY_CHARS - 1] + "…"
    return text


# ---------------------------------------------------------------------------------------------
# URLs

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@dataclass(frozen=True)
class Site:
    """One ``<site>``: its name as written, and a URL to place findings without an instance."""

    name: str
    url: str

    @property
    def target(self) -> str | None:
        """The scan target, ``scheme://host:port`` (see ``hardening.targets``)."""
        return targets.site(self.url)


def site_of(name: str, host: str, port: str, ssl: str) -> Site:
    """The site's URL: its name when that is a URL, else built from host, port and ssl.

    Some reports name a site ``//host`` (no scheme), with the same in ``host``.
    """
    if _SCHEME.match(name):
        return Site(name=name, url=name)
    bare_host = (host or name).strip().lstrip("/").split("/", 1)[0]
    secure = ssl.strip().lower() == "true"
    scheme = "https" if secure else "http"
    number = as_int(port)
    default = 443 if secure else 80
    netloc = bare_host if number in (None, default) else f"{bare_host}:{number}"
    return Site(name=name, url=f"{scheme}://{netloc}" if bare_host else name)


def _absolute(uri: str, site: Site) -> str:
    """An instance URI made absolute against its site (old reports may omit scheme or host)."""
    uri = uri.strip()
    if not uri:
        return site.url
    if _SCHEME.match(uri) or not _SCHEME.match(site.url):
        return uri
    try:
        return urljoin(site.url.rstrip("/") + "/", uri)
    except ValueError:
        return uri


def _split(uri: str) -> tuple[str, str, str, str, str]:
    try:
        parts = urlsplit(uri)
    except ValueError:
        # Unparseable (an unbalanced IPv6 bracket, a host that NFKC-normalizes to "#"): kept
        # as an opaque, percent-encoded path, without what follows "?" or "#".
        opaque = re.split(r"[?#]", uri, maxsplit=1)[0]
        return "", "", quote(opaque, safe="/"), "", ""
    return parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment


def _without_path_params(path: str) -> str:
    """``/shop;jsessionid=AB12/cart`` -> ``/shop/cart``: path parameters carry session ids."""
    if ";" not in path:
        return path
    return "/".join(segment.split(";", 1)[0] for segment in path.split("/"))


def identity_url(uri: str) -> str:
    """The URL identity is computed from: no path parameters, query or fragment, and any
    credential-shaped path segment (``/reset/<token>``) collapsed to ``{token}``, like ids
    are, so identity holds no secret."""
    scheme, netloc, path, _query, _fragment = _split(uri)
    return urlunsplit((scheme, netloc, _identity_path(path), "", ""))


def display_url(uri: str) -> str:
    """The URL shown for an endpoint: no credentials, no path parameters, query values or
    fragment; query parameter names are kept (``?id=&q=``) since they say where the issue is."""
    return _urls(uri).display


class _Urls(NamedTuple):
    display: str
    #: ``fingerprint.endpoint_parts`` of the identity URL.
    endpoint: tuple[str, str, str, str]


@lru_cache(maxsize=4096)
def _urls(uri: str) -> _Urls:
    """The URLs of an instance URI, split once (alerts on one page share its URI)."""
    parts = _split(uri)
    scheme, netloc = parts[0], parts[1]
    path, template = _identity_path_and_template(parts[2])
    if netloc:
        # What splitting the identity URL again gives (after a host, a split's path is empty
        # or starts with "/", so ``urlunsplit`` joins the parts as they are), without a
        # second parse per instance.
        endpoint = (*fingerprint.site_parts(scheme, netloc), template)
    else:
        identity = urlunsplit((scheme, netloc, path, "", ""))
        try:
            endpoint = fingerprint.endpoint_parts(urlsplit(identity))
        except ValueError:  # "////[": the path's "//[" reads as an unbalanced IPv6 host
            endpoint = ("", "", "", fingerprint.path_template(path))
    return _Urls(_display_url(*parts), endpoint)


def _identity_path(path: str) -> str:
    return _identity_path_and_template(path)[0]


def _identity_path_and_template(path: str) -> tuple[str, str]:
    """The identity path (credential-shaped segments as ``{token}``) and its
    ``fingerprint.path_template``, segment by segment: pages share most of their segments."""
    segments = _without_path_params(path).split("/")
    # An all-digit segment is an id (no token shape is digits only): not remembered, as ids
    # are nearly all distinct.
    forms = [(s, "{id}") if s.isdecimal() else _segment_forms(s) for s in segments]
    identity, template = zip(*forms, strict=True)
    return "/".join(identity), "/".join(template) or "/"


@lru_cache(maxsize=4096)
def _segment_forms(segment: str) -> tuple[str, str]:
    """A path segment as identity has it, and its path template."""
    identity = "{token}" if redact(segment) != segment else segment
    return identity, fingerprint.template_segment(identity)


def _display_url(scheme: str, netloc: str, path: str, query: str, _fragment: str) -> str:
    netloc = netloc.rpartition("@")[2]  # user:password@ never shown
    kept_query = _query_names(query) if query else ""
    return redact(urlunsplit((scheme, netloc, _without_path_params(path), kept_query, "")))


@lru_cache(maxsize=1024)
def _query_names(query: str) -> str:
    """A query with its values dropped (``id=3&q=x`` -> ``id=&q=``): pages repeat queries."""
    names: list[str] = []
    for piece in query.split("&"):
        name, has_value, _value = piece.partition("=")
        # A bare piece (``?ghp_...``) may be a value itself: only ``name=`` pieces are kept.
        if has_value and name and name not in names:
            names.append(name)
    return "&".join(f"{name}=" for name in names)


# ---------------------------------------------------------------------------------------------
# Alerts to findings


@dataclass(frozen=True)
class _AlertFacts:
    """What every finding of one alert shares, computed once per alert."""

    rule_id: str
    identity_rule: str
    title: str
    severity: Severity
    tool_severity: str | None
    confidence: str | None
    suppressed: bool
    message: str
    identifiers: tuple[str, ...]
    references: tuple[str, ...]
    count: int | None
    otherinfo: str  # plain, redacted, short: for instances that have none of their own
    properties: tuple[tuple[str, str], ...]


def _rule_id(fields: Mapping[str, str]) -> str:
    plugin = fields.get("pluginid", "").strip()
    if plugin:
        return plugin
    alert_ref = fields.get("alertRef", "").strip()
    if alert_ref:
        return alert_ref.split("-", 1)[0]
    raise ParseError("the entry has no pluginid")


def _severity(fields: Mapping[str, str]) -> tuple[Severity, str | None]:
    code = fields.get("riskcode", "").strip()
    riskdesc = fields.get("riskdesc", "").strip()
    risk_word = riskdesc.split("(", 1)[0].strip() or None
    if code in _RISK_WORDS:
        normalized = severity.lookup(SEVERITIES, code)
    else:
        normalized = severity.lookup(SEVERITIES, risk_word)
    return normalized, riskdesc or _RISK_WORDS.get(code)


def _confidence(fields: Mapping[str, str]) -> str | None:
    code = fields.get("confidence", "").strip()
    if code in CONFIDENCE_WORDS:
        return CONFIDENCE_WORDS[code]
    described = fields.get("confidencedesc", "").strip()
    return described.lower() or code or None


def _identifiers(fields: Mapping[str, str]) -> tuple[str, ...]:
    found = []
    cwe = as_int(fields.get("cweid"))
    if cwe is not None and cwe > 0:
        found.append(f"CWE-{cwe}")
    wasc = as_int(fields.get("wascid"))
    if wasc is not None and wasc > 0:
        found.append(f"WASC-{wasc}")
    return tuple(found)


def alert_facts(fields: Mapping[str, str]) -> _AlertFacts:
    normalized, tool_severity = _severity(fields)
    rule_id = _rule_id(fields)
    title = (fields.get("alert") or fields.get("name") or "").strip() or f"ZAP rule {rule_id}"
    extra: dict[str, str] = {}
    alert_ref = fields.get("alertRef", "").strip()
    if alert_ref:
        extra["alert_ref"] = alert_ref
    solution = html_to_text(fields.get("solution", ""))
    if solution:
        extra["solution"] = _short(solution)
    return _AlertFacts(
        rule_id=rule_id,
        identity_rule=identity_rule(rule_id, title),
        title=redact(title),
        severity=normalized,
        tool_severity=tool_severity,
        confidence=_confidence(fields),
        suppressed=fields.get("confidence", "").strip() == "0",
        message=redact(html_to_text(fields.get("desc", ""))),
        identifiers=_identifiers(fields),
        references=tuple(reference_urls(fields.get("reference", ""))),
        count=as_int(fields.get("count")),
        otherinfo=_short(html_to_text(fields.get("otherinfo", ""))),
        properties=tuple(extra.items()),
    )


def endpoint_identity(
    rule_id: str, method: str | None, uri: str, param: str | None, name: str | None = None
) -> list[str]:
    """Identity inputs of a ZAP finding from the raw values (every ZAP format should use it).

    The param is case-folded: ZAP 2.11 writes the header ``X-Frame-Options`` where 2.14 writes
    ``x-frame-options``, and header names are case-insensitive anyway.
    """
    rule = identity_rule(rule_id, name)
    method = (method or "").upper()
    if rule_id in _RANDOM_RESOURCE_RULES and method in _RANDOM_RESOURCE_METHODS:
        uri = _RANDOM_RESOURCE.sub(r"\g<page>", uri)
    return fingerprint.endpoint_identity(
        rule, method, _urls(uri).endpoint, param.lower() if param else None
    )


#: The Insecure HTTP Method rule tries PUT and PATCH on a fresh random resource under the page
#: (ten lowercase letters and digits appended to the page's URI, every ZAP version), so the
#: URI it reports changes on every run: identity is the page's.  After a query the random part
#: lands in the query, which identity ignores anyway.
_RANDOM_RESOURCE_RULES = frozenset({"90028"})
_RANDOM_RESOURCE_METHODS = frozenset({"PUT", "PATCH"})
_RANDOM_RESOURCE = re.compile(r"^(?P<page>[^?#]*/)[a-z0-9]{10}$")


#: Plugins whose alerts are told apart by name: the CSP scanner (see the module's docstring).
_NAMED_ALERTS = frozenset({"10055"})


def identity_rule(rule_id: str, name: str | None) -> str:
    """The rule as identity has it: the plugin id, and for the CSP scanner the weakness its
    alert names, after the prefix ("CSP Scanner: " before ZAP 2.10, "CSP: " since), folded."""
    if rule_id not in _NAMED_ALERTS or not name:
        return rule_id
    weakness = name.partition(":")[2] or name
    return f"{rule_id}/{' '.join(weakness.lower().split())}"


def _finding(facts: _AlertFacts, site: _AlertSite, instance: Mapping[str, str]) -> Finding:
    uri = _absolute(instance.get("uri", ""), site.site)
    method = _method(instance.get("method", ""))
    param = instance.get("param", "").strip() or None
    return Finding(
        tool=TOOL,
        kind=Kind.dast,
        rule_id=facts.rule_id,
        title=facts.title,
        severity=facts.severity,
        tool_severity=facts.tool_severity,
        confidence=facts.confidence,
        message=facts.message,
        endpoint=Endpoint(
            method=method,
            url=display_url(uri),
            param=redact(param) if param else None,
        ),
        identifiers=facts.identifiers,
        references=facts.references,
        suppression=FALSE_POSITIVE if facts.suppressed else None,
        count=facts.count,
        target=site.target,
        identity=endpoint_identity(facts.identity_rule, method, uri, param),
        properties=site.properties(_instance_properties(facts, instance)),
    )


@lru_cache(maxsize=256)
def _method(raw: str) -> str | None:
    """An instance's HTTP method, upper-cased once per spelling (findings share the string)."""
    return raw.strip().upper() or None


def _instance_properties(facts: _AlertFacts, instance: Mapping[str, str]) -> _Items:
    """What an instance adds to its alert's properties: evidence, attack, otherinfo."""
    added: list[tuple[str, str]] = []
    for key in ("evidence", "attack"):
        value = instance.get(key, "").strip()
        if value:
            added.append((key, _short(value)))
    # ZAP 2.12+ has otherinfo per instance; older reports only on the alert.
    if "otherinfo" in instance:
        otherinfo = _short(html_to_text(instance["otherinfo"]))
    else:
        otherinfo = facts.otherinfo
    if otherinfo:
        added.append(("otherinfo", otherinfo))
    return tuple(added)


_Items = tuple[tuple[str, str], ...]


class _AlertSite:
    """The site of one alert's findings, and their properties: instances that add the same
    (most add nothing) share one dict, as a finding's properties may be shared (see
    ``Finding``), up to ``MAX_SHARED`` distinct contents an alert."""

    MAX_SHARED: ClassVar[int] = 256

    def __init__(self, facts: _AlertFacts, site: Site) -> None:
        self.site = site
        self.target = site.target
        self._common = (*facts.properties, ("site", redact(site.name)))
        self._shared: dict[_Items, dict[str, Any]] = {}

    def properties(self, added: _Items) -> dict[str, Any]:
        known = self._shared.get(added)
        if known is None:
            known = dict(self._common + added)
            if len(self._shared) < self.MAX_SHARED:
                self._shared[added] = known
        return known


def alert_findings(
    site: Site, fields: Mapping[str, str], instances: list[dict[str, str]] | None
) -> list[Finding]:
    """One finding per listed instance; an alert without any is one finding."""
    facts = alert_facts(fields)
    if not instances:
        # Old reports put the single instance's uri/param/... on the alert itself.
        instances = [
            {key: fields[key] for key in _INSTANCE_FIELDS - {"otherinfo"} if key in fields}
        ]
    alert_site = _AlertSite(facts, site)
    return [_finding(facts, alert_site, instance) for instance in instances]


# ---------------------------------------------------------------------------------------------
# Runs


@dataclass
class _Report:
    format: str
    version: str | None = None
    program_name: str | None = None
    generated: str | None = None


def _run(report: _Report, sites: list[Site]) -> ToolRun:
    properties: dict[str, Any] = {"sites": [redact(site.name) for site in sites]}
    if report.program_name:
        properties["program_name"] = report.program_name
    if report.generated:
        properties["generated"] = report.generated
    run = ToolRun(
        tool=TOOL,
        format=report.format,
        version=report.version or None,
        targets=sorted({target for site in sites if (target := site.target) is not None}),
        properties=properties,
    )
    if not sites:
        run.status = RunStatus.not_exercised
        run.error = NO_SITE_ERROR
    return run


# ---------------------------------------------------------------------------------------------
# XML

# Some copies of ZAP reports have a licence comment inserted before the XML declaration,
# which strict parsers reject; comments there carry nothing, so they are dropped.
_LEADING_COMMENTS = re.compile(rb"\A\s*(?:<!--.*?-->\s*)+(?=<\?xml)", re.DOTALL)
_XML_REFUSED = (
    "XML document type declarations (DTD) are refused: ZAP reports have none, and they carry "
    "entity-expansion and external-entity attacks"
)


#: Not echoing the declared name: it is text from the report.
UNKNOWN_XML_ENCODING = "the XML declaration names an unknown character encoding"


def _element_text(element: Element) -> str:
    return "".join(element.itertext())


def _xml_instance(element: Element) -> dict[str, str]:
    return {child.tag: _element_text(child) for child in element if child.tag in _INSTANCE_FIELDS}


def _xml_alert(element: Element) -> tuple[dict[str, str], list[dict[str, str]] | None]:
    fields: dict[str, str] = {}
    instances: list[dict[str, str]] | None = None
    for child in element:
        if child.tag == "instances":
            instances = [_xml_instance(item) for item in child if item.tag == "instance"]
        elif child.tag in _ALERT_FIELDS:
            fields[child.tag] = _element_text(child)
    return fields, instances


def _xml_events(data: bytes) -> Iterator[tuple[str, Element]]:
    """Streamed parse events, with the XML library's failures turned into ParseErrors."""
    try:
        yield from SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True)
    except DTDForbidden:
        raise ParseError(_XML_REFUSED) from None
    except DefusedXmlException as exc:
        raise ParseError(f"unsafe XML refused ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise ParseError(f"invalid or truncated XML: {exc}") from None
    except LookupError:  # the XML declaration names an encoding Python does not know
        raise ParseError(UNKNOWN_XML_ENCODING) from None


def parse_xml(data: bytes) -> ParseResult:
    data = strip_bom(data)
    if not data.strip():
        raise ParseError("empty file")
    data = _LEADING_COMMENTS.sub(b"", data, count=1)
    report = _Report(format="xml")
    sites: list[Site] = []
    findings: list[Finding] = []
    skipped = SkippedEntries()
    read = 0
    current: Site | None = None
    alerts = 0  # of the current site
    seen_root = False
    for event, element in _xml_events(data):
        if not seen_root:
            seen_root = True
            if element.tag != "OWASPZAPReport":
                tag = redact(str(element.tag))[:60]
                raise ParseError(f"root element is <{shown(tag)}>, expected <OWASPZAPReport>")
            report.version = element.get("version")
            report.program_name = element.get("programName")
            report.generated = element.get("generated")
        elif element.tag == "site" and event == "start":
            current = site_of(*(element.get(key, "") for key in ("name", "host", "port", "ssl")))
            sites.append(current)
            alerts = 0
        elif element.tag == "site":
            current = None
            element.clear()
        elif element.tag == "alertitem" and event == "end":
            if current is None:
                raise ParseError("<alertitem> outside any <site>")
            where = f"site[{len(sites) - 1}].alerts[{alerts}]"
            alerts += 1
            try:
                findings.extend(alert_findings(current, *_xml_alert(element)))
                read += 1
            except ParseError as error:
                skipped.add(where, error)
            element.clear()  # keeps memory flat on large xml-plus reports
    run = _run(report, sites)
    skipped.report(run, read)
    return ParseResult(runs=[run], findings=findings)


# ---------------------------------------------------------------------------------------------
# JSON


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_text(value: Any) -> str | None:
    """A scalar as text; lone surrogates (``"\\ud800"`` escapes) become U+FFFD, since no
    output could encode them."""
    text = as_str(value)
    if text is None or text.isascii() or not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def _strings(doc: Mapping[str, Any], keys: frozenset[str]) -> dict[str, str]:
    """The scalar fields among ``keys`` as text (ZAP writes every value as a string)."""
    fields: dict[str, str] = {}
    for key in keys:
        value = doc.get(key)
        if type(value) is str and value.isascii():  # nearly every value: taken as it is
            fields[key] = value
        elif (text := _json_text(value)) is not None:
            fields[key] = text
    return fields


def _json_alert(
    raw: Any, where: str
) -> tuple[dict[str, str], list[dict[str, str]] | None, list[tuple[str, str]]]:
    """The alert's fields, its instances, and the instances that are not objects (their
    places and why), to skip."""
    doc = expect_dict(raw, where)
    instances: list[dict[str, str]] | None = None
    unreadable: list[tuple[str, str]] = []
    if "instances" in doc:
        items = expect_list(doc["instances"], f"{where}.instances")
        instances = []
        for index, item in enumerate(items):
            if type(item) is dict:
                instances.append(_strings(item, _INSTANCE_FIELDS))
            else:
                place = f"{where}.instances[{index}]"
                unreadable.append((place, f"{place} is {type(item).__name__}, expected an object"))
    return _strings(doc, _ALERT_FIELDS), instances, unreadable


def _json_sites(doc: Mapping[str, Any]) -> list[Any]:
    raw = doc.get("site")
    # Some ZAP versions write a single site as an object rather than a one-item list.
    return [raw] if isinstance(raw, dict) else expect_list(raw, '"site"')


def _taken(items: list[Any]) -> Iterator[tuple[int, Any]]:
    """Each item with its index, its place in the list emptied as it is taken: an alert's
    decoded instances are freed once converted, and its findings reuse their memory."""
    for index in range(len(items)):
        item, items[index] = items[index], None
        yield index, item


def parse_json(data: bytes) -> ParseResult:
    return _whole_json(loads(data))


#: The members of a site object its findings need (``site_of``).
_SITE_KEYS = ("@name", "@host", "@port", "@ssl")


class _JsonReading:
    """What reading a JSON report gathers, site by site, whole or streamed."""

    def __init__(self) -> None:
        self.sites: list[Site] = []
        self.findings: list[Finding] = []
        self.skipped = SkippedEntries()
        self.read = 0

    def site(self, site_doc: Mapping[str, Any]) -> Site:
        site = site_of(*(_json_text(site_doc.get(key)) or "" for key in _SITE_KEYS))
        self.sites.append(site)
        return site

    def whole_site(self, site_doc: Mapping[str, Any], where: str) -> None:
        """A site object held whole, its alerts included."""
        site = self.site(site_doc)
        self.alerts(site, where, _taken(expect_list(site_doc.get("alerts"), where)))

    def alerts(self, site: Site, where: str, alerts: Iterator[tuple[int, Any]]) -> None:
        for alert_index, raw_alert in alerts:
            place = f"{where}.alerts[{alert_index}]"
            try:
                fields, instances, unreadable = _json_alert(raw_alert, place)
                self.findings.extend(alert_findings(site, fields, instances))
            except ParseError as error:
                self.skipped.add(place, error)
                continue
            for instance, reason in unreadable:
                self.skipped.add(instance, reason)
            self.read += 1

    def result(self, doc: Mapping[str, Any]) -> ParseResult:
        if not any(key in doc for key in ("site", "@version", "@programName")):
            raise ParseError('not a ZAP traditional JSON report: no "site" or "@version" key')
        report = _Report(
            format="json",
            version=_json_text(doc.get("@version")),
            program_name=_json_text(doc.get("@programName")),
            generated=_json_text(doc.get("@generated")),
        )
        run = _run(report, self.sites)
        self.skipped.report(run, self.read)
        return ParseResult(runs=[run], findings=self.findings)


def _whole_json(value: Any) -> ParseResult:
    doc = expect_dict(value, "ZAP JSON report")
    reading = _JsonReading()
    for site_index, raw_site in enumerate(_json_sites(doc)):
        where = f"site[{site_index}]"
        reading.whole_site(expect_dict(raw_site, where), where)
    return reading.result(doc)


def _streamed_json(stream: JsonStream) -> ParseResult:
    """A big report read one alert at a time: the decoded document is never whole (a 22 MiB
    report decodes to some 90 MiB).  Anything unusual (a repeated key, a site that is no list
    or object) is read whole instead (``NotStreamable``), so both readers agree."""
    if stream.peek() != "{":
        raise NotStreamable("not an object")
    doc: dict[str, Any] = {}
    reading = _JsonReading()
    for key in stream.members():
        if key in doc:
            raise NotStreamable(f"repeated key {key!r}")
        if key != "site":
            doc[key] = stream.value()
            continue
        doc[key] = None  # present: streamed below
        first = stream.peek()
        if first == "{":
            _stream_site(stream, 0, reading)
        elif first == "[":
            for index in stream.items():
                _stream_site(stream, index, reading)
        else:
            raise NotStreamable('"site" is neither a list nor an object')
    stream.finish()
    return reading.result(doc)


def _stream_site(stream: JsonStream, index: int, reading: _JsonReading) -> None:
    """One site: its alerts streamed once the members naming the site came first (as ZAP
    writes them), else taken whole and read at the site's end."""
    where = f"site[{index}]"
    if stream.peek() != "{":
        raise NotStreamable(f"{where} is not an object")
    site_doc: dict[str, Any] = {}
    site: Site | None = None
    for key in stream.members():
        if key in site_doc:
            raise NotStreamable(f"repeated key {key!r} in {where}")
        if (
            key == "alerts"
            and stream.peek() == "["
            and all(name in site_doc for name in _SITE_KEYS)
        ):
            site_doc[key] = None
            site = reading.site(site_doc)
            reading.alerts(site, where, enumerate(stream.values()))
        else:
            site_doc[key] = stream.value()
    if site is None:
        reading.whole_site(site_doc, where)


# ---------------------------------------------------------------------------------------------
# Parsers


class ZapXmlParser(Parser):
    """ZAP's traditional XML report (``zap.sh -cmd -quickout x.xml``, baseline ``-x``)."""

    name = "zap-xml"
    tool = TOOL
    severities = SEVERITIES
    format = "xml"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        return _detect_xml(head)

    def parse(self, artifact: Artifact) -> ParseResult:
        return parse_xml(artifact.read_bytes())


class ZapJsonParser(Parser):
    """ZAP's traditional JSON report (baseline ``-J``, ``traditional-json`` template)."""

    name = "zap-json"
    information_uri = "https://www.zaproxy.org"
    tool = TOOL
    severities = SEVERITIES
    format = "json"

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return SARIF_DIALECT

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        return _detect_json(head)

    def parse(self, artifact: Artifact) -> ParseResult:
        return read_json(artifact, _whole_json, _streamed_json)


# --- SARIF dialect ------------------------------------------------------------------------
# ZAP's SARIF, as the SARIF parser (``parsers.sarif``) reads it: DAST endpoints from the
# location URI and ``webRequest.method``; the sites of its results are the targets.

_ZAP_NAME = re.compile(r"\bzap\b|zed attack proxy", re.IGNORECASE)


def _sarif_finding(view: sarif.SarifResult, context: sarif.RunContext) -> Finding:
    request = sarif.as_dict(view.raw.get("webRequest"))
    method = (as_str(request.get("method")) or "").strip().upper() or None
    url = view.uri or as_str(request.get("target")) or ""
    locations = expect_list(view.raw.get("locations"), "locations")
    location_properties = sarif.as_dict(locations[0].get("properties")) if locations else {}
    param = as_str(location_properties.get("param")) or None
    properties: dict[str, Any] = {}
    for key in ("evidence", "attack"):
        value = as_str(location_properties.get(key))
        if value and value.strip():
            properties[key] = redact(sarif.one_line(value, sarif.MAX_EVIDENCE))
    confidence = as_str(view.rule_properties.get("confidence"))
    false_positive = (confidence or "").replace("-", " ").lower() == "false positive"
    severity_pair = sarif.generic_severity(view)
    return Finding(
        tool=context.tool,
        kind=Kind.dast,
        rule_id=view.rule_id,
        title=view.facts.title,
        severity=severity_pair[0],
        tool_severity=severity_pair[1],
        confidence=confidence,
        message=sarif.display_message(view.message),
        endpoint=Endpoint(
            method=method, url=display_url(url), param=redact(param) if param else None
        ),
        identifiers=view.identifiers,
        references=view.facts.references,
        suppression=view.suppression or (ZAP_FALSE_POSITIVE if false_positive else None),
        target=targets.site(url),
        identity=endpoint_identity(view.rule_id, method, url, param, view.facts.title),
        properties=properties,
    )


ZAP_FALSE_POSITIVE = Suppression(
    kind="falsePositive", justification="ZAP confidence: false positive"
)


def _sarif_targets(run_obj: dict[str, Any], findings: list[Finding]) -> list[str]:
    """Each result's site, from its URL: ZAP's SARIF lists no site it found nothing on."""
    return sorted({f.target for f in findings if f.target is not None})


SARIF_DIALECT = sarif.SarifDialect(
    claims=lambda name: _ZAP_NAME.search(name) is not None,
    convert=_sarif_finding,
    targets=_sarif_targets,
)

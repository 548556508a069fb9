"""SARIF 2.1.0 logs of any tool, with the dialects of the tools whose parsers carry one.

One ``ToolRun`` per ``runs[]`` entry, named after ``tool.driver.name``: the tool whose dialect
claims the driver (``Parser.sarif_dialect``, found in the parser registry), else a lowercase
slug of the name.  One finding per result, suppressed ones included and marked; results whose
``kind`` says nothing failed (``pass``, ``notApplicable``), and results whose
``baselineState`` is ``absent`` (seen in the tool's own baseline run, gone from this one), are
counted in a warning instead.

Each result is converted by one function, ``convert_result(result, context)``, from a
``RunContext`` built once per run (rules index, URI bases, tool, dialect), so big logs are
read as a stream, one result at a time (see "streaming" below).

Generic identity of a code finding (DESIGN "Fingerprints"): the region snippet, else the
flagged lines of ``contextRegion``, else the message without version numbers.  A dialect
(``SarifDialect``, in its tool's parser module: ``parsers/gosec.py``...) converts its tool's
results with the helpers here (``code_finding``, ``generic_severity``...) and what its module
knows of the tool, so that a report reads the same in SARIF as in the tool's own format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote

from hardening import fingerprint, severity
from hardening.errors import ParseError
from hardening.filters import SourceTree
from hardening.jsonread import JsonStream, NotStreamable, read_json
from hardening.model import (
    CodeLocation,
    Finding,
    Kind,
    RunStatus,
    Severity,
    Suppression,
    ToolRun,
)
from hardening.parsers import registry
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
from hardening.redact import is_credential_rule, redact

SARIF_VERSION = "2.1.0"
#: Related locations kept per finding (relatedLocations first, then code-flow steps).
MAX_RELATED = 5
MAX_LINE = 300
MAX_TITLE = 200
MAX_EVIDENCE = 200
UNKNOWN_RULE = "unknown-rule"
OWN_OUTPUT_SKIP = "hardening's own SARIF output, not a scanner report"

# --- detection ----------------------------------------------------------------------------

_SCHEMA = re.compile(rb'"\$schema"\s*:\s*"[^"]*sarif', re.IGNORECASE)
_VERSION_210 = re.compile(rb'"version"\s*:\s*"2\.1\.0"')
_RUNS = re.compile(rb'"runs"\s*:\s*\[')
# gosec writes keys in alphabetical order: "runs" first, "$schema"/"version" at the very end.
_RUNS_FIRST = re.compile(rb'^\s*\{\s*"runs"\s*:\s*\[\s*(?:\{|\])')
_RUN_MARKERS = re.compile(rb'"(?:driver|ruleId|physicalLocation|toolExecutionNotifications)"\s*:')
_OWN_DRIVER = re.compile(
    rb'"hardening_output"\s*:\s*true|"driver"\s*:\s*\{[^{}]*?"name"\s*:\s*"hardening"'
)


def _detect(head: bytes, path: PurePath) -> Detection | None:
    body = strip_bom(head)
    named = path.suffix.lower() == ".sarif" or path.name.lower().endswith(".sarif.json")
    if not looks_like_json(body):
        # A .sarif file that is empty or not JSON is still ours: it fails with its reason.
        return Detection(30) if named else None
    runs = _RUNS.search(body) is not None
    if runs and _OWN_DRIVER.search(body):
        return Detection(95, skip_reason=OWN_OUTPUT_SKIP)
    if runs and _SCHEMA.search(body):
        return Detection(95)
    if runs and _VERSION_210.search(body):
        return Detection(90)
    if _RUNS_FIRST.match(body) and _RUN_MARKERS.search(body):
        return Detection(85)
    if named:
        return Detection(60 if runs else 30)
    return None


# --- tools and dialects -------------------------------------------------------------------

_SLUG = re.compile(r"[^a-z0-9]+")


def dialects() -> dict[str, SarifDialect]:
    """The SARIF dialect of each tool whose registered parser carries one (the first such
    parser of a tool, in registry order)."""
    found: dict[str, SarifDialect] = {}
    for parser in registry.parsers():
        if not parser.tool or parser.tool in found:
            continue
        try:
            dialect = parser.sarif_dialect()
        except Exception:  # a third-party parser's bug must not stop SARIF of other tools
            dialect = None
        if dialect is not None:
            found[parser.tool] = dialect
    return found


def logical_tool(driver_name: str) -> str:
    """``tool.driver.name`` -> the logical tool name used across formats."""
    return _tool_and_dialect(driver_name)[0]


def _tool_and_dialect(driver_name: str) -> tuple[str, SarifDialect | None]:
    """The tool whose dialect claims the driver, else the driver's name as a lowercase slug
    (with that tool's dialect, if one is named so)."""
    lowered = driver_name.strip().lower()
    known = dialects()
    for tool, dialect in known.items():
        if dialect.claims(lowered):
            return tool, dialect
    slug = _SLUG.sub("-", lowered).strip("-") or "sarif"
    return slug, known.get(slug)


# --- run context --------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
_ABSOLUTE_PATH = re.compile(r"^(?:/|\\|[A-Za-z]:[\\/])")


@dataclass
class RunContext:
    """What every result of one run shares, built once per run."""

    tool: str
    #: Rules per tool component: index 0 is the driver, 1.. the extensions in order.
    components: list[list[dict[str, Any]]]
    component_names: list[str | None]
    rules_by_id: dict[str, dict[str, Any]]
    base_uris: dict[str, str]
    artifact_uris: list[str | None]
    skipped_kinds: dict[str, int] = field(default_factory=dict)
    #: Results whose baselineState is "absent": the tool's baseline had them, this run not.
    absent: int = 0
    #: The driver's ``properties`` (govulncheck's ``scan_level`` is there).
    driver_properties: dict[str, Any] = field(default_factory=dict)
    #: ``--source-root``, the scanned tree, for a dialect that reads a file of it
    #: (govulncheck's go.mod names the modules of packages).
    source: SourceTree | None = None
    #: The tool's dialect (None: generic SARIF).
    dialect: SarifDialect | None = None
    #: What a dialect keeps for the run (govulncheck: the go.mod files it read).
    memo: dict[str, Any] = field(default_factory=dict)
    _facts: dict[tuple[str, int], _RuleFacts] = field(default_factory=dict)
    # Per run: the rule of each (ruleId, ruleIndex) and the path of each (uri, uriBaseId).
    # Equal inputs then also share one rule id and one path string across findings.
    _rules_seen: dict[tuple[str | None, int | None], _RuleOf] = field(default_factory=dict)
    _paths_seen: dict[tuple[str, str | None], tuple[str | None, str | None]] = field(
        default_factory=dict
    )

    @classmethod
    def build(cls, run: dict[str, Any], where: str, source: SourceTree | None = None) -> RunContext:
        tool_obj = expect_dict(run.get("tool"), f"{where}.tool")
        driver = expect_dict(tool_obj.get("driver"), f"{where}.tool.driver")
        name = as_str(driver.get("name"))
        if not name or not name.strip():
            raise ParseError(f"{where}.tool.driver has no name")
        components = [_rules(driver, f"{where}.tool.driver")]
        names: list[str | None] = [name]
        extensions = expect_list(tool_obj.get("extensions"), f"{where}.tool.extensions")
        for index, extension in enumerate(extensions):
            ext = expect_dict(extension, f"{where}.tool.extensions[{index}]")
            components.append(_rules(ext, f"{where}.tool.extensions[{index}]"))
            names.append(as_str(ext.get("name")))
        tool, dialect = _tool_and_dialect(name)
        rules_by_id: dict[str, dict[str, Any]] = {}
        for rules in components:
            for rule in rules:
                rule_id = as_str(rule.get("id"))
                if rule_id and rule_id not in rules_by_id:
                    rules_by_id[rule_id] = rule
        return cls(
            tool=tool,
            components=components,
            component_names=names,
            rules_by_id=rules_by_id,
            base_uris=_base_uris(run.get("originalUriBaseIds")),
            artifact_uris=_artifact_uris(run.get("artifacts")),
            driver_properties=as_dict(driver.get("properties")),
            source=source,
            dialect=dialect,
        )

    def rule_for(self, result: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The result's rule id and rule (``{}`` when the log does not describe it)."""
        ref = as_dict(result.get("rule"))
        rule_id = as_str(result.get("ruleId")) or as_str(ref.get("id"))
        index = as_int(result.get("ruleIndex"))
        if index is None:
            index = as_int(ref.get("index"))
        component = self._component(ref.get("toolComponent"))
        rules = self.components[component] if 0 <= component < len(self.components) else []
        if index is not None and 0 <= index < len(rules):
            rule = rules[index]
            indexed_id = as_str(rule.get("id"))
            if rule_id is None or indexed_id == rule_id:
                return indexed_id or rule_id, rule
        if rule_id is not None:
            return rule_id, self.rules_by_id.get(rule_id, {})
        return None, {}

    def rule_of(self, result: dict[str, Any]) -> _RuleOf:
        """The result's rule id (``UNKNOWN_RULE`` when the log names none), rule and facts."""
        rule_id = result.get("ruleId")
        index = result.get("ruleIndex")
        if (
            "rule" in result
            or not (rule_id is None or type(rule_id) is str)
            or not (index is None or type(index) is int)
        ):
            return self._describe(result)
        key = (rule_id, index)
        known = self._rules_seen.get(key)
        if known is None:
            known = self._rules_seen[key] = self._describe(result)
        return known

    def _describe(self, result: dict[str, Any]) -> _RuleOf:
        found_id, rule = self.rule_for(result)
        rule_id = found_id or (self.dialect.no_rule if self.dialect else UNKNOWN_RULE)
        return rule_id, rule, self.rule_facts(rule_id, rule)

    def rule_facts(self, rule_id: str, rule: dict[str, Any]) -> _RuleFacts:
        key = (rule_id, id(rule))
        facts = self._facts.get(key) if rule else None
        if facts is None:
            facts = _RuleFacts.of(rule_id, rule)
            if rule:  # rules live as long as the run; an empty stand-in does not
                self._facts[key] = facts
        return facts

    def _component(self, reference: Any) -> int:
        """Index into ``components`` of a toolComponentReference (the driver when absent)."""
        if not isinstance(reference, dict):
            return 0
        index = as_int(reference.get("index"))
        if index is not None:
            return index + 1  # an index into tool.extensions
        name = as_str(reference.get("name"))
        return self.component_names.index(name) if name in self.component_names else 0

    def resolve(self, artifact_location: Any) -> tuple[str | None, str | None]:
        """(the URI as the log wrote it, decoded; the path resolved against its base)."""
        if type(artifact_location) is not dict:
            return self._resolve(artifact_location)
        uri = artifact_location.get("uri")
        base = artifact_location.get("uriBaseId")
        if type(uri) is not str or not (base is None or type(base) is str):
            return self._resolve(artifact_location)
        key = (uri, base)
        known = self._paths_seen.get(key)
        if known is None:
            known = self._resolve(artifact_location)
            if len(self._paths_seen) < _MAX_PATHS_SEEN:
                self._paths_seen[key] = known
        return known

    def _resolve(self, artifact_location: Any) -> tuple[str | None, str | None]:
        if not isinstance(artifact_location, dict):
            return None, None
        uri = as_str(artifact_location.get("uri"))
        if uri is None:
            index = as_int(artifact_location.get("index"))
            if index is not None and 0 <= index < len(self.artifact_uris):
                uri = self.artifact_uris[index]
        if uri is None:
            return None, None
        if _SCHEME.match(uri):  # file:// and http(s):// stay raw: the pipeline decodes files
            return uri, uri
        decoded = unquote(uri)
        base = self.base_uris.get(as_str(artifact_location.get("uriBaseId")) or "")
        # A uri relative to an absolute base (%SRCROOT% = the checkout on the machine that
        # scanned) is already repo-relative: resolving it would tie the path, and so the
        # fingerprint, to that machine.  Only a relative base is prefixed.
        if (
            base
            and not _ABSOLUTE_PATH.match(decoded)
            and not (_SCHEME.match(base) or base.startswith("/"))
        ):
            return decoded, unquote(base) + decoded
        return decoded, decoded


#: Paths remembered per run (a bound for logs naming millions of files).
_MAX_PATHS_SEEN = 1 << 16


def _rules(component: dict[str, Any], where: str) -> list[dict[str, Any]]:
    rules = expect_list(component.get("rules"), f"{where}.rules")
    return [expect_dict(rule, f"{where}.rules[{i}]") for i, rule in enumerate(rules)]


def _base_uris(value: Any) -> dict[str, str]:
    """``originalUriBaseIds`` resolved (a base may itself sit on another base)."""
    if not isinstance(value, dict):
        return {}
    resolved: dict[str, str] = {}

    def resolve(name: str, depth: int) -> str | None:
        entry = value.get(name)
        if depth > 8 or not isinstance(entry, dict):
            return None
        uri = as_str(entry.get("uri"))
        if uri is None:
            return None
        if uri and not uri.endswith("/"):
            uri += "/"
        parent = as_str(entry.get("uriBaseId"))
        if parent and not _SCHEME.match(uri) and not uri.startswith("/"):
            parent_uri = resolve(parent, depth + 1)
            # Only a relative parent is prefixed: below an absolute one (the checkout of the
            # machine that scanned) this base is already the repo-relative part.
            if parent_uri and not (_SCHEME.match(parent_uri) or parent_uri.startswith("/")):
                uri = parent_uri + uri
        return uri

    for name in value:
        if isinstance(name, str) and (uri := resolve(name, 0)):
            resolved[name] = uri
    return resolved


def _artifact_uris(value: Any) -> list[str | None]:
    if not isinstance(value, list):
        return []
    uris: list[str | None] = []
    for artifact in value:
        location = artifact.get("location") if isinstance(artifact, dict) else None
        uris.append(as_str(location.get("uri")) if isinstance(location, dict) else None)
    return uris


# --- one result, read once ----------------------------------------------------------------


@dataclass(frozen=True)
class _RuleFacts:
    """What a rule says about each of its results, computed once per rule and run."""

    identifiers: tuple[str, ...]
    title: str
    references: tuple[str, ...]
    confidence: str | None
    #: Whether the rule's own identifiers make it a hard-coded-credential rule.
    credential: bool
    #: The rule's ``security-severity`` (stripped) and ``defaultConfiguration.level``.
    security_severity: str | None
    default_level: str | None

    @classmethod
    def of(cls, rule_id: str, rule: dict[str, Any]) -> _RuleFacts:
        identifiers = _rule_identifiers(rule_id, rule)
        config = rule.get("defaultConfiguration")
        return cls(
            identifiers=identifiers,
            title=_title(rule_id, rule),
            references=_references(rule),
            confidence=_confidence(rule),
            credential=is_credential_rule(list(identifiers)),
            security_severity=_severity_text(as_dict(rule.get("properties"))),
            default_level=as_str(config.get("level")) if isinstance(config, dict) else None,
        )


_RuleOf = tuple[str, dict[str, Any], _RuleFacts]


@dataclass(slots=True)
class SarifResult:
    """The raw facts of one result every dialect starts from (nothing redacted yet)."""

    raw: dict[str, Any]
    rule_id: str
    rule: dict[str, Any]
    message: str
    uri: str | None
    path: str | None
    region: dict[str, Any]
    context_region: dict[str, Any]
    snippet: str | None
    suppression: Suppression | None
    identifiers: tuple[str, ...]
    facts: _RuleFacts

    @property
    def rule_properties(self) -> dict[str, Any]:
        properties = self.rule.get("properties")
        return properties if isinstance(properties, dict) else {}

    @property
    def result_properties(self) -> dict[str, Any]:
        properties = self.raw.get("properties")
        return properties if isinstance(properties, dict) else {}

    @property
    def level(self) -> str | None:
        level = self.raw.get("level")
        if type(level) is not str:
            level = as_str(level)
        return level or self.facts.default_level

    @property
    def start_line(self) -> int | None:
        return _int(self.region.get("startLine"))

    @property
    def end_line(self) -> int | None:
        return _int(self.region.get("endLine")) or self.start_line

    def location(self, snippet: str | None) -> CodeLocation | None:
        if not self.path:
            return None
        region = self.region
        start_line = _int(region.get("startLine"))
        return CodeLocation(
            path=self.path,
            start_line=start_line,
            end_line=_int(region.get("endLine")) or start_line,  # defaults to startLine
            start_column=_int(region.get("startColumn")),
            end_column=_int(region.get("endColumn")),
            snippet=snippet,
        )


def _int(value: Any) -> int | None:
    """``as_int``, quicker for the usual plain int (a bool is no number)."""
    return value if type(value) is int else as_int(value)


def _read(result: dict[str, Any], context: RunContext, where: str) -> SarifResult:
    rule_id, rule, facts = context.rule_of(result)
    identifiers = _identifiers(result, facts)
    message = _message_text(result.get("message"), rule)
    locations = result.get("locations")
    if not isinstance(locations, list):
        locations = expect_list(locations, f"{where}.locations")
    physical = _physical(locations[0] if locations else None)
    uri, path = context.resolve(physical.get("artifactLocation"))
    region = as_dict(physical.get("region"))
    suppressions = result.get("suppressions")
    suppression = (
        None
        if suppressions is None or suppressions == []
        else _suppression(suppressions, f"{where}.suppressions")
    )
    # Positional: this runs once per result.
    return SarifResult(
        result,
        rule_id,
        rule,
        message,
        uri,
        path,
        region,
        as_dict(physical.get("contextRegion")),
        _snippet_text(region),
        suppression,
        identifiers,
        facts,
    )


#: Result properties that may name identifiers (see ``_property_texts``).
_ID_PROPERTIES = frozenset({"tags", "cwe", "cwes", "cve", "aliases"})


def _identifiers(result: dict[str, Any], facts: _RuleFacts) -> tuple[str, ...]:
    """The rule's identifiers, then those the result adds (its properties and CWE taxa): the
    rule's own tuple, shared by its results, when the result adds none."""
    properties = result.get("properties")
    taxa = result.get("taxa")
    if taxa is None and (
        not isinstance(properties, dict) or properties.keys().isdisjoint(_ID_PROPERTIES)
    ):
        return facts.identifiers  # already unique
    texts = tuple(_property_texts(as_dict(properties)))
    cwes = _taxa_cwes(taxa)
    if sum(map(len, texts)) > _MAX_CACHED_TEXT:
        return _merged_identifiers.__wrapped__(facts.identifiers, texts, cwes)
    return _merged_identifiers(facts.identifiers, texts, cwes)


#: Characters of property texts above which a result's identifiers are not remembered (the
#: cache holds its keys: a bound on its memory whatever the report's texts).
_MAX_CACHED_TEXT = 1024


@lru_cache(maxsize=4096)
def _merged_identifiers(
    rule_ids: tuple[str, ...], texts: tuple[str, ...], cwes: tuple[str, ...]
) -> tuple[str, ...]:
    """The rule's identifiers, then those in the result's property texts and CWE taxa.

    Cached: the results of one rule repeat their tags and CWE lists, and equal inputs then
    share one tuple across findings."""
    ids = list(rule_ids)
    for text in texts:
        ids.extend(_normalized_ids(text))
    ids.extend(cwes)
    return tuple(dict.fromkeys(ids))


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one (SARIF's optional members)."""
    return value if isinstance(value, dict) else {}


def _physical(location: Any) -> dict[str, Any]:
    return as_dict(location.get("physicalLocation")) if isinstance(location, dict) else {}


def _snippet_text(region: dict[str, Any]) -> str | None:
    snippet = region.get("snippet")
    if not isinstance(snippet, dict):
        return None
    text = snippet.get("text")
    return text if type(text) is str else as_str(text)


_PLACEHOLDER = re.compile(r"\{(\d+)\}")
_EMBEDDED_LINK = re.compile(r"\[([^\]\[]*)\]\(\d+\)")


def _message_text(message: Any, rule: dict[str, Any]) -> str:
    """``message.text``, else the rule's ``messageStrings[id]`` with its arguments filled in."""
    if not isinstance(message, dict):
        return ""
    text = message.get("text")
    if type(text) is str and "arguments" not in message:
        return text
    text = as_str(text)
    if text is None:
        strings = rule.get("messageStrings")
        entry = strings.get(as_str(message.get("id")) or "") if isinstance(strings, dict) else None
        if isinstance(entry, dict):
            text = as_str(entry.get("text"))
    if text is None:
        text = as_str(message.get("markdown")) or ""
    arguments = message.get("arguments")
    if isinstance(arguments, list) and arguments:

        def argument(match: re.Match[str]) -> str:
            index = int(match.group(1))
            value = as_str(arguments[index]) if index < len(arguments) else None
            return value if value is not None else match.group(0)

        text = _PLACEHOLDER.sub(argument, text)
    return text


#: Suppression statuses that leave the result open (SARIF 3.35.3): a suppression still under
#: review, or one the team rejected, suppresses nothing.
_OPEN_STATUSES = frozenset({"underReview", "rejected"})


def _suppression(value: Any, where: str) -> Suppression | None:
    """The first accepted suppression (a status absent reads as accepted), unless any entry is
    under review or rejected: then the result is not suppressed (as the SARIF SDK reads it)."""
    entries = [entry for entry in expect_list(value, where) if isinstance(entry, dict)]
    if not entries or any(as_str(entry.get("status")) in _OPEN_STATUSES for entry in entries):
        return None
    justification = as_str(entries[0].get("justification"))
    return Suppression(
        kind=as_str(entries[0].get("kind")) or "external",
        justification=redact(justification) if justification else None,
    )


# --- identifiers, references, severity ----------------------------------------------------

_CWE = re.compile(r"\bcwe[-_/: ]?0*(\d{1,5})\b", re.IGNORECASE)
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_GHSA = re.compile(r"\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b", re.IGNORECASE)
_GO_ID = re.compile(r"\bGO-\d{4}-\d{4,}\b", re.IGNORECASE)


def _normalized_ids(text: str) -> list[str]:
    ids = [f"CWE-{int(m.group(1))}" for m in _CWE.finditer(text)]
    ids += [m.group(0).upper() for m in _CVE.finditer(text)]
    ids += ["GHSA" + m.group(0)[4:].lower() for m in _GHSA.finditer(text)]
    ids += [m.group(0).upper() for m in _GO_ID.finditer(text)]
    return ids


def string_list(value: Any) -> list[str]:
    """The strings of a value that is one or a list of them (tags, CWE ids)."""
    items = value if isinstance(value, list) else [value]
    return [text for item in items if (text := as_str(item))]


def _rule_identifiers(rule_id: str, rule: dict[str, Any]) -> tuple[str, ...]:
    ids: list[str] = []
    # A rule named after its advisory (trivy, govulncheck; grype "CVE-...-<package>").
    head = _CVE.match(rule_id) or _GHSA.match(rule_id) or _GO_ID.match(rule_id)
    if head:
        ids.extend(_normalized_ids(head.group(0)))
    for text in _property_texts(as_dict(rule.get("properties"))):
        ids.extend(_normalized_ids(text))
    # Taxonomy links: gosec and ZAP relate their rules to CWE taxa.
    for relationship in expect_list(rule.get("relationships"), "rule.relationships"):
        target = as_dict(relationship.get("target")) if isinstance(relationship, dict) else {}
        if _taxonomy_name(target) == "CWE" and (cwe := as_str(target.get("id"))):
            ids.extend(_normalized_ids(f"CWE-{cwe}"))
    return tuple(dict.fromkeys(ids))


def _taxa_cwes(taxa: Any) -> tuple[str, ...]:
    """The CWE ids of a result's ``taxa`` (references into the CWE taxonomy)."""
    ids: list[str] = []
    for taxon in expect_list(taxa, "result.taxa"):
        if isinstance(taxon, dict) and _taxonomy_name(taxon) == "CWE":
            ids.extend(f"CWE-{int(cwe)}" for cwe in string_list(taxon.get("id")) if cwe.isdigit())
    return tuple(ids)


def _property_texts(properties: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for key in ("tags", "cwe", "cwes", "cve", "aliases"):
        if key in properties:
            texts.extend(string_list(properties[key]))
    return texts


def _taxonomy_name(reference: dict[str, Any]) -> str | None:
    component = reference.get("toolComponent")
    name = as_str(component.get("name")) if isinstance(component, dict) else None
    return name.upper() if name else None


def _references(rule: dict[str, Any]) -> tuple[str, ...]:
    urls = [as_str(rule.get("helpUri"))]
    urls += string_list(as_dict(rule.get("properties")).get("references"))
    return tuple(dict.fromkeys(u for u in urls if u and u.startswith(("https://", "http://"))))


def _severity_text(properties: dict[str, Any]) -> str | None:
    value = as_str(properties.get("security-severity"))
    return value.strip() if value and value.strip() else None


def security_severity(view: SarifResult) -> str | None:
    """The result's ``security-severity`` property, else its rule's."""
    properties = view.raw.get("properties")
    if isinstance(properties, dict) and "security-severity" in properties:
        value = _severity_text(properties)
        if value is not None:
            return value
    return view.facts.security_severity


#: (id of a word table, security-severity) -> the table and the severity pair: a log repeats
#: a few values.  Each entry holds its table, so no other table can take that id.
_SCORES: dict[tuple[int, str], tuple[Mapping[str, Severity], tuple[Severity, str] | None]] = {}
_LEVELS: dict[str, tuple[Severity, str]] = {}
_MAX_REMEMBERED = 4096


def score_severity(
    view: SarifResult, words: Mapping[str, Severity] = severity.SARIF_LEVELS
) -> tuple[Severity, str] | None:
    """security-severity: a CVSS-like score, or a severity word of ``words``."""
    score = security_severity(view)
    if score is None:
        return None
    key = (id(words), score)
    known = _SCORES.get(key)
    if known is not None:
        return known[1]
    normalized = severity.from_cvss(score) or words.get(score.upper())
    pair = (normalized, score) if normalized is not None else None
    if len(_SCORES) < _MAX_REMEMBERED:
        _SCORES[key] = (words, pair)
    return pair


def generic_severity(
    view: SarifResult, words: Mapping[str, Severity] = severity.SARIF_LEVELS
) -> tuple[Severity, str]:
    """security-severity first, else the result's level, the rule's default, "warning"."""
    scored = score_severity(view, words)
    if scored is not None:
        return scored
    level = view.level or "warning"
    pair = _LEVELS.get(level)
    if pair is None:
        pair = (severity.lookup(severity.SARIF_LEVELS, level), level)
        if len(_LEVELS) < _MAX_REMEMBERED:
            _LEVELS[level] = pair
    return pair


_CONFIDENCE_TAG = re.compile(r"^\s*(\w+)\s+confidence\s*$", re.IGNORECASE)


def _confidence(rule: dict[str, Any]) -> str | None:
    properties = as_dict(rule.get("properties"))
    explicit = as_str(properties.get("confidence"))
    if explicit:
        return explicit
    for tag in string_list(properties.get("tags")):
        match = _CONFIDENCE_TAG.match(tag)
        if match:
            return match.group(1).lower()
    return as_str(properties.get("precision"))


# --- display text -------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    line = _WHITESPACE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def rule_text(rule: dict[str, Any], *keys: str) -> str | None:
    """The first of the rule's ``keys`` (``shortDescription``...) that holds text."""
    for key in keys:
        value = rule.get(key)
        text = as_str(value.get("text")) if isinstance(value, dict) else as_str(value)
        if text and text.strip():
            return text
    return None


def _title(rule_id: str, rule: dict[str, Any]) -> str:
    text = rule_text(rule, "shortDescription", "name", "fullDescription")
    return redact(one_line(text or rule_id or "SARIF result", MAX_TITLE))


def display_message(text: str) -> str:
    """Redacted message; ``[text](1)`` links to related locations read as their text."""
    if "](" in text:
        text = _EMBEDDED_LINK.sub(_link_text, text)
    return redact(text.strip())


def _link_text(match: re.Match[str]) -> str:
    return match.group(1)


def related_locations(
    view: SarifResult, context: RunContext, with_snippets: bool
) -> Sequence[CodeLocation]:
    """relatedLocations, then code-flow steps, at most ``MAX_RELATED`` of them."""
    if "relatedLocations" not in view.raw and "codeFlows" not in view.raw:
        return ()
    candidates: list[Any] = list(expect_list(view.raw.get("relatedLocations"), "relatedLocations"))
    for flow in expect_list(view.raw.get("codeFlows"), "codeFlows"):
        for thread in expect_list(as_dict(flow).get("threadFlows"), "threadFlows"):
            for step in expect_list(as_dict(thread).get("locations"), "threadFlow.locations"):
                candidates.append(as_dict(step).get("location"))
    related: list[CodeLocation] = []
    seen: set[tuple[str, int | None, int | None]] = set()
    for candidate in candidates:
        if len(related) >= MAX_RELATED:
            break
        physical = _physical(candidate)
        _uri, path = context.resolve(physical.get("artifactLocation"))
        region = as_dict(physical.get("region"))
        key = (path or "", as_int(region.get("startLine")), as_int(region.get("startColumn")))
        if not path or key in seen:  # a flow often repeats its related locations
            continue
        seen.add(key)
        snippet = _snippet_text(region) if with_snippets else None
        start_line = as_int(region.get("startLine"))
        related.append(
            CodeLocation(
                path=path,
                start_line=start_line,
                end_line=as_int(region.get("endLine")) or start_line,  # defaults to startLine
                start_column=as_int(region.get("startColumn")),
                end_column=as_int(region.get("endColumn")),
                snippet=redact(snippet) if snippet else None,
            )
        )
    return related


# --- code findings ------------------------------------------------------------------------


def _context_lines(view: SarifResult) -> str | None:
    """The flagged lines of ``contextRegion``: region start..end within the context."""
    text = _snippet_text(view.context_region)
    context_start = as_int(view.context_region.get("startLine"))
    start, end = view.start_line, view.end_line
    if text is None or context_start is None or start is None or end is None:
        return None
    lines = text.splitlines()
    selected = lines[max(start - context_start, 0) : max(end - context_start + 1, 0)]
    return "\n".join(selected) if selected else None


def generic_identity(view: SarifResult) -> list[str]:
    """A code finding's identity input when its tool has none of its own: the snippet, the
    flagged lines of the context region, else the message without version numbers."""
    if view.snippet is not None and view.snippet.strip():
        return [fingerprint.text_digest(view.snippet)]
    flagged = _context_lines(view)
    if flagged is not None and flagged.strip():
        return [fingerprint.text_digest(flagged)]
    return [fingerprint.text_digest(fingerprint.strip_versions(view.message))]


def code_finding(
    view: SarifResult,
    context: RunContext,
    *,
    identity: list[str],
    severity_pair: tuple[Severity, str],
    title: str | None = None,
    confidence: str | None = None,
    suppression: Suppression | None = None,
    credential: bool = False,
) -> Finding:
    """A code finding of the result, with what its dialect decided (identity, severity and
    the tool's word, ``credential`` for a hard-coded-credential rule) and the rest generic."""
    if not credential:
        # Only identifiers the result adds to its rule's can change the rule's verdict.
        added = len(view.identifiers) > len(view.facts.identifiers)
        credential = view.facts.credential or (added and is_credential_rule(view.identifiers))
    shown = view.snippet if view.snippet is not None else _context_lines(view)
    # Hard-coded credential rules never show their snippet (DESIGN "Safety rules").
    snippet = redact(shown) if shown and not credential else None
    return Finding(
        tool=context.tool,
        kind=Kind.code,
        rule_id=view.rule_id,
        title=title or view.facts.title,
        severity=severity_pair[0],
        tool_severity=severity_pair[1],
        confidence=confidence or view.facts.confidence,
        message=display_message(view.message),
        location=view.location(snippet),
        related_locations=related_locations(view, context, with_snippets=not credential),
        identifiers=view.identifiers,
        references=view.facts.references,
        suppression=suppression or view.suppression,
        identity=identity,
    )


def _generic(view: SarifResult, context: RunContext) -> Finding:
    return code_finding(
        view, context, identity=generic_identity(view), severity_pair=generic_severity(view)
    )


# --- secrets ------------------------------------------------------------------------------

REDACTED_MARK = "REDACTED"


def secret_identity(rule_id: str, secret: str | None, match: str | None) -> list[str]:
    """A secret's identity input: the slow hash of the secret, or for a redacted one (or
    none) a digest of the text matched."""
    if not secret or REDACTED_MARK in secret:
        return ["redacted", fingerprint.text_digest(match or "")]
    return ["hash", fingerprint.secret_digest(rule_id, secret)]


@dataclass(frozen=True)
class SarifDialect:
    """How one tool's SARIF reads beyond what SARIF itself says.  The tool's parser carries
    it (``Parser.sarif_dialect``) and the parser registry finds it, so a new tool brings its
    dialect in its own module; the helpers above do the generic part of a finding."""

    #: Whether a run is this tool's, by its ``tool.driver.name`` (stripped, lower-cased).
    claims: Callable[[str], bool]
    #: One result -> its finding, or its findings.
    convert: Callable[[SarifResult, RunContext], Finding | list[Finding]]
    #: The targets a run scanned, from the run object and its findings (on which it sets
    #: their ``target``); None: the run names none (one unnamed target).
    targets: Callable[[dict[str, Any], list[Finding]], list[str]] | None = None
    #: The rule id of a result that names none ("": ``convert`` reads the rule elsewhere).
    no_rule: str = UNKNOWN_RULE


#: Result kinds that report no problem: not findings.
_NOT_FAILURES = frozenset({"pass", "notApplicable"})


def convert_result(result: Any, context: RunContext, where: str = "result") -> Sequence[Finding]:
    """One SARIF result -> its findings: one, or one per module for govulncheck; none for
    ``pass``/``notApplicable`` results and for ``absent`` ones."""
    entry = result if type(result) is dict else expect_dict(result, where)
    kind = entry.get("kind")
    if kind is not None and (kind := as_str(kind)) in _NOT_FAILURES:
        context.skipped_kinds[kind] = context.skipped_kinds.get(kind, 0) + 1
        return ()
    if entry.get("baselineState") == "absent":
        context.absent += 1
        return ()
    view = _read(entry, context, where)
    convert = context.dialect.convert if context.dialect else _generic
    found = convert(view, context)
    return (found,) if type(found) is Finding else found  # type: ignore[return-value]


# --- runs ---------------------------------------------------------------------------------


@dataclass
class _Notifications:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    execution_failed: bool = False


def _notifications(run: dict[str, Any], where: str) -> _Notifications:
    found = _Notifications()
    for index, invocation in enumerate(expect_list(run.get("invocations"), f"{where}.invocations")):
        inv_where = f"{where}.invocations[{index}]"
        invocation = expect_dict(invocation, inv_where)
        if invocation.get("executionSuccessful") is False:
            found.execution_failed = True
        for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
            for note in expect_list(invocation.get(key), f"{inv_where}.{key}"):
                if not isinstance(note, dict):
                    continue
                level = (as_str(note.get("level")) or "warning").lower()
                if level == "error":
                    found.errors.append(_notification_line(note))
                elif level == "warning":
                    found.warnings.append(_notification_line(note))
    return found


def _notification_line(note: dict[str, Any]) -> str:
    """One redacted line: the descriptor id, where, and the message."""
    parts = []
    descriptor = as_str(as_dict(note.get("descriptor")).get("id"))
    if descriptor:
        parts.append(descriptor)
    locations = note.get("locations")
    if isinstance(locations, list) and locations:
        where = as_str(as_dict(_physical(locations[0]).get("artifactLocation")).get("uri"))
        if where:
            parts.append(where)
    text = _message_text(note.get("message"), {})
    if text.strip():
        parts.append(text)
    return redact(one_line(": ".join(parts) or "notification without message"))


def _web_uri(value: Any) -> str | None:
    """The driver's home page when it is a plain web address (never another scheme)."""
    text = as_str(value)
    if text is None or not text.startswith(("https://", "http://")) or "@" in text:
        return None
    return text


def _version(driver: dict[str, Any]) -> str | None:
    return as_str(driver.get("semanticVersion")) or as_str(driver.get("version"))


@dataclass
class _ReadRun:
    """One run read: its ToolRun, findings, and the results it skipped out of how many."""

    tool_run: ToolRun
    findings: list[Finding]
    skipped: SkippedEntries
    results: int


def read_run(run: Any, where: str, source: SourceTree | None = None) -> _ReadRun:
    run_obj = expect_dict(run, where)
    context = RunContext.build(run_obj, where, source)
    results_value = run_obj.get("results")
    results = expect_list(results_value, f"{where}.results")
    findings: list[Finding] = []
    skipped = SkippedEntries()
    for index, result in enumerate(results):
        place = f"{where}.results[{index}]"
        try:
            findings.extend(convert_result(result, context, place))
        except ParseError as error:
            skipped.add(place, error)
    tool_run = _finish_run(
        run_obj,
        context,
        where,
        results_missing=results_value is None,
        has_results=bool(results),
        findings=findings,
    )
    tool_run.warnings.extend(skipped.warnings())
    return _ReadRun(tool_run, findings, skipped, len(results))


def _finish_run(
    run_obj: dict[str, Any],
    context: RunContext,
    where: str,
    *,
    results_missing: bool,
    has_results: bool,
    findings: list[Finding],
) -> ToolRun:
    """The ToolRun of a run whose results were converted with ``context`` into ``findings``
    (its skipped results are added by the caller)."""
    driver = as_dict(as_dict(run_obj.get("tool")).get("driver"))
    tool_run = ToolRun(
        tool=context.tool,
        format=SarifParser.format,
        version=_version(driver),
        information_uri=_web_uri(driver.get("informationUri")),
        database_date=as_str(as_dict(driver.get("properties")).get("db_last_modified")),
        targets=_scan_targets(context, run_obj, findings),
    )
    if results_missing:
        tool_run.warnings.append("run has no 'results' array: the tool may not have completed")
    for kind, count in sorted(context.skipped_kinds.items()):
        tool_run.warnings.append(f"{count} result(s) of kind '{kind}' are not findings")
    if context.absent:
        tool_run.warnings.append(
            f"{context.absent} result(s) with baselineState 'absent' are not findings:"
            " the tool reports them gone since its own baseline"
        )
    _apply_notifications(tool_run, _notifications(run_obj, where), has_results=has_results)
    return tool_run


def _scan_targets(
    context: RunContext, run_obj: dict[str, Any], findings: list[Finding]
) -> list[str]:
    """The targets a run scanned, where its dialect knows them: other SARIF names no target,
    one unnamed target per tool."""
    if context.dialect is None or context.dialect.targets is None:
        return []
    return context.dialect.targets(run_obj, findings)


def _apply_notifications(tool_run: ToolRun, notes: _Notifications, has_results: bool) -> None:
    if not has_results and (notes.errors or notes.execution_failed):
        tool_run.status = RunStatus.failed
        tool_run.error = (
            notes.errors[0] if notes.errors else "tool reported executionSuccessful false"
        )
        tool_run.run_errors = notes.errors[1:] + notes.warnings
        return
    tool_run.run_errors = notes.errors + notes.warnings
    if notes.execution_failed:
        tool_run.run_errors.insert(0, "tool reported executionSuccessful false")


class SarifParser(Parser):
    name = "sarif"
    tool = ""
    format = "sarif"

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        return _detect(head, path)

    def parse(self, artifact: Artifact) -> ParseResult:
        source = SourceTree(artifact.source_root) if artifact.source_root else None
        return read_json(
            artifact,
            lambda document: parse_log(document, source),
            lambda stream: _stream_log(stream, source),
        )


def parse_log(document: Any, source: SourceTree | None = None) -> ParseResult:
    log = expect_dict(document, "SARIF log")
    if "runs" not in log:
        raise ParseError("not a SARIF log: no 'runs' list")
    runs = expect_list(log.get("runs"), "'runs'")
    return _log_result(
        log, [read_run(run, f"runs[{index}]", source) for index, run in enumerate(runs)]
    )


def _log_result(log: dict[str, Any], runs: list[_ReadRun]) -> ParseResult:
    # A log none of whose results could be read cannot be read at all.
    SkippedEntries.check_all(
        (run.skipped for run in runs), read=sum(run.results - len(run.skipped) for run in runs)
    )
    version = as_str(log.get("version"))
    result = ParseResult()
    for run in runs:
        tool_run, findings = run.tool_run, run.findings
        if version is not None and version != SARIF_VERSION:
            tool_run.warnings.append(f"SARIF version {shown(version)!r}, read as {SARIF_VERSION}")
        result.runs.append(tool_run)
        result.findings.extend(findings)
    if not result.runs:
        result.runs.append(
            ToolRun(tool="sarif", format="sarif", warnings=["SARIF log holds no runs"])
        )
    return result


# --- streaming ----------------------------------------------------------------------------
#
# A big log is read as a stream (``_io.read_json``): each run's members whole except its
# results, which are converted one at a time.  Results are converted with what the run said
# before them (tools write ``tool`` first as a rule); a run that names its tool, URI bases or
# artifacts only after its results (gosec writes keys in alphabetical order) has its results
# read again from a second reader once the run is known.  Any other surprise (a repeated key)
# sends the log to ``parse_log`` whole, so both readers agree on every input.

#: The run members ``RunContext.build`` reads.
_CONTEXT_KEYS = frozenset({"tool", "originalUriBaseIds", "artifacts"})


@dataclass
class _StreamedResults:
    context: RunContext | None  # None: passed over, the run named its tool after them
    findings: list[Finding] = field(default_factory=list)
    skipped: SkippedEntries = field(default_factory=SkippedEntries)
    count: int = 0
    stale: bool = False  # converted before a member of the context came: read them again


def _stream_log(stream: JsonStream, source: SourceTree | None = None) -> ParseResult:
    if stream.peek() != "{":
        return parse_log(stream.value(), source)  # not an object: parse_log says so
    log: dict[str, Any] = {}
    runs: list[_ReadRun] | None = None
    for key in stream.members():
        if key in log:
            raise NotStreamable(f"repeated key {key!r}")
        if key == "runs" and stream.peek() == "[":
            runs = [_stream_run(stream, index, source) for index in stream.items()]
            log[key] = []
        else:
            log[key] = stream.value()
    stream.finish()
    if runs is None:  # no runs list: nothing big was read
        return parse_log(log, source)
    return _log_result(log, runs)


def _stream_run(stream: JsonStream, index: int, source: SourceTree | None = None) -> _ReadRun:
    where = f"runs[{index}]"
    if stream.peek() != "{":
        return read_run(stream.value(), where, source)  # not an object: read_run says so
    run: dict[str, Any] = {}
    streamed: _StreamedResults | None = None
    for key in stream.members():
        if key in run or (key == "results" and streamed is not None):
            raise NotStreamable(f"repeated key {key!r} in {where}")
        if key == "results" and stream.peek() == "[":
            streamed = _stream_results(stream, run, where, source)
            continue
        run[key] = stream.value()
        if streamed is not None and key in _CONTEXT_KEYS:
            streamed.stale = True
    if streamed is None:  # no results list: nothing big was read
        return read_run(run, where, source)
    context = streamed.context
    if context is None or streamed.stale:
        context = RunContext.build(run, where, source)
        with stream.reopen() as again:
            streamed = _reread_results(again, context, index)
    tool_run = _finish_run(
        run,
        context,
        where,
        results_missing=False,
        has_results=streamed.count > 0,
        findings=streamed.findings,
    )
    tool_run.warnings.extend(streamed.skipped.warnings())
    return _ReadRun(tool_run, streamed.findings, streamed.skipped, streamed.count)


def _stream_results(
    stream: JsonStream, run: dict[str, Any], where: str, source: SourceTree | None = None
) -> _StreamedResults:
    """The results array that comes next, converted with the run's members read so far (or
    passed over when the run has not named its tool yet)."""
    if "tool" not in run:
        for _result in stream.values():
            pass
        return _StreamedResults(context=None)
    return _convert_results(stream, RunContext.build(run, where, source), where)


def _convert_results(stream: JsonStream, context: RunContext, where: str) -> _StreamedResults:
    streamed = _StreamedResults(context=context)
    for index, result in enumerate(stream.values()):
        streamed.count += 1
        place = f"{where}.results[{index}]"
        try:
            streamed.findings.extend(convert_result(result, context, place))
        except ParseError as error:
            streamed.skipped.add(place, error)
    return streamed


def _reread_results(stream: JsonStream, context: RunContext, index: int) -> _StreamedResults:
    """The results of ``runs[index]`` read again, with the whole run known."""
    stream.start()
    for key in stream.members():
        if key != "runs":
            stream.skip()
            continue
        for other in stream.items():
            if other != index:
                stream.skip()
                continue
            for member in stream.members():
                if member == "results":
                    return _convert_results(stream, context, f"runs[{index}]")
                stream.skip()
    raise NotStreamable(f"runs[{index}].results not found again")

"""hardening.sarif: SARIF 2.1.0 built with sarif-om, written as a stream.

One run per tool (its findings, or none when it ran cleanly and found nothing; a failed or
unexercised tool with nothing to show has no run), each with the driver's name, version and
the rules its results use.  Every result carries ``partialFingerprints`` (the v1 fingerprint,
also as GitHub's ``primaryLocationLineHash``), a level from the normalized severity,
``baselineState`` when the report was diffed, and ``suppressions`` for in-source suppressed,
accepted and false-positive findings.

GitHub code scanning is the consumer that decides what "valid" means in practice (its "SARIF
support for code scanning" page, and the errors its upload returns): every rule has short and
full descriptions and help text; every result has a physical location with a line; no URI has
a scheme other than ``file``; a run holds at most 25,000 results (the most severe open ones
are kept, the rest counted in a notification); and a log has at least one run.

Streaming: the log's head and each run's head are written as JSON text up to ``"results":[``;
then one result at a time is built as plain JSON (the log, runs and rules are sarif-om
objects) and written, so a million results never exist together (DESIGN "Outputs", issue 8).

Mappings (DESIGN "Outputs"):

=====================  ==================================================================
normalized severity    SARIF ``level``: critical, high -> error; medium -> warning;
                       low, info -> note
finding state          ``baselineState``: new -> new; unchanged, accepted, false_positive,
                       suppressed -> unchanged; updated -> updated; expired -> unchanged (the
                       result was in the baseline run too; only its acceptance lapsed, so it
                       carries no suppression and its ``properties.state`` says expired);
                       unknown -> unchanged, an open result (its tool did not scan it today:
                       its alert must not close); fixed -> no result (what a code-scanning
                       service should show is what is open; a fixed alert closes because its
                       result is gone from a run of its tool)
=====================  ==================================================================

Locations: a code location becomes a physical location relative to ``%SRCROOT%`` (line 1
when it has no line); a dependency or license finding without one points at its lockfile,
manifest or image (``component.target``) and names the package as a logical location; a DAST
or API finding points at its host and URL path, without scheme or port, and has a logical
location for its operation and a ``webRequest`` with method and URL.  Snippets are written
only when the finding has one and never for secret-class findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import attrs
import sarif_om

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
    ToolRun,
    set_fields,
)
from hardening.redact import is_credential_rule
from hardening.render import jsonstream
from hardening.render.interface import Renderer, RenderSettings
from hardening.render.links import advisory_url, package_place, url_path, where
from hardening.render.text import one_line

SARIF_VERSION = "2.1.0"
SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "hardening/v1"
GITHUB_FINGERPRINT_KEY = "primaryLocationLineHash"
SRCROOT = "%SRCROOT%"
#: Tool notifications (errors) kept per run.
MAX_NOTIFICATIONS = 20
#: Tool warnings kept per run: enough for the 20 skipped entries a run names and its count.
MAX_WARNING_NOTIFICATIONS = 30
#: Results per run: GitHub code scanning rejects an upload with a run of more.
MAX_RESULTS_PER_RUN = 25_000
#: GitHub code scanning's limit on a rule's short and full description.
MAX_DESCRIPTION = 1024

LEVELS: dict[Severity, str] = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}

#: State -> baselineState of the results written (fixed findings are not written).
BASELINE_STATES: dict[State, str] = {
    State.new: "new",
    State.unchanged: "unchanged",
    State.accepted: "unchanged",
    State.false_positive: "unchanged",
    State.suppressed: "unchanged",
    State.updated: "updated",
    State.expired: "unchanged",
    State.unknown: "unchanged",
}

#: GitHub code scanning ranks security results by this rule property (CVSS-like scale).
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.critical: "9.5",
    Severity.high: "8.0",
    Severity.medium: "5.5",
    Severity.low: "3.0",
    Severity.info: "0.0",
}

#: Enum member -> its text; ``Enum.value`` is slow enough to matter a million times over.
_NAMES: dict[Severity | Kind | State, str] = {
    member: member.value for enum in (Severity, Kind, State) for member in enum
}
#: Tool statuses meaning the tool was run (a missing tool gets a run only for its findings).
_RAN = (RunStatus.ok, RunStatus.failed, RunStatus.not_exercised)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: The region of a location that has no line of its own (a whole file, a stand-in path).
_LINE_1: dict[str, int] = {"startLine": 1}
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
# Characters kept as they are in a file URI; everything else is percent-encoded.
_URI_SAFE = "/-._~!$&'()*+,;=@"


def write(report: Report, path: Path) -> None:
    """Write ``report`` as SARIF 2.1.0 to ``path`` (atomically, one result at a time)."""
    with jsonstream.atomic_text(path) as out:
        write_stream(report, out)


def write_stream(report: Report, out: TextIO) -> None:
    log = sarif_om.SarifLog(
        schema_uri=SCHEMA_URI,
        version=SARIF_VERSION,
        runs=[],
        properties={
            "generator": report.generator,
            "generator_version": report.generator_version,
            "hardening_output": True,
            "fingerprint_version": report.fingerprint_version,
        },
    )
    head = to_json(log)
    del head["runs"]
    # "$schema" first, so a reader of the first bytes knows the document.
    head = {"$schema": head.pop("$schema"), **head}
    out.write(jsonstream.open_object(head, "runs"))
    diffed = report.diff is not None
    groups = _groups(report)
    for index, group in enumerate(groups):
        out.write(",\n" if index else "\n")
        _write_run(group, diffed, out)
    if not groups:
        out.write("\n")
        _write_empty_run(report, out)
    out.write("\n]}\n")


# --- runs ---------------------------------------------------------------------------------


@dataclass
class _ToolGroup:
    """One SARIF run: a tool's runs as read, and its findings that are written."""

    tool: str
    runs: list[ToolRun] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _groups(report: Report) -> list[_ToolGroup]:
    """The runs to write: every tool with results, and every tool that ran cleanly and found
    nothing.  A failed or unexercised tool with nothing to show gets no run: an empty
    ``results`` array says the tool looked and found nothing, and code scanning would close
    all of that tool's alerts."""
    groups: dict[str, _ToolGroup] = {}
    for run in report.runs:
        if run.status in _RAN:
            groups.setdefault(run.tool, _ToolGroup(run.tool)).runs.append(run)
    for finding in report.findings:
        if finding.state is State.fixed:
            continue  # never a result: a code-scanning service shows what is open
        group = groups.get(finding.tool)
        if group is None:
            group = groups[finding.tool] = _ToolGroup(finding.tool)
            group.runs = [run for run in report.runs if run.tool == finding.tool]
        group.findings.append(finding)
    return [
        group
        for group in groups.values()
        if group.findings or all(run.status is RunStatus.ok for run in group.runs)
    ]


def _write_run(group: _ToolGroup, diffed: bool, out: TextIO) -> None:
    findings, left_out = _within_limit(group.findings)
    rules = _Rules()
    for finding in findings:
        rules.add(finding)
    invocation = _invocation(group.runs, left_out) if group.runs or left_out else None
    properties = _run_properties(group.runs)
    if left_out:
        properties = {**(properties or {}), "results_left_out": left_out}
    run = sarif_om.Run(
        tool=sarif_om.Tool(
            driver=sarif_om.ToolComponent(
                name=group.tool,
                version=_version(group.runs),
                information_uri=_home_page(group.runs),
                rules=rules.descriptors(),
            )
        ),
        invocations=[invocation] if invocation is not None else None,
        properties=properties,
    )
    head = to_json(run)
    head["tool"]["driver"].setdefault("rules", [])  # code scanning requires the array
    out.write(jsonstream.open_object(head, "results"))
    jsonstream.write_items(out, (_result(f, rules.index[f.rule_id], diffed) for f in findings))
    out.write("]}")


def _write_empty_run(report: Report, out: TextIO) -> None:
    """The one run of a log with nothing to report: code scanning rejects ``"runs": []``."""
    driver = {"name": report.generator, "rules": []}
    if report.generator_version:
        driver["version"] = report.generator_version
    out.write(jsonstream.open_object({"tool": {"driver": driver}}, "results") + "]}")


def _within_limit(findings: list[Finding]) -> tuple[list[Finding], int]:
    """At most ``MAX_RESULTS_PER_RUN`` findings, in report order: code scanning rejects a
    run with more.  Kept first: the most severe."""
    if len(findings) <= MAX_RESULTS_PER_RUN:
        return findings, 0
    ranked = sorted(range(len(findings)), key=lambda i: -findings[i].severity.rank)
    kept = sorted(ranked[:MAX_RESULTS_PER_RUN])
    return [findings[i] for i in kept], len(findings) - len(kept)


class _Rules:
    """The distinct rules of one run, in order of first use."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.first: list[Finding] = []
        self.worst: list[Severity] = []

    def add(self, finding: Finding) -> None:
        at = self.index.get(finding.rule_id)
        if at is None:
            self.index[finding.rule_id] = len(self.first)
            self.first.append(finding)
            self.worst.append(finding.severity)
        elif finding.severity.rank > self.worst[at].rank:
            self.worst[at] = finding.severity

    def descriptors(self) -> list[Any]:
        return [_rule(first, worst) for first, worst in zip(self.first, self.worst, strict=True)]


def _rule(finding: Finding, worst: Severity) -> Any:
    """GitHub code scanning requires ``shortDescription``, ``fullDescription`` and ``help``
    text on every rule (non-empty, descriptions at most 1,024 characters)."""
    title = one_line(finding.title, MAX_DESCRIPTION) or one_line(finding.rule_id, MAX_DESCRIPTION)
    help_uri = _help_uri(finding)
    return sarif_om.ReportingDescriptor(
        id=finding.rule_id,
        short_description=sarif_om.MultiformatMessageString(text=title),
        full_description=sarif_om.MultiformatMessageString(text=title),
        help=sarif_om.MultiformatMessageString(text=_help_text(finding, title, help_uri)),
        help_uri=help_uri,
        properties={"tags": ["security"], "security-severity": SECURITY_SEVERITY[worst]},
    )


def _help_text(finding: Finding, title: str, help_uri: str | None) -> str:
    """The rule's title, the tool and rule it comes from, its identifiers and advisory page."""
    lines = [title, f"Reported by {finding.tool} as {finding.rule_id}."]
    if finding.identifiers:
        lines.append("Identifiers: " + ", ".join(finding.identifiers) + ".")
    if help_uri:
        lines.append(f"See {help_uri}")
    return "\n".join(lines)


def _help_uri(finding: Finding) -> str | None:
    """An advisory page built from the rule id or an identifier; never a report's own URL."""
    for identifier in (finding.rule_id, *finding.identifiers):
        url = advisory_url(identifier)
        if url is not None:
            return url
    return None


def _version(runs: list[ToolRun]) -> str | None:
    """The tool's version; the newest when artifacts disagree (all are in the properties, as
    the reports wrote them).  A leading ``v`` before a digit is dropped (``v1.1.4`` -> ``1.1.4``):
    SARIF consumers compare versions that start with a number."""
    versions = sorted({run.version for run in runs if run.version}, key=_version_key)
    if not versions:
        return None
    newest = versions[-1]
    return newest[1:] if newest[:1] in "vV" and newest[1:2].isdigit() else newest


def _home_page(runs: list[ToolRun]) -> str | None:
    """The tool's home page, from the first run that names one."""
    return next((run.information_uri for run in runs if run.information_uri), None)


def _version_key(version: str) -> tuple[tuple[int, ...], str]:
    return tuple(int(part) for part in re.findall(r"\d+", version)), version


def _invocation(runs: list[ToolRun], left_out: int = 0) -> Any:
    notes = [
        sarif_om.Notification(level="error", message=sarif_om.Message(text=text))
        for run in runs
        for text in ([run.error] if run.error else []) + run.run_errors
    ][:MAX_NOTIFICATIONS]
    # The run's warnings (entries of the report skipped, incomplete runs) as warnings.
    notes.extend(
        [
            sarif_om.Notification(level="warning", message=sarif_om.Message(text=text))
            for run in runs
            for text in run.warnings
        ][:MAX_WARNING_NOTIFICATIONS]
    )
    if left_out:
        text = (
            f"{left_out} result(s) left out: code scanning rejects a run of more than "
            f"{MAX_RESULTS_PER_RUN:,} results; findings.json holds every finding."
        )
        notes.append(sarif_om.Notification(level="warning", message=sarif_om.Message(text=text)))
    return sarif_om.Invocation(
        execution_successful=all(run.status is RunStatus.ok for run in runs),
        tool_execution_notifications=notes or None,
    )


def _run_properties(runs: list[ToolRun]) -> dict[str, Any] | None:
    if not runs:
        return None
    properties: dict[str, Any] = {"status": _worst_status(runs).value}
    versions = sorted({run.version for run in runs if run.version}, key=_version_key)
    dates = sorted({run.database_date for run in runs if run.database_date})
    artifacts = [run.artifact for run in runs if run.artifact]
    for key, values in (
        ("versions", versions),
        ("database_dates", dates),
        ("artifacts", artifacts),
    ):
        if values:
            properties[key] = values
    return properties


def _worst_status(runs: list[ToolRun]) -> RunStatus:
    for status in (RunStatus.failed, RunStatus.not_exercised, RunStatus.missing):
        if any(run.status is status for run in runs):
            return status
    return RunStatus.ok


# --- results ------------------------------------------------------------------------------


def _result(finding: Finding, rule_index: int, diffed: bool) -> dict[str, Any]:
    """One result as SARIF JSON.  Results are built as plain dicts under SARIF's property
    names rather than as sarif-om objects: at a million results the object layer cost more
    than everything else the writer does (the log, runs and rules still go through sarif-om)."""
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message or finding.title or finding.rule_id},
        "locations": [_location(finding)],
    }
    if finding.related_locations:
        show = _shows(finding)
        result["relatedLocations"] = [
            {"id": index, "physicalLocation": _physical(place, show)}
            for index, place in enumerate(finding.related_locations)
        ]
    endpoint = finding.endpoint
    if endpoint is not None and finding.location is None:
        request = {"target": endpoint.url}
        if endpoint.method:
            request["method"] = endpoint.method
        result["webRequest"] = request
    if finding.fingerprint:
        # Code scanning matches results across uploads by primaryLocationLineHash only, and
        # computes one from the source line when it is absent (or, uploaded through the API,
        # does without and may show duplicates): the v1 identity, line-free, is stabler.
        result["partialFingerprints"] = {
            FINGERPRINT_KEY: finding.fingerprint,
            GITHUB_FINGERPRINT_KEY: finding.fingerprint,
        }
    state = finding.state
    if diffed and state is not None and state in BASELINE_STATES:
        result["baselineState"] = BASELINE_STATES[state]
    suppressions = _suppressions(finding)
    if suppressions:
        result["suppressions"] = suppressions
    result["properties"] = _result_properties(finding)
    return result


def _location(finding: Finding) -> dict[str, Any]:
    """The result's one location.  GitHub code scanning rejects the whole upload when any
    result lacks ``physicalLocation.artifactLocation.uri`` ("locationFromSarifResult: expected
    artifact location"), so a finding without a file gets a stand-in path as well (see
    ``_stand_in``) and keeps what it is about as a logical location."""
    place = where(finding)
    if isinstance(place, CodeLocation):
        return {"physicalLocation": _physical(place, _shows(finding))}
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": _artifact(_stand_in(finding)), "region": _LINE_1}
    }
    component = place if isinstance(place, Component) else None
    endpoint = place if isinstance(place, Endpoint) else None
    if component is not None:
        location["logicalLocations"] = [
            {
                "name": component.name,
                "fullyQualifiedName": component.purl or _package_name(finding),
                "kind": "module",
            }
        ]
    elif endpoint is not None:
        operation = " ".join(part for part in (endpoint.method, endpoint.url) if part)
        location["logicalLocations"] = [
            {
                "name": url_path(endpoint.url) or endpoint.url,
                "fullyQualifiedName": operation,
                "kind": "resource",
            }
        ]
    return location


def _stand_in(finding: Finding) -> str:
    """A relative path for a finding without a file: a package's lockfile, manifest or image,
    else its path in the artifact, purl or name; an endpoint's host and URL path (no scheme:
    code scanning rejects a URI whose scheme is not the checkout's ``file``); else the
    artifact the finding was read from."""
    place = where(finding)
    if isinstance(place, Component):
        return package_place(place)
    if isinstance(place, Endpoint):
        return _without_scheme(place.url) or "/"
    return finding.artifact or (finding.artifacts[0] if finding.artifacts else finding.tool)


def _without_scheme(url: str) -> str:
    """``https://user@host:8443/a/b?q=1`` -> ``host/a/b``: the port, query and fragment are in
    the result's ``webRequest`` and properties; a colon would read as a URI scheme."""
    rest = _URL.sub("", url)
    host, _, path = rest.partition("/")
    host = re.split(r"[?#]", host.rpartition("@")[2], maxsplit=1)[0]
    if host.startswith("[") and "]" in host:
        host = host[: host.index("]") + 1]
    else:
        host = host.partition(":")[0]
    return host + url_path("/" + path)


def _package_name(finding: Finding) -> str:
    component = finding.component
    assert component is not None
    if component.installed_version:
        return f"{component.name}@{component.installed_version}"
    return component.name


def _physical(location: CodeLocation, show_snippet: bool) -> dict[str, Any]:
    region = _region(location, show_snippet)
    # Code scanning requires region.startLine: a finding about a whole file points at line 1.
    return {"artifactLocation": _artifact(location.path), "region": region or _LINE_1}


def _artifact(path: str) -> dict[str, str]:
    uri, base = _uri(path)
    return {"uri": uri, "uriBaseId": base} if base else {"uri": uri}


@lru_cache(maxsize=4096)
def _uri(path: str) -> tuple[str, str | None]:
    """A repo-relative path resolves against %SRCROOT%; an absolute one becomes a file URI.

    Code scanning accepts absolute URIs only in the checkout's ``file`` scheme (it rejects
    the whole upload otherwise), so a path with any other scheme loses it and reads as
    relative: ``https://host/a`` -> ``host/a``."""
    if _WINDOWS_DRIVE.match(path):
        return "file:///" + quote(path.replace("\\", "/"), safe=_URI_SAFE + ":"), None
    if path.startswith("/"):
        return "file://" + quote(path, safe=_URI_SAFE), None
    if _URL.match(path):
        if path[:7].lower() == "file://":
            return path, None
        path = _URL.sub("", path).lstrip("/") or "/"
    # ':' is encoded too: an image such as "alpine:3.19" must not read as a URI scheme.
    return quote(path, safe=_URI_SAFE), SRCROOT


def _region(location: CodeLocation, show_snippet: bool) -> dict[str, Any] | None:
    start = location.start_line
    if start is None or start < 1:
        return None
    region: dict[str, Any] = {"startLine": start}
    if location.end_line and location.end_line >= start:
        region["endLine"] = location.end_line
    if location.start_column and location.start_column >= 1:
        region["startColumn"] = location.start_column
    if location.end_column and location.end_column >= 1:
        region["endColumn"] = location.end_column
    if show_snippet and location.snippet:
        region["snippet"] = {"text": location.snippet}
    return region


def _shows(finding: Finding) -> bool:
    """Whether the finding's snippets may be written: never for secret-class findings."""
    return finding.kind is not Kind.secret and not is_credential_rule(finding.identifiers)


def _suppressions(finding: Finding) -> list[dict[str, str]] | None:
    if finding.suppression is not None:
        kind = "external" if finding.suppression.kind == "external" else "inSource"
        entry = {"kind": kind}
        if finding.suppression.justification:
            entry["justification"] = finding.suppression.justification
        return [entry]
    triage = _triage(finding)
    if triage is not None:
        # No status: SARIF 2.1.0 calls it "status", the schema snapshot sarif-om and the test
        # validate against call it "state"; absent, it means accepted under both.
        return [{"kind": "external", "justification": _triage_reason(finding, triage)}]
    return None


def _triage(finding: Finding) -> State | None:
    """Accepted or false positive: today, or, for an unknown finding (not scanned today and
    still a result), as the baseline has it, so its alert stays dismissed."""
    if finding.state in (State.accepted, State.false_positive):
        return finding.state
    if finding.state is State.unknown and not finding.properties.get("triage_expired"):
        triage = finding.properties.get("triage")
        if triage in (State.accepted.value, State.false_positive.value):
            return State(triage)
    return None


def _triage_reason(finding: Finding, triage: State) -> str:
    reason = finding.properties.get("triage_reason")
    if isinstance(reason, str) and reason:
        return reason
    if triage is State.false_positive:
        return "marked as a false positive in the baseline"
    return "accepted in the baseline"


def _result_properties(finding: Finding) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "severity": _NAMES[finding.severity],
        "kind": _NAMES[finding.kind],
    }
    if finding.state is not None:
        properties["state"] = _NAMES[finding.state]
    if finding.tool_severity:
        properties["tool_severity"] = finding.tool_severity
    if finding.confidence:
        properties["confidence"] = finding.confidence
    if finding.identifiers:
        properties["identifiers"] = finding.identifiers
    if finding.component is not None:
        properties["component"] = set_fields(finding.component)
    if finding.endpoint is not None:
        properties["endpoint"] = set_fields(finding.endpoint)
    if finding.drift:
        properties["drift"] = True
    if finding.reachability:
        properties["reachability"] = finding.reachability
    if finding.not_called:
        # govulncheck shows the vulnerable code is not called: it counts toward no gate.
        properties["not_called"] = True
    return properties


# --- sarif-om objects to JSON ---------------------------------------------------------------

#: Properties written even when equal to sarif-om's default, because readers act on them.
_ALWAYS_WRITTEN = frozenset({"level"})
#: Values written as they are: text, numbers, and property bags or string maps.
_PLAIN = frozenset({str, int, float, bool, dict})


@dataclass(frozen=True)
class _Schema:
    """Of one sarif-om class: attribute -> SARIF property name, and the defaults left out."""

    keys: dict[str, str]
    defaults: dict[str, object]


#: Filled on first use of each class.
_SCHEMAS: dict[type, _Schema] = {}


def _schema(cls: type) -> _Schema:
    keys: dict[str, str] = {}
    defaults: dict[str, object] = {}
    for spec in attrs.fields(cls):
        key = keys[spec.name] = spec.metadata["schema_property_name"]
        default: object = spec.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()  # type: ignore[attr-defined]
        if default is not None and default is not attrs.NOTHING and key not in _ALWAYS_WRITTEN:
            defaults[spec.name] = default
    return _Schema(keys, defaults)


def to_json(value: Any) -> Any:
    """A sarif-om object as plain JSON data under SARIF's property names, leaving out unset
    (None) values and values equal to the schema default.  Dicts are property bags or string
    maps and are taken as they are; lists are converted item by item."""
    cls = type(value)
    schema = _SCHEMAS.get(cls)
    if schema is None:
        if cls is list:
            return [to_json(item) for item in value]
        if not attrs.has(cls):
            return value
        schema = _SCHEMAS[cls] = _schema(cls)
    keys, defaults = schema.keys, schema.defaults
    # sarif-om classes are plain attrs classes: vars() is the fast way to read every field.
    return {
        keys[name]: item if type(item) in _PLAIN else to_json(item)
        for name, item in vars(value).items()
        if item is not None and (name not in defaults or item != defaults[name])
    }


class Sarif(Renderer):
    file_name = "hardening.sarif"

    def write(self, report: Report, path: Path, settings: RenderSettings) -> None:
        write(report, path)


RENDERER = Sarif()

"""trivy ``--format json`` reports.

Shapes read:

- SchemaVersion 2 (trivy >= 0.20): ``{SchemaVersion, Trivy?, ArtifactName, ArtifactType,
  Metadata, Results: [{Target, Class, Type, Vulnerabilities, Misconfigurations, Secrets,
  Licenses, ExperimentalModifiedFindings}]}``; ``Results`` is omitted when the scan is clean.
- The legacy array (trivy < 0.20): ``[{Target, Type, Vulnerabilities}]``, no ``Class``.
- ``trivy k8s``: ``{ClusterName, Resources: [{Namespace, Kind, Name, Results, Error}]}``, its
  ``--report summary`` form keyed ``Findings``, and the older ``{ClusterName,
  Vulnerabilities: [resource...], Misconfigurations: [resource...]}``.
- ``null``, when the path names trivy (an empty report).

One finding per vulnerability, failed misconfiguration, secret or license entry, per target.
A source scan's targets are relative to the folder trivy was given (``trivy fs app``:
``Target: go.mod``); a relative folder is put back in front (``app/go.mod``).
The report's scan target (``Finding.target``) is its ``ArtifactName`` (see ``scan_target``),
a k8s report's ``ClusterName``; the legacy array names none.
Entries trivy moved to ``ExperimentalModifiedFindings`` (``--show-suppressed``: .trivyignore,
VEX) are findings too, marked suppressed.  Secret matches arrive masked with ``*``; no match,
code line or snippet of a secret finding is kept anywhere.

trivy's JUnit and GitLab templates and its table output are recognised and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from hardening import fingerprint, severity, targets
from hardening.errors import ParseError
from hardening.jsonread import JsonStream, JsonSyntaxError, NotStreamable, read_json
from hardening.model import (
    NO_PROPERTIES,
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
    as_str,
    expect_dict,
    expect_list,
    path_mentions,
    plain_key,
    shown,
    strip_bom,
)
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult, SkippedEntries
from hardening.redact import redact, redact_each

TOOL = "trivy"

# --- detection -------------------------------------------------------------------------------

_SCHEMA_VERSION = re.compile(rb'"SchemaVersion"\s*:\s*\d')
_REPORT_KEY = re.compile(rb'"(?:ArtifactName|ArtifactType|Results|Metadata|Trivy)"\s*:')
_CLUSTER = re.compile(rb'"ClusterName"\s*:\s*"')
_K8S_BODY = re.compile(rb'"(?:Resources|Findings|Vulnerabilities|Misconfigurations)"\s*:')
_LEGACY_START = re.compile(rb'^\s*\[\s*\{\s*"Target"\s*:\s*"')
_LEGACY_LOOSE = re.compile(rb'"Target"\s*:\s*"[^"]*"\s*,\s*"Type"\s*:')
_JUNIT = re.compile(rb'<testsuites\b[^>]*\bname\s*=\s*"trivy"')
_GITLAB_TEMPLATE = re.compile(rb'"scanner"\s*:\s*\{[^{}]*"id"\s*:\s*"trivy"')
#: The summary lines of trivy's table output: vulnerabilities and secrets (only the severities
#: asked for, such as ``--severity HIGH,CRITICAL``), misconfigurations, and the legend of the
#: Report Summary that newer trivy prints first (alone, when the scan is clean).
_TABLE = re.compile(
    rb"Total: \d+ \((?:UNKNOWN|LOW|MEDIUM|HIGH|CRITICAL): \d+"
    rb"|Tests: \d+ \(SUCCESSES: \d+, FAILURES: \d+"
    rb"|- '0': Clean \(no security findings detected\)"
)

JUNIT_SKIP = "trivy JUnit template output: not read; use --format json or sarif"
GITLAB_SKIP = "trivy GitLab template output: not read; use --format json or sarif"
TABLE_SKIP = "trivy table output: not read; use --format json or sarif"

# --- format facts ----------------------------------------------------------------------------

#: Result ``Type`` values of OS package results (the legacy array has no ``Class``).
OS_FAMILIES = frozenset(
    {
        "alpine",
        "alma",
        "amazon",
        "azurelinux",
        "bottlerocket",
        "cbl-mariner",
        "centos",
        "chainguard",
        "coreos",
        "debian",
        "echo",
        "fedora",
        "minimos",
        "opensuse",
        "opensuse.leap",
        "opensuse.tumbleweed",
        "oracle",
        "photon",
        "redhat",
        "rocky",
        "sles",
        "suse linux enterprise server",
        "suse linux enterprise micro",
        "ubuntu",
        "wolfi",
    }
)

#: Targets trivy invents for packages aggregated across an image: not file paths.
PSEUDO_TARGETS = frozenset(
    {
        "Node.js",
        "Python",
        "Java",
        "Ruby",
        "Conda",
        "PHP",
        "Rust",
        ".NET",
        "OS Packages",
        "Loose File License(s)",
    }
)

#: Artifact types whose targets are paths in the scanned source tree (not inside an image).
SOURCE_ARTIFACTS = frozenset({"filesystem", "repository"})

MAX_REFERENCES = 10
MAX_ALIASES = 5
MAX_SNIPPET_LINES = 20

#: `` (alpine 3.10.2)``; Amazon Linux names its release in parentheses too: `` (amazon 2 (Karoo))``.
_OS_SUFFIX = re.compile(r"\s+\((?:[^()]|\([^()]*\))*\)\s*$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_GHSA = re.compile(r"^GHSA(?:-[0-9a-z]{4}){3}$", re.IGNORECASE)
_GO = re.compile(r"^GO-\d{4}-\d+$", re.IGNORECASE)
_CWE = re.compile(r"^(?:CWE-)?(\d+)$", re.IGNORECASE)
_GHSA_URL = re.compile(
    r"github\.com/(?:advisories|[^/\s]+/[^/\s]+/security/advisories)/(GHSA(?:-[0-9a-z]{4}){3})\b",
    re.IGNORECASE,
)
_CVE_URL = re.compile(
    r"(?:nvd\.nist\.gov/vuln/detail/|cve\.mitre\.org/cgi-bin/cvename\.cgi\?name="
    r"|www\.cve\.org/CVERecord\?id=)(CVE-\d{4}-\d{4,})\b",
    re.IGNORECASE,
)
_SHORT_CHECK_ID = re.compile(r"^([A-Z]{2,4})(\d{3,4})$")
_MASKED = re.compile(r"\*{3,}")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[^/@\s]+@[^/:\s]+:)", re.IGNORECASE)
_WINDOWS_DRIVE = re.compile(r"^[a-z]:/", re.IGNORECASE)


#: trivy's severity words -> normalized.
SEVERITIES: Mapping[str, Severity] = {
    "CRITICAL": Severity.critical,
    "HIGH": Severity.high,
    "MEDIUM": Severity.medium,
    "LOW": Severity.low,
    "UNKNOWN": Severity.info,
}


class TrivyJsonParser(Parser):
    name = "trivy-json"
    information_uri = "https://trivy.dev"
    tool = TOOL
    severities = SEVERITIES
    format = "json"

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return SARIF_DIALECT

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        body = strip_bom(head)
        if _JUNIT.search(body):
            return Detection(95, skip_reason=JUNIT_SKIP)
        stripped = body.strip()
        if stripped.startswith(b"{"):
            if _CLUSTER.search(body) and _K8S_BODY.search(body):
                return Detection(90)
            if _SCHEMA_VERSION.search(body) and _REPORT_KEY.search(body):
                return Detection(90)
            if _GITLAB_TEMPLATE.search(body):
                return Detection(85, skip_reason=GITLAB_SKIP)
            return None
        if stripped.startswith(b"["):
            if _LEGACY_START.match(body):
                return Detection(85)
            if _LEGACY_LOOSE.search(body) and b'"Vulnerabilities"' in body:
                return Detection(70)
        if stripped in (b"null", b"[]") and path_mentions(path, "trivy"):
            return Detection(30)
        if _TABLE.search(body):
            return Detection(80, skip_reason=TABLE_SKIP)
        return None

    def parse(self, artifact: Artifact) -> ParseResult:
        return read_json(artifact, _read_whole, _read_streamed)


def _read_whole(document: Any) -> ParseResult:
    reader = _Reader()
    reader.read_document(document)
    return reader.result()


def _read_streamed(stream: JsonStream) -> ParseResult:
    reader = _Reader()
    reader.stream_document(stream)
    return reader.result()


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """What a Result's findings need to know about the report around it."""

    artifact_name: str | None = None
    artifact_type: str | None = None
    #: k8s resource "Namespace/Kind/Name" ("Kind/Name" when cluster-scoped).
    resource: str | None = None
    #: Whether lockfile/manifest targets are paths in the source tree (not inside an image).
    source_paths: bool = False
    #: The relative folder (or single file) trivy scanned, which its targets are relative to.
    root: str | None = None

    def path_of(self, target: str) -> str:
        """A source target as a path from where trivy ran (``app`` + ``go.mod``: ``app/go.mod``)."""
        root = self.root
        if not root or not looks_like_path(target):
            return target
        if target == "." or root == target or root.endswith("/" + target):
            return root  # the scanned file itself (``trivy config app/Dockerfile``)
        return f"{root}/{target}"


@dataclass
class _Reader:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run_errors: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    version: str | None = None
    database_date: str | None = None
    failure: str | None = None
    #: The scan target (see ``scan_target``); None for a report that names none.
    target: str | None = None
    #: The advisories read so far, shared by all results (see ``_advisory``).
    advisories: dict[tuple[Any, ...], _Advisory] = field(default_factory=dict)
    #: Vulnerability properties met so far, shared by findings (see ``_shared_properties``).
    shared_properties: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    #: Entries and results that could not be read, skipped.
    skipped: SkippedEntries = field(default_factory=SkippedEntries)
    #: Entries read that are no finding (passed checks, unknown modified types).
    passed: int = 0

    def result(self) -> ParseResult:
        for finding in self.findings:
            finding.target = self.target
        return ParseResult(runs=[self.run()], findings=self.findings)

    def run(self) -> ToolRun:
        run = ToolRun(
            tool=TOOL,
            format=TrivyJsonParser.format,
            version=self.version,
            database_date=self.database_date,
            targets=[self.target] if self.target else [],
            status=RunStatus.failed if self.failure else RunStatus.ok,
            error=self.failure,
            warnings=self.warnings,
            run_errors=self.run_errors,
            properties=self.properties,
        )
        self.skipped.report(run, read=len(self.findings) + self.passed)
        return run

    # documents

    def read_document(self, document: Any) -> None:
        if document is None:
            return  # trivy wrote an empty report
        if isinstance(document, list):
            self._read_legacy(document)
        elif isinstance(document, dict):
            if "ClusterName" in document:
                self._read_k8s(document)
            elif "SchemaVersion" in document or "Results" in document:
                self._read_schema2(document)
            else:
                raise ParseError(
                    "not a trivy JSON report: the object has no SchemaVersion, Results or "
                    "ClusterName"
                )
        else:
            raise ParseError(
                f"not a trivy JSON report: top level is {type(document).__name__}, "
                "expected an object or a list"
            )

    def _read_legacy(self, document: list[Any]) -> None:
        self.properties["schema"] = "legacy"
        results = self._results(document, "")
        # Every legacy result names its Target: a list of other objects (a gitleaks report
        # forced through --input trivy=...) must not read as a clean trivy scan.
        for where, result in results:
            if "Target" not in result:
                raise ParseError(
                    f"not a trivy JSON report: {where} has no Target (legacy trivy results)"
                )
        has_os = any(_is_os_result(r) for _, r in results)
        scope = _Scope(source_paths=not has_os)
        for where, result in results:
            self._read_result(result, where, scope)

    def _read_schema2(self, document: dict[str, Any]) -> None:
        self._read_head(document)
        results = self._results(expect_list(document.get("Results"), "Results"), "Results")
        name = as_str(document.get("ArtifactName"))
        kind = as_str(document.get("ArtifactType"))
        if kind is None:
            source_paths = not any(_is_os_result(r) for _, r in results)
        else:
            source_paths = kind in SOURCE_ARTIFACTS
        scope = _Scope(
            artifact_name=name,
            artifact_type=kind,
            source_paths=source_paths,
            root=source_root(name, kind),
        )
        for where, result in results:
            self._read_result(result, where, scope)

    def _results(self, items: list[Any], where: str) -> list[tuple[str, dict[str, Any]]]:
        """The Results that are objects, with their places; any other is skipped."""
        results = []
        for index, item in enumerate(items):
            place = f"{where}[{index}]"
            if isinstance(item, dict):
                results.append((place, item))
            else:
                self.skipped.add(place, f"{place} is {type(item).__name__}, expected an object")
        return results

    def _read_head(self, document: dict[str, Any]) -> None:
        """A schema-2 report's members around its Results (which they never depend on)."""
        schema = document.get("SchemaVersion")
        if schema is not None and as_int(schema) != 2:
            shown = as_int(schema)
            self.warnings.append(
                f"unexpected trivy SchemaVersion {shown if shown is not None else '(not a number)'}"
                "; read as version 2"
            )
        self._read_trivy_info(document.get("Trivy"))
        name = as_str(document.get("ArtifactName"))
        kind = as_str(document.get("ArtifactType"))
        self._set_property("artifact_name", name)
        self._set_property("artifact_type", kind)
        self.target = scan_target(name, kind)
        metadata = document.get("Metadata")
        if isinstance(metadata, dict):
            self._read_os(metadata.get("OS"))

    def _read_k8s(self, document: dict[str, Any]) -> None:
        cluster = as_str(document.get("ClusterName"))
        self._set_property("cluster_name", cluster)
        self.target = redact(cluster.strip()) if cluster and cluster.strip() else None
        self._read_trivy_info(document.get("Trivy"))
        resources: list[tuple[str, Any]] = []
        for key in ("Resources", "Findings", "Vulnerabilities", "Misconfigurations"):
            items = expect_list(document.get(key), key)
            resources.extend((f"{key}[{i}]", item) for i, item in enumerate(items))
        errors = 0
        for where, item in resources:
            if not isinstance(item, dict):
                self.skipped.add(where, f"{where} is {type(item).__name__}, expected an object")
                continue
            errors += self._read_k8s_resource(item, where)
        if resources and errors == len(resources) and not self.findings:
            self.failure = f"trivy could not scan any of the {len(resources)} resource(s)"

    def _read_k8s_resource(self, resource: dict[str, Any], where: str) -> int:
        """Read one k8s resource; return 1 when trivy could not scan it at all."""
        name = "/".join(
            part
            for part in (
                as_str(resource.get("Namespace")),
                as_str(resource.get("Kind")),
                as_str(resource.get("Name")),
            )
            if part
        )
        error = as_str(resource.get("Error"))
        if error:
            self.run_errors.append(_one_line(f"{name or where}: {error}"))
        scope = _Scope(resource=name or where)
        results = self._entry_list(resource, "Results", where)
        for path, result in self._results(results, f"{where}.Results"):
            self._read_result(result, path, scope)
        return 1 if error and not results else 0

    def _read_trivy_info(self, info: Any) -> None:
        """``"Trivy": {"Version", "Server": {"VulnerabilityDB": {"UpdatedAt"}}}`` (newer)."""
        if not isinstance(info, dict):
            return
        self.version = as_str(info.get("Version")) or None
        server = info.get("Server")
        if isinstance(server, dict):
            database = server.get("VulnerabilityDB")
            if isinstance(database, dict):
                self.database_date = as_str(database.get("UpdatedAt")) or None

    def _read_os(self, os_info: Any) -> None:
        if not isinstance(os_info, dict):
            return
        family = as_str(os_info.get("Family")) or ""
        release = as_str(os_info.get("Name")) or ""
        label = f"{family} {release}".strip()
        self._set_property("os", label or None)
        if os_info.get("EOSL") is True:
            self.warnings.append(
                f"{label or 'the OS'} is end-of-service-life: trivy may miss vulnerabilities "
                "its vendor no longer tracks"
            )

    def _set_property(self, key: str, value: str | None) -> None:
        if value:
            self.properties[key] = value

    # results

    def _read_result(self, result: dict[str, Any], where: str, scope: _Scope) -> None:
        context = self._context(result, scope)
        for key in _ENTRY_KEYS:
            entries = self._entry_list(result, key, where)
            self._read_entries(key, entries, f"{where}.{key}", context, self.findings)

    def _entry_list(self, result: dict[str, Any], key: str, where: str) -> list[Any]:
        """``result[key]``, a list of entries; skipped when it is not a list."""
        value = result.get(key)
        if value is None or type(value) is list:
            return value or []
        place = f"{where}.{key}"
        self.skipped.add(place, f"{place} is {type(value).__name__}, expected a list")
        return []

    def _read_entries(
        self,
        key: str,
        entries: Iterable[Any],
        where: str,
        context: _ResultContext,
        findings: list[Finding],
    ) -> None:
        """Each entry of the list ``key`` into ``findings``; one that cannot be read is
        skipped."""
        read = self._read_entry
        for index, entry in enumerate(entries):
            path = f"{where}[{index}]"
            try:
                finding = read(key, entry, path, context)
            except ParseError as error:
                self.skipped.add(path, error)
                continue
            if finding is None:
                self.passed += 1
            else:
                findings.append(finding)

    def _context(self, result: dict[str, Any], scope: _Scope) -> _ResultContext:
        return _ResultContext(
            scope=scope,
            target=scope.path_of(as_str(result.get("Target")) or ""),
            ecosystem=as_str(result.get("Type")),
            is_os=_is_os_result(result),
            advisories=self.advisories,
            shared_properties=self.shared_properties,
        )

    def _read_entry(
        self, key: str, entry: Any, where: str, context: _ResultContext
    ) -> Finding | None:
        if type(entry) is not dict:
            entry = expect_dict(entry, where)
        reader = _ENTRY_READERS.get(key)
        if reader is not None:
            return reader(entry, where, context)
        return self._read_modified(entry, where, context)

    def _read_modified(
        self, entry: dict[str, Any], where: str, context: _ResultContext
    ) -> Finding | None:
        """A finding trivy set aside (.trivyignore, VEX): kept, marked suppressed."""
        kind = (as_str(entry.get("Type")) or "").lower()
        reader = _MODIFIED_READERS.get(kind)
        if reader is None:
            self.warnings.append(f"{where}: unknown modified finding type {shown(kind)!r} ignored")
            return None
        inner = expect_dict(entry.get("Finding"), f"{where}.Finding")
        finding = reader(inner, f"{where}.Finding", context)
        if finding is None:
            return None
        status = as_str(entry.get("Status")) or "ignored"
        statement = as_str(entry.get("Statement"))
        source = as_str(entry.get("Source"))
        justification = status + (f": {statement}" if statement else "")
        if source:
            justification += f" ({source})"
        finding.suppression = Suppression(kind="external", justification=redact(justification))
        return finding

    # streaming (schema 2, as trivy writes it: the report's and each Result's own members
    # before the lists of findings; any other order, a k8s or legacy report, or a report
    # trivy could not have written (an error) is read whole instead)

    def stream_document(self, stream: JsonStream) -> None:
        if stream.peek() != "{":
            raise NotStreamable("not a schema-2 report")
        head: dict[str, Any] = {}
        streamed = False
        for key in stream.members():
            if key in head or key == "ClusterName":
                raise NotStreamable(f"member {key!r}")
            if key == "Results" and stream.peek() == "[":
                kind = as_str(head.get("ArtifactType"))
                if kind is None or "ArtifactName" not in head:
                    raise NotStreamable("the scope comes after the results")
                name = as_str(head.get("ArtifactName"))
                scope = _Scope(
                    artifact_name=name,
                    artifact_type=kind,
                    source_paths=kind in SOURCE_ARTIFACTS,
                    root=source_root(name, kind),
                )
                try:
                    for index in stream.items():
                        self._stream_result(stream, f"Results[{index}]", scope)
                except JsonSyntaxError:
                    raise
                except ParseError as exc:  # _read_schema2 checks in another order
                    raise NotStreamable(str(exc)) from exc
                head[key] = streamed = True
            else:
                head[key] = stream.value()
        stream.finish()
        if not streamed:
            self.read_document(head)
            return
        warnings, self.warnings = self.warnings, []
        self._read_head(head)
        self.warnings.extend(warnings)

    def _stream_result(self, stream: JsonStream, where: str, scope: _Scope) -> None:
        if stream.peek() != "{":
            raise NotStreamable(f"{where} is not an object")
        result: dict[str, Any] = {}
        found: dict[str, list[Finding]] = {}
        context: _ResultContext | None = None
        for key in stream.members():
            if key in result or key in found:
                raise NotStreamable(f"repeated {where}.{key}")
            if key in _ENTRY_KEYS and stream.peek() == "[":
                context = context or self._context(result, scope)
                found[key] = self._stream_entries(stream, key, f"{where}.{key}", context)
            elif key in _ENTRY_KEYS or key in _CONTEXT_KEYS:
                if context is not None and key in _CONTEXT_KEYS:
                    raise NotStreamable(f"{where}.{key} after its findings")
                result[key] = stream.value()
            else:
                stream.skip()  # not read (Packages, summaries)
        context = context or self._context(result, scope)
        for key in _ENTRY_KEYS:
            if key in found:
                self.findings.extend(found[key])
                continue
            entries = self._entry_list(result, key, where)
            self._read_entries(key, entries, f"{where}.{key}", context, self.findings)

    def _stream_entries(
        self, stream: JsonStream, key: str, where: str, context: _ResultContext
    ) -> list[Finding]:
        findings: list[Finding] = []
        self._read_entries(key, stream.values(), where, context, findings)
        return findings


@dataclass(frozen=True)
class _ResultContext:
    scope: _Scope
    target: str
    ecosystem: str | None
    is_os: bool
    #: The report's advisories read so far (shared by its results; see ``_advisory``).
    advisories: dict[tuple[Any, ...], _Advisory] = field(compare=False, hash=False)
    #: The report's vulnerability properties met so far (see ``_shared_properties``).
    shared_properties: dict[tuple[Any, ...], dict[str, Any]] = field(compare=False, hash=False)

    def qualified(self, value: str) -> str:
        """``value`` prefixed with the k8s resource, so two workloads never share identity."""
        return f"{self.scope.resource}|{value}" if self.scope.resource else value


# --- vulnerabilities -------------------------------------------------------------------------


def _vulnerability(entry: dict[str, Any], where: str, context: _ResultContext) -> Finding:
    vuln_id = _required_text(entry, "VulnerabilityID", where)
    package = as_str(entry.get("PkgName")) or as_str(entry.get("PkgID")) or ""
    package_path = as_str(entry.get("PkgPath")) or None
    raw_severity = as_str(entry.get("Severity"))
    cvss = _cvss_scores(entry.get("CVSS"))
    severity_source = as_str(entry.get("SeveritySource"))
    status = as_str(entry.get("Status")) or None
    identifier = _normalize_vuln_id(vuln_id)
    advisory = _advisory(entry, vuln_id, identifier, where, context.advisories)
    properties = _shared_properties(context.shared_properties, cvss, severity_source, status)
    return Finding(
        tool=TOOL,
        kind=Kind.dependency,
        rule_id=vuln_id,
        title=advisory.title,
        severity=_vulnerability_severity(raw_severity, cvss, severity_source),
        tool_severity=raw_severity,
        message=advisory.message,
        location=_dependency_location(context),
        component=Component(
            name=package,
            installed_version=as_str(entry.get("InstalledVersion")) or None,
            fixed_version=as_str(entry.get("FixedVersion")) or None,
            purl=_purl(entry),
            target=_component_target(context),
            package_path=package_path,
            ecosystem=context.ecosystem,
            status=status,
        ),
        # The advisory's tuples, shared by every package it affects.
        identifiers=advisory.identifiers,
        references=advisory.references,
        identity=[identifier, package, _dependency_where(context, package_path)],
        properties=properties,
    )


_MAX_SHARED_PROPERTIES = 4096


def _shared_properties(
    known: dict[tuple[Any, ...], dict[str, Any]],
    cvss: dict[str, float],
    severity_source: str | None,
    status: str | None,
) -> dict[str, Any]:
    """A vulnerability finding's properties: its CVSS v3 scores, severity source and status.
    Findings with equal ones (the packages of one advisory) share one dict, as a finding's
    properties may be shared (see ``Finding``), up to ``_MAX_SHARED_PROPERTIES`` contents."""
    key = (tuple(cvss.items()), severity_source, status)
    properties = known.get(key)
    if properties is None:
        properties = {}
        if cvss:
            properties["cvss_v3"] = cvss
        if severity_source:
            properties["severity_source"] = severity_source
        if status:
            properties["status"] = status
        if len(known) < _MAX_SHARED_PROPERTIES:
            known[key] = properties
    return properties


@dataclass(frozen=True, slots=True)
class _Advisory:
    """What a vulnerability entry says about its advisory, the same for every package of it."""

    title: str
    message: str
    identifiers: tuple[str, ...]
    references: tuple[str, ...]


_MAX_ADVISORIES = 1 << 16


def _advisory(
    entry: dict[str, Any],
    vuln_id: str,
    identifier: str,
    where: str,
    known: dict[tuple[Any, ...], _Advisory],
) -> _Advisory:
    """The entry's advisory facts, read once per advisory: an image lists one advisory for
    each affected package, with the same texts (long descriptions and references)."""
    key = plain_key(
        vuln_id,
        *map(
            entry.get, ("Title", "Description", "PrimaryURL", "References", "CweIDs", "VendorIDs")
        ),
    )
    advisory = known.get(key) if key is not None else None
    if advisory is None:
        # In the order of the fields they come from, so errors come in the same order.
        title = redact(as_str(entry.get("Title")) or vuln_id)
        message = redact(as_str(entry.get("Description")) or "")
        identifiers = _vulnerability_identifiers(identifier, entry, where)
        advisory = _Advisory(title, message, tuple(identifiers), tuple(_references(entry)))
        if key is not None and len(known) < _MAX_ADVISORIES:
            known[key] = advisory
    return advisory


def _dependency_where(context: _ResultContext, package_path: str | None) -> str:
    """Where the package lives, per DESIGN "Fingerprints": never a version or OS release.

    OS packages: the image name without tag or digest.  Language packages: the lockfile or
    manifest target and the package path inside the artifact.
    """
    if context.is_os:
        source = context.scope.artifact_name or strip_os_suffix(context.target)
        return context.qualified(image_name(source))
    return context.qualified(f"{context.target}|{package_path or ''}")


def _dependency_location(context: _ResultContext) -> CodeLocation | None:
    """The lockfile or manifest a language package was found in, when it is a source path."""
    if context.is_os or not context.scope.source_paths or not looks_like_path(context.target):
        return None
    return CodeLocation(path=context.target)


def _component_target(context: _ResultContext) -> str | None:
    if context.scope.resource:
        return f"{context.scope.resource}: {context.target}"
    return context.target or None


def _vulnerability_severity(
    raw: str | None, cvss: dict[str, float], source: str | None
) -> Severity:
    """trivy's own word; when it has none (or UNKNOWN), the CVSS v3 score it carries."""
    word = (raw or "").strip().upper()
    if word and word != "UNKNOWN":
        return severity.lookup(SEVERITIES, word)
    for vendor in (source, "nvd", "ghsa", *sorted(cvss)):
        if vendor and vendor in cvss:
            rated = severity.from_cvss(cvss[vendor])
            if rated is not None:
                return rated
    return Severity.info


def _cvss_scores(value: Any) -> dict[str, float]:
    """``{"nvd": {"V3Score": 7.5, ...}, ...}`` -> ``{"nvd": 7.5}`` (v3 base scores only)."""
    if not isinstance(value, dict):
        return {}
    scores: dict[str, float] = {}
    for vendor, data in value.items():
        if not isinstance(data, dict):
            continue
        score = data.get("V3Score")
        if isinstance(score, (int, float)) and not isinstance(score, bool) and score > 0:
            scores[str(vendor)] = float(score)
    return scores


def _purl(entry: dict[str, Any]) -> str | None:
    """``PkgIdentifier.PURL``; trivy 0.3x-0.4x wrote the purl of an SBOM's package as
    ``PkgRef`` (earlier ``Ref``), which may also hold another kind of CycloneDX bom-ref."""
    identifier = entry.get("PkgIdentifier")
    if isinstance(identifier, dict):
        purl = as_str(identifier.get("PURL"))
        if purl:
            return purl
    for key in ("PkgRef", "Ref"):
        reference = as_str(entry.get(key)) or ""
        if reference.startswith("pkg:"):
            return reference
    return None


def _normalize_vuln_id(value: str) -> str:
    text = value.strip()
    if _CVE.match(text) or _GO.match(text):
        return text.upper()
    if _GHSA.match(text):
        return "GHSA-" + text[5:].lower()
    return text


def _vulnerability_identifiers(identifier: str, entry: dict[str, Any], where: str) -> list[str]:
    """The id, its CWEs, and GHSA/CVE aliases found in vendor ids and advisory URLs."""
    found = [identifier]
    for cwe in expect_list(entry.get("CweIDs"), f"{where}.CweIDs"):
        match = _CWE.match(as_str(cwe) or "")
        if match:  # skips NVD-CWE-Other / NVD-CWE-noinfo
            found.append(f"CWE-{int(match.group(1))}")
    aliases: list[str] = []
    for vendor_id in expect_list(entry.get("VendorIDs"), f"{where}.VendorIDs"):
        text = _normalize_vuln_id(as_str(vendor_id) or "")
        if _CVE.match(text) or _GHSA.match(text) or _GO.match(text):
            aliases.append(text)
    ghsa_aliases = not _GHSA.match(identifier)
    cve_aliases = not _CVE.match(identifier)
    for url in _reference_urls(entry):
        # Only aliases of another family: a CVE's references cite other CVEs freely.  (Most
        # URLs name neither family: an ASCII URL is searched only when it can hold one.)
        lowered = url.lower() if url.isascii() else None
        if ghsa_aliases and (lowered is None or "github.com/" in lowered):
            aliases.extend(_normalize_vuln_id(m) for m in _GHSA_URL.findall(url))
        if cve_aliases and (lowered is None or "cve-" in lowered):
            aliases.extend(m.upper() for m in _CVE_URL.findall(url))
    unique_aliases = [alias for alias in dict.fromkeys(aliases) if alias != identifier]
    found.extend(unique_aliases[:MAX_ALIASES])
    return list(dict.fromkeys(found))


# --- misconfigurations -----------------------------------------------------------------------


def _misconfiguration(entry: dict[str, Any], where: str, context: _ResultContext) -> Finding | None:
    status = (as_str(entry.get("Status")) or "FAIL").upper()
    if status != "FAIL":
        return None  # PASS and EXCEPTION entries (--include-non-failures) are not findings
    check_id = _required_text(entry, "ID", where)
    avd_id = as_str(entry.get("AVDID")) or None
    # trivy 0.22-0.27 wrote the same facts (resource, provider, service, lines) as IacMetadata.
    cause = entry.get("CauseMetadata", entry.get("IacMetadata"))
    cause = cause if isinstance(cause, dict) else {}
    resource = context.scope.resource or as_str(cause.get("Resource")) or ""
    raw_severity = as_str(entry.get("Severity"))
    properties: dict[str, Any] = {}
    for key, prop in (
        ("Resource", "resource"),
        ("Provider", "provider"),
        ("Service", "service"),
    ):
        value = as_str(cause.get(key))
        if value:
            properties[prop] = value
    if context.scope.resource:
        properties["resource"] = context.scope.resource
    resolution = as_str(entry.get("Resolution"))
    if resolution:
        properties["resolution"] = redact(resolution)
    identity, previous = _config_identity(
        canonical_check_id(check_id, avd_id), context.target, resource, cause.get("Code"), where
    )
    return Finding(
        tool=TOOL,
        kind=Kind.config,
        rule_id=check_id,
        title=redact(as_str(entry.get("Title")) or check_id),
        severity=severity.lookup(SEVERITIES, raw_severity or "UNKNOWN"),
        tool_severity=raw_severity,
        message=redact(as_str(entry.get("Message")) or as_str(entry.get("Description")) or ""),
        location=CodeLocation(
            path=context.scope.resource or context.target,
            start_line=_positive(cause.get("StartLine")),
            end_line=_positive(cause.get("EndLine")),
            snippet=_cause_snippet(cause.get("Code"), where),
        ),
        identifiers=[avd_id] if avd_id else [],
        references=_references(entry),
        identity=identity,
        previous_identity=previous,
        properties=properties,
    )


def _config_identity(
    check: str, target: str, resource: str, code: Any, where: str
) -> tuple[list[str], list[str] | None]:
    """Identity inputs of a misconfiguration, and its v1 inputs where they differ.

    Without a resource, a check failed at two places of one file (two ADD lines of a
    Dockerfile) would be one identity: the normalized cause lines tell them apart, not their
    line numbers (v2)."""
    identity = [check, target, resource]
    if resource:
        return identity, None
    cause = _cause_lines(code, where)
    if not "".join(cause).strip():
        return identity, None
    return [*identity, fingerprint.text_digest("\n".join(cause))], identity


def canonical_check_id(check_id: str, avd_id: str | None) -> str:
    """One id per check across trivy versions, for identity.

    Older trivy wrote ``ID: KSV001, AVDID: AVD-KSV-0001`` (or ``AVD-AWS-0086`` for both);
    trivy >= 0.6x writes ``ID: KSV-0001`` / ``AWS-0086`` and no AVDID.  All become
    ``KSV-0001`` / ``AWS-0086``.
    """
    text = (avd_id or check_id).strip()
    if text.upper().startswith("AVD-"):
        text = text[4:]
    short = _SHORT_CHECK_ID.match(text)
    if short:
        text = f"{short.group(1)}-{int(short.group(2)):04d}"
    return text


def _cause_lines(code: Any, where: str) -> list[str]:
    """The flagged lines of a misconfiguration (``IsCause``), as the report holds them."""
    if not isinstance(code, dict):
        return []
    lines = []
    for line in expect_list(code.get("Lines"), f"{where}.CauseMetadata.Code.Lines"):
        if isinstance(line, dict) and line.get("IsCause") is True:
            lines.append(as_str(line.get("Content")) or "")
    return lines


def _cause_snippet(code: Any, where: str) -> str | None:
    """The flagged lines of a misconfiguration, redacted."""
    lines = _cause_lines(code, where)
    if not lines:
        return None
    return redact("\n".join(lines[:MAX_SNIPPET_LINES]))


# --- secrets ---------------------------------------------------------------------------------


def _secret(entry: dict[str, Any], where: str, context: _ResultContext) -> Finding:
    rule = _required_text(entry, "RuleID", where)
    title = as_str(entry.get("Title")) or rule
    raw_severity = as_str(entry.get("Severity"))
    properties: dict[str, Any] = {}
    category = as_str(entry.get("Category"))
    if category:
        properties["category"] = category
    if context.scope.resource:
        properties["resource"] = context.scope.resource
    return Finding(
        tool=TOOL,
        kind=Kind.secret,
        rule_id=rule,
        title=redact(title),
        severity=severity.lookup(SEVERITIES, raw_severity or "UNKNOWN"),
        tool_severity=raw_severity,
        message=redact(title),
        location=CodeLocation(
            path=context.target,
            start_line=_positive(entry.get("StartLine")),
            end_line=_positive(entry.get("EndLine")),
        ),
        identity=_secret_identity(rule, as_str(entry.get("Match")) or "", context),
        properties=properties,
    )


def _secret_identity(rule: str, match: str, context: _ResultContext) -> list[str]:
    """trivy masks the secret in ``Match`` with ``*``: the masked line stands in for it.

    A match with no mask is treated as holding the secret itself and only ever slow-hashed.
    """
    if _MASKED.search(match) or not match:
        identity = ["redacted", fingerprint.text_digest(match)]
    else:
        identity = ["hash", fingerprint.secret_digest(rule, match)]
    if context.scope.resource:
        identity.append(context.scope.resource)
    return identity


# --- licenses --------------------------------------------------------------------------------


def _license(entry: dict[str, Any], where: str, context: _ResultContext) -> Finding:
    name = _required_text(entry, "Name", where)
    package = as_str(entry.get("PkgName")) or ""
    file_path = context.scope.path_of(as_str(entry.get("FilePath")) or "")
    category = as_str(entry.get("Category")) or ""
    raw_severity = as_str(entry.get("Severity"))
    subject = f"Package {package}" if package else f"File {file_path or context.target}"
    message = f"{subject} is licensed under {name}"
    if category:
        message += f" ({category})"
    properties: dict[str, Any] = {}
    if category:
        properties["category"] = category
    confidence = entry.get("Confidence")
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
        properties["confidence"] = confidence
    link = as_str(entry.get("Link"))
    location = None
    if file_path:
        location = CodeLocation(path=file_path)
    elif looks_like_path(context.target):
        location = CodeLocation(path=context.target)
    return Finding(
        tool=TOOL,
        kind=Kind.license,
        rule_id=name,
        title=f"License {name} is {category}" if category else f"License {name}",
        severity=severity.lookup(SEVERITIES, raw_severity or "UNKNOWN"),
        tool_severity=raw_severity,
        message=redact(message),
        location=location,
        component=(
            Component(
                name=package,
                target=_component_target(context),
                package_path=file_path or None,
                ecosystem=context.ecosystem,
            )
            if package
            else None
        ),
        references=[link] if link else [],
        identity=[name, context.qualified(context.target), package or file_path],
        properties=properties,
    )


_EntryReader = Callable[[dict[str, Any], str, _ResultContext], Finding | None]

_ENTRY_READERS: dict[str, _EntryReader] = {
    "Vulnerabilities": _vulnerability,
    "Misconfigurations": _misconfiguration,
    "Secrets": _secret,
    "Licenses": _license,
}

_MODIFIED_READERS: dict[str, _EntryReader] = {
    "vulnerability": _vulnerability,
    "misconfiguration": _misconfiguration,
    "secret": _secret,
    "license": _license,
}

#: A Result's lists of findings, in the order they are read; then the ones trivy set aside.
_ENTRY_KEYS = (*_ENTRY_READERS, "ExperimentalModifiedFindings")
#: The members of a Result its findings depend on.
_CONTEXT_KEYS = frozenset({"Target", "Type", "Class"})


# --- small helpers ---------------------------------------------------------------------------


def image_name(reference: str) -> str:
    """An image reference without tag or digest: ``repo/x:1@sha256:..`` -> ``repo/x``.

    A registry port (``localhost:5000/x``) is kept: only a colon after the last slash is a tag.
    """
    name = reference.strip().split("@", 1)[0]
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name = name[:colon]
    return name


#: Artifact types that are a file trivy read (an SBOM), named by its path.
_FILE_ARTIFACTS = frozenset({"cyclonedx", "spdx"})


def scan_target(name: str | None, kind: str | None) -> str | None:
    """What the report scanned, as ``Finding.target`` names it: an image without tag or
    digest (as dependency identity has it: ``app:1.2`` and ``app:1.3`` are one target), a
    scanned folder or SBOM file as a cleaned path (``trivy config`` names the folder it
    scanned the same way), a remote repository's URL without credentials.  None when the
    report names nothing."""
    if not name or not name.strip():
        return None
    name = name.strip()
    if kind in SOURCE_ARTIFACTS or kind in _FILE_ARTIFACTS:
        if _REMOTE.match(name):
            return targets.url(name) or redact(name)
        return redact(targets.path(name) or name)
    if kind == "container_image":
        return redact(image_name(name))
    return redact(name)


def strip_os_suffix(target: str) -> str:
    """``alpine:3.10 (alpine 3.10.2)`` -> ``alpine:3.10``: the OS release is not identity."""
    return _OS_SUFFIX.sub("", target)


def source_root(name: str | None, kind: str | None) -> str | None:
    """The folder a source scan's targets are relative to, when trivy was given a relative path.

    ``trivy fs app`` reports ``app/go.mod`` as ``Target: go.mod``, and ``trivy config
    app/Dockerfile`` as ``Target: Dockerfile``: the path given, usually from the checkout's
    root, puts them back where they are.  An absolute path is left out: it is most often the
    checkout itself mounted into trivy's container (``/src``), whose targets are already
    repository paths; so is a remote repository (``trivy repo https://...``).
    """
    if kind not in SOURCE_ARTIFACTS or not name:
        return None
    root = name.strip().replace("\\", "/").rstrip("/")
    while root.startswith("./"):
        root = root[2:].lstrip("/")
    if not root or root == "." or _REMOTE.match(root) or root.startswith("/"):
        return None
    if _WINDOWS_DRIVE.match(root):
        return None
    return root


def looks_like_path(target: str) -> bool:
    """Whether a Result target is a file path rather than a label trivy made up."""
    if not target or target in PSEUDO_TARGETS:
        return False
    return not _OS_SUFFIX.search(target)


def _is_os_result(result: dict[str, Any]) -> bool:
    result_class = as_str(result.get("Class"))
    if result_class:
        return result_class == "os-pkgs"
    result_type = as_str(result.get("Type"))
    if result_type:
        return result_type.lower() in OS_FAMILIES
    # The first trivy releases wrote neither Class nor Type: only an OS target names its release.
    suffix = _OS_SUFFIX.search(as_str(result.get("Target")) or "")
    if suffix is None:
        return False
    release = suffix.group(0).strip()[1:-1].lower()
    return any(release == family or release.startswith(family + " ") for family in OS_FAMILIES)


def _required_text(entry: dict[str, Any], key: str, where: str) -> str:
    value = as_str(entry.get(key))
    if not value or not value.strip():
        raise ParseError(f"{where} has no {key}")
    return value.strip()


def _positive(value: Any) -> int | None:
    number = as_int(value)
    return number if number is not None and number > 0 else None


def _reference_urls(entry: dict[str, Any]) -> list[str]:
    urls = [as_str(entry.get("PrimaryURL")) or ""]
    urls.extend(as_str(url) or "" for url in expect_list(entry.get("References"), "References"))
    return [url.strip() for url in urls if url and url.strip()]


def _references(entry: dict[str, Any]) -> list[str]:
    unique: dict[str, None] = {}
    for url in redact_each(_reference_urls(entry)):
        if len(unique) == MAX_REFERENCES:
            break  # the rest would be cut
        unique[url] = None
    return list(unique)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(redact(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- SARIF dialect ------------------------------------------------------------------------
# trivy's SARIF, as the SARIF parser (``parsers.sarif``) reads it: ruleId is the
# vulnerability, misconfiguration, secret or license id; the facts trivy writes as ``Key:
# value`` lines in the message give package and versions; the scanned image or folder is the
# target.

_FACT_LINE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ]*?):\s?(?P<value>.*)$")
_TRIVY_CLASSES = {
    "OsPackageVulnerability": Kind.dependency,
    "LanguageSpecificPackageVulnerability": Kind.dependency,
    "Misconfiguration": Kind.config,
    "Secret": Kind.secret,
    "License": Kind.license,
}
_VULN_ID = re.compile(
    r"^(?:CVE-|GHSA-|GO-|RUSTSEC-|PYSEC-|OSV-|DLA-|DSA-|ALAS|ELSA-|RHSA-|USN-|TEMP-|NSWG-|SNYK-)",
    re.IGNORECASE,
)


def _facts(message: str) -> dict[str, str]:
    """trivy's message lines: ``Package: x``, ``Installed Version: y``, ``Secret <title>`` ..."""
    facts: dict[str, str] = {}
    for line in message.splitlines():
        match = _FACT_LINE.match(line)
        if match:
            facts.setdefault(match.group("key").strip(), match.group("value").strip())
        elif line.startswith("License "):
            facts.setdefault("License", line[len("License ") :].strip())
    return facts


def _trivy_kind(view: sarif.SarifResult, facts: dict[str, str]) -> Kind:
    named = _TRIVY_CLASSES.get(as_str(view.rule.get("name")) or "")
    if named is not None:
        return named
    if _VULN_ID.match(view.rule_id) or "Package" in facts:
        return Kind.dependency
    return Kind.config


def _trivy_severity(view: sarif.SarifResult, facts: dict[str, str]) -> tuple[Severity, str]:
    # The per-result word trivy itself assigned (rules are shared by every package of an id).
    word = facts.get("Severity")
    if word and word.upper() in SEVERITIES:
        return severity.lookup(SEVERITIES, word), word
    return sarif.generic_severity(view, SEVERITIES)


def _sarif_finding(view: sarif.SarifResult, context: sarif.RunContext) -> Finding:
    facts = _facts(view.message)
    kind = _trivy_kind(view, facts)
    severity_pair = _trivy_severity(view, facts)
    uri = view.uri or ""
    title = view.facts.title if kind is not Kind.secret else _trivy_secret_title(view)
    base: dict[str, Any] = {
        "tool": context.tool,
        "kind": kind,
        "rule_id": view.rule_id,
        "title": title,
        "severity": severity_pair[0],
        "tool_severity": severity_pair[1],
        "identifiers": view.identifiers,
        "references": view.facts.references,
        "suppression": view.suppression,
        "properties": {"class": name} if (name := as_str(view.rule.get("name"))) else NO_PROPERTIES,
    }
    if kind is Kind.dependency:
        package = facts.get("Package", "")
        os_package = view.rule.get("name") == "OsPackageVulnerability"
        return Finding(
            **base,
            message=sarif.display_message(view.message),
            # An OS package's uri is the image name, not a file of the repository.
            location=None if os_package else view.location(None),
            component=Component(
                name=package,
                installed_version=facts.get("Installed Version") or None,
                fixed_version=facts.get("Fixed Version") or None,
                target=uri or None,
            ),
            identity=[view.rule_id.upper(), package, uri],
        )
    if kind is Kind.secret:
        return Finding(
            **base,
            message=title,
            location=view.location(None),
            identity=sarif.secret_identity(view.rule_id, None, facts.get("Match")),
        )
    if kind is Kind.license:
        license_name = facts.get("License") or view.rule_id
        package = facts.get("PkgName", "")
        return Finding(
            **base,
            message=sarif.display_message(view.message),
            component=Component(name=package, target=uri or None) if package else None,
            identity=[license_name, uri, package],
        )
    return Finding(
        **base,
        message=sarif.display_message(facts.get("Message") or view.message),
        location=view.location(None),
        identity=[canonical_check_id(view.rule_id, None), uri, ""],
    )


def _trivy_secret_title(view: sarif.SarifResult) -> str:
    # Only the short description (the secret's title): trivy puts the match in the others.
    text = sarif.rule_text(view.rule, "shortDescription") or view.rule_id
    return redact(sarif.one_line(text, sarif.MAX_TITLE))


def _sarif_target(run_obj: dict[str, Any]) -> str | None:
    image = as_str(sarif.as_dict(run_obj.get("properties")).get("imageName"))
    if image and image.strip():
        return scan_target(image, "container_image")
    bases = sarif.as_dict(run_obj.get("originalUriBaseIds"))
    root = as_str(sarif.as_dict(bases.get("ROOTPATH")).get("uri"))
    folder = targets.path(root) if root else None
    if folder and folder != "/":
        return scan_target(folder, "filesystem")
    return None


def _sarif_targets(run_obj: dict[str, Any], findings: list[Finding]) -> list[str]:
    """The image (``properties.imageName``) or folder (the ``ROOTPATH`` base) a run scanned,
    set on its findings."""
    target = _sarif_target(run_obj)
    for finding in findings:
        finding.target = target
    return [target] if target else []


SARIF_DIALECT = sarif.SarifDialect(
    claims=lambda name: name.startswith("trivy"),
    convert=_sarif_finding,
    targets=_sarif_targets,
)

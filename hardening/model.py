"""The one finding model every parser produces and every renderer reads.

Pydantic defines the schema of ``findings.json`` and validates at the boundaries.  Plain
construction is the fast path here (pydantic-core validates a finding in microseconds, while
``model_construct`` is far slower), so parsers simply construct findings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"
FINGERPRINT_VERSION = "v1"


class Severity(StrEnum):
    """Normalized severity, most severe first."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info, so ``a.rank >= b.rank`` reads "at least"."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.critical: 4,
    Severity.high: 3,
    Severity.medium: 2,
    Severity.low: 1,
    Severity.info: 0,
}


class Kind(StrEnum):
    code = "code"
    secret = "secret"
    dependency = "dependency"
    config = "config"
    license = "license"
    dast = "dast"
    api = "api"


class RunStatus(StrEnum):
    ok = "ok"
    failed = "failed"
    missing = "missing"
    not_exercised = "not_exercised"


class State(StrEnum):
    """Diff state of a finding against the baseline (see DESIGN.md, "Baseline")."""

    new = "new"
    unchanged = "unchanged"
    updated = "updated"
    fixed = "fixed"
    unknown = "unknown"
    accepted = "accepted"
    expired = "expired"
    false_positive = "false_positive"
    suppressed = "suppressed"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class CodeLocation(_Model):
    """Where in the repository: a repo-relative POSIX path once normalized."""

    path: str
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None
    snippet: str | None = Field(default=None, description="Redacted flagged text")


class Component(_Model):
    """A package that a dependency, license or OS finding is about."""

    name: str
    installed_version: str | None = None
    fixed_version: str | None = None
    purl: str | None = None
    target: str | None = Field(
        default=None, description="Image, lockfile, manifest or module the package lives in"
    )
    package_path: str | None = Field(default=None, description="Path inside the artifact")
    ecosystem: str | None = None
    status: str | None = Field(default=None, description="Vendor fix status, e.g. fixed")


class Endpoint(_Model):
    """An HTTP operation a DAST or API finding is about; the URL carries no query values."""

    method: str | None = None
    url: str
    param: str | None = None


class Suppression(_Model):
    kind: str = Field(description="inSource, external, falsePositive ...")
    justification: str | None = None


class Finding(_Model):
    tool: str
    kind: Kind
    rule_id: str
    title: str
    severity: Severity
    tool_severity: str | None = None
    confidence: str | None = None
    message: str = ""
    location: CodeLocation | None = None
    related_locations: list[CodeLocation] = Field(
        default_factory=list, description="Call sites, other commits' places, data-flow steps"
    )
    component: Component | None = None
    endpoint: Endpoint | None = None
    identifiers: list[str] = Field(
        default_factory=list, description="CWE-79, CVE-..., GHSA-..., GO-..."
    )
    references: list[str] = Field(default_factory=list)
    reachability: str | None = Field(
        default=None, description="govulncheck level: symbol, package or module"
    )
    suppression: Suppression | None = None
    artifact: str = ""
    commits: list[str] = Field(default_factory=list)
    artifacts: list[str] = Field(default_factory=list, description="Every artifact it was seen in")
    occurrences: int = Field(default=1, description="Instances merged into this finding")
    count: int | None = Field(default=None, description="Tool's own total count (ZAP alerts)")
    identity: list[str] = Field(
        default_factory=list,
        description="Identity inputs computed by the parser before redaction "
        "(never the secret itself)",
    )
    fingerprint: str = ""
    state: State | None = None
    drift: bool = Field(default=False, description="New while the scanner or its database changed")
    properties: dict[str, Any] = Field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def path(self) -> str | None:
        return self.location.path if self.location else None


class ToolRun(_Model):
    """One tool run read from one artifact (or expected and missing)."""

    tool: str
    format: str | None = None
    artifact: str | None = None
    version: str | None = None
    database_date: str | None = None
    status: RunStatus = RunStatus.ok
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    run_errors: list[str] = Field(
        default_factory=list, description="Errors the tool reported that did not stop the run"
    )
    scanned_paths: list[str] | None = Field(
        default=None,
        description="Paths the tool says it scanned; None when the report does not say, "
        "an empty list means the whole scan root",
    )
    findings: int = Field(default=0, description="Findings read, before filters and merging")
    severity_counts: dict[str, int] = Field(
        default_factory=dict, description="Findings read, by normalized severity"
    )
    properties: dict[str, Any] = Field(default_factory=dict)


class SkippedArtifact(_Model):
    path: str
    reason: str


class FilterCounts(_Model):
    """Findings dropped by the source-snapshot filters, by reason."""

    by_reason: dict[str, int] = Field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


class PathSettings(_Model):
    """Prefixes stripped to make paths relative; recorded so later runs reuse them."""

    strip_prefixes: list[str] = Field(default_factory=list)


class GateResult(_Model):
    """What the gate under calibration would do today (or does, with --fail-on)."""

    rule: str = Field(description="STATE:SEVERITY, e.g. new:high")
    tool_rules: dict[str, str] = Field(default_factory=dict)
    fired: bool = False
    enforced: bool = False
    #: tool -> how many findings would block, e.g. {"semgrep": 2}
    blocking: dict[str, int] = Field(default_factory=dict)
    summary: str = ""


class CalibrationRow(_Model):
    """Evidence for turning a gate on: per tool and rule, what the rule produces."""

    tool: str
    rule_id: str
    findings: int
    new: int
    accepted: int
    false_positive: int
    suppressed: int
    would_block: int


class DiffInfo(_Model):
    """Against what this run was compared, and the count of findings in each state."""

    baseline: str | None = None
    compare_to: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    drift_tools: list[str] = Field(
        default_factory=list, description="Tools whose version or database changed"
    )


class ReachabilitySummary(_Model):
    """trivy dependency findings matched to govulncheck's (same vulnerability, same module)."""

    correlated: int = 0
    reachable: int = Field(default=0, description="Of them, called at symbol level")
    by_level: dict[str, int] = Field(default_factory=dict)


class Report(_Model):
    schema_version: str = SCHEMA_VERSION
    fingerprint_version: str = FINGERPRINT_VERSION
    generator: str = "hardening"
    generator_version: str = ""
    profile: str | None = None
    runs: list[ToolRun] = Field(default_factory=list)
    skipped: list[SkippedArtifact] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    filtered: FilterCounts = Field(default_factory=FilterCounts)
    path_settings: PathSettings = Field(default_factory=PathSettings)
    warnings: list[str] = Field(default_factory=list)
    link_base: str | None = Field(
        default=None, description="URL prefix of the project's files at the scanned commit"
    )
    changed_files: list[str] | None = Field(
        default=None, description="Files the merge request changed, when known"
    )
    diff: DiffInfo | None = None
    gate: GateResult | None = None
    calibration: list[CalibrationRow] = Field(default_factory=list)
    reachability: ReachabilitySummary | None = None
    properties: dict[str, Any] = Field(default_factory=dict)

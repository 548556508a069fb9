"""The one finding model every parser produces and every renderer reads.

Pydantic defines the schema of ``findings.json`` and validates at the boundaries (reading
``findings.json``, writing outputs).  A finding and its parts are slotted dataclasses, the
compact form of the hot path: about a third of a pydantic model's memory and a fifth of its
construction time, with the same schema.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Annotated, Any, ClassVar, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

#: 1.1: findings name their scan target (``Finding.target``), runs the targets they scanned
#: (``ToolRun.targets``), and the diff names what drifted (``DiffInfo.drift``).
SCHEMA_VERSION = "1.1"
#: v2 (issue 14): govulncheck's SARIF keys on the module as its JSON does, and a trivy config
#: finding without a resource on its cause lines.  Other identities are unchanged.
FINGERPRINT_VERSION = "v2"
#: Versions whose baselines and findings.json are carried over (see ``baseline.carried_over``).
PREVIOUS_FINGERPRINT_VERSIONS = ("v1",)


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

    # The rules of states, spelled once (set below the class: members cannot name members
    # inside its body).
    #: Every listing's order: what a change introduced leads, what is gone comes last.
    ORDER: ClassVar[tuple[State, ...]]
    #: Position in ``ORDER`` (a finding without a state sorts with the new ones).
    RANK: ClassVar[dict[State, int]]
    #: Baseline entries not seen today: not findings of this run.
    GONE: ClassVar[tuple[State, ...]]
    #: Decided not to act on: never new, never counted by a gate.
    QUIET: ClassVar[tuple[State, ...]]
    #: Still to act on (a finding without a state too): what a gate may count.
    OPEN: ClassVar[tuple[State, ...]]
    #: Seen before, open again: a triage that expired, a finding that changed.
    REOPENED: ClassVar[tuple[State, ...]]
    #: Counted in a summary's headline whether or not any finding has them.
    HEADLINE: ClassVar[tuple[State, ...]]

    @staticmethod
    def is_open(state: State | None) -> bool:
        """Whether a finding in ``state`` (None: no baseline) is still to act on."""
        return state is None or state in State.OPEN


State.ORDER = (
    State.new,
    State.expired,
    State.updated,
    State.unchanged,
    State.accepted,
    State.false_positive,
    State.suppressed,
    State.unknown,
    State.fixed,
)
State.RANK = {state: rank for rank, state in enumerate(State.ORDER)}
State.GONE = (State.fixed, State.unknown)
State.QUIET = (State.accepted, State.false_positive, State.suppressed)
State.OPEN = (State.new, State.expired, State.updated, State.unchanged)
State.REOPENED = (State.expired, State.updated)
State.HEADLINE = (State.new, State.fixed, State.unchanged, State.accepted, State.unknown)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class _Record:
    """Findings and their parts are slotted dataclasses, not pydantic models: a million of them
    must fit in memory and be built in microseconds.  Pydantic still defines their schema and
    validates and serializes them (through a TypeAdapter) wherever they cross a boundary; these
    methods keep the pydantic spelling for that."""

    __slots__ = ()
    __pydantic_config__ = ConfigDict(extra="forbid")

    def model_dump(self, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = _adapter(type(self)).dump_python(self, **options)
        return result

    def model_dump_json(self, **options: Any) -> str:
        return _adapter(type(self)).dump_json(self, **options).decode()

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        copied = copy.deepcopy(self) if deep else copy.copy(self)
        for name, value in (update or {}).items():
            setattr(copied, name, value)
        return copied

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        result: Self = _adapter(cls).validate_python(data)
        return result


def set_fields(record: _Record) -> dict[str, Any]:
    """A record's fields that are not None, by name (a finding's parts as outputs write them)."""
    names, values = _fields_of(record)
    read = zip(names, values(record), strict=True)
    return {name: value for name, value in read if value is not None}


_Reader = Callable[[Any], tuple[Any, ...]]
_READERS: dict[type, tuple[tuple[str, ...], _Reader]] = {}


def _fields_of(record: _Record) -> tuple[tuple[str, ...], _Reader]:
    """A record class's field names and one C call that reads them all."""
    known = _READERS.get(type(record))
    if known is None:
        names = tuple(field.name for field in fields(record))  # type: ignore[arg-type]
        reader: _Reader = (
            attrgetter(*names) if len(names) > 1 else lambda r: (getattr(r, names[0]),)
        )
        known = _READERS[type(record)] = (names, reader)
    return known


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


@dataclass(slots=True)
class CodeLocation(_Record):
    """Where in the repository: a repo-relative POSIX path once normalized."""

    path: str
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None
    snippet: Annotated[str | None, Field(description="Redacted flagged text")] = None


@dataclass(slots=True)
class Component(_Record):
    """A package that a dependency, license or OS finding is about."""

    name: str
    installed_version: str | None = None
    fixed_version: str | None = None
    purl: str | None = None
    target: Annotated[
        str | None,
        Field(description="Image, lockfile, manifest or module the package lives in"),
    ] = None
    package_path: Annotated[str | None, Field(description="Path inside the artifact")] = None
    ecosystem: str | None = None
    status: Annotated[str | None, Field(description="Vendor fix status, e.g. fixed")] = None


@dataclass(slots=True)
class Endpoint(_Record):
    """An HTTP operation a DAST or API finding is about; the URL carries no query values."""

    url: str
    method: str | None = None
    param: str | None = None


@dataclass(slots=True)
class Suppression(_Record):
    kind: Annotated[str, Field(description="inSource, external, falsePositive ...")]
    justification: str | None = None


class _EmptyProperties(dict[str, Any]):
    """The shared, read-only ``properties`` of every finding that has none."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a finding's default properties are shared: assign a new dict instead")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse
    __ior__ = _refuse


NO_PROPERTIES: dict[str, Any] = _EmptyProperties()


@dataclass(slots=True)
class Finding(_Record):
    """One problem a tool reported.

    Its sequences may be lists or tuples, shared between findings (an advisory's references,
    the empty tuple by default) and its default ``properties`` is one shared read-only dict: a
    million findings would otherwise hold a million copies.  Replace them to change them,
    never mutate them in place."""

    tool: str
    kind: Kind
    rule_id: str
    title: str
    severity: Severity
    tool_severity: str | None = None
    confidence: str | None = None
    message: str = ""
    location: CodeLocation | None = None
    related_locations: Annotated[
        Sequence[CodeLocation],
        Field(description="Call sites, other commits' places, data-flow steps"),
    ] = ()
    component: Component | None = None
    endpoint: Endpoint | None = None
    identifiers: Annotated[
        Sequence[str], Field(description="CWE-79, CVE-..., GHSA-..., GO-...")
    ] = ()
    references: Sequence[str] = ()
    reachability: Annotated[
        str | None, Field(description="govulncheck level: symbol, package or module")
    ] = None
    suppression: Suppression | None = None
    target: Annotated[
        str | None,
        Field(
            description="The scan target it was found in (trivy artifact, ZAP site, API base "
            "URL, Go module); None: its tool's one unnamed target (a scan root no report names)"
        ),
    ] = None
    artifact: str = ""
    commits: Sequence[str] = ()
    artifacts: Annotated[Sequence[str], Field(description="Every artifact it was seen in")] = ()
    occurrences: Annotated[int, Field(description="Instances merged into this finding")] = 1
    count: Annotated[int | None, Field(description="Tool's own total count (ZAP alerts)")] = None
    identity: Annotated[
        Sequence[str],
        Field(
            description="Identity inputs computed by the parser before redaction "
            "(never the secret itself)"
        ),
    ] = ()
    fingerprint: str = ""
    previous_identity: Annotated[
        Sequence[str] | None,
        Field(
            description="Identity inputs of the previous fingerprint version, where this "
            "finding's differ (read by parsers, never written)"
        ),
    ] = None
    previous_fingerprint: Annotated[
        str | None,
        Field(
            description="Fingerprint under the previous fingerprint version, where it differs: "
            "older baselines and findings.json are matched by it"
        ),
    ] = None
    state: State | None = None
    drift: Annotated[bool, Field(description="New while the scanner or its database changed")] = (
        False
    )
    not_called: Annotated[
        bool,
        Field(
            description="govulncheck analysed the calls and shows the vulnerable code is not "
            "called (a trivy Go finding it also reports, or its own below symbol level): "
            "never counts toward a gate"
        ),
    ] = False
    properties: dict[str, Any] = field(default_factory=lambda: NO_PROPERTIES)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def path(self) -> str | None:
        return self.location.path if self.location else None

    @property
    def filtered(self) -> bool:
        """A baseline entry whose path today's filters exclude (``properties.filtered_by``
        says by what): unknown, so an update keeps it, but counted with the filtered
        findings, never as not scanned."""
        return self.state is State.unknown and FILTERED_BY in self.properties


#: The ``properties`` key of a baseline entry excluded by today's filters: the reason.
FILTERED_BY = "filtered_by"


class ToolRun(_Model):
    """One tool run read from one artifact (or expected and missing)."""

    tool: str
    format: str | None = None
    artifact: str | None = None
    version: str | None = None
    information_uri: str | None = Field(
        default=None, description="The tool's home page (SARIF tool.driver.informationUri)"
    )
    database_date: str | None = None
    status: RunStatus = RunStatus.ok
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    run_errors: list[str] = Field(
        default_factory=list, description="Errors the tool reported that did not stop the run"
    )
    targets: list[str] = Field(
        default_factory=list,
        description="The scan targets this run scanned (trivy artifact, ZAP sites, API base "
        "URL, Go module); empty: its tool's one unnamed target",
    )
    scanned_paths: list[str] | None = Field(
        default=None,
        description="Paths the tool says it scanned; None when the report does not say, "
        "an empty list means the whole scan root",
    )
    scanned_excluded: dict[str, int] = Field(
        default_factory=dict,
        description="Of the paths the tool says it scanned, how many the source-snapshot "
        "filters drop, by reason (a scan that read caches or generated code)",
    )
    duration_seconds: float | None = Field(
        default=None, description="How long the scan took, where the report says"
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


class GateCheck(_Model):
    """One gate rule applied to today's findings."""

    rule: str = Field(description="STATES:SEVERITY, e.g. new:high or new,expired:high")
    tool_rules: dict[str, str] = Field(
        default_factory=dict, description="Per-tool rules that replace ``rule`` for a tool"
    )
    fired: bool = False
    inconclusive: bool = Field(
        default=False,
        description="Did not fire, but the run is incomplete: it cannot pass (see Report."
        "completeness)",
    )
    #: tool -> how many findings fire it, e.g. {"semgrep": 2}
    blocking: dict[str, int] = Field(default_factory=dict)
    not_called: int = Field(
        default=0,
        description="Findings that would fire it but govulncheck shows are not called",
    )
    summary: str = ""


class GateResult(_Model):
    """The gates of this run.

    The top-level ``rule``, ``tool_rules``, ``fired``, ``blocking``, ``not_called`` and
    ``summary`` are the config's gate under calibration, always simulated.  ``enforced_gates``
    are the ``--fail-on`` rules, every one applied; ``failed`` says the run fails (exit 1)
    because one of them fired or, the run being incomplete, is inconclusive, and ``verdict``
    says why in one line.  A findings.json of hardening 0.x (one gate, ``enforced`` meaning
    that this gate was the ``--fail-on`` one) is read into this layout.
    """

    rule: str = Field(description="The config's gate: STATES:SEVERITY, e.g. new:high")
    tool_rules: dict[str, str] = Field(default_factory=dict)
    fired: bool = Field(default=False, description="The config's gate would fire")
    enforced: bool = Field(default=False, description="--fail-on was given")
    #: tool -> how many findings would block, e.g. {"semgrep": 2}
    blocking: dict[str, int] = Field(default_factory=dict)
    summary: str = ""
    not_called: int = Field(
        default=0,
        description="Findings that would fire the config's gate but govulncheck shows are "
        "not called",
    )
    inconclusive: bool = Field(
        default=False, description="The config's gate did not fire, but the run is incomplete"
    )
    enforced_gates: list[GateCheck] = Field(
        default_factory=list, description="The --fail-on gates, each applied"
    )
    failed: bool = Field(
        default=False,
        description="An enforced gate fired or is inconclusive: aggregate exits 1",
    )
    verdict: str = Field(
        default="", description="With --fail-on: why the run fails, or that every gate passes"
    )

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """One enforced gate, as findings.json held it before gates composed."""
        if (
            isinstance(data, dict)
            and data.get("enforced") is True
            and "enforced_gates" not in data
            and "failed" not in data
        ):
            check = {
                key: data[key] for key in ("rule", "fired", "blocking", "summary") if key in data
            }
            fired = bool(data.get("fired"))
            data = {
                **data,
                "tool_rules": {},
                "enforced_gates": [check],
                "failed": fired,
                "verdict": f"gate {data.get('summary', '')}".strip(),
            }
        return data


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


class Drift(_Model):
    """A scanner or its database changed since the baseline, for one of its scan targets."""

    tool: str
    target: str | None = Field(default=None, description="None: the tool's unnamed target")
    #: What the baseline recorded (several when it was taken from several reports) and today's.
    old_versions: list[str] = Field(default_factory=list)
    new_version: str | None = None
    old_database_dates: list[str] = Field(default_factory=list)
    new_database_date: str | None = None

    def change(self) -> str:
        """What changed, e.g. ``trivy 0.57.1 → 0.58.1, DB 2026-11-01 → 2026-12-01``."""
        parts = []
        if self.new_version is not None:
            parts.append(f"{self.tool} {', '.join(self.old_versions)} → {self.new_version}")
        if self.new_database_date is not None:
            old, new = _dates(self.old_database_dates, self.new_database_date)
            parts.append(f"{self.tool + ' ' if not parts else ''}DB {old} → {new}")
        return ", ".join(parts) or self.tool


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])")


def _dates(old: list[str], new: str) -> tuple[str, str]:
    """Database timestamps shown as their days, unless only the time of day changed."""
    if not all(_DAY.match(value) for value in (*old, new)):
        return ", ".join(old), new
    days = [value[:10] for value in old]
    if new[:10] in days or len(set(days)) != len(days):
        return ", ".join(old), new
    return ", ".join(days), new[:10]


class DiffInfo(_Model):
    """Against what this run was compared, and the count of findings in each state."""

    baseline: str | None = None
    compare_to: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    drift_tools: list[str] = Field(
        default_factory=list, description="Tools whose version or database changed"
    )
    drift: list[Drift] = Field(
        default_factory=list,
        description="What changed since the baseline, per tool and scan target",
    )

    def drift_lines(self) -> list[str]:
        """Each change once, with the targets it happened on: ``trivy 0.57.1 → 0.58.1
        (alpine, app)``; a tool's unnamed target is not named.  A findings.json of schema 1.0
        names only the tools (``drift_tools``)."""
        if not self.drift:
            return list(self.drift_tools)
        targets: dict[str, list[str]] = {}
        for change in self.drift:
            named = targets.setdefault(change.change(), [])
            if change.target is not None:
                named.append(change.target)
        return [
            f"{line} ({', '.join(names)})" if names else line for line, names in targets.items()
        ]


class ReachabilitySummary(_Model):
    """trivy dependency findings matched to govulncheck's (same vulnerability, same module)."""

    correlated: int = 0
    reachable: int = Field(default=0, description="Of them, called at symbol level")
    by_level: dict[str, int] = Field(default_factory=dict)


class Completeness(_Model):
    """Whether today's picture is whole: every expected tool ran and exercised its target,
    and something was read.  Every headline says when it is not, and an enforced gate is then
    inconclusive, never a pass."""

    complete: bool = True
    #: tool -> what went wrong ("failed", "missing", "not_exercised"), for every tool with a
    #: run that did not complete.
    tools: dict[str, RunStatus] = Field(default_factory=dict)
    nothing_read: bool = Field(
        default=False, description="No tool report was read at all (every tool missing)"
    )
    summary: str = Field(
        default="", description='What is missing, e.g. "gosec failed, zap not exercised"'
    )

    @classmethod
    def of(cls, runs: Sequence[ToolRun]) -> Completeness:
        """The one definition, from the runs (missing tools are runs with status missing)."""
        statuses: dict[str, list[RunStatus]] = {}
        for run in runs:
            statuses.setdefault(run.tool, []).append(run.status)
        tools: dict[str, RunStatus] = {}
        parts: list[tuple[int, str, str]] = []
        for tool, seen in sorted(statuses.items()):
            bad = [status for status in seen if status is not RunStatus.ok]
            if not bad:
                continue
            worst = min(bad, key=_INCOMPLETE_ORDER.index)
            tools[tool] = worst
            label = f"{tool} {worst.value.replace('_', ' ')}"
            if len(seen) > 1:
                label += f" ({len(bad)} of {len(seen)} reports)"
            parts.append((_INCOMPLETE_ORDER.index(worst), tool, label))
        # No report at all (every expected tool missing, or none expected and none found).
        nothing_read = all(run.status is RunStatus.missing for run in runs)
        labels = [label for _, _, label in sorted(parts)]
        if nothing_read:
            summary = "nothing was read" + (f" ({', '.join(labels)})" if labels else "")
        else:
            summary = ", ".join(labels)
        return cls(
            complete=not tools and not nothing_read,
            tools=tools,
            nothing_read=nothing_read,
            summary=summary,
        )


_INCOMPLETE_ORDER = (RunStatus.failed, RunStatus.not_exercised, RunStatus.missing, RunStatus.ok)


class Totals(_Model):
    """How many findings this run saw: one definition that every output shows.

    ``findings`` are the findings seen today after merging: fixed and unknown ones (baseline
    entries not seen) are not among them, nor are the ones the source-snapshot filters dropped
    (``filtered``).  ``open`` are those a team still has to act on: not suppressed, accepted
    or false positive."""

    findings: int = 0
    open: int = 0
    #: Open findings by normalized severity, most severe first.
    by_severity: dict[str, int] = Field(default_factory=dict)
    suppressed: int = 0
    accepted: int = 0
    false_positive: int = 0
    not_called: int = Field(default=0, description="Open findings govulncheck shows not called")
    filtered: int = Field(default=0, description="Dropped by the source-snapshot filters")

    @classmethod
    def of(cls, report: Report) -> Totals:
        by_severity: dict[Severity, int] = dict.fromkeys(Severity, 0)
        seen = open_ = suppressed = accepted = false_positive = not_called = 0
        for finding in report.findings:
            state = finding.state
            if state in State.GONE:
                continue
            seen += 1
            if state is State.suppressed or finding.suppression is not None:
                suppressed += 1
            elif state is State.accepted:
                accepted += 1
            elif state is State.false_positive:
                false_positive += 1
            else:
                open_ += 1
                by_severity[finding.severity] += 1
                not_called += finding.not_called
        return cls(
            findings=seen,
            open=open_,
            by_severity={s.value: n for s, n in by_severity.items() if n},
            suppressed=suppressed,
            accepted=accepted,
            false_positive=false_positive,
            not_called=not_called,
            filtered=report.filtered.total,
        )


class HistorySummary(_Model):
    """This run's new findings against the recorded pipelines of its ref, and what the gate
    would have done over them (the trend line of summary.md and the MR note)."""

    ref: str
    pipelines: int = Field(description="Recorded pipelines in the window")
    new: int = Field(description="New findings in this run")
    new_per_pipeline: float = Field(description="Mean new findings per recorded pipeline")
    gate: str
    pipelines_blocked: int = Field(description="Pipelines of the window the gate would block")


def utc_now() -> str:
    """Now, as every time hardening writes (findings.json's ``created``, the history's):
    fixed-width UTC, so that text order is time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
    outputs: list[str] = Field(
        default_factory=list,
        description="The files this run wrote beside findings.json (summary.md, report.html...): "
        "what a summary may point at",
    )
    diff: DiffInfo | None = None
    gate: GateResult | None = None
    calibration: list[CalibrationRow] = Field(default_factory=list)
    reachability: ReachabilitySummary | None = None
    completeness: Completeness | None = Field(
        default=None, description="Whether every expected tool ran (recorded by aggregate)"
    )
    totals: Totals | None = Field(
        default=None, description="How many findings, one definition for every output"
    )
    created: str | None = Field(
        default=None, description="When this findings.json was written (UTC, ISO 8601)"
    )
    history: HistorySummary | None = Field(
        default=None, description="This run against the history database (aggregate --history)"
    )
    properties: dict[str, Any] = Field(default_factory=dict)

    def run_completeness(self) -> Completeness:
        """As recorded, or (a report built by hand, a findings.json of an older hardening)
        assessed from the runs by the same definition."""
        return self.completeness if self.completeness is not None else Completeness.of(self.runs)

    def finding_totals(self) -> Totals:
        """As recorded, or counted now by the same definition."""
        return self.totals if self.totals is not None else Totals.of(self)

    def present_by_tool(self) -> dict[str, Counter[Severity]]:
        """Findings present today (not fixed or unknown), open or not, by tool and severity."""
        gone = State.GONE
        return counts_by_tool(f for f in self.findings if f.state not in gone)


def counts_by_tool(findings: Iterable[Finding]) -> dict[str, Counter[Severity]]:
    """How many of ``findings`` each tool has, by severity: one count of (tool, severity)
    pairs (this runs over every finding), grouped in first-seen order, as counting finding by
    finding would give."""
    by_tool: dict[str, Counter[Severity]] = {}
    for (tool, severity), count in Counter((f.tool, f.severity) for f in findings).items():
        by_tool.setdefault(tool, Counter())[severity] = count
    return by_tool


class NamedParser(Protocol):
    """What an outcome keeps of the parser that read an artifact (``parsers.interface.Parser``
    has it): the model knows no parser."""

    name: ClassVar[str]


@dataclass
class ArtifactOutcome:
    """What became of one file: parsed into runs and findings, skipped, or failed."""

    name: str
    #: The parser class that read it (``name`` is all the model needs of it).
    parser: type[NamedParser] | None = None
    runs: list[ToolRun] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: SkippedArtifact | None = None
    prefixes_used: set[str] = field(default_factory=set)
    absolute_paths: int = 0
    #: The exact secret values the parser hashed: the run masks them wherever another finding
    #: quotes them (``redact.KnownSecrets``).  Never written anywhere.
    secrets: set[str] = field(default_factory=set, repr=False)

    @property
    def failed(self) -> bool:
        return any(run.status is RunStatus.failed for run in self.runs)

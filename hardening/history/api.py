"""The history commands as library calls: where the database is, which pipeline a
findings.json is, recording it, and writing the trends.  SQLAlchemy is imported inside the
functions, so importing this module costs nothing."""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hardening.errors import HardeningError
from hardening.history.source import HistoryError, normalize_time, read_findings_json
from hardening.model import utc_now

if TYPE_CHECKING:
    from hardening.config import GateConfig
    from hardening.history.store import PipelineInfo, RecordOutcome
    from hardening.history.trends import GateSpec, Window
    from hardening.model import HistorySummary, Report

DEFAULT_DB = "sqlite:///.hardening/history.db"
#: Pipelines the aggregate trend line looks back over.
SUMMARY_WINDOW = 30


def database_url(explicit: str | None, env: Mapping[str, str], configured: str | None) -> str:
    """--db, else HARDENING_HISTORY, else the config's ``history``, else the SQLite default."""
    return explicit or env.get("HARDENING_HISTORY", "").strip() or configured or DEFAULT_DB


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def project_of(explicit: str | None, env: Mapping[str, str]) -> str:
    project = explicit or _first(env, "CI_PROJECT_PATH", "GITHUB_REPOSITORY")
    if not project:
        raise HistoryError(
            "no project: give --project (in CI it is CI_PROJECT_PATH or GITHUB_REPOSITORY)"
        )
    return project


def ref_of(explicit: str | None, env: Mapping[str, str]) -> str:
    ref = explicit or _first(env, "CI_COMMIT_REF_NAME", "GITHUB_REF_NAME")
    if not ref:
        raise HistoryError("no ref: give --ref (in CI it is CI_COMMIT_REF_NAME or GITHUB_REF_NAME)")
    return ref


@dataclass(frozen=True)
class RecordRequest:
    source: Path
    db: str
    project: str | None = None
    ref: str | None = None
    pipeline: str | None = None
    commit: str | None = None
    created: str | None = None


def pipeline_info(
    request: RecordRequest, env: Mapping[str, str], written: str | None
) -> PipelineInfo:
    from hardening.history.store import PipelineInfo

    pipeline = request.pipeline or _first(env, "CI_PIPELINE_ID", "GITHUB_RUN_ID")
    if not pipeline:
        raise HistoryError(
            "no pipeline id: give --pipeline (in CI it is CI_PIPELINE_ID or GITHUB_RUN_ID)"
        )
    created_text = request.created or _first(env, "CI_PIPELINE_CREATED_AT")
    created = normalize_time(created_text) if created_text else written or utc_now()
    return PipelineInfo(
        project=project_of(request.project, env),
        ref=ref_of(request.ref, env),
        pipeline=pipeline,
        commit=request.commit or _first(env, "CI_COMMIT_SHA", "GITHUB_SHA") or "",
        created=created,
    )


def record(request: RecordRequest, env: Mapping[str, str]) -> RecordOutcome:
    """``hardening history record``."""
    from hardening.history import schema, store

    run = read_findings_json(request.source)
    info = pipeline_info(request, env, run.created)
    engine = schema.open_engine(request.db)
    try:
        return store.record(engine, info, run)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class ReportRequest:
    db: str
    project: str
    ref: str
    window: Window
    out: Path
    gates: list[GateSpec]


def report(request: ReportRequest) -> dict[str, Any]:
    """``hardening history report``: trends.json and trends.html in ``out``."""
    from hardening.history import html, schema, trends
    from hardening.report_io import write_atomic

    engine = schema.open_engine(request.db, create=False)
    try:
        result = trends.compute(engine, request.project, request.ref, request.window, request.gates)
    finally:
        engine.dispose()
    request.out.mkdir(parents=True, exist_ok=True)
    write_atomic(request.out / "trends.json", json.dumps(result, indent=2, sort_keys=True) + "\n")
    write_atomic(request.out / "trends.html", html.render(result))
    return result


def terminal_summary(result: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    pipelines = result["pipelines"]
    lines = [
        f"Trends of {result['project']} on {result['ref']}: {len(pipelines)} pipeline(s)"
        + (
            f", {result['window']['from'][:10]} to {result['window']['to'][:10]}"
            if pipelines
            else ""
        )
    ]
    if pipelines:
        last = pipelines[-1]
        open_now = ", ".join(f"{n} {s}" for s, n in last["open"].items() if n) or "none"
        lines.append(f"  open now: {open_now}")
        new = sum(p["new"] for p in pipelines)
        fixed = sum(p["fixed"] for p in pipelines)
        reopened = sum(p["reopened"] for p in pipelines)
        lines.append(f"  new {new}, fixed {fixed}, reopened {reopened} over the window")
        first = pipelines[0]
        if first["starting_point"]:
            backlog = sum(first["open"].values())
            lines.append(
                f"  pipeline {first['pipeline']} is the earliest recorded on {result['ref']}: its "
                f"{backlog} open finding(s) are the starting point, not new"
            )
    for gate in result["gates"]:
        behind = ", ".join(f"{r['tool']} {r['rule_id']}" for r in gate["top_rules"][:3])
        lines.append(
            f"  {gate['rule']} would have blocked {gate['pipelines_blocked']} of "
            f"{gate['pipelines']}" + (f" (mostly {behind})" if behind else "")
        )
    fixes = [f"{s} {v['median_days']}d" for s, v in result["time_to_fix"].items() if v["fixed"]]
    if fixes:
        lines.append(f"  median time to fix: {', '.join(fixes)}")
    if result["flapping"]:
        top = result["flapping"][0]
        lines.append(
            f"  flapping: {len(result['flapping'])} rule(s), most {top['tool']} {top['rule_id']} "
            f"({top['reopened']} reopened)"
        )
    for event in result["drift"][-3:]:
        lines.append(
            f"  drift: {event['tool']} {event['from']} -> {event['to']} in pipeline "
            f"{event['pipeline']} ({event['new_findings']} new)"
        )
    return "\n".join(lines) + "\n"


def history_ref(env: Mapping[str, str]) -> tuple[str, str]:
    """The project and ref whose history a run is judged by: on a merge or pull request its
    target branch, where the pipelines that matter are recorded; else the run's own ref."""
    ref = _first(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "GITHUB_BASE_REF") or ref_of(None, env)
    return project_of(None, env), ref


def summary(
    db: str, env: Mapping[str, str], fingerprints: set[str], gate: GateSpec
) -> HistorySummary | None:
    """This run's new findings (``fingerprints`` not present in the newest recorded pipeline)
    against the window's rate of new findings, and what the configured gate would have done
    over the window; None when nothing of the ref is recorded yet.  On a merge request the ref
    is its target branch: the history that matters."""
    from hardening.history import schema, trends
    from hardening.model import HistorySummary

    project_name, ref = history_ref(env)
    engine = schema.open_engine(db, create=False)
    try:
        result = trends.compute(
            engine, project_name, ref, trends.Window(last=SUMMARY_WINDOW), [gate]
        )
        new_now = len(fingerprints - trends.still_open(engine, project_name, ref))
    except trends.NotRecorded:
        return None
    finally:
        engine.dispose()
    pipelines = result["pipelines"]
    chosen = next(g for g in result["gates"] if g["rule"] == gate.label)
    # The ref's earliest recorded pipeline has nothing to be new against: not in the rate.
    compared = [p["new"] for p in pipelines if not p["starting_point"]]
    return HistorySummary(
        ref=ref,
        pipelines=len(pipelines),
        new=new_now,
        new_per_pipeline=round(statistics.fmean(compared), 2) if compared else 0.0,
        gate=gate.label,
        pipelines_blocked=chosen["pipelines_blocked"],
    )


def add_trend_line(report: Report, db: str, env: Mapping[str, str], gate: GateConfig) -> None:
    """``aggregate --history``: this run against the database, for the summary's trend line;
    a database that cannot be used is a warning of the report, never a failed report."""
    from hardening.history.trends import GateSpec
    from hardening.model import State

    current = {
        f.fingerprint for f in report.findings if State.is_open(f.state) and not f.suppressed
    }
    try:
        report.history = summary(db, env, current, GateSpec(gate.rule, dict(gate.tools)))
    except HardeningError as exc:
        report.warnings.append(f"history: {exc}")
    else:
        if report.history is None:
            project, ref = history_ref(env)
            report.warnings.append(f"history: no pipeline of {project} on {ref} is recorded yet")

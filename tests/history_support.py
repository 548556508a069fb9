"""Builders of real findings.json files for the history tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardening.model import CodeLocation, Finding, Kind, Report, RunStatus, Severity, State, ToolRun
from hardening.report_io import dump_report


@dataclass
class F:
    """One finding of a pipeline: fingerprint ``fp`` of ``tool`` ``rule``."""

    fp: str
    tool: str = "gosec"
    rule: str = "G101"
    severity: str = "high"
    state: str | None = "new"
    target: str | None = None
    message: str = ""
    snippet: str | None = None


@dataclass
class Run:
    tool: str = "gosec"
    status: str = "ok"
    version: str | None = "2.20.0"
    database_date: str | None = None
    targets: list[str] | None = None


@dataclass
class Pipeline:
    findings: list[F]
    runs: list[Run] = field(default_factory=lambda: [Run()])
    created: str | None = None


def fingerprint(n: int) -> str:
    return f"{n:032x}"


def findings_json(pipeline: Pipeline) -> str:
    """A findings.json in the real layout; runs' ``targets`` and findings' ``target`` are
    added as the layout with scan targets writes them."""
    report = Report(
        generator_version="test",
        runs=[
            ToolRun(
                tool=run.tool,
                status=RunStatus(run.status),
                version=run.version,
                database_date=run.database_date,
            )
            for run in pipeline.runs
        ],
        findings=[
            Finding(
                tool=f.tool,
                kind=Kind.code,
                rule_id=f.rule,
                title=f"{f.rule} finding",
                severity=Severity(f.severity),
                message=f.message,
                location=CodeLocation(path=f"src/{f.fp[-6:]}.go", start_line=3, snippet=f.snippet),
                fingerprint=f.fp,
                state=State(f.state) if f.state else None,
            )
            for f in pipeline.findings
        ],
        created=pipeline.created,
    )
    document: dict[str, Any] = json.loads(dump_report(report))
    for run, raw in zip(pipeline.runs, document["runs"], strict=True):
        if run.targets is not None:
            raw["targets"] = run.targets
    for f, raw in zip(pipeline.findings, document["findings"], strict=True):
        if f.target is not None:
            raw["target"] = f.target
    return json.dumps(document)


def write_pipeline(folder: Path, pipeline: Pipeline) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "findings.json"
    path.write_text(findings_json(pipeline))
    return path

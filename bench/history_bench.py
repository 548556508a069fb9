"""History database benchmark (not a test): N pipelines x M findings, each pipeline replacing
2% of the findings by new fingerprints, recorded into SQLite or PostgreSQL; then the size of
the database, the time to record one more pipeline from a real findings.json (the CLI's path:
read, parse, record) and the time of ``report --last 100``.

    .venv/bin/python bench/history_bench.py --pipelines 1000 --findings 10000 \\
        --db sqlite:////tmp/history-bench.db
    .venv/bin/python bench/history_bench.py --db postgresql://user:pw@127.0.0.1:5432/bench

The issue's targets: the SQLite file under 50 MB, record under 2 s, report --last 100 under
2 s, at 1,000 x 10,000 (about 200,000 distinct fingerprints).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from hardening.history import api, schema, store, trends
from hardening.history.source import FindingSummary, PipelineRun

SEVERITIES = ("critical", "high", "medium", "low", "info")
TOOLS = ("gosec", "semgrep", "trivy", "gitleaks", "zap")


def summary(n: int) -> FindingSummary:
    tool = TOOLS[n % len(TOOLS)]
    rule = f"{tool}-rule-{n % 400}"
    return FindingSummary(
        fingerprint=f"{n:032x}",
        tool=tool,
        rule_id=rule,
        kind="code",
        severity=SEVERITIES[(n // 7) % 5],
        title=f"Title of {rule}",
        where=f"internal/pkg{n % 300}/file{n % 3000}.go",
        target="",
        mark="accepted" if n % 1000 == 0 else None,
    )


def pipeline_run(index: int, findings: int, churn: int) -> PipelineRun:
    first = index * churn
    summaries = [summary(n) for n in range(first, first + findings)]
    opened = {severity: 0 for severity in SEVERITIES}
    for s in summaries:
        if s.mark is None:
            opened[s.severity] += 1
    tools = {tool: {"": "ok"} for tool in TOOLS}
    versions = {tool: "1.0" if index < 500 else "1.1" for tool in TOOLS}
    return PipelineRun(findings=summaries, tools=tools, versions=versions, open=opened)


def info(index: int) -> store.PipelineInfo:
    created = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=7 * index)
    return store.PipelineInfo(
        project="group/app",
        ref="master",
        pipeline=str(100_000 + index),
        commit=f"{index:040x}",
        created=created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )


def size(engine, url: str) -> int:
    if engine.dialect.name == "sqlite":
        return Path(engine.url.database).stat().st_size
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        )


def findings_json(index: int, findings: int, churn: int) -> str:
    first = index * churn
    rows = []
    for n in range(first, first + findings):
        s = summary(n)
        rows.append(
            {
                "tool": s.tool,
                "kind": "code",
                "rule_id": s.rule_id,
                "title": s.title,
                "severity": s.severity,
                "message": "a message that is never stored",
                "location": {"path": s.where, "start_line": 10},
                "fingerprint": s.fingerprint,
                "state": "accepted" if s.mark else "unchanged",
            }
        )
    runs = [{"tool": tool, "status": "ok", "version": "1.1"} for tool in TOOLS]
    return json.dumps(
        {"schema_version": "1.0", "generator": "hardening", "runs": runs, "findings": rows}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--pipelines", type=int, default=1000)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--churn", type=float, default=0.02)
    args = parser.parse_args()
    churn = int(args.findings * args.churn)
    engine = schema.open_engine(args.db)
    started = time.perf_counter()
    slowest = 0.0
    for index in range(args.pipelines - 1):
        run = pipeline_run(index, args.findings, churn)
        t = time.perf_counter()
        store.record(engine, info(index), run)
        slowest = max(slowest, time.perf_counter() - t) if index else slowest
        if index % 50 == 0:
            print(f"  {index} pipelines, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    load = time.perf_counter() - started
    last = args.pipelines - 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "findings.json"
        path.write_text(findings_json(last, args.findings, churn))
        t = time.perf_counter()
        request = api.RecordRequest(
            source=path,
            db=args.db,
            project="group/app",
            ref="master",
            pipeline=str(100_000 + last),
            created=info(last).created,
        )
        api.record(request, {})
        record_seconds = time.perf_counter() - t
    t = time.perf_counter()
    result = trends.compute(engine, "group/app", "master", trends.Window(last=100), [])
    report_seconds = time.perf_counter() - t
    distinct = args.findings + churn * (args.pipelines - 1)
    print(
        json.dumps(
            {
                "db": engine.dialect.name,
                "pipelines": args.pipelines,
                "findings_per_pipeline": args.findings,
                "distinct_fingerprints": distinct,
                "database_bytes": size(engine, args.db),
                "load_seconds": round(load, 1),
                "slowest_library_record_seconds": round(slowest, 2),
                "record_findings_json_seconds": round(record_seconds, 2),
                "report_last_100_seconds": round(report_seconds, 2),
                "report_pipelines": len(result["pipelines"]),
            },
            indent=2,
        )
    )
    engine.dispose()


if __name__ == "__main__":
    main()

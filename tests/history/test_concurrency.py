"""Each record is one transaction: a SIGKILL mid-record leaves the database as before;
concurrent recorders all land (SQLite: busy timeout and retry; PostgreSQL: one advisory lock
per project and ref, a unique key per pipeline); first use creates the schema under a lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from hardening.history import schema, trends
from history_support import F, Pipeline, Run, fingerprint, write_pipeline

PROJECT = "group/app"


def command(db: str, path: Path, pipeline: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hardening",
        "history",
        "record",
        str(path),
        "--db",
        db,
        "--project",
        PROJECT,
        "--ref",
        "master",
        "--pipeline",
        str(pipeline),
        "--created",
        f"2024-04-{pipeline % 28 + 1:02d}T{pipeline % 24:02d}:00:00Z",
    ]


def start(db: str, path: Path, pipeline: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITHUB_"))}
    return subprocess.Popen(
        command(db, path, pipeline),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=300)
    return process.returncode, out


def counts(db: str) -> dict[str, int]:
    engine = schema.open_engine(db)
    try:
        with engine.connect() as connection:
            if not connection.dialect.has_table(connection, "pipelines"):
                return {}
            return {
                table.name: int(
                    connection.execute(select(func.count()).select_from(table)).scalar_one()
                )
                for table in (
                    schema.pipelines,
                    schema.findings,
                    schema.intervals,
                    schema.texts,
                    schema.marks,
                )
            }
    finally:
        engine.dispose()


def snapshot(db: str) -> dict[str, Any]:
    engine = schema.open_engine(db)
    try:
        with engine.connect() as connection:
            return {
                "intervals": sorted(
                    tuple(row)
                    for row in connection.execute(
                        select(
                            schema.intervals.c.finding_id,
                            schema.intervals.c.first,
                            schema.intervals.c.last,
                        )
                    )
                ),
                "pipelines": sorted(
                    tuple(row)
                    for row in connection.execute(
                        select(schema.pipelines.c.id, schema.pipelines.c.pipeline)
                    )
                ),
            }
    finally:
        engine.dispose()


def big_pipeline(start_at: int, count: int) -> Pipeline:
    return Pipeline(
        [
            F(fingerprint(n), rule=f"G{n % 50}", state="accepted" if n % 97 == 0 else "new")
            for n in range(start_at, start_at + count)
        ],
        runs=[Run()],
    )


def trends_of(db: str) -> dict[str, Any]:
    engine = schema.open_engine(db)
    try:
        return trends.compute(engine, PROJECT, "master", trends.Window(), [])
    finally:
        engine.dispose()


def _kill_mid_record(db: str, path: Path, pipeline: int, in_transaction) -> int:
    process = start(db, path, pipeline)
    deadline = time.monotonic() + 120
    while not in_transaction():
        assert process.poll() is None, "the recorder finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return process.returncode


def test_sigkill_mid_record_leaves_sqlite_as_before(tmp_path: Path):
    db_file = tmp_path / "history.db"
    db = f"sqlite:///{db_file}"
    first = write_pipeline(tmp_path / "a", big_pipeline(0, 2000))
    assert finish(start(db, first, 1))[0] == 0
    before, state = counts(db), snapshot(db)
    second = write_pipeline(tmp_path / "b", big_pipeline(1000, 30_000))
    journal = tmp_path / "history.db-journal"
    code = _kill_mid_record(db, second, 2, journal.exists)
    assert code == -signal.SIGKILL
    assert counts(db) == before
    assert snapshot(db) == state
    # The next recorder rolls the hot journal back and records normally.
    assert finish(start(db, second, 2))[0] == 0
    assert counts(db)["pipelines"] == 2


def test_sigkill_mid_record_leaves_postgres_as_before(tmp_path: Path, pg_url: str):
    first = write_pipeline(tmp_path / "a", big_pipeline(0, 2000))
    assert finish(start(pg_url, first, 1))[0] == 0
    before, state = counts(pg_url), snapshot(pg_url)
    second = write_pipeline(tmp_path / "b", big_pipeline(1000, 30_000))
    engine = schema.open_engine(pg_url)
    key = schema.lock_key(PROJECT, "master")

    def holds_lock() -> bool:
        with engine.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND classid::bigint = :high AND objid::bigint = :low"
                    ),
                    {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
                ).scalar_one()
            )

    try:
        code = _kill_mid_record(pg_url, second, 2, holds_lock)
    finally:
        engine.dispose()
    assert code == -signal.SIGKILL
    time.sleep(0.5)  # the server notices the closed connection and rolls back
    assert counts(pg_url) == before
    assert snapshot(pg_url) == state
    assert finish(start(pg_url, second, 2))[0] == 0


def test_two_concurrent_records_into_one_sqlite_file_both_land(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'history.db'}"
    paths = [write_pipeline(tmp_path / f"p{n}", big_pipeline(n * 3000, 8000)) for n in range(2)]
    processes = [start(db, path, n + 1) for n, path in enumerate(paths)]
    results = [finish(process) for process in processes]
    assert [code for code, _ in results] == [0, 0], results
    assert counts(db)["pipelines"] == 2


def _history(n: int) -> list[Pipeline]:
    return [
        Pipeline(
            [F(fingerprint(k), rule=f"G{k % 7}") for k in range(i * 3, i * 3 + 40) if (k + i) % 5]
        )
        for i in range(n)
    ]


def test_eight_concurrent_postgres_recorders_all_land_and_equal_a_serial_recording(
    tmp_path: Path, postgres
):
    pipelines = _history(8)
    paths = [write_pipeline(tmp_path / f"p{n}", p) for n, p in enumerate(pipelines)]
    concurrent = postgres.create_database()  # empty: eight first-use recorders too
    processes = [start(concurrent, path, n + 1) for n, path in enumerate(paths)]
    results = [finish(process) for process in processes]
    assert [code for code, _ in results] == [0] * 8, results
    serial = postgres.create_database()
    for n, path in enumerate(paths):
        assert finish(start(serial, path, n + 1))[0] == 0
    assert counts(concurrent)["pipelines"] == 8
    assert trends_of(concurrent) == trends_of(serial)


def test_the_same_pipeline_recorded_twice_at_once_lands_once(tmp_path: Path, pg_url: str):
    path = write_pipeline(tmp_path / "p", big_pipeline(0, 3000))
    processes = [start(pg_url, path, 7) for _ in range(2)]
    results = sorted(finish(process) for process in processes)
    assert [code for code, _ in results] == [0, 0], results
    messages = sorted(out.strip().splitlines()[-1] for _, out in results)
    assert messages == [
        f"pipeline 7 of {PROJECT} is already recorded: nothing changed",
        f"recorded pipeline 7 of {PROJECT} on master: 3000 findings",
    ]
    assert counts(pg_url)["pipelines"] == 1
    assert counts(pg_url)["intervals"] == 3000


def test_first_use_recorders_on_an_empty_sqlite_file_all_succeed(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'history.db'}"
    paths = [write_pipeline(tmp_path / f"p{n}", p) for n, p in enumerate(_history(4))]
    processes = [start(db, path, n + 1) for n, path in enumerate(paths)]
    results = [finish(process) for process in processes]
    assert [code for code, _ in results] == [0] * 4, results
    assert counts(db)["pipelines"] == 4

"""``hardening history record``: which pipeline a findings.json is, recording it once, and
one-line errors for bad input and unreachable or newer databases."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from hardening.history import schema, trends
from history_support import F, Pipeline, findings_json, fingerprint, write_pipeline

GITLAB_ENV = {
    "CI_PROJECT_PATH": "group/app",
    "CI_COMMIT_REF_NAME": "release/1.4",
    "CI_PIPELINE_ID": "9001",
    "CI_COMMIT_SHA": "a" * 40,
    "CI_PIPELINE_CREATED_AT": "2024-05-01T08:30:00+02:00",
}


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    clean = {
        name: None
        for name in (
            *GITLAB_ENV,
            "GITHUB_REPOSITORY",
            "GITHUB_REF_NAME",
            "GITHUB_RUN_ID",
            "GITHUB_SHA",
            "HARDENING_HISTORY",
        )
    }
    result = CliRunner().invoke(
        cli, list(args), env={**clean, **(env or {})}, catch_exceptions=False
    )
    return result.exit_code, result.output


def record(path: Path, db: str, *options: str, env: dict[str, str] = GITLAB_ENV) -> tuple[int, str]:
    return run("history", "record", str(path), "--db", db, *options, env=env)


def record_daily(tmp_path: Path, db: str, pipelines: list[list[F]], first_id: int = 1) -> None:
    """Record one pipeline a day from 2024-05-01 with these findings, ids from ``first_id``."""
    for n, findings in enumerate(pipelines):
        path = write_pipeline(tmp_path / f"r{n}", Pipeline(findings))
        env = {
            **GITLAB_ENV,
            "CI_PIPELINE_ID": str(first_id + n),
            "CI_PIPELINE_CREATED_AT": f"2024-05-0{n + 1}T00:00:00Z",
        }
        assert record(path, db, env=env)[0] == 0


def trends_report(
    db: str, out: Path, *options: str, env: dict[str, str] | None = GITLAB_ENV
) -> tuple[int, str]:
    return run("history", "report", "--db", db, *options, "--out", str(out), env=env)


def pipelines_of(url: str) -> list[tuple[str, str, str]]:
    engine = schema.open_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            schema.pipelines.select().order_by(schema.pipelines.c.created)
        ).all()
    engine.dispose()
    return [(r.pipeline, r.commit_sha, r.created) for r in rows]


def test_defaults_come_from_the_gitlab_ci_variables(tmp_path: Path, sqlite_url: str):
    write_pipeline(tmp_path / "report", Pipeline([F(fingerprint(1))]))
    code, out = run(
        "history", "record", str(tmp_path / "report"), "--db", sqlite_url, env=GITLAB_ENV
    )
    assert code == 0, out
    assert out == "recorded pipeline 9001 of group/app on release/1.4: 1 findings\n"
    assert pipelines_of(sqlite_url) == [("9001", "a" * 40, "2024-05-01T06:30:00.000000Z")]


def test_defaults_come_from_the_github_variables(tmp_path: Path, sqlite_url: str):
    path = write_pipeline(tmp_path / "report", Pipeline([], created="2024-06-02T10:00:00Z"))
    env = {
        "GITHUB_REPOSITORY": "org/svc",
        "GITHUB_REF_NAME": "master",
        "GITHUB_RUN_ID": "77",
        "GITHUB_SHA": "b" * 40,
    }
    code, out = record(path, sqlite_url, env=env)
    assert code == 0, out
    assert "pipeline 77 of org/svc on master" in out
    # No CI_PIPELINE_CREATED_AT: the time findings.json says it was written.
    assert pipelines_of(sqlite_url) == [("77", "b" * 40, "2024-06-02T10:00:00.000000Z")]


def test_options_win_over_the_ci_variables(tmp_path: Path, sqlite_url: str):
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    code, out = run(
        "history",
        "record",
        str(path),
        "--db",
        sqlite_url,
        "--project",
        "other/x",
        "--ref",
        "main",
        "--pipeline",
        "5",
        "--commit",
        "c" * 40,
        "--created",
        "2024-01-02",
        env=GITLAB_ENV,
    )
    assert code == 0, out
    assert "pipeline 5 of other/x on main" in out
    assert pipelines_of(sqlite_url) == [("5", "c" * 40, "2024-01-02T00:00:00.000000Z")]


def test_db_comes_from_hardening_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    code, out = run("history", "record", str(path), env={**GITLAB_ENV, "HARDENING_HISTORY": url})
    assert code == 0, out
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (tmp_path / ".hardening").exists()


def test_the_default_db_is_a_sqlite_file_under_dot_hardening(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    code, out = run("history", "record", str(path), env=GITLAB_ENV)
    assert code == 0, out
    assert (tmp_path / ".hardening" / "history.db").is_file()


def test_recording_the_same_pipeline_again_changes_nothing(tmp_path: Path, db_url: str):
    path = write_pipeline(tmp_path / "report", Pipeline([F(fingerprint(1))]))
    assert record(path, db_url)[0] == 0
    other = write_pipeline(tmp_path / "other", Pipeline([F(fingerprint(2))]))
    code, out = record(other, db_url)
    assert code == 0
    assert out == "pipeline 9001 of group/app is already recorded: nothing changed\n"
    engine = schema.open_engine(db_url)
    with engine.connect() as connection:
        fingerprints = connection.execute(schema.findings.select()).all()
    engine.dispose()
    assert [row.fingerprint for row in fingerprints] == [fingerprint(1)]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"schema_version": 2, "entries": {}}', "not a hardening findings.json"),
        (
            json.dumps(
                {**json.loads(findings_json(Pipeline([]))), "schema_version": "2.0"}
            ).encode(),
            "findings.json schema version 2.0 is not one this hardening reads (1.x)",
        ),
        (b'{"generator": "hardening", "schema_version": "1.0"}', "runs or findings missing"),
    ],
)
def test_a_bad_findings_json_is_one_line_naming_the_file(
    tmp_path: Path, sqlite_url, content, reason
):
    path = tmp_path / "findings.json"
    path.write_bytes(content)
    code, out = record(path, sqlite_url)
    assert code == 2
    assert out.count("\n") == 1
    assert out.startswith(f"hardening: error: {path}: ")
    assert reason in out


def test_a_missing_findings_json_is_one_line(tmp_path: Path, sqlite_url: str):
    missing = tmp_path / "nowhere"
    code, out = record(missing, sqlite_url)
    assert (code, out) == (2, f"hardening: error: {missing}: no such file\n")


def test_no_pipeline_id_outside_ci_is_one_line(tmp_path: Path, sqlite_url: str):
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    code, out = run(
        "history", "record", str(path), "--db", sqlite_url, "--project", "g/p", "--ref", "main"
    )
    assert code == 2
    assert out == (
        "hardening: error: no pipeline id: give --pipeline (in CI it is CI_PIPELINE_ID or "
        "GITHUB_RUN_ID)\n"
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_postgres_is_one_line_naming_the_host_never_the_password(tmp_path):
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    port = _closed_port()
    url = f"postgresql://hardening:S3cretPassw0rd@127.0.0.1:{port}/history"
    code, out = record(path, url)
    assert code == 2
    assert out.count("\n") == 1
    assert out.startswith(
        "hardening: error: cannot use the history database "
        f"(PostgreSQL at 127.0.0.1:{port}/history)"
    )
    assert "S3cretPassw0rd" not in out


def test_a_psycopg2_url_is_refused_in_one_line(tmp_path: Path):
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    code, out = run(
        "history", "record", str(path), "--db", "postgresql+psycopg2://u:pw@h/db", env=GITLAB_ENV
    )
    assert (code, out) == (
        2,
        "hardening: error: postgresql+psycopg2: use postgresql:// (hardening talks to "
        "PostgreSQL through psycopg 3)\n",
    )


def test_postgres_urls_use_the_psycopg3_dialect():
    assert schema.engine_url("postgresql://u:p@h:5/db").drivername == "postgresql+psycopg"
    assert schema.engine_url("postgres://u:p@h:5/db").drivername == "postgresql+psycopg"


def test_a_database_of_a_newer_hardening_is_refused(tmp_path: Path, db_url: str):
    path = write_pipeline(tmp_path / "report", Pipeline([]))
    assert record(path, db_url)[0] == 0
    engine = schema.open_engine(db_url)
    with engine.begin() as connection:
        connection.execute(schema.schema_table.update().values(version=schema.SCHEMA_VERSION + 1))
    engine.dispose()
    again = write_pipeline(tmp_path / "again", Pipeline([]))
    code, out = run(
        "history", "record", str(again), "--db", db_url, "--pipeline", "2", env=GITLAB_ENV
    )
    assert code == 2
    newer, known = schema.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION
    assert out == (
        f"hardening: error: the history database is at schema version {newer}, "
        f"written by a newer hardening (this one knows {known}); upgrade hardening\n"
    )
    code, out = trends_report(
        db_url, tmp_path / "t", "--project", "group/app", "--ref", "release/1.4", env=None
    )
    assert code == 2 and "written by a newer hardening" in out


def test_an_older_database_is_upgraded_by_the_later_steps(tmp_path: Path, db_url: str, monkeypatch):
    path = write_pipeline(tmp_path / "report", Pipeline([F(fingerprint(1))]))
    assert record(path, db_url)[0] == 0
    # A later hardening adds step 2; the database at version 1 gets it on first use.
    applied: list[int] = []

    def step_2(connection):
        from sqlalchemy import text

        connection.execute(text("CREATE TABLE step_two_marker (id INTEGER PRIMARY KEY)"))
        applied.append(2)

    monkeypatch.setitem(schema.MIGRATIONS, 2, step_2)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    second = write_pipeline(tmp_path / "second", Pipeline([F(fingerprint(1))]))
    assert record(second, db_url, "--pipeline", "2")[0] == 0
    assert applied == [2]
    engine = schema.open_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(schema.schema_table.select()).one().version == 2
        assert connection.dialect.has_table(connection, "step_two_marker")
    engine.dispose()


def test_report_writes_trends_and_a_terminal_summary(tmp_path: Path, sqlite_url: str):
    record_daily(
        tmp_path, sqlite_url, [[F(fingerprint(1))], [F(fingerprint(1)), F(fingerprint(2))]]
    )
    code, out = trends_report(sqlite_url, tmp_path / "t", "--last", "10")
    assert code == 0, out
    assert (
        out.splitlines()[0]
        == "Trends of group/app on release/1.4: 2 pipeline(s), 2024-05-01 to 2024-05-02"
    )
    assert "  new:high would have blocked 1 of 2 (mostly gosec G101)" in out
    assert (
        "  pipeline 1 is the earliest recorded on release/1.4: its 1 open finding(s) are the "
        "starting point, not new"
    ) in out.splitlines()
    written = json.loads((tmp_path / "t" / "trends.json").read_text())
    assert written["schema_version"] == trends.TRENDS_SCHEMA_VERSION
    assert [p["new"] for p in written["pipelines"]] == [0, 1]
    assert (tmp_path / "t" / "trends.html").read_text().startswith("<!DOCTYPE html>")


def test_report_of_an_unknown_project_is_one_line(tmp_path: Path, sqlite_url: str):
    path = write_pipeline(tmp_path / "r", Pipeline([]))
    assert record(path, sqlite_url)[0] == 0
    code, out = trends_report(
        sqlite_url, tmp_path / "t", "--project", "nope", "--ref", "main", env=None
    )
    assert (code, out) == (2, "hardening: error: no pipeline of nope on main is recorded\n")


def test_report_since_a_date(tmp_path: Path, sqlite_url: str):
    record_daily(tmp_path, sqlite_url, [[], [], []], first_id=0)
    code, out = trends_report(sqlite_url, tmp_path / "t", "--since", "2024-05-02")
    assert code == 0, out
    assert [
        p["pipeline"] for p in json.loads((tmp_path / "t" / "trends.json").read_text())["pipelines"]
    ] == ["1", "2"]


def test_sqlite_file_is_a_real_sqlite_database(tmp_path: Path, sqlite_url: str):
    path = write_pipeline(tmp_path / "r", Pipeline([F(fingerprint(1))]))
    assert record(path, sqlite_url)[0] == 0
    with sqlite3.connect(tmp_path / "history.db") as connection:
        assert connection.execute("select count(*) from intervals").fetchone() == (1,)

"""``aggregate --history``: one trend line in summary.md and the MR note (stored in
findings.json), an unreachable database only a warning, and no SQLAlchemy at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from hardening.cli import cli
from hardening.history import api
from hardening.render import markdown
from hardening.report_io import load_report
from history_support import F, Pipeline, fingerprint, write_pipeline
from support import SAMPLES

ENV = {"CI_PROJECT_PATH": "group/app", "CI_COMMIT_REF_NAME": "master"}


def record_history(db: str, tmp_path: Path) -> None:
    # Three pipelines; the first is the starting point, a new high finding in each of the others.
    for n, found in enumerate([[1], [1, 2], [1, 2, 3]]):
        path = write_pipeline(tmp_path / f"p{n}", Pipeline([F(fingerprint(k)) for k in found]))
        request = api.RecordRequest(
            source=path, db=db, pipeline=str(n + 1), created=f"2024-03-0{n + 1}T00:00:00Z"
        )
        api.record(request, ENV)


def aggregate(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["aggregate", str(SAMPLES), "--out", str(tmp_path / "out"), "-q", *extra],
        env={**ENV, "HARDENING_HISTORY": None, **(env or {})},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_the_summary_gets_one_trend_line_from_the_history(tmp_path: Path, sqlite_url: str):
    record_history(sqlite_url, tmp_path)
    code, out = aggregate(tmp_path, "--history", sqlite_url)
    assert code == 0, out
    summary = (tmp_path / "out" / "summary.md").read_text()
    report = load_report(tmp_path / "out" / "findings.json")
    assert report.history is not None
    # New against the newest recorded pipeline: none of the samples' findings is in it.
    unsuppressed = sum(1 for f in report.findings if not f.suppressed)
    assert report.history.new == unsuppressed
    line = (
        f"📈 **History:** {unsuppressed} new in this run against 1.0 per pipeline over the last 3 "
        "on `master`; `new:high` would have blocked 2 of the last 3 pipelines on `master`."
    )
    assert line in summary.splitlines()
    # The comment bot renders from findings.json: the same line.
    assert line in markdown.render(report).splitlines()


def test_on_a_merge_request_the_history_is_the_target_branch(tmp_path: Path, sqlite_url: str):
    record_history(sqlite_url, tmp_path)
    mr = {"CI_COMMIT_REF_NAME": "feature/x", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "master"}
    code, out = aggregate(tmp_path, "--history", sqlite_url, env=mr)
    assert code == 0, out
    assert "over the last 3 on `master`" in (tmp_path / "out" / "summary.md").read_text()


def test_hardening_history_alone_does_not_add_the_line(tmp_path: Path, sqlite_url: str):
    record_history(sqlite_url, tmp_path)
    code, out = aggregate(tmp_path, env={"HARDENING_HISTORY": sqlite_url})
    assert code == 0, out
    assert "📈 **History:**" not in (tmp_path / "out" / "summary.md").read_text()
    # HARDENING_HISTORY names the database of the history commands; aggregate adds its line
    # only when asked (--history or the config's history).


def test_history_comes_from_the_config(tmp_path: Path, sqlite_url: str, monkeypatch):
    record_history(sqlite_url, tmp_path)
    (tmp_path / ".hardening.toml").write_text(f'history = "{sqlite_url}"\n')
    monkeypatch.chdir(tmp_path)
    code, out = aggregate(tmp_path)
    assert code == 0, out
    assert "📈 **History:**" in (tmp_path / "out" / "summary.md").read_text()


def test_an_unreachable_database_is_a_warning_never_a_failed_report(tmp_path: Path):
    url = "postgresql://hardening:Pw-not-shown-42@127.0.0.1:1/history"
    code, out = aggregate(tmp_path, "--history", url)
    assert code == 0, out
    document = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert document["history"] is None
    warnings = [w for w in document["warnings"] if w.startswith("history:")]
    assert warnings == [
        "history: cannot use the history database (PostgreSQL at 127.0.0.1:1/history): "
        "Connection refused"
    ]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "cannot use the history database" in summary
    assert "Pw-not-shown-42" not in summary + json.dumps(document)


def test_a_database_not_made_yet_is_a_warning_and_is_not_created(tmp_path: Path):
    missing = tmp_path / "nowhere" / "history.db"
    (tmp_path / "nowhere").mkdir()
    code, out = aggregate(tmp_path, "--history", f"sqlite:///{missing}")
    assert code == 0, out
    warnings = load_report(tmp_path / "out" / "findings.json").warnings
    assert [w for w in warnings if w.startswith("history:")] == [
        f"history: no history database at {missing}: record a pipeline first "
        "(hardening history record)"
    ]
    assert not missing.exists()


def test_nothing_recorded_of_the_ref_names_the_project_and_ref(tmp_path: Path, sqlite_url: str):
    record_history(sqlite_url, tmp_path)
    code, out = aggregate(tmp_path, "--history", sqlite_url, env={"CI_COMMIT_REF_NAME": "dev"})
    assert code == 0, out
    warnings = load_report(tmp_path / "out" / "findings.json").warnings
    assert "history: no pipeline of group/app on dev is recorded yet" in warnings


def test_history_report_of_a_database_not_made_yet_is_one_line(tmp_path: Path):
    missing = tmp_path / "history.db"
    result = CliRunner().invoke(
        cli,
        ["history", "report", "--db", f"sqlite:///{missing}", "--project", "group/app",
         "--ref", "master", "--out", str(tmp_path / "trends")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"hardening: error: no history database at {missing}: record a pipeline first "
        "(hardening history record)"
    ]
    assert not missing.exists()


def test_findings_json_records_when_it_was_written(tmp_path: Path):
    code, out = aggregate(tmp_path)
    assert code == 0, out
    created = json.loads((tmp_path / "out" / "findings.json").read_text())["created"]
    assert created.endswith("Z") and created[:2] == "20"


def test_aggregate_does_not_import_sqlalchemy(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "HARDENING_HIST"))}
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "hardening",
            "aggregate",
            str(SAMPLES),
            "-q",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
        cwd=tmp_path,  # the installed package, never the source tree beside the tests
    )
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line
    ]
    assert "hardening.model" in imported
    assert not [name for name in imported if name.split(".")[0] in ("sqlalchemy", "psycopg")]

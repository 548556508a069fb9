"""The commands as a user runs them: exit codes, outputs, every file accounted for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hardening import __version__
from hardening.cli import cli
from support import SAMPLES


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_version() -> None:
    code, out = run("--version")
    assert code == 0
    assert __version__ in out


def test_python_dash_m_works(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hardening", "inspect", str(SAMPLES / "gosec" / "gosec.json")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert "gosec" in out


def test_aggregate_samples_writes_outputs_and_exits_zero(tmp_path: Path) -> None:
    code, out = run("aggregate", str(SAMPLES), "--out", str(tmp_path))
    assert code == 0, out
    report = json.loads((tmp_path / "findings.json").read_text())
    assert report["schema_version"]
    assert report["findings"]
    assert {run["status"] for run in report["runs"]} <= {"ok", "not_exercised"}
    assert (tmp_path / "summary.md").read_text().startswith("<!-- hardening:summary -->")
    assert "Tool runs:" in out


def test_broken_artifact_fails_alone(tmp_path: Path) -> None:
    (tmp_path / "gosec.json").write_text('{"Issues": [{"rule_id": "G104", ')
    (tmp_path / "gitleaks.json").write_text("")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "semgrep.json").write_text('{"results": [], "errors": [], "version": "1.85.0"}')
    code, out = run("aggregate", str(tmp_path), "--out", str(tmp_path / "out"))
    assert code == 0
    report = json.loads((tmp_path / "out" / "findings.json").read_text())
    status = {Path(r["artifact"]).name: (r["status"], r["error"]) for r in report["runs"]}
    assert status["gosec.json"][0] == "failed" and "JSON" in status["gosec.json"][1]
    assert status["gitleaks.json"] == ("failed", "empty file")
    assert status["semgrep.json"] == ("ok", None)
    skipped = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert skipped == {"notes.txt": "no parser recognises this file"}
    assert "Traceback" not in out


def test_profile_reports_missing_tools_and_skips_others(tmp_path: Path) -> None:
    (tmp_path / "semgrep.json").write_text('{"results": [], "errors": [], "version": "1.85.0"}')
    (tmp_path / "trivy.json").write_text(
        '{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "filesystem", "Results": []}'
    )
    code, _ = run("aggregate", str(tmp_path), "--profile", "sast", "--out", str(tmp_path / "o"))
    assert code == 0
    report = json.loads((tmp_path / "o" / "findings.json").read_text())
    status = {r["tool"]: r["status"] for r in report["runs"]}
    assert status == {"semgrep": "ok", "gosec": "missing", "gitleaks": "missing"}
    assert report["skipped"][0]["reason"] == "outside profile sast (trivy)"


def test_input_forces_a_parser(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("[]")
    code, _ = run("aggregate", "--input", f"gitleaks={report}", "--out", str(tmp_path / "o"))
    assert code == 0
    data = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert [(r["tool"], r["status"]) for r in data["runs"]] == [("gitleaks", "ok")]


def test_bad_input_option_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("aggregate", "--input", "gitleaks")
    assert code == 2
    assert "TOOL=PATH" in out


def test_aggregate_needs_something_to_read() -> None:
    code, _ = run("aggregate")
    assert code == 2


def test_schema_is_a_json_schema_of_the_report() -> None:
    code, out = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert "findings" in schema["properties"]
    assert "Finding" in schema["$defs"]


def test_inspect_shows_each_finding(tmp_path: Path) -> None:
    code, out = run("inspect", str(SAMPLES / "gosec" / "gosec.json"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "parsed"
    assert data["findings"] and all(f["fingerprint"] for f in data["findings"])


def test_a_users_mistake_is_one_line_with_one_prefix(tmp_path: Path) -> None:
    broken = tmp_path / "baseline.json"
    broken.write_text('{"entries": {"ab')
    result = CliRunner().invoke(cli, ["baseline", "show", "--baseline", str(broken)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"hardening: error: {broken}: not valid JSON (Unterminated string starting at line 1)\n"
    )


def test_a_path_that_does_not_exist_is_skipped_and_the_rest_still_read(tmp_path: Path) -> None:
    # In CI a folder is absent when the job that writes it did not run: the summary must
    # still be written, saying so, with that job's tools missing.
    (tmp_path / "sast").mkdir()
    (tmp_path / "sast" / "semgrep.json").write_text(
        '{"results": [], "errors": [], "version": "1.85.0"}'
    )
    absent = tmp_path / "artifacts"
    code, out = run(
        "aggregate", "--profile", "sast", str(absent), str(tmp_path / "sast"),
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 0, out
    report = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert report["skipped"] == [{"path": absent.as_posix(), "reason": "no such file or folder"}]
    status = {r["tool"]: r["status"] for r in report["runs"]}
    assert status == {"semgrep": "ok", "gosec": "missing", "gitleaks": "missing"}


def test_baseline_update_still_refuses_a_path_that_does_not_exist(tmp_path: Path) -> None:
    code, out = run(
        "baseline", "update", str(tmp_path / "artifacts"),
        "--baseline", str(tmp_path / "baseline.json"),
    )  # fmt: skip
    assert code == 2
    assert "does not exist" in out
    assert not (tmp_path / "baseline.json").exists()


def test_nothing_read_without_a_profile_is_a_warning_not_all_clear(tmp_path: Path) -> None:
    (tmp_path / "artifacts").mkdir()
    code, out = run("aggregate", str(tmp_path / "artifacts"), "--out", str(tmp_path / "o"))
    assert code == 0
    assert "warning: no scanner report was read" in out
    assert "no scanner report was read" in (tmp_path / "o" / "summary.md").read_text()


def test_entries_that_are_not_regular_files_are_accounted_for(tmp_path: Path) -> None:
    from hostile_support import time_limit

    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "semgrep.json").write_text('{"results": [], "errors": [], "version": "1.85.0"}')
    (folder / "gosec.json").symlink_to(tmp_path / "gone.json")
    os.mkfifo(folder / "gitleaks.json")  # opening it would wait for a writer forever
    with time_limit(20):
        code, out = run("aggregate", str(folder), "--out", str(tmp_path / "o"))
        inspect_code, inspected = run("inspect", str(folder / "gitleaks.json"))
    assert code == 0, out
    report = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert {Path(s["path"]).name: s["reason"] for s in report["skipped"]} == {
        "gosec.json": "broken symbolic link",
        "gitleaks.json": "not a regular file (a FIFO, socket or device)",
    }
    assert [r["tool"] for r in report["runs"]] == ["semgrep"]
    assert inspect_code == 0
    assert "not a regular file" in inspected


def test_an_unreadable_folder_is_accounted_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "artifacts"
    locked = folder / "trivy"
    locked.mkdir(parents=True)
    (locked / "trivy.json").write_text('{"SchemaVersion": 2, "Results": []}')
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads any folder: refuse it as the kernel would anyone else
        scandir = os.scandir

        def refusing(path: Any = ".") -> Any:
            # shutil.rmtree (the outputs' staging folder) scans by file descriptor.
            if not isinstance(path, int) and os.fspath(path) == str(locked):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return scandir(path)

        monkeypatch.setattr(os, "scandir", refusing)
    try:
        code, out = run("aggregate", str(folder), "--out", str(tmp_path / "o"))
    finally:
        locked.chmod(0o755)
    assert code == 0, out
    report = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert report["skipped"] == [
        {"path": locked.as_posix(), "reason": "cannot read folder: Permission denied"}
    ]


@pytest.mark.parametrize(
    ("command", "codes"),
    [
        (["aggregate"], ["0 report written", "1 an enforced gate", "2 usage error", "130"]),
        (["comment"], ["0 posted", "1 only with --strict", "2 usage error", "130"]),
        (["baseline"], ["0 done", "2 usage error, a refusal, a fault", "130"]),
        (["baseline", "update"], ["0 done", "2 usage error, a refusal, a fault", "130"]),
        (["baseline", "accept"], ["0 done", "2 usage error, a refusal, a fault", "130"]),
        (["inspect"], ["0 done", "2 usage error, a refusal, a fault", "130"]),
    ],
)
def test_each_command_s_help_ends_with_its_exit_codes(command: list[str], codes: list[str]) -> None:
    code, out = run(*command, "--help")
    assert code == 0
    tail = " ".join(out[out.index("Exit codes:") :].split())
    assert all(text in tail for text in codes), tail

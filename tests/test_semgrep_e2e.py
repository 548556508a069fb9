"""End to end with a real scanner: semgrep over a work tree with a large untracked `.cache/`,
then over its tracked-source snapshot.

semgrep comes from PyPI in its own virtualenv (it pins many packages, so it is not a test
extra): ``HARDENING_SEMGREP`` names its executable.  Without it the test is skipped, except
under ``.ci/run``, which installs it and sets ``HARDENING_REQUIRE_SEMGREP=1``.  semgrep runs
offline: a local rule file, no registry, ``--metrics off``, no version check.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from go_project import CLEAN, FLAGGED, RULES, semgrep_command, semgrep_env

from hardening.cli import cli
from hardening.paths import SNAPSHOT_MARKER

TRACKED_SOURCES = 40
CACHED = 400


def semgrep_executable() -> str:
    found = os.environ.get("HARDENING_SEMGREP")
    if found and Path(found).is_file():
        return found
    if os.environ.get("HARDENING_REQUIRE_SEMGREP"):
        pytest.fail(f"HARDENING_SEMGREP={found!r} names no semgrep, and it is required here")
    pytest.skip("semgrep not installed (set HARDENING_SEMGREP to its executable)")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A Go project as a CI job sees it: tracked sources (every fourth flags MD5), a
    generated file, and a large `.cache/` that is neither tracked nor ignored."""
    root = tmp_path / "project"
    (root / "internal").mkdir(parents=True)
    for n in range(TRACKED_SOURCES):
        template = FLAGGED if n % 4 == 0 else CLEAN
        (root / "internal" / f"file{n}.go").write_text(template.format(name="internal", n=n))
    (root / "api").mkdir()
    (root / "api" / "service.pb.go").write_text(FLAGGED.format(name="api", n=0))
    git(root, "init", "-q")
    git(root, "add", ".")
    cache = root / ".cache" / "go-build"
    cache.mkdir(parents=True)
    for n in range(CACHED):
        (cache / f"scratch{n}.go").write_text(FLAGGED.format(name="scratch", n=n))
    return root


def scan(semgrep: str, target: Path, report: Path, rules: Path, home: Path) -> dict[str, object]:
    subprocess.run(
        semgrep_command(semgrep, rules, report),
        cwd=target,
        env=semgrep_env(home),
        check=True,
        capture_output=True,
        timeout=600,
    )
    data = json.loads(report.read_text())
    assert isinstance(data, dict)
    return data


def aggregate(report: Path, out: Path) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["aggregate", str(report), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "findings.json").read_text())
    assert isinstance(data, dict)
    return data


def result_paths(report: dict[str, object]) -> set[str]:
    results = report["results"]
    assert isinstance(results, list)
    return {r["path"] for r in results}


def test_semgrep_over_the_work_tree_and_over_its_snapshot(work: Path, tmp_path: Path) -> None:
    semgrep = semgrep_executable()
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    home = tmp_path / "home"
    home.mkdir()
    reports = tmp_path / "reports"
    reports.mkdir()

    of_work = scan(semgrep, work, reports / "work.json", rules, home)
    scanned = of_work["paths"]["scanned"]  # type: ignore[index]
    # The work-tree scan really read the cache.
    assert sum(p.startswith(".cache/") for p in scanned) == CACHED

    snap = work / ".scan-src"
    made = CliRunner().invoke(cli, ["snapshot", "--source-root", str(work), "--out", str(snap)])
    assert made.exit_code == 0, made.output
    assert (snap / SNAPSHOT_MARKER).is_file()
    of_snapshot = scan(semgrep, snap, reports / "snapshot.json", rules, home)

    tracked = {f"internal/file{n}.go" for n in range(TRACKED_SOURCES)} | {"api/service.pb.go"}
    assert set(of_snapshot["paths"]["scanned"]) == tracked  # type: ignore[index]
    cached = {p for p in result_paths(of_work) if p.startswith(".cache/")}
    assert len(cached) == CACHED
    assert result_paths(of_snapshot) == result_paths(of_work) - cached

    work_summary = aggregate(reports / "work.json", tmp_path / "work-report")
    snapshot_summary = aggregate(reports / "snapshot.json", tmp_path / "snapshot-report")
    fingerprints = [
        {f["fingerprint"] for f in s["findings"]} for s in (work_summary, snapshot_summary)
    ]  # type: ignore[union-attr]
    assert fingerprints[0] == fingerprints[1]
    assert len(fingerprints[0]) == TRACKED_SOURCES // 4

    share = round(CACHED * 100 / len(scanned))
    assert (
        f"semgrep ({reports / 'work.json'}) scanned {CACHED} files under `.cache/` and 1 "
        f"generated (*.pb.go) ({share}% of what it scanned): scan a tracked-source snapshot "
        "(`hardening snapshot`)"
    ) in work_summary["warnings"]  # type: ignore[operator]
    (run,) = snapshot_summary["runs"]  # type: ignore[misc]
    assert run["scanned_excluded"] == {"generated file (*.pb.go)": 1}
    for summary in (work_summary, snapshot_summary):
        (run,) = summary["runs"]  # type: ignore[misc]
        assert run["duration_seconds"] > 0

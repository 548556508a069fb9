"""Discovery skips nothing in silence: every folder under the artifacts is read but ``.git``
itself, and a symbolic link to a folder is followed once when it stays inside the folder
given, else listed as skipped with the reason (never a crash, however the links loop)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hostile_support import load_json, run_cli, time_limit

from support import SAMPLES


def aggregate(tmp_path: Path, *folders: Path) -> dict[str, Any]:
    out = tmp_path / "out"
    with time_limit(60):
        result = run_cli(["aggregate", "-q", *map(str, folders), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = load_json(out / "findings.json")
    return report


def runs_by_artifact(report: dict[str, Any], root: Path) -> dict[str, str]:
    return {
        Path(run["artifact"]).relative_to(root).as_posix(): run["tool"] for run in report["runs"]
    }


def skipped(report: dict[str, Any], root: Path) -> dict[str, str]:
    return {
        Path(item["path"]).relative_to(root).as_posix(): item["reason"]
        for item in report["skipped"]
    }


def test_folders_whose_names_start_with_git_are_read(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    for folder, sample in (
        (".gitlab", SAMPLES / "gosec" / "gosec.json"),
        (".github/reports", SAMPLES / "semgrep" / "semgrep.json"),
        (".gitleaks", SAMPLES / "gitleaks" / "gitleaks.json"),
        (".git", SAMPLES / "trivy" / "trivy-image.json"),  # git's own folder: not reports
    ):
        (artifacts / folder).mkdir(parents=True)
        shutil.copy(sample, artifacts / folder)

    report = aggregate(tmp_path, artifacts)

    assert runs_by_artifact(report, artifacts) == {
        ".github/reports/semgrep.json": "semgrep",
        ".gitlab/gosec.json": "gosec",
        ".gitleaks/gitleaks.json": "gitleaks",
    }


def test_a_link_to_a_folder_inside_is_followed_once(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    (artifacts / "runs" / "42").mkdir(parents=True)
    shutil.copy(SAMPLES / "gosec" / "gosec.json", artifacts / "runs" / "42")
    (artifacts / "latest").symlink_to(Path("runs/42"), target_is_directory=True)
    # A link to a folder only a link leads to: read through it.
    hidden = artifacts / ".git" / "reports"
    hidden.mkdir(parents=True)
    shutil.copy(SAMPLES / "gitleaks" / "gitleaks.json", hidden)
    (artifacts / "secrets").symlink_to(Path(".git/reports"), target_is_directory=True)

    report = aggregate(tmp_path, artifacts)

    assert runs_by_artifact(report, artifacts) == {
        "runs/42/gosec.json": "gosec",
        "secrets/gitleaks.json": "gitleaks",
    }
    assert skipped(report, artifacts) == {
        "latest": "symbolic link to a folder already read (runs/42), not followed again"
    }


def test_links_that_lead_outside_or_loop_are_skipped_with_the_reason(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    (artifacts / "sast").mkdir(parents=True)
    shutil.copy(SAMPLES / "gosec" / "gosec.json", artifacts / "sast")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(SAMPLES / "semgrep" / "semgrep.json", outside)
    (artifacts / "other").symlink_to(outside, target_is_directory=True)
    (artifacts / "etc").symlink_to("/etc", target_is_directory=True)
    (artifacts / "sast" / "up").symlink_to(Path(".."), target_is_directory=True)
    (artifacts / "one").symlink_to("two")  # a loop of two links, which no stat resolves
    (artifacts / "two").symlink_to("one")
    (artifacts / "self").symlink_to("self")

    report = aggregate(tmp_path, artifacts)

    assert runs_by_artifact(report, artifacts) == {"sast/gosec.json": "gosec"}
    assert skipped(report, artifacts) == {
        "etc": "symbolic link to a folder outside the folder given, not followed",
        "other": "symbolic link to a folder outside the folder given, not followed",
        "one": "symbolic link loop",
        "two": "symbolic link loop",
        "self": "symbolic link loop",
        "sast/up": "symbolic link loop (to a folder that contains it), not followed",
    }


def test_a_loop_given_as_the_path_itself_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    report = aggregate(tmp_path, tmp_path / "a", SAMPLES / "gosec")
    assert skipped(report, tmp_path) == {"a": "symbolic link loop"}
    assert [run["tool"] for run in report["runs"]] == ["gosec"]

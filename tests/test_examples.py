"""The CI examples call the CLI with options it has: a renamed option fails here, not in CI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from hardening.cli import cli

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").rglob("*.yml"))
#: ``hardening COMMAND ...`` where a shell command starts, up to where it ends.
CALL = re.compile(
    r"(?:^\s*(?:- |run: )?|then |[;&|] *)hardening ((?:baseline )?[a-z-]+)([^\n;|&]*)"
)


def calls(path: Path) -> list[tuple[str, list[str]]]:
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith("#") or "pip install" in line:
            continue
        for command, rest in CALL.findall(line):
            found.append((command, re.findall(r"(?<![\w-])--?[a-z][a-z-]*", rest)))
    return found


def options_of(command: str) -> set[str]:
    group: click.Group = cli
    *parents, name = command.split()
    for parent in parents:
        group = group.commands[parent]  # type: ignore[assignment]
    assert name in group.commands, f"no command {command!r}"
    return {opt for param in group.commands[name].params for opt in param.opts}


def test_the_examples_exist() -> None:
    assert {p.name for p in EXAMPLES} == {"gitlab-ci.yml", "hardening.yml"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_option_an_example_passes_exists(example: Path) -> None:
    found = calls(example)
    assert {command for command, _ in found} >= {"aggregate", "comment"}
    for command, flags in found:
        assert set(flags) <= options_of(command), (command, flags)


# --- the SAST jobs scan the tracked-source snapshot ----------------------------------------


GITLAB = Path(__file__).parent.parent / "examples" / "gitlab-ci.yml"
GITHUB = Path(__file__).parent.parent / "examples" / "github" / "hardening.yml"
SAST_JOBS = {
    "gosec": "security_sast_gosec",
    "semgrep": "security_sast_semgrep",
    "gitleaks": "security_sast_gitleaks",
}


def gitlab() -> dict[str, Any]:
    loaded = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def gitlab_job(pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    """A job with what it extends merged in (GitLab's ``extends``, one level deep)."""
    job = dict(pipeline[name])
    for parent in reversed([job.pop("extends")] if "extends" in job else []):
        job = {**pipeline[parent], **job}
    return job


def needed(job: dict[str, Any]) -> set[str]:
    return {need["job"] if isinstance(need, dict) else need for need in job.get("needs", [])}


def script(job: dict[str, Any]) -> str:
    return "\n".join(str(line) for line in job.get("script", []))


def test_gitlab_source_snapshot_job_passes_the_snapshot_as_an_artifact() -> None:
    job = gitlab_job(gitlab(), "source_snapshot")
    assert "hardening snapshot --out .scan-src/" in script(job)
    # Inside the project folder, where artifacts must be.
    assert ".scan-src/" in job["artifacts"]["paths"]
    assert job["when"] == "on_success" and job["allow_failure"] is False


@pytest.mark.parametrize(("tool", "name"), sorted(SAST_JOBS.items()))
def test_gitlab_sast_jobs_scan_the_snapshot_in_their_own_image(tool: str, name: str) -> None:
    pipeline = gitlab()
    job = gitlab_job(pipeline, name)
    assert "source_snapshot" in needed(job)
    image = job["image"]["name"] if isinstance(job["image"], dict) else job["image"]
    assert tool in image and "python" not in image
    body = script(job)
    assert "cd .scan-src" in body and tool in body
    assert f"artifacts/{tool}.json" in body
    assert name in needed(gitlab_job(pipeline, "security_sast_report"))


def test_gitlab_gitleaks_scans_the_directory_not_the_history() -> None:
    body = script(gitlab_job(gitlab(), "security_sast_gitleaks"))
    assert "gitleaks dir ." in body and "gitleaks git" not in body


def test_gitlab_report_job_has_the_snapshot_marker_for_gosec_paths() -> None:
    assert "source_snapshot" in needed(gitlab_job(gitlab(), "security_sast_report"))


def test_gitlab_semgrep_reports_its_duration() -> None:
    assert "--time" in script(gitlab_job(gitlab(), "security_sast_semgrep"))


def github_jobs() -> dict[str, Any]:
    loaded = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    jobs = loaded["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_github_source_snapshot_job_uploads_the_snapshot_with_its_marker() -> None:
    job = github_jobs()["source_snapshot"]
    assert "hardening snapshot --out .scan-src/" in runs(job)
    (upload,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert ".scan-src/" in upload["with"]["path"]
    assert upload["with"]["include-hidden-files"] is True


@pytest.mark.parametrize("tool", ["gosec", "semgrep", "gitleaks"])
def test_github_sast_jobs_scan_the_snapshot(tool: str) -> None:
    jobs = github_jobs()
    job = jobs[f"sast_{tool}"]
    assert job["needs"] == "source_snapshot"
    assert "cd .scan-src" in runs(job) and f"artifacts/{tool}.json" in runs(job)
    assert f"sast_{tool}" in jobs["hardening"]["needs"]

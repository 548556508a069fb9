"""The CI examples call the CLI with options it has: a renamed option fails here, not in CI."""

from __future__ import annotations

import re
import shlex
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


# --- pasted into a project, the examples work (issue 19) -----------------------------------


def jobs_of(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pipeline's jobs (entries with a script), with the templates they extend merged in."""
    return {
        name: gitlab_job(pipeline, name)
        for name, value in pipeline.items()
        if isinstance(value, dict) and ("script" in value or "extends" in value)
    }


#: What GitLab's ``rules:if`` expressions in the example are made of.
RULE_TOKEN = re.compile(r'\s*(\$\w+|"[^"]*"|==|!=|&&|\|\||\(|\))')


def rule_matches(expression: str, variables: dict[str, str]) -> bool:
    """Evaluate a ``rules:if`` expression as GitLab does: an unset or empty variable is false."""
    tokens = RULE_TOKEN.findall(expression)
    assert "".join(tokens) == re.sub(r"\s+", "", expression), f"unsupported: {expression}"
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def atom() -> str | bool:
        token = take()
        if token == "(":
            value = either()
            assert take() == ")"
            return value
        return variables.get(token[1:], "") if token.startswith("$") else token[1:-1]

    def comparison() -> bool:
        left = atom()
        if peek() not in ("==", "!="):
            return bool(left)
        operator, right = take(), atom()
        return left == right if operator == "==" else left != right

    def both() -> bool:
        value = comparison()
        while peek() == "&&":
            take()
            value = comparison() and value
        return value

    def either() -> bool:
        value = both()
        while peek() == "||":
            take()
            value = both() or value
        return value

    result = either()
    assert position == len(tokens), f"unsupported: {expression}"
    return result


def creates(rules: list[dict[str, Any]], variables: dict[str, str]) -> bool:
    """Whether GitLab creates the pipeline (or job): the first rule that matches decides."""
    for rule in rules:
        if "if" not in rule or rule_matches(rule["if"], variables):
            return rule.get("when", "on_success") != "never"
    return False


BRANCH = {"CI_COMMIT_BRANCH": "release/2.4", "CI_COMMIT_REF_NAME": "release/2.4"}
OPEN_MR = {"CI_OPEN_MERGE_REQUESTS": "acme/payments!12"}
PIPELINES = {
    "merge request": (
        {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "12"},
        True,
    ),
    "push to a branch": ({"CI_PIPELINE_SOURCE": "push", **BRANCH}, True),
    "push to a branch with an open merge request": (
        {"CI_PIPELINE_SOURCE": "push", **BRANCH, **OPEN_MR},
        False,  # the merge request pipeline runs instead
    ),
    "API-triggered on a release branch": ({"CI_PIPELINE_SOURCE": "api", **BRANCH, **OPEN_MR}, True),
    "trigger token": ({"CI_PIPELINE_SOURCE": "trigger", **BRANCH}, True),
    "web (Run pipeline)": ({"CI_PIPELINE_SOURCE": "web", **BRANCH, **OPEN_MR}, True),
    "scheduled": ({"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "master"}, True),
    "tag": ({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v2.4.0"}, True),
}


@pytest.mark.parametrize("kind", sorted(PIPELINES))
def test_gitlab_workflow_runs_merge_request_pipelines_and_keeps_the_release_flows(
    kind: str,
) -> None:
    variables, expected = PIPELINES[kind]
    assert creates(gitlab()["workflow"]["rules"], variables) is expected


def test_gitlab_declares_the_stage_of_every_job() -> None:
    pipeline = gitlab()
    stages = pipeline["stages"]
    for name, job in jobs_of(pipeline).items():
        assert job.get("stage", "test") in stages, name


def test_gitlab_leaves_runner_tags_to_the_project() -> None:
    pipeline = gitlab()
    assert [name for name, job in jobs_of(pipeline).items() if "tags" in job] == []
    assert "tags" not in pipeline.get("default", {})
    # ... and a comment shows where the report runners' tag would go.
    assert re.search(r"^\s*#.*tags: \[ci-report\]", GITLAB.read_text(encoding="utf-8"), re.M)


# --- where hardening is installed from -----------------------------------------------------

#: pip options that take a value (the next argument, or after ``=``).
PIP_VALUED = {"--index-url", "-i", "--extra-index-url", "--dest", "-d", "--only-binary", "-r", "-c"}
PINNED_GIT = re.compile(r"^git\+https://[^@\s]+@v?\d+(\.\d+)+$")
RELEASE_WHEEL = re.compile(r"^https://\S+/releases/download/v?[\d.]+/hardening-[\d.]+-\S+\.whl$")
PROJECT_REGISTRY = re.compile(
    r"^https://gitlab-ci-token:\$\{CI_JOB_TOKEN\}@\S+/projects/\$\{?\w+\}?/packages/pypi/simple$"
)


def pip_commands(shell: str) -> list[list[str]]:
    """Each ``pip install`` or ``pip download`` in a shell script, as its arguments."""
    found = []
    for command in re.split(r"&&|;|\n", shell):
        if not re.search(r"\bpip (install|download)\b", command):
            continue
        words = shlex.split(command)
        for at, word in enumerate(words[:-1]):
            if word.endswith("pip") and words[at + 1] in ("install", "download"):
                found.append(words[at + 1 :])
    return found


def where_hardening_comes_from(arguments: list[str]) -> list[str]:
    """The problems of one pip command's sources for hardening (none: it names a real place)."""
    options: dict[str, str] = {}
    requirements = []
    words = iter(arguments[1:])
    for word in words:
        name, _, value = word.partition("=")
        if word.startswith("-") and name in PIP_VALUED:
            options[name] = value or next(words)
        elif not word.startswith("-"):
            requirements.append(word)
    problems = []
    if "--extra-index-url" in options:
        problems.append("--extra-index-url lets PyPI's 'hardening' win")
    for requirement in requirements:
        if PINNED_GIT.match(requirement) or RELEASE_WHEEL.match(requirement):
            continue
        if requirement.startswith("/"):
            continue  # a wheel an earlier command fetched
        if re.match(r"^hardening\b", requirement):
            index = options.get("--index-url", options.get("-i", ""))
            if not PROJECT_REGISTRY.match(index):
                problems.append(f"{requirement} from {index or 'PyPI'}")
    return problems


def shell_of_gitlab() -> list[str]:
    """Every shell line of the pipeline (a template's once per job that extends it)."""
    return [
        str(line)
        for job in jobs_of(gitlab()).values()
        for key in ("before_script", "script")
        for line in job.get(key, [])
    ]


def shell_of_github() -> list[str]:
    return [
        str(step["run"]) for job in github_jobs().values() for step in job["steps"] if "run" in step
    ]


@pytest.mark.parametrize(
    ("example", "shell"),
    [(GITLAB, shell_of_gitlab), (GITHUB, shell_of_github)],
    ids=["gitlab", "github"],
)
def test_hardening_is_installed_from_a_place_that_holds_it(example: Path, shell: Any) -> None:
    commands = [c for script in shell() for c in pip_commands(script) if "hardening" in " ".join(c)]
    assert commands, f"{example.name} installs hardening nowhere"
    assert {p for c in commands for p in where_hardening_comes_from(c)} == set()


def test_gitlab_installs_only_hardening_from_the_registry() -> None:
    (download,) = {
        tuple(c) for s in shell_of_gitlab() for c in pip_commands(s) if c[0] == "download"
    }
    # Only hardening from the registry: its dependencies come from PyPI by name, so the
    # registry can have package forwarding turned off.
    assert "--no-deps" in download
    # The pinned-tag alternative is shown beside it.
    assert re.search(r"#\s+pip install \"git\+https://\S+@v", GITLAB.read_text(encoding="utf-8"))


def test_gitlab_release_job_publishes_the_wheel_to_the_project_registry_on_tags() -> None:
    job = jobs_of(gitlab())["hardening_release"]
    assert "python -m build" in script(job)
    registry = "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi"
    assert f'twine upload --repository-url "{registry}" dist/*' in script(job)
    assert job["variables"] == {
        "TWINE_USERNAME": "gitlab-ci-token",
        "TWINE_PASSWORD": "$CI_JOB_TOKEN",
    }
    assert creates(job["rules"], {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v0.1.0"})
    assert not creates(job["rules"], {"CI_PIPELINE_SOURCE": "push", **BRANCH})
    # Only in hardening's own repository, never publishing the project that pasted the file.
    assert job["rules"][0]["exists"] == ["hardening/cli.py"]
    assert job["needs"] == []


# --- reports, gates and the target branch's findings.json ----------------------------------


def writes_reports(job: dict[str, Any]) -> bool:
    return "hardening aggregate" in script(job) or "/artifacts/" in script(job)


def test_gitlab_report_jobs_upload_their_reports_whatever_the_result() -> None:
    jobs = jobs_of(gitlab())
    reporting = {name for name, job in jobs.items() if writes_reports(job)}
    assert reporting >= {"hardening_report", "security_sast_report", *SAST_JOBS.values()}
    for name in reporting:
        assert jobs[name]["artifacts"]["when"] == "always", name


def comments(path: Path) -> str:
    """The comment text of a YAML file, one line per comment line."""
    return "\n".join(
        line.split("#", 1)[1].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("#")
    )


def test_gitlab_says_what_the_target_branch_fetch_needs() -> None:
    job = jobs_of(gitlab())["hardening_report"]
    body = script(job)
    fetched = re.search(r"/jobs/artifacts/\"\s*f\"\{ref\}/raw/([\w/.-]+)\?job=(\w+)", body)
    assert fetched, "the job-artifacts endpoint"
    path, name = fetched.groups()
    # It asks for this job's own file, which the job keeps as an artifact.
    assert name == "hardening_report"
    assert any(path.startswith(kept) for kept in job["artifacts"]["paths"])
    text = " ".join(comments(GITLAB).split())
    assert "latest *successful* pipeline" in text
    assert "CI_JOB_TOKEN can read it on GitLab Premium and Ultimate" in text
    assert "read_api" in text and "HARDENING_ARTIFACTS_TOKEN" in body
    # The fallback is said once, when it happens.
    assert body.count("baseline only") == 1


def test_gitlab_says_what_fail_on_does_and_still_posts_the_note() -> None:
    text = " ".join(comments(GITLAB).split())
    assert "--fail-on new:high" in text and "exits 1 and the job fails" in text
    assert "`artifacts: when: always` still uploads the reports" in text
    lines = [str(line) for line in jobs_of(gitlab())["hardening_report"]["script"]]
    (at,) = [i for i, line in enumerate(lines) if "hardening aggregate" in line]
    # aggregate's exit status is kept, the note posted, then the job ends with that status.
    assert lines[at].endswith("|| status=$?") and "hardening comment" in lines[at + 1]
    assert lines[-1] == 'exit "$status"'


def test_github_workflow_runs_on_pull_requests_pushes_by_hand_and_on_schedule() -> None:
    loaded = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    triggers = loaded.get("on", loaded.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) >= {"pull_request", "push", "workflow_dispatch", "schedule"}
    assert "pull_request_target" not in triggers
    assert loaded["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
        "actions": "read",
    }


def test_github_report_uploads_run_after_a_failed_step() -> None:
    for name, job in github_jobs().items():
        for step in job["steps"]:
            uploads = re.match(
                r"actions/upload-artifact|github/codeql-action/upload-sarif",
                str(step.get("uses", "")),
            )
            # The snapshot is no report: when it fails, the scanners must not run on nothing.
            if uploads and name != "source_snapshot":
                assert re.search(r"always\(\)|!cancelled\(\)", str(step.get("if", ""))), (
                    name,
                    step,
                )


def test_github_uploads_and_comments_after_a_failed_gate() -> None:
    steps = github_jobs()["hardening"]["steps"]
    (at,) = [i for i, step in enumerate(steps) if "hardening aggregate" in str(step.get("run", ""))]
    for step in steps[at + 1 :]:
        assert re.search(r"always\(\)|!cancelled\(\)", str(step.get("if", ""))), step
    text = " ".join(comments(GITHUB).split())
    assert "--fail-on new:high" in text and "exits 1" in text


def test_github_says_what_the_base_branch_fetch_needs() -> None:
    (fetch,) = [
        s
        for s in github_jobs()["hardening"]["steps"]
        if "action-download-artifact" in str(s.get("uses"))
    ]
    assert fetch["with"]["workflow_conclusion"] == "success"
    assert fetch["with"]["name"] == "hardening-report"
    text = " ".join(comments(GITHUB).split())
    assert "latest *successful* run" in text and "actions: read" in text

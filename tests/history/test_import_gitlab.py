"""``history import-gitlab`` against a fake GitLab on 127.0.0.1: past pipelines' findings.json
artifacts recorded incrementally, expired artifacts counted, retries on 429/5xx, and the token
sent to no other host when the artifact download is redirected to object storage."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from publish_fakes import GITLAB_TOKEN, Answer, FakeServer, Recorded

from hardening.cli import cli
from hardening.history import gitlab_import, schema
from history_support import F, Pipeline, findings_json, fingerprint

PROJECT = "group/app"
ENCODED = "group%2Fapp"


@dataclass
class ObjectStorage(FakeServer):
    """Another host serving artifacts by object key (as GitLab's object storage does)."""

    objects: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        FakeServer.__init__(self)

    def dispatch(self, request: Recorded) -> Answer:
        if request.path in self.objects:
            return 200, {}, self.objects[request.path]
        return 404, {}, {"message": "NoSuchKey"}


@dataclass
class FakeGitLabPipelines(FakeServer):
    """GitLab REST v4: a project's pipelines, their jobs and job artifacts."""

    pipelines: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: dict[int, Any] = field(default_factory=dict)  # job id -> findings.json
    redirect_to: ObjectStorage | None = None
    #: Another host the pipeline listing is redirected to (a hostile or misconfigured proxy).
    listing_moved_to: FakeServer | None = None

    def __post_init__(self) -> None:
        FakeServer.__init__(self)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v4"

    def add(self, pipeline_id: int, day: int, document: Any | None, job: str = "hardening_report"):
        self.pipelines.append(
            {
                "id": pipeline_id,
                "iid": pipeline_id,
                "project_id": 42,
                "sha": f"{pipeline_id:040x}",
                "ref": "master",
                "status": "success",
                "source": "api",
                "created_at": f"2024-03-{day:02d}T09:00:00.000Z",
                "updated_at": f"2024-03-{day:02d}T09:30:00.000Z",
                "web_url": f"https://gitlab.example.com/{PROJECT}/-/pipelines/{pipeline_id}",
            }
        )
        job_id = pipeline_id * 10
        self.jobs[pipeline_id] = [
            {"id": job_id - 1, "name": "security_sast_report", "status": "success"},
            {"id": job_id, "name": job, "status": "success"},
        ]
        if document is not None:
            self.artifacts[job_id] = document

    def dispatch(self, request: Recorded) -> Answer:
        if request.headers.get("private-token") != GITLAB_TOKEN:
            return 401, {}, {"message": "401 Unauthorized"}
        base = f"/api/v4/projects/{ENCODED}"
        if request.path == f"{base}/pipelines" and self.listing_moved_to is not None:
            return 302, {"Location": f"{self.listing_moved_to.base_url}{request.path}"}, None
        if request.path == f"{base}/pipelines":
            return self._page(request, sorted(self.pipelines, key=lambda p: -p["id"]))
        match = re.fullmatch(re.escape(base) + r"/pipelines/(\d+)/jobs", request.path)
        if match:
            return 200, {}, self.jobs.get(int(match.group(1)), [])
        match = re.fullmatch(re.escape(base) + r"/jobs/(\d+)/artifacts/(.+)", request.path)
        if match:
            job_id = int(match.group(1))
            if match.group(2) != "hardening-report/findings.json" or job_id not in self.artifacts:
                return 404, {}, {"message": "404 Not Found"}
            if self.redirect_to is not None:
                key = f"/bucket/artifacts/{job_id}.json"
                self.redirect_to.objects[key] = self.artifacts[job_id]
                return (
                    302,
                    {"Location": f"{self.redirect_to.base_url}{key}?X-Amz-Signature=s"},
                    None,
                )
            return 200, {}, self.artifacts[job_id]
        return 404, {}, {"message": "404 Project Not Found"}

    def _page(self, request: Recorded, items: list[dict[str, Any]]) -> Answer:
        per_page = int(request.query.get("per_page", 20))
        page = int(request.query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items))}
        if page * per_page < len(items):
            headers["X-Next-Page"] = str(page + 1)
            query = "&".join(f"{k}={v}" for k, v in {**request.query, "page": page + 1}.items())
            headers["Link"] = f'<{self.base_url}{request.path}?{query}>; rel="next"'
        return 200, headers, chunk


def document(*numbers: int) -> Any:
    return json.loads(findings_json(Pipeline([F(fingerprint(n)) for n in numbers])))


def run_import(gitlab: FakeGitLabPipelines, db: str, *extra: str) -> tuple[int, str]:
    env = {
        "CI_API_V4_URL": gitlab.api_url,
        "CI_PROJECT_PATH": PROJECT,
        "CI_COMMIT_REF_NAME": "master",
        "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
        "GITLAB_TOKEN": None,
        "REQUESTS_CA_BUNDLE": None,
    }
    result = CliRunner().invoke(
        cli, ["history", "import-gitlab", "--db", db, *extra], env=env, catch_exceptions=False
    )
    return result.exit_code, result.output


def recorded(db: str) -> list[tuple[str, str, str]]:
    engine = schema.open_engine(db)
    with engine.connect() as connection:
        rows = connection.execute(
            schema.pipelines.select().order_by(schema.pipelines.c.created)
        ).all()
    engine.dispose()
    return [(r.pipeline, r.created, r.commit_sha[-4:]) for r in rows]


def test_backfills_the_last_pipelines_and_counts_missing_artifacts(db_url: str, tmp_path: Path):
    gitlab = FakeGitLabPipelines()
    gitlab.add(11, 1, document(1, 2))
    gitlab.add(12, 2, None)  # artifact expired
    gitlab.add(13, 3, document(1), job="other_job")  # no hardening_report job
    gitlab.add(14, 4, document(1, 3))
    with gitlab.running():
        code, out = run_import(gitlab, db_url)
    assert code == 0, out
    assert out.splitlines()[-1] == (
        "import-gitlab group/app on master: 2 recorded, 0 already recorded, 1 without the job, "
        "1 with the artifact expired or missing"
    )
    assert recorded(db_url) == [
        ("11", "2024-03-01T09:00:00.000000Z", "000b"),
        ("14", "2024-03-04T09:00:00.000000Z", "000e"),
    ]


def test_pipelines_already_recorded_are_skipped(sqlite_url: str):
    gitlab = FakeGitLabPipelines()
    gitlab.add(11, 1, document(1))
    gitlab.add(12, 2, document(2))
    with gitlab.running():
        assert run_import(gitlab, sqlite_url)[0] == 0
        gitlab.add(13, 3, document(3))
        gitlab.requests.clear()
        code, out = run_import(gitlab, sqlite_url)
    assert code == 0, out
    assert "1 recorded, 2 already recorded" in out
    artifact_calls = [r.path for r in gitlab.requests if "/artifacts/" in r.path]
    assert artifact_calls == [
        f"/api/v4/projects/{ENCODED}/jobs/130/artifacts/hardening-report/findings.json"
    ]


def test_last_n_reads_only_the_newest_pipelines_across_pages(sqlite_url: str):
    gitlab = FakeGitLabPipelines()
    for n in range(1, 8):
        gitlab.add(100 + n, n, document(n))
    with gitlab.running():
        code, out = run_import(gitlab, sqlite_url, "--last", "3")
    assert code == 0, out
    assert [p for p, _, _ in recorded(sqlite_url)] == ["105", "106", "107"]


def import_with_another_host(db: str, **redirects: ObjectStorage) -> tuple[int, str]:
    """One pipeline's import from a GitLab that sends some requests to a second server
    (``redirects``: the FakeGitLabPipelines fields naming it)."""
    (elsewhere,) = redirects.values()
    gitlab = FakeGitLabPipelines(**redirects)
    gitlab.add(11, 1, document(1))
    with elsewhere.running(), gitlab.running():
        return run_import(gitlab, db)


def test_a_redirect_to_object_storage_is_followed_without_the_token(sqlite_url: str):
    storage = ObjectStorage()
    code, out = import_with_another_host(sqlite_url, redirect_to=storage)
    assert code == 0, out
    assert "1 recorded" in out
    assert [r.path for r in storage.requests] == ["/bucket/artifacts/110.json"]
    sent = json.dumps([r.headers for r in storage.requests])
    assert GITLAB_TOKEN not in sent
    assert "private-token" not in sent.lower()


def test_an_api_call_redirected_to_another_host_is_not_followed(sqlite_url: str):
    elsewhere = ObjectStorage()
    code, out = import_with_another_host(sqlite_url, listing_moved_to=elsewhere)
    assert code == 2, out
    assert out.count("\n") == 1, out
    assert "redirected" in out and "not followed" in out, out
    assert GITLAB_TOKEN not in out
    # Nothing reached the other host: not the token, not even the request.
    assert elsewhere.requests == []


def test_429_and_503_are_retried(sqlite_url: str):
    gitlab = FakeGitLabPipelines()
    gitlab.add(11, 1, document(1))
    gitlab.fail(429, headers={"Retry-After": "0"})
    gitlab.fail(503)  # retried after the first backoff (1 s)
    with gitlab.running():
        code, out = run_import(gitlab, sqlite_url)
    assert code == 0, out
    assert "1 recorded" in out
    assert [r.path for r in gitlab.requests[:3]] == [f"/api/v4/projects/{ENCODED}/pipelines"] * 3


def test_a_bad_token_is_one_line_without_the_token(sqlite_url: str):
    gitlab = FakeGitLabPipelines()
    gitlab.add(11, 1, document(1))
    with gitlab.running():
        env = {
            "CI_API_V4_URL": gitlab.api_url,
            "CI_PROJECT_PATH": PROJECT,
            "CI_COMMIT_REF_NAME": "master",
            "HARDENING_GITLAB_TOKEN": "glpat-wrongwrongwrong12345",
        }
        result = CliRunner().invoke(
            cli, ["history", "import-gitlab", "--db", sqlite_url], env=env, catch_exceptions=False
        )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith("hardening: error: GitLab API (")
    assert "HTTP 401" in result.output
    assert "glpat-wrong" not in result.output


def test_no_token_is_one_line(sqlite_url: str):
    result = CliRunner().invoke(
        cli,
        ["history", "import-gitlab", "--db", sqlite_url],
        env={
            "CI_API_V4_URL": "http://127.0.0.1:9/api/v4",
            "HARDENING_GITLAB_TOKEN": None,
            "GITLAB_TOKEN": None,
        },
        catch_exceptions=False,
    )
    assert (result.exit_code, result.output) == (
        2,
        "hardening: error: no token: set HARDENING_GITLAB_TOKEN (or GITLAB_TOKEN) to a project "
        "access token with the read_api scope\n",
    )


def test_an_unreadable_artifact_is_a_warning_not_fatal(sqlite_url: str):
    gitlab = FakeGitLabPipelines()
    gitlab.add(11, 1, {"schema_version": 2, "entries": {}})
    gitlab.add(12, 2, document(1))
    with gitlab.running():
        result = CliRunner().invoke(
            cli,
            ["history", "import-gitlab", "--db", sqlite_url],
            env={
                "CI_API_V4_URL": gitlab.api_url,
                "CI_PROJECT_PATH": PROJECT,
                "CI_COMMIT_REF_NAME": "master",
                "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
            },
            catch_exceptions=False,
        )
    assert result.exit_code == 0
    assert "1 recorded" in result.stdout and "1 unreadable" in result.stdout
    assert result.stderr == (
        "hardening: warning: pipeline 11 hardening-report/findings.json: not a hardening "
        "findings.json\n"
    )


def test_the_ca_bundle_is_the_option_then_requests_then_the_runners() -> None:
    both = {"REQUESTS_CA_BUNDLE": "b.pem", "CI_SERVER_TLS_CA_FILE": "c.pem"}
    assert gitlab_import.ca_bundle("a.pem", both) == "a.pem"
    assert gitlab_import.ca_bundle(None, both) == "b.pem"
    assert gitlab_import.ca_bundle(None, {"CI_SERVER_TLS_CA_FILE": "c.pem"}) == "c.pem"
    assert gitlab_import.ca_bundle(None, {}) is True

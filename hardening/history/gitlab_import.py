"""``history import-gitlab``: backfill the history from the findings.json artifacts of past
pipelines, through the GitLab API (python-gitlab), incrementally.

The token rules and retries are those of ``comment``: ``HARDENING_GITLAB_TOKEN`` or
``GITLAB_TOKEN``, python-gitlab's own retry loop off, 429 and 5xx retried with backoff
within one time budget.  An artifact download is answered by a redirect to object storage
on most GitLab installations: it is followed with the token only on the API's own host
(scheme, host and port), and without it anywhere else.  Every other call is an API call made
through python-gitlab on a ``HomeSession``: a redirect to another origin is not followed (the
token stays home) and ends the import with one line.  Expired or missing artifacts are
counted, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import gitlab
import orjson
import requests
from gitlab.exceptions import GitlabError
from sqlalchemy import Engine, select

from hardening import __version__
from hardening.history import schema, store
from hardening.history.source import HistoryError, normalize_time, parse_document
from hardening.publish.gitlab import NO_RETRY, failure
from hardening.publish.http_session import HomeSession, OffHome
from hardening.publish.interface import (
    ApiError,
    Retrier,
    RetryPolicy,
    network_failure,
    server_detail,
)

T = TypeVar("T")
_MAX_REDIRECTS = 5
#: Artifacts larger than this are not read (a findings.json of a million findings is ~1 GB).
MAX_ARTIFACT_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class ImportRequest:
    project: str | None = None
    ref: str | None = None
    last: int = 50
    job: str = "hardening_report"
    artifact: str = "hardening-report/findings.json"
    timeout: float = 30.0
    verify: bool | str = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def ca_bundle(ca_file: str | None, env: Mapping[str, str]) -> bool | str:
    """``verify`` for the GitLab connection: ``--ca-file``, else REQUESTS_CA_BUNDLE, else the
    runner's CI_SERVER_TLS_CA_FILE (a self-managed GitLab), else the system's CAs."""
    names = ("REQUESTS_CA_BUNDLE", "CI_SERVER_TLS_CA_FILE")
    return ca_file or next((v for v in map(env.get, names) if v), True)


@dataclass
class ImportOutcome:
    recorded: int = 0
    already: int = 0
    no_job: int = 0
    missing_artifact: int = 0  # expired, not kept, or not at that path
    unreadable: list[str] = field(default_factory=list)

    def message(self, project: str, ref: str) -> str:
        parts = [f"{self.recorded} recorded", f"{self.already} already recorded"]
        if self.no_job:
            parts.append(f"{self.no_job} without the job")
        if self.missing_artifact:
            parts.append(f"{self.missing_artifact} with the artifact expired or missing")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} unreadable")
        return f"import-gitlab {project} on {ref}: " + ", ".join(parts)


@dataclass(frozen=True)
class _Server:
    api_url: str
    token: str


def server_from(env: Mapping[str, str]) -> _Server:
    api_url = env.get("CI_API_V4_URL", "").strip().rstrip("/")
    if not api_url:
        raise HistoryError("CI_API_V4_URL is not set: import-gitlab runs in a GitLab CI job")
    token = env.get("HARDENING_GITLAB_TOKEN", "").strip() or env.get("GITLAB_TOKEN", "").strip()
    if not token:
        raise HistoryError(
            "no token: set HARDENING_GITLAB_TOKEN (or GITLAB_TOKEN) to a project access token "
            "with the read_api scope"
        )
    return _Server(api_url, token)


class _GitLab:
    def __init__(self, server: _Server, request: ImportRequest) -> None:
        self._server = server
        self._request = request
        self._retrier = Retrier(request.retry)
        # python-gitlab sends PRIVATE-TOKEN, which requests would carry along a redirect to
        # any host: a HomeSession refuses a redirect that leaves the API's origin.
        self._session = _session(OffHome.refuse)
        # An artifact download is redirected to object storage: followed, without the token.
        self._downloads = _session(OffHome.without_credentials)
        self._downloads.max_redirects = _MAX_REDIRECTS
        self._gl = gitlab.Gitlab(
            url=server.api_url.removesuffix("/api/v4"),
            private_token=server.token,
            ssl_verify=request.verify,
            timeout=request.timeout,
            user_agent=f"hardening/{__version__}",
            keep_base_url=True,
            session=self._session,
        )

    def call(self, action: str, operation: Callable[[], T]) -> T:
        return self._retrier.call(action, lambda: self._once(operation))

    def _once(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except GitlabError as exc:
            raise failure(exc) from None
        except requests.RequestException as exc:
            raise network_failure(exc) from None

    def pipelines(self, project: str, ref: str, last: int) -> list[dict[str, Any]]:
        manager = self._gl.projects.get(project, lazy=True).pipelines
        found = self.call(
            "listing pipelines",
            lambda: manager.list(
                ref=ref,
                order_by="id",
                sort="desc",
                per_page=min(last, 100),
                iterator=True,
                **NO_RETRY,
            ),
        )
        result: list[dict[str, Any]] = []
        iterator = iter(found)
        while len(result) < last:
            item = self.call("listing pipelines", lambda: next(iterator, None))
            if item is None:
                break
            result.append(item.attributes)
        return result

    def pipeline(self, project: str, pipeline_id: int) -> dict[str, Any]:
        manager = self._gl.projects.get(project, lazy=True).pipelines
        found = self.call("reading a pipeline", lambda: manager.get(pipeline_id, **NO_RETRY))
        return dict(found.attributes)

    def job(self, project: str, pipeline_id: int, name: str) -> dict[str, Any] | None:
        jobs = self._gl.projects.get(project, lazy=True).pipelines.get(pipeline_id, lazy=True).jobs
        found = self.call(
            "listing jobs",
            lambda: jobs.list(get_all=True, per_page=100, include_retried=False, **NO_RETRY),
        )
        named = [job.attributes for job in found if job.attributes.get("name") == name]
        return max(named, key=lambda job: int(job["id"])) if named else None

    def artifact(self, project: str, job_id: int, path: str) -> bytes | None:
        """The artifact's bytes, or None when GitLab has none at that path (expired, not
        kept, or never written)."""
        url = (
            f"{self._server.api_url}/projects/{quote(project, safe='')}/jobs/{job_id}/artifacts/"
            + quote(path)
        )
        return self.call("downloading an artifact", lambda: self._download(url))

    def _download(self, url: str) -> bytes | None:
        try:
            response = self._downloads.get(
                url,
                headers={"PRIVATE-TOKEN": self._server.token},
                timeout=self._request.timeout,
                verify=self._request.verify,
                stream=True,
            )
        except requests.RequestException as exc:
            raise network_failure(exc) from None
        with response:
            if response.status_code in (404, 410):
                return None
            if response.status_code >= 400:
                raise ApiError(response.status_code, server_detail(response.text[:300]))
            data = response.raw.read(MAX_ARTIFACT_BYTES + 1, decode_content=True)
            if len(data) > MAX_ARTIFACT_BYTES:
                raise ApiError(None, "the artifact is larger than 2 GiB", retryable=False)
            return bytes(data)


def _session(off_home: OffHome) -> HomeSession:
    session = HomeSession(off_home=off_home)
    session.headers["User-Agent"] = f"hardening/{__version__}"
    return session


def _recorded(engine: Engine, project: str, ids: list[str]) -> set[str]:
    with schema.transaction(engine) as connection:
        if not connection.dialect.has_table(connection, schema.pipelines.name):
            return set()
        rows = connection.execute(
            select(schema.pipelines.c.pipeline)
            .select_from(schema.pipelines.join(schema.projects))
            .where(schema.projects.c.name == project, schema.pipelines.c.pipeline.in_(ids))
        )
        return {row[0] for row in rows}


def backfill(
    engine: Engine,
    request: ImportRequest,
    env: Mapping[str, str],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ImportOutcome, str, str]:
    """Record the last N pipelines of the project and ref not yet in the database."""
    from hardening.history.api import project_of, ref_of

    server = server_from(env)
    project = project_of(request.project, env)
    ref = ref_of(request.ref, env)
    client = _GitLab(server, request)
    outcome = ImportOutcome()
    try:
        pipelines = client.pipelines(project, ref, request.last)
        schema.ensure_schema(engine)
        done = _recorded(engine, project, [str(p["id"]) for p in pipelines])
        todo = [p for p in pipelines if str(p["id"]) not in done]
        outcome.already = len(pipelines) - len(todo)
        for index, pipeline in enumerate(reversed(todo)):
            _import_one(client, engine, project, ref, pipeline, request, outcome)
            if progress is not None:
                progress(index + 1, len(todo))
    except ApiError as exc:
        raise HistoryError(f"GitLab API ({server.api_url}) while {exc.action}: {exc}") from None
    return outcome, project, ref


def _import_one(
    client: _GitLab,
    engine: Engine,
    project: str,
    ref: str,
    pipeline: dict[str, Any],
    request: ImportRequest,
    outcome: ImportOutcome,
) -> None:
    pipeline_id = int(pipeline["id"])
    job = client.job(project, pipeline_id, request.job)
    if job is None:
        outcome.no_job += 1
        return
    data = client.artifact(project, int(job["id"]), request.artifact)
    if data is None:
        outcome.missing_artifact += 1
        return
    origin = f"pipeline {pipeline_id} {request.artifact}"
    try:
        run = parse_document(orjson.loads(data), origin)
    except orjson.JSONDecodeError:
        outcome.unreadable.append(f"{origin}: not valid JSON")
        return
    except HistoryError as exc:
        outcome.unreadable.append(str(exc))
        return
    created = pipeline.get("created_at")
    if not created:
        created = client.pipeline(project, pipeline_id).get("created_at")
    info = store.PipelineInfo(
        project=project,
        ref=ref,
        pipeline=str(pipeline_id),
        commit=str(pipeline.get("sha") or ""),
        created=normalize_time(str(created))
        if created
        else run.created or normalize_time("1970-01-01"),
    )
    result = store.record(engine, info, run)
    if result.recorded:
        outcome.recorded += 1
    else:
        outcome.already += 1

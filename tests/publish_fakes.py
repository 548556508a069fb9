"""Fake GitLab and GitHub servers for the comment bot's tests, on 127.0.0.1 only.

Each fake implements the few endpoints the bot uses, with the JSON shapes and pagination
headers of the platforms' API documentation, keeps its notes in memory and records every
request.  ``fail()`` queues canned error answers (429, 503, 403, ...) ahead of the real ones.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hardening.publish.interface import CommentOptions, RetryPolicy
from hardening.render.markdown import MARKER

GITLAB_TOKEN = "glpat-Xq3vT9mK2pL7wR4nB8cZ"
GITHUB_TOKEN = "ghs_" + "k3Jd9QmZp2Lx7Vt4Rb8Nc1Hw6Ys0Ea5Fg3Ui"
OWNER = {"id": 501, "username": "project_42_bot_1f2e", "name": "hardening bot"}
SOMEONE_ELSE = {"id": 77, "username": "alice", "name": "Alice"}

_START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class _Canned:
    status: int
    headers: dict[str, str]
    body: Any
    method: str | None
    #: The request is handled first (a note stored), then answered with this error instead.
    after_handling: bool = False


Answer = tuple[int, dict[str, str], Any]


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def policy(self, budget: float = 30.0, first_delay: float = 0.5) -> RetryPolicy:
        return RetryPolicy(
            budget=budget,
            first_delay=first_delay,
            max_delay=4.0,
            sleep=self.sleep,
            clock=self.clock,
        )


class FakeServer:
    """Serves ``dispatch()`` over HTTP(S) on 127.0.0.1 and records every request."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._canned: list[_Canned] = []
        self._lock = threading.Lock()
        self.base_url = ""

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        after_handling: bool = False,
    ) -> None:
        """Answer the next ``times`` requests (of ``method``, if given) with this error; with
        ``after_handling``, each is handled first (what it writes is stored) all the same."""
        payload = body if body is not None else {"message": f"{status} canned error"}
        for _ in range(times):
            self._canned.append(
                _Canned(status, headers or {}, payload, method, after_handling=after_handling)
            )

    def redirect(self, status: int, location: str, *, method: str | None = None) -> None:
        """Answer the next request (of ``method``, if given) with a redirect to ``location``."""
        self.fail(status, method=method, headers={"Location": location}, body={})

    def answer(self, status: int, body: Any, *, method: str | None = None) -> None:
        """Answer the next request (of ``method``, if given) with this status and JSON body."""
        self.fail(status, method=method, body=body)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    @contextmanager
    def running(self, tls: ssl.SSLContext | None = None) -> Iterator[FakeServer]:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        httpd.daemon_threads = True
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.base_url = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
        thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)

    def handle(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
            for index, canned in enumerate(self._canned):
                if canned.method in (None, request.method):
                    del self._canned[index]
                    if canned.after_handling:
                        self.dispatch(request)
                    return canned.status, canned.headers, canned.body
            return self.dispatch(request)

    def dispatch(self, request: Recorded) -> Answer:
        raise NotImplementedError


class Elsewhere(FakeServer):
    """Another host: records what reaches it and answers like a willing platform (a note
    created, an empty list), so a client that followed a redirect here would think it
    succeeded."""

    def dispatch(self, request: Recorded) -> Answer:
        if request.method == "GET":
            return 200, {}, []
        body = request.body if isinstance(request.body, dict) else {}
        return 201, {}, {"id": 1, "body": body.get("body", ""), "created_at": "2024-03-01"}


@contextmanager
def dripping_server(head: bytes | None = None) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every request one byte a second, forever; yields
    its base URL.  ``head`` is sent at once first (status line and headers), when given."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.5)
            with contextlib.suppress(OSError):
                conn.recv(65536)
                if head is not None:
                    conn.sendall(head)
                while not stop.wait(1.0):
                    conn.sendall(b"x" if head is not None else b"H")

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else None,
            )
            status, headers, payload = fake.handle(request)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _timestamp(moment: datetime, *, millis: bool) -> str:
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _page_window(query: dict[str, str], default: int, cap: int) -> tuple[int, int]:
    per_page = min(int(query.get("per_page", default)), cap)
    page = max(1, int(query.get("page", 1)))
    return page, per_page


def _link_header(url: str, query: dict[str, str], pages: dict[str, int]) -> str:
    links = []
    for rel, number in pages.items():
        links.append(f'<{url}?{urlencode({**query, "page": number})}>; rel="{rel}"')
    return ", ".join(links)


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, Path] | None:
    """A server TLS context for 127.0.0.1 and the CA file that trusts it (None: no openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    key, cert = directory / "server.key", directory / "server.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


# --- GitLab ----------------------------------------------------------------------------------


@dataclass
class FakeGitLab(FakeServer):
    """GitLab REST v4: the current user and one merge request's notes."""

    project_id: str = "42"
    mr_iid: int = 7
    token: str = GITLAB_TOKEN
    user: dict[str, Any] = field(default_factory=lambda: dict(OWNER))
    max_per_page: int = 100
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        FakeServer.__init__(self)
        self._next_id = 1000
        self._tick = 0

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v4"

    def add_note(
        self,
        body: str,
        *,
        author: dict[str, Any] | None = None,
        created_at: str | None = None,
        note_id: int | None = None,
        system: bool = False,
    ) -> dict[str, Any]:
        note_id = note_id if note_id is not None else self._new_id()
        who = author if author is not None else self.user
        moment = created_at or self._now()
        note = {
            "id": note_id,
            "type": None,
            "body": body,
            "attachment": None,
            "author": {
                **who,
                "state": "active",
                "avatar_url": None,
                "web_url": f"https://gitlab.example.com/{who['username']}",
            },
            "created_at": moment,
            "updated_at": moment,
            "system": system,
            "noteable_id": 9001,
            "noteable_type": "MergeRequest",
            "project_id": int(self.project_id),
            "noteable_iid": self.mr_iid,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "imported": False,
            "imported_from": "none",
        }
        self.notes[note_id] = note
        return note

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _now(self) -> str:
        self._tick += 1
        return _timestamp(_START + timedelta(minutes=self._tick), millis=True)

    def dispatch(self, request: Recorded) -> Answer:
        if request.headers.get("private-token") != self.token:
            return 401, {}, {"message": "401 Unauthorized"}
        if request.path == "/api/v4/user" and request.method == "GET":
            return 200, {}, self._current_user()
        notes_path = f"/api/v4/projects/{self.project_id}/merge_requests/{self.mr_iid}/notes"
        if request.path == notes_path:
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return 201, {}, self.add_note(str(request.body["body"]))
        match = re.fullmatch(re.escape(notes_path) + r"/(\d+)", request.path)
        if match:
            return self._one(request, int(match.group(1)))
        if request.path.startswith("/api/v4/projects/"):
            return 404, {}, {"message": "404 Project Not Found"}
        return 404, {}, {"error": "404 Not Found"}

    def _current_user(self) -> dict[str, Any]:
        return {
            **self.user,
            "state": "active",
            "bot": True,
            "web_url": f"{self.base_url}/{self.user['username']}",
            "avatar_url": None,
        }

    def _list(self, request: Recorded) -> Answer:
        reverse = request.query.get("sort", "desc") == "desc"
        key = request.query.get("order_by", "created_at")
        ordered = sorted(self.notes.values(), key=lambda n: (n[key], n["id"]), reverse=reverse)
        page, per_page = _page_window(request.query, 20, self.max_per_page)
        total_pages = max(1, -(-len(ordered) // per_page))
        items = ordered[(page - 1) * per_page : page * per_page]
        url = f"{self.base_url}{request.path}"
        rels = {"first": 1, "last": total_pages}
        if page < total_pages:
            rels["next"] = page + 1
        if page > 1:
            rels["prev"] = page - 1
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < total_pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(ordered)),
            "X-Total-Pages": str(total_pages),
            "Link": _link_header(url, {**request.query, "per_page": str(per_page)}, rels),
        }
        return 200, headers, items

    def _one(self, request: Recorded, note_id: int) -> Answer:
        note = self.notes.get(note_id)
        if note is None:
            return 404, {}, {"message": "404 Not found"}
        if request.method == "PUT":
            note["body"] = str(request.body["body"])
            note["updated_at"] = self._now()
            return 200, {}, note
        if request.method == "DELETE":
            del self.notes[note_id]
            return 204, {}, None
        return 405, {}, {"message": "405 Method Not Allowed"}


# --- GitHub ----------------------------------------------------------------------------------


@dataclass
class FakeGitHub(FakeServer):
    """GitHub REST: one pull request's issue comments."""

    repository: str = "acme/payments-api"
    number: int = 12
    token: str = GITHUB_TOKEN
    max_per_page: int = 100
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        FakeServer.__init__(self)
        self._next_id = 2_000_000
        self._tick = 0

    def add_comment(
        self,
        body: str,
        *,
        login: str = "github-actions[bot]",
        created_at: str | None = None,
        comment_id: int | None = None,
    ) -> dict[str, Any]:
        if comment_id is None:
            self._next_id += 1
            comment_id = self._next_id
        moment = created_at or self._now()
        repo_api = f"{self.base_url}/repos/{self.repository}"
        comment = {
            "id": comment_id,
            "node_id": f"IC_kwDO{comment_id}",
            "url": f"{repo_api}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{self.repository}/pull/{self.number}"
            f"#issuecomment-{comment_id}",
            "body": body,
            "user": {
                "login": login,
                "id": 41898282 if login == "github-actions[bot]" else 1234,
                "node_id": "MDM6Qm90NDE4OTgyODI=",
                "type": "Bot" if login.endswith("[bot]") else "User",
                "site_admin": False,
            },
            "created_at": moment,
            "updated_at": moment,
            "issue_url": f"{repo_api}/issues/{self.number}",
            "author_association": "NONE",
            "performed_via_github_app": None,
        }
        self.comments[comment_id] = comment
        return comment

    def _now(self) -> str:
        self._tick += 1
        return _timestamp(_START + timedelta(minutes=self._tick), millis=False)

    def dispatch(self, request: Recorded) -> Answer:
        if request.headers.get("authorization") not in (
            f"Bearer {self.token}",
            f"token {self.token}",
        ):
            return 401, {}, {"message": "Bad credentials", "status": "401"}
        repo = f"/repos/{self.repository}"
        if request.path == f"{repo}/issues/{self.number}/comments":
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return 201, {}, self.add_comment(str(request.body["body"]))
        match = re.fullmatch(re.escape(f"{repo}/issues/comments/") + r"(\d+)", request.path)
        if match:
            return self._one(request, int(match.group(1)))
        return 404, {}, {"message": "Not Found", "status": "404"}

    def _list(self, request: Recorded) -> Answer:
        ordered = sorted(self.comments.values(), key=lambda c: (c["created_at"], c["id"]))
        page, per_page = _page_window(request.query, 30, self.max_per_page)
        last = max(1, -(-len(ordered) // per_page))
        rels: dict[str, int] = {}
        if page < last:
            rels.update(next=page + 1, last=last)
        if page > 1:
            rels.update(prev=page - 1, first=1)
        headers = {}
        if rels:
            url = f"{self.base_url}{request.path}"
            headers["Link"] = _link_header(url, request.query, rels)
        return 200, headers, ordered[(page - 1) * per_page : page * per_page]

    def _one(self, request: Recorded, comment_id: int) -> Answer:
        comment = self.comments.get(comment_id)
        if comment is None:
            return 404, {}, {"message": "Not Found", "status": "404"}
        if request.method == "PATCH":
            comment["body"] = str(request.body["body"])
            comment["updated_at"] = self._now()
            return 200, {}, comment
        if request.method == "DELETE":
            del self.comments[comment_id]
            return 204, {}, None
        return 405, {}, {"message": "Method Not Allowed"}


def merge_request_env(fake: FakeGitLab) -> dict[str, str]:
    """The CI variables of a GitLab merge-request pipeline that posts to ``fake``."""
    return {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": fake.api_url,
        "CI_PROJECT_ID": fake.project_id,
        "CI_MERGE_REQUEST_IID": str(fake.mr_iid),
        "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
    }


#: ``options(**changes)``: the comment options of a test, retrying on its fake clock.
OptionsFactory = Callable[..., CommentOptions]


def summary(text: str = "2 new high") -> Callable[[int], str]:
    """A renderer of a short summary with the marker, whatever the budget."""
    return lambda max_chars: f"{MARKER}\n## Hardening summary\n\n{text}\n"


def changed(env: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    """``env`` with ``changes``: a value sets a variable, None unsets it."""
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env

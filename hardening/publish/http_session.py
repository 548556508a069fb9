"""HTTP for every call hardening makes: a credential never leaves the origin it was sent to.

requests follows redirects and strips only ``Authorization`` when the host changes, so a
``PRIVATE-TOKEN`` header (python-gitlab's) would follow a 302 or 307 to any host the server
names, and a 307 would carry the body of a POST there too.  ``HomeSession`` follows a
redirect only when

- the request reads (GET or HEAD): a redirected write fails with ``RedirectRefused`` before
  anything is sent to the new location, wherever it points;
- the new location has the same origin (scheme, host and port), or the session was made with
  ``off_home=OffHome.without_credentials``: then the request goes on with every credential
  header removed (``Authorization``, ``PRIVATE-TOKEN``, ``JOB-TOKEN``, cookies, API keys: any
  header whose name says it carries one).  That is for downloads: GitLab answers an artifact
  download with a redirect to object storage, which needs no token and must not see one.

A session may also be given a ``Deadline``: each request, its redirects and its body included,
then ends when the deadline passes, even against a server that drips one byte a second
(socket timeouts bound each read, not their sum): a watchdog shuts the connection's socket.

``hardening comment`` (GitLab and GitHub) and ``hardening history import-gitlab`` make every
call through a ``HomeSession``: API calls refuse a redirect off their origin, the artifact
download follows one without credentials.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

#: Header names that carry a credential: removed before a request leaves its origin.
CREDENTIAL_HEADER = re.compile(
    r"(?i)authori[sz]ation|cookie|token|api[-_]?key|secret|session|passw|credential|signature"
)
_READS = frozenset({"GET", "HEAD"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OffHome(StrEnum):
    """What a read does when redirected to another origin."""

    refuse = "refuse"  # fail with RedirectRefused (API calls: the answer would be meaningless)
    without_credentials = "without_credentials"  # follow, no credential header (downloads)


class RedirectRefused(requests.RequestException):
    """A redirect that was not followed; ``reason`` is one sentence without the URL's path or
    query (a signed URL carries credentials of its own)."""

    def __init__(self, reason: str, *, status: int, method: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.method = method


class DeadlineExceeded(requests.Timeout):
    """The request was cut off because the run's deadline passed."""


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, the default port spelled out: what "home" means."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or _DEFAULT_PORTS.get(scheme)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


@dataclass
class Deadline:
    """A point in time every request of a run must end by."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    _end: float = field(init=False)

    def __post_init__(self) -> None:
        self._end = self.clock() + self.seconds

    def remaining(self) -> float:
        return self._end - self.clock()


class HomeSession(requests.Session):
    """A requests session whose credentials stay on their origin (see the module's docstring)."""

    def __init__(
        self, *, off_home: OffHome = OffHome.refuse, deadline: Deadline | None = None
    ) -> None:
        super().__init__()
        self.off_home = off_home
        self.deadline = deadline
        self._adapter = _WatchedAdapter()
        self.mount("http://", self._adapter)
        self.mount("https://", self._adapter)

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        previous = response.request
        method = (previous.method or "GET").upper()
        source, target = origin(previous.url or ""), origin(prepared_request.url or "")
        if method not in _READS:
            raise RedirectRefused(
                f"the server answered the {method} with a redirect (HTTP "
                f"{response.status_code}) to {target}; a write is never redirected, so "
                "nothing was sent there",
                status=response.status_code,
                method=method,
            )
        if source != target:
            if self.off_home is OffHome.refuse:
                raise RedirectRefused(
                    f"the server redirected the request (HTTP {response.status_code}) from "
                    f"{source} to {target}; the token is only sent to {source}, so it was not "
                    "followed",
                    status=response.status_code,
                    method=method,
                )
            headers = prepared_request.headers
            for name in [name for name in headers if CREDENTIAL_HEADER.search(name)]:
                del headers[name]
            prepared_request.prepare_cookies(requests.cookies.RequestsCookieJar())
            headers.pop("Cookie", None)
            return  # no netrc credentials picked up for a host nobody configured here
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self.deadline is None:
            return super().request(method, url, *args, **kwargs)
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise DeadlineExceeded("the deadline passed before the request was sent")
        timeout = kwargs.get("timeout")
        if isinstance(timeout, int | float):
            kwargs["timeout"] = min(float(timeout), remaining)
        elif timeout is None:
            kwargs["timeout"] = remaining
        fired = threading.Event()

        def cut() -> None:
            fired.set()
            self._adapter.shut_connections()

        watchdog = threading.Timer(remaining, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.RequestException:
            if fired.is_set():
                raise DeadlineExceeded(
                    "the server had not finished answering when the deadline passed"
                ) from None
            raise
        finally:
            watchdog.cancel()


class _WatchedAdapter(HTTPAdapter):
    """An adapter that remembers its open connections, so a watchdog can shut them."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = self._pool_classes()
        return manager

    def _pool_classes(self) -> dict[str, type[HTTPConnectionPool]]:
        remember = self._open.add

        class Connection(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                remember(self)

        class SecureConnection(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                remember(self)

        class Pool(HTTPConnectionPool):
            ConnectionCls = Connection

        class SecurePool(HTTPSConnectionPool):
            ConnectionCls = SecureConnection

        return {"http": Pool, "https": SecurePool}

    def shut_connections(self) -> None:
        for connection in list(self._open):
            sock = getattr(connection, "sock", None)
            if sock is None:
                continue
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

"""Scan targets: what one scanner run looked at, named the same way by every parser.

A baseline finding is fixed only when today's run scanned its target (see ``diff``), so
two reports of one target must name it alike, whatever their format: a site is
``scheme://host:port`` with the port written out, an API base URL adds its path, a local path
is cleaned like a finding's path.  No name keeps credentials, a query or a fragment.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from hardening.paths import clean

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts


def _origin(parts: SplitResult) -> str:
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def site(url: str) -> str | None:
    """A DAST site, ``scheme://host:port`` (``https://Shop.test/a`` -> ``https://shop.test:443``);
    None when ``url`` names no host."""
    parts = _split(url)
    return _origin(parts) if parts is not None else None


def url(value: str) -> str | None:
    """An API base URL or a remote repository: its site and path, without a trailing slash
    (``http://user:pw@API.test/v1/?k=1`` -> ``http://api.test:80/v1``); None when ``value``
    names no host."""
    parts = _split(value)
    if parts is None:
        return None
    return _origin(parts) + parts.path.rstrip("/")


def path(raw: str) -> str | None:
    """A scanned folder or file, cleaned like a finding's path (``./app/`` -> ``app``, the
    current folder ``.``); None when empty."""
    if not raw.strip():
        return None
    cleaned = clean(raw)
    if not cleaned:
        return "."  # "./"
    stripped = cleaned.rstrip("/")
    if not stripped:
        return "/"
    return "." if stripped == "." else stripped

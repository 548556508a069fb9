"""The only external links hardening writes: advisory pages it builds from identifiers, and
the project's own files under the link base (the forge's file view at the scanned commit); and
the place outputs give a package finding that has no file."""

from __future__ import annotations

import re
from urllib.parse import quote

from hardening.model import Component

_PATTERNS = (
    (re.compile(r"^CVE-\d{4}-\d{4,}$"), "https://nvd.nist.gov/vuln/detail/{id}"),
    (re.compile(r"^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$"), "https://github.com/advisories/{id}"),
    (re.compile(r"^GO-\d{4}-\d{4,}$"), "https://pkg.go.dev/vuln/{id}"),
)
_CWE = re.compile(r"^CWE-(\d{1,5})$")


def advisory_url(identifier: str) -> str | None:
    """The advisory page for a CVE, GHSA, GO- or CWE identifier; None for anything else."""
    for pattern, template in _PATTERNS:
        if pattern.fullmatch(identifier):
            return template.format(id=identifier)
    match = _CWE.fullmatch(identifier)
    if match:
        return f"https://cwe.mitre.org/data/definitions/{match.group(1)}.html"
    return None


_LINK_BASE = re.compile(r"^https?://[^\s\x00-\x1f\x7f\"'<>\\`]+$")


def link_base(base: str | None) -> str | None:
    """The link base without its trailing slash, if it is a plain http(s) URL; else None."""
    if not base or not _LINK_BASE.match(base):
        return None
    return base.rstrip("/")


def source_url(base: str | None, path: str, line: int | None) -> str | None:
    """A link to ``path`` (at ``line``) under the link base; none for paths that are not
    repository-relative (absolute, ``..``, or with a scheme or drive)."""
    base = link_base(base)
    if base is None or path.startswith("/") or ".." in path.split("/") or ":" in path:
        return None
    anchor = f"#L{line}" if line else ""
    return f"{base}/{quote(path)}{anchor}"


def url_path(url: str) -> str:
    """The path of a URL (``urlsplit(url).path``), cheaply: outputs ask it of every DAST and
    API finding.  Empty when the URL has none."""
    scheme_end = -1 if url.startswith("//") else url.find("://")
    if scheme_end >= 0 or url.startswith("//"):
        slash = url.find("/", scheme_end + 3)
        if slash < 0:
            return ""
        url = url[slash:]
    for separator in ("?", "#"):
        cut = url.find(separator)
        if cut >= 0:
            url = url[:cut]
    return url


def package_place(component: Component) -> str:
    """Where a package finding without a file points: its lockfile, manifest or image, else its
    path in the artifact, its purl or its name (Code Quality's path, a SARIF location)."""
    for candidate in (component.target, component.package_path, component.purl):
        if candidate:
            return candidate
    return component.name

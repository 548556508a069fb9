"""The only external links hardening writes: advisory pages it builds from identifiers, and
the project's own files under the link base (the forge's file view at the scanned commit); and
where a finding is, as every output names it (``where``)."""

from __future__ import annotations

import re
from urllib.parse import quote

from hardening.model import CodeLocation, Component, Endpoint, Finding

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


#: What places a finding: a file (and line), a package or an endpoint.
Place = CodeLocation | Component | Endpoint


def where(finding: Finding) -> Place | None:
    """What places ``finding``, in the one order every output follows: its file (a location
    with a path), else its package, else its endpoint; None when it has none of them (an
    output then names the artifact it was read from)."""
    if finding.location is not None and finding.location.path:
        return finding.location
    return finding.component or finding.endpoint


def place_label(place: Place | None, *, fixed: bool = False) -> str:
    """``place`` as one line of text: ``path:line``, the package's label (``fixed``: with the
    version that fixes it), ``METHOD url``; empty for no place."""
    if isinstance(place, CodeLocation):
        return place.path + (f":{place.start_line}" if place.start_line else "")
    if isinstance(place, Component):
        return package_label(place, fixed=fixed)
    if isinstance(place, Endpoint):
        return f"{place.method or ''} {place.url}".strip()
    return ""


def package_place(component: Component) -> str:
    """Where a package finding without a file points (Code Quality's path, a SARIF location):
    its path inside the artifact (a lockfile or manifest in an image), else its lockfile,
    manifest or image, else its purl or its name.  The path comes first: trivy names the
    target of an image's language packages after the language (``Node.js``), and one package
    installed at two paths of one image is two findings."""
    for candidate in (component.package_path, component.target, component.purl):
        if candidate:
            return candidate
    return component.name


def package_label(component: Component, *, fixed: bool = False) -> str:
    """A package finding in a row: name and version (``→`` the fixed one), then where it lives
    (its path in the artifact, else its lockfile, manifest or image), so that rows of one
    package at two paths of one image, or in two lockfiles, tell the findings apart."""
    label = f"{component.name} {component.installed_version or ''}".strip()
    if fixed and component.fixed_version:
        label += f" → {component.fixed_version}"
    place = component.package_path or component.target
    return f"{label} in {place}" if place else label

"""The only external links: advisory pages built from identifiers; URL paths read cheaply."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from hardening.model import CodeLocation, Component, Endpoint
from hardening.render.links import advisory_url, place_label, source_url, url_path, where
from support import semgrep_finding


@pytest.mark.parametrize(
    ("identifier", "url"),
    [
        ("CVE-2024-51744", "https://nvd.nist.gov/vuln/detail/CVE-2024-51744"),
        ("GHSA-29wx-vh33-7x7r", "https://github.com/advisories/GHSA-29wx-vh33-7x7r"),
        ("GO-2024-3250", "https://pkg.go.dev/vuln/GO-2024-3250"),
        ("CWE-79", "https://cwe.mitre.org/data/definitions/79.html"),
        ("CVE-2024-1\n", None),
        ("javascript:alert(1)", None),
        ("G104", None),
    ],
)
def test_advisory_urls_come_only_from_identifiers(identifier: str, url: str | None) -> None:
    assert advisory_url(identifier) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://h:8080/a/b?x=1#f",
        "https://h",
        "/items/{id}",
        "http://h/",
        "//host/p",
        "//host",
        "http://u:p@h/x;y?z",
        "GET",
    ],
)
def test_url_path_agrees_with_urlsplit(url: str) -> None:
    assert url_path(url) == urlsplit(url).path


@pytest.mark.parametrize(
    ("base", "path", "line", "url"),
    [
        (
            "https://gitlab.example/g/p/-/blob/abc/",
            "cmd/a b.go",
            12,
            "https://gitlab.example/g/p/-/blob/abc/cmd/a%20b.go#L12",
        ),
        ("https://github.com/o/r/blob/abc", "x.py", None, "https://github.com/o/r/blob/abc/x.py"),
        ("https://github.com/o/r/blob/abc", "../outside.go", 3, None),
        ("https://github.com/o/r/blob/abc", "/abs/path.go", 3, None),
        ("https://github.com/o/r/blob/abc", "alpine:3.19", None, None),
        ("javascript:alert(1)//", "x.py", 1, None),
        ('https://x.example/"onmouseover=alert(1)', "x.py", 1, None),
        (None, "x.py", 1, None),
    ],
)
def test_source_urls_only_for_repository_paths_under_an_http_base(
    base: str | None, path: str, line: int | None, url: str | None
) -> None:
    assert source_url(base, path, line) == url


FILE = CodeLocation(path="app/db.py", start_line=12)
PACKAGE = Component(name="lodash", installed_version="4.17.20", fixed_version="4.17.21")
ENDPOINT = Endpoint(url="https://shop.test/api", method="POST")


@pytest.mark.parametrize(
    ("fields", "place"),
    [
        ({"location": FILE, "component": PACKAGE, "endpoint": ENDPOINT}, FILE),
        ({"component": PACKAGE, "endpoint": ENDPOINT}, PACKAGE),
        ({"location": CodeLocation(path=""), "endpoint": ENDPOINT}, ENDPOINT),
        ({}, None),
    ],
)
def test_every_output_places_a_finding_by_file_then_package_then_endpoint(
    fields: dict[str, object], place: object
) -> None:
    assert where(semgrep_finding("f", **fields)) is place


def test_a_place_reads_as_one_line() -> None:
    assert place_label(FILE) == "app/db.py:12"
    assert place_label(PACKAGE, fixed=True) == "lodash 4.17.20 → 4.17.21"
    assert place_label(ENDPOINT) == "POST https://shop.test/api"
    assert place_label(None) == ""

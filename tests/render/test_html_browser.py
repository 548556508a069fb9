"""report.html opened in headless Chromium: filtering from the URL fragment works, no script
from report data runs, the Content-Security-Policy is not violated by the page itself, and a
100k-finding report renders one page of rows, not 100k.

Chromium is driven through its command line only (``--dump-dom`` gives the DOM after the
page's script ran, ``--screenshot`` a picture), so the test needs no Python dependency.  It is
skipped when Chromium is absent, except under ``HARDENING_REQUIRE_CHROMIUM=1`` (set by
``.ci/run``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hardening.model import (
    CodeLocation,
    Component,
    DiffInfo,
    Endpoint,
    Finding,
    GateResult,
    Kind,
    Report,
    RunStatus,
    Severity,
    SkippedArtifact,
    State,
    ToolRun,
)
from hardening.render import html
from support import numbered_finding

TIMEOUT = 60
PWNED_IMG = "<img src=x onerror=\"document.title='pwned'\">"
PWNED_SCRIPT = "<script>document.title='pwned'</script>"
PWNED_SVG = "<svg onload=\"document.title='pwned'\">"
HOSTILE = (
    f"{PWNED_IMG} {PWNED_SCRIPT} </script>{PWNED_SCRIPT} {PWNED_SVG} <!-- hardening:summary -->"
)
ADVISORY_PREFIXES = (
    "https://nvd.nist.gov/vuln/detail/",
    "https://github.com/advisories/",
    "https://pkg.go.dev/vuln/",
    "https://cwe.mitre.org/data/definitions/",
)


# -- driving Chromium -------------------------------------------------------------------------


def chromium_binary() -> str | None:
    """HARDENING_CHROMIUM names another Chromium-based browser (e.g. Google Chrome)."""
    configured = os.environ.get("HARDENING_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        reason = "chromium not found (Debian: apt-get install chromium; or set HARDENING_CHROMIUM)"
        if os.environ.get("HARDENING_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"{reason}; HARDENING_REQUIRE_CHROMIUM=1 requires it")
        pytest.skip(reason)
    return binary


@dataclass
class Browser:
    binary: str
    profile_root: Path
    runs: int = 0

    def run(self, page: Path, fragment: str, *mode: str) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        command = [
            self.binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={self.profile_root / f'profile-{self.runs}'}",
            # Console messages (CSP violations, script errors) go to stderr.
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            *mode,
            url,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True)

    def dom(self, page: Path, fragment: str = "") -> Dom:
        result = self.run(page, fragment, "--dump-dom")
        assert result.stdout.strip(), result.stderr[-2000:]
        return Dom.parse(result.stdout, result.stderr)


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Browser:
    return Browser(chromium, tmp_path)


# -- the DOM Chromium dumped, as a small tree ---------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split())
        ]

    def by_id(self, ident: str) -> Node:
        (node,) = [n for n in self.iter() if n.attrs.get("id") == ident]
        return node

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


@dataclass
class Dom:
    root: Node
    console: str

    @classmethod
    def parse(cls, text: str, console: str) -> Dom:
        builder = _TreeBuilder()
        builder.feed(text)
        builder.close()
        return cls(builder.root, console)

    @property
    def title(self) -> str:
        (head,) = self.root.find_all("head")
        (title,) = head.find_all("title")  # the chart's <title> elements are not in <head>
        return title.text

    def rows(self) -> list[list[str]]:
        body = self.root.by_id("findings-body")
        return [[td.text for td in tr.find_all("td")] for tr in body.find_all("tr", "finding")]

    def match_count(self) -> int:
        return int(self.root.by_id("match-count").attrs["data-count"])


# -- reports ----------------------------------------------------------------------------------


def finding(n: int, **changes: object) -> Finding:
    changes.setdefault("state", State.new)
    return numbered_finding(n, **changes)


HOSTILE_FP = "f" * 32
ADVISORY_FP = "a" * 32


def hostile_report() -> Report:
    findings = [
        finding(
            1,
            title=f"Token leak {HOSTILE}",
            message=f"{HOSTILE}\nsecond line",
            location=CodeLocation(path="internal/auth/token.go", start_line=12, snippet=HOSTILE),
            references=[
                "https://evil.test/advisory",
                "javascript:document.title='pwned'",
                "data:text/html,<script>document.title='pwned'</script>",
            ],
            identifiers=["CWE-798", "javascript:document.title='pwned'"],
            properties={HOSTILE: HOSTILE},
            fingerprint=HOSTILE_FP,
        ),
        finding(2, title="Token rotation missing", rule_id="G104"),
        finding(3, title="Unrelated high", location=CodeLocation(path="cmd/api/main.go")),
        finding(4, title="Token in log", severity=Severity.medium),
        finding(5, title="Token reuse", state=State.unchanged),
        finding(6, tool="semgrep", title="Token compare", rule_id="go.lang.security.audit"),
        finding(
            7,
            tool="trivy",
            kind=Kind.dependency,
            severity=Severity.critical,
            title="pgx: SQL injection",
            rule_id="CVE-2024-27304",
            location=None,
            component=Component(
                name="github.com/jackc/pgx/v5", installed_version="v5.5.3", fixed_version="5.5.4"
            ),
            identifiers=["CVE-2024-27304", "GHSA-mrww-27vc-gghv", "GO-2024-2606", "CWE-89"],
            references=["https://github.com/jackc/pgx/security/advisories/GHSA-mrww-27vc-gghv"],
            fingerprint=ADVISORY_FP,
        ),
        finding(
            8,
            tool=f"evil{PWNED_SVG}",
            kind=Kind.dast,
            severity=Severity.low,
            location=None,
            endpoint=Endpoint(method="GET", url=f"https://evil.test/{PWNED_SCRIPT}"),
            state=State.fixed,
        ),
    ]
    return Report(
        runs=[
            ToolRun(tool="gosec", version="2.21.4", artifact=HOSTILE, findings=5),
            ToolRun(tool="trivy", status=RunStatus.failed, error=HOSTILE, warnings=[HOSTILE]),
            ToolRun(tool=f"evil{PWNED_SVG}", findings=1),
        ],
        skipped=[SkippedArtifact(path=HOSTILE, reason=HOSTILE)],
        warnings=[HOSTILE],
        findings=findings,
        diff=DiffInfo(baseline=HOSTILE, counts={"new": 6, "unchanged": 1, "fixed": 1}),
        gate=GateResult(rule="new:high", fired=True, blocking={"gosec": 4}, summary=HOSTILE),
    )


@pytest.fixture
def hostile_page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    html.write(hostile_report(), path)
    return path


def assert_nothing_from_data_ran(dom: Dom) -> None:
    assert dom.title == "Hardening report"
    assert not dom.root.find_all("img")
    assert not [n for n in dom.root.iter() if any(a.startswith("on") for a in n.attrs)]
    # The data block and the page's own script, nothing else.
    assert len(dom.root.find_all("script")) == 2
    assert dom.rows(), "the page's own script ran and built the table"


# -- tests ------------------------------------------------------------------------------------


def test_filters_from_the_url_fragment(browser: Browser, hostile_page: Path) -> None:
    dom = browser.dom(hostile_page, "state=new&severity=high&tool=gosec&q=token")
    rows = dom.rows()
    # state, severity, tool, rule, where, title
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [
        ("new", "high", "gosec", f"Token leak {HOSTILE}"),
        ("new", "high", "gosec", "Token rotation missing"),
    ]
    assert dom.match_count() == 2
    assert dom.root.by_id("match-count").text == "2 of 8 rows match"
    assert_nothing_from_data_ran(dom)


def test_each_filter_narrows_on_its_own(browser: Browser, hostile_page: Path) -> None:
    assert browser.dom(hostile_page, "").match_count() == 8
    assert browser.dom(hostile_page, "state=unchanged").rows()[0][5] == "Token reuse"
    assert browser.dom(hostile_page, "severity=critical").match_count() == 1
    assert browser.dom(hostile_page, "tool=semgrep").match_count() == 1
    # Search covers identifiers and packages as well as titles.
    assert browser.dom(hostile_page, "q=GHSA-mrww").rows()[0][2] == "trivy"
    assert browser.dom(hostile_page, "q=no-such-thing").match_count() == 0


def test_no_script_from_the_data_runs(browser: Browser, hostile_page: Path) -> None:
    dom = browser.dom(hostile_page, f"open={HOSTILE_FP}")
    assert_nothing_from_data_ran(dom)
    text = dom.root.text
    assert HOSTILE in text  # shown as text: in the table, the details and the server-rendered parts
    (details,) = dom.root.find_all("tr", "detail")
    assert f"{HOSTILE}\nsecond line" in details.text
    assert "javascript:document.title='pwned'" in details.text


def test_links_in_details_go_only_to_advisories(browser: Browser, hostile_page: Path) -> None:
    for fingerprint in (HOSTILE_FP, ADVISORY_FP):
        dom = browser.dom(hostile_page, f"open={fingerprint}")
        (details,) = dom.root.find_all("tr", "detail")
        hrefs = [a.attrs.get("href", "") for a in dom.root.find_all("a")]
        assert all(h.startswith(ADVISORY_PREFIXES) for h in hrefs), hrefs
        assert "https://evil.test/advisory" not in hrefs
    assert sorted(a.attrs["href"] for a in details.find_all("a")) == [
        "https://cwe.mitre.org/data/definitions/89.html",
        "https://github.com/advisories/GHSA-mrww-27vc-gghv",
        "https://nvd.nist.gov/vuln/detail/CVE-2024-27304",
        "https://pkg.go.dev/vuln/GO-2024-2606",
    ]
    assert "https://github.com/jackc/pgx/security/advisories/GHSA-mrww-27vc-gghv" in details.text


def test_page_violates_no_csp_and_throws_nothing(browser: Browser, hostile_page: Path) -> None:
    dom = browser.dom(hostile_page, f"open={HOSTILE_FP}")
    console = "\n".join(line for line in dom.console.splitlines() if "CONSOLE" in line)
    assert "Content Security Policy" not in console
    assert "Uncaught" not in console
    assert dom.rows()


def test_screenshot(browser: Browser, hostile_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    browser.run(
        hostile_page, "", f"--screenshot={shot}", "--window-size=1280,1400", "--hide-scrollbars"
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_100k_findings_render_one_page_of_rows(browser: Browser, tmp_path: Path) -> None:
    severities = list(Severity)
    tools = ["semgrep", "gosec", "trivy", "zap"]
    findings = [
        Finding(
            tool=tools[n % 4],
            kind=Kind.code,
            rule_id=f"rule-{n % 500}",
            title=f"Title of rule {n % 500}",
            severity=severities[n % 5],
            message=f"Message of rule {n % 500}",
            location=CodeLocation(path=f"src/pkg{n % 700}/file{n % 31}.go", start_line=n % 997),
            fingerprint=f"{n:032x}",
        )
        for n in range(100_000)
    ]
    page = tmp_path / "big.html"
    html.write(Report(findings=findings), page)
    assert page.stat().st_size < 100_000 * 200

    dom = browser.dom(page, "page=3")
    rows = dom.root.by_id("findings-body").find_all("tr")
    assert len(rows) == html.PAGE_SIZE
    assert dom.match_count() == 100_000
    assert dom.rows()[0][-2] == f"src/pkg{400 % 700}/file{400 % 31}.go:{400 % 997}"
    assert "rows 401–600, page 3 of 500" in dom.root.by_id("page-info").text

    dom = browser.dom(page, "severity=critical&tool=semgrep&q=rule-20")
    # n % 4 == 0 (semgrep) and n % 5 == 0 (critical): n % 20 == 0; rule-20x: n % 500 in 20..209
    expected = sum(1 for n in range(0, 100_000, 20) if f"rule-{n % 500}".startswith("rule-20"))
    assert dom.match_count() == expected
    assert len(dom.rows()) == min(expected, html.PAGE_SIZE)


def test_repository_paths_link_to_the_forge_under_the_link_base(
    browser: Browser, tmp_path: Path
) -> None:
    base = "https://gitlab.example/acme/api/-/blob/0123abc"
    report = Report(
        runs=[ToolRun(tool="gosec", findings=3)],
        findings=[
            finding(1, location=CodeLocation(path="cmd/my app/main.go", start_line=12)),
            finding(2, location=CodeLocation(path="../outside/main.go", start_line=3)),
            finding(3, location=None, component=Component(name="pkg", installed_version="1")),
        ],
        link_base=base,
    )
    page = tmp_path / "report.html"
    html.write(report, page)
    dom = browser.dom(page, f"open={report.findings[0].fingerprint}")
    hrefs = [a.attrs.get("href", "") for a in dom.root.find_all("a", "source")]
    # The row's place and the opened details' location; nothing for "../" or a package.
    assert hrefs == [f"{base}/cmd/my%20app/main.go#L12"] * 2

    report.link_base = "javascript:document.title='pwned'//"
    html.write(report, page)
    dom = browser.dom(page, f"open={report.findings[0].fingerprint}")
    assert not dom.root.find_all("a", "source")
    assert dom.title == "Hardening report"

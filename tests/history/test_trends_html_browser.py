"""trends.html opened in headless Chromium: both charts and the gate table are there, text
from reports stays text, and the page's Content-Security-Policy is not violated (the page
makes no request).  Skipped without Chromium unless ``HARDENING_REQUIRE_CHROMIUM=1``."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hardening.history import api, trends
from history_support import F, Pipeline, Run, fingerprint, write_pipeline

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = os.environ.get("HARDENING_CHROMIUM") or shutil.which("chromium")
    if not found:
        reason = "chromium not found (Debian: apt-get install chromium)"
        if os.environ.get("HARDENING_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"{reason}; HARDENING_REQUIRE_CHROMIUM=1 requires it")
        pytest.skip(reason)
    return found


def run_chromium(binary: str, page: Path, profile: Path, *mode: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            *mode,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )


@pytest.fixture
def page(tmp_path: Path, sqlite_url: str) -> Path:
    history = [
        [F(fingerprint(1)), F(fingerprint(2), rule=HOSTILE, severity="critical")],
        [F(fingerprint(1))],
        [F(fingerprint(1)), F(fingerprint(3), severity="medium")],
        [
            F(fingerprint(3), severity="medium"),
            F(fingerprint(2), rule=HOSTILE, severity="critical"),
        ],
    ]
    for n, found in enumerate(history):
        path = write_pipeline(
            tmp_path / f"p{n}", Pipeline(found, runs=[Run(version=f"2.{n // 2}")])
        )
        request = api.RecordRequest(
            source=path,
            db=sqlite_url,
            project="group/<b>app</b>",
            ref="master",
            pipeline=str(n + 1),
            created=f"2024-03-0{n + 1}T00:00:00Z",
        )
        api.record(request, {})
    out = tmp_path / "trends"
    api.report(
        api.ReportRequest(
            db=sqlite_url,
            project="group/<b>app</b>",
            ref="master",
            window=trends.Window(last=30),
            out=out,
            gates=[trends.GateSpec("new:high")],
        )
    )
    return out / "trends.html"


def test_the_page_shows_both_charts_and_the_gate_table(chromium: str, page: Path, tmp_path):
    result = run_chromium(chromium, page, tmp_path / "profile", "--dump-dom")
    dom = result.stdout
    assert "<title>hardening trends: group/&lt;b&gt;app&lt;/b&gt; on master</title>" in dom
    open_chart = dom[
        dom.index('id="open-chart"') : dom.index("</svg>", dom.index('id="open-chart"'))
    ]
    assert sorted(re.findall(r'data-severity="(\w+)"', open_chart)) == [
        "critical",
        "high",
        "medium",
    ]
    flow = dom[dom.index('id="flow-chart"') :]
    # The first pipeline is the starting point: new in the third (medium) and fourth (reopened).
    assert len(re.findall(r'<rect class="new"', flow)) == 2
    assert len(re.findall(r'<rect class="fixed"', flow)) == 2
    table = dom[dom.index('id="gate-table"') : dom.index("</table>", dom.index('id="gate-table"'))]
    assert "<code>new:high</code>" in table and "1 of 4" in table
    assert 'title="the earliest recorded pipeline: its findings are the starting point' in dom
    # Report text is text: no element from it, no script ran.
    assert "<img" not in dom and "<script" not in dom
    assert "&lt;script&gt;" in dom
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom).group(1)
    assert "Content-Security-Policy" not in result.stderr and "Refused" not in result.stderr


def test_the_page_makes_no_request(page: Path):
    page_html = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page_html)
    assert "<script" not in page_html.split("</style>", 1)[1].replace("&lt;script&gt;", "")
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page_html)
    csp = html.unescape(found.group(1))
    assert csp.startswith("default-src 'none'; style-src 'sha256-")


def test_a_screenshot_renders(chromium: str, page: Path, tmp_path: Path):
    shot = tmp_path / "trends.png"
    run_chromium(
        chromium, page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1100,1400"
    )
    assert shot.stat().st_size > 10_000

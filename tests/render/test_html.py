"""report.html as a string: self-contained, locked down by its CSP, hostile text inert, and the
facts it shows taken from the Report as the pipeline computed them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from hardening import diff
from hardening.baseline import Baseline
from hardening.model import (
    CalibrationRow,
    CodeLocation,
    Component,
    DiffInfo,
    Endpoint,
    FilterCounts,
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
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import html, links
from support import SAMPLES, numbered_finding

TODAY = date(2026, 11, 28)
ADVISORY_PREFIXES = (
    "https://nvd.nist.gov/vuln/detail/",
    "https://github.com/advisories/",
    "https://pkg.go.dev/vuln/",
    "https://cwe.mitre.org/data/definitions/",
)
#: The SVG namespace is a name, not a request.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> </script><script>alert(2)</script> "
    "<!-- hardening:summary --> [x](javascript:alert(1)) data:text/html,<b>x</b>"
)
EVIL_REFERENCE = "https://evil.test/advisory?<script>"


# -- helpers ----------------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append((attributes, ""))
            else:
                self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)
        elif self._in == "style":
            self.styles[-1] += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    return tags


def csp_of(tags: Tags) -> dict[str, list[str]]:
    (meta,) = [
        a for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    directives: dict[str, list[str]] = {}
    for part in meta["content"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def data_block(page: str) -> str:
    match = re.search(r'<script type="application/json" id="hardening-data">(.*?)</script>', page)
    assert match
    return match.group(1)


def data_of(page: str) -> Any:
    return json.loads(data_block(page))


def texts_of(page: str) -> list[str]:
    """Every text the data holds: the string table and the inline messages and snippets."""
    data = data_of(page)
    inline = [row[8][key] for row in data["f"] for key in ("m", "p") if key in row[8]]
    return [*data["s"], *inline]


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def finding(n: int, **changes: object) -> Finding:
    return numbered_finding(n, **changes)


def hostile_report() -> Report:
    """Hostile text in every place report data reaches the page."""
    return Report(
        runs=[
            ToolRun(tool="gosec", version=HOSTILE, artifact=HOSTILE, findings=1),
            ToolRun(tool="trivy", status=RunStatus.failed, error=HOSTILE, warnings=[HOSTILE]),
            ToolRun(tool=HOSTILE, findings=1),
        ],
        skipped=[SkippedArtifact(path=HOSTILE, reason=HOSTILE)],
        filtered=FilterCounts(by_reason={HOSTILE: 3}),
        warnings=[HOSTILE],
        findings=[
            finding(
                1,
                title=HOSTILE,
                message=HOSTILE + "\u2028\u2029",
                rule_id=HOSTILE,
                location=CodeLocation(path=HOSTILE, start_line=1, snippet=HOSTILE),
                identifiers=["CVE-2024-1234", "javascript:alert(1)", "CWE-79<script>"],
                references=[EVIL_REFERENCE, "javascript:alert(1)", "data:text/html,<b>x</b>"],
                properties={HOSTILE: HOSTILE},
            ),
            finding(
                2,
                tool=HOSTILE,
                kind=Kind.dast,
                location=None,
                endpoint=Endpoint(method="GET", url="https://evil.test/<script>", param=HOSTILE),
            ),
        ],
        gate=GateResult(rule="new:high", fired=True, blocking={HOSTILE: 1}, summary=HOSTILE),
        calibration=[
            CalibrationRow(
                tool=HOSTILE,
                rule_id=HOSTILE,
                findings=1,
                new=1,
                accepted=0,
                false_positive=0,
                suppressed=0,
                would_block=1,
            )
        ],
    )


def sample_report() -> Report:
    """The samples read twice, the second time against a baseline made from the first."""
    empty = aggregate(AggregateOptions(paths=[SAMPLES], baseline=Baseline(), today=TODAY))
    baseline = diff.update(Baseline(), empty, TODAY)
    return aggregate(AggregateOptions(paths=[SAMPLES], baseline=baseline, today=TODAY))


# -- self-contained and locked down -----------------------------------------------------------


def test_csp_allows_only_the_page_own_style_and_script_by_hash() -> None:
    page = html.render(sample_report())
    tags = parse(page)
    csp = csp_of(tags)
    assert csp["default-src"] == ["'none'"]
    assert "img-src" not in csp  # no images at all, not even data: ones
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]
    (style,) = tags.styles
    (code,) = [text for attrs, text in tags.scripts if "type" not in attrs]
    assert csp["style-src"] == [sha256(style)]
    assert csp["script-src"] == [sha256(code)]
    assert "unsafe-inline" not in page and "unsafe-eval" not in page


def test_csp_comes_before_any_style_or_script() -> None:
    tags = parse(html.render(sample_report())).tags
    names = [tag for tag, _ in tags]
    csp_at = next(i for i, (_, attrs) in enumerate(tags) if attrs.get("http-equiv"))
    assert csp_at < names.index("style") < names.index("script")


def test_no_element_or_attribute_can_fetch_anything() -> None:
    tags = parse(html.render(hostile_report())).tags
    names = {tag for tag, _ in tags}
    assert not names & {
        "img",
        "link",
        "iframe",
        "object",
        "embed",
        "base",
        "image",
        "use",
        "audio",
        "video",
        "source",
        "frame",
        "form",
    }
    for tag, attrs in tags:
        assert not {"src", "srcset", "action", "formaction", "poster", "background"} & set(attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if "href" in attrs:
            assert tag == "a" and attrs["href"].startswith(ADVISORY_PREFIXES)


def test_every_url_in_the_page_is_an_advisory_prefix_or_the_svg_namespace() -> None:
    page = html.render(sample_report())
    outside_data = page.replace(data_block(page), "")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", outside_data))
    assert urls - {SVG_NAMESPACE} == set(ADVISORY_PREFIXES)
    advisories = data_of(page)["u"]
    assert advisories
    assert all(url.startswith(ADVISORY_PREFIXES) for url in advisories.values())


def test_references_from_reports_are_text_never_links() -> None:
    page = html.render(hostile_report())
    assert f'href="{EVIL_REFERENCE}' not in page
    assert "href=" not in page  # advisory links are made by the script from the `u` map
    strings = data_of(page)["s"]
    assert EVIL_REFERENCE in strings and "javascript:alert(1)" in strings
    assert data_of(page)["u"] == {"CVE-2024-1234": "https://nvd.nist.gov/vuln/detail/CVE-2024-1234"}


def test_advisory_links_are_built_from_identifiers_only() -> None:
    report = Report(
        findings=[
            finding(
                1,
                identifiers=[
                    "CVE-2021-44228",
                    "GHSA-jfh8-c2jp-5v3q",
                    "GO-2022-0969",
                    "CWE-79",
                    "OSVDB-1",
                    "CVE-2021-44228/../../x",
                ],
                references=["https://nvd.nist.gov/vuln/detail/CVE-1999-0001"],
            )
        ]
    )
    assert data_of(html.render(report))["u"] == {
        "CVE-2021-44228": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        "GHSA-jfh8-c2jp-5v3q": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
        "GO-2022-0969": "https://pkg.go.dev/vuln/GO-2022-0969",
        "CWE-79": "https://cwe.mitre.org/data/definitions/79.html",
    }


# -- hostile text -----------------------------------------------------------------------------


def test_hostile_text_appears_only_escaped() -> None:
    page = html.render(hostile_report())
    for raw in ("<script>alert", "<img src=x", "</script><script>", "<!--", "onerror=alert(1)>"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script") == 2 and page.count("</script>") == 2
    tags = parse(page)
    assert [t for t, _ in tags.tags].count("script") == 2


def test_the_bot_marker_never_appears_raw() -> None:
    page = html.render(hostile_report())
    assert "<!-- hardening:summary -->" not in page
    assert "&lt;!-- hardening:summary --&gt;" in page


def test_data_block_cannot_be_closed_by_data_and_round_trips() -> None:
    page = html.render(hostile_report())
    block = data_block(page)
    assert not set(block) & {"<", ">", "&", "\u2028", "\u2029"}
    assert "\\u003c/script\\u003e" in block
    strings = texts_of(page)
    assert HOSTILE in strings and HOSTILE + "\u2028\u2029" in strings


def test_control_and_bidi_characters_are_dropped() -> None:
    report = Report(
        runs=[ToolRun(tool="go\u202esec\x1b[31m", findings=1)],
        findings=[finding(1, title="abc\u202edef\x00", message="line1\nline2\tend")],
    )
    page = html.render(report)
    assert "\u202e" not in page and "\x1b" not in page and "\x00" not in page
    strings = texts_of(page)
    assert "abcdef" in strings and "line1\nline2\tend" in strings


# -- what the page shows ----------------------------------------------------------------------


def test_headline_counts_by_state_come_from_the_diff_counts() -> None:
    # Counts deliberately unlike the findings: the page reads them, it does not recount.
    report = Report(
        findings=[finding(1, state=State.new)],
        diff=DiffInfo(baseline="baseline.json", counts={"new": 7, "fixed": 4, "expired": 2}),
    )
    page = html.render(report)
    headline = re.search(r'<section id="headline".*?</section>', page, re.S)
    assert headline
    cards = re.findall(r'<li class="(\w+)"><span class="n">(\d+)</span>', headline.group(0))
    assert cards == [
        ("new", "7"),
        ("fixed", "4"),
        ("unchanged", "0"),
        ("accepted", "0"),
        ("unknown", "0"),
        ("expired", "2"),
    ]
    assert "<code>baseline.json</code>" in page


def test_headline_counts_by_severity_without_a_baseline() -> None:
    report = Report(findings=[finding(1), finding(2), finding(3, severity=Severity.low)])
    page = html.render(report)
    cards = re.findall(r'<li class="(\w+)"><span class="n">(\d+)</span>', page)
    assert cards == [("critical", "0"), ("high", "2"), ("medium", "0"), ("low", "1"), ("info", "0")]
    assert "No baseline: every finding counts as new." in page
    assert 'id="f-state"' not in page  # no state filter without states


def test_gate_line_is_the_pipeline_summary() -> None:
    report = Report(
        gate=GateResult(
            rule="new:high",
            tool_rules={"zap": "new:critical"},
            fired=True,
            blocking={"gosec": 2},
            summary="would block: 2 new high or above in gosec",
        )
    )
    page = html.render(report)
    assert '<section id="gate" class="gate fired"' in page
    assert '<p class="gate-line">would block: 2 new high or above in gosec</p>' in page
    assert "(per tool: zap new:critical)" in page
    assert "simulation, nothing fails" in page


def test_run_status_table_lists_each_run_with_its_error() -> None:
    report = Report(
        runs=[
            ToolRun(tool="gosec", version="2.21.4", artifact="out/gosec.json", findings=7),
            ToolRun(
                tool="trivy",
                artifact="out/trivy.json",
                status=RunStatus.failed,
                error="truncated JSON at byte 512",
            ),
            ToolRun(tool="zap", status=RunStatus.missing, error="expected, but no artifact"),
        ]
    )
    page = html.render(report)
    rows = re.findall(
        r'<tr class="(\w+)"><td class="tool">(.*?)</td><td class="tool">(.*?)</td>'
        r'<td><span class="status '
        r'\w+">(.*?)</span></td><td class="num">(.*?)</td><td><code>(.*?)</code>'
        r"</td><td>(.*?)</td></tr>",
        page,
    )
    assert rows == [
        ("ok", "gosec", "2.21.4", "ran", "7", "out/gosec.json", ""),
        ("failed", "trivy", "", "failed", "", "out/trivy.json", "truncated JSON at byte 512"),
        ("missing", "zap", "", "missing", "", "", "expected, but no artifact"),
    ]


def test_skipped_artifacts_and_filtered_counts_are_listed() -> None:
    report = Report(
        skipped=[SkippedArtifact(path="out/semgrep.sarif", reason="outside profile sast")],
        filtered=FilterCounts(by_reason={"vendor/": 12, "generated": 3}),
    )
    page = html.render(report)
    assert "<tr><td><code>out/semgrep.sarif</code></td><td>outside profile sast</td></tr>" in page
    assert "15 finding(s) filtered out" in page
    assert '<tr><td>vendor/</td><td class="num">12</td></tr>' in page


def test_chart_is_inline_svg_with_one_bar_per_tool_and_severity_segments() -> None:
    report = Report(
        findings=[
            finding(1),
            finding(2, severity=Severity.critical),
            finding(3, tool="semgrep", severity=Severity.low),
            finding(4, tool="semgrep", state=State.fixed),  # gone: not in today's picture
        ]
    )
    page = html.render(report)
    svg = re.search(r"<svg class=\"chart\".*?</svg>", page, re.S)
    assert svg
    titles = re.findall(r"<title>(.*?)</title>", svg.group(0))
    assert titles == ["gosec: 1 critical", "gosec: 1 high", "semgrep: 1 low"]
    assert "critical 1" in svg.group(0) and "high 1" in svg.group(0)


def test_calibration_table_rows() -> None:
    report = Report(
        calibration=[
            CalibrationRow(
                tool="gosec",
                rule_id="G101",
                findings=5,
                new=2,
                accepted=1,
                false_positive=1,
                suppressed=1,
                would_block=2,
            )
        ]
    )
    page = html.render(report)
    assert (
        '<tr><td>gosec</td><td><code>G101</code></td><td class="num">5</td><td class="num">2'
        '</td><td class="num">1</td><td class="num">1</td><td class="num">1</td>'
        '<td class="num">2</td></tr>'
    ) in page


def test_filters_offer_states_severities_and_tools_present() -> None:
    page = html.render(sample_report())
    tools = re.search(r'<select id="f-tool">(.*?)</select>', page, re.S)
    states = re.search(r'<select id="f-state">(.*?)</select>', page, re.S)
    assert tools and states
    assert re.findall(r'value="([^"]*)"', tools.group(1))[:3] == ["", "gitleaks", "gosec"]
    assert re.findall(r'value="([^"]*)"', states.group(1)) == ["", "unchanged", "suppressed"]


def test_finding_details_carry_what_the_table_and_details_need() -> None:
    report = Report(
        findings=[
            finding(
                1,
                kind=Kind.dependency,
                location=None,
                component=Component(
                    name="golang.org/x/net",
                    installed_version="v0.17.0",
                    fixed_version="0.23.0",
                    purl="pkg:golang/golang.org/x/net",
                ),
                identifiers=["GO-2024-2687"],
                suppression=None,
                state=State.new,
                drift=True,
                occurrences=3,
            )
        ]
    )
    data: Any = data_of(html.render(report))
    strings = data["s"]
    (row,) = data["f"]
    state, severity, tool, rule, title, where, line, fingerprint, details = row
    assert (data["st"][state], data["sv"][severity]) == ("new", "high")
    assert [strings[i] for i in (tool, rule, title, where)] == [
        "gosec",
        "G101",
        "Finding 1",
        "golang.org/x/net v0.17.0",
    ]
    assert (line, fingerprint) == (0, f"{1:032x}")
    assert [strings[i] for i in details["c"][:4]] == [
        "golang.org/x/net",
        "v0.17.0",
        "0.23.0",
        "pkg:golang/golang.org/x/net",
    ]
    assert strings[details["k"]] == "dependency"
    assert details["o"] == 3 and details["dr"] == 1


# -- scale ------------------------------------------------------------------------------------


def test_no_finding_rows_are_rendered_server_side() -> None:
    page = html.render(Report(findings=[finding(n) for n in range(500)]))
    body = re.search(r'<tbody id="findings-body">(.*?)</tbody>', page, re.S)
    assert body and body.group(1).count("<tr") == 1  # the no-script placeholder


def test_size_grows_linearly_and_stays_small_per_finding() -> None:
    def size(n: int) -> int:
        return len(html.render(Report(findings=[finding(i) for i in range(n)])))

    small, large = size(1_000), size(10_000)
    per_finding = (large - small) / 9_000
    assert per_finding < 200, per_finding
    assert large < 11 * small


def test_write_is_utf8_and_survives_lone_surrogates(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.html"
    html.write(Report(findings=[finding(1, title="bad \udcff byte")]), path)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "bad ? byte" in page
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_findings_sharing_an_advisorys_tuples_show_the_same_texts() -> None:
    identifiers = ("CVE-2024-27304", "CWE-89")
    references = ("https://github.com/jackc/pgx/security/advisories/GHSA-mrww-27vc-gghv",)
    report = Report(
        findings=[finding(n, identifiers=identifiers, references=references) for n in range(3)]
        + [finding(9, identifiers=["CVE-2024-27304"], references=list(references))]
    )
    data = data_of(html.render(report))
    table = data["s"]
    shown = [
        ([table[i] for i in row[8]["i"]], [table[i] for i in row[8]["r"]]) for row in data["f"]
    ]
    assert shown == [(list(identifiers), list(references))] * 3 + [
        (["CVE-2024-27304"], list(references))
    ]
    assert set(data["u"]) == {"CVE-2024-27304", "CWE-89"}


def test_equal_properties_of_many_findings_are_read_once_and_equal_values_of_other_types_not() -> (
    None
):
    # Issue 20: the findings of one rule repeat their properties; their rows are built once.
    # Values that compare equal but read differently (1, 1.0, True; 0.0 and -0.0) stay apart.
    shared = {"owasp": ["A03:2021 - Injection"], "cvss": {"nvd": 9.1}, "category": "security"}
    values: list[Any] = [1, 1.0, True, 0.0, -0.0, [1], [True], (1,), (True,), {"n": 1}, {"n": 1.0}]
    values += [["a", 0.0], ["a", -0.0], {"n": 0.0}, {"n": -0.0}, {1: "a"}, {True: "a"}]
    report = Report(
        findings=[finding(n, properties=dict(shared)) for n in range(3)]
        + [finding(10 + n, properties={"v": value}) for n, value in enumerate(values)]
    )
    data = data_of(html.render(report))
    table = data["s"]
    shown = [{table[k]: table[v] for k, v in row[8]["pr"]} for row in data["f"]]
    rows = {row[7]: row[8]["pr"] for row in data["f"]}
    assert (
        shown.count(
            {"owasp": "A03:2021 - Injection", "cvss": '{"nvd":9.1}', "category": "security"}
        )
        == 3
    )
    texts = sorted(one["v"] for one in shown if "v" in one)
    assert texts == sorted(
        [
            *("1", "1.0", "True", "0.0", "-0.0", "1", "True", "1", "True", '{"n":1}', '{"n":1.0}'),
            *("a, 0.0", "a, -0.0", '{"n":0.0}', '{"n":-0.0}', '{"1":"a"}', '{"true":"a"}'),
        ]
    )
    assert len(rows) == len(report.findings)
    strings = html._Strings()
    first = strings.property_rows(dict(shared))
    assert strings.property_rows(dict(shared)) is first
    assert strings.property_rows({"deep": [[1]]}) is not strings.property_rows({"deep": [[1]]})


def test_tool_names_and_versions_in_the_tools_table_never_break_in_the_middle() -> None:
    page = html.render(sample_report())
    tools_table = page[
        page.index('<table class="runs">') : page.index(
            "</table>", page.index('<table class="runs">')
        )
    ]
    rows = re.findall(r"<tr class=\"[^\"]*\"><td([^>]*)>[^<]+</td><td([^>]*)>", tools_table)
    assert rows
    assert all(tool == ' class="tool"' and version == ' class="tool"' for tool, version in rows)
    assert re.search(r"td\.tool \{ white-space: nowrap; \}", "".join(parse(page).styles))


def test_endpoint_labels_index_the_table_as_their_texts_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Endpoint labels are kept as their URL and method (memory), yet the page is byte for
    byte the one interning each label's text gives: a text equal to a label shares its
    entry whichever comes first, one URL with two methods is two labels, and labels that
    would not read back the same way (no method, spaces at the ends) are plain texts."""

    def dast(n: int, method: str | None, url: str, **changes: object) -> Finding:
        return finding(
            n,
            tool="zap",
            kind=Kind.dast,
            location=None,
            endpoint=Endpoint(method=method, url=url, param="q" if n % 2 else None),
            **changes,
        )

    findings = [
        finding(0, message="GET https://shop.test/b"),  # before the label it equals
        dast(1, "GET", "https://shop.test/a"),
        dast(2, "POST", "https://shop.test/a"),  # the same URL, another method
        dast(3, "GET", "https://shop.test/a"),
        dast(4, "GET", "https://shop.test/b"),
        dast(5, None, "https://shop.test/c"),
        dast(6, "GET", "https://shop.test/d "),
        dast(7, " GET", "https://shop.test/e"),
        dast(8, "M SEARCH", "https://shop.test/f"),
        dast(9, "PUT", "https://shop.test/\u202eg"),  # cleaned like any text
        finding(10, message="POST https://shop.test/a"),  # after the label it equals
        finding(11, title="PUT https://shop.test/\u202eg"),
        dast(12, "PATCH", "https://shop.test/a", message="PATCH https://shop.test/a"),
    ]
    report = Report(findings=findings)
    page = html.render(report)
    with monkeypatch.context() as patch:
        patch.setattr(html._Strings, "endpoint_label", lambda self, ep: self[links.place_label(ep)])
        assert page == html.render(report)
    strings = texts_of(page)
    assert len(strings) == len(set(strings))
    assert {"GET https://shop.test/a", "POST https://shop.test/a", "GET https://shop.test/d"} <= (
        set(strings)
    )
    assert "PUT https://shop.test/g" in strings

"""summary.md: structure, size budget and escaping, checked by parsing it with markdown-it-py."""

from __future__ import annotations

import re
from datetime import date

import pytest
from markdown_it import MarkdownIt

from hardening import diff
from hardening.baseline import Baseline
from hardening.model import (
    CodeLocation,
    DiffInfo,
    FilterCounts,
    Finding,
    Kind,
    Report,
    RunStatus,
    Severity,
    SkippedArtifact,
    State,
    ToolRun,
)
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import markdown
from support import SAMPLES

TODAY = date(2026, 11, 28)
MD = MarkdownIt("commonmark").enable("table")


def sample_report() -> Report:
    empty = aggregate(AggregateOptions(paths=[SAMPLES], baseline=Baseline(), today=TODAY))
    baseline = diff.update(Baseline(), empty, TODAY)
    return aggregate(AggregateOptions(paths=[SAMPLES], baseline=baseline, today=TODAY))


def hostile(n: int = 1) -> Finding:
    return Finding(
        tool="semgrep",
        kind=Kind.code,
        rule_id="x|y`z",
        severity=Severity.high,
        title=(
            "<script>alert(1)</script> <img src=x onerror=alert(1)> @all @maintainer "
            "[click](javascript:alert(1)) ![img](https://evil.test/p.png) | pipe ` tick "
            "</details> <!-- hardening:summary --> \x1b[31mred https://evil.test #12"
        ),
        message="m",
        location=CodeLocation(path=f"src/a{n}.go", start_line=3),
        fingerprint=f"fp{n}",
    )


def html_and_links(text: str) -> tuple[list[str], list[str], list[str]]:
    tokens = MD.parse(text)
    html, links, images = [], [], []
    for token in tokens:
        for child in [token, *(token.children or [])]:
            if child.type in ("html_block", "html_inline"):
                html.append(child.content)
            if child.type == "link_open":
                links.append(str(child.attrGet("href")))
            if child.type == "image":
                images.append(str(child.attrGet("src")))
    return html, links, images


def test_summary_starts_with_the_marker_and_headline_counts() -> None:
    text = markdown.render(sample_report())
    assert text.startswith(markdown.MARKER + "\n")
    assert "**0 new**" in text and "unchanged**" in text


def test_tables_parse_as_tables() -> None:
    tokens = MD.parse(markdown.render(sample_report()))
    assert sum(1 for t in tokens if t.type == "table_open") >= 2


def test_hostile_text_is_inert() -> None:
    report = Report(runs=[ToolRun(tool="semgrep")], findings=[hostile()])
    text = markdown.render(report)
    html, links, images = html_and_links(text)
    # The only raw HTML is the marker and our own <details> scaffolding.
    allowed = {markdown.MARKER, "<details>", "</details>"}
    for block in html:
        assert block.strip() in allowed or block.startswith("<details><summary>"), block
    assert images == []
    assert all(link.startswith(("https://cwe.mitre.org", "https://nvd.nist.gov")) for link in links)
    assert "@all" not in text and "\x1b" not in text
    assert text.count(markdown.MARKER) == 1


def test_findings_table_keeps_its_columns_with_pipes_in_data() -> None:
    report = Report(runs=[ToolRun(tool="semgrep")], findings=[hostile()])
    tokens = MD.parse(markdown.render(report))
    # Per table: its header's column count, then each body row's.
    tables: list[list[int]] = []
    in_body = False
    for token in tokens:
        if token.type == "table_open":
            tables.append([0])
        if token.type == "th_open":
            tables[-1][0] += 1
        if token.type == "tbody_open":
            in_body = True
        if in_body and token.type == "tr_open":
            tables[-1].append(0)
        if in_body and token.type == "td_open":
            tables[-1][-1] += 1
        if token.type == "tbody_close":
            in_body = False
    assert len(tables) >= 2
    for header, *rows in tables:
        assert rows and set(rows) == {header}


def test_links_point_only_at_project_files_and_advisories() -> None:
    report = sample_report()
    report.link_base = "https://gitlab.example/acme/api/-/blob/abc"
    _, links, _ = html_and_links(markdown.render(report))
    assert links
    prefixes = (
        "https://gitlab.example/acme/api/-/blob/abc/",
        "https://nvd.nist.gov/",
        "https://github.com/advisories/",
        "https://pkg.go.dev/vuln/",
        "https://cwe.mitre.org/",
    )
    assert all(link.startswith(prefixes) for link in links)


@pytest.mark.parametrize("budget", [3000, 6000, 20000])
def test_budget_is_respected_without_cutting_structure(budget: int) -> None:
    findings = [hostile(n) for n in range(2000)]
    report = Report(runs=[ToolRun(tool="semgrep")], findings=findings)
    text = markdown.render(report, max_chars=budget)
    assert len(text) <= budget
    assert text.count("<details>") == text.count("</details>")
    assert "The rest is not shown here (size budget)" in text
    assert text.count("left out") == 1  # one figure, said once
    assert re.search(r"_\d+ item\(s\) left out to stay within [\d,]+ characters\._", text)
    # Every table row is complete: it ends with a pipe.
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_failed_and_missing_tools_are_explained() -> None:
    report = Report(
        runs=[
            ToolRun(
                tool="semgrep",
                status=RunStatus.failed,
                artifact="semgrep.json",
                error="truncated JSON",
            ),
            ToolRun(tool="gosec", status=RunStatus.missing, error="expected, but no artifact"),
        ]
    )
    text = markdown.render(report)
    assert "**failed**" in text and "**missing**" in text
    assert "truncated JSON" in text


def test_changed_files_come_first() -> None:
    findings = [hostile(1), hostile(2)]
    report = Report(runs=[ToolRun(tool="semgrep")], findings=findings, changed_files=["src/a2.go"])
    text = markdown.render(report)
    assert text.index("src/a2.go") < text.index("src/a1.go")


def _code_finding(n: int, state: State) -> Finding:
    finding = hostile(n)
    finding.title = f"finding {n}"
    finding.state = state
    return finding


def test_only_new_findings_are_listed_as_new() -> None:
    # An expired acceptance or an updated severity needs attention, but is not new: the
    # headline says "0 new", and the section under it must not list them as new.
    findings = [_code_finding(1, State.updated), _code_finding(2, State.expired)]
    counts = {state.value: 0 for state in State} | {"updated": 1, "expired": 1}
    report = Report(
        runs=[ToolRun(tool="semgrep")],
        findings=findings,
        diff=DiffInfo(baseline="b.json", counts=counts),
    )
    text = markdown.render(report)
    assert "**0 new**" in text
    assert "### New findings (0)\n\nNone." in text
    assert "### Reopened or updated (2)" in text
    reopened = text.split("### Reopened or updated (2)", 1)[1]
    assert "| updated | high | semgrep |" in reopened
    assert "| expired | high | semgrep |" in reopened


def test_a_tight_budget_keeps_the_filter_counts_and_the_skipped_count() -> None:
    findings = [hostile(n) for n in range(2000)]
    report = Report(
        runs=[ToolRun(tool="semgrep")],
        findings=findings,
        filtered=FilterCounts(by_reason={".cache/": 300, "vendor/": 12}),
        skipped=[SkippedArtifact(path=f"junk/{n}.bin", reason="no parser") for n in range(400)],
    )
    text = markdown.render(report, max_chars=3000)
    assert len(text) <= 3000
    assert "**Filtered out: 312** (\\.cache/: 300, vendor/: 12)" in text
    assert "**Skipped files: 400**" in text
    assert text.count("left out") == 1

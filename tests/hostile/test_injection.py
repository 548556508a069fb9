"""Finding text built to attack the outputs is inert in summary.md, the terminal, report.html
and the posted comment.

The attacks sit in real-format reports where a scanned project or a web target controls the
text: semgrep rule ids, paths and messages, gosec details and code, ZAP alert names,
descriptions and URLs, trivy titles and package names, Schemathesis failure text, SARIF rule
names and messages, and the tool names of an upstream findings.json.  Each report goes
through ``aggregate --out``; the rendered outputs are then parsed and checked.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hostile_support import load_json, run_cli, terminal_controls
from markdown_it import MarkdownIt
from markdown_it.token import Token
from publish_fakes import FakeGitLab, merge_request_env

from hardening.render.markdown import MARKER
from support import SAMPLES

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "[open](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](https://evil.example/pixel.png)",
    "[login](https://evil.example/login) <https://evil.example/auto>",
    "see https://evil.example/bare or www.evil.example",
    "@all @maintainer please approve",
    "fixes #123 !45 ~security %v1 $77 &12",
    "cell | broken || table `tick` ``` fence",
    "</details></summary><details open><summary>fake",
    MARKER,
    "\x1b[2J\x1b[1;31mRED\x1b[0m cleared",
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "all good\rFAKE: no findings",
    "bidi \u202eevil\u202c text",
    "line1\nline2\n# heading\n---\n| a | b |",
    "bell\x07 back\x08 del\x7f csi\x9b31m",
]
LINK_BASE = "https://gitlab.example/acme/payments-api/-/blob/0123abcd"
ALLOWED_LINKS = (
    "https://nvd.nist.gov/vuln/detail/",
    "https://github.com/advisories/",
    "https://pkg.go.dev/vuln/",
    "https://cwe.mitre.org/data/definitions/",
    LINK_BASE + "/",
)


def load_sample(relative: str) -> Any:
    return json.loads((SAMPLES / relative).read_bytes())


# --- reports carrying the attacks ---------------------------------------------------------------


def semgrep_report() -> bytes:
    doc = load_sample("semgrep/semgrep.json")
    first = doc["results"][0]
    doc["results"] = []
    for index, attack in enumerate(ATTACKS):
        result = copy.deepcopy(first)
        result["check_id"] = f"acme.rules.{attack}"
        result["path"] = f"internal/{attack}.go"
        result["start"]["line"] = result["end"]["line"] = 10 + index
        result["extra"]["message"] = attack
        result["extra"]["lines"] = attack
        result["extra"]["metadata"]["references"] = [f"javascript:alert({index})"]
        doc["results"].append(result)
    doc["errors"] = [{"type": "Syntax error", "level": "warn", "message": a} for a in ATTACKS]
    return json.dumps(doc).encode()


def gosec_report() -> bytes:
    doc = load_sample("gosec/gosec.json")
    first = doc["Issues"][0]
    doc["Issues"] = []
    for index, attack in enumerate(ATTACKS):
        issue = copy.deepcopy(first)
        issue.update(rule_id="G104", cwe={"id": "703"}, details=attack, line=str(10 + index))
        issue["file"] = f"cmd/{attack}/main.go"
        issue["code"] = f"{10 + index}: {attack}\n"
        doc["Issues"].append(issue)
    doc["Golang errors"] = {"cmd/x.go": [{"line": 1, "column": 1, "error": a} for a in ATTACKS]}
    return json.dumps(doc).encode()


def trivy_report() -> bytes:
    doc = load_sample("trivy/trivy-image.json")
    result = doc["Results"][0]
    first = result["Vulnerabilities"][0]
    result["Target"] = "acme/api:1.0 " + ATTACKS[0]
    result["Vulnerabilities"] = []
    for index, attack in enumerate(ATTACKS):
        vuln = copy.deepcopy(first)
        vuln.update(VulnerabilityID=f"CVE-2024-{1000 + index}", PkgName=f"lib{index}{attack}")
        vuln.update(Title=attack, Description=attack, InstalledVersion=attack)
        vuln["References"] = [f"javascript:alert({index})", "https://evil.example/ref"]
        result["Vulnerabilities"].append(vuln)
    doc["Results"] = [result]
    return json.dumps(doc).encode()


def sarif_report() -> bytes:
    doc = load_sample("sarif/codeql-like.sarif")
    run = doc["runs"][0]
    rule = run["tool"]["driver"]["rules"][0]
    result = run["results"][0]
    run["tool"]["driver"]["rules"] = []
    run["results"] = []
    for index, attack in enumerate(ATTACKS):
        new_rule = copy.deepcopy(rule)
        new_rule.update(id=f"acme/{attack}", name=attack, helpUri="javascript:alert(1)")
        new_rule["shortDescription"] = {"text": attack}
        new_rule["fullDescription"] = {"text": attack}
        run["tool"]["driver"]["rules"].append(new_rule)
        new_result = copy.deepcopy(result)
        new_result.update(ruleId=new_rule["id"], ruleIndex=index, message={"text": attack})
        new_result.pop("relatedLocations", None)
        new_result.pop("codeFlows", None)
        location = new_result["locations"][0]["physicalLocation"]
        location["artifactLocation"]["uri"] = f"pkg/{index}/{attack}.go"
        location["region"]["snippet"] = {"text": attack}
        run["results"].append(new_result)
    return json.dumps(doc).encode()


def xml_text(text: str) -> str:
    """The attack as XML 1.0 can carry it: no C0 control characters but tab and newlines
    (an XML report cannot hold an ESC byte, nor can the tool have written one)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


def zap_report() -> bytes:
    root = ElementTree.fromstring((SAMPLES / "zap" / "zap-report.xml").read_bytes())
    site = root.find("site")
    assert site is not None
    alerts = site.find("alerts")
    assert alerts is not None
    template = alerts.find("alertitem")
    assert template is not None
    for item in list(alerts):
        alerts.remove(item)
    site.set("name", "http://payments-api.acme.test")
    for index, attack in enumerate(map(xml_text, ATTACKS)):
        item = copy.deepcopy(template)
        for tag, value in (
            ("pluginid", str(90000 + index)),
            ("alertRef", str(90000 + index)),
            ("alert", attack),
            ("name", attack),
            ("desc", attack),
            ("solution", attack),
            ("reference", "javascript:alert(1)"),
        ):
            element = item.find(tag)
            if element is not None:
                element.text = value
        for instance in item.iter("instance"):
            for tag, value in (
                ("uri", f"http://payments-api.acme.test/{attack}"),
                ("param", attack),
            ):
                element = instance.find(tag)
                if element is not None:
                    element.text = value
        alerts.append(item)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def schemathesis_junit() -> bytes:
    cases = []
    for index, attack in enumerate(map(xml_text, ATTACKS)):
        text = (
            f"1. Test Case ID: Ab{index}\n\n- ST101 Server error {attack}\n\n"
            f"[500] Internal Server Error:\n\n    `{attack}`\n\nReproduce with:\n\n"
            f"    curl -X GET 'http://127.0.0.1:8080/v1/items/{index}?q={attack}'\n"
        )
        failure = ElementTree.Element("failure", type="failure", message=f"ST101 {attack}")
        failure.text = text
        case = ElementTree.Element("testcase", name=f"GET /v1/items{index}/{attack}")
        case.append(failure)
        cases.append(case)
    suite = ElementTree.Element("testsuite", name="schemathesis", tests=str(len(cases)))
    suite.extend(cases)
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    return ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True)


REPORTS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "semgrep": ("semgrep.json", semgrep_report),
    "gosec": ("gosec.json", gosec_report),
    "trivy": ("trivy.json", trivy_report),
    "sarif": ("gosentry.sarif", sarif_report),
    "zap": ("zap-report.xml", zap_report),
    "schemathesis": ("junit.xml", schemathesis_junit),
}


def upstream_findings_json(tmp_path: Path) -> bytes:
    """hardening's own findings.json, as a crafted upstream job could hand it on: tool names,
    rule ids and titles carrying the attacks."""
    source = tmp_path / "upstream-src"
    source.mkdir()
    (source / "gosec.json").write_bytes(gosec_report())
    out = tmp_path / "upstream-out"
    assert run_cli(["aggregate", str(source), "--out", str(out), "--format", "json"]).exit_code == 0
    doc = load_json(out / "findings.json")
    for index, finding in enumerate(doc["findings"]):
        finding["tool"] = ATTACKS[index % len(ATTACKS)]
    for run in doc["runs"]:
        run["tool"] = ATTACKS[12]
        run["version"] = ATTACKS[13]
    return json.dumps(doc).encode()


# --- checks on the rendered outputs ---------------------------------------------------------


def walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


_SCAFFOLDING = re.compile(
    r"(?:<!-- hardening:summary -->|<details><summary>[^<>&]*</summary>|</details>)"
)
_REFERENCE = re.compile(r"[@#!~%$&](?=[\w\[(\"'])")
_BARE_URL = re.compile(r"(?i)\b(?:https?|ftp|file|javascript|data|vbscript|mailto):|\bwww\.")


def markdown_problems(markdown: str) -> list[str]:
    """What in ``markdown`` (GitLab/GitHub flavour) is not inert."""
    problems = []
    if markdown.count(MARKER) != 1:
        problems.append(f"{markdown.count(MARKER)} markers")
    parser = MarkdownIt("commonmark").enable("table")
    # markdown-it drops javascript: and data: links by itself; a platform's renderer may not,
    # so every link the syntax makes is reported.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    tokens = parser.parse(markdown)
    html = []
    for token in walk(tokens):
        if token.type in ("html_block", "html_inline"):
            html.append(token.content.strip())
            for line in token.content.strip().splitlines():
                if not _SCAFFOLDING.fullmatch(line.strip()):
                    problems.append(f"live HTML: {line!r}")
        elif token.type == "image":
            problems.append(f"image: {token.attrGet('src')!r}")
        elif token.type == "link_open":
            href = str(token.attrGet("href"))
            if not href.startswith(ALLOWED_LINKS):
                problems.append(f"link to {href!r}")
        elif token.type == "text":
            if _REFERENCE.search(token.content):
                problems.append(f"mention or reference: {token.content!r}")
            if _BARE_URL.search(token.content):
                problems.append(f"autolink: {token.content!r}")
    opened = sum(h.count("<details>") for h in html)
    closed = sum(h.count("</details>") for h in html)
    if opened != closed:
        problems.append(f"{opened} <details> but {closed} </details>")
    problems.extend(table_problems(markdown))
    problems.extend(f"control character {c}" for c in terminal_controls(markdown))
    return problems


def table_problems(markdown: str) -> list[str]:
    """Every row of a table has as many cell separators as its header (a pipe from a report
    would add a cell and shift the row)."""
    problems = []
    expected = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            expected = None
            continue
        pipes = len(re.findall(r"(?<!\\)\|", line))
        if expected is None:
            expected = pipes
        elif pipes != expected:
            problems.append(f"row with {pipes} separators, header has {expected}: {line[:80]!r}")
    return problems


class _HtmlTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def html_problems(page: str) -> list[str]:
    """Elements or attributes in report.html that could only come from report text."""
    parser = _HtmlTags()
    parser.feed(page)
    problems = []
    for tag, attrs in parser.tags:
        if tag in ("img", "iframe", "object", "embed", "base", "form"):
            problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...> handler")
            if value and re.search(r"(?i)javascript:|data:text/html|evil\.example", value):
                problems.append(f"<{tag} {name}={value[:40]!r}>")
    scripts = re.findall(r"(?is)<script\b[^>]*>(.*?)</script>", page)
    problems.extend("data in a script" for s in scripts if "alert(1)</script" in s)
    if re.search(r"(?i)<script>alert\(1\)", page):
        problems.append("<script> from data")
    return problems


# --- the tests ----------------------------------------------------------------------------------


def aggregate(tmp_path: Path, name: str, data: bytes) -> tuple[Path, str]:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / name).write_bytes(data)
    out = tmp_path / "out"
    result = run_cli(["aggregate", str(artifacts), "--out", str(out), "--link-base", LINK_BASE])
    assert result.exit_code == 0, result.output
    return out, result.stdout + result.stderr


@pytest.mark.parametrize("tool", sorted(REPORTS))
def test_the_attack_reports_are_read(tool: str, tmp_path: Path) -> None:
    name, build = REPORTS[tool]
    out, _ = aggregate(tmp_path, name, build())
    report = load_json(out / "findings.json")
    assert [run["status"] for run in report["runs"]] == ["ok"]
    assert len(report["findings"]) >= len(ATTACKS) - 2  # a few attacks may merge


@pytest.mark.parametrize("tool", sorted(REPORTS))
def test_summary_md_is_inert(tool: str, tmp_path: Path) -> None:
    name, build = REPORTS[tool]
    out, _ = aggregate(tmp_path, name, build())
    assert markdown_problems((out / "summary.md").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("tool", [*sorted(REPORTS), "findings.json"])
def test_terminal_output_holds_no_control_characters(tool: str, tmp_path: Path) -> None:
    if tool == "findings.json":
        name, data = "upstream/findings.json", upstream_findings_json(tmp_path)
        (tmp_path / "artifacts" / "upstream").mkdir(parents=True)
    else:
        name, data = REPORTS[tool][0], REPORTS[tool][1]()
    _, terminal = aggregate(tmp_path, name, data)
    assert terminal_controls(terminal) == []
    inspect = run_cli(["inspect", str(tmp_path / "artifacts" / name)])
    assert terminal_controls(inspect.output) == []


def test_the_terminal_still_shows_the_attack_text_as_text(tmp_path: Path) -> None:
    _, terminal = aggregate(tmp_path, "gosec.json", gosec_report())
    assert "<script>alert(1)</script>" in terminal
    assert "[2J[1;31mRED[0m cleared" in terminal  # the escape bytes alone are gone


@pytest.mark.parametrize("tool", sorted(REPORTS))
def test_report_html_is_inert(tool: str, tmp_path: Path) -> None:
    name, build = REPORTS[tool]
    out, _ = aggregate(tmp_path, name, build())
    page = out / "report.html"
    if not page.exists():
        pytest.skip("report.html is not written yet (the HTML renderer is being built)")
    assert html_problems(page.read_text(encoding="utf-8")) == []


def test_the_posted_comment_is_inert(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    for name, build in REPORTS.values():
        (artifacts / name).write_bytes(build())
    out = tmp_path / "out"
    result = run_cli(["aggregate", str(artifacts), "--out", str(out), "--link-base", LINK_BASE])
    assert result.exit_code == 0

    fake = FakeGitLab()
    with fake.running():
        env = merge_request_env(fake)
        posted = run_cli(["comment", str(out)], env=env)
    assert posted.exit_code == 0, posted.output
    assert terminal_controls(posted.output) == []
    bodies = [note["body"] for note in fake.notes.values()]
    assert len(bodies) == 1
    assert markdown_problems(bodies[0]) == []


def test_the_checks_catch_live_markdown() -> None:
    """The checker itself: each kind of problem it looks for is found in a crafted text."""
    evil = (
        f"{MARKER}\n{MARKER}\n\n<img src=x>\n\n![i](https://evil.example/i.png) "
        "[l](javascript:x) @all https://evil.example\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n"
        "\x1b[2J\n<details><summary>x</summary>\n"
    )
    problems = " ".join(markdown_problems(evil))
    for expected in (
        "2 markers",
        "live HTML",
        "image",
        "link to",
        "mention",
        "autolink",
        "separators",
        "control character",
        "<details>",
    ):
        assert expected in problems


def test_a_code_span_cannot_carry_the_bot_marker() -> None:
    from hardening.render import text

    shown = text.markdown_code(f"cmd/{MARKER}.go")
    assert MARKER not in shown and "hardening:summary" in shown


def test_triage_output_shows_rule_ids_without_escape_sequences(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "semgrep.json").write_bytes(semgrep_report())
    baseline = tmp_path / "baseline.json"
    update = run_cli(["baseline", "update", str(artifacts), "--baseline", str(baseline)])
    assert update.exit_code == 0, update.output
    fingerprints = list(load_json(baseline)["entries"])
    accepted = run_cli(
        ["baseline", "accept", *fingerprints, "--reason", "test", "--baseline", str(baseline)]
    )
    assert accepted.exit_code == 0, accepted.output
    shown = run_cli(["baseline", "show", "--baseline", str(baseline)])
    assert terminal_controls(accepted.output + shown.output) == []
    assert "[2J[1;31mRED[0m" in accepted.output


def test_progress_shows_file_names_without_escape_sequences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    from hardening import cli

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stderr = Tty()
    monkeypatch.setattr(sys, "stderr", stderr)
    bar = cli._progress()
    assert bar is not None
    bar.begin([])
    bar.update("artifacts/\x1b]8;;https://evil.example\x07x.json", 0, 1)
    bar.close()
    # Only the progress line's own erase sequences reach the terminal.
    out = stderr.getvalue().replace("\r\x1b[2K", "")
    assert "artifacts/]8;;https://evil.examplex.json" in out
    assert "\x1b" not in out and "\x07" not in out

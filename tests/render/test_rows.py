"""Rows tell findings apart: long rule ids keep their distinguishing tail, and one package at
two places shows each place in the terminal and summary rows, SARIF and Code Quality."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from hardening.model import Component, Finding, Kind, Report, Severity
from hardening.render import codequality, markdown, sarif_out, terminal, text

RULE = "vulnerability-management.semgrep-rules.community.rules.lang.python.sqli"


def package(path: str) -> Finding:
    return Finding(
        tool="trivy",
        kind=Kind.dependency,
        rule_id="CVE-2021-3807",
        title="ReDoS in ansi-regex",
        severity=Severity.high,
        component=Component(
            name="ansi-regex",
            installed_version="4.1.0",
            fixed_version="4.1.1",
            target="Node.js",
            package_path=path,
        ),
        fingerprint=hashlib.sha256(path.encode()).hexdigest()[:32],
    )


PATHS = (
    "juice-shop/node_modules/ansi-regex/package.json",
    "usr/local/lib/node_modules/npm/node_modules/cliui/node_modules/ansi-regex/package.json",
)


def test_a_long_rule_id_is_cut_in_the_middle_keeping_its_tail() -> None:
    short = text.middle(RULE, 50)
    assert len(short) == 50
    assert short.startswith("vulnerability-management")
    assert short.endswith("rules.lang.python.sqli")
    assert "…" in short


def test_a_short_text_is_left_whole() -> None:
    assert text.middle("G104", 50) == "G104"


def test_terminal_rows_of_one_package_at_two_paths_differ_by_path() -> None:
    report = Report(findings=[package(p) for p in PATHS])
    out = terminal.render(report, colour=False)
    rows = [line for line in out.splitlines() if "CVE-2021-3807" in line]
    assert len(rows) == 2
    assert "in juice-shop/node_modules/ansi-regex/package.json" in rows[0]
    assert rows[1].rstrip().count("cliui/node_modules/ansi-regex/package.json") == 1


def test_summary_rows_of_one_package_at_two_paths_differ_by_path() -> None:
    report = Report(findings=[package(p) for p in PATHS])
    summary = markdown.render(report)
    rows = [
        line
        for line in summary.splitlines()
        if "CVE\\-2021\\-3807" in line or "CVE-2021-3807" in line
    ]
    rows = [row for row in rows if "ansi-regex 4.1.0" in row]
    assert len(rows) == 2
    assert "→ 4.1.1 in juice-shop/node_modules/ansi-regex/package.json" in rows[0]
    assert "cliui/node_modules/ansi-regex/package.json" in rows[1]


def test_code_quality_and_sarif_point_at_the_path_in_the_image_not_the_language(
    tmp_path: Path,
) -> None:
    report = Report(findings=[package(p) for p in PATHS])
    codequality.write(report, tmp_path / "cq.json")
    issues = json.loads((tmp_path / "cq.json").read_text(encoding="utf-8"))
    assert sorted(issue["location"]["path"] for issue in issues) == sorted(PATHS)
    sarif_out.write(report, tmp_path / "out.sarif")
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    uris = [
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in log["runs"]
        for result in run["results"]
    ]
    assert sorted(uris) == sorted(PATHS)
    assert "Node.js" not in json.dumps(issues) + json.dumps(uris)

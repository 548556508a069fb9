"""An eighth tool touches only its own room: a parser from another distribution (its own module
and entry point, nothing else) with its own severity table and SARIF dialect is read, mapped,
filtered, diffed and rendered in every output like a built-in one.

The distribution is built and installed with pip into a folder of its own, which the run
puts on ``PYTHONPATH``: hardening finds the parser through the entry-point group only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

PLUGIN = '''
"""acme-scan: one tool's parser, with its severity words and its SARIF dialect."""

from __future__ import annotations

import json
from pathlib import PurePath

from hardening import fingerprint, severity
from hardening.model import CodeLocation, Finding, Kind, Severity, ToolRun
from hardening.parsers import sarif
from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult

SEVERITIES = {"WORST": Severity.critical, "BAD": Severity.high, "MEH": Severity.low}


class AcmeJsonParser(Parser):
    name = "acme-json"
    tool = "acme"
    format = "json"
    severities = SEVERITIES

    @classmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        return Detection(90) if b'"acme_scan"' in head else None

    @classmethod
    def sarif_dialect(cls) -> sarif.SarifDialect:
        return DIALECT

    def parse(self, artifact: Artifact) -> ParseResult:
        document = json.loads(artifact.read_bytes())
        run = ToolRun(tool="acme", version=document["acme_scan"])
        return ParseResult(runs=[run], findings=[_finding(i) for i in document["issues"]])


def _finding(issue: dict) -> Finding:
    return Finding(
        tool="acme",
        kind=Kind.code,
        rule_id=issue["rule"],
        title=issue["text"],
        severity=severity.lookup(SEVERITIES, issue["level"]),
        tool_severity=issue["level"],
        message=issue["text"],
        location=CodeLocation(path=issue["file"], start_line=issue["line"]),
        identity=[fingerprint.text_digest(issue["text"])],
    )


def _from_sarif(view: sarif.SarifResult, context: sarif.RunContext) -> Finding:
    word = view.result_properties.get("acme-level")
    return sarif.code_finding(
        view,
        context,
        identity=[fingerprint.text_digest(view.message)],
        severity_pair=(severity.lookup(SEVERITIES, word), word),
    )


DIALECT = sarif.SarifDialect(claims=lambda name: name == "acme scan", convert=_from_sarif)
'''

PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-scan-hardening"
version = "1.0"

[project.entry-points."hardening.parsers"]
acme-json = "acme_scan:AcmeJsonParser"

[tool.setuptools]
py-modules = ["acme_scan"]
"""

OUTPUTS = ("findings.json", "summary.md", "report.html", "hardening.sarif")
CODE_QUALITY = "gl-code-quality-report.json"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin's distribution, installed with pip into a folder of its own."""
    root = tmp_path_factory.mktemp("plugin")
    source = root / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text(PYPROJECT)
    (source / "acme_scan.py").write_text(textwrap.dedent(PLUGIN))
    target = root / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-build-isolation",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    assert (target / "acme_scan.py").is_file()
    return target


def hardening(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-m", "hardening", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,  # the installed package, never the source tree beside the tests
        timeout=300,
    )


def acme_report(folder: Path, *issues: tuple[str, str, str, str]) -> None:
    folder.mkdir(parents=True)
    document = {
        "acme_scan": "1.0",
        "issues": [
            {"rule": rule, "level": level, "file": path, "line": 3, "text": text}
            for rule, level, path, text in issues
        ],
    }
    (folder / "acme.json").write_text(json.dumps(document))


def acme_sarif(path: Path) -> None:
    """Acme's SARIF: its driver is "Acme Scan", its severity word in a result property."""
    result = {
        "ruleId": "AC9",
        "level": "note",
        "message": {"text": "tainted path reaches open()"},
        "properties": {"acme-level": "WORST"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "src/files.py"},
                    "region": {"startLine": 8},
                }
            }
        ],
    }
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Acme Scan", "rules": [{"id": "AC9"}]}},
                "results": [result],
            }
        ],
    }
    path.write_text(json.dumps(log))


OLD = ("AC1", "BAD", "src/app.py", "temporary file made in a shared folder")
KEPT = ("AC2", "MEH", "src/app.py", "debug logging left on")
NEW = ("AC3", "WORST", "src/db.py", "query built from request text")
VENDORED = ("AC4", "BAD", "vendor/lib/x.py", "the same in vendored code")


def by_rule(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {finding["rule_id"]: finding for finding in findings}


def test_a_parser_from_another_distribution_is_read_mapped_filtered_diffed_and_rendered(
    site: Path, tmp_path: Path
) -> None:
    acme_report(tmp_path / "before", OLD, KEPT)
    baseline = tmp_path / "baseline.json"
    made = hardening(site, tmp_path, "baseline", "update", "before", "--baseline", str(baseline))
    assert made.returncode == 0, made.stderr
    acme_report(tmp_path / "reports", KEPT, NEW, VENDORED)
    acme_sarif(tmp_path / "reports" / "acme.sarif")

    run = hardening(
        site, tmp_path, "aggregate", "reports", "--baseline", str(baseline), "--out", "out"
    )
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    document = json.loads((out / "findings.json").read_text())
    findings = by_rule(document["findings"])
    # Read, and mapped through the plugin's own table (WORST is no word SARIF or hardening knows).
    assert findings["AC3"]["tool"] == "acme"
    assert findings["AC3"]["severity"] == "critical"
    assert findings["AC2"]["severity"] == "low"
    # Filtered: vendored code is left out by the default excludes.
    assert "AC4" not in findings
    # Diffed against the baseline.
    assert findings["AC3"]["state"] == "new"
    assert findings["AC2"]["state"] == "unchanged"
    assert findings["AC1"]["state"] == "fixed"
    # Its SARIF: the dialect names the tool and maps the severity word the result carries.
    assert findings["AC9"]["tool"] == "acme"
    assert (findings["AC9"]["severity"], findings["AC9"]["tool_severity"]) == ("critical", "WORST")
    assert sorted(r["format"] for r in document["runs"] if r["tool"] == "acme") == ["json", "sarif"]
    # Rendered in every output.
    assert "AC3" in run.stdout and "acme" in run.stdout
    for name in OUTPUTS:
        text = (out / name).read_text()
        assert "AC3" in text and "AC9" in text, name
    quality = json.loads((out / CODE_QUALITY).read_text())
    (entry,) = [entry for entry in quality if "AC3" in entry["check_name"]]
    assert entry["severity"] == "blocker"  # Code Quality's name for critical


def test_without_the_plugin_its_sarif_is_generic_and_its_json_unclaimed(
    site: Path, tmp_path: Path
) -> None:
    """What the test above proves comes from the plugin: without it on the path, the SARIF
    run is a tool of its own name with SARIF's level, and the JSON report is skipped."""
    acme_report(tmp_path / "reports", NEW)
    acme_sarif(tmp_path / "reports" / "acme.sarif")
    run = hardening(tmp_path / "nothing", tmp_path, "aggregate", "reports", "--out", "out")
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "out" / "findings.json").read_text())
    (finding,) = document["findings"]
    assert (finding["tool"], finding["severity"]) == ("acme-scan", "low")
    assert [skipped["path"] for skipped in document["skipped"]] == ["reports/acme.json"]

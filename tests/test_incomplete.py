"""An incomplete run is never headlined as clean: every headline says "incomplete" and names
the tools, nothing is green, nothing "would pass", and findings.json records it once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from hardening.model import Completeness, RunStatus, ToolRun
from support import SAMPLES

#: Variables by which `comment` would find a merge or pull request to post to.
CI_VARIABLES = (
    "CI",
    "GITLAB_CI",
    "CI_MERGE_REQUEST_IID",
    "CI_PROJECT_ID",
    "CI_API_V4_URL",
    "CI_SERVER_URL",
    "GITHUB_ACTIONS",
    "GITHUB_REPOSITORY",
    "GITHUB_EVENT_PATH",
    "GITHUB_TOKEN",
    "GITHUB_REF",
    "HARDENING_GITLAB_TOKEN",
)


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def aggregate(out: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["aggregate", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def note(out: Path) -> str:
    """The merge-request note, rendered from findings.json as the comment bot does."""
    result = CliRunner().invoke(cli, ["comment", str(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    return result.output


def headline(text: str) -> str:
    """Everything before the first table (Markdown) or the tool list (terminal)."""
    for cut in ("\n|", "\nTool runs:"):
        if cut in text:
            text = text.split(cut, 1)[0]
    return text.replace("**", "")


def broken_gosec(folder: Path) -> Path:
    """A gosec report cut short: the parser claims it, and it fails."""
    path = folder / "gosec.json"
    path.write_text((SAMPLES / "gosec" / "gosec.json").read_text()[:400])
    return path


def test_completeness_names_each_tool_that_did_not_complete() -> None:
    runs = [
        ToolRun(tool="semgrep"),
        ToolRun(tool="gosec", status=RunStatus.failed),
        ToolRun(tool="zap", status=RunStatus.not_exercised),
        ToolRun(tool="gitleaks", status=RunStatus.missing),
        ToolRun(tool="trivy"),
        ToolRun(tool="trivy", status=RunStatus.failed),
    ]
    completeness = Completeness.of(runs)
    assert not completeness.complete
    assert completeness.tools == {
        "gosec": RunStatus.failed,
        "zap": RunStatus.not_exercised,
        "gitleaks": RunStatus.missing,
        "trivy": RunStatus.failed,
    }
    assert completeness.summary == (
        "gosec failed, trivy failed (1 of 2 reports), zap not exercised, gitleaks missing"
    )


def test_nothing_read_is_incomplete() -> None:
    completeness = Completeness.of([])
    assert not completeness.complete and completeness.nothing_read
    assert completeness.summary == "nothing was read"


def test_a_failed_tool_is_in_every_headline_and_nothing_reads_as_passing(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    broken_gosec(reports)
    shutil.copy(SAMPLES / "semgrep" / "semgrep.json", reports / "semgrep.json")
    out = tmp_path / "out"
    terminal = aggregate(out, str(reports), "--config", "/dev/null")
    summary = (out / "summary.md").read_text()
    comment = note(out)
    for text in (terminal, summary, comment):
        first = headline(text)
        assert "incomplete" in first.lower(), first
        assert "gosec failed" in first, first
    for text in (summary, comment):
        assert "🟢" not in text
        assert "would pass" not in text
    recorded = json.loads((out / "findings.json").read_text())["completeness"]
    assert recorded == {
        "complete": False,
        "tools": {"gosec": "failed"},
        "nothing_read": False,
        "summary": "gosec failed",
    }


def test_missing_tools_of_the_profile_are_in_every_headline(tmp_path: Path) -> None:
    out = tmp_path / "out"
    terminal = aggregate(out, "--profile", "sast", str(SAMPLES / "gosec"))
    for text in (terminal, (out / "summary.md").read_text(), note(out)):
        assert "incomplete: gitleaks missing, semgrep missing" in headline(text).lower()


def test_a_passing_gate_of_an_incomplete_run_is_inconclusive_not_green(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Only low findings: the gate would pass, were the run complete.
    (tmp_path / "config.toml").write_text('[gate]\nrule = "new:critical"\n')
    aggregate(
        out, "--profile", "sast", str(SAMPLES / "gosec"), "--config", str(tmp_path / "config.toml")
    )
    summary = (out / "summary.md").read_text()
    assert "⚠️ **Gate simulation (report-only)** `new:critical`: inconclusive: " in summary
    assert "🟢" not in summary and "would pass" not in summary
    page = (out / "report.html").read_text()
    assert '<section id="incomplete"' in page
    assert "gitleaks missing, semgrep missing" in page


def test_nothing_read_is_in_every_headline(tmp_path: Path) -> None:
    out = tmp_path / "out"
    terminal = aggregate(out, str(tmp_path / "absent"))
    for text in (terminal, (out / "summary.md").read_text(), note(out)):
        assert "incomplete: nothing was read" in headline(text).lower()


def test_a_complete_run_has_no_incomplete_headline(tmp_path: Path) -> None:
    out = tmp_path / "out"
    terminal = aggregate(out, str(SAMPLES / "gosec"))
    assert "incomplete" not in terminal.lower()
    assert "incomplete" not in (out / "summary.md").read_text().lower()


def test_a_semgrep_scan_that_read_no_file_is_not_exercised_in_every_output(
    tmp_path: Path,
) -> None:
    report = tmp_path / "semgrep.json"
    report.write_text(
        json.dumps({"version": "1.185.0", "results": [], "errors": [], "paths": {"scanned": []}})
    )
    out = tmp_path / "out"
    terminal = aggregate(out, str(report))
    assert "Run incomplete: semgrep not exercised" in terminal
    assert "semgrep not exercised" in headline((out / "summary.md").read_text())
    run = json.loads((out / "findings.json").read_text())["runs"][0]
    assert run["status"] == "not_exercised"


def test_a_gosec_scan_of_zero_files_is_not_exercised(tmp_path: Path) -> None:
    report = tmp_path / "gosec.json"
    report.write_text(
        json.dumps(
            {
                "Golang errors": {},
                "Issues": [],
                "Stats": {"files": 0, "lines": 0, "nosec": 0, "found": 0},
                "GosecVersion": "2.21.4",
            }
        )
    )
    out = tmp_path / "out"
    terminal = aggregate(out, str(report))
    assert "Run incomplete: gosec not exercised" in terminal
    result = CliRunner().invoke(cli, ["aggregate", str(report), "-q", "--fail-on", "new:high"])
    assert result.exit_code == 1
    assert "gate inconclusive: gosec not exercised" in result.output

"""The terminal follows conventions, and no output points at a file the run did not write."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from hardening.progress import StageLog
from hardening.render.terminal import wants_colour
from support import SAMPLES


@pytest.mark.parametrize(
    ("flag", "environ", "tty", "expected"),
    [
        (True, {"FORCE_COLOR": "1"}, True, False),  # --no-color beats everything
        (False, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),  # NO_COLOR beats FORCE
        (False, {"NO_COLOR": ""}, True, True),  # an empty NO_COLOR is not set
        (False, {"FORCE_COLOR": "1"}, False, True),  # FORCE_COLOR beats the TTY test
        (False, {"FORCE_COLOR": "0"}, True, False),
        (False, {}, True, True),
        (False, {}, False, False),
    ],
)
def test_colour_is_decided_by_flag_then_no_color_then_force_color_then_tty(
    flag: bool, environ: dict[str, str], tty: bool, expected: bool
) -> None:
    assert wants_colour(flag, environ, tty) is expected


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_no_color_in_the_environment_is_honoured_even_when_colour_is_forced() -> None:
    forced = run("aggregate", str(SAMPLES), env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in forced
    plain = run("aggregate", str(SAMPLES), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in plain
    flagged = run("aggregate", str(SAMPLES), "--no-color", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in flagged


def test_the_terminal_names_the_files_it_wrote(tmp_path: Path) -> None:
    out = run("aggregate", str(SAMPLES), "--out", str(tmp_path / "report"))
    assert out.rstrip().splitlines()[-1] == (
        f"Wrote {tmp_path / 'report'}/: findings.json, summary.md, report.html, "
        "hardening.sarif, gl-code-quality-report.json"
    )


def test_without_out_the_terminal_names_no_file_it_did_not_write() -> None:
    out = run("aggregate", str(SAMPLES))
    assert "Wrote" not in out
    assert "see findings.json" not in out and "see report.html" not in out


def test_summary_points_only_at_the_outputs_this_run_wrote(tmp_path: Path) -> None:
    run("aggregate", str(SAMPLES), "--out", str(tmp_path / "md"), "--format", "markdown")
    summary = (tmp_path / "md" / "summary.md").read_text(encoding="utf-8")
    assert "report.html" not in summary and "findings.json" not in summary
    run("aggregate", str(SAMPLES), "--out", str(tmp_path / "all"))
    summary = (tmp_path / "all" / "summary.md").read_text(encoding="utf-8")
    assert "_Full details: `report.html` and `findings.json` in the job artifacts._" in summary
    recorded = json.loads((tmp_path / "all" / "findings.json").read_text(encoding="utf-8"))
    assert recorded["outputs"] == [
        "findings.json",
        "summary.md",
        "report.html",
        "hardening.sarif",
        "gl-code-quality-report.json",
    ]


def test_in_a_log_a_slow_stage_prints_one_line_when_it_ends(tmp_path: Path) -> None:
    report = tmp_path / "big.json"
    report.write_bytes(b"x" * 3_000_000)
    stream = io.StringIO()
    log = StageLog(stream, slow=0.05)
    log.begin([report, tmp_path / "small.json"])
    log.update("big.json", 0, 2)
    time.sleep(0.1)
    log.update("small.json", 1, 2)  # fast: no line
    log.stage("writing report.html")
    time.sleep(0.1)
    log.close()
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" in ", 1)[0] for line in lines] == [
        "hardening: read big.json (3.0 MB)",
        "hardening: wrote report.html",
    ]
    assert all(line.endswith("s") for line in lines)


def test_quiet_prints_no_stage_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["aggregate", str(SAMPLES), "-q", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0
    assert result.output == ""

"""Usage mistakes are exit 2 with one line that says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from support import SAMPLES


def refused(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("hardening: error: ")
    return lines[0]


def test_an_unknown_input_tool_names_the_nearest_one() -> None:
    line = refused("aggregate", "--input", f"gosek={SAMPLES / 'gosec' / 'gosec.json'}")
    assert "unknown tool 'gosek'" in line
    assert "did you mean gosec?" in line


def test_format_without_out_is_refused() -> None:
    line = refused("aggregate", str(SAMPLES), "--format", "markdown")
    assert "--format" in line and "--out" in line


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "a", "--out", "b"],
        ["--out=a", "--out", "b"],
        ["--baseline", "x.json", "--baseline=y.json"],
        ["--max-chars", "5000", "--max-chars", "6000"],
    ],
)
def test_an_option_that_takes_one_value_given_twice_is_refused(
    args: list[str], tmp_path: Path
) -> None:
    line = refused("aggregate", str(SAMPLES), *args)
    assert "was given twice" in line


def test_repeatable_options_stay_repeatable(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "aggregate",
            str(SAMPLES),
            "--strip-prefix",
            "/a/",
            "--strip-prefix",
            "/b/",
            "--exclude",
            "x/**",
            "--exclude",
            "y/**",
            "--out",
            str(tmp_path / "o"),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output


def test_a_value_that_looks_like_the_option_is_not_a_repeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["aggregate", str(SAMPLES), "--out", "--out", "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output  # --out's value is a folder named --out
    assert (tmp_path / "--out" / "findings.json").is_file()


def test_an_expiry_in_the_past_is_refused(tmp_path: Path) -> None:
    line = refused(
        "baseline",
        "accept",
        "abc123",
        "--reason",
        "compensating control",
        "--expires",
        "2020-01-01",
        "--baseline",
        str(tmp_path / "baseline.json"),
    )
    assert "2020-01-01 is in the past" in line
    assert not (tmp_path / "baseline.json").exists()


def test_a_click_usage_error_is_one_line_naming_the_command() -> None:
    line = refused("aggregate", "--no-such-option")
    assert line.startswith("hardening: error: aggregate: No such option")

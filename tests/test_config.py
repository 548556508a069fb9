"""Configuration files: found upward, validated with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening import config
from hardening.cli import cli
from hardening.errors import ConfigError
from hardening.model import Severity, State
from support import SAMPLES


def test_hardening_toml_is_found_upward(tmp_path: Path) -> None:
    (tmp_path / ".hardening.toml").write_text('exclude = ["**/testdata/**"]\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    found = config.find(nested)
    assert found == tmp_path / ".hardening.toml"
    assert config.load(found).exclude == ["**/testdata/**"]


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname="x"\n\n[tool.hardening]\nprofile = "sast"\n'
        '[tool.hardening.gate]\nrule = "new:critical"\ntools = { semgrep = "new:medium" }\n'
    )
    cfg = config.load(config.find(tmp_path))
    assert cfg.profile == "sast"
    assert cfg.gate.rule == "new:critical"
    assert cfg.gate.tools == {"semgrep": "new:medium"}


def test_pyproject_without_table_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n')
    assert config.find(tmp_path) in (None, *[p / ".hardening.toml" for p in tmp_path.parents])


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("exclud = []\n", "exclud: unknown key"),
        ('[gate]\nrule = "new:huge"\n', "gate.rule"),
        ('[[severity]]\ntool = "gosec"\nseverity = "urgent"\n', "severity.0.severity"),
        ('profile = "everything"\n', "profile"),
        ("max_chars = 10\n", "max_chars"),
        ("exclude = [\n", "invalid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / ".hardening.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        config.load(path)


def test_pyproject_errors_name_the_full_key(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.hardening]\nbogus = 1\n")
    with pytest.raises(ConfigError, match=r"tool\.hardening\.bogus: unknown key"):
        config.load(path)


def test_gate_syntax() -> None:
    assert config.parse_gate("new:high") == ({State.new}, Severity.high)
    assert config.parse_gate("new, expired:high") == ({State.new, State.expired}, Severity.high)
    with pytest.raises(ValueError, match="STATE:SEVERITY"):
        config.parse_gate("high")
    with pytest.raises(ValueError, match="a gate counts"):
        config.parse_gate("fixed:high")


def test_cli_reports_config_error_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / ".hardening.toml"
    path.write_text("colour = true\n")
    result = CliRunner().invoke(cli, ["aggregate", str(SAMPLES), "--config", str(path)])
    assert result.exit_code == 2
    assert "colour: unknown key" in result.output
    assert "Traceback" not in result.output

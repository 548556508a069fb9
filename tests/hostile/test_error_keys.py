"""A key taken from a user's file never reaches an error message when it may be a secret:
validation errors name model fields, indexes and fingerprints, and say ``<key>`` otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_support import CANARIES, canary_leaks

from hardening.cli import cli
from support import SAMPLES

SECRET_KEY = CANARIES["github"]


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def findings_json(tmp_path: Path) -> dict[str, object]:
    out = tmp_path / "upstream"
    code, output = run_cli("aggregate", str(SAMPLES / "gosec"), "--out", str(out), "-q")
    assert code == 0, output
    data: dict[str, object] = json.loads((out / "findings.json").read_text())
    return data


def with_secret_key(data: dict[str, object], where: str) -> dict[str, object]:
    if where == "top":
        return {**data, SECRET_KEY: 1}
    findings = data["findings"]
    assert isinstance(findings, list)
    return {**data, "findings": [{**findings[0], SECRET_KEY: 1}, *findings[1:]]}


@pytest.mark.parametrize("where", ["top", "finding"])
def test_compare_to_errors_hide_secret_keys(tmp_path: Path, where: str) -> None:
    target = tmp_path / "target.json"
    target.write_text(json.dumps(with_secret_key(findings_json(tmp_path), where)))
    out = tmp_path / "out"
    code, output = run_cli(
        "aggregate", str(SAMPLES / "gosec"), "--compare-to", str(target), "--out", str(out)
    )
    # A warning (the run falls back to the baseline), which names no secret key either.
    assert code == 0 and "<key>" in output, output
    assert canary_leaks(output) == []
    assert canary_leaks((out / "findings.json").read_text()) == []


@pytest.mark.parametrize("where", ["top", "finding"])
def test_relayed_findings_json_errors_hide_secret_keys(tmp_path: Path, where: str) -> None:
    relayed = tmp_path / "in" / "findings.json"
    relayed.parent.mkdir()
    relayed.write_text(json.dumps(with_secret_key(findings_json(tmp_path), where)))
    code, output = run_cli("aggregate", str(relayed.parent))
    assert code == 0 and "<key>" in output, output
    assert canary_leaks(output) == []


def test_baseline_errors_name_fingerprints_but_not_secret_keys(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "baseline.json").read_text())
    fingerprint = next(iter(data["entries"]))
    data["entries"][fingerprint]["severity"] = "urgent"
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(data))
    code, output = run_cli("aggregate", str(SAMPLES / "gosec"), "--baseline", str(baseline))
    assert code == 2 and f"entries.{fingerprint}.severity" in output, output

    data["entries"][fingerprint]["severity"] = "high"
    data["entries"][SECRET_KEY] = {**data["entries"][fingerprint], "kind": "nonsense"}
    baseline.write_text(json.dumps(data))
    code, output = run_cli("aggregate", str(SAMPLES / "gosec"), "--baseline", str(baseline))
    assert code == 2 and "<key>" in output, output
    assert canary_leaks(output) == []


def test_config_errors_hide_secret_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".hardening.toml").write_text(f'"{SECRET_KEY}" = 1\n')
    monkeypatch.chdir(tmp_path)
    code, output = run_cli("aggregate", str(SAMPLES / "gosec"))
    assert code == 2 and "<key>" in output, output
    assert canary_leaks(output) == []

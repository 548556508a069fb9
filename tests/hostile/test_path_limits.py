"""Finding paths the operating system cannot look up (a NUL byte, a name over 255 bytes, a
path beyond PATH_MAX) never crash ``--source-root`` resolution: the finding is kept with the
path as given, and a warning says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_support import load_json, run_cli

PATHS = {
    "nul": ("internal/a\x00b.go", "a NUL byte"),
    "long name": ("internal/" + "x" * 300 + ".go", "a name over 255 bytes"),
    "beyond PATH_MAX": ("/".join(["d" * 200] * 25) + "/f.go", "longer than PATH_MAX (4096 bytes)"),
}


def gosec_report(folder: Path, path: str) -> None:
    issue = {
        "severity": "MEDIUM",
        "confidence": "HIGH",
        "cwe": {"id": "22"},
        "rule_id": "G304",
        "details": "Potential file inclusion via variable",
        "file": path,
        "code": "41: data, err := os.ReadFile(path)\n",
        "line": "41",
        "column": "15",
        "nosec": False,
        "suppressions": None,
    }
    report = {"Issues": [issue], "Stats": {"files": 1, "found": 1}, "GosecVersion": "2.21.4"}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gosec.json").write_text(json.dumps(report))


@pytest.mark.parametrize("case", sorted(PATHS))
@pytest.mark.parametrize("command", ["aggregate", "baseline"])
def test_an_unusable_path_is_kept_as_given_with_a_warning(
    tmp_path: Path, case: str, command: str
) -> None:
    path, problem = PATHS[case]
    gosec_report(tmp_path / "artifacts", path)
    source = tmp_path / "src"
    source.mkdir()
    out = tmp_path / "out"
    baseline = tmp_path / "baseline.json"
    if command == "baseline":
        # A baseline entry at that path, gone today: fixed or unknown asks the source tree.
        result = run_cli(
            ["baseline", "update", str(tmp_path / "artifacts"), "--baseline", str(baseline)]
        )
        assert result.exit_code == 0, result.output
        gosec_report(tmp_path / "today", "internal/other.go")
        artifacts = tmp_path / "today"
    else:
        artifacts = tmp_path / "artifacts"

    args = ["aggregate", str(artifacts), "--source-root", str(source), "--out", str(out)]
    if command == "baseline":
        args += ["--baseline", str(baseline)]
    result = run_cli(args)

    assert result.exit_code == 0, result.output
    report = load_json(out / "findings.json")
    paths = [f["location"]["path"] for f in report["findings"]]
    assert path in paths
    warning = (
        "1 finding path(s) could not be looked up under --source-root "
        f"({problem}): their findings are kept with the path as given"
    )
    assert report["warnings"] == [warning]
    assert "could not be looked up" in result.stdout

"""--compare-to reads the target branch's findings.json as a stream into the reference."""

from __future__ import annotations

import codecs
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening import diff
from hardening.cli import cli
from hardening.errors import HardeningError
from hardening.model import State
from hardening.pipeline import AggregateOptions, aggregate
from hardening.report_io import load_report
from support import SAMPLES

TODAY = date(2026, 11, 28)


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def target_findings(tmp_path: Path, *paths: Path) -> Path:
    code, output = run_cli("aggregate", *map(str, paths), "--out", str(tmp_path / "t"), "-q")
    assert code == 0, output
    return tmp_path / "t" / "findings.json"


def test_streamed_reference_is_the_whole_report_summarized(tmp_path: Path) -> None:
    target = target_findings(tmp_path, SAMPLES)
    streamed = diff.reference_from_file(target, TODAY)
    whole = diff.reference_from_report(load_report(target), str(target), TODAY)
    assert streamed.entries and streamed.entries == whole.entries
    assert streamed.origin == str(target)


def test_compare_to_from_the_command_line(tmp_path: Path) -> None:
    target = target_findings(tmp_path, SAMPLES / "semgrep")
    out = tmp_path / "mr"
    code, output = run_cli(
        "aggregate",
        str(SAMPLES / "semgrep"),
        str(SAMPLES / "gosec"),
        "--compare-to",
        str(target),
        "--out",
        str(out),
        "-q",
    )
    assert code == 0, output
    report = json.loads((out / "findings.json").read_text())
    counts = {k: v for k, v in report["diff"]["counts"].items() if v}
    library = aggregate(
        AggregateOptions(
            paths=[SAMPLES / "semgrep", SAMPLES / "gosec"],
            baseline=diff.Baseline(),
            compare_to=load_report(target),
            compare_to_origin=str(target),
        )
    )
    assert library.diff is not None
    assert counts == {k: v for k, v in library.diff.counts.items() if v}
    assert counts["unchanged"] > 0 and counts["new"] > 0
    assert report["diff"]["compare_to"] == str(target)


def test_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    target = target_findings(tmp_path, SAMPLES / "gosec")
    marked = tmp_path / "bom.json"
    marked.write_bytes(codecs.BOM_UTF8 + target.read_bytes())
    assert diff.reference_from_file(marked, TODAY).entries == (
        diff.reference_from_file(target, TODAY).entries
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not a valid findings.json: invalid JSON"),
        ("[]", "not a valid findings.json: expected a JSON object"),
        ('{"findings": [{"tool": "x"}]}', "not a valid findings.json: findings.0.kind: "),
        ('{"findings": [], "surprise": 1}', "not a valid findings.json: surprise: "),
        ('{"findings": 3}', "not a valid findings.json: findings: "),
        ('{"findings": [', "not a valid findings.json: truncated or invalid JSON"),
    ],
)
def test_bad_files_say_why_in_one_line(tmp_path: Path, text: str, reason: str) -> None:
    target = tmp_path / "findings.json"
    target.write_text(text)
    with pytest.raises(HardeningError, match="^" + str(target).replace("\\", "\\\\")) as caught:
        diff.reference_from_file(target, TODAY)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


FALLBACK = "new and fixed are judged against the baseline instead"


def _unusable_targets(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files a CI job may be given as the target branch's findings.json, and the warning
    each must give."""
    whole = target_findings(tmp_path, SAMPLES / "gosec").read_bytes()
    truncated = tmp_path / "truncated" / "findings.json"
    truncated.parent.mkdir()
    truncated.write_bytes(whole[: len(whole) // 2])
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    return {
        "missing": (tmp_path / "absent" / "findings.json", "absent/findings.json: no such file"),
        "truncated": (truncated, "findings.json: not a valid findings.json: truncated"),
        "empty": (empty, "empty.json: not a valid findings.json"),
        "folder": (tmp_path, f"{tmp_path / 'findings.json'}: no such file"),
    }


@pytest.mark.parametrize("case", ["missing", "truncated", "empty", "folder"])
def test_an_unusable_compare_to_is_one_warning_and_the_baseline_is_the_reference(
    tmp_path: Path, case: str
) -> None:
    target, warning = _unusable_targets(tmp_path)[case]
    baseline = tmp_path / "baseline.json"
    assert (
        run_cli("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(baseline))[0] == 0
    )
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        [
            "aggregate",
            str(SAMPLES / "gosec"),
            "--baseline",
            str(baseline),
            "--compare-to",
            str(target),
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    shown = [line for line in result.output.splitlines() if "--compare-to" in line]
    assert len(shown) == 1 and warning in shown[0], shown
    report = json.loads((out / "findings.json").read_text())
    assert next(w for w in report["warnings"] if "--compare-to" in w).endswith(FALLBACK)
    assert report["diff"]["compare_to"] is None
    assert report["diff"]["baseline"] == str(baseline)
    assert "new" not in {f["state"] for f in report["findings"]}
    assert report["diff"]["counts"]["unchanged"] > 0
    summary = (out / "summary.md").read_text().replace("\\", "")
    assert "--compare-to" in summary and FALLBACK in summary


@pytest.mark.parametrize(
    ("target", "said"),
    [
        (SAMPLES / "gosec" / "gosec.json", "is a gosec report, not a hardening findings.json"),
        (
            SAMPLES / "baseline.json",
            "is not a hardening findings.json (hardening baseline file, not a scanner report)",
        ),
        (
            SAMPLES / "trivy" / "trivy-image.json",
            "is a trivy report, not a hardening findings.json",
        ),
    ],
    ids=["gosec", "baseline", "trivy"],
)
def test_a_compare_to_that_is_plainly_another_file_is_a_usage_error(
    tmp_path: Path, target: Path, said: str
) -> None:
    # Not a download that failed: a mistake in the job that every pipeline would repeat.
    out = tmp_path / "out"
    code, output = run_cli(
        "aggregate", str(SAMPLES / "gosec"), "--compare-to", str(target), "--out", str(out)
    )
    assert code == 2, output
    assert output.strip().splitlines() == [f"hardening: error: --compare-to {target} {said}"]
    assert not out.exists()


def test_a_compare_to_folder_reads_the_findings_json_in_it(tmp_path: Path) -> None:
    target = target_findings(tmp_path, SAMPLES / "gosec")
    out = tmp_path / "out"
    code, output = run_cli(
        "aggregate", str(SAMPLES / "gosec"), "--compare-to", str(target.parent), "--out", str(out)
    )
    assert code == 0, output
    report = json.loads((out / "findings.json").read_text())
    assert report["diff"]["compare_to"] == str(target)
    assert not [w for w in report["warnings"] if "--compare-to" in w]


def _gosec_report(tmp_path: Path, name: str, root: str) -> Path:
    issue = {
        "severity": "MEDIUM",
        "confidence": "HIGH",
        "cwe": {"id": "22", "url": "https://cwe.mitre.org/data/definitions/22.html"},
        "rule_id": "G304",
        "details": "Potential file inclusion via variable",
        "file": f"{root}/internal/load.go",
        "code": "41: \tdata, err := os.ReadFile(path)\n",
        "line": "41",
        "column": "15",
        "nosec": False,
        "suppressions": None,
    }
    folder = tmp_path / name
    folder.mkdir()
    report = {"Issues": [issue], "Stats": {"files": 1, "found": 1}, "GosecVersion": "2.21.4"}
    (folder / "gosec.json").write_text(json.dumps(report))
    return folder


def test_a_local_run_reuses_the_prefixes_the_target_branch_run_stripped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The target branch's findings.json was made in CI, where $CI_PROJECT_DIR named the
    # checkout; a developer compares the merge request's CI artifacts with it locally.
    main = _gosec_report(tmp_path, "main", "/srv/ci/acme")
    monkeypatch.setenv("CI_PROJECT_DIR", "/srv/ci/acme")
    target = target_findings(tmp_path, main)
    monkeypatch.delenv("CI_PROJECT_DIR")
    mr = _gosec_report(tmp_path, "mr", "/srv/ci/acme")
    out = tmp_path / "out"
    code, output = run_cli(
        "aggregate", str(mr), "--compare-to", str(target), "--out", str(out), "-q"
    )
    assert code == 0, output
    report = load_report(out / "findings.json")
    assert [(f.path, f.state) for f in report.findings] == [("internal/load.go", State.unchanged)]


def test_an_unusable_compare_to_without_a_baseline_says_every_finding_is_new(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    code, output = run_cli(
        "aggregate", str(SAMPLES / "gosec"), "--compare-to", str(tmp_path / "absent.json"),
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    report = json.loads((out / "findings.json").read_text())
    assert report["warnings"][0] == (
        f"--compare-to {tmp_path / 'absent.json'}: no such file; "
        "with no baseline either, every finding is new"
    )
    assert {f["state"] for f in report["findings"]} <= {"new", "suppressed"}

"""What aggregate makes of a scan's scope: a snapshot's root stripped, a warning when a scanner
read excluded paths, and how long each scan took."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from hardening.paths import PathNormalizer
from support import SAMPLES, corpus_or_skip


def gosec_report(root: Path, files: dict[str, str]) -> dict[str, object]:
    """gosec's JSON as it writes it: absolute paths under the folder it scanned."""
    issues = [
        {
            "severity": "MEDIUM",
            "confidence": "HIGH",
            "cwe": {"id": "89", "url": "https://cwe.mitre.org/data/definitions/89.html"},
            "rule_id": "G201",
            "details": "SQL string formatting",
            "file": f"{root}/{path}",
            "code": f"4: {line}\n",
            "line": "4",
            "column": "2",
            "nosec": False,
            "suppressions": None,
        }
        for path, line in files.items()
    ]
    return {"Golang errors": {}, "Issues": issues, "Stats": {}, "GosecVersion": "2.21.4"}


def aggregate(folder: Path, *args: str) -> dict[str, object]:
    out = folder / "report"
    result = CliRunner().invoke(
        cli, ["aggregate", str(folder / "in"), "--out", str(out), "-q", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "findings.json").read_text())


def fingerprints(report: dict[str, object]) -> dict[str, str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {f["location"]["path"]: f["fingerprint"] for f in findings}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    root = tmp_path / "builds" / "acme" / "api"
    (root / "internal/store").mkdir(parents=True)
    (root / "internal/store/db.go").write_text("package store\n")
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    return root


FLAGGED = {"internal/store/db.go": 'query := fmt.Sprintf("SELECT %s", name)'}


def scan(folder: Path, root: Path) -> Path:
    (folder / "in").mkdir(parents=True)
    (folder / "in" / "gosec.json").write_text(json.dumps(gosec_report(root, FLAGGED)))
    return folder


def test_gosec_paths_under_a_snapshot_get_the_work_tree_fingerprints(
    work: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = work / ".scan-src"
    made = CliRunner().invoke(cli, ["snapshot", "--source-root", str(work), "--out", str(snap)])
    assert made.exit_code == 0, made.output
    # In CI both scans run in the checkout, which $CI_PROJECT_DIR names: the snapshot's root
    # is stripped before it, or every path would start with .scan-src/.
    monkeypatch.setenv("CI_PROJECT_DIR", str(work))
    of_work = aggregate(scan(tmp_path / "a", work))
    of_snapshot = aggregate(scan(tmp_path / "b", snap))
    assert fingerprints(of_snapshot) == fingerprints(of_work)
    assert list(fingerprints(of_work)) == ["internal/store/db.go"]
    assert f"{snap}/" in of_snapshot["path_settings"]["strip_prefixes"]


def test_a_recorded_snapshot_root_outlives_the_snapshot(tmp_path: Path) -> None:
    # findings.json and the baseline record the stripped prefixes; a later run where the
    # snapshot is gone still strips it before the checkout's root that covers it.
    normalizer = PathNormalizer.from_settings(["/builds/acme/api/", "/builds/acme/api/.scan-src/"])
    assert normalizer.normalize("/builds/acme/api/.scan-src/main.go")[0] == "main.go"
    assert normalizer.normalize("/builds/acme/api/main.go")[0] == "main.go"


def test_a_folder_that_is_not_a_snapshot_is_not_stripped(work: Path, tmp_path: Path) -> None:
    (work / "copy").mkdir()
    (work / "copy" / ".hardening-snapshot").write_text('{"kind": "something else"}')
    normalizer = PathNormalizer()
    assert normalizer.normalize(f"{work}/copy/x.go")[0] == f"{work}/copy/x.go"


# --- the scanner read excluded paths ---------------------------------------------------------


def semgrep_report(scanned: list[str], results: list[str], seconds: float | None = None) -> str:
    report: dict[str, object] = {
        "version": "1.187.0",
        "results": [
            {
                "check_id": "rules.go-weak-hash",
                "path": path,
                "start": {"line": 3, "col": 1, "offset": 0},
                "end": {"line": 3, "col": 9, "offset": 8},
                "extra": {"message": "weak hash", "severity": "WARNING", "lines": "md5.New()"},
            }
            for path in results
        ],
        "errors": [],
        "paths": {"scanned": scanned},
    }
    if seconds is not None:
        report["time"] = {"profiling_times": {"total_time": seconds}, "rules": [], "targets": []}
    return json.dumps(report)


def with_semgrep(tmp_path: Path, report: str) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "semgrep.json").write_text(report)
    return tmp_path


CACHE_SCAN = [f".cache/go-build/{n}.go" for n in range(300)] + [
    "web/node_modules/left-pad/index.js",
    *(f"internal/file{n}.go" for n in range(12)),
]


def test_a_scanner_that_read_caches_is_told_to_scan_a_snapshot(tmp_path: Path) -> None:
    report = aggregate(with_semgrep(tmp_path, semgrep_report(CACHE_SCAN, [])))
    expected = (
        "semgrep (" + str(tmp_path / "in" / "semgrep.json") + ") scanned 300 files under "
        "`.cache/` and 1 under `node_modules/` (96% of what it scanned): scan a tracked-source "
        "snapshot (`hardening snapshot`)"
    )
    assert report["warnings"] == [expected]
    (run,) = report["runs"]
    assert run["scanned_excluded"] == {
        "excluded folder .cache/": 300,
        "excluded folder node_modules/": 1,
    }


def test_the_warning_is_in_the_terminal_and_the_summary(tmp_path: Path) -> None:
    folder = with_semgrep(tmp_path, semgrep_report(CACHE_SCAN, []))
    result = CliRunner().invoke(
        cli, ["aggregate", str(folder / "in"), "--out", str(folder / "report")]
    )
    assert "scanned 300 files under `.cache/` and 1 under `node_modules/`" in result.stdout
    summary = (folder / "report" / "summary.md").read_text()
    assert "scanned 300 files under \\`\\.cache/\\` and 1 under \\`node\\_modules/\\`" in summary
    assert "\\(\\`hardening snapshot\\`\\)" in summary


def test_a_scan_of_tracked_sources_only_has_no_warning(tmp_path: Path) -> None:
    scanned = [f"internal/file{n}.go" for n in range(12)]
    report = aggregate(with_semgrep(tmp_path, semgrep_report(scanned, scanned[:1])))
    assert report["warnings"] == []
    assert report["runs"][0]["scanned_excluded"] == {}


def test_go_build_inputs_alone_point_at_drop_build_inputs(tmp_path: Path) -> None:
    scanned = ["vendor/github.com/acme/x/x.go", "api/v1/service.pb.go", "cmd/main.go"]
    report = aggregate(with_semgrep(tmp_path, semgrep_report(scanned, [])))
    (warning,) = report["warnings"]
    assert "scanned 1 file under `vendor/` and 1 generated (*.pb.go) (67%" in warning
    assert warning.endswith(
        "Go build inputs that `hardening snapshot` keeps for gosec; "
        "`hardening snapshot --drop-build-inputs` leaves them out for other scanners"
    )


def test_findings_dropped_by_default_excludes_bring_the_same_advice(tmp_path: Path) -> None:
    results = [".cache/go-build/1.go", ".cache/go-build/2.go", "dist/app.go", "cmd/main.go"]
    report = aggregate(with_semgrep(tmp_path, json.dumps(_without_paths(results))))
    assert report["filtered"]["by_reason"] == {
        "excluded folder .cache/": 2,
        "excluded folder dist/": 1,
    }
    assert report["warnings"] == [
        "3 finding(s) were in paths the default excludes drop (2 findings under `.cache/`, "
        "1 finding under `dist/`): scan a tracked-source snapshot (`hardening snapshot`), so "
        "scanners do not spend their time there"
    ]


def test_vendored_findings_alone_bring_no_snapshot_advice(tmp_path: Path) -> None:
    # A snapshot keeps vendor/ for gosec: scanning one would not have avoided them.
    results = ["vendor/github.com/acme/x/x.go", "cmd/main.go"]
    report = aggregate(with_semgrep(tmp_path, json.dumps(_without_paths(results))))
    assert report["filtered"]["by_reason"] == {"excluded folder vendor/": 1}
    assert report["warnings"] == []


def _without_paths(results: list[str]) -> dict[str, object]:
    report = json.loads(semgrep_report([], results))
    del report["paths"]
    return report


def test_the_corpus_semgrep_scan_that_read_its_cache(tmp_path: Path) -> None:
    corpus = corpus_or_skip()
    (tmp_path / "in").mkdir()
    report_path = tmp_path / "in" / "semgrep.json"
    report_path.write_bytes((corpus / "semgrep/local-1.185.0-project.json").read_bytes())
    report = aggregate(tmp_path)
    (run,) = report["runs"]
    assert run["scanned_excluded"] == {
        "excluded folder .cache/": 1,
        "excluded folder vendor/": 1,
        "generated file (*.pb.go)": 1,
    }
    assert (
        f"semgrep ({report_path}) scanned 1 file under `.cache/`, 1 under `vendor/` and 1 "
        "generated (*.pb.go) (43% of what it scanned): scan a tracked-source snapshot "
        "(`hardening snapshot`)"
    ) in report["warnings"]


# --- how long each scan took ---------------------------------------------------------------


def test_semgrep_run_with_time_shows_its_duration(tmp_path: Path) -> None:
    scanned = ["cmd/main.go"]
    folder = with_semgrep(tmp_path, semgrep_report(scanned, [], seconds=507.4))
    result = CliRunner().invoke(
        cli, ["aggregate", str(folder / "in"), "--out", str(folder / "report")]
    )
    assert "0 finding(s), in 507 s" in result.stdout
    report = json.loads((folder / "report" / "findings.json").read_text())
    assert report["runs"][0]["duration_seconds"] == 507.4
    summary = (folder / "report" / "summary.md").read_text()
    assert "| Tool | Version | Status | Findings | Scan time | Artifact |" in summary
    assert "| semgrep | 1\\.187\\.0 | ran | 0 | 507 s |" in summary


def test_semgrep_without_time_leaves_the_cell_empty(tmp_path: Path) -> None:
    folder = with_semgrep(tmp_path, semgrep_report(["cmd/main.go"], []))
    report = aggregate(folder)
    assert report["runs"][0]["duration_seconds"] is None
    summary = (folder / "report" / "summary.md").read_text()
    assert "| semgrep | 1\\.187\\.0 | ran | 0 |  |" in summary


@pytest.mark.parametrize(
    ("name", "seconds"),
    [
        ("local-4.32.5-flawed-junit.xml", 3.76903),
        ("local-4.32.5-flawed-events.ndjson", 3.9718890059999694),
        ("local-4.32.5-flawed-report.json", 3.9718890059999694),
    ],
)
def test_schemathesis_reports_say_how_long_the_run_took(name: str, seconds: float) -> None:
    corpus = corpus_or_skip()
    result = CliRunner().invoke(cli, ["inspect", "--json", str(corpus / "schemathesis" / name)])
    (run,) = json.loads(result.stdout)["runs"]
    assert run["duration_seconds"] == seconds


def test_the_samples_still_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["aggregate", str(SAMPLES), "-q", "--out", str(tmp_path)])
    assert result.exit_code == 0

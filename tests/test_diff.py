"""The baseline diff: nothing churns when code moves, nothing is fixed that was not scanned."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hardening import diff
from hardening.baseline import Baseline, BaselineEntry, Triage
from hardening.baseline import chunks as baseline_chunks
from hardening.filters import SnapshotFilter, SourceTree
from hardening.model import CodeLocation, Finding, Kind, Report, RunStatus, Severity, State, ToolRun
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import markdown

TODAY = date(2026, 11, 28)


def run(paths: list[Path], baseline: Baseline | None, **kwargs: object) -> Report:
    return aggregate(AggregateOptions(paths=paths, baseline=baseline, today=TODAY, **kwargs))  # type: ignore[arg-type]


def baseline_of(paths: list[Path]) -> Baseline:
    report = run(paths, Baseline())
    return diff.update(Baseline(), report, TODAY)


def states(report: Report) -> dict[str, int]:
    return {k: v for k, v in (report.diff.counts if report.diff else {}).items() if v}


def test_semgrep_line_shift_diffs_as_unchanged(corpus: Path) -> None:
    for suffix in (".json", ".sarif", ".token.json"):
        before = corpus / f"semgrep/local-1.185.0-project{suffix}"
        after = corpus / f"semgrep/local-1.185.0-project-lineshift{suffix}"
        report = run([after], baseline_of([before]))
        assert set(states(report)) <= {"unchanged", "suppressed"}, (suffix, states(report))
        assert states(report)["unchanged"] > 0


def test_trivy_with_changed_advisory_text_diffs_as_unchanged(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "trivy/dd-schema2-image-5.json"
    data = json.loads(source.read_text())
    for result in data["Results"]:
        for vuln in result.get("Vulnerabilities") or []:
            vuln["Description"] = "Rewritten by a newer advisory database."
            vuln["Title"] = "A new title"
            vuln["References"] = ["https://example.test/new"]
    changed = tmp_path / "trivy.json"
    changed.write_text(json.dumps(data))
    report = run([changed], baseline_of([source]))
    assert states(report) == {"unchanged": 5}


def test_removed_artifact_turns_findings_unknown_not_fixed(corpus: Path, tmp_path: Path) -> None:
    gosec = corpus / "gosec/dd-govwa-many-vulns.json"
    semgrep = corpus / "semgrep/dd-v1.84.1-severities.json"
    report = run([semgrep], baseline_of([gosec, semgrep]))
    assert states(report) == {"unchanged": 3, "unknown": 28}
    assert all(f.tool == "gosec" for f in report.findings if f.state is State.unknown)


def test_failed_run_turns_findings_unknown(corpus: Path, tmp_path: Path) -> None:
    semgrep = corpus / "semgrep/dd-v1.84.1-severities.json"
    broken = tmp_path / "semgrep.json"
    broken.write_text(semgrep.read_text()[:200])
    report = run([broken], baseline_of([semgrep]))
    assert states(report) == {"unknown": 3}


def test_filtered_path_is_never_fixed_and_counts_as_filtered_not_unknown(corpus: Path) -> None:
    project = corpus / "semgrep/local-1.185.0-project.json"
    everything = baseline_of_unfiltered(project)
    report = run([project], everything)
    assert states(report).get("fixed", 0) == 0
    # Out of view by a default exclude, not for want of a scan: counted once, as filtered.
    assert "unknown" not in states(report)
    entries = [f for f in report.findings if f.state is State.unknown]
    assert entries and all(f.filtered for f in entries)
    assert report.filtered.total == len(entries)
    assert report.finding_totals().filtered == len(entries)
    # Still kept by an update: it was never judged gone.
    assert set(diff.update(everything, report, TODAY).entries) == set(everything.entries)


def test_baseline_entry_in_an_excluded_folder_not_reported_today_is_counted_as_filtered(
    tmp_path: Path,
) -> None:
    semgrep = {
        "version": "1.185.0",
        "errors": [],
        "results": [result("vendor/lib/x.go", "vendored"), result("cmd/main.go", "own")],
        "paths": {"scanned": ["cmd/main.go", "vendor/lib/x.go"]},
    }
    before = tmp_path / "before" / "semgrep.json"
    before.parent.mkdir()
    before.write_text(json.dumps(semgrep))
    baseline = diff.update(
        Baseline(),
        run([before], Baseline(), snapshot=SnapshotFilter(default_excludes=False)),
        TODAY,
    )
    semgrep["results"] = [result("cmd/main.go", "own")]
    after = tmp_path / "semgrep.json"
    after.write_text(json.dumps(semgrep))
    report = run([after], baseline)
    assert states(report) == {"unchanged": 1}
    assert report.filtered.by_reason == {"excluded folder vendor/": 1}
    summary = markdown.render(report)
    assert "not scanned this time" not in summary
    assert "Filtered out (1)" in summary


def result(path: str, message: str) -> dict[str, object]:
    return {
        "check_id": "rule.one",
        "path": path,
        "start": {"line": 3, "col": 1},
        "end": {"line": 3, "col": 9},
        "extra": {"message": message, "severity": "WARNING", "lines": "x()", "metadata": {}},
    }


def baseline_of_unfiltered(path: Path) -> Baseline:
    report = run([path], Baseline(), snapshot=SnapshotFilter(default_excludes=False))
    return diff.update(Baseline(), report, TODAY)


def test_expired_acceptance_shows_as_expired(corpus: Path) -> None:
    source = corpus / "semgrep/dd-v1.84.1-severities.json"
    baseline = baseline_of([source])
    first, second = list(baseline.entries)[:2]
    baseline.entries[first].triage = Triage.accepted
    baseline.entries[first].expires = "2026-01-01"
    baseline.entries[second].triage = Triage.accepted
    baseline.entries[second].expires = "2027-01-01"
    report = run([source], baseline)
    by_fp = {f.fingerprint: f.state for f in report.findings}
    assert by_fp[first] is State.expired
    assert by_fp[second] is State.accepted


def test_compare_to_judges_against_the_target_branch(corpus: Path, tmp_path: Path) -> None:
    semgrep = corpus / "semgrep/dd-v1.84.1-severities.json"
    gosec = corpus / "gosec/dd-govwa-many-vulns.json"
    target = run([semgrep], None)
    report = run([semgrep, gosec], Baseline(), compare_to=target)
    assert states(report) == {"unchanged": 3, "new": 28}


def test_scanner_drift_is_labelled(tmp_path: Path, corpus: Path) -> None:
    source = corpus / "semgrep/local-1.185.0-project.json"
    baseline = baseline_of([corpus / "semgrep/local-1.185.0-clean.json"])
    (record,) = baseline.tools["semgrep"]
    record.version = "1.100.0"
    report = run([source], baseline)
    assert report.diff is not None and report.diff.drift_tools == ["semgrep"]
    assert all(f.drift for f in report.findings if f.state is State.new)


def test_fixed_only_when_path_was_scanned(tmp_path: Path, corpus: Path) -> None:
    """semgrep lists the paths it scanned; a finding outside them is unknown."""
    project = corpus / "semgrep/local-1.185.0-project.json"
    baseline = baseline_of([project])
    clean = json.loads((corpus / "semgrep/local-1.185.0-clean.json").read_text())
    clean["paths"] = {"scanned": ["cmd/server/main.go"]}
    partial = tmp_path / "semgrep.json"
    partial.write_text(json.dumps(clean))
    report = run([partial], baseline)
    gone = [f for f in report.findings if f.state in (State.fixed, State.unknown)]
    assert gone
    for finding in gone:
        expected = State.fixed if finding.path == "cmd/server/main.go" else State.unknown
        assert finding.state is expected, finding.path


def _project_without_store(corpus: Path, tmp_path: Path) -> tuple[Baseline, Path, Path]:
    """The semgrep project's baseline, a source tree without internal/store/store.go, and
    the next scan of that tree (semgrep lists only the files it scanned)."""
    project = corpus / "semgrep/local-1.185.0-project.json"
    baseline = baseline_of([project])
    data = json.loads(project.read_text())
    gone = "internal/store/store.go"
    data["results"] = [r for r in data["results"] if r["path"] != gone]
    data["paths"]["scanned"] = [p for p in data["paths"]["scanned"] if p != gone]
    source = tmp_path / "src"
    for path in data["paths"]["scanned"]:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text("package x\n")
    scan = tmp_path / "semgrep.json"
    scan.write_text(json.dumps(data))
    return baseline, source, scan


def test_findings_of_a_deleted_file_are_fixed_when_the_source_tree_shows_it(
    tmp_path: Path, corpus: Path
) -> None:
    baseline, source, scan = _project_without_store(corpus, tmp_path)
    report = run([scan], baseline, snapshot=SnapshotFilter(source=SourceTree(source)))
    gone = {(f.path, f.state) for f in report.findings if f.state in (State.fixed, State.unknown)}
    assert ("internal/store/store.go", State.fixed) in gone
    # Filtered paths stay unknown though they are not in the tree either.
    assert ("vendor/github.com/acme/legacy/legacy.go", State.fixed) not in gone
    # Without a source tree nothing tells a deleted file from one left out of the scan.
    blind = run([scan], baseline)
    assert {f.state for f in blind.findings if f.path == "internal/store/store.go"} == {
        State.unknown
    }


def test_a_deleted_file_is_not_an_untracked_one(tmp_path: Path, corpus: Path) -> None:
    baseline, source, scan = _project_without_store(corpus, tmp_path)
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    subprocess.run(["git", "-C", str(source), "add", "-A"], check=True)
    snapshot = SnapshotFilter(source=SourceTree(source), tracked_only=True)
    report = run([scan], baseline, snapshot=snapshot)
    states_of_store = {f.state for f in report.findings if f.path == "internal/store/store.go"}
    assert states_of_store == {State.fixed}


# Property: for untriaged, unsuppressed findings whose tools all ran and paths are in scope,
# update-then-diff gives only unchanged, and diff(a -> b) gives new = b - a, fixed = a - b.

TOOLS = ["gosec", "semgrep"]
finding_keys = st.tuples(
    st.sampled_from(TOOLS),
    st.sampled_from(["r1", "r2", "r3"]),
    st.sampled_from(["a.go", "pkg/b.go", "cmd/c.go"]),
    st.integers(min_value=0, max_value=40),
)


def make_report(keys: set[tuple[str, str, str, int]]) -> Report:
    findings = [
        Finding(
            tool=tool,
            kind=Kind.code,
            rule_id=rule,
            title=rule,
            severity=Severity.medium,
            location=CodeLocation(path=path, start_line=1),
            fingerprint=f"{tool}-{rule}-{path}-{n}",
        )
        for tool, rule, path, n in sorted(keys)
    ]
    runs = [ToolRun(tool=tool, status=RunStatus.ok) for tool in TOOLS]
    return Report(runs=runs, findings=findings)


def diffed(keys: set[tuple[str, str, str, int]], baseline: Baseline) -> Report:
    report = make_report(keys)
    diff.apply(report, baseline, SnapshotFilter(), TODAY)
    return report


@settings(max_examples=150, deadline=None)
@given(st.sets(finding_keys, max_size=25), st.sets(finding_keys, max_size=25))
def test_diff_is_set_algebra(
    a: set[tuple[str, str, str, int]], b: set[tuple[str, str, str, int]]
) -> None:
    base = diff.update(Baseline(), diffed(a, Baseline()), TODAY)
    same = diffed(a, base)
    assert {f.state for f in same.findings} <= {State.unchanged}
    fp = {f.fingerprint for f in make_report(a).findings}
    fp_b = {f.fingerprint for f in make_report(b).findings}
    result = diffed(b, base)
    assert {f.fingerprint for f in result.findings if f.state is State.new} == fp_b - fp
    assert {f.fingerprint for f in result.findings if f.state is State.fixed} == fp - fp_b
    assert {f.fingerprint for f in result.findings if f.state is State.unchanged} == fp & fp_b


def test_update_keeps_triaged_fixed_entries() -> None:
    entry = BaselineEntry(
        tool="gosec",
        kind=Kind.code,
        rule_id="r",
        severity=Severity.low,
        first_seen="2026-01-01",
        triage=Triage.accepted,
        reason="x",
    )
    untriaged = entry.model_copy(update={"triage": Triage.open, "reason": None})
    base = Baseline(entries={"kept": entry, "dropped": untriaged})
    report = make_report(set())
    diff.apply(report, base, SnapshotFilter(), TODAY)
    updated = diff.update(base, report, TODAY)
    assert list(updated.entries) == ["kept"]


def test_a_suppressed_finding_is_not_fixed_by_an_output_that_never_lists_them(
    corpus: Path,
) -> None:
    # semgrep's SARIF keeps a nosemgrep result, marked suppressed; its JSON leaves it out.
    sarif = corpus / "semgrep/local-1.185.0-project.sarif"
    json_report = corpus / "semgrep/local-1.185.0-project.json"
    before = baseline_of([sarif])
    assert sum(1 for entry in before.entries.values() if entry.suppressed) == 1
    report = run([json_report], before)
    assert states(report) == {"unchanged": 18, "unknown": 1}
    [gone] = [f for f in report.findings if f.state is State.unknown]
    assert before.entries[gone.fingerprint].suppressed


def test_a_suppressed_finding_gone_from_an_output_that_lists_them_is_fixed(
    corpus: Path, tmp_path: Path
) -> None:
    source = corpus / "semgrep/local-1.185.0-project.sarif"
    data = json.loads(source.read_text())
    results = data["runs"][0]["results"]
    suppressed = next(r for r in results if r.get("suppressions"))
    twin = json.loads(json.dumps(suppressed))
    twin["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "cmd/server/extra.go"
    results.append(twin)
    first = tmp_path / "before" / "semgrep.sarif"
    first.parent.mkdir()
    first.write_text(json.dumps(data))
    results.remove(suppressed)  # the twin, still listed, shows this output lists suppressed ones
    second = tmp_path / "semgrep.sarif"
    second.write_text(json.dumps(data))
    report = run([second], baseline_of([first]))
    assert states(report) == {"unchanged": 18, "suppressed": 1, "fixed": 1}


def test_only_suppressed_entries_say_so_in_the_baseline_file(corpus: Path) -> None:
    text = "".join(baseline_chunks(baseline_of([corpus / "semgrep/local-1.185.0-project.sarif"])))
    assert text.count('"suppressed": true') == 1
    assert '"suppressed": false' not in text

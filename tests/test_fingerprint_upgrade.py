"""Fingerprints v1 -> v2: a baseline or findings.json of the previous version is carried over.

v2 re-keyed two kinds (govulncheck's SARIF now keys on the module; a trivy config finding
without a resource on its cause lines).  ``tests/data/fingerprints-v1`` holds what hardening
wrote before the change (its README says how), so upgrading is tested against real v1 files:
today's findings are matched to their v1 entries by their previous fingerprint, with no new +
fixed churn, and the next update writes the entries under v2 keys, first_seen and triage kept.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from hardening import baseline as baseline_mod
from hardening import diff
from hardening.errors import BaselineError
from hardening.model import FINGERPRINT_VERSION, Report, State
from hardening.pipeline import AggregateOptions, aggregate
from hardening.report_io import write_report
from support import REPO

V1 = REPO / "tests" / "data" / "fingerprints-v1"
TODAY = date(2026, 12, 20)


def reports(corpus: Path) -> list[Path]:
    return [V1 / "trivy-config.json", corpus / "govulncheck" / "vuln-source-call.sarif"]


def run(corpus: Path, baseline: baseline_mod.Baseline, **options: object) -> Report:
    return aggregate(
        AggregateOptions(paths=reports(corpus), baseline=baseline, today=TODAY, **options)  # type: ignore[arg-type]
    )


def states(report: Report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        assert finding.state is not None
        found.setdefault(finding.rule_id, []).append(finding.state.value)
    return {rule: sorted(values) for rule, values in found.items()}


EXPECTED = {
    "DS005": ["false_positive", "false_positive"],  # one v1 entry, two v2 findings
    "GO-2020-0015": ["unchanged"],
    "GO-2021-0054": ["accepted"],
    "GO-2021-0113": ["unchanged"],
    "GO-2021-0265": ["unchanged"],
}


def test_the_fixture_is_a_v1_baseline_whose_keys_v2_changed(corpus: Path) -> None:
    old = baseline_mod.load(V1 / "baseline.json")
    assert (old.fingerprint_version, FINGERPRINT_VERSION) == ("v1", "v2")
    today = {f.fingerprint for f in run(corpus, baseline_mod.Baseline()).findings}
    assert today.isdisjoint(old.entries)


def test_a_v1_baseline_is_carried_over_without_new_or_fixed(corpus: Path) -> None:
    report = run(corpus, baseline_mod.load(V1 / "baseline.json"))
    assert states(report) == EXPECTED
    assert report.diff is not None
    assert report.diff.counts["new"] == report.diff.counts["fixed"] == 0


def test_the_next_update_writes_v2_keys_keeping_first_seen_and_triage(corpus: Path) -> None:
    old = baseline_mod.load(V1 / "baseline.json")
    report = run(corpus, old)
    updated = diff.update(old, report, TODAY)
    written = json.loads(baseline_mod.dumps(updated))
    assert written["fingerprint_version"] == "v2"
    assert set(written["entries"]) == {f.fingerprint for f in report.findings}
    assert {entry["first_seen"] for entry in written["entries"].values()} == {"2026-12-07"}
    triage = sorted(
        (entry["rule_id"], entry.get("triage"), entry.get("reason"), entry.get("expires"))
        for entry in written["entries"].values()
        if "triage" in entry
    )
    assert triage == [
        ("DS005", "false_positive", "archives are vetted", None),
        ("DS005", "false_positive", "archives are vetted", None),
        ("GO-2021-0054", "accepted", "gjson only parses our own config", "2027-06-01"),
    ]
    again = run(corpus, baseline_mod.parse(baseline_mod.dumps(updated), "updated.json"))
    assert states(again) == EXPECTED


def test_a_v1_findings_json_as_compare_to_shows_no_new_or_fixed(corpus: Path) -> None:
    reference = diff.reference_from_file(V1 / "findings.json", TODAY)
    assert reference.fingerprint_version == "v1"
    report = run(corpus, baseline_mod.Baseline(), reference=reference)
    assert report.diff is not None
    assert {f.state for f in report.findings} == {State.unchanged}
    assert len(report.findings) == 6


def test_an_unknown_fingerprint_version_is_refused() -> None:
    text = json.dumps({"schema_version": 2, "fingerprint_version": "v0", "entries": {}})
    with pytest.raises(BaselineError, match="fingerprints are v0"):
        baseline_mod.parse(text, "b.json")


def test_a_v1_entry_not_seen_at_the_upgrade_is_matched_when_it_comes_back(corpus: Path) -> None:
    old = baseline_mod.load(V1 / "baseline.json")
    # The upgrade run reads trivy only: govulncheck's entries are unknown and keep v1 keys.
    trivy_only = aggregate(
        AggregateOptions(paths=[V1 / "trivy-config.json"], baseline=old, today=TODAY)
    )
    assert {f.state for f in trivy_only.findings if f.tool == "govulncheck"} == {State.unknown}
    updated = diff.update(old, trivy_only, TODAY)
    assert updated.fingerprint_version == "v2"
    report = run(corpus, baseline_mod.parse(baseline_mod.dumps(updated), "updated.json"))
    assert states(report) == EXPECTED


def test_a_relayed_findings_json_carries_the_previous_fingerprints(
    corpus: Path, tmp_path: Path
) -> None:
    # The SAST job's findings.json feeds the report job, whose baseline may still be v1.
    upstream = tmp_path / "sast-report" / "findings.json"
    upstream.parent.mkdir()
    write_report(run(corpus, baseline_mod.Baseline()), upstream)
    report = aggregate(
        AggregateOptions(
            paths=[upstream], baseline=baseline_mod.load(V1 / "baseline.json"), today=TODAY
        )
    )
    assert states(report) == EXPECTED

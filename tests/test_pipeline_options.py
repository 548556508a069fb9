"""The library returns a finished report: what the CLI used to add after the run is an option."""

from __future__ import annotations

from pathlib import Path

from hardening.baseline import Baseline
from hardening.pipeline import AggregateOptions, aggregate, compare_to
from support import SAMPLES


def test_link_base_changed_files_time_and_first_warnings_are_options() -> None:
    report = aggregate(
        AggregateOptions(
            paths=[SAMPLES],
            link_base="https://forge.test/acme/app/-/blob/abc",
            changed_files=["app/db.py"],
            warnings=["said first"],
            created="2026-12-07T11:00:00.000000Z",
        )
    )
    assert report.link_base == "https://forge.test/acme/app/-/blob/abc"
    assert report.changed_files == ["app/db.py"]
    assert report.created == "2026-12-07T11:00:00.000000Z"
    assert report.warnings[0] == "said first"


def test_a_missing_compare_to_file_is_a_warning_and_the_baseline_stays(tmp_path: Path) -> None:
    options = AggregateOptions(paths=[SAMPLES])
    compare_to(options, tmp_path / "absent" / "findings.json")
    assert options.reference is None
    assert options.baseline == Baseline()
    report = aggregate(options)
    assert "findings.json" in report.warnings[0]

"""The bundled samples show the whole product: every tool read, every diff state present."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hardening import baseline as baseline_mod
from hardening.model import RunStatus
from hardening.paths import PathNormalizer
from hardening.pipeline import AggregateOptions, aggregate
from hardening.profiles import ALL_TOOLS
from hardening.reading import read_artifact
from support import SAMPLES

SAMPLE_FILES = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "baseline.json")


@pytest.mark.parametrize(
    "path", SAMPLE_FILES, ids=[p.relative_to(SAMPLES).as_posix() for p in SAMPLE_FILES]
)
def test_every_sample_reads_ok(path: Path) -> None:
    outcome = read_artifact(path, path.name, PathNormalizer())
    assert outcome.skipped is None
    assert {run.status for run in outcome.runs} == {RunStatus.ok}
    assert outcome.findings


def test_samples_cover_all_seven_tools() -> None:
    report = aggregate(AggregateOptions(paths=[SAMPLES], profile="hardening"))
    assert {run.tool for run in report.runs if run.status is RunStatus.ok} >= set(ALL_TOOLS)


def test_sample_baseline_shows_every_state() -> None:
    baseline = baseline_mod.load(SAMPLES / "baseline.json")
    report = aggregate(
        AggregateOptions(paths=[SAMPLES], baseline=baseline, today=date(2026, 11, 28))
    )
    assert report.diff is not None
    counts = {state: n for state, n in report.diff.counts.items() if n}
    assert set(counts) == {
        "new",
        "unchanged",
        "fixed",
        "unknown",
        "accepted",
        "expired",
        "false_positive",
        "suppressed",
    }, counts
    # Exact counts: the sample baseline holds fingerprints written by earlier versions, so a
    # change to any kind's fingerprint shows here as new + fixed instead of unchanged.  It is
    # also of format 2, which named no scan targets: the trivy entry gone today is unknown,
    # not fixed, since trivy scanned two targets (the image and the config root).
    assert counts == {
        "new": 3,
        "unchanged": 41,
        "fixed": 1,
        "unknown": 2,
        "accepted": 1,
        "expired": 1,
        "false_positive": 1,
        "suppressed": 8,
    }
    assert report.gate is not None and report.gate.fired
    assert report.diff.drift_tools == ["trivy"]
    assert [s.reason for s in report.skipped] == ["hardening baseline file, not a scanner report"]

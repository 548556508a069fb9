"""The terminal summary's counts."""

from __future__ import annotations

from hardening.baseline import load as load_baseline
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import terminal
from support import SAMPLES


def test_counts_are_of_findings_seen_today_and_states_read_as_words() -> None:
    baseline = load_baseline(SAMPLES / "baseline.json")
    report = aggregate(AggregateOptions(paths=[SAMPLES], baseline=baseline))
    text = terminal.render(report, colour=False)
    # 58 in all: the 1 fixed and 2 unknown stand for baseline entries not seen today.
    assert "\nFindings: 55 (" in text
    assert (
        "\nStates: 3 new, 41 unchanged, 1 fixed, 2 unknown, 1 accepted, 1 expired,"
        " 1 false positive, 8 suppressed\n"
    ) in text

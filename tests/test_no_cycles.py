"""The CLI runs with the garbage collector off (a million findings would otherwise be rescanned
again and again): nothing done per finding may leave reference cycles, or memory leaks."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hardening import baseline as baseline_mod
from hardening import diff
from hardening.pipeline import AggregateOptions, aggregate
from hardening.render import terminal
from hardening.render.interface import RenderSettings
from hardening.render.registry import OutputFormat, write_outputs


def sarif_log(count: int) -> dict[str, object]:
    rules = [{"id": f"R{n}", "shortDescription": {"text": f"rule {n}"}} for n in range(5)]
    results = [
        {
            "ruleId": f"R{n % 5}",
            "level": "warning",
            "message": {"text": f"value {n} reaches a sink"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f"src/file{n % 40}.py"},
                        "region": {"startLine": n + 1, "snippet": {"text": f"call({n})"}},
                    }
                }
            ],
        }
        for n in range(count)
    ]
    return {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "codeql", "rules": rules}}, "results": results}],
    }


@pytest.fixture
def gc_off() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cyclic_garbage(tmp_path: Path, count: int) -> int:
    """Objects left in cycles by one whole run over ``count`` findings."""
    folder = tmp_path / str(count)
    folder.mkdir()
    (folder / "codeql.sarif").write_text(json.dumps(sarif_log(count)))
    gc.collect()
    options = AggregateOptions(paths=[folder / "codeql.sarif"], baseline=baseline_mod.Baseline())
    report = aggregate(options)
    write_outputs(report, folder / "out", list(OutputFormat), RenderSettings())
    terminal.render(report, colour=False)
    baseline_mod.save(diff.update(options.baseline, report, date.today()), folder / "b.json")
    return gc.collect()


@pytest.mark.usefixtures("gc_off")
def test_a_run_leaves_no_cycles_per_finding(tmp_path: Path) -> None:
    cyclic_garbage(tmp_path, 10)  # first use: caches, compiled templates
    small = cyclic_garbage(tmp_path, 100)
    large = cyclic_garbage(tmp_path, 2_000)
    assert large - small < 100, (small, large)

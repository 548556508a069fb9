"""Trends computed from recorded pipelines: new, fixed and reopened against the previous
pipeline of the ref, the scope rule per target, order independence, time to fix, gates,
flapping, noisy rules and drift; on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hardening.history import api, schema, trends
from history_support import F, Pipeline, Run, fingerprint, write_pipeline

A, B, C, D = (fingerprint(n) for n in (1, 2, 3, 4))


def record_all(
    db: str, tmp_path: Path, pipelines: list[Pipeline], order: list[int] | None = None
) -> None:
    """Record pipeline ``i`` as id ``100 + i`` created on day ``i`` (in ``order``)."""
    for i in order if order is not None else range(len(pipelines)):
        path = write_pipeline(tmp_path / f"p{i}-{random.random()}", pipelines[i])
        api.record(
            api.RecordRequest(
                source=path,
                db=db,
                project="group/app",
                ref="master",
                pipeline=str(100 + i),
                commit=f"{i:040x}",
                created=f"2024-03-{i + 1:02d}T10:00:00Z",
            ),
            {},
        )


def compute(db: str, last: int | None = None, gates: list[str] | None = None) -> dict[str, Any]:
    engine = schema.open_engine(db)
    try:
        specs = [trends.GateSpec(rule) for rule in gates or []]
        return trends.compute(engine, "group/app", "master", trends.Window(last=last), specs)
    finally:
        engine.dispose()


def column(result: dict[str, Any], name: str) -> list[Any]:
    return [p[name] for p in result["pipelines"]]


def test_new_fixed_and_reopened_are_against_the_previous_pipeline(db_url: str, tmp_path: Path):
    record_all(
        db_url,
        tmp_path,
        [
            Pipeline([F(A), F(B)]),
            Pipeline([F(A, state="unchanged")]),
            Pipeline([F(A, state="unchanged"), F(B)]),
            Pipeline([F(A, state="unchanged"), F(B, state="unchanged"), F(C)]),
        ],
    )
    result = compute(db_url)
    # The first recorded pipeline is the starting point: its findings are not new.
    assert column(result, "new") == [0, 0, 1, 1]
    assert column(result, "starting_point") == [True, False, False, False]
    assert column(result, "fixed") == [0, 1, 0, 0]
    assert column(result, "reopened") == [0, 0, 1, 0]
    assert column(result, "open") == [
        {"critical": 0, "high": n, "medium": 0, "low": 0, "info": 0} for n in (2, 1, 2, 3)
    ]
    assert result["flapping"] == [
        {"tool": "gosec", "rule_id": "G101", "fingerprints": 1, "reopened": 1}
    ]


def test_new_ignores_the_findings_json_states_relative_to_a_baseline(db_url: str, tmp_path: Path):
    # Both pipelines with A say "new" (their baseline never changed): only the first one of
    # them is new here, against the empty pipeline before it.
    record_all(db_url, tmp_path, [Pipeline([]), Pipeline([F(A)]), Pipeline([F(A)])])
    assert column(compute(db_url), "new") == [0, 1, 0]


def test_a_target_not_scanned_leaves_its_findings_unknown_never_fixed(db_url: str, tmp_path: Path):
    both = Run(tool="trivy", targets=["registry/app", "registry/worker"])
    one = Run(tool="trivy", targets=["registry/app"])
    a = F(A, tool="trivy", rule="CVE-1", target="registry/app")
    b = F(B, tool="trivy", rule="CVE-2", target="registry/worker")
    record_all(
        db_url,
        tmp_path,
        [
            Pipeline([a, b], runs=[both]),
            Pipeline([a], runs=[one]),  # worker not scanned: B unknown
            Pipeline([a, b], runs=[both]),  # B still there: neither new nor reopened
            Pipeline([a], runs=[both]),  # B gone while scanned: fixed
        ],
    )
    result = compute(db_url)
    assert column(result, "fixed") == [0, 0, 0, 1]
    assert column(result, "new") == [0, 0, 0, 0]
    assert column(result, "reopened") == [0, 0, 0, 0]
    assert result["pipelines"][1]["tools"] == {"trivy": {"registry/app": "ok"}}


def test_a_failed_tool_leaves_its_findings_unknown(db_url: str, tmp_path: Path):
    record_all(
        db_url,
        tmp_path,
        [
            Pipeline([F(A), F(B, tool="semgrep", rule="r")], runs=[Run(), Run(tool="semgrep")]),
            Pipeline([F(B, tool="semgrep", rule="r")], runs=[Run(status="failed"), Run("semgrep")]),
            Pipeline([], runs=[Run(), Run(tool="semgrep")]),
        ],
    )
    result = compute(db_url)
    assert column(result, "fixed") == [0, 0, 2]
    assert result["pipelines"][1]["tools"]["gosec"] == {"": "failed"}


def test_findings_json_without_targets_is_one_unnamed_target(db_url: str, tmp_path: Path):
    # A findings.json written before runs named their targets, then one that names them.
    record_all(
        db_url,
        tmp_path,
        [
            Pipeline([F(A, tool="trivy", rule="CVE-1")], runs=[Run(tool="trivy")]),
            Pipeline([F(A, tool="trivy", rule="CVE-1")], runs=[Run(tool="trivy", targets=["img"])]),
            Pipeline([], runs=[Run(tool="trivy", targets=["img"])]),
        ],
    )
    result = compute(db_url)
    assert column(result, "new") == [0, 0, 0]
    assert column(result, "fixed") == [0, 0, 1]


def _random_history(seed: int) -> list[Pipeline]:
    rng = random.Random(seed)
    pipelines = []
    for _ in range(9):
        present = sorted(rng.sample(range(12), rng.randint(3, 9)))
        runs = [Run(), Run(tool="trivy", targets=["img1", "img2"])]
        if rng.random() < 0.3:
            runs[1] = Run(tool="trivy", targets=["img1"])
        if rng.random() < 0.2:
            runs[0] = Run(status="failed")
        found = []
        for n in present:
            if n < 6:
                if runs[0].status == "ok":
                    found.append(F(fingerprint(n), rule=f"G10{n % 3}"))
            else:
                target = "img1" if n % 2 else "img2"
                if target in (runs[1].targets or []):
                    found.append(F(fingerprint(n), tool="trivy", rule=f"CVE-{n}", target=target))
        pipelines.append(Pipeline(found, runs=runs))
    return pipelines


def test_recording_order_does_not_change_the_trends(db_url: str, tmp_path: Path):
    pipelines = _random_history(7)
    reference = f"sqlite:///{tmp_path / 'serial.db'}"
    record_all(reference, tmp_path / "serial", pipelines)
    order = list(range(len(pipelines)))
    random.Random(3).shuffle(order)
    record_all(db_url, tmp_path / "shuffled", pipelines, order)
    assert compute(db_url) == compute(reference)
    # A backfill of the older half after live recording of the newer half, too.
    backfilled = f"sqlite:///{tmp_path / 'backfill.db'}"
    record_all(backfilled, tmp_path / "backfill", pipelines, [5, 6, 7, 8, 0, 1, 2, 3, 4])
    assert compute(backfilled) == compute(reference)


def test_many_shuffled_orders_agree(tmp_path: Path):
    for seed in range(6):
        pipelines = _random_history(seed)
        reference = f"sqlite:///{tmp_path / f'serial{seed}.db'}"
        record_all(reference, tmp_path / f"s{seed}", pipelines)
        order = list(range(len(pipelines)))
        random.Random(seed).shuffle(order)
        shuffled = f"sqlite:///{tmp_path / f'shuffled{seed}.db'}"
        record_all(shuffled, tmp_path / f"x{seed}", pipelines, order)
        assert compute(shuffled) == compute(reference), f"seed {seed}, order {order}"


def test_time_to_fix_and_open_age_per_severity(sqlite_url: str, tmp_path: Path):
    record_all(
        sqlite_url,
        tmp_path,
        [
            Pipeline([F(A), F(B), F(C, severity="low")]),  # day 0
            Pipeline([F(B), F(C, severity="low")]),  # day 1: A fixed after 1 day
            Pipeline([F(C, severity="low")]),  # day 2
            Pipeline([F(C, severity="low")]),  # day 3
            Pipeline([F(C, severity="low"), F(D)]),  # day 4: B fixed after 2 days (day 2)
        ],
    )
    result = compute(sqlite_url)
    assert result["time_to_fix"]["high"] == {"fixed": 2, "median_days": 1.5, "p90_days": 2.0}
    assert result["time_to_fix"]["low"] == {"fixed": 0, "median_days": None, "p90_days": None}
    assert result["open_age"]["low"] == {"open": 1, "median_days": 4.0, "oldest_days": 4.0}
    assert result["open_age"]["high"] == {"open": 1, "median_days": 0.0, "oldest_days": 0.0}


def test_gates_count_blocked_pipelines_and_the_rules_behind(sqlite_url: str, tmp_path: Path):
    record_all(
        sqlite_url,
        tmp_path,
        [
            Pipeline([F(A, severity="medium", rule="G104")]),
            Pipeline([F(A, severity="medium", rule="G104"), F(B, rule="G101")]),
            Pipeline([F(A, severity="medium", rule="G104"), F(B, rule="G101")]),
            Pipeline(
                [
                    F(A, severity="medium", rule="G104"),
                    F(B, rule="G101", state="expired"),
                    F(C, rule="G101"),
                    F(D, severity="critical", rule="G404", state="accepted"),
                ]
            ),
        ],
    )
    result = compute(sqlite_url, gates=["new:low", "new,expired:high"])
    gates = {gate["rule"]: gate for gate in result["gates"]}
    assert gates["new,expired:high"]["pipelines_blocked"] == 2
    assert gates["new:high"]["pipelines_blocked"] == 2
    assert gates["new:high"]["top_rules"] == [{"tool": "gosec", "rule_id": "G101", "pipelines": 2}]
    # The accepted critical finding is never new and blocks nothing.
    assert gates["new:critical"]["pipelines_blocked"] == 0
    # The first pipeline's medium finding is the starting point: it blocks nothing.
    assert gates["new:medium"]["pipelines_blocked"] == 2
    assert gates["expired:high"]["pipelines_blocked"] == 1
    assert gates["new:low"]["pipelines_blocked"] == 2


def test_the_configured_gate_with_per_tool_rules(sqlite_url: str, tmp_path: Path):
    record_all(
        sqlite_url,
        tmp_path,
        [
            Pipeline([], runs=[Run("semgrep"), Run()]),  # the starting point
            Pipeline([F(A, tool="semgrep", rule="r1", severity="medium")], runs=[Run("semgrep")]),
            Pipeline(
                [F(A, tool="semgrep", rule="r1", severity="medium"), F(B, severity="medium")],
                runs=[Run("semgrep"), Run()],
            ),
        ],
    )
    engine = schema.open_engine(sqlite_url)
    spec = trends.GateSpec("new:high", {"semgrep": "new:medium"})
    result = trends.compute(engine, "group/app", "master", trends.Window(), [spec])
    engine.dispose()
    gate = next(g for g in result["gates"] if g["rule"] == spec.label)
    assert gate["pipelines_blocked"] == 1
    assert gate["top_rules"] == [{"tool": "semgrep", "rule_id": "r1", "pipelines": 1}]


def test_noisy_rules_are_the_ones_marked_false_positive_or_accepted(sqlite_url, tmp_path):
    record_all(
        sqlite_url,
        tmp_path,
        [
            Pipeline([F(A, rule="G101"), F(B, rule="G101"), F(C, rule="G104")]),
            Pipeline(
                [
                    F(A, rule="G101", state="false_positive"),
                    F(B, rule="G101", state="accepted"),
                    F(C, rule="G104"),
                ]
            ),
        ],
    )
    assert compute(sqlite_url)["noisy"] == [
        {"tool": "gosec", "rule_id": "G101", "findings": 2, "false_positive": 1, "accepted": 1}
    ]


def test_scanner_drift_names_the_change_and_the_new_findings_with_it(sqlite_url, tmp_path):
    old = Run(tool="trivy", version="0.50.0", database_date="2024-03-01")
    new = Run(tool="trivy", version="0.50.0", database_date="2024-03-03")
    record_all(
        sqlite_url,
        tmp_path,
        [
            Pipeline([F(A, tool="trivy", rule="CVE-1")], runs=[old]),
            Pipeline([F(A, tool="trivy", rule="CVE-1")], runs=[old]),
            Pipeline(
                [F(A, tool="trivy", rule="CVE-1"), F(B, tool="trivy", rule="CVE-2")], runs=[new]
            ),
        ],
    )
    assert compute(sqlite_url)["drift"] == [
        {
            "pipeline": "102",
            "tool": "trivy",
            "from": "0.50.0, db 2024-03-01",
            "to": "0.50.0, db 2024-03-03",
            "new_findings": 1,
        }
    ]


def test_last_n_keeps_new_and_fixed_relative_to_pipelines_before_the_window(sqlite_url, tmp_path):
    record_all(
        sqlite_url,
        tmp_path,
        [Pipeline([F(A), F(B)]), Pipeline([F(A), F(B)]), Pipeline([F(A)]), Pipeline([F(A)])],
    )
    result = compute(sqlite_url, last=2)
    assert [p["pipeline"] for p in result["pipelines"]] == ["102", "103"]
    assert column(result, "new") == [0, 0]
    assert column(result, "fixed") == [1, 0]
    assert sorted(result) == [
        "drift",
        "flapping",
        "gates",
        "noisy",
        "open_age",
        "pipelines",
        "project",
        "ref",
        "schema_version",
        "time_to_fix",
        "window",
    ]
    assert sorted(result["pipelines"][0]) == [
        "commit",
        "created",
        "fixed",
        "new",
        "open",
        "pipeline",
        "reopened",
        "starting_point",
        "tools",
    ]


def test_open_counts_and_the_terminal_list_severities_most_severe_first(
    db_url: str, tmp_path: Path
):
    record_all(
        db_url,
        tmp_path,
        [Pipeline([F(A, severity="low"), F(B, severity="critical"), F(C, severity="info")])],
    )
    result = compute(db_url)
    assert list(result["pipelines"][0]["open"]) == ["critical", "high", "medium", "low", "info"]
    assert "open now: 1 critical, 1 low, 1 info" in api.terminal_summary(result)

"""The baseline file: deterministic, atomic, locked, upgraded, never overwritten when unreadable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening import baseline as baseline_mod
from hardening.cli import cli
from hardening.errors import BaselineError
from hardening.model import Endpoint, Kind, Report, Severity
from support import SAMPLES, semgrep_finding


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_update_then_update_is_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    assert invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))[0] == 0
    first = path.read_bytes()
    code, out = invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))
    assert code == 0
    assert "unchanged" in out
    assert path.read_bytes() == first
    assert first.endswith(b"\n")
    data = json.loads(first)
    assert list(data["entries"]) == sorted(data["entries"])
    assert data["schema_version"] == baseline_mod.BASELINE_SCHEMA_VERSION


def test_baseline_holds_no_message_or_snippet(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))
    entry = next(iter(json.loads(path.read_text())["entries"].values()))
    assert {"message", "snippet", "identity"}.isdisjoint(entry)
    assert {"tool", "rule_id", "severity", "first_seen"} <= set(entry)


def test_unreadable_baseline_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text('{"schema_version": 2, "entries": {')
    code, out = invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))
    assert code == 2
    assert "not valid JSON" in out
    assert path.read_text() == '{"schema_version": 2, "entries": {'


def test_aggregate_with_unreadable_baseline_says_why(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text("[]")
    code, out = invoke("aggregate", str(SAMPLES), "--baseline", str(path))
    assert code == 2
    assert "not a hardening baseline" in out


def test_newer_format_is_refused() -> None:
    with pytest.raises(BaselineError, match="newer"):
        baseline_mod.parse('{"schema_version": 99, "entries": {}}', "b.json")


def test_format_1_is_upgraded_on_read() -> None:
    old = {
        "schema_version": 1,
        "fingerprint_version": "v1",
        "entries": [
            {
                "fingerprint": "abc",
                "tool": "gosec",
                "kind": "code",
                "rule_id": "G104",
                "severity": "low",
                "first_seen": "2026-01-02",
                "status": "accepted",
                "reason": "legacy",
                "expires": "2027-01-01",
            }
        ],
    }
    upgraded = baseline_mod.parse(json.dumps(old), "old.json")
    assert upgraded.schema_version == baseline_mod.BASELINE_SCHEMA_VERSION
    assert upgraded.entries["abc"].triage is baseline_mod.Triage.accepted


def test_accept_with_expiry_and_show(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))
    fingerprint = next(iter(json.loads(path.read_text())["entries"]))
    code, _ = invoke(
        "baseline",
        "accept",
        fingerprint[:10],
        "--reason",
        "compensating control",
        "--expires",
        "2099-01-01",
        "--baseline",
        str(path),
    )
    assert code == 0
    entry = json.loads(path.read_text())["entries"][fingerprint]
    assert (entry["triage"], entry["expires"]) == ("accepted", "2099-01-01")
    code, out = invoke("baseline", "show", "--baseline", str(path), "--triaged")
    assert code == 0
    assert "until 2099-01-01" in out and "compensating control" in out
    # An acceptance whose date has passed (a hand-edited or old baseline) shows as expired.
    data = json.loads(path.read_text())
    data["entries"][fingerprint]["expires"] = "2020-01-01"
    path.write_text(json.dumps(data))
    code, out = invoke("baseline", "show", "--baseline", str(path), "--triaged")
    assert code == 0
    assert "expired" in out


def test_false_positive_from_a_report_not_yet_in_the_baseline(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    invoke("aggregate", str(SAMPLES / "gosec"), "--out", str(out_dir), "-q")
    finding = json.loads((out_dir / "findings.json").read_text())["findings"][0]
    path = tmp_path / "baseline.json"
    code, out = invoke(
        "baseline",
        "false-positive",
        finding["fingerprint"],
        "--reason",
        "test",
        "--report",
        str(out_dir / "findings.json"),
        "--baseline",
        str(path),
    )
    assert code == 0, out
    entry = json.loads(path.read_text())["entries"][finding["fingerprint"]]
    assert entry["triage"] == "false_positive"


def test_accept_unknown_fingerprint_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))
    code, out = invoke(
        "baseline", "accept", "ffffffffffff", "--reason", "x", "--baseline", str(path)
    )
    assert code == 2
    assert "no baseline entry" in out


def test_interrupted_write_leaves_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    baseline_mod.save(baseline_mod.Baseline(), path)
    before = path.read_bytes()
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "import hardening.report_io as io\n"
        "real = os.fsync\n"
        "def die(fd):\n"
        "    os._exit(9)\n"
        "os.fsync = die\n"
        f"io.write_atomic(Path({str(path)!r}), 'x' * 100000)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], check=False, cwd=tmp_path)
    assert result.returncode == 9
    assert path.read_bytes() == before


def write_gosec(path: Path, rule: str) -> None:
    path.write_text(
        json.dumps(
            {
                "Golang errors": {},
                "Issues": [
                    {
                        "severity": "LOW",
                        "confidence": "HIGH",
                        "cwe": {"id": "703"},
                        "rule_id": rule,
                        "details": "Errors unhandled",
                        "file": "/src/main.go",
                        "code": f"7: call{rule}()\n",
                        "line": "7",
                        "column": "2",
                        "nosec": False,
                        "suppressions": None,
                    }
                ],
                "Stats": {"files": 1, "lines": 10, "nosec": 0, "found": 1},
                "GosecVersion": "2.21.4",
            }
        )
    )


def test_two_concurrent_updates_keep_both_tools(tmp_path: Path) -> None:
    """Each update sees the other's tool as not run (unknown) and keeps its entries."""
    path = tmp_path / "baseline.json"
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    write_gosec(one / "gosec.json", "G104")
    (two / "gitleaks.json").write_text(
        json.dumps(
            [
                {
                    "RuleID": "generic-api-key",
                    "Description": "Generic API Key",
                    "StartLine": 3,
                    "EndLine": 3,
                    "StartColumn": 1,
                    "EndColumn": 20,
                    "Match": "key=abc",
                    "Secret": "Zq8xV2kL9pT4",
                    "File": "config.env",
                    "SymlinkFile": "",
                    "Commit": "",
                    "Entropy": 3.5,
                    "Author": "",
                    "Email": "",
                    "Date": "",
                    "Message": "",
                    "Tags": [],
                    "Fingerprint": "config.env:generic-api-key:3",
                }
            ]
        )
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hardening",
                "baseline",
                "update",
                str(folder),
                "--strip-prefix",
                "/src",
                "--baseline",
                str(path),
            ],
            # Not the checkout: `python -m` puts the working folder first on sys.path, and the
            # source tree's hardening/ lacks the installed parsers subpackage.
            cwd=tmp_path,
        )
        for folder in (one, two)
        for _ in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * len(procs)
    data = json.loads(path.read_text())
    assert {entry["tool"] for entry in data["entries"].values()} == {"gosec", "gitleaks"}
    assert set(data["tools"]) == {"gosec", "gitleaks"}


def test_first_seen_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))
    data = json.loads(path.read_text())
    for entry in data["entries"].values():
        entry["first_seen"] = "2026-01-01"
    path.write_text(json.dumps(data))
    invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))
    data = json.loads(path.read_text())
    assert {e["first_seen"] for e in data["entries"].values()} == {"2026-01-01"}
    assert date.fromisoformat("2026-01-01")


def reference_text(baseline: baseline_mod.Baseline) -> str:
    """The baseline file as one json.dumps of the whole model: what the streamed writer must
    reproduce byte for byte (committed baselines must not churn)."""
    data = baseline.model_dump(mode="json", exclude_none=True)
    for entry in data["entries"].values():
        if entry.get("triage") == "open":
            del entry["triage"]
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_streamed_file_is_the_whole_model_dumped_at_once(tmp_path: Path) -> None:
    sample = baseline_mod.load(SAMPLES / "baseline.json")
    assert any(e.triage is not baseline_mod.Triage.open for e in sample.entries.values())
    empty = baseline_mod.Baseline()
    odd = baseline_mod.Baseline(
        tools={
            "zap": [baseline_mod.ToolInfo(version=None)],
            "trivy": [baseline_mod.ToolInfo(target="ü:1", version="0.58.1")],
        },
        strip_prefixes=["/builds/ü/"],
    )
    odd.entries["ü-not-hex"] = next(iter(sample.entries.values()))
    for baseline in (sample, empty, odd):
        assert baseline_mod.dumps(baseline) == reference_text(baseline)
        path = tmp_path / "b.json"
        assert baseline_mod.save(baseline, path) is True
        assert path.read_text(encoding="utf-8") == reference_text(baseline)
        before = path.stat().st_mtime_ns
        assert baseline_mod.save(baseline, path) is False  # same bytes: left untouched
        assert path.stat().st_mtime_ns == before
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        path.unlink()


def test_a_gone_endpoint_keeps_its_method_apart_from_its_url() -> None:
    # The entry remembers "PATCH https://..." in one string; a fixed or unknown finding
    # standing for it has the method and the URL where every other DAST finding has them.
    entry = baseline_mod.BaselineEntry(
        tool="zap",
        kind=Kind.dast,
        rule_id="90028",
        severity=Severity.medium,
        first_seen="2026-01-01",
        endpoint="PATCH https://shop.acme.test/service/labels.mvc/kqmx8plyqp",
    )
    endpoint = entry.as_finding("f" * 32).endpoint
    assert endpoint == Endpoint(
        method="PATCH", url="https://shop.acme.test/service/labels.mvc/kqmx8plyqp"
    )
    bare = entry.model_copy(update={"endpoint": "https://shop.acme.test/"})
    assert bare.as_finding("f" * 32).endpoint == Endpoint(url="https://shop.acme.test/")


# --- hand-edited baselines -------------------------------------------------------------


def _sample_entry() -> dict[str, str]:
    return {
        "tool": "gosec",
        "kind": "code",
        "rule_id": "G104",
        "severity": "low",
        "first_seen": "2026-01-02",
    }


def test_a_fingerprint_listed_twice_is_an_error_naming_it(tmp_path: Path) -> None:
    fingerprint = "3f9c2a1b" * 4
    entry = json.dumps(_sample_entry())
    accepted = json.dumps({**_sample_entry(), "triage": "accepted", "reason": "reviewed"})
    path = tmp_path / "baseline.json"
    # json.loads alone keeps the later copy: the accepted triage would be lost in silence.
    path.write_text(
        '{"schema_version": 2, "fingerprint_version": "v1", "entries": {'
        f'"{fingerprint}": {accepted}, "{fingerprint}": {entry}}}}}'
    )
    before = path.read_bytes()

    for args in (
        ("aggregate", str(SAMPLES / "gosec"), "--baseline", str(path)),
        ("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path)),
        ("baseline", "show", "--baseline", str(path)),
    ):
        code, out = invoke(*args)
        assert code == 2, out
        assert out == (
            f"hardening: error: {path}: fingerprint {fingerprint} is listed twice; "
            "keep one entry (and its triage)\n"
        )
    assert path.read_bytes() == before


def test_a_fingerprint_listed_twice_in_a_format_1_baseline_is_an_error() -> None:
    entry = {**_sample_entry(), "fingerprint": "ab" * 16}
    text = json.dumps({"schema_version": 1, "entries": [entry, entry]})
    with pytest.raises(BaselineError, match=f"fingerprint {'ab' * 16} is listed twice"):
        baseline_mod.parse(text, "old.json")


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("expires", "2027-02-30", "day is out of range for month"),
        ("expires", "01/03/2027", "expected YYYY-MM-DD"),
        ("expires", "2027-13-01", "month must be in 1..12"),
        ("expires", "20270301", "expected YYYY-MM-DD"),
        ("first_seen", "yesterday", "expected YYYY-MM-DD"),
    ],
)
def test_an_impossible_date_is_one_line_naming_the_entry(
    tmp_path: Path, field: str, value: str, problem: str
) -> None:
    fingerprint = "77ab01" + "0" * 26
    entry = {**_sample_entry(), "triage": "accepted", "reason": "r", field: value}
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"schema_version": 2, "entries": {fingerprint: entry}}))

    for args in (
        ("aggregate", str(SAMPLES / "gosec"), "--baseline", str(path)),
        ("baseline", "show", "--baseline", str(path)),
        ("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path)),
    ):
        code, out = invoke(*args)
        assert code == 2, out
        assert out == (
            f"hardening: error: {path}: entry {fingerprint}: {field} {value!r} is not a date "
            f"({problem})\n"
        )


# --- how the file is written -----------------------------------------------------------


def test_an_update_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    assert invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))[0] == 0
    path.chmod(0o640)
    assert invoke("baseline", "update", str(SAMPLES), "--baseline", str(path))[0] == 0
    assert "semgrep" in path.read_text()  # rewritten, not left alone
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_new_baseline_follows_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    previous = os.umask(0o022)
    try:
        assert invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))[0] == 0
        os.umask(0o027)
        other = tmp_path / "other.json"
        assert (
            invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(other))[0] == 0
        )
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644
    assert other.stat().st_mode & 0o777 == 0o640


def test_a_baseline_that_is_a_symbolic_link_has_its_target_updated(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "baseline.json"
    real.parent.mkdir()
    assert invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(real))[0] == 0
    link = tmp_path / "repo" / ".hardening" / "baseline.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(Path("../../shared/baseline.json"))

    code, out = invoke("baseline", "update", str(SAMPLES), "--baseline", str(link))

    assert code == 0, out
    assert link.is_symlink() and os.readlink(link) == "../../shared/baseline.json"
    assert "semgrep" in real.read_text()
    assert sorted(p.name for p in link.parent.iterdir()) == ["baseline.json"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["baseline.json"]


def test_no_lock_file_is_left_beside_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    assert invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))[0] == 0
    fingerprint = next(iter(json.loads(path.read_text())["entries"]))
    assert (
        invoke("baseline", "accept", fingerprint, "--reason", "r", "--baseline", str(path))[0] == 0
    )
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_temporary_files_of_a_killed_update_are_removed_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    assert invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))[0] == 0
    left = tmp_path / ".baseline.json.k1ll3d00.tmp"  # what write_atomic leaves when killed
    left.write_text('{"half": ')
    other = tmp_path / ".notes.txt.k1ll3d00.tmp"  # another file's: not ours to remove

    other.write_text("x")
    assert invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(path))[0] == 0

    assert not left.exists()
    assert other.exists()


def test_a_baseline_under_proc_cannot_be_written(tmp_path: Path) -> None:
    for target in ("/proc/hardening-baseline.json", "/proc/self/hardening/baseline.json"):
        code, out = invoke("baseline", "update", str(SAMPLES / "gosec"), "--baseline", target)
        assert code == 2, out
        assert out.startswith(f"hardening: error: {target}: cannot be written: "), out
        assert "lock" not in out and len(out.splitlines()) == 1


def test_triage_is_library_logic_usable_without_the_cli() -> None:
    """A prefix names an entry, or a finding of the report given (which becomes one)."""
    current = baseline_mod.parse(
        json.dumps({"schema_version": 3, "entries": {"b" * 64: _sample_entry()}}), "mem"
    )
    report = Report(findings=[semgrep_finding("a" * 64)])
    done = baseline_mod.triage(
        current, ["aaa", "bbb"], baseline_mod.Triage.accepted, "vendored", None, report, "r.json"
    )
    assert [fp for fp, _ in done] == ["a" * 64, "b" * 64]
    assert list(current.entries) == ["a" * 64, "b" * 64]
    assert all(entry.triage is baseline_mod.Triage.accepted for _, entry in done)
    with pytest.raises(BaselineError, match=r"'c' matches 0 findings in r\.json"):
        baseline_mod.triage(
            current, ["c"], baseline_mod.Triage.accepted, "x", None, report, "r.json"
        )


def test_shown_rows_say_status_and_age() -> None:
    entry = {**_sample_entry(), "triage": "accepted", "expires": "2026-03-31"}
    current = baseline_mod.parse(
        json.dumps({"schema_version": 3, "entries": {"f" * 64: entry}}), "mem"
    )
    first_seen = date.fromisoformat(current.entries["f" * 64].first_seen)
    before, after = date(2026, 3, 30), date(2026, 4, 1)
    assert baseline_mod.shown(current, before)[0].status == "accepted until 2026-03-31"
    row = baseline_mod.shown(current, after, triaged_only=True)[0]
    assert (row.status, row.age_days) == ("expired", (after - first_seen).days)

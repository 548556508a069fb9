"""Faults while writing are one line, exit 2 (exit 1 stays the gate's), and leave nothing
behind: an ``--out`` that cannot be written (a file in the way, a read-only folder,
``/proc``), a full disk, ``ulimit -f``, a baseline in a read-only folder, Ctrl-C; two runs
into one ``--out`` at once leave one run's set of outputs, never a mix.

Read-only folders and full disks are real: a tmpfs and a read-only bind mount in a user
namespace of their own (``unshare -r -m``), so they hold for root too; the tests are skipped
where unshare is not allowed.
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from hostile_support import CLEAN_ENV, load_json

from support import SAMPLES

OUTPUTS = [
    "findings.json",
    "summary.md",
    "report.html",
    "hardening.sarif",
    "gl-code-quality-report.json",
]

#: Runs the CLI with an os.fsync that acts when it syncs the temporary file of $HOOK_FILE:
#: "sigint" interrupts the process as Ctrl-C would; "pause" writes $HOOK_PAUSED and waits
#: for $HOOK_RELEASE to exist.
HOOKED = """
import os, signal, sys, time
target = "." + os.environ["HOOK_FILE"] + "."
action = os.environ["HOOK_ACTION"]
real_fsync = os.fsync

def fsync(fd):
    name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    if name.startswith(target):
        if action == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
        elif action == "pause":
            open(os.environ["HOOK_PAUSED"], "w").close()
            while not os.path.exists(os.environ["HOOK_RELEASE"]):
                time.sleep(0.02)
    real_fsync(fd)

os.fsync = fsync
from hardening.cli import main
sys.argv[0] = "hardening"
main()
"""


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env.update(extra)
    return env


def command(*args: str, hooked: bool = False) -> list[str]:
    return [sys.executable, *(["-c", HOOKED] if hooked else ["-m", "hardening"]), *args]


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, **options: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        cwd=cwd,
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=120,
        **options,  # type: ignore[call-overload]
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included), by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_error_line(done: subprocess.CompletedProcess[str], where: str, reason: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"hardening: error: {where}"), lines[0]
    assert reason in lines[0], lines[0]


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of an earlier run (gosec only): what every failed run must leave."""
    out = tmp_path_factory.mktemp("previous") / "out"
    done = run(out.parent, "aggregate", "-q", str(SAMPLES / "gosec"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    return out


# --- unwritable places -----------------------------------------------------------------


def test_a_file_in_the_way_of_out(tmp_path: Path) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("mine")
    done = run(tmp_path, "aggregate", "-q", str(SAMPLES / "gosec"), "--out", str(blocker))
    one_error_line(done, f"{blocker}: ", "a file is in the way")
    assert blocker.read_text() == "mine"


def test_a_file_in_the_way_of_a_folder_above_out(tmp_path: Path) -> None:
    (tmp_path / "report").write_text("mine")
    out = tmp_path / "report" / "out"
    done = run(tmp_path, "aggregate", "-q", str(SAMPLES / "gosec"), "--out", str(out))
    one_error_line(done, f"{out}: cannot create the output folder", "Not a directory")


def test_a_folder_in_the_way_of_one_output(tmp_path: Path, previous: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "summary.md").unlink()
    (out / "summary.md").mkdir()
    before = snapshot(out)
    done = run(tmp_path, "aggregate", "-q", str(SAMPLES), "--out", str(out))
    one_error_line(done, f"{out / 'summary.md'}: cannot be written", "a folder is in the way")
    assert snapshot(out) == before, "no output committed while another could not be"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("out", ["/proc/hardening-report", "/proc/self/hardening-report"])
def test_out_under_proc(tmp_path: Path, out: str) -> None:
    done = run(tmp_path, "aggregate", "-q", str(SAMPLES / "gosec"), "--out", out)
    one_error_line(done, f"{out}: cannot create the output folder", "")


def test_past_ulimit_f_the_previous_outputs_stay(tmp_path: Path, previous: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    before = snapshot(out)
    limit = 16 * 1024  # report.html alone is larger

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = run(
        tmp_path, "aggregate", "-q", str(SAMPLES), "--out", str(out), preexec_fn=limit_file_size
    )

    one_error_line(done, f"{out}/", "cannot be written: File too large")
    assert snapshot(out) == before


# --- read-only folders and full disks, for real ------------------------------------------


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _unshare_works(), reason="needs `unshare -r -m` (user and mount namespaces)"
)


def in_namespace(
    setup: str, args: Sequence[str], cwd: Path, after: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``setup`` (mount commands), hardening, then ``after`` (to copy out what a tmpfs
    holds before it goes), in a mount namespace of their own; hardening's exit code."""
    script = (
        f"set -e\n{setup}\nset +e\n{shlex.join(command(*args))}\ncode=$?\nset -e\n"
        f"{after}\nexit $code"
    )
    return subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", script],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_only(folder: Path) -> str:
    return f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))}\n" + (
        f"mount -o remount,bind,ro {shlex.quote(str(folder))}"
    )


@needs_mounts
def test_a_read_only_out_leaves_the_previous_outputs(tmp_path: Path, previous: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    before = snapshot(out)
    done = in_namespace(
        read_only(out), ["aggregate", "-q", str(SAMPLES), "--out", str(out)], tmp_path
    )
    one_error_line(done, f"{out}", "Read-only file system")
    assert snapshot(out) == before


@needs_mounts
def test_a_full_disk_leaves_the_previous_outputs(tmp_path: Path, previous: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # A disk the previous outputs fit on (with room for a little more, not for the new set).
    size = sum(p.stat().st_size for p in previous.iterdir()) + 48 * 1024
    setup = (
        f"mount -t tmpfs -o size={size} none {shlex.quote(str(out))}\n"
        f"cp {shlex.quote(str(previous))}/* {shlex.quote(str(out))}/\n"
        f"mkdir -p {shlex.quote(str(tmp_path / 'seen'))}"
    )
    done = in_namespace(
        setup,
        ["aggregate", "-q", str(SAMPLES), "--out", str(out)],
        tmp_path,
        after=f"cp -a {shlex.quote(str(out))}/. {shlex.quote(str(tmp_path / 'seen'))}/",
    )
    one_error_line(done, f"{out}/", "cannot be written: No space left on device")
    assert snapshot(tmp_path / "seen") == snapshot(previous)


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A baseline of the gosec sample in ``.hardening/``, as a repository keeps it."""
    folder = tmp_path / ".hardening"
    folder.mkdir()
    baseline = folder / "baseline.json"
    done = run(tmp_path, "baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(baseline))
    assert done.returncode == 0, done.stderr
    return baseline


@needs_mounts
def test_a_baseline_in_a_read_only_folder(tmp_path: Path, recorded: Path) -> None:
    baseline, folder = recorded, recorded.parent
    before = baseline.read_bytes()

    done = in_namespace(
        read_only(folder),
        ["baseline", "update", str(SAMPLES), "--baseline", str(baseline)],
        tmp_path,
    )

    one_error_line(done, f"{baseline}: cannot be written", "Read-only file system")
    assert baseline.read_bytes() == before


@needs_mounts
def test_a_baseline_on_a_full_disk(tmp_path: Path, recorded: Path) -> None:
    baseline, folder = recorded, recorded.parent
    before = baseline.read_bytes()
    keep = tmp_path / "kept"
    setup = (
        f"cp {shlex.quote(str(baseline))} {shlex.quote(str(keep))}\n"
        f"mount -t tmpfs -o size={len(before) + 8192} none {shlex.quote(str(folder))}\n"
        f"cp {shlex.quote(str(keep))} {shlex.quote(str(baseline))}"
    )
    done = in_namespace(
        setup,
        ["baseline", "update", str(SAMPLES), "--baseline", str(baseline)],
        tmp_path,
        after=f"cp {shlex.quote(str(baseline))} {shlex.quote(str(keep))}\n"
        f"ls -A {shlex.quote(str(folder))} > {shlex.quote(str(tmp_path / 'listing'))}",
    )
    one_error_line(done, f"{baseline}: cannot be written", "No space left on device")
    assert keep.read_bytes() == before
    assert (tmp_path / "listing").read_text().split() == ["baseline.json"]


# --- what a successful run leaves ----------------------------------------------------------


def test_outputs_follow_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run(
        tmp_path,
        "aggregate",
        "-q",
        str(SAMPLES / "gosec"),
        "--out",
        str(out),
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    assert {name: (out / name).stat().st_mode & 0o777 for name in OUTPUTS} == dict.fromkeys(
        OUTPUTS, 0o644
    )


def test_a_format_subset_leaves_the_other_outputs_and_files_alone(
    tmp_path: Path, previous: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)

    done = run(
        tmp_path,
        "aggregate",
        "-q",
        str(SAMPLES),
        "--out",
        str(out),
        "--format",
        "json",
        "--format",
        "markdown",
    )

    assert done.returncode == 0, done.stderr
    after = snapshot(out)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["findings.json", "summary.md"]
    assert sorted(after) == sorted(before)


# --- interruptions and concurrent runs ------------------------------------------------------


def test_ctrl_c_exits_130_in_one_line_and_leaves_the_previous_outputs(
    tmp_path: Path, previous: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    before = snapshot(out)
    done = subprocess.run(
        command("aggregate", "-q", str(SAMPLES), "--out", str(out), hooked=True),
        cwd=tmp_path,
        env=environment(HOOK_FILE="report.html", HOOK_ACTION="sigint"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "hardening: interrupted\n"
    assert snapshot(out) == before


def test_ctrl_c_during_a_baseline_update_leaves_the_baseline(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    done = run(tmp_path, "baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(baseline))
    assert done.returncode == 0, done.stderr
    before = baseline.read_bytes()
    done = subprocess.run(
        command("baseline", "update", str(SAMPLES), "--baseline", str(baseline), hooked=True),
        cwd=tmp_path,
        env=environment(HOOK_FILE="baseline.json", HOOK_ACTION="sigint"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (130, "hardening: interrupted\n")
    assert baseline.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_two_runs_into_one_out_leave_one_runs_set(tmp_path: Path) -> None:
    """The first run is held while writing report.html, its findings.json already written;
    the second runs to its end meanwhile.  Then the first one finishes: every output must be
    the first run's (before, findings.json was the second's and the rest the first's)."""
    out = tmp_path / "out"
    paused, release = tmp_path / "paused", tmp_path / "release"
    first = subprocess.Popen(
        command("aggregate", "-q", str(SAMPLES / "gosec"), "--out", str(out), hooked=True),
        cwd=tmp_path,
        env=environment(
            HOOK_FILE="report.html",
            HOOK_ACTION="pause",
            HOOK_PAUSED=str(paused),
            HOOK_RELEASE=str(release),
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not paused.exists():
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the first run never reached report.html"
            time.sleep(0.05)
        second = run(tmp_path, "aggregate", "-q", str(SAMPLES / "gitleaks"), "--out", str(out))
        assert second.returncode == 0, second.stderr
    finally:
        release.touch()
        assert first.wait(timeout=120) == 0

    tools = {
        "findings.json": {run["tool"] for run in load_json(out / "findings.json")["runs"]},
        "hardening.sarif": {
            run["tool"]["driver"]["name"].lower()
            for run in load_json(out / "hardening.sarif")["runs"]
        },
        "gl-code-quality-report.json": {
            issue["check_name"].split(" ")[0].split(":")[0].lower()
            for issue in load_json(out / "gl-code-quality-report.json")
        },
    }
    summary = (out / "summary.md").read_text()
    assert tools["findings.json"] == {"gosec"}
    assert "gosec" in summary and "gitleaks" not in summary
    assert "gitleaks" not in (out / "report.html").read_text()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_staging_folder_a_killed_run_left_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    left = out / ".hardening-staging-0123456789ab"
    left.mkdir(parents=True)
    (left / "findings.json").write_text("{")  # half-written by a run that was killed
    done = run(tmp_path, "aggregate", "-q", str(SAMPLES / "gosec"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


def test_exit_1_stays_the_gates(tmp_path: Path) -> None:
    """A fault is 2 even when --fail-on would have fired."""
    blocker = tmp_path / "report"
    blocker.write_text("mine")
    args = ["aggregate", "-q", str(SAMPLES), "--fail-on", "new:low"]
    assert run(tmp_path, *args).returncode == 1
    assert run(tmp_path, *args, "--out", str(blocker)).returncode == 2

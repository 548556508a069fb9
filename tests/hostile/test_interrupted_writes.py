"""Nothing lost: a process killed while writing leaves the previous outputs and baseline whole.

``aggregate`` and ``baseline update`` run in a subprocess whose ``os.fsync`` SIGKILLs the
process when it is about to commit a chosen file (its data written to the temporary file,
the rename not done).  Outputs are written into a staging folder and moved into place
together at the end, so afterwards every output is the previous run's, byte for byte; the
next run removes what the killed one left.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_support import CLEAN_ENV, load_json

from support import SAMPLES

#: Runs the CLI with an os.fsync that kills the process when it syncs the temporary file of
#: $KILL_WRITING (write_atomic names it ".<name>.<random>.tmp").
KILLER = """
import os, signal, sys
target = "." + os.environ["KILL_WRITING"] + "."
real_fsync = os.fsync

def fsync(fd):
    if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(target):
        os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)

os.fsync = fsync
from hardening.cli import main
sys.argv[0] = "hardening"
main()
"""

OUTPUTS = [
    "findings.json",
    "summary.md",
    "report.html",
    "hardening.sarif",
    "gl-code-quality-report.json",
]


def hardening(cwd: Path, *args: str, kill_writing: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    if kill_writing:
        env["KILL_WRITING"] = kill_writing
    code = ["-c", KILLER] if kill_writing else ["-m", "hardening"]
    done = subprocess.run(
        [sys.executable, *code, *args], cwd=cwd, env=env, capture_output=True, timeout=120
    )
    return done.returncode


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The previous outputs (gosec only) and the complete new ones (every sample)."""
    root = tmp_path_factory.mktemp("interrupted")
    before, after = root / "before", root / "after"
    assert hardening(root, "aggregate", "-q", str(SAMPLES / "gosec"), "--out", str(before)) == 0
    assert hardening(root, "aggregate", "-q", str(SAMPLES), "--out", str(after)) == 0
    written = sorted(p.name for p in after.iterdir())
    assert written == sorted(name for name in OUTPUTS if (before / name).exists())
    return {"root": root, "before": before, "after": after}


def outputs_written(runs: dict[str, Path]) -> list[str]:
    return [name for name in OUTPUTS if (runs["after"] / name).exists()]


def undated(path: Path) -> bytes:
    """An output's bytes without findings.json's ``created`` time (two runs differ there)."""
    return re.sub(rb'"created":"[^"]*"', b'"created":""', path.read_bytes())


@pytest.mark.parametrize("victim", OUTPUTS)
def test_a_kill_while_writing_an_output_leaves_every_output_whole(
    victim: str, runs: dict[str, Path], tmp_path: Path
) -> None:
    if victim not in outputs_written(runs):
        pytest.skip(f"{victim} is not written by this version")
    out = tmp_path / "out"
    shutil.copytree(runs["before"], out)

    code = hardening(
        tmp_path, "aggregate", "-q", str(SAMPLES), "--out", str(out), kill_writing=victim
    )

    assert code == -signal.SIGKILL
    for name in outputs_written(runs):
        assert (out / name).read_bytes() == (runs["before"] / name).read_bytes(), name
    load_json(out / "findings.json")
    # The next run removes the killed run's staging folder and commits its whole set.
    assert hardening(tmp_path, "aggregate", "-q", str(SAMPLES), "--out", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(outputs_written(runs))
    for name in outputs_written(runs):
        assert undated(out / name) == undated(runs["after"] / name), name


def test_a_kill_while_writing_the_baseline_leaves_the_previous_one(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    args = ("baseline", "update", "--baseline", str(baseline))
    assert hardening(tmp_path, *args, str(SAMPLES / "gosec")) == 0
    previous = baseline.read_bytes()

    code = hardening(tmp_path, *args, str(SAMPLES), kill_writing=baseline.name)

    assert code == -signal.SIGKILL
    assert baseline.read_bytes() == previous
    assert hardening(tmp_path, *args, str(SAMPLES)) == 0, "the next update works"
    assert baseline.read_bytes() != previous

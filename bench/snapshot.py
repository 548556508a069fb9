"""Time ``hardening snapshot`` over a generated repository, and optionally semgrep over the work
tree and over the snapshot (the README's illustration; not a test).

    python bench/snapshot.py --out /tmp/snapshot-bench --tracked 100000 --cached 20000
    python bench/snapshot.py --out /tmp/snapshot-bench --tracked 2000 --cached 20000 \\
        --semgrep /tmp/semgrep-venv/bin/semgrep

The repository is a Go project: TRACKED files in 100 packages (every tenth flags MD5), a
vendor/ tree and a generated file, and CACHED untracked, unignored files under .cache/ (each
flags MD5), as a CI job's build cache leaves them.  semgrep runs offline (a local rule file,
--metrics off) and with --time; the times printed are semgrep's own total_time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from go_project import CLEAN, FLAGGED, RULES, semgrep_command, semgrep_env


def generate(root: Path, tracked: int, cached: int) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True)
    for n in range(tracked):
        folder = root / "internal" / f"pkg{n % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        template = FLAGGED if n % 10 == 0 else CLEAN
        (folder / f"file{n}.go").write_text(template.format(name=f"p{n}", n=n))
    vendor = root / "vendor" / "github.com" / "acme" / "legacy"
    vendor.mkdir(parents=True)
    (vendor / "legacy.go").write_text(FLAGGED.format(name="p0", n=0))
    (root / "go.mod").write_text("module example.com/bench\n\ngo 1.22\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    cache = root / ".cache" / "go-build"
    for n in range(cached):
        folder = cache / f"{n % 256:02x}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"scratch{n}.go").write_text(FLAGGED.format(name=f"p{n}", n=n))


def timed(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, check=False, capture_output=True)
    if check and done.returncode != 0:
        sys.exit(f"{command[0]} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return time.perf_counter() - started


def semgrep_scan(semgrep: str, target: Path, report: Path, rules: Path) -> dict[str, object]:
    wall = timed(
        semgrep_command(semgrep, rules, report),
        target,
        semgrep_env(),
        check=False,  # semgrep exits non-zero on some errors; its report says which
    )
    data = json.loads(report.read_text())
    return {
        "wall_seconds": round(wall, 1),
        "semgrep_total_time": round(data["time"]["profiling_times"]["total_time"], 1),
        "files_scanned": len(data["paths"]["scanned"]),
        "results": len(data["results"]),
        "errors": len(data["errors"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where to generate (erased)")
    parser.add_argument("--tracked", type=int, default=100_000)
    parser.add_argument("--cached", type=int, default=20_000)
    parser.add_argument("--semgrep", help="semgrep executable: also scan both ways")
    parser.add_argument(
        "--reuse", action="store_true", help="time the repository --out already holds"
    )
    args = parser.parse_args()

    root = args.out / "project"
    started = time.perf_counter()
    if not args.reuse:
        generate(root, args.tracked, args.cached)
    print(
        f"generated {args.tracked:,} tracked + {args.cached:,} cached files in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    hardening = shutil.which("hardening") or str(Path(sys.executable).parent / "hardening")
    snap = root / ".scan-src"
    if snap.exists():
        shutil.rmtree(snap)
    results: dict[str, object] = {"tracked": args.tracked, "cached": args.cached}
    results["snapshot_seconds"] = round(timed([hardening, "snapshot", "--out", str(snap)], root), 2)
    results["snapshot_force_seconds"] = round(
        timed([hardening, "snapshot", "--out", str(snap), "--force"], root), 2
    )
    results["list_seconds"] = round(timed([hardening, "snapshot", "--list"], root), 2)
    if args.semgrep:
        rules = args.out / "rules.yml"
        rules.write_text(RULES)
        shutil.rmtree(snap)  # the work-tree scan must not see the snapshot
        results["semgrep_work_tree"] = semgrep_scan(
            args.semgrep, root, args.out / "work.json", rules
        )
        subprocess.run(
            [hardening, "snapshot", "--out", str(snap)], cwd=root, check=True, capture_output=True
        )
        results["semgrep_snapshot"] = semgrep_scan(
            args.semgrep, snap, args.out / "snapshot.json", rules
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

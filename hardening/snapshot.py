"""The tracked-source snapshot that scanners should scan.

``hardening snapshot`` lists what git tracks in the source root (submodules' tracked files
included), drops what the source-snapshot filters drop, for the same reasons (one
``SnapshotFilter`` decides both), and materializes the rest, hard-linked where the file system
allows and copied otherwise, under the repository's own paths.  A marker file at the
snapshot's root records it, so ``aggregate`` strips the snapshot's absolute root from the
paths a scanner wrote.

One exception to "the filters' drops": Go build inputs (``vendor/``, generated ``.go`` files)
stay, because gosec type-checks whole packages; ``drop_build_inputs`` leaves them out too.
The filters still drop the findings in them.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hardening.errors import HardeningError
from hardening.filters import FilterError, SnapshotFilter, git_files, go_build_input
from hardening.paths import SNAPSHOT_MARKER, SNAPSHOT_MARKER_KIND, is_snapshot
from hardening.render import text

#: Reasons only the snapshot has: what cannot be copied safely or at all.
LINK_OUT_OF_ROOT = "symbolic link out of the source root"
NOT_IN_WORK_TREE = "tracked but absent from the work tree"
NOT_A_FILE = "not a regular file (a submodule not checked out, a FIFO, a socket)"


class SnapshotError(HardeningError):
    """A user's mistake or a git failure: one line, exit 2."""


@dataclass
class Tally:
    files: int = 0
    bytes: int = 0

    def add(self, size: int) -> None:
        self.files += 1
        self.bytes += size


@dataclass
class Entry:
    """One path of the snapshot: a file, or a symbolic link that stays inside the root."""

    path: str
    size: int
    link: str | None = None


@dataclass
class Plan:
    """What a snapshot of ``root`` holds and leaves out, before anything is written."""

    root: Path
    tracked: bool
    kept: list[Entry] = field(default_factory=list)
    dropped: dict[str, Tally] = field(default_factory=dict)
    #: Each dropped path and why.
    reasons: dict[str, str] = field(default_factory=dict)
    #: Paths the filters drop that stay as Go build inputs, by the filters' reason.
    build_inputs: dict[str, Tally] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: What git listed (None for a folder walk).
    listed: list[str] | None = None

    @property
    def kept_count(self) -> int:
        return len(self.kept)

    @property
    def kept_bytes(self) -> int:
        return sum(entry.size for entry in self.kept)


@dataclass
class Written:
    linked: int = 0
    copied: int = 0
    links: int = 0


def take(
    root: Path,
    snapshot_filter: SnapshotFilter,
    out: Path | None,
    *,
    tracked_only: bool = False,
    drop_build_inputs: bool = False,
    force: bool = False,
) -> tuple[Plan, Written | None]:
    """``hardening snapshot``: decide what the snapshot of ``root`` holds and, given ``out``,
    materialize it there (None: the plan alone, for ``--list``).  Every check that ``out``
    may be written (not inside what git lists, not a snapshot to replace without ``force``)
    comes before anything is written."""
    if out is not None:
        check_out(root, out)
    result = plan(
        root,
        snapshot_filter,
        tracked_only=tracked_only,
        drop_build_inputs=drop_build_inputs,
        skip=(out,) if out is not None else (),
    )
    if out is None:
        return result, None
    check_listed(result, out)
    check_replace(out, force=force)
    return result, materialize(result, out)


def plan(
    root: Path,
    snapshot_filter: SnapshotFilter,
    *,
    tracked_only: bool = False,
    drop_build_inputs: bool = False,
    skip: tuple[Path, ...] = (),
) -> Plan:
    """Decide what a snapshot of ``root`` holds.  ``skip`` names folders a folder walk must not
    enter (the snapshot being written); git never lists them (the CLI refuses an ``--out``
    git lists)."""
    root = root.resolve()
    try:
        listed = git_files(root)
    except FilterError as exc:
        raise SnapshotError(str(exc)) from None
    result = Plan(root=root, tracked=listed is not None, listed=listed)
    if listed is None:
        if tracked_only:
            raise SnapshotError(
                f"--tracked-only: {root} is not inside a git work tree, so nothing is tracked"
            )
        result.notes.append(
            f"{root} is not inside a git work tree: walking the folder (every file, untracked "
            "ones included, minus the excludes)"
        )
        paths: Iterator[str] = _walk(root, {p.resolve() for p in skip})
    else:
        paths = iter(listed)
    for path in paths:
        _consider(result, path, snapshot_filter, drop_build_inputs)
    result.kept.sort(key=lambda entry: entry.path)
    return result


def _consider(
    result: Plan, path: str, snapshot_filter: SnapshotFilter, drop_build_inputs: bool
) -> None:
    full = f"{result.root}/{path}"  # a string: pathlib costs more than the lstat, per path
    try:
        info = os.lstat(full)
    except OSError:
        _drop(result, path, NOT_IN_WORK_TREE, 0)
        return
    size = info.st_size
    reason = snapshot_filter.reason(path)
    if reason is not None:
        if drop_build_inputs or not go_build_input(path, reason):
            _drop(result, path, reason, size)
            return
        result.build_inputs.setdefault(reason, Tally()).add(size)
    if stat.S_ISLNK(info.st_mode):
        link = Path(full)
        target = str(link.readlink())
        if not _inside(result.root, link, target):
            _drop(result, path, LINK_OUT_OF_ROOT, size)
            return
        result.kept.append(Entry(path, size, link=target))
    elif stat.S_ISREG(info.st_mode):
        result.kept.append(Entry(path, size))
    else:
        _drop(result, path, NOT_A_FILE, 0)


def _drop(result: Plan, path: str, reason: str, size: int) -> None:
    result.dropped.setdefault(reason, Tally()).add(size)
    result.reasons[path] = reason


def _inside(root: Path, link: Path, target: str) -> bool:
    """Whether a symbolic link's target stays inside the root, lexically and once every link on
    the way is resolved.  An absolute target never does: in the snapshot it would lead back
    into the work tree, or anywhere."""
    if Path(target).is_absolute():
        return False
    lexical = os.path.normpath(link.parent / target)
    if not Path(lexical).is_relative_to(root):
        return False
    return Path(os.path.realpath(link)).is_relative_to(root)


def _walk(root: Path, skip: set[Path]) -> Iterator[str]:
    """Every file and symbolic link under ``root``, relative to it, never following a link,
    never entering ``.git``, another snapshot or a folder in ``skip``."""
    for folder, subfolders, files in os.walk(root, followlinks=False):
        here = Path(folder)
        keep = []
        for name in sorted(subfolders):
            child = here / name
            if child.is_symlink():
                files.append(name)  # a link to a folder: kept or dropped as a link
            elif name != ".git" and child not in skip and not is_snapshot(child):
                keep.append(name)
        subfolders[:] = keep
        relative = here.relative_to(root).as_posix()
        for name in sorted(files):
            yield name if relative == "." else f"{relative}/{name}"


def check_out(root: Path, out: Path) -> None:
    """Refuse an ``--out`` that is, or holds, the source root, or is no folder."""
    root = root.resolve()
    target = out.resolve()
    if target == root:
        raise SnapshotError(f"--out {out}: is the source root itself")
    if root.is_relative_to(target):
        raise SnapshotError(f"--out {out}: contains the source root")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SnapshotError(f"--out {out}: exists and is not a folder")


def check_replace(out: Path, *, force: bool) -> None:
    """Refuse to replace a non-empty ``--out`` without ``--force``, or one not a snapshot."""
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise SnapshotError(f"--out {out}: is not empty (pass --force to replace it)")
        if not is_snapshot(out):
            raise SnapshotError(
                f"--out {out}: is not empty and is not a snapshot (no {SNAPSHOT_MARKER}): "
                "refusing to replace it"
            )


def check_listed(result: Plan, out: Path) -> None:
    """Refuse an ``--out`` git lists files under: writing there would replace sources."""
    target = out.resolve()
    if result.listed is None or not target.is_relative_to(result.root):
        return
    relative = target.relative_to(result.root).as_posix()
    inside = relative + "/"
    if any(p == relative or p.startswith(inside) for p in result.listed):
        raise SnapshotError(
            f"--out {out}: git lists files under it; write the snapshot to a folder git "
            "does not track (such as .scan-src/, kept out of git)"
        )


def materialize(result: Plan, out: Path) -> Written:
    """Write the snapshot beside ``out``, then rename it into place, so a scanner never sees
    half a snapshot and a failure leaves the previous one whole."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    building = out.parent / f".{out.name}.building-{os.getpid()}"
    if building.exists():
        shutil.rmtree(building)
    building.mkdir()
    try:
        written = _write(result, building)
        marker = {
            "kind": SNAPSHOT_MARKER_KIND,
            "version": 1,
            "root": str(out),
            "source_root": str(result.root),
            "tracked": result.tracked,
            "files": len(result.kept),
        }
        (building / SNAPSHOT_MARKER).write_text(
            json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        _swap_in(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return written


def _write(result: Plan, into: Path) -> Written:
    written = Written()
    can_link = True
    made: set[Path] = {into}
    for entry in result.kept:
        destination = into / entry.path
        parent = destination.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        if entry.link is not None:
            destination.symlink_to(entry.link)
            written.links += 1
            continue
        source = result.root / entry.path
        if can_link:
            try:
                os.link(source, destination, follow_symlinks=False)
                written.linked += 1
                continue
            except OSError:
                can_link = False  # another file system, or links refused: copy from now on
        shutil.copy2(source, destination, follow_symlinks=False)
        written.copied += 1
    return written


def _swap_in(building: Path, out: Path) -> None:
    if not out.exists():
        building.rename(out)
        return
    if not any(out.iterdir()):
        out.rmdir()
        building.rename(out)
        return
    old = out.parent / f".{out.name}.replaced-{os.getpid()}"
    out.rename(old)
    try:
        building.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def listing(result: Plan, *, nul: bool) -> str:
    """The kept paths, one a line or NUL-terminated, for scanners that take a file list."""
    if nul:
        return "".join(f"{entry.path}\0" for entry in result.kept)
    return "".join(f"{entry.path}\n" for entry in result.kept)


def summary(plan: Plan, written: Written | None, out: str | None) -> str:
    """What ``hardening snapshot`` prints: what it kept (and how) and what it dropped, by
    reason; report text (paths, reasons) is made safe for a terminal."""
    source = "tracked files" if plan.tracked else "files (folder walk)"
    lines = [f"note: {text.terminal(note, 300)}" for note in plan.notes]
    where = f" into {text.terminal(out, 200)}" if out else ""
    lines.append(
        f"Snapshot of {text.terminal(str(plan.root), 200)}{where}: kept {_size(plan.kept_count)}"
        f" {source} ({_bytes(plan.kept_bytes)})"
    )
    if written is not None:
        how = [f"{written.linked:,} hard-linked", f"{written.copied:,} copied"]
        if written.links:
            how.append(f"{written.links:,} symbolic link(s) inside the root")
        lines.append("  " + ", ".join(how))
    if plan.build_inputs:
        lines.append(
            "  of which Go build inputs kept for gosec (their findings are still filtered; "
            "--drop-build-inputs leaves them out):"
        )
        lines.extend(_rows(plan.build_inputs, "    "))
    dropped = sum(t.files for t in plan.dropped.values())
    dropped_bytes = sum(t.bytes for t in plan.dropped.values())
    files = "file" if dropped == 1 else "files"
    lines.append(f"Dropped {_size(dropped)} {files} ({_bytes(dropped_bytes)}):")
    lines.extend(_rows(plan.dropped, "  "))
    return "\n".join(lines) + "\n"


def _rows(by_reason: dict[str, Tally], indent: str) -> list[str]:
    ordered = sorted(by_reason.items(), key=lambda item: (-item[1].files, item[0]))
    return [
        f"{indent}{text.terminal(reason, 160)}: {_size(t.files)} ({_bytes(t.bytes)})"
        for reason, t in ordered
    ]


def _size(count: int) -> str:
    return f"{count:,}"


def _bytes(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{count:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count:,} bytes"

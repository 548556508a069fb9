"""Source-snapshot filters: drop findings in caches, vendored and generated code, counted.

Every filter is named and testable on its own; the pipeline counts each dropped finding under
the name of the filter that dropped it, and the baseline diff asks the same filters whether a
path was in today's scope (a finding in a filtered path is unknown, never fixed).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hardening.model import Finding, Kind
from hardening.paths import lookup_problem

#: Folders whose content is never the project's own source, wherever they sit in the tree.
DEFAULT_EXCLUDED_DIRS = (".cache", "node_modules", "vendor", "dist", "build", ".git")
#: File-name patterns of generated code.
GENERATED_NAMES = ("*.pb.go", "zz_generated*", "*_generated.*")
#: Go's convention, which other generators follow: ``// Code generated ... DO NOT EDIT.``
_GENERATED_HEADER = re.compile(rb"^\W*Code generated .* DO NOT EDIT\.?\s*$", re.MULTILINE)
_HEADER_BYTES = 4096

#: Kinds that point into the source snapshot.  Dependency, license, DAST and API findings are
#: about packages and endpoints: an image's node_modules/ holds real dependencies.
SOURCE_KINDS = frozenset({Kind.code, Kind.secret, Kind.config})


def glob_match(path: str, pattern: str) -> bool:
    """Match a repo-relative path against a glob where ``**`` spans folders and a pattern
    ending in ``/`` means everything below that folder."""
    if pattern.endswith("/"):
        pattern += "**"
    regex = _glob_regex(pattern)
    return bool(regex.fullmatch(path))


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        else:
            chunk = fnmatch.translate(pattern[i])
            # fnmatch.translate wraps in (?s:...)\Z; take only the core of one character.
            core = chunk[4:-3]
            parts.append(core.replace(".*", "[^/]*"))
            i += 1
    body = "".join(parts)
    return re.compile(body if anchored else f"(?:.*/)?{body}", re.DOTALL)


@dataclass
class SourceTree:
    """Reads under ``--source-root`` without ever leaving it."""

    root: Path
    #: Finding paths that could not be looked up in the tree, and why (a NUL byte, a name
    #: over 255 bytes, beyond PATH_MAX): their findings are kept as given, with a warning.
    refused: dict[str, str] = field(default_factory=dict)
    #: The root with every link resolved, once (a snapshot asks for 100,000 heads).
    _real_root: str = field(default="", init=False, repr=False)

    def _lookable(self, relative: str) -> bool:
        problem = lookup_problem(f"{self.root}/{relative}")
        if problem is not None:
            self.refused[relative] = problem
        return problem is None

    def resolve(self, relative: str) -> Path | None:
        """The file for a repo-relative path, or None when it escapes the root or is absent."""
        found = self._real(relative)
        return None if found is None else Path(found)

    def _real(self, relative: str) -> str | None:
        if not relative or relative.startswith("/") or re.match(r"^[A-Za-z]:", relative):
            return None
        if not self._lookable(relative):
            return None
        try:
            # os.path on strings: pathlib's objects cost several times more, per path.
            root = self._real_root or self._resolve_root()
            candidate = os.path.realpath(os.path.join(root, relative))  # noqa: PTH118
            if not candidate.startswith(root + os.sep) or not os.path.isfile(candidate):  # noqa: PTH113
                return None
        except (OSError, ValueError, RuntimeError) as exc:  # a limit lookup_problem missed
            self.refused[relative] = getattr(exc, "strerror", None) or str(exc)
            return None
        return candidate

    def _resolve_root(self) -> str:
        self._real_root = os.path.realpath(self.root)
        return self._real_root

    def deleted(self, relative: str) -> bool:
        """Whether a repo-relative path names nothing in the tree any more; never for a path
        that could not be in it (absolute, climbing out, or one the system cannot look up)."""
        if not relative or relative.startswith("/") or re.match(r"^[A-Za-z]:", relative):
            return False
        if ".." in relative.split("/") or not self._lookable(relative):
            return False
        candidate = self.root / relative
        try:
            return not (candidate.exists() or candidate.is_symlink())
        except (OSError, ValueError) as exc:
            self.refused[relative] = getattr(exc, "strerror", None) or str(exc)
            return False

    def head(self, relative: str) -> bytes:
        path = self._real(relative)
        if path is None:
            return b""
        try:
            with open(path, "rb") as handle:
                return handle.read(_HEADER_BYTES)
        except OSError:
            return b""

    def tracked(self) -> frozenset[str]:
        """The files git tracks under the root, submodules' included (``--tracked-only``)."""
        listed = git_files(self.root)
        if listed is None:
            raise FilterError(f"--tracked-only: {self.root} is not inside a git work tree")
        return frozenset(listed)


#: Why a finding in a file git does not track is dropped (``--tracked-only``).
UNTRACKED = "not tracked by git"
#: The reason's prefix for the default folders, and the folder Go vendors modules into.
EXCLUDED_FOLDER = "excluded folder "
GENERATED = "generated file"
_VENDOR = EXCLUDED_FOLDER + "vendor/"


def go_build_input(path: str, reason: str) -> bool:
    """Whether a path the filters drop is one Go's type checker still needs: ``vendor/`` (the
    modules ``go mod vendor`` copied) and generated ``.go`` files.  gosec type-checks whole
    packages, so ``hardening snapshot`` keeps them unless told otherwise; the filters still
    drop the findings in them."""
    if reason == _VENDOR:
        return True
    return reason.startswith(GENERATED) and path.endswith(".go")


def default_exclude(reason: str) -> bool:
    """Whether a reason is one of the default excludes (folders and generated files)."""
    return reason.startswith((EXCLUDED_FOLDER, GENERATED))


def reason_phrase(reason: str, count: int, noun: str | None = "file") -> str:
    """``300 files under `.cache/```, ``2 findings in generated files (*.pb.go)``: a count of
    paths (or of findings, ``noun``) dropped for ``reason``, in words; ``noun=None`` leaves
    the noun out (``1 under `node_modules/```), for the second item of a list."""
    things = "" if noun is None else " " + (noun if count == 1 else noun + "s")
    if reason.startswith(EXCLUDED_FOLDER):
        return f"{count:,}{things} under `{reason[len(EXCLUDED_FOLDER) :]}`"
    if reason.startswith(GENERATED):
        where = " in" if noun not in (None, "file") else ""
        return f"{count:,}{things}{where} generated{reason[len(GENERATED) :]}"
    return f"{count:,}{things} {reason}"


def git_files(root: Path) -> list[str] | None:
    """The files git lists under ``root`` (submodules' tracked files included), relative to
    it; None when ``root`` is not inside a git work tree (or git is not installed).

    Any other git failure is an error naming the fix, never a fallback: walking the folder
    instead would bring back the caches the listing leaves out.
    """
    try:
        probe = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            timeout=60,
        )
    except FileNotFoundError:
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        raise FilterError(f"git could not be run in {root}: {exc}") from None
    if probe.returncode != 0:
        message = _git_message(probe.stderr)
        if "not a git repository" in message:
            return None
        raise FilterError(_git_failure(root, message))
    if probe.stdout.strip() != b"true":  # inside a .git folder
        return None
    try:
        listing = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--recurse-submodules"],
            capture_output=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise FilterError(f"git ls-files failed in {root}: {exc}") from None
    if listing.returncode != 0:
        raise FilterError(_git_failure(root, _git_message(listing.stderr)))
    return [p for p in listing.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _git_message(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    return next((line for line in lines if line), "no message")


def _git_failure(root: Path, message: str) -> str:
    if "dubious ownership" in message:
        return (
            f"git refuses to read {root}: {message} (the checkout belongs to another user, as "
            "in a container); run `git config --global --add safe.directory "
            f"{root.resolve()}` and try again"
        )
    return f"git failed in {root}: {message}"


class FilterError(Exception):
    pass


@dataclass
class SnapshotFilter:
    """Decides, per path, whether findings there belong to the scanned source snapshot."""

    default_excludes: bool = True
    excludes: Sequence[str] = ()
    includes: Sequence[str] = ()
    source: SourceTree | None = None
    tracked_only: bool = False
    _tracked: frozenset[str] | None = field(default=None, init=False, repr=False)
    _cache: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.tracked_only:
            if self.source is None:
                raise FilterError("--tracked-only needs --source-root")
            self._tracked = self.source.tracked()

    def reason(self, path: str) -> str | None:
        """Why findings at ``path`` are dropped, or None when the path is in scope."""
        if path in self._cache:
            return self._cache[path]
        result = self._reason(path)
        self._cache[path] = result
        return result

    def _reason(self, path: str) -> str | None:
        segments = path.split("/")
        name = segments[-1]
        if self.default_excludes:
            for segment in segments[:-1]:
                if segment in DEFAULT_EXCLUDED_DIRS:
                    return f"{EXCLUDED_FOLDER}{segment}/"
            for pattern in GENERATED_NAMES:
                if fnmatch.fnmatchcase(name, pattern):
                    return f"{GENERATED} ({pattern})"
        for pattern in self.excludes:
            if glob_match(path, pattern):
                return f"excluded by config ({pattern})"
        if self.includes and not any(glob_match(path, p) for p in self.includes):
            return "outside configured includes"
        if self._tracked is not None and path not in self._tracked:
            return UNTRACKED
        if (
            self.default_excludes
            and self.source is not None
            and _GENERATED_HEADER.search(self.source.head(path))
        ):
            return f"{GENERATED} (DO NOT EDIT header)"
        return None

    def deleted(self, path: str) -> bool:
        """Whether ``--source-root`` shows that the file at ``path`` was deleted (False when
        there is no source tree to tell)."""
        return self.source is not None and self.source.deleted(path)

    def scope_reason(self, path: str) -> str | None:
        """Why a finding gone from ``path`` was out of today's scope, or None.  A deleted file
        is not an untracked one: what was found in it is fixed."""
        why = self.reason(path)
        if why == UNTRACKED and self.deleted(path):
            return None
        return why

    def finding_reason(self, finding: Finding) -> str | None:
        if finding.kind not in SOURCE_KINDS or finding.location is None:
            return None
        return self.reason(finding.location.path)

    def split(self, findings: Iterable[Finding]) -> tuple[list[Finding], dict[str, int]]:
        """The findings in scope, and how many were dropped by each reason."""
        kept, dropped, _ = self.split_counted(findings)
        return kept, dropped

    def split_counted(
        self, findings: Iterable[Finding]
    ) -> tuple[list[Finding], dict[str, int], dict[str, int]]:
        """``split``, plus, by reason, the dropped findings in paths that a default
        ``hardening snapshot`` leaves out (default excludes, not Go build inputs): what a
        scanner spent its time on for nothing."""
        kept: list[Finding] = []
        dropped: dict[str, int] = {}
        avoidable: dict[str, int] = {}
        for finding in findings:
            why = self.finding_reason(finding)
            if why is None:
                kept.append(finding)
                continue
            dropped[why] = dropped.get(why, 0) + 1
            path = finding.location.path if finding.location else ""
            if default_exclude(why) and not go_build_input(path, why):
                avoidable[why] = avoidable.get(why, 0) + 1
        return kept, dropped, avoidable

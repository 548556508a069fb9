"""Source-snapshot filters: drop findings in caches, vendored and generated code, counted.

Every filter is named and testable on its own; the pipeline counts each dropped finding under
the name of the filter that dropped it, and the baseline diff asks the same filters whether a
path was in today's scope (a finding in a filtered path is unknown, never fixed).
"""

from __future__ import annotations

import fnmatch
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

    def _lookable(self, relative: str) -> bool:
        problem = lookup_problem(f"{self.root}/{relative}")
        if problem is not None:
            self.refused[relative] = problem
        return problem is None

    def resolve(self, relative: str) -> Path | None:
        """The file for a repo-relative path, or None when it escapes the root or is absent."""
        if not relative or relative.startswith("/") or re.match(r"^[A-Za-z]:", relative):
            return None
        if not self._lookable(relative):
            return None
        try:
            root = self.root.resolve()
            candidate = (root / relative).resolve()
            if not candidate.is_relative_to(root) or not candidate.is_file():
                return None
        except (OSError, ValueError, RuntimeError) as exc:  # a limit lookup_problem missed
            self.refused[relative] = getattr(exc, "strerror", None) or str(exc)
            return None
        return candidate

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
        path = self.resolve(relative)
        if path is None:
            return b""
        try:
            with path.open("rb") as handle:
                return handle.read(_HEADER_BYTES)
        except OSError:
            return b""

    def tracked(self) -> frozenset[str]:
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), "ls-files", "-z"],
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise FilterError(
                f"--tracked-only: git ls-files failed in {self.root}: {exc}"
            ) from None
        return frozenset(p for p in out.decode("utf-8", "replace").split("\0") if p)


#: Why a finding in a file git does not track is dropped (``--tracked-only``).
UNTRACKED = "not tracked by git"


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
                    return f"excluded folder {segment}/"
            for pattern in GENERATED_NAMES:
                if fnmatch.fnmatchcase(name, pattern):
                    return f"generated file ({pattern})"
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
            return "generated file (DO NOT EDIT header)"
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
        kept: list[Finding] = []
        dropped: dict[str, int] = {}
        for finding in findings:
            why = self.finding_reason(finding)
            if why is None:
                kept.append(finding)
            else:
                dropped[why] = dropped.get(why, 0) + 1
        return kept, dropped

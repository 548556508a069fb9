"""Path normalization: every finding's path becomes repo-relative POSIX where possible.

Never relative to the current directory, so where a command runs does not change identity.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

# GitLab's docker executor checks out into /builds/<group>/<project>/, GitHub's hosted runners
# into /home/runner/work/<repo>/<repo>/, which a job container sees as /__w/<repo>/<repo>/ and
# a Docker container action (such as gosec's own action) as /github/workspace/.
_CI_LAYOUTS = (
    re.compile(r"^/builds/[^/]+/[^/]+/"),
    re.compile(r"^/home/runner/work/([^/]+)/\1/"),
    re.compile(r"^/__w/([^/]+)/\1/"),
    re.compile(r"^/github/workspace/"),
)
_DRIVE = re.compile(r"^[A-Za-z]:/")

#: The file ``hardening snapshot`` leaves at the root of a snapshot: it records the snapshot's
#: absolute root, so that paths a scanner wrote under it (gosec's JSON writes absolute ones)
#: become the repository's.  No extension: no scanner takes it for source or config.
SNAPSHOT_MARKER = ".hardening-snapshot"
#: What the marker's JSON says it is.
SNAPSHOT_MARKER_KIND = "hardening-snapshot"


def clean(raw: str) -> str:
    """Decode ``file://`` URIs, turn backslashes into slashes, drop ``./`` segments."""
    path = raw.strip()
    if path.lower().startswith("file:"):
        path = unquote(path[5:])
        if path.startswith("//"):
            path = path[2:]
            # file://host/path: keep only the path; file:///C:/x gives /C:/x
            slash = path.find("/")
            path = path[slash:] if slash > 0 else path
        if re.match(r"^/[A-Za-z]:/", path):
            path = path[1:]
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.replace("/./", "/")
    while "//" in path[1:]:
        path = path[0] + path[1:].replace("//", "/")
    return path


#: Linux's limits: bytes in one name (NAME_MAX) and in a whole path (PATH_MAX).
NAME_MAX = 255
PATH_MAX = 4096


def lookup_problem(path: str) -> str | None:
    """Why ``path`` cannot be looked up on disk at all, or None.  A report may hold any
    string as a path; these would make the operating system refuse (or Python raise)."""
    if "\0" in path:
        return "a NUL byte"
    encoded = path.encode("utf-8", "surrogateescape")
    if len(encoded) >= PATH_MAX:
        return f"longer than PATH_MAX ({PATH_MAX} bytes)"
    if any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        return f"a name over {NAME_MAX} bytes"
    return None


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(_DRIVE.match(path))


@dataclass(frozen=True)
class PathNormalizer:
    """Strips, in order, configured prefixes, ``$CI_PROJECT_DIR`` and CI checkout layouts."""

    prefixes: tuple[str, ...] = ()
    #: Folder -> whether it holds a snapshot marker, looked up once per folder.
    _markers: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_settings(
        cls, configured: Sequence[str] = (), env: os._Environ[str] | dict[str, str] | None = None
    ) -> PathNormalizer:
        env = os.environ if env is None else env
        prefixes = [_as_prefix(p) for p in configured if p]
        project_dir = env.get("CI_PROJECT_DIR")
        if project_dir:
            prefixes.append(_as_prefix(project_dir))
        return cls(_specific_first(list(dict.fromkeys(prefixes))))

    def normalize(self, raw: str) -> tuple[str, str | None]:
        """Return the normalized path and the prefix that was stripped (None if none).

        A path under a snapshot of ``hardening snapshot`` (found by its marker) loses the
        snapshot's root first, before any configured or CI prefix that also covers it."""
        path = clean(raw)
        if not is_absolute(path):
            return path, None
        snapshot = snapshot_root(path, self._markers)
        if snapshot is not None:
            return path[len(snapshot) :], snapshot
        for prefix in self.prefixes:
            if path.startswith(prefix) or (
                path.lower().startswith(prefix.lower()) and _DRIVE.match(prefix)
            ):
                return path[len(prefix) :], prefix
        for layout in _CI_LAYOUTS:
            match = layout.match(path)
            if match:
                return path[match.end() :], match.group(0)
        return path, None


def _as_prefix(prefix: str) -> str:
    cleaned = clean(prefix)
    return cleaned if cleaned.endswith("/") else cleaned + "/"


def _specific_first(prefixes: Sequence[str]) -> tuple[str, ...]:
    """The prefixes in their order, except that one extending another comes before it: a
    snapshot root recorded as ``/builds/g/p/.scan-src/`` beside ``/builds/g/p/``."""

    def covered(prefix: str) -> int:
        return sum(1 for other in prefixes if other != prefix and prefix.startswith(other))

    return tuple(sorted(prefixes, key=covered, reverse=True))


def snapshot_root(path: str, known: dict[str, bool] | None = None) -> str | None:
    """The root (ending in ``/``) of the snapshot an absolute path lies in, when a snapshot's
    marker on this machine says so; None otherwise.  ``known`` remembers the folders looked
    at."""
    known = {} if known is None else known
    folder = path
    while "/" in folder:
        folder = folder.rsplit("/", 1)[0]
        if not folder or _DRIVE.match(folder + "/"):
            return None  # the file system's root (a snapshot is never there)
        holds = known.get(folder)
        if holds is None:
            holds = known[folder] = is_snapshot(folder)
        if holds:
            return folder + "/"
    return None


def is_snapshot(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds the marker ``hardening snapshot`` leaves at a snapshot's root."""
    try:
        with (Path(folder) / SNAPSHOT_MARKER).open("rb") as handle:
            data = json.loads(handle.read(65536))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kind") == SNAPSHOT_MARKER_KIND

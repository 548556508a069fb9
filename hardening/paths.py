"""Path normalization: every finding's path becomes repo-relative POSIX where possible.

Never relative to the current directory, so where a command runs does not change identity.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
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

    @classmethod
    def from_settings(
        cls, configured: Sequence[str] = (), env: os._Environ[str] | dict[str, str] | None = None
    ) -> PathNormalizer:
        env = os.environ if env is None else env
        prefixes = [_as_prefix(p) for p in configured if p]
        project_dir = env.get("CI_PROJECT_DIR")
        if project_dir:
            prefixes.append(_as_prefix(project_dir))
        return cls(tuple(dict.fromkeys(prefixes)))

    def normalize(self, raw: str) -> tuple[str, str | None]:
        """Return the normalized path and the prefix that was stripped (None if none)."""
        path = clean(raw)
        if not is_absolute(path):
            return path, None
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

"""What the CI environment tells about the change: where its files live, which it changed."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from hardening.paths import clean


def link_base(env: Mapping[str, str]) -> str | None:
    """URL prefix of the project's files at the scanned commit (GitLab, then GitHub)."""
    project, sha = env.get("CI_PROJECT_URL"), env.get("CI_COMMIT_SHA")
    if project and sha:
        return f"{project.rstrip('/')}/-/blob/{sha}"
    server, repo, sha = (
        env.get("GITHUB_SERVER_URL"),
        env.get("GITHUB_REPOSITORY"),
        env.get("GITHUB_SHA"),
    )
    if server and repo and sha:
        return f"{server.rstrip('/')}/{repo}/blob/{sha}"
    return None


def read_changed_files(path: Path) -> list[str]:
    """One path per line (blank lines and ``#`` comments ignored)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return sorted({clean(line) for line in lines if line.strip() and not line.startswith("#")})


def changed_files_from_git(env: Mapping[str, str], repo: Path) -> list[str] | None:
    """Files changed by the merge request, from ``CI_MERGE_REQUEST_DIFF_BASE_SHA..HEAD``."""
    base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
    if not base:
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "diff", "--name-only", "-z", f"{base}..HEAD"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted(p for p in out.decode("utf-8", "replace").split("\0") if p)

"""The built wheel installs only the ``hardening`` package, with parsers and templates inside."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from support import REPO


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "out"
        ),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-build-isolation",
            "--no-deps",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("hardening-*.whl")
    return wheel


def test_wheel_holds_only_the_hardening_package(tmp_path: Path) -> None:
    wheel = zipfile.ZipFile(build_wheel(tmp_path))
    names = wheel.namelist()
    top = {name.split("/", 1)[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert top - dist_info == {"hardening"}
    assert len(dist_info) == 1
    assert "hardening/parsers/interface.py" in names
    assert "hardening/py.typed" in names
    templates = sorted(p.name for p in (REPO / "templates").iterdir() if p.is_file())
    assert templates, "the package ships its templates"
    for template in templates:
        assert f"hardening/templates/{template}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = wheel.read(entry_points).decode()
    assert "[hardening.parsers]" in text
    assert "hardening = hardening.cli:main" in text

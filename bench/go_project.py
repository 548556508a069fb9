"""A Go project for semgrep to scan, and how semgrep is run over it offline: shared by the
snapshot benchmark (``bench/snapshot.py``) and the end-to-end test
(``tests/test_semgrep_e2e.py``), which build projects of different sizes from these parts."""

from __future__ import annotations

import os
from pathlib import Path

#: One local rule: no registry, nothing fetched.
RULES = """\
rules:
  - id: go-weak-hash-md5
    languages: [go]
    severity: WARNING
    message: MD5 is a weak hash; use SHA-256
    pattern: md5.New()
"""
#: A Go file the rule flags, and one it does not (``name``: the package, ``n``: a number).
FLAGGED = 'package {name}\n\nimport "crypto/md5"\n\nfunc Sum{n}() {{\n\t_ = md5.New()\n}}\n'
CLEAN = "package {name}\n\nfunc Clean{n}() int {{\n\treturn {n}\n}}\n"


def semgrep_command(semgrep: str, rules: Path, report: Path) -> list[str]:
    """``semgrep scan`` of the current folder with ``rules``, its JSON report into ``report``:
    no metrics, no version check, per-rule timings."""
    return [
        semgrep,
        "scan",
        "--config",
        str(rules),
        "--metrics",
        "off",
        "--disable-version-check",
        "--json",
        "--time",
        "--quiet",
        "--output",
        str(report),
        ".",
    ]


def semgrep_env(home: Path | None = None) -> dict[str, str]:
    """The environment semgrep runs offline in (``home``: a HOME of its own, no app token)."""
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    if home is not None:
        env["HOME"] = str(home)
        env.pop("SEMGREP_APP_TOKEN", None)
    return env

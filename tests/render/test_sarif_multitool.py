"""hardening.sarif passes Microsoft's SARIF Multitool ``validate`` with its SARIF rules and its
GitHub-ingestion rules (``--rule-kind Gh;Ghas;Sarif``), the validator GitHub's documentation
points to.

The Multitool is the npm package ``@microsoft/sarif-multitool``; its native binary is named
by ``HARDENING_SARIF_MULTITOOL`` (``.ci/run`` installs it and sets
``HARDENING_REQUIRE_SARIF_MULTITOOL=1``, which makes its absence a failure).  Rule SARIF2006
fetches every URI in the log over HTTP: it is disabled by a policy file, since tests never
reach the network.

The warnings that stay are the reports' own: a tool whose report names no version (gitleaks
JSON and CSV never do), a version that is not a number (``dev`` builds), another tool's SARIF
whose driver names no home page.  The README lists them.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening.cli import cli
from support import SAMPLES

POLICY = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
"""


def multitool() -> Path:
    configured = os.environ.get("HARDENING_SARIF_MULTITOOL")
    if configured and Path(configured).is_file():
        return Path(configured)
    if os.environ.get("HARDENING_REQUIRE_SARIF_MULTITOOL") == "1":
        pytest.fail(
            "the SARIF Multitool is required here: set HARDENING_SARIF_MULTITOOL to the "
            "Sarif.Multitool binary of npm's @microsoft/sarif-multitool"
        )
    pytest.skip("SARIF Multitool not found (set HARDENING_SARIF_MULTITOOL)")


def problems(sarif: Path, tmp_path: Path) -> Counter[tuple[str, str, str]]:
    """(rule, level, the rule's arguments) of every error and warning the Multitool reports."""
    policy = tmp_path / "offline.xml"
    policy.write_text(POLICY, encoding="utf-8")
    out = tmp_path / "validation.sarif"
    done = subprocess.run(
        [
            str(multitool()),
            "validate",
            "--config",
            str(policy),
            "--rule-kind",
            "Gh;Ghas;Sarif",
            "--level",
            "Error;Warning",
            "--output",
            str(out),
            str(sarif),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    found: Counter[tuple[str, str, str]] = Counter()
    for result in log["runs"][0].get("results", []):
        arguments = result.get("message", {}).get("arguments", [])
        found[(result["ruleId"], result.get("level", "warning"), " ".join(arguments[1:]))] += 1
    return found


def aggregate_to(tmp_path: Path, *options: str) -> Path:
    out = tmp_path / "out"
    args = ["aggregate", *options, "--out", str(out), "--format", "sarif", "-q"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out / "hardening.sarif"


def test_the_samples_log_has_no_error_and_only_the_missing_gitleaks_version(
    tmp_path: Path,
) -> None:
    sarif = aggregate_to(tmp_path, str(SAMPLES))
    assert problems(sarif, tmp_path) == Counter(
        {
            (
                "SARIF2005",
                "warning",
                "gitleaks 'version', 'semanticVersion', 'dottedQuadFileVersion'",
            ): 1
        }
    )


def test_the_samples_log_with_its_baseline_has_no_error(tmp_path: Path) -> None:
    sarif = aggregate_to(tmp_path, str(SAMPLES), "--baseline", str(SAMPLES / "baseline.json"))
    found = problems(sarif, tmp_path)
    assert [key for key in found if key[1] == "error"] == []
    assert {key[0] for key in found} <= {"SARIF2005"}


def test_every_corpus_report_gives_a_log_without_error(corpus: Path, tmp_path: Path) -> None:
    sarif = aggregate_to(tmp_path, str(corpus))
    found = problems(sarif, tmp_path)
    assert [key for key in found if key[1] == "error"] == []
    # What stays is what the reports themselves lack: gosec builds that call themselves 'dev',
    # and CodeQL 2.5.4, whose driver names no informationUri.
    assert set(found) == {
        ("SARIF2005", "warning", "gosec dev"),
        ("SARIF2005", "warning", "codeql"),
    }


def test_every_tool_run_names_its_home_page_and_its_version(tmp_path: Path) -> None:
    """Without the Multitool too: each of the seven tools' runs carries
    ``tool.driver.informationUri``, and a version the report gave (``v1.1.4`` as ``1.1.4``)."""
    log = json.loads(aggregate_to(tmp_path, str(SAMPLES)).read_text(encoding="utf-8"))
    drivers = {run["tool"]["driver"]["name"]: run["tool"]["driver"] for run in log["runs"]}
    assert {name: driver.get("informationUri") for name, driver in drivers.items()} == {
        "gosec": "https://github.com/securego/gosec",
        "semgrep": "https://semgrep.dev",
        "gitleaks": "https://github.com/gitleaks/gitleaks",
        "govulncheck": "https://pkg.go.dev/golang.org/x/vuln/cmd/govulncheck",
        "trivy": "https://trivy.dev",
        "schemathesis": "https://schemathesis.readthedocs.io",
        "zap": "https://www.zaproxy.org",
        "gosentry": "https://gosentry.example.com/docs",
    }
    assert drivers["govulncheck"]["version"] == "1.1.4"
    assert "version" not in drivers["gitleaks"]  # its JSON and CSV name no version

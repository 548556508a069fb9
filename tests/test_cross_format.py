"""One identity per finding across formats: the reports of one scan, written in each format a
tool offers, give the same fingerprints (DESIGN "Fingerprints").

Each pair below is one scan in the corpus (MANIFEST.tsv: same source commit and test case).
gosec and ZAP have no such pair there.  gitleaks run with ``--redact`` is the documented
exception (its SARIF holds only ``REDACTED``, nothing to hash); these reports are unredacted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hardening.model import Finding
from hardening.paths import PathNormalizer
from hardening.reading import read_artifact


def read(corpus: Path, name: str) -> list[Finding]:
    outcome = read_artifact(corpus / name, name, PathNormalizer())
    assert outcome.skipped is None and outcome.findings, name
    return outcome.findings


def fingerprints(findings: list[Finding]) -> set[str]:
    return {f.fingerprint for f in findings}


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(
            ("gitleaks/gl-golden-simple.json", "gitleaks/gl-golden-simple.sarif"), id="gitleaks"
        ),
        pytest.param(
            ("gitleaks/gl-golden-simple.json", "gitleaks/gl-golden-simple.csv"), id="gitleaks-csv"
        ),
        pytest.param(
            ("trivy/trivy-golden-alpine-310.json", "trivy/trivy-golden-alpine-310.sarif"),
            id="trivy",
        ),
        pytest.param(
            ("govulncheck/vuln-source-call-symbol.json", "govulncheck/vuln-source-call.sarif"),
            id="govulncheck",
        ),
        pytest.param(
            (
                "schemathesis/local-4.32.5-flawed-junit.xml",
                "schemathesis/local-4.32.5-flawed-events.ndjson",
                "schemathesis/local-4.32.5-flawed-report.json",
            ),
            id="schemathesis",
        ),
        pytest.param(
            (
                "schemathesis/local-v4.32.5-junit-failures.xml",
                "schemathesis/local-v4.32.5-events-with-errors.ndjson",
            ),
            id="schemathesis-with-errors",
        ),
    ],
)
def test_every_format_of_one_scan_gives_the_same_fingerprints(
    corpus: Path, names: tuple[str, ...]
) -> None:
    first, *others = (read(corpus, name) for name in names)
    for name, findings in zip(names[1:], others, strict=True):
        assert fingerprints(findings) == fingerprints(first), name
        assert len(findings) == len(first), name


@pytest.mark.parametrize(
    "stem", ["semgrep/local-1.185.0-project", "semgrep/local-1.185.0-project-lineshift"]
)
def test_semgrep_json_and_sarif_agree_but_for_what_the_json_leaves_out(
    corpus: Path, stem: str
) -> None:
    # semgrep's JSON omits results suppressed by nosemgrep; its SARIF keeps them, marked.
    from_json = read(corpus, f"{stem}.json")
    from_sarif = read(corpus, f"{stem}.sarif")
    extra = [f for f in from_sarif if f.fingerprint not in fingerprints(from_json)]
    assert fingerprints(from_json) < fingerprints(from_sarif)
    assert extra and all(f.suppressed for f in extra)


def test_govulncheck_sarif_names_the_module_its_json_keys_on(corpus: Path) -> None:
    from_json = read(corpus, "govulncheck/vuln-source-call-symbol.json")
    from_sarif = read(corpus, "govulncheck/vuln-source-call.sarif")

    def modules(findings: list[Finding]) -> dict[str, str]:
        return {f.rule_id: f.component.name for f in findings if f.component}

    assert (
        modules(from_sarif)
        == modules(from_json)
        == {
            "GO-2020-0015": "golang.org/x/text",
            "GO-2021-0054": "github.com/tidwall/gjson",
            "GO-2021-0113": "golang.org/x/text",
            "GO-2021-0265": "github.com/tidwall/gjson",
        }
    )
    assert {f.rule_id: f.severity for f in from_sarif} == {f.rule_id: f.severity for f in from_json}

"""Awkward artifacts through ``aggregate``: each gets its own clear one-line reason (in
findings.json, the terminal and summary.md), never a traceback, and every other artifact is
still read.

Deep nesting, a file above ``--max-input-bytes``, bytes that are not UTF-8, a BOM, CRLF line
endings, empty files, and reports of one tool forced through ``--input`` as another.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_support import load_json, run_cli, time_limit

from hardening.paths import PathNormalizer
from hardening.reading import read_artifact
from support import SAMPLES

GOSEC = SAMPLES / "gosec" / "gosec.json"
DEEP = 100_000
#: --max-input-bytes of the test: above every other artifact (the deep ones are 600 kB).
LIMIT = 1_000_000


def findings_in(path: Path) -> int:
    return len(read_artifact(path, path.name, PathNormalizer()).findings)


@dataclass(frozen=True)
class Case:
    """One awkward artifact and what must become of it."""

    name: str
    content: bytes
    status: str  # ok, failed or skipped
    reason: str = ""  # the reason, exactly (failed or skipped)
    forced: str | None = None  # --input TOOL
    findings: int | None = None  # for ok: as many as the clean sample


def crlf(path: Path) -> bytes:
    return path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def cases() -> list[Case]:
    gosec = GOSEC.read_bytes()
    latin1 = gosec.replace(b'"Errors unhandled"', b'"Errors unhandled \xe9t\xe9"', 1)
    assert latin1 != gosec
    offset = latin1.index(b"\xe9")
    csv_sample = SAMPLES / "gitleaks" / "gitleaks.csv"
    zap_xml = SAMPLES / "zap" / "zap-report.xml"
    events = SAMPLES / "schemathesis" / "events.ndjson"
    govulncheck = SAMPLES / "govulncheck" / "govulncheck.json"
    return [
        Case(
            "deep/gosec.json",
            b'{"Golang errors": {}, "Issues": [' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"]}",
            "failed",
            "JSON nested too deeply to read",
        ),
        Case(
            "deep/semgrep-forced.json",
            b"[" * DEEP + b"]" * DEEP,
            "failed",
            "JSON nested too deeply to read",
            forced="semgrep",
        ),
        Case(
            "big/trivy-image.json",
            (SAMPLES / "trivy" / "trivy-image.json").read_bytes().ljust(LIMIT + 1),
            "failed",
            f"file is {LIMIT + 1} bytes, above the {LIMIT}-byte input limit",
        ),
        Case(
            "encoding/latin1-gosec.json",
            latin1,
            "failed",
            f"not UTF-8 text: invalid byte at offset {offset}",
        ),
        Case(
            "encoding/utf16-gosec.json",
            codecs.BOM_UTF16_LE + gosec.decode().encode("utf-16-le"),
            "ok",
            forced="gosec",
            findings=findings_in(GOSEC),
        ),
        Case(
            "encoding/bom-gosec.json",
            codecs.BOM_UTF8 + gosec,
            "ok",
            findings=findings_in(GOSEC),
        ),
        Case("crlf/gitleaks.csv", crlf(csv_sample), "ok", findings=findings_in(csv_sample)),
        Case("crlf/zap-report.xml", crlf(zap_xml), "ok", findings=findings_in(zap_xml)),
        Case("crlf/events.ndjson", crlf(events), "ok", findings=findings_in(events)),
        Case("crlf/govulncheck.json", crlf(govulncheck), "ok", findings=findings_in(govulncheck)),
        Case("empty/report.json", b"", "skipped", "empty file of unknown tool"),
        Case("empty/blank.json", b" \r\n\t\n", "skipped", "empty file of unknown tool"),
        Case("empty/nul.bin", b"\x00" * 64, "skipped", "no parser recognises this file"),
        Case(
            # A scanner killed early: too little is left to tell whose report it was.
            "truncated/semgrep.json",
            (SAMPLES / "semgrep" / "semgrep.json").read_bytes()[:300],
            "skipped",
            "truncated or invalid JSON: Expecting property name enclosed in double quotes at "
            "line 15 column 4; no parser recognises this file",
        ),
        Case("empty/forced-gosec.json", b"", "failed", "empty file", forced="gosec"),
        Case(
            "forced/trivy-as-semgrep.json",
            (SAMPLES / "trivy" / "trivy-config.json").read_bytes(),
            "failed",
            "semgrep report has no 'results' list (the file looks like a trivy json report)",
            forced="semgrep",
        ),
        Case(
            "forced/gitleaks-as-trivy.json",
            (SAMPLES / "gitleaks" / "gitleaks.json").read_bytes(),
            "failed",
            "not a trivy JSON report: [0] has no Target (legacy trivy results) "
            "(the file looks like a gitleaks json report)",
            forced="trivy",
        ),
        Case(
            "forced/junit-as-zap.xml",
            (SAMPLES / "schemathesis" / "junit.xml").read_bytes(),
            "failed",
            "root element is <testsuites>, expected <OWASPZAPReport> "
            "(the file looks like a schemathesis junit-xml report)",
            forced="zap",
        ),
        Case(
            "forced/gosec-as-gitleaks.json",
            gosec,
            "failed",
            "gitleaks report is a JSON dict, expected a list of findings "
            "(the file looks like a gosec json report)",
            forced="gitleaks",
        ),
    ]


@pytest.fixture(scope="module")
def aggregated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str, str]:
    """One aggregate over every awkward artifact and a clean gosec report."""
    root = tmp_path_factory.mktemp("awkward")
    artifacts = root / "artifacts"
    forced = root / "forced"
    args = ["aggregate", "--max-input-bytes", str(LIMIT), "--out", str(root / "out")]
    for case in cases():
        path = (forced if case.forced else artifacts) / case.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.content)
        if case.forced:
            args += ["--input", f"{case.forced}={path}"]
    (artifacts / "clean").mkdir()
    (artifacts / "clean" / "gosec.json").write_bytes(GOSEC.read_bytes())
    with time_limit(120):
        result = run_cli([*args, str(artifacts)])
    assert result.exit_code == 0, result.output
    report = load_json(root / "out" / "findings.json")
    outcomes: dict[str, object] = {}
    for run in report["runs"]:
        outcomes[_key(run["artifact"])] = run
    for skipped in report["skipped"]:
        outcomes[_key(skipped["path"])] = skipped
    summary = (root / "out" / "summary.md").read_text(encoding="utf-8")
    return outcomes, result.stdout, summary


def _key(path: str) -> str:
    """The case name: the artifact's path below artifacts/ or forced/."""
    parts = Path(path).parts
    anchor = max(parts.index(p) for p in ("artifacts", "forced") if p in parts)
    return "/".join(parts[anchor + 1 :])


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_each_awkward_artifact_gets_its_own_reason(
    case: Case, aggregated: tuple[dict[str, object], str, str]
) -> None:
    outcomes, terminal, summary = aggregated
    outcome = outcomes[case.name]
    assert isinstance(outcome, dict)
    if case.status == "skipped":
        assert "status" not in outcome
        assert outcome["reason"] == case.reason
    else:
        assert outcome["status"] == case.status, outcome
    if case.status == "failed":
        assert outcome["error"] == case.reason
        assert case.reason in terminal
        assert _markdown_text(case.reason) in _markdown_text(summary)
    if case.status == "ok":
        assert outcome["findings"] == case.findings


def test_the_clean_report_beside_them_is_read(
    aggregated: tuple[dict[str, object], str, str],
) -> None:
    outcomes, terminal, _ = aggregated
    clean = outcomes["clean/gosec.json"]
    assert isinstance(clean, dict)
    assert clean["status"] == "ok" and clean["findings"] == findings_in(GOSEC)
    assert "Traceback" not in terminal


def test_every_reason_is_one_line(aggregated: tuple[dict[str, object], str, str]) -> None:
    outcomes, _, _ = aggregated
    for outcome in outcomes.values():
        assert isinstance(outcome, dict)
        reason = outcome.get("error") or outcome.get("reason") or ""
        assert isinstance(reason, str) and "\n" not in reason and "\r" not in reason


def test_max_input_bytes_defaults_to_two_gibibytes() -> None:
    result = run_cli(["aggregate", "--help"])
    assert "--max-input-bytes" in result.output
    assert "2147483648" in result.output
    inspect = run_cli(["inspect", "--help"])
    assert "--max-input-bytes" in inspect.output


def test_inspect_refuses_a_file_above_the_limit(tmp_path: Path) -> None:
    result = run_cli(["inspect", "--max-input-bytes", "100", str(GOSEC)])
    assert result.exit_code == 0
    assert "failed: file is 3912 bytes, above the 100-byte input limit" in result.output


def test_a_size_limit_below_one_byte_is_a_usage_error() -> None:
    result = run_cli(["aggregate", "--max-input-bytes", "0", str(GOSEC)])
    assert result.exit_code == 2
    assert "--max-input-bytes" in result.output


def _markdown_text(text: str) -> str:
    """Text as summary.md shows it, with Markdown's escapes and entities undone."""
    for escaped, plain in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("\u200b", "")):
        text = text.replace(escaped, plain)
    return "".join(c for i, c in enumerate(text) if c != "\\" or text[i + 1 : i + 2] == "\\")


def test_a_failed_reason_reaches_the_outputs_on_one_line_and_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third-party parser may break the one-line promise; reading holds it for them."""
    from hardening import discover
    from hardening.errors import ParseError
    from hardening.parsers.interface import Artifact, Detection, Parser, ParseResult

    class Careless(Parser):
        name = "careless"
        tool = "careless"
        format = "json"

        @classmethod
        def detect(cls, head: bytes, path: object) -> Detection | None:
            return None

        def parse(self, artifact: Artifact) -> ParseResult:
            raise ParseError("bad value\nAKIAQ7ZK3M9TRW2XPL5V on the next line")

    monkeypatch.setattr(discover, "forced", lambda tool, path: discover.Choice(Careless))
    artifact = tmp_path / "report.json"
    artifact.write_text("{}")
    outcome = read_artifact(artifact, "report.json", PathNormalizer(), forced_tool="careless")
    assert outcome.runs[0].error == "bad value [REDACTED] on the next line"

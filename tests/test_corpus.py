"""Every report in the real corpus reads as MANIFEST.tsv says: its status and finding count."""

from __future__ import annotations

import orjson
import pytest

from hardening import jsonread
from hardening.model import RunStatus
from hardening.paths import PathNormalizer
from hardening.reading import read_artifact
from hardening.report_io import finding_dict
from support import CorpusEntry, corpus_or_skip, manifest

ENTRIES = manifest()


@pytest.mark.parametrize(
    "entry",
    ENTRIES or [pytest.param(None, id="corpus-missing")],
    ids=[e.id for e in ENTRIES] or None,
)
def test_corpus_file_reads_as_manifest_says(entry: CorpusEntry | None) -> None:
    path = corpus_or_skip()
    assert entry is not None
    path = path / entry.file
    outcome = read_artifact(path, entry.file, PathNormalizer())
    if entry.status == "skipped":
        assert outcome.skipped is not None, f"expected skipped, got runs {outcome.runs}"
        assert outcome.skipped.reason
        return
    assert outcome.skipped is None, f"skipped: {outcome.skipped}"
    statuses = {run.status for run in outcome.runs}
    if entry.status == "failed":
        assert RunStatus.failed in statuses
        assert all(run.error for run in outcome.runs if run.status is RunStatus.failed)
    else:
        assert statuses == {RunStatus.ok}, [(r.status, r.error) for r in outcome.runs]
    assert len(outcome.findings) == entry.findings
    tools = {run.tool for run in outcome.runs}
    expected_tool = entry.tool if entry.tool != "sarif-other" else None
    if expected_tool:
        assert tools == {expected_tool}
    for finding in outcome.findings:
        assert finding.fingerprint
        assert finding.tool in tools


def test_corpus_is_found_or_skipped_cleanly() -> None:
    corpus_or_skip()
    assert ENTRIES, "MANIFEST.tsv lists no files"


@pytest.mark.parametrize(
    "entry",
    ENTRIES or [pytest.param(None, id="corpus-missing")],
    ids=[e.id for e in ENTRIES] or None,
)
def test_corpus_file_reads_alike_streamed_and_whole(
    entry: CorpusEntry | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every report a parser can stream (SARIF, semgrep, trivy, ZAP JSON, findings.json) is
    read three ways: whole, streamed with msgspec's batches, and streamed by json's scanner
    alone; findings.json's findings come out byte for byte the same."""
    path = corpus_or_skip()
    assert entry is not None
    path = path / entry.file
    read: dict[str, tuple[bytes, list[dict[str, object]]]] = {}
    ways = {
        "whole": (1 << 62, jsonread._BATCH_CHARS),
        "batches": (1, jsonread._BATCH_CHARS),
        "json": (1, 0),
    }
    for way, (threshold, batch_chars) in ways.items():
        with monkeypatch.context() as patch:
            patch.setattr(jsonread, "STREAM_MIN_BYTES", threshold)
            patch.setattr(jsonread, "_BATCH_CHARS", batch_chars)
            outcome = read_artifact(path, entry.file, PathNormalizer())
        findings = orjson.dumps([finding_dict(f) for f in outcome.findings])
        read[way] = findings, [run.model_dump() for run in outcome.runs]
    assert read["batches"] == read["whole"]
    assert read["json"] == read["whole"]


def test_corpus_reports_are_read_in_batches_when_streamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The test above compares msgspec's batches with json's scanner only if the corpus's
    reports are in fact read in batches when streamed."""
    corpus = corpus_or_skip()
    decode = jsonread._decode_batch
    batched: set[str] = set()
    for entry in ENTRIES:
        current = entry.file

        def counting(text: str, current: str = current) -> list[object]:
            items = decode(text)
            batched.add(current)
            return items

        with monkeypatch.context() as patch:
            patch.setattr(jsonread, "STREAM_MIN_BYTES", 1)
            patch.setattr(jsonread, "_decode_batch", counting)
            read_artifact(corpus / entry.file, entry.file, PathNormalizer())
    kinds = {(entry.tool, entry.format) for entry in ENTRIES if entry.file in batched}
    for kind in [("semgrep", "native-json"), ("trivy", "native-json"), ("semgrep", "sarif")]:
        assert kind in kinds, sorted(kinds)
    assert any(tool == "zap" for tool, _format in kinds), sorted(kinds)

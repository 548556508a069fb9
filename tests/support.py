"""Shared test helpers: the real corpus, read through HARDENING_CORPUS, and the samples."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardening.model import CodeLocation, Finding, Kind, Severity

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


#: The one line a run without the corpus shows (a skip here, a failure under .ci/run).
CORPUS_HELP = (
    "real-report corpus not found: the corpus tests read the scanners' own reports from "
    "../shared/corpus beside this clone; set HARDENING_CORPUS to that folder to run them"
)


def corpus_dir() -> Path | None:
    """The corpus folder, or None when absent (never an error at collection time)."""
    configured = os.environ.get("HARDENING_CORPUS")
    path = Path(configured) if configured else REPO.parent / "shared" / "corpus"
    return path if path.is_dir() else None


def corpus_required() -> bool:
    """Under .ci/run (HARDENING_CORPUS set) a missing corpus is a failure, not a skip."""
    return bool(os.environ.get("HARDENING_CORPUS"))


def corpus_or_skip() -> Path:
    root = corpus_dir()
    if root is None:
        if corpus_required():
            pytest.fail(
                f"{CORPUS_HELP} (HARDENING_CORPUS={os.environ['HARDENING_CORPUS']})", pytrace=False
            )
        pytest.skip(CORPUS_HELP)
    return root


@dataclass(frozen=True)
class CorpusEntry:
    file: str
    tool: str
    format: str
    status: str
    findings: int | None

    @property
    def id(self) -> str:
        return self.file


def manifest() -> list[CorpusEntry]:
    root = corpus_dir()
    if root is None:
        return []
    entries = []
    with (root / "MANIFEST.tsv").open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            count = row["findings"].strip()
            entries.append(
                CorpusEntry(
                    file=row["file"],
                    tool=row["tool"],
                    format=row["format"],
                    status=row["status"],
                    findings=int(count) if count else None,
                )
            )
    return entries


def numbered_finding(n: int, **changes: object) -> Finding:
    """A gosec code finding numbered ``n`` (distinct rule, path, line and fingerprint)."""
    fields: dict[str, object] = {
        "tool": "gosec",
        "kind": Kind.code,
        "rule_id": f"G10{n % 10}",
        "title": f"Finding {n}",
        "severity": Severity.high,
        "message": f"message {n}",
        "location": CodeLocation(path=f"internal/pkg/file{n}.go", start_line=n + 1),
        "artifact": "gosec.json",
        "artifacts": ["gosec.json"],
        "fingerprint": f"{n:032x}",
    }
    fields.update(changes)
    return Finding(**fields)  # type: ignore[arg-type]  # test-only keyword bag


def semgrep_finding(fingerprint: str, **fields: object) -> Finding:
    """A semgrep code finding with this fingerprint; ``fields`` override or add fields."""
    defaults: dict[str, object] = {
        "tool": "semgrep",
        "kind": Kind.code,
        "rule_id": "rule",
        "title": "A title",
        "severity": Severity.medium,
        "fingerprint": fingerprint,
    }
    return Finding(**{**defaults, **fields})  # type: ignore[arg-type]  # test-only keyword bag

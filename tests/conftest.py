"""Fixtures shared by all tests; helpers live in support.py (tests/ is on sys.path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import CORPUS_HELP, corpus_dir, corpus_or_skip


@pytest.fixture
def corpus() -> Path:
    return corpus_or_skip()


def pytest_report_header() -> list[str]:
    return [] if corpus_dir() is not None else [CORPUS_HELP]

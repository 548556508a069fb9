"""Fixtures shared by all tests; helpers live in support.py (tests/ is on sys.path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import corpus_dir


@pytest.fixture
def corpus() -> Path:
    root = corpus_dir()
    if root is None:
        pytest.skip("corpus not found (set HARDENING_CORPUS)")
    return root

"""The progress bar advances by bytes read and never echoes control characters."""

from __future__ import annotations

import io
from pathlib import Path

from hardening.progress import ProgressBar


def test_bar_advances_by_size_and_cleans_names(tmp_path: Path) -> None:
    small, big = tmp_path / "a.json", tmp_path / "b.json"
    small.write_bytes(b"x" * 100)
    big.write_bytes(b"x" * 300)
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.begin([small, big])
    bar.update("a\x1b]8;;evil\x07.json", 0, 2)
    bar.update("b.json", 1, 2)
    bar.close()
    out = stream.getvalue()
    assert "1/2" in out and "2/2 b.json" in out
    assert "[######" in out  # a quarter done when the second starts
    assert "\x07" not in out and "\x1b]" not in out

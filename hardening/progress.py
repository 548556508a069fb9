"""A progress bar on stderr while artifacts are read (only on a terminal).

The bar advances by the bytes of the artifacts read so far; a ticking clock shows that a huge
artifact is still being read.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Protocol, TextIO

from hardening.render.text import terminal

_WIDTH = 24


class Progress(Protocol):
    """What the pipeline tells a progress display."""

    def begin(self, paths: list[Path]) -> None: ...

    def update(self, name: str, index: int, total: int) -> None: ...

    def close(self) -> None: ...


class ProgressBar:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.sizes: list[int] = []
        self.total = 1
        self.done = 0
        self.index = -1
        self.name = ""
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def begin(self, paths: list[Path]) -> None:
        self.sizes = [_size(path) for path in paths]
        self.total = sum(self.sizes) or 1

    def update(self, name: str, index: int, total: int) -> None:
        """Called before artifact ``index`` (of ``total``) is read."""
        with self._lock:
            if self.index >= 0:
                self.done += self.sizes[self.index]
            self.index, self.name = index, name
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            filled = int(_WIDTH * self.done / self.total)
            size = self.sizes[self.index] if 0 <= self.index < len(self.sizes) else 0
            count = len(self.sizes)
            name = terminal(self.name)  # a file name may hold escape sequences
            label = name if len(name) <= 50 else "…" + name[-49:]
            elapsed = time.monotonic() - self.started
            line = (
                f"\r\x1b[2K[{'#' * filled}{'.' * (_WIDTH - filled)}] {self.index + 1}/{count} "
                f"{label} ({size / 1e6:.1f} MB) {elapsed:.0f}s"
            )
        self.stream.write(line)
        self.stream.flush()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0

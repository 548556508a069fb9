"""A progress bar on stderr while a run goes on (on a terminal), or one line per slow stage.

While artifacts are read the bar advances by bytes: those of the artifacts already read, plus
how far the streaming JSON reader has got into the current one (``reached``, which the pipeline
hands the parser as its artifact's ``on_read``), so a report of several hundred megabytes
moves the bar as it is read.  After reading, the line names each later stage (merge
and diff, each output written) with a ticking clock.
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
    """What the pipeline and the CLI tell a progress display; the caller closes it."""

    def begin(self, paths: list[Path]) -> None: ...

    def update(self, name: str, index: int, total: int) -> None: ...

    def reached(self, position: int) -> None: ...

    def stage(self, label: str) -> None: ...

    def close(self) -> None: ...


class ProgressBar:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.sizes: list[int] = []
        self.total = 1
        self.done = 0
        self.index = -1
        self.name = ""
        #: How far into the current artifact its reader has got, in bytes (set by the
        #: reader's thread, read by the clock thread: one int, no lock).
        self.position = 0
        self.label: str | None = None
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
            self.position = 0
        self._start()
        self._draw()

    def reached(self, position: int) -> None:
        """The current artifact's reader has read ``position`` bytes of it."""
        # A reader that reads a file twice (a second pass) does not move the bar back.
        if position > self.position:
            self.position = position

    def stage(self, label: str) -> None:
        """Reading is over: ``label`` says what the run does now."""
        with self._lock:
            self.label = label
        self._start()
        self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            elapsed = time.monotonic() - self.started
            if self.label is not None:
                line = f"\r\x1b[2K{terminal(self.label)} {elapsed:.0f}s"
            else:
                line = self._reading_line(elapsed)
        self.stream.write(line)
        self.stream.flush()

    def _reading_line(self, elapsed: float) -> str:
        size = self.sizes[self.index] if 0 <= self.index < len(self.sizes) else 0
        read = min(self.position, size)
        filled = int(_WIDTH * min(self.done + read, self.total) / self.total)
        name = terminal(self.name)  # a file name may hold escape sequences
        label = name if len(name) <= 50 else "…" + name[-49:]
        amount = f"{read / 1e6:.1f}/{size / 1e6:.1f} MB" if read else f"{size / 1e6:.1f} MB"
        return (
            f"\r\x1b[2K[{'#' * filled}{'.' * (_WIDTH - filled)}] {self.index + 1}/"
            f"{len(self.sizes)} {label} ({amount}) {elapsed:.0f}s"
        )


class StageLog:
    """Progress for a log that is not a terminal (a CI job's): one line on stderr when a stage
    that took over ``slow`` seconds ends (reading one artifact, merging, writing one output),
    so a long run does not leave the job log silent for a minute."""

    def __init__(self, stream: TextIO | None = None, slow: float = 2.0) -> None:
        self.stream = stream or sys.stderr
        self.slow = slow
        self.sizes: list[int] = []
        self.current: str | None = None
        self.started = time.monotonic()

    def begin(self, paths: list[Path]) -> None:
        self.sizes = [_size(path) for path in paths]

    def update(self, name: str, index: int, total: int) -> None:
        size = self.sizes[index] if 0 <= index < len(self.sizes) else 0
        self._next(f"read {terminal(name)} ({size / 1e6:.1f} MB)")

    def reached(self, position: int) -> None:
        """Nothing: a line is written when a stage ends, not while an artifact is read."""

    def stage(self, label: str) -> None:
        label = terminal(label)
        self._next("wrote " + label[len("writing ") :] if label.startswith("writing ") else label)

    def close(self) -> None:
        self._next(None)

    def _next(self, what: str | None) -> None:
        now = time.monotonic()
        if self.current is not None and now - self.started > self.slow:
            self.stream.write(f"hardening: {self.current} in {now - self.started:.1f}s\n")
            self.stream.flush()
        self.current, self.started = what, now


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0

"""What every output is: a file name in the output folder and how to write a report into it.

A renderer reads the finished ``Report`` (the model) and never re-derives what the core
computed; it knows nothing of reading, the pipeline or publishing.  ``registry`` names the
outputs ``aggregate --out`` writes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # the registry imports this module for --help: no model import at start
    from hardening.model import Report


@dataclass(frozen=True)
class RenderSettings:
    """What the user may tune of the outputs (summary.md's size budget)."""

    max_chars: int = 60_000


class Renderer(ABC):
    """One output: ``file_name`` in the output folder, written by ``write``."""

    file_name: ClassVar[str]

    @abstractmethod
    def write(self, report: Report, path: Path, settings: RenderSettings) -> None:
        """Write ``report`` to ``path`` (atomically: a failed write leaves the old file)."""

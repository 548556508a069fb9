"""What every parser is: a format's knowledge, bytes in, findings and run metadata out.

A parser does no printing, rendering or path normalization and keeps no global state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import ClassVar

from hardening.model import Finding, ToolRun

#: How many bytes of a file ``detect`` is shown.
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Detection:
    """A parser's claim on a file: higher ``score`` wins (1-100).

    ``skip_reason`` claims a file only to skip it (a sibling format the product does not read,
    such as a JUnit export or a VCR cassette), so it is accounted for with a precise reason.
    """

    score: int
    skip_reason: str | None = None


@dataclass
class Artifact:
    """One input file as handed to a parser."""

    path: Path
    name: str  # as the user named it (used in output; never resolved against the cwd)
    max_bytes: int = 2 * 1024**3
    #: ``--source-root``, the scanned tree, for a report that names files in it whose
    #: content it leaves out (govulncheck's SARIF points at go.mod for module versions).
    source_root: Path | None = None

    def read_bytes(self) -> bytes:
        from hardening.errors import ParseError

        size = self.path.stat().st_size
        if size > self.max_bytes:
            raise ParseError(f"file is {size} bytes, above the {self.max_bytes}-byte input limit")
        return self.path.read_bytes()

    def size(self) -> int:
        return self.path.stat().st_size


@dataclass
class ParseResult:
    """What one artifact held: usually one run, several for multi-run SARIF or findings.json."""

    runs: list[ToolRun] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Set by hardening's own findings.json: findings already fingerprinted upstream.
    fingerprinted: bool = False


class Parser(ABC):
    """Base of every format parser."""

    #: Entry-point style name, e.g. "gosec-json".
    name: ClassVar[str]
    #: Logical tool name ("gosec"); empty when the content decides (SARIF, findings.json).
    tool: ClassVar[str]
    #: Format label shown in the summary ("json", "sarif", "csv", "junit-xml", ...).
    format: ClassVar[str]
    #: The tool's home page, given to its runs that name none (optional; any parser of the
    #: tool may set it, and reports of that tool in other formats, such as SARIF, share it).
    information_uri: ClassVar[str | None] = None

    @classmethod
    @abstractmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        """Claim the file from its first ``HEAD_BYTES`` bytes and its path, or return None."""

    @abstractmethod
    def parse(self, artifact: Artifact) -> ParseResult:
        """Read the artifact; raise ``hardening.errors.ParseError`` with a one-line reason."""

"""What every parser is: a format's knowledge, bytes in, findings and run metadata out.

A parser does no printing, rendering or path normalization and keeps no global state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from hardening.errors import ParseError
from hardening.jsonread import OnRead
from hardening.model import Finding, Severity, ToolRun

if TYPE_CHECKING:
    from hardening.parsers.sarif import SarifDialect

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
    #: Told how many bytes of the file have been read so far, by a parser that reads it a
    #: chunk at a time (``read_json`` does): set by the pipeline for its progress display.
    #: A parser may ignore it.
    on_read: OnRead | None = field(default=None, repr=False, compare=False)

    def read_bytes(self) -> bytes:
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
    #: The tool's severity table: its own severity word, upper-cased -> normalized, read with
    #: ``hardening.severity.lookup`` (optional; a tool with no words leaves it empty).
    severities: ClassVar[Mapping[str, Severity]] = {}

    @classmethod
    @abstractmethod
    def detect(cls, head: bytes, path: PurePath) -> Detection | None:
        """Claim the file from its first ``HEAD_BYTES`` bytes and its path, or return None."""

    @classmethod
    def sarif_dialect(cls) -> SarifDialect | None:
        """How the tool's SARIF reads beyond generic SARIF, when the tool also writes SARIF
        (optional): the SARIF parser applies it to the runs it claims."""
        return None

    @abstractmethod
    def parse(self, artifact: Artifact) -> ParseResult:
        """Read the artifact; raise ``hardening.errors.ParseError`` with a one-line reason."""


class SkippedEntries:
    """The entries of a report a parser could not read: one malformed entry (a result without
    its rule, a vulnerability without its id) is skipped, named in its run's warnings, and
    the rest of the report is read.

    A parser wraps each entry's conversion in ``try`` / ``except ParseError`` and hands the
    entry's place and the error to ``add``: a good entry costs nothing more than the ``try``.
    ``report`` then puts the first ``NAMED`` on the run's warnings and counts the rest.  The
    places and reasons come from the parser: the index and the missing or mistyped key, never
    a value from the report.  Only a document that cannot be read at all fails; so does one
    of which every entry was skipped (``check``), which would otherwise read as clean.
    """

    #: Skipped entries named one by one; the rest are counted.
    NAMED = 20

    def __init__(self) -> None:
        self.count = 0
        self._named: list[str] = []

    def __len__(self) -> int:
        return self.count

    def add(self, where: str, error: ParseError | str) -> None:
        """Skip the entry at ``where`` (``results[3]``), which could not be read: ``error``."""
        self.count += 1
        if len(self._named) < self.NAMED:
            self._named.append(_entry_reason(where, str(error)))

    def warnings(self) -> list[str]:
        """One warning per entry named ("skipped results[3]: check_id is missing or not a
        string"), then how many more were skipped."""
        named = [f"skipped {reason}" for reason in self._named]
        more = self.count - len(named)
        return [*named, *([f"and {more} more entries skipped"] if more else [])]

    def check(self, read: int) -> None:
        """Raise ``ParseError`` when entries were skipped and none of the others (``read``)
        could be read: the document as a whole cannot be read."""
        SkippedEntries.check_all([self], read)

    @staticmethod
    def check_all(collectors: Iterable[SkippedEntries], read: int) -> None:
        """``check`` over the collectors of one document's runs (a SARIF log's)."""
        skipped = [collector for collector in collectors if collector.count]
        if read or not skipped:
            return
        count = sum(collector.count for collector in skipped)
        more = f" (and {count - 1} more)" if count > 1 else ""
        raise ParseError(f"no entry could be read: {skipped[0]._named[0]}{more}")

    def report(self, run: ToolRun, read: int) -> None:
        """``check``, then the warnings onto ``run``."""
        self.check(read)
        run.warnings.extend(self.warnings())


def _entry_reason(where: str, reason: str) -> str:
    """ "results[3]: check_id is missing": the place once, though reasons often start with it
    ("results[3].locations is str, expected a list")."""
    if reason.startswith(where) and reason != where:
        rest = reason[len(where) :]
        if rest[0] == ".":
            reason = rest[1:]
        elif rest.startswith(": "):
            reason = rest[2:]
        elif rest[0] == " ":
            reason = "the entry" + rest
    return f"{where}: {reason}"

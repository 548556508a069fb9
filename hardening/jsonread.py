"""The streaming JSON reader: one JSON document read whole, or from a size on in chunks.

Core, below the parsers: hardening reads its own ``findings.json`` (``report_io``, ``diff``)
with it, and the parsers read their tools' JSON reports with it (``parsers/_io`` re-exports
it for parsers written against that module).  It knows nothing of any format, nor of the
terminal: a reader that wants to show how far it got passes ``on_read``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, Protocol, TypeVar

import msgspec

from hardening.errors import ParseError, json_place

# A \uD800-\uDFFF escape that is not half of a surrogate pair decodes to a lone surrogate,
# which no UTF-8 output can hold: such escapes become U+FFFD before parsing.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD]")


def drop_lone_surrogates(text: str) -> str:
    if not _SURROGATE_ESCAPE.search(text):  # one quick pass: most reports have none
        return text
    return _LONE_SURROGATE.sub(r"\\ufffd", text)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is tolerated; UTF-16 with a BOM too), else a ParseError."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError(f"not valid UTF-16 text: {exc.reason} at byte {exc.start}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: invalid byte at offset {exc.start}") from None


def loads(data: bytes) -> Any:
    """Parse a whole JSON document with one-line errors for the usual breakages."""
    text = decode(data)
    if not text.strip():
        raise ParseError("empty file")
    text = drop_lone_surrogates(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip()) - 1
        raise ParseError(_json_reason(exc.msg, exc.lineno, exc.colno, at_end)) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply to read") from None


def _json_reason(msg: str, line: int, column: int, at_end: bool) -> str:
    kind = "truncated or invalid" if at_end or "Unterminated" in msg else "invalid"
    return f"{kind} JSON: {json_place(msg, line, column)}"


#: Files at least this large are read as a stream (see ``read_json``); smaller ones whole.
STREAM_MIN_BYTES = 8 * 2**20
_CHUNK_BYTES = 2**20
#: Text left unscanned below which ``values`` reads the next chunk before taking an item.
_READ_AHEAD = 2**16
_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: An escape of a surrogate pair is 12 characters: text is cut where none can straddle the cut.
_ESCAPE_REACH = 12
#: How close to the end of the text read so far a scanner error may stem from the cut.
_CUT_REACH = 16
#: A number's end within this many characters of the text's end may not be its real end.
_NUMBER_REACH = 2

R = TypeVar("R")


#: Told how many bytes of the file a reader has read so far (a progress display's hook).
OnRead = Callable[[int], None]


class Source(Protocol):
    """What ``read_json`` reads: a parser's ``Artifact`` (``parsers.interface``)."""

    @property
    def path(self) -> Path: ...

    @property
    def max_bytes(self) -> int: ...

    @property
    def on_read(self) -> OnRead | None: ...

    def size(self) -> int: ...

    def read_bytes(self) -> bytes: ...


class JsonSyntaxError(ParseError):
    """The file is not one JSON document (what ``loads`` reports before reading anything)."""


class NotStreamable(Exception):
    """The document is valid JSON that a streaming reader does not follow (a repeated key, an
    unexpected shape): it is read whole instead, so both readers agree on every input."""


class JsonStream:
    """One JSON document read from a file in chunks, for reports too big to hold whole.

    The reader walks the containers it chooses (``members`` of an object, ``items`` of an
    array) and takes every other value whole with ``value``: json's own C scanner decodes it,
    so values are exactly what ``loads`` gives (lone surrogates too, which are replaced chunk
    by chunk), and errors carry ``loads``'s one-line reasons with document lines and columns.
    Memory stays at a chunk plus the largest single value taken.  ``on_read`` is told the
    file position after each chunk read (a second pass over the file tells it again from
    the start).
    """

    def __init__(
        self, path: Path, chunk_bytes: int = _CHUNK_BYTES, on_read: OnRead | None = None
    ) -> None:
        self.path = path
        self._on_read = on_read
        self._file: IO[bytes] = path.open("rb")
        self._chunk_bytes = chunk_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        decoder: Any = json.JSONDecoder()
        # json's C scanner, as ``json.loads`` uses it: same values, same errors.
        self._scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once
        self._text = ""  # the text not yet consumed, from ``_pos``
        self._pos = 0
        self._held = ""  # decoded text held back until no escape can straddle the cut
        self._tail = ""  # the last characters passed on, for the same check
        self._eof = False
        self._bytes_in = 0  # bytes given to the decoder
        self._started = False
        self._offset = 0  # where ``_text`` starts in the document (for error positions)

    def __enter__(self) -> JsonStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def reopen(self) -> JsonStream:
        """A second, independent reader of the same file, from its start."""
        return JsonStream(self.path, self._chunk_bytes, self._on_read)

    # --- walking ----------------------------------------------------------------------------

    def peek(self) -> str:
        """The next character that is not whitespace, not consumed ("" at the end)."""
        while True:
            text, pos = self._text, self._pos
            if pos < len(text) and text[pos] not in " \t\n\r":
                return text[pos]
            self._pos = pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos < len(text):
                return text[pos]
            if not self._fill():
                return ""

    def start(self) -> str:
        """The first character of the document: "empty file" when there is none."""
        first = self.peek()
        if not first:
            raise JsonSyntaxError("empty file")
        return first

    def value(self) -> Any:
        """The next value, whole."""
        self.peek()
        while True:
            try:
                value, end = self._scan(self._text, self._pos)
            except StopIteration as stop:  # no value where one must start (nested too)
                if self._cut_short(stop.value, ""):
                    continue
                raise self._error("Expecting value", stop.value) from None
            except json.JSONDecodeError as exc:
                if self._cut_short(exc.pos, exc.msg):
                    continue
                raise self._error(exc.msg, exc.pos) from None
            except RecursionError:
                raise JsonSyntaxError("JSON nested too deeply to read") from None
            if end + _NUMBER_REACH >= len(self._text) and self._fill():
                continue  # a number may go on in the next chunk ("1" then ".5", "1e" then "5")
            self._pos = end
            return value

    def members(self) -> Iterator[str]:
        """Walk the object that comes next: each key is yielded once its value is next; the
        caller takes that value (``value``, ``members``, ``items`` or ``skip``)."""
        self._open("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self._error("Expecting property name enclosed in double quotes", self._pos)
            key = self.value()
            if self.peek() != ":":
                raise self._error("Expecting ':' delimiter", self._pos)
            self._pos += 1
            yield key
            if self._close("}"):
                return

    def items(self) -> Iterator[int]:
        """Walk the array that comes next: yields each index; the caller takes the item."""
        self._open("[")
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            yield index
            if self._close("]"):
                return
            index += 1

    def values(self) -> Iterator[Any]:
        """The items of the array that comes next, each whole: ``items`` and ``value`` in one,
        for the long arrays of big reports.

        Runs of object items are decoded by msgspec in batches (see ``_Batches``); every
        other item is scanned by json's own scanner, right away when it lies inside the text
        read so far, else the careful way of ``value`` and ``_close``."""
        self._open("[")
        if self.peek() == "]":
            self._pos += 1
            return
        scan = self._scan
        batches = _Batches()
        while True:
            text, pos = self._text, self._pos
            if len(text) - pos < _READ_AHEAD and not self._eof:
                # Read on before the text runs short: an item cut by the chunk's end costs
                # two scanner errors, each counting the lines of the whole chunk.
                self._fill()
                text, pos = self._text, self._pos
            value: Any = None
            batch = batches.take(text, pos)
            if batch is not None:
                self._pos = batch.end
                yield from batch.items
            else:
                try:
                    value, end = scan(text, pos)
                except (StopIteration, ValueError, RecursionError):
                    end = -1  # whitespace first, a value cut by the chunk's end, or an error
                if 0 <= end < len(text) - _NUMBER_REACH:
                    self._pos = end
                else:
                    value = self.value()
                yield value
            text, pos = self._text, self._pos
            if pos < len(text) and text[pos] == ",":
                comma = pos
                pos += 1
                if pos < len(text) and text[pos] in " \t\n\r":
                    pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
                self._pos = pos
                if batch is None:
                    batches.learn(text, comma, pos)
            elif self._close("]"):
                return

    def skip(self, depth: int = 2) -> None:
        """Pass over the next value, holding at most its parts ``depth`` levels down."""
        first = self.peek()
        if depth > 0 and first == "{":
            for _key in self.members():
                self.skip(depth - 1)
        elif depth > 0 and first == "[":
            for _index in self.items():
                self.skip(depth - 1)
        else:
            self.value()

    def finish(self) -> None:
        """The document must end here."""
        if self.peek():
            raise self._error("Extra data", self._pos)

    def _open(self, bracket: str) -> None:
        if self.peek() != bracket:
            raise NotStreamable(f"expected {bracket!r}")
        self._pos += 1

    def _close(self, bracket: str) -> bool:
        """After an item: True at the closing bracket, False after a comma."""
        found = self.peek()
        self._pos += 1
        if found == bracket:
            return True
        if found != ",":
            raise self._error("Expecting ',' delimiter", self._pos - 1)
        return False

    # --- reading ------------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Append the next chunk of text; False at the end."""
        while not self._eof:
            if self._read_chunk():
                return True
        return False

    def _read_chunk(self) -> bool:
        """Read on (at least as much as is pending, so a value spanning many chunks is scanned
        a logarithmic number of times); whether any text was appended."""
        pending = len(self._text) - self._pos + len(self._held)
        data = self._file.read(max(self._chunk_bytes, pending, len(codecs.BOM_UTF8)))
        if self._on_read is not None:
            self._on_read(self._file.tell())
        at_end = not data
        if not self._started:
            self._started = True
            if data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
        held_bytes = len(self._decoder.getstate()[0])
        try:
            decoded = self._decoder.decode(data, final=at_end)
        except UnicodeDecodeError as exc:
            offset = self._bytes_in - held_bytes + exc.start
            raise JsonSyntaxError(f"not UTF-8 text: invalid byte at offset {offset}") from None
        self._bytes_in += len(data)
        # Lone surrogates are replaced by the same regex as ``loads`` applies to the whole
        # text, piece by piece: no backslash may come within an escape pair's length before
        # a cut, so no escape (nor its lookaround) straddles one.
        window = self._tail + self._held + decoded
        cut = len(window)
        if at_end:
            self._eof = True
        else:
            while (escape := window.rfind("\\", max(cut - _ESCAPE_REACH, 0), cut)) >= 0:
                cut = escape
        start = len(self._tail)
        if cut <= start:
            self._held = window[start:]
            return False
        self._held = window[cut:]
        self._tail = window[max(cut - _ESCAPE_REACH, 0) : cut]
        self._consume()
        self._text += drop_lone_surrogates(window[start:cut])
        return True

    def _consume(self) -> None:
        """Drop the consumed text."""
        self._offset += self._pos
        self._text = self._text[self._pos :]
        self._pos = 0

    def _cut_short(self, pos: int, msg: str) -> bool:
        """Whether a scanner error at ``pos`` may come from the end of the text read so far,
        and more text could be read: then the caller scans again."""
        if self._eof:
            return False
        near_end = pos + _CUT_REACH >= len(self._text) or msg.startswith("Unterminated string")
        return near_end and self._fill()

    def _error(self, msg: str, pos: int) -> JsonSyntaxError:
        """``loads``'s reason for a syntax error at ``pos`` of the text read so far."""
        at = self._offset + pos
        # ``loads`` tells a truncated document by the error's place against its end, and it
        # decodes the whole file first: read on to the end (a bad byte there wins).
        end = self._offset + len(self._text.rstrip())
        read = self._offset + len(self._text)
        while self._fill_rest():
            rest = self._text
            stripped = len(rest.rstrip())
            if stripped:
                end = read + stripped
            read += len(rest)
        line, column = self._line_and_column(at)
        return JsonSyntaxError(_json_reason(msg, line, column, at >= end - 1))

    def _line_and_column(self, at: int) -> tuple[int, int]:
        """Where the document's ``at``-th character is, as json counts (the text is read
        again: only an error needs it)."""
        lines, last_newline = 0, -1
        with self.reopen() as again:
            while again._fill_rest() and again._offset < at:
                before = again._text[: at - again._offset]
                if (newlines := before.count("\n")) > 0:
                    lines += newlines
                    last_newline = again._offset + before.rfind("\n")
        return lines + 1, at - last_newline

    def _fill_rest(self) -> bool:
        """Replace the text by the next chunk (for ``_error``'s look at the end)."""
        self._pos = len(self._text)
        self._consume()
        return self._fill()


class _Batch(NamedTuple):
    items: list[Any]
    end: int  # where the text after the batch's last item starts


class _Batches:
    """Where ``JsonStream.values`` may hand msgspec a run of items at once, and what it gave.

    The text between two object items (the first one's closing brace, the comma and
    whitespace, the next one's brace and first key up to its colon: ``},\n  {"ruleId":``), as
    the first two items of the array show it, marks where a batch may end.  Such a mark can
    also stand inside an item (between two inner objects that begin with the same key) and,
    in a document that is not JSON, anywhere: a batch is taken only when the text from an
    item's start to a mark's brace, in brackets, is one valid JSON array, and it is only where
    the mark really ends an item (anywhere else a bracket or a string is left open).  msgspec
    then gives the values json gives: it agrees with json on every document it accepts (big
    integers, floats to the last bit, a repeated key's last value at its first place, the
    depth at which nesting is too deep), and what it refuses (NaN, a number out of range, a
    mark inside an item, a syntax error) is read item by item by json's scanner, which says
    what json says: the next ``_SLOW_ITEMS`` items after each refusal, and all of the array
    after ``_REFUSALS`` of them.
    """

    __slots__ = ("_mark", "_refusals", "_slow")

    def __init__(self) -> None:
        self._mark: str | None = None  # None until learnt; "" when there is none
        self._slow = 0
        self._refusals = 0

    def learn(self, text: str, comma: int, start: int) -> None:
        """After an item read by json's scanner (its comma at ``comma``, the next item at
        ``start``): the first time, learn the mark from the two items (the first an object:
        its text ends in a brace)."""
        if self._mark is not None:
            return
        self._mark = ""
        if text[comma - 1] != "}" or not text.startswith("{", start):
            return
        key = _WHITESPACE.match(text, start + 1).end()  # type: ignore[union-attr]
        colon = text.find('":', key + 1, start + _MARK_KEY)
        if text.startswith('"', key) and colon >= 0 and "\\" not in text[key:colon]:
            self._mark = text[comma - 1 : colon + 2]

    def take(self, text: str, pos: int) -> _Batch | None:
        """The items from ``pos`` (an item's start) to the last mark within reach, decoded by
        msgspec, or None: read the next item with json's scanner."""
        if not self._mark:
            return None
        if self._slow:
            self._slow -= 1
            return None
        brace = text.rfind(self._mark, pos, pos + _BATCH_CHARS)
        if brace <= pos:
            return None
        try:
            items = _decode_batch("[" + text[pos : brace + 1] + "]")
        except (msgspec.DecodeError, RecursionError):
            self._refusals += 1
            if self._refusals >= _REFUSALS:
                self._mark = ""
            self._slow = _SLOW_ITEMS - 1  # this item is the first of them
            return None
        return _Batch(items, brace + 1)


#: The most text ``values`` hands msgspec at once (a batch's items are held together).
_BATCH_CHARS = 2**14
#: How far into the next item its first key's colon may be for a mark to be learnt.
_MARK_KEY = 64
#: After msgspec refuses a batch, this many items are read by json's scanner; after this many
#: refusals, the rest of the array is.
_SLOW_ITEMS = 64
_REFUSALS = 8
_decode_batch: Callable[[str], list[Any]] = msgspec.json.Decoder(list).decode


def read_json(
    artifact: Source,
    whole: Callable[[Any], R],
    streamed: Callable[[JsonStream], R],
    *,
    stream_from: int | None = None,
    depth: int = 4,
) -> R:
    """Read a JSON report whole with ``whole(document)``, or, from ``stream_from`` bytes on,
    with ``streamed(stream)`` in constant memory.

    Both readers give the same result and the same error for every input: a document the
    streaming reader does not follow is read whole; a reader's own error is raised only once
    the rest of the file has proved to be JSON (``loads`` reports a broken document first),
    walking containers ``depth`` levels down.  The artifact's ``on_read`` follows the
    streaming reader.
    """
    threshold = STREAM_MIN_BYTES if stream_from is None else stream_from
    if artifact.size() < threshold or artifact.size() > artifact.max_bytes:
        return whole(loads(artifact.read_bytes()))
    with artifact.path.open("rb") as head:
        if head.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return whole(loads(artifact.read_bytes()))
    stream = JsonStream(artifact.path, on_read=artifact.on_read)
    try:
        with stream:
            stream.start()
            return streamed(stream)
    except NotStreamable:
        return whole(loads(artifact.read_bytes()))
    except JsonSyntaxError:
        raise
    except ParseError:
        check_json(artifact.path, depth, artifact.on_read)
        raise


def check_json(path: Path, depth: int, on_read: OnRead | None = None) -> None:
    """Raise ``loads``'s ParseError if the file is not one JSON document (in constant memory)."""
    with JsonStream(path, on_read=on_read) as stream:
        stream.start()
        stream.skip(depth)
        stream.finish()

"""Reading helpers shared by the parsers: decoding, JSON with clear one-line errors."""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from hardening.errors import ParseError
from hardening.redact import redact

_JSON_START = re.compile(rb"^\s*[\[{]")
# A \uD800-\uDFFF escape that is not half of a surrogate pair decodes to a lone surrogate,
# which no UTF-8 output can hold: such escapes become U+FFFD before parsing.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def drop_lone_surrogates(text: str) -> str:
    if "\\ud" not in text and "\\uD" not in text:
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


def strip_bom(head: bytes) -> bytes:
    return head[len(codecs.BOM_UTF8) :] if head.startswith(codecs.BOM_UTF8) else head


def loads(data: bytes) -> Any:
    """Parse a whole JSON document with one-line errors for the usual breakages."""
    text = decode(data)
    if not text.strip():
        raise ParseError("empty file")
    text = drop_lone_surrogates(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or "Unterminated" in exc.msg:
            raise ParseError(
                f"truncated or invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        raise ParseError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply to read") from None


def iter_concatenated(text: str) -> Iterator[tuple[int, Any]]:
    """Yield (offset, value) for each JSON value in a stream of concatenated values.

    Stops with a ParseError carrying the offset when non-JSON text is met; callers that
    tolerate trailing text catch it.
    """
    decoder = json.JSONDecoder()
    text = drop_lone_surrogates(text)
    pos = 0
    end = len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return
        try:
            value, next_pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise TrailingTextError(pos, exc.msg) from None
        except RecursionError:
            raise ParseError("JSON nested too deeply to read") from None
        yield pos, value
        pos = next_pos


class TrailingTextError(ParseError):
    """Non-JSON text met at ``offset`` in a stream of JSON values."""

    def __init__(self, offset: int, msg: str) -> None:
        super().__init__(f"non-JSON text at offset {offset}: {msg}")
        self.offset = offset


def shown(value: str, limit: int = 60) -> str:
    """A value from the report quoted in an error message or warning: redacted (it may be a
    secret), on one line, cut to ``limit`` characters."""
    line = " ".join(redact(value).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def looks_like_json(head: bytes) -> bool:
    return bool(_JSON_START.match(strip_bom(head)))


def path_mentions(path: PurePath, *words: str) -> bool:
    """Whether the file name or a parent folder names one of ``words`` (case-insensitive)."""
    lowered = [part.lower() for part in path.parts]
    return any(word in part for part in lowered for word in words)


def as_str(value: Any) -> str | None:
    """A scalar as text (ZAP JSON writes every value as a string, others use numbers)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{what} is {type(value).__name__}, expected an object")
    return value


def expect_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{what} is {type(value).__name__}, expected a list")
    return value

"""Reading helpers shared by the parsers: decoding, JSON with clear one-line errors.

The JSON reader itself (``loads``, ``read_json``, ``JsonStream``...) is core
(``hardening.jsonread``): hardening reads its own findings.json with it.  Its names are
re-exported here, where parsers written before the move import them from.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from hardening.errors import ParseError
from hardening.jsonread import (
    STREAM_MIN_BYTES,
    JsonStream,
    JsonSyntaxError,
    NotStreamable,
    check_json,
    decode,
    drop_lone_surrogates,
    loads,
    read_json,
)
from hardening.redact import redact

__all__ = [
    "STREAM_MIN_BYTES",
    "JsonStream",
    "JsonSyntaxError",
    "NotStreamable",
    "TrailingTextError",
    "as_int",
    "as_seconds",
    "as_str",
    "check_json",
    "decode",
    "drop_lone_surrogates",
    "expect_dict",
    "expect_list",
    "iter_concatenated",
    "loads",
    "looks_like_json",
    "path_mentions",
    "plain_key",
    "read_json",
    "shown",
    "strip_bom",
]

_JSON_START = re.compile(rb"^\s*[\[{]")


def strip_bom(head: bytes) -> bytes:
    return head[len(codecs.BOM_UTF8) :] if head.startswith(codecs.BOM_UTF8) else head


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


def plain_key(*values: Any) -> tuple[Any, ...] | None:
    """``values`` as a dict key, when each is a string, None or a list of strings: JSON values
    equal only to values of their own type, so equal keys mean equal inputs (1, 1.0 and true
    compare equal and read differently).  None when one is anything else."""
    key: list[Any] = []
    for value in values:
        if value is None or type(value) is str:
            key.append(value)
        elif type(value) is list and {*map(type, value)} <= _STRING_TYPE:
            key.append(tuple(value))
        else:
            return None
    return tuple(key)


_STRING_TYPE = {str}


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


def as_seconds(value: Any) -> float | None:
    """A duration in seconds a report states (a number or a numeric string), or None when it
    is absent, negative or not finite."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return float(value)
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

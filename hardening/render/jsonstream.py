"""Writing large JSON documents piece by piece, atomically.

Machine outputs of a million findings are written one item at a time, so the whole document
never exists in memory; the file appears under its name only once it is complete.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

import orjson

from hardening.report_io import atomic_file

_BUFFER = 1 << 20
# One encoder for every item: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text stream (no BOM) to a temporary file renamed over ``path`` on success.

    Unpaired surrogates in untrusted text become ``?`` rather than invalid UTF-8.
    """
    with atomic_file(path, buffering=_BUFFER) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="\n")
        try:
            yield text
        finally:
            text.detach()  # flushed into the binary file, which atomic_file syncs and renames


def dumps(value: Any) -> str:
    """Compact JSON text of one item (non-ASCII kept as is: the file is UTF-8).

    orjson is several times faster; text it refuses (unpaired surrogates from a report) goes
    through the standard encoder, and the file's error handler replaces them."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return _ENCODER.encode(value)


def open_object(value: dict[str, Any], key: str) -> str:
    """The JSON text of ``value`` left open after a last member ``key`` whose array is about
    to be streamed: ``{"a":1,"key":[``."""
    text = dumps(value)
    separator = "," if value else ""
    return f"{text[:-1]}{separator}{dumps(key)}:["


#: Items joined into one write: fewer calls into the text stream.
_ITEMS_PER_WRITE = 100


def write_items(out: TextIO, items: Iterable[Any]) -> int:
    """Write the items of an already opened JSON array, one per line; return how many."""
    count = 0
    pending = iter(items)
    while batch := list(islice(pending, _ITEMS_PER_WRITE)):
        out.write((",\n" if count else "\n") + ",\n".join(map(dumps, batch)))
        count += len(batch)
    if count:
        out.write("\n")
    return count

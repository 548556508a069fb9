"""The streaming JSON reader gives what ``json.loads`` gives, wherever the chunks are cut."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hardening import jsonread
from hardening.jsonread import JsonStream

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(_VALUES, max_size=30),
    chunk=st.integers(1, 64),
    indent=st.sampled_from([None, 1, "\t"]),
    ascii_only=st.booleans(),
    read_ahead=st.sampled_from([0, 16, jsonread._READ_AHEAD]),
)
def test_values_of_an_array_are_what_loads_gives(
    tmp_path_factory: Any,
    items: list[Any],
    chunk: int,
    indent: Any,
    ascii_only: bool,
    read_ahead: int,
) -> None:
    """Also with items cut by the chunk's end (no read-ahead, or little)."""
    path: Path = tmp_path_factory.mktemp("json") / "items.json"
    text = json.dumps(
        {"before": 1, "items": items, "after": [2]}, indent=indent, ensure_ascii=ascii_only
    )
    path.write_text(text, encoding="utf-8")

    default, jsonread._READ_AHEAD = jsonread._READ_AHEAD, read_ahead
    try:
        with JsonStream(path, chunk_bytes=chunk) as stream:
            stream.start()
            read: dict[str, Any] = {}
            for key in stream.members():
                read[key] = list(stream.values()) if key == "items" else stream.value()
            stream.finish()
    finally:
        jsonread._READ_AHEAD = default

    assert read == json.loads(text)

"""The streaming JSON reader gives what ``json.loads`` gives, wherever the chunks are cut."""

from __future__ import annotations

import json
import re
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


# Object items that begin with the same key, as every report's results do, so that
# ``values`` hands msgspec batches; nested objects begin with that key too, and strings hold
# the text between two items, so that a mark also stands where no item ends.
_KEY = "ruleId"
_TRAPS = st.sampled_from(['},{"ruleId":', '},\n  {\n    "ruleId":', "}, {", '"', "\\", "]"])
_ITEM_VALUES = st.recursive(
    _SCALARS | _TRAPS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.builds(
            lambda first, rest: {_KEY: first, **rest},
            inner,
            st.dictionaries(st.text(max_size=6), inner, max_size=3),
        )
    ),
    max_leaves=12,
)
_ITEMS = st.lists(
    st.builds(
        lambda first, rest: {_KEY: first, **rest},
        _ITEM_VALUES,
        st.dictionaries(st.sampled_from(["a", "b", _KEY, "c"]), _ITEM_VALUES, max_size=4),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    items=_ITEMS,
    chunk=st.integers(1, 256),
    indent=st.sampled_from([None, 1, 2, "\t"]),
    ascii_only=st.booleans(),
    batch_chars=st.sampled_from([1, 50, 400, jsonread._BATCH_CHARS]),
    numbers=st.sampled_from(["", "1e400", "-1e400", "123456789012345678901234567890"]),
)
def test_batched_items_are_what_loads_gives(
    tmp_path_factory: Any,
    items: list[dict[str, Any]],
    chunk: int,
    indent: Any,
    ascii_only: bool,
    batch_chars: int,
    numbers: str,
) -> None:
    """msgspec's batches and json's scanner give the same items, where the marks stand in
    strings and nested objects and where msgspec refuses a number json reads."""
    path: Path = tmp_path_factory.mktemp("json") / "items.json"
    text = json.dumps({"items": items}, indent=indent, ensure_ascii=ascii_only)
    if numbers and len(items) > 3:
        text = re.sub(r'"ruleId": 0(?=[,}\s])', f'"ruleId": {numbers}', text, count=1)
    path.write_text(text, encoding="utf-8")

    default, jsonread._BATCH_CHARS = jsonread._BATCH_CHARS, batch_chars
    try:
        with JsonStream(path, chunk_bytes=chunk) as stream:
            stream.start()
            read = {key: list(stream.values()) for key in stream.members()}
            stream.finish()
    finally:
        jsonread._BATCH_CHARS = default

    assert read == json.loads(text)


def _read_items(path: Path, monkeypatch: Any) -> tuple[list[Any], list[int], list[int]]:
    """The items of ``path``'s array, with the sizes of the batches msgspec gave and of
    those it refused."""
    taken: list[int] = []
    refused: list[int] = []
    decode = jsonread._decode_batch

    def counting(text: str) -> list[Any]:
        try:
            items = decode(text)
        except Exception:
            refused.append(len(text))
            raise
        taken.append(len(items))
        return items

    monkeypatch.setattr(jsonread, "_decode_batch", counting)
    with JsonStream(path, chunk_bytes=4096) as stream:
        stream.start()
        items = list(stream.values())
        stream.finish()
    return items, taken, refused


def test_long_runs_of_items_are_decoded_in_batches(tmp_path: Path, monkeypatch: Any) -> None:
    items = [
        {"ruleId": f"r{i}", "message": {"text": '},{"ruleId":' * (i % 3)}} for i in range(3000)
    ]
    for indent in (None, 2):
        path = tmp_path / f"{indent}.json"
        path.write_text(json.dumps(items, indent=indent), encoding="utf-8")
        read, taken, refused = _read_items(path, monkeypatch)
        assert read == items
        assert not refused
        assert sum(taken) > 2900  # all but the first item and each chunk's last few


def test_a_mark_inside_an_item_is_refused_and_read_by_json(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Compact JSON whose items hold objects that begin with the items' first key: the text
    between two such inner objects looks like the text between two items."""
    items = [{"ruleId": i, "related": [{"ruleId": i}, {"ruleId": -i}]} for i in range(2000)]
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(items, separators=(",", ":")), encoding="utf-8")
    read, taken, refused = _read_items(path, monkeypatch)
    assert read == items
    assert refused  # and json read those items
    assert sum(taken) < len(items)


def test_numbers_msgspec_refuses_are_read_by_json(tmp_path: Path, monkeypatch: Any) -> None:
    items = [{"ruleId": i, "score": 1e400 if i == 500 else i / 7} for i in range(1000)]
    path = tmp_path / "inf.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    read, taken, refused = _read_items(path, monkeypatch)
    assert read == items
    assert len(refused) == 1
    assert sum(taken) > 900


def test_items_nested_too_deeply_fail_alike_in_batches_and_by_json(tmp_path: Path) -> None:
    """Python's recursion limit bounds both decoders: the depth where json gives up is the
    depth where a batch does."""
    outcomes: dict[int, list[object]] = {}
    for depth in range(800, 1000):
        item = '{"a":' * depth + "1" + "}" * depth
        path = tmp_path / f"{depth}.json"
        path.write_text("[" + ",".join([item] * 5) + "]", encoding="utf-8")
        for batch_chars in (jsonread._BATCH_CHARS, 0):
            default, jsonread._BATCH_CHARS = jsonread._BATCH_CHARS, batch_chars
            try:
                with JsonStream(path) as stream:
                    stream.start()
                    outcome: object = len(list(stream.values()))
            except jsonread.JsonSyntaxError as error:
                outcome = str(error)
            finally:
                jsonread._BATCH_CHARS = default
            outcomes.setdefault(depth, []).append(outcome)
    assert all(batched == scanned for batched, scanned in outcomes.values()), outcomes
    assert {5, "JSON nested too deeply to read"} == {o for o, _ in outcomes.values()}


def test_an_array_whose_marks_all_stand_inside_items_is_read_by_json(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Only the first two items begin with the key the mark was learnt from: every later mark
    stands between inner objects, msgspec refuses each batch, and after ``_REFUSALS`` the
    array is no longer offered to it."""
    items: list[Any] = [{"k": 1}, {"k": 2}]
    items += [{"x": [{"k": i}, {"k": -i}]} for i in range(3000)]
    path = tmp_path / "inner.json"
    path.write_text(json.dumps(items, separators=(",", ":")), encoding="utf-8")
    read, taken, refused = _read_items(path, monkeypatch)
    assert read == items
    assert len(refused) == jsonread._REFUSALS
    assert not taken

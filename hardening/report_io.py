"""Reading and writing ``findings.json`` (the Report model) atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hardening.errors import HardeningError
from hardening.model import Finding, Report


def write_atomic(path: Path, data: str | bytes | Iterable[bytes]) -> None:
    """Write through a temporary file in the same folder, then rename over the target, so an
    interrupted write leaves the previous file intact.  ``data`` may be a stream of chunks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = [data.encode("utf-8")]
    elif isinstance(data, bytes):
        data = [data]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in data:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_FINDINGS = TypeAdapter(list[Finding])
#: Findings serialized per chunk, so a million never exist as one JSON text.
_CHUNK = 20_000


def report_chunks(report: Report) -> Iterator[bytes]:
    """findings.json as a stream of bytes: the report, then its findings chunk by chunk.

    Findings leave out fields at their defaults (empty lists, nulls), which the schema fills
    back in when the file is read, and their identity inputs, which only parsers need.
    """
    head = report.model_dump_json(exclude={"findings"}).encode()
    yield head[:-1] + b',"findings":['
    findings = report.findings
    for start in range(0, len(findings), _CHUNK):
        chunk = _FINDINGS.dump_json(
            findings[start : start + _CHUNK],
            exclude_defaults=True,
            exclude={"__all__": {"identity"}},
        )
        if start:
            yield b",\n"
        yield chunk[1:-1]
    yield b"]}\n"


def dump_report(report: Report) -> str:
    return b"".join(report_chunks(report)).decode()


def write_report(report: Report, path: Path) -> None:
    write_atomic(path, report_chunks(report))


def load_report(path: Path) -> Report:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HardeningError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise HardeningError(f"{path}: not UTF-8 text") from None
    try:
        return Report.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise HardeningError(
            f"{path}: not a valid findings.json: {where}: {first['msg']}"
        ) from None


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hardening findings.json"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"

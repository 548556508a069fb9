"""Reading and writing ``findings.json`` (the Report model) atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hardening.errors import HardeningError
from hardening.model import Report


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename over the target, so an
    interrupted write leaves the previous file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_report(report: Report) -> str:
    return report.model_dump_json(indent=1, exclude={"findings": {"__all__": {"identity"}}}) + "\n"


def write_report(report: Report, path: Path) -> None:
    write_atomic(path, dump_report(report))


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

"""Reading and writing ``findings.json`` (the Report model) atomically.

Every reader of findings.json goes through here: ``load_report`` (the whole report),
``walk_findings`` (one finding at a time, for ``--compare-to``), ``read_document`` and
``read_streamed`` (the relayed upstream report, ``parsers.findings_json``), and they say why
a file is not one in one wording (``not_valid``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import TypeAdapter, ValidationError

from hardening import jsonread
from hardening.errors import HardeningError, ParseError
from hardening.jsonread import JsonStream, NotStreamable
from hardening.model import CodeLocation, Component, Finding, Report, set_fields
from hardening.redact import error_location, screen_report


def write_atomic(
    path: Path,
    data: str | bytes | Iterable[bytes | memoryview],
    *,
    unless_same: bool = False,
    keep_mode: bool = False,
) -> bool:
    """Write through a temporary file in the same folder, then rename over the target, so an
    interrupted write leaves the previous file intact.  ``data`` may be a stream of chunks.

    With ``unless_same``, a target that already holds exactly these bytes is left untouched
    (compared by digest, so neither text is held whole); returns whether the file was written.
    With ``keep_mode``, the new file takes the permissions of the one it replaces.
    """
    if isinstance(data, str):
        data = [data.encode("utf-8")]
    elif isinstance(data, bytes):
        data = [data]
    digest = hashlib.sha256() if unless_same else None
    try:
        with atomic_file(path, keep_mode=keep_mode) as handle:
            for chunk in data:
                handle.write(chunk)
                if digest is not None:
                    digest.update(chunk)
            if digest is not None and digest.digest() == _file_digest(path):
                raise _Unchanged
    except _Unchanged:
        return False
    return True


class _Unchanged(Exception):
    """The new bytes equal the file's: the temporary file is dropped."""


@contextmanager
def atomic_file(path: Path, buffering: int = -1, *, keep_mode: bool = False) -> Iterator[BinaryIO]:
    """A binary file that appears as ``path`` only once the block ends without an error:
    written beside it, synced, then renamed over it; an error leaves ``path`` as it was.

    The file is created as ``open()`` creates one (0666 less the umask), or with
    ``keep_mode`` with the permissions of the file it replaces."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = None
    if keep_mode:
        with suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = temporary_beside(path)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb", buffering=buffering) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temporary_beside(path: Path) -> tuple[int, Path]:
    """A new, empty ``.NAME.RANDOM.tmp`` beside ``path``, open for writing.

    Not ``tempfile.mkstemp``: that creates 0600 files whatever the umask, and outputs are
    read by other users and jobs (the umask decides, as for any file a tool writes)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def remove_temporaries(path: Path) -> None:
    """Delete what a killed write of ``path`` left beside it (``.NAME.RANDOM.tmp``).  Only
    call it while holding the folder's lock, so no live write is removed."""
    prefix = f".{path.name}."
    with suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                Path(entry.path).unlink(missing_ok=True)


class LockTimeout(Exception):
    """The folder lock was not acquired in time: another process holds it."""


@contextmanager
def folder_lock(folder: Path, timeout: float = 120.0) -> Iterator[None]:
    """An exclusive OS advisory lock (``flock``) on a folder, held for the block.

    The folder rather than a file in it: files are replaced by rename, so a lock on one
    would be on an inode that a concurrent writer no longer sees; and nothing is left
    behind (no ``.lock`` file).  The lock is released when the process ends, however."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(str(folder)) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def sync_folder(folder: Path) -> None:
    """Make the renames into ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EROFS):  # file systems that cannot sync
            raise
    finally:
        os.close(fd)


#: Staging folders of ``staged_outputs``: ``.hardening-staging-RANDOM`` inside the folder.
STAGING_PREFIX = ".hardening-staging-"


@contextmanager
def staging_folder(out: Path) -> Iterator[Path]:
    """A private folder inside ``out`` to write a set of files into before
    ``commit_staged`` moves them into place together; removed afterwards, whatever happens.

    Each staging folder is flock-ed by the run that owns it, so a later run can tell the
    ones a killed run left (their lock is free) from live ones, and removes them."""
    with folder_lock(out):
        _remove_stale_staging(out)
        staging = out / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
        staging.mkdir()
        fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(fd)


def _remove_stale_staging(out: Path) -> None:
    with os.scandir(out) as entries:
        stale = [entry for entry in entries if _stale_staging(entry)]
    for entry in stale:
        shutil.rmtree(entry.path, ignore_errors=True)


def _stale_staging(entry: os.DirEntry[str]) -> bool:
    """A staging folder no live run holds (its run was killed)."""
    if not (entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False)):
        return False
    try:
        fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live run's
    finally:
        os.close(fd)
    return True


def commit_staged(staging: Path, out: Path, names: Iterable[str]) -> None:
    """Move the named files from ``staging`` into ``out`` under the folder's lock, so two
    runs committing into one folder never interleave: the set in ``out`` is one run's."""
    names = list(names)
    with folder_lock(out):
        for name in names:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(target))
        for name in names:
            (staging / name).replace(out / name)
        sync_folder(out)


def _file_digest(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except OSError:
        return None


#: Findings per line of the array, so a million never exist as one JSON text.
_LINE = 20_000
#: Findings encoded per orjson call: few enough that their dicts are still in the processor's
#: cache when orjson reads them and when they are freed (three times faster than a whole line
#: at once on 100k SARIF or trivy findings).  A line is a whole number of batches.
_BATCH = 1_000


def report_chunks(report: Report) -> Iterator[bytes | memoryview]:
    """findings.json as a stream of bytes: the report, then its findings line by line.

    Findings leave out fields at their defaults (empty lists, nulls), which the schema fills
    back in when the file is read, and their identity inputs, which only parsers need.
    """
    head = report.model_dump_json(exclude={"findings"}).encode()
    yield head[:-1] + b',"findings":['
    findings = report.findings
    for start in range(0, len(findings), _LINE):
        if start:
            yield b",\n"
        yield from _line(findings[start : start + _LINE])
    yield b"]}\n"


def _line(findings: list[Finding]) -> Iterator[bytes | memoryview]:
    """One line of the findings array, as comma-separated pieces of ``_BATCH`` findings each,
    built as plain dicts and encoded by orjson (twice as fast as the TypeAdapter), each piece
    yielded as soon as it is encoded (a line held whole was the largest thing a run allocated
    after its findings: 13 MiB for 20,000 ZAP findings).  A batch orjson refuses (text a
    parser kept as unpaired surrogates) goes through the standard encoder, the surrogates
    becoming "?"."""
    for start in range(0, len(findings), _BATCH):
        if start:
            yield b","
        batch = [finding_dict(finding) for finding in findings[start : start + _BATCH]]
        try:
            yield memoryview(orjson.dumps(batch))[1:-1]
        except orjson.JSONEncodeError:
            text = json.dumps(batch, ensure_ascii=False, separators=(",", ":"), default=str)
            yield memoryview(text.encode("utf-8", "replace"))[1:-1]


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as findings.json holds it: fields at their defaults and the identity inputs
    left out.  Spelled out field by field for speed; a test holds it to the TypeAdapter's
    ``dump_python(mode="json", exclude_defaults=True)``.  Enum members are left to the
    encoder (they are ``str`` enums: both encoders write their values), as reading ``.value``
    costs more than the encoding."""
    d: dict[str, Any] = {
        "tool": f.tool,
        "kind": f.kind,
        "rule_id": f.rule_id,
        "title": f.title,
        "severity": f.severity,
    }
    if f.tool_severity is not None:
        d["tool_severity"] = f.tool_severity
    if f.confidence is not None:
        d["confidence"] = f.confidence
    if f.message:
        d["message"] = f.message
    if f.location is not None:
        d["location"] = _location_dict(f.location)
    if f.related_locations:
        d["related_locations"] = [_location_dict(place) for place in f.related_locations]
    if f.component is not None:
        d["component"] = component_dict(f.component)
    if f.endpoint is not None:
        d["endpoint"] = set_fields(f.endpoint)
    if f.identifiers:
        d["identifiers"] = f.identifiers
    if f.references:
        d["references"] = f.references
    if f.reachability is not None:
        d["reachability"] = f.reachability
    if f.suppression is not None:
        d["suppression"] = set_fields(f.suppression)
    if f.target is not None:
        d["target"] = f.target
    if f.artifact:
        d["artifact"] = f.artifact
    if f.commits:
        d["commits"] = f.commits
    if f.artifacts:
        d["artifacts"] = f.artifacts
    if f.occurrences != 1:
        d["occurrences"] = f.occurrences
    if f.count is not None:
        d["count"] = f.count
    if f.fingerprint:
        d["fingerprint"] = f.fingerprint
    if f.previous_fingerprint:
        d["previous_fingerprint"] = f.previous_fingerprint
    if f.state is not None:
        d["state"] = f.state
    if f.drift:
        d["drift"] = True
    if f.not_called:
        d["not_called"] = True
    if f.properties:
        d["properties"] = f.properties
    return d


def component_dict(c: Component) -> dict[str, Any]:
    """``set_fields(c)`` spelled out (twice as fast; a test holds the two equal)."""
    d: dict[str, Any] = {"name": c.name}
    if c.installed_version is not None:
        d["installed_version"] = c.installed_version
    if c.fixed_version is not None:
        d["fixed_version"] = c.fixed_version
    if c.purl is not None:
        d["purl"] = c.purl
    if c.target is not None:
        d["target"] = c.target
    if c.package_path is not None:
        d["package_path"] = c.package_path
    if c.ecosystem is not None:
        d["ecosystem"] = c.ecosystem
    if c.status is not None:
        d["status"] = c.status
    return d


def _location_dict(loc: CodeLocation) -> dict[str, Any]:
    d: dict[str, Any] = {"path": loc.path}
    if loc.start_line is not None:
        d["start_line"] = loc.start_line
    if loc.end_line is not None:
        d["end_line"] = loc.end_line
    if loc.start_column is not None:
        d["start_column"] = loc.start_column
    if loc.end_column is not None:
        d["end_column"] = loc.end_column
    if loc.snippet is not None:
        d["snippet"] = loc.snippet
    return d


def dump_report(report: Report) -> str:
    return b"".join(report_chunks(report)).decode()


def write_report(report: Report, path: Path) -> None:
    write_atomic(path, report_chunks(report))


def load_report(path: Path) -> Report:
    """A findings.json, all of it, every text screened by the redactor (the file may be
    hand-edited or foreign).  From 8 MiB on it is read one finding at a time (never the
    whole text and its parse at once: a 190 MB file took 800 MiB whole); anything invalid is
    read again whole, so the error is pydantic's own first error."""
    report = _load_report(path)
    screen_report(report)
    return report


def _load_report(path: Path) -> Report:
    try:
        if path.stat().st_size >= jsonread.STREAM_MIN_BYTES:
            report = _load_streamed(path)
            if report is not None:
                return report
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HardeningError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise HardeningError(f"{path}: not UTF-8 text") from None
    try:
        return Report.model_validate_json(text)
    except ValidationError as exc:
        raise HardeningError(f"{path}: {not_valid(validation_reason(exc))}") from None


def _load_streamed(path: Path) -> Report | None:
    """The report read as a stream, or None when it has to be read whole."""
    try:
        with JsonStream(path) as stream:
            stream.start()
            return read_streamed(stream, lambda _finding: True)
    except (NotStreamable, ParseError):
        return None


def not_valid(reason: str, what: str = "findings.json") -> str:
    """Why a file is not a findings.json, in the one wording every reader of it uses:
    "not a valid findings.json: findings.3.kind: Field required"."""
    return f"not a valid {what}: {reason}"


def validation_reason(
    error: ValidationError, within: str = "", whole: str | None = "document"
) -> str:
    """pydantic's first error by its place and message (which quotes no value): the place is
    inside ``within`` (``findings.3``), or ``whole`` when the error is about the value
    validated itself (None: the message alone, for a caller that names the place)."""
    first = error.errors()[0]
    where = ".".join(part for part in (within, error_location(first["loc"])) if part) or whole
    return f"{where}: {first['msg']}" if where else first["msg"]


_FINDING = TypeAdapter(Finding)
#: Told of a finding that failed validation: its index in the list, and why.
OnInvalid = Callable[[int, ValidationError], None]


class InvalidFinding(Exception):
    """Finding ``index`` of a streamed findings.json failed validation (``error``)."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(f"invalid finding {index}")
        self.index = index
        self.error = error


def read_document(document: Any, invalid: OnInvalid) -> Report:
    """A findings.json already parsed as JSON: a finding that fails validation is handed to
    ``invalid`` and left out; anything else wrong raises ``ParseError``."""
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        return _validated(document)  # the document's own shape is wrong: it says where
    report = _validated({key: value for key, value in document.items() if key != "findings"})
    for index, item in enumerate(document["findings"]):
        try:
            report.findings.append(_FINDING.validate_python(item))
        except ValidationError as exc:
            invalid(index, exc)
    return report


def _validated(document: Any) -> Report:
    try:
        return Report.model_validate(document)
    except ValidationError as exc:
        raise ParseError(not_valid(validation_reason(exc), "hardening findings.json")) from None


def walk_findings(
    stream: JsonStream,
    take: Callable[[Finding], None],
    invalid: OnInvalid | None = None,
) -> tuple[dict[str, Any], bool]:
    """Walk the findings.json object that comes next: each finding of its ``findings`` list is
    validated and handed to ``take`` (not kept here), so the document is never held whole.
    Returns the other members, not yet validated, and whether a key repeated.  A finding
    that fails validation is handed to ``invalid``, or without it raises ``InvalidFinding``."""
    others: dict[str, Any] = {}
    repeated = listed = False
    for key in stream.members():
        repeated = repeated or key in others or (key == "findings" and listed)
        if key != "findings" or stream.peek() != "[":
            others[key] = stream.value()  # the small parts
            continue
        listed = True
        for index, item in enumerate(stream.values()):
            try:
                finding = _FINDING.validate_python(item)
            except ValidationError as exc:
                if invalid is None:
                    raise InvalidFinding(index, exc) from None
                invalid(index, exc)
                continue
            take(finding)
    stream.finish()
    return others, repeated


def read_streamed(
    stream: JsonStream, keep: Callable[[Finding], bool], invalid: OnInvalid | None = None
) -> Report:
    """The findings.json that comes next, one finding at a time, with the findings ``keep``
    takes (invalid ones handed to ``invalid`` when given).  Anything else invalid or
    repeated raises ``NotStreamable``: read it again whole, so the error (or the value a
    repeated key keeps) is the one of the whole document."""
    if stream.peek() != "{":
        raise NotStreamable("not an object")
    findings: list[Finding] = []

    def take(finding: Finding) -> None:
        if keep(finding):
            findings.append(finding)

    try:
        others, repeated = walk_findings(stream, take, invalid)
        if repeated:
            raise NotStreamable("repeated key")
        report = Report.model_validate(others)
    except (InvalidFinding, ValidationError):
        raise NotStreamable("invalid findings.json") from None
    report.findings = findings
    return report


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hardening findings.json"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"

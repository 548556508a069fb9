"""Finding the artifacts: walk files and folders, and pick the parser that claims each one."""

from __future__ import annotations

import codecs
import difflib
import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from hardening import jsonread
from hardening.errors import ParseError
from hardening.parsers._io import looks_like_json, strip_bom
from hardening.parsers.interface import HEAD_BYTES, Detection, Parser
from hardening.parsers.registry import parsers

#: Files hardening writes itself; ``findings.json`` is read back on purpose.
OWN_OUTPUTS = {
    "summary.md": "hardening's own Markdown summary",
    "report.html": "hardening's own HTML report",
    "hardening.sarif": "hardening's own SARIF output",
    "gl-code-quality-report.json": "hardening's own GitLab Code Quality output",
}


def home_page(tool: str) -> str | None:
    """The home page a registered parser of ``tool`` declares (a SARIF report of gosec gets
    gosec's when its driver names none)."""
    for parser in parsers():
        if parser.tool == tool and getattr(parser, "information_uri", None):
            return parser.information_uri
    return None


@dataclass(frozen=True)
class Choice:
    """The outcome of identifying one file: a parser to run, or a reason to skip it."""

    parser: type[Parser] | None
    skip_reason: str | None = None
    #: False when the file is nothing discovery can name (empty, unrecognised, a temporary
    #: file): a skipped file that is True was recognised as something other than a report.
    recognised: bool = True


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


#: What hardening's atomic writes leave behind when killed mid-write: ``.NAME.RANDOM.tmp``.
_TEMPORARY = re.compile(r"^\..+\.tmp$")
_BASELINE = re.compile(rb'^\s*\{\s*"entries"\s*:|"fingerprint_version"\s*:\s*"v\d+"')


def identify(path: Path, head: bytes | None = None) -> Choice:
    """Pick the parser with the strongest claim on ``path``, or say why none applies."""
    if path.name in OWN_OUTPUTS:
        return Choice(None, f"{OWN_OUTPUTS[path.name]}, not a scanner report")
    if _TEMPORARY.match(path.name):
        return Choice(None, "temporary file of an interrupted write", recognised=False)
    if head is None:
        head = read_head(path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Windows PowerShell writes UTF-16; detectors look at UTF-8 bytes.
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if _BASELINE.search(strip_bom(head)) and b'"generator"' not in head:
        return Choice(None, "hardening baseline file, not a scanner report")
    best: tuple[Detection, type[Parser]] | None = None
    pure = PurePath(path.as_posix())
    for cls in parsers():
        try:
            detection = cls.detect(head, pure)
        except Exception:  # a detector must never stop discovery
            detection = None
        if detection is not None and (best is None or detection.score > best[0].score):
            best = (detection, cls)
    if best is not None:
        detection, cls = best
        if detection.skip_reason:
            return Choice(None, detection.skip_reason)
        return Choice(cls)
    body = strip_bom(head).strip()
    if not body:
        return Choice(None, "empty file of unknown tool", recognised=False)
    if body in (b"null", b"[]", b"{}"):
        return Choice(None, f"empty report ({body.decode()}) of unknown tool", recognised=False)
    return Choice(None, _broken_json(head) + "no parser recognises this file", recognised=False)


def _broken_json(head: bytes) -> str:
    """What breaks a whole small file that looks like JSON (a scanner killed early leaves too
    little to tell whose report it was), as a prefix of the reason; else nothing."""
    if len(head) >= HEAD_BYTES or not looks_like_json(head):
        return ""
    try:
        jsonread.loads(head)
    except ParseError as exc:
        return f"{exc}; "
    return ""


def unknown_input_tool(tool: str) -> str | None:
    """Why ``--input TOOL=...`` names no parser (with the nearest names), or None."""
    tools = {cls.tool for cls in parsers() if cls.tool} | {"sarif"}
    names = {cls.name for cls in parsers()}
    if tool in tools or tool in names:
        return None
    near = difflib.get_close_matches(tool, sorted(tools | names), n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    return f"unknown tool {tool!r} ({hint}known: {', '.join(sorted(tools))})"


def forced(tool: str, path: Path) -> Choice:
    """The parser for ``--input TOOL=PATH``: by parser name, else the tool's best claim."""
    candidates = [cls for cls in parsers() if tool in (cls.name, cls.tool) or cls.name == "sarif"]
    exact = [cls for cls in candidates if cls.name == tool]
    if exact:
        return Choice(exact[0])
    if not any(cls.tool == tool for cls in candidates) and tool != "sarif":
        known = sorted({cls.tool for cls in parsers() if cls.tool} | {"sarif"})
        return Choice(None, f"unknown tool {tool!r} (known: {', '.join(known)})")
    head = read_head(path)
    # Detect as if the file sat in a folder named for the tool, so name-based claims (a bare
    # ``[]`` in a gitleaks/ folder) apply to the forced tool.
    pure = PurePath(tool) / path.name
    scored: list[tuple[int, int, type[Parser]]] = []
    for order, cls in enumerate(candidates):
        try:
            detection = cls.detect(head, pure)
        except Exception:
            detection = None
        score = detection.score if detection and not detection.skip_reason else 0
        if cls.tool == tool:
            score += 1  # the tool's own parser wins a tie with the generic SARIF one
        scored.append((score, -order, cls))
    scored.sort(reverse=True, key=lambda item: (item[0], item[1]))
    best = scored[0][2]
    if scored[0][0] <= 1:
        # Nothing recognised the content: the tool's parser for this kind of text, which
        # will say why it cannot read it.
        kind = "json" if looks_like_json(head) else "xml" if head.lstrip().startswith(b"<") else ""
        own = [cls for cls in candidates if cls.tool == tool]
        by_kind = [cls for cls in own if kind and kind in cls.format]
        best = (by_kind or own or [best])[0]
    return Choice(best)


@dataclass(frozen=True)
class Walked:
    """One entry discovery found: a file to read, or with ``skip_reason`` one it will not."""

    path: Path
    name: str
    skip_reason: str | None = None


def walk(paths: Iterable[Path]) -> Iterator[Walked]:
    """Every file under ``paths`` in a stable order, with the name to show for it.

    Every folder is walked but ``.git`` itself (``.github/``, ``.gitlab/`` and such hold
    reports too).  Entries that cannot be read as reports (an unreadable folder, a broken
    symbolic link, a FIFO) are yielded too, so that ``unreadable`` can account for them, and
    so are symbolic links to folders that are not followed: nothing given is dropped
    without a reason.
    """
    for root in paths:
        if root.is_dir():
            yield from _walk_folder(root)
        else:
            yield Walked(root, root.as_posix())


def _walk_folder(root: Path) -> Iterator[Walked]:
    """The files under one folder given.  A symbolic link to a folder inside it is followed
    once, after every real folder is read (so files are shown under their real place); one
    that leads outside it, back up to its own ancestors, or to a folder already read is
    listed as skipped with the reason."""
    top = os.path.realpath(root)
    visited: set[str] = set()
    trees = [root]
    links: list[Path] = []
    while trees:
        errors: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(trees.pop(), onerror=errors.append):
            visited.add(os.path.realpath(dirpath))
            followed = []
            for dirname in sorted(dirnames):
                if dirname == ".git":
                    continue
                folder = Path(dirpath) / dirname
                if folder.is_symlink():  # os.walk lists links to folders, never enters them
                    links.append(folder)
                else:
                    followed.append(dirname)
            dirnames[:] = followed
            for filename in sorted(filenames):
                file = Path(dirpath) / filename
                yield Walked(file, file.as_posix())
        for folder in sorted(Path(e.filename) for e in errors if e.filename is not None):
            yield Walked(folder, folder.as_posix())
        while links and not trees:
            link = links.pop(0)
            reason = _link_reason(link, top, visited)
            if reason is None:
                trees.append(link)
            else:
                yield Walked(link, link.as_posix(), reason)


def _link_reason(link: Path, top: str, visited: set[str]) -> str | None:
    """Why a symbolic link to a folder is not followed, or None to follow it."""
    target = os.path.realpath(link)
    if not _within(target, top):
        return "symbolic link to a folder outside the folder given, not followed"
    if _within(os.path.realpath(link.parent), target):
        return "symbolic link loop (to a folder that contains it), not followed"
    if target in visited:
        shown = Path(os.path.relpath(target, top)).as_posix()
        return f"symbolic link to a folder already read ({shown}), not followed again"
    return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be read as a report, or None for a regular file (or a link to one).

    Checked before anything opens the file: opening a FIFO would wait for a writer forever.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "broken symbolic link" if path.is_symlink() else "no such file or folder"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"cannot read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        try:
            os.scandir(path).close()
        except OSError as exc:
            return f"cannot read folder: {exc.strerror}"
        return "a folder, not a file"
    return "not a regular file (a FIFO, socket or device)"

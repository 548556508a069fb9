"""Making untrusted report text inert in each output medium."""

from __future__ import annotations

import re
from collections.abc import Mapping

# C0 and C1 controls (ESC starts terminal escape sequences), except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
# Platform references that notify or cross-link: @user, #123, !12, ~label, %milestone, $1, &1
_REFERENCE = re.compile(r"([@#!~%$&])(?=[\w\[(\"'])")
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|file|javascript|data|vbscript|mailto)(:)")
_WWW = re.compile(r"(?i)\bwww\.")
ZWSP = "\u200b"


def one_line(text: str | None, limit: int = 0) -> str:
    """Collapse whitespace and strip control characters; cut to ``limit`` chars if set."""
    if not text:
        return ""
    if not text.isprintable():  # printable text holds no control or format character
        text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def middle(text: str | None, limit: int) -> str:
    """One line, cut in the middle to ``limit`` chars: its head and its tail stay.

    Rule ids and paths differ at their ends (``vulnerability-management…rules.lang.python.sqli``,
    two ``node_modules`` paths of one package), so a cut at the end would make rows alike."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    tail = limit - 1 - head
    return text[:head].rstrip() + "…" + text[len(text) - tail :].lstrip()


def terminal(text: str | None, limit: int = 0) -> str:
    """Untrusted text for a terminal: one line, no escape sequences."""
    return one_line(text, limit)


def terminal_lines(text: str) -> str:
    """Several lines built from untrusted text, for a terminal: newlines kept, every other
    control character (and bidi override) dropped, tabs made spaces."""
    return "\n".join(_CONTROL.sub("", line.replace("\t", " ")) for line in text.split("\n"))


def markdown(text: str | None, limit: int = 0) -> str:
    """Untrusted text for Markdown (GitLab and GitHub flavours): inert.

    No HTML (``<`` and ``&`` become entities), no emphasis, links, images or tables broken by
    punctuation (backslash escapes), no mentions or cross-references (a zero-width space after
    ``@``, ``#``...), and no autolinks (a zero-width space breaks ``scheme:`` and ``www.``).
    """
    text = one_line(text, limit)
    text = _REFERENCE.sub(lambda m: m.group(1) + ZWSP, text)
    text = _AUTOLINK.sub(lambda m: m.group(1) + ZWSP + m.group(2), text)
    text = _WWW.sub(lambda m: m.group(0)[:3] + ZWSP + ".", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # The entities just made must survive, so '&' and ';' are not escaped below.
    return _MD_PUNCT.sub(r"\\\1", text)


def markdown_code(text: str | None, limit: int = 0) -> str:
    """Untrusted text shown as an inline code span (rule ids, paths).

    A code span is inert, but the comment bot finds its note by a hidden HTML comment: no
    report text may carry that marker's opening, even in code.
    """
    text = one_line(text, limit).replace("|", "¦").replace("<!--", "<!" + ZWSP + "--")
    if not text:
        return ""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def duration(seconds: float | None) -> str:
    """A scan's duration as the tools tables show it: ``3.8 s``, ``507 s``; empty when the
    report does not say."""
    if seconds is None:
        return ""
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


def severities(counts: Mapping[str, int]) -> str:
    """``2 critical, 18 high``: severity counts as every summary lists them (most severe first,
    as the model keeps them)."""
    return ", ".join(f"{n} {severity}" for severity, n in counts.items())

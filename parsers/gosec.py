"""gosec ``-fmt=json`` reports."""

from __future__ import annotations

import re

_NUMBERED = re.compile(r"^(\d+):\s?(.*)$")


def flagged_text(code: str, start: int, end: int) -> str:
    """The flagged lines of a gosec ``code`` block, without ``NN: `` prefixes or context lines.

    gosec numbers each line of its snippet (``"90: \\tfor ...\\n91: ..."``) and adds context
    lines around the flagged range; identity uses only the lines whose numbers fall in
    ``start..end``.  Lines without a number prefix continue the previous numbered line.  When
    no numbered line falls in the range, the whole block is used without its prefixes.
    """
    selected: list[str] = []
    every: list[str] = []
    current: int | None = None
    for raw in code.splitlines():
        match = _NUMBERED.match(raw)
        if match:
            current = int(match.group(1))
            text = match.group(2)
        else:
            text = raw
        every.append(text)
        if current is not None and start <= current <= end:
            selected.append(text)
    return "\n".join(selected if selected else every)

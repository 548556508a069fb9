"""Reports how many hostile inputs each parser was given (``HARDENING_HOSTILE_COUNTS=1``)."""

from __future__ import annotations

import os
from typing import Any

from hostile_support import CASES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES or not os.environ.get("HARDENING_HOSTILE_COUNTS"):
        return
    kinds = sorted({kind for _, kind in CASES})
    parsers = sorted({parser for parser, _ in CASES})
    terminalreporter.section("hostile inputs per parser")
    terminalreporter.write_line(" | ".join(["parser", *kinds, "total"]))
    for parser in parsers:
        row = [CASES[(parser, kind)] for kind in kinds]
        terminalreporter.write_line(" | ".join([parser, *map(str, row), str(sum(row))]))
    terminalreporter.write_line(f"total: {sum(CASES.values())}")

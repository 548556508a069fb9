"""The parsers installed: every class registered under the ``hardening.parsers`` entry-point
group, hardening's own and third parties' alike.

Discovery picks a parser for each file from it, and the SARIF parser finds the tools'
dialects in it (``Parser.sarif_dialect``), so no module lists the tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points

from hardening.parsers.interface import Parser

ENTRY_POINT_GROUP = "hardening.parsers"


@dataclass(frozen=True)
class RegistryProblem:
    name: str
    reason: str


@cache
def registry() -> tuple[tuple[type[Parser], ...], tuple[RegistryProblem, ...]]:
    """Every parser registered under the entry-point group, and those that failed to load."""
    parsers: list[type[Parser]] = []
    problems: list[RegistryProblem] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as exc:  # a third-party plugin must not break the run
            problems.append(RegistryProblem(ep.name, f"{type(exc).__name__}: {exc}"))
            continue
        if isinstance(cls, type) and issubclass(cls, Parser):
            parsers.append(cls)
        else:
            problems.append(RegistryProblem(ep.name, "entry point is not a Parser subclass"))
    return tuple(parsers), tuple(problems)


def parsers() -> tuple[type[Parser], ...]:
    return registry()[0]

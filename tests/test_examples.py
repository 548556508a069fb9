"""The CI examples call the CLI with options it has: a renamed option fails here, not in CI."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from hardening.cli import cli

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").rglob("*.yml"))
#: ``hardening COMMAND ...`` where a shell command starts, up to where it ends.
CALL = re.compile(
    r"(?:^\s*(?:- |run: )?|then |[;&|] *)hardening ((?:baseline )?[a-z-]+)([^\n;|&]*)"
)


def calls(path: Path) -> list[tuple[str, list[str]]]:
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith("#") or "pip install" in line:
            continue
        for command, rest in CALL.findall(line):
            found.append((command, re.findall(r"(?<![\w-])--?[a-z][a-z-]*", rest)))
    return found


def options_of(command: str) -> set[str]:
    group: click.Group = cli
    *parents, name = command.split()
    for parent in parents:
        group = group.commands[parent]  # type: ignore[assignment]
    assert name in group.commands, f"no command {command!r}"
    return {opt for param in group.commands[name].params for opt in param.opts}


def test_the_examples_exist() -> None:
    assert {p.name for p in EXAMPLES} == {"gitlab-ci.yml", "hardening.yml"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_option_an_example_passes_exists(example: Path) -> None:
    found = calls(example)
    assert {command for command, _ in found} >= {"aggregate", "comment"}
    for command, flags in found:
        assert set(flags) <= options_of(command), (command, flags)

"""The output registry: one list of formats, from which the CLI's --format choices come."""

from __future__ import annotations

from pathlib import Path

import click

from hardening.cli import aggregate as aggregate_command
from hardening.model import Report
from hardening.render.interface import Renderer, RenderSettings
from hardening.render.registry import OutputFormat, renderers, write_outputs


def format_choices() -> list[str]:
    option = next(p for p in aggregate_command.params if p.name == "formats")
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    assert format_choices() == [fmt.value for fmt in OutputFormat]


def test_every_format_has_a_renderer_with_its_own_file() -> None:
    found = renderers()
    assert list(found) == list(OutputFormat)
    assert all(isinstance(renderer, Renderer) for renderer in found.values())
    names = [renderer.file_name for renderer in found.values()]
    assert len(set(names)) == len(names)


def test_each_renderer_writes_the_file_it_names(tmp_path: Path) -> None:
    written = write_outputs(Report(), tmp_path, list(OutputFormat), RenderSettings())
    assert [path.name for path in written] == [r.file_name for r in renderers().values()]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)

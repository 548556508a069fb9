"""Command line: each command parses its options and calls the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hardening import __version__
from hardening.errors import HardeningError


def _fail(message: str) -> None:
    click.echo(f"hardening: error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hardening")
def cli() -> None:
    """Normalize security scanner reports into one report-only hardening summary."""


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--input-tool", "tool", metavar="TOOL", help="Force the parser for this tool.")
@click.option("--strip-prefix", multiple=True, help="Path prefix to strip (repeatable).")
@click.option(
    "--source-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Source tree the report was taken from (never changes fingerprints).",
)
def inspect(
    file: Path,
    as_json: bool,
    tool: str | None,
    strip_prefix: tuple[str, ...],
    source_root: Path | None,
) -> None:
    """Show what was read from one artifact, before filters and merging."""
    from hardening.paths import PathNormalizer
    from hardening.reading import read_artifact
    from hardening.render import inspect_view

    outcome = read_artifact(
        file, file.as_posix(), PathNormalizer.from_settings(strip_prefix), forced_tool=tool
    )
    if as_json:
        click.echo(json.dumps(inspect_view.as_dict(outcome), indent=2, sort_keys=True))
    else:
        click.echo(inspect_view.as_text(outcome))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except HardeningError as exc:
        _fail(str(exc))

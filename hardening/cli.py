"""Command line: each command parses its options and calls the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hardening import __version__
from hardening.errors import HardeningError

#: Output format names, kept here so --help does not import the renderers.
FORMAT_CHOICES = ["json", "markdown"]


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


def _parse_input(value: str) -> tuple[str, Path]:
    tool, sep, path = value.partition("=")
    if not sep or not tool or not path:
        raise click.BadParameter(f"{value!r}: expected TOOL=PATH", param_hint="--input")
    file = Path(path)
    if not file.is_file():
        raise click.BadParameter(f"{path}: no such file", param_hint="--input")
    return tool.strip(), file


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the outputs into this folder.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(FORMAT_CHOICES),
    help="Outputs to write with --out (repeatable; default: all).",
)
@click.option(
    "--profile",
    type=click.Choice(["sast", "hardening"]),
    help="The tools this job expects: missing ones are reported as missing.",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="TOOL=PATH",
    help="Force the parser of TOOL for PATH (repeatable).",
)
@click.option(
    "--strip-prefix",
    multiple=True,
    metavar="PREFIX",
    help="Absolute path prefix to strip from finding paths (repeatable).",
)
@click.option(
    "--source-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The scanned source tree: enables generated-file headers and --tracked-only.",
)
@click.option("--tracked-only", is_flag=True, help="Drop findings in files git does not track.")
@click.option(
    "--no-default-excludes",
    is_flag=True,
    help="Keep findings in .cache/, vendor/, node_modules/, generated files ...",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Drop findings in these paths.")
@click.option("--include", multiple=True, metavar="GLOB", help="Keep only findings in these paths.")
@click.option(
    "--max-chars",
    type=click.IntRange(min=2000),
    default=60_000,
    show_default=True,
    help="Size budget of summary.md.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def aggregate(
    paths: tuple[Path, ...],
    out: Path | None,
    formats: tuple[str, ...],
    profile: str | None,
    inputs: tuple[str, ...],
    strip_prefix: tuple[str, ...],
    source_root: Path | None,
    tracked_only: bool,
    no_default_excludes: bool,
    exclude: tuple[str, ...],
    include: tuple[str, ...],
    max_chars: int,
    quiet: bool,
) -> None:
    """Read every report under PATHS and summarize them (report-only: exits 0)."""
    from hardening.filters import FilterError, SnapshotFilter, SourceTree
    from hardening.outputs import OutputFormat, RenderSettings, write_outputs
    from hardening.pipeline import AggregateOptions
    from hardening.pipeline import aggregate as run_aggregate
    from hardening.render import terminal

    forced = [_parse_input(value) for value in inputs]
    if not paths and not forced:
        raise click.UsageError("give at least one file or folder to read (or --input TOOL=PATH)")
    try:
        snapshot = SnapshotFilter(
            default_excludes=not no_default_excludes,
            excludes=exclude,
            includes=include,
            source=SourceTree(source_root) if source_root else None,
            tracked_only=tracked_only,
        )
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    options = AggregateOptions(
        paths=paths,
        forced=forced,
        profile=profile,
        strip_prefixes=strip_prefix,
        snapshot=snapshot,
    )
    report = run_aggregate(options)
    if out is not None:
        chosen = [OutputFormat(f) for f in formats] or list(OutputFormat)
        write_outputs(report, out, chosen, RenderSettings(max_chars=max_chars))
    if not quiet:
        click.echo(terminal.render(report, colour=sys.stdout.isatty()), nl=False)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of findings.json."""
    from hardening.report_io import schema_text

    click.echo(schema_text(), nl=False)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except HardeningError as exc:
        _fail(str(exc))

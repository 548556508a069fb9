"""Command line: each command parses its options and calls the library.

Heavy modules are imported inside the commands so ``hardening --help`` starts fast.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

import click

from hardening import __version__
from hardening.errors import HardeningError
from hardening.profiles import PROFILES
from hardening.render.registry import OutputFormat

DEFAULT_BASELINE = ".hardening/baseline.json"
#: Inputs above this size are refused (the largest real reports seen are under 1 GB).
DEFAULT_MAX_INPUT_BYTES = 2 * 1024**3

if TYPE_CHECKING:  # the commands import these when they run: --help stays fast
    from hardening.config import Config
    from hardening.filters import SnapshotFilter
    from hardening.pipeline import AggregateOptions
    from hardening.progress import Progress

F = TypeVar("F", bound=Callable[..., Any])


class _FilterParams(TypedDict):
    """The options of the source-snapshot filters, shared by ``aggregate`` and ``snapshot``."""

    no_default_excludes: bool
    exclude: tuple[str, ...]
    include: tuple[str, ...]
    config_path: Path | None
    tracked_only: bool


class _ReadingParams(_FilterParams):
    """The options of every command that reads artifacts (``reading_options``)."""

    paths: tuple[Path, ...]
    profile: str | None
    inputs: tuple[str, ...]
    strip_prefix: tuple[str, ...]
    source_root: Path | None
    baseline_path: Path | None
    max_input_bytes: int


class _AggregateParams(_ReadingParams):
    out: Path | None
    formats: tuple[str, ...]
    compare_to: Path | None
    fail_on: tuple[str, ...]
    max_chars: int | None
    link_base: str | None
    changed_files: Path | None
    history_db: str | None
    quiet: bool
    no_color: bool


class _SnapshotParams(_FilterParams):
    source_root: Path
    out: Path | None
    as_list: bool
    nul: bool
    force: bool
    drop_build_inputs: bool
    quiet: bool


class _UserError(click.ClickException):
    """A user's mistake (bad file, bad config): one line, exit 2, no traceback."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        # click's own form would read "Error: error: ..."; one prefix, like the warnings.
        click.echo(f"hardening: error: {self.message}", file=file, err=file is None)


class _Command(click.Command):
    """A command that refuses an option given twice when it takes one value: click would keep
    the last one silently (``--out a --out b`` writing only into ``b``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _refuse_repeats(self, ctx, args)
        return super().parse_args(ctx, args)


def _refuse_repeats(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    single: dict[str, str] = {}
    for param in command.params:
        if isinstance(param, click.Option) and not (param.multiple or param.is_flag or param.count):
            for name in param.opts:
                single[name] = param.opts[-1]
    given: dict[str, str] = {}
    expects_value = False
    for arg in args:
        if arg == "--":
            break
        if expects_value:  # the value of the option before: never an option itself
            expects_value = False
            continue
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        option = single.get(name)
        if option is None:
            continue
        expects_value = "=" not in arg
        if option in given:
            raise click.UsageError(f"{option} was given twice; it takes one value", ctx=ctx)
        given[option] = name


def _command_name(ctx: click.Context | None) -> str:
    """``aggregate: `` for the command a usage error is about (empty at the top)."""
    if ctx is None or ctx.parent is None:
        return ""
    return ctx.command_path.split(" ", 1)[-1] + ": "


class _Interrupted(click.ClickException):
    """Ctrl-C (SIGINT): one line, exit 130 as shells report it; files being written are
    left as they were (every write is atomic)."""

    exit_code = 130

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo("hardening: interrupted", file=file, err=file is None)


class _Group(click.Group):
    command_class = _Command
    group_class = type  # subgroups (baseline, ...) are of this class too

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HardeningError as exc:
            raise _UserError(str(exc)) from None
        except click.UsageError as exc:
            # One line, like every other mistake (click's form is usage, hint and error).
            if isinstance(exc, _UserError):
                raise
            raise _UserError(f"{_command_name(exc.ctx)}{exc.format_message()}") from None
        except KeyboardInterrupt:
            raise _Interrupted("interrupted") from None
        except OSError as exc:
            # A fault no command foresaw (the disk filled, a file vanished): still one line.
            where = f"{exc.filename}: " if exc.filename else ""
            raise _UserError(f"{where}{exc.strerror or exc}") from None


#: Exit codes, as README's table gives them; shown at the end of each command's --help.
EXIT_CODES_AGGREGATE = (
    "\b\nExit codes: 0 report written; 1 an enforced gate (--fail-on) fired or is "
    "inconclusive;\n2 usage error, unreadable config or baseline, an output that cannot "
    "be written;\n130 interrupted."
)
EXIT_CODES_COMMENT = (
    "\b\nExit codes: 0 posted, unchanged, or a warning; 1 only with --strict: not posted;\n"
    "2 usage error; 130 interrupted."
)
EXIT_CODES_DONE = (
    "\b\nExit codes: 0 done; 2 usage error, a refusal, a fault (one line); 130 interrupted."
)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Each command's --help ends with its exit codes.",
)
@click.version_option(__version__, prog_name="hardening")
def cli() -> None:
    """Normalize security scanner reports into one report-only hardening summary."""


def _parse_input(value: str) -> tuple[str, Path]:
    from hardening.discover import unknown_input_tool

    tool, sep, path = value.partition("=")
    if not sep or not tool or not path:
        raise click.BadParameter(f"{value!r}: expected TOOL=PATH", param_hint="--input")
    problem = unknown_input_tool(tool.strip())
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--input")
    file = Path(path)
    if not file.is_file():
        raise click.BadParameter(f"{path}: no such file", param_hint="--input")
    return tool.strip(), file


max_input_bytes_option = click.option(
    "--max-input-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_INPUT_BYTES,
    show_default=True,
    metavar="N",
    help="Refuse input files larger than N bytes (each fails with the reason).",
)


def reading_options(*, paths_must_exist: bool = True) -> Callable[[F], F]:
    """The options every command that reads artifacts shares.

    ``aggregate`` takes PATHS that do not exist: in CI a folder is absent when the job that
    writes it did not run, and the report says so (skipped, its tools missing) instead of the
    whole summary being lost.
    """
    return functools.partial(_add_reading_options, paths_must_exist=paths_must_exist)


def _add_reading_options(func: F, *, paths_must_exist: bool) -> F:
    options = [
        click.argument("paths", nargs=-1, type=click.Path(exists=paths_must_exist, path_type=Path)),
        click.option(
            "--profile",
            type=click.Choice(list(PROFILES)),
            help="The tools this job expects: missing ones are reported as missing.",
        ),
        click.option(
            "--input",
            "inputs",
            multiple=True,
            metavar="TOOL=PATH",
            help="Force the parser of TOOL for PATH (repeatable).",
        ),
        click.option(
            "--strip-prefix",
            multiple=True,
            metavar="PREFIX",
            help="Absolute path prefix to strip from finding paths (repeatable).",
        ),
        click.option(
            "--source-root",
            type=click.Path(file_okay=False, exists=True, path_type=Path),
            help="The scanned source tree: generated-file headers, --tracked-only, "
            "go.mod for govulncheck's SARIF.",
        ),
        click.option(
            "--tracked-only",
            is_flag=True,
            help="Drop findings in files git does not track in --source-root.",
        ),
        click.option(
            "--no-default-excludes",
            is_flag=True,
            help="Keep findings in .cache/, vendor/, node_modules/, generated files.",
        ),
        click.option(
            "--exclude", multiple=True, metavar="GLOB", help="Drop findings in these paths."
        ),
        click.option(
            "--include", multiple=True, metavar="GLOB", help="Keep only findings in these paths."
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="Config file (default: .hardening.toml or [tool.hardening] in "
            "pyproject.toml, searched upward).",
        ),
        click.option(
            "--baseline",
            "baseline_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="The baseline file kept in the repository.",
        ),
        max_input_bytes_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _build(
    params: _ReadingParams, *, baseline_required: bool
) -> tuple[AggregateOptions, Config, Path | None]:
    """AggregateOptions from the shared reading options, config and baseline."""
    from hardening import baseline as baseline_mod
    from hardening import config as config_mod
    from hardening.pipeline import AggregateOptions

    config, _ = config_mod.discover(params["config_path"], Path.cwd())
    forced = [_parse_input(value) for value in params["inputs"]]
    if not params["paths"] and not forced:
        raise click.UsageError("give at least one file or folder to read (or --input TOOL=PATH)")
    snapshot = _snapshot_filter(params, config, params["source_root"], params["tracked_only"])
    baseline_path: Path | None = params["baseline_path"]
    if baseline_path is None and config.baseline:
        baseline_path = Path(config.baseline)
    if baseline_path is None and baseline_required:
        baseline_path = Path(DEFAULT_BASELINE)
    baseline = None
    if baseline_path is not None:
        if baseline_path.exists():
            baseline = baseline_mod.load(baseline_path)
        elif not baseline_required:
            click.echo(
                f"hardening: {baseline_path}: no baseline yet, every finding is new", err=True
            )
            baseline = baseline_mod.Baseline()
    options = AggregateOptions(
        paths=params["paths"],
        forced=forced,
        profile=params["profile"] or config.profile,
        strip_prefixes=[*params["strip_prefix"], *config.strip_prefixes],
        snapshot=snapshot,
        severity_overrides=config.severity,
        gate=config.gate,
        baseline=baseline,
        baseline_origin=str(baseline_path) if baseline_path else None,
        max_bytes=params["max_input_bytes"],
    )
    return options, config, baseline_path


def _snapshot_filter(
    params: _FilterParams, config: Config, source_root: Path | None, tracked_only: bool
) -> SnapshotFilter:
    """The one SnapshotFilter ``aggregate``'s filters and ``snapshot`` both decide with."""
    from hardening.filters import FilterError, SnapshotFilter, SourceTree

    try:
        return SnapshotFilter(
            default_excludes=config.default_excludes and not params["no_default_excludes"],
            excludes=[*config.exclude, *params["exclude"]],
            includes=[*config.include, *params["include"]],
            source=SourceTree(source_root) if source_root else None,
            tracked_only=tracked_only,
        )
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None


def _progress(quiet: bool = False) -> Progress | None:
    """A progress bar on stderr on a terminal (erased when done, so also with -q); elsewhere
    (a CI log) one line per slow stage, but none with -q."""
    from hardening.progress import ProgressBar, StageLog

    if sys.stderr.isatty():
        return ProgressBar()
    return None if quiet else StageLog()


def _aggregate_options(params: _AggregateParams) -> tuple[AggregateOptions, Config]:
    """``aggregate``'s options on top of the shared ones: the reference, the enforced gates,
    the link base and changed files (from the CI environment unless given), the time."""
    from hardening import ci
    from hardening.config import parse_gate
    from hardening.model import utc_now
    from hardening.pipeline import compare_to

    options, config, _ = _build(params, baseline_required=False)
    if params["compare_to"] is not None:
        compare_to(options, params["compare_to"])
    for rule in params["fail_on"]:
        try:
            parse_gate(rule)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--fail-on") from None
    options.fail_on = list(dict.fromkeys(params["fail_on"]))
    options.link_base = params["link_base"] or ci.link_base(os.environ)
    if params["changed_files"] is not None:
        options.changed_files = ci.read_changed_files(params["changed_files"])
    else:
        options.changed_files = ci.changed_files_from_git(
            os.environ, params["source_root"] or Path.cwd()
        )
    options.created = utc_now()
    return options, config


@cli.command(epilog=EXIT_CODES_AGGREGATE)
@reading_options(paths_must_exist=False)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Write the outputs into this folder.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice([fmt.value for fmt in OutputFormat]),
    help="Outputs to write with --out (repeatable; default: all).",
)
@click.option(
    "--compare-to",
    type=click.Path(path_type=Path),
    help="The target branch's latest findings.json (or a folder holding it): the reference "
    "for new and fixed (missing or unreadable: a warning, and the baseline is the reference; "
    "another tool's report: exit 2).",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="STATE:SEVERITY",
    help="Enforce a gate, e.g. new:high or new,expired:high (repeatable: every one applies): "
    "exit 1 when one fires, or when the run is incomplete (a tool failed, missing or not "
    "exercised, or nothing read).",
)
@click.option(
    "--max-chars", type=click.IntRange(min=2000), help="Size budget of summary.md (default 60,000)."
)
@click.option(
    "--link-base",
    metavar="URL",
    help="URL prefix of the project's files at this commit (default: from CI variables).",
)
@click.option(
    "--changed-files",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Files the merge request changed, one per line: listed first.",
)
@click.option(
    "--history",
    "history_db",
    metavar="URL",
    help="History database: add this run's trend line to the summary (default: config "
    "'history'; an unreachable database is a warning).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@click.option(
    "--no-color",
    is_flag=True,
    help="No colour (else NO_COLOR, then FORCE_COLOR, then whether stdout is a terminal).",
)
def aggregate(**params: Unpack[_AggregateParams]) -> None:
    """Read every report under PATHS and summarize them.

    Report-only: exits 0 whatever it finds.  A PATH that does not exist is listed as
    skipped, not an error.
    """
    from hardening.pipeline import aggregate as run_aggregate
    from hardening.render import terminal
    from hardening.render.interface import RenderSettings
    from hardening.render.registry import write_outputs

    if params["formats"] and params["out"] is None:
        raise click.UsageError("--format chooses what --out writes: give --out DIR too")
    options, config = _aggregate_options(params)
    progress = options.progress = _progress(params["quiet"])
    out = params["out"]
    written: list[Path] = []
    try:
        report = run_aggregate(options)
        history_db = params["history_db"] or config.history
        if history_db:
            from hardening.history import api

            api.add_trend_line(report, history_db, os.environ, options.gate)
        if out is not None:
            chosen = [OutputFormat(f) for f in params["formats"]] or list(OutputFormat)
            max_chars = params["max_chars"] or config.max_chars
            written = write_outputs(
                report,
                out,
                chosen,
                RenderSettings(max_chars=max_chars) if max_chars else RenderSettings(),
                before=(lambda name: progress.stage(f"writing {name}")) if progress else None,
            )
    finally:
        if progress is not None:
            progress.close()
    if not params["quiet"]:
        colour = terminal.wants_colour(params["no_color"], os.environ, sys.stdout.isatty())
        click.echo(terminal.render(report, colour=colour), nl=False, color=colour)
        if out is not None and written:
            names = ", ".join(path.name for path in written)
            click.echo(f"Wrote {click.format_filename(out)}/: {names}")
    if report.gate is not None and report.gate.failed:
        # The reason stays visible with -q: exit 1 is not a success.
        click.echo(f"hardening: {report.gate.verdict}", err=True)
        sys.exit(1)


@cli.command(epilog=EXIT_CODES_DONE)
@click.option(
    "--source-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path(),
    show_default="the current folder",
    help="The work tree to snapshot.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write the snapshot into this folder (one git does not list).",
)
@click.option("--list", "as_list", is_flag=True, help="Print the kept paths instead.")
@click.option("-0", "nul", is_flag=True, help="With --list: NUL-separated paths.")
@click.option("--force", is_flag=True, help="Replace an existing snapshot in --out.")
@click.option(
    "--tracked-only", is_flag=True, help="Refuse to walk a folder outside a git work tree."
)
@click.option(
    "--drop-build-inputs",
    is_flag=True,
    help="Leave out vendor/ and generated .go files too (gosec needs them; others do not).",
)
@click.option(
    "--no-default-excludes",
    is_flag=True,
    help="Keep .cache/, vendor/, node_modules/, generated files.",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out these paths.")
@click.option("--include", multiple=True, metavar="GLOB", help="Keep only these paths.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Config file (default: .hardening.toml or [tool.hardening] in pyproject.toml, "
    "searched upward).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (with --out).")
def snapshot(**params: Unpack[_SnapshotParams]) -> None:
    """Materialize the tracked-source snapshot that scanners should scan.

    The files git lists in the source root (submodules' included), minus what aggregate's
    filters drop (caches, vendored and generated code, the config's excludes), hard-linked
    or copied into --out; or their paths with --list.  Exits 2 for a usage error.
    """
    from hardening import config as config_mod
    from hardening import snapshot as snapshot_mod

    if bool(params["out"]) == params["as_list"]:
        raise click.UsageError("give exactly one of --out SNAP and --list")
    if params["nul"] and not params["as_list"]:
        raise click.UsageError("-0 goes with --list")
    root: Path = params["source_root"]
    config, _ = config_mod.discover(params["config_path"], Path.cwd())
    chosen = _snapshot_filter(params, config, root, tracked_only=False)
    out: Path | None = params["out"]
    plan, written = snapshot_mod.take(
        root,
        chosen,
        out,
        tracked_only=params["tracked_only"],
        drop_build_inputs=params["drop_build_inputs"],
        force=params["force"],
    )
    if out is None:
        sys.stdout.write(snapshot_mod.listing(plan, nul=params["nul"]))
        click.echo(snapshot_mod.summary(plan, None, None), err=True, nl=False)
    elif not params["quiet"]:
        click.echo(snapshot_mod.summary(plan, written, str(out)), nl=False)


@cli.command(epilog=EXIT_CODES_DONE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--input-tool", "tool", metavar="TOOL", help="Force the parser for this tool.")
@click.option("--strip-prefix", multiple=True, help="Path prefix to strip (repeatable).")
@click.option(
    "--source-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Source tree the report was taken from (its go.mod names the modules of "
    "govulncheck SARIF packages).",
)
@max_input_bytes_option
def inspect(
    file: Path,
    as_json: bool,
    tool: str | None,
    strip_prefix: tuple[str, ...],
    source_root: Path | None,
    max_input_bytes: int,
) -> None:
    """Show what was read from one artifact, before filters and merging."""
    from hardening.paths import PathNormalizer
    from hardening.reading import read_artifact
    from hardening.render import inspect_view, text

    outcome = read_artifact(
        file,
        file.as_posix(),
        PathNormalizer.from_settings(strip_prefix),
        forced_tool=tool,
        max_bytes=max_input_bytes,
        source_root=source_root,
    )
    if as_json:
        click.echo(json.dumps(inspect_view.as_dict(outcome), indent=2, sort_keys=True))
    else:
        # The view holds report text (paths, rule ids, titles): no escape sequences through.
        click.echo(text.terminal_lines(inspect_view.as_text(outcome)))


@cli.command(epilog=EXIT_CODES_DONE)
def schema() -> None:
    """Print the JSON Schema of findings.json."""
    from hardening.report_io import schema_text

    click.echo(schema_text(), nl=False)


@cli.group(epilog=EXIT_CODES_DONE)
def baseline() -> None:
    """Record today's state and triage decisions in the baseline file."""


def baseline_file_option(func: F) -> F:
    return click.option(
        "--baseline",
        "baseline_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_BASELINE,
        show_default=True,
        help="The baseline file.",
    )(func)


def _report_option(func: F) -> F:
    return click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="findings.json to take findings not yet in the baseline from.",
    )(func)


@baseline.command("update", epilog=EXIT_CODES_DONE)
@reading_options()
def baseline_update(**params: Unpack[_ReadingParams]) -> None:
    """Write today's state of PATHS into the baseline (keeps triage and unknown entries)."""
    from hardening import baseline as baseline_mod
    from hardening import diff
    from hardening.pipeline import aggregate as run_aggregate

    params["baseline_path"] = params["baseline_path"] or None
    options, _, path = _build(params, baseline_required=True)
    assert path is not None  # a required baseline has the default path at least
    with baseline_mod.locked(path):
        # Read under the lock, so a concurrent update's work is seen and kept.
        current = baseline_mod.load_or_empty(path)
        options.baseline = current
        progress = options.progress = _progress()
        try:
            report = run_aggregate(options)
            updated = diff.update(current, report, options.today)
            if progress is not None:
                progress.stage(f"writing {path.name}")
            changed = baseline_mod.save(updated, path)
        finally:
            if progress is not None:
                progress.close()
    counts = report.diff.counts if report.diff else {}
    summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    click.echo(
        f"{path}: {'updated' if changed else 'unchanged'} ({len(updated.entries)} "
        f"entries; {summary or 'no findings'})"
    )


def _triage(
    paths: tuple[str, ...],
    path: Path,
    triage: str,
    reason: str,
    expires: date | None,
    report_path: Path | None,
) -> None:
    from hardening import baseline as baseline_mod
    from hardening.render import text
    from hardening.report_io import load_report

    extra = load_report(report_path) if report_path else None
    with baseline_mod.locked(path):
        current = baseline_mod.load_or_empty(path)
        done = baseline_mod.triage(
            current, paths, baseline_mod.Triage(triage), reason, expires, extra, str(report_path)
        )
        for fingerprint, entry in done:
            click.echo(
                f"{fingerprint[:12]} {text.terminal(entry.tool, 40)} "
                f"{text.terminal(entry.rule_id, 80)}: {triage}"
            )
        baseline_mod.save(current, path)


@baseline.command("accept", epilog=EXIT_CODES_DONE)
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the risk is accepted.")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date (YYYY-MM-DD) after which the finding is open again.",
)
@_report_option
@baseline_file_option
def baseline_accept(
    fingerprints: tuple[str, ...],
    reason: str,
    expires: datetime | None,
    report_path: Path | None,
    baseline_path: Path,
) -> None:
    """Mark findings (fingerprints or unique prefixes) as accepted risk."""
    if expires is not None and expires.date() < date.today():
        raise click.BadParameter(
            f"{expires.date().isoformat()} is in the past: the finding would be open again at once",
            param_hint="--expires",
        )
    _triage(
        fingerprints,
        baseline_path,
        "accepted",
        reason,
        expires.date() if expires else None,
        report_path,
    )


@baseline.command("false-positive", epilog=EXIT_CODES_DONE)
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the finding is not real.")
@_report_option
@baseline_file_option
def baseline_false_positive(
    fingerprints: tuple[str, ...], reason: str, report_path: Path | None, baseline_path: Path
) -> None:
    """Mark findings as false positives."""
    _triage(fingerprints, baseline_path, "false_positive", reason, None, report_path)


@baseline.command("show", epilog=EXIT_CODES_DONE)
@baseline_file_option
@click.option("--triaged", is_flag=True, help="Only accepted and false-positive entries.")
def baseline_show(baseline_path: Path, triaged: bool) -> None:
    """List the baseline's entries with their triage and age."""
    from hardening import baseline as baseline_mod
    from hardening.render import text

    current = baseline_mod.load(baseline_path)
    click.echo(f"{baseline_path}: {len(current.entries)} entries")
    for row in baseline_mod.shown(current, date.today(), triaged_only=triaged):
        entry = row.entry
        line = (
            f"{row.fingerprint[:12]}  {entry.severity.value:8} {entry.tool:12} "
            f"{text.terminal(entry.rule_id, 50)}  {text.terminal(row.where, 60)}  "
            f"{row.status}, {row.age_days}d"
        )
        if entry.reason:
            line += f"  ({text.terminal(entry.reason, 80)})"
        click.echo(line)


@cli.command(epilog=EXIT_CODES_COMMENT)
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--platform",
    type=click.Choice(["auto", "gitlab", "github"]),
    default="auto",
    show_default=True,
    help="Where to post (auto: from the CI variables).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be posted and where.")
@click.option("--strict", is_flag=True, help="Exit non-zero when posting fails.")
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, exists=True),
    help="CA bundle of a self-managed GitLab or GitHub Enterprise (default: "
    "REQUESTS_CA_BUNDLE, then CI_SERVER_TLS_CA_FILE on GitLab).",
)
@click.option(
    "--author", help="GitHub login whose comments are this bot's (default: github-actions[bot])."
)
@click.option("--pr", type=int, help="GitHub pull request number (default: from the event).")
@click.option(
    "--deadline",
    type=click.FloatRange(min=1.0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Time the whole run may take: every request, retry and rate-limit wait.",
)
def comment(
    directory: Path,
    platform: str,
    dry_run: bool,
    strict: bool,
    ca_file: str | None,
    author: str | None,
    pr: int | None,
    deadline: float,
) -> None:
    """Post the summary in DIRECTORY/findings.json as one sticky MR or PR comment.

    Report-only: a failure to post is a warning and exits 0 unless --strict.
    """
    from hardening.publish.forges import publish
    from hardening.publish.interface import Action, CommentOptions, Platform, RetryPolicy
    from hardening.render import markdown
    from hardening.report_io import load_report

    report = load_report(directory / "findings.json")
    options = CommentOptions(
        platform=Platform(platform),
        dry_run=dry_run,
        strict=strict,
        ca_file=ca_file,
        author=author,
        pr=pr,
        retry=RetryPolicy(budget=deadline),
    )
    outcome = publish(lambda limit: markdown.render(report, max_chars=limit), options, os.environ)
    if outcome.action is Action.failed:
        click.echo(f"hardening: warning: {outcome.message}", err=True)
    else:
        click.echo(outcome.message)
    if dry_run and outcome.body is not None:
        click.echo(outcome.body, nl=False)
    sys.exit(outcome.exit_code)


# -- history ----------------------------------------------------------------------------------


@cli.group()
def history() -> None:
    """Keep every pipeline's findings in a database; trends and gate calibration across them."""


def _db_option(func: F) -> F:
    return click.option(
        "--db",
        metavar="URL",
        help="sqlite:///FILE or postgresql://... (default: HARDENING_HISTORY, the config's "
        "'history', else sqlite:///.hardening/history.db).",
    )(func)


def _history_db(db: str | None) -> str:
    from hardening import config as config_mod
    from hardening.history import api

    config, _ = config_mod.discover(None, Path.cwd())
    return api.database_url(db, os.environ, config.history)


@history.command("record")
@click.argument("source", type=click.Path(path_type=Path))
@_db_option
@click.option("--project", help="Project path (default: CI_PROJECT_PATH, GITHUB_REPOSITORY).")
@click.option("--ref", help="Branch or tag (default: CI_COMMIT_REF_NAME, GITHUB_REF_NAME).")
@click.option("--pipeline", help="Pipeline id (default: CI_PIPELINE_ID, GITHUB_RUN_ID).")
@click.option("--commit", help="Commit SHA (default: CI_COMMIT_SHA, GITHUB_SHA).")
@click.option(
    "--created",
    metavar="ISO8601",
    help="When the pipeline was created (default: CI_PIPELINE_CREATED_AT, else when "
    "findings.json was written, else now).",
)
def history_record(source: Path, db: str | None, **options: str | None) -> None:
    """Record one pipeline's findings.json (SOURCE: the file or its folder)."""
    from hardening.history import api

    outcome = api.record(
        api.RecordRequest(source=source, db=_history_db(db), **options), os.environ
    )
    click.echo(outcome.message)


@history.command("import-gitlab")
@_db_option
@click.option("--project", help="Project path or id (default: CI_PROJECT_PATH).")
@click.option("--ref", help="Branch or tag (default: CI_COMMIT_REF_NAME).")
@click.option(
    "--last", type=click.IntRange(min=1), default=50, show_default=True, help="Pipelines to read."
)
@click.option("--job", default="hardening_report", show_default=True, help="Job of the artifact.")
@click.option(
    "--artifact",
    default="hardening-report/findings.json",
    show_default=True,
    help="Path of findings.json in the job's artifacts.",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, exists=True),
    help="CA bundle of a self-managed GitLab (default: REQUESTS_CA_BUNDLE, then "
    "CI_SERVER_TLS_CA_FILE).",
)
def history_import_gitlab(
    db: str | None,
    project: str | None,
    ref: str | None,
    last: int,
    job: str,
    artifact: str,
    ca_file: str | None,
) -> None:
    """Backfill from the findings.json artifacts of past pipelines (skips recorded ones)."""
    from hardening.history import gitlab_import, schema

    request = gitlab_import.ImportRequest(
        project=project,
        ref=ref,
        last=last,
        job=job,
        artifact=artifact,
        verify=gitlab_import.ca_bundle(ca_file, os.environ),
    )
    engine = schema.open_engine(_history_db(db))
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and sys.stderr.isatty():
            bar = click.progressbar(length=total, label="pipelines", file=sys.stderr)
        if bar is not None:
            bar.update(1)

    try:
        outcome, name, branch = gitlab_import.backfill(engine, request, os.environ, progress)
    finally:
        if bar is not None:
            bar.render_finish()
        engine.dispose()
    for problem in outcome.unreadable:
        click.echo(f"hardening: warning: {problem}", err=True)
    click.echo(outcome.message(name, branch))


@history.command("report")
@_db_option
@click.option("--project", help="Project path (default: CI_PROJECT_PATH, GITHUB_REPOSITORY).")
@click.option("--ref", help="Branch or tag (default: CI_COMMIT_REF_NAME, GITHUB_REF_NAME).")
@click.option("--last", type=click.IntRange(min=1), help="The last N pipelines (default 30).")
@click.option("--since", metavar="DATE", help="Pipelines created from DATE (ISO 8601) on.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Write trends.json and trends.html here.",
)
def history_report(
    db: str | None,
    project: str | None,
    ref: str | None,
    last: int | None,
    since: str | None,
    out: Path,
) -> None:
    """Trends across recorded pipelines: trends.json, trends.html and a terminal summary."""
    from hardening import config as config_mod
    from hardening.history import api
    from hardening.history.source import normalize_time
    from hardening.history.trends import GateSpec, Window

    if last is not None and since is not None:
        raise click.UsageError("give --last or --since, not both")
    config, _ = config_mod.discover(None, Path.cwd())
    window = Window(since=normalize_time(since)) if since else Window(last=last or 30)
    request = api.ReportRequest(
        db=api.database_url(db, os.environ, config.history),
        project=api.project_of(project, os.environ),
        ref=api.ref_of(ref, os.environ),
        window=window,
        out=out,
        gates=[GateSpec(config.gate.rule, dict(config.gate.tools))],
    )
    result = api.report(request)
    click.echo(api.terminal_summary(result), nl=False)
    click.echo(f"wrote {out / 'trends.json'} and {out / 'trends.html'}")


def main() -> None:
    # The commands build millions of small, acyclic objects from big reports; the cyclic
    # garbage collector would rescan them over and over (most of json.load's own time at 1M
    # results) while finding nothing to free.  The process is short-lived.
    gc.disable()
    # Past `ulimit -f` a write fails with EFBIG (one line, exit 2) instead of the signal
    # killing the process without a word.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        cli(prog_name="hardening")
    except KeyboardInterrupt:  # before or after a command runs (imports, click's parsing)
        click.echo("hardening: interrupted", err=True)
        sys.exit(130)

"""The progress bar advances by bytes read and never echoes control characters."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hardening.progress import ProgressBar
from support import SAMPLES


def test_bar_advances_by_size_and_cleans_names(tmp_path: Path) -> None:
    small, big = tmp_path / "a.json", tmp_path / "b.json"
    small.write_bytes(b"x" * 100)
    big.write_bytes(b"x" * 300)
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.begin([small, big])
    bar.update("a\x1b]8;;evil\x07.json", 0, 2)
    bar.update("b.json", 1, 2)
    bar.close()
    out = stream.getvalue()
    assert "1/2" in out and "2/2 b.json" in out
    assert "[######" in out  # a quarter done when the second starts
    assert "\x07" not in out and "\x1b]" not in out


def test_bar_follows_the_streaming_reader_inside_one_artifact(tmp_path: Path) -> None:
    from hardening.jsonread import JsonStream

    report = tmp_path / "big.json"
    report.write_text("[" + ",".join(['{"k": "' + "v" * 100 + '"}'] * 2000) + "]")
    size = report.stat().st_size
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.begin([report])
    bar.update("big.json", 0, 1)
    assert bar.position == 0
    with JsonStream(report, chunk_bytes=4096, on_read=bar.reached) as reader:
        reader.start()
        values = reader.values()
        next(values)
        partway = bar.position
        assert 0 < partway < size
        bar._draw()  # what the clock thread draws every half second
        assert f"({partway / 1e6:.1f}/{size / 1e6:.1f} MB)" in stream.getvalue()
        for _value in values:
            pass
    assert bar.position == size
    bar.close()


def test_aggregate_hands_the_bar_to_the_parser_that_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline sets each artifact's ``on_read`` to its progress display: a streamed
    report moves the bar from inside the parser."""
    from hardening import jsonread
    from hardening.pipeline import AggregateOptions, aggregate

    monkeypatch.setattr(jsonread, "STREAM_MIN_BYTES", 1)  # every JSON report streamed
    first, second = tmp_path / "a" / "semgrep.json", tmp_path / "b" / "semgrep.json"
    for copy in (first, second):
        copy.parent.mkdir()
        copy.write_bytes((SAMPLES / "semgrep" / "semgrep.json").read_bytes())
    positions: list[tuple[int, int]] = []

    class Recorder(ProgressBar):
        def reached(self, position: int) -> None:
            super().reached(position)
            positions.append((self.index, self.position))

    bar = Recorder(io.StringIO())
    aggregate(AggregateOptions(paths=[first, second], progress=bar))
    bar.close()
    size = first.stat().st_size
    assert (0, size) in positions and (1, size) in positions


def test_stages_after_reading_name_what_runs_and_clean_the_text() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.begin([])
    bar.stage("writing report\x1b[2J.html")
    bar.close()
    out = stream.getvalue().replace("\r\x1b[2K", "")
    assert "writing report[2J.html" in out and "\x1b" not in out


def test_cli_shows_reading_merging_and_each_output_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from hardening import cli

    frames: list[str] = []

    class Recorder(ProgressBar):
        def _draw(self) -> None:
            super()._draw()
            frames.append(self.stream.getvalue().rsplit("\r\x1b[2K", 1)[-1])

    monkeypatch.setattr(cli, "_progress", lambda quiet=False: Recorder(io.StringIO()))
    result = CliRunner().invoke(
        cli.cli,
        ["aggregate", str(SAMPLES / "gosec"), "--out", str(tmp_path / "out"), "-q"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    shown = "\n".join(frames)
    assert "1/1" in shown and "merging" in shown
    for name in ("findings.json", "summary.md", "report.html", "hardening.sarif"):
        assert f"writing {name}" in shown


def test_baseline_update_shows_progress_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from hardening import cli

    bars: list[ProgressBar] = []

    def recording_bar() -> ProgressBar:
        bars.append(ProgressBar(io.StringIO()))
        return bars[-1]

    monkeypatch.setattr(cli, "_progress", recording_bar)
    baseline = tmp_path / "baseline.json"
    result = CliRunner().invoke(
        cli.cli,
        ["baseline", "update", str(SAMPLES / "gosec"), "--baseline", str(baseline)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (bar,) = bars
    shown = bar.stream.getvalue()
    assert "merging and diffing" in shown and "writing baseline.json" in shown
    assert shown.endswith("\r\x1b[2K")  # closed: the line is erased

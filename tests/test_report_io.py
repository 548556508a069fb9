"""findings.json's hand-written finding serializer says what the schema's TypeAdapter says."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter

from hardening import report_io
from hardening.baseline import load as load_baseline
from hardening.errors import HardeningError
from hardening.model import (
    CodeLocation,
    Component,
    Endpoint,
    Finding,
    Kind,
    Report,
    Severity,
    State,
    Suppression,
    set_fields,
)
from hardening.pipeline import AggregateOptions, aggregate
from hardening.report_io import (
    component_dict,
    dump_report,
    finding_dict,
    load_report,
    write_report,
)
from support import SAMPLES, numbered_finding

ADAPTER = TypeAdapter(Finding)


def as_json(finding: Finding) -> Any:
    """What findings.json holds for the finding (tuples and lists both become arrays)."""
    return orjson.loads(orjson.dumps(finding_dict(finding)))


def pydantic_view(finding: Finding) -> dict[str, Any]:
    """The TypeAdapter's dump without defaults; an explicitly empty list counts as default."""
    dumped = ADAPTER.dump_python(
        finding, mode="json", exclude_defaults=True, exclude={"identity", "previous_identity"}
    )
    return {key: value for key, value in dumped.items() if value != []}


def every_field_set() -> Finding:
    place = CodeLocation(
        path="a.go", start_line=3, end_line=4, start_column=1, end_column=9, snippet="x := 1"
    )
    return Finding(
        tool="trivy",
        kind=Kind.dependency,
        rule_id="CVE-2024-1",
        title="t",
        severity=Severity.high,
        tool_severity="HIGH",
        confidence="high",
        message="m",
        location=place,
        related_locations=[CodeLocation(path="b.go", start_line=7)],
        component=Component(name="pkg", installed_version="1.0", fixed_version="1.1"),
        endpoint=Endpoint(url="https://example.test/a", method="GET"),
        identifiers=["CVE-2024-1"],
        references=["https://example.test/advisory"],
        reachability="symbol",
        suppression=Suppression(kind="inSource", justification="tested"),
        artifact="trivy.json",
        commits=["abc"],
        artifacts=("trivy.json", "other.json"),
        occurrences=3,
        count=5,
        identity=("digest",),
        fingerprint="f" * 32,
        state=State.new,
        drift=True,
        properties={"triage": "needs-review", "cvss": {"nvd": 7.5}},
    )


@pytest.mark.parametrize(
    "finding",
    [every_field_set(), numbered_finding(1), numbered_finding(2, location=None, message="")],
    ids=["every-field", "typical", "bare"],
)
def test_finding_dict_matches_the_type_adapter(finding: Finding) -> None:
    assert as_json(finding) == pydantic_view(finding)


def test_component_dict_writes_every_set_field_of_a_component() -> None:
    every = Component(**{field.name: f"{field.name}-value" for field in fields(Component)})
    assert component_dict(every) == set_fields(every)
    bare = Component(name="pkg")
    assert component_dict(bare) == set_fields(bare) == {"name": "pkg"}


def test_every_sample_finding_serializes_as_the_type_adapter_does() -> None:
    report = aggregate(AggregateOptions(paths=[SAMPLES]))
    assert len(report.findings) > 50
    for finding in report.findings:
        assert as_json(finding) == pydantic_view(finding), finding.fingerprint


def test_findings_json_round_trips(tmp_path: Path) -> None:
    report = Report(findings=[every_field_set(), numbered_finding(4)])
    path = tmp_path / "findings.json"
    write_report(report, path)
    loaded = load_report(path)
    assert [as_json(f) for f in loaded.findings] == [as_json(f) for f in report.findings]
    assert not loaded.findings[0].identity  # identity inputs are never written


def test_unpaired_surrogates_become_question_marks(tmp_path: Path) -> None:
    report = Report(findings=[numbered_finding(1, message="bad \udc80 byte")])
    path = tmp_path / "findings.json"
    write_report(report, path)
    assert load_report(path).findings[0].message == "bad ? byte"


def test_findings_are_written_a_line_of_findings_at_a_time_whatever_the_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_io, "_LINE", 4)
    monkeypatch.setattr(report_io, "_BATCH", 2)
    findings = [numbered_finding(n) for n in range(9)]
    findings[5] = numbered_finding(5, message="bad \udc80 byte")  # the second line's 2nd batch
    text = dump_report(Report(findings=findings))
    lines = text[text.index('"findings":[') + len('"findings":[') : -len("]}\n")].split(",\n")
    findings[5] = numbered_finding(5, message="bad ? byte")
    assert [json.loads(f"[{line}]") for line in lines] == [
        [as_json(f) for f in findings[0:4]],
        [as_json(f) for f in findings[4:8]],
        [as_json(f) for f in findings[8:]],
    ]


def test_a_big_findings_json_is_read_as_a_stream_to_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = load_baseline(SAMPLES / "baseline.json")
    report = aggregate(AggregateOptions(paths=[SAMPLES], baseline=baseline))
    path = tmp_path / "findings.json"
    write_report(report, path)
    whole = load_report(path)
    monkeypatch.setattr("hardening.jsonread.STREAM_MIN_BYTES", 0)
    with monkeypatch.context() as patched:
        patched.setattr(Report, "model_validate_json", None)  # the whole reader: not used
        streamed = load_report(path)
    assert streamed.model_dump_json() == whole.model_dump_json()
    assert {f.state for f in streamed.findings} >= {State.fixed, State.unknown}  # all of them


@pytest.mark.parametrize(
    "mangle",
    [
        lambda doc: doc.replace(b'"kind":"', b'"kind":"no-such-', 1),
        lambda doc: doc[: len(doc) // 2],
        lambda doc: b"[" + doc + b"]",
    ],
    ids=["invalid finding", "cut short", "not an object"],
)
def test_a_big_findings_json_that_is_invalid_gives_the_whole_readers_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mangle: Any
) -> None:
    path = tmp_path / "findings.json"
    write_report(aggregate(AggregateOptions(paths=[SAMPLES])), path)
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(HardeningError) as whole:
        load_report(path)
    monkeypatch.setattr("hardening.jsonread.STREAM_MIN_BYTES", 0)
    with pytest.raises(HardeningError) as streamed:
        load_report(path)
    assert str(streamed.value) == str(whole.value)

"""Recording one pipeline into the history database, in one transaction.

A pipeline's findings update each fingerprint's intervals (see ``schema.intervals``) so that,
in every pipeline of the ref, a fingerprint is covered by an interval exactly when it was
present, whatever order pipelines are recorded in.  Appending the newest pipeline touches only
what changed: intervals stay open (``last`` NULL) while their finding stays present.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hardening.history import schema
from hardening.history.schema import (
    among,
    chunks,
    findings,
    intervals,
    marks,
    pipelines,
    projects,
    refs,
    rules,
    texts,
)
from hardening.history.source import FindingSummary, PipelineRun
from hardening.model import utc_now


@dataclass(frozen=True)
class PipelineInfo:
    project: str
    ref: str
    pipeline: str
    commit: str
    created: str  # normalized UTC time (source.normalize_time)


@dataclass(frozen=True)
class RecordOutcome:
    recorded: bool  # False: this (project, pipeline) was already in the database
    findings: int
    message: str


def record(engine: Engine, info: PipelineInfo, run: PipelineRun, retries: int = 5) -> RecordOutcome:
    """Record ``run`` as pipeline ``info``: one transaction, tried again when the database
    stays busy past its timeout (SQLite) or a deadlock broke it (PostgreSQL)."""
    schema.ensure_schema(engine)
    for attempt in range(retries):
        try:
            with schema.transaction(engine) as connection:
                return _record(connection, info, run)
        except schema.DatabaseBusy:
            if attempt == retries - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def _insert(connection: Connection, table: Any) -> Any:
    if connection.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def _insert_many(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows inserted in batches, skipping any a concurrent recorder inserted first.  With
    RETURNING, SQLAlchemy sends an executemany as multi-row INSERTs ("insertmanyvalues") from
    one compiled statement, instead of one statement per row."""
    if not rows:
        return
    statement = _insert(connection, table).on_conflict_do_nothing().returning(table.c.id)
    connection.execute(statement, rows).all()


def _id_of(connection: Connection, table: Any, values: dict[str, Any]) -> int:
    """The id of the row with these values, inserted if absent (race-free: unique keys)."""
    statement = _insert(connection, table).values(**values).on_conflict_do_nothing()
    connection.execute(statement)
    condition = and_(*(table.c[name] == value for name, value in values.items()))
    return int(connection.execute(select(table.c.id).where(condition)).scalar_one())


def _ids_of_texts(connection: Connection, values: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = sorted(values)
    for chunk in chunks(wanted, 5000):
        rows = connection.execute(
            select(texts.c.value, texts.c.id).where(among(connection, texts.c.value, chunk))
        )
        found.update({value: ident for value, ident in rows})
    missing = [value for value in wanted if value not in found]
    _insert_many(connection, texts, [{"value": value} for value in missing])
    for chunk in chunks(missing, 5000):
        rows = connection.execute(
            select(texts.c.value, texts.c.id).where(among(connection, texts.c.value, chunk))
        )
        found.update({value: ident for value, ident in rows})
    return found


def _ids_of_rules(connection: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    wanted = sorted(keys)
    pair = tuple_(rules.c.tool, rules.c.rule_id)
    for chunk in chunks(wanted, 300):
        rows = connection.execute(
            select(rules.c.tool, rules.c.rule_id, rules.c.id).where(pair.in_(chunk))
        )
        found.update({(tool, rule): ident for tool, rule, ident in rows})
    missing = [key for key in wanted if key not in found]
    for chunk in chunks(missing, 300):
        connection.execute(
            _insert(connection, rules).on_conflict_do_nothing(),
            [{"tool": tool, "rule_id": rule} for tool, rule in chunk],
        )
        rows = connection.execute(
            select(rules.c.tool, rules.c.rule_id, rules.c.id).where(pair.in_(chunk))
        )
        found.update({(tool, rule): ident for tool, rule, ident in rows})
    return found


def scanned(tools: dict[str, dict[str, str]], tool: str, target: str) -> bool:
    """Whether a pipeline's runs scanned this tool's target (so absence there means fixed)."""
    per_target = tools.get(tool)
    if not per_target:
        return False
    if per_target.get(target) == "ok" or per_target.get("") == "ok":
        return True
    return target == "" and "ok" in per_target.values()


@dataclass(slots=True)
class _Interval:
    ident: int
    finding_id: int
    first: int  # index in the ref's pipeline order
    last: int | None  # None: open (present in the ref's latest pipeline)


def _record(connection: Connection, info: PipelineInfo, run: PipelineRun) -> RecordOutcome:
    project_id = _id_of(connection, projects, {"name": info.project})
    ref_id = _id_of(connection, refs, {"project_id": project_id, "name": info.ref})
    if connection.dialect.name == "postgresql":
        # Recorders of one project and ref take turns (their intervals interleave); others
        # run side by side.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": schema.lock_key(info.project, info.ref)}
        )
    inserted = connection.execute(
        _insert(connection, pipelines)
        .values(
            project_id=project_id,
            ref_id=ref_id,
            pipeline=info.pipeline,
            commit_sha=info.commit,
            created=info.created,
            recorded=utc_now(),
            open_counts=json.dumps(run.open, sort_keys=True),
            tools=json.dumps(run.tools, sort_keys=True),
            versions=json.dumps(run.versions, sort_keys=True),
        )
        .on_conflict_do_nothing()
        .returning(pipelines.c.id)
    ).first()
    if inserted is None:
        return RecordOutcome(
            False,
            len(run.findings),
            f"pipeline {info.pipeline} of {info.project} is already recorded: nothing changed",
        )
    pipeline_id = int(inserted[0])

    # The ref's pipelines in order (created, then pipeline id), with what each scanned.
    order_rows = list(
        connection.execute(
            select(
                pipelines.c.id, pipelines.c.created, pipelines.c.pipeline, pipelines.c.tools
            ).where(pipelines.c.ref_id == ref_id)
        )
    )
    order_rows.sort(key=lambda row: (row.created, row.pipeline.zfill(20), row.pipeline))
    order = [row.id for row in order_rows]
    index_of = {ident: i for i, ident in enumerate(order)}
    scans = [json.loads(row.tools) for row in order_rows]
    here = index_of[pipeline_id]
    latest = len(order) - 1

    present = {summary.fingerprint: summary for summary in run.findings}
    finding_ids = _finding_ids(connection, project_id, ref_id, present)
    meta = {finding_ids[fp]: (s.tool, s.target) for fp, s in present.items()}
    present_ids = set(meta)

    open_rows = _open_intervals(connection, ref_id, index_of)
    by_finding: dict[int, list[_Interval]] = {}
    for interval in _present_intervals(
        connection, ref_id, present_ids, open_rows, index_of, appending=here == latest
    ):
        by_finding.setdefault(interval.finding_id, []).append(interval)
    others = [
        interval
        for interval in (
            *open_rows,
            *_closed_after(connection, ref_id, order[here + 1 :], index_of),
        )
        if interval.finding_id not in present_ids and interval.first < here
    ]
    _preload_meta(connection, meta, [interval.finding_id for interval in others])

    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    deletes: list[int] = []

    def stored(index: int | None) -> int | None:
        return None if index is None or index == latest else order[index]

    def is_scanned(finding_id: int, index: int) -> bool:
        tool, target = meta[finding_id]
        return scanned(scans[index], tool, target)

    def end(interval: _Interval) -> int:
        return latest if interval.last is None else interval.last

    def change(interval: _Interval, first: int, last: int | None) -> None:
        updates.append({"i": interval.ident, "f": order[first], "l": stored(last)})

    for finding_id in present_ids:
        own = by_finding.get(finding_id, [])
        if any(i.first <= here <= end(i) for i in own):
            continue
        before = [i for i in own if end(i) < here]
        after = [i for i in own if i.first > here]
        previous = max(before, key=end) if before else None
        following = min(after, key=lambda i: i.first) if after else None
        # Joined when no pipeline in between scanned the finding's target (all unknown).
        if previous is not None and any(
            is_scanned(finding_id, k) for k in range(end(previous) + 1, here)
        ):
            previous = None
        if following is not None and any(
            is_scanned(finding_id, k) for k in range(here + 1, following.first)
        ):
            following = None
        if previous is not None and following is not None:
            change(previous, previous.first, following.last)
            deletes.append(following.ident)
        elif previous is not None:
            change(previous, previous.first, here)
        elif following is not None:
            change(following, here, following.last)
        else:
            inserts.append(
                {
                    "finding_id": finding_id,
                    "ref_id": ref_id,
                    "first": pipeline_id,
                    "last": stored(here),
                }
            )

    # Findings absent here whose target was scanned: an interval over this pipeline is cut
    # (its ends stay pipelines where the finding was present).
    for interval in others:
        finding_id = interval.finding_id
        if not is_scanned(finding_id, here):
            continue
        left = max(
            k
            for k in range(interval.first, here)
            if k == interval.first or is_scanned(finding_id, k)
        )
        right = next(
            (k for k in range(here + 1, end(interval) + 1) if is_scanned(finding_id, k)), None
        )
        change(interval, interval.first, left)
        if right is not None:
            inserts.append(
                {
                    "finding_id": finding_id,
                    "ref_id": ref_id,
                    "first": order[right],
                    "last": stored(interval.last),
                }
            )

    if updates:
        connection.execute(
            intervals.update()
            .where(intervals.c.id == bindparam("i"))
            .values(first=bindparam("f"), last=bindparam("l")),
            updates,
        )
    for chunk in chunks(deletes):
        connection.execute(intervals.delete().where(among(connection, intervals.c.id, chunk)))
    if inserts:
        connection.execute(intervals.insert().returning(intervals.c.id), inserts).all()
    marked = [
        {"pipeline_id": pipeline_id, "finding_id": finding_ids[s.fingerprint], "state": s.mark}
        for s in run.findings
        if s.mark is not None
    ]
    if marked:
        connection.execute(marks.insert().returning(marks.c.pipeline_id), marked).all()
    return RecordOutcome(
        True,
        len(run.findings),
        f"recorded pipeline {info.pipeline} of {info.project} on {info.ref}: "
        f"{len(run.findings)} findings",
    )


def _finding_ids(
    connection: Connection, project_id: int, ref_id: int, present: dict[str, FindingSummary]
) -> dict[str, int]:
    """Each present fingerprint's row id, rows added for the ones never seen.  Most are
    present in the ref's newest pipeline too: those come in one query."""
    ids: dict[str, int] = {}
    still_open = connection.execute(
        select(findings.c.fingerprint, findings.c.id)
        .select_from(intervals.join(findings, intervals.c.finding_id == findings.c.id))
        .where(intervals.c.ref_id == ref_id, intervals.c.last.is_(None))
    )
    ids.update({fp: ident for fp, ident in still_open if fp in present})
    wanted = sorted(fp for fp in present if fp not in ids)
    ids.update(_fingerprint_ids(connection, project_id, wanted))
    missing = [present[fp] for fp in wanted if fp not in ids]
    if not missing:
        return ids
    text_ids = _ids_of_texts(
        connection,
        {s.title for s in missing} | {s.where for s in missing} | {s.target for s in missing},
    )
    rule_ids = _ids_of_rules(connection, {(s.tool, s.rule_id) for s in missing})
    rows = [
        {
            "project_id": project_id,
            "fingerprint": s.fingerprint,
            "rule": rule_ids[(s.tool, s.rule_id)],
            "kind": s.kind,
            "severity": s.severity,
            "title": text_ids[s.title],
            "place": text_ids[s.where],
            "target": text_ids[s.target],
        }
        for s in missing
    ]
    _insert_many(connection, findings, rows)
    ids.update(_fingerprint_ids(connection, project_id, [s.fingerprint for s in missing]))
    return ids


def _fingerprint_ids(
    connection: Connection, project_id: int, fingerprints: list[str]
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in chunks(fingerprints, 5000):
        rows = connection.execute(
            select(findings.c.fingerprint, findings.c.id).where(
                findings.c.project_id == project_id,
                among(connection, findings.c.fingerprint, chunk),
            )
        )
        ids.update({fp: ident for fp, ident in rows})
    return ids


def _preload_meta(
    connection: Connection, meta: dict[int, tuple[str, str]], finding_ids: list[int]
) -> None:
    """finding id -> (tool, target) for these findings, read from the database."""
    joined = findings.join(rules, findings.c.rule == rules.c.id).join(
        texts, findings.c.target == texts.c.id
    )
    for chunk in chunks(sorted({f for f in finding_ids if f not in meta})):
        rows = connection.execute(
            select(findings.c.id, rules.c.tool, texts.c.value)
            .select_from(joined)
            .where(among(connection, findings.c.id, chunk))
        )
        for ident, tool, target in rows:
            meta[ident] = (tool, target)


_COLUMNS = (intervals.c.id, intervals.c.finding_id, intervals.c.first, intervals.c.last)


def _interval(row: Any, index_of: dict[int, int]) -> _Interval:
    return _Interval(
        row.id,
        row.finding_id,
        index_of[row.first],
        None if row.last is None else index_of[row.last],
    )


def _open_intervals(
    connection: Connection, ref_id: int, index_of: dict[int, int]
) -> list[_Interval]:
    rows = connection.execute(
        select(*_COLUMNS).where(intervals.c.ref_id == ref_id, intervals.c.last.is_(None))
    )
    return [_interval(row, index_of) for row in rows]


def _closed_after(
    connection: Connection, ref_id: int, later: list[int], index_of: dict[int, int]
) -> list[_Interval]:
    """Closed intervals ending in one of the ``later`` pipelines."""
    found: list[_Interval] = []
    for chunk in chunks(later):
        rows = connection.execute(
            select(*_COLUMNS).where(
                intervals.c.ref_id == ref_id, among(connection, intervals.c.last, chunk)
            )
        )
        found.extend(_interval(row, index_of) for row in rows)
    return found


def _present_intervals(
    connection: Connection,
    ref_id: int,
    finding_ids: set[int],
    open_rows: list[_Interval],
    index_of: dict[int, int],
    *,
    appending: bool,
) -> list[_Interval]:
    """The intervals of the findings present in the pipeline being recorded.  Appending the
    newest pipeline, an open interval covers it, so only findings without one need the rest
    of theirs; most findings have one."""
    found = [interval for interval in open_rows if interval.finding_id in finding_ids]
    with_open = {interval.finding_id for interval in found}
    rest = sorted(finding_ids - with_open) if appending else sorted(finding_ids)
    if not appending:
        found = []
    for chunk in chunks(rest):
        rows = connection.execute(
            select(*_COLUMNS).where(
                intervals.c.ref_id == ref_id, among(connection, intervals.c.finding_id, chunk)
            )
        )
        found.extend(_interval(row, index_of) for row in rows)
    return found

"""The history database: one SQLAlchemy Core schema for SQLite and PostgreSQL, its versioned
migrations, and opening a database from a URL.

Migrations are numbered steps kept here, applied in order under a lock (SQLite's write lock,
a PostgreSQL advisory lock) by whichever command first finds the database behind; their
number is kept in the one-row table ``hardening_schema``.  A database written by a newer
hardening is refused.  (Alembic would bring Mako and a migration folder for a handful of
tables; see the README.)
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    any_,
    bindparam,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool

from hardening.history.source import HistoryError

DEFAULT_URL = "sqlite:///.hardening/history.db"
SCHEMA_VERSION = 1
#: PostgreSQL advisory lock key taken while the schema is created or migrated.
_SCHEMA_LOCK = 0x68617264  # "hard"
_SQLITE_BUSY_SECONDS = 60.0

metadata = MetaData()

schema_table = Table(
    "hardening_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(500), nullable=False, unique=True),
)

refs = Table(
    "refs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("name", String(500), nullable=False),
    UniqueConstraint("project_id", "name"),
)

#: Repeated texts (titles, paths, packages, targets), stored once.
texts = Table(
    "texts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", String(500), nullable=False, unique=True),
)

rules = Table(
    "rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tool", String(100), nullable=False),
    Column("rule_id", String(500), nullable=False),
    UniqueConstraint("tool", "rule_id"),
)

#: One row per fingerprint and project: the baseline's short summary.
findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("rule", Integer, ForeignKey("rules.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("title", Integer, ForeignKey("texts.id"), nullable=False),
    Column("place", Integer, ForeignKey("texts.id"), nullable=False),
    Column("target", Integer, ForeignKey("texts.id"), nullable=False),
    UniqueConstraint("project_id", "fingerprint"),
)

pipelines = Table(
    "pipelines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("ref_id", Integer, ForeignKey("refs.id"), nullable=False),
    Column("pipeline", String(100), nullable=False),
    Column("commit_sha", String(100), nullable=False),
    Column("created", String(32), nullable=False),
    Column("recorded", String(32), nullable=False),
    # JSON texts: open findings by severity, tool -> target -> status, tool -> version.
    Column("open_counts", Text, nullable=False),
    Column("tools", Text, nullable=False),
    Column("versions", Text, nullable=False),
    # A unique key, not a check-then-insert: the same pipeline recorded twice lands once.
    UniqueConstraint("project_id", "pipeline"),
    Index("pipelines_by_ref", "ref_id", "created"),
)

#: The pipelines (of one ref) a fingerprint was present in: from ``first`` to ``last``
#: (both pipelines where it was present), ``last`` NULL while it is still present in the
#: ref's latest pipeline.  Pipelines in between where its target was not scanned are unknown.
intervals = Table(
    "intervals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_id", Integer, ForeignKey("findings.id"), nullable=False),
    Column("ref_id", Integer, ForeignKey("refs.id"), nullable=False),
    Column("first", Integer, ForeignKey("pipelines.id"), nullable=False),
    Column("last", Integer, ForeignKey("pipelines.id"), nullable=True),
    Index("intervals_by_finding", "finding_id", "ref_id"),
    Index("intervals_by_ref", "ref_id", "last"),
)

#: Triage seen with a pipeline (accepted, false_positive, suppressed, expired): a row only for
#: the few findings that are not plainly open.
marks = Table(
    "marks",
    metadata,
    Column("pipeline_id", Integer, ForeignKey("pipelines.id"), primary_key=True),
    Column("finding_id", Integer, ForeignKey("findings.id"), primary_key=True),
    Column("state", String(20), nullable=False),
)


def _create_v1(connection: Connection) -> None:
    metadata.create_all(
        connection, tables=[t for t in metadata.sorted_tables if t is not schema_table]
    )


#: Step N takes a database at version N-1 to version N.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_v1}


# -- opening ----------------------------------------------------------------------------------


def engine_url(url: str) -> URL:
    """``url`` as SQLAlchemy takes it: PostgreSQL through psycopg 3 (not SQLAlchemy's psycopg2
    default), a SQLite file's folder created."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise HistoryError(
            f"{_safe(url)}: not a database URL (sqlite:///FILE or postgresql://...)"
        ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
            return parsed.set(drivername="postgresql+psycopg")
        raise HistoryError(
            f"{parsed.drivername}: use postgresql:// (hardening talks to PostgreSQL through "
            "psycopg 3)"
        )
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return parsed
    raise HistoryError(f"{_safe(url)}: the history database is sqlite:///FILE or postgresql://...")


def _safe(url: str) -> str:
    """A URL fit for a message: no password."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def describe(url: URL) -> str:
    """Where a database is, for messages: host and database, never the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"PostgreSQL at {host}{port}/{url.database or ''}"


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``. A reader passes ``create=False``: a SQLite file that does not
    exist is then a ``HistoryError``, not a new empty database left behind (a mistyped path
    would otherwise create one and report "nothing recorded")."""
    parsed = engine_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not create and database not in ("", ":memory:") and not Path(database).is_file():
            raise HistoryError(
                f"no history database at {database}: record a pipeline first "
                "(hardening history record)"
            )
        engine = create_engine(
            parsed,
            poolclass=NullPool,
            connect_args={"timeout": _SQLITE_BUSY_SECONDS, "isolation_level": None},
        )

        @event.listens_for(engine, "begin")
        def _immediate(connection: Connection) -> None:
            # Take the write lock at the start: a concurrent recorder waits (busy timeout)
            # instead of failing when it upgrades a read lock.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    try:
        return create_engine(parsed, poolclass=NullPool, connect_args={"connect_timeout": 10})
    except NoSuchModuleError:
        raise HistoryError(
            "PostgreSQL needs psycopg 3: pip install 'hardening[postgres]'"
        ) from None
    except ImportError:
        raise HistoryError(
            "PostgreSQL needs psycopg 3: pip install 'hardening[postgres]'"
        ) from None


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _reason(exc: DBAPIError, url: URL) -> str:
    """The driver's reason in a few words, without anything of the URL's password."""
    original = str(exc.orig).strip().splitlines()
    line = original[-1] if original else type(exc.orig).__name__
    for first in original:
        if "failed:" in first:
            line = first.rsplit("failed:", 1)[1].strip()
            break
    if url.password:
        line = line.replace(str(url.password), "***")
    return line[:200]


class DatabaseBusy(HistoryError):
    """The database stayed locked past the busy timeout, or PostgreSQL chose this transaction
    to break a deadlock: worth another try."""


def _busy(exc: DBAPIError) -> bool:
    text_of = str(exc.orig).lower()
    return "database is locked" in text_of or "deadlock detected" in text_of


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction; a database that cannot be reached or is locked too long is a
    HistoryError naming where it is (never the password)."""
    try:
        with engine.begin() as connection:
            yield connection
    except OperationalError as exc:
        error = DatabaseBusy if _busy(exc) else HistoryError
        raise error(
            f"cannot use the history database ({describe(engine.url)}): {_reason(exc, engine.url)}"
        ) from None


def lock_key(*parts: str) -> int:
    """A signed 64-bit PostgreSQL advisory lock key for these names."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the schema (under a lock), or refuse a newer one."""
    with transaction(engine) as connection:
        version = _current_version(connection)
        if version == SCHEMA_VERSION:
            return
    for attempt in range(5):
        try:
            with transaction(engine) as connection:
                if is_postgres(engine):
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK}
                    )
                _migrate(connection)
            return
        except DBAPIError:
            # PostgreSQL: a concurrent CREATE of the same table can still collide before the
            # lock is seen by the catalog; try again after a moment.
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def _current_version(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, schema_table.name):
        return 0
    found = connection.execute(select(schema_table.c.version)).scalar()
    return int(found or 0)


def _migrate(connection: Connection) -> None:
    schema_table.create(connection, checkfirst=True)
    version = _current_version(connection)
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the history database is at schema version {version}, written by a newer "
            f"hardening (this one knows {SCHEMA_VERSION}); upgrade hardening"
        )
    while version < SCHEMA_VERSION:
        MIGRATIONS[version + 1](connection)
        version += 1
    if connection.execute(select(schema_table.c.id)).first() is None:
        connection.execute(schema_table.insert().values(id=1, version=version))
    else:
        connection.execute(schema_table.update().values(version=version))


def among(connection: Connection, column: Any, values: list[Any]) -> Any:
    """``column IN values``: on PostgreSQL as ``= ANY(array)``, one parameter however many
    values (an IN list of hundreds of parameters is slow there)."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

"""Real databases for the history tests: SQLite files, and one throwaway PostgreSQL 15
cluster for the whole run (``initdb`` and ``pg_ctl`` in a temporary folder on a free port, as
the ``postgres`` user when running as root).  Each test gets a database of its own.

Without the server programs the PostgreSQL tests skip, except under
``HARDENING_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), where that is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

POSTGRES_PROGRAMS = ("initdb", "pg_ctl", "postgres")
_counter = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresCluster:
    port: int
    folder: Path
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"history_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} password={PASSWORD} dbname=postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def dump(self, url: str) -> str:
        """pg_dump of one database, as text."""
        database = url.rsplit("/", 1)[1]
        result = subprocess.run(
            ["pg_dump", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, database],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PGPASSWORD": PASSWORD},
            timeout=60,
        )
        return result.stdout


PASSWORD = "Hist0ry-Pg-Passw0rd-5d1e"


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    missing = [name for name in POSTGRES_PROGRAMS if shutil.which(name) is None]
    if missing:
        reason = f"PostgreSQL server programs not found ({', '.join(missing)})"
        if os.environ.get("HARDENING_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}; HARDENING_REQUIRE_POSTGRES=1 requires them")
        pytest.skip(reason)
    # Not under pytest's own temporary folder: that one is private to root, and the server
    # runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="hardening-pg-"))
    data = folder / "data"
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(password_file, "postgres", "postgres")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user(
            [
                "initdb",
                "-D",
                str(data),
                "-U",
                user,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    )
    subprocess.run(
        _as_server_user(
            ["pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield PostgresCluster(port=port, folder=folder, user=user)
    finally:
        subprocess.run(
            _as_server_user(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty history database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


@pytest.fixture
def pg_url(postgres: PostgresCluster) -> str:
    return postgres.create_database()

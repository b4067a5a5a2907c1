"""A real PostgreSQL server on 127.0.0.1 for a test: Debian's `postgresql` package, a throwaway
cluster (initdb) in a temporary directory, started and stopped with pg_ctl.

PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user that the
package creates and its commands run through `runuser -u postgres`. The cluster trusts
connections from loopback only (`-A trust`, listening on 127.0.0.1 and a socket in its own
directory), so no password is needed and nothing is reachable from outside.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "bgfunds"


def postgres_bin() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, else the newest Debian install."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(candidates[-1]).parent if candidates else None


def missing_reason() -> str | None:
    """Why no server can be started here (None: it can)."""
    if postgres_bin() is None:
        return "PostgreSQL is not installed (Debian package postgresql; .ci/run installs it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and runuser (util-linux) is missing"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    directory: Path
    port: int
    bindir: Path

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)

    def start(self) -> PostgresServer:
        self._run(
            "initdb",
            "-D",
            str(self.directory / "data"),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.directory / "data"),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off",
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def create_database(self, name: str) -> None:
        import psycopg2

        con = psycopg2.connect(self.dsn)
        con.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()

    def query(self, dbname: str, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg2

        con = psycopg2.connect(self.dsn.replace("dbname=postgres", f"dbname={dbname}"))
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            con.close()


def start_postgres() -> PostgresServer:
    """A fresh cluster on a free loopback port. The directory is outside pytest's tmp_path
    (which root keeps private) so that the `postgres` user can write it."""
    directory = Path(tempfile.mkdtemp(prefix="bgfunds-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(directory, free_port(), postgres_bin())
    try:
        return server.start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise

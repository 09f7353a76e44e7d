"""A throwaway PostgreSQL server for the tests: its own cluster on a private socket directory."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PORT = 5432  # no TCP listener: the socket lives in a private directory, so the number cannot clash


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


@dataclass
class PgServer:
    root: Path
    bindir: Path

    @property
    def socket_dir(self) -> str:
        return str(self.root)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://chairside@/{database}?host={self.root}&port={PORT}"

    def admin_connection(self):
        import psycopg

        return psycopg.connect(
            host=str(self.root), port=PORT, user="chairside", dbname="postgres", autocommit=True
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.admin_connection() as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)

    def stop(self) -> None:
        _run(
            self,
            [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"],
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _run(server: PgServer, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    # initdb and pg_ctl refuse to run as root: run them as the postgres OS user instead.
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        log = server.root / "server.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"{argv[-1]} failed: {result.stderr.strip()}\n{tail}")
    return result


def start() -> PgServer:
    server = PgServer(Path(tempfile.mkdtemp(prefix="chairside-pg-")), _bindir())
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(server.root, postgres.pw_uid, postgres.pw_gid)
    data = server.root / "data"
    _run(
        server,
        [
            str(server.bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "chairside",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ],
    )
    options = f"-k {server.root} -p {PORT} -c listen_addresses='' -c fsync=off -c max_connections=60"
    _run(
        server,
        [
            str(server.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(server.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
    )
    return server

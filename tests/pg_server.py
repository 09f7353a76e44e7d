"""A throwaway PostgreSQL server for the tests: one cluster per test run, on a private socket folder.

The server programs are the system's (Debian's `postgresql` package, or `initdb` on PATH) when it
has them, else those of the pinned `pgserver` package, which ships PostgreSQL in its wheel; so the
PostgreSQL half of the suite runs on a machine that has only Python. `CHAIRSIDE_TEST_POSTGRES=bundled`
takes the packaged ones even where the system has its own.

The process that owns the run (pytest's controller) stops the server at the end, and on SIGTERM;
a server left by a run that was killed outright is found by its dead owner and stopped by the next.
"""

import glob
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

PORT = 5432  # no TCP listener: the socket lives in a private folder, so the number cannot clash
RUN_PREFIX = "chairside-tests-"  # a test run's folder in the temporary directory
OWNER = "owner.pid"  # in a run's folder: the process that stops its server


def _system_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _packaged_bindir() -> Path | None:
    spec = importlib.util.find_spec("pgserver")  # found, not imported: only its programs are used
    if spec is None or not spec.submodule_search_locations:
        return None
    bindir = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    return bindir if (bindir / "initdb").exists() else None


def bindir() -> Path:
    """Where initdb, pg_ctl, pg_dump and psql are."""
    system = None if os.environ.get("CHAIRSIDE_TEST_POSTGRES") == "bundled" else _system_bindir()
    found = system or _packaged_bindir()
    if found is None:
        raise RuntimeError(
            "no PostgreSQL server programs: install PostgreSQL (e.g. Debian's postgresql package), "
            "or use a Python for which the pinned pgserver package has a wheel (3.11 or 3.12)"
        )
    return found


def _server_user() -> str | None:
    """initdb and pg_ctl refuse to run as root: as root, they run as `postgres` (or `nobody`)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, with neither a `postgres` nor a `nobody` account to run PostgreSQL")


@dataclass
class PgServer:
    root: Path
    bindir: Path
    template: str = "chairside_template"  # a migrated clinic that each test's database copies

    @property
    def socket_dir(self) -> str:
        return str(self.root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://chairside@/{database}?host={self.root}&port={PORT}"

    def admin_connection(self) -> "psycopg.Connection[TupleRow]":
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
        if self.data.exists():
            pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.data)]
            _run(self, [*pg_ctl, "-m", "immediate", "-w", "stop"], check=False)


def _as_server_user(argv: list[str]) -> list[str]:
    """`argv` run as the server's account when this is root (runuser lives in sbin, often off PATH)."""
    user = _server_user()
    if user is None:
        return argv
    runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if runuser is None:
        raise RuntimeError("running as root without `runuser` to run PostgreSQL as another account")
    return [runuser, "-u", user, "--", *argv]


def _run(server: PgServer, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = _as_server_user(argv)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        log = server.root / "server.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"{argv[-1]} failed: {result.stderr.strip()}\n{tail}")
    return result


def _readable_by_all(path: Path) -> None:
    """Readable by everyone, and runnable by everyone if its owner may run it: an installation made
    under umask 077 leaves its files to root alone."""
    if path.is_symlink():
        return
    mode = path.stat().st_mode
    path.chmod(mode | 0o444 | (0o111 if mode & 0o100 else 0))


def _runnable_bindir(found: Path, root: Path) -> Path:
    """The programs where the server's account can run them: a copy in `root` if it cannot reach them
    where they are (a project inside a folder only root may enter, say). The packaged programs find
    their libraries by a path relative to themselves (`pgserver.libs` beside the package), so the
    copy keeps that layout."""
    reachable = subprocess.run(_as_server_user(["test", "-x", str(found / "postgres")])).returncode == 0
    if _server_user() is None or reachable:
        return found
    install = found.parent  # .../pgserver/pginstall, or a system installation's folder
    copy = root / "programs" / install.parent.name / install.name
    shutil.copytree(install, copy, symlinks=True)
    libraries = install.parent.parent / f"{install.parent.name}.libs"
    if libraries.is_dir():
        shutil.copytree(libraries, root / "programs" / libraries.name, symlinks=True)
    for folder, _, files in os.walk(root / "programs"):
        os.chmod(folder, 0o755)
        for name in files:
            _readable_by_all(Path(folder) / name)
    ran = subprocess.run(
        _as_server_user([str(copy / "bin" / "initdb"), "--version"]), capture_output=True, text=True
    )
    if ran.returncode != 0:
        copied = sorted(str(path.relative_to(root)) for path in (root / "programs").glob("*"))
        raise RuntimeError(f"the copied server programs do not run ({ran.stderr.strip()}); copied: {copied}")
    return copy / "bin"


def server_folder(root: Path) -> None:
    """The folder `root` (made here) belongs to the server's account, and no one else enters it."""
    root.mkdir(mode=0o700)
    user = _server_user()
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(root, account.pw_uid, account.pw_gid)


def start(root: Path) -> PgServer:
    """A new cluster in the folder `root` (made here), started and listening on its socket."""
    server_folder(root)
    server = PgServer(root, _runnable_bindir(bindir(), root))
    initdb = [str(server.bindir / "initdb"), "-D", str(server.data), "-U", "chairside", "--auth=trust"]
    _run(server, [*initdb, "-E", "UTF8", "--no-sync", "--no-instructions"])
    options = f"-k {root} -p {PORT} -c listen_addresses='' -c fsync=off -c max_connections=200"
    pg_ctl = [str(server.bindir / "pg_ctl"), "-D", str(server.data), "-o", options]
    _run(server, [*pg_ctl, "-l", str(root / "server.log"), "-w", "-t", "60", "start"])
    return server


def attach(root: Path) -> PgServer:
    """The server another process of this run started in `root`."""
    copied = next((root / "programs").glob("*/*/bin"), None) if (root / "programs").exists() else None
    return PgServer(root, copied or bindir())


def new_run_folder() -> Path:
    """A folder for this test run's shared files and server, owned by this process."""
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    folder.chmod(0o755)  # the server's account reaches its own folder inside
    (folder / OWNER).write_text(str(os.getpid()))
    return folder


def end_run(folder: Path) -> None:
    """Stop the run's server, if one was started, and remove everything the run left."""
    server_root = folder / "pg"
    if server_root.exists():
        attach(server_root).stop()
    shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_stale_runs() -> list[Path]:
    """End every earlier run whose owner is gone (killed before it could stop its server)."""
    ended = []
    for folder in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*"):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            end_run(folder)
            ended.append(folder)
    return ended


def interrupt_on_sigterm() -> None:
    """SIGTERM (a CI timeout, `kill`) ends the run as Ctrl+C does: the server is stopped on the way out."""

    def interrupted(signum: int, frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)

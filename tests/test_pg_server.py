"""The tests' own PostgreSQL server: found on any machine, and never left running by a run that ends,
fails, is interrupted or is killed."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests import pg_server

ROOT = Path(__file__).resolve().parent.parent


def _postgres_running_in(folder: Path) -> bool:
    found = subprocess.run(["pgrep", "-f", f"postgres -D {folder}"], capture_output=True, text=True)
    return bool(found.stdout.strip())


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="the pinned pgserver has wheels up to Python 3.12")
def test_the_packaged_server_programs_are_used_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAIRSIDE_TEST_POSTGRES", "bundled")
    assert "pgserver" in str(pg_server.bindir())
    assert (pg_server.bindir() / "pg_dump").exists() and (pg_server.bindir() / "psql").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another account")
def test_programs_the_server_account_cannot_reach_are_copied_with_their_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project in a folder only root may enter (pytest's own temporary folders are such), installed
    under a umask that leaves its files to their owner alone."""
    monkeypatch.setenv("CHAIRSIDE_TEST_POSTGRES", "bundled")
    packaged = pg_server.bindir()
    site = tmp_path / "locked" / "site-packages"
    shutil.copytree(packaged.parent, site / "pgserver" / "pginstall", symlinks=True)
    shutil.copytree(packaged.parent.parent.parent / "pgserver.libs", site / "pgserver.libs")
    for path in site.rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & 0o700)
    (tmp_path / "locked").chmod(0o700)
    folder = pg_server.new_run_folder()
    try:
        pg_server.server_folder(folder / "pg")
        runnable = pg_server._runnable_bindir(site / "pgserver" / "pginstall" / "bin", folder / "pg")
        assert runnable.is_relative_to(folder)
        ran = subprocess.run(pg_server._as_server_user([str(runnable / "pg_ctl"), "--version"]))
        assert ran.returncode == 0
    finally:
        pg_server.end_run(folder)


def test_a_server_left_by_a_killed_run_is_stopped_by_the_next() -> None:
    folder = pg_server.new_run_folder()
    server = pg_server.start(folder / "pg")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / pg_server.OWNER).write_text(str(dead.pid))  # its owner was killed outright
    assert _postgres_running_in(server.data)
    assert folder in pg_server.stop_stale_runs()
    assert not _postgres_running_in(server.data) and not folder.exists()


def test_a_run_of_a_live_owner_is_left_alone() -> None:
    folder = pg_server.new_run_folder()
    try:
        assert folder not in pg_server.stop_stale_runs()
        assert folder.exists()
    finally:
        pg_server.end_run(folder)


@pytest.mark.slow
def test_sigterm_ends_a_test_run_and_stops_its_server(tmp_path: Path) -> None:
    """A CI time-out or `kill` sends SIGTERM: the run ends as with Ctrl+C, its server stopped."""
    waiting = tmp_path / "test_waits.py"
    waiting.write_text("import time\n\ndef test_waits(postgres):\n    time.sleep(300)\n")
    runs = Path(tempfile.gettempdir())
    before = set(runs.glob(f"{pg_server.RUN_PREFIX}*"))
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            str(waiting),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, folder = time.monotonic() + 120, None
        while time.monotonic() < deadline and folder is None:
            started = [f for f in runs.glob(f"{pg_server.RUN_PREFIX}*") if f not in before]
            folder = next((f for f in started if (f / "pg.ready").exists()), None)
            time.sleep(0.2)
        assert folder is not None, "the run never started its server"
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode != 0 and "KeyboardInterrupt" in output, output
    assert not folder.exists() and not _postgres_running_in(folder / "pg" / "data")

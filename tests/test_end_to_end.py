"""The installed `chairside` command in a real terminal (tmux), used the way a nurse would."""

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from console.database import Database, sqlite_url
from console.models import AuditEvent

CHAIRSIDE = str(Path(sys.executable).with_name("chairside"))


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "nurse")

    def type(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "nurse", *keys)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")


@pytest.fixture
def terminal(tmp_path):
    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is required for the end-to-end test")
    term = Terminal(f"chairside-e2e-{tmp_path.name}")
    yield term
    subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True)


def test_nurse_signs_in_sees_today_and_quits(tmp_path, terminal):
    db_path = tmp_path / "clinic.sqlite3"
    env = f"HOME={tmp_path} CHAIRSIDE_CONFIG={tmp_path / 'none.toml'} TERM=xterm-256color"
    build = subprocess.run(
        [CHAIRSIDE, "demo", "--db", str(db_path), "--years", "0.05"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    command = f"env {env} {shlex.quote(CHAIRSIDE)} --db {shlex.quote(str(db_path))}; echo EXITED $?; sleep 30"
    terminal.tmux("new-session", "-d", "-s", "nurse", "-x", "100", "-y", "30", command)
    terminal.wait_for("Username")
    terminal.type("nurse", "Enter", "demo-nurse-pass", "Enter")  # as fast as a badge scanner
    screen = terminal.wait_for("Scheduled")
    assert "Nina Alvarez, RN" in screen and "Time" in screen and "Chair" in screen
    terminal.type("C-q")
    terminal.wait_for("EXITED 0")
    db = Database(sqlite_url(db_path))
    with db.read() as session:
        logins = session.exec(select(AuditEvent.actor).where(AuditEvent.action == "login")).all()
    assert logins == ["nurse"]

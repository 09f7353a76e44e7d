"""A real terminal for the end-to-end tests: a tmux server of their own, typed into and read."""

import os
import shutil
import subprocess
import time

import pytest


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.session = "nurse"  # the tmux session typed into and read

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def type(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

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
    term = Terminal(f"chairside-e2e-{os.getpid()}-{tmp_path.name}")  # xdist workers share tmp names
    yield term
    subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True)

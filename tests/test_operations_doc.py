"""docs/operations.md, run: every command of its `sh` blocks, in order, typed into a real terminal
from a new account's home folder, answering each password prompt as a person would.

The PostgreSQL sections run against the tests' own server, found through libpq's PGHOST/PGPORT as
the document says. The SSH section's `ssh` is a stand-in that runs the remote command on this
machine, in the same terminal: the clinic's server is this machine, its account's folder the
installation's.
"""

import os
import re
import shlex
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.pg_server import PgServer
from tests.terminal import Terminal

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
PASSWORDS = {"admin": "admin password 1", "nina": "nina password 1", "priya": "priya password 1"}
# A password prompt, as click writes it: "Password for nina: ", "Password of administrator admin: ".
PROMPT = re.compile(
    r"^(Password (?:for|of administrator) (\w+)|Repeat for confirmation|Printed name of .*): *$"
)
SSH_STAND_IN = """#!/bin/sh
# ssh -t ACCOUNT@SERVER COMMAND...: the server is this machine; run COMMAND here, in this terminal.
while [ "$#" -gt 0 ]; do
    case "$1" in -t) shift ;; *@*) shift; break ;; *) break ;; esac
done
exec "$@"
"""


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def _schedule(path: Path) -> None:
    """What the scheduling system exports: three bookings the day after tomorrow."""
    day = date.today() + timedelta(days=2)
    path.parent.mkdir(parents=True)
    path.write_text(
        "date,time,chair,mrn,name,date_of_birth,method\n"
        f'{day},08:30,1,MRN-1001,"Doe, Jane",1970-05-17,IV\n'
        f'{day},09:00,2,MRN-1002,"Okoro, Ada",1982-02-03,nasal\n'
        f'{day},10:15,3,MRN-1003,"Byrne, Liam",1990-12-24,IV\n'
    )


class Shell:
    """One bash in the terminal, as the clinic's account; each block typed into it in turn."""

    def __init__(self, terminal: Terminal, home: Path) -> None:
        self.terminal, self.home = terminal, home
        self.boards_seen: list[int] = []  # the blocks whose console was signed in to, showed the board, quit

    def run(self, number: int, block: str, timeout: float = 240) -> str:
        step = self.home / ".steps" / f"{number}.sh"
        step.parent.mkdir(exist_ok=True)
        step.write_text(block)
        self.terminal.type("clear", "Enter")
        time.sleep(0.2)
        self.terminal.clear_history()
        self.terminal.type(f"source {shlex.quote(str(step))}; echo ::done {number} $?", "Enter")
        answered, signed_in, deadline, last = 0, False, time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            screen = self.terminal.transcript()
            done = re.search(rf"^::done {number} (\d+)$", screen, re.M)
            if done:
                failed = [line for line in screen.splitlines() if line.startswith("::failed")]
                assert done.group(1) == "0" and not failed, f"block {number} failed:\n{block}\n{screen}"
                return screen
            lines = [line for line in screen.splitlines() if line.strip()]
            matched = [PROMPT.match(line.strip()) for line in lines]
            prompts = [match for match in matched if match]
            if len(prompts) > answered and lines and PROMPT.match(lines[-1].strip()):
                prompt = prompts[answered]
                if prompt.group(1).startswith("Printed name"):
                    self.terminal.type("Enter")
                else:
                    if prompt.group(2):
                        last = PASSWORDS[prompt.group(2)]
                    self.terminal.type(last, "Enter")
                answered += 1
                continue
            visible = self.terminal.screen()  # a console's screen, without the shell's history
            if "Username" in visible and "Password" in visible and not signed_in:
                user, password = (
                    ("nurse", "demo-nurse-pass") if "--demo" in block else ("nina", PASSWORDS["nina"])
                )
                self.terminal.type(user, "Enter", password, "Enter")
                signed_in = True
            elif signed_in and "Nina Alvarez, RN" in visible and "Username" not in visible:
                self.terminal.type("C-q")  # the board is up: the console works; quit
                signed_in = False
                self.boards_seen.append(number)
            time.sleep(0.2)
        raise AssertionError(f"block {number} did not finish:\n{block}\n{self.terminal.screen()}")


def test_every_command_of_the_operations_guide_runs_as_written(
    tmp_path: Path, terminal: Terminal, postgres: PgServer
) -> None:
    blocks = sh_blocks(DOC.read_text())
    assert len(blocks) >= 15  # the guide's blocks were found
    home = tmp_path / "home"
    home.mkdir()
    _schedule(home / "incoming" / "schedule.csv")
    (home / "bin").mkdir()
    (home / "bin" / "ssh").write_text(SSH_STAND_IN)
    (home / "bin" / "ssh").chmod(0o700)
    env = {
        "HOME": str(home),
        "PATH": f"{home / 'bin'}:{os.environ['PATH']}",
        "TERM": "xterm-256color",
        "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),  # not this machine's own system-wide settings
        "PGHOST": postgres.socket_dir,
        "PGPORT": "5432",
        "PGUSER": "chairside",  # the server's superuser, for the commands the guide runs as one
    }
    command = (
        "env -i " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " bash --norc --noprofile"
    )
    terminal.open(command, width=120, height=40, cwd=str(ROOT))
    terminal.type("trap 'echo ::failed $? $BASH_COMMAND' ERR", "Enter")
    shell = Shell(terminal, home)
    said = [shell.run(number, block) for number, block in enumerate(blocks)]
    joined = "\n".join(said)
    consoles = [
        number
        for number, block in enumerate(blocks)
        if re.search(r"\.venv/bin/chairside( --demo)?$", block, re.M)
    ]
    assert shell.boards_seen == consoles and len(consoles) == 4  # on SQLite, the demo, PostgreSQL, over SSH
    for expected in (
        "Created the clinic",
        "The clinic's protocol is now lakeside-2026.12",
        "Imported 3 session(s)",
        "audit chain intact",
        "No error has been logged by this account",
    ):
        assert expected in joined, expected

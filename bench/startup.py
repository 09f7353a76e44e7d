"""Start-up and entry latency of the console on the five-year demo clinic, one JSON line each.

    .venv/bin/python bench/startup.py [--db FIVE_YEAR.sqlite3] [--runs 5]

1. start-up through the command: the real `chairside --db ...` in a real terminal (tmux), from
   launching it until the sign-in screen is on the terminal, taken in turn with a minimal Textual
   app showing one line the same way (the reference); medians of N runs of each.
2. start-up inside the process: from launching until the first frame, and until the board shows
   today's patients after sign-in (best of N), against the minimal app measured the same way.
3. vitals entry: from Enter on a typed vitals line until the flowsheet shows it (p50/p95).
4. a busy day: reloading and redrawing a board of 150 sessions (p50/p95).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import build_five_year_clinic, percentiles

ROOT = Path(__file__).resolve().parent.parent
MINIMAL_APP = """
import time, sys
from textual.app import App
from textual.widgets import Static
class One(App):
    def compose(self):
        yield Static("ready")
    def on_ready(self):
        print("first_frame", time.perf_counter() - START, flush=True)
        self.exit()
START = float(sys.argv[1])
One().run(headless=True)
"""
CHAIRSIDE_PROBE = """
import sys, time
START = float(sys.argv[2])
from app import ChairsideApp, _clinic_opened  # the entry point's own imports
from console.cli import Context

class Probe(ChairsideApp):
    def on_ready(self):
        print("first_frame", time.perf_counter() - START, flush=True)
        self.set_interval(0.005, self._sign_in_when_open)

    def _sign_in_when_open(self):
        if self.connected and self.clinic is None:
            from console.clinic.users import authenticate

            self.signed_in(authenticate(self.db, "nurse", "demo-nurse-pass"))
            self.set_interval(0.005, self._board_shown)
    def _board_shown(self):
        from widgets.today import TodayScreen

        screen = self.screen
        if isinstance(screen, TodayScreen) and screen.query_one("#board").row_count:
            print("board", time.perf_counter() - START, flush=True)
            self.exit()

context = Context(db_path=__import__("pathlib").Path(sys.argv[1]), config=None, demo=False, open_console=None)
Probe(connect=lambda: _clinic_opened(context)).run(headless=True)  # as open_console does
"""


MINIMAL_TERMINAL_APP = """
from textual.app import App
from textual.widgets import Static
class One(App):
    def compose(self):
        yield Static("ready")
One().run()
"""


def on_terminal(tmux: list[str], command: list[str], shows: str, home: Path) -> float:
    """Seconds from launching `command` in a fresh tmux window until `shows` is on its screen."""
    env = ["env", f"HOME={home}", "TERM=xterm-256color"]
    started = time.perf_counter()
    launch = [*tmux, "new-session", "-d", "-s", "measured", "-x", "120", "-y", "40", *env, *command]
    subprocess.run(launch, check=True)
    try:
        while True:
            capture = [*tmux, "capture-pane", "-p", "-t", "measured"]
            screen = subprocess.run(capture, capture_output=True, text=True).stdout
            if shows in screen:
                return time.perf_counter() - started
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{command[0]} never showed {shows!r}:\n{screen}")
            time.sleep(0.002)
    finally:
        subprocess.run([*tmux, "kill-session", "-t", "measured"], capture_output=True)


def through_the_command(db: Path, runs: int) -> dict:
    """The installed `chairside` and the minimal app, each launched in a terminal, in turn."""
    chairside = str(Path(sys.executable).with_name("chairside"))
    ours, reference = [], []
    tmux = ["tmux", "-L", f"chairside-bench-{os.getpid()}-{time.monotonic_ns()}"]  # a server of our own
    subprocess.run([*tmux, "new-session", "-d", "-s", "keeper", "sleep", "3600"], check=True)  # kept up
    try:
        with tempfile.TemporaryDirectory() as home:
            minimal = [sys.executable, "-c", MINIMAL_TERMINAL_APP]
            for _ in range(runs):
                reference.append(on_terminal(tmux, minimal, "ready", Path(home)))
                ours.append(on_terminal(tmux, [chairside, "--db", str(db)], "Username", Path(home)))
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    first, ref = statistics.median(ours), statistics.median(reference)
    return {
        "bench": "startup_through_the_command",
        "runs": runs,
        "reference_minimal_textual_s": round(ref, 3),
        "chairside_sign_in_screen_s": round(first, 3),
        "ratio": round(first / ref, 2),
    }


def timed(code: str, *args: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints 'name seconds' lines measured from our launch."""
    started = time.perf_counter()
    argv = [sys.executable, "-c", code, *args, str(started)]
    out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    figures = {}
    for line in out.splitlines():
        name, _, seconds = line.rpartition(" ")
        figures[name or "first_frame"] = float(seconds)
    return figures


def startup(db: Path, runs: int) -> dict:
    reference = min(timed(MINIMAL_APP)["first_frame"] for _ in range(runs))
    probes = [timed(CHAIRSIDE_PROBE, str(db)) for _ in range(runs)]
    first = min(p["first_frame"] for p in probes)
    board = min(p["board"] for p in probes)
    return {
        "bench": "startup",
        "runs": runs,
        "reference_minimal_textual_s": round(reference, 3),
        "chairside_first_screen_s": round(first, 3),
        "chairside_board_after_sign_in_s": round(board, 3),
        "ratio_first_screen": round(first / reference, 2),
        "ratio_board": round(board / reference, 2),
    }


async def _vitals_latency(db_path: Path, samples: int) -> dict:
    """Enter on a vitals line until the flowsheet shows the stored reading, timed inside the app."""
    import shutil
    from datetime import UTC, datetime
    from unittest.mock import patch
    from zoneinfo import ZoneInfo

    from textual.widgets import DataTable

    from app import ChairsideApp
    from console.chair import sessions
    from console.chair.board import day_sessions
    from console.chair.session_view import SessionView
    from console.clinic.settings import Settings
    from console.domain.actors import Actor
    from console.domain.clock import FixedClock
    from console.domain.vocab import Role, SessionStatus
    from console.store.database import Database, sqlite_url
    from widgets.context import Clinic
    from widgets.session import SessionScreen
    from widgets.session.flowsheet import Flowsheet

    copy = Path(tempfile.mkdtemp()) / "clinic.sqlite3"
    shutil.copy(db_path, copy)  # the benchmark records readings: never into the caller's clinic
    clock = FixedClock(datetime.now(UTC))
    db = Database(sqlite_url(copy), clock)
    row = next(r for r in day_sessions(db, clock.now().date()) if r.status == SessionStatus.SCHEDULED)
    nurse = Actor("nurse", Role.NURSE, 1, "Nina")
    sessions.check_in(db, nurse, row.session_id, row.version)
    app = ChairsideApp(db, Settings())
    clinic = Clinic.signed_in(db, Settings(), nurse)
    marks: dict[str, float] = {}
    original_enter, original_flowsheet = SessionScreen.action_enter, Flowsheet.show

    def enter(screen: SessionScreen) -> None:
        marks["enter"] = time.perf_counter()
        original_enter(screen)

    def flowsheet(widget: Flowsheet, view: SessionView, zone: ZoneInfo) -> None:
        original_flowsheet(widget, view, zone)
        marks["shown"] = time.perf_counter()

    patch.object(SessionScreen, "action_enter", enter).start()  # for the rest of the run
    patch.object(Flowsheet, "show", flowsheet).start()
    timings = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(SessionScreen(clinic, row.session_id))
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("f5")
        table = app.screen.query_one("#flowsheet", DataTable)
        for index in range(samples):
            clock.advance(minutes=1)
            await pilot.press(*f"{120 + index % 40}/80 72 98 14 5")
            before = table.row_count
            await pilot.press("enter")
            while table.row_count == before:
                await pilot.pause(0.001)
            timings.append((marks["shown"] - marks["enter"]) * 1000)
    db.dispose()
    shutil.rmtree(copy.parent)
    return {"bench": "vitals_entry", "samples": samples, **percentiles(timings)}


async def _busy_day(db_path: Path, sessions_per_day: int, refreshes: int) -> dict:
    """A day with many sessions: time to reload and redraw the board (refresh every 2 s), p95."""
    import shutil
    from datetime import UTC, datetime, timedelta
    from datetime import time as clock_time

    from sqlmodel import col, select
    from textual.widgets import DataTable

    from app import ChairsideApp
    from console.chair import sessions
    from console.clinic.settings import Settings
    from console.domain.actors import Actor
    from console.domain.clock import FixedClock
    from console.domain.vocab import Role
    from console.store.database import Database, sqlite_url
    from console.store.models import Patient
    from widgets.context import Clinic
    from widgets.today import TodayScreen

    copy = Path(tempfile.mkdtemp()) / "clinic.sqlite3"
    shutil.copy(db_path, copy)
    clock = FixedClock(datetime.now(UTC) + timedelta(days=1))
    db = Database(sqlite_url(copy), clock)
    nurse = Actor("nurse", Role.NURSE, 1, "Nina")
    with db.read() as session:
        patient_ids = session.exec(select(Patient.id).order_by(col(Patient.id)).limit(sessions_per_day)).all()
    for index, patient_id in enumerate(patient_ids):
        at = clock_time(7 + index % 12, (index // 12) * 4 % 60)
        sessions.schedule_session(
            db,
            nurse,
            {
                "patient_id": patient_id,
                "clinic_date": clock.now().date(),
                "scheduled_time": at,
                "chair": str(index % 8 + 1),
                "method": "iv_infusion" if index % 3 else "nasal_spray",
            },
        )
    app = ChairsideApp(db, Settings())
    clinic = Clinic.signed_in(db, Settings(), nurse)
    timings = []
    async with app.run_test(size=(160, 50)) as pilot:
        app.push_screen(TodayScreen(clinic))
        await app.workers.wait_for_complete()
        await pilot.pause()
        board = app.screen
        assert isinstance(board, TodayScreen)
        for _ in range(refreshes):
            board._shown = None  # force a full redraw, the worst case of a refresh
            started = time.perf_counter()
            board.action_refresh()
            await app.workers.wait_for_complete()
            await pilot.pause()
            timings.append((time.perf_counter() - started) * 1000)
        rows = board.query_one("#board", DataTable).row_count
    db.dispose()
    shutil.rmtree(copy.parent)
    return {"bench": "busy_day_board", "sessions": rows, "refreshes": refreshes, **percentiles(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a five-year demo clinic (built when omitted)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or build_five_year_clinic(Path(folder) / "five-years.sqlite3")
        print(json.dumps(through_the_command(db, args.runs)), flush=True)
        print(json.dumps(startup(db, args.runs)), flush=True)
        import asyncio

        print(json.dumps(asyncio.run(_vitals_latency(db, args.samples))), flush=True)
        print(json.dumps(asyncio.run(_busy_day(db, 150, 20))), flush=True)


if __name__ == "__main__":
    main()

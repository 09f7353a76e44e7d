"""Chairside's Textual application and `open_console`, the entry point the `chairside` command opens it by.

Start-up is kept light: the sign-in screen is drawn first, and the database layer (SQLAlchemy,
pydantic-settings, the schema check) is loaded in a worker while the nurse types.
"""

import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from console.domain.actors import Actor
from console.domain.errors import ChairsideError, Stopped
from console.domain.scan import ScanDetector, ScannerSetup
from widgets.key_queue import KeyHandled, KeyQueue
from widgets.login import LoginScreen, SignOut
from widgets.opening import ReadsFirst

if TYPE_CHECKING:
    from textual.app import SystemCommand
    from textual.dom import DOMNode
    from textual.screen import Screen

    from console.cli import Context
    from console.clinic.handle import Database
    from console.clinic.settings import Settings
    from console.domain.clock import Clock
    from widgets.context import Clinic
    from widgets.lock_screen import LockScreen


# Input that shows someone is at the console: it keeps the idle lock away.
INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
IDLE_CHECK_SECONDS = 10.0  # how often the idle lock looks at the time of the last input
ANCHOR_EVERY_SECONDS = 24 * 3600  # the audit chain is anchored at start and daily while a console runs


class ChairsideApp(App):
    """Sign-in, then the Today board."""

    TITLE = "Chairside"
    # Absolute, so that a subclass defined elsewhere (a probe, a test) finds it too.
    CSS_PATH = Path(__file__).parent / "widgets" / "chairside.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave Chairside", priority=True),
        Binding(
            "f1", "help", "Help", id="app.help", tooltip="Help for the focused part and this screen's keys"
        ),
    ]

    def __init__(
        self,
        db: "Database | None" = None,
        settings: "Settings | None" = None,
        connect: "Callable[[], tuple[Database, Settings]] | None" = None,
    ) -> None:
        """Either a ready database and settings, or `connect`, run after the first frame."""
        super().__init__()
        self.db = db
        self.settings = settings
        self._connect_with = connect
        self.startup_error: ChairsideError | None = None
        self.stopped: Stopped | None = None  # an unexpected error ended the console (see the log)
        self.clinic: Clinic | None = None  # who is signed in, and what their screens reach
        self.scanner = ScanDetector(ScannerSetup(prefix=settings.scanner_prefix if settings else ""))
        self.keys = KeyQueue(self, self._take, self._takes_keys, self._keys_dropped)
        self._last_input: datetime | None = None  # on the clinic's clock, for the idle lock
        self.demo = False  # the clinic opened is the demo: every screen is marked

    async def on_event(self, event: events.Event) -> None:
        """Keys go through one queue (widgets.key_queue); a wristband scanned anywhere opens its session."""
        if isinstance(event, INPUT_EVENTS) and self.db is not None:
            self._last_input = self.db.clock.now()
        if isinstance(event, events.Key) and not event.is_forwarded and event.key != "ctrl+q":
            if not self.keys.arrived(event):
                await self.keys.give(event)
            return
        await super().on_event(event)

    def on_key_handled(self, message: KeyHandled) -> None:
        self.keys.handled(message)

    async def _take(self, event: events.Key) -> None:
        """One key from the queue: a scan's, or the focused field's."""
        if self.clinic is not None and not self.locked and not self._focus_takes_codes():
            if event.key == "enter":
                code = self.scanner.enter(event.time)
                if code is not None:
                    self._take_back_from_field(code)
                    self._open_scanned(code)
                    return
            elif self.scanner.key(event.character, event.time):
                return  # part of a code that began with the scanner's prefix
        await super().on_event(event)

    def _takes_keys(self, key: events.Key) -> bool:
        """The screen on top is up and ready for `key`: not reading its record or saving a step (Esc,
        to leave, needs neither)."""
        if not self.screen_stack:
            return True  # shutting down: nothing to wait for
        screen = self.screen
        opening = isinstance(screen, ReadsFirst) and screen.opening and key.key != "escape"
        return screen.is_mounted and not opening

    def _keys_dropped(self, count: int) -> None:
        self.bell()
        self.notify(
            f"{count} key(s) typed while the screen was not ready were not used, so that none went to "
            "the wrong field: type them again.",
            severity="warning",
            timeout=10,
        )

    def _focus_takes_codes(self) -> bool:
        """Fields that are there for codes (the board's scan box, an MRN, a lot number) keep them."""
        focused = self.focused
        return focused is not None and focused.has_class("takes-codes")

    def _take_back_from_field(self, code: str) -> None:
        """A burst already went into the focused field: remove it, once the field has taken its keys."""
        field = self.focused
        if isinstance(field, Input):

            def remove() -> None:
                if field.value.endswith(code):
                    field.value = field.value[: -len(code)]

            field.call_later(remove)

    @work(thread=True, exclusive=True, group="scan")
    def _open_scanned(self, code: str) -> None:
        from console.chair.board import day_sessions, session_to_open
        from console.clinic.patients import normalise_mrn

        clinic = self.clinic
        if clinic is None:
            return
        mrn = normalise_mrn(code)
        try:
            rows = [r for r in day_sessions(clinic.db, clinic.today()) if r.mrn == mrn]
        except ChairsideError as error:
            self.call_from_thread(self.notify, f"Scanned {mrn}: {error}", severity="error")
            return
        chosen = session_to_open(rows)
        self.call_from_thread(self._show_scanned, mrn, chosen.session_id if chosen else None)

    def _show_scanned(self, mrn: str, session_id: int | None) -> None:
        from textual.screen import ModalScreen

        from widgets.session import SessionScreen

        if self.clinic is None:
            return
        if session_id is None:
            self.bell()
            self.notify(f"Scanned {mrn}: no session today for this wristband.", severity="warning")
        elif isinstance(self.screen, ModalScreen):
            self.notify(f"Scanned {mrn}: close this dialog first (Esc), then scan again.", severity="warning")
        elif isinstance(self.screen, SessionScreen) and self.screen.session_id == session_id:
            self.notify(f"Scanned {mrn}: this patient's session is the one open.")
        elif isinstance(self.screen, SessionScreen):
            self.switch_screen(SessionScreen(self.clinic, session_id))
        else:
            self.push_screen(SessionScreen(self.clinic, session_id))

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error: its traceback goes to the log, and the user sees a short message.

        A screen's worker that fails (a read, or a save whose transaction was rolled back) leaves
        nothing half done: the console says so and goes on. Anywhere else the state of the screens
        is unknown, so the console stops, non-zero. Replaces Textual's own report, which prints the
        traceback with local values (a typed password could be one of them) on the terminal.
        """
        from textual.worker import WorkerFailed, active_worker

        from console.clinic.logs import log_unexpected

        worker = active_worker.get(None)
        screen = worker.node if worker is not None and isinstance(error, WorkerFailed) else None
        if isinstance(screen, Screen) and screen in self.screen_stack:
            failed = error.error if isinstance(error, WorkerFailed) else error
            where = log_unexpected(failed, f"a worker of {type(screen).__name__}")
            self.bell()
            self.notify(
                f"That did not work: an unexpected error ({type(failed).__name__}); nothing of it was "
                f"stored, and what was typed is still there. Details: {where}",
                severity="error",
                timeout=20,
            )
            return
        where = log_unexpected(error, "the console")
        self.stopped = Stopped(
            f"the console stopped after an unexpected error ({type(error).__name__}); what was confirmed "
            f"before it is stored. Details: {where}"
        )
        if self._exception is None:
            self._exception = error  # a test driving the console still sees the error itself
            self._exception_event.set()
        self.exit(return_code=1)

    @property
    def clock(self) -> "Clock":
        """The one clock: the database's, which stamps every record."""
        assert self.db is not None, "the clinic's records are not open yet"
        return self.db.clock

    @property
    def connected(self) -> bool:
        return self.db is not None

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._mark_if_demo)
        self.push_screen(LoginScreen(self.db, self.clinic_name))
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)
        self.set_interval(ANCHOR_EVERY_SECONDS, self._anchor_daily)

    def on_ready(self) -> None:
        # After the first frame: loading the database layer would otherwise hold up drawing sign-in.
        if not self.connected:
            self._connect()

    @work(thread=True, group="connect")
    def _connect(self) -> None:
        if self._connect_with is None:
            return
        try:
            db, settings = self._connect_with()
        except ChairsideError as error:
            self.startup_error = error
            self.call_from_thread(self.exit, return_code=1)
            return
        demo = _is_demo(db)
        self.call_from_thread(self._connected, db, _marked_as_demo(settings) if demo else settings, demo)
        problems = _trail_checked(db, settings)  # after sign-in is open: a first check reads the whole chain
        if problems:
            self.call_from_thread(self._trail_failed, problems)

    def _trail_failed(self, problems: list[str]) -> None:
        """The clinic can go on working; the administrator must be told, on every screen, at once."""
        self.notify(
            "The audit trail failed its check at start: "
            + "; ".join(problems[:3])
            + ". Tell the clinic's administrator (chairside audit verify).",
            title="Audit trail",
            severity="error",
            timeout=600,
        )

    def _anchor_daily(self) -> None:
        """A console left running anchors the chain once a day, as it does at every start."""
        if self.db is not None and self.settings is not None:
            self._anchor(self.db, self.settings)

    @work(thread=True, group="anchor")
    def _anchor(self, db: "Database", settings: "Settings") -> None:
        problems = _trail_checked(db, settings)
        if problems:
            self.call_from_thread(self._trail_failed, problems)

    def _connected(self, db: "Database", settings: "Settings", demo: bool = False) -> None:
        self.db, self.settings, self.demo = db, settings, demo
        self._mark_if_demo(self.screen)
        self.scanner = ScanDetector(ScannerSetup(prefix=settings.scanner_prefix))
        if isinstance(self.screen, LoginScreen):
            self.screen.connected(db, self.clinic_name)

    def _mark_if_demo(self, screen: "Screen") -> None:
        """Every screen of the demo clinic says so along its top edge: it is never taken for a real one."""
        from console.clinic.demo_mark import DEMO_BANNER

        if self.demo and not screen.has_class("-demo"):
            screen.add_class("-demo")
            screen.border_title = DEMO_BANNER

    @property
    def clinic_name(self) -> str:
        return self.settings.clinic_name if self.settings else "Chairside"

    @property
    def locked(self) -> bool:
        from widgets.lock_screen import LockScreen

        return any(isinstance(screen, LockScreen) for screen in self.screen_stack)

    def lock_if_idle(self) -> None:
        """Hide every screen of the sitting after `idle_lock_minutes` without a key or a click."""
        from widgets.lock_screen import LockScreen

        if self.clinic is None or self.locked or self.db is None or self.settings is None:
            return
        minutes = self.settings.idle_lock_minutes
        now = self.db.clock.now()
        if self._last_input is None:
            self._last_input = now
        if now - self._last_input < timedelta(minutes=minutes):
            return
        self.clear_notifications()  # a toast may name a patient
        self.push_screen(LockScreen(self.db, self.clinic.actor, minutes))

    def on_lock_screen_unlocked(self, message: "LockScreen.Unlocked") -> None:
        """The same user goes on where they were; another user's sign-in ends the first sitting."""
        from widgets.lock_screen import LockScreen

        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        self._last_input = None
        if self.clinic is not None and message.actor.username == self.clinic.actor.username:
            return
        self.sign_out()
        self._enter(message.actor, message.password_change_due)

    def on_login_screen_signed_in(self, message: LoginScreen.SignedIn) -> None:
        self._enter(message.actor, message.password_change_due)

    def _enter(self, actor: Actor, password_change_due: bool) -> None:
        """Open the user's first screen, after they chose a new password if theirs was reset."""
        if not password_change_due:
            self.signed_in(actor)
            return
        from widgets.password_dialog import ChangePasswordDialog

        assert self.db is not None, "sign-in needs the clinic's records open"

        def changed(done: bool | None) -> None:
            if done:
                self.signed_in(actor)
            elif isinstance(self.screen, LoginScreen):
                self.screen.action_clear()  # not changed: nobody is signed in

        self.push_screen(ChangePasswordDialog(self.db, actor), changed)

    def on_sign_out(self, _message: SignOut) -> None:
        self._leaving("Signing out", self.sign_out)

    async def action_quit(self) -> None:
        if self.locked:
            self.notify("The console is locked: unlock it first, then quit.", severity="warning")
            return
        self._leaving("Quitting Chairside", self.exit)

    def _leaving(self, leaving: str, then: "Callable[[], object]") -> None:
        """Quit or sign out at once, or ask first when a session or a dialog holds a half-typed entry."""
        from widgets.dialog import StoreDialog
        from widgets.discard import ask_before_discarding
        from widgets.session import SessionScreen

        typed = [
            label
            for screen in self.screen_stack
            if isinstance(screen, SessionScreen | StoreDialog)
            for label in screen.unsaved()
        ]
        ask_before_discarding(self, typed, leaving, then)

    def signed_in(self, actor: Actor) -> None:
        """Physicians start at their review queue, everyone else at the Today board."""
        from console.domain.vocab import Role
        from widgets.context import Clinic
        from widgets.review_queue import ReviewQueueScreen
        from widgets.today import TodayScreen

        assert self.db is not None and self.settings is not None, "sign-in needs the clinic's records open"
        self.settings = self._with_clinic_protocol(self.db, self.settings)
        clinic = self.clinic = Clinic.signed_in(self.db, self.settings, actor)
        self.switch_screen(ReviewQueueScreen(clinic) if actor.role is Role.PHYSICIAN else TodayScreen(clinic))

    def _with_clinic_protocol(self, db: "Database", settings: "Settings") -> "Settings":
        """Each sign-in applies the clinic's protocol as it is now: a change reaches every workstation."""
        from console.clinic.clinic_protocol import clinic_protocol

        if settings.protocol_tried:
            return settings
        try:
            return settings.with_protocol(clinic_protocol(db))
        except ChairsideError as error:
            self.notify(f"{error} The protocol read at start applies.", title="Protocol", severity="error")
            return settings

    def action_help(self) -> None:
        from widgets.help import HelpScreen, help_text

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_text(self.screen, self.focused)))

    def get_system_commands(self, screen: "Screen[object]") -> "Iterator[SystemCommand]":
        """The command palette lists every action the current screen offers, with its key."""
        from functools import partial

        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or not active.enabled or (binding.action, active.node) in seen:
                continue
            seen.add((binding.action, active.node))
            yield SystemCommand(
                f"{binding.description} ({self.get_key_display(binding)})",
                binding.tooltip or binding.description,
                partial(self._run_if_open, active.node, binding.action),
            )

    async def _run_if_open(self, node: "DOMNode", action: str) -> None:
        """A command chosen in the palette runs on its screen only if that screen is still open."""
        if node is self:
            await self.run_action(action)
        elif isinstance(node, Widget) and node.is_attached and node.screen in self.screen_stack:
            await node.run_action(action)

    def sign_out(self) -> None:
        self.clinic = None
        while len(self.screen_stack) > 2:  # screens pushed over the home screen go too
            self.pop_screen()
        self.switch_screen(LoginScreen(self.db, self.clinic_name))


def _is_demo(db: "Database") -> bool:
    from console.clinic.demo_mark import clinic_is_demo

    try:
        return clinic_is_demo(db)
    except ChairsideError:
        return False  # the records will say what is wrong as soon as they are read


def _marked_as_demo(settings: "Settings") -> "Settings":
    """The demo clinic says so wherever the clinic's name shows, too."""
    from console.clinic.demo_mark import DEMO_LABEL

    return settings.model_copy(update={"clinic_name": f"{DEMO_LABEL} · {settings.clinic_name}"})


def _trail_checked(db: "Database", settings: "Settings") -> list[str]:
    """The chain since its last anchor, and its anchors; a new anchor when they hold."""
    from console.review.integrity import check_at_start

    try:
        return check_at_start(db, settings.anchor_file, settings.audit_anchor_syslog)
    except ChairsideError as error:  # the anchor file unreadable or unwritable: said, never fatal
        return [str(error)]


def _clinic_opened(context: "Context") -> "tuple[Database, Settings]":
    """The clinic's database, and the settings with the protocol this workstation applies."""
    db = context.database()
    try:
        return db, context.clinic_settings(db)
    except BaseException:
        db.dispose()
        raise


def open_console(context: "Context") -> None:
    """Open the console on the database and settings the command line resolved."""
    app = ChairsideApp(connect=lambda: _clinic_opened(context))
    try:
        app.run()
    finally:
        if app.db is not None:
            app.db.dispose()
    if app.startup_error is not None:
        raise app.startup_error
    if app.stopped is not None:
        raise app.stopped


def main() -> None:
    from console.cli import run

    sys.exit(run(open_console))


if __name__ == "__main__":
    main()

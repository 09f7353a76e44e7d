"""Chairside's Textual application and the `chairside` entry point."""

import sys
from datetime import date

from textual.app import App
from textual.binding import Binding

from console.actors import Actor
from console.clock import Clock
from console.database import Database
from console.settings import Settings
from widgets.help import HelpScreen, help_text
from widgets.login import LoginScreen
from widgets.today import TodayScreen


class ChairsideApp(App):
    """Sign-in, then the Today board."""

    TITLE = "Chairside"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave Chairside", priority=True),
        Binding(
            "f1", "help", "Help", id="app.help", tooltip="Help for the focused part and this screen's keys"
        ),
    ]

    def __init__(self, db: Database, settings: Settings, clock: Clock | None = None) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.clock = clock or db.clock
        self.actor: Actor | None = None

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())

    def today(self) -> date:
        """The clinic's date now, in its own time zone."""
        return self.clock.now().astimezone(self.settings.zone).date()

    def signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.switch_screen(TodayScreen())

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_text(self.screen, self.focused)))

    def sign_out(self) -> None:
        self.actor = None
        self.switch_screen(LoginScreen())


def open_console(context) -> None:
    """Open the console on the database and settings the command line resolved."""
    db = context.database()
    try:
        ChairsideApp(db, context.settings()).run()
    finally:
        db.dispose()


def main() -> None:
    from console.cli import run

    sys.exit(run(open_console))


if __name__ == "__main__":
    main()

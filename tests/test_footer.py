"""The footer shows the screen's keys as they are, and is not rebuilt when they have not changed."""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from widgets.footer import KeysFooter


class TwoFields(App):
    BINDINGS = [Binding("f9", "resubmit", "Resubmit")]
    returned = False

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")
        yield KeysFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.returned if action == "resubmit" else True

    def action_resubmit(self) -> None:
        pass


def _keys(app: App) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


async def test_a_focus_move_keeps_the_footer_and_a_change_of_keys_redraws_it() -> None:
    app = TwoFields()
    async with app.run_test() as pilot:
        await pilot.pause()
        shown = _keys(app)
        assert "Resubmit" not in [key.description for key in shown]
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None
        assert app.focused.id == "second" and _keys(app) == shown  # the very same widgets
        app.returned = True
        app.refresh_bindings()
        await pilot.pause()
        assert "Resubmit" in [key.description for key in _keys(app)]

"""A dialog to record a side effect: pick from the vocabulary, grade, action, and Enter."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from textual import events, on
from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from console.chair.side_effect_shown import SideEffectShown
from console.domain.ctcae import grade_scale
from console.domain.errors import ChairsideError
from console.domain.inputs import SideEffectIn, parse
from console.domain.quick_vitals import clock_time_today
from console.domain.vocab import SideEffectType
from widgets.dialog import StoreDialog
from widgets.number_input import NumberInput


class SideEffectDialog(StoreDialog[dict[str, Any]]):
    """`store(fields)` records (or corrects) the side effect; closes with its fields, or shows the refusal."""

    DEFAULT_CSS = """
    #effect-box { width: 64; max-height: 100%; border: round $warning; }
    #effect-list { height: 10; }
    """

    def __init__(
        self,
        now: datetime,
        zone: ZoneInfo,
        store: Callable[[dict[str, Any]], None],
        existing: SideEffectShown | None = None,
    ) -> None:
        """With `existing`, the dialog corrects that side effect instead of recording a new one."""
        super().__init__()
        self.now, self.zone, self.store, self.existing = now, zone, store, existing

    def compose(self) -> ComposeResult:
        with self.body("effect-box"):
            yield Label("Side effect (arrows or first letter, Enter)")
            yield OptionList(*[Option(e.label, id=e.value) for e in SideEffectType], id="effect-list")
            yield Label("Describe (for Other)")
            yield Input(id="effect-other", max_length=200)
            yield Label(self._scale(SideEffectType.NAUSEA), id="effect-scale")
            yield NumberInput("Grade", whole=True, id="effect-grade")
            yield Label("Action taken (optional: Tab here before Enter)")
            yield Input(id="effect-action", max_length=200)
            yield Label("Onset HH:MM (optional; blank = now)")
            yield Input(id="effect-onset", max_length=5)
            yield Label("Resolved HH:MM (optional; or later with F11)")
            yield Input(id="effect-resolved", max_length=5)
            yield self.refusal("effect-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#effect-list", OptionList))
        effect = self.existing
        if effect is not None:
            self.query_one("#effect-list", OptionList).highlighted = list(SideEffectType).index(
                SideEffectType(effect.effect)
            )
            self.query_one("#effect-other", Input).value = effect.other_text
            self.query_one("#effect-grade", Input).value = str(effect.grade)
            self.query_one("#effect-action", Input).value = effect.action_taken
            self.query_one("#effect-onset", Input).value = self._clock(effect.onset_at)
            self.query_one("#effect-resolved", Input).value = self._clock(effect.resolved_at)

    def _clock(self, at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(self.zone):%H:%M}"

    def on_key(self, event: events.Key) -> None:
        """Typing a letter in the list jumps to the first side effect starting with it."""
        options = self.query_one("#effect-list", OptionList)
        if self.focused is options and event.character and event.character.isalpha():
            letter = event.character.lower()
            for index, effect in enumerate(SideEffectType):
                if effect.label.lower().startswith(letter):
                    options.highlighted = index
                    event.stop()
                    return

    @staticmethod
    def _scale(effect: SideEffectType) -> str:
        return f"CTCAE grade of {effect.label.lower()}: {grade_scale(effect)}; Enter saves"

    @on(OptionList.OptionHighlighted, "#effect-list")
    def _term_grades(self, event: OptionList.OptionHighlighted) -> None:
        """The grades the highlighted term has (nausea stops at 3), where the grade is typed."""
        self.query_one("#effect-scale", Label).update(self._scale(SideEffectType(str(event.option.id))))

    @on(OptionList.OptionSelected, "#effect-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        target = "#effect-other" if event.option.id == SideEffectType.OTHER else "#effect-grade"
        self.set_focus(self.query_one(target, Input))

    @on(Input.Submitted, "#effect-other")
    def _described(self) -> None:
        self.set_focus(self.query_one("#effect-grade", Input))

    @on(Input.Submitted, "#effect-grade")
    @on(Input.Submitted, "#effect-action")
    @on(Input.Submitted, "#effect-onset")
    @on(Input.Submitted, "#effect-resolved")
    def _save(self) -> None:
        options = self.query_one("#effect-list", OptionList)
        highlighted = options.highlighted
        data: dict[str, Any] = {
            "effect": None if highlighted is None else options.get_option_at_index(highlighted).id,
            "other_text": self.query_one("#effect-other", Input).value,
            "grade": self.query_one("#effect-grade", Input).value or None,
            "action_taken": self.query_one("#effect-action", Input).value,
        }
        try:
            data["onset_at"] = (
                clock_time_today(self.query_one("#effect-onset", Input).value, self.now, self.zone)
                or self.now
            )
            data["resolved_at"] = clock_time_today(
                self.query_one("#effect-resolved", Input).value, self.now, self.zone
            )
            parse(SideEffectIn, data)
        except ChairsideError as exc:
            self.refuse(str(exc))
            return
        self.save(lambda: self.store(data), data)


Resolve = Callable[[SideEffectShown, datetime, str], None]


class ResolveDialog(StoreDialog[SideEffectShown]):
    """Mark a side effect resolved: pick it, say what was done, Enter (time blank = now).

    `store(effect, resolved_at, action_taken)` records it; closes with the effect, or shows the refusal.
    """

    DEFAULT_CSS = """
    #resolve-box { width: 64; border: round $success; }
    #resolve-list { height: auto; max-height: 8; }
    """

    def __init__(
        self, open_effects: list[SideEffectShown], now: datetime, zone: ZoneInfo, store: Resolve
    ) -> None:
        super().__init__()
        self.open_effects, self.now, self.zone, self.store = open_effects, now, zone, store

    def compose(self) -> ComposeResult:
        with self.body("resolve-box"):
            yield Label("Resolved side effect (arrows, Enter)")
            yield OptionList(
                *[
                    Option(
                        f"{SideEffectType(e.effect).label}, grade {e.grade}, {self._onset(e)}", id=str(e.id)
                    )
                    for e in self.open_effects
                ],
                id="resolve-list",
            )
            yield Label("Action taken")
            yield Input(id="resolve-action", max_length=200)
            yield Label("Resolved at HH:MM (blank = now), Enter saves")
            yield Input(id="resolve-at", max_length=5)
            yield self.refusal("resolve-error")

    def _onset(self, effect: SideEffectShown) -> str:
        return f"{effect.onset_at.astimezone(self.zone):%H:%M}"

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#resolve-list", OptionList))

    @on(OptionList.OptionSelected, "#resolve-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        effect = next(e for e in self.open_effects if str(e.id) == event.option.id)
        self.query_one("#resolve-action", Input).value = effect.action_taken
        self.set_focus(self.query_one("#resolve-action", Input))

    @on(Input.Submitted, "#resolve-action")
    def _to_time(self) -> None:
        self.set_focus(self.query_one("#resolve-at", Input))

    @on(Input.Submitted, "#resolve-at")
    def _save(self) -> None:
        options = self.query_one("#resolve-list", OptionList)
        if options.highlighted is None:
            self.refuse("Pick the side effect that resolved.")
            return
        effect = self.open_effects[options.highlighted]
        try:
            at = (
                clock_time_today(
                    self.query_one("#resolve-at", Input).value,
                    self.now,
                    self.zone,
                    "resolved_at",
                    "Resolved at",
                )
                or self.now
            )
        except ChairsideError as exc:
            self.refuse(str(exc))
            return
        action = self.query_one("#resolve-action", Input).value
        self.save(lambda: self.store(effect, at, action), effect)

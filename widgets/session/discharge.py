"""After dosing: pain after, the change it makes, discharge, and notes signed with name and time."""

from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, SelectionList, Static

from console.chair import checklists, sessions
from console.chair.series_plan import NextSession, next_from_view
from console.chair.session_guide import Step, discharge_outlook, pain_change_line
from console.chair.session_view import SessionView
from console.chair.side_effect_shown import SideEffectShown
from console.domain.serious_effects import is_serious
from console.domain.vocab import Checklist, SideEffectType
from widgets.number_input import NumberInput
from widgets.session.recorder import StepForm
from widgets.tick import ChecklistTicks, TickList


class DischargeStep(StepForm):
    DEFAULT_CSS = (
        "#continuing { height: auto; max-height: 6; } #discharge-checklist { height: auto; max-height: 8; }"
    )
    STEP = Step.POST
    NEXT_FIELD = {"pain-after": "#discharge", "note": "#note"}
    ONE_SHOT = frozenset({"note"})
    _open_shown: list[tuple[str, str]] = []  # (label, id) of the open side effects listed

    def compose(self) -> ComposeResult:
        yield Label("Pain after (NRS 0-10)")
        yield NumberInput("Pain after", whole=True, id="pain-after")
        yield Static("", id="pain-change", markup=False)
        yield Static("", id="discharge-outlook", markup=False)
        yield Static("", id="next-appointment", markup=False)
        yield Label(
            "Side effects still open: resolve each (F11), or tick it here if it continues at discharge",
            id="continuing-label",
        )
        yield TickList(id="continuing")
        yield Label("Discharge checklist (space ticks one, a ticks all)", id="discharge-checklist-label")
        yield ChecklistTicks(id="discharge-checklist")
        yield Button("Discharge", id="discharge", variant="primary")
        yield Label("Add a note (Enter adds it, signed with your name and the time)")
        yield Input(id="note", max_length=500)
        yield Static("", id="notes", markup=False)

    def next_field(self, field_id: str) -> str | None:
        if field_id == "pain-after" and self.has_class("open-effects"):
            return "#continuing"  # each open side effect is ticked (or resolved) before discharge
        if field_id == "pain-after" and self.query_one("#discharge-checklist").display:
            return "#discharge-checklist"
        return super().next_field(field_id)

    def first_field(self, view: SessionView) -> str:
        return "#pain-after"

    def show(self, view: SessionView) -> None:
        self.query_one("#pain-change", Static).update(pain_change_line(view))
        clinic = self.clinic
        outlook = discharge_outlook(view, clinic.protocol, clinic.db.clock.now(), clinic.zone)
        self.query_one("#discharge-outlook", Static).update(outlook)
        coming = next_from_view(view, clinic.protocol.series)
        bookable = isinstance(coming, NextSession) and not coming.booked_id
        books = " · Ctrl+B books it" if bookable else ""
        self.query_one("#next-appointment", Static).update(coming.describe() + books)
        self.query_one("#notes", Static).update(view.session.notes)
        self._show_open_effects(view)
        items = list(clinic.protocol.checklists.discharge)
        ticks = self.query_one("#discharge-checklist", ChecklistTicks)
        ticks.show_ticked(items, view.ticked(Checklist.DISCHARGE))
        for part in ("#discharge-checklist-label", "#discharge-checklist"):
            self.query_one(part).display = bool(items)

    def _show_open_effects(self, view: SessionView) -> None:
        """Each side effect not resolved, to tick as continuing at discharge; ticks kept across reloads."""
        still_open = [e for e in view.side_effects if e.resolved_at is None]
        shown = self.query_one("#continuing", SelectionList)
        ticked = set(shown.selected)
        wanted = [(open_effect_label(e, self.clinic.zone), str(e.id)) for e in still_open]
        if wanted != self._open_shown:
            self._open_shown = wanted
            shown.clear_options()
            shown.add_options([(label, value, value in ticked) for label, value in wanted])
            shown.highlighted = 0 if wanted else None  # Space ticks the first at once
        self.set_class(bool(still_open), "open-effects")
        for part in ("#continuing-label", "#continuing"):
            self.query_one(part).display = bool(still_open)

    def unsaved_ticks(self, view: SessionView) -> list[str]:
        changed = [
            (  # stored only by the discharge itself
                "Side effects continuing",
                view.session.discharged_at is None
                and bool(self.query_one("#continuing", SelectionList).selected),
            ),
            ("Discharge checklist", self.ticks_not_stored("#discharge-checklist", view, Checklist.DISCHARGE)),
        ]
        return [name for name, differs in changed if differs]

    def field_done(self, field: Input) -> None:
        if field.id == "pain-after":
            self.record_pain("after", field)
        elif field.id == "note":
            self._add_note(field)

    def _add_note(self, field: Input) -> None:
        text = field.value.strip()
        if not text:
            return
        clinic, session_id = self.clinic, self.recorder.session_id
        self.recorder.save(
            lambda _version: sessions.add_note(clinic.db, clinic.actor, session_id, text, clinic.zone), field
        )

    @on(Button.Pressed, "#discharge")
    def discharge(self) -> None:
        clinic, session_id = self.clinic, self.recorder.session_id
        continuing = [int(value) for value in self.query_one("#continuing", SelectionList).selected]
        checked = [str(item) for item in self.query_one("#discharge-checklist", SelectionList).selected]

        def store(version: int) -> None:
            checklists.tick(
                clinic.db, clinic.actor, session_id, Checklist.DISCHARGE, checked, clinic.protocol.checklists
            )
            sessions.discharge(
                clinic.db,
                clinic.actor,
                session_id,
                version,
                protocol=clinic.protocol,
                continuing=continuing,
                zone=clinic.zone,
            )

        self.recorder.save(store)


def open_effect_label(effect: SideEffectShown, zone: ZoneInfo) -> str:
    name = effect.other_text or SideEffectType(effect.effect).label
    serious = (
        " · ⚠ serious: resolve it, or a physician lets the patient go"
        if is_serious(effect.effect, effect.grade)
        else ""
    )
    return f"{name}, grade {effect.grade}, since {effect.onset_at.astimezone(zone):%H:%M}{serious}"

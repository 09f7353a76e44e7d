"""Pre-assessment: weight when it is missing or old, pain before, PEG, PHQ-9 and GAD-7 when due,
baseline vitals, the screen, the escort; for nasal esketamine, the REMS form's enrolment and
medication questions."""

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, SelectionList

from console.chair import checklists as checklist_ticks
from console.chair import rems, sessions
from console.chair.questionnaires import MOOD, mood_due_at
from console.chair.rems import MEDICATIONS
from console.chair.session_guide import PreStart, Step, pre_assessment_start, weight_prompt, weight_to_show
from console.chair.session_view import SessionView
from console.clinic.patients import record_weight
from console.domain.errors import ChairsideError, Conflict, NeedsConfirmation
from console.domain.inputs import RemsQuestionsIn, parse
from console.domain.questionnaires import HINT, with_change
from console.domain.quick_vitals import FORMAT_HINT
from console.domain.vocab import Checklist, Instrument, Method, screened_for
from widgets.number_input import NumberInput
from widgets.session.recorder import Recorder, StepForm
from widgets.tick import ChecklistTicks, TickBox, TickList

FIRST_FIELD = {PreStart.WEIGHT: "#weight", PreStart.PAIN: "#pain-before", PreStart.VITALS: "#baseline-vitals"}


class ConfirmBox(TickBox):
    """Space ticks it; Enter goes on (saves the step) instead of ticking it again."""

    BINDINGS = [Binding("enter", "done", "Save", show=False)]

    class Done(Message):
        """Enter was pressed on the box."""

    def action_done(self) -> None:
        self.post_message(self.Done())


class PreAssessmentStep(StepForm):
    STEP = Step.PRE
    NEXT_FIELD = {
        "weight": "#pain-before",
        "pain-before": "#peg",
        "peg": "#baseline-vitals",
        "phq9": "#gad7",
        "gad7": "#baseline-vitals",
        "baseline-vitals": "#contraindications",
        "rems-enrolment": "#rems-medications",
    }
    ONE_SHOT = frozenset({"baseline-vitals"})
    DEFAULT_CSS = (
        "#contraindications { height: 7; } #rems-medications { height: 7; } "
        "#pre-checklist { height: auto; max-height: 8; }"
    )

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self._weight_to_confirm: str | None = None  # a weight refused as unusual, stored if entered again
        self._screen_seen: SessionView | None = None  # the record shown when the nurse began the screen
        self._answered_stale = False  # her screen was refused as stale: the reload is what she sees now
        self._rems_touched = False  # the nurse ticked a REMS answer: a reload keeps her ticks

    def compose(self) -> ComposeResult:
        yield Label("Weight today (kg): Enter to record; Tab skips", id="weight-label")
        yield NumberInput("Weight", id="weight")
        yield Label("Pain before (NRS 0-10)")
        yield NumberInput("Pain before", whole=True, id="pain-before")
        yield Label(f"PEG, {HINT[Instrument.PEG]}", id="peg-label")
        yield Input(id="peg", placeholder="6 7 5")
        # PHQ-9 and GAD-7 when the protocol's schedule has them due (or they were answered).
        yield Label(id="phq9-label", classes="mood")
        yield Input(id="phq9", max_length=17, placeholder="212101100", classes="mood")
        yield Label(id="gad7-label", classes="mood")
        yield Input(id="gad7", max_length=13, placeholder="1121010", classes="mood")
        yield Label(f"Baseline vitals: {FORMAT_HINT}")
        yield Input(id="baseline-vitals", placeholder="128/82 76 98 14 5")
        yield Label("Contraindications found (space to tick; none = leave empty)")
        yield TickList(id="contraindications")  # the method's own list, once the session is read
        # Nasal esketamine only: the REMS monitoring form's enrolment and medication questions.
        yield Label("REMS patient enrolment number", classes="rems")
        yield Input(id="rems-enrolment", max_length=20, classes="rems")
        yield Label("REMS: taking now or recently (space to tick; none = leave empty)", classes="rems")
        yield TickList(
            *[(label, name) for name, label in MEDICATIONS.items()], id="rems-medications", classes="rems"
        )
        yield Label("Pre-infusion checklist (space ticks one, a ticks all)", id="pre-checklist-label")
        yield ChecklistTicks(id="pre-checklist")
        yield ConfirmBox("Escort / driver confirmed (space), Enter to save", id="escort")
        yield Button("Save pre-assessment", id="save-pre", variant="primary")

    def next_field(self, field_id: str) -> str | None:
        if field_id == "peg" and self.query_one("#phq9").display:
            return "#phq9"
        return super().next_field(field_id)

    def first_field(self, view: SessionView) -> str:
        return FIRST_FIELD[pre_assessment_start(view, self.clinic.today(), self.clinic.protocol)]

    def show(self, view: SessionView) -> None:
        today, protocol = self.clinic.today(), self.clinic.protocol
        weight = self.query_one("#weight", Input)
        if not self.recorder.is_being_typed(weight):
            weight.value = weight_to_show(view, today, protocol)
        self.query_one("#weight-label", Label).update(weight_prompt(view, today, protocol))
        ticks = self.query_one("#contraindications", SelectionList)
        asked = screened_for(view.session.method)
        if ticks.option_count != len(asked):  # made once, for the session's method
            ticks.clear_options()
            ticks.add_options([(c.label, c.value) for c in asked])
            ticks.highlighted = 0
        if self._screen_seen is None:  # untouched: it shows the screen as recorded (here or elsewhere)
            found = set(view.session.contraindications_found.split(","))
            for value in (c.value for c in asked):
                (ticks.select if value in found else ticks.deselect)(value)
            self.query_one("#escort", Checkbox).value = view.session.escort_confirmed
        self._show_rems(view)
        self._show_questionnaires(view)
        method = view.session.method
        items = self.clinic.protocol.checklists.before_dose(method)
        checklist = Checklist.PRE_INFUSION.label_for(method)
        self.query_one("#pre-checklist-label", Label).update(f"{checklist} (space ticks one, a ticks all)")
        self.query_one("#pre-checklist", ChecklistTicks).show_ticked(
            items, view.ticked(Checklist.PRE_INFUSION)
        )
        for part in ("#pre-checklist-label", "#pre-checklist"):
            self.query_one(part).display = bool(items)

    def _show_questionnaires(self, view: SessionView) -> None:
        due = mood_due_at(view.session, view.last_mood_on, self.clinic.protocol.questionnaires)
        for instrument in (Instrument.PEG, *MOOD):
            field = self.query_one(f"#{instrument.value}", Input)
            label = self.query_one(f"#{instrument.value}-label", Label)
            answered = view.answered(instrument)
            if not self.recorder.is_being_typed(field):
                field.value = " ".join(map(str, answered.items)) if answered else ""
            said = with_change(instrument, answered.items, view.baselines.get(instrument)) if answered else ""
            if instrument == Instrument.PEG:
                label.update(f"PEG, {HINT[instrument]}" + (f" · {said}" if said else ""))
                continue
            field.display = label.display = bool(due) or answered is not None
            heading = f"{instrument.label} ({'due: ' + due.reason if due else 'answered'})"
            label.update(f"{heading}: {said or HINT[instrument]}")

    def _show_rems(self, view: SessionView) -> None:
        nasal = view.session.method == Method.NASAL
        for part in self.query(".rems"):
            part.display = nasal
        enrolment = self.query_one("#rems-enrolment", Input)
        if nasal and not self.recorder.is_being_typed(enrolment) and not enrolment.has_focus:
            enrolment.value = view.rems.enrolment_id if view.rems else view.rems_enrolment
        if nasal and view.rems is not None and not self._rems_touched:
            ticks = self.query_one("#rems-medications", SelectionList)
            for name in MEDICATIONS:
                (ticks.select if getattr(view.rems, name) else ticks.deselect)(name)

    def unsaved_ticks(self, view: SessionView) -> list[str]:
        found = set(self.query_one("#contraindications", SelectionList).selected)
        recorded = set(filter(None, view.session.contraindications_found.split(",")))
        escort = self.query_one("#escort", Checkbox).value
        changed = [
            ("Contraindication screen", found != recorded or escort != view.session.escort_confirmed),
            (
                Checklist.PRE_INFUSION.label_for(view.session.method),
                self.ticks_not_stored("#pre-checklist", view, Checklist.PRE_INFUSION),
            ),
        ]
        if view.session.method == Method.NASAL:
            ticked = set(self.query_one("#rems-medications", SelectionList).selected)
            on_record = {name for name in MEDICATIONS if view.rems is not None and getattr(view.rems, name)}
            changed.append(("REMS medications", ticked != on_record))
        return [name for name, differs in changed if differs]

    def after_conflict(self, view: SessionView) -> None:
        if self._answered_stale:  # her ticks stay, and now answer the screen as it is shown
            self._screen_seen, self._answered_stale = view, False

    @on(SelectionList.SelectedChanged, "#rems-medications")
    def _rems_ticked(self, event: SelectionList.SelectedChanged) -> None:
        if event.selection_list.has_focus:
            self._rems_touched = True

    @on(SelectionList.SelectedChanged, "#contraindications")
    @on(Checkbox.Changed, "#escort")
    def _screen_begun(self, event: SelectionList.SelectedChanged | Checkbox.Changed) -> None:
        """The nurse's own tick: what she answered is the screen as shown now."""
        widget = event.selection_list if isinstance(event, SelectionList.SelectedChanged) else event.checkbox
        if widget.has_focus and self._screen_seen is None:
            self._screen_seen = self.recorder.view

    def field_done(self, field: Input) -> None:
        if field.id == "weight":
            self._weight(field)
        elif field.id == "pain-before":
            self.record_pain("before", field)
        elif field.id == "baseline-vitals":
            self.record_vitals(field)
        elif field.id in ("peg", "phq9", "gad7"):
            self.record_questionnaire(Instrument(field.id), field)

    def _weight(self, field: Input) -> None:
        """A weight far from the last one is stored when the nurse enters the same value again."""
        seen = self.recorder.seen_when_typed(field)  # the weight she replaces is the one she was shown
        if seen is None:
            return
        db, actor, patient, protocol = self.clinic.db, self.clinic.actor, seen.patient, self.clinic.protocol
        typed = field.value.strip()
        confirmed = bool(typed) and typed == self._weight_to_confirm

        def store(_version: int) -> None:
            try:
                record_weight(db, actor, patient.id, patient.version, typed or None, protocol, confirmed)
            except NeedsConfirmation:
                self._weight_to_confirm = typed
                raise
            self._weight_to_confirm = None

        self.recorder.save(store, field)

    @on(Button.Pressed, "#save-pre")
    @on(ConfirmBox.Done)
    def save(self) -> None:
        found = list(self.query_one("#contraindications", SelectionList).selected)
        checked = [str(item) for item in self.query_one("#pre-checklist", SelectionList).selected]
        checklists = self.clinic.protocol.checklists
        escort = self.query_one("#escort", Checkbox).value
        db, actor, session_id = self.clinic.db, self.clinic.actor, self.recorder.session_id
        seen = self._screen_seen or self.recorder.view
        screened_seen = seen.session.contraindications_screened_at if seen is not None else None

        rems_answers = self._rems_answers(seen)
        if rems_answers is False:
            return

        def store(version: int) -> None:
            if rems_answers:  # first: a refused answer stores nothing of the step
                answered = seen.rems if seen is not None else None
                rems.ask_questions(
                    db, actor, session_id, rems_answers, answered.version if answered else None
                )
                self._rems_touched = False
            checklist_ticks.tick(db, actor, session_id, Checklist.PRE_INFUSION, checked, checklists)
            try:
                sessions.record_pre_assessment(
                    db,
                    actor,
                    session_id,
                    version,
                    escort_confirmed=escort,
                    contraindications=found,
                    screened_seen=screened_seen,
                )
            except Conflict:
                self._answered_stale = True  # her ticks stay; the next Enter answers the screen now shown
                raise
            self._screen_seen = None

        self.recorder.save(store, then="next", form=self)

    def _rems_answers(self, seen: SessionView | None) -> dict | Literal[False] | None:
        """A nasal session's REMS answers as ticked; None for an IV session; False when refused here,
        under the enrolment field, before anything is stored."""
        if seen is None or seen.session.method != Method.NASAL:
            return None
        ticked = set(self.query_one("#rems-medications", SelectionList).selected)
        enrolment = self.query_one("#rems-enrolment", Input)
        answers = {"enrolment_id": enrolment.value.strip()} | {name: name in ticked for name in MEDICATIONS}
        try:
            parse(RemsQuestionsIn, answers)
        except ChairsideError as refused:
            self.recorder.refuse(str(refused), enrolment)
            return False
        return answers

"""The session screen: one patient's chair visit, from check-in to discharge.

Each step is its own component (check-in, pre-assessment, dose, monitoring, discharge) owning its
fields and saves; the screen lays them out beside the record, holds the keys, moves between steps
and shows the record as read. A refusal appears under the field being typed in.

The screen extends three layers, each a module of its own: `typed.py` (what was typed and not
stored, and the record as shown when each entry was begun), `save_queue.py` (every save through one
queue off the UI thread, in the order confirmed; a conflict with another workstation reloads the
screen and says what changed) and `dialogs.py` (the dialogs its keys open). Here, in about 330
lines: the layout, the keys, navigation and showing.
"""

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Label, Static

from console.chair.dose_plan import DosePlan
from console.chair.session_guide import Step, current_step
from console.chair.session_view import SessionView
from console.domain.vocab import Method
from widgets.context import Clinic
from widgets.discard import ask_before_discarding
from widgets.footer import KeysFooter
from widgets.session.alerts import AlertsPanel
from widgets.session.check_in import CheckInStep
from widgets.session.dialogs import SessionDialogs
from widgets.session.discharge import DischargeStep
from widgets.session.dose import DoseStep
from widgets.session.flowsheet import Flowsheet
from widgets.session.header import PatientHeader, RecordState, StatusLine
from widgets.session.monitoring import MonitoringStep
from widgets.session.pre_assessment import PreAssessmentStep
from widgets.session.recorder import FieldDone, StepForm
from widgets.session.side_effects import SideEffectsTable

REREAD_SECONDS = 5  # like the board: changes made elsewhere appear without a key


def _row_of(field: Input) -> Widget | None:
    """The line of its step a field sits on (itself, or the row of fields it shares)."""
    node: Widget = field
    while node.parent is not None and not isinstance(node.parent, StepForm):
        if not isinstance(node.parent, Widget):
            return None
        node = node.parent
    return node if node.parent is not None else None


class SessionScreen(SessionDialogs):
    """Records one session; Esc goes back to the board."""

    DEFAULT_CSS = """
    SessionScreen { layout: vertical; }
    #patient-header { height: auto; padding: 0 1; background: $primary; color: $text; }
    #status-line { height: auto; padding: 0 1; background: $boost; }
    #body { height: 1fr; }
    #entry-column { width: 46; height: 1fr; }
    #entry { height: 1fr; padding: 0 1; }
    #chart { width: 1fr; height: 1fr; }
    SessionScreen.narrow #body { layout: vertical; }
    SessionScreen.narrow #entry-column { width: 1fr; height: 60%; }
    /* under the fields, outside their scrolling: a refusal is always in view */
    #entry-error { color: $error; height: auto; max-height: 6; padding: 0 1; }
    .refusal { color: $error; height: auto; }
    #entry Input { width: 100%; }
    #entry Label { width: 100%; }
    #chart Flowsheet { height: 1fr; }
    #flowsheet { height: 1fr; min-height: 4; }
    #effects { height: auto; max-height: 7; }
    #alerts { height: auto; max-height: 6; color: $warning; text-style: bold; }
    ContentSwitcher { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "back", "Board", id="session.back", tooltip="Back to the Today board"),
        Binding("f2", "check_in", "Check in", id="session.check_in", tooltip="The patient has arrived"),
        Binding(
            "f3", "step('pre')", "Pre", id="session.pre", tooltip="Pre-assessment: pain, baseline, screen"
        ),
        Binding("f4", "step('dose')", "Dose", id="session.dose", tooltip="Record the dose"),
        Binding("f5", "step('monitor')", "Vitals", id="session.vitals", tooltip="Record vital signs"),
        Binding("f6", "side_effect", "Side effect", id="session.side_effect", tooltip="Record a side effect"),
        Binding("f7", "step('post')", "Post/discharge", id="session.post", tooltip="Post pain, discharge"),
        Binding(
            "f8",
            "end_treatment",
            "End dosing",
            id="session.end",
            tooltip="Dosing is over: observation starts",
        ),
        Binding(
            "f9",
            "pause_resume",
            "Pause/resume",
            id="session.pause",
            tooltip="Pause or resume the IV infusion",
        ),
        Binding("f10", "change_rate", "Rate", id="session.rate", tooltip="Change the IV infusion rate"),
        Binding(
            "f12", "acknowledge", "Acknowledge", id="session.acknowledge", tooltip="Acknowledge an alert"
        ),
        Binding(
            "f11",
            "resolve_side_effect",
            "Resolved",
            id="session.resolve",
            tooltip="A side effect has resolved",
        ),
        Binding(
            "ctrl+g", "trajectory", "Trajectory", id="session.trajectory", tooltip="The patient's course"
        ),
        Binding("ctrl+l", "audit", "Audit trail", id="session.audit", tooltip="Who did what and when"),
        Binding(
            "ctrl+f",
            "rems_form",
            "REMS form",
            id="session.rems",
            tooltip="Nasal esketamine: the REMS monitoring form",
        ),
        Binding(
            "ctrl+r",
            "resubmit",
            "Resubmit",
            id="session.resubmit",
            tooltip="Corrected: back to the physician",
        ),
        Binding("ctrl+n", "addendum", "Addendum", id="session.addendum", tooltip="Add a signed addendum"),
        Binding(
            "ctrl+o",
            "medications",
            "Medications",
            id="session.medications",
            tooltip="The patient's current medications and relevant history",
        ),
        Binding(
            "ctrl+t",
            "lab_tests",
            "Tests",
            id="session.tests",
            tooltip="Monitoring tests: liver, urinary screen, pregnancy",
        ),
        Binding(
            "ctrl+b",
            "book_next",
            "Book next",
            id="session.book_next",
            tooltip="Book the next appointment the plan proposes",
        ),
        Binding(
            "ctrl+y",
            "override",
            "Override",
            id="session.override",
            tooltip="Set a protocol rule aside, with a reason",
        ),
        Binding("enter", "enter", "Enter", id="session.enter", priority=True, show=False),
    ]

    def __init__(self, clinic: Clinic, session_id: int) -> None:
        super().__init__()
        self.clinic = clinic
        self.session_id = session_id
        self.view: SessionView | None = None
        # The focused field, where it was in its step, and the refusals shown: what a layout may move.
        self._placed: tuple[Widget, int, tuple[int, ...]] | None = None

    # ----- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield PatientHeader("", id="patient-header")
        yield StatusLine("", id="status-line", markup=False)
        yield RecordState("", id="record-state", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="entry-column"):
                with VerticalScroll(id="entry"), ContentSwitcher(id="steps", initial=f"step-{Step.CHECK_IN}"):
                    yield CheckInStep(self)
                    yield PreAssessmentStep(self)
                    yield DoseStep(self)
                    yield MonitoringStep(self)
                    yield DischargeStep(self)
                yield Static("", id="entry-error", markup=False)
            with Vertical(id="chart"):
                yield Flowsheet("flowsheet", trends=("sbp", "hr"), by_width=12, newest_first=True)
                yield AlertsPanel("", id="alerts", markup=False)
                yield SideEffectsTable(id="effects", cursor_type="row", show_header=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._fit(self.app.size.width)  # before any data arrives, so the layout never shifts under it
        self.set_interval(15, self._refresh_status)
        self.set_interval(REREAD_SECONDS, self._reread_if_idle)
        self.screen_layout_refresh_signal.subscribe(self, self._after_layout)
        self._watch_typing()
        self.reload(focus_next=True)

    def on_resize(self) -> None:
        self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        """Side by side on a wide terminal, stacked on a narrow one."""
        self.set_class(width < 110, "narrow")

    def _form(self, step: Step) -> StepForm:
        return self.query_one(f"#step-{step}", StepForm)

    # ----- showing ----------------------------------------------------------------------------
    def _show(self, view: SessionView, plan: DosePlan | None, focus_next: bool) -> None:
        self.view = view
        clinic = self.clinic
        self.query_one(PatientHeader).show(view, self.clinic)
        self.query_one(RecordState).show(view, clinic)
        self.query_one(Flowsheet).show(view, clinic.zone)
        self.query_one(SideEffectsTable).show(view, clinic.zone)
        self.query_one(AlertsPanel).show(view, clinic)
        if plan is not None:
            self.query_one(DoseStep).prefill(plan)
        for form in self.query(StepForm):
            form.show(view)
        self._refresh_status()
        self.refresh_bindings()
        if focus_next:
            self.action_step(current_step(view))
        self.opened()

    def _refresh_status(self) -> None:
        if self.view is not None:
            self.query_one(StatusLine).show(self.view, self.clinic)
            self.query_one(MonitoringStep).show_infusion()

    # ----- navigation -------------------------------------------------------------------------
    def action_step(self, step: str) -> None:
        form = self._form(Step(step))
        self.query_one("#steps", ContentSwitcher).current = form.id
        if self.view is not None:
            self.set_focus(form.query_one(form.first_field(self.view)))

    def action_back(self) -> None:
        self.leave("Going back to the board", self.app.pop_screen)

    def set_focus(
        self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False
    ) -> None:
        """A field of the entry is brought into view by `in_view` alone: Textual's own centring runs a
        frame later, and would centre the field Enter left even after a refusal brought the focus back."""
        entry = self.query_one("#entry")
        if widget is not None and entry in widget.ancestors:
            scroll_visible = False
        super().set_focus(widget, scroll_visible, from_app_focus)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """At 80x24 most of a step is below the fold: the field taking the keys is always in view,
        with the words above it when both fit (the label first, then the field has the last word).
        """
        in_view(event.widget)

    def _after_layout(self, _screen: Screen) -> None:
        """The field taking the keys was moved within its step by a new layout (a line above it grew
        or went, a list filled in, a refusal came): it is brought back into view. A scroll by the
        nurse moves nothing within the step, and is left alone."""
        focused, entry = self.focused, self.query_one("#entry")
        if focused is None or entry not in focused.ancestors:
            self._placed = None
            return
        refusals = tuple(line.region.height for line in self.query(Refusal))  # one came, or wrapped anew
        placed = (focused, _top_in(entry, focused), refusals)
        if placed != self._placed:
            in_view(focused)
        self._placed = placed

    def leave(self, leaving: str, then: Callable[[], object]) -> None:
        """Run `then` at once, or after asking when something typed or ticked would be thrown away."""
        ask_before_discarding(self.app, self.unsaved(), leaving, then)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resubmit":
            return self.view is not None and self.view.open_return is not None
        if action == "addendum":
            return self.view is not None and self.view.signature is not None
        if action == "rems_form":
            return self.view is not None and self.view.session.method == Method.NASAL
        # Enter is ours only in typed fields; buttons, lists and boxes keep their own Enter.
        return action != "enter" or isinstance(self.focused, Input)

    def action_enter(self) -> None:
        """Move focus now, so the next keys land in the next field; handle the value once it is complete."""
        field = self.focused
        if not isinstance(field, Input):
            return
        form = next(a for a in field.ancestors if isinstance(a, StepForm))
        target = form.next_field(field.id or "")
        if target:
            self.set_focus(self.query_one(target))
        field.post_message(FieldDone(field))

    def refuse(self, message: str, field: Input | None = None) -> None:
        """Say why an entry was not stored: under the field it came from, or under the step."""
        self.opened()  # a first read that failed says so, and Esc must reach the screen
        if "override" in message:
            message += " (Ctrl+Y records an override)"
        self._clear_refusal()
        self.app.bell()
        row = _row_of(field) if field is not None else None
        if field is None or row is None or not isinstance(row.parent, Widget):
            self.query_one("#entry-error", Static).update(f"⚠ {message}")
            return
        line = Refusal(f"⚠ {message}", field)
        row.parent.mount(line, after=row)
        self.set_focus(field)  # back to where the wrong value is, to correct it

    def _clear_refusal(self) -> None:
        self.query_one("#entry-error", Static).update("")
        self.query(".refusal").remove()

    # ----- actions of the steps, by key -------------------------------------------------------
    def action_check_in(self) -> None:
        self.query_one(CheckInStep).check_in()

    def action_end_treatment(self) -> None:
        self.query_one(MonitoringStep).end_treatment()

    def action_pause_resume(self) -> None:
        self.query_one(MonitoringStep).pause_resume()

    def action_change_rate(self) -> None:
        self.query_one(MonitoringStep).change_rate()
        self.action_step(Step.MONITOR)
        self.set_focus(self.query_one("#new-rate", Input))


class Refusal(Static):
    """Why an entry was not stored, on the line under its field."""

    DEFAULT_CSS = "Refusal { color: $error; height: auto; }"

    def __init__(self, message: str, field: Widget) -> None:
        super().__init__(message, classes="refusal", markup=False)
        self.field = field

    def on_resize(self) -> None:
        """Laid out (and again whenever its lines change): it and its field in view, at 80x24 too."""
        in_view(self.field)


def in_view(field: Widget) -> None:
    """A field in view with the words about it: the label above it and the refusal under it when all
    three fit, else the field and its refusal, else the field alone, whole. One scroll, worked out
    from one layout: whoever calls it last (the focus arriving, a refusal laid out) lands on the
    same place."""
    entry = next((a for a in field.ancestors if isinstance(a, VerticalScroll)), None)
    if entry is None or not field.region:
        field.scroll_visible(animate=False, immediate=True)  # not laid out yet: Textual's own way
        return
    row = (_row_of(field) if isinstance(field, Input) else None) or field
    label = _beside(field, -1) or _beside(row, -1)
    refusal = _beside(row, 1)
    view = entry.scrollable_content_region
    scroll_y = round(entry.scroll_y)

    def top(widget: Widget) -> int:
        return _top_in(entry, widget)

    bottom = top(field) + field.region.height
    if isinstance(refusal, Refusal) and refusal.region:
        bottom = max(bottom, top(refusal) + refusal.region.height)
    first = top(label) if isinstance(label, Label) and label.region else top(field)
    if bottom - first > view.height:
        first = top(field)
    bottom = min(bottom, first + view.height)  # too little room: the field's top has the last word
    if scroll_y > first:
        entry.scroll_to(y=first, animate=False, immediate=True)
    elif scroll_y + view.height < bottom:
        entry.scroll_to(y=bottom - view.height, animate=False, immediate=True)


def _top_in(entry: Widget, widget: Widget) -> int:
    """Where `widget` starts in `entry`'s whole content, from the last layout alone. Not from its
    region on screen: that holds the scroll of the last frame, so two scrolls in one frame (focus to
    the next field, then back to a refused one) would add up and leave the field out of view."""
    top = widget.virtual_region.y
    for ancestor in widget.ancestors:
        if ancestor is entry or not isinstance(ancestor, Widget):
            return top
        top += ancestor.virtual_region.y + ancestor.styles.gutter.top
    return top


def _beside(widget: Widget, step: int) -> Widget | None:
    """The widget just before (-1) or after (1) `widget` among its parent's children."""
    siblings = list(widget.parent.children) if isinstance(widget.parent, Widget) else []
    index = siblings.index(widget) + step if widget in siblings else -1
    return siblings[index] if 0 <= index < len(siblings) else None

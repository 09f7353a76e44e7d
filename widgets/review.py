"""The physician's review of one session: the whole record, read-only, with sign, return and addendum."""

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from console.chair import alerts
from console.chair.alert_shown import AlertShown
from console.chair.session_guide import series_text
from console.chair.session_view import SessionView
from console.domain.errors import ChairsideError, Conflict
from console.domain.vocab import Method, Role, SessionStatus, SignatureMeaning
from console.review import record_text, returns, signing
from console.review.audit_trail import session_trail
from console.review.changes import changes
from console.review.originals import original_lines
from widgets.context import Clinic
from widgets.footer import KeysFooter
from widgets.opening import ReadsFirst
from widgets.session.flowsheet import Flowsheet
from widgets.ui_thread import on_screen


class ReviewScreen(ReadsFirst, Screen):
    """One session for review; F8 moves on to the next in the queue, and signing does so by itself."""

    DEFAULT_CSS = """
    ReviewScreen { layout: vertical; }
    #review-title { height: auto; padding: 0 1; background: $primary; color: $text; }
    #review-state { height: auto; padding: 0 1; background: $boost; }
    #review-message { height: auto; padding: 0 1; color: $warning; }
    #review-body { height: 1fr; padding: 0 1; }
    .section { text-style: bold; margin-top: 1; }
    #review-flowsheet { height: auto; max-height: 14; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="review.back", tooltip="Back to the review queue"),
        Binding(
            "f2",
            "sign",
            "Sign",
            id="review.sign",
            tooltip="Sign this session (reviewed or approved)",
            priority=True,
        ),  # priority: the dialog is up before the keys typed after F2 are routed
        Binding(
            "f3", "return_session", "Return", id="review.return", tooltip="Send back to the nurse to correct"
        ),
        Binding("f4", "addendum", "Addendum", id="review.addendum", tooltip="Add a signed addendum"),
        Binding("f5", "trajectory", "Trajectory", id="review.trajectory", tooltip="The patient's course"),
        Binding("f6", "audit", "Audit trail", id="review.audit", tooltip="Who did what and when"),
        Binding(
            "f7", "move(-1)", "Previous", id="review.previous", tooltip="The previous session in the queue"
        ),
        Binding("f8", "move(1)", "Next", id="review.next", tooltip="The next session in the queue"),
        Binding("f12", "acknowledge", "Acknowledge", id="review.acknowledge", tooltip="Acknowledge an alert"),
        Binding(
            "f10",
            "induction_review",
            "Response",
            id="review.induction",
            tooltip="End of an initial series: judge the response, maintenance or stop",
        ),
        Binding(
            "f9",
            "originals",
            "Originals",
            id="review.originals",
            tooltip="Show or hide corrected values' originals",
        ),
    ]

    def __init__(self, clinic: Clinic, session_id: int, queue: list[int] | None = None) -> None:
        super().__init__()
        self.clinic = clinic
        self.session_id = session_id
        self.queue = queue or [session_id]
        self.view: SessionView | None = None
        self.shown_hash = ""  # the hash of the record as on screen: what a signature here will cover

    def compose(self) -> ComposeResult:
        yield Static("", id="review-title")
        yield Static("", id="review-state", markup=False)
        yield Static("", id="review-message", markup=False)
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-times", markup=False)
            yield Static("", id="review-pain", markup=False)
            yield Static("", id="review-measures", markup=False)
            yield Static("", id="review-pre", markup=False)
            yield Static("", id="review-checklists", markup=False)
            yield Label("Dose and controlled-substance record", classes="section")
            yield Static("", id="review-dose", markup=False)
            yield Label("Vital signs", classes="section")
            yield Flowsheet("review-flowsheet", trends=("sbp", "hr", "spo2"), by_width=20, newest_first=False)
            yield Static("", id="review-vitals-remarks", markup=False)
            yield Static("", id="review-originals", markup=False)
            yield Label("Side effects", classes="section")
            yield Static("", id="review-effects", markup=False)
            yield Label("Alerts, overrides and what was done", classes="section")
            yield Static("", id="review-alerts", markup=False)
            yield Label("Notes", classes="section")
            yield Static("", id="review-notes", markup=False)
            yield Static("", id="review-returns", markup=False)
            yield Label("REMS monitoring form", classes="section rems")
            yield Static("", id="review-rems", classes="rems", markup=False)
            yield Label("Signature and addenda", classes="section")
            yield Static("", id="review-addenda", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="review")
    def reload(self, mark_changes: bool = False) -> None:
        """Read the record and its hash in one go; `mark_changes`: say what differs from the last shown."""
        try:
            shown = signing.load_for_review(self.clinic.db, self.session_id)
        except ChairsideError as error:
            on_screen(self, self.tell, f"⚠ {error}")
            return
        on_screen(self, self._show_record, shown, mark_changes)

    def _show_record(self, shown: signing.Shown, mark_changes: bool) -> None:
        before, self.shown_hash = self.view, shown.record_hash
        self._show(shown.view)
        if mark_changes and before is not None:
            found = changes(before, shown.view, self.clinic.zone, self.clinic.protocol.thresholds)
            lines = [f"  {change.describe()}" for change in found] or [
                "  (changed back: nothing differs now)"
            ]
            self.tell("\n".join(["⚠ Changed since you were shown it; nothing was signed:", *lines]))

    def tell(self, message: str) -> None:
        self.opened()  # a first read that failed says so, and Esc must reach the screen
        self.query_one("#review-message", Static).update(message)

    # ----- showing -----------------------------------------------------------------------------
    def _show(self, view: SessionView) -> None:
        self.view = view
        zone = self.clinic.zone
        p, s = view.patient, view.session
        position = f" · {self.queue.index(self.session_id) + 1} of {len(self.queue)} in queue"
        self.query_one("#review-title", Static).update(
            Text.assemble(
                (p.display_name, "bold"),
                f"  MRN {p.mrn} · {s.clinic_date:%a %d %b %Y} {s.scheduled_time:%H:%M} · chair {s.chair}"
                f" · {series_text(s)}{position if len(self.queue) > 1 else ''}\n"
                f"Allergies: {p.allergies or 'none recorded'} · {p.diagnosis_code} {p.diagnosis_label}",
            )
        )
        self.query_one("#review-state", Static).update(self._state(view) + self._induction(view))
        self.query_one("#review-times", Static).update(record_text.times_text(view, zone))
        self.query_one("#review-pain", Static).update(record_text.pain_text(view))
        self.query_one("#review-measures", Static).update(
            "\n".join(record_text.questionnaire_lines(view, zone))
            or "No PEG, PHQ-9 or GAD-7 at this session."
        )
        self.query_one("#review-pre", Static).update(record_text.pre_assessment_text(view, zone))
        self.query_one("#review-checklists", Static).update(
            "\n".join(record_text.checklist_lines(view, zone)) or "No checklist ticked."
        )
        self.query_one("#review-dose", Static).update("\n".join(record_text.dose_lines(view, zone)))
        self.query_one("#review-effects", Static).update("\n".join(record_text.side_effect_lines(view, zone)))
        self.query_one("#review-alerts", Static).update(
            "\n".join(record_text.alert_lines(view, zone) + record_text.override_lines(view, zone))
        )
        self.query_one("#review-notes", Static).update(s.notes or "No notes.")
        self.query_one("#review-returns", Static).update(
            "\n".join(record_text.return_text(r, view, zone) for r in view.returns)
        )
        self.query_one("#review-addenda", Static).update(self._signature_and_addenda(view))
        form = record_text.rems_lines(view, zone, self.clinic.protocol.thresholds)
        self.query_one("#review-rems", Static).update("\n".join(form))
        for part in self.query(".rems"):
            part.display = bool(form)
        self.query_one(Flowsheet).show(view, zone)
        self.query_one("#review-vitals-remarks", Static).update(
            "\n".join(record_text.reading_remarks(view, zone))
        )
        self.refresh_bindings()
        self.opened()

    def _state(self, view: SessionView) -> str:
        zone = self.clinic.zone
        if view.signature is not None:
            return record_text.signature_text(view.signature, zone)
        if view.open_return is not None:
            return record_text.return_text(view.open_return, view, zone)
        if view.session.status != SessionStatus.DISCHARGED:
            return (
                f"Not finished: {SessionStatus(view.session.status).label.lower()}; signed after discharge."
            )
        open_alerts = sum(1 for a in view.alerts if a.acknowledged_at is None)
        waiting = "Awaiting signature (F2 sign · F3 return to the nurse)"
        return f"{waiting} · ⚠ {open_alerts} alert(s) to acknowledge first (F12)" if open_alerts else waiting

    @staticmethod
    def _induction(view: SessionView) -> str:
        """At a series' last session: the end-of-induction review, or that it is still to be made."""
        s, review = view.session, view.induction_review
        if not s.series_length or s.series_number != s.series_length:
            return ""
        if review is None:
            return "\nEnd of the initial series: F10 records the end-of-induction review (maintenance waits)."
        note = f": {review.note}" if review.note else ""
        return f"\nEnd-of-induction review: {review.decision}{note} · {review.response}"

    def _signature_and_addenda(self, view: SessionView) -> str:
        zone = self.clinic.zone
        if view.signature is None:
            return "Not signed."
        parts = [record_text.signature_text(view.signature, zone)]
        parts += [record_text.addendum_text(a, n, zone) for n, a in enumerate(view.addenda, start=1)]
        return "\n\n".join(parts)

    # ----- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        view = self.view
        physician = self.clinic.actor.role is Role.PHYSICIAN
        if action in {"sign", "return_session"}:
            return physician and view is not None and view.signature is None and view.open_return is None
        if action == "addendum":
            return view is not None and view.signature is not None
        if action == "acknowledge":
            return view is not None and any(a.acknowledged_at is None for a in view.alerts)
        if action == "move":
            return len(self.queue) > 1
        if action == "induction_review":  # shown only where it can be made: a series' last session
            s = view.session if view is not None else None
            return (
                physician and s is not None and bool(s.series_length) and s.series_number == s.series_length
            )
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_move(self, step: int) -> None:
        index = (self.queue.index(self.session_id) + step) % len(self.queue)
        self.app.switch_screen(ReviewScreen(self.clinic, self.queue[index], self.queue))

    def _heading(self, what: str) -> str:
        if self.view is None:
            return what
        p, s = self.view.patient, self.view.session
        return f"{what}: {p.display_name} · {s.clinic_date:%d %b %Y} · {Method(s.method).label}"

    def action_sign(self) -> None:
        from widgets.sign_dialog import SignDialog

        app, clinic, session_id, shown_hash = self.app, self.clinic, self.session_id, self.shown_hash
        sitting = clinic.sitting

        def sign(meaning: SignatureMeaning, proof: signing.Proof) -> None:
            try:
                signing.sign_session(clinic.db, clinic.actor, session_id, meaning, proof, sitting, shown_hash)
            except Conflict:
                on_screen(self, self.reload, mark_changes=True)  # the dialog closes; the review shows why
                raise

        dialog = SignDialog(
            self._heading(f"Sign as {clinic.actor.display_name}"),
            sitting.needs_password(clinic.now()),
            sitting,
            sign,
        )
        app.push_screen(dialog, self._after_signing)

    def _after_signing(self, signed: SignatureMeaning | None) -> None:
        if not signed:
            return
        remaining = [sid for sid in self.queue if sid != self.session_id]
        if not remaining:
            self.app.pop_screen()
            self.app.notify("Signed. The queue is clear.")
            return
        following = self.queue[(self.queue.index(self.session_id) + 1) % len(self.queue)]
        self.app.notify("Signed. Next session in the queue.")
        self.app.switch_screen(ReviewScreen(self.clinic, following, remaining))

    def action_return_session(self) -> None:
        from widgets.note_dialog import NoteDialog

        app, clinic, session_id = self.app, self.clinic, self.session_id

        def send_back(comment: str) -> None:
            returns.return_for_correction(clinic.db, clinic.actor, session_id, comment)

        def done(sent: str | None) -> None:
            if sent:
                self.tell("↩ Returned to the nurse for correction.")
                self.reload()

        prompt = "What should the nurse correct? Enter sends it back."
        app.push_screen(NoteDialog(self._heading("Return for correction"), prompt, send_back), done)

    def action_addendum(self) -> None:
        from widgets.sign_dialog import AddendumDialog, AddendumText

        app, clinic, session_id = self.app, self.clinic, self.session_id
        sitting = clinic.sitting

        def add(data: dict, proof: signing.Proof) -> None:
            signing.add_addendum(clinic.db, clinic.actor, session_id, data, proof, sitting)

        def done(added: AddendumText | None) -> None:
            if added:
                self.tell("✓ Addendum added and signed.")
                self.reload()

        needs_password = sitting.needs_password(clinic.now())
        app.push_screen(AddendumDialog(self._heading("Addendum"), needs_password, sitting, add), done)

    def action_induction_review(self) -> None:
        if self.view is None:
            return
        review = self.view.induction_review
        if review is not None:
            self.tell(f"End-of-induction review already recorded: {review.decision} ({review.response})")
            return
        from widgets.induction_dialog import ask_induction_review

        def done(decision: str | None) -> None:
            if decision:
                self.tell(f"✓ End-of-induction review recorded: {decision}.")
                self.reload()

        heading = self._heading("End-of-induction review")
        ask_induction_review(
            self, self.clinic, self.session_id, heading, lambda why: self.tell(f"⚠ {why}"), done
        )

    def action_trajectory(self) -> None:
        from widgets.trajectory import TrajectoryScreen

        if self.view is not None:
            self.app.push_screen(TrajectoryScreen(self.clinic, self.view.patient.id))

    def action_audit(self) -> None:
        from widgets.audit_trail import AuditTrailScreen

        if self.view is not None:
            title = self._heading("Audit trail of the session")
            self.app.push_screen(
                AuditTrailScreen(self.clinic, title, lambda db: session_trail(db, self.session_id))
            )

    def action_originals(self) -> None:
        """Corrected values are marked ✎; F9 shows what each was before, and by whom it was changed."""
        shown = self.query_one("#review-originals", Static)
        if shown.display and str(shown.render()):
            shown.update("")
            return
        self._read_originals()

    @work(thread=True, exclusive=True, group="originals")
    def _read_originals(self) -> None:
        try:
            lines = original_lines(session_trail(self.clinic.db, self.session_id), self.clinic.zone)
        except ChairsideError as error:
            on_screen(self, self.tell, f"⚠ {error}")
            return
        on_screen(
            self, self._show_originals, "\n".join(["Originals of corrected values (F9 hides):", *lines])
        )

    def _show_originals(self, text: str) -> None:
        shown = self.query_one("#review-originals", Static)
        shown.update(text)
        self.call_after_refresh(shown.scroll_visible, animate=False)

    def action_acknowledge(self) -> None:
        from widgets.acknowledge import AcknowledgeDialog

        app, clinic = self.app, self.clinic
        open_alerts = [a for a in self.view.alerts if a.acknowledged_at is None] if self.view else []

        def acknowledge(alert: AlertShown, note: str, screener: tuple[bool, ...] | None) -> None:
            alerts.acknowledge(clinic.db, clinic.actor, alert.id, alert.version, note, screener)

        def done(acknowledged: AlertShown | None) -> None:
            if acknowledged is not None:
                self.reload()

        app.push_screen(
            AcknowledgeDialog(open_alerts, acknowledge, clinic.actor.role == Role.PHYSICIAN), done
        )

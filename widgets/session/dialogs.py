"""The dialogs the session screen opens by key (or Enter on a row of the chart), each storing
through its service; once one has stored, the record is read again through the save queue.

A dialog naming a row the screen shows (a reading, a side effect, an alert, the patient) passes its
id and the version shown, so a change made meanwhile at another workstation is refused, not
overwritten.
"""

from datetime import datetime
from typing import Any

from textual import on
from textual.widgets import DataTable, Static

from console.chair import alerts, charting
from console.chair.alert_shown import AlertShown
from console.chair.maintenance_gate import AWAITING_REVIEW
from console.chair.reading import Reading
from console.chair.series_plan import NoProposal, book_next, next_from_view
from console.chair.session_guide import Step
from console.chair.side_effect_shown import SideEffectShown
from console.domain.vocab import Method, OverrideRule, Role
from widgets.acknowledge import AcknowledgeDialog
from widgets.correction import CorrectionDialog
from widgets.session.save_queue import SaveQueue
from widgets.side_effect import ResolveDialog, SideEffectDialog


class SessionDialogs(SaveQueue):
    """The session screen's dialogs; the screen, which extends them, binds their keys."""

    def _stored_by_dialog(self, stored: object | None) -> None:
        """A dialog stored its entry (None: closed without storing): show the record as it is now."""
        if stored is not None:
            self._clear_refusal()
            self.reload()

    def action_side_effect(self) -> None:
        if self.view is None:
            return
        db, actor, session_id = self.clinic.db, self.clinic.actor, self.session_id

        def record(data: dict[str, Any]) -> None:
            charting.record_side_effect(db, actor, session_id, data)

        self.app.push_screen(
            SideEffectDialog(self.clinic.now(), self.clinic.zone, record), self._stored_by_dialog
        )

    @on(DataTable.RowSelected, "#effects")
    def _correct_effect(self, event: DataTable.RowSelected) -> None:
        if self.view is None:
            return
        effect = next(e for e in self.view.side_effects if str(e.id) == event.row_key.value)
        db, actor = self.clinic.db, self.clinic.actor

        def correct(data: dict[str, Any]) -> None:
            charting.correct_side_effect(db, actor, effect.id, effect.version, data)

        dialog = SideEffectDialog(self.clinic.now(), self.clinic.zone, correct, existing=effect)
        self.app.push_screen(dialog, self._stored_by_dialog)

    @on(DataTable.RowSelected, "#flowsheet")
    def _correct_reading(self, event: DataTable.RowSelected) -> None:
        if self.view is None:
            return
        reading = next(r for r in self.view.vitals if str(r.id) == event.row_key.value)
        db, actor, limits = self.clinic.db, self.clinic.actor, self.clinic.protocol.thresholds

        def correct(shown: Reading, values: dict[str, Any]) -> None:
            charting.correct_vitals(db, actor, shown.id, shown.version, values, limits)

        now = self.clinic.now()
        dialog = CorrectionDialog(
            reading,
            now,
            self.clinic.zone,
            correct,
            lambda reading_id: charting.get_reading(db, reading_id),
            self.view.window(now),
        )
        self.app.push_screen(dialog, self._stored_by_dialog)

    def action_acknowledge(self) -> None:
        open_alerts = [a for a in self.view.alerts if a.acknowledged_at is None] if self.view else []
        if not open_alerts:
            self.refuse("No open alert in this session.")
            return
        db, actor = self.clinic.db, self.clinic.actor

        def acknowledge(alert: AlertShown, note: str, screener: tuple[bool, ...] | None) -> None:
            alerts.acknowledge(db, actor, alert.id, alert.version, note, screener)

        self.app.push_screen(
            AcknowledgeDialog(open_alerts, acknowledge, actor.role == Role.PHYSICIAN), self._stored_by_dialog
        )

    def action_resolve_side_effect(self) -> None:
        open_effects = [e for e in self.view.side_effects if e.resolved_at is None] if self.view else []
        if not open_effects:
            self.refuse("No side effect of this session is waiting to be resolved.")
            return
        db, actor = self.clinic.db, self.clinic.actor

        def resolve(effect: SideEffectShown, at: datetime, action_taken: str) -> None:
            charting.resolve_side_effect(db, actor, effect.id, effect.version, at, action_taken)

        dialog = ResolveDialog(open_effects, self.clinic.now(), self.clinic.zone, resolve)
        self.app.push_screen(dialog, self._stored_by_dialog)

    def action_override(self) -> None:
        from console.chair.overrides import record_override, record_override_at_chair
        from widgets.override_dialog import OverrideDialog

        if self.view is None:
            return
        clinic, session_id = self.clinic, self.session_id
        at_chair = clinic.actor.role != Role.PHYSICIAN  # the protocol lets only physicians override

        def store(rule: OverrideRule, reason: str, username: str, secret: str) -> None:
            if at_chair:
                record_override_at_chair(
                    clinic.db, session_id, rule, reason, clinic.protocol, username, secret
                )
            else:
                record_override(clinic.db, clinic.actor, session_id, rule, reason, clinic.protocol)

        def done(recorded: OverrideRule | None) -> None:
            if recorded:
                self.query_one("#entry-error", Static).update(
                    "✓ Override recorded: the step can be done now."
                )
                self.reload()

        who = "the physician at the chair" if at_chair else clinic.actor.display_name
        heading = f"Override for {self.view.patient.display_name} (recorded as {who})"
        self.app.push_screen(OverrideDialog(heading, store, at_chair=at_chair), done)

    def action_trajectory(self) -> None:
        from widgets.trajectory import TrajectoryScreen

        if self.view is not None:
            self.app.push_screen(TrajectoryScreen(self.clinic, self.view.patient.id))

    def action_rems_form(self) -> None:
        from widgets.rems_dialog import RemsDialog

        if self.view is not None and self.view.session.method == Method.NASAL:
            self.app.push_screen(RemsDialog(self.clinic, self.view), lambda _stored: self.reload())

    def action_audit(self) -> None:
        from console.review.audit_trail import session_trail
        from widgets.audit_trail import AuditTrailScreen

        if self.view is not None:
            title = (
                f"Audit trail: {self.view.patient.display_name} · {self.view.session.clinic_date:%d %b %Y}"
            )
            session_id = self.session_id
            self.app.push_screen(
                AuditTrailScreen(self.clinic, title, lambda db: session_trail(db, session_id))
            )

    def action_resubmit(self) -> None:
        from console.review.returns import resubmit
        from widgets.note_dialog import NoteDialog

        returned = self.view.open_return if self.view else None
        if returned is None:
            return
        clinic, session_id = self.clinic, self.session_id

        def store(response: str) -> None:
            resubmit(clinic.db, clinic.actor, session_id, response)

        dialog = NoteDialog(
            "Resubmit to the physician",
            "What did you correct? Enter resubmits.",
            store,
            context=f"Physician's comment: {returned.comment}",
        )
        self.app.push_screen(dialog, lambda sent: self.reload() if sent else None)

    def action_medications(self) -> None:
        from console.clinic.patients import record_medications
        from widgets.medications_dialog import MedicationsDialog

        if self.view is None:
            return
        clinic, patient = self.clinic, self.view.patient

        def store(medications: str, history: list[str]) -> None:
            data = {"medications": medications, "relevant_history": history}
            record_medications(clinic.db, clinic.actor, patient.id, patient.version, data)

        self.app.push_screen(MedicationsDialog(patient, store), self._stored_by_dialog)

    def action_lab_tests(self) -> None:
        from console.chair.lab_monitoring import record_lab_results, result_text
        from console.chair.session_guide import tests_line
        from console.domain.lab_values import typed_results
        from widgets.lab_dialog import LabDialog

        if self.view is None:
            return
        clinic, patient, view = self.clinic, self.view.patient, self.view
        rules = clinic.protocol.lab_monitoring
        summary = [result_text(result, rules) for result in view.lab_results.values()]
        due = tests_line(view, clinic.protocol)
        summary += [due] if due else []

        def store(taken_on: str, liver: str, urinary: str, pregnancy: str) -> None:
            results = typed_results(taken_on, liver, urinary, pregnancy)
            record_lab_results(clinic.db, clinic.actor, patient.id, results, clinic.zone)

        dialog = LabDialog(patient.display_name, summary, clinic.today().isoformat(), store)
        self.app.push_screen(dialog, self._stored_by_dialog)

    def action_book_next(self) -> None:
        """Book the next appointment the discharge step proposes; the step then says it is booked.
        After a series' last session a physician is asked for the end-of-induction review first."""
        clinic, session_id = self.clinic, self.session_id
        self.action_step(Step.POST)
        view = self.view
        waiting = view is not None and next_from_view(view, clinic.protocol.series) == NoProposal(
            AWAITING_REVIEW
        )
        if view is not None and waiting and clinic.actor.role is Role.PHYSICIAN:
            from widgets.induction_dialog import ask_induction_review

            heading = f"End-of-induction review: {view.patient.display_name}"
            ask_induction_review(self, clinic, session_id, heading, self.refuse, self._stored_by_dialog)
            return
        self.save(lambda _version: book_next(clinic.db, clinic.actor, session_id, clinic.protocol.series))

    def action_addendum(self) -> None:
        from console.review.signing import Proof, add_addendum
        from widgets.sign_dialog import AddendumDialog

        if self.view is None:
            return
        clinic, session_id, sitting = self.clinic, self.session_id, self.clinic.sitting

        def add(data: dict[str, Any], proof: Proof) -> None:
            add_addendum(clinic.db, clinic.actor, session_id, data, proof, sitting)

        heading = f"Addendum: {self.view.patient.display_name} · {self.view.session.clinic_date:%d %b %Y}"
        dialog = AddendumDialog(heading, sitting.needs_password(clinic.now()), sitting, add)
        self.app.push_screen(dialog, lambda added: self.reload() if added else None)

"""The session screen's one queue: every save, and every re-read, in the order it was confirmed.

Each job runs a service call in a worker thread after every job queued before it, given the
session's version as the job before it left it; then the record is read again and shown. A refusal
is said under the field it came from; a conflict (another workstation stored first) shows the record
as it is now, says what changed and keeps what was typed. A job whose outcome decides where the
focus goes holds the keys typed meanwhile until that outcome is on screen (`ReadsFirst`).
"""

import threading

from textual import work
from textual.widgets import Input

from console.chair.dose_plan import DosePlan, suggested_dose
from console.chair.overdue import session_view_for
from console.chair.session_view import SessionView
from console.domain.errors import ChairsideError, Conflict, InvalidInput, NotAllowed
from console.review.changes import changes
from widgets.context import Clinic
from widgets.opening import ReadsFirst
from widgets.session.recorder import StepForm, Store, Then
from widgets.session.typed import TypedEntries
from widgets.ui_thread import on_screen

UNEXPECTED = "Not stored: an unexpected error (see the message). What is typed is still here: Enter again."


class SaveQueue(ReadsFirst, TypedEntries):
    """The session screen's saves and re-reads; the screen, which extends it, shows what each job
    leaves (the methods at the end)."""

    clinic: Clinic
    session_id: int

    def __init__(self) -> None:
        super().__init__()
        self._last_job = threading.Event()  # set once the last job queued is done
        self._last_job.set()

    def reload(self, focus_next: bool = False) -> None:
        """Read the record again through the save queue, so it never overtakes a pending save."""
        self.save(_read_again, None, "next" if focus_next else None)

    def _reread_if_idle(self) -> None:
        """Another workstation's changes show within seconds; never while something typed is unsaved."""
        if self._last_job.is_set() and not self._typed and self.view is not None:
            self.reload()

    def save(
        self, store: Store, field: Input | None = None, then: Then = None, form: StepForm | None = None
    ) -> None:
        """Run one service call off the UI thread, after every call confirmed before it.

        `form`: a whole form's entry (no single field): once stored, what was typed in it is stored.
        """
        previous, done = self._last_job, threading.Event()
        self._last_job = done
        if then is not None:
            self.moving()  # keys typed meanwhile wait for the field this entry's outcome focuses
        typed = field.value if field is not None else None
        seen = self.seen_when_typed(field) if field is not None else self.seen_in(form) if form else self.view
        self._run_job(store, field, typed, seen, form, then, previous, done)

    @work(thread=True, group="saves")
    def _run_job(
        self,
        store: Store,
        field: Input | None,
        typed: str | None,
        seen: SessionView | None,
        form: StepForm | None,
        then: Then,
        previous: threading.Event,
        done: threading.Event,
    ) -> None:
        """One job of the queue: each sees the record as the job before it left it."""
        try:
            previous.wait()
            try:
                store(self.view.session.version if self.view else 0)
            except Conflict as exc:
                self._reload_now()
                on_screen(self, self._conflicted, str(exc), field, typed, seen, form)
                return
            except ChairsideError as exc:
                if isinstance(exc, NotAllowed):  # refused for the record's state: show it as it is now
                    self._reload_now()
                named = form.field_named(exc.field) if form and isinstance(exc, InvalidInput) else None
                on_screen(self, self.refuse, str(exc), field or named)  # under the value refused
                return
            except Exception:
                on_screen(self, self.refuse, UNEXPECTED, field)
                raise  # logged, and the nurse told, by the application
            if store is not _read_again:  # stored: an earlier refusal no longer stands
                on_screen(self, self._saved, field, form)
            self._reload_now(focus_next=then == "next")
            if then not in (None, "next"):
                on_screen(self, self.action_step, then)
        finally:
            done.set()
            if then is not None:
                on_screen(self, self.moved)  # after the step, the refusal or the reload it queued

    def _reload_now(self, focus_next: bool = False) -> None:
        clinic = self.clinic
        try:
            view = session_view_for(clinic.db, self.session_id, clinic.protocol, clinic.zone)
            plan = suggested_dose(clinic.db, view.session) if not view.doses else None
        except ChairsideError as exc:  # the database went away: say so, keep what is on screen
            on_screen(self, self.refuse, f"{exc}. What was confirmed before is stored.")
            return
        unchanged = view == self.view and not focus_next
        self.view = view  # the next queued job reads its version from here
        if not unchanged:  # a re-read that finds nothing new leaves the screen (and its cursors) alone
            on_screen(self, self._show, view, plan, focus_next)

    def _conflicted(
        self,
        message: str,
        field: Input | None,
        typed: str | None,
        before: SessionView | None,
        form: StepForm | None = None,
    ) -> None:
        """Another workstation changed the record first: it is on screen now, with what changed,
        and what was typed stays for the nurse to enter again."""
        if form is not None and self.view is not None:  # the form's next save answers what is shown now
            for begun in [f for f in self._seen if form in f.ancestors]:
                self._seen[begun] = self.view
        if field is not None:
            self._seen.pop(field, None)  # Enter again replaces what is shown now, knowingly
            if typed is not None and field.value != typed:
                field.value = typed  # the reload showed the stored value; hers is the one to keep
                self._typed.add(field)
        if self.view is not None:
            for form in self.query(StepForm):
                form.after_conflict(self.view)
        found = changes(before, self.view, self.clinic.zone) if before and self.view else []
        lines = [change.describe() for change in found]
        shown = "; now on screen: " + " · ".join(lines) if lines else "; the screen shows it as it is now"
        self.refuse(f"{message}{shown}", field)

    def _saved(self, field: Input | None, form: StepForm | None = None) -> None:
        self._clear_refusal()
        if form is not None:  # a whole form was stored (pre-assessment, dose): so is what it held
            for typed in [f for f in self._typed | set(self._seen) if form in f.ancestors]:
                self._typed.discard(typed)
                self._seen.pop(typed, None)
        if field is None:
            return
        owner = next(a for a in field.ancestors if isinstance(a, StepForm))
        if field.id in owner.ONE_SHOT:
            field.value = ""  # first: emptying the field the nurse is in is not her typing
        self._typed.discard(field)
        self._seen.pop(field, None)
        owner.after_stored(field)

    # ----- what the screen does with an outcome ------------------------------------------------
    def _show(self, view: SessionView, plan: DosePlan | None, focus_next: bool) -> None:
        """Show the record as read (and the dose form's start values, before any dose)."""
        raise NotImplementedError

    def refuse(self, message: str, field: Input | None = None) -> None:
        """Say why an entry was not stored."""
        raise NotImplementedError

    def _clear_refusal(self) -> None:
        raise NotImplementedError

    def action_step(self, step: str) -> None:
        """Go to a step of the visit."""
        raise NotImplementedError


def _read_again(_version: int) -> None:
    """The save queue's no-op: the record is read again after every job before it."""

"""Book an appointment or a walk-in from the board: an existing patient by MRN, or a new one."""

from datetime import date, datetime, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from console.chair.booking import Booking, NewPatient, book
from console.clinic.patient_shown import PatientShown
from console.clinic.patients import shown_by_mrn
from console.domain.errors import ChairsideError
from console.domain.vocab import Method, Sex
from widgets.context import Clinic
from widgets.dialog import StoreDialog
from widgets.number_input import NumberInput
from widgets.ui_thread import on_screen


class BookingDialog(StoreDialog[int]):
    """Closes with the new session's id, or None when cancelled."""

    DEFAULT_CSS = """
    #booking-box { width: 70; height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    #booking-box Select { width: 100%; }
    #patient-found { height: auto; color: $success; }
    .new-patient { display: none; }
    BookingDialog.new .new-patient { display: block; }
    """

    def __init__(self, clinic: Clinic, day: date, now: datetime) -> None:
        super().__init__()
        self.clinic = clinic
        self.day = day
        self.now = now

    def compose(self) -> ComposeResult:
        slot = (self.now + timedelta(minutes=15 - self.now.minute % 15)).strftime("%H:%M")
        with VerticalScroll(id="booking-box", classes="dialog-box"):
            yield Label(f"Book a session on {self.day:%A %d %B %Y}")
            yield Label("MRN (scan the wristband, or type a new MRN for a new patient)")
            yield Input(id="book-mrn", max_length=20, classes="takes-codes")
            yield Static("", id="patient-found", markup=False)
            with Vertical(classes="new-patient"):
                yield Label("New patient: family name")
                yield Input(id="book-family", max_length=80)
                yield Label("Given name")
                yield Input(id="book-given", max_length=80)
                yield Label("Date of birth (YYYY-MM-DD)")
                yield Input(id="book-dob", max_length=10)
                yield Label("Sex")
                yield Select([(s.value, s.value) for s in Sex], id="book-sex", value=Sex.UNKNOWN.value)
                yield Label("Weight (kg), measured today")
                yield NumberInput("Weight", id="book-weight")
            yield Label("Time (HH:MM)")
            yield Input(id="book-time", value=slot, max_length=5)
            yield Label("Chair")
            yield Input(id="book-chair", max_length=8)
            yield Label("Method")
            yield Select([(m.label, m.value) for m in Method], id="book-method", value=Method.IV.value)
            yield self.refusal("booking-error")
            yield Button("Book", id="book", variant="primary")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#book-mrn", Input))

    @on(Input.Changed, "#book-mrn")
    def _look_up(self, event: Input.Changed) -> None:
        self._find(event.value)

    @work(thread=True, exclusive=True, group="booking-lookup")
    def _find(self, mrn: str) -> None:
        try:
            patient = shown_by_mrn(self.clinic.db, mrn) if len(mrn.strip()) >= 3 else None
        except ChairsideError as exc:
            on_screen(self, self.refuse, str(exc))
            return
        on_screen(self, self._found, patient, mrn)

    def _found(self, patient: PatientShown | None, mrn: str) -> None:
        text = f"✓ {patient.display_name}, born {patient.date_of_birth}" if patient else ""
        if not patient and len(mrn.strip()) >= 3:
            text = "New MRN: enter the new patient's details."
        self.query_one("#patient-found", Static).update(text)
        self.set_class(patient is None and len(mrn.strip()) >= 3, "new")

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#book")
    def _book(self) -> None:
        def typed(selector: str) -> str:
            return self.query_one(selector, Input).value

        booking = Booking(
            mrn=typed("#book-mrn"),
            day=self.day,
            time=typed("#book-time"),
            chair=typed("#book-chair"),
            method=str(self.query_one("#book-method", Select).value),
            new_patient=NewPatient(
                family_name=typed("#book-family"),
                given_name=typed("#book-given"),
                date_of_birth=typed("#book-dob"),
                sex=str(self.query_one("#book-sex", Select).value),
                weight_kg=typed("#book-weight"),
            ),
        )
        clinic = self.clinic
        self.save_returning(lambda: book(clinic.db, clinic.actor, booking, clinic.protocol.series).id)

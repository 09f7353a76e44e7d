"""The REMS Patient Monitoring Form of a nasal esketamine session: the form as it stands, what it
still needs, and the facts only the chair can give (each device's time, what was seen and when it
resolved, when the patient would have been ready to leave). Enter in the last field stores them."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from console.chair import rems
from console.chair.session_view import SessionView
from console.domain.errors import ChairsideError, NotAllowed
from widgets.context import Clinic
from widgets.dialog import StoreDialog

SEEN = {
    "sedation": "#rems-sedation",
    "dissociation": "#rems-dissociation",
    "respiratory_depression": "#rems-respiratory",
}
ORDER = ["#rems-devices", *SEEN.values(), "#rems-ready"]


def form_text(form: rems.RemsForm) -> str:
    """The form as lines a person reads: each field and its value, then what it still needs."""
    width = max(len(line.label) for line in form.lines)
    lines = [f"{line.label:<{width}}  {line.value or '-'}" for line in form.lines]
    needs = (
        ["Complete: ready to submit."]
        if form.complete
        else ["Still needs:", *(f"  {m}" for m in form.missing)]
    )
    return "\n".join([*needs, "", *lines])


class RemsDialog(StoreDialog[bool]):
    DEFAULT_CSS = """
    #rems-box { width: 100; max-width: 100%; height: 100%; max-height: 44; border: round $accent; }
    #rems-title { text-style: bold; }
    #rems-form { height: 1fr; min-height: 3; }
    /* one line per entry, label then field, so the form itself keeps most of a 24-line terminal */
    .rems-row { height: 1; }
    .rems-row Label { width: 46; }
    .rems-row Input { border: none; height: 1; width: 1fr; padding: 0 1; background: $boost; }
    .rems-row Input:focus { background: $accent 30%; }
    """

    def __init__(self, clinic: Clinic, view: SessionView) -> None:
        super().__init__()
        self.clinic, self.view = clinic, view
        facts = rems.facts_from_view(view)
        self.form = rems.rems_form(
            facts, clinic.settings.clinic_name, clinic.protocol.thresholds, clinic.zone
        )

    def compose(self) -> ComposeResult:
        view, zone, check = self.view, self.clinic.zone, self.view.rems
        with self.body("rems-box"):
            yield Static(
                f"REMS monitoring form: {view.patient.display_name} · {view.session.clinic_date:%d %b %Y}",
                id="rems-title",
                markup=False,
            )
            with VerticalScroll(id="rems-form"):
                yield Static(form_text(self.form), id="rems-form-text", markup=False)
            with Horizontal(classes="rems-row"):
                yield Label("Devices used at (HH:MM each, in order)")
                yield Input(_devices_shown(view, zone), id="rems-devices", max_length=20)
            yield Static(
                "Seen: no, or HH:MM it began; and -HH:MM once it resolved (10:20-11:05)",
                classes="rems-hint",
                markup=False,
            )
            for name, selector in SEEN.items():
                with Horizontal(classes="rems-row"):
                    yield Label(f"{name.replace('_', ' ').capitalize()} seen")
                    yield Input(rems.shown_observation(check, name, zone), id=selector[1:], max_length=11)
            ready = "" if check is None or check.ready_to_leave_min is None else str(check.ready_to_leave_min)
            with Horizontal(classes="rems-row"):
                yield Label("Ready to leave, min from first device (Enter)")
                yield Input(ready, id="rems-ready", max_length=3)
            yield self.refusal("rems-error")

    def on_mount(self) -> None:
        if self.view.signature is not None:  # locked: the form is shown, not taken
            for row in self.query(".rems-row, .rems-hint"):
                row.display = False
            self.refuse("Signed and locked: an addendum (Ctrl+N) records anything to add.")
            return
        self.set_focus(self.query_one("#rems-devices", Input))

    @on(Input.Submitted)
    def _next_or_store(self, event: Input.Submitted) -> None:
        place = ORDER.index(f"#{event.input.id}")
        if place + 1 < len(ORDER):
            self.set_focus(self.query_one(ORDER[place + 1], Input))
            return
        try:
            store = self._store()
        except ChairsideError as refused:
            self.refuse(str(refused))
            return
        self.save(store, True)

    def _store(self) -> Callable[[], None]:
        """What Enter stores, read from the fields now: refused here when a time cannot be read."""
        clinic, session_id, check = self.clinic, self.view.session.id, self.view.rems
        now, zone = clinic.now(), clinic.zone
        devices = rems.typed_devices(self.query_one("#rems-devices", Input).value, now, zone)
        seen = {name: self.query_one(selector, Input).value for name, selector in SEEN.items()}
        observations = rems.typed_observations(seen, self.query_one("#rems-ready", Input).value, now, zone)

        def store() -> None:
            if check is None:
                raise NotAllowed("ask the REMS questions at pre-assessment first (F3)")
            version = check.version
            if devices is not None:
                version = rems.record_devices(clinic.db, clinic.actor, session_id, version, devices).version
            if observations is not None:
                rems.record_observations(clinic.db, clinic.actor, session_id, version, observations)

        return store


def _devices_shown(view: SessionView, zone: ZoneInfo) -> str:
    """The devices' times as recorded; before any, the dose's time as the first device's."""
    check = view.rems
    recorded = [] if check is None else [check.device_1_at, check.device_2_at, check.device_3_at]
    times = [at for at in recorded if at is not None]
    if not times and view.doses:
        times = [view.doses[0].administered_at]
    return " ".join(f"{at.astimezone(zone):%H:%M}" for at in times)

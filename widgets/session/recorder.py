"""What a step's form needs from its screen: the record as last read and the one queue saves go through."""

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Literal, Protocol

from textual import on
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, SelectionList

from console.chair import charting, questionnaires
from console.chair.session_guide import Step
from console.chair.session_view import SessionView
from console.domain.errors import ChairsideError
from console.domain.inputs import VitalsIn, parse
from console.domain.questionnaires import parse_answers
from console.domain.quick_vitals import SessionWindow, parse_quick_vitals
from console.domain.vocab import Checklist, Instrument
from widgets.context import Clinic
from widgets.number_input import NumberInput

Store = Callable[[int], object]  # given the session's version as last read, stores one entry
Then = Step | Literal["next"] | None  # where focus goes once the entry is stored


class FieldDone(Message):
    """Enter in a typed field, queued behind every key typed into it before Enter."""

    def __init__(self, field: Input) -> None:
        super().__init__()
        self.field = field


class Recorder(Protocol):
    clinic: Clinic
    session_id: int

    @property
    def view(self) -> SessionView | None: ...

    def save(
        self, store: Store, field: Input | None = None, then: Then = None, form: "StepForm | None" = None
    ) -> None: ...

    def refuse(self, message: str, field: Input | None = None) -> None: ...

    def seen_when_typed(self, field: Input) -> SessionView | None: ...

    def is_being_typed(self, field: Input) -> bool: ...

    def seen_in(self, form: "StepForm") -> SessionView | None: ...


class StepForm(Vertical):
    """One step's fields, their order and their saves; the screen shows one step at a time."""

    DEFAULT_CSS = "StepForm { height: auto; }"  # as tall as its fields: the entry column scrolls them

    STEP: ClassVar[Step]
    # Where focus goes when Enter is pressed in a typed field (None: stay, the entry completes the step).
    NEXT_FIELD: ClassVar[dict[str, str | None]] = {}
    # Fields that take one entry at a time: emptied once it is stored, ready for the next.
    ONE_SHOT: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(id=f"step-{self.STEP}")
        self.recorder = recorder
        self.clinic = recorder.clinic
        # An entry not stored yet (the database was down): field id -> (text, when it was first entered).
        self._unsaved: dict[str, tuple[str, datetime]] = {}

    def entered_at(self, field: Input) -> datetime:
        """When this value was entered: a retry after a failed save keeps the time of the first Enter."""
        key, text = field.id or "", field.value.strip()
        earlier = self._unsaved.get(key)
        if earlier is not None and earlier[0] == text:
            return earlier[1]
        self._unsaved[key] = (text, self.clinic.now())
        return self._unsaved[key][1]

    def stored(self, field: Input) -> None:
        """The entry is in the record: a same value typed later is a new entry, with its own time."""
        self._unsaved.pop(field.id or "", None)

    def next_field(self, field_id: str) -> str | None:
        """Where Enter in `field_id` sends focus (NEXT_FIELD, unless the step knows better)."""
        return self.NEXT_FIELD.get(field_id)

    def first_field(self, view: SessionView) -> str:
        """The selector of the field focus lands on when the step opens."""
        raise NotImplementedError

    def field_named(self, name: str) -> Input | None:
        """The field of this form that holds the record's `name` (a refusal's field), if it has one."""
        return None

    def show(self, view: SessionView) -> None:
        """Bring the step's fields in line with the record as just read."""

    def field_done(self, field: Input) -> None:
        """A typed value is complete (Enter): store it."""

    def after_conflict(self, view: SessionView) -> None:
        """A save was refused as stale; `view` is the record as the screen now shows it."""

    def after_stored(self, field: Input) -> None:
        """The entry typed in `field` is in the record (the screen has emptied a one-shot field)."""

    def unsaved_ticks(self, view: SessionView) -> list[str]:
        """What is ticked on screen and not in the record `view` yet, by name, to ask before leaving."""
        return []

    def ticks_not_stored(self, selector: str, view: SessionView, checklist: Checklist) -> bool:
        """The checklist at `selector` has items ticked that the record does not have yet."""
        ticked = {str(item) for item in self.query_one(selector, SelectionList).selected}
        return bool(ticked - view.ticked(checklist))

    @on(FieldDone)
    def _field_done(self, message: FieldDone) -> None:
        message.stop()
        field = message.field
        if isinstance(field, NumberInput) and (problem := field.problem()):
            self.recorder.refuse(problem, field)  # never stored, never cut to the digits it holds
            return
        self.field_done(field)

    def window(self) -> SessionWindow | None:
        """When this session's readings can have been taken (None until the record is read)."""
        view = self.recorder.view
        return None if view is None else view.window(self.clinic.now())

    def record_pain(self, kind: str, field: Input) -> None:
        db, actor, session_id = self.clinic.db, self.clinic.actor, self.recorder.session_id
        data = {"kind": kind, "score": field.value.strip() or None, "scored_at": self.entered_at(field)}
        seen = self.recorder.seen_when_typed(field)
        replacing = getattr(seen.session, f"pain_{kind}", None) if seen is not None else None

        def store(version: int) -> None:
            charting.record_pain(db, actor, session_id, data, version, replacing=replacing)
            self.stored(field)

        self.recorder.save(store, field)

    def record_questionnaire(self, instrument: Instrument, field: Input) -> None:
        """A questionnaire's line: refused here when it does not read; stored, or correcting the
        answers shown when the nurse began typing."""
        db, actor, session_id = self.clinic.db, self.clinic.actor, self.recorder.session_id
        if not field.value.strip():
            return  # not asked now: the field, and the board, still say it is due
        try:
            items = parse_answers(instrument, field.value)
        except ChairsideError as exc:
            self.recorder.refuse(str(exc), field)
            return
        seen = self.recorder.seen_when_typed(field)
        if seen is None:
            return  # nothing typed: what the field shows is on record
        shown = seen.answered(instrument)
        if shown is not None and shown.items == items:
            return  # the answers on record, confirmed as they are

        def store(_version: int) -> None:
            questionnaires.record(db, actor, session_id, instrument, items, shown.version if shown else None)

        self.recorder.save(store, field)

    def record_vitals(self, field: Input) -> None:
        """Refused here, where the nurse is typing, before any round trip to the database."""
        clinic, session_id = self.clinic, self.recorder.session_id
        try:
            values = parse_quick_vitals(field.value, self.entered_at(field), clinic.zone, self.window())
            parse(VitalsIn, values)
        except ChairsideError as exc:
            self.recorder.refuse(str(exc), field)
            return
        limits = clinic.protocol.thresholds

        def store(_version: int) -> None:
            charting.record_vitals(clinic.db, clinic.actor, session_id, values, limits)
            self.stored(field)

        self.recorder.save(store, field)

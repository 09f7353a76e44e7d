"""One typed row per export file, its fields named exactly as the data dictionary's columns, in order.

A test holds each row type's fields equal to its file's columns in `dictionary.py` (which type is
which file's: `catalogue.py`); the producers in `rows.py` fill them by name and the writer picks
them by name.
"""

from datetime import date, datetime
from typing import NamedTuple

Day = date  # inside a row, the field named `date` hides the type


class SessionRow(NamedTuple):
    date: date
    session_id: int
    chair: str
    mrn: str
    patient: str
    pseudonym: str | None
    birth_year: int
    method: str
    drug: str | None
    dose_mg: float | None
    mg_per_kg: float | None
    weight_kg: float | None
    rate_mg_per_kg_h: float | None
    start: datetime | None
    end: datetime | None
    duration_min: int | None
    pain_before: int | None
    pain_after: int | None
    pain_change: int | None
    percent_change: float | None
    immpact_class: str | None
    side_effects: str | None
    highest_grade: int | None
    alerts: int
    overrides: int
    status: str
    nurse: str | None
    signed_by: str | None
    signed_at: datetime | None
    signature_meaning: str | None
    addenda: int


class VitalsRow(NamedTuple):
    session_id: int
    measured_at: datetime | str  # as stored: SQLite's UTC text (see rows.stored_time)
    recorded_at: datetime | str
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    resp_rate: int
    moaas: int
    temperature_c: float | None
    taken_by: str
    alert_raised: bool
    corrected: bool


class SideEffectRow(NamedTuple):
    session_id: int
    effect: str
    other_text: str
    grade: int
    onset_at: datetime
    resolved_at: datetime | None
    action_taken: str
    recorded_by: str


class ControlledRow(NamedTuple):
    row_type: str
    date: date
    session_id: int | None
    drug: str
    lot_number: str
    concentration_mg_per_ml: float | None
    drawn_mg: float | None
    given_mg: float | None
    wasted_mg: float
    witness: str | None
    administered_by: str | None
    mismatch: bool
    stop_reason: str | None


class NoteRow(NamedTuple):
    session_id: int
    written_at: datetime | None
    author: str | None
    text: str


class AlertRow(NamedTuple):
    session_id: int
    rule: str
    value: str
    message: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement: str


class ReturnRow(NamedTuple):
    session_id: int
    returned_at: datetime
    returned_by: str
    comment: str
    resubmitted_at: datetime | None
    resubmitted_by: str | None
    response: str


class AddendumRow(NamedTuple):
    session_id: int
    written_at: datetime
    author: str
    author_role: str
    reason: str
    text: str


class BillingRow(NamedTuple):
    date: date
    session_id: int
    mrn: str
    patient: str
    diagnosis: str
    drug: str
    given_mg: float
    lot_numbers: str
    ndc: str
    service_code: str
    service_units: int
    additional_code: str
    additional_units: int
    drug_code: str
    start: datetime
    stop: datetime | None
    minutes: int | None
    rendering_nurse: str | None
    supervising_physician: str | None


class RemsRow(NamedTuple):
    date: date
    session_id: int
    mrn: str
    patient: str
    pseudonym: str | None
    birth_year: int | None
    date_of_birth: Day
    sex: str
    enrolment_id: str | None
    benzodiazepines: bool | None
    sedative_hypnotics: bool | None
    psychostimulants: bool | None
    maois: bool | None
    opioids: bool | None
    monitoring_clinician: str | None
    dose_mg: float | None
    lot_numbers: str | None
    device_1_at: datetime | None
    device_2_at: datetime | None
    device_3_at: datetime | None
    total_minutes: int | None
    ready_to_leave_min: int | None
    vitals_acceptable_before: bool | None
    vitals_acceptable_leaving: bool | None
    bp_before_systolic: int | None
    bp_before_diastolic: int | None
    bp_before_at: datetime | None
    bp_40_min_systolic: int | None
    bp_40_min_diastolic: int | None
    bp_40_min_at: datetime | None
    bp_leaving_systolic: int | None
    bp_leaving_diastolic: int | None
    bp_leaving_at: datetime | None
    sedation: bool | None
    sedation_at: datetime | None
    sedation_resolved_at: datetime | None
    dissociation: bool | None
    dissociation_at: datetime | None
    dissociation_resolved_at: datetime | None
    respiratory_depression: bool | None
    respiratory_depression_at: datetime | None
    respiratory_depression_resolved_at: datetime | None
    form_complete: bool
    missing: str


class QuestionnaireRow(NamedTuple):
    session_id: int
    instrument: str
    loinc: str | None
    answered_at: datetime
    asked_by: str
    item_1: int
    item_2: int
    item_3: int
    item_4: int | None
    item_5: int | None
    item_6: int | None
    item_7: int | None
    item_8: int | None
    item_9: int | None
    score: float
    band: str | None
    series_start_score: float | None
    change_percent: float | None
    change_class: str | None


# A row of any file: every one has a session_id (a controlled-substance total: None).
Record = (
    SessionRow
    | VitalsRow
    | SideEffectRow
    | ControlledRow
    | NoteRow
    | AlertRow
    | ReturnRow
    | AddendumRow
    | BillingRow
    | RemsRow
    | QuestionnaireRow
)

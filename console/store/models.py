"""The clinical record as SQLModel tables; every essential rule is repeated as a CHECK constraint.

Rows are built only from validated input models (see `console.domain.inputs`): constructing a
`table=True` model directly skips pydantic validation, so the constraints are the last guard.

Every table is in this one module, on purpose: the schema reads as a whole (keys, CHECKs, indexes)
and the schema test compares it as a whole with a migrated database.
"""

from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import CheckConstraint, Index, String, Table, Text, UniqueConstraint, false, inspect
from sqlmodel import Field, SQLModel

from console.domain.ctcae import grade_check_sql
from console.domain.vocab import (
    Checklist,
    Drug,
    InductionDecision,
    InfusionEventKind,
    Instrument,
    LabFinding,
    LabKind,
    Method,
    OverrideRule,
    PainKind,
    Role,
    Route,
    SessionStatus,
    Sex,
    SideEffectType,
    SignatureMeaning,
    sql_in,
)
from console.store.codes import Code
from console.store.timestamps import UTCDateTime

# Every `id` is typed `int`: a row read from the database always has one, and code reads the id of a
# new row only after its insert has flushed it (`Field(default=None)` lets the database assign it).

# Named constraints keep Alembic batch migrations on SQLite reproducible.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _utc(nullable: bool = False) -> Any:  # as sqlmodel's Field: any column's default
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


def _between(column: str, low: float, high: float) -> CheckConstraint:
    return CheckConstraint(
        f"{column} IS NULL OR ({column} >= {low} AND {column} <= {high})", name=f"{column}_range"
    )


def table_of(model: type[SQLModel]) -> Table:
    """A model's table for bulk reads and inserts (SQLModel does not declare `__table__` for checkers)."""
    return cast(Table, inspect(model).local_table)


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(sql_in("role", Role), name="role_known"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_nonnegative"),
        CheckConstraint("length(username) BETWEEN 3 AND 32", name="username_length"),
    )

    id: int = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(32), unique=True)
    display_name: str = Field(sa_type=String(80))
    role: Role = Field(sa_type=Code(Role, 16))
    password_hash: str = Field(sa_type=String(200))
    # The short second factor for later signatures in a sitting (argon2id); None until the user sets one.
    signing_pin_hash: str | None = Field(default=None, sa_type=String(200))
    active: bool = True
    failed_attempts: int = 0
    # Set when an administrator resets the password: the user chooses a new one at the next sign-in.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = _utc()


class Patient(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("length(mrn) BETWEEN 3 AND 20", name="mrn_length"),
        CheckConstraint(sql_in("sex", Sex), name="sex_known"),
        _between("weight_kg", 2, 400),
        CheckConstraint("(weight_kg IS NULL) = (weight_measured_on IS NULL)", name="weight_dated"),
        CheckConstraint("length(family_name) >= 1 AND length(given_name) >= 1", name="named"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    mrn: str = Field(sa_type=String(20), unique=True)
    family_name: str = Field(sa_type=String(80))
    given_name: str = Field(sa_type=String(80))
    date_of_birth: date
    sex: Sex = Field(sa_type=Code(Sex, 8))
    weight_kg: float | None = None
    weight_measured_on: date | None = None
    allergies: str = Field(default="", sa_type=Text)
    diagnosis_code: str = Field(default="", sa_type=String(10))
    diagnosis_label: str = Field(default="", sa_type=String(120))
    contraindication_notes: str = Field(default="", sa_type=Text)
    # Current medications, `;`-separated as written; those that matter at the chair are flagged.
    medications: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    # Known conditions that matter for ketamine (contraindication codes, comma-separated).
    relevant_history: str = Field(default="", sa_type=String(200), sa_column_kwargs={"server_default": ""})
    active: bool = True
    version: int = 1
    created_at: datetime = _utc()

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


class TreatmentSession(SQLModel, table=True):
    __tablename__ = "treatment_session"
    __table_args__ = (
        CheckConstraint(sql_in("method", Method), name="method_known"),
        CheckConstraint(sql_in("status", SessionStatus), name="status_known"),
        _between("pain_before", 0, 10),
        _between("pain_after", 0, 10),
        CheckConstraint("series_number IS NULL OR series_number >= 1", name="series_number_positive"),
        CheckConstraint(
            "series_length IS NULL OR (series_length >= 1 AND series_number IS NOT NULL"
            " AND series_number <= series_length)",
            name="series_within_length",
        ),
        CheckConstraint(
            "started_at IS NULL OR checked_in_at IS NOT NULL AND started_at >= checked_in_at",
            name="start_after_check_in",
        ),
        CheckConstraint(
            "ended_at IS NULL OR started_at IS NOT NULL AND ended_at >= started_at",
            name="end_after_start",
        ),
        CheckConstraint(
            "discharged_at IS NULL OR checked_in_at IS NOT NULL AND discharged_at >= checked_in_at",
            name="discharge_after_check_in",
        ),
        CheckConstraint("length(chair) BETWEEN 1 AND 8", name="chair_length"),
        CheckConstraint(
            "contraindications_found = '' OR contraindications_screened_at IS NOT NULL", name="screen_dated"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("patient_id", "clinic_date", "scheduled_time"),
        Index(None, "clinic_date", "scheduled_time"),
    )

    id: int = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="RESTRICT", index=True)
    clinic_date: date
    scheduled_time: time
    chair: str = Field(sa_type=String(8))
    method: Method = Field(sa_type=Code(Method, 16))
    status: SessionStatus = Field(default=SessionStatus.SCHEDULED, sa_type=Code(SessionStatus, 16))
    nurse_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="RESTRICT")
    checked_in_at: datetime | None = _utc(nullable=True)
    started_at: datetime | None = _utc(nullable=True)
    ended_at: datetime | None = _utc(nullable=True)
    discharged_at: datetime | None = _utc(nullable=True)
    series_number: int | None = None
    series_length: int | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    escort_confirmed: bool = False
    contraindications_screened_at: datetime | None = _utc(nullable=True)
    # Comma-separated Contraindication values found at the screen; empty = none found.
    contraindications_found: str = Field(default="", sa_type=String(200))
    notes: str = Field(default="", sa_type=Text)
    # The clinic protocol in force when the patient was checked in.
    protocol_version: str | None = Field(default=None, sa_type=String(40))
    version: int = 1
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class PainScore(SQLModel, table=True):
    __tablename__ = "pain_score"
    __table_args__ = (
        CheckConstraint(sql_in("kind", PainKind), name="kind_known"),
        CheckConstraint("score >= 0 AND score <= 10", name="nrs_range"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    kind: PainKind = Field(sa_type=Code(PainKind, 8))
    score: int
    scored_at: datetime = _utc()
    recorded_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    recorded_at: datetime = _utc()


class DoseAdministration(SQLModel, table=True):
    __tablename__ = "dose_administration"
    __table_args__ = (
        CheckConstraint(sql_in("drug", Drug), name="drug_known"),
        CheckConstraint(sql_in("route", Route), name="route_known"),
        CheckConstraint("dose_mg > 0 AND dose_mg <= 1000", name="dose_range"),
        CheckConstraint("mg_per_kg > 0", name="mg_per_kg_positive"),
        CheckConstraint(
            "route <> 'intravenous' OR (rate_mg_per_kg_h > 0 AND planned_duration_min > 0)",
            name="iv_has_rate",
        ),
        CheckConstraint("route <> 'nasal' OR (device_count BETWEEN 1 AND 3)", name="nasal_has_devices"),
        CheckConstraint("concentration_mg_per_ml > 0", name="concentration_positive"),
        CheckConstraint("drawn_mg >= 0 AND wasted_mg >= 0", name="amounts_nonnegative"),
        CheckConstraint("wasted_mg = 0 OR witness_id IS NOT NULL", name="waste_witnessed"),
        CheckConstraint("witness_id IS NULL OR witness_id <> administered_by", name="witness_not_self"),
        CheckConstraint("stopped_at IS NULL OR stopped_at >= administered_at", name="stop_after_start"),
        CheckConstraint("length(lot_number) BETWEEN 1 AND 30", name="lot_present"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    drug: Drug = Field(sa_type=Code(Drug, 16))
    route: Route = Field(sa_type=Code(Route, 16))
    dose_mg: float
    mg_per_kg: float
    weight_kg_used: float
    rate_mg_per_kg_h: float | None = None
    planned_duration_min: int | None = None
    device_count: int | None = None
    administered_at: datetime = _utc()
    stopped_at: datetime | None = _utc(nullable=True)
    lot_number: str = Field(sa_type=String(30))
    concentration_mg_per_ml: float
    drawn_mg: float
    wasted_mg: float = 0
    witness_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="RESTRICT")
    administered_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    recorded_at: datetime = _utc()
    version: int = 1


class InfusionEvent(SQLModel, table=True):
    """What happened to a running IV infusion after it started: pause, resume, rate change, stop."""

    __tablename__ = "infusion_event"
    __table_args__ = (
        CheckConstraint(sql_in("kind", InfusionEventKind), name="kind_known"),
        CheckConstraint(
            "(kind = 'rate_change') = (rate_mg_per_kg_h IS NOT NULL)", name="rate_only_with_rate_change"
        ),
        _between("rate_mg_per_kg_h", 0.01, 10),
        CheckConstraint(
            "kind = 'stop' OR (stop_reason IS NULL AND wasted_mg IS NULL AND witness_id IS NULL)",
            name="stop_details_only_on_stop",
        ),
        CheckConstraint("wasted_mg IS NULL OR wasted_mg >= 0", name="stop_waste_nonnegative"),
        CheckConstraint(
            "wasted_mg IS NULL OR wasted_mg = 0 OR witness_id IS NOT NULL", name="stop_waste_witnessed"
        ),
        CheckConstraint("witness_id IS NULL OR witness_id <> recorded_by", name="stop_witness_not_self"),
    )

    id: int = Field(default=None, primary_key=True)
    dose_id: int = Field(foreign_key="dose_administration.id", ondelete="RESTRICT", index=True)
    kind: InfusionEventKind = Field(sa_type=Code(InfusionEventKind, 12))
    at: datetime = _utc()
    rate_mg_per_kg_h: float | None = None
    recorded_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    recorded_at: datetime = _utc()
    # A stop before the planned dose was given: why, and the drug left over, wasted before a witness.
    stop_reason: str | None = Field(default=None, sa_type=String(200))
    wasted_mg: float | None = None
    witness_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="RESTRICT")


class VitalSigns(SQLModel, table=True):
    __tablename__ = "vital_signs"
    __table_args__ = (
        CheckConstraint("systolic BETWEEN 50 AND 260", name="systolic_range"),
        CheckConstraint("diastolic BETWEEN 20 AND 160", name="diastolic_range"),
        CheckConstraint("diastolic < systolic", name="diastolic_below_systolic"),
        CheckConstraint("heart_rate BETWEEN 20 AND 250", name="heart_rate_range"),
        CheckConstraint("spo2 BETWEEN 50 AND 100", name="spo2_range"),
        CheckConstraint("resp_rate BETWEEN 4 AND 60", name="resp_rate_range"),
        _between("temperature_c", 30, 43),
        CheckConstraint("moaas BETWEEN 0 AND 5", name="moaas_range"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    measured_at: datetime = _utc()
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    resp_rate: int
    temperature_c: float | None = None
    moaas: int
    taken_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    recorded_at: datetime = _utc()
    version: int = 1


class SideEffect(SQLModel, table=True):
    __tablename__ = "side_effect"
    __table_args__ = (
        CheckConstraint(sql_in("effect", SideEffectType), name="effect_known"),
        CheckConstraint("effect <> 'other' OR length(other_text) > 0", name="other_described"),
        CheckConstraint("grade BETWEEN 1 AND 5", name="ctcae_grade"),
        CheckConstraint(grade_check_sql(), name="grade_of_term"),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= onset_at", name="resolved_after_onset"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    effect: SideEffectType = Field(sa_type=Code(SideEffectType, 32))
    other_text: str = Field(default="", sa_type=String(200))
    grade: int
    onset_at: datetime = _utc()
    action_taken: str = Field(default="", sa_type=String(200))
    resolved_at: datetime | None = _utc(nullable=True)
    recorded_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    recorded_at: datetime = _utc()
    version: int = 1


class Alert(SQLModel, table=True):
    """A rule of the clinic protocol that a value broke; it stays open until acknowledged."""

    __table_args__ = (
        CheckConstraint("length(rule) BETWEEN 1 AND 40", name="rule_named"),
        CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL)", name="acknowledged_by_someone"
        ),
        CheckConstraint("acknowledged_at IS NULL OR acknowledged_at >= raised_at", name="ack_after_raise"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    vitals_id: int | None = Field(default=None, foreign_key="vital_signs.id", ondelete="RESTRICT")
    rule: str = Field(sa_type=String(40))
    value: str = Field(sa_type=String(40))
    message: str = Field(sa_type=String(200))
    raised_at: datetime = _utc()
    acknowledged_at: datetime | None = _utc(nullable=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="RESTRICT")
    acknowledgement: str = Field(default="", sa_type=String(300))
    version: int = 1


class Override(SQLModel, table=True):
    """A protocol rule set aside for one session by someone with the protocol's override role."""

    __table_args__ = (
        CheckConstraint(sql_in("rule", OverrideRule), name="rule_known"),
        CheckConstraint("length(reason) BETWEEN 3 AND 300", name="reason_length"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    rule: OverrideRule = Field(sa_type=Code(OverrideRule, 24))
    # What was set aside, in words (e.g. "BP 186/104", "2.5 mg/kg/h").
    details: str = Field(default="", sa_type=String(200))
    reason: str = Field(sa_type=String(300))
    overridden_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    role: Role = Field(sa_type=Code(Role, 16))
    at: datetime = _utc()


class SessionSignature(SQLModel, table=True):
    """The physician's signature: after it, database triggers refuse any change to the session."""

    __tablename__ = "session_signature"
    __table_args__ = (
        CheckConstraint(sql_in("meaning", SignatureMeaning), name="meaning_known"),
        CheckConstraint("length(record_hash) = 64", name="record_hash_sha256"),
        CheckConstraint("length(signer_name) >= 1", name="signer_named"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", unique=True)
    signer_id: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    # The printed name as it was when signing; a later rename does not change a signature.
    signer_name: str = Field(sa_type=String(80))
    meaning: SignatureMeaning = Field(sa_type=Code(SignatureMeaning, 16))
    signed_at: datetime = _utc()
    # SHA-256 of the canonical session record (see console.review.signing.record_hash).
    record_hash: str = Field(sa_type=String(64))


class Addendum(SQLModel, table=True):
    """A signed note added after signing; the original record never changes."""

    __table_args__ = (
        CheckConstraint("length(reason) BETWEEN 3 AND 200", name="reason_length"),
        CheckConstraint("length(text) BETWEEN 3 AND 4000", name="text_length"),
        CheckConstraint("length(content_hash) = 64", name="content_hash_sha256"),
        CheckConstraint("length(author_name) >= 1", name="author_named"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    author_id: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    author_name: str = Field(sa_type=String(80))
    author_role: Role = Field(sa_type=Code(Role, 16))
    written_at: datetime = _utc()
    reason: str = Field(sa_type=String(200))
    text: str = Field(sa_type=Text)
    # SHA-256 of the canonical addendum (see console.review.signing.addendum_hash).
    content_hash: str = Field(sa_type=String(64))


class ReviewReturn(SQLModel, table=True):
    """A session sent back to the nurse for correction before signing, and its resubmission."""

    __tablename__ = "review_return"
    __table_args__ = (
        CheckConstraint("length(comment) BETWEEN 3 AND 500", name="comment_length"),
        CheckConstraint("(resubmitted_at IS NULL) = (resubmitted_by IS NULL)", name="resubmitted_by_someone"),
        CheckConstraint(
            "resubmitted_at IS NULL OR resubmitted_at >= returned_at", name="resubmit_after_return"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", index=True)
    returned_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    returned_at: datetime = _utc()
    comment: str = Field(sa_type=String(500))
    resubmitted_at: datetime | None = _utc(nullable=True)
    resubmitted_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="RESTRICT")
    response: str = Field(default="", sa_type=String(500))
    version: int = 1


class ClinicProtocol(SQLModel, table=True):
    """One protocol set by an administrator for the whole clinic: the latest row is in force on every
    workstation. Append-only: a change is a new row, so what each session was run under stays known."""

    __tablename__ = "clinic_protocol"
    __table_args__ = (
        CheckConstraint("length(version) BETWEEN 1 AND 40", name="version_named"),
        CheckConstraint("length(content_sha256) = 64", name="content_sha256"),
        CheckConstraint("length(body) >= 2", name="body_present"),
    )

    id: int = Field(default=None, primary_key=True)
    # The protocol's own name, stored with each session; one name never stands for two contents.
    version: str = Field(sa_type=String(40), index=True)
    # SHA-256 of `body`: what identifies the protocol.
    content_sha256: str = Field(sa_type=String(64))
    # Every value, defaults merged, as canonical JSON.
    body: str = Field(sa_type=Text)
    set_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    set_at: datetime = _utc()


def _timed(observation: str) -> CheckConstraint:
    """An observation answered yes has the time it was seen; one answered no or not yet has none."""
    return CheckConstraint(
        f"({observation} IS TRUE) = ({observation}_at IS NOT NULL)", name=f"{observation}_timed"
    )


def _resolved_after_seen(observation: str) -> CheckConstraint:
    """An observation resolves only once seen, and not before it was seen."""
    return CheckConstraint(
        f"{observation}_resolved_at IS NULL OR "
        f"({observation}_at IS NOT NULL AND {observation}_resolved_at >= {observation}_at)",
        name=f"{observation}_resolved_after_seen",
    )


class RemsCheck(SQLModel, table=True):
    """What the Spravato REMS Patient Monitoring Form asks of one nasal esketamine session, captured
    at the chair: the enrolment and medication questions at pre-assessment, each device's time, the
    sedation, dissociation and respiratory depression seen (when each began and resolved), and when
    the patient would have been ready to leave. The rest of the form comes from the session's own
    record (console.chair.rems)."""

    __tablename__ = "rems_check"
    __table_args__ = (
        CheckConstraint("length(enrolment_id) BETWEEN 1 AND 20", name="enrolment_id_length"),
        CheckConstraint(
            "device_2_at IS NULL OR (device_1_at IS NOT NULL AND device_2_at >= device_1_at)",
            name="second_device_after_first",
        ),
        CheckConstraint(
            "device_3_at IS NULL OR (device_2_at IS NOT NULL AND device_3_at >= device_2_at)",
            name="third_device_after_second",
        ),
        _timed("sedation"),
        _timed("dissociation"),
        _timed("respiratory_depression"),
        _resolved_after_seen("sedation"),
        _resolved_after_seen("dissociation"),
        _resolved_after_seen("respiratory_depression"),
        _between("ready_to_leave_min", 0, 720),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", unique=True)
    enrolment_id: str = Field(sa_type=String(20))  # the patient's REMS enrolment, confirmed each session
    # Taken now or in the last weeks, as the form asks: each adds sedation or raises blood pressure.
    benzodiazepines: bool
    sedative_hypnotics: bool
    psychostimulants: bool
    maois: bool
    opioids: bool
    asked_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    asked_at: datetime = _utc()
    device_1_at: datetime | None = _utc(nullable=True)
    device_2_at: datetime | None = _utc(nullable=True)
    device_3_at: datetime | None = _utc(nullable=True)
    sedation: bool | None = None  # None: not answered yet
    sedation_at: datetime | None = _utc(nullable=True)
    dissociation: bool | None = None
    dissociation_at: datetime | None = _utc(nullable=True)
    respiratory_depression: bool | None = None
    respiratory_depression_at: datetime | None = _utc(nullable=True)
    # REMS: the patient is observed until each effect seen has resolved.
    sedation_resolved_at: datetime | None = _utc(nullable=True)
    dissociation_resolved_at: datetime | None = _utc(nullable=True)
    respiratory_depression_resolved_at: datetime | None = _utc(nullable=True)
    ready_to_leave_min: int | None = None  # from the first device
    version: int = 1


def items_fit_instrument() -> str:
    """Each instrument's answers present and in range, the items it does not have empty."""
    ranges = {"peg": (3, 10), "phq9": (9, 3), "gad7": (7, 3)}
    cases = []
    for code, (count, top) in ranges.items():
        given = [f"item_{n} IS NOT NULL AND item_{n} BETWEEN 0 AND {top}" for n in range(1, count + 1)]
        empty = [f"item_{n} IS NULL" for n in range(count + 1, 10)]
        cases.append(f"(instrument = '{code}' AND " + " AND ".join(given + empty) + ")")
    return " OR ".join(cases)


class Questionnaire(SQLModel, table=True):
    """One questionnaire answered at a session: PEG (function, every pre-assessment), PHQ-9 or GAD-7
    (mood, on the protocol's schedule). The answers are kept item by item; scores are worked out
    from them (console.domain.questionnaires)."""

    __table_args__ = (
        CheckConstraint(sql_in("instrument", Instrument), name="instrument_known"),
        CheckConstraint(items_fit_instrument(), name="items_fit_instrument"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("session_id", "instrument"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT")
    instrument: Instrument = Field(sa_type=Code(Instrument, 8))
    item_1: int
    item_2: int
    item_3: int
    item_4: int | None = None
    item_5: int | None = None
    item_6: int | None = None
    item_7: int | None = None
    item_8: int | None = None
    item_9: int | None = None  # PHQ-9 item 9: thoughts of self-harm
    answered_at: datetime = _utc()
    recorded_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    version: int = 1

    @property
    def items(self) -> tuple[int, ...]:
        values = (getattr(self, f"item_{n}") for n in range(1, 10))
        return tuple(value for value in values if value is not None)


class SuicideScreen(SQLModel, table=True):
    """The C-SSRS screener a physician asked after a PHQ-9 item 9 above 0 (console.domain.cssrs):
    the six answers, who asked and when. Once a session's screener is recorded it is the session's."""

    __tablename__ = "suicide_screen"
    __table_args__ = (
        CheckConstraint(
            "q2 OR NOT (q3 OR q4 OR q5)", name="plan_questions_after_thoughts"
        ),  # 3 to 5 are asked only after a yes to 2
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", unique=True)
    q1: bool
    q2: bool
    q3: bool
    q4: bool
    q5: bool
    q6: bool
    asked_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    asked_at: datetime = _utc()
    version: int = 1

    @property
    def answers(self) -> tuple[bool, ...]:
        return (self.q1, self.q2, self.q3, self.q4, self.q5, self.q6)


class InductionReview(SQLModel, table=True):
    """The physician's end-of-induction review of an initial series, recorded at its last session:
    the response as shown to them (pain and mood over the series), the decision and a note. One per
    series; never changed (a later change of plan is a new series or a note)."""

    __tablename__ = "induction_review"
    __table_args__ = (
        CheckConstraint(sql_in("decision", InductionDecision), name="decision_known"),
        CheckConstraint("length(response) BETWEEN 1 AND 600", name="response_length"),
        CheckConstraint("length(note) <= 500", name="note_length"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT", unique=True)
    decision: InductionDecision = Field(sa_type=Code(InductionDecision, 12))
    response: str = Field(sa_type=String(600))
    note: str = Field(default="", sa_type=String(500))
    reviewed_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    reviewed_at: datetime = _utc()
    version: int = 1


class LabResult(SQLModel, table=True):
    """A monitoring test of the patient (console.domain.vocab.LabKind): the day the sample was taken,
    the liver values or the finding, who recorded it and when. One per test and day; never changed."""

    __tablename__ = "lab_result"
    __table_args__ = (
        CheckConstraint(sql_in("kind", LabKind), name="kind_known"),
        CheckConstraint(f"finding IS NULL OR {sql_in('finding', LabFinding)}", name="finding_known"),
        _between("alt_u_l", 1, 5000),
        _between("ast_u_l", 1, 5000),
        _between("alp_u_l", 1, 5000),
        _between("bilirubin_mg_dl", 0.1, 30),
        CheckConstraint(
            "(kind = 'liver' AND finding IS NULL AND alt_u_l IS NOT NULL AND ast_u_l IS NOT NULL"
            " AND alp_u_l IS NOT NULL AND bilirubin_mg_dl IS NOT NULL)"
            " OR (kind = 'urinary' AND finding IS NOT NULL AND finding IN ('no_symptoms', 'symptoms'))"
            " OR (kind = 'pregnancy' AND finding IS NOT NULL AND finding IN ('negative', 'positive'))",
            name="values_fit_kind",
        ),
        CheckConstraint(
            "kind = 'liver' OR (alt_u_l IS NULL AND ast_u_l IS NULL AND alp_u_l IS NULL"
            " AND bilirubin_mg_dl IS NULL)",
            name="no_liver_values_elsewhere",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("patient_id", "kind", "taken_on"),
    )

    id: int = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="RESTRICT", index=True)
    kind: LabKind = Field(sa_type=Code(LabKind, 12))
    taken_on: date
    alt_u_l: int | None = None
    ast_u_l: int | None = None
    alp_u_l: int | None = None
    bilirubin_mg_dl: float | None = None
    finding: LabFinding | None = Field(default=None, sa_type=Code(LabFinding, 12), nullable=True)
    recorded_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    recorded_at: datetime = _utc()
    version: int = 1


class ChecklistTick(SQLModel, table=True):
    """One item of the protocol's pre-infusion or discharge checklist, ticked at a session: who and
    when. A tick is never taken back."""

    __tablename__ = "checklist_tick"
    __table_args__ = (
        CheckConstraint(sql_in("checklist", Checklist), name="checklist_known"),
        CheckConstraint("length(item) BETWEEN 1 AND 80", name="item_length"),
        UniqueConstraint("session_id", "checklist", "item"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", ondelete="RESTRICT")
    checklist: Checklist = Field(sa_type=Code(Checklist, 16))
    item: str = Field(sa_type=String(80))  # as the protocol words it
    ticked_by: int = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    ticked_at: datetime = _utc()


class PatientPseudonym(SQLModel, table=True):
    """A patient's code in de-identified exports: random, never derived from anything about them, kept
    here so the same patient has the same code in every export. Append-only."""

    __tablename__ = "patient_pseudonym"
    __table_args__ = (CheckConstraint("length(code) = 12", name="code_length"),)

    id: int = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="RESTRICT", unique=True)
    code: str = Field(sa_type=String(12), unique=True)
    created_at: datetime = _utc()


class AuditEvent(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("length(hash) = 64 AND length(prev_hash) = 64", name="hashes_sha256"),
        Index(None, "entity", "entity_id"),
    )

    id: int = Field(default=None, primary_key=True)
    at: datetime = _utc()
    actor: str = Field(sa_type=String(32))
    action: str = Field(sa_type=String(40))
    entity: str = Field(sa_type=String(40))
    entity_id: str = Field(sa_type=String(40))
    before_json: str | None = Field(default=None, sa_type=Text)
    after_json: str | None = Field(default=None, sa_type=Text)
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64), unique=True)

"""Property tests for every input path: any value either becomes a valid row or a clear refusal."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from console.chair import charting, sessions
from console.clinic import patients, users
from console.domain.actors import Actor
from console.domain.errors import ChairsideError, InvalidInput, NotAllowed
from console.domain.inputs import DoseIn, PainIn, PatientIn, SessionIn, SideEffectIn, UserIn, VitalsIn, parse
from console.domain.vocab import Drug, Method, OverrideRule, PainKind, Role, Sex, SideEffectType
from console.store.database import Database
from console.store.models import (
    DoseAdministration,
    PainScore,
    Patient,
    SideEffect,
    TreatmentSession,
    VitalSigns,
)
from tests.conftest import NOW
from tests.factories import checked_in_session, patient_data

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "=1+1", "12a", "1e309", "NaN", "\x00", "128/82", "2026-02-30", "99:99"]),
)
# The last few hours; junk and the edges bring naive and future times.
recent = st.builds(lambda m: NOW - timedelta(minutes=m), st.integers(0, 600))


def maybe(valid: st.SearchStrategy[object], *edges: object) -> st.SearchStrategy[object]:
    """Mostly accepted values, sometimes a value just outside the limits, sometimes junk."""
    wrong = st.one_of(junk, st.sampled_from(edges)) if edges else junk
    return st.integers(0, 11).flatmap(lambda pick: wrong if pick >= 10 else valid)


def fields(**strategies: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    """Every field present, plus now and then one missing."""
    full = st.fixed_dictionaries(strategies)
    return st.integers(0, 9).flatmap(lambda pick: full.flatmap(_drop_one) if pick == 9 else full)


def _drop_one(data: dict[str, object]) -> st.SearchStrategy[dict[str, object]]:
    return st.sampled_from(sorted(data)).map(lambda name: {k: v for k, v in data.items() if k != name})


def words(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), min_size=low, max_size=high
    )


def assert_valid_row(model: type[BaseModel], row: object, names: Iterable[str], **extra: object) -> None:
    """A stored row re-validates through its input model: nothing invalid got in."""
    parse(model, {name: getattr(row, name) for name in names} | extra)
    event("stored")


def assert_clear_refusal(error: ChairsideError, model: type[BaseModel]) -> None:
    event(f"refused: {type(error).__name__}")
    assert str(error)
    if isinstance(error, InvalidInput):
        assert error.field in model.model_fields or error.field in {"record", "weight_kg"}, error.field


vitals_fields = fields(
    measured_at=maybe(recent, datetime(2026, 11, 26, 9, 0)),
    systolic=maybe(st.integers(90, 260), 49, 261),
    diastolic=maybe(st.integers(20, 89), 19, 161),
    heart_rate=maybe(st.integers(20, 250), 19, 251),
    spo2=maybe(st.integers(50, 100), 49, 101),
    resp_rate=maybe(st.integers(4, 60), 3, 61),
    moaas=maybe(st.integers(0, 5), -1, 6),
    temperature_c=maybe(st.none() | st.floats(30, 43), 29.9, 43.1),
)


@PROPERTY
@given(data=vitals_fields)
def test_vitals_input(db: Database, staff: dict[str, Actor], data: dict[str, object]) -> None:
    row = _session(db, staff)
    try:
        stored = charting.record_vitals(db, staff["nina"], row.id, data)
    except ChairsideError as error:
        assert_clear_refusal(error, VitalsIn)
        return
    with db.read() as session:
        assert_valid_row(VitalsIn, session.get(VitalSigns, stored.id), VitalsIn.model_fields)


patient_fields = fields(
    mrn=maybe(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{2,19}", fullmatch=True), "AB", "X" * 21, "A B C"),
    family_name=maybe(words(1, 80), "", "x" * 81),
    given_name=maybe(words(1, 80), ""),
    date_of_birth=maybe(
        st.dates(date(1900, 1, 1), date(2026, 11, 26)), date(1899, 12, 31), date(2026, 12, 1)
    ),
    sex=maybe(st.sampled_from(list(Sex))),
    weight_kg=maybe(st.floats(2, 400), 1.9, 400.1, float("nan")),
    weight_measured_on=maybe(st.dates(date(2020, 1, 1), date(2026, 11, 26)), date(2027, 1, 1)),
    allergies=maybe(words(0, 500), "a" * 501),
    diagnosis_code=maybe(st.sampled_from(["G90.512", "M79.7", "g89.4", ""]), "X"),
    diagnosis_label=maybe(words(0, 120)),
    contraindication_notes=maybe(words(0, 50)),
)


@PROPERTY
@given(data=patient_fields)
def test_patient_input(db: Database, staff: dict[str, Actor], data: dict[str, object]) -> None:
    try:
        stored = patients.create_patient(db, staff["nina"], data)
    except ChairsideError as error:
        assert_clear_refusal(error, PatientIn)
        return
    with db.read() as session:
        row = session.get(Patient, stored.id)
    assert_valid_row(PatientIn, row, PatientIn.model_fields)
    assert row is not None
    assert row.date_of_birth <= NOW.date()


session_fields = fields(
    patient_id=maybe(st.just(1), 0, 99),
    clinic_date=maybe(st.dates(date(2026, 1, 1), date(2027, 1, 1))),
    scheduled_time=maybe(st.times()),
    chair=maybe(st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True), "", "123456789"),
    method=maybe(st.sampled_from(list(Method))),
    series_number=maybe(st.none() | st.integers(1, 6), 0),
    series_length=maybe(st.none() | st.integers(6, 8), 0),
    notes=maybe(words(0, 40)),
)


@PROPERTY
@given(data=session_fields)
def test_session_input(db: Database, staff: dict[str, Actor], data: dict[str, object]) -> None:
    _patient(db, staff)
    try:
        stored = sessions.schedule_session(db, staff["nina"], data)
    except ChairsideError as error:
        assert_clear_refusal(error, SessionIn)
        return
    with db.read() as session:
        assert_valid_row(SessionIn, session.get(TreatmentSession, stored.id), SessionIn.model_fields)


dose_fields = fields(
    drug=maybe(st.sampled_from(list(Drug))),
    dose_mg=maybe(st.floats(0.5, 1000), 0, 1000.5, float("inf")),
    rate_mg_per_kg_h=maybe(st.floats(0.1, 10), 0, 10.5),
    planned_duration_min=maybe(st.integers(1, 600), 0, 601),
    device_count=maybe(st.none() | st.integers(1, 3), 0, 4),
    administered_at=maybe(
        st.builds(lambda m: NOW - timedelta(minutes=m), st.integers(0, 60)), NOW + timedelta(hours=1)
    ),
    lot_number=maybe(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9/-]{0,29}", fullmatch=True), "", "L" * 31),
    concentration_mg_per_ml=maybe(st.floats(0.1, 500), 0, 501),
    drawn_mg=maybe(st.floats(0, 2000), -1, 2001),
    wasted_mg=maybe(st.just(0.0) | st.floats(0, 50), -1),
    witness=maybe(st.sampled_from(["marcus", None]), "nina", "office", "nobody"),
)


@PROPERTY
@given(data=dose_fields)
def test_dose_input(db: Database, staff: dict[str, Actor], data: dict[str, object]) -> None:
    row = _session(db, staff)
    try:
        stored = charting.record_dose(db, staff["nina"], row.id, data)
    except ChairsideError as error:
        assert_clear_refusal(error, DoseIn)
        return
    with db.read() as session:
        dose = session.get(DoseAdministration, stored.id)
    assert dose is not None
    witness = "marcus" if dose.witness_id == staff["marcus"].user_id else None
    # The witness is stored as a user and their secret is never stored: both come from the input.
    names = set(DoseIn.model_fields) - {"witness", "witness_secret"}
    assert_valid_row(DoseIn, dose, names, witness=witness, witness_secret=data.get("witness_secret"))
    assert dose.wasted_mg <= dose.drawn_mg and dose.mg_per_kg == pytest.approx(dose.dose_mg / 70.0)
    if dose.rate_mg_per_kg_h is not None and dose.planned_duration_min is not None:  # as prescribed
        assert abs(dose.dose_mg - dose.rate_mg_per_kg_h * 70 * dose.planned_duration_min / 60) <= 0.05 + 1e-6


effect_fields = fields(
    effect=maybe(st.sampled_from(list(SideEffectType)), "itching"),
    other_text=maybe(words(1, 200), "x" * 201),
    grade=maybe(st.integers(1, 5), 0, 6),
    onset_at=maybe(recent),
    action_taken=maybe(words(0, 200), "y" * 201),
    resolved_at=maybe(st.none() | st.just(NOW)),
)


@PROPERTY
@given(data=effect_fields)
def test_side_effect_input(db: Database, staff: dict[str, Actor], data: dict[str, object]) -> None:
    row = _session(db, staff)
    try:
        stored = charting.record_side_effect(db, staff["nina"], row.id, data)
    except ChairsideError as error:
        assert_clear_refusal(error, SideEffectIn)
        return
    with db.read() as session:
        assert_valid_row(SideEffectIn, session.get(SideEffect, stored.id), SideEffectIn.model_fields)


@PROPERTY
@given(
    data=fields(
        kind=maybe(st.sampled_from(list(PainKind))),
        score=maybe(st.integers(0, 10), -1, 11),
        scored_at=maybe(recent),
    )
)
def test_pain_input(db: Database, staff: dict[str, Actor], data: dict[str, object]) -> None:
    row = _session(db, staff)
    current = sessions.get_session(db, row.id)
    try:
        stored = charting.record_pain(db, staff["nina"], row.id, data, current.version)
    except ChairsideError as error:
        assert_clear_refusal(error, PainIn)
        return
    with db.read() as session:
        assert_valid_row(PainIn, session.get(PainScore, stored.id), PainIn.model_fields)
        fresh = session.get(TreatmentSession, row.id)
    assert fresh is not None
    assert all(score is None or 0 <= score <= 10 for score in (fresh.pain_before, fresh.pain_after))


@PROPERTY
@given(
    data=fields(
        username=maybe(st.from_regex(r"[a-z][a-z0-9._-]{2,31}", fullmatch=True), "ab", "Bad Name", "x" * 33),
        display_name=maybe(words(1, 80), ""),
        role=maybe(st.sampled_from(list(Role)), "chief"),
        password=maybe(st.text(min_size=10, max_size=128), "short", "p" * 129),
    )
)
def test_user_input(db: Database, data: dict[str, object]) -> None:
    try:
        stored = users.create_user(db, Actor.system("test"), data)
    except ChairsideError as error:
        assert_clear_refusal(error, UserIn)
        return
    user = users.find_user(db, stored.username)
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    event("stored")


def _patient(db: Database, staff: dict[str, Actor]) -> Patient:
    return patients.find_by_mrn(db, "PROP-1") or patients.create_patient(
        db, staff["nina"], patient_data(mrn="PROP-1")
    )


def _session(db: Database, staff: dict[str, Actor]) -> TreatmentSession:
    """One checked-in session per test, reused by every example."""
    _patient(db, staff)
    existing = sessions.get_session(db, 1) if _has_session(db) else None
    return existing or checked_in_session(db, staff["nina"], mrn="PROP-1")


def _has_session(db: Database) -> bool:
    with db.read() as session:
        return session.get(TreatmentSession, 1) is not None


def test_refusal_is_not_a_permission_error(db: Database, staff: dict[str, Actor]) -> None:
    """A refused value never hides behind another error type."""
    row = _session(db, staff)
    with pytest.raises(InvalidInput) as refused:
        charting.record_vitals(db, staff["nina"], row.id, {"systolic": "abc"})
    assert not isinstance(refused.value, NotAllowed)


@pytest.mark.slow
@PROPERTY
@given(
    rule=maybe(st.sampled_from(list(OverrideRule)), "override"),
    reason=maybe(words(3, 300), "ab", "x" * 301, "bad\x07bell"),
)
def test_an_override_is_stored_valid_or_refused_naming_the_field(
    db: Database,
    staff: dict[str, Actor],
    rule: Any,  # mostly a rule's name or a reason, sometimes junk of any type: it must be refused
    reason: Any,
) -> None:
    from console.chair.overrides import record_override
    from console.domain.protocol import Protocol
    from console.store.models import Override

    row = _session(db, staff)
    try:
        stored = record_override(db, staff["priya"], row.id, rule, reason, Protocol())
    except InvalidInput as refused:
        assert refused.field in {"rule", "reason"} and str(refused).split(":")[0] in {"Rule", "Reason"}
        event("refused")
        return
    with db.read() as session:
        kept = session.get(Override, stored.id)
    assert kept is not None
    assert kept.rule == rule and 3 <= len(kept.reason) <= 300


@PROPERTY
@given(
    reason=maybe(words(3, 200), "ab", "x" * 201),
    text=maybe(words(3, 400), "", "no\x00nul"),
    pin=maybe(st.from_regex(r"[0-9]{4,8}", fullmatch=True), "123", "123456789", "12a4"),
    comment=maybe(words(3, 500), "", "x" * 501),
)
def test_signing_inputs_are_valid_or_refused_naming_the_field(
    reason: object, text: object, pin: object, comment: object
) -> None:
    from console.domain.inputs import AddendumIn, PinIn, ReturnIn

    for model, data in (
        (AddendumIn, {"reason": reason, "text": text}),
        (PinIn, {"pin": pin}),
        (ReturnIn, {"comment": comment}),
    ):
        try:
            parse(model, data)
        except InvalidInput as refused:
            assert refused.field in data
            assert str(refused).split(":")[0] == model.model_fields[refused.field].title

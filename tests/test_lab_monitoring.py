"""Monitoring tests of frequent users (liver tests, urinary symptom screen, pregnancy test), on both
backends: typed at the chair, refused where they cannot be true (by the service and by the
database), due on the board and in the session header at the protocol's interval."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from console.chair import charting, lab_monitoring
from console.chair.board import day_sessions
from console.chair.lab_monitoring import LabHistory, labs_due, record_lab_results
from console.clinic import patients
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.lab_values import typed_results
from console.domain.protocol import LabMonitoring, Protocol
from console.domain.vocab import LabFinding, LabKind
from console.store.database import Database
from console.store.models import LabResult, Patient, TreatmentSession
from tests.factories import checked_in_session, iv_dose_data, scheduled_session, vitals_data

if TYPE_CHECKING:
    from app import ChairsideApp

BORN = date(1980, 5, 1)
DAY = date(2026, 11, 26)


def test_the_tests_typed_in_the_dialog_are_one_record_each() -> None:
    found = typed_results("2026-11-20", "32 28 90 0.8", "n", "neg")
    assert found == [
        {
            "kind": LabKind.LIVER,
            "taken_on": date(2026, 11, 20),
            "alt_u_l": 32,
            "ast_u_l": 28,
            "alp_u_l": 90,
            "bilirubin_mg_dl": 0.8,
        },
        {"kind": LabKind.URINARY, "taken_on": date(2026, 11, 20), "finding": LabFinding.NO_SYMPTOMS},
        {"kind": LabKind.PREGNANCY, "taken_on": date(2026, 11, 20), "finding": LabFinding.NEGATIVE},
    ]
    assert typed_results("2026-11-20", "", " Y ", "") == [
        {"kind": LabKind.URINARY, "taken_on": date(2026, 11, 20), "finding": LabFinding.SYMPTOMS}
    ]


@pytest.mark.parametrize(
    ("day", "liver", "urinary", "pregnancy", "said"),
    [
        ("20/11/2026", "", "n", "", "Taken on: the day of the sample as YYYY-MM-DD"),
        ("2026-11-20", "32 28 90", "", "", "3 values; four are needed"),
        ("2026-11-20", "32 28 90 0.8 1", "", "", "5 values; four are needed"),
        ("2026-11-20", "ALT32 28 90 0.8", "", "", "numbers only"),
        ("2026-11-20", "inf 28 90 0.8", "", "", "numbers only"),
        ("2026-11-20", "nan 28 90 0.8", "", "", "numbers only"),
        ("2026-11-20", "32.5 28 90 0.8", "", "", "whole U/L"),
        ("2026-11-20", "32 28 90 1_0", "", "", "numbers only"),
        ("2026-11-20", "32 28 90 1e1", "", "", "numbers only"),
        ("2026-11-20", "32 28 90 -1", "", "", "numbers only"),
        ("2026-11-20", "32 28 1,2", "", "", "a point for decimals"),
        ("2026-11-20", "32 28 90 \u0660.\u0668", "", "", "numbers only"),  # Arabic-Indic digits
        ("2026-11-20", "", "maybe", "", "n \\(no symptoms\\) or y"),
        ("2026-11-20", "", "", "unclear", "neg or pos"),
    ],
)
def test_a_test_typed_wrong_is_refused_naming_what_is_accepted(
    day: str, liver: str, urinary: str, pregnancy: str, said: str
) -> None:
    with pytest.raises(InvalidInput, match=said):
        typed_results(day, liver, urinary, pregnancy)


def _patient(db: Database, nurse: Actor, **changes: object) -> int:
    from tests.factories import patient_data

    return patients.create_patient(db, nurse, patient_data(date_of_birth=BORN, **changes)).id


def test_tests_are_recorded_with_who_and_when_all_or_none(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    patient_id = _patient(db, nurse)
    today = db.clock.now().date()
    stored = record_lab_results(
        db, nurse, patient_id, typed_results(today.isoformat(), "52 28 90 0.8", "y", "")
    )
    assert [(r.kind, r.alt_u_l, r.finding, r.recorded_by) for r in stored] == [
        (LabKind.LIVER, 52, None, nurse.user_id),
        (LabKind.URINARY, None, LabFinding.SYMPTOMS, nurse.user_id),
    ]
    rules = LabMonitoring()
    assert [lab_monitoring.result_text(r, rules) for r in stored] == [
        f"liver {today:%d %b %Y}: ALT 52↑ AST 28 ALP 90 bilirubin 0.8",
        f"urinary screen {today:%d %b %Y}: symptoms⚠",
    ]
    # The same test on the same day again: refused, and the other test typed with it not stored either.
    with pytest.raises(InvalidInput, match=r"liver tests of .* already on record"):
        record_lab_results(db, nurse, patient_id, typed_results(today.isoformat(), "30 28 90 0.8", "", "neg"))
    with db.read() as session:
        assert len(session.exec(select(LabResult)).all()) == 2


@pytest.mark.parametrize(
    ("taken_on", "said"),
    [
        (lambda today: today + timedelta(days=1), "is in the future"),
        (lambda today: BORN - timedelta(days=1), "before the patient was born"),
    ],
)
def test_a_test_on_a_day_that_cannot_be_is_refused(
    db: Database, staff: dict[str, Actor], taken_on: Callable[[date], date], said: str
) -> None:
    nurse = staff["nina"]
    patient_id = _patient(db, nurse)
    day = taken_on(db.clock.now().date())
    with pytest.raises(InvalidInput, match=said) as refused:
        record_lab_results(db, nurse, patient_id, typed_results(day.isoformat(), "", "n", ""))
    assert refused.value.field == "taken_on"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"kind": "liver", "alt_u_l": 30, "ast_u_l": 30, "alp_u_l": 90}, "all four"),
        ({"kind": "liver", "alt_u_l": 30, "ast_u_l": 30, "alp_u_l": 90, "bilirubin_mg_dl": 0}, "Bilirubin"),
        ({"kind": "liver", "alt_u_l": 6000, "ast_u_l": 30, "alp_u_l": 90, "bilirubin_mg_dl": 1}, "ALT: U/L"),
        ({"kind": "urinary", "finding": "positive"}, "no_symptoms or symptoms"),
        ({"kind": "urinary", "finding": "symptoms", "alt_u_l": 30}, "a finding, not liver values"),
        ({"kind": "pregnancy"}, "negative or positive"),
        ({"kind": "kidney", "finding": "negative"}, "Test: liver, urinary or pregnancy"),
    ],
)
def test_a_test_whose_values_do_not_fit_it_is_refused_by_the_service(
    db: Database, staff: dict[str, Actor], given: dict, said: str
) -> None:
    nurse = staff["nina"]
    patient_id = _patient(db, nurse)
    with pytest.raises(InvalidInput, match=said):
        record_lab_results(db, nurse, patient_id, [given | {"taken_on": db.clock.now().date()}])


def test_only_nurses_and_physicians_record_tests(db: Database, staff: dict[str, Actor]) -> None:
    patient_id = _patient(db, staff["nina"])
    with pytest.raises(NotAllowed, match="only nurses and physicians"):
        record_lab_results(db, staff["office"], patient_id, typed_results("2026-01-05", "", "n", ""))


@pytest.mark.parametrize(
    "values",
    [
        "'urinary', 30, NULL, NULL, NULL, 'symptoms'",  # a liver value on a urinary screen
        "'liver', 30, 30, 90, NULL, NULL",  # liver tests without bilirubin
        "'liver', 30, 30, 90, 1.0, 'negative'",  # a finding on liver tests
        "'pregnancy', NULL, NULL, NULL, NULL, 'symptoms'",
        "'pregnancy', NULL, NULL, NULL, NULL, NULL",
        "'kidney', NULL, NULL, NULL, NULL, 'negative'",
        "'liver', 0, 30, 90, 1.0, NULL",
        "'liver', 30, 30, 90, 31, NULL",
    ],
)
def test_the_database_refuses_a_test_that_cannot_be_true_whoever_writes_it(
    db: Database, staff: dict[str, Actor], values: str
) -> None:
    patient_id = _patient(db, staff["nina"])
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO lab_result (patient_id, kind, alt_u_l, ast_u_l, alp_u_l, bilirubin_mg_dl, "
                "finding, taken_on, recorded_by, recorded_at, version) VALUES "
                f"(:patient, {values}, :day, :by, :at, 1)"
            ),
            {"patient": patient_id, "day": DAY, "by": staff["nina"].user_id, "at": db.clock.now()},
        )


RULES = LabMonitoring(from_doses=6, liver_tests_every_days=90, urinary_screen_every_days=30)


@pytest.mark.parametrize(
    ("doses", "last", "due"),
    [
        (5, {}, []),  # not a frequent user yet
        (6, {}, [LabKind.LIVER, LabKind.URINARY]),
        (
            6,
            {LabKind.LIVER: DAY - timedelta(days=90), LabKind.URINARY: DAY - timedelta(days=31)},
            [LabKind.URINARY],
        ),
        (9, {LabKind.LIVER: DAY - timedelta(days=91), LabKind.URINARY: DAY}, [LabKind.LIVER]),
    ],
)
def test_tests_are_due_at_the_protocols_interval_once_the_patient_doses_often(
    doses: int, last: dict, due: list[LabKind]
) -> None:
    found = labs_due("male", BORN, LabHistory(doses, last), DAY, RULES)
    assert [d.kind for d in found] == due


@pytest.mark.parametrize(
    ("sex", "born", "due"),
    [
        ("female", date(1990, 1, 1), True),
        ("female", date(1960, 1, 1), False),  # 66: past the protocol's ages
        ("male", date(1990, 1, 1), False),
        ("other", date(1990, 1, 1), False),
    ],
)
def test_a_pregnancy_test_is_due_only_where_the_protocol_asks_for_one(
    sex: str, born: date, due: bool
) -> None:
    rules = RULES.model_copy(update={"pregnancy_test_every_days": 30})
    found = labs_due(sex, born, LabHistory(6, {}), DAY, rules)
    assert (LabKind.PREGNANCY in [d.kind for d in found]) is due
    assert LabKind.PREGNANCY not in [d.kind for d in labs_due(sex, born, LabHistory(6, {}), DAY, RULES)]


def test_the_protocol_refuses_pregnancy_test_ages_that_cannot_be() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="pregnancy_test_ages"):
        LabMonitoring(pregnancy_test_ages=(50, 20))


def test_the_board_says_which_tests_are_due_once_the_patient_has_had_the_protocols_doses(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    protocol = Protocol.model_validate({"lab_monitoring": {"from_doses": 1, "pregnancy_test_every_days": 30}})
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(days=-1)  # yesterday's infusion
    yesterday = checked_in_session(db, nurse, at="09:00")
    charting.record_vitals(db, nurse, yesterday.id, vitals_data(db))
    charting.record_dose(db, nurse, yesterday.id, iv_dose_data(db))
    db.clock.advance(days=1)
    today = db.clock.now().date()
    row = scheduled_session(db, nurse)
    [board_row] = [r for r in day_sessions(db, today) if r.session_id == row.id]
    due = [d.text() for d in board_row.labs_due(protocol, today)]
    assert due == ["liver tests due (none on record)", "urinary symptom screen due (none on record)"]
    assert board_row.labs_due(Protocol(), today) == []  # the default protocol: from the 6th dose
    record_lab_results(db, nurse, row.patient_id, typed_results(today.isoformat(), "", "n", ""))
    [board_row] = [r for r in day_sessions(db, today) if r.session_id == row.id]
    assert [d.kind for d in board_row.labs_due(protocol, today)] == [LabKind.LIVER]


def test_a_test_is_read_back_as_stored(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    patient_id = _patient(db, nurse)
    record_lab_results(db, nurse, patient_id, typed_results("2026-01-05", "32 28 90 1.3", "", ""))
    with db.read() as session:
        [stored] = session.exec(select(LabResult)).all()
        latest = lab_monitoring.latest_results(session, patient_id, date(2026, 1, 5))
    assert stored.bilirubin_mg_dl == 1.3 and stored.taken_on == date(2026, 1, 5)
    assert lab_monitoring.is_flagged(latest[LabKind.LIVER], LabMonitoring())  # bilirubin above 1.2


def _frequent_patient_without_a_recent_urinary_screen(db: Database, day: date) -> int:
    """A demo patient with six doses or more before `day`, no urinary screen in 30 days, none today."""
    with db.read() as session:
        ids = list(session.exec(select(Patient.id).order_by(col(Patient.id))))
        histories = lab_monitoring.lab_histories(session, ids, day)
        today = set(
            session.exec(select(TreatmentSession.patient_id).where(TreatmentSession.clinic_date == day))
        )
    return next(
        pid
        for pid, history in histories.items()
        if history.doses >= 6
        and pid not in today
        and (history.last_on.get(LabKind.URINARY) or date.min) < day - timedelta(days=30)
    )


@pytest.mark.slow
async def test_the_board_and_header_say_a_test_is_due_and_ctrl_t_records_it(demo_app: "ChairsideApp") -> None:

    from console.chair import sessions
    from tests.test_app import board_loaded, sign_in
    from tests.test_review_screens import text_of
    from tests.test_session_screen import DEMO_DAY, NURSE, Nurse

    db = demo_app.db
    assert db is not None
    patient_id = _frequent_patient_without_a_recent_urinary_screen(db, DEMO_DAY)
    sessions.schedule_session(
        db,
        NURSE,
        {
            "patient_id": patient_id,
            "clinic_date": DEMO_DAY,
            "scheduled_time": "12:30",
            "chair": "6",
            "method": "iv_infusion",
        },
    )
    mrn = patients.get_patient(db, patient_id).mrn
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        board = await board_loaded(pilot)
        [row] = [board.get_row_at(i) for i in range(board.row_count) if str(board.get_row_at(i)[-1]) == mrn]
        assert "urine" in str(row[-2]) or "+" in str(row[-2])
        nurse = Nurse(pilot)
        await nurse.type(mrn, "enter")
        assert "urinary symptom screen due" in text_of(demo_app, "#patient-header")
        await nurse.type("ctrl+t", "enter", "maybe", "enter", "enter")
        assert "n (no symptoms) or y" in text_of(demo_app, "#lab-error")
        await nurse.type("shift+tab", "ctrl+u", "n", "ctrl+s")
        header = text_of(demo_app, "#patient-header")
        assert "urinary symptom screen due" not in header
    with db.read() as session:
        stored = session.exec(
            select(LabResult).where(LabResult.patient_id == patient_id, LabResult.taken_on == DEMO_DAY)
        ).all()
    assert [(r.kind, r.finding, r.recorded_by) for r in stored] == [
        (LabKind.URINARY, LabFinding.NO_SYMPTOMS, NURSE.user_id)
    ]


def test_a_positive_pregnancy_test_on_record_blocks_dosing_until_a_physician_overrides(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.chair.overrides import record_override

    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    today = db.clock.now().date()
    record_lab_results(
        db, nurse, row.patient_id, typed_results((today - timedelta(days=9)).isoformat(), "", "", "neg")
    )
    record_lab_results(
        db, nurse, row.patient_id, typed_results((today - timedelta(days=2)).isoformat(), "", "", "pos")
    )
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(
        NotAllowed, match=r"a positive pregnancy test is on record .* until a physician overrides"
    ):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    record_override(
        db, doctor, row.id, "contraindication", "Test repeated: false positive, hCG negative", Protocol()
    )
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


def test_a_later_negative_pregnancy_test_lifts_the_hold(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    today = db.clock.now().date()
    record_lab_results(
        db, nurse, row.patient_id, typed_results((today - timedelta(days=9)).isoformat(), "", "", "pos")
    )
    record_lab_results(db, nurse, row.patient_id, typed_results(today.isoformat(), "", "", "neg"))
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


@pytest.mark.breaks_rules
def test_a_dose_written_after_a_positive_pregnancy_test_behind_the_services_back_is_a_broken_rule(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.review.record_rules import broken_rules

    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    assert broken_rules(db, Protocol()) == []
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO lab_result (patient_id, kind, finding, taken_on, recorded_by, recorded_at, "
                "version) VALUES (:patient, 'pregnancy', 'positive', :day, :by, :at, 1)"
            ),
            {
                "patient": row.patient_id,
                "day": db.clock.now().date() - timedelta(days=1),
                "by": nurse.user_id,
                "at": db.clock.now() - timedelta(days=1),
            },
        )
    assert {(b.session_id, b.rule) for b in broken_rules(db, Protocol())} == {
        (row.id, "dosed after a positive pregnancy test")
    }

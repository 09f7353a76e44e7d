"""PEG, PHQ-9 and GAD-7: typed lines, scores and classes (no database), then the service on both
backends: what it stores and refuses, the self-harm alert only a physician clears, the schedule."""

from datetime import date, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.chair import alerts, overrides, questionnaires, sessions
from console.chair.session_view import load_session_view
from console.domain.actors import Actor
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.protocol import Protocol, Questionnaires
from console.domain.questionnaires import band, change, parse_answers, score, shown_score
from console.domain.vocab import Instrument, Method
from console.review.integrity import verify_record
from console.store.database import Database
from console.store.models import TreatmentSession
from tests.factories import approved_by, checked_in_session, discharged_session, ready_for_discharge

PEG, PHQ9, GAD7 = Instrument.PEG, Instrument.PHQ9, Instrument.GAD7


# -- the typed line, scores and classes --------------------------------------------------------


def test_each_instrument_reads_its_line() -> None:
    assert parse_answers(PEG, "6 7 5") == (6, 7, 5)
    assert parse_answers(PEG, "10,0 10") == (10, 0, 10)
    assert parse_answers(PHQ9, "212101100") == (2, 1, 2, 1, 0, 1, 1, 0, 0)
    assert parse_answers(PHQ9, "2 1 2 1 0 1 1 0 0") == (2, 1, 2, 1, 0, 1, 1, 0, 0)
    assert parse_answers(GAD7, "1121010") == (1, 1, 2, 1, 0, 1, 0)


@pytest.mark.parametrize(
    ("instrument", "line", "said"),
    [
        (PEG, "6 7", "PEG: 2 answers; it has 3"),
        (PEG, "6 11 5", "PEG: item 2 is 11; each is 0 to 10"),
        (PEG, "6 x 5", "PEG: 'x' is not a number"),
        (PEG, "675", "PEG: 1 answer; it has 3"),  # PEG items go to 10: spaces are needed
        (PHQ9, "21210110", "PHQ-9: 1 answer; it has 9"),
        (PHQ9, "212101104", "PHQ-9: item 9 is 4; each is 0 to 3"),
        (PHQ9, "2121011045", "PHQ-9: 1 answer; it has 9"),
        (GAD7, "1 1 2 1 0 1 0 1", "GAD-7: 8 answers; it has 7"),
        (GAD7, "", "GAD-7: 0 answers; it has 7"),
    ],
)
def test_a_wrong_line_is_refused_naming_the_instrument(instrument: Instrument, line: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_answers(instrument, line)
    assert refused.value.field == instrument.value and said in str(refused.value)


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_any_phq9_answers_read_back_with_or_without_spaces(items: list[int]) -> None:
    assert parse_answers(PHQ9, "".join(map(str, items))) == tuple(items)
    assert parse_answers(PHQ9, " ".join(map(str, items))) == tuple(items)


@given(st.text(max_size=30))
def test_any_typed_peg_line_is_three_items_or_a_refusal(line: str) -> None:
    try:
        items = parse_answers(PEG, line)
    except InvalidInput as refused:
        assert refused.field == "peg"
    else:
        assert len(items) == 3 and all(0 <= item <= 10 for item in items)


def test_scores_bands_and_classes() -> None:
    assert score(PEG, (6, 7, 5)) == 6.0 and score(PEG, (7, 7, 6)) == 6.7
    assert shown_score(PEG, (6, 7, 5)) == "PEG 6.0"
    assert [band(PHQ9, total) for total in (0, 4, 5, 9, 10, 14, 15, 19, 20, 27)] == [
        "minimal",
        "minimal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "moderately severe",
        "moderately severe",
        "severe",
        "severe",
    ]
    assert [band(GAD7, total) for total in (4, 5, 10, 15, 21)] == [
        "minimal",
        "mild",
        "moderate",
        "severe",
        "severe",
    ]
    assert shown_score(PHQ9, (2, 1, 2, 1, 0, 1, 1, 0, 0)) == "PHQ-9 8 (mild)"
    assert change(PEG, 7.0, 4.9) == change(PEG, 7.0, 4.9) and change(PEG, 7.0, 4.9).name == "improved"
    assert change(PEG, 7.0, 5.0).name == "not improved"  # 28.6 % is short of 30 %
    assert change(PEG, 0.0, 2.0).percent is None
    assert change(PHQ9, 16, 8).name == "response" and change(PHQ9, 16, 9).name == "no response"
    assert change(PHQ9, 16, 4).name == "remission" and change(PHQ9, 6, 4).percent == -33.3
    assert change(GAD7, 12, 6).name == ""


# -- the service, on both backends --------------------------------------------------------------


def test_answers_are_stored_item_by_item_and_read_back(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    stored = questionnaires.record(db, staff["nina"], row.id, "peg", (6, 7, 5))
    assert (stored.items, stored.item_4, stored.recorded_by) == ((6, 7, 5), None, staff["nina"].user_id)
    questionnaires.record(db, staff["nina"], row.id, "phq9", (2, 1, 2, 1, 0, 1, 1, 0, 0))
    view = load_session_view(db, row.id)
    assert {(q.instrument, q.items) for q in view.questionnaires} == {
        (PEG, (6, 7, 5)),
        (PHQ9, (2, 1, 2, 1, 0, 1, 1, 0, 0)),
    }
    assert view.alerts == []  # item 9 is 0


@pytest.mark.parametrize(
    ("instrument", "items"), [("peg", (6, 7)), ("peg", (6, 11, 5)), ("gad7", (1,) * 9), ("mood", (1, 1, 1))]
)
def test_the_service_refuses_answers_that_cannot_be_true_whatever_a_screen_sends(
    db: Database, staff: dict[str, Actor], instrument: str, items: tuple[int, ...]
) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(InvalidInput):
        questionnaires.record(db, staff["nina"], row.id, instrument, items)
    assert load_session_view(db, row.id).questionnaires == ()


@pytest.mark.parametrize(
    "values",
    [
        "'peg', 6, 7, NULL, NULL",  # PEG with two answers
        "'peg', 6, 7, 11, NULL",  # an answer above 10
        "'gad7', 1, 1, 1, 1",  # GAD-7 with an eighth... (item 4 set, items 5-7 missing)
        "'phq9', 1, 1, 4, 1",  # PHQ-9 answers go to 3
        "'mood', 1, 1, 1, NULL",
    ],
)
def test_the_database_refuses_answers_that_cannot_be_true(
    db: Database, staff: dict[str, Actor], values: str
) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO questionnaire (session_id, instrument, item_1, item_2, item_3, item_4, "
                f"answered_at, recorded_by, version) VALUES ({row.id}, {values}, "
                f":at, {staff['nina'].user_id}, 1)"
            ),
            {"at": db.clock.now()},
        )
    # The same statement with a whole PEG is stored: the refusal above was the answers'.
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO questionnaire (session_id, instrument, item_1, item_2, item_3, "
                f"answered_at, recorded_by, version) VALUES ({row.id}, 'peg', 6, 7, 5, :at, "
                f"{staff['nina'].user_id}, 1)"
            ),
            {"at": db.clock.now()},
        )


def test_a_second_entry_is_a_conflict_and_a_correction_needs_the_version_read(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = checked_in_session(db, staff["nina"])
    first = questionnaires.record(db, staff["nina"], row.id, "peg", (6, 7, 5))
    with pytest.raises(Conflict, match="another workstation"):
        questionnaires.record(db, staff["marcus"], row.id, "peg", (5, 5, 5))
    corrected = questionnaires.record(db, staff["marcus"], row.id, "peg", (6, 7, 4), first.version)
    assert corrected.items == (6, 7, 4) and corrected.version == first.version + 1
    with pytest.raises(Conflict):
        questionnaires.record(db, staff["nina"], row.id, "peg", (1, 1, 1), first.version)


def test_nothing_is_asked_before_check_in_and_an_admin_records_nothing(
    db: Database, staff: dict[str, Actor]
) -> None:
    from tests.factories import scheduled_session

    row = scheduled_session(db, staff["nina"])
    with pytest.raises(NotAllowed, match="checked in"):
        questionnaires.record(db, staff["nina"], row.id, "peg", (6, 7, 5))
    with pytest.raises(NotAllowed):
        questionnaires.record(db, staff["office"], row.id, "peg", (6, 7, 5))


def test_self_harm_answer_raises_an_alert_only_a_physician_clears_and_discharge_waits_for_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = ready_for_discharge(db, nurse)
    questionnaires.record(db, nurse, row.id, "phq9", (2, 2, 2, 1, 1, 1, 1, 0, 1))
    questionnaires.record(db, nurse, row.id, "gad7", (1, 1, 1, 1, 1, 1, 1))
    [alert] = load_session_view(db, row.id).alerts
    assert (alert.rule, alert.value) == ("phq9_self_harm", "item 9 = 1")
    assert "a physician must see the patient before discharge" in alert.message
    # A discharge override sets the protocol's criteria aside, never this.
    overrides.record_override(db, doctor, row.id, "discharge", "patient must leave now", Protocol())
    current = sessions.get_session(db, row.id)
    with pytest.raises(NotAllowed, match="a physician must acknowledge: PHQ-9 item 9 answered 1"):
        sessions.discharge(db, nurse, row.id, current.version)
    with pytest.raises(NotAllowed, match="only a physician"):
        alerts.acknowledge(db, nurse, alert.id, alert.version, "seen, calling Dr")
    # A correction to 0 does not close it either: the answer was given.
    first = load_session_view(db, row.id).questionnaires[-1]
    questionnaires.record(db, nurse, row.id, "phq9", (2, 2, 2, 1, 1, 1, 1, 0, 0), first.version)
    assert load_session_view(db, row.id).alerts[0].acknowledged_at is None
    with pytest.raises(
        InvalidInput, match="C-SSRS: a PHQ-9 item 9 above 0 is acknowledged with the C-SSRS"
    ) as no:
        alerts.acknowledge(
            db, doctor, alert.id, alert.version, "assessed: safety plan, no intent, follow up Fri"
        )
    assert no.value.field == "cssrs"
    screener = (True, False, False, False, False, False)
    done_alert = alerts.acknowledge(
        db, doctor, alert.id, alert.version, "assessed: safety plan, no intent, follow up Fri", screener
    )
    assert done_alert.acknowledgement.endswith("· C-SSRS screener: low risk (yes to 1)")
    done = sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    assert done.status == "discharged"


def test_one_open_self_harm_alert_however_often_it_is_answered(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    first = questionnaires.record(db, nurse, row.id, "phq9", (1,) * 9)
    questionnaires.record(db, nurse, row.id, "phq9", (1,) * 8 + (2,), first.version)
    assert [a.value for a in load_session_view(db, row.id).alerts] == ["item 9 = 1"]


def test_the_signature_locks_and_covers_the_answers(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = discharged_session(db, nurse)
    questionnaires.record(db, nurse, row.id, "peg", (6, 7, 5))
    approved_by(db, staff["priya"], row.id)
    assert verify_record(db).problems() == []
    with pytest.raises(NotAllowed, match="signed and locked"):
        questionnaires.record(db, nurse, row.id, "gad7", (1,) * 7)
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(text(f"UPDATE questionnaire SET item_1 = 2 WHERE session_id = {row.id}"))


def _session(number: int | None, length: int | None, day: date = date(2026, 11, 30)) -> TreatmentSession:
    return TreatmentSession(
        patient_id=1, clinic_date=day, scheduled_time=time(9, 0), chair="1", method=Method.IV,
        series_number=number, series_length=length,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("number", "length", "last", "reason"),
    [
        (1, 6, None, "series start"),
        (3, 6, date(2026, 11, 20), ""),
        (6, 6, date(2026, 11, 20), "series end"),
        (None, None, None, "maintenance, none yet"),
        (None, None, date(2026, 11, 3), ""),  # 27 days
        (None, None, date(2026, 11, 2), "maintenance, every 4 weeks"),
    ],
)
def test_mood_is_due_at_a_series_start_and_end_and_every_n_weeks_of_maintenance(
    number: int | None, length: int | None, last: date | None, reason: str
) -> None:
    assert questionnaires.mood_due_at(_session(number, length), last, Questionnaires()).reason == reason


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (1, "series start"),
        (2, ""),
        (3, "esketamine series, every other session"),
        (4, ""),
        (7, "esketamine series, every other session"),
        (8, "series end"),
    ],
)
def test_in_an_esketamine_series_mood_is_due_at_least_every_other_session(number: int, reason: str) -> None:
    nasal = _session(number, 8).model_copy(update={"method": Method.NASAL})
    assert questionnaires.mood_due_at(nasal, date(2026, 11, 27), Questionnaires()).reason == reason
    every = Questionnaires(nasal_series_every=1)
    assert questionnaires.mood_due_at(nasal, date(2026, 11, 27), every)  # every session, if the clinic asks
    with pytest.raises(ValueError, match="less than or equal to 2"):
        Questionnaires(nasal_series_every=3)  # would leave induction sessions unmeasured in a row


def test_the_protocol_sets_the_maintenance_weeks() -> None:
    every_two = Questionnaires(mood_every_weeks=2)
    assert questionnaires.mood_due_at(_session(None, None), date(2026, 11, 16), every_two).reason.endswith(
        "2 weeks"
    )
    with pytest.raises(ValueError):
        Questionnaires(mood_every_weeks=0)


def test_the_last_mood_date_is_each_patients_latest_phq9_before_the_day(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    questionnaires.record(db, nurse, row.id, "phq9", (0,) * 9)
    with db.read() as session:
        assert questionnaires.last_mood_dates(session, [row.patient_id], row.clinic_date) == {}
        later = row.clinic_date + timedelta(days=1)
        assert questionnaires.last_mood_dates(session, [row.patient_id], later) == {
            row.patient_id: row.clinic_date
        }


def test_the_review_shows_each_answer_and_a_change_after_it_was_shown_is_named(
    db: Database, staff: dict[str, Actor]
) -> None:
    from zoneinfo import ZoneInfo

    from console.review.changes import changes
    from console.review.record_text import questionnaire_lines

    zone, nurse = ZoneInfo("America/Chicago"), staff["nina"]
    row = checked_in_session(db, nurse)
    peg = questionnaires.record(db, nurse, row.id, "peg", (6, 7, 5))
    questionnaires.record(db, nurse, row.id, "phq9", (2, 1, 2, 1, 0, 1, 1, 0, 1))
    shown = load_session_view(db, row.id)
    lines = questionnaire_lines(shown, zone)
    assert lines[0].startswith("PEG 6.0 · answers 6 7 5 · ") and lines[0].endswith("Nina")
    assert lines[1].startswith("PHQ-9 9 (mild) · answers 2 1 2 1 0 1 1 0 1 · ⚠ item 9 (self-harm) = 1")
    questionnaires.record(db, staff["marcus"], row.id, "peg", (6, 7, 4), peg.version)
    (changed,) = changes(shown, load_session_view(db, row.id), zone)
    assert changed.section == "Function and mood" and changed.after[0].startswith("PEG 5.7 · answers 6 7 4")


def test_a_later_sessions_score_is_said_against_the_series_start(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.store.models import TreatmentSession as T

    nurse = staff["nina"]
    first = checked_in_session(db, nurse)
    with db.write() as session:  # the series began a week ago
        started = session.get(T, first.id)
        assert started is not None
        started.clinic_date, started.series_number = started.clinic_date - timedelta(days=7), 1
    questionnaires.record(db, nurse, first.id, "peg", (8, 7, 7))
    questionnaires.record(db, nurse, first.id, "phq9", (2, 2, 2, 2, 2, 2, 2, 2, 0))
    later = checked_in_session(db, nurse, mrn="MRN-1001")  # the same patient, today
    questionnaires.record(db, nurse, later.id, "peg", (5, 4, 5))
    view = load_session_view(db, later.id)
    assert view.baselines == {PEG: (8, 7, 7), PHQ9: (2, 2, 2, 2, 2, 2, 2, 2, 0)}
    from console.domain.questionnaires import with_change

    assert with_change(PEG, (5, 4, 5), view.baselines[PEG]) == "PEG 4.7, series start 7.3: -36 %, improved"


@pytest.mark.slow
def test_questionnaires_csv_scores_each_answer_against_a_series_begun_before_the_range(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.export.modes import Mode, columns
    from console.store.models import TreatmentSession as T
    from tests.test_export import _export, _rows

    nurse = staff["nina"]
    first = checked_in_session(db, nurse)
    with db.write() as session:  # the series began a week ago, before the exported day
        started = session.get(T, first.id)
        assert started is not None
        started.clinic_date, started.series_number = started.clinic_date - timedelta(days=7), 1
    questionnaires.record(db, nurse, first.id, "peg", (8, 7, 7))
    questionnaires.record(db, nurse, first.id, "phq9", (2, 2, 2, 2, 2, 2, 2, 2, 0))
    today = checked_in_session(db, nurse)
    questionnaires.record(db, nurse, today.id, "peg", (5, 4, 5))
    questionnaires.record(db, nurse, today.id, "phq9", (1, 0, 1, 0, 1, 0, 0, 0, 1))
    questionnaires.record(db, nurse, today.id, "gad7", (1, 1, 2, 1, 0, 1, 0))
    rows = {row["instrument"]: row for row in _rows(_export(db, tmp_path) / "questionnaires.csv")}
    assert set(rows) == {"peg", "phq9", "gad7"}  # today's only
    peg, phq9, gad7 = rows["peg"], rows["phq9"], rows["gad7"]
    assert (peg["item_1"], peg["item_3"], peg["item_4"], peg["score"], peg["loinc"]) == (
        "5",
        "5",
        "",
        "4.7",
        "",
    )
    assert (peg["series_start_score"], peg["change_percent"], peg["change_class"]) == (
        "7.3",
        "-35.6",
        "improved",
    )
    assert (phq9["loinc"], phq9["score"], phq9["band"], phq9["item_9"]) == ("44261-6", "4.0", "minimal", "1")
    assert (phq9["series_start_score"], phq9["change_class"]) == ("16.0", "remission")
    assert (gad7["loinc"], gad7["score"], gad7["band"], gad7["series_start_score"]) == (
        "70274-6",
        "6.0",
        "mild",
        "",
    )
    assert peg["asked_by"] == "Nina" and peg["session_id"] == str(today.id)
    # De-identified: the session is a code made for the export, the time minutes from check-in.
    harbor = _rows(_export(db, tmp_path, folder="harbor", mode=Mode.SAFE_HARBOR) / "questionnaires.csv")
    assert list(harbor[0]) == columns("questionnaires.csv", Mode.SAFE_HARBOR)
    assert "session_id" not in harbor[0] and "answered_at_min" in harbor[0] and "asked_by" in harbor[0]


def test_a_series_begun_at_a_session_without_answers_is_a_new_start_on_screen_and_in_the_export(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.store.models import TreatmentSession as T
    from tests.test_export import _export, _rows

    nurse = staff["nina"]
    for days in (14, 7):  # a series two weeks ago, answered; another began a week ago, nothing asked
        row = checked_in_session(db, nurse)
        if days == 14:
            questionnaires.record(db, nurse, row.id, "peg", (8, 7, 7))
        with db.write() as session:
            moved = session.get(T, row.id)
            assert moved is not None
            moved.clinic_date, moved.series_number = moved.clinic_date - timedelta(days=days), 1
    today = checked_in_session(db, nurse)
    questionnaires.record(db, nurse, today.id, "peg", (5, 4, 5))
    assert load_session_view(db, today.id).baselines == {}  # the old series' answers are not this one's
    (peg,) = _rows(_export(db, tmp_path) / "questionnaires.csv")
    assert (peg["score"], peg["series_start_score"], peg["change_class"]) == ("4.7", "", "")

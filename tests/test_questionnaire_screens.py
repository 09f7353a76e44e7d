"""PEG, PHQ-9 and GAD-7 at the chair, through the screens: typed at pre-assessment, refused where
typed, due on the board and the session, and a PHQ-9 item 9 above 0 left to the physician."""

import pytest
from sqlmodel import select
from textual.widgets import Input, Label, Static

from app import ChairsideApp
from console.chair import questionnaires, sessions
from console.domain.vocab import Instrument
from console.store.models import Alert, Questionnaire, SuicideScreen, UserAccount

from .test_app import board_loaded, sign_in
from .test_review_screens import DOCTOR_PASSWORD
from .test_session_screen import NURSE, Nurse, _book, _error
from .ui import burst

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out


def _answers(app: ChairsideApp, session_id: int) -> dict[str, tuple[int, ...]]:
    assert app.db is not None
    with app.db.read() as session:
        rows = session.exec(select(Questionnaire).where(Questionnaire.session_id == session_id)).all()
        return {row.instrument.value: row.items for row in rows}


def _shown(app: ChairsideApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


async def test_peg_is_one_line_after_pain_and_shows_its_score(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter", "f2", "7", "enter", "6 7 5", "enter")
        assert _error(demo_app) == ""
        assert demo_app.screen.focused is not None
        assert demo_app.screen.focused.id == "baseline-vitals"  # mid-series: no mood questionnaire
        assert not demo_app.screen.query_one("#phq9", Input).display
        assert "PEG 6.0" in _shown(demo_app, "#peg-label")
    assert _answers(demo_app, session_id) == {"peg": (6, 7, 5)}


async def test_a_peg_line_that_does_not_read_is_refused_under_it_and_nothing_is_stored(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter", "f2", "7", "enter", "6 11 5", "enter")
        assert "PEG: item 2 is 11; each is 0 to 10" in _error(demo_app)
        assert demo_app.screen.focused is not None
        assert demo_app.screen.focused.id == "peg"  # back where the wrong value is
        await nurse.type("ctrl+u", "6 10 5", "enter")
        assert _error(demo_app) == ""
    assert _answers(demo_app, session_id) == {"peg": (6, 10, 5)}


async def test_a_series_start_asks_phq9_and_gad7_and_item_9_is_left_to_the_physician(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _book(demo_app, "iv_infusion", series=(1, 6))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter")
        assert "PHQ-9 and GAD-7 due (series start)" in str(
            demo_app.screen.query_one("#patient-header").render()
        )
        await nurse.type("f2", "7", "enter", "6 7 5", "enter")
        assert demo_app.screen.focused is not None
        assert demo_app.screen.focused.id == "phq9"
        assert "PHQ-9 (due: series start)" in _shown(demo_app, "#phq9-label")
        await nurse.type("212101112", "enter", "1121010", "enter")
        assert _error(demo_app) == ""
        assert demo_app.screen.focused.id == "baseline-vitals"
        assert "PHQ-9 11 (moderate)" in _shown(demo_app, "#phq9-label")
        assert "GAD-7 6 (mild)" in _shown(demo_app, "#gad7-label")
        alerts = str(demo_app.screen.query_one("#alerts", Static).render())
        assert "PHQ-9 item 9 answered 2" in alerts and "a physician acknowledges it" in alerts
        # The nurse cannot clear it: the dialog says who can, and the alert stays.
        await nurse.type("f12", "enter", "spoke with patient", "enter")
        assert "only a physician can acknowledge" in str(demo_app.screen.query_one("#ack-error").render())
    assert _answers(demo_app, session_id) == {
        "peg": (6, 7, 5),
        "phq9": (2, 1, 2, 1, 0, 1, 1, 1, 2),
        "gad7": (1, 1, 2, 1, 0, 1, 0),
    }
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == session_id)).one()
    assert alert.acknowledged_at is None


async def test_answers_typed_at_scanner_speed_survive_a_reread_landing_before_their_enter(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At full speed the PHQ-9 and GAD-7 lines reached their fields after the focus had moved on,
    so they did not count as typed: a re-read landing then emptied them, and Enter stored nothing."""
    from widgets.session import SessionScreen

    patient, session_id = _book(demo_app, "iv_infusion", series=(1, 6))
    enter = SessionScreen.action_enter

    def enter_after_a_reread(screen: SessionScreen) -> None:
        # A re-read's result (another save's, or the 5 s one) lands behind the keys in the field.
        assert screen.focused is not None
        screen.focused.call_later(screen._show, screen.view, None, False)
        enter(screen)

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter", "f2", "7", "enter", "6 7 5", "enter")
        assert demo_app.screen.focused is not None
        assert demo_app.screen.focused.id == "phq9"
        monkeypatch.setattr(SessionScreen, "action_enter", enter_after_a_reread)
        burst(demo_app, *"1 0 1 1 0 0 1 0 0", "enter", *"1 1 0 1 0 0 0", "enter")
        await nurse.settle()
        assert _error(demo_app) == ""
    assert _answers(demo_app, session_id) == {
        "peg": (6, 7, 5),
        "phq9": (1, 0, 1, 1, 0, 0, 1, 0, 0),
        "gad7": (1, 1, 0, 1, 0, 0, 0),
    }


async def test_the_physician_acknowledges_the_self_harm_alert_at_the_chair(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion", series=(1, 6))
    assert demo_app.db is not None
    sessions.check_in(demo_app.db, NURSE, session_id, 1)
    questionnaires.record(demo_app.db, NURSE, session_id, "phq9", (1, 1, 1, 1, 1, 1, 1, 1, 1))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "doctor", DOCTOR_PASSWORD)
        nurse = Nurse(pilot)
        await nurse.settle()
        calls = str(demo_app.screen.query_one("#queue-calls", Static).render())
        assert f"chair 6, {patient.display_name}: PHQ-9 item 9 answered 1" in calls  # above the queue
        await nurse.type("f2", patient.mrn, "enter")  # from the review queue to the board, then the session
        assert "a physician acknowledges it" in str(demo_app.screen.query_one("#alerts", Static).render())
        # The physician asks the C-SSRS screener's six questions: the note waits for its answers.
        await nurse.type("f12", "enter")
        assert demo_app.screen.query_one("#cssrs").has_focus
        await nurse.type("ynyn", "enter")
        assert "C-SSRS: 4 answers; it has 6" in str(demo_app.screen.query_one("#ack-error").render())
        await nurse.type("ctrl+u", "nnynnn", "enter")  # a plan question without thoughts: not asked
        assert "asked only after a yes to question 2" in str(demo_app.screen.query_one("#ack-error").render())
        await nurse.type("ctrl+u", "ynnnnn", "enter", "assessed: no plan or intent; safety plan", "enter")
        assert str(demo_app.screen.query_one("#alerts", Static).render()) == ""
    with demo_app.db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == session_id)).one()
        screen = session.exec(select(SuicideScreen).where(SuicideScreen.session_id == session_id)).one()
    assert alert.acknowledgement == (
        "assessed: no plan or intent; safety plan · C-SSRS screener: low risk (yes to 1)"
    )
    assert screen.answers == (True, False, False, False, False, False)
    with demo_app.db.read() as session:
        asker = session.get(UserAccount, screen.asked_by)
    assert asker is not None and asker.username == "doctor"


async def test_the_board_says_where_mood_is_due_and_where_it_was_answered(demo_app: ChairsideApp) -> None:
    due, _ = _book(demo_app, "iv_infusion", series=(1, 6))
    answered, answered_id = _book(demo_app, "nasal_spray", series=(8, 8))
    middle, _ = _book(demo_app, "iv_infusion", series=(3, 6))
    assert demo_app.db is not None
    sessions.check_in(demo_app.db, NURSE, answered_id, 1)
    questionnaires.record(demo_app.db, NURSE, answered_id, Instrument.PHQ9, (0,) * 9)
    async with demo_app.run_test(size=(160, 40)) as pilot:
        await sign_in(pilot)
        board = await board_loaded(pilot)
        mood = {str(row[-1]): str(row[-3]) for row in (board.get_row_at(i) for i in range(board.row_count))}
    assert (mood[due.mrn], mood[answered.mrn], mood[middle.mrn]) == ("due", "done", "")


async def test_the_review_shows_function_and_mood_with_the_record(demo_app: ChairsideApp) -> None:
    from widgets.review import ReviewScreen

    from .test_review_screens import open_queue, settle, text_of

    assert demo_app.db is not None
    with demo_app.db.read() as session:
        asked = session.exec(
            select(Questionnaire.session_id).where(Questionnaire.instrument == Instrument.PHQ9)
        ).first()
        assert asked is not None
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        assert demo_app.clinic is not None
        demo_app.push_screen(ReviewScreen(demo_app.clinic, asked))
        await settle(pilot)
        measures = text_of(demo_app, "#review-measures")
    lines = measures.splitlines()
    assert [line.split()[0] for line in lines] == ["PEG", "PHQ-9", "GAD-7"], measures
    assert all(" · answers " in line for line in lines)

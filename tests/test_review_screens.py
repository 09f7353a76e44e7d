"""The physician's review at the console: queue, filters, signing, returns, addenda, trajectory, audit."""

import pytest
from sqlmodel import col
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from app import ChairsideApp
from console.domain.clock import FixedClock
from console.domain.vocab import Method
from console.review.queue import review_queue
from widgets.review import ReviewScreen
from widgets.review_queue import ReviewQueueScreen
from widgets.today import TodayScreen

from .test_app import sign_in
from .ui import workers_done

DOCTOR_PASSWORD = "demo-doctor-pass"
PIN = "2468"


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()  # a screen just pushed mounts first and starts its read (seen late in CI)
    await workers_done(pilot.app)
    await pilot.pause()


def text_of(app: ChairsideApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_queue(pilot: Pilot[None]) -> DataTable:
    await sign_in(pilot, "doctor", DOCTOR_PASSWORD)
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewQueueScreen)
    return pilot.app.screen.query_one("#queue", DataTable)


async def test_the_physician_starts_at_the_queue_flagged_first_then_oldest(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        table = await open_queue(pilot)
        assert demo_app.db is not None
        queue = review_queue(demo_app.db)
        assert table.row_count == len(queue.rows) > 0
        flagged = [row.flagged for row in queue.rows]
        assert flagged == sorted(flagged, reverse=True)
        unflagged = [(r.clinic_date, r.scheduled_time) for r in queue.rows if not r.flagged]
        assert unflagged == sorted(unflagged)
        counts = text_of(demo_app, "#queue-counts")
        assert f"{len(queue.rows)} awaiting signature" in counts and "1 back with the nurses" in counts


@pytest.mark.slow
async def test_a_long_queue_shows_its_first_page_and_fetches_the_next_as_the_cursor_nears_it(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import widgets.review_queue

    monkeypatch.setattr(widgets.review_queue, "PAGE", 4)
    assert demo_app.db is not None
    whole = [row.session_id for row in review_queue(demo_app.db).rows]
    assert len(whole) > 8
    async with demo_app.run_test(size=(160, 50)) as pilot:
        table = await open_queue(pilot)
        assert table.row_count == 4  # one page, whatever the backlog
        assert f"{len(whole)} awaiting signature" in text_of(demo_app, "#queue-counts")
        for _ in range(len(whole)):
            await pilot.press("down")
            await settle(pilot)
        assert table.row_count == len(whole)
        assert isinstance(pilot.app.screen, ReviewQueueScreen)
        assert [row.session_id for row in pilot.app.screen.rows] == whole
        await pilot.press("home", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReviewScreen) and pilot.app.screen.queue == whole


@pytest.mark.slow
async def test_filters_by_method_nurse_and_dates_with_a_refusal_for_a_bad_date(
    demo_app: ChairsideApp,
) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        table = await open_queue(pilot)
        everything = table.row_count
        await pilot.press("f8")
        await settle(pilot)
        assert demo_app.db is not None
        iv = [r for r in review_queue(demo_app.db).rows if r.method is Method.IV]
        assert table.row_count == len(iv) < everything
        await pilot.press("f8", "f8")  # nasal, then both again
        await settle(pilot)
        assert table.row_count == everything
        await pilot.press("f7")
        await settle(pilot)
        assert table.row_count < everything and "Hannah Kowalski" in text_of(demo_app, "#queue-facets")
        await pilot.press("f7", "f7", "f7")
        await settle(pilot)
        demo_app.screen.set_focus(demo_app.screen.query_one("#queue-from", Input))
        await pilot.press(*"2026-13-01", "enter")
        await settle(pilot)
        assert "From: a date" in text_of(demo_app, "#queue-message")
        demo_app.screen.query_one("#queue-from", Input).value = ""
        await pilot.press(*"2026-11-25", "enter")
        await pilot.press(*"2026-11-25", "enter")
        await settle(pilot)
        assert 0 < table.row_count < everything
        assert all(str(table.get_row_at(i)[1]) == "2026-11-25" for i in range(table.row_count))


@pytest.mark.slow
async def test_clearing_the_queue_from_the_keyboard_password_first_then_pin(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        table = await open_queue(pilot)
        total = table.row_count
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ReviewScreen)
        for signed in range(total):
            screen = demo_app.screen
            assert screen.view is not None
            if any(a.acknowledged_at is None for a in screen.view.alerts):
                await pilot.press("f12", "enter", *"reviewed, no action", "enter")
                await settle(pilot)
            await pilot.press("f2", "enter")  # sign, with the first meaning (approved)
            if signed == 0:
                await pilot.press(*"doctor", "enter", *DOCTOR_PASSWORD, "enter")
            else:
                await pilot.press(*PIN, "enter")
            await settle(pilot)
        assert isinstance(demo_app.screen, ReviewQueueScreen)
        await settle(pilot)
        assert table.row_count == 0 and "nothing to sign" in text_of(demo_app, "#queue-counts")


@pytest.mark.slow
async def test_a_wrong_password_is_refused_in_the_dialog_and_nothing_is_signed(
    demo_app: ChairsideApp,
) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        await pilot.press("enter")
        await settle(pilot)
        review = demo_app.screen
        assert isinstance(review, ReviewScreen)
        await pilot.press("f2", "enter", *"doctor", "enter", *"wrong-pass", "enter")
        await settle(pilot)
        assert "Wrong username or password" in text_of(demo_app, ".sign-error")
        assert isinstance(demo_app.focused, Input)
        assert demo_app.focused.id == "cred-password" and demo_app.focused.value == ""
        await pilot.press("escape")
        await settle(pilot)
        assert review.view is not None
        assert demo_app.screen is review and review.view.signature is None


@pytest.mark.slow
async def test_return_for_correction_then_the_nurse_sees_it_and_resubmits(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ReviewScreen)
        session_id = demo_app.screen.session_id
        await pilot.press("f3", *"Pain after has no time", "enter")
        await settle(pilot)
        assert "Returned for correction" in text_of(demo_app, "#review-state")
        await pilot.press("escape", "ctrl+o")
        await settle(pilot)
        await sign_in(pilot)
        await settle(pilot)
        assert isinstance(demo_app.screen, TodayScreen)
        banner = text_of(demo_app, "#board-returned")
        assert "2 session(s) returned" in banner and "Pain after has no time" in banner
        returned = [r.session_id for r in demo_app.screen.returned]
        while returned[0] != session_id:
            returned.pop(0)
        demo_app.screen._open(session_id)
        await settle(pilot)
        assert "Pain after has no time" in text_of(demo_app, "#record-state")
        await pilot.press("ctrl+r", *"Time added", "enter")
        await settle(pilot)
        assert "Resubmitted" not in text_of(demo_app, "#record-state")  # no longer waiting
        await pilot.press("escape")
        await settle(pilot)
        assert "1 session(s) returned" in text_of(demo_app, "#board-returned")


@pytest.mark.slow
async def test_an_addendum_on_a_signed_session_shows_under_the_signature(demo_app: ChairsideApp) -> None:
    from sqlmodel import select

    from console.store.models import SessionSignature

    assert demo_app.db is not None
    with demo_app.db.read() as session:
        signed_id = session.exec(
            select(SessionSignature.session_id).order_by(col(SessionSignature.id))
        ).first()
    assert signed_id is not None
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        assert demo_app.clinic is not None
        demo_app.push_screen(ReviewScreen(demo_app.clinic, signed_id))
        await settle(pilot)
        assert "Signed by Dr. Priya Raman" in text_of(demo_app, "#review-state")
        await pilot.press("f2")  # signed: no second signature
        await settle(pilot)
        await pilot.press("f4", *"Late entry", "enter", *"Phoned next day: well.", "enter")
        await pilot.press(*"doctor", "enter", *DOCTOR_PASSWORD, "enter")
        await settle(pilot)
        addenda = text_of(demo_app, "#review-addenda")
        assert (
            "Addendum 1" in addenda
            and "Phoned next day: well." in addenda
            and "Reason: Late entry" in addenda
        )


@pytest.mark.slow
async def test_trajectory_and_audit_trail_open_from_the_review(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ReviewScreen) and demo_app.screen.view is not None
        patient = demo_app.screen.view.patient.display_name
        await pilot.press("f5")
        await settle(pilot)
        assert patient in text_of(demo_app, "#trajectory-title")
        assert "Series 1" in text_of(demo_app, "#trajectory-series")
        assert demo_app.screen.query_one("#trajectory-visits", DataTable).row_count >= 1
        await pilot.press("escape", "f6")
        await settle(pilot)
        trail = demo_app.screen.query_one("#trail", DataTable)
        assert trail.row_count >= 1
        await pilot.press("down")
        await pilot.pause()
        assert "Event" in text_of(demo_app, "#trail-detail")


async def sign_first_with_password(pilot: Pilot[None]) -> None:
    """Open the queue's first session and sign it with the password: the signing sitting is open."""
    await open_queue(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("f2", "enter", *"doctor", "enter", *DOCTOR_PASSWORD, "enter")
    await settle(pilot)  # signed: the next session of the queue is shown


@pytest.mark.slow
async def test_five_wrong_pins_lock_the_account_at_the_dialog(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_first_with_password(pilot)
        for attempt in range(5):
            await pilot.press("f2", "enter", *"0000", "enter")
            await settle(pilot)
            message = text_of(demo_app, ".sign-error")
            if attempt < 4:
                assert f"{4 - attempt} attempts left" in message
            await pilot.press("escape")
        assert "locked" in message
        await pilot.press("f2", "enter", *PIN, "enter")
        await settle(pilot)
        assert "locked" in text_of(demo_app, ".sign-error")  # even the right PIN, until an admin unlocks


@pytest.mark.slow
async def test_after_the_idle_timeout_the_password_is_asked_again(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f2", "enter", *"doctor", "enter", *DOCTOR_PASSWORD, "enter")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert demo_app.screen.query("#cred-pin") and not demo_app.screen.query("#cred-password")
        await pilot.press("escape")
        assert demo_app.settings is not None
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=demo_app.settings.signing_idle_minutes + 1)
        await pilot.press("f2")
        await settle(pilot)
        assert demo_app.screen.query("#cred-password") and not demo_app.screen.query("#cred-pin")


@pytest.mark.slow
async def test_a_nurse_has_no_way_to_sign(demo_app: ChairsideApp) -> None:
    from sqlmodel import select

    from console.store.models import TreatmentSession

    assert demo_app.db is not None
    with demo_app.db.read() as session:
        discharged = session.exec(
            select(TreatmentSession.id).where(TreatmentSession.status == "discharged")
        ).first()
    assert discharged is not None
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        await settle(pilot)
        assert isinstance(demo_app.screen, TodayScreen)
        assert demo_app.clinic is not None
        demo_app.push_screen(ReviewScreen(demo_app.clinic, discharged))
        await settle(pilot)
        assert not demo_app.screen.check_action("sign", ()) and not demo_app.screen.check_action(
            "return_session", ()
        )
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(demo_app.screen, ReviewScreen)  # no dialog opened


@pytest.mark.slow
async def test_the_queue_follows_changes_made_elsewhere_without_f5(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session returned from another workstation used to stay in the queue until F5."""
    import widgets.review_queue
    from console.clinic.users import authenticate
    from console.review.returns import return_for_correction

    monkeypatch.setattr(widgets.review_queue, "REFRESH_SECONDS", 0.2)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        table = await open_queue(pilot)
        before = table.row_count
        assert isinstance(pilot.app.screen, ReviewQueueScreen)
        first = pilot.app.screen.rows[0].session_id
        assert demo_app.db is not None
        elsewhere = authenticate(demo_app.db, "doctor", DOCTOR_PASSWORD)
        return_for_correction(demo_app.db, elsewhere, first, "Please record the pain after.")
        await pilot.pause(0.6)
        await settle(pilot)
        assert table.row_count == before - 1 and first not in [r.session_id for r in pilot.app.screen.rows]


@pytest.mark.slow
async def test_a_pin_typed_at_once_after_f2_signs_and_an_empty_one_never_counts_against_the_lockout(
    demo_app: ChairsideApp,
) -> None:
    """F2, Enter and the PIN typed at once used to leave the dialog empty and count a failed PIN."""
    from console.clinic.users import find_user

    from .ui import burst

    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_first_with_password(pilot)
        assert isinstance(demo_app.screen, ReviewScreen)
        signing = demo_app.screen.session_id
        await pilot.press("f2", "enter", "enter")  # Enter on an empty PIN: refused here, not counted
        await settle(pilot)
        assert "PIN" in text_of(demo_app, ".sign-error")
        assert demo_app.db is not None
        doctor = find_user(demo_app.db, "doctor")
        assert doctor is not None
        assert doctor.failed_attempts == 0
        await pilot.press("escape")
        await settle(pilot)
        burst(demo_app, "f2", "enter", *PIN, "enter")  # as fast as a practised hand
        await settle(pilot)
        await settle(pilot)
        assert isinstance(demo_app.screen, ReviewScreen) and demo_app.screen.session_id != signing
        doctor = find_user(demo_app.db, "doctor")
        assert doctor is not None
        assert doctor.failed_attempts == 0


# The change is a correction after discharge to a reading outside the limits: `audit rules` names it.
@pytest.mark.breaks_rules
@pytest.mark.slow
async def test_a_record_changed_while_the_physician_reads_it_is_not_signed_and_the_change_is_shown(
    demo_app: ChairsideApp,
) -> None:
    """F2 signed 196/118 SpO2 86 while the review still showed 117/73 SpO2 98."""
    from sqlmodel import select

    from console.chair import charting
    from console.domain.actors import Actor
    from console.domain.vocab import Role
    from console.store.models import SessionSignature

    nurse = Actor("nurse", Role.NURSE, 1, "Nina")
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        await pilot.press("enter")
        await settle(pilot)
        review = demo_app.screen
        assert isinstance(review, ReviewScreen) and review.view is not None
        if any(a.acknowledged_at is None for a in review.view.alerts):
            await pilot.press("f12", "enter", *"reviewed, no action", "enter")
            await settle(pilot)
        reading = review.view.vitals[-1]
        shown_before = f"{reading.systolic}/{reading.diastolic}"
        assert demo_app.db is not None
        charting.correct_vitals(  # at a nurse's workstation, while the physician reads
            demo_app.db,
            nurse,
            reading.id,
            reading.version,
            {
                "measured_at": reading.measured_at,
                "systolic": 196,
                "diastolic": 118,
                "heart_rate": reading.heart_rate,
                "spo2": 86,
                "resp_rate": reading.resp_rate,
                "moaas": reading.moaas,
            },
        )
        await pilot.press("f2", "enter", *"doctor", "enter", *DOCTOR_PASSWORD, "enter")
        await settle(pilot)
        assert demo_app.screen is review
        message = text_of(demo_app, "#review-message")
        assert "Changed since you were shown it; nothing was signed" in message
        assert "Vital signs" in message and shown_before in message and "196/118" in message
        assert review.view.vitals[-1].systolic == 196  # the review now shows the record as it is
        assert "reading corrected; its original values are kept" in text_of(
            demo_app, "#review-vitals-remarks"
        )
        await pilot.press("f9")  # the originals, on demand
        await settle(pilot)
        originals = text_of(demo_app, "#review-originals")
        assert "Reading corrected" in originals and "by nurse" in originals, originals
        assert f"systolic: {shown_before.split('/')[0]} → 196" in originals, originals
        await pilot.press("f9")
        await settle(pilot)
        assert text_of(demo_app, "#review-originals") == ""
    with demo_app.db.read() as session:
        assert (
            session.exec(
                select(SessionSignature).where(SessionSignature.session_id == review.session_id)
            ).all()
            == []
        )


@pytest.mark.slow
async def test_a_nasal_sessions_review_shows_its_rems_form_and_an_infusions_does_not(
    demo_app: ChairsideApp,
) -> None:
    from sqlmodel import col, select

    from console.store.models import RemsCheck, TreatmentSession

    assert demo_app.db is not None
    with demo_app.db.read() as session:
        nasal_id = session.exec(select(RemsCheck.session_id).order_by(col(RemsCheck.id).desc())).first()
        iv_id = session.exec(
            select(TreatmentSession.id).where(TreatmentSession.method == "iv_infusion")
        ).first()
    assert nasal_id is not None and iv_id is not None
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        assert demo_app.clinic is not None
        demo_app.push_screen(ReviewScreen(demo_app.clinic, nasal_id))
        await settle(pilot)
        form = text_of(demo_app, "#review-rems")
        assert "REMS patient enrolment: REMS-" in form and "Blood pressure at about 40 minutes: " in form
        assert demo_app.screen.query_one("#review-rems").display
        demo_app.push_screen(ReviewScreen(demo_app.clinic, iv_id))
        await settle(pilot)
        assert not demo_app.screen.query_one("#review-rems").display

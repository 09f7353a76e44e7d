"""A serious side effect calls the physician and keeps the patient in the chair: ticking it as
continuing is not enough (a patient went home with an open grade-4 respiratory depression so)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app import ChairsideApp
from console.chair import alerts, charting, sessions
from console.chair.overrides import record_override
from console.domain.actors import Actor
from console.domain.alert_rules import AlertRule
from console.domain.clock import FixedClock
from console.domain.errors import NotAllowed
from console.domain.protocol import Protocol
from console.domain.serious_effects import is_serious
from console.store.database import Database
from console.store.models import Alert, AuditEvent, SideEffect
from tests.factories import ready_for_discharge

PROTOCOL = Protocol()


def _effect(
    db: Database, nurse: Actor, session_id: int, effect: str, grade: int, **more: object
) -> SideEffect:
    onset = db.clock.now() - timedelta(minutes=20)
    return charting.record_side_effect(
        db, nurse, session_id, {"effect": effect, "grade": grade, "onset_at": onset, **more}
    )


def _alerts(db: Database, session_id: int) -> list[Alert]:
    with db.read() as session:
        found = session.exec(
            select(Alert).where(Alert.session_id == session_id, Alert.rule == "serious_side_effect")
        )
        return list(found)


def _version(db: Database, session_id: int) -> int:
    return sessions.get_session(db, session_id).version


@pytest.mark.parametrize(
    "effect, grade, serious",
    [
        ("nausea", 2, False),
        ("nausea", 3, True),
        ("vomiting", 4, True),
        ("respiratory_depression", 1, True),
        ("emergence_reaction", 1, True),
        ("sedation", 2, False),
        ("other", 3, True),
    ],
)
def test_which_effects_are_serious(effect: str, grade: int, serious: bool) -> None:
    assert is_serious(effect, grade) is serious


def test_an_open_grade_4_respiratory_depression_ticked_as_continuing_does_not_discharge(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = ready_for_discharge(db, nurse)
    breathing = _effect(db, nurse, row.id, "respiratory_depression", 4)
    with pytest.raises(
        NotAllowed, match=r"serious side effect still open \(respiratory depression grade 4\)"
    ):
        sessions.discharge(db, nurse, row.id, _version(db, row.id), continuing=[breathing.id])
    assert sessions.get_session(db, row.id).status == "observation"


def test_a_serious_effect_calls_the_physician_and_only_a_physician_acknowledges_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = ready_for_discharge(db, nurse)
    effect = _effect(db, nurse, row.id, "emergence_reaction", 2)
    (alert,) = _alerts(db, row.id)
    assert alert.rule == AlertRule.SERIOUS_SIDE_EFFECT and alert.value == f"side effect {effect.id}"
    assert "hallucinations / emergence reaction grade 2: call the physician" in alert.message
    assert [call.message for call in alerts.physician_calls(db, db.clock.now().date())] == [alert.message]
    with pytest.raises(NotAllowed, match="only a physician can acknowledge"):
        alerts.acknowledge(db, nurse, alert.id, alert.version, "Reassured, calm now")
    charting.resolve_side_effect(db, nurse, effect.id, effect.version, db.clock.now(), "Reassured, calm")
    with pytest.raises(NotAllowed, match="a physician must acknowledge"):
        sessions.discharge(db, nurse, row.id, _version(db, row.id))
    alerts.acknowledge(db, doctor, alert.id, alert.version, "Saw the patient: settled, may leave")
    assert sessions.get_session(db, row.id).status == "observation"
    assert sessions.discharge(db, nurse, row.id, _version(db, row.id)).status == "discharged"


def test_a_correction_to_a_serious_grade_calls_the_physician_once(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = ready_for_discharge(db, nurse)
    effect = _effect(db, nurse, row.id, "nausea", 1)
    assert _alerts(db, row.id) == []
    onset = effect.onset_at
    corrected = charting.correct_side_effect(
        db, nurse, effect.id, effect.version, {"effect": "nausea", "grade": 3, "onset_at": onset}
    )
    charting.correct_side_effect(
        db, nurse, effect.id, corrected.version, {"effect": "vomiting", "grade": 3, "onset_at": onset}
    )
    assert len(_alerts(db, row.id)) == 1


def test_only_a_physicians_override_lets_the_patient_go_with_a_serious_effect_open(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = ready_for_discharge(db, nurse)
    effect = _effect(db, nurse, row.id, "vomiting", 3)
    (alert,) = _alerts(db, row.id)
    alerts.acknowledge(db, doctor, alert.id, alert.version, "Seen: antiemetic given, going home")
    with pytest.raises(NotAllowed, match="the protocol needs a physician"):
        record_override(db, nurse, row.id, "discharge", "Patient insists on leaving", PROTOCOL)
    record_override(db, doctor, row.id, "discharge", "Seen, stable; antiemetic at home", PROTOCOL)
    done = sessions.discharge(db, nurse, row.id, _version(db, row.id), continuing=[effect.id])
    assert done.status == "discharged"
    with db.read() as session:
        kept = session.exec(
            select(AuditEvent).where(AuditEvent.action == "side_effect.continues_at_discharge")
        )
        assert [event.entity_id for event in kept] == [str(effect.id)]


def test_an_override_before_the_effect_was_recorded_does_not_let_it_go(
    db: Database, staff: dict[str, Actor]
) -> None:
    """The physician let the patient go with what they had seen, not with what came after."""
    nurse, doctor = staff["nina"], staff["priya"]
    row = ready_for_discharge(db, nurse)
    record_override(db, doctor, row.id, "discharge", "Observation shortened: seen, stable", PROTOCOL)
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=1)
    effect = _effect(db, nurse, row.id, "respiratory_depression", 2)
    (alert,) = _alerts(db, row.id)
    alerts.acknowledge(db, doctor, alert.id, alert.version, "Stimulated, breathing better now")
    with pytest.raises(NotAllowed, match="serious side effect still open"):
        sessions.discharge(db, nurse, row.id, _version(db, row.id), continuing=[effect.id])


@pytest.mark.slow
async def test_the_discharge_step_says_a_serious_effect_ticked_as_continuing_keeps_the_patient(
    demo_app: ChairsideApp,
) -> None:
    from console.demo.builder import DEMO_PIN
    from tests.test_session_screen import NURSE, Nurse, _error
    from widgets.session import SessionScreen

    db = demo_app.db
    assert db is not None
    row = ready_for_discharge(db, NURSE, mrn="MRN-7001", witness_secret=DEMO_PIN)
    breathing = _effect(db, NURSE, row.id, "respiratory_depression", 2)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        from tests.test_app import sign_in

        await sign_in(pilot)
        assert demo_app.clinic is not None  # signed in
        demo_app.push_screen(SessionScreen(demo_app.clinic, row.id))
        nurse = Nurse(pilot)
        await nurse.settle()
        await nurse.type("f7")
        shown = demo_app.screen.query_one("#continuing")
        demo_app.screen.set_focus(shown)
        await nurse.type("space", "tab", "tab", "enter")  # ticked as continuing; Discharge
        said = _error(demo_app)
        assert "serious side effect still open (respiratory depression grade 2)" in said, said
        assert "a physician lets the patient go" in said
    assert sessions.get_session(db, row.id).status == "observation"
    assert breathing.resolved_at is None

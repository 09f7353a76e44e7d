"""Child processes for the durability and concurrency tests (run with `python -m tests.workers`)."""

import sys

from console.chair import charting, sessions
from console.clinic.users import authenticate
from console.domain.errors import Conflict
from console.store.database import Database


def _clinic(url: str) -> Database:
    """The test clinic, its audit events keyed with the tests' clinic key."""
    from tests.conftest import TEST_KEY

    db = Database(url)
    db.audit_key = TEST_KEY
    return db


def keep_recording_vitals(url: str, session_id: int) -> None:
    """Record readings until killed; print each id only after its transaction committed."""
    db = _clinic(url)
    nurse = authenticate(db, "nina", "long enough pw")
    print("ready", flush=True)
    while True:
        reading = charting.record_vitals(
            db,
            nurse,
            session_id,
            {
                "measured_at": db.clock.now(),
                "systolic": 120,
                "diastolic": 80,
                "heart_rate": 70,
                "spo2": 98,
                "resp_rate": 14,
                "moaas": 5,
            },
        )
        print(reading.id, flush=True)


def append_notes(url: str, session_id: int, tag: str, count: int, start_file: str) -> None:
    """Append `count` lines to the session's notes, retrying whenever another process got there first."""
    import os
    import time

    db = _clinic(url)
    nurse = authenticate(db, "nina", "long enough pw")
    while not os.path.exists(start_file):  # start together, so the writers really race
        time.sleep(0.005)
    conflicts = 0
    for index in range(count):
        while True:
            row = sessions.get_session(db, session_id)
            try:
                sessions.update_notes(db, nurse, session_id, row.version, f"{row.notes}\n{tag}-{index}")
                break
            except Conflict:
                conflicts += 1
    print(f"conflicts {conflicts}", flush=True)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "vitals":
        keep_recording_vitals(args[0], int(args[1]))
    elif command == "notes":
        append_notes(args[0], int(args[1]), args[2], int(args[3]), args[4])

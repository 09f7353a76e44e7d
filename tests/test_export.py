"""The end-of-day CSV export: known values, round trip, spreadsheet safety, de-identification, failure."""

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import col, select

from console.chair import charting
from console.chair.board import day_sessions
from console.clinic import patients
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import InvalidInput, StorageError
from console.export.catalogue import FILES, export_file, file_names
from console.export.files import export
from console.export.modes import Mode, columns
from console.export.records import SessionRow
from console.export.request import ExportRequest
from console.store import audit
from console.store.database import Database
from console.store.models import VitalSigns
from console.store.trail_check import verify_rows
from tests.factories import (
    checked_in_session,
    discharged_session,
    iv_dose_data,
    patient_data,
    record_baseline,
    rems_enrolled,
)

ZONE = ZoneInfo("America/Chicago")


def _export(db: Database, tmp_path: Path, jobs: int = 1, **options: Any) -> Path:
    day = db.clock.now().astimezone(ZONE).date()
    out = tmp_path / options.pop("folder", "export")
    export(db, "office", ExportRequest(day, day, out, **options), ZONE, jobs=jobs)
    return out


@pytest.fixture(params=[1, 2], ids=["one process", "two workers"])
def jobs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Written by the export's own process, or by workers (threads here, so a test reaches them)."""
    import multiprocessing.dummy

    import console.export.parallel

    monkeypatch.setattr(console.export.parallel, "process_context", lambda: multiprocessing.dummy)
    return request.param


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_sessions_csv_column_by_column(db: Database, staff: dict[str, Actor], tmp_path: Path) -> None:
    row = discharged_session(db, staff["nina"])
    charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 2, "onset_at": db.clock.now()}
    )
    out = _export(db, tmp_path)
    (session,) = _rows(out / "sessions.csv")
    assert list(session) == columns("sessions.csv", Mode.IDENTIFIED)
    expected = {
        "session_id": str(row.id),
        "chair": "3",
        "mrn": "MRN-1001",
        "patient": "Doe, Jane",
        "method": "iv_infusion",
        "drug": "ketamine",
        "dose_mg": "35.0",
        "mg_per_kg": "0.5",
        "weight_kg": "70.0",
        "rate_mg_per_kg_h": "0.5",
        "duration_min": "100",
        "pain_before": "7",
        "pain_after": "3",
        "pain_change": "-4",
        "percent_change": "57.1",
        "immpact_class": "substantial",
        "side_effects": "nausea (grade 2)",
        "highest_grade": "2",
        "alerts": "0",
        "overrides": "0",
        "status": "discharged",
        "nurse": "Nina",
        "signed_by": "",
        "addenda": "0",
    }
    assert {key: session[key] for key in expected} == expected
    assert session["start"] == (db.clock.now() - timedelta(minutes=100)).astimezone(ZONE).isoformat(
        timespec="seconds"
    )
    assert session["start"].endswith("-06:00")  # ISO 8601 with the clinic's offset


def test_vitals_round_trip_equals_the_database(db: Database, staff: dict[str, Actor], tmp_path: Path) -> None:
    row = discharged_session(db, staff["nina"])
    charting.record_vitals(
        db,
        staff["nina"],
        row.id,
        {
            "measured_at": db.clock.now(),
            "systolic": 130,
            "diastolic": 85,
            "heart_rate": 80,
            "spo2": 90,
            "resp_rate": 14,
            "moaas": 5,
            "temperature_c": 36.8,
        },
    )
    out = _export(db, tmp_path)
    with db.read() as session:
        stored = session.exec(
            select(VitalSigns).order_by(col(VitalSigns.measured_at), col(VitalSigns.id))
        ).all()
    exported = _rows(out / "vitals.csv")
    assert [
        (int(r["systolic"]), int(r["diastolic"]), int(r["heart_rate"]), int(r["spo2"]), int(r["moaas"]))
        for r in exported
    ] == [(v.systolic, v.diastolic, v.heart_rate, v.spo2, v.moaas) for v in stored]
    assert [r["alert_raised"] for r in exported] == ["false", "false", "true"]  # SpO2 90 raised one
    assert [r["corrected"] for r in exported] == ["false", "false", "false"]
    assert exported[0]["recorded_at"] == stored[0].recorded_at.astimezone(ZONE).isoformat(timespec="seconds")
    assert exported[-1]["temperature_c"] == "36.8" and exported[0]["temperature_c"] == ""
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["vitals.csv"]["rows"] == 3 and manifest["exported_by"] == "office"


def test_controlled_substances_per_dose_then_per_lot_and_day(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    discharged_session(db, staff["nina"])
    discharged_session(db, staff["nina"], mrn="MRN-2002")
    rows = _rows(_export(db, tmp_path) / "controlled_substances.csv")
    assert [r["row_type"] for r in rows] == ["administration", "administration", "lot_day_total"]
    total = rows[-1]
    assert (
        total["lot_number"],
        total["drawn_mg"],
        total["given_mg"],
        total["wasted_mg"],
        total["mismatch"],
    ) == ("KET-2026-41", "100.0", "70.0", "30.0", "false")
    assert rows[0]["witness"] == "Marcus" and rows[0]["administered_by"] == "Nina"


def test_an_infusion_stopped_early_exports_what_was_given_and_the_waste_at_the_stop(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.chair.infusion import record_infusion_event

    row = checked_in_session(db, staff["nina"])
    record_baseline(db, staff["nina"], row.id)
    dose = charting.record_dose(
        db, staff["nina"], row.id, iv_dose_data(db)
    )  # 35 planned, 50 drawn, 15 wasted
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=4)
    stop = {"kind": "stop", "at": db.clock.now(), "stop_reason": "Dysphoria", "witness": "marcus"}
    record_infusion_event(db, staff["nina"], dose.id, stop | {"witness_secret": "long enough pw"})
    rows = _rows(_export(db, tmp_path) / "controlled_substances.csv")
    assert [(r["row_type"], r["drawn_mg"], r["given_mg"], r["wasted_mg"], r["mismatch"]) for r in rows] == [
        ("administration", "50.0", "2.3", "15.0", "false"),
        ("waste_at_stop", "", "", "32.7", "false"),
        ("lot_day_total", "50.0", "2.3", "47.7", "false"),
    ]
    assert rows[0]["stop_reason"] == "Dysphoria" and rows[1]["witness"] == "Marcus"


def test_a_mismatch_is_judged_by_the_protocols_tolerance(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    row = checked_in_session(db, staff["nina"])
    record_baseline(db, staff["nina"], row.id)
    charting.record_dose(db, staff["nina"], row.id, iv_dose_data(db))
    with db.engine.begin() as connection:  # 50 drawn, 35 + 14: as stored before the service refused it
        connection.execute(text("UPDATE dose_administration SET wasted_mg = 14"))
    strict = _rows(_export(db, tmp_path, folder="strict") / "controlled_substances.csv")
    lenient = _rows(_export(db, tmp_path, folder="lenient", tolerance_mg=2.0) / "controlled_substances.csv")
    assert [r["mismatch"] for r in strict] == ["true", "true"]  # the dose and its lot's day total
    assert [r["mismatch"] for r in lenient] == ["false", "false"]


@pytest.mark.slow
@pytest.mark.parametrize("payload", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://x","y")'])
def test_every_injection_payload_is_neutralised(
    db: Database, staff: dict[str, Actor], tmp_path: Path, payload: str
) -> None:
    nurse = staff["nina"]
    patients.create_patient(db, nurse, patient_data(mrn="MRN-2002", family_name=payload.strip() or "x"))
    row = discharged_session(db, nurse, mrn="MRN-2002")
    charting.record_side_effect(
        db,
        nurse,
        row.id,
        {
            "effect": "other",
            "other_text": payload.replace("\r", "") or "x",
            "grade": 1,
            "onset_at": db.clock.now(),
            "action_taken": payload.replace("\r", ""),
        },
    )
    out = _export(db, tmp_path)
    for name in file_names():
        for record in _rows(out / name):
            for value in record.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r", "\n")), (name, value)
                assert not value.startswith("-") or value.lstrip("-").replace(".", "").isdigit(), (
                    name,
                    value,
                )
    (effect,) = _rows(out / "side_effects.csv")
    assert effect["action_taken"] == "'" + payload.replace("\r", "")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n", "\0"])
def test_a_text_cell_is_neutralised_on_every_dangerous_start(start: str) -> None:
    from console.export.csv_safe import safe_text

    assert safe_text(f"{start}cmd") == f"'{start}cmd"
    assert safe_text(f"a{start}cmd") == f"a{start}cmd"  # only the first character matters


@given(st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=20))
def test_a_column_of_text_is_neutralised_cell_by_cell(texts: list[str | None]) -> None:
    from console.export.csv_safe import safe_text, safe_texts

    assert safe_texts(texts) == [None if text is None else safe_text(text) for text in texts]


def test_numbers_stay_numbers(db: Database, staff: dict[str, Actor], tmp_path: Path) -> None:
    discharged_session(db, staff["nina"])
    (session,) = _rows(_export(db, tmp_path) / "sessions.csv")
    assert session["pain_change"] == "-4" and float(session["percent_change"]) == 57.1


@pytest.mark.slow
def test_a_safe_harbor_export_keeps_no_date_but_the_year_no_record_key_and_no_age_over_89(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    discharged_session(db, staff["nina"])
    old = discharged_session(db, staff["nina"], mrn="MRN-2002")
    with db.write() as session:  # a patient born 95 years ago
        session.execute(text("UPDATE patient SET date_of_birth = '1931-01-02' WHERE mrn = 'MRN-2002'"))
    first = _export(db, tmp_path, mode=Mode.SAFE_HARBOR, folder="a")
    second = _export(db, tmp_path, mode=Mode.SAFE_HARBOR, folder="b")
    today = db.clock.now().astimezone(ZONE).date()
    for name in file_names():
        text_of_file = (first / name).read_text(encoding="utf-8")
        for secret in ("Doe", "Jane", "MRN-1001", "1970", "1931", today.isoformat(), f"{today:%m-%d}"):
            assert secret not in text_of_file, (name, secret)
    one, two = _rows(first / "sessions.csv"), _rows(second / "sessions.csv")
    by_age = {row["age"]: row for row in one}
    assert set(by_age) == {"56", "90"}  # 1970-05-17 → 56 on the day; 95 → the group of 90 and over
    assert {row["pseudonym"] for row in one} == {row["pseudonym"] for row in two}  # stored: the same codes
    assert all(len(row["pseudonym"]) == 12 for row in one)
    assert {row["session_key"] for row in one}.isdisjoint({row["session_key"] for row in two})  # per export
    assert str(old.id) not in {row["session_key"] for row in one}
    young = by_age["56"]
    assert (young["year"], young["start_min"], young["end_min"], young["day_of_series"]) == (
        str(today.year),
        "0",
        "100",
        "0",
    )
    assert not {"mrn", "patient", "birth_year", "date", "session_id", "start", "end"} & set(young)
    vitals = _rows(first / "vitals.csv")
    assert {row["session_key"] for row in vitals} <= {row["session_key"] for row in one}  # files still link
    assert all(int(row["measured_at_min"]) >= 0 for row in vitals)
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["deidentified"] == "safe_harbor" and "164.514(b)(2)" in manifest["standard"]


def test_a_pseudonym_is_a_random_code_kept_in_the_clinic_database(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    row = discharged_session(db, staff["nina"])
    (limited,) = _rows(_export(db, tmp_path, mode=Mode.LIMITED) / "sessions.csv")
    with db.read() as session:
        stored = session.execute(
            text("SELECT code FROM patient_pseudonym WHERE patient_id = :p"), {"p": row.patient_id}
        )
        assert limited["pseudonym"] == stored.scalar_one()
        assert verify_rows(session).intact  # each code written with its audit event
    assert (
        limited["date"] == db.clock.now().astimezone(ZONE).date().isoformat()
    )  # a limited data set keeps dates
    assert limited["birth_year"] == "1970" and "mrn" not in limited


@pytest.mark.slow
def test_an_existing_export_is_kept_unless_forced_and_the_bom_is_optional(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    discharged_session(db, staff["nina"])
    out = _export(db, tmp_path)
    assert not (out / "sessions.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(InvalidInput, match="already holds an export"):
        _export(db, tmp_path)
    _export(db, tmp_path, force=True, bom=True)
    assert (out / "sessions.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(InvalidInput, match="already holds an export"):
        _export(db, tmp_path, format="fhir")  # another format is refused the same way
    _export(db, tmp_path, format="fhir", force=True)
    assert sorted(p.name for p in out.iterdir()) == ["bundle.json", "manifest.json"]  # no stale CSV


@pytest.mark.slow
def test_a_failure_part_way_leaves_no_file_behind(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    import console.export.rows

    discharged_session(db, staff["nina"])

    from console.export.records import SideEffectRow

    def disk_full(*_args: object) -> Iterator[SideEffectRow]:
        yield SideEffectRow(1, "nausea", "", 1, datetime(2026, 11, 26, 15, 0, tzinfo=UTC), None, "", "Nina")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(console.export.rows, "side_effects", disk_full)
    with pytest.raises(StorageError, match="No space left on device"):
        _export(db, tmp_path, jobs)
    assert list((tmp_path / "export").iterdir()) == []


def test_the_database_failing_part_way_leaves_no_file_and_says_so(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    from sqlalchemy.exc import OperationalError

    import console.export.rows

    discharged_session(db, staff["nina"])

    def server_gone(*_args: object) -> NoReturn:
        raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(console.export.rows, "vitals", server_gone)
    with pytest.raises(StorageError, match="database is unavailable: server closed the connection"):
        _export(db, tmp_path, jobs)
    assert list((tmp_path / "export").iterdir()) == []


def test_the_data_dictionary_lists_every_column_of_every_file() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "export.md").read_text(encoding="utf-8")
    for name, described, *_ in FILES:
        section = text.split(f"## {name}")[1].split("\n## ")[0]
        listed = [
            tuple(part.strip().strip("`") for part in line.split("|")[1:-1])
            for line in section.splitlines()
            if line.startswith("| `")
        ]
        assert listed == [tuple(column)[:5] for column in described], name


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=st.text(max_size=60), action=st.text(max_size=60))
def test_any_accepted_text_comes_back_from_both_formats_exactly_as_stored(
    db: Database, staff: dict[str, Actor], tmp_path: Path, typed: str, action: str
) -> None:
    """Whatever a nurse can type and the record accepts is exported unaltered (bar the apostrophe)."""
    from console.domain.errors import ChairsideError
    from console.export.csv_safe import safe_text

    day = db.clock.now().astimezone(ZONE).date()
    booked = day_sessions(db, day)  # the examples share the database: one session for all of them
    session_id = booked[0].session_id if booked else checked_in_session(db, staff["nina"]).id
    data = {
        "effect": "other",
        "other_text": typed,
        "grade": 1,
        "onset_at": db.clock.now(),
        "action_taken": action,
    }
    try:
        stored = charting.record_side_effect(db, staff["nina"], session_id, data)
    except ChairsideError:
        event("refused")
        return  # refused where it was typed, with the field named: nothing to export
    folder = tmp_path / uuid4().hex
    export(db, "office", ExportRequest(day, day, folder / "csv"), ZONE)
    export(db, "office", ExportRequest(day, day, folder / "fhir", format="fhir"), ZONE)
    exported = _rows(folder / "csv" / "side_effects.csv")[-1]  # the newest: same onset, highest id
    assert exported["other_text"] == safe_text(stored.other_text)
    assert exported["action_taken"] == safe_text(stored.action_taken)
    bundle = json.loads((folder / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    events = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    assert events[-1]["event"]["text"] == stored.other_text


@pytest.mark.parametrize("name", file_names())
def test_each_row_type_is_named_exactly_by_its_files_dictionary_columns(name: str) -> None:
    file = export_file(name)
    assert hasattr(file.record, "_fields")  # a NamedTuple
    assert file.record._fields == tuple(column.name for column in file.columns)


def test_a_file_the_export_does_not_have_is_an_error_never_another_files_rows(tmp_path: Path) -> None:
    from datetime import date

    from console.export.csv_files import write_csv
    from console.export.local_time import LocalTimes

    with pytest.raises(ValueError, match="no file named 'patients"):
        export_file("patients.csv")
    with pytest.raises(ValueError, match="no file named 'patients"):
        columns("patients.csv", Mode.IDENTIFIED)
    request = ExportRequest(date(2026, 1, 1), date(2026, 1, 1), tmp_path)
    with pytest.raises(ValueError, match="no file named 'patients"):
        write_csv(tmp_path / "x.csv", "patients.csv", iter([]), request, LocalTimes(ZONE), None, {})


def test_every_file_is_named_once_and_workers_take_each_once_the_longest_first() -> None:
    from console.export.catalogue import in_work_order

    names = file_names()
    assert len(set(names)) == len(names)
    assert sorted(file.name for file in in_work_order()) == sorted(names)
    assert [file.name for file in in_work_order()][:2] == ["vitals.csv", "rems_monitoring.csv"]


def test_a_query_is_labelled_by_the_dictionary_and_refuses_a_missing_or_extra_column() -> None:
    from sqlalchemy import literal

    from console.export.dictionary import SIDE_EFFECTS
    from console.export.rows import labelled

    names = [column.name for column in SIDE_EFFECTS]
    given = {name: literal(n) for n, name in enumerate(reversed(names))}  # any order in, file order out
    assert [column.name for column in labelled(SIDE_EFFECTS, given)] == names
    with pytest.raises(ValueError, match="not the dictionary"):
        labelled(SIDE_EFFECTS, {name: literal(1) for name in names[:-1]})
    with pytest.raises(ValueError, match="not the dictionary"):
        labelled(SIDE_EFFECTS, {**given, "surplus": literal(1)})


def test_a_corrected_or_late_reading_says_so_in_the_export_with_both_times(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    """Late entries were labelled nowhere in the export; corrected readings looked like any other."""
    nurse = staff["nina"]
    discharged_session(db, nurse)
    with db.read() as session:
        first = session.exec(
            select(VitalSigns).order_by(col(VitalSigns.measured_at), col(VitalSigns.id))
        ).first()
    assert first is not None
    data = {
        "measured_at": first.measured_at,
        "systolic": first.systolic,
        "diastolic": first.diastolic,
        "heart_rate": first.heart_rate + 4,
        "spo2": first.spo2,
        "resp_rate": first.resp_rate,
        "moaas": first.moaas,
    }
    charting.correct_vitals(db, nurse, first.id, first.version, data)
    exported = _rows(_export(db, tmp_path) / "vitals.csv")
    assert exported[0]["corrected"] == "true" and {r["corrected"] for r in exported[1:]} == {"false"}
    assert exported[0]["measured_at"] != exported[0]["recorded_at"]  # entered after it was taken: both told


def test_signed_by_is_the_name_stored_with_the_signature_not_the_signers_current_name(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.clinic import users
    from tests.factories import approved_by

    row = discharged_session(db, staff["nina"])
    doctor = staff["priya"]
    approved_by(db, doctor, row.id)
    with db.write() as session:  # renamed later (behind the services: no screen renames a user)
        session.execute(
            text("UPDATE user_account SET display_name = 'Dr. Priya Raman-Okafor' WHERE id = :id"),
            {"id": doctor.user_id},
        )
    renamed = users.find_user(db, "priya")
    assert renamed is not None
    assert renamed.display_name == "Dr. Priya Raman-Okafor"
    (exported,) = _rows(_export(db, tmp_path) / "sessions.csv")
    assert exported["signed_by"] == "Priya"


def test_each_stopped_infusion_exports_its_own_events_among_doses_that_ran_to_the_end(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    """The events of stopped infusions are read in one query beside the doses' and matched by dose."""
    from console.chair.infusion import record_infusion_event

    stopped_after = {"KET-A": 4, "KET-C": 10}  # minutes; KET-B runs to its end
    for number, lot in enumerate(("KET-C", "KET-B", "KET-A")):
        row = checked_in_session(db, staff["nina"], mrn=f"MRN-300{number}")
        record_baseline(db, staff["nina"], row.id)
        dose = charting.record_dose(db, staff["nina"], row.id, iv_dose_data(db, lot_number=lot))
        if lot in stopped_after:
            assert isinstance(db.clock, FixedClock)
            db.clock.advance(minutes=stopped_after[lot])
            stop = {
                "kind": "stop",
                "at": db.clock.now(),
                "stop_reason": f"Stopped {lot}",
                "witness": "marcus",
            }
            record_infusion_event(db, staff["nina"], dose.id, stop | {"witness_secret": "long enough pw"})
    rows = _rows(_export(db, tmp_path) / "controlled_substances.csv")
    given = {
        (r["lot_number"], r["row_type"]): (r["given_mg"], r["wasted_mg"], r["stop_reason"]) for r in rows
    }
    assert given[("KET-A", "administration")] == ("2.3", "15.0", "Stopped KET-A")
    assert given[("KET-A", "waste_at_stop")] == ("", "32.7", "")
    assert given[("KET-B", "administration")] == ("35.0", "15.0", "")
    assert ("KET-B", "waste_at_stop") not in given
    assert given[("KET-C", "administration")] == ("5.8", "15.0", "Stopped KET-C")
    assert given[("KET-C", "waste_at_stop")] == ("", "29.2", "")


@pytest.mark.slow
def test_the_whole_record_is_exported_notes_alerts_returns_addenda_and_the_weight(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from tests.factories import a_whole_record

    row = a_whole_record(db, staff, "all well")
    out = _export(db, tmp_path)
    (session,) = _rows(out / "sessions.csv")
    assert (session["weight_kg"], session["mg_per_kg"], session["addenda"]) == ("70.0", "0.5", "1")
    (note,) = _rows(out / "notes.csv")
    assert (note["session_id"], note["author"], note["text"]) == (str(row.id), "Nina", "Note: all well")
    assert note["written_at"] == db.clock.now().astimezone(ZONE).replace(second=0).isoformat(
        timespec="seconds"
    )
    (alert,) = _rows(out / "alerts.csv")
    assert (alert["rule"], alert["acknowledged_by"], alert["acknowledgement"]) == (
        "spo2_low",
        "Nina",
        "Acknowledged: all well",
    )
    (returned,) = _rows(out / "returns.csv")
    assert (
        returned["returned_by"],
        returned["comment"],
        returned["resubmitted_by"],
        returned["response"],
    ) == (
        "Priya",
        "Comment: all well",
        "Nina",
        "Response: all well",
    )
    (addendum,) = _rows(out / "addenda.csv")
    assert (addendum["author"], addendum["author_role"], addendum["reason"], addendum["text"]) == (
        "Nina",
        "nurse",
        "Reason: all well",
        "Addendum: all well",
    )
    assert json.loads((out / "manifest.json").read_text())["files"]["notes.csv"]["rows"] == 1


@pytest.mark.slow
def test_a_deidentified_export_holds_no_free_text_so_nothing_typed_into_one_leaks(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    """A name, an MRN and a telephone number typed into every free-text field of the record."""
    from tests.factories import a_whole_record

    a_whole_record(db, staff, "Jane Doe MRN-1001 phoned from 555-0142")
    identified = _export(db, tmp_path, folder="identified")
    assert "555-0142" in (identified / "notes.csv").read_text()  # planted where the test looks
    for mode in (Mode.SAFE_HARBOR, Mode.LIMITED):
        out = _export(db, tmp_path, mode=mode, folder=mode.value)
        for name in file_names():
            written = (out / name).read_text(encoding="utf-8")
            for planted in ("Jane", "Doe", "MRN-1001", "555-0142", "phoned"):
                assert planted not in written, (mode, name, planted)
    out = _export(db, tmp_path, mode=Mode.SAFE_HARBOR, folder="safe")
    for name in file_names():
        text = (out / name).read_text(encoding="utf-8")
        for planted in ("Jane", "Doe", "MRN-1001", "555-0142", "phoned"):
            assert planted not in text, (name, planted)
    assert [column for column in _rows(out / "notes.csv")[0]] == ["session_key", "written_at_min", "author"]
    bundle = _export(db, tmp_path, mode=Mode.LIMITED, format="fhir", folder="fhir") / "bundle.json"
    for planted in ("Jane", "Doe", "MRN-1001", "555-0142", "phoned"):
        assert planted not in bundle.read_text(encoding="utf-8"), planted


def test_billing_has_each_sessions_codes_units_drug_and_people_from_the_protocols_table(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.domain.protocol import BillingCodes
    from tests.factories import nasal_dose_data

    iv = discharged_session(db, staff["nina"])  # 60 minutes of infusion
    nasal = checked_in_session(db, staff["nina"], method="nasal_spray", mrn="MRN-2002")
    record_baseline(db, staff["nina"], nasal.id)
    rems_enrolled(db, staff["nina"], nasal.id)
    charting.record_dose(db, staff["nina"], nasal.id, nasal_dose_data(db))
    codes = BillingCodes(ketamine_ndc="0409-2051-05")  # the clinic's own vials
    rows = {row["session_id"]: row for row in _rows(_export(db, tmp_path, billing=codes) / "billing.csv")}
    infusion, spray = rows[str(iv.id)], rows[str(nasal.id)]
    assert (infusion["service_code"], infusion["service_units"], infusion["additional_units"]) == (
        "96365",
        "1",
        "0",
    )
    assert (infusion["drug_code"], infusion["ndc"], infusion["given_mg"], infusion["minutes"]) == (
        "J3490",
        "0409-2051-05",
        "35.0",
        "60",
    )
    assert (infusion["rendering_nurse"], infusion["supervising_physician"], infusion["diagnosis"]) == (
        "Nina",
        "",
        iv_diagnosis(db, iv.patient_id),
    )
    assert (spray["service_code"], spray["service_units"], spray["ndc"], spray["drug_code"]) == (
        "G2082",
        "1",
        "50458-028-02",
        "",
    )
    assert spray["minutes"] == "" and spray["stop"] == ""  # not discharged yet


def iv_diagnosis(db: Database, patient_id: int) -> str:
    with db.read() as session:
        return session.execute(
            text("SELECT diagnosis_code FROM patient WHERE id = :p"), {"p": patient_id}
        ).scalar_one()


def test_an_export_is_one_moment_of_the_record_whatever_is_written_while_it_runs(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reading confirmed while sessions.csv is being written is in no file, and the manifest's
    chain head is the one before it: the files agree with each other and with the trail."""
    import console.export.rows

    row = discharged_session(db, staff["nina"])
    with db.read() as session:
        head_before = audit.head(session)
    sessions = console.export.rows.sessions

    def sessions_while_a_nurse_charts(*args: Any) -> Iterator[SessionRow]:
        charting.record_vitals(
            db,
            staff["nina"],
            row.id,
            {
                "measured_at": db.clock.now(),
                **{
                    "systolic": 121,
                    "diastolic": 71,
                    "heart_rate": 71,
                    "spo2": 97,
                    "resp_rate": 14,
                    "moaas": 5,
                },
            },
        )
        yield from sessions(*args)

    monkeypatch.setattr(console.export.rows, "sessions", sessions_while_a_nurse_charts)
    out = _export(db, tmp_path)
    assert [r["systolic"] for r in _rows(out / "vitals.csv")] == [
        "128",
        "128",
    ]  # not the 121 charted meanwhile
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["audit_chain_head"] == head_before
    with db.read() as session:
        assert session.exec(select(VitalSigns).where(VitalSigns.systolic == 121)).one()  # it was confirmed

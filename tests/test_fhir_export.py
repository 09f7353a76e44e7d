"""The FHIR R4B bundle: every resource valid (fhir.resources), the reporting codes, references resolved."""

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from console.chair import charting
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import StorageError
from console.export.files import export
from console.export.modes import Mode
from console.export.request import ExportRequest
from console.store.database import Database
from tests.conftest import DEMO_DAY, demo_clinic_url
from tests.factories import (
    checked_in_session,
    discharged_session,
    iv_dose_data,
    nasal_dose_data,
    record_baseline,
    rems_enrolled,
)

ZONE = ZoneInfo("America/Chicago")
# R4B required value sets that fhir.resources does not check (it checks the code's form only).
STATUSES = {
    "Encounter": {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled"},
    "MedicationAdministration": {"in-progress", "not-done", "on-hold", "completed", "stopped", "unknown"},
    "Observation": {"registered", "preliminary", "final", "amended", "corrected", "cancelled"},
}
GENDERS = {"male", "female", "other", "unknown"}


def _bundle(
    db: Database,
    tmp_path: Path,
    folder: str = "fhir",
    first: date | None = None,
    last: date | None = None,
    **options: Any,
) -> dict:
    day = db.clock.now().astimezone(ZONE).date()
    out = tmp_path / folder
    request = ExportRequest(first or day, last or day, out, format="fhir", **options)
    export(db, "office", request, ZONE)
    return json.loads((out / "bundle.json").read_text(encoding="utf-8"))


def _references(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference":
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _valid(bundle: dict) -> dict[str, list[dict]]:
    """Validate the bundle and each resource (R4B); every reference resolves; resources by type."""
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])  # no resource twice
    by_type: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        contained = {f"#{inner['id']}" for inner in resource.get("contained", [])}
        for reference in _references(resource):
            assert reference in urls or reference in contained, reference
        kind = resource["resourceType"]
        if kind in STATUSES:
            assert resource["status"] in STATUSES[kind], resource
        assert kind != "Patient" or resource["gender"] in GENDERS
        assert kind != "AdverseEvent" or resource["actuality"] == "actual"
        by_type.setdefault(kind, []).append(resource)
    return by_type


def _codes(resource: dict) -> set[str]:
    return {coding["code"] for coding in resource["code"].get("coding", [])}


@pytest.mark.slow
def test_an_iv_session_becomes_valid_resources_with_the_reporting_codes(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    row = discharged_session(db, staff["nina"])
    charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 2, "onset_at": db.clock.now()}
    )
    found = _valid(_bundle(db, tmp_path))
    assert {kind: len(items) for kind, items in found.items()} == {
        "Patient": 1,
        "Encounter": 1,
        "MedicationAdministration": 1,
        "Observation": 13,  # the weight, 2 pain scores, 2 readings x (BP panel, HR, SpO2, RR, MOAA/S)
        "AdverseEvent": 1,
        "Practitioner": 1,  # Nina gave, took and recorded everything
    }
    (patient,), (encounter,) = found["Patient"], found["Encounter"]
    assert patient["name"] == [{"family": "Doe", "given": ["Jane"]}] and patient["birthDate"] == "1970-05-17"
    assert patient["identifier"][0]["value"] == "MRN-1001" and patient["gender"] == "female"
    assert encounter["class"]["code"] == "AMB" and encounter["status"] == "finished"
    start = (db.clock.now() - timedelta(minutes=100)).astimezone(ZONE).isoformat(timespec="seconds")
    assert encounter["period"]["start"] == start and start.endswith("-06:00")
    (given,) = found["MedicationAdministration"]
    assert given["status"] == "completed"
    assert given["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert given["dosage"]["dose"] == {
        "value": 35.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert (
        given["dosage"]["rateQuantity"]["value"] == 0.5
        and given["dosage"]["rateQuantity"]["code"] == "mg/kg/h"
    )
    assert set(given["effectivePeriod"]) == {"start", "end"}
    assert given["contained"][0]["batch"]["lotNumber"] == "KET-2026-41"
    assert given["context"]["reference"] == f"urn:uuid:{encounter['id']}"
    observations = found["Observation"]
    pain = [o["valueQuantity"]["value"] for o in observations if _codes(o) == {"72514-3"}]
    assert pain == [7, 3]
    codes = Counter(code for o in observations for code in _codes(o))
    assert codes == {
        "29463-7": 1,
        "72514-3": 2,
        "85354-9": 2,
        "8867-4": 2,
        "59408-5": 2,
        "2708-6": 2,
        "9279-1": 2,
    }
    weight = next(o for o in observations if _codes(o) == {"29463-7"})
    assert weight["valueQuantity"]["value"] == 70.0 and weight["valueQuantity"]["code"] == "kg"
    spo2 = next(o for o in observations if "59408-5" in _codes(o))
    assert spo2["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-pulse-oximetry"
    ]
    medication = given["contained"][0]["code"]["coding"][0]
    assert (medication["system"], medication["code"]) == (
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "6130",
    )
    (nina,) = found["Practitioner"]
    assert nina["name"] == [{"text": "Nina"}]
    assert given["performer"][0]["actor"] == {"reference": f"urn:uuid:{nina['id']}", "display": "Nina"}
    assert encounter["type"] == [{"text": "IV ketamine infusion"}]
    for resources in found.values():
        for resource in resources:
            assert resource["text"]["status"] == "generated" and resource["text"]["div"].startswith(
                "<div xmlns="
            )
    assert "Heart rate: 76 /min" in next(o for o in observations if _codes(o) == {"8867-4"})["text"]["div"]
    panel = next(o for o in observations if _codes(o) == {"85354-9"})
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in panel["component"]] == [
        ("8480-6", 128),
        ("8462-4", 82),
    ]
    assert {o["category"][0]["coding"][0]["code"] for o in observations} == {"survey", "vital-signs", "exam"}
    (event,) = found["AdverseEvent"]
    assert (
        event["severity"]["coding"][0]["code"] == "moderate" and event["severity"]["text"] == "CTCAE grade 2"
    )
    assert event["suspectEntity"][0]["instance"]["reference"] == f"urn:uuid:{given['id']}"
    assert event["outcome"]["coding"][0]["code"] == "ongoing"


@pytest.mark.slow
def test_the_whole_record_is_in_the_bundle_notes_alerts_returns_addenda_and_the_signature(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    import base64

    from tests.factories import a_whole_record

    a_whole_record(db, staff, "all well")
    found = _valid(_bundle(db, tmp_path))
    (issue,) = found["DetectedIssue"]
    assert issue["detail"].startswith("SpO2") and issue["severity"] == "high"
    assert issue["mitigation"][0]["action"]["text"] == "Acknowledged: Acknowledged: all well"
    assert issue["mitigation"][0]["author"]["display"] == "Nina"
    panels = {o["id"] for o in found["Observation"] if _codes(o) == {"85354-9"}}
    assert (
        issue["implicated"][0]["reference"].removeprefix("urn:uuid:") in panels
    )  # the reading that raised it
    (task,) = found["Task"]
    assert task["status"] == "completed" and task["requester"]["display"] == "Priya"
    assert [(n["authorReference"]["display"], n["text"]) for n in task["note"]] == [
        ("Priya", "Comment: all well"),
        ("Nina", "Response: all well"),
    ]
    documents = {d["type"]["text"]: d for d in found["DocumentReference"]}
    note, addendum = documents["Session note"], documents["Addendum"]

    def text(document: dict) -> str:
        return base64.b64decode(document["content"][0]["attachment"]["data"]).decode("utf-8")

    assert text(note) == "Note: all well" and note["author"][0]["display"] == "Nina"
    assert note["author"][0]["reference"] in {f"urn:uuid:{p['id']}" for p in found["Practitioner"]}
    assert (text(addendum), addendum["description"]) == ("Addendum: all well", "Reason: all well")
    assert addendum["authenticator"] == addendum["author"][0]
    (signed,) = found["Provenance"]
    assert signed["agent"][0]["who"]["display"] == "Priya" and signed["reason"] == [
        {"text": "Signed: approved"}
    ]
    assert signed["target"][0]["reference"] == f"urn:uuid:{found['Encounter'][0]['id']}"
    assert signed["signature"][0]["type"][0]["code"] == "1.2.840.10065.1.12.1.5"
    limited = json.dumps(_valid(_bundle(db, tmp_path, folder="lds", mode=Mode.LIMITED)))
    assert "all well" not in limited and base64.b64encode(b"Note: all well").decode() not in limited


def test_a_nasal_dose_has_the_nasal_route_and_no_rate(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method="nasal_spray")
    record_baseline(db, nurse, row.id)
    rems_enrolled(db, nurse, row.id)
    charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
    found = _valid(_bundle(db, tmp_path))
    (given,) = found["MedicationAdministration"]
    assert given["dosage"]["route"]["coding"][0]["code"] == "46713006"
    assert "rateQuantity" not in given["dosage"] and "effectiveDateTime" in given
    assert given["dosage"]["dose"]["value"] == 56.0 and given["status"] == "completed"
    assert (
        found["Encounter"][0]["status"] in {"arrived", "in-progress"}
        and "end" not in found["Encounter"][0]["period"]
    )


def test_an_infusion_stopped_short_is_stopped_with_what_it_gave(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.chair.infusion import record_infusion_event

    nurse = staff["nina"]
    row = checked_in_session(db, nurse, minutes_ago=60)
    record_baseline(db, nurse, row.id)
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=-45)
    try:
        dose = charting.record_dose(db, nurse, row.id, iv_dose_data(db))  # 35 mg over 60 min
    finally:
        db.clock.advance(minutes=45)
    stop = db.clock.now() - timedelta(minutes=15)  # after 30 min: half of it
    record_infusion_event(
        db,
        nurse,
        dose.id,
        {"kind": "stop", "at": stop, "stop_reason": "Dysphoria", "witness": "marcus"}
        | {"witness_secret": "long enough pw"},
    )
    (given,) = _valid(_bundle(db, tmp_path))["MedicationAdministration"]
    assert given["status"] == "stopped" and given["dosage"]["dose"]["value"] == 17.5
    assert given["effectivePeriod"]["end"] == stop.astimezone(ZONE).isoformat(timespec="seconds")


def test_a_limited_data_set_bundle_names_nobody_and_keeps_its_ids(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    discharged_session(db, staff["nina"])
    first = _bundle(db, tmp_path, folder="a", mode=Mode.LIMITED)
    second = _bundle(db, tmp_path, folder="b", mode=Mode.LIMITED)
    identified = _bundle(db, tmp_path, folder="c")
    text = json.dumps(first)
    for secret in ("Doe", "Jane", "MRN-1001", "1970-05-17"):
        assert secret not in text, secret
    (patient,) = _valid(first)["Patient"]
    assert patient["birthDate"] == "1970" and "name" not in patient
    assert first == second  # the same records, the same resources and ids
    assert patient["id"] != _valid(identified)["Patient"][0]["id"]  # the id does not lead back


@pytest.mark.slow
def test_every_resource_of_the_demo_clinic_is_valid(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A week of the demo clinic: finished, running and planned sessions, side effects, many patients."""
    db = Database(demo_clinic_url("sqlite", tmp_path, request))
    try:
        found = _valid(_bundle(db, tmp_path, first=DEMO_DAY - timedelta(days=7), last=DEMO_DAY))
    finally:
        db.dispose()
    statuses = {encounter["status"] for encounter in found["Encounter"]}
    assert {"finished", "planned"} <= statuses
    assert len(found["Patient"]) < len(found["Encounter"])  # a patient once, however many sessions
    assert found["AdverseEvent"] and found["MedicationAdministration"]


def test_a_failure_part_way_through_the_bundle_leaves_no_file(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import console.export.fhir

    discharged_session(db, staff["nina"])

    def disk_full(*_args: object) -> NoReturn:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(console.export.fhir, "_pain", disk_full)
    with pytest.raises(StorageError, match="No space left on device"):
        _bundle(db, tmp_path)
    assert list((tmp_path / "fhir").iterdir()) == []


def test_the_manifest_holds_the_bundle_digest(db: Database, staff: dict[str, Actor], tmp_path: Path) -> None:
    import hashlib

    discharged_session(db, staff["nina"])
    bundle = _bundle(db, tmp_path)
    manifest = json.loads((tmp_path / "fhir" / "manifest.json").read_text())
    digest = hashlib.sha256(Path(tmp_path / "fhir" / "bundle.json").read_bytes()).hexdigest()
    assert manifest["files"] == {"bundle.json": {"rows": len(bundle["entry"]), "sha256": digest}}
    assert manifest["format"] == "fhir"


def test_a_bundle_is_never_called_safe_harbor(db: Database, staff: dict[str, Actor], tmp_path: Path) -> None:
    from console.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="cannot meet Safe Harbor"):
        _bundle(db, tmp_path, mode=Mode.SAFE_HARBOR)


def test_each_questionnaire_is_an_observation_with_its_code_score_and_answers(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.chair import questionnaires

    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    questionnaires.record(db, nurse, row.id, "peg", (6, 7, 5))
    questionnaires.record(db, nurse, row.id, "phq9", (2, 1, 2, 1, 0, 1, 1, 0, 1))
    questionnaires.record(db, nurse, row.id, "gad7", (1, 1, 2, 1, 0, 1, 0))
    found = _valid(_bundle(db, tmp_path))
    surveys = {
        next(iter(_codes(o))): o
        for o in found["Observation"]
        if o["category"][0]["coding"][0]["code"] == "survey" and "72514-3" not in _codes(o)
    }
    assert set(surveys) == {"44261-6", "70274-6", "peg"}
    phq9, gad7, peg = surveys["44261-6"], surveys["70274-6"], surveys["peg"]
    assert phq9["valueQuantity"]["value"] == 9 and phq9["interpretation"] == [{"text": "mild"}]
    assert [c["valueInteger"] for c in phq9["component"]] == [2, 1, 2, 1, 0, 1, 1, 0, 1]
    assert gad7["valueQuantity"]["value"] == 6 and len(gad7["component"]) == 7
    assert peg["valueQuantity"]["value"] == 6.0 and "interpretation" not in peg
    assert peg["code"]["coding"][0]["system"] == "urn:chairside:questionnaire"
    assert all(o["performer"] and o["encounter"] for o in surveys.values())

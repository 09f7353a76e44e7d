"""The export as a FHIR R4B collection Bundle (JSON), streamed one entry at a time.

Per session: the Patient (once), an Encounter (class AMB, its type), a MedicationAdministration
per dose (RxNorm drug, route SNOMED, dose, rate, period, the lot in a contained Medication), the
body weight the dose was computed from (LOINC 29463-7), an Observation per pain score (LOINC
72514-3), per questionnaire (PHQ-9 44261-6, GAD-7 70274-6, PEG a local code; each answer a
component) and per vital sign (BP panel 85354-9 with 8480-6/8462-4, 8867-4, SpO2 59408-5 with
2708-6, 9279-1, 8310-5), an AdverseEvent per side effect, a DetectedIssue per safety alert (its
acknowledgement as the mitigation), a Task per return for correction (the comment and the answer
as its notes), a DocumentReference per line of the notes and per addendum (US Core clinical
notes), a Provenance for the physician's signature, and a Practitioner for each person who gave,
took, recorded or signed any of them. Vital signs name the US Core profile they meet; every resource
carries a generated narrative. Every reference is a `urn:uuid:` derived from the record (stable
from one export to the next). A limited data set's bundle derives the patient's from their random
code, names no patient and holds no free text; a bundle cannot meet Safe Harbor (its resources
need dates), so a Safe Harbor export is CSV or xlsx.
"""

import base64
import json
import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlmodel import Session, col

from console.chair.discharge_gate import given_mg
from console.chair.session_guide import note_lines
from console.domain import questionnaires
from console.domain.vitals_fields import VITALS_FIELDS, vitals_field
from console.domain.vocab import Instrument, Route, SessionStatus, SideEffectType
from console.export.request import BUNDLE, ExportRequest
from console.export.rows import PROGRESS_EVERY, Progress, in_range
from console.store.models import (
    Addendum,
    Alert,
    DoseAdministration,
    InfusionEvent,
    PainScore,
    Patient,
    PatientPseudonym,
    Questionnaire,
    ReviewReturn,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    UserAccount,
    VitalSigns,
)

NAMESPACE = uuid.UUID("6f1d8a52-3c0e-4b8e-9a57-2f6a8f0c9e31")  # Chairside's: ids stay stable
SESSIONS_PER_BATCH = 500
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ROUTES = {Route.INTRAVENOUS: ("47625008", "Intravenous route"), Route.NASAL: ("46713006", "Nasal route")}
ENCOUNTER_STATUS = {
    SessionStatus.SCHEDULED: "planned",
    SessionStatus.CHECKED_IN: "arrived",
    SessionStatus.IN_TREATMENT: "in-progress",
    SessionStatus.OBSERVATION: "in-progress",
    SessionStatus.DISCHARGED: "finished",
    SessionStatus.NO_SHOW: "cancelled",
    SessionStatus.CANCELLED: "cancelled",
}
SERVICE = {"iv_infusion": "IV ketamine infusion", "nasal_spray": "nasal esketamine"}
PAIN_NOTE = {"before": "before the session", "after": "after the session", "extra": "during the session"}
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
# CTCAE grade → FHIR severity; grades 3-5 are all "severe" (the grade itself is in the text).
SEVERITY = {1: "mild", 2: "moderate"}
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
XHTML = "http://www.w3.org/1999/xhtml"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINICAL_NOTE = {
    "coding": [
        {
            "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
            "code": "clinical-note",
            "display": "Clinical Note",
        }
    ]
}
VERIFIER = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "verifier",
            "display": "Verifier",
        }
    ]
}
VERIFICATION_SIGNATURE = {
    "system": "urn:iso-astm:E1762-95:2013",
    "code": "1.2.840.10065.1.12.1.5",
    "display": "Verification Signature",
}
# RxNorm (clinical reference): ketamine the ingredient; esketamine nasal spray the dose form group.
DRUGS = {"ketamine": ("6130", "ketamine"), "esketamine": ("2201623", "esketamine Nasal Spray")}
# The vital signs that are the blood pressure panel's components; every other one with a LOINC code
# is an observation of its own (codes, units, profiles: console.domain.vitals_fields).
BLOOD_PRESSURE = ("systolic", "diastolic")


def write(
    path: Path,
    session: Session,
    request: ExportRequest,
    zone: ZoneInfo,
    at: datetime,
    progress: Progress | None = None,
) -> int:
    """Write the bundle; returns the number of entries."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        opening = {"resourceType": "Bundle", "type": "collection", "timestamp": _time(at, zone)}
        out.write(json.dumps(opening)[:-1] + ', "entry": [\n')  # the entries follow one by one
        for resource in resources(session, request, zone):
            resource["text"] = _narrative(resource)
            entry = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            out.write((",\n" if count else "") + json.dumps(entry, ensure_ascii=False))
            count += 1
            if progress and count % PROGRESS_EVERY == 0:
                progress(BUNDLE, count)
        out.write("\n]}\n")
        out.flush()
        os.fsync(out.fileno())
    return count


def resources(session: Session, request: ExportRequest, zone: ZoneInfo) -> Iterator[dict]:
    """Every resource of the range, session by session, children loaded a batch of sessions at a time."""
    query: Select[TreatmentSession, Patient, str | None] = (
        select(TreatmentSession, Patient, col(PatientPseudonym.code))
        .join(Patient, col(Patient.id) == TreatmentSession.patient_id)
        .outerjoin(PatientPseudonym, col(PatientPseudonym.patient_id) == TreatmentSession.patient_id)
        .where(in_range(request.date_from, request.date_to))
        .order_by(
            col(TreatmentSession.clinic_date), col(TreatmentSession.scheduled_time), col(TreatmentSession.id)
        )
    )
    people = dict(session.execute(select(col(UserAccount.id), col(UserAccount.display_name))).all())
    patients_written: set[int] = set()
    named: set[int] = set()
    practitioners_written: set[int] = set()
    result = session.execute(query.execution_options(yield_per=SESSIONS_PER_BATCH))
    for batch in result.partitions():
        children = _children(session, [row.TreatmentSession.id for row in batch])
        for visit, patient, stored_code in batch:
            code = stored_code if request.pseudonymous else None
            context = Context(
                _patient_ref(patient, code),
                _reference("session", visit.id),
                people,
                zone,
                request.tolerance_mg,
                named,
                request.pseudonymous,
            )
            if patient.id not in patients_written:
                patients_written.add(patient.id)
                yield _patient(patient, code)
            yield _encounter(visit, context)
            yield from _session_resources(visit, children, context)
            for user_id in sorted(named - practitioners_written):
                practitioners_written.add(user_id)
                yield _practitioner(user_id, people.get(user_id, "unknown"))


@dataclass(frozen=True)
class Context:
    """What every resource of one session refers to."""

    patient: dict
    encounter: dict
    people: dict[int, str]
    zone: ZoneInfo
    tolerance_mg: float  # the protocol's: a total this close to the plan counts as completed
    named: set[int]  # the people referred to so far: each becomes a Practitioner of the bundle
    deidentified: bool = False

    def time(self, value: datetime) -> str:
        return _time(value, self.zone)

    def person(self, user_id: int, as_named: str | None = None) -> dict:
        """A reference to a Practitioner of the bundle; `as_named` is the name stored with the act."""
        self.named.add(user_id)
        return _reference("user", user_id) | {"display": as_named or self.people.get(user_id, "unknown")}

    def stamped(self, name: str | None) -> dict | None:
        """The author of a note line, known by the name it was stamped with: a Practitioner when one
        user has that name today, else the name alone (a reference may be display only)."""
        if name is None:
            return None
        users = [user_id for user_id, shown in self.people.items() if shown == name]
        return self.person(users[0], name) if len(users) == 1 else {"display": name}


Child = TypeVar(
    "Child",
    DoseAdministration,
    PainScore,
    VitalSigns,
    SideEffect,
    Alert,
    Questionnaire,
    ReviewReturn,
    Addendum,
    SessionSignature,
)


def _of_sessions(session: Session, model: type[Child], ids: list[int]) -> dict[int, list[Child]]:
    """The sessions' rows of one table, by session; a session without any has none."""
    found: dict[int, list[Child]] = defaultdict(list)
    query = select(model).where(col(model.session_id).in_(ids)).order_by(col(model.id))
    for row in session.scalars(query):
        found[row.session_id].append(row)
    return found


@dataclass(frozen=True)
class Children:
    """A batch of sessions' records, by session (infusion events by dose)."""

    doses: dict[int, list[DoseAdministration]]
    events: dict[int, list[InfusionEvent]]
    pains: dict[int, list[PainScore]]
    vitals: dict[int, list[VitalSigns]]
    effects: dict[int, list[SideEffect]]
    alerts: dict[int, list[Alert]]
    questionnaires: dict[int, list[Questionnaire]]
    returns: dict[int, list[ReviewReturn]]
    addenda: dict[int, list[Addendum]]
    signatures: dict[int, list[SessionSignature]]


def _children(session: Session, ids: list[int]) -> Children:
    """A batch's doses, infusion events, pain scores, readings, side effects, alerts, returns,
    addenda and signatures, by session (or dose)."""
    doses = _of_sessions(session, DoseAdministration, ids)
    events: dict[int, list[InfusionEvent]] = defaultdict(list)
    dose_ids = [dose.id for given in doses.values() for dose in given]
    if dose_ids:
        query = (
            select(InfusionEvent)
            .where(col(InfusionEvent.dose_id).in_(dose_ids))
            .order_by(col(InfusionEvent.id))
        )
        for event in session.scalars(query):
            events[event.dose_id].append(event)
    return Children(
        doses=doses,
        events=events,
        pains=_of_sessions(session, PainScore, ids),
        vitals=_of_sessions(session, VitalSigns, ids),
        effects=_of_sessions(session, SideEffect, ids),
        alerts=_of_sessions(session, Alert, ids),
        questionnaires=_of_sessions(session, Questionnaire, ids),
        returns=_of_sessions(session, ReviewReturn, ids),
        addenda=_of_sessions(session, Addendum, ids),
        signatures=_of_sessions(session, SessionSignature, ids),
    )


def _session_resources(visit: TreatmentSession, children: Children, context: Context) -> Iterator[dict]:
    suspects = []
    doses = children.doses[visit.id]
    if doses:
        yield _body_weight(doses[0], context)
    for dose in doses:
        administration = _administration(dose, children.events[dose.id], visit, context)
        suspects.append({"instance": {"reference": f"urn:uuid:{administration['id']}"}})
        yield administration
    for score in children.pains[visit.id]:
        yield _pain(score, context)
    for answered in children.questionnaires[visit.id]:
        yield _questionnaire(answered, context)
    for reading in children.vitals[visit.id]:
        yield from _vital_signs(reading, context)
    for effect in children.effects[visit.id]:
        yield _adverse_event(effect, suspects, context)
    for alert in children.alerts[visit.id]:
        yield _detected_issue(alert, context)
    for returned in children.returns[visit.id]:
        yield _correction_task(returned, context)
    if not context.deidentified:  # a nurse may have typed a name or a number into a free text
        for number, (written_at, author, text) in enumerate(note_lines(visit.notes, context.zone), 1):
            yield _note(visit.id, number, written_at, author, text, context)
        for addendum in children.addenda[visit.id]:
            yield _addendum(addendum, context)
    for signature in children.signatures[visit.id]:
        yield _signature(signature, context)


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def _reference(*parts: object) -> dict:
    return {"reference": f"urn:uuid:{_id(*parts)}"}


def _time(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def _patient_ref(patient: Patient, code: str | None) -> dict:
    return _reference("patient", code) if code else _reference("patient", patient.id)


def _patient(patient: Patient, code: str | None) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": _patient_ref(patient, code)["reference"].removeprefix("urn:uuid:"),
        "gender": patient.sex,
    }
    if code:  # a limited data set: the patient's random code and year of birth only
        identifier = {"system": "urn:chairside:pseudonym", "value": code}
        return resource | {"identifier": [identifier], "birthDate": str(patient.date_of_birth.year)}
    return resource | {
        "identifier": [{"type": {"text": "MRN"}, "system": "urn:chairside:mrn", "value": patient.mrn}],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
    }


def _practitioner(user_id: int, name: str) -> dict:
    return {"resourceType": "Practitioner", "id": _id("user", user_id), "name": [{"text": name}]}


def _encounter(visit: TreatmentSession, context: Context) -> dict:
    resource = {
        "resourceType": "Encounter",
        "id": context.encounter["reference"].removeprefix("urn:uuid:"),
        "identifier": [{"system": "urn:chairside:session", "value": str(visit.id)}],
        "status": ENCOUNTER_STATUS[SessionStatus(visit.status)],
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "type": [{"text": SERVICE[visit.method]}],
        "serviceType": {"text": SERVICE[visit.method]},
        "subject": context.patient,
        "location": [{"location": {"display": f"Chair {visit.chair}"}}],
    }
    if visit.nurse_id is not None:
        resource["participant"] = [{"individual": context.person(visit.nurse_id)}]
    period = {}
    if visit.checked_in_at:
        period["start"] = context.time(visit.checked_in_at)
    if visit.discharged_at:
        period["end"] = context.time(visit.discharged_at)
    if period:
        resource["period"] = period
    return resource


def _administration(
    dose: DoseAdministration, events: list[InfusionEvent], visit: TreatmentSession, context: Context
) -> dict:
    given = round(given_mg(dose, events), 1)
    intravenous = dose.route == Route.INTRAVENOUS
    if intravenous and dose.stopped_at is None and visit.ended_at is None:
        status = "in-progress"
    elif given < dose.dose_mg - context.tolerance_mg:
        status = "stopped"  # an infusion stopped short of its planned total
    else:
        status = "completed"
    code, display = ROUTES[Route(dose.route)]
    dosage = {
        "route": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
        "dose": _quantity(given, "mg"),
    }
    if dose.rate_mg_per_kg_h is not None:
        dosage["rateQuantity"] = _quantity(dose.rate_mg_per_kg_h, "mg/kg/h")
    medication = {  # contained: the lot is the controlled-substance record's key
        "resourceType": "Medication",
        "id": "medication",
        "code": _rxnorm(dose.drug),
        "batch": {"lotNumber": dose.lot_number},
    }
    resource = {
        "resourceType": "MedicationAdministration",
        "id": _id("dose", dose.id),
        "contained": [medication],
        "status": status,
        "medicationReference": {"reference": "#medication"},
        "subject": context.patient,
        "context": context.encounter,
        "performer": [{"actor": context.person(dose.administered_by)}],
        "dosage": dosage,
    }
    end = dose.stopped_at or (visit.ended_at if intravenous else None)
    if end is None:
        return resource | {"effectiveDateTime": context.time(dose.administered_at)}
    return resource | {
        "effectivePeriod": {"start": context.time(dose.administered_at), "end": context.time(end)}
    }


def _rxnorm(drug: str) -> dict:
    code, display = DRUGS[drug]
    return {"coding": [{"system": RXNORM, "code": code, "display": display}], "text": display}


def _body_weight(dose: DoseAdministration, context: Context) -> dict:
    """The weight the session's doses per kilogram were computed from."""
    made = _observation(
        _id("weight", dose.session_id),
        _loinc("29463-7", "Body weight"),
        "vital-signs",
        dose.administered_at,
        dose.administered_by,
        context,
    )
    return made | {
        "meta": {"profile": [US_CORE + "us-core-body-weight"]},
        "valueQuantity": _quantity(dose.weight_kg_used, "kg"),
    }


def _observation(
    resource_id: str, code: dict, category: str, at: datetime, by: int, context: Context
) -> dict:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "code": code,
        "subject": context.patient,
        "encounter": context.encounter,
        "effectiveDateTime": context.time(at),
        "performer": [context.person(by)],
    }


def _loinc(code: str, display: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _pain(score: PainScore, context: Context) -> dict:
    code = _loinc("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
    resource = _observation(
        _id("pain", score.id), code, "survey", score.scored_at, score.recorded_by, context
    )
    return resource | {
        "valueQuantity": _quantity(score.score, "{score}"),
        "note": [{"text": PAIN_NOTE[score.kind]}],
    }


QUESTIONNAIRE_CODES = {
    Instrument.PHQ9: _loinc("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    Instrument.GAD7: _loinc(
        "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"
    ),
    # No LOINC code is verified for PEG: a local code names it.
    Instrument.PEG: {
        "coding": [
            {"system": "urn:chairside:questionnaire", "code": "peg", "display": "PEG 3-item scale score"}
        ],
        "text": "PEG (pain, enjoyment of life, general activity) score",
    },
}


def _item_code(instrument: Instrument, number: int) -> dict:
    coding = {"system": "urn:chairside:questionnaire-item", "code": f"{instrument.value}-{number}"}
    return {"coding": [coding], "text": f"{instrument.label} item {number}"}


def _questionnaire(answered: Questionnaire, context: Context) -> dict:
    """The score as the value; each answer as a component, in the form's order; the band as the
    interpretation."""
    instrument, items = Instrument(answered.instrument), answered.items
    value = questionnaires.score(instrument, items)
    resource = _observation(
        _id(instrument.value, answered.id),
        QUESTIONNAIRE_CODES[instrument],
        "survey",
        answered.answered_at,
        answered.recorded_by,
        context,
    )
    resource["valueQuantity"] = _quantity(value, "{score}")
    resource["component"] = [
        {"code": _item_code(instrument, n), "valueInteger": item} for n, item in enumerate(items, 1)
    ]
    if named := questionnaires.band(instrument, value):
        resource["interpretation"] = [{"text": named}]
    return resource


def _vital_signs(reading: VitalSigns, context: Context) -> Iterator[dict]:
    """The BP panel, each sign taken, then the scores without a LOINC code (MOAA/S); a corrected
    reading's are 'amended'."""
    status = {"status": "amended" if reading.version > 1 else "final"}

    def observation(part: str, code: dict, category: str = "vital-signs") -> dict:
        made = _observation(
            _id("reading", reading.id, part), code, category, reading.measured_at, reading.taken_by, context
        )
        return made | status

    yield observation("85354-9", _loinc("85354-9", "Blood pressure panel")) | {
        "meta": {"profile": [US_CORE + "us-core-blood-pressure"]},
        "component": [
            {
                "code": _loinc(*field.loinc[0]),
                "valueQuantity": _quantity(getattr(reading, field.name), field.ucum),
            }
            for field in map(vitals_field, BLOOD_PRESSURE)
        ],
    }
    own = [field for field in VITALS_FIELDS if field.name not in BLOOD_PRESSURE]
    for field in own:
        value = getattr(reading, field.name)
        if field.loinc and value is not None:
            code = {
                "coding": [
                    {"system": LOINC, "code": code, "display": display} for code, display in field.loinc
                ],
                "text": field.loinc[0].display,
            }
            profile = {"meta": {"profile": [US_CORE + field.profile]}} if field.profile else {}
            yield (
                observation(field.loinc[0].code, code)
                | profile
                | {"valueQuantity": _quantity(value, field.ucum)}
            )
    for field in own:
        value = getattr(reading, field.name)
        if not field.loinc and value is not None:  # a whole-number score (a test holds them so)
            text = {"text": f"{field.label} ({field.unit})"}
            yield observation(field.name, text, "exam") | {"valueInteger": value}


def _adverse_event(effect: SideEffect, suspects: list[dict], context: Context) -> dict:
    label = (
        effect.other_text
        if effect.effect == SideEffectType.OTHER and effect.other_text and not context.deidentified
        else effect.effect.replace("_", " ")
    )
    outcome = "fatal" if effect.grade == 5 else "resolved" if effect.resolved_at else "ongoing"
    resource = {
        "resourceType": "AdverseEvent",
        "id": _id("side_effect", effect.id),
        "actuality": "actual",
        "event": {"coding": [{"system": "urn:chairside:side-effect", "code": effect.effect}], "text": label},
        "subject": context.patient,
        "encounter": context.encounter,
        "date": context.time(effect.onset_at),
        "recordedDate": context.time(effect.recorded_at),
        "recorder": context.person(effect.recorded_by),
        "severity": {
            "coding": [{"system": SEVERITY_SYSTEM, "code": SEVERITY.get(effect.grade, "severe")}],
            "text": f"CTCAE grade {effect.grade}",
        },
        "outcome": {"coding": [{"system": OUTCOME_SYSTEM, "code": outcome}]},
    }
    return resource | ({"suspectEntity": suspects} if suspects else {})


def _detected_issue(alert: Alert, context: Context) -> dict:
    """A safety alert; its acknowledgement, with the note in an identified bundle, is the mitigation."""
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": _id("alert", alert.id),
        "status": "final",
        "code": {"coding": [{"system": "urn:chairside:alert-rule", "code": alert.rule}], "text": alert.rule},
        "severity": "high",
        "patient": context.patient,
        "identifiedDateTime": context.time(alert.raised_at),
        "detail": alert.message,
    }
    if alert.vitals_id is not None:  # the reading that raised it: its blood pressure panel
        resource["implicated"] = [_reference("reading", alert.vitals_id, "85354-9")]
    if alert.acknowledged_at is not None and alert.acknowledged_by is not None:
        said = "" if context.deidentified or not alert.acknowledgement else f": {alert.acknowledgement}"
        resource["mitigation"] = [
            {
                "action": {"text": f"Acknowledged{said}"},
                "date": context.time(alert.acknowledged_at),
                "author": context.person(alert.acknowledged_by),
            }
        ]
    return resource


def _correction_task(returned: ReviewReturn, context: Context) -> dict:
    """A session returned to its nurse for correction: the physician's comment, the nurse's answer."""
    requester = context.person(returned.returned_by)
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": _id("return", returned.id),
        "status": "requested",
        "intent": "order",
        "code": {"text": "Correct the session record before signing"},
        "focus": context.encounter,
        "for": context.patient,
        "encounter": context.encounter,
        "authoredOn": context.time(returned.returned_at),
        "requester": requester,
    }
    said = [(returned.comment, returned.returned_at, requester)]
    if returned.resubmitted_at is not None and returned.resubmitted_by is not None:
        owner = context.person(returned.resubmitted_by)
        resource |= {
            "status": "completed",
            "owner": owner,
            "lastModified": context.time(returned.resubmitted_at),
        }
        said.append((returned.response, returned.resubmitted_at, owner))
    if not context.deidentified:  # free text: in an identified bundle only
        resource["note"] = [
            {"authorReference": author, "time": context.time(at), "text": text}
            for text, at, author in said
            if text
        ]
    return resource


def _note(
    session_id: int, number: int, written_at: datetime | None, author: str | None, text: str, context: Context
) -> dict:
    """One line of the session's notes as a clinical note, with the time and author it was stamped with."""
    resource = _document(_id("note", session_id, number), "Session note", text, context)
    if written_at is not None:
        resource["date"] = context.time(written_at)
    writer = context.stamped(author)
    return resource | ({"author": [writer]} if writer else {})


def _addendum(addendum: Addendum, context: Context) -> dict:
    """An addendum, signed by its author after the session was signed; its reason is the description."""
    author = context.person(addendum.author_id, addendum.author_name)
    resource = _document(_id("addendum", addendum.id), "Addendum", addendum.text, context)
    return resource | {
        "date": context.time(addendum.written_at),
        "author": [author],
        "authenticator": author,
        "description": addendum.reason,
    }


def _document(resource_id: str, kind: str, text: str, context: Context) -> dict:
    return {
        "resourceType": "DocumentReference",
        "id": resource_id,
        "status": "current",
        "type": {"text": kind},
        "category": [CLINICAL_NOTE],
        "subject": context.patient,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                }
            }
        ],
        "context": {"encounter": [context.encounter]},
    }


def _signature(signature: SessionSignature, context: Context) -> dict:
    """The physician's signature of the session, with the name and meaning it was signed with."""
    signer = context.person(signature.signer_id, signature.signer_name)
    at = context.time(signature.signed_at)
    return {
        "resourceType": "Provenance",
        "id": _id("signature", signature.id),
        "target": [context.encounter],
        "recorded": at,
        "reason": [{"text": f"Signed: {signature.meaning}"}],
        "agent": [{"type": VERIFIER, "who": signer}],
        "signature": [{"type": [VERIFICATION_SIGNATURE], "when": at, "who": signer}],
    }


def _narrative(resource: dict) -> dict:
    """A resource's generated narrative: one line a person reads, from the resource itself."""
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{escape(_summary(resource))}</div>'}


def _summary(resource: dict) -> str:
    kind = resource["resourceType"]
    if kind == "Patient":
        name = resource.get("name", [{}])[0]
        who = f"{name.get('family', '')}, {' '.join(name.get('given', []))}" if name else "a patient"
        return f"Patient {who}, born {resource['birthDate']}"
    if kind == "Practitioner":
        return f"Practitioner {resource['name'][0]['text']}"
    if kind == "Encounter":
        return f"{resource['serviceType']['text']}, {resource['status']}"
    if kind == "MedicationAdministration":
        drug = resource["contained"][0]["code"]["text"]
        dose = resource["dosage"]["dose"]
        return f"{drug} {dose['value']:g} {dose['unit']}, {resource['status']}"
    if kind == "Observation":
        what = resource["code"].get("text", "observation")
        if "valueQuantity" in resource:
            value = resource["valueQuantity"]
            return f"{what}: {value['value']:g} {value['unit']}"
        if "component" in resource:
            parts = [f"{c['valueQuantity']['value']:g}" for c in resource["component"]]
            return f"{what}: {'/'.join(parts)} {resource['component'][0]['valueQuantity']['unit']}"
        return f"{what}: {resource.get('valueInteger')}"
    if kind == "AdverseEvent":
        return f"{resource['event']['text']}, {resource['severity']['text']}"
    if kind == "DetectedIssue":
        handled = (
            resource["mitigation"][0]["action"]["text"] if "mitigation" in resource else "not acknowledged"
        )
        return f"Alert: {resource['detail']}. {handled}"
    if kind == "Task":
        return f"{resource['code']['text']}: {resource['status']}"
    if kind == "DocumentReference":
        author = resource.get("author", [{}])[0].get("display", "unknown author")
        return f"{resource['type']['text']} by {author}, {resource.get('date', 'undated')}"
    if kind == "Provenance":
        return f"Signed by {resource['agent'][0]['who']['display']} at {resource['recorded']}"
    return kind

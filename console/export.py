"""End-of-day CSV export: sessions, vitals, side effects, controlled substances, and a manifest.

Every file is streamed (`yield_per`), written to a temporary name in the target folder, and
renamed only when all of them are complete: a failure part way leaves no export file behind.
The columns and their meanings are below; docs/export.md is the data dictionary (a test keeps
the two equal).
"""

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from console import audit
from console.csv_safe import cell, writer
from console.database import Database
from console.discharge_gate import given_mg
from console.errors import InvalidInput, StorageError
from console.models import (
    Addendum,
    Alert,
    DoseAdministration,
    InfusionEvent,
    Override,
    Patient,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    UserAccount,
    VitalSigns,
)
from console.pain import PainChange
from console.vocab import SideEffectType

BATCH = 2000

# (column, meaning, unit, type) for every file, in file order.
SESSIONS = [
    ("date", "clinic day of the session", "", "date"),
    ("session_id", "the session's number in Chairside", "", "integer"),
    ("chair", "chair", "", "text"),
    ("mrn", "medical record number (not in a de-identified export)", "", "text"),
    ("patient", "family name, given name (not in a de-identified export)", "", "text"),
    ("pseudonym", "stable pseudonymous patient id (de-identified export only)", "", "text"),
    ("birth_year", "year of birth (de-identified export only)", "", "integer"),
    ("method", "iv_infusion or nasal_spray", "", "text"),
    ("drug", "ketamine or esketamine", "", "text"),
    ("dose_mg", "dose given (planned total for an infusion)", "mg", "number"),
    ("mg_per_kg", "dose per kilogram of the weight used", "mg/kg", "number"),
    ("rate_mg_per_kg_h", "infusion rate at the start (IV only)", "mg/kg/h", "number"),
    ("start", "checked in", "", "ISO 8601 time with offset"),
    ("end", "discharged", "", "ISO 8601 time with offset"),
    ("duration_min", "time in the chair, check-in to discharge", "min", "integer"),
    ("pain_before", "NRS before the session", "0-10", "integer"),
    ("pain_after", "NRS after the session", "0-10", "integer"),
    ("pain_change", "after minus before", "NRS points", "integer"),
    ("percent_change", "relief in percent of the score before (positive = less pain)", "%", "number"),
    (
        "immpact_class",
        "IMMPACT class of the change (>= 30% moderately important, >= 50% substantial)",
        "",
        "text",
    ),
    ("side_effects", "side effects with their CTCAE grade, '; '-separated", "", "text"),
    ("highest_grade", "highest CTCAE grade of the side effects", "1-5", "integer"),
    ("alerts", "protocol alerts raised", "count", "integer"),
    ("overrides", "protocol rules set aside by an override", "count", "integer"),
    (
        "status",
        "scheduled, checked_in, in_treatment, observation, discharged, no_show or cancelled",
        "",
        "text",
    ),
    ("nurse", "responsible nurse", "", "text"),
    ("signed_by", "physician who signed", "", "text"),
    ("signed_at", "time of the signature", "", "ISO 8601 time with offset"),
    ("signature_meaning", "reviewed or approved", "", "text"),
    ("addenda", "addenda added after signing", "count", "integer"),
]
VITALS = [
    ("session_id", "the session's number", "", "integer"),
    ("measured_at", "when the reading was taken", "", "ISO 8601 time with offset"),
    ("systolic", "systolic blood pressure", "mmHg", "integer"),
    ("diastolic", "diastolic blood pressure", "mmHg", "integer"),
    ("heart_rate", "heart rate", "/min", "integer"),
    ("spo2", "oxygen saturation by pulse oximetry", "%", "integer"),
    ("resp_rate", "respiratory rate", "/min", "integer"),
    ("moaas", "MOAA/S sedation score", "0-5", "integer"),
    ("temperature_c", "body temperature", "°C", "number"),
    ("taken_by", "who took the reading", "", "text"),
    ("alert_raised", "whether the reading raised a protocol alert", "", "true/false"),
]
SIDE_EFFECTS = [
    ("session_id", "the session's number", "", "integer"),
    ("effect", "side effect (controlled vocabulary)", "", "text"),
    ("other_text", "description when the effect is 'other'", "", "text"),
    ("grade", "CTCAE grade", "1-5", "integer"),
    ("onset_at", "onset", "", "ISO 8601 time with offset"),
    ("resolved_at", "resolved (empty while not resolved)", "", "ISO 8601 time with offset"),
    ("action_taken", "what was done", "", "text"),
    ("recorded_by", "who recorded it", "", "text"),
]
CONTROLLED = [
    ("row_type", "administration (one per dose) or lot_day_total (per lot and day, after them)", "", "text"),
    ("date", "clinic day", "", "date"),
    ("session_id", "the session's number (administration rows)", "", "integer"),
    ("drug", "ketamine or esketamine", "", "text"),
    ("lot_number", "lot of the vial or device", "", "text"),
    ("concentration_mg_per_ml", "concentration (administration rows)", "mg/mL", "number"),
    ("drawn_mg", "amount drawn", "mg", "number"),
    ("given_mg", "amount given (a stopped infusion counts what it gave)", "mg", "number"),
    ("wasted_mg", "amount wasted", "mg", "number"),
    ("witness", "who witnessed the waste (administration rows)", "", "text"),
    ("administered_by", "who gave the dose (administration rows)", "", "text"),
    ("mismatch", "drawn is not given + wasted (within 0.5 mg)", "", "true/false"),
]
FILES = {
    "sessions.csv": SESSIONS,
    "vitals.csv": VITALS,
    "side_effects.csv": SIDE_EFFECTS,
    "controlled_substances.csv": CONTROLLED,
}
IDENTIFYING = {"mrn", "patient"}
PSEUDONYMOUS = {"pseudonym", "birth_year"}
TOLERANCE_MG = 0.5


def columns(file: str, deidentify: bool) -> list[str]:
    """The columns a file has: identified exports name the patient, de-identified ones do not."""
    left_out = IDENTIFYING if deidentify else PSEUDONYMOUS
    return [name for name, *_ in FILES[file] if name not in left_out]


@dataclass(frozen=True)
class ExportRequest:
    date_from: date
    date_to: date
    out: Path
    deidentify: bool = False
    bom: bool = False
    force: bool = False
    pseudonym_key: str | None = None


@dataclass(frozen=True)
class Manifest:
    path: Path
    rows: dict[str, int]


Progress = Callable[[str, int], None]


def export_csv(
    db: Database, who: str, request: ExportRequest, zone: ZoneInfo, progress: Progress | None = None
) -> Manifest:
    """Write the CSV set and manifest.json into `request.out`; all of it, or nothing."""
    if request.date_to < request.date_from:
        raise InvalidInput("to", "To: a date on or after the first date.")
    if request.deidentify and not request.pseudonym_key:
        raise InvalidInput(
            "pseudonym_key",
            "De-identified export: set pseudonym_key in the settings (16 characters or more).",
        )
    out = request.out
    targets = [out / name for name in (*FILES, "manifest.json")]
    existing = [t.name for t in targets if t.exists()]
    if existing and not request.force:
        raise InvalidInput(
            "out", f"Folder: {out} already holds an export ({', '.join(existing)}); use --force."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {out}: {exc.strerror}") from None
    partial = {target: target.with_name(f".{target.name}.partial") for target in targets}
    try:
        rows, digests = {}, {}
        with db.read() as session:
            head = audit.head(session)
            writers = {
                "sessions.csv": lambda: _sessions(session, request, zone),
                "vitals.csv": lambda: _vitals(session, request, zone),
                "side_effects.csv": lambda: _side_effects(session, request, zone),
                "controlled_substances.csv": lambda: _controlled(session, request),
            }
            for name, produce in writers.items():
                rows[name], digests[name] = _write(
                    partial[out / name],
                    columns(name, request.deidentify),
                    produce(),
                    request.bom,
                    progress,
                    name,
                )
        manifest = {
            "from": request.date_from.isoformat(),
            "to": request.date_to.isoformat(),
            "exported_at": db.clock.now().astimezone(zone).isoformat(timespec="seconds"),
            "exported_by": who,
            "deidentified": request.deidentify,
            "audit_chain_head": head,
            "files": {name: {"rows": rows[name], "sha256": digests[name]} for name in FILES},
        }
        partial[out / "manifest.json"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for target, temporary in partial.items():
            os.replace(temporary, target)  # all complete: now they appear
    except OSError as exc:
        raise StorageError(f"the export failed and left no file behind: {exc.strerror or exc}") from None
    finally:
        for temporary in partial.values():
            temporary.unlink(missing_ok=True)
    with db.write() as session:
        audit.record(
            session,
            at=db.clock.now(),
            actor=who[:32],
            action="export.csv",
            entity="export",
            entity_id=f"{request.date_from}..{request.date_to}",
            after={"rows": rows, "deidentified": request.deidentify},
        )
    return Manifest(out / "manifest.json", rows)


def _write(
    path: Path, header: list[str], records: Iterator[dict], bom: bool, progress, name
) -> tuple[int, str]:
    count = 0
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        out = writer(stream)
        out.writerow(header)
        for record in records:
            out.writerow([cell(record.get(column)) for column in header])
            count += 1
            if progress and count % BATCH == 0:
                progress(name, count)
        stream.flush()
        os.fsync(stream.fileno())
    if progress:
        progress(name, count)
    return count, _sha256(path)


def _sha256(path: Path) -> str:
    """The file's digest, read in chunks: a five-year vitals.csv is larger than the export's memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


def pseudonym(key: str, patient_id: int) -> str:
    """Stable for one clinic (keyed hash), meaningless without the key."""
    return hmac.new(key.encode(), f"patient:{patient_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _in_range(request: ExportRequest):
    return TreatmentSession.clinic_date.between(request.date_from, request.date_to)


def _stream(session: Session, query):
    return session.execute(query.execution_options(yield_per=BATCH))


def _per_session(model, *values):
    return select(model.session_id, *values).group_by(model.session_id).subquery()


def _sessions(session: Session, request: ExportRequest, zone: ZoneInfo) -> Iterator[dict]:
    nurse, signer = aliased(UserAccount), aliased(UserAccount)
    label = SideEffect.effect + literal(" (grade ") + cast(SideEffect.grade, String) + literal(")")
    joined = (
        func.group_concat(label, "; ")
        if session.get_bind().dialect.name == "sqlite"
        else func.string_agg(label, literal("; "))
    )
    doses = _per_session(
        DoseAdministration,
        func.min(DoseAdministration.drug).label("drug"),
        func.sum(DoseAdministration.dose_mg).label("dose_mg"),
        func.sum(DoseAdministration.mg_per_kg).label("mg_per_kg"),
        func.max(DoseAdministration.rate_mg_per_kg_h).label("rate"),
    )
    effects = _per_session(SideEffect, joined.label("summary"), func.max(SideEffect.grade).label("grade"))
    alerts = _per_session(Alert, func.count().label("n"))
    overrides = _per_session(Override, func.count().label("n"))
    addenda = _per_session(Addendum, func.count().label("n"))
    s, p = TreatmentSession, Patient
    query = (
        select(
            s.id,
            s.clinic_date,
            s.chair,
            s.method,
            s.checked_in_at,
            s.discharged_at,
            s.pain_before,
            s.pain_after,
            s.status,
            p.id.label("patient_id"),
            p.mrn,
            p.family_name,
            p.given_name,
            p.date_of_birth,
            nurse.display_name.label("nurse"),
            signer.display_name.label("signer"),
            SessionSignature.signed_at,
            SessionSignature.meaning,
            doses.c.drug,
            doses.c.dose_mg,
            doses.c.mg_per_kg,
            doses.c.rate,
            effects.c.summary,
            effects.c.grade,
            alerts.c.n.label("alerts"),
            overrides.c.n.label("overrides"),
            addenda.c.n.label("addenda"),
        )
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .outerjoin(nurse, nurse.id == TreatmentSession.nurse_id)
        .outerjoin(SessionSignature, SessionSignature.session_id == TreatmentSession.id)
        .outerjoin(signer, signer.id == SessionSignature.signer_id)
        .outerjoin(doses, doses.c.session_id == TreatmentSession.id)
        .outerjoin(effects, effects.c.session_id == TreatmentSession.id)
        .outerjoin(alerts, alerts.c.session_id == TreatmentSession.id)
        .outerjoin(overrides, overrides.c.session_id == TreatmentSession.id)
        .outerjoin(addenda, addenda.c.session_id == TreatmentSession.id)
        .where(_in_range(request))
        .order_by(TreatmentSession.clinic_date, TreatmentSession.scheduled_time, TreatmentSession.id)
    )
    for r in _stream(session, query):  # plain rows, not ORM objects: a five-year export stays small
        record = {
            "date": r.clinic_date.isoformat(),
            "session_id": r.id,
            "chair": r.chair,
            "method": r.method,
            "drug": r.drug,
            "dose_mg": r.dose_mg,
            "mg_per_kg": None if r.mg_per_kg is None else round(r.mg_per_kg, 3),
            "rate_mg_per_kg_h": r.rate,
            "start": _local(r.checked_in_at, zone),
            "end": _local(r.discharged_at, zone),
            "duration_min": _minutes(r.checked_in_at, r.discharged_at),
            "pain_before": r.pain_before,
            "pain_after": r.pain_after,
            "side_effects": r.summary,
            "highest_grade": r.grade,
            "alerts": r.alerts or 0,
            "overrides": r.overrides or 0,
            "status": r.status,
            "nurse": r.nurse,
            "signed_by": r.signer,
            "signed_at": _local(r.signed_at, zone),
            "signature_meaning": r.meaning,
            "addenda": r.addenda or 0,
        }
        if request.deidentify:
            record |= {
                "pseudonym": pseudonym(request.pseudonym_key, r.patient_id),
                "birth_year": r.date_of_birth.year,
            }
        else:
            record |= {"mrn": r.mrn, "patient": f"{r.family_name}, {r.given_name}"}
        if r.pain_before is not None and r.pain_after is not None:
            change = PainChange(r.pain_before, r.pain_after)
            record |= {
                "pain_change": change.change,
                "percent_change": change.percent,
                "immpact_class": change.klass.value,
            }
        yield record


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    return None if start is None or end is None else int((end - start).total_seconds() // 60)


def _vitals(session: Session, request: ExportRequest, zone: ZoneInfo) -> Iterator[dict]:
    alerted = select(Alert.vitals_id).where(Alert.vitals_id.is_not(None)).distinct().subquery()
    v = VitalSigns
    query = (
        select(
            v.session_id,
            v.measured_at,
            v.systolic,
            v.diastolic,
            v.heart_rate,
            v.spo2,
            v.resp_rate,
            v.moaas,
            v.temperature_c,
            UserAccount.display_name.label("taken_by"),
            alerted.c.vitals_id.label("alerted"),
        )
        .join(TreatmentSession, TreatmentSession.id == VitalSigns.session_id)
        .join(UserAccount, UserAccount.id == VitalSigns.taken_by)
        .outerjoin(alerted, alerted.c.vitals_id == VitalSigns.id)
        .where(_in_range(request))
        .order_by(TreatmentSession.clinic_date, VitalSigns.session_id, VitalSigns.measured_at, VitalSigns.id)
    )
    for r in _stream(session, query):
        yield {
            "session_id": r.session_id,
            "measured_at": _local(r.measured_at, zone),
            "systolic": r.systolic,
            "diastolic": r.diastolic,
            "heart_rate": r.heart_rate,
            "spo2": r.spo2,
            "resp_rate": r.resp_rate,
            "moaas": r.moaas,
            "temperature_c": r.temperature_c,
            "taken_by": r.taken_by,
            "alert_raised": r.alerted is not None,
        }


def _side_effects(session: Session, request: ExportRequest, zone: ZoneInfo) -> Iterator[dict]:
    query = (
        select(SideEffect, UserAccount.display_name)
        .join(TreatmentSession, TreatmentSession.id == SideEffect.session_id)
        .join(UserAccount, UserAccount.id == SideEffect.recorded_by)
        .where(_in_range(request))
        .order_by(TreatmentSession.clinic_date, SideEffect.session_id, SideEffect.onset_at, SideEffect.id)
    )
    for e, recorded_by in _stream(session, query):
        yield {
            "session_id": e.session_id,
            "effect": SideEffectType(e.effect).value,
            "other_text": e.other_text,
            "grade": e.grade,
            "onset_at": _local(e.onset_at, zone),
            "resolved_at": _local(e.resolved_at, zone),
            "action_taken": e.action_taken,
            "recorded_by": recorded_by,
        }


def _controlled(session: Session, request: ExportRequest) -> Iterator[dict]:
    """One row per administration, then per lot and day the totals, any mismatch marked."""
    witness, giver = aliased(UserAccount), aliased(UserAccount)
    query = (
        select(DoseAdministration, TreatmentSession.clinic_date, witness.display_name, giver.display_name)
        .join(TreatmentSession, TreatmentSession.id == DoseAdministration.session_id)
        .outerjoin(witness, witness.id == DoseAdministration.witness_id)
        .join(giver, giver.id == DoseAdministration.administered_by)
        .where(_in_range(request))
        .order_by(TreatmentSession.clinic_date, DoseAdministration.lot_number, DoseAdministration.id)
    )
    totals: dict[tuple[date, str, str], list[float]] = {}
    for dose, day, witness_name, giver_name in _stream(session, query):
        events = []
        if dose.stopped_at is not None:  # only a stopped infusion needs its events to know what it gave
            events = list(session.scalars(select(InfusionEvent).where(InfusionEvent.dose_id == dose.id)))
        given = round(given_mg(dose, events), 1)
        total = totals.setdefault((day, dose.lot_number, dose.drug), [0.0, 0.0, 0.0])
        total[0] += dose.drawn_mg
        total[1] += given
        total[2] += dose.wasted_mg
        yield {
            "row_type": "administration",
            "date": day.isoformat(),
            "session_id": dose.session_id,
            "drug": dose.drug,
            "lot_number": dose.lot_number,
            "concentration_mg_per_ml": dose.concentration_mg_per_ml,
            "drawn_mg": dose.drawn_mg,
            "given_mg": given,
            "wasted_mg": dose.wasted_mg,
            "witness": witness_name,
            "administered_by": giver_name,
            "mismatch": abs(dose.drawn_mg - given - dose.wasted_mg) > TOLERANCE_MG,
        }
    for (day, lot, drug), (drawn, given, wasted) in sorted(totals.items()):
        yield {
            "row_type": "lot_day_total",
            "date": day.isoformat(),
            "drug": drug,
            "lot_number": lot,
            "drawn_mg": round(drawn, 1),
            "given_mg": round(given, 1),
            "wasted_mg": round(wasted, 1),
            "mismatch": abs(drawn - given - wasted) > TOLERANCE_MG,
        }

"""The export's data dictionary: every column of every CSV file, its meaning, unit and type.

Which file has which columns is console.export.catalogue.

docs/export.md shows the same table to people; a test keeps the two equal.
"""

from enum import StrEnum
from typing import NamedTuple

from console.domain.pain import PainChangeClass
from console.domain.vitals_fields import VITALS_FIELDS
from console.domain.vocab import Drug, Instrument, Method, SessionStatus, SideEffectType, SignatureMeaning

# A code is one of the fixed values its meaning lists (a CHECK constraint holds the column to them).
TEXT, CODE, INTEGER, NUMBER, DATE, TIME, BOOLEAN = (
    "text",
    "code",
    "integer",
    "number",
    "date",
    "ISO 8601 time with offset",
    "true/false",
)


NOT_DEIDENTIFIED = " (not in a de-identified export: free text may name anyone)"


NOT_RECORDED = "not recorded"


class Column(NamedTuple):
    name: str
    meaning: str
    unit: str
    type: str
    empty: str = NOT_RECORDED  # what an empty cell means in this column
    values: tuple[str, ...] = ()  # a code column's only values


def _codes(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


# The patient, as each kind of export names them (console.export.modes picks which).
_PATIENT = [
    Column("mrn", "medical record number (identified exports only)", "", TEXT),
    Column("patient", "family name, given name (identified exports only)", "", TEXT),
    Column(
        "pseudonym",
        "the patient's random code, the same in every export (not in identified exports)",
        "",
        TEXT,
    ),
    Column("birth_year", "year of birth (limited data sets only)", "", INTEGER),
]

# Every file's columns, in file order; the row producers yield values in this order.
SESSIONS: list[Column] = [
    Column("date", "clinic day of the session", "", DATE),
    Column("session_id", "the session's number in Chairside", "", INTEGER),
    Column("chair", "chair", "", TEXT),
    *_PATIENT,
    Column("method", "iv_infusion or nasal_spray", "", CODE, values=_codes(Method)),
    Column("drug", "ketamine or esketamine", "", CODE, "no dose was given", _codes(Drug)),
    Column("dose_mg", "dose given (planned total for an infusion)", "mg", NUMBER, "no dose was given"),
    Column("mg_per_kg", "dose per kilogram of the weight used", "mg/kg", NUMBER, "no dose was given"),
    Column(
        "weight_kg",
        "the patient's weight the dose per kilogram was computed from",
        "kg",
        NUMBER,
        "no dose was given",
    ),
    Column(
        "rate_mg_per_kg_h",
        "infusion rate at the start (IV only)",
        "mg/kg/h",
        NUMBER,
        "nasal spray, or no dose",
    ),
    Column("start", "checked in", "", TIME, "not checked in"),
    Column("end", "discharged", "", TIME, "not discharged"),
    Column("duration_min", "time in the chair, check-in to discharge", "min", INTEGER, "not discharged"),
    Column("pain_before", "NRS before the session", "0-10", INTEGER),
    Column("pain_after", "NRS after the session", "0-10", INTEGER),
    Column("pain_change", "after minus before", "NRS points", INTEGER),
    Column(
        "percent_change",
        "relief in percent of the score before (positive = less pain)",
        "%",
        NUMBER,
        "a pain score is missing, or the score before was 0 (no percent of nothing)",
    ),
    Column(
        "immpact_class",
        "IMMPACT class of the change: substantial (>= 50% relief), moderately important (>= 30%),"
        " minimally important (>= 10%), no meaningful change, or worse (more pain than before)",
        "",
        CODE,
        "a pain score is missing",
        _codes(PainChangeClass),
    ),
    Column("side_effects", "side effects with their CTCAE grade, '; '-separated", "", TEXT, "none"),
    Column("highest_grade", "highest CTCAE grade of the side effects", "1-5", INTEGER, "no side effect"),
    Column("alerts", "protocol alerts raised", "count", INTEGER),
    Column("overrides", "protocol rules set aside by an override", "count", INTEGER),
    Column(
        "status",
        "scheduled, checked_in, in_treatment, observation, discharged, no_show or cancelled",
        "",
        CODE,
        values=_codes(SessionStatus),
    ),
    Column("nurse", "responsible nurse", "", TEXT, "not checked in"),
    Column("signed_by", "physician who signed, named as at the signature", "", TEXT, "not signed"),
    Column("signed_at", "time of the signature", "", TIME, "not signed"),
    Column("signature_meaning", "reviewed or approved", "", CODE, "not signed", _codes(SignatureMeaning)),
    Column("addenda", "addenda added after signing", "count", INTEGER),
]
VITALS = [
    Column("session_id", "the session's number", "", INTEGER),
    Column("measured_at", "when the reading was taken", "", TIME),
    Column("recorded_at", "when it was entered (a late entry: long after measured_at)", "", TIME),
    *[
        Column(field.name, field.label, field.unit, INTEGER if field.whole else NUMBER)
        for field in VITALS_FIELDS
    ],
    Column("taken_by", "who took the reading", "", TEXT),
    Column("alert_raised", "whether the reading raised a protocol alert", "", BOOLEAN),
    Column(
        "corrected", "whether the reading was corrected (the original is in the audit trail)", "", BOOLEAN
    ),
]
SIDE_EFFECTS = [
    Column("session_id", "the session's number", "", INTEGER),
    Column("effect", "side effect: " + ", ".join(SideEffectType), "", CODE, values=_codes(SideEffectType)),
    Column("other_text", "description when the effect is 'other'" + NOT_DEIDENTIFIED, "", TEXT),
    Column("grade", "CTCAE grade", "1-5", INTEGER),
    Column("onset_at", "onset", "", TIME),
    Column("resolved_at", "resolved", "", TIME, "not resolved"),
    Column("action_taken", "what was done" + NOT_DEIDENTIFIED, "", TEXT),
    Column("recorded_by", "who recorded it", "", TEXT),
]
CONTROLLED = [
    Column(
        "row_type",
        "administration (one per dose), waste_at_stop (the drug left over when an IV infusion stopped"
        " before its planned dose, wasted before its witness), then lot_day_total (per lot and day)",
        "",
        CODE,
        values=("administration", "waste_at_stop", "lot_day_total"),
    ),
    Column("date", "clinic day", "", DATE),
    Column("session_id", "the session's number (administration rows)", "", INTEGER),
    Column("drug", "ketamine or esketamine", "", CODE, values=_codes(Drug)),
    Column("lot_number", "lot of the vial or device", "", TEXT),
    Column("concentration_mg_per_ml", "concentration (administration rows)", "mg/mL", NUMBER),
    Column("drawn_mg", "amount drawn", "mg", NUMBER),
    Column("given_mg", "amount given (a stopped infusion counts what it gave)", "mg", NUMBER),
    Column("wasted_mg", "amount wasted", "mg", NUMBER),
    Column("witness", "who witnessed the waste (administration and waste_at_stop rows)", "", TEXT),
    Column("administered_by", "who gave the dose, or stopped the infusion (waste_at_stop rows)", "", TEXT),
    Column(
        "mismatch",
        "drawn is not given + wasted (at drawing and at a stop), past the protocol's tolerance",
        "",
        BOOLEAN,
    ),
    Column(
        "stop_reason", "why an IV infusion stopped before its planned dose (administration rows)", "", TEXT
    ),
]
NOTES = [
    Column("session_id", "the session's number", "", INTEGER),
    Column(
        "written_at",
        "when the note was written (to the minute)",
        "",
        TIME,
        "a line from before notes were stamped",
    ),
    Column("author", "who wrote it", "", TEXT, "a line from before notes were stamped"),
    Column("text", "the note" + NOT_DEIDENTIFIED, "", TEXT),
]
ALERTS = [
    Column("session_id", "the session's number", "", INTEGER),
    Column("rule", "the protocol rule that raised the alert", "", TEXT),
    Column("value", "the value that raised it", "", TEXT),
    Column("message", "what the alert said", "", TEXT),
    Column("raised_at", "when it was raised", "", TIME),
    Column("acknowledged_at", "when it was acknowledged", "", TIME, "not acknowledged"),
    Column("acknowledged_by", "who acknowledged it", "", TEXT, "not acknowledged"),
    Column("acknowledgement", "the note written when acknowledging" + NOT_DEIDENTIFIED, "", TEXT),
]
RETURNS = [
    Column("session_id", "the session's number", "", INTEGER),
    Column("returned_at", "when the physician returned the session for correction", "", TIME),
    Column("returned_by", "the physician who returned it", "", TEXT),
    Column("comment", "what to correct" + NOT_DEIDENTIFIED, "", TEXT),
    Column("resubmitted_at", "when the nurse resubmitted it", "", TIME, "not resubmitted"),
    Column("resubmitted_by", "the nurse who resubmitted it", "", TEXT, "not resubmitted"),
    Column("response", "what was corrected" + NOT_DEIDENTIFIED, "", TEXT),
]
ADDENDA = [
    Column("session_id", "the session's number", "", INTEGER),
    Column("written_at", "when the addendum was signed", "", TIME),
    Column("author", "who wrote and signed it, named as at the signature", "", TEXT),
    Column("author_role", "nurse or physician", "", CODE, values=("nurse", "physician")),
    Column("reason", "why it was added" + NOT_DEIDENTIFIED, "", TEXT),
    Column("text", "the addendum" + NOT_DEIDENTIFIED, "", TEXT),
]
BILLING = [
    Column("date", "clinic day of the session", "", DATE),
    Column("session_id", "the session's number", "", INTEGER),
    Column("mrn", "medical record number (identified exports only)", "", TEXT),
    Column("patient", "family name, given name (identified exports only)", "", TEXT),
    Column("diagnosis", "the patient's diagnosis (ICD-10-CM)", "", TEXT),
    Column("drug", "ketamine or esketamine", "", CODE, values=_codes(Drug)),
    Column(
        "given_mg", "the drug given in the session (a stopped infusion counts what it gave)", "mg", NUMBER
    ),
    Column("lot_numbers", "lots used, '; '-separated", "", TEXT),
    Column(
        "ndc", "National Drug Code of what was given (the protocol's billing table)", "", TEXT, "none set"
    ),
    Column(
        "service_code", "IV: the first hour's code; nasal: the code by dose (the protocol's table)", "", TEXT
    ),
    Column(
        "service_units",
        "units of the service code (IV: 0 when the infusion ran shorter than the table's minimum)",
        "count",
        INTEGER,
    ),
    Column("additional_code", "IV: each additional hour's code", "", TEXT, "nasal spray"),
    Column("additional_units", "IV: additional hours by the table's time rule", "count", INTEGER),
    Column(
        "drug_code",
        "IV: the drug's code, billed with its NDC",
        "",
        TEXT,
        "nasal spray (the service includes it)",
    ),
    Column("start", "IV: the infusion started; nasal: the first device", "", TIME),
    Column("stop", "IV: the infusion stopped or ended; nasal: discharge", "", TIME, "not yet"),
    Column(
        "minutes", "IV: infusion time; nasal: from the first device to discharge", "min", INTEGER, "not yet"
    ),
    Column("rendering_nurse", "the responsible nurse", "", TEXT),
    Column(
        "supervising_physician", "the physician who signed, named as at the signature", "", TEXT, "not signed"
    ),
]
NOT_ASKED = "not answered yet"


def _pressure(name: str, which: str) -> list[Column]:
    return [
        Column(f"{name}_systolic", f"systolic blood pressure {which}", "mmHg", INTEGER, "no such reading"),
        Column(f"{name}_diastolic", f"diastolic blood pressure {which}", "mmHg", INTEGER, "no such reading"),
        Column(f"{name}_at", f"when the blood pressure {which} was measured", "", TIME, "no such reading"),
    ]


def _seen(name: str, what: str) -> list[Column]:
    return [
        Column(name, f"{what} seen in the session", "", BOOLEAN, NOT_ASKED),
        Column(f"{name}_at", f"when the {what.lower()} was seen", "", TIME, "not seen"),
        Column(
            f"{name}_resolved_at",
            f"when the {what.lower()} resolved (REMS: observed until it resolves)",
            "",
            TIME,
            "not seen, or not resolved yet",
        ),
    ]


def _taking(name: str, what: str) -> Column:
    return Column(name, f"taking {what} now or recently (asked at pre-assessment)", "", BOOLEAN, NOT_ASKED)


# The Spravato REMS Patient Monitoring Form, one row per nasal esketamine session, in the form's order.
REMS_MONITORING = [
    Column("date", "clinic day of the session (the date of treatment)", "", DATE),
    Column("session_id", "the session's number in Chairside", "", INTEGER),
    *_PATIENT,
    Column("date_of_birth", "the patient's date of birth (identified exports only)", "", DATE),
    Column("sex", "the patient's sex", "", TEXT),
    Column(
        "enrolment_id", "the patient's REMS enrolment number (identified exports only)", "", TEXT, NOT_ASKED
    ),
    _taking("benzodiazepines", "benzodiazepines"),
    _taking("sedative_hypnotics", "non-benzodiazepine sedative-hypnotics"),
    _taking("psychostimulants", "psychostimulants"),
    _taking("maois", "monoamine oxidase inhibitors"),
    _taking("opioids", "opioids"),
    Column("monitoring_clinician", "the nurse who monitored the patient", "", TEXT, "no nurse yet"),
    Column("dose_mg", "esketamine given", "mg", NUMBER, "no dose was given"),
    Column("lot_numbers", "lots used, '; '-separated", "", TEXT, "no dose was given"),
    Column("device_1_at", "when the first device was used", "", TIME, "not recorded"),
    Column("device_2_at", "when the second device was used", "", TIME, "not used or not recorded"),
    Column("device_3_at", "when the third device was used", "", TIME, "not used or not recorded"),
    Column(
        "total_minutes",
        "from the first device to the end of monitoring (discharge)",
        "min",
        INTEGER,
        "not yet",
    ),
    Column(
        "ready_to_leave_min",
        "from the first device until the patient would have been ready to leave",
        "min",
        INTEGER,
        NOT_ASKED,
    ),
    Column(
        "vitals_acceptable_before",
        "the reading before dosing within the protocol's pre-dose limits",
        "",
        BOOLEAN,
        "no such reading",
    ),
    Column(
        "vitals_acceptable_leaving",
        "the last reading before leaving within the protocol's limits",
        "",
        BOOLEAN,
        "no such reading",
    ),
    *_pressure("bp_before", "before dosing (the last reading before the first device)"),
    *_pressure("bp_40_min", "at about 40 minutes (the reading nearest 40, from 30 to 50 minutes)"),
    *_pressure("bp_leaving", "before leaving (the last reading of a discharged session)"),
    *_seen("sedation", "Sedation"),
    *_seen("dissociation", "Dissociation"),
    *_seen("respiratory_depression", "Respiratory depression"),
    Column("form_complete", "every field of the form is known", "", BOOLEAN),
    Column("missing", "what the form still needs, '; '-separated", "", TEXT, "nothing: the form is complete"),
]
_NO_SUCH_ITEM = "the questionnaire has no such item (PEG has 3, GAD-7 has 7)"
QUESTIONNAIRES = [
    Column("session_id", "the session's number in Chairside", "", INTEGER),
    Column(
        "instrument",
        "peg (pain, enjoyment of life, general activity), phq9 (depression) or gad7 (anxiety)",
        "",
        CODE,
        values=_codes(Instrument),
    ),
    Column("loinc", "the LOINC code of the total score", "", TEXT, "PEG has no LOINC code"),
    Column("answered_at", "when the answers were recorded", "", TIME),
    Column("asked_by", "the nurse or physician who recorded them", "", TEXT),
    *[
        Column(
            f"item_{n}",
            f"answer {n}, in the form's order (PEG 0-10, PHQ-9 and GAD-7 0-3)"
            + ("; PHQ-9 item 9 is thoughts of self-harm" if n == 9 else ""),
            "points",
            INTEGER,
            NOT_RECORDED if n <= 3 else _NO_SUCH_ITEM,
        )
        for n in range(1, 10)
    ],
    Column("score", "PEG: the mean of its three answers; PHQ-9 and GAD-7: the total", "points", NUMBER),
    Column(
        "band",
        "PHQ-9 severity by 5/10/15/20, GAD-7 by 5/10/15",
        "",
        CODE,
        "PEG has no severity band",
        values=("minimal", "mild", "moderate", "moderately severe", "severe"),
    ),
    Column(
        "series_start_score",
        "the first score of this questionnaire in the patient's current series, at an earlier session",
        "points",
        NUMBER,
        "none earlier in the series (this is the first)",
    ),
    Column(
        "change_percent",
        "change from the series start's score (negative is better)",
        "%",
        NUMBER,
        "none earlier in the series, or its score was 0",
    ),
    Column(
        "change_class",
        "PEG: improved at a 30 % reduction; PHQ-9: remission below 5, response at a 50 % reduction",
        "",
        CODE,
        "none earlier in the series, or GAD-7 (no class)",
        values=("improved", "not improved", "remission", "response", "no response"),
    ),
]

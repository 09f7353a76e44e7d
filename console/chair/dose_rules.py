"""The protocol's checks before a dose is confirmed: screen, contraindications, pre-dose hold, range, weight.

Pure functions of the record and the protocol, so each rule is tested without a database; the
dose service applies them and refuses with the first problem.
"""

import re
import typing
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from console.chair.alerts import breaches
from console.chair.dose_plan import total_mg
from console.chair.exposure import Week
from console.clinic.patients import weight_is_stale
from console.domain.age import age_on
from console.domain.alert_rules import AlertRule
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.inputs import DoseIn
from console.domain.protocol import Protocol
from console.domain.vocab import Checklist, Contraindication, LabFinding, Method, OverrideRule, Route
from console.store.models import LabResult, Patient, TreatmentSession, VitalSigns

# The drug given at the chair by any name an allergy list may use, found inside any word ("Ketamine-
# HCl", "ketamineHCl", "S-ketamine", "ketamin"), in the scripts of the languages a record may be kept
# in (Japanese, Chinese, Korean, Arabic, Hebrew, Hindi), and by brand: hypersensitivity to esketamine
# or ketamine is a contraindication in the esketamine label, and either name blocks both.
DRUG_NAMES = re.compile(
    unicodedata.normalize(  # as the allergy text is read: decomposed (Hangul into its letters)
        "NFKD",
        r"ketamin|ketalar|ketanest|ketaset|ketaject|calypsol|vetalar|spravato"
        r"|ケタミン|氯胺酮|케타민|كيتامين|קטמין|केटामाइन|केटामीन",
    )
)
# Characters that hide a word without showing: a soft hyphen, zero-width spaces and joiners.
UNSEEN = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Cyrillic and Greek letters as Latin ones: a name pasted from another record (Latin "ketamine"
# with a Cyrillic e and a looks the same) or written in Russian or Greek; and digits or signs typed
# for the letters they look like ("k3tamine", "ket@mine").
LATIN = str.maketrans(
    "абвгдезийклмнопрстуфхцэыіјѕαβγδεζηθικλμνξοπρστυφχω3410@$",  # noqa: RUF001
    "abvgdeziiklmnoprstufhceyijsabgdeziqiklmnxoprstufxoeaioas",
)
# A name spelled out across spaces, hyphens or dots ("k-e-t-a-m-i-n-e", "keta mine"): short pieces
# one sign apart are read as one word; "brisket; amino acids" is not.
SPELLED_OUT = re.compile(r"(?<![^\W_])(?:[^\W\d_]{1,5}[ .\-_]){1,8}[^\W\d_]{1,5}(?![^\W_])")


def drug_named_in(allergies: str) -> str | None:
    """The name of the drug in the patient's allergy list, as found there; None if it names none.

    A false alarm costs a physician's override, a name missed costs a reaction: a name is also found
    spelled out or written with look-alike letters."""
    plain = unicodedata.normalize("NFKD", allergies.translate(UNSEEN))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    named = DRUG_NAMES.search(plain)
    if named is None:
        lookalike = plain.translate(LATIN)
        joined = SPELLED_OUT.sub(lambda m: re.sub(r"[ .\-_]", "", m.group(0)), lookalike)
        named = DRUG_NAMES.search(joined)
    return None if named is None else named.group(0)


HOLD_RULES = {AlertRule.BP_HOLD, AlertRule.RESP_RATE_HOLD}  # they hold the first dose until an override


def before_first_dose(
    treatment: TreatmentSession,
    readings: list[VitalSigns],
    overridden: set[OverrideRule],
    protocol: Protocol,
    ticked: Collection[str] = (),
) -> None:
    """Refuse the first dose while the screen is missing or positive, a pre-infusion item the
    protocol requires is not ticked (`ticked`: those that are), or a pre-dose hold stands."""
    if treatment.contraindications_screened_at is None:
        raise NotAllowed("record the contraindication screen (pre-assessment) before the first dose")
    missing = unticked_required(protocol, treatment.method, ticked)
    if missing and OverrideRule.CHECKLIST not in overridden:
        checklist = Checklist.PRE_INFUSION.label_for(treatment.method).lower()
        raise NotAllowed(
            f"{checklist} not ticked: {'; '.join(missing)} (pre-assessment); dosing waits until it "
            f"is, or a {protocol.override_roles.checklist} overrides the checklist with a reason"
        )
    found = [Contraindication(c).label for c in treatment.contraindications_found.split(",") if c]
    if found and OverrideRule.CONTRAINDICATION not in overridden:
        raise NotAllowed(
            f"contraindication found ({'; '.join(found)}): dosing is blocked until a "
            f"{protocol.override_roles.contraindication} records an override with a reason"
        )
    if readings and OverrideRule.PREDOSE_HOLD not in overridden:
        latest = max(readings, key=lambda r: (r.measured_at, r.id or 0))
        holds = [b for b in breaches(latest, protocol.thresholds, before_dose=True) if b.rule in HOLD_RULES]
        if holds:
            raise NotAllowed(
                f"pre-dose hold: {holds[0].message}; dosing is blocked until a "
                f"{protocol.override_roles.predose_hold} records an override with a reason"
            )


def not_pregnant(latest_test: LabResult | None, overridden: set[OverrideRule], protocol: Protocol) -> None:
    """The latest pregnancy test on record positive is a contraindication (ASRA/AAPM/ASA 2018; the
    esketamine label: embryo-fetal toxicity): every dose waits for a physician's override of the
    contraindication; a later negative test lifts it."""
    if latest_test is None or latest_test.finding != LabFinding.POSITIVE:
        return
    if OverrideRule.CONTRAINDICATION in overridden:
        return
    raise NotAllowed(
        f"a positive pregnancy test is on record (taken {latest_test.taken_on:%d %b %Y}): pregnancy is a "
        f"contraindication; dosing is blocked until a {protocol.override_roles.contraindication} "
        "overrides the contraindication with a reason"
    )


def unticked_required(protocol: Protocol, method: str, ticked: Collection[str]) -> list[str]:
    """The items the protocol requires before a dose by `method` that are not in `ticked`."""
    return [item for item in protocol.checklists.required_before_dose(method) if item not in ticked]


def for_this_patient(
    treatment: TreatmentSession,
    patient: Patient,
    rems_enrolled: bool,
    overridden: set[OverrideRule],
    protocol: Protocol,
) -> None:
    """Refuse any dose to a patient the protocol's age excludes, whose allergies name the drug (until
    a physician's override), or, for esketamine, with no REMS enrolment recorded for the session."""
    nasal = treatment.method == Method.NASAL
    youngest = protocol.nasal.min_age_years if nasal else protocol.iv.min_age_years
    age = age_on(patient.date_of_birth, treatment.clinic_date)
    if age < youngest:
        drug = "esketamine" if nasal else "IV ketamine"
        raise NotAllowed(f"the patient is {age}: the protocol gives {drug} from {youngest} years of age")
    named = drug_named_in(patient.allergies)
    if named and OverrideRule.ALLERGY not in overridden:
        raise NotAllowed(
            f"allergy recorded: {patient.allergies.strip()!r} names {named}; dosing is blocked "
            f"until a {protocol.override_roles.allergy} overrides the allergy with a reason"
        )
    if nasal and not rems_enrolled:
        raise NotAllowed("record the patient's REMS enrolment (pre-assessment) before an esketamine dose")


def weight_recent(patient: Patient, today: date, protocol: Protocol) -> float:
    """The weight for mg/kg, refused unless the protocol still trusts it."""
    if not patient.weight_kg or patient.weight_measured_on is None:
        raise InvalidInput("weight_kg", "Weight: record the patient's weight before dosing (mg/kg needs it).")
    if weight_is_stale(patient, today, protocol):
        age = (today - patient.weight_measured_on).days
        raise InvalidInput(
            "weight_kg",
            f"Weight: measured {age} days ago; record today's weight (the protocol accepts "
            f"{protocol.weight_max_age_days} days at most).",
        )
    return patient.weight_kg


def reconciled(dose: DoseIn, protocol: Protocol) -> None:
    """Every milligram drawn is accounted for: drawn = dose + wasted, within the protocol's tolerance.

    Whatever a screen sends: a record that leaves drug unaccounted for is never stored.
    """
    unaccounted = dose.drawn_mg - dose.dose_mg - dose.wasted_mg
    if unaccounted > protocol.reconciliation_tolerance_mg:
        waste = round(dose.drawn_mg - dose.dose_mg, 2)
        raise InvalidInput(
            "wasted_mg",
            f"Amount wasted: {dose.drawn_mg:g} mg drawn for a {dose.dose_mg:g} mg dose leaves {waste:g} mg "
            "to record as wasted, with a witness.",
        )


def amount_as_prescribed(dose: "DoseAmount", weight_kg: float, protocol: Protocol) -> None:
    """The dose is what its own figures give, as the screen works it out: rate x weight x time for
    an infusion, devices x strength for a nasal dose. A dose typed apart from its rate would let the
    rate and time say one thing and the record another."""
    iv = dose.route == Route.INTRAVENOUS
    method = Method.IV if iv else Method.NASAL
    expected = total_mg(
        method,
        weight_kg,
        protocol,
        rate=dose.rate_mg_per_kg_h,
        minutes=dose.planned_duration_min,
        devices=dose.device_count,
    )
    if expected is None or abs(dose.dose_mg - expected) <= AMOUNT_ROUNDING:
        return
    if iv:
        raise InvalidInput(
            "dose_mg",
            f"Dose: {dose.dose_mg:g} mg is not rate x weight x time ({dose.rate_mg_per_kg_h:g} mg/kg/h x "
            f"{weight_kg:g} kg x {dose.planned_duration_min} min = {expected:g} mg).",
        )
    raise InvalidInput(
        "dose_mg",
        f"Dose: {dose.dose_mg:g} mg is not {dose.device_count} device(s) of {protocol.nasal.device_mg:g} mg "
        f"({expected:g} mg).",
    )


AMOUNT_ROUNDING = 0.05 + 1e-9  # the screen rounds an infusion's dose to 0.1 mg


class DoseAmount(typing.Protocol):
    """What the range rules read of a dose: a dose being typed (`DoseIn`) or one stored."""

    @property
    def route(self) -> Route: ...
    @property
    def dose_mg(self) -> float: ...
    @property
    def rate_mg_per_kg_h(self) -> float | None: ...
    @property
    def planned_duration_min(self) -> int | None: ...
    @property
    def device_count(self) -> int | None: ...


@dataclass(frozen=True)
class NasalCourse:
    """What the label's dose steps read of a patient's esketamine course at a session."""

    previous_mg: float | None  # the total of their last earlier nasal session with a dose; None: the first
    age: int  # on the session's day


def out_of_range(
    dose: DoseAmount,
    protocol: Protocol,
    earlier_mg: float = 0,
    weight_kg: float | None = None,
    course: NasalCourse | None = None,
    week: Week | None = None,
) -> InvalidInput | None:
    """The refusal for a dose outside the protocol's range, or None when it is within.

    `earlier_mg`: the session's other doses: the caps are on the session's total (a re-dose counts);
    `weight_kg`: the weight mg/kg is worked from; `course`: for esketamine, the label's steps;
    `week`: the heaviest 7 days this dose falls in, the dose included (for the 7-day cap).
    """
    needed = f"a {protocol.override_roles.dose_range} override with a reason is needed to give it"
    refusal = _session_out_of_range(dose, protocol, earlier_mg, weight_kg, course, needed)
    if refusal is not None:
        return refusal
    iv = dose.route == Route.INTRAVENOUS
    cap = protocol.iv.max_mg_7_days if iv else protocol.nasal.max_mg_7_days
    if cap and week is not None and week.mg > cap + 0.01:
        field, name = ("dose_mg", "Dose") if iv else ("device_count", "Devices")
        return InvalidInput(
            field,
            f"{name}: {dose.dose_mg:g} mg makes {week.mg:g} mg in the 7 days ending {week.ending:%d %b %Y}, "
            f"above the protocol's {cap:g} mg in 7 days; {needed}.",
        )
    return None


def _session_out_of_range(
    dose: DoseAmount,
    protocol: Protocol,
    earlier_mg: float,
    weight_kg: float | None,
    course: NasalCourse | None,
    needed: str,
) -> InvalidInput | None:
    """The session's own limits: rate, duration, an allowed nasal dose, the label's steps, and the
    session's total in mg and mg/kg."""
    total = earlier_mg + dose.dose_mg
    with_earlier = f" with the {earlier_mg:g} mg given before in this session" if earlier_mg else ""
    if dose.route == Route.INTRAVENOUS:
        iv = protocol.iv
        rate = dose.rate_mg_per_kg_h or 0
        if not iv.rate_min_mg_per_kg_h <= rate <= iv.rate_max_mg_per_kg_h:
            return InvalidInput(
                "rate_mg_per_kg_h",
                f"Rate: {rate:g} mg/kg/h is outside the protocol's {iv.rate_min_mg_per_kg_h:g}-"
                f"{iv.rate_max_mg_per_kg_h:g} mg/kg/h; {needed}.",
            )
        minutes = dose.planned_duration_min or 0
        if not iv.min_duration_min <= minutes <= iv.max_duration_min:
            return InvalidInput(
                "planned_duration_min",
                f"Duration: {minutes} min is outside the protocol's {iv.min_duration_min}-"
                f"{iv.max_duration_min} min; {needed}.",
            )
        if total > iv.max_total_mg:
            return InvalidInput(
                "dose_mg",
                f"Dose: {dose.dose_mg:g} mg{with_earlier} makes {total:g} mg, above the protocol's "
                f"{iv.max_total_mg:g} mg for a session; {needed}.",
            )
        if weight_kg and total / weight_kg > iv.max_total_mg_per_kg + 1e-9:
            return InvalidInput(
                "dose_mg",
                f"Dose: {dose.dose_mg:g} mg{with_earlier} makes {total / weight_kg:.2f} mg/kg, above the "
                f"protocol's {iv.max_total_mg_per_kg:g} mg/kg for a session; {needed}.",
            )
        return None
    allowed = protocol.nasal.allowed_doses_mg
    if not any(abs(dose.dose_mg - mg) < 0.01 for mg in allowed):
        shown = " or ".join(f"{mg:g} mg" for mg in allowed)
        return InvalidInput(
            "device_count", f"Devices: {dose.dose_mg:g} mg is not an allowed nasal dose ({shown}); {needed}."
        )
    if total > max(allowed) + 0.01:
        return InvalidInput(
            "device_count",
            f"Devices: {dose.dose_mg:g} mg{with_earlier} makes {total:g} mg, above the protocol's "
            f"{max(allowed):g} mg for a session; {needed}.",
        )
    said = label_step_problem(total, course, protocol) if course is not None else None
    return None if said is None else InvalidInput("device_count", f"Devices: {said}; {needed}.")


ELDERLY_START_AGE = 65  # labels outside the US start esketamine at 28 mg from this age


def label_step_problem(total_mg: float, course: NasalCourse, protocol: Protocol) -> str | None:
    """Esketamine's label: the first session is 56 mg (28 mg from 65 where the protocol allows it),
    and the dose changes from one session to the next in steps of one device (28 mg)."""
    device = protocol.nasal.device_mg
    if course.previous_mg is None:
        starts = [56.0] + (
            [28.0] if course.age >= ELDERLY_START_AGE and 28 in protocol.nasal.allowed_doses_mg else []
        )
        if not any(abs(total_mg - mg) < 0.01 for mg in starts):
            shown = " or ".join(f"{mg:g} mg" for mg in starts)
            return f"{total_mg:g} mg to start esketamine; the label starts at {shown}"
    elif abs(total_mg - course.previous_mg) > device + 0.01:
        return (
            f"{total_mg:g} mg after {course.previous_mg:g} mg last session; the label changes the dose "
            f"by {device:g} mg at a time"
        )
    return None

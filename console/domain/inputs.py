"""Pydantic models for every value a person or a file can supply.

Each field's `title` names it for the user and its `description` says what is accepted, so a
refusal can always say both. `parse()` turns pydantic's errors into one `InvalidInput`. A service
takes its input model, or a mapping of raw values (as a screen or a file gives them) that it
validates into one with `parse()`.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)

from console.domain.ctcae import grade_scale, highest_grade, listed_as
from console.domain.errors import InvalidInput
from console.domain.questionnaires import check_items
from console.domain.vocab import (
    Contraindication,
    Drug,
    InfusionEventKind,
    Instrument,
    LabFinding,
    LabKind,
    Method,
    OverrideRule,
    PainKind,
    Role,
    Route,
    Sex,
    SideEffectType,
    SignatureMeaning,
)

SECRET: dict = {"secret": True}  # a field whose value a refusal never repeats


def _password(title: str) -> Any:
    """A password field: its rule, and a value no refusal ever repeats."""
    return Field(
        title=title,
        description="10 to 128 characters",
        min_length=10,
        max_length=128,
        json_schema_extra=SECRET,
    )


ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time with a time zone")
    return value


def _text(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("printable text")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Text = Annotated[str, AfterValidator(_text)]


class Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", frozen=True)


class PatientIn(Input):
    mrn: str = Field(
        title="MRN",
        description="3 to 20 letters, digits or dashes, as printed on the wristband",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,19}$",
    )
    family_name: Text = Field(
        title="Family name", description="1 to 80 characters", min_length=1, max_length=80
    )
    given_name: Text = Field(
        title="Given name", description="1 to 80 characters", min_length=1, max_length=80
    )
    date_of_birth: date = Field(title="Date of birth", description="a date (YYYY-MM-DD) from 1900 on")
    sex: Sex = Field(title="Sex", description="female, male, other or unknown")
    weight_kg: float | None = Field(
        default=None,
        title="Weight",
        description="kilograms, from 2 to 400",
        ge=2,
        le=400,
        allow_inf_nan=False,
    )
    weight_measured_on: date | None = Field(
        default=None, title="Weight measured on", description="the date the weight was measured"
    )
    allergies: Text = Field(default="", title="Allergies", description="up to 500 characters", max_length=500)
    diagnosis_code: str = Field(
        default="",
        title="Diagnosis code",
        description="an ICD-10 code such as G90.50",
        max_length=8,
    )
    diagnosis_label: Text = Field(
        default="", title="Diagnosis", description="up to 120 characters", max_length=120
    )
    contraindication_notes: Text = Field(
        default="",
        title="Contraindication notes",
        description="up to 1000 characters",
        max_length=1000,
    )

    @model_validator(mode="after")
    def _consistent(self) -> "PatientIn":
        if self.date_of_birth.year < 1900:
            raise InvalidInput("date_of_birth", "Date of birth: a date from 1900 on.")
        if self.diagnosis_code and not ICD10.match(self.diagnosis_code.upper()):
            raise InvalidInput("diagnosis_code", "Diagnosis code: an ICD-10 code such as G90.50.")
        if (self.weight_kg is None) != (self.weight_measured_on is None):
            raise InvalidInput(
                "weight_measured_on", "Weight measured on: give the weight and its date together."
            )
        return self


class WeightIn(Input):
    weight_kg: float = Field(
        title="Weight", description="kilograms, from 2 to 400", ge=2, le=400, allow_inf_nan=False
    )


class SessionIn(Input):
    patient_id: int = Field(title="Patient", description="an existing patient", ge=1)
    clinic_date: date = Field(title="Date", description="a date (YYYY-MM-DD)")
    scheduled_time: time = Field(title="Time", description="a time of day (HH:MM)")
    chair: str = Field(title="Chair", description="1 to 8 letters or digits", pattern=r"^[A-Za-z0-9]{1,8}$")
    method: Method = Field(title="Method", description="IV infusion or nasal spray")
    series_number: int | None = Field(
        default=None, title="Series position", description="a whole number from 1", ge=1, le=999
    )
    series_length: int | None = Field(
        default=None,
        title="Series length",
        description="a whole number from 1 (empty for maintenance)",
        ge=1,
        le=99,
    )
    notes: Text = Field(default="", title="Notes", description="up to 2000 characters", max_length=2000)

    @model_validator(mode="after")
    def _series(self) -> "SessionIn":
        if self.series_length is not None and (
            self.series_number is None or self.series_number > self.series_length
        ):
            raise InvalidInput("series_number", "Series position: from 1 up to the series length.")
        return self


class WitnessedWaste(Input):
    """Wasted drug and its witness, who types their own password or PIN (checked, never stored)."""

    witness: str | None = Field(
        default=None,
        title="Waste witness",
        description="the username of another nurse or physician who saw the drug wasted",
    )
    witness_secret: SecretStr | None = Field(
        default=None,
        exclude=True,  # checked, never stored, never dumped
        title="Witness password or PIN",
        description="the witness's own password or signing PIN, typed by the witness",
    )


class DoseIn(WitnessedWaste):
    route: Route = Field(title="Route", description="intravenous or nasal")
    drug: Drug = Field(title="Drug", description="ketamine or esketamine")
    dose_mg: float = Field(
        title="Dose",
        description="milligrams, more than 0 and at most 1000",
        gt=0,
        le=1000,
        allow_inf_nan=False,
    )
    rate_mg_per_kg_h: float | None = Field(
        default=None,
        title="Rate",
        description="mg/kg/h, more than 0 and at most 10",
        gt=0,
        le=10,
        allow_inf_nan=False,
    )
    planned_duration_min: int | None = Field(
        default=None, title="Planned duration", description="minutes, from 1 to 600", ge=1, le=600
    )
    device_count: int | None = Field(
        default=None, title="Devices", description="1, 2 or 3 nasal devices", ge=1, le=3
    )
    administered_at: AwareDatetime = Field(
        title="Given at", description="the date and time (with time zone) the dose was started"
    )
    lot_number: str = Field(
        title="Lot number",
        description="1 to 30 letters, digits or dashes",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/-]{0,29}$",
    )
    concentration_mg_per_ml: float = Field(
        title="Concentration",
        description="mg/mL, more than 0 and at most 500",
        gt=0,
        le=500,
        allow_inf_nan=False,
    )
    drawn_mg: float = Field(
        title="Amount drawn",
        description="milligrams, 0 to 2000",
        ge=0,
        le=2000,
        allow_inf_nan=False,
    )
    wasted_mg: float = Field(
        default=0,
        title="Amount wasted",
        description="milligrams, 0 to 2000",
        ge=0,
        le=2000,
        allow_inf_nan=False,
    )

    @model_validator(mode="after")
    def _route_fields(self) -> "DoseIn":
        drug = Drug.KETAMINE if self.route is Route.INTRAVENOUS else Drug.ESKETAMINE
        if self.drug is not drug:
            raise InvalidInput(
                "drug", f"Drug: {self.route.value} is {drug.value} here (got {self.drug.value})."
            )
        if self.route is Route.INTRAVENOUS and self.device_count is not None:
            raise InvalidInput("device_count", "Devices: only a nasal dose has devices.")
        if self.route is Route.NASAL and (self.rate_mg_per_kg_h, self.planned_duration_min) != (None, None):
            raise InvalidInput("rate_mg_per_kg_h", "Rate: a nasal dose has no rate or duration.")
        if self.route is Route.INTRAVENOUS:
            if self.rate_mg_per_kg_h is None:
                raise InvalidInput("rate_mg_per_kg_h", "Rate: an IV infusion needs a rate in mg/kg/h.")
            if self.planned_duration_min is None:
                raise InvalidInput(
                    "planned_duration_min",
                    "Planned duration: an IV infusion needs minutes, 1 to 600.",
                )
        elif self.device_count is None:
            raise InvalidInput("device_count", "Devices: a nasal dose needs 1, 2 or 3 devices.")
        if self.dose_mg + self.wasted_mg > self.drawn_mg + 0.05:
            needed = round(self.dose_mg + self.wasted_mg, 2)
            raise InvalidInput("drawn_mg", f"Amount drawn: at least the dose plus the waste ({needed:g} mg).")
        if self.wasted_mg > 0 and not self.witness:
            raise InvalidInput("witness", "Waste witness: wasted drug needs a witness (another user).")
        return self


class InfusionEventIn(WitnessedWaste):
    kind: InfusionEventKind = Field(title="Infusion event", description="pause, resume, rate_change or stop")
    at: AwareDatetime = Field(title="At", description="the date and time (with time zone) it happened")
    rate_mg_per_kg_h: float | None = Field(
        default=None,
        title="New rate",
        description="mg/kg/h, more than 0 and at most 10",
        gt=0,
        le=10,
        allow_inf_nan=False,
    )

    stop_reason: Text | None = Field(
        default=None,
        title="Reason for stopping",
        description="why the infusion stopped before the planned dose, up to 200 characters",
        max_length=200,
    )

    @model_validator(mode="after")
    def _rate_with_change(self) -> "InfusionEventIn":
        if (self.kind is InfusionEventKind.RATE_CHANGE) != (self.rate_mg_per_kg_h is not None):
            raise InvalidInput(
                "rate_mg_per_kg_h", "New rate: give a rate (mg/kg/h) with a rate change, and only then."
            )
        if self.kind is not InfusionEventKind.STOP and (self.stop_reason or self.witness):
            raise InvalidInput("stop_reason", "Reason for stopping: only a stop has one.")
        return self


class VitalsIn(Input):
    measured_at: AwareDatetime = Field(
        title="Measured at", description="the date and time (with time zone) the reading was taken"
    )
    systolic: int = Field(
        title="Systolic BP", description="mmHg, a whole number from 50 to 260", ge=50, le=260
    )
    diastolic: int = Field(
        title="Diastolic BP", description="mmHg, a whole number from 20 to 160", ge=20, le=160
    )
    heart_rate: int = Field(
        title="Heart rate", description="beats/min, a whole number from 20 to 250", ge=20, le=250
    )
    spo2: int = Field(title="SpO2", description="percent, a whole number from 50 to 100", ge=50, le=100)
    resp_rate: int = Field(
        title="Respiratory rate",
        description="breaths/min, a whole number from 4 to 60",
        ge=4,
        le=60,
    )
    temperature_c: float | None = Field(
        default=None,
        title="Temperature",
        description="degrees C, from 30 to 43",
        ge=30,
        le=43,
        allow_inf_nan=False,
    )
    moaas: int = Field(title="MOAA/S", description="sedation score, a whole number from 0 to 5", ge=0, le=5)

    @model_validator(mode="after")
    def _pressure(self) -> "VitalsIn":
        if self.diastolic >= self.systolic:
            raise InvalidInput("diastolic", "Diastolic BP: must be lower than systolic.")
        return self


class SideEffectIn(Input):
    effect: SideEffectType = Field(title="Side effect", description="one of the listed side effects")
    other_text: Text = Field(
        default="", title="Description", description="up to 200 characters", max_length=200
    )
    grade: int = Field(
        title="CTCAE grade",
        description="1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death",
        ge=1,
        le=5,
    )
    onset_at: AwareDatetime = Field(title="Onset", description="the date and time (with time zone) it began")
    action_taken: Text = Field(
        default="", title="Action taken", description="up to 200 characters", max_length=200
    )
    resolved_at: AwareDatetime | None = Field(
        default=None, title="Resolved at", description="a time after the onset"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "SideEffectIn":
        if self.effect is SideEffectType.OTHER and not self.other_text:
            raise InvalidInput("other_text", "Description: say what the other side effect is.")
        listed = listed_as(self.other_text) if self.effect is SideEffectType.OTHER else None
        if listed is not None:
            raise InvalidInput(
                "other_text",
                f"Description: {listed.label} is on the list: pick it there (grades {grade_scale(listed)}).",
            )
        if self.grade > highest_grade(self.effect):
            raise InvalidInput(
                "grade",
                f"CTCAE grade: {self.effect.label} has grades {grade_scale(self.effect)} (CTCAE v5.0).",
            )
        if self.resolved_at is not None and self.resolved_at < self.onset_at:
            raise InvalidInput("resolved_at", "Resolved at: must not be before the onset.")
        return self


class PainIn(Input):
    kind: PainKind = Field(title="Pain score kind", description="before, after or extra")
    score: int = Field(
        title="Pain (NRS)", description="a whole number from 0 (no pain) to 10 (worst)", ge=0, le=10
    )
    scored_at: AwareDatetime = Field(
        title="Scored at",
        description="the date and time (with time zone) the patient gave the score",
    )


class UserIn(Input):
    username: str = Field(
        title="Username",
        description="3 to 32 lower-case letters, digits, dots, dashes or underscores, starting with a letter",
        pattern=r"^[a-z][a-z0-9._-]{2,31}$",
    )
    display_name: Text = Field(title="Name", description="1 to 80 characters", min_length=1, max_length=80)
    role: Role = Field(title="Role", description="nurse, physician or admin")
    password: str = _password("Password")


class PasswordIn(Input):
    password: str = _password("New password")


class QueueDatesIn(Input):
    date_from: date | None = Field(default=None, title="From", description="a date (YYYY-MM-DD), or empty")
    date_to: date | None = Field(default=None, title="To", description="a date (YYYY-MM-DD) on or after From")

    @model_validator(mode="after")
    def _ordered(self) -> "QueueDatesIn":
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise InvalidInput("date_to", "To: a date on or after From.")
        return self


class OverrideIn(Input):
    rule: OverrideRule = Field(
        title="Rule",
        description="contraindication, allergy, checklist, predose_hold, dose_range or discharge",
    )
    reason: Text = Field(
        title="Reason",
        description="why the rule is set aside, 3 to 300 characters",
        min_length=3,
        max_length=300,
    )
    details: Text = Field(default="", title="Details", description="up to 200 characters", max_length=200)


class PinIn(Input):
    pin: str = Field(
        title="Signing PIN", description="4 to 8 digits", pattern=r"^[0-9]{4,8}$", json_schema_extra=SECRET
    )


class SignatureIn(Input):
    meaning: SignatureMeaning = Field(title="Meaning", description="reviewed or approved")


class AddendumIn(Input):
    reason: Text = Field(title="Reason", description="3 to 200 characters", min_length=3, max_length=200)
    text: Text = Field(title="Addendum", description="3 to 4000 characters", min_length=3, max_length=4000)


class ReturnIn(Input):
    comment: Text = Field(
        title="Comment", description="what to correct, 3 to 500 characters", min_length=3, max_length=500
    )


class ResubmitIn(Input):
    response: Text = Field(
        title="Response", description="what was corrected, 3 to 500 characters", min_length=3, max_length=500
    )


def _answer(title: str) -> Any:
    return Field(title=title, description="yes or no: taken now or recently")


class RemsQuestionsIn(Input):
    """The REMS form's enrolment and concomitant-medication questions, asked at pre-assessment."""

    enrolment_id: str = Field(
        title="REMS patient enrolment",
        description="the patient's REMS enrolment number, 1 to 20 letters, digits or dashes",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$",
    )
    benzodiazepines: bool = _answer("Benzodiazepines")
    sedative_hypnotics: bool = _answer("Non-benzodiazepine sedative-hypnotics")
    psychostimulants: bool = _answer("Psychostimulants")
    maois: bool = _answer("Monoamine oxidase inhibitors")
    opioids: bool = _answer("Opioids")


class RemsDevicesIn(Input):
    """The time each nasal device was used: the first, and the second and third when given."""

    device_1_at: AwareDatetime = Field(title="First device", description="the date and time it was used")
    device_2_at: AwareDatetime | None = Field(
        default=None, title="Second device", description="a time at or after the first device"
    )
    device_3_at: AwareDatetime | None = Field(
        default=None, title="Third device", description="a time at or after the second device"
    )

    @model_validator(mode="after")
    def _in_order(self) -> "RemsDevicesIn":
        if self.device_2_at is not None and self.device_2_at < self.device_1_at:
            raise InvalidInput("device_2_at", "Second device: at or after the first device.")
        if self.device_3_at is not None and (self.device_2_at is None or self.device_3_at < self.device_2_at):
            raise InvalidInput("device_3_at", "Third device: at or after the second device.")
        return self

    @property
    def times(self) -> list[datetime]:
        return [t for t in (self.device_1_at, self.device_2_at, self.device_3_at) if t is not None]


class RemsObservationsIn(Input):
    """Sedation, dissociation and respiratory depression: seen or not, when each began and when it
    resolved (once it has); and the minutes from the first device until the patient would have been
    ready to leave."""

    sedation: bool = Field(title="Sedation", description="yes or no")
    sedation_at: AwareDatetime | None = Field(
        default=None, title="Sedation seen at", description="when it began"
    )
    dissociation: bool = Field(title="Dissociation", description="yes or no")
    dissociation_at: AwareDatetime | None = Field(
        default=None, title="Dissociation seen at", description="when it began"
    )
    respiratory_depression: bool = Field(title="Respiratory depression", description="yes or no")
    respiratory_depression_at: AwareDatetime | None = Field(
        default=None, title="Respiratory depression seen at", description="when it began"
    )
    sedation_resolved_at: AwareDatetime | None = Field(
        default=None, title="Sedation resolved at", description="when it resolved, not before it began"
    )
    dissociation_resolved_at: AwareDatetime | None = Field(
        default=None, title="Dissociation resolved at", description="when it resolved, not before it began"
    )
    respiratory_depression_resolved_at: AwareDatetime | None = Field(
        default=None,
        title="Respiratory depression resolved at",
        description="when it resolved, not before it began",
    )
    ready_to_leave_min: int | None = Field(
        default=None,
        title="Ready to leave",
        description="whole minutes from the first device, 0 to 720",
        ge=0,
        le=720,
    )

    @model_validator(mode="after")
    def _timed(self) -> "RemsObservationsIn":
        for name in ("sedation", "dissociation", "respiratory_depression"):
            seen, at = getattr(self, name), getattr(self, f"{name}_at")
            title = type(self).model_fields[name].title
            if seen and at is None:
                raise InvalidInput(f"{name}_at", f"{title}: say when it was seen.")
            if not seen and at is not None:
                raise InvalidInput(f"{name}_at", f"{title}: a time only when it was seen.")
            resolved = getattr(self, f"{name}_resolved_at")
            if resolved is not None and (at is None or resolved < at):
                raise InvalidInput(
                    f"{name}_resolved_at", f"{title}: resolved only once seen, and not before it began."
                )
        return self


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: M | Mapping[str, object]) -> M:
    """`data` as a `model`: an instance as it is (validated when made); a mapping validated into
    one, or one InvalidInput naming the first bad field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(model, exc) from None


def given_values(data: BaseModel | Mapping[str, object]) -> dict[str, object]:
    """The values given, by field name: a mapping's items, or an input's fields (a secret too, as
    the input holds it), for a service that adds to them before it validates them."""
    return dict(data) if isinstance(data, Mapping) else dict(iter(data))


def refusal(model: type[BaseModel], exc: ValidationError) -> InvalidInput:
    """The first pydantic error as a message naming the field and what it accepts."""
    return refusals(model, exc)[0]


def refusals(model: type[BaseModel], exc: ValidationError) -> list[InvalidInput]:
    """Every pydantic error, one message per field, naming it and what it accepts."""
    found = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "record"
        info = model.model_fields.get(field)
        if info is None:
            found.append(InvalidInput(field, f"{field}: not a field of this record."))
            continue
        if error["type"] == "missing":
            found.append(InvalidInput(field, f"{info.title}: required; {info.description}."))
            continue
        got = error.get("input")
        shown = "nothing" if got is None or got == "" else repr(got)[:40]
        accepted = info.description
        if info.json_schema_extra == SECRET and got:
            shown = f"{len(str(got))} characters"  # a secret is never shown, not even a rejected one
        if error["type"] == "string_too_long":
            if "characters" not in (accepted or ""):
                accepted = f"{accepted}, at most {error['ctx']['max_length']} characters"
            shown = f"{len(str(got)):,} characters"
        found.append(InvalidInput(field, f"{info.title}: {accepted} (got {shown})."))
    return found


class QuestionnaireIn(Input):
    """One questionnaire's answers, in the form's order."""

    instrument: Instrument = Field(title="Questionnaire", description="peg, phq9 or gad7")
    items: tuple[int, ...] = Field(title="Answers", description="the form's answers in its order")

    @model_validator(mode="after")
    def _fit_instrument(self) -> "QuestionnaireIn":
        check_items(self.instrument, self.items)
        return self


class LabResultIn(Input):
    """One monitoring test as the clinic received it: liver values, or a finding, and the day the
    sample was taken (not in the future; checked against the clinic's day by the service)."""

    kind: LabKind = Field(title="Test", description="liver, urinary or pregnancy")
    taken_on: date = Field(title="Taken on", description="the day of the sample, as YYYY-MM-DD")
    alt_u_l: int | None = Field(None, title="ALT", description="U/L, 1 to 5000", ge=1, le=5000)
    ast_u_l: int | None = Field(None, title="AST", description="U/L, 1 to 5000", ge=1, le=5000)
    alp_u_l: int | None = Field(None, title="ALP", description="U/L, 1 to 5000", ge=1, le=5000)
    bilirubin_mg_dl: float | None = Field(
        None, title="Bilirubin", description="mg/dL, 0.1 to 30", ge=0.1, le=30, allow_inf_nan=False
    )
    finding: LabFinding | None = Field(None, title="Finding", description="what the screen or test found")

    @model_validator(mode="after")
    def _fits_kind(self) -> "LabResultIn":
        values = (self.alt_u_l, self.ast_u_l, self.alp_u_l, self.bilirubin_mg_dl)
        if self.kind == LabKind.LIVER:
            if None in values or self.finding is not None:
                raise InvalidInput(
                    "liver", "Liver tests: ALT, AST and ALP in U/L and bilirubin in mg/dL, all four."
                )
            return self
        if any(v is not None for v in values):
            raise InvalidInput("finding", f"{self.kind.label.capitalize()}: a finding, not liver values.")
        accepted = LAB_FINDINGS[self.kind]
        if self.finding not in accepted:
            raise InvalidInput(
                "finding", f"{self.kind.label.capitalize()}: {' or '.join(f.value for f in accepted)}."
            )
        return self


LAB_FINDINGS = {
    LabKind.URINARY: (LabFinding.NO_SYMPTOMS, LabFinding.SYMPTOMS),
    LabKind.PREGNANCY: (LabFinding.NEGATIVE, LabFinding.POSITIVE),
}


class MedicationsIn(Input):
    """A patient's current medications and the history that matters for ketamine."""

    medications: Text = Field(
        default="",
        title="Medications",
        description="up to 1000 characters, each medicine with its dose, ';'-separated",
        max_length=1000,
    )
    relevant_history: tuple[Contraindication, ...] = Field(
        default=(), title="Relevant history", description="known conditions among the screen's items"
    )

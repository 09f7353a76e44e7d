"""The clinic protocol: every clinical number the console enforces, from a TOML file.

Defaults come from the clinical reference (ASRA/AAPM/ASA 2018 for IV ketamine, the esketamine
REMS for nasal spray); a clinic changes them in its protocol file, never in code. `load_protocol`
turns any problem into one ConfigurationError naming the key.
"""

import hashlib
import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from console.domain.errors import ConfigurationError
from console.domain.toml_text import read_toml
from console.domain.vocab import Checklist, Method, Role


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertThresholds(_Section):
    """A reading past one of these raises an alert that must be acknowledged."""

    systolic_hold: int = Field(180, ge=100, le=200, description="SBP at or above this holds dosing (mmHg)")
    diastolic_hold: int = Field(110, ge=60, le=120, description="DBP at or above this holds dosing (mmHg)")
    systolic_predose_warn: int = Field(
        140, ge=100, le=260, description="pre-dose SBP above this warns (mmHg)"
    )
    diastolic_predose_warn: int = Field(90, ge=50, le=160, description="pre-dose DBP above this warns (mmHg)")
    systolic_rise_mmhg: int = Field(
        40, ge=10, le=60, description="SBP this far above the session's first reading warns (mmHg)"
    )
    systolic_rise_percent: int = Field(
        30, ge=5, le=50, description="SBP this many % above the session's first reading warns"
    )
    spo2_low: int = Field(92, ge=85, le=100, description="SpO2 below this alerts (%)")
    heart_rate_low: int = Field(50, ge=40, le=100, description="HR below this alerts (/min)")
    heart_rate_high: int = Field(120, ge=60, le=150, description="HR above this alerts (/min)")
    moaas_low: int = Field(2, ge=1, le=5, description="MOAA/S at or below this alerts")
    resp_rate_low: int = Field(10, ge=8, le=16, description="respiratory rate below this warns (/min)")
    resp_rate_hold: int = Field(
        8, ge=6, le=12, description="respiratory rate below this holds dosing and calls the physician (/min)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> "AlertThresholds":
        if self.heart_rate_low >= self.heart_rate_high:
            raise ValueError("heart_rate_low must be below heart_rate_high")
        if self.systolic_hold <= self.systolic_predose_warn:
            raise ValueError("systolic_hold must be above systolic_predose_warn (a hold below the warning)")
        if self.diastolic_hold <= self.diastolic_predose_warn:
            raise ValueError("diastolic_hold must be above diastolic_predose_warn (a hold below the warning)")
        if self.resp_rate_hold >= self.resp_rate_low:
            raise ValueError("resp_rate_hold must be below resp_rate_low (a hold above the warning)")
        return self


class IVRules(_Section):
    min_age_years: int = Field(18, ge=12, le=30, description="the youngest patient given IV ketamine (years)")
    vitals_interval_min: int = Field(15, ge=1, le=15, description="minutes between readings during infusion")
    rate_min_mg_per_kg_h: float = Field(0.5, gt=0, le=10, description="lowest infusion rate without override")
    rate_max_mg_per_kg_h: float = Field(
        2.0, gt=0, le=10, description="highest infusion rate without override"
    )
    max_total_mg: float = Field(
        400, gt=0, le=1000, description="largest total of a session's doses without override (mg)"
    )
    max_total_mg_per_kg: float = Field(
        8, gt=0, le=20, description="largest total of a session's doses without override (mg/kg)"
    )
    min_duration_min: int = Field(30, ge=5, le=240, description="shortest planned infusion without override")
    max_duration_min: int = Field(240, ge=30, le=720, description="longest planned infusion without override")
    observation_min: int = Field(
        30, ge=15, le=600, description="observation after dosing ends, before discharge"
    )
    max_mg_7_days: float = Field(
        0, ge=0, le=5000, description="largest total over 7 days without override (mg; 0: no cap)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> "IVRules":
        if self.rate_min_mg_per_kg_h > self.rate_max_mg_per_kg_h:
            raise ValueError("rate_min_mg_per_kg_h must not be above rate_max_mg_per_kg_h")
        if self.min_duration_min > self.max_duration_min:
            raise ValueError("min_duration_min must not be above max_duration_min")
        return self


LABELLED_NASAL_DOSES_MG = (28, 56, 84)  # Spravato label, in 28 mg devices


class NasalRules(_Section):
    min_age_years: int = Field(
        18, ge=18, le=30, description="the youngest patient given esketamine (label: adults)"
    )
    device_mg: float = Field(28, ge=28, le=28, description="esketamine per device (mg; the label's device)")
    allowed_doses_mg: list[float] = Field(
        [56, 84], min_length=1, description="doses allowed without override"
    )
    vitals_at_min: list[int] = Field([40], description="minutes after dosing when a reading is due")
    observation_min: int = Field(120, ge=120, le=600, description="observation after the first device")
    max_mg_7_days: float = Field(
        0,
        ge=0,
        le=168,
        description="largest total over 7 days without override (mg; 0: no cap; label: 84 mg twice a week)",
    )

    @model_validator(mode="after")
    def _as_labelled(self) -> "NasalRules":
        if any(dose not in LABELLED_NASAL_DOSES_MG for dose in self.allowed_doses_mg):
            raise ValueError(
                "allowed_doses_mg: the label's doses are 56 and 84 mg, and 28 mg from 65 years outside"
                " the US (accepted: 28, 56, 84)"
            )
        if any(not 1 <= minute <= self.observation_min for minute in self.vitals_at_min):
            raise ValueError(
                "vitals_at_min: each time within the observation (accepted: 1 to observation_min)"
            )
        if not any(35 <= minute <= 45 for minute in self.vitals_at_min):
            raise ValueError(
                "vitals_at_min: the REMS form asks for blood pressure about 40 minutes after the dose"
                " (accepted: a list with a time from 35 to 45)"
            )
        return self


class DischargeCriteria(_Section):
    moaas: int = Field(5, ge=4, le=5, description="MOAA/S of the latest reading")
    latest_vitals_max_age_min: int = Field(
        30, ge=1, le=60, description="the latest reading is at most this old (minutes)"
    )
    require_post_pain: bool = Field(True, description="pain after the session is recorded")
    require_escort: bool = Field(True, description="an escort or driver is confirmed")


class OverrideRoles(_Section):
    """Who may record an override of each rule, with a reason: each is a safety rule, so a physician
    (a file may say so; it may not name anyone else)."""

    contraindication: Role = Role.PHYSICIAN
    allergy: Role = Role.PHYSICIAN
    checklist: Role = Role.PHYSICIAN
    predose_hold: Role = Role.PHYSICIAN
    dose_range: Role = Role.PHYSICIAN
    discharge: Role = Role.PHYSICIAN

    @model_validator(mode="after")
    def _physicians_only(self) -> "OverrideRoles":
        for rule, role in self:
            if role is not Role.PHYSICIAN:
                raise ValueError(
                    f"{rule}: only a physician may set a safety rule aside (accepted: physician)"
                )
        return self


class BillingCodes(_Section):
    """The codes billing.csv reports and their time rules: the clinic keeps them current (CPT and
    HCPCS change every year); the defaults are those of the clinical reference."""

    iv_first_hour: str = Field(
        "96365", min_length=1, max_length=10, description="IV infusion, first hour (CPT)"
    )
    iv_first_hour_from_min: int = Field(
        16, ge=1, le=60, description="the shortest infusion billed as a first hour (minutes)"
    )
    iv_each_additional_hour: str = Field(
        "96366", min_length=1, max_length=10, description="IV infusion, each additional hour (CPT)"
    )
    iv_additional_hour_over_min: int = Field(
        30, ge=1, le=59, description="minutes past the last full hour that count as one more hour"
    )
    ketamine: str = Field(
        "J3490", min_length=1, max_length=10, description="ketamine, billed with its NDC (HCPCS)"
    )
    ketamine_ndc: str = Field("", max_length=13, description="the NDC of the clinic's ketamine vials")
    nasal_up_to_56_mg: str = Field(
        "G2082",
        min_length=1,
        max_length=10,
        description="esketamine up to 56 mg with 2 h observation (HCPCS)",
    )
    nasal_over_56_mg: str = Field(
        "G2083", min_length=1, max_length=10, description="esketamine over 56 mg with 2 h observation (HCPCS)"
    )
    esketamine_ndc_56_mg: str = Field("50458-028-02", max_length=13, description="the 56 mg kit's NDC")
    esketamine_ndc_84_mg: str = Field("50458-028-03", max_length=13, description="the 84 mg kit's NDC")


class Questionnaires(_Section):
    """When mood is measured: PHQ-9 and GAD-7 at a series' first and last session (an esketamine
    series: at least every other session), and in maintenance every so many weeks (PEG is asked at
    every pre-assessment)."""

    mood_every_weeks: int = Field(
        4, ge=1, le=52, description="in maintenance, PHQ-9 and GAD-7 are due this many weeks after the last"
    )
    nasal_series_every: int = Field(
        2,
        ge=1,
        le=2,
        description="nasal esketamine series: PHQ-9 and GAD-7 at least every this many sessions (every "
        "other at most: the response is judged at the end of induction)",
    )


class SeriesPlan(_Section):
    """The plan the console proposes the next appointment from: an initial series, then maintenance."""

    iv_series_sessions: int = Field(6, ge=1, le=20, description="IV infusions in an initial series")
    nasal_series_sessions: int = Field(8, ge=1, le=20, description="nasal sessions in an initial series")
    series_every_days: int = Field(
        3, ge=1, le=14, description="days from one IV session of a series to the next"
    )
    maintenance_every_weeks: int = Field(
        4, ge=1, le=26, description="weeks from one IV maintenance session to the next"
    )
    # Esketamine by its label: induction twice a week, then weekly (weeks 5-8), then weekly or every
    # two weeks at the lowest frequency that keeps the response.
    nasal_series_every_days: int = Field(
        3, ge=3, le=4, description="days from one esketamine induction session to the next (twice a week)"
    )
    nasal_maintenance_every_weeks: int = Field(
        1, ge=1, le=2, description="weeks from one esketamine session to the next after induction (1 or 2)"
    )


class LabMonitoring(_Section):
    """Tests repeated at an interval once a patient doses often: liver tests (liver injury after
    repeated ketamine, Cotter et al. 2021), a urinary symptom screen (ketamine uropathy, Anderson et
    al. 2022) and, where the patient can become pregnant, a dated pregnancy test. The board and the
    session header say when one is overdue; 0 days: the clinic does not ask for that test."""

    from_doses: int = Field(
        6,
        ge=1,
        le=100,
        description="the tests are due once the patient has had this many doses (frequent use)",
    )
    liver_tests_every_days: int = Field(
        90, ge=0, le=365, description="liver tests (ALT, AST, ALP, bilirubin)"
    )
    urinary_screen_every_days: int = Field(30, ge=0, le=365, description="urinary symptom screen")
    pregnancy_test_every_days: int = Field(
        0, ge=0, le=90, description="dated pregnancy test (female patients of the ages below)"
    )
    pregnancy_test_ages: tuple[int, int] = Field(
        (12, 55), description="the ages (years, inclusive) a pregnancy test is asked at"
    )
    alt_upper_u_l: float = Field(40, gt=0, le=200, description="ALT above this is flagged (U/L)")
    ast_upper_u_l: float = Field(40, gt=0, le=200, description="AST above this is flagged (U/L)")
    alp_upper_u_l: float = Field(120, gt=0, le=500, description="ALP above this is flagged (U/L)")
    bilirubin_upper_mg_dl: float = Field(
        1.2, gt=0, le=5, description="bilirubin above this is flagged (mg/dL)"
    )

    @model_validator(mode="after")
    def _ages_in_order(self) -> "LabMonitoring":
        low, high = self.pregnancy_test_ages
        if not 10 <= low <= high <= 60:
            raise ValueError("pregnancy_test_ages: two ages from 10 to 60, the first not above the second")
        return self

    def every_days(self, kind: str) -> int:
        return {
            "liver": self.liver_tests_every_days,
            "urinary": self.urinary_screen_every_days,
            "pregnancy": self.pregnancy_test_every_days,
        }[kind]


ChecklistItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


# Items ticked before any dose unless the protocol says otherwise: an infusion's, and a nasal
# session's (the esketamine label: no food for 2 hours and no drink for 30 minutes before).
REQUIRED_BY_DEFAULT = (
    "Fasting as instructed (no solid food for 6 hours)",
    "Pregnancy test negative, where it applies",
)
NASAL_REQUIRED_BY_DEFAULT = (
    "No food for 2 hours before the dose",
    "No drink for 30 minutes before the dose",
    "Pregnancy test negative, where it applies",
)
_BEFORE_DOSE = ("pre_infusion", "pre_nasal")  # each list before the first dose has its `_required` list


class Checklists(_Section):
    """What is checked before the first dose (an infusion's list, a nasal session's list) and before
    the patient leaves: the clinic's own items (an empty list: no checklist). Every discharge item
    is ticked before discharge."""

    pre_infusion: list[ChecklistItem] = Field(
        [
            "Fasting as instructed (no solid food for 6 hours)",
            "Pregnancy test negative, where it applies",
            "IV site and cannula gauge checked",
        ],
        max_length=12,
        description="checked before the first dose",
    )
    pre_infusion_required: list[ChecklistItem] = Field(
        list(REQUIRED_BY_DEFAULT),
        max_length=12,
        description="pre-infusion items ticked before any dose is stored (else a contraindication override)",
    )
    pre_nasal: list[ChecklistItem] = Field(
        [
            *NASAL_REQUIRED_BY_DEFAULT,
            "Nasal corticosteroid or decongestant, if used, at least 1 hour before",
        ],
        max_length=12,
        description="checked before the first nasal (esketamine) dose; no IV cannula",
    )
    pre_nasal_required: list[ChecklistItem] = Field(
        list(NASAL_REQUIRED_BY_DEFAULT),
        max_length=12,
        description="pre_nasal items ticked before a nasal dose is stored (else a contraindication override)",
    )
    discharge: list[ChecklistItem] = Field(
        [
            "Oriented to time, place and person",
            "Walks steadily without help",
            "Escort present to take the patient home",
        ],
        max_length=12,
        description="checked before the patient leaves",
    )

    @model_validator(mode="before")
    @classmethod
    def _required_by_default(cls, data: object) -> object:
        """Left out: the default's required items that the clinic's own list has (a clinic that
        wrote its own items before the `_required` key existed keeps a protocol that loads)."""
        if isinstance(data, dict) and "pre_infusion" in data and "pre_infusion_required" not in data:
            listed = data["pre_infusion"] if isinstance(data["pre_infusion"], list) else []
            return data | {"pre_infusion_required": [i for i in REQUIRED_BY_DEFAULT if i in listed]}
        return data  # pre_nasal is newer than any clinic's file: its required items are always said

    @model_validator(mode="after")
    def _distinct(self) -> "Checklists":
        for name in (*_BEFORE_DOSE, "discharge"):
            items = getattr(self, name)
            if len(set(items)) != len(items):
                raise ValueError(f"{name}: each item once")
        for name in _BEFORE_DOSE:
            unknown = [item for item in getattr(self, f"{name}_required") if item not in getattr(self, name)]
            if unknown:
                raise ValueError(
                    f"{name}_required: {unknown[0]!r} is not in {name} (accepted: its items, the ones "
                    "ticked before any dose; [] for none)"
                )
        return self

    def before_dose(self, method: str) -> list[str]:
        """The items checked before the first dose of a session given by `method`."""
        return list(self.pre_nasal if method == Method.NASAL else self.pre_infusion)

    def required_before_dose(self, method: str) -> list[str]:
        """The items of `before_dose` ticked before any dose is stored."""
        return list(self.pre_nasal_required if method == Method.NASAL else self.pre_infusion_required)

    def items_of(self, checklist: str, method: str) -> list[str]:
        return self.before_dose(method) if checklist == Checklist.PRE_INFUSION else list(self.discharge)


DEFAULT_VERSION = "default-2026.12"


class Protocol(_Section):
    version: str = Field(DEFAULT_VERSION, min_length=1, max_length=40, description="stored with each session")
    weight_max_age_days: int = Field(30, ge=0, le=365, description="mg/kg only from a weight this recent")
    weight_change_confirm_percent: float = Field(
        10, ge=1, le=100, description="a weight this far (in %) from the last one is entered twice"
    )
    reconciliation_tolerance_mg: float = Field(
        0.5, ge=0, le=1, description="drawn = given + wasted within this many mg (rounding, not waste)"
    )
    overdue_after_min: int = Field(5, ge=0, le=60, description="a reading this late raises an overdue alert")
    recheck_after_alert_min: int = Field(
        5,
        ge=1,
        le=60,
        description="after a reading past a hold or warning threshold, the next is due this soon",
    )
    overdue_bell: bool = Field(False, description="ring the terminal bell when a reading becomes overdue")
    thresholds: AlertThresholds = AlertThresholds()
    iv: IVRules = IVRules()
    nasal: NasalRules = NasalRules()
    discharge: DischargeCriteria = DischargeCriteria()
    override_roles: OverrideRoles = OverrideRoles()
    billing: BillingCodes = BillingCodes()
    questionnaires: Questionnaires = Questionnaires()
    series: SeriesPlan = SeriesPlan()
    checklists: Checklists = Checklists()
    lab_monitoring: LabMonitoring = LabMonitoring()


def load_protocol(path: Path | None) -> Protocol:
    """The protocol in `path`, over the defaults; none given: the defaults alone."""
    if path is None:
        return Protocol()
    data = read_toml(path, "protocol file")
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "protocol"
        raise ConfigurationError(f"protocol {path}: {key}: {error['msg']}") from None
    problem = own_version_problem(protocol)
    if problem:
        raise ConfigurationError(f"protocol {path}: version: {problem}")
    return protocol


def own_version_problem(protocol: Protocol) -> str:
    """Why the protocol's version cannot name it, or "": the defaults' name is the defaults' alone."""
    if protocol.version == DEFAULT_VERSION and protocol != Protocol():
        return (
            f"the clinic's own values need the clinic's own version (not {DEFAULT_VERSION}): "
            "each session stores it"
        )
    return ""


def protocol_json(protocol: Protocol) -> str:
    """Every value, defaults merged, as canonical JSON: what a stored protocol is and is hashed from."""
    values = protocol.model_dump(mode="json")
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_sha256(protocol: Protocol) -> str:
    return hashlib.sha256(protocol_json(protocol).encode()).hexdigest()


def describe(protocol: Protocol) -> str:
    """The effective protocol as TOML, defaults merged, for `chairside protocol check`."""
    lines = []

    def section(name: str, model: BaseModel) -> None:
        simple = {k: v for k, v in model.model_dump(mode="json").items() if not isinstance(v, dict)}
        if name:
            lines.append(f"\n[{name}]")
        for key, value in simple.items():
            lines.append(f"{key} = {_toml(value)}")
        for key in type(model).model_fields:
            child = getattr(model, key)
            if isinstance(child, BaseModel):
                section(f"{name}.{key}" if name else key, child)

    section("", protocol)
    return "\n".join(lines).strip() + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)

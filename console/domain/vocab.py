"""Controlled vocabularies: the closed sets of words the clinical record may use."""

from enum import StrEnum


class Method(StrEnum):
    IV = "iv_infusion"
    NASAL = "nasal_spray"

    @property
    def label(self) -> str:
        return {"iv_infusion": "IV infusion", "nasal_spray": "Nasal spray"}[self.value]


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    IN_TREATMENT = "in_treatment"
    OBSERVATION = "observation"
    DISCHARGED = "discharged"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Role(StrEnum):
    NURSE = "nurse"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class OverrideRule(StrEnum):
    """The protocol rules a person with the protocol's override role may set aside, with a reason."""

    CONTRAINDICATION = "contraindication"
    ALLERGY = "allergy"
    CHECKLIST = "checklist"
    PREDOSE_HOLD = "predose_hold"
    DOSE_RANGE = "dose_range"
    DISCHARGE = "discharge"

    @property
    def label(self) -> str:
        return OVERRIDE_LABELS[self]


OVERRIDE_LABELS = {
    OverrideRule.CONTRAINDICATION: "Dose despite a contraindication",
    OverrideRule.ALLERGY: "Dose despite an allergy naming the drug",
    OverrideRule.CHECKLIST: "Dose before the required pre-dose checklist",
    OverrideRule.PREDOSE_HOLD: "Dose despite a pre-dose hold",
    OverrideRule.DOSE_RANGE: "Dose outside the protocol range",
    OverrideRule.DISCHARGE: "Discharge before the criteria hold",
}


class SignatureMeaning(StrEnum):
    """What the physician's signature on a session means (21 CFR 11.50: shown with every signature)."""

    REVIEWED = "reviewed"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class InductionDecision(StrEnum):
    """The physician's decision at the end of an initial series, on the response seen."""

    MAINTENANCE = "maintenance"  # a response: maintenance sessions follow
    STOP = "stop"  # no response worth the treatment: no maintenance is proposed


class LabKind(StrEnum):
    """The tests a clinic that doses often repeats at an interval (clinical reference: repeated
    ketamine and liver injury, Cotter et al., Drug Saf 2021; ketamine uropathy, Anderson et al.
    2022)."""

    LIVER = "liver"  # ALT, AST, ALP, bilirubin
    URINARY = "urinary"  # a lower-urinary-tract symptom screen
    PREGNANCY = "pregnancy"

    @property
    def label(self) -> str:
        return {"liver": "liver tests", "urinary": "urinary symptom screen", "pregnancy": "pregnancy test"}[
            self.value
        ]


class LabFinding(StrEnum):
    """What a urinary screen or a pregnancy test found (liver tests carry their values instead)."""

    NO_SYMPTOMS = "no_symptoms"
    SYMPTOMS = "symptoms"
    NEGATIVE = "negative"
    POSITIVE = "positive"


class Drug(StrEnum):
    KETAMINE = "ketamine"
    ESKETAMINE = "esketamine"


class Route(StrEnum):
    INTRAVENOUS = "intravenous"
    NASAL = "nasal"


class PainKind(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    EXTRA = "extra"


class Instrument(StrEnum):
    """The questionnaires asked at the chair: function (PEG) and mood (PHQ-9, GAD-7)."""

    PEG = "peg"
    PHQ9 = "phq9"
    GAD7 = "gad7"

    @property
    def label(self) -> str:
        return {"peg": "PEG", "phq9": "PHQ-9", "gad7": "GAD-7"}[self.value]


class Checklist(StrEnum):
    """The protocol's checklists ticked at the chair."""

    PRE_INFUSION = "pre_infusion"
    DISCHARGE = "discharge"

    @property
    def label(self) -> str:
        return {"pre_infusion": "Pre-infusion checklist", "discharge": "Discharge checklist"}[self.value]

    def label_for(self, method: str) -> str:
        """A nasal session has no infusion: its list before the dose is the pre-dose checklist."""
        nasal_first = self == Checklist.PRE_INFUSION and method == Method.NASAL
        return "Pre-dose checklist" if nasal_first else self.label


class InfusionEventKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    RATE_CHANGE = "rate_change"
    STOP = "stop"


class SideEffectType(StrEnum):
    NAUSEA = "nausea"
    VOMITING = "vomiting"
    DIZZINESS = "dizziness"
    DISSOCIATION = "dissociation"
    EMERGENCE_REACTION = "emergence_reaction"
    SEDATION = "sedation"
    RAISED_BP = "raised_bp"
    TACHYCARDIA = "tachycardia"
    HEADACHE = "headache"
    BLURRED_VISION = "blurred_vision"
    ANXIETY = "anxiety"
    HYPERSALIVATION = "hypersalivation"
    RESPIRATORY_DEPRESSION = "respiratory_depression"
    DYSGEUSIA = "dysgeusia"
    VERTIGO = "vertigo"
    PARAESTHESIA = "paraesthesia"
    NASAL_DISCOMFORT = "nasal_discomfort"
    URINARY_SYMPTOMS = "urinary_symptoms"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SIDE_EFFECT_LABELS[self]


SIDE_EFFECT_LABELS = {
    SideEffectType.NAUSEA: "Nausea",
    SideEffectType.VOMITING: "Vomiting",
    SideEffectType.DIZZINESS: "Dizziness",
    SideEffectType.DISSOCIATION: "Dissociation",
    SideEffectType.EMERGENCE_REACTION: "Hallucinations / emergence reaction",
    SideEffectType.SEDATION: "Sedation",
    SideEffectType.RAISED_BP: "Raised blood pressure",
    SideEffectType.TACHYCARDIA: "Tachycardia",
    SideEffectType.HEADACHE: "Headache",
    SideEffectType.BLURRED_VISION: "Blurred vision / diplopia",
    SideEffectType.ANXIETY: "Anxiety / agitation",
    SideEffectType.HYPERSALIVATION: "Hypersalivation",
    SideEffectType.RESPIRATORY_DEPRESSION: "Respiratory depression",
    SideEffectType.DYSGEUSIA: "Dysgeusia (altered taste)",
    SideEffectType.VERTIGO: "Vertigo",
    SideEffectType.PARAESTHESIA: "Paraesthesia (tingling, numbness)",
    SideEffectType.NASAL_DISCOMFORT: "Nasal discomfort",
    SideEffectType.URINARY_SYMPTOMS: "Urinary symptoms / cystitis",
    SideEffectType.OTHER: "Other",
}


class Contraindication(StrEnum):
    """Contraindications screened before the first dose: the ASRA/AAPM/ASA guideline's relative
    ones, hypersensitivity, and the esketamine label's own."""

    PREGNANCY = "pregnancy"
    CARDIOVASCULAR = "cardiovascular"
    PSYCHOSIS = "psychosis"
    HEPATIC = "hepatic"
    RAISED_PRESSURE = "raised_pressure"
    SUBSTANCE_MISUSE = "substance_misuse"
    HYPERSENSITIVITY = "hypersensitivity"
    ANEURYSM_OR_AVM = "aneurysm_or_avm"
    INTRACEREBRAL_HAEMORRHAGE = "intracerebral_haemorrhage"

    @property
    def label(self) -> str:
        return CONTRAINDICATION_LABELS[self]


CONTRAINDICATION_LABELS = {
    Contraindication.PREGNANCY: "Pregnancy",
    Contraindication.CARDIOVASCULAR: "Poorly controlled cardiovascular disease / uncontrolled hypertension",
    Contraindication.PSYCHOSIS: "Active psychosis",
    Contraindication.HEPATIC: "Severe hepatic disease",
    Contraindication.RAISED_PRESSURE: "Raised intracranial or intra-ocular pressure",
    Contraindication.SUBSTANCE_MISUSE: "Active substance misuse",
    Contraindication.HYPERSENSITIVITY: "Hypersensitivity to ketamine, esketamine or an excipient",
    Contraindication.ANEURYSM_OR_AVM: "Aneurysmal vascular disease or arteriovenous malformation",
    Contraindication.INTRACEREBRAL_HAEMORRHAGE: "History of intracerebral haemorrhage",
}
# The esketamine label's own contraindications, asked at a nasal session's screen only.
LABEL_ONLY = frozenset({Contraindication.ANEURYSM_OR_AVM, Contraindication.INTRACEREBRAL_HAEMORRHAGE})


def screened_for(method: Method) -> list[Contraindication]:
    """The contraindications a session's screen asks about, by its method."""
    return [c for c in Contraindication if method == Method.NASAL or c not in LABEL_ONLY]


# Roles allowed to write clinical data (admins manage users only).
CLINICAL_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})


def sql_in(column: str, enum: type[StrEnum]) -> str:
    """A CHECK expression that keeps `column` inside the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"

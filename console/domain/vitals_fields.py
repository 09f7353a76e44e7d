"""The vital signs of a reading: one table that the export's dictionary, the FHIR bundle and the
flowsheet read.

The table `vital_signs` (console.store.models) and the input `VitalsIn` (console.domain.inputs)
declare each field too, as a database and pydantic need; a test holds their bounds equal to these.
"""

from typing import NamedTuple


class Coding(NamedTuple):
    code: str  # LOINC
    display: str


class VitalsField(NamedTuple):
    name: str  # the column of vital_signs and of vitals.csv, the field of VitalsIn
    label: str  # what it is, in the data dictionary's words
    unit: str  # as people read it (the data dictionary)
    low: float  # the lowest value accepted
    high: float  # the highest value accepted
    whole: bool  # a whole number; else a decimal
    heading: str  # the flowsheet column it is shown in: fields sharing one are joined with "/"
    width: int  # that column's width in characters
    loinc: tuple[Coding, ...]  # its FHIR codes, its own first; none: a score of the clinic's own
    ucum: str  # its FHIR unit (UCUM); "" for a score
    profile: str  # the US Core profile of its own FHIR observation; "" when it has none


# Every field, in the order vitals.csv and the flowsheet show them.
VITALS_FIELDS: tuple[VitalsField, ...] = (
    VitalsField(
        name="systolic",
        label="systolic blood pressure",
        unit="mmHg",
        low=50,
        high=260,
        whole=True,
        heading="BP",
        width=8,
        loinc=(Coding("8480-6", "Systolic blood pressure"),),
        ucum="mm[Hg]",
        profile="",  # a component of the blood pressure panel (console.export.fhir)
    ),
    VitalsField(
        name="diastolic",
        label="diastolic blood pressure",
        unit="mmHg",
        low=20,
        high=160,
        whole=True,
        heading="BP",
        width=8,
        loinc=(Coding("8462-4", "Diastolic blood pressure"),),
        ucum="mm[Hg]",
        profile="",  # a component of the blood pressure panel (console.export.fhir)
    ),
    VitalsField(
        name="heart_rate",
        label="heart rate",
        unit="/min",
        low=20,
        high=250,
        whole=True,
        heading="HR",
        width=4,
        loinc=(Coding("8867-4", "Heart rate"),),
        ucum="/min",
        profile="us-core-heart-rate",
    ),
    VitalsField(
        name="spo2",
        label="oxygen saturation by pulse oximetry",
        unit="%",
        low=50,
        high=100,
        whole=True,
        heading="SpO2",
        width=5,
        # US Core's pulse oximetry profile wants SpO2 coded 2708-6 as well.
        loinc=(
            Coding("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
            Coding("2708-6", "Oxygen saturation in Arterial blood"),
        ),
        ucum="%",
        profile="us-core-pulse-oximetry",
    ),
    VitalsField(
        name="resp_rate",
        label="respiratory rate",
        unit="/min",
        low=4,
        high=60,
        whole=True,
        heading="RR",
        width=3,
        loinc=(Coding("9279-1", "Respiratory rate"),),
        ucum="/min",
        profile="us-core-respiratory-rate",
    ),
    VitalsField(
        name="moaas",
        label="MOAA/S sedation score",
        unit="0-5",
        low=0,
        high=5,
        whole=True,
        heading="MOAA/S",
        width=6,
        loinc=(),  # no LOINC code: an exam observation named by its label (console.export.fhir)
        ucum="",
        profile="",
    ),
    VitalsField(
        name="temperature_c",
        label="body temperature",
        unit="°C",
        low=30,
        high=43,
        whole=False,
        heading="Temp",
        width=4,
        loinc=(Coding("8310-5", "Body temperature"),),
        ucum="Cel",
        profile="us-core-body-temperature",
    ),
)


def vitals_field(name: str) -> VitalsField:
    """The field named `name`; a ValueError for a name a reading does not have."""
    for field in VITALS_FIELDS:
        if field.name == name:
            return field
    raise ValueError(f"a reading has no vital sign named {name!r}")


def headings() -> list[str]:
    """The flowsheet's vital-sign columns, in order, each once."""
    return list(dict.fromkeys(field.heading for field in VITALS_FIELDS))


def shown(value: float | None) -> str:
    """A value as the flowsheet shows it: a whole number without decimals; nothing when not taken."""
    return "" if value is None else f"{value:g}"

"""Current medications that matter at the ketamine chair, recognised in the patient's list and said
as warnings (never a block): the classes, their names (generic and brand) and why each matters are
data, in `medications.toml` beside this module, with their sources, for a pharmacist to review.

The list is typed as nurses and prescribers write it, `;`-separated (`sertraline 50 mg; Xanax
1 mg prn`); a medicine is recognised by any of its names, whatever its dose or case.
"""

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class MedicationClass:
    kind: str  # the class, as the warning names it
    why: str  # why it matters at the chair
    source: str
    names: tuple[str, ...]  # generic and brand names, as written on a list


@cache
def medication_classes() -> tuple[MedicationClass, ...]:
    """The classes of `medications.toml`, read once."""
    text = resources.files("console.domain").joinpath("medications.toml").read_text(encoding="utf-8")
    return tuple(
        MedicationClass(kind, entry["why"], entry["source"], tuple(entry["names"]))
        for kind, entry in tomllib.loads(text).items()
    )


@cache
def _recogniser() -> tuple[re.Pattern[str], dict[str, MedicationClass]]:
    """One pattern for every name (whole words, longest first) and the class of each name."""
    by_name = {name.lower(): kind for kind in medication_classes() for name in kind.names}
    names = sorted(by_name, key=len, reverse=True)
    # A whole word or words, a plural "s" allowed ("valiums"); hyphens read as spaces ("MS-Contin").
    pattern = re.compile(r"(?<![a-z])(" + "|".join(re.escape(name) for name in names) + r")s?(?![a-z])")
    return pattern, by_name


def _plain(text: str) -> str:
    """Lower case, accents and hyphens away: "Lorazépam", "methylene-blue" as typed elsewhere."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("-", " ")


@dataclass(frozen=True)
class MedicationWarning:
    medicine: str  # as written on the list
    kind: str  # its class
    why: str

    def describe(self) -> str:
        return f"⚠ {self.medicine} ({self.kind}): {self.why}"


def listed(medications: str) -> list[str]:
    """The medicines on a `;`-separated list, as written, blanks left out."""
    return [part.strip() for part in medications.split(";") if part.strip()]


def warnings(medications: str) -> list[MedicationWarning]:
    """Each listed medicine of a class that matters at the chair, in list order."""
    pattern, by_name = _recogniser()
    found: list[MedicationWarning] = []
    for medicine in listed(medications):
        # Every class named in the item: "Xanax 1 mg, oxycodone 5 mg" typed with commas warns twice.
        kinds = dict.fromkeys(by_name[name] for name in pattern.findall(_plain(medicine)))
        found.extend(MedicationWarning(medicine, kind.kind, kind.why) for kind in kinds)
    return found


# The REMS monitoring form's medication questions and the class each answer names.
REMS_CLASSES = {
    "benzodiazepines": "benzodiazepine",
    "sedative_hypnotics": "sedative-hypnotic",
    "psychostimulants": "psychostimulant",
    "maois": "MAOI",
    "opioids": "opioid",
}


def answered_warnings(taking: dict[str, bool], listed_kinds: set[str]) -> list[MedicationWarning]:
    """A class the REMS form says the patient takes and their list does not show: the same warning,
    said as coming from the form (`taking`: the form's answers by question)."""
    by_kind = {kind.kind: kind for kind in medication_classes()}
    return [
        MedicationWarning("REMS form", by_kind[kind].kind, by_kind[kind].why)
        for question, kind in REMS_CLASSES.items()
        if taking.get(question) and kind not in listed_kinds
    ]

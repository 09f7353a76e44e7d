"""Current medications that matter at the ketamine chair, recognised in the patient's list and said
as warnings (never a block): benzodiazepines and lamotrigine may blunt ketamine; MAOIs and
psychostimulants raise blood pressure; opioids and other CNS depressants add sedation and
respiratory depression (clinical reference, "Medications that matter at the chair").

The list is typed as nurses and prescribers write it, `;`-separated (`sertraline 50 mg; lorazepam
1 mg prn`); a medicine is recognised by its generic name, whatever its dose or case.
"""

import re
from dataclasses import dataclass

# Generic names of each class, as they appear on a medication list.
CLASSES: dict[str, tuple[str, ...]] = {
    "benzodiazepine": (
        "alprazolam", "chlordiazepoxide", "clobazam", "clonazepam", "clorazepate", "diazepam",
        "lorazepam", "midazolam", "oxazepam", "temazepam", "triazolam",
    ),
    "lamotrigine": ("lamotrigine",),
    "MAOI": ("isocarboxazid", "phenelzine", "selegiline", "tranylcypromine", "rasagiline", "moclobemide"),
    "psychostimulant": (
        "amphetamine", "dexmethylphenidate", "dextroamphetamine", "lisdexamfetamine", "methylphenidate",
        "modafinil", "armodafinil",
    ),
    "opioid": (
        "buprenorphine", "codeine", "fentanyl", "hydrocodone", "hydromorphone", "methadone", "morphine",
        "oxycodone", "oxymorphone", "tapentadol", "tramadol",
    ),
    "sedative-hypnotic": ("eszopiclone", "zaleplon", "zolpidem"),
}  # fmt: skip
WHY = {
    "benzodiazepine": "adds sedation; associated with a weaker ketamine response",
    "lamotrigine": "may blunt ketamine's effects",
    "MAOI": "raises blood pressure",
    "psychostimulant": "raises blood pressure",
    "opioid": "adds sedation and respiratory depression",
    "sedative-hypnotic": "adds sedation",
}
_BY_NAME = {name: kind for kind, names in CLASSES.items() for name in names}
_WORD = re.compile(r"[a-z]+")


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
    found = []
    for medicine in listed(medications):
        kinds = [_BY_NAME[word] for word in _WORD.findall(medicine.lower()) if word in _BY_NAME]
        if kinds:
            found.append(MedicationWarning(medicine, kinds[0], WHY[kinds[0]]))
    return found

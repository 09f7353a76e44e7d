"""The CTCAE v5.0 grades each side-effect term can have.

CTCAE gives each term its own grades (NCI, Common Terminology Criteria for Adverse Events v5.0,
2017): nausea goes to grade 3, dysgeusia to grade 2, while vomiting goes to 5 (death). Terms of
the console's list that CTCAE does not have (dissociation, hypersalivation, nasal discomfort,
respiratory depression) are graded as CTCAE's "Other, specify": 1 to 5.
"""

from console.domain.vocab import SideEffectType

GRADE_WORDS = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening", 5: "death"}

# The highest grade of each term whose CTCAE v5.0 term stops below 5 (CTCAE term in the comment).
HIGHEST_GRADE = {
    SideEffectType.NAUSEA: 3,  # Nausea
    SideEffectType.DIZZINESS: 3,  # Dizziness
    SideEffectType.HEADACHE: 3,  # Headache
    SideEffectType.TACHYCARDIA: 3,  # Sinus tachycardia
    SideEffectType.BLURRED_VISION: 4,  # Blurred vision
    SideEffectType.DYSGEUSIA: 2,  # Dysgeusia
    SideEffectType.VERTIGO: 3,  # Vertigo
    SideEffectType.PARAESTHESIA: 3,  # Paresthesia
}


def highest_grade(effect: str) -> int:
    return HIGHEST_GRADE.get(SideEffectType(effect), 5)


def grade_scale(effect: str) -> str:
    """The grades this term has, in words: "1 mild, 2 moderate, 3 severe"."""
    return ", ".join(f"{grade} {GRADE_WORDS[grade]}" for grade in range(1, highest_grade(effect) + 1))


def grade_check_sql() -> str:
    """The database's own check that a side effect's grade is one its term has."""
    cases = " ".join(f"WHEN '{effect.value}' THEN {grade}" for effect, grade in HIGHEST_GRADE.items())
    return f"grade <= CASE effect {cases} ELSE 5 END"


def listed_as(description: str) -> SideEffectType | None:
    """The listed term an "Other" description names ("Nausea", "diplopia"), so it is graded as that
    term is; None for a description of something else."""
    said = " ".join(description.casefold().replace("_", " ").split())
    for effect in SideEffectType:
        label = effect.label.casefold()
        names = {effect.value.replace("_", " "), label, label.split(" (")[0], *label.split(" / ")}
        if effect is not SideEffectType.OTHER and said in names:
            return effect
    return None

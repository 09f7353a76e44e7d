"""Which side effects are serious: they call the physician when recorded, and keep the patient in
the chair until resolved or until a physician lets them go with it open.

CTCAE v5 grades 3 (severe) and 4 (life-threatening) are serious for any term (grade 5 is death).
Some effects are serious at any grade for a sedating drug given at the chair: a patient who
breathes too little, or is in an emergence reaction, does not go home with it open (ASRA/AAPM/ASA
consensus guideline on ketamine infusions; Spravato REMS: observed until these resolve).
"""

from console.domain.vocab import SideEffectType

SERIOUS_GRADE = 3  # CTCAE v5: 3 severe, 4 life-threatening, 5 death
SERIOUS_AT_ANY_GRADE = frozenset({SideEffectType.RESPIRATORY_DEPRESSION, SideEffectType.EMERGENCE_REACTION})


def is_serious(effect: str, grade: int) -> bool:
    """Whether this side effect calls the physician and blocks a discharge while it is open."""
    return grade >= SERIOUS_GRADE or effect in SERIOUS_AT_ANY_GRADE


def described(effect: str, grade: int, other_text: str = "") -> str:
    """The effect in words, as an alert or a refusal names it: "respiratory depression grade 4"."""
    name = other_text if effect == SideEffectType.OTHER and other_text else SideEffectType(effect).label
    return f"{name.lower()} grade {grade}"

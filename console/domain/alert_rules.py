"""The rules that raise a safety alert: each names, where it is about a reading, the protocol's
thresholds it compares with and the vital signs whose flowsheet cell it marks.

A rule is stored as its value (table `alert`, column `rule`), so a value never changes. Adding a
rule is adding a member here; a test holds every member's facts to the protocol's thresholds and
the table of vital signs. A stored name no member has (written by a later version) is shown as
it is and marks no cell.
"""

import re
from enum import StrEnum
from typing import NamedTuple


class About(NamedTuple):
    """What every rule states about itself: the first three fields have to be given."""

    label: str  # what the rule watches, in words
    thresholds: tuple[str, ...]  # the fields of the protocol's [thresholds] it compares with; none
    marks: tuple[str, ...]  # the vital signs (console.domain.vitals_fields) whose cell it marks; none
    physician_only: bool = False  # only a physician acknowledges it, and discharge waits until one has
    needs_action: bool = False  # its acknowledgement says what was done, never a bare "ok"


class AlertRule(StrEnum):
    """A rule that raises a safety alert: its value is what is stored; the rest is its About."""

    label: str
    thresholds: tuple[str, ...]
    marks: tuple[str, ...]
    physician_only: bool
    needs_action: bool

    def __new__(cls, value: str, about: About) -> "AlertRule":
        rule = str.__new__(cls, value)
        rule._value_ = value
        rule.label, rule.thresholds, rule.marks, rule.physician_only, rule.needs_action = about
        return rule

    BP_HOLD = (
        "bp_hold",
        About(
            "Blood pressure at or above the hold limit",
            thresholds=("systolic_hold", "diastolic_hold"),
            marks=("systolic", "diastolic"),
            needs_action=True,
        ),
    )
    BP_PREDOSE = (
        "bp_predose",
        About(
            "Blood pressure before the dose above the warning limit",
            thresholds=("systolic_predose_warn", "diastolic_predose_warn"),
            marks=("systolic", "diastolic"),
        ),
    )
    BP_RISE = (
        "bp_rise",
        About(
            "Blood pressure risen from the session's first reading",
            thresholds=("systolic_rise_mmhg", "systolic_rise_percent"),
            marks=("systolic",),
        ),
    )
    SPO2_LOW = "spo2_low", About("SpO2 low", thresholds=("spo2_low",), marks=("spo2",))
    HEART_RATE_LOW = (
        "heart_rate_low",
        About("Heart rate low", thresholds=("heart_rate_low",), marks=("heart_rate",)),
    )
    HEART_RATE_HIGH = (
        "heart_rate_high",
        About("Heart rate high", thresholds=("heart_rate_high",), marks=("heart_rate",)),
    )
    RESP_RATE_HOLD = (
        "resp_rate_hold",
        About(
            "Respiratory rate below the hold limit",
            thresholds=("resp_rate_hold",),
            marks=("resp_rate",),
            needs_action=True,
        ),
    )
    RESP_RATE_LOW = (
        "resp_rate_low",
        About("Respiratory rate low", thresholds=("resp_rate_low",), marks=("resp_rate",)),
    )
    MOAAS_LOW = (
        "moaas_low",
        About("Deep sedation (MOAA/S low)", thresholds=("moaas_low",), marks=("moaas",)),
    )
    # Raised when a reading is later than the protocol's interval allows (console.chair.overdue).
    VITALS_OVERDUE = "vitals_overdue", About("Vital signs overdue", thresholds=(), marks=())
    # Raised by a PHQ-9 item 9 above 0 (console.chair.questionnaires): the patient needs a
    # physician's assessment the same day, so no override sets it aside.
    PHQ9_SELF_HARM = (
        "phq9_self_harm",
        About(
            "PHQ-9: thoughts of self-harm", thresholds=(), marks=(), physician_only=True, needs_action=True
        ),
    )

    # Raised when a serious side effect is recorded (console.domain.serious_effects): the physician
    # is called, and the patient stays until one has acknowledged it.
    SERIOUS_SIDE_EFFECT = (
        "serious_side_effect",
        About("Serious side effect", thresholds=(), marks=(), physician_only=True, needs_action=True),
    )

    @classmethod
    def of(cls, stored: str) -> "AlertRule | None":
        """The rule stored as `stored`; None for a name no rule has (never an error: it was stored)."""
        return next((rule for rule in cls if rule.value == stored), None)


def physician_only(stored: str) -> bool:
    """Whether only a physician acknowledges an alert of this stored rule (an unknown one: no)."""
    rule = AlertRule.of(stored)
    return rule is not None and rule.physician_only


# Words that say an alert was seen, or by whom, but not what was done about it.
BARE_WORDS = frozenset(
    {"ok", "okay", "seen", "noted", "ack", "acknowledged", "done", "fine", "yes", "aware", "read", "by",
     "the", "a", "an", "and", "it", "is", "was", "of", "to", "nurse", "rn", "alert", "patient", "pt",
     "action", "taken"}
)  # fmt: skip
# Words that say nothing was done yet: such a note names no action taken.
NOT_YET = frozenset({"not", "nothing", "later", "will", "forgot", "yet", "tbd", "todo", "pending"})
ACTION_WORDS = 2  # "MD paged", "O2 applied", "physician called, dosing held": a few words name an action


def names_an_action(note: str) -> bool:
    """Whether `note` says what was done: a word beyond "ok, seen, by the nurse" and one more word
    or figure ("Rechecked: 150/90"), and nothing that says it is still to be done."""
    tokens = [t for t in re.findall(r"[a-z0-9]+", note.lower()) if len(t) >= 2]
    words = [t for t in tokens if re.search("[a-z]", t)]
    if any(word in NOT_YET for word in words):
        return False
    said = [word for word in words if word not in BARE_WORDS]
    figures = [t for t in tokens if t.isdigit()]
    return bool(said) and len(said) + len(figures) >= ACTION_WORDS


def needs_action(stored: str) -> bool:
    """Whether an alert of this stored rule is acknowledged only by naming the action taken."""
    rule = AlertRule.of(stored)
    return rule is not None and rule.needs_action

"""The Columbia-Suicide Severity Rating Scale screener (C-SSRS, recent version; Posner et al., Am J
Psychiatry 2011;168:1266-1277): six yes/no questions the physician asks after a PHQ-9 item 9 above
0, and the triage its answers give (yes to 4, 5 or 6: high risk; to 3: moderate; to 1 or 2: low).

Typed at the chair as six letters or digits, with or without spaces (`ynnnnn`, `1 0 0 0 0 0`).
"""

from console.domain.errors import InvalidInput

QUESTIONS = (
    "In the past month, have you wished you were dead or wished you could go to sleep and not wake up?",
    "In the past month, have you had any actual thoughts of killing yourself?",
    "Have you been thinking about how you might do this?",
    "Have you had these thoughts and had some intention of acting on them?",
    "Have you started to work out or worked out the details of how to kill yourself? Do you intend to "
    "carry out this plan?",
    "In the past 3 months, have you done anything, started to do anything, or prepared to do anything "
    "to end your life?",
)
ASKED_AFTER_THOUGHTS = (3, 4, 5)  # asked only after a yes to question 2
HINT = "six answers y or n in the screener's order, e.g. ynnnnn"
_YES, _NO = {"y", "1"}, {"n", "0"}


def parse_answers(line: str) -> tuple[bool, ...]:
    """The six answers typed on one line, or InvalidInput naming what is accepted."""
    letters = [c for c in line.strip().lower() if not c.isspace() and c != ","]
    if len(letters) != len(QUESTIONS):
        raise InvalidInput("cssrs", f"C-SSRS: {len(letters)} answers; it has 6: {HINT}.")
    bad = next((c for c in letters if c not in _YES | _NO), None)
    if bad is not None:
        raise InvalidInput("cssrs", f"C-SSRS: '{bad}' is not y or n; {HINT}.")
    answers = tuple(c in _YES for c in letters)
    check_answers(answers)
    return answers


def check_answers(answers: tuple[bool, ...]) -> None:
    """Six answers, and questions 3 to 5 answered yes only after a yes to question 2."""
    if len(answers) != len(QUESTIONS):
        raise InvalidInput("cssrs", f"C-SSRS: {len(answers)} answers; it has 6: {HINT}.")
    if not answers[1] and any(answers[n - 1] for n in ASKED_AFTER_THOUGHTS):
        raise InvalidInput("cssrs", "C-SSRS: questions 3 to 5 are asked only after a yes to question 2.")


def risk(answers: tuple[bool, ...]) -> str:
    """The screener's triage: high, moderate, low or none."""
    if answers[3] or answers[4] or answers[5]:
        return "high"
    if answers[2]:
        return "moderate"
    return "low" if answers[0] or answers[1] else "none"


def summary(answers: tuple[bool, ...]) -> str:
    """`C-SSRS screener: low risk (yes to 1)`, as the acknowledgement carries it."""
    yes = [str(n) for n, answer in enumerate(answers, 1) if answer]
    said = f"yes to {', '.join(yes)}" if yes else "no to all"
    return f"C-SSRS screener: {risk(answers)} risk ({said})"

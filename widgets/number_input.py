"""A numeric field that keeps every key typed: a letter shows, is marked, and is refused, never dropped.

Textual's own numeric inputs drop a key that is not part of a number without a word (pain `1o`,
meant as 10, became 1). Here the text stays as typed, the field is marked invalid at once, and Enter
refuses it with a message naming the field.
"""

import re

from textual.validation import ValidationResult, Validator
from textual.widgets import Input

_WHOLE = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")


class _IsNumber(Validator):
    def __init__(self, label: str, whole: bool) -> None:
        super().__init__()
        self.label, self.whole = label, whole

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text or (_WHOLE if self.whole else _DECIMAL).match(text):
            return self.success()
        kind = "a whole number: digits only" if self.whole else "a number: digits and one decimal point"
        return self.failure(f"{self.label}: {text!r} is not {kind}.")


class NumberInput(Input):
    """Digits (and a decimal point unless `whole`); anything else is shown, marked and refused."""

    def __init__(
        self, label: str, *, whole: bool = False, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes, validators=[_IsNumber(label, whole)])

    def problem(self) -> str | None:
        """What is wrong with the value as typed, naming the field; None when it is a number or empty."""
        result = self.validate(self.value)
        return None if result is None or result.is_valid else result.failure_descriptions[0]

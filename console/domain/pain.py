"""Pain change and its IMMPACT class (Dworkin 2008): >= 30% moderately important, >= 50% substantial."""

from dataclasses import dataclass
from enum import StrEnum


class PainChangeClass(StrEnum):
    SUBSTANTIAL = "substantial"
    MODERATE = "moderately important"
    MINIMAL = "minimally important"
    NONE = "no meaningful change"
    WORSE = "worse"


@dataclass(frozen=True)
class PainChange:
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before

    @property
    def percent(self) -> float | None:
        """Percent reduction (positive = less pain); undefined when there was no pain to begin with."""
        if self.before == 0:
            return None
        return round(100 * (self.before - self.after) / self.before, 1)

    @property
    def klass(self) -> PainChangeClass:
        percent = self.percent
        if percent is None:
            return PainChangeClass.WORSE if self.after > 0 else PainChangeClass.NONE
        if percent >= 50:
            return PainChangeClass.SUBSTANTIAL
        if percent >= 30:
            return PainChangeClass.MODERATE
        if percent >= 10:
            return PainChangeClass.MINIMAL
        return PainChangeClass.WORSE if percent < 0 else PainChangeClass.NONE

    def describe(self) -> str:
        percent = (
            ""
            if self.percent is None
            else f", {self.percent:+.0f}% relief"
            if self.percent
            else ", no change"
        )
        return f"{self.before} → {self.after} ({self.change:+d}{percent}): {self.klass.value}"

"""A patient's age in whole years, as a birthday counts it."""

from datetime import date


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day` for someone born on `born`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

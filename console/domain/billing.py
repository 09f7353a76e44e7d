"""What a session bills: the service codes and their units by the codes' time rules (pure functions)."""

from math import ceil
from typing import NamedTuple

from console.domain.protocol import BillingCodes


class Billed(NamedTuple):
    service_code: str
    service_units: int
    additional_code: str
    additional_units: int
    drug_code: str
    ndc: str


def iv_hours(minutes: int, codes: BillingCodes) -> tuple[int, int]:
    """(first-hour units, additional-hour units) of an IV infusion this long.

    The first hour needs at least `iv_first_hour_from_min` minutes; each further hour counts once it
    runs more than `iv_additional_hour_over_min` minutes past the last full hour.
    """
    if minutes < codes.iv_first_hour_from_min:
        return 0, 0
    beyond = max(0, minutes - 60)
    full, rest = divmod(beyond, 60)
    return 1, full + (1 if rest > codes.iv_additional_hour_over_min else 0)


def billed(drug: str, total_mg: float, minutes: int | None, codes: BillingCodes) -> Billed:
    """The codes of one session: an IV ketamine infusion by its minutes, nasal esketamine by its dose."""
    if drug == "esketamine":
        code = codes.nasal_up_to_56_mg if total_mg <= 56 else codes.nasal_over_56_mg
        kits = {56: codes.esketamine_ndc_56_mg, 84: codes.esketamine_ndc_84_mg}
        return Billed(code, 1, "", 0, "", kits.get(ceil(total_mg), ""))
    first, additional = iv_hours(minutes or 0, codes)
    return Billed(
        codes.iv_first_hour,
        first,
        codes.iv_each_additional_hour,
        additional,
        codes.ketamine,
        codes.ketamine_ndc,
    )

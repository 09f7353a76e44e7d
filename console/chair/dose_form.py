"""The dose form as typed: the total it gives, the waste that follows, and the dose record it confirms."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.chair.dose_plan import total_mg
from console.chair.session_view import SessionView
from console.domain.protocol import Protocol
from console.domain.vocab import Drug, Method


@dataclass(frozen=True)
class DoseForm:
    """The dose fields exactly as typed; empty text is a value not given."""

    rate: str = ""
    minutes: str = ""
    devices: str = ""
    lot: str = ""
    concentration: str = ""
    drawn: str = ""
    wasted: str = ""
    witness: str = ""
    witness_secret: str = ""  # typed by the witness; checked by the service, never stored


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _integer(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def dose_weight(view: SessionView) -> float:
    """The weight the dose is worked out from: a correction keeps the weight of the dose it corrects."""
    if view.doses:
        return view.doses[-1].weight_kg_used
    return view.patient.weight_kg or 0


def form_total(view: SessionView, protocol: Protocol, form: DoseForm) -> float | None:
    """The total the form gives now (None while a figure it needs is missing)."""
    return total_mg(
        Method(view.session.method),
        dose_weight(view),
        protocol,
        rate=_number(form.rate),
        minutes=_integer(form.minutes),
        devices=_integer(form.devices),
    )


def waste_after_drawing(total: float | None, drawn_text: str) -> float | None:
    """Drawn = given + wasted: the waste that follows from what was drawn (None: nothing follows yet)."""
    drawn = _number(drawn_text)
    if total is None or drawn is None or drawn < total:
        return None
    return round(drawn - total, 2)


def needs_witness(form: DoseForm) -> bool:
    """Only a waste needs a witness; with none the dose is confirmed as soon as drawn is entered."""
    return (_number(form.wasted) or 0) != 0


def dose_to_record(view: SessionView, protocol: Protocol, form: DoseForm, now: datetime) -> dict[str, Any]:
    """The record the form confirms; the service validates every field of it again."""
    iv = Method(view.session.method) == Method.IV
    given = view.doses[-1] if view.doses else None
    return {
        "drug": Drug.KETAMINE if iv else Drug.ESKETAMINE,
        "dose_mg": form_total(view, protocol, form),
        "rate_mg_per_kg_h": _number(form.rate) if iv else None,
        "planned_duration_min": _integer(form.minutes) if iv else None,
        "device_count": _integer(form.devices) if not iv else None,
        "administered_at": given.administered_at if given else now,
        "lot_number": form.lot,
        "concentration_mg_per_ml": form.concentration or None,
        "drawn_mg": form.drawn or None,
        "wasted_mg": form.wasted or 0,
        "witness": form.witness or None,
        "witness_secret": form.witness_secret or None,
    }

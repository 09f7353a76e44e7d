"""What differs between two readings of one record, section by section, in the words the review shows.

A signature is refused when the record changed after the physician was shown it; the review is then
read again and these changes are marked, so the physician sees what they did not see before.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from console.chair.session_view import SessionView
from console.domain.protocol import AlertThresholds
from console.review import record_text

VITALS_HEADING = "BP HR SpO2 RR MOAA/S temp by"


@dataclass(frozen=True)
class Change:
    section: str
    before: tuple[str, ...]  # lines shown before and gone now
    after: tuple[str, ...]  # lines shown now and not before

    def describe(self) -> str:
        was = "; ".join(self.before) or "nothing"
        now = "; ".join(self.after) or "nothing"
        return f"{self.section}: {was} → {now}"


def _sections(view: SessionView, zone: ZoneInfo, limits: AlertThresholds) -> dict[str, list[str]]:
    return {
        "Times": [record_text.times_text(view, zone)],
        "Pain": [record_text.pain_text(view)],
        "Function and mood": record_text.questionnaire_lines(view, zone),
        "Pre-assessment": [record_text.pre_assessment_text(view, zone)],
        "Checklists": record_text.checklist_lines(view, zone),
        "Dose": record_text.dose_lines(view, zone),
        "Vital signs": [" ".join(record_text.vitals_cells(r, view, zone)) for r in view.vitals],
        "Side effects": record_text.side_effect_lines(view, zone),
        "Alerts": record_text.alert_lines(view, zone) + record_text.override_lines(view, zone),
        "Notes": (view.session.notes or "").splitlines(),
        "REMS form": record_text.rems_lines(view, zone, limits),
    }


def changes(
    before: SessionView, after: SessionView, zone: ZoneInfo, limits: AlertThresholds | None = None
) -> list[Change]:
    """Each section whose lines differ, with the lines that went and the lines that came."""
    found, limits = [], limits or AlertThresholds()
    old, new = _sections(before, zone, limits), _sections(after, zone, limits)
    for section, lines in new.items():
        was = old[section]
        if was != lines:
            gone = tuple(line for line in was if line not in lines)
            came = tuple(line for line in lines if line not in was)
            found.append(Change(section, gone, came))
    return found

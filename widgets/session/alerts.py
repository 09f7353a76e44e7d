"""Open safety alerts and the overrides in force, in the nurse's view while she charts."""

from textual.widgets import Static

from console.chair.session_view import SessionView
from console.domain.alert_rules import physician_only
from console.review import record_text
from widgets.context import Clinic


class AlertsPanel(Static):
    def show(self, view: SessionView, clinic: Clinic) -> None:
        zone = clinic.zone
        lines = [
            f"⚠ ALERT {alert.raised_at.astimezone(zone):%H:%M}: {alert.message} "
            + ("(a physician acknowledges it: F12)" if physician_only(alert.rule) else "(F12 to acknowledge)")
            for alert in view.alerts
            if alert.acknowledged_at is None
        ]
        lines += record_text.override_lines(view, zone)
        self.update("\n".join(lines))

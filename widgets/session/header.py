"""Above the steps: the patient at a glance, the session's status line, and signed or returned."""

from rich.text import Text
from textual.widgets import Static

from console.chair.session_guide import header, status_line
from console.chair.session_view import SessionView
from console.review import record_text
from widgets.context import Clinic


class PatientHeader(Static):
    def show(self, view: SessionView, clinic: Clinic) -> None:
        top = header(view, clinic.protocol)
        self.update(Text.assemble((top.name, "bold"), top.details))


class StatusLine(Static):
    """Status, times and when the next vitals are due; refreshed by the minute as well as on each read."""

    def show(self, view: SessionView, clinic: Clinic) -> None:
        self.update(status_line(view, clinic.protocol, clinic.zone, clinic.now()))


class RecordState(Static):
    """Signed (locked, addenda only) or returned by the physician: said before anything else."""

    DEFAULT_CSS = """
    RecordState { height: auto; padding: 0 1; background: $warning 20%; display: none; }
    RecordState.shown { display: block; }
    """

    def show(self, view: SessionView, clinic: Clinic) -> None:
        zone = clinic.zone
        lines = []
        if view.signature is not None:
            lines.append(
                f"{record_text.signature_text(view.signature, zone)} · locked: Ctrl+N adds an addendum"
            )
            lines += [record_text.addendum_text(a, n, zone) for n, a in enumerate(view.addenda, start=1)]
        elif view.open_return is not None:
            lines.append(record_text.return_text(view.open_return, view, zone))
            lines.append("Correct the record, then Ctrl+R to resubmit it to the physician.")
        self.update("\n".join(lines))
        self.set_class(bool(lines), "shown")

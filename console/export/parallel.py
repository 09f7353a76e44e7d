"""The CSV set written by several processes at once, every one reading the same moment of the record.

A five-year CSV set is a minute of one core's work, most of it turning rows into text. Worker
processes (started fresh: a fork would carry the parent's open database into them) each take the
next file not yet written, heaviest first, until none is left. Each reads the moment the export's
own read began (console.store.moments), so the files agree with each other and with the manifest's
chain head, whatever nurses write meanwhile.
"""

import multiprocessing
import queue
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from console.domain.errors import StorageError
from console.export.catalogue import FILES, export_file, in_work_order
from console.export.modes import Facts
from console.export.request import ExportRequest
from console.export.rows import Progress

WAIT = 0.5  # seconds between looks at whether a silent worker is still alive
MOST_JOBS = 4  # the heaviest file alone takes about a fifth of the set: more workers wait on it
SHORT_RANGE_DAYS = 31  # a month's set takes a second or two: starting a worker takes one


def default_jobs(request: ExportRequest, cores: int | None) -> int:
    """One process for a CSV set of a month or less, else one per core (at most MOST_JOBS)."""
    days = (request.date_to - request.date_from).days + 1
    if request.format != "csv" or days <= SHORT_RANGE_DAYS:
        return 1
    return max(1, min(MOST_JOBS, cores or 1))


@dataclass(frozen=True)
class Task:
    """What a worker needs to write files: all of it crosses to the new process."""

    url: str
    request: ExportRequest
    zone: ZoneInfo
    paths: dict[str, Path]


class Workers:
    """Processes that each read one moment of the record and write whichever file is next."""

    def __init__(self, task: Task, jobs: int, context: Any) -> None:
        self._orders = [context.Queue() for _ in range(jobs)]  # to each worker: its moment, then facts
        self._files = context.Queue()  # to any worker: the next file to write; None: no more
        self._reports = context.Queue()  # from every worker: ready, begun, progress, written, failed
        self._processes = [
            context.Process(target=work, args=(task, orders, self._files, self._reports))
            for orders in self._orders
        ]
        for process in self._processes:
            process.daemon = True  # never outlives the export

    def start(self) -> None:
        """Start every worker and wait until each is ready to read (imports done, no lock held)."""
        for process in self._processes:
            process.start()
        self._expect("ready")

    def begin(self, moment: str | None) -> None:
        """Each worker begins its read at `moment` (see console.store.moments); back when all have."""
        for orders in self._orders:
            orders.put(("begin", moment))
        self._expect("begun")

    def write(self, facts: dict, progress: Progress | None) -> dict[str, int]:
        """Every file written; the rows of each."""
        for orders in self._orders:
            orders.put(("facts", facts))
        for file in in_work_order():
            self._files.put(file.name)
        counts: dict[str, int] = {}
        while len(counts) < len(FILES):
            kind, *details = self._next()
            if kind == "progress" and progress:
                progress(*details)
            elif kind == "written":
                name, rows = details
                counts[name] = rows
        return counts

    def stop(self) -> None:
        for _ in self._processes:
            self._files.put(None)
        for orders in self._orders:
            orders.put(("stop",))  # to a worker still waiting for its moment or its facts
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive() and hasattr(process, "terminate"):
                process.terminate()
                process.join()
        for channel in (*self._orders, self._files, self._reports):
            if hasattr(channel, "close"):  # a process queue: what a dead worker never read is dropped
                channel.cancel_join_thread()
                channel.close()

    def _expect(self, kind: str) -> None:
        for _ in self._processes:
            report, *_ = self._next()
            if report != kind:
                raise RuntimeError(f"an export worker said {report!r} where {kind!r} was due")

    def _next(self) -> tuple:
        """The next report; a worker's failure raised here as the export's own."""
        while True:
            try:
                report = self._reports.get(timeout=WAIT)
            except queue.Empty:
                codes = [process.exitcode for process in self._processes]
                if any(code not in (None, 0) for code in codes) or None not in codes:
                    stopped = next((code for code in codes if code), 0)
                    raise StorageError(
                        f"an export process stopped unexpectedly (exit code {stopped})"
                    ) from None
                continue
            if report[0] == "failed":
                _raise(*report[1:])
            return report


def _raise(kind: str, message: str, trace: str) -> None:
    if kind == "StorageError":  # the database or the disk, as the worker's read named it
        raise StorageError(message)
    raise RuntimeError(f"an export process failed: {kind}: {message}") from WorkerTraceback(trace)


class WorkerTraceback(Exception):
    """A worker's traceback, as the cause of the error it raised in the export (for the log)."""


def process_context() -> Any:
    """Fresh processes: a fork would carry the export's open database connections into them."""
    return multiprocessing.get_context("spawn")


@contextmanager
def workers(task: Task, jobs: int) -> Iterator[Workers]:
    """`jobs` worker processes, ready to begin their read; stopped when the block ends."""
    running = Workers(task, jobs, process_context())
    try:
        running.start()
        yield running
    finally:
        running.stop()


Item = TypeVar("Item")


class Channel(Protocol[Item]):
    """A queue between the export and its workers: a process's, or a thread's in tests."""

    def put(self, item: Item, /) -> None: ...

    def get(self) -> Item: ...


# To each worker: the moment to begin its read at, then the Safe Harbor facts; or stop.
Order = (
    tuple[Literal["begin"], str | None] | tuple[Literal["facts"], dict[int, Facts]] | tuple[Literal["stop"]]
)
# From every worker: ready, begun, progress (file, rows), written (file, rows), failed (kind, message, trace).
Report = tuple[str, *tuple[object, ...]]


def work(task: Task, orders: Channel[Order], files: Channel[str | None], reports: Channel[Report]) -> None:
    """A worker: begin the read at the moment it is given, then write files until none is left."""
    try:
        reports.put(("ready",))
        order = orders.get()
        if order[0] == "begin":
            _write_files(task, order[1], orders, files, reports)
    except BaseException as failure:  # every failure goes back to the export, which decides
        reports.put(("failed", _kind(failure), str(failure), traceback.format_exc()))


def _write_files(
    task: Task,
    moment: str | None,
    orders: Channel[Order],
    files: Channel[str | None],
    reports: Channel[Report],
) -> None:
    from console.export.csv_files import write_csv
    from console.export.local_time import LocalTimes
    from console.export.rows import plan_for_every_row
    from console.store.database import Database
    from console.store.moments import adopt_moment

    db = Database(task.url)
    try:
        with db.read() as session:
            adopt_moment(session, moment)
            reports.put(("begun",))
            order = orders.get()
            if order[0] != "facts":
                return
            facts = order[1]
            plan_for_every_row(session)
            times = LocalTimes(task.zone)

            def report(name: str, rows: int) -> None:
                reports.put(("progress", name, rows))

            while (name := files.get()) is not None:
                records = export_file(name).query(session, task.request, task.zone)
                rows = write_csv(task.paths[name], name, records, task.request, times, report, facts)
                reports.put(("written", name, rows))
    finally:
        db.dispose()


def _kind(failure: BaseException) -> str:
    return "StorageError" if isinstance(failure, StorageError) else type(failure).__name__

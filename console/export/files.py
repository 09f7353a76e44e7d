"""End-of-day export: the CSV set or a FHIR bundle, with a manifest; all files, or none.

Every file is streamed (`yield_per`), written to a temporary name in the target folder, and
renamed only when all of them are complete: a failure part way leaves no export file behind.
"""

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from console.clinic.demo_mark import is_demo
from console.domain.errors import InvalidInput, StorageError
from console.export import fhir, parallel, rows, workbook
from console.export.catalogue import export_file, file_names
from console.export.csv_files import write_csv
from console.export.datapackage import DATAPACKAGE, descriptor
from console.export.local_time import LocalTimes
from console.export.modes import STANDARD, Mode, session_facts
from console.export.pseudonyms import ensure_pseudonyms
from console.export.records import Record
from console.export.request import BUNDLE, WORKBOOK, ExportRequest
from console.export.rows import Progress
from console.export.signature import MANIFEST, SIGNATURE, file_sha256, sign
from console.store import anchors, audit
from console.store.database import Database
from console.store.moments import shared_moment, writes_held
from console.store.private_files import private_file, private_folder

EVERY_FILE = [*file_names(), DATAPACKAGE, BUNDLE, WORKBOOK, MANIFEST]


@dataclass(frozen=True)
class Manifest:
    path: Path
    rows: dict[str, int]


def export(
    db: Database,
    who: str,
    request: ExportRequest,
    zone: ZoneInfo,
    progress: Progress | None = None,
    anchor_file: Path | None = None,
    jobs: int = 1,
) -> Manifest:
    """Write the request's files and manifest.json into `request.out`; all of them, or nothing.

    The manifest lists each file's SHA-256 and is signed with the clinic key; the export's audit
    event records the same digests; the chain's head is then anchored in `anchor_file`. A CSV set
    is written by `jobs` processes at once when more than one is asked for (console.export.parallel).
    """
    _check(request)
    counts: dict[str, int] = {}
    if request.pseudonymous:
        ensure_pseudonyms(db, who, request.date_from, request.date_to)
    with _all_or_nothing(request.out, [*request.files, MANIFEST], request.force) as partial:
        with ExitStack() as stack:
            team = None
            if request.format == "csv" and jobs > 1:
                task = parallel.Task(db.url, request, zone, dict(partial))
                team = stack.enter_context(parallel.workers(task, jobs))
            # Every file, the manifest's chain head: one moment of the record, the workers' too.
            session = stack.enter_context(db.read())
            with writes_held(db) if team else nullcontext():
                rows.plan_for_every_row(session)
                head = audit.head(session)
                if team:
                    team.begin(shared_moment(session))
            demo = is_demo(session)
            facts = (
                session_facts(session, request.date_from, request.date_to)
                if request.mode is Mode.SAFE_HARBOR
                else {}
            )
            if request.format == "csv":
                if team:
                    counts |= team.write(facts, progress)
                else:
                    times = LocalTimes(zone)  # one for every file: each hour of the record is converted once
                    for name in file_names():
                        records = export_file(name).query(session, request, zone)
                        counts[name] = write_csv(
                            partial[name], name, records, request, times, progress, facts
                        )
                package = descriptor(request.mode, request.bom)
                partial[DATAPACKAGE].write_text(json.dumps(package, indent=2) + "\n", encoding="utf-8")
                counts[DATAPACKAGE] = len(package["resources"])
            elif request.format == "xlsx":
                records_of = records_by_file(session, request, zone)
                counts[WORKBOOK] = workbook.write(
                    partial[WORKBOOK], records_of, request.mode, facts, zone, progress
                )
            else:
                counts[BUNDLE] = fhir.write(partial[BUNDLE], session, request, zone, db.clock.now(), progress)
        manifest: dict = {
            "from": request.date_from.isoformat(),
            "to": request.date_to.isoformat(),
            "format": request.format,
            "exported_at": db.clock.now().astimezone(zone).isoformat(timespec="seconds"),
            "exported_by": who,
            "deidentified": request.mode.value,
            "standard": STANDARD[request.mode],
            "demo_clinic": demo,  # records of the demo, never of patients
            "audit_chain_head": head,
            "files": {
                name: {"rows": counts[name], "sha256": file_sha256(partial[name])} for name in request.files
            },
        }
        signed = sign(manifest, db.audit_key)
        partial[MANIFEST].write_text(json.dumps(signed, indent=2) + "\n", encoding="utf-8")
    with db.write() as session:
        audit.record(
            session,
            at=db.clock.now(),
            actor=who[:32],
            action=f"export.{request.format}",
            entity="export",
            entity_id=f"{request.date_from}..{request.date_to}",
            after={
                "rows": counts,
                "deidentified": request.mode.value,
                "sha256": {name: entry["sha256"] for name, entry in manifest["files"].items()},
                "manifest_signature": (signed[SIGNATURE] or {}).get("value"),
            },
        )
    if anchor_file is not None:
        with db.read() as session:
            now = anchors.current(session, db.clock.now(), db.url)
        if now is not None:
            anchors.append(anchor_file, now)  # the export's chain head can no longer be cut away unseen
    return Manifest(request.out / MANIFEST, counts)


def _check(request: ExportRequest) -> None:
    if request.date_to < request.date_from:
        raise InvalidInput("to", "To: a date on or after the first date.")
    if request.format == "fhir" and request.mode is Mode.SAFE_HARBOR:
        raise InvalidInput(
            "format",
            "A FHIR bundle cannot meet Safe Harbor (its resources need dates and times): export it "
            "as a limited data set, or use CSV or xlsx for Safe Harbor.",
        )


@contextmanager
def _all_or_nothing(out: Path, names: list[str], force: bool) -> Iterator[dict[str, Path]]:
    """Temporary files in `out`, renamed to `names` only when the block completes.

    An export forced over one in the other format removes that one's files: a folder never holds
    files its manifest does not list.
    """
    existing = [name for name in EVERY_FILE if (out / name).exists()]
    if existing and not force:
        held = ", ".join(existing)
        raise InvalidInput("out", f"Folder: {out} already holds an export ({held}); use --force.")
    try:
        private_folder(out)
    except OSError as exc:
        raise StorageError(f"cannot create {out}: {exc.strerror}") from None
    partial = {name: out / f".{name}.partial" for name in names}
    try:
        for temporary in partial.values():
            private_file(temporary)  # patient data: readable by the clinic's account only
        yield partial
        for name, temporary in partial.items():
            os.replace(temporary, out / name)  # all complete: now they appear
        for name in set(existing) - set(names):
            (out / name).unlink()
    except OSError as exc:
        raise StorageError(f"the export failed and left no file behind: {exc.strerror or exc}") from None
    finally:
        for temporary in partial.values():
            temporary.unlink(missing_ok=True)


def records_by_file(
    session: Session, request: ExportRequest, zone: ZoneInfo
) -> Callable[[str], Iterator[Record]]:
    """Each file's rows, by its name: what the workbook's sheets are written from."""
    return lambda name: export_file(name).query(session, request, zone)

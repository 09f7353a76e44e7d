"""A PostgreSQL clinic backed up with pg_dump and restored with pg_restore verifies whole."""

import itertools
import os
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from console.domain.clock import FixedClock
from console.review.integrity import verify_record
from console.store.database import Database
from tests.conftest import TEST_KEY
from tests.factories import a_nurses_reading
from tests.pg_server import PgServer

_names = itertools.count()


def test_pg_dump_then_pg_restore_gives_a_clinic_that_verifies(
    postgres: PgServer, clock: FixedClock, tmp_path: Path
) -> None:

    source_url = postgres.create_database(f"dump_{os.getpid()}_{next(_names)}", template=postgres.template)
    db = Database(source_url, clock)
    db.audit_key = TEST_KEY
    a_nurses_reading(db)
    before = verify_record(db)
    db.dispose()
    dump = tmp_path / "clinic.dump"
    source, target = make_url(source_url).database, f"restored_{os.getpid()}_{next(_names)}"
    assert source is not None
    where = ["-h", postgres.socket_dir, "-p", "5432", "-U", "chairside"]
    subprocess.run([str(postgres.bindir / "pg_dump"), *where, "-Fc", "-f", str(dump), source], check=True)
    restored_url = postgres.create_database(target)
    subprocess.run([str(postgres.bindir / "pg_restore"), *where, "-d", target, str(dump)], check=True)
    restored = Database(restored_url, clock)
    restored.audit_key = TEST_KEY
    after = verify_record(restored)
    restored.dispose()
    assert before.intact and after.problems() == [] and after.complete
    assert (after.chain.events, after.chain.head, after.rows.rows) == (
        before.chain.events,
        before.chain.head,
        before.rows.rows,
    )

"""SQLite cannot add or change a named CHECK of a table: a migration makes the table again from its
own stored SQL, changed, copies its rows, and makes its indexes and triggers again exactly as they
were stored. For a table no other table references (a foreign key to it would dangle meanwhile)."""

import re
from collections.abc import Callable

from alembic import op


def rebuild_table(table: str, change: Callable[[str], str]) -> None:
    """Make `table` again with `change(its CREATE TABLE)`; the columns both have keep their rows."""
    bind = op.get_bind()
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    kept = list(
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY type, name",
            (table,),
        ).scalars()
    )
    old_columns = [row[1] for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")')]
    # A table once renamed is stored with its name quoted: either way, the copy gets a new name.
    new_sql = re.sub(rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {table}_new (", change(table_sql))
    assert new_sql.startswith(f"CREATE TABLE {table}_new ("), f"{table} is not as its migrations made it"
    op.execute(new_sql)
    new_columns = {row[1] for row in bind.exec_driver_sql(f"PRAGMA table_info({table}_new)")}
    columns = ", ".join(name for name in old_columns if name in new_columns)
    op.execute(f"INSERT INTO {table}_new ({columns}) SELECT {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")  # its indexes and triggers go with it
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for statement in kept:
        op.execute(statement)

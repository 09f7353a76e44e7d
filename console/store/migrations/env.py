"""Alembic environment: runs on the connection Chairside hands over in `config.attributes`."""

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel

import console.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from console.store.timestamps import UTCDateTime


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """New migrations name Chairside's UTC timestamp type instead of a module path."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from console.store.timestamps import UTCDateTime")
        return "UTCDateTime()"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite can only ALTER through table copies
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()

"""The database triggers that lock a signed session and keep signatures, addenda and overrides append-only.

`LOCKED_CHILDREN` and `APPEND_ONLY` are today's tables; the schema test checks that a migrated
database has exactly these triggers. A batch migration that rebuilds one of these tables on SQLite
drops its triggers, so a new migration drops and creates them with `drop` / `create`; a released
migration keeps its own frozen copy of the SQL it ran, so changing this module never changes history.
"""

# Rows that belong to a session through session_id, locked once it is signed (infusion events follow
# their dose), and the tables whose rows are never changed or removed.
LOCKED_CHILDREN = (
    "dose_administration",
    "vital_signs",
    "side_effect",
    "pain_score",
    "alert",
    "review_return",
    "override",
    "rems_check",
    "questionnaire",
    "checklist_tick",
    "suicide_screen",
)
APPEND_ONLY = ("session_signature", "addendum", "override", "clinic_protocol", "patient_pseudonym")

LOCKED = "the session is signed and locked: add an addendum instead"

_SIGNED = "EXISTS (SELECT 1 FROM session_signature WHERE session_id IN ({ids}))"
_SIGNED_VIA_DOSE = (
    "EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id"
    " WHERE d.id IN ({ids}))"
)


def _sqlite_lock(table: str, verb: str, condition: str) -> str:
    return (
        f"CREATE TRIGGER {table}_locked_{verb.lower()} BEFORE {verb} ON {table} WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
    )


def _sqlite_statements(children: tuple[str, ...], append_only: tuple[str, ...]) -> list[str]:
    statements = []
    for table in children:
        statements += [
            _sqlite_lock(table, "INSERT", _SIGNED.format(ids="NEW.session_id")),
            _sqlite_lock(table, "UPDATE", _SIGNED.format(ids="OLD.session_id, NEW.session_id")),
            _sqlite_lock(table, "DELETE", _SIGNED.format(ids="OLD.session_id")),
        ]
    statements += [
        _sqlite_lock("infusion_event", "INSERT", _SIGNED_VIA_DOSE.format(ids="NEW.dose_id")),
        _sqlite_lock("infusion_event", "UPDATE", _SIGNED_VIA_DOSE.format(ids="OLD.dose_id, NEW.dose_id")),
        _sqlite_lock("infusion_event", "DELETE", _SIGNED_VIA_DOSE.format(ids="OLD.dose_id")),
        _sqlite_lock("treatment_session", "UPDATE", _SIGNED.format(ids="OLD.id")),
        _sqlite_lock("treatment_session", "DELETE", _SIGNED.format(ids="OLD.id")),
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature "
        "WHEN (SELECT role FROM user_account WHERE id = NEW.signer_id) IS NOT 'physician' "
        "BEGIN SELECT RAISE(ABORT, 'only a physician can sign a session'); END",
    ]
    for table in append_only:
        for verb in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )
    return statements


_PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION chairside_session_of(tbl text, rec jsonb) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sid bigint;
BEGIN
    IF tbl = 'treatment_session' THEN
        RETURN (rec ->> 'id')::bigint;
    ELSIF tbl = 'infusion_event' THEN
        SELECT session_id INTO sid FROM dose_administration WHERE id = (rec ->> 'dose_id')::bigint;
        RETURN sid;
    END IF;
    RETURN (rec ->> 'session_id')::bigint;
END $$""",
    f"""CREATE OR REPLACE FUNCTION chairside_signed_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    -- The session id goes into a variable first: inside the WHERE it would be computed per row.
    IF TG_OP <> 'INSERT' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(OLD));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION '{LOCKED}';
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(NEW));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION '{LOCKED}';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION chairside_signer_is_physician() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT role FROM user_account WHERE id = NEW.signer_id) IS DISTINCT FROM 'physician' THEN
        RAISE EXCEPTION 'only a physician can sign a session';
    END IF;
    RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION chairside_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END $$""",
]


def _pg_statements(children: tuple[str, ...], append_only: tuple[str, ...]) -> list[str]:
    statements = list(_PG_FUNCTIONS)
    for table in (*children, "infusion_event"):
        statements.append(
            f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()"
        )
    statements += [
        "CREATE TRIGGER treatment_session_locked BEFORE UPDATE OR DELETE ON treatment_session "
        "FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature "
        "FOR EACH ROW EXECUTE FUNCTION chairside_signer_is_physician()",
    ]
    for table in append_only:
        statements += [
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
        ]
    return statements


def create(children: tuple[str, ...], append_only: tuple[str, ...]) -> None:
    from alembic import op

    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in (_sqlite_statements if sqlite else _pg_statements)(children, append_only):
        op.execute(statement)


def drop(children: tuple[str, ...], append_only: tuple[str, ...]) -> None:
    from alembic import op

    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_statements(children, append_only):
            name = statement.split()[2]
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for statement in _pg_statements(children, append_only):
        words = statement.split()
        if words[1] == "TRIGGER":
            op.execute(f"DROP TRIGGER IF EXISTS {words[2]} ON {words[words.index('ON') + 1]}")
    for name in ("chairside_signed_lock()", "chairside_signer_is_physician()", "chairside_append_only()"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS chairside_session_of(text, jsonb)")


# The audit trail's own append-only triggers, made by the first migration and unchanged since.
AUDIT_TRAIL_TRIGGERS = {
    "sqlite": {"audit_event_no_update", "audit_event_no_delete"},
    "postgresql": {"audit_event_no_change", "audit_event_no_truncate"},
}


def trigger_names(dialect: str) -> set[str]:
    """Every trigger today's schema has on this backend: the locks and the audit trail's."""
    statements = (_sqlite_statements if dialect == "sqlite" else _pg_statements)(LOCKED_CHILDREN, APPEND_ONLY)
    locks = {statement.split()[2] for statement in statements if statement.split()[1] == "TRIGGER"}
    return locks | AUDIT_TRAIL_TRIGGERS[dialect]

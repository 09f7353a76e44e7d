"""side effects: the terms a ketamine clinic sees, each graded within its own CTCAE v5.0 range

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 18:30:00
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TERMS_BEFORE = (
    "'nausea', 'vomiting', 'dizziness', 'dissociation', 'emergence_reaction', 'sedation', 'raised_bp', "
    "'tachycardia', 'headache', 'blurred_vision', 'anxiety', 'hypersalivation', 'respiratory_depression', 'other'"
)
TERMS_AFTER = (
    "'nausea', 'vomiting', 'dizziness', 'dissociation', 'emergence_reaction', 'sedation', 'raised_bp', "
    "'tachycardia', 'headache', 'blurred_vision', 'anxiety', 'hypersalivation', 'respiratory_depression', "
    "'dysgeusia', 'vertigo', 'paraesthesia', 'nasal_discomfort', 'urinary_symptoms', 'other'"
)
GRADE_OF_TERM = (
    "grade <= CASE effect WHEN 'nausea' THEN 3 WHEN 'dizziness' THEN 3 WHEN 'headache' THEN 3 "
    "WHEN 'tachycardia' THEN 3 WHEN 'blurred_vision' THEN 4 WHEN 'dysgeusia' THEN 2 WHEN 'vertigo' THEN 3 "
    "WHEN 'paraesthesia' THEN 3 ELSE 5 END"
)
COLUMNS = (
    "id, session_id, effect, other_text, grade, onset_at, action_taken, resolved_at, recorded_by, "
    "recorded_at, version"
)
LOCKED = "the session is signed and locked: add an addendum instead"
# SQLite rebuilds the table, which drops its lock triggers: they are made again, frozen as first written.
SQLITE_LOCKS = [
    "CREATE TRIGGER side_effect_locked_insert BEFORE INSERT ON side_effect WHEN EXISTS (SELECT 1 FROM "
    f"session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
    "CREATE TRIGGER side_effect_locked_update BEFORE UPDATE ON side_effect WHEN EXISTS (SELECT 1 FROM "
    "session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) "
    f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
    "CREATE TRIGGER side_effect_locked_delete BEFORE DELETE ON side_effect WHEN EXISTS (SELECT 1 FROM "
    f"session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
]


def _sqlite_table(terms: str, grade_of_term: str | None) -> str:
    of_term = (
        f"\tCONSTRAINT ck_side_effect_grade_of_term CHECK ({grade_of_term}), \n" if grade_of_term else ""
    )
    return (
        "CREATE TABLE side_effect_new (\n"
        "\tid INTEGER NOT NULL, \n"
        "\tsession_id INTEGER NOT NULL, \n"
        "\teffect VARCHAR(32) NOT NULL, \n"
        "\tother_text VARCHAR(200) NOT NULL, \n"
        "\tgrade INTEGER NOT NULL, \n"
        "\tonset_at DATETIME NOT NULL, \n"
        "\taction_taken VARCHAR(200) NOT NULL, \n"
        "\tresolved_at DATETIME, \n"
        "\trecorded_by INTEGER NOT NULL, \n"
        "\trecorded_at DATETIME NOT NULL, \n"
        "\tversion INTEGER NOT NULL, \n"
        "\tCONSTRAINT pk_side_effect PRIMARY KEY (id), \n"
        f"\tCONSTRAINT ck_side_effect_effect_known CHECK (effect IN ({terms})), \n"
        "\tCONSTRAINT ck_side_effect_other_described CHECK (effect <> 'other' OR length(other_text) > 0), \n"
        "\tCONSTRAINT ck_side_effect_ctcae_grade CHECK (grade BETWEEN 1 AND 5), \n"
        f"{of_term}"
        "\tCONSTRAINT ck_side_effect_resolved_after_onset CHECK (resolved_at IS NULL OR resolved_at >= onset_at), \n"
        "\tCONSTRAINT ck_side_effect_version_positive CHECK (version >= 1), \n"
        "\tCONSTRAINT fk_side_effect_session_id_treatment_session FOREIGN KEY(session_id) "
        "REFERENCES treatment_session (id) ON DELETE RESTRICT, \n"
        "\tCONSTRAINT fk_side_effect_recorded_by_user_account FOREIGN KEY(recorded_by) "
        "REFERENCES user_account (id) ON DELETE RESTRICT\n"
        ")"
    )


def _sqlite_rebuild(terms: str, grade_of_term: str | None, keep_as_recorded: bool) -> None:
    if keep_as_recorded:
        # A grade recorded before its term had a range is kept as recorded (`audit rules` names it);
        # the new check holds for every row written from now on.
        op.execute("PRAGMA ignore_check_constraints = ON")
    op.execute(_sqlite_table(terms, grade_of_term))
    op.execute(f"INSERT INTO side_effect_new ({COLUMNS}) SELECT {COLUMNS} FROM side_effect")
    op.execute("PRAGMA ignore_check_constraints = OFF")
    op.execute("DROP TABLE side_effect")  # its index and triggers go with it
    op.execute("ALTER TABLE side_effect_new RENAME TO side_effect")
    op.execute("CREATE INDEX ix_side_effect_session_id ON side_effect (session_id)")
    for statement in SQLITE_LOCKS:
        op.execute(statement)


def _pg_terms(terms: str) -> None:
    op.execute("ALTER TABLE side_effect DROP CONSTRAINT ck_side_effect_effect_known")
    op.execute(
        f"ALTER TABLE side_effect ADD CONSTRAINT ck_side_effect_effect_known CHECK (effect IN ({terms}))"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(TERMS_AFTER, GRADE_OF_TERM, keep_as_recorded=True)
        return
    _pg_terms(TERMS_AFTER)
    # NOT VALID: rows recorded before are kept as recorded; validated when every row already holds.
    op.execute(
        f"ALTER TABLE side_effect ADD CONSTRAINT ck_side_effect_grade_of_term CHECK ({GRADE_OF_TERM}) NOT VALID"
    )
    if (
        op.get_bind()
        .exec_driver_sql(f"SELECT count(*) FROM side_effect WHERE NOT ({GRADE_OF_TERM})")
        .scalar()
        == 0
    ):
        op.execute("ALTER TABLE side_effect VALIDATE CONSTRAINT ck_side_effect_grade_of_term")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(TERMS_BEFORE, None, keep_as_recorded=False)
        return
    op.execute("ALTER TABLE side_effect DROP CONSTRAINT ck_side_effect_grade_of_term")
    _pg_terms(TERMS_BEFORE)

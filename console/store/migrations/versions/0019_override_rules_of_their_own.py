"""overrides: an allergy naming the drug and the required pre-dose checklist each set aside on its own

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 22:05:00
"""

from alembic import op

from console.store.migrations.sqlite_rebuild import rebuild_table

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

RULES_BEFORE = "'contraindication', 'predose_hold', 'dose_range', 'discharge'"
RULES_AFTER = "'contraindication', 'allergy', 'checklist', 'predose_hold', 'dose_range', 'discharge'"


def _check(rules: str) -> str:
    return f"CONSTRAINT ck_override_rule_known CHECK (rule IN ({rules}))"


def _rules(before: str, after: str) -> None:
    if op.get_bind().dialect.name == "sqlite":

        def change(table_sql: str) -> str:
            assert _check(before) in table_sql, "override is not as 0008 made it"
            return table_sql.replace(_check(before), _check(after), 1)

        rebuild_table("override", change)
        return
    op.execute("ALTER TABLE override DROP CONSTRAINT ck_override_rule_known")
    op.execute(f"ALTER TABLE override ADD CONSTRAINT ck_override_rule_known CHECK (rule IN ({after}))")


def upgrade() -> None:
    _rules(RULES_BEFORE, RULES_AFTER)


def downgrade() -> None:
    # An override of the new rules has no older rule to become: it is refused, not rewritten.
    _rules(RULES_AFTER, RULES_BEFORE)

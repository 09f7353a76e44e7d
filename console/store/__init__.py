"""The database: connections, tables, migrations, audited writes, the signed-session lock, the audit chain."""

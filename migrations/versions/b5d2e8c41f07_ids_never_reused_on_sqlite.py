"""Ids never reused on SQLite: posts, comments, contact messages and the outbox get AUTOINCREMENT.

Without it SQLite hands the highest id out again once its row is deleted, so an old `/comments/6` link could
lead to someone else's comment. Each table is rebuilt (SQLite can't add AUTOINCREMENT in place) with every
row and id kept; sqlite_sequence then starts at the highest id present. PostgreSQL sequences never reuse
ids: nothing to do there.

Rebuilding copies a table and drops the old one, which with foreign keys on would cascade-delete every
comment of every post: env.py turns them off outside the transaction, and this migration refuses to run
if they are on, then checks that no row lost its parent.

Revision ID: b5d2e8c41f07
Revises: 7ff56a6132ec
Create Date: 2026-11-25 14:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5d2e8c41f07'
down_revision = '7ff56a6132ec'
branch_labels = None
depends_on = None

# Parents before children, so each rebuilt table's foreign keys point at a table that is already final.
TABLES = ("posts", "comments", "contact_messages", "outbox")


def rebuild(autoincrement: bool) -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("SQLite foreign keys are on: rebuilding posts would delete every comment. "
                           "Run this migration through `flask db upgrade` (migrations/env.py turns them off).")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rows without their parent after rebuilding: {broken[:5]}")


def upgrade():
    rebuild(autoincrement=True)


def downgrade():
    rebuild(autoincrement=False)

"""Featured images: a post may name a picture of the library, with alt text of its own.

Two nullable columns on posts; no existing value is changed. SQLite can't add a named foreign key in
place, so there the posts table is rebuilt (keeping AUTOINCREMENT, every row and id) with foreign keys
off (migrations/env.py turns them off; rebuilding with them on would delete every comment), then checked
for rows that lost their parent. PostgreSQL alters the table in place.

Revision ID: c3a7f9d2e4b1
Revises: afecf496e678
Create Date: 2026-11-25 15:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a7f9d2e4b1'
down_revision = 'afecf496e678'
branch_labels = None
depends_on = None

FK_NAME = 'fk_posts_featured_media_id_media'


def refuse_with_foreign_keys_on(connection) -> None:
    if connection.dialect.name == "sqlite" and connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("SQLite foreign keys are on: rebuilding posts would delete every comment. "
                           "Run this migration through `flask db upgrade` (migrations/env.py turns them off).")


def check_parents(connection) -> None:
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows without their parent after rebuilding posts: {broken[:5]}")


def upgrade():
    connection = op.get_bind()
    refuse_with_foreign_keys_on(connection)
    with op.batch_alter_table('posts', table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('featured_media_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('featured_alt', sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(FK_NAME, 'media', ['featured_media_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_posts_featured_media_id'), ['featured_media_id'], unique=False)
    check_parents(connection)


def downgrade():
    connection = op.get_bind()
    refuse_with_foreign_keys_on(connection)
    with op.batch_alter_table('posts', table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_featured_media_id'))
        batch_op.drop_constraint(FK_NAME, type_='foreignkey')
        batch_op.drop_column('featured_alt')
        batch_op.drop_column('featured_media_id')
    check_parents(connection)

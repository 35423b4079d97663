"""Post kinds (post or page) and mails with an HTML part and extra headers.

Every existing post becomes a "post" (the server default fills the rows); the two outbox columns are
nullable, so mails already queued are sent as plain text, as before. Plain ADD COLUMN on both databases:
no table is rebuilt.

Revision ID: e5a1c0b7d9f2
Revises: c3a7f9d2e4b1
Create Date: 2026-11-25 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c0b7d9f2'
down_revision = 'c3a7f9d2e4b1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('posts', sa.Column('kind', sa.String(length=10), server_default='post', nullable=False))
    op.create_index(op.f('ix_posts_kind'), 'posts', ['kind'], unique=False)
    op.add_column('outbox', sa.Column('body_html', sa.Text(), nullable=True))
    op.add_column('outbox', sa.Column('headers', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('headers')
        batch_op.drop_column('body_html')
    op.drop_index(op.f('ix_posts_kind'), table_name='posts')
    with op.batch_alter_table('posts', table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column('kind')

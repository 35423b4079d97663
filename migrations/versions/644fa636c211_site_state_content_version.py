"""The site's content version: one row that every cached page is checked against.

A new table and its one row (version 1, changed now, the earliest scheduled post still to appear):
no existing table changes.

Revision ID: 644fa636c211
Revises: 9c4e2b7a1f35
Create Date: 2026-11-25 17:45:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '644fa636c211'
down_revision = '9c4e2b7a1f35'
branch_labels = None
depends_on = None


def upgrade():
    site_state = op.create_table(
        'site_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('content_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_publish_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_state')),
    )
    posts = sa.table('posts', sa.column('is_draft', sa.Boolean()), sa.column('published_at', sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    next_publish_at = op.get_bind().scalar(
        sa.select(sa.func.min(posts.c.published_at)).where(posts.c.is_draft.is_(False), posts.c.published_at > now)
    )
    if next_publish_at is not None and next_publish_at.tzinfo is None:  # SQLite hands back naive UTC
        next_publish_at = next_publish_at.replace(tzinfo=timezone.utc)
    op.bulk_insert(
        site_state, [{'id': 1, 'content_version': 1, 'changed_at': now, 'next_publish_at': next_publish_at}]
    )


def downgrade():
    op.drop_table('site_state')

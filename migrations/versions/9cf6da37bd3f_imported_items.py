"""Imported items: which author, post and comment an import wrote, keyed by its source and source id.

A new table only; no existing table or row changes.

Revision ID: 9cf6da37bd3f
Revises: 80bc66bf8706
Create Date: 2026-11-25 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9cf6da37bd3f'
down_revision = '80bc66bf8706'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'imported_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('source_id', sa.String(length=200), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_items')),
        sa.UniqueConstraint('source', 'kind', 'source_id', name=op.f('uq_imported_items_source')),
    )


def downgrade():
    op.drop_table('imported_items')

"""The site's header navigation as a list: nav_items (pages now, custom links later).

A new table only; no existing row changes.

Revision ID: 8d3f6a1c2b90
Revises: 42a13cb27d91
Create Date: 2026-11-25 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d3f6a1c2b90'
down_revision = '42a13cb27d91'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'nav_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('url', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ['post_id'], ['posts.id'], name=op.f('fk_nav_items_post_id_posts'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_nav_items')),
        sa.UniqueConstraint('post_id', name=op.f('uq_nav_items_post_id')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_nav_items_position'), 'nav_items', ['position'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_nav_items_position'), table_name='nav_items')
    op.drop_table('nav_items')

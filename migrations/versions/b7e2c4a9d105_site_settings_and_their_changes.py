"""Settings changed from the dashboard: a JSON column on site_state (read with the content version) and
settings_changes, the log of who changed what and when.

Plain ADD COLUMN and a new table: no table is rebuilt, existing rows keep their values (a NULL settings
column means every setting follows its environment variable, as before).

Revision ID: b7e2c4a9d105
Revises: 5e7d0c4a9b12
Create Date: 2026-11-25 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4a9d105'
down_revision = '5e7d0c4a9b12'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('site_state', sa.Column('settings', sa.JSON(), nullable=True))
    op.create_table(
        'settings_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('setting', sa.String(length=40), nullable=False),
        sa.Column('old_value', sa.String(length=1000), nullable=False),
        sa.Column('new_value', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_settings_changes_user_id_users'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_settings_changes')),
    )
    op.create_index(op.f('ix_settings_changes_changed_at'), 'settings_changes', ['changed_at'], unique=False)
    op.create_index(op.f('ix_settings_changes_user_id'), 'settings_changes', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_settings_changes_user_id'), table_name='settings_changes')
    op.drop_index(op.f('ix_settings_changes_changed_at'), table_name='settings_changes')
    op.drop_table('settings_changes')
    with op.batch_alter_table('site_state') as batch_op:
        batch_op.drop_column('settings')

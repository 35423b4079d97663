"""Outbox recipients as text: a long CONTACT_RECIPIENT list must never fail a visitor's message.

Revision ID: 7ff56a6132ec
Revises: 7a1c0e5b9d21
Create Date: 2026-11-25 10:19:28.112540

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7ff56a6132ec'
down_revision = '7a1c0e5b9d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('to_addresses',
               existing_type=sa.VARCHAR(length=1000),
               type_=sa.Text(),
               existing_nullable=False)



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('to_addresses',
               existing_type=sa.Text(),
               type_=sa.VARCHAR(length=1000),
               existing_nullable=False)


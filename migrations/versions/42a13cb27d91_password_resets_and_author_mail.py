"""Password reset links, authors' comment mail choice, and what kind of mail each outbox row is.

users.reset_nonce: the random value in the author's current reset link (none: no link works).
users.comment_mail: "every", "pending" (the default, filled in for every existing author) or "none".
outbox.kind: the template a mail was made from; empty for mails queued before.
Plain ADD COLUMN on both databases: no table is rebuilt.

Revision ID: 42a13cb27d91
Revises: ceeb79d74505
Create Date: 2026-11-25 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '42a13cb27d91'
down_revision = 'ceeb79d74505'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('reset_nonce', sa.String(length=32), nullable=True))
    op.add_column('users', sa.Column('comment_mail', sa.String(length=20), server_default='pending', nullable=False))
    op.add_column('outbox', sa.Column('kind', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('comment_mail')
        batch_op.drop_column('reset_nonce')

"""Reply mails for readers: subscriptions (double opt-in), watched comments, muted threads, waiting replies.

New tables only: no existing table changes.

Revision ID: 9c4e2b7a1f35
Revises: 8d3f6a1c2b90
Create Date: 2026-11-25 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c4e2b7a1f35'
down_revision = '8d3f6a1c2b90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reader_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirm_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_subscriptions')),
        sa.UniqueConstraint('email', name=op.f('uq_reader_subscriptions_email')),
    )
    op.create_table(
        'reply_watches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['comment_id'], ['comments.id'], name=op.f('fk_reply_watches_comment_id_comments'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['subscription_id'],
            ['reader_subscriptions.id'],
            name=op.f('fk_reply_watches_subscription_id_reader_subscriptions'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_watches')),
        sa.UniqueConstraint('comment_id', name=op.f('uq_reply_watches_comment_id')),
    )
    op.create_index(op.f('ix_reply_watches_subscription_id'), 'reply_watches', ['subscription_id'], unique=False)
    op.create_table(
        'thread_mutes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['subscription_id'],
            ['reader_subscriptions.id'],
            name=op.f('fk_thread_mutes_subscription_id_reader_subscriptions'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['thread_id'], ['comments.id'], name=op.f('fk_thread_mutes_thread_id_comments'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_mutes')),
    )
    op.create_index(
        'uq_thread_mutes_subscription_id_thread_id', 'thread_mutes', ['subscription_id', 'thread_id'], unique=True
    )
    op.create_index(op.f('ix_thread_mutes_thread_id'), 'thread_mutes', ['thread_id'], unique=False)
    op.create_table(
        'pending_reply_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('reply_id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['reply_id'], ['comments.id'], name=op.f('fk_pending_reply_mails_reply_id_comments'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['subscription_id'],
            ['reader_subscriptions.id'],
            name=op.f('fk_pending_reply_mails_subscription_id_reader_subscriptions'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['thread_id'], ['comments.id'], name=op.f('fk_pending_reply_mails_thread_id_comments'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_reply_mails')),
    )
    op.create_index(op.f('ix_pending_reply_mails_due_at'), 'pending_reply_mails', ['due_at'], unique=False)
    op.create_index(op.f('ix_pending_reply_mails_reply_id'), 'pending_reply_mails', ['reply_id'], unique=False)
    op.create_index(op.f('ix_pending_reply_mails_thread_id'), 'pending_reply_mails', ['thread_id'], unique=False)
    op.create_index(
        'uq_pending_reply_mails_subscription_id_reply_id',
        'pending_reply_mails',
        ['subscription_id', 'reply_id'],
        unique=True,
    )


def downgrade():
    op.drop_table('pending_reply_mails')
    op.drop_table('thread_mutes')
    op.drop_table('reply_watches')
    op.drop_table('reader_subscriptions')

"""Per-device sessions and the editor's kept text; users.session_token goes.

Each login now gets a user_sessions row, so users.session_token (one token per author, rotated to end
every session) is dropped. Authors logged in before this migration log in once more; nothing they wrote
is touched (users, posts and comments keep every row).

Revision ID: d1b79d9eefe8
Revises: 7ff56a6132ec
Create Date: 2026-11-25 14:50:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd1b79d9eefe8'
down_revision = '7ff56a6132ec'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device', sa.String(length=60), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_user_sessions_token_digest')),
    )
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)

    op.create_table(
        'editor_stashes',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('fields', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_editor_stashes_post_id_posts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_editor_stashes_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_editor_stashes')),
    )
    op.create_index(op.f('ix_editor_stashes_created_at'), 'editor_stashes', ['created_at'], unique=False)
    op.create_index(op.f('ix_editor_stashes_post_id'), 'editor_stashes', ['post_id'], unique=False)
    op.create_index(op.f('ix_editor_stashes_user_id'), 'editor_stashes', ['user_id'], unique=False)

    # On SQLite this copies the users table; env.py has turned foreign keys off, so no post or comment
    # is cascaded away.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_session_token'), type_='unique')
        batch_op.drop_column('session_token')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))

    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(32))
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_session_token'), ['session_token'])

    op.drop_index(op.f('ix_editor_stashes_user_id'), table_name='editor_stashes')
    op.drop_index(op.f('ix_editor_stashes_post_id'), table_name='editor_stashes')
    op.drop_index(op.f('ix_editor_stashes_created_at'), table_name='editor_stashes')
    op.drop_table('editor_stashes')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')

"""Post revisions: each save of a post keeps a copy; existing posts start with one of their current text.

Revision ID: 66a1b5616c5d
Revises: d1b79d9eefe8
Create Date: 2026-11-25 14:28:55.937288

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66a1b5616c5d'
down_revision = 'd1b79d9eefe8'
branch_labels = None
depends_on = None

posts = sa.table('posts', sa.column('id', sa.Integer), sa.column('title', sa.String), sa.column('body', sa.Text),
                 sa.column('excerpt', sa.String), sa.column('author_id', sa.Integer),
                 sa.column('updated_at', sa.DateTime(timezone=True)))
tags = sa.table('tags', sa.column('id', sa.Integer), sa.column('name', sa.String))
post_tags = sa.table('post_tags', sa.column('post_id', sa.Integer), sa.column('tag_id', sa.Integer))
post_revisions = sa.table('post_revisions', sa.column('post_id', sa.Integer), sa.column('kind', sa.String),
                          sa.column('title', sa.String), sa.column('body', sa.Text), sa.column('excerpt', sa.String),
                          sa.column('tags', sa.Text), sa.column('author_id', sa.Integer),
                          sa.column('created_at', sa.DateTime(timezone=True)))


def upgrade():
    op.create_table('post_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('excerpt', sa.String(length=300), nullable=False),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_post_revisions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_revisions_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_revisions'))
    )
    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_revisions_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_post_revisions_post_id_created_at', ['post_id', 'created_at'], unique=False)

    # Every existing post starts its history with its current text, so a later save can be undone.
    conn = op.get_bind()
    names = defaultdict(list)
    for post_id, name in conn.execute(sa.select(post_tags.c.post_id, tags.c.name)
                                      .join(tags, tags.c.id == post_tags.c.tag_id).order_by(tags.c.name)):
        names[post_id].append(name)
    rows = [{'post_id': post.id, 'kind': 'saved', 'title': post.title, 'body': post.body, 'excerpt': post.excerpt,
             'tags': ', '.join(names[post.id]), 'author_id': post.author_id, 'created_at': post.updated_at}
            for post in conn.execute(sa.select(posts))]
    if rows:
        op.bulk_insert(post_revisions, rows)


def downgrade():
    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_post_revisions_post_id_created_at')
        batch_op.drop_index(batch_op.f('ix_post_revisions_author_id'))

    op.drop_table('post_revisions')

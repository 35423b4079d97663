"""Comment counts and local months kept on posts; indexes that cover listings, their counts, tag pages and
a post's top-level comments.

`posts.comment_count` (what readers see: approved comments of shown threads) and `posts.published_month`
(year * 100 + month of published_at in SITE_TIMEZONE, read from the environment as the app does) are filled
here for existing rows; the app keeps both on write from then on. Plain ADD COLUMN and new indexes: no
table is rebuilt.

Revision ID: 0a8d99251a5f
Revises: 644fa636c211
Create Date: 2026-11-25 18:00:00

"""
import os
from datetime import timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0a8d99251a5f'
down_revision = '644fa636c211'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.add_column('posts', sa.Column('comment_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('posts', sa.Column('published_month', sa.Integer(), nullable=True))
    op.create_index(
        'ix_posts_kind_is_draft_published_at_id', 'posts', ['kind', 'is_draft', 'published_at', 'id'], unique=False
    )
    op.create_index(
        'ix_posts_kind_is_draft_published_month',
        'posts',
        ['kind', 'is_draft', 'published_month', 'published_at'],
        unique=False,
    )
    op.create_index('ix_post_tags_tag_id_post_id', 'post_tags', ['tag_id', 'post_id'], unique=False)
    op.create_index(
        'ix_comments_post_id_parent_id_created_at_id',
        'comments',
        ['post_id', 'parent_id', 'created_at', 'id'],
        unique=False,
    )

    connection = op.get_bind()
    # Approved comments whose thread's top-level comment is approved or a placeholder (Comment.seen_by_readers).
    connection.execute(
        sa.text(
            "UPDATE posts SET comment_count = (SELECT count(c.id) FROM comments c "
            "LEFT OUTER JOIN comments r ON r.id = c.root_id WHERE c.post_id = posts.id AND c.status = 'approved' "
            "AND (c.root_id IS NULL OR r.status IN ('approved', 'deleted')))"
        )
    )
    zone = ZoneInfo((os.environ.get('SITE_TIMEZONE') or 'UTC').strip() or 'UTC')
    last = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, published_at FROM posts WHERE id > :last AND published_at IS NOT NULL ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            break
        updates = []
        for post_id, published_at in rows:
            if isinstance(published_at, str):  # SQLite without type information
                from datetime import datetime

                published_at = datetime.fromisoformat(published_at)
            if published_at.tzinfo is None:
                published_at = published_at.replace(tzinfo=timezone.utc)
            local = published_at.astimezone(zone)
            updates.append({"id": post_id, "month": local.year * 100 + local.month})
        connection.execute(sa.text("UPDATE posts SET published_month = :month WHERE id = :id"), updates)
        last = rows[-1][0]


def downgrade():
    op.drop_index('ix_comments_post_id_parent_id_created_at_id', table_name='comments')
    op.drop_index('ix_post_tags_tag_id_post_id', table_name='post_tags')
    op.drop_index('ix_posts_kind_is_draft_published_month', table_name='posts')
    op.drop_index('ix_posts_kind_is_draft_published_at_id', table_name='posts')
    with op.batch_alter_table('posts', table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column('published_month')
        batch_op.drop_column('comment_count')

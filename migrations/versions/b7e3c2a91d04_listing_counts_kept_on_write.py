"""Listing counts kept on write: post_tags.listed_at with its (tag_id, listed_at, post_id) index, tags.post_count,
archive_months and site_state.post_count, filled here for existing rows.

listed_at is the post's published_at while it is an article that is not a draft, else NULL; the counts are
the articles listed or scheduled to be (a page subtracts the scheduled ones). The app keeps all three on
write from then on (blog/listing_counts.py). archive_months holds each month's count (the month as
posts.published_month has it, already in SITE_TIMEZONE). Plain ADD COLUMN, UPDATE, a new table and a new
index: no table is rebuilt.

Revision ID: b7e3c2a91d04
Revises: 0a8d99251a5f
Create Date: 2026-11-25 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3c2a91d04'
down_revision = '0a8d99251a5f'
branch_labels = None
depends_on = None

# Post.will_be_listed() as it is when this was written.
WILL_BE_LISTED = "p.kind = 'post' AND p.is_draft = false AND p.published_at IS NOT NULL"


def upgrade():
    op.add_column('post_tags', sa.Column('listed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tags', sa.Column('post_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('site_state', sa.Column('post_count', sa.Integer(), nullable=True))
    op.create_table(
        'archive_months',
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('post_count', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_archive_months')),
    )

    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE post_tags SET listed_at = (SELECT p.published_at FROM posts p "
            f"WHERE p.id = post_tags.post_id AND {WILL_BE_LISTED})"
        )
    )
    op.create_index(
        'ix_post_tags_tag_id_listed_at_post_id', 'post_tags', ['tag_id', 'listed_at', 'post_id'], unique=False
    )
    connection.execute(
        sa.text(
            "UPDATE tags SET post_count = (SELECT count(*) FROM post_tags "
            "WHERE post_tags.tag_id = tags.id AND post_tags.listed_at IS NOT NULL)"
        )
    )
    connection.execute(
        sa.text(f"UPDATE site_state SET post_count = (SELECT count(*) FROM posts p WHERE {WILL_BE_LISTED})")
    )
    connection.execute(
        sa.text(
            "INSERT INTO archive_months (month, post_count) SELECT p.published_month, count(*) FROM posts p "
            f"WHERE {WILL_BE_LISTED} AND p.published_month IS NOT NULL GROUP BY p.published_month"
        )
    )


def downgrade():
    op.drop_table('archive_months')
    op.drop_index('ix_post_tags_tag_id_listed_at_post_id', table_name='post_tags')
    # SQLite (3.35+) drops a plain column in place: no batch copy of tags, whose delete would cascade.
    op.execute("ALTER TABLE site_state DROP COLUMN post_count")
    op.execute("ALTER TABLE tags DROP COLUMN post_count")
    op.execute("ALTER TABLE post_tags DROP COLUMN listed_at")

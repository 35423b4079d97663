"""Search index: FTS5 table on SQLite, weighted tsvector column with a GIN index on PostgreSQL.

Neither is in the models; blog.search.index keeps them in step with every write and tells autogenerate
to leave them alone. Existing posts are indexed here with a frozen copy of that code (plain SQL, the
standard library and nh3), so this migration runs the same whatever the application code becomes.

Revision ID: 7a1c0e5b9d21
Revises: e38b4e3d5f83
Create Date: 2026-11-25 10:10:00

"""
import unicodedata
from html import unescape

import nh3
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7a1c0e5b9d21'
down_revision = 'e38b4e3d5f83'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("ALTER TABLE posts ADD COLUMN search_vector tsvector")
        op.execute("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING fts5("
            "title, tags, excerpt, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    index_existing_posts(connection)


def strip_diacritics(value):
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def index_existing_posts(connection):
    tags = {}
    for post_id, name in connection.execute(sa.text(
            "SELECT post_tags.post_id, tags.name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id "
            "ORDER BY tags.name")):
        tags.setdefault(post_id, []).append(name)
    for post_id, title, excerpt, body_html in connection.execute(
            sa.text("SELECT id, title, excerpt, body_html FROM posts ORDER BY id")).all():
        values = {
            "id": post_id,
            "title": strip_diacritics(title),
            "tags": strip_diacritics(" ".join(tags.get(post_id, []))),
            "excerpt": strip_diacritics(excerpt),
            "body": strip_diacritics(" ".join(unescape(nh3.clean(body_html or "", tags=set())).split())),
        }
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(
                "UPDATE posts SET search_vector = "
                "setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :tags), 'B') || "
                "setweight(to_tsvector('simple', :excerpt), 'C') || setweight(to_tsvector('simple', :body), 'D') "
                "WHERE id = :id"), values)
        else:
            connection.execute(sa.text(
                "INSERT INTO post_search (rowid, title, tags, excerpt, body) "
                "VALUES (:id, :title, :tags, :excerpt, :body)"), values)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_search_vector")
        op.execute("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")
    else:
        op.execute("DROP TABLE IF EXISTS post_search")

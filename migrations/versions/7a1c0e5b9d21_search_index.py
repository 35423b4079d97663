"""Search index: FTS5 table on SQLite, weighted tsvector column with a GIN index on PostgreSQL.

Neither is in the models; blog.search.index keeps them in step with every write and tells autogenerate
to leave them alone.

Revision ID: 7a1c0e5b9d21
Revises: e38b4e3d5f83
Create Date: 2026-11-25 10:10:00

"""
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
    # Index what is already there, with the same code that keeps it in step afterwards.
    from blog.search.index import reindex_all

    reindex_all(connection)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_search_vector")
        op.execute("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")
    else:
        op.execute("DROP TABLE IF EXISTS post_search")

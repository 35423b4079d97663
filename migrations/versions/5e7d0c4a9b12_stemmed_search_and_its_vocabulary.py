"""Stemmed search and its vocabulary: the index is marked stale, `flask search reindex` rebuilds it.

The index now holds stems made in Python in the site's language (blog/search/words.py), which a migration
must not import; so this one only adds the vocabulary table and the two site_state columns, and marks the
index stale when there are posts in it. Until `flask --app blog search reindex --if-stale` has run (`make
run` and the README's upgrade steps run it), the search page says the index is being rebuilt. The FTS5
table and the tsvector column keep their shape: only what is written into them changes.

Revision ID: 5e7d0c4a9b12
Revises: b7e3c2a91d04
Create Date: 2026-11-25 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7d0c4a9b12'
down_revision = 'b7e3c2a91d04'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_words',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('word', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('key', 'word', name=op.f('pk_search_words')),
    )
    op.add_column('site_state', sa.Column('search_stale', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('site_state', sa.Column('search_language', sa.String(length=16), nullable=True))
    # Search pages cached from the old index go when the reindex bumps the content version.
    op.execute("UPDATE site_state SET search_stale = EXISTS (SELECT 1 FROM posts)")


def downgrade():
    # The index keeps stems that the older code would not find words in: the older code's reindex fixes it.
    with op.batch_alter_table('site_state') as batch_op:
        batch_op.drop_column('search_language')
        batch_op.drop_column('search_stale')
    op.drop_table('search_words')

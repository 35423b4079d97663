"""Author pages: each author gets a slug (their page is /authors/<slug>) and a bio.

The slug is filled for every existing author from their name, with the app's rule (copied here: a
migration never imports the app), suffixed "-2", "-3" ... in id order when two names give the same one.
Plain ADD COLUMN on both databases (NOT NULL with an empty default, filled before the unique index is
built): no table is rebuilt. PostgreSQL then drops the slug's default (new rows always get one from the
app); SQLite can't drop a default without rebuilding the table, and there it is harmless.

Revision ID: ceeb79d74505
Revises: 9cf6da37bd3f
Create Date: 2026-11-25 17:30:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ceeb79d74505'
down_revision = '9cf6da37bd3f'
branch_labels = None
depends_on = None

SLUG_LENGTH = 100


def slugify(text: str) -> str:
    """blog.posts.services.slugify as it was when this was written, cut to an author slug's length."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", text or "").lower()).strip("-")
    return slug[:SLUG_LENGTH].strip("-") or "author"


def upgrade():
    op.add_column('users', sa.Column('slug', sa.String(length=120), server_default='', nullable=False))
    op.add_column('users', sa.Column('bio', sa.String(length=500), server_default='', nullable=False))
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('slug', sa.String))
    taken: set[str] = set()
    for user_id, name in connection.execute(sa.select(users.c.id, users.c.name).order_by(users.c.id)).all():
        base = slugify(name)
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        connection.execute(users.update().where(users.c.id == user_id).values(slug=slug))
    op.create_index(op.f('ix_users_slug'), 'users', ['slug'], unique=True)
    if connection.dialect.name != 'sqlite':
        op.alter_column('users', 'slug', server_default=None)


def downgrade():
    op.drop_index(op.f('ix_users_slug'), table_name='users')
    op.drop_column('users', 'bio')
    op.drop_column('users', 'slug')

"""The search index, kept in step with posts inside the same transaction as every write.

SQLite: an FTS5 table `post_search` (unicode61, diacritics removed) whose rowid is the post's id.
PostgreSQL: a `posts.search_vector` tsvector column with a GIN index, weighted title > tags > excerpt > body;
tags are written into it here because a generated column can't read another table.
Both live outside the models (the migration creates them), and autogenerate is told to leave them alone.
"""

import unicodedata

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from ..markdown import plain_text
from ..models import Post

FTS_TABLE = "post_search"
VECTOR_COLUMN = "search_vector"


def strip_diacritics(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def include_name(name, type_, parent_names) -> bool:
    """Alembic autogenerate: ignore the search index, which the models don't describe."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and name == VECTOR_COLUMN:
        return False
    if type_ == "index" and name == "ix_posts_search_vector":
        return False
    return True


def document(title: str, tag_names: list[str], excerpt: str, body_html: str) -> dict[str, str]:
    """The indexed text of a post: visible words only, diacritics removed on both databases."""
    return {
        "title": strip_diacritics(title or ""),
        "tags": strip_diacritics(" ".join(tag_names)),
        "excerpt": strip_diacritics(excerpt or ""),
        "body": strip_diacritics(plain_text(body_html or "")),
    }


def write_entry(connection, post_id: int, doc: dict[str, str]) -> None:
    values = {"id": post_id, **doc}
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "UPDATE posts SET search_vector = "
                "setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :tags), 'B') || "
                "setweight(to_tsvector('simple', :excerpt), 'C') || setweight(to_tsvector('simple', :body), 'D') "
                "WHERE id = :id"
            ),
            values,
        )
    else:
        connection.execute(text("DELETE FROM post_search WHERE rowid = :id"), {"id": post_id})
        connection.execute(
            text(
                "INSERT INTO post_search (rowid, title, tags, excerpt, body) "
                "VALUES (:id, :title, :tags, :excerpt, :body)"
            ),
            values,
        )


def delete_entry(connection, post_id: int) -> None:
    if connection.dialect.name != "postgresql":  # on PostgreSQL the vector goes with the row
        connection.execute(text("DELETE FROM post_search WHERE rowid = :id"), {"id": post_id})


@event.listens_for(Session, "after_flush")
def keep_index_in_step(session: Session, flush_context) -> None:
    changed = [obj for obj in list(session.new) + list(session.dirty) if isinstance(obj, Post)]
    deleted = [obj for obj in session.deleted if isinstance(obj, Post)]
    if not changed and not deleted:
        return
    connection = session.connection()
    with session.no_autoflush:
        for post in changed:
            if post.id is not None and post not in session.deleted:
                tag_names = [tag.name for tag in post.tags]
                write_entry(connection, post.id, document(post.title, tag_names, post.excerpt, post.body_html))
        for post in deleted:
            delete_entry(connection, post.id)


def reindex_all(connection, progress=None, batch_size: int = 500) -> int:
    """Rebuild every entry from the tables themselves; `progress` is called once per post, for a progress bar.

    Streams: posts and their tags are read a batch at a time (by id), so memory stays flat at any size.
    The search-index migration carries its own frozen copy, so that it never imports application code."""
    if connection.dialect.name != "postgresql":
        connection.execute(text("DELETE FROM post_search"))
    done, last = 0, 0
    while True:
        rows = connection.execute(
            text("SELECT id, title, excerpt, body_html FROM posts WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": batch_size},
        ).all()
        if not rows:
            return done
        tags: dict[int, list[str]] = {}
        for post_id, name in connection.execute(
            text(
                "SELECT post_tags.post_id, tags.name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id "
                "WHERE post_tags.post_id > :last AND post_tags.post_id <= :upto ORDER BY tags.name"
            ),
            {"last": last, "upto": rows[-1][0]},
        ):
            tags.setdefault(post_id, []).append(name)
        for post_id, title, excerpt, body_html in rows:
            write_entry(connection, post_id, document(title, tags.get(post_id, []), excerpt, body_html))
            if progress:
                progress(post_id)
        done += len(rows)
        last = rows[-1][0]

"""The search index, kept in step with posts inside the same transaction as every write.

SQLite: an FTS5 table `post_search` (unicode61, diacritics removed) whose rowid is the post's id.
PostgreSQL: a `posts.search_vector` tsvector column with a GIN index, weighted title > tags > excerpt > body;
tags are written into it here because a generated column can't read another table.
Both hold stems, not words: blog/search/words.py stems every word in Python in the site's language
(SITE_LANGUAGE), the same on both databases, and the reader's query is stemmed the same way.
`search_words` is the vocabulary "Did you mean" draws on (see SearchWord).
Both indexes live outside the models (the migration creates them), and autogenerate is told to leave them alone.
"""

import weakref

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, inspect, text
from sqlalchemy.orm import Session

from ..markdown import plain_text
from ..models import Post
from .words import lookup_keys, stemmed_text, vocabulary_words

FTS_TABLE = "post_search"
VECTOR_COLUMN = "search_vector"

_engines_with_vocabulary: "weakref.WeakSet" = weakref.WeakSet()


def site_language() -> str:
    return current_app.config["SITE_LANGUAGE"] if has_app_context() else "en"


def include_name(name, type_, parent_names) -> bool:
    """Alembic autogenerate: ignore the search index, which the models don't describe."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and name == VECTOR_COLUMN:
        return False
    if type_ == "index" and name == "ix_posts_search_vector":
        return False
    return True


def document(title: str, tag_names: list[str], excerpt: str, body_html: str, language: str) -> dict[str, str]:
    """The indexed text of a post: the stems of its visible words, one per word, in the site's language."""
    return {
        "title": stemmed_text(title or "", language),
        "tags": stemmed_text(" ".join(tag_names), language),
        "excerpt": stemmed_text(excerpt or "", language),
        "body": stemmed_text(plain_text(body_html or ""), language),
    }


def post_words(title: str, tag_names: list[str], excerpt: str, body_html: str) -> set[str]:
    """The words of a post the vocabulary keeps (as written, not stemmed: suggestions show words)."""
    return vocabulary_words(" ".join([title or "", " ".join(tag_names), excerpt or "", plain_text(body_html or "")]))


def _has_vocabulary(connection) -> bool:
    """Whether this database has the table yet (today's code also runs on older schemas, e.g. in tests)."""
    engine = connection.engine
    if engine in _engines_with_vocabulary:
        return True
    if inspect(connection).has_table("search_words"):
        _engines_with_vocabulary.add(engine)
        return True
    return False


def add_words(connection, found: set[str]) -> None:
    """Add the words not yet in the vocabulary, each under its lookup keys (concurrent writers: no error)."""
    if not found or not _has_vocabulary(connection):
        return
    known_query = text("SELECT word FROM search_words WHERE key IN :words AND key = word").bindparams(
        bindparam("words", expanding=True)
    )
    wanted = sorted(found)
    known: set[str] = set()
    for start in range(0, len(wanted), 5000):
        known.update(connection.execute(known_query, {"words": wanted[start : start + 5000]}).scalars())
    rows = [{"key": key, "word": word} for word in wanted if word not in known for key in sorted(lookup_keys(word))]
    if rows:
        connection.execute(
            text("INSERT INTO search_words (key, word) VALUES (:key, :word) ON CONFLICT DO NOTHING"), rows
        )


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
                language = site_language()
                write_entry(
                    connection, post.id, document(post.title, tag_names, post.excerpt, post.body_html, language)
                )
                add_words(connection, post_words(post.title, tag_names, post.excerpt, post.body_html))
        for post in deleted:
            delete_entry(connection, post.id)


def reindex_all(connection, progress=None, batch_size: int = 500, language: str | None = None) -> int:
    """Rebuild every entry and the vocabulary from the tables themselves, in the site's language, and mark
    the index current; `progress` is called once per post, for a progress bar.

    Streams: posts and their tags are read a batch at a time (by id), so memory stays flat at any size."""
    language = language or site_language()
    if connection.dialect.name != "postgresql":
        connection.execute(text("DELETE FROM post_search"))
    if _has_vocabulary(connection):
        connection.execute(text("DELETE FROM search_words"))
    done, last = 0, 0
    while True:
        rows = connection.execute(
            text("SELECT id, title, excerpt, body_html FROM posts WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": batch_size},
        ).all()
        if not rows:
            break
        tags: dict[int, list[str]] = {}
        for post_id, name in connection.execute(
            text(
                "SELECT post_tags.post_id, tags.name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id "
                "WHERE post_tags.post_id > :last AND post_tags.post_id <= :upto ORDER BY tags.name"
            ),
            {"last": last, "upto": rows[-1][0]},
        ):
            tags.setdefault(post_id, []).append(name)
        batch_words: set[str] = set()
        for post_id, title, excerpt, body_html in rows:
            tag_names = tags.get(post_id, [])
            write_entry(connection, post_id, document(title, tag_names, excerpt, body_html, language))
            batch_words |= post_words(title, tag_names, excerpt, body_html)
            if progress:
                progress(post_id)
        add_words(connection, batch_words)
        done += len(rows)
        last = rows[-1][0]
    if _has_vocabulary(connection):
        connection.execute(
            text("UPDATE site_state SET search_stale = :no, search_language = :language"),
            {"no": False, "language": language},
        )
    return done


def index_is_stale(connection, language: str | None = None) -> bool:
    """Whether search must wait for `search reindex`: a migration marked the index stale, or its words were
    stemmed in another language than the site's."""
    if not _has_vocabulary(connection):
        return False
    row = connection.execute(text("SELECT search_stale, search_language FROM site_state WHERE id = 1")).first()
    if row is None:
        return False
    stale, indexed_language = row
    return bool(stale) or (indexed_language is not None and indexed_language != (language or site_language()))

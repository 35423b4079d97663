"""search_posts(query, page): one function over both databases' full-text search.

The reader's text is turned into terms made only of letters and digits, so nothing they type can
reach FTS5's or tsquery's syntax: words are ANDed, "quoted phrases" match as phrases, and the last
word also matches as a prefix (while it is being typed).
"""

import re
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import ColumnClause, Float, Integer, column, literal_column, table, text
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..markdown import plain_text
from ..models import Post
from ..posts.queries import listing_loads
from ..site_settings import site_settings
from .index import strip_diacritics

MAX_TERMS = 12
_TOKEN = re.compile(r'"([^"]*)"?|([^\s"]+)')
_WORD = re.compile(r"\w+")
_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)

post_search = table("post_search", column("rowid"))


@dataclass
class Term:
    words: list[str]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


def parse_query(raw: str) -> list[Term]:
    """Words and "quoted phrases", lower-cased without diacritics; the last bare word is a prefix."""
    terms: list[Term] = []
    for phrase, bare in _TOKEN.findall(strip_diacritics(raw or "")[:1000].lower()):
        words = _WORD.findall(phrase if phrase else bare)
        if phrase and words:
            terms.append(Term(words))
        else:
            terms.extend(Term([word]) for word in words)
    terms = terms[:MAX_TERMS]
    if terms and not terms[-1].is_phrase and not raw.rstrip().endswith('"'):
        terms[-1].prefix = True
    return terms


def fts5_query(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        quoted = '"' + " ".join(term.words) + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " ".join(parts)


def tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        if term.is_phrase:
            parts.append("(" + " <-> ".join(term.words) + ")")
        else:
            parts.append(term.words[0] + (":*" if term.prefix else ""))
    return " & ".join(parts)


def matching_posts(terms: list[Term]):
    """A select() of visible posts matching every term, best first (title hits weigh the most).

    Bounded work at any size: only the newest SEARCH_RANK_LIMIT matches (by id, an order both indexes
    give cheaply) are ranked, so a word found in a third of 100,000 posts costs what it does in 100.
    """
    limit = current_app.config["SEARCH_RANK_LIMIT"]
    query = db.select(Post).where(Post.is_visible()).options(*listing_loads())
    if db.engine.dialect.name == "postgresql":
        tsq = db.func.to_tsquery("simple", tsquery(terms))
        vector: ColumnClause = literal_column("posts.search_vector")
        candidates = (
            db.select(Post.id.label("id")).where(vector.op("@@")(tsq)).order_by(Post.id.desc()).limit(limit)
        ).subquery("candidates")
        rank = db.func.ts_rank_cd(text("'{0.1, 0.2, 0.4, 1.0}'"), vector, tsq)
        return query.join(candidates, candidates.c.id == Post.id).order_by(
            rank.desc(), Post.published_at.desc(), Post.id
        )
    # bm25 weights per column: title, tags, excerpt, body; FTS5 hands matches out by rowid (the post's id).
    found = (
        text(
            "SELECT rowid AS id, bm25(post_search, 10.0, 4.0, 2.0, 1.0) AS score FROM post_search "
            "WHERE post_search MATCH :fts ORDER BY rowid DESC LIMIT :limit"
        )
        .bindparams(fts=fts5_query(terms), limit=limit)
        .columns(column("id", Integer), column("score", Float))
        .subquery("candidates")
    )
    return query.join(found, found.c.id == Post.id).order_by(found.c.score, Post.published_at.desc(), Post.id)


def search_posts(raw: str, page: int):
    """(pagination or None, terms). None when the query has no words to look for."""
    terms = parse_query(raw)
    if not terms:
        return None, terms
    try:
        pagination = db.paginate(
            matching_posts(terms), page=page, per_page=site_settings().posts_per_page, error_out=True
        )
    except DBAPIError:
        # The terms are plain words, so this should not happen; if it does, a reader sees "no results".
        db.session.rollback()
        current_app.logger.exception("search failed for %r", raw)
        return None, terms
    return pagination, terms


def snippet(post: Post, terms: list[Term], width: int = 32) -> Markup:
    """About `width` words of the body around the first match, escaped, with matches in <mark>."""
    words = plain_text(post.body_html).split()
    wanted = [(w, t.prefix and i == len(t.words) - 1) for t in terms for i, w in enumerate(t.words)]

    def matches(word: str) -> bool:
        key = strip_diacritics(word).lower()
        key = "".join(_WORD.findall(key))
        return any(key.startswith(w) if prefix else key == w for w, prefix in wanted)

    first = next((i for i, word in enumerate(words) if matches(word)), 0)
    start = max(0, first - width // 3)
    chosen = words[start : start + width]
    pieces = []
    for word in chosen:
        edges = _EDGES.match(word)
        assert edges is not None  # the pattern matches any string
        lead, core, trail = edges.groups()
        pieces.append(
            Markup("{}<mark>{}</mark>{}").format(lead, core, trail) if core and matches(core) else escape(word)
        )
    text_ = Markup(" ").join(pieces)
    if start > 0:
        text_ = Markup("\u2026 ") + text_
    if start + width < len(words):
        text_ += Markup(" \u2026")
    return text_

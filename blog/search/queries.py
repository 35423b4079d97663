"""search_posts(query, page): one function over both databases' full-text search.

The reader's text is turned into terms made only of letters and digits, so nothing they type can
reach FTS5's or tsquery's syntax: words are ANDed, "quoted phrases" match as phrases, and the last
word also matches as a prefix (while it is being typed). Words are stemmed as the index is (words.py),
so "migrations" finds "migration"; the prefix is also looked up in the vocabulary, since the index
holds stems ("migratio" is no prefix of the stem "migrat", but it is of the word "migration").
When a search finds little, `suggestion` looks for a close spelling that finds more ("Did you mean").
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import SelectPagination
from markupsafe import Markup, escape
from sqlalchemy import Float, Integer, bindparam, cast, column, func, literal_column, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ColumnElement, Select, Subquery
from sqlalchemy.sql.expression import ColumnClause

from ..extensions import db
from ..markdown import plain_text
from ..models import Post
from ..posts.queries import listing_loads
from ..site_settings import site_settings
from .index import index_is_stale, site_language
from .words import VOCABULARY_MAX, VOCABULARY_MIN, edit_distance, lookup_keys, stem, strip_diacritics, words

MAX_TERMS = 12
PREFIX_EXPANSIONS = 30  # vocabulary words a prefix being typed may stand for
SUGGEST_BELOW = 10  # a search finding this many posts or more gets no "Did you mean"
SUGGESTION_CANDIDATES = 3  # close spellings tried per word, nearest first
_TOKEN = re.compile(r'"([^"]*)"?|([^\s"]+)')
_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
# Title, tags and excerpt hits weigh 10, 4 and 2 (a body hit 0): the same order on both databases.
COLUMN_WEIGHTS = ((0, "A", 10), (1, "B", 4), (2, "C", 2))


@dataclass
class Term:
    words: list[str]  # as typed, lower-cased without diacritics
    prefix: bool = False
    stems: list[str] = field(default_factory=list)
    expansions: list[str] = field(default_factory=list)  # stems of vocabulary words the prefix begins

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass
class SearchResult:
    pagination: object | None  # a Pagination, or None when there is nothing to look for
    terms: list[Term]
    suggestion: str | None = None  # a query a close spelling would find more with
    stale: bool = False  # the index is being rebuilt: no results are given from it


def parse_query(raw: str, language: str | None = None) -> list[Term]:
    """Words and "quoted phrases", lower-cased without diacritics and stemmed; the last bare word is a prefix."""
    language = language or site_language()
    terms: list[Term] = []
    for phrase, bare in _TOKEN.findall(strip_diacritics(raw or "")[:1000].lower()):
        found = words(phrase if phrase else bare)
        if phrase and found:
            terms.append(Term(found))
        else:
            terms.extend(Term([word]) for word in found)
    terms = terms[:MAX_TERMS]
    if terms and not terms[-1].is_phrase and not raw.rstrip().endswith('"'):
        terms[-1].prefix = True
    for term in terms:
        term.stems = [stem(word, language) for word in term.words]
    return terms


def as_query(terms: list[Term]) -> str:
    """The text a reader would type for these terms."""
    return " ".join(f'"{" ".join(t.words)}"' if t.is_phrase else t.words[0] for t in terms)


def expand_prefixes(terms: list[Term], language: str | None = None) -> None:
    """The stems of up to PREFIX_EXPANSIONS vocabulary words that a prefix term's word begins (one query)."""
    language = language or site_language()
    for term in terms:
        word = term.words[-1]
        if not term.prefix or not VOCABULARY_MIN <= len(word) <= VOCABULARY_MAX or not word.isalpha():
            continue
        found: Iterable[str] = db.session.execute(
            text(
                "SELECT word FROM search_words WHERE key >= :low AND key < :high AND key = word ORDER BY key LIMIT :n"
            ),
            # The next string after every word the prefix begins, in any collation's order of letters.
            {"low": word, "high": word[:-1] + chr(ord(word[-1]) + 1), "n": PREFIX_EXPANSIONS},
        ).scalars()
        own = term.stems[-1]
        term.expansions = sorted({stem(w, language) for w in found} - {own})


def fts5_query(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        quoted = '"' + " ".join(term.stems) + '"'
        if term.prefix:
            quoted = "(" + " OR ".join([quoted + "*"] + [f'"{s}"' for s in term.expansions]) + ")"
        parts.append(quoted)
    return " AND ".join(parts)


def tsquery(terms: list[Term], weight: str = "") -> str:
    """A tsquery of stems (letters and digits only); `weight` keeps to the parts of that weight (A: titles)."""
    only = ":" + weight if weight else ""
    parts = []
    for term in terms:
        if term.is_phrase:
            parts.append("(" + " <-> ".join(s + only for s in term.stems) + ")")
        elif term.prefix:
            alternatives = [term.stems[0] + ":*" + weight] + [s + only for s in term.expansions]
            parts.append("(" + " | ".join(alternatives) + ")")
        else:
            parts.append(term.stems[0] + only)
    return " & ".join(parts)


def _candidates(terms: list[Term], limit: int, scored: bool) -> Subquery:
    """A subquery of the newest `limit` matching post ids (both indexes give that order cheaply), with
    their column-hit score when `scored`: bounded work however many posts match."""
    if db.engine.dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column("posts.search_vector")
        selected: list[ColumnElement[Any]] = [Post.id.label("id")]
        if scored:
            # Which weighted parts hold any of the words: the title (A), tags (B), the excerpt (C).
            hits = [
                cast(vector.op("@@")(func.to_tsquery("simple", _any_of(terms, weight))), Integer) * points
                for _, weight, points in COLUMN_WEIGHTS
            ]
            selected.append((hits[0] + hits[1] + hits[2]).label("score"))
        return (
            select(*selected)
            .where(vector.op("@@")(func.to_tsquery("simple", tsquery(terms))))
            .order_by(Post.id.desc())
            .limit(limit)
            .subquery("candidates")
        )
    # highlight() marks the matches in one column of the row at hand: it tells which columns hold a word,
    # costing only that short column's text (bm25 would count every match in the index first).
    score_sql = " + ".join(
        f"(instr(highlight(post_search, {index}, char(1), ''), char(1)) > 0) * {points}"
        for index, _, points in COLUMN_WEIGHTS
    )
    columns_sql = f"rowid AS id, {score_sql} AS score" if scored else "rowid AS id"
    statement = text(
        f"SELECT {columns_sql} FROM post_search WHERE post_search MATCH :fts ORDER BY rowid DESC LIMIT :limit"
    ).bindparams(fts=fts5_query(terms), limit=limit)
    columns: list[ColumnClause[Any]] = [column("id", Integer)]
    if scored:
        columns.append(column("score", Float))
    return statement.columns(*columns).subquery("candidates")


def _any_of(terms: list[Term], weight: str) -> str:
    """A tsquery true when any one term is in the parts of this weight."""
    return " | ".join(f"({tsquery([term], weight)})" for term in terms)


def matching_posts(terms: list[Term]) -> Select:
    """A select() of the ids of visible posts matching every term, best first (title hits weigh the most,
    then tags, then the excerpt; then the newest).

    Bounded work at any size: only the newest SEARCH_RANK_LIMIT matches (by id, an order both indexes
    give cheaply) are ranked, so a word found in a third of 100,000 posts costs what it does in 100.
    Ids only: the posts a page shows are read afterwards, ten rows rather than every ranked one.
    """
    found = _candidates(terms, current_app.config["SEARCH_RANK_LIMIT"], scored=True)
    return (
        select(Post.id)
        .where(Post.is_visible())
        .join(found, found.c.id == Post.id)
        .order_by(found.c.score.desc(), Post.published_at.desc(), Post.id.desc())
    )


class RankedPagination(SelectPagination):
    """A page of search results: the page's ids and the total in one query over the ranked ids
    (COUNT(*) OVER ()), then those posts with what a listing shows."""

    def _query_items(self) -> list[Any]:
        session = self._query_args["session"]
        ranked = self._query_args["select"].add_columns(func.count().over().label("total"))
        rows = session.execute(ranked.limit(self.per_page).offset(self._query_offset)).all()
        self._counted = rows[0][1] if rows else 0
        ids = [row[0] for row in rows]
        if not ids:
            return []
        posts = session.scalars(select(Post).where(Post.id.in_(ids)).options(*listing_loads())).unique()
        by_id = {post.id: post for post in posts}
        return [by_id[post_id] for post_id in ids if post_id in by_id]

    def _query_count(self) -> int:
        return self._counted


def count_matches(terms: list[Term]) -> int:
    """How many visible posts match, counting at most SEARCH_RANK_LIMIT (as the results stop there)."""
    found = _candidates(terms, current_app.config["SEARCH_RANK_LIMIT"], scored=False)
    counted = select(func.count()).select_from(Post).join(found, found.c.id == Post.id).where(Post.is_visible())
    return db.session.scalar(counted) or 0


def suggestion(terms: list[Term], found: int, language: str | None = None) -> str | None:
    """A query with the reader's words respelt as close indexed words, when it finds clearly more (more
    than three times as many posts) than theirs; None otherwise.

    Bounded work: one vocabulary query by lookup keys (an index lookup per key, whatever the vocabulary's
    size) and at most SUGGESTION_CANDIDATES bounded counts per word of the query.
    """
    if found >= SUGGEST_BELOW or not terms:
        return None
    language = language or site_language()
    typed = sorted({w for t in terms for w in t.words if w.isalpha() and VOCABULARY_MIN <= len(w) <= VOCABULARY_MAX})
    keys = sorted({key for word in typed for key in lookup_keys(word)})
    if not keys:
        return None
    vocabulary: set[str] = set(
        db.session.execute(
            text("SELECT DISTINCT word FROM search_words WHERE key IN :keys LIMIT 1000").bindparams(
                bindparam("keys", expanding=True)
            ),
            {"keys": keys},
        ).scalars()
    )
    best = [Term(list(t.words), False, list(t.stems)) for t in terms]
    best_count = found
    for t_index, term in enumerate(terms):
        for w_index, word in enumerate(term.words):
            if word not in typed:
                continue
            own = stem(word, language)
            allowed = 1 if len(word) <= 4 else 2
            near = sorted(
                (distance, candidate)
                for candidate in vocabulary
                if stem(candidate, language) != own and (distance := edit_distance(word, candidate)) <= allowed
            )
            for _, candidate in near[:SUGGESTION_CANDIDATES]:
                trial = [Term(list(t.words), False, list(t.stems)) for t in best]
                trial[t_index].words[w_index] = candidate
                trial[t_index].stems[w_index] = stem(candidate, language)
                count = count_matches(trial)
                if count > best_count:
                    best, best_count = trial, count
    if best_count > 3 * found:
        return as_query(best)
    return None


def search_posts(raw: str, page: int) -> SearchResult:
    """The results page's content: SearchResult.pagination is None when the query has no words to look for,
    or while the index is being rebuilt (`stale`)."""
    terms = parse_query(raw)
    if not terms:
        return SearchResult(None, terms)
    if index_is_stale(db.session.connection()):
        return SearchResult(None, terms, stale=True)
    try:
        expand_prefixes(terms)
        pagination = RankedPagination(
            select=matching_posts(terms),
            session=db.session,
            page=page,
            per_page=site_settings().posts_per_page,
            error_out=True,
        )
        found = pagination.total or 0
        return SearchResult(pagination, terms, suggestion(terms, found) if page == 1 else None)
    except DBAPIError:
        # The terms are plain words, so this should not happen; if it does, a reader sees "no results".
        db.session.rollback()
        current_app.logger.exception("search failed for %r", raw)
        return SearchResult(None, terms)


def snippet(post: Post, terms: list[Term], width: int = 32) -> Markup:
    """About `width` words of the body around the first match, escaped, with matches in <mark>: the words
    as written in the text, found by their stems (a search for "migrations" marks "migrating")."""
    language = site_language()
    text_words = plain_text(post.body_html).split()
    exact = {s for t in terms for s in (t.stems if not t.prefix else t.stems[:-1])}
    exact |= {s for t in terms if t.prefix for s in t.expansions}
    prefixes = [(t.words[-1], t.stems[-1]) for t in terms if t.prefix]

    def matches(word: str) -> bool:
        found = words(word)
        if len(found) != 1:
            return False
        key = found[0]
        stemmed = stem(key, language)
        return stemmed in exact or any(key.startswith(w) or stemmed.startswith(s) for w, s in prefixes)

    first = next((i for i, word in enumerate(text_words) if matches(word)), 0)
    start = max(0, first - width // 3)
    chosen = text_words[start : start + width]
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
    if start + width < len(text_words):
        text_ += Markup(" \u2026")
    return text_

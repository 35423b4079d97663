"""Full-text search: ranking, snippets, drafts, index sync and hostile input, on SQLite and PostgreSQL."""

import re
from datetime import timedelta

import pytest

from blog.extensions import db
from blog.models import Post

from .conftest import NOW

# One ASCII fixture set: every backend must find the same posts for each query.
FIXTURES = [
    ("Orderly Migration", "A note on how people move between countries.", ["Policy"]),
    ("Garden Diary", "The tomatoes grew. Migration of birds overhead was loud this year.", ["Diary"]),
    ("Writing Daily", "Write every morning; an orderly habit beats inspiration.", ["Writing"]),
    ("Robot Visit", "The robot sat there silently while scientists talked about orderly migration plans.", []),
    ("Tag Only", "Nothing relevant in the words here.", ["Migration"]),
]


def titles(client, q, **params):
    page = client.get("/search", query_string={"q": q, **params}).get_data(as_text=True)
    return re.findall(r'<h2><a href="/posts/[^"]+">([^<]+)</a></h2>', page)


@pytest.fixture
def fixture_posts(content):
    for i, (title, body, tags) in enumerate(FIXTURES):
        content.post(title, body, tags=tags, days_ago=10 - i)


def test_title_hits_rank_before_body_hits(client, fixture_posts):
    found = titles(client, "migration")
    assert found[0] == "Orderly Migration"
    assert set(found) == {"Orderly Migration", "Garden Diary", "Robot Visit", "Tag Only"}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("orderly migration", {"Orderly Migration", "Robot Visit"}),  # words are ANDed
        ("migration orderly", {"Orderly Migration", "Robot Visit"}),  # in any order
        ('"orderly migration"', {"Orderly Migration", "Robot Visit"}),  # a phrase ...
        ('"migration orderly"', set()),  # ... in that order only
        ('"migration of birds"', {"Garden Diary"}),
        ("robo", {"Robot Visit"}),  # the last word is a prefix
        ("ROBOT", {"Robot Visit"}),  # case ignored
        ("tomatoes garden", {"Garden Diary"}),
        ("writing", {"Writing Daily"}),  # tags and title
        ("nonexistentword", set()),
        # Stems: every form of a word finds the others, in words, phrases and tags alike.
        ("migrations", {"Orderly Migration", "Garden Diary", "Robot Visit", "Tag Only"}),
        ("migrating", {"Orderly Migration", "Garden Diary", "Robot Visit", "Tag Only"}),
        ("migrated birds", {"Garden Diary"}),
        ('"orderly migrations"', {"Orderly Migration", "Robot Visit"}),
        ("writes habits", {"Writing Daily"}),  # "write" and "habit"
        ("migratio", {"Orderly Migration", "Garden Diary", "Robot Visit", "Tag Only"}),  # a prefix of the word
    ],
)
def test_query_semantics_are_the_same_on_every_database(client, fixture_posts, query, expected):
    assert set(titles(client, query)) == expected


def test_diacritics_are_ignored(client, content):
    content.post("Café Culture", "Crème brûlée and naïve résumés.")
    assert titles(client, "cafe") == ["Café Culture"]
    assert titles(client, "creme brulee") == ["Café Culture"]
    assert titles(client, "résumés") == ["Café Culture"]


def test_snippets_highlight_matches_and_escape_text(client, content):
    content.post("Escaping", "Tags like <script>alert('x')</script> and a word: migration & more.")
    page = client.get("/search?q=migration").get_data(as_text=True)
    snippet = page[page.index('<p class="snippet">') :]
    snippet = snippet[: snippet.index("</p>")]
    assert "<mark>migration</mark>" in snippet
    assert "<script>" not in page and "&lt;script&gt;" in snippet and "&amp; more" in snippet
    assert re.search(r'<time datetime="[^"]+">', page)


def test_drafts_and_scheduled_posts_are_never_found(client, content):
    content.post("Public Migration")
    content.post("Draft Migration", draft=True)
    content.post("Future Migration", published_at=NOW + timedelta(days=1))
    assert titles(client, "migration") == ["Public Migration"]


def test_index_follows_every_change(app, client, content):
    post_id = content.post("Alpha", "first body", tags=["One"])
    assert titles(client, "alpha") == ["Alpha"]
    with app.app_context():
        post = db.session.get(Post, post_id)
        post.title, post.excerpt = "Beta", "A new excerpt"
        post.set_body("second body")
        db.session.commit()
    assert titles(client, "alpha") == [] and titles(client, "beta") == ["Beta"]
    assert titles(client, "first") == [] and titles(client, "second") == ["Beta"]
    with app.app_context():
        from blog.posts.services import tag_named

        post = db.session.get(Post, post_id)
        post.tags = [tag_named("Gamma")]
        db.session.commit()
    assert titles(client, "gamma") == ["Beta"] and titles(client, "one") == []
    with app.app_context():
        db.session.delete(db.session.get(Post, post_id))
        db.session.commit()
    assert titles(client, "beta") == []


def test_a_scheduled_post_is_found_once_live_without_reindexing(app, client, content):
    post_id = content.post("Soon Searchable", published_at=NOW + timedelta(hours=1))
    assert titles(client, "searchable") == []
    with app.app_context():
        db.session.get(Post, post_id).published_at = NOW - timedelta(minutes=1)
        db.session.commit()
    assert titles(client, "searchable") == ["Soon Searchable"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "'",
        "*",
        "**",
        "-",
        "NEAR(a b)",
        "a NEAR b",
        "AND",
        "OR NOT",
        "(",
        ")",
        "((migration",
        "title:migration",
        "migration*",
        "^migration",
        "migr:*",
        "a & b | !c",
        "<->",
        "x" * 1000,
        " ".join(["migration"] * 300),
        "\x00",
        "😀",
        "%",
        "_",
        "\\",
        "' OR 1=1 --",
        "{}",
        "[]",
        "日本語の検索",
        "Ünïcödé mïgrâtiön",
        'migratoin\' "OR" *',
        "ab" * 30 + " migratoin",
        " ".join(f"migratoin{n}" for n in range(50)),
        "\u200b\u0301",
    ],
)
def test_hostile_queries_never_break_the_page(client, fixture_posts, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "syntax error" not in page.lower()


def test_empty_and_wordless_queries_get_a_clear_message(client):
    assert "Type one or more words" in client.get("/search?q=").get_data(as_text=True)
    assert "There are no words to search for" in client.get("/search?q=%2A%2A").get_data(as_text=True)


def test_no_results_suggests_the_archive_and_keeps_the_query(client, fixture_posts):
    page = client.get("/search?q=zebra").get_data(as_text=True)
    assert "No posts match “zebra”" in page and 'href="/posts/"' in page
    assert 'name="q" value="zebra"' in page


def test_results_are_paginated(make_app):
    from .conftest import Content

    app = make_app(POSTS_PER_PAGE=2)
    content = Content(app)
    for i in range(5):
        content.post(f"Paged {i}", "shared word", days_ago=i + 1)
    client = app.test_client()
    assert len(titles(client, "shared")) == 2
    assert len(titles(client, "shared", page=3)) == 1
    assert client.get("/search?q=shared&page=4").status_code == 404
    assert 'href="/search?q=shared&amp;page=2"' in client.get("/search?q=shared").get_data(
        as_text=True
    ) or 'href="/search?page=2&amp;q=shared"' in client.get("/search?q=shared").get_data(as_text=True)


def test_search_box_on_every_reader_page(client, content):
    content.post("Boxed", tags=["Box"])
    for url in ["/", "/posts/", "/posts/boxed", "/tags/box", "/contact", "/nowhere"]:
        page = client.get(url).get_data(as_text=True)
        assert '<label for="site-search">Search this blog</label>' in page, url
        assert '<form class="search-form" role="search" method="get" action="/search">' in page
        assert ">Search</button>" in page


def test_reindex_command_rebuilds_the_index(app, runner, client, content):
    content.post("Reindexed Post", "findable words")
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("UPDATE posts SET search_vector = NULL")
        else:
            connection.exec_driver_sql("DELETE FROM post_search")
        db.session.commit()
    assert titles(client, "findable") == []
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 1 post(s)." in result.output
    assert titles(client, "findable") == ["Reindexed Post"]


def test_snippets_mark_the_words_as_written_that_share_the_stem(client, fixture_posts):
    page = client.get("/search", query_string={"q": "migrating birds"}).get_data(as_text=True)
    assert "<mark>Migration</mark> of <mark>birds</mark> overhead" in page


INDONESIAN = [
    ("Perjalanan ke Flores", "Catatan tentang perjalanan panjang dengan kapal.", ["Cerita"]),
    ("Kota yang berjalan", "Orang berjalan kaki setiap pagi ke pasar.", []),
    ("Pekerjaan rumah", "Mereka bekerja di kebun dan menulis surat.", ["Kerja"]),
]


@pytest.fixture
def indonesian_app(make_app):
    from .conftest import Content

    app = make_app(SITE_LANGUAGE="id")
    content = Content(app)
    for i, (title, body, tags) in enumerate(INDONESIAN):
        content.post(title, body, tags=tags, days_ago=5 - i)
    return app


@pytest.mark.parametrize(
    "query,expected",
    [
        ("perjalanan", {"Perjalanan ke Flores", "Kota yang berjalan"}),  # both are "jalan" to the stemmer
        ("berjalan", {"Perjalanan ke Flores", "Kota yang berjalan"}),
        ("jalan", {"Perjalanan ke Flores", "Kota yang berjalan"}),
        ("pekerjaan", {"Pekerjaan rumah"}),  # and "bekerja", "kerja"
        ('"berjalan kaki"', {"Kota yang berjalan"}),
        ("kapal berjalan", {"Perjalanan ke Flores"}),
    ],
)
def test_indonesian_words_are_stemmed_in_indonesian(indonesian_app, query, expected):
    assert set(titles(indonesian_app.test_client(), query)) == expected


def test_a_misspelt_word_gets_did_you_mean_with_the_word_as_written(client, fixture_posts):
    page = client.get("/search?q=migratoin").get_data(as_text=True)
    assert 'Did you mean <a href="/search?q=migration">migration</a>?' in page
    assert "No posts match" in page  # still said: the reader sees what their words found
    follow = client.get("/search?q=migration").get_data(as_text=True)
    assert "Did you mean" not in follow
    page = client.get("/search", query_string={"q": 'robot "orderly migratoin"'}).get_data(as_text=True)
    link = '<a href="/search?q=robot+%22orderly+migration%22">robot &#34;orderly migration&#34;</a>'
    assert f"Did you mean {link}?" in page


def test_did_you_mean_when_a_close_spelling_finds_many_more(client, fixture_posts, content):
    content.post("Typo Post", "Our migratoin guide, with a typo.")
    page = client.get("/search?q=migratoin").get_data(as_text=True)
    assert "Typo Post" in page and 'Did you mean <a href="/search?q=migration">migration</a>?' in page
    # One close word finding about as much as the reader's own is no reason to ask.
    assert "Did you mean" not in client.get("/search?q=diary").get_data(as_text=True)
    assert "Did you mean" not in client.get("/search?q=zebra").get_data(as_text=True)


def test_did_you_mean_in_indonesian_offers_the_written_word(indonesian_app):
    page = indonesian_app.test_client().get("/search?q=perjalnan").get_data(as_text=True)
    assert 'href="/search?q=perjalanan">perjalanan</a>' in page


def test_a_word_gone_from_every_post_is_never_offered(app, client, content):
    post_id = content.post("Lighthouse", "The lighthouse keeper.")
    with app.app_context():
        post = db.session.get(Post, post_id)
        post.title, post.excerpt = "Harbour", "Harbour"
        post.set_body("The harbour master.")
        db.session.commit()
    assert "Did you mean" not in client.get("/search?q=lighthuose").get_data(as_text=True)


def set_stale(app, stale=True, language=None):
    from sqlalchemy import text

    with app.app_context():
        db.session.execute(
            text("UPDATE site_state SET search_stale = :stale, search_language = :language"),
            {"stale": stale, "language": language},
        )
        db.session.commit()


def test_a_stale_index_is_never_answered_from_until_reindexed(app, runner, client, content):
    content.post("Stale Migration", "Words.")
    assert "The search index is up to date." in runner.invoke(args=["search", "reindex", "--if-stale"]).output
    set_stale(app)
    page = client.get("/search?q=migration").get_data(as_text=True)
    assert "The search index is being rebuilt" in page and "Stale Migration</a></h2>" not in page
    result = runner.invoke(args=["search", "reindex", "--if-stale"])
    assert result.exit_code == 0 and "Indexed 1 post(s)." in result.output
    assert titles(client, "migrations") == ["Stale Migration"]
    assert "The search index is up to date." in runner.invoke(args=["search", "reindex", "--if-stale"]).output


def test_a_new_site_language_makes_the_index_stale(make_app):
    from .conftest import Content

    english = make_app()
    Content(english).post("Journeys", "A long perjalanan.")
    assert "Indexed 1 post(s)." in english.test_cli_runner().invoke(args=["search", "reindex"]).output
    indonesian = make_app(SITE_LANGUAGE="id")
    # "The search index is being rebuilt", in the site's language.
    assert "sedang dibangun ulang" in indonesian.test_client().get("/search?q=jalan").get_data(as_text=True)
    assert "Indexed 1 post(s)." in indonesian.test_cli_runner().invoke(args=["search", "reindex", "--if-stale"]).output
    assert titles(indonesian.test_client(), "jalan") == ["Journeys"]

"""Markdown rendering and its sanitiser, the only HTML the templates mark safe."""

from blog.markdown import render_comment, render_markdown


def test_raw_html_is_shown_as_text():
    html = render_markdown('<a href="javascript:alert(1)" onclick="x()">hi</a>\n\n<iframe src="//evil"></iframe>')
    assert "<a " not in html and "<iframe" not in html
    assert "&lt;a href=" in html


def test_links_keep_only_safe_schemes():
    html = render_markdown("[a](https://example.com) [b](mailto:me@example.com) [c](vbscript:x) [d](data:text/html,x)")
    assert 'href="https://example.com"' in html and 'href="mailto:me@example.com"' in html
    assert 'href="vbscript' not in html and 'href="data:' not in html


def test_headings_sit_below_the_page_title():
    assert render_markdown("# One\n\n## Two").startswith("<h2>One</h2>\n<h3>Two</h3>")
    assert render_markdown("### Deep\n\n#### Deeper").startswith("<h2>Deep</h2>\n<h3>Deeper</h3>")
    assert "<h6>" in render_markdown("# A\n\n###### F")


def test_emphasis_lists_quotes_and_code():
    html = render_markdown("*em* **strong**\n\n1. a\n2. b\n\n> q\n\n    code block")
    fragments = (
        "<em>em</em>",
        "<strong>strong</strong>",
        "<ol>",
        "<li>a</li>",
        "<blockquote>",
        "<pre><code>code block",
    )
    for fragment in fragments:
        assert fragment in html


def test_images_outside_an_app_render_plain_and_comments_never_show_them():
    assert (
        render_markdown("![a](/media/0123456789abcdef0123-480.webp)")
        == '<p><img src="/media/0123456789abcdef0123-480.webp" alt="a"></p>\n'
    )
    assert "<img" not in render_comment("![a](https://example.com/a.png) ![b](/media/0123456789abcdef0123-480.webp)")

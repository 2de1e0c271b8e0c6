"""The untrusted renderer leaves citizens' text inert; the trusted one keeps editors' features."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from consult.markdown import is_safe_link, render_trusted, render_untrusted, trusted_fallback

INIT_PAGES = Path(__file__).resolve().parent.parent / "consult" / "skeleton" / "content" / "pages"

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](java\tscript:alert(1))",
    "[clic](&#106;avascript:alert(1))",
    "[clic](java&#x09;script:alert(1))",
    "[clic](java&#x0A;script:alert(1))",
    "[clic](  javascript:alert(1))",
    "[clic](\u200bjavascript:alert(1))",
    "[clic](vbscript:msgbox(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD4=)",
    "<javascript:alert(1)>",
    "[clic][ref]\n\n[ref]: javascript:alert(1)",
    '<div onmouseover="alert(1)">survol</div>',
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_inert(text: str) -> None:
    html = render_untrusted(text)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "<style" not in html and "<div" not in html
    assert not re.search(r"\son\w+=", html.replace("&quot;", '"').split(">", 1)[0] if "<a " in html else "")
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("http://", "https://", "mailto:", "/")), href


def test_images_are_not_rendered() -> None:
    html = render_untrusted("![photo](https://example.org/x.png)")
    assert "<img" not in html


def test_allowed_links_get_rel_and_survive() -> None:
    html = render_untrusted("[site](https://example.org) [écrire](mailto:mairie@example.org) [page](/a-propos/)")
    assert html.count('rel="nofollow ugc noopener"') == 3
    assert 'href="https://example.org"' in html and 'href="/a-propos/"' in html


def test_citizen_headings_have_no_ids_and_are_demoted() -> None:
    html = render_untrusted("# Titre\n\n## Sous-titre")
    assert "<h1" not in html and "<h2" not in html and "id=" not in html


def test_template_syntax_stays_literal() -> None:
    html = render_untrusted("{{ 7*7 }} {% if true %}x{% endif %}")
    assert "{{ 7*7 }}" in html and "49" not in html


def test_trusted_renders_nothing_as_both_parsers_do() -> None:
    from consult.markdown import TRUSTED

    assert render_trusted("") == TRUSTED.render("") == trusted_fallback().render("") == ""


def test_trusted_keeps_tables_and_heading_anchors() -> None:
    html = render_trusted("## Où en est-on ?\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert '<h2 id="ou-en-est-on">' in html and "<table>" in html


def test_trusted_heading_ids_are_unique_and_only_on_h2_h3() -> None:
    html = render_trusted("# Titre\n\n## Budget\n\n### Budget\n\n## Budget\n\n#### Détail\n\n## *Le* `code` & [lien](/x/)\n")
    assert '<h2 id="budget">' in html and '<h3 id="budget-1">' in html and '<h2 id="budget-2">' in html
    assert "<h1>" in html and "<h4>" in html
    assert '<h2 id="le-code-lien">' in html


def test_trusted_keeps_raw_html_and_footnotes_and_ids_only_markdown_headings() -> None:
    html = render_trusted("<h2>Brut</h2>\n\n## Rendu\n\nTexte[^1]\n\n[^1]: Une note.\n")
    assert "<h2>Brut</h2>" in html and '<h2 id="rendu">' in html
    assert 'class="footnotes"' in html and 'href="#fn1"' in html


@pytest.mark.parametrize("text", ["[a`b", "[`", "x ^[", "^[", "[[^1]``", "[\\]*`!(*", "![[](`"])
def test_trusted_survives_inputs_that_crash_the_rust_parser(text: str) -> None:
    assert render_trusted(text) == trusted_fallback().render(text)


def test_a_backtick_before_any_bracket_needs_no_fallback(tmp_path: Path) -> None:
    """consult init's privacy page names a command in backticks, then leaves brackets to fill in: the
    Rust parser renders it, and markdown-it-py (40 ms to import) is not loaded for it."""
    import subprocess
    import sys

    text = (INIT_PAGES / "donnees-personnelles.md").read_text(encoding="utf-8")
    assert "`" in text and "[" in text
    code = ("import sys; from consult.markdown import render_trusted; "
            "html = render_trusted(sys.stdin.read()); print('markdown_it' in sys.modules, len(html) > 0)")
    shown = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["False", "True"]
    assert render_trusted(text) == trusted_fallback().render(text)


@given(st.text(alphabet="#*_`[]()!<>&^-\n abcé", max_size=120))
def test_trusted_heading_ids_match_the_reference_plugin(text: str) -> None:
    ids = re.findall(r'<h[23] id="([^"]*)"', render_trusted(text))
    assert ids == re.findall(r'<h[23] id="([^"]*)"', trusted_fallback().render(text))


@pytest.mark.parametrize("url,ok", [
    ("https://a.fr/x", True), ("http://a.fr", True), ("mailto:x@y.fr", True), ("/page/", True),
    ("page.html", True), ("#ancre", True), ("?q=1", True), ("javascript:x", False),
    ("JAVASCRIPT:x", False), (" javascript:x", False), ("jav\nascript:x", False), ("ftp://x", False),
    ("data:x", False), ("a/b:c", True),
])
def test_link_allow_list(url: str, ok: bool) -> None:
    assert is_safe_link(url) is ok


@given(st.text(max_size=300))
def test_untrusted_rendering_never_crashes_nor_emits_raw_tags(text: str) -> None:
    html = render_untrusted(text)
    allowed = {"p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br"}
    for tag in re.findall(r"</?([a-zA-Z0-9]+)", html):
        assert tag in allowed, (text, html)


def test_a_heading_s_id_is_worked_out_once_for_all_the_files_that_repeat_it() -> None:
    """Issue 17: proposals written from one model share their headings; each heading's id (before
    numbering) is remembered, and ids stay unique within a document."""
    from consult.markdown import _heading_slug

    _heading_slug.cache_clear()
    for _ in range(3):
        html = render_trusted("## Le *constat*\n\nTexte\n\n## Le constat\n")
        assert '<h2 id="le-constat">Le <em>constat</em></h2>' in html and '<h2 id="le-constat-1">Le constat</h2>' in html
    info = _heading_slug.cache_info()
    assert (info.misses, info.hits) == (2, 4)


# Prose with what sits at the edge of it: quotes, digits, dashes, line starts and ends, blank lines,
# punctuation a rule may start on (#, =, +, ~, !, :, |, {, a fence's ~~~), and what must turn it away.
PROSE = st.lists(st.sampled_from(list("ab é’'\"\n\n0123456789.)-+=#~>!:|{}/?;,()") + ["~~~", "\n~~~", "\n  ", "  \n"] +
                                 ["*", "_", "`", "[", "]", "<", "&", "\\", "\t", "\r", "\xa0", "\u2028", "\x00"]),
                 max_size=60).map("".join)


@settings(max_examples=1000, deadline=None)
@given(PROSE)
def test_prose_goes_the_short_way_to_the_same_html(text: str) -> None:
    """Citizens' prose skips markdown-it's rules (consult.markdown._prose) for the very HTML they
    make: compared with markdown-it itself on text made of what prose and its edges are made of."""
    from consult.markdown import _HEADING_TAG, untrusted

    assert render_untrusted(text) == _HEADING_TAG.sub(lambda m: f"<{m.group(1)}p>", untrusted().render(text))


@pytest.mark.parametrize("text", [
    "Une idée simple.", "Deux lignes\nd'un « paragraphe ».", "Premier.\n\n\nSecond \"cité\".", "\n\nEntouré\n\n",
    "Voir https://exemple.org/?a=1&b=2", "Fin de ligne  \nsuite", "- un\n- deux", "1. un", "Titre\n===", "# Titre",
    "    code", "a *b* c", "",
])
def test_prose_and_markdown_alike_come_out_as_markdown_it_makes_them(text: str) -> None:
    from consult.markdown import _HEADING_TAG, untrusted, is_prose

    assert render_untrusted(text) == _HEADING_TAG.sub(lambda m: f"<{m.group(1)}p>", untrusted().render(text))
    assert is_prose(text) == (text in ("Une idée simple.", "Deux lignes\nd'un « paragraphe ».",
                                                           "Premier.\n\n\nSecond \"cité\".", "\n\nEntouré\n\n", ""))


def test_prose_has_no_whitespace_but_spaces_and_line_feeds() -> None:
    """is_prose spells out the whitespace it refuses: every character Python calls whitespace (so
    does markdown-it when it trims a paragraph) but the space and the line feed, and no other."""
    from consult.markdown import is_prose

    refused = [c for c in map(chr, range(0x3001)) if c.isspace() and c not in " \n"]
    assert refused and not [c for c in refused if is_prose(f"a{c}b")]
    assert is_prose("a b\nc") and is_prose("a’é«»b")


# Editors' Markdown: pulldown-cmark where it makes markdown-it's HTML (consult.markdown._pulldown_agrees).
A_PROPOSAL = """Le parvis de l’école est *trop étroit* le matin : **200 élèves** y attendent, à 8 h 20.

## Le constat

Les parents se garent sur le trottoir ; les vélos n’ont pas de place.

## Ce que nous proposons

1. Fermer la rue aux voitures de 8 h à 8 h 30.
2. Installer 20 arceaux à vélos.
   - Dix devant l’école.
   - Dix près du gymnase.

Voir [le plan de mobilité](https://www.example.org/plan/20) et [la délibération](/deliberations/2026-03_12.pdf#p3).
Coût estimé : 12 000 € (voir [l'annexe](https://example.org/a%C3%A9?x=1)).
"""


def test_a_proposal_as_editors_write_them_goes_through_pulldown_for_the_same_html() -> None:
    """The bulk of a build (issue 17): a typical proposal's headings, emphasis, lists and links are
    rendered by pulldown-cmark, to markdown-it's HTML byte for byte, heading ids included."""
    import pyromark

    from consult.markdown import _markdown_it, _pulldown_agrees

    assert _pulldown_agrees(A_PROPOSAL)
    assert pyromark.html(A_PROPOSAL) == _markdown_it(A_PROPOSAL)
    html = render_trusted(A_PROPOSAL)
    assert '<h2 id="le-constat">Le constat</h2>' in html and '<a href="https://example.org/a%C3%A9?x=1">' in html


@pytest.mark.parametrize("text", [
    'Un "mot" cité.', "&#34; et &quot;", "* <!--", "> a\n2) b", "a|b\n-|-", "a\\  \nb", "## titre\t", "a `    ` b",
    "```'\nx\n```", "    *!\r(", "a[^1]\n\n[^1]: note", "a^[note]", "~~~ a\u00a0b\nx\n~~~", "*\n\n\n* a", "*€*b", "a\n---:",
    "![l'image](/i.png)", "[\u2028]: \u00a0", "[a](javascript:alert(1))", "[a](/b%zz)", "[a](/l'x)",
])
def test_where_pulldown_writes_otherwise_markdown_it_writes(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each construct on which the two differ (pulldown's HTML is not markdown-it's: checked here, so
    that a pulldown that came to agree says which exception can go) is rendered by markdown-it."""
    import pyromark

    from consult import markdown

    assert not markdown._pulldown_agrees(text) and pyromark.html(text + "\n") != markdown._markdown_it(text)
    html = render_trusted(text)
    monkeypatch.setattr(markdown, "_pulldown_agrees", lambda text: False)
    assert html == render_trusted(text)


# Text made of what editors write and of every construct the two parsers might read differently.
MARKDOWN = st.lists(st.sampled_from(
    ["a", "mot", "été", "ça", "l’école", " ", " ", "\n", "\n\n", "\n   \n", "  \n", "*", "**", "_", "__", "#", "## ", "- ", "* ",
     "+ ", "1. ", "2) ", "10. ", "   ", "    ", "---", "***", "===", "[", "]", "(", ")", "](", "![", "!", ":", ";", ".", ",", "'",
     "«", "»", "€", "😀", "%", "%20", "%zz", "/", "#x", "?a=1", "http://x.org", "https://x.org/a_b", "mailto:a@b.fr",
     "javascript:", "data:", "x:", "(a)", "-:", ":-", "\u00a0", "\u2028", "ß", "İ", "\u0301", '"', "&", "<", ">", "|", "\\",
     "\t", "`", "\r", "^", "~"]), max_size=40).map("".join)


@settings(max_examples=3000, deadline=None)
@given(MARKDOWN)
def test_where_pulldown_is_taken_it_makes_markdown_it_s_html(text: str) -> None:
    import pyromark

    from consult.markdown import _markdown_it, _pulldown_agrees

    if text and _pulldown_agrees(text):
        assert pyromark.html(text if text.endswith("\n") else text + "\n") == _markdown_it(text)

"""The two Markdown renderers: trusted (editors) and untrusted (citizens).

Editors' content may use tables, footnotes, raw HTML and heading anchors; it is the
bulk of a build, so it goes through markdown-it-pyrs (markdown-it in Rust, same
output), and through pulldown-cmark (pyromark, four times faster) where that one's
HTML is markdown-it's to the byte (`_pulldown_agrees`). Citizens' text stays on
markdown-it-py, whose link validation and rules we control: raw HTML, images and
heading ids off, links restricted to http, https, mailto and relative URLs;
everything else comes out as text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import markdown_it_pyrs
import pyromark

from consult.slug import slugify

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ALLOWED_SCHEMES = ("http", "https", "mailto")
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Characters browsers ignore inside a scheme ("jav\tascript:", "java\x00script:").
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and relative links, after undoing the usual disguises."""
    probe = unicodedata.normalize("NFKC", url)
    probe = _IGNORED_IN_URL.sub("", probe)
    match = _SCHEME_RE.match(probe)
    if match is None:
        # No scheme: relative or fragment. A colon before any '/' would be a scheme.
        return ":" not in probe.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return match.group(1).lower() in ALLOWED_SCHEMES


def _slugify_heading(text: str) -> str:
    return slugify(text) or "section"


@cache
def trusted_fallback() -> MarkdownIt:
    """Editors' renderer where markdown-it-pyrs cannot serve (render_trusted). markdown-it-py is imported
    the first time one of its two renderers serves, not with this module: 40 ms of every build's start
    for a site whose editors write no raw heading and whose citizens write plain prose (most)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_slugify_heading)
    return md


@cache
def untrusted() -> MarkdownIt:
    """Citizens' renderer (render_untrusted), made when first needed (see trusted_fallback)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = is_safe_link  # type: ignore[method-assign]

    def link_open(renderer: object, tokens: list[Token], idx: int, options: object, env: object) -> str:
        tokens[idx].attrSet("rel", "nofollow ugc noopener")
        return md.renderer.renderToken(tokens, idx, options, env)  # type: ignore[attr-defined]

    md.add_render_rule("link_open", link_open)
    return md


# Headings in citizen text are demoted so they never compete with the page outline.
_HEADING_TAG = re.compile(r"<(/?)h[1-6]>")

TRUSTED = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "footnote"])
# trusted_fallback() is used when an editor writes a bare <h2>/<h3> in raw HTML (the ids go on Markdown
# headings only, which the pyrs output alone cannot tell apart), and for the inputs on which
# markdown-it.rs 0.6 panics: an unclosed backtick inside a bracket ("[a`b"), "^[" at the end.

_RAW_HEADING = re.compile(r"<h[23][\s>/]", re.IGNORECASE)
_MD_HEADING = re.compile(r"<h([23])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# A line break inside a (setext) heading is a softbreak token, not part of its text.
_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def render_trusted(text: str) -> str:
    """Editors' Markdown; h2 and h3 get ids from their text, unique within the document. `text` is
    clean (document.clean: no character XML forbids), as every text of a site is."""
    if not text:  # most proposals' `response`: nothing to render, without a call into the parser
        return ""
    if _pulldown_agrees(text):
        out: str | None = pyromark.html(text if text[-1] == "\n" else text + "\n")
    elif ("<" in text and _RAW_HEADING.search(text)) or "^[" in text or _backtick_after_bracket(text):
        return trusted_fallback().render(text)
    else:
        out = _markdown_it(text)
    if out is None:  # markdown-it-pyrs panicked
        return trusted_fallback().render(text)
    if "<h2>" not in out and "<h3>" not in out:
        return out
    # What _MD_HEADING.sub would make with a function, without a match object and a call for each
    # heading: split gives the text between headings, each heading's level and its HTML inside.
    parts = _MD_HEADING.split(out)
    taken: set[str] = set()
    for index in range(1, len(parts), 3):
        level, inner = parts[index], parts[index + 1]
        parts[index] = f'<h{level} id="{_unique(_heading_slug(inner), taken)}">{inner}</h{level}>'
        parts[index + 1] = ""
    return "".join(parts)


def _markdown_it(text: str) -> str | None:
    """markdown-it-pyrs's HTML for `text`; None where it panics."""
    try:
        return TRUSTED.render(text)
    except BaseException as exc:  # a Rust panic is a BaseException; anything else goes on up
        if type(exc).__name__ != "PanicException":
            raise
        return None


# What makes pulldown-cmark's HTML differ from markdown-it's (each found comparing the two on the
# CommonMark spec's examples and on random text): a '"' (pulldown leaves it unescaped), an entity, raw
# HTML, an autolink, a quote block (pulldown lets a list numbered from 2 break its lazy lines), a table,
# an escape, a tab, a code span or fence (spaces, info strings), a carriage return, a footnote; ...
_PULLDOWN_DIFFERS = '"&<>|\\\t`\r^~'
# ... two blank lines after an empty list item (markdown-it ends the list), ...
_BLANK_LINES = re.compile(r"\n[ ]*\n[ ]*\n")
# ... and a link whose destination it writes otherwise: percent-encoded by markdown-it, '%' unescaped or
# "'" made an entity by pulldown, a scheme markdown-it refuses (javascript:). These are written alike.
_PLAIN_DESTINATION = re.compile(r"(?:(?:https?|mailto):|(?![A-Za-z][A-Za-z0-9+.\-]*:))"
                                r"(?:[A-Za-z0-9\-._~:/?#@!$*+,;=]|%[0-9A-Fa-f]{2}"
                                r"|\((?:[A-Za-z0-9\-._~:/?#@!$*+,;=]|%[0-9A-Fa-f]{2})*\))*", re.IGNORECASE)


def _pulldown_agrees(text: str) -> bool:
    """Whether pulldown-cmark makes of `text` the HTML markdown-it makes (tests/test_markdown.py
    compares the two on random Markdown). Single characters are looked for first: each is one C
    scan, where each two-character string was another whole pass (2.7 us a proposal)."""
    for char in _PULLDOWN_DIFFERS:
        if char in text:
            return False
    if _BLANK_LINES.search(text) is not None:
        return False
    # Emphasis beside a character beyond ASCII: pulldown follows CommonMark 0.31 (a currency sign or an
    # emoji is punctuation), markdown-it 0.30.
    for mark in "*_":
        at = text.find(mark)
        while at >= 0:
            if (at and text[at - 1] > "\x7f") or text[at + 1:at + 2] > "\x7f":
                return False
            at = text.find(mark, at + 1)
    # A table's delimiter row without a pipe (':--', '--:'), that markdown-it alone reads as a table.
    at = text.find(":")
    while at >= 0:
        if (at and text[at - 1] == "-") or text[at + 1:at + 2] == "-":
            return False
        at = text.find(":", at + 1)
    at = text.find("!")  # an image: pulldown makes "'" an entity in its alt text
    while at >= 0:
        if text[at + 1:at + 2] == "[":
            return False
        at = text.find("!", at + 1)
    at = text.find("]")  # a link's reference definition (']:'), or its destination
    while at >= 0:
        after = text[at + 1:at + 2]
        if after == ":":
            return False
        if after == "(":
            match = _PLAIN_DESTINATION.match(text, at + 2)
            if match is None or text[match.end():match.end() + 1] != ")":
                return False
            at = match.end()
        at = text.find("]", at + 1)
    return True


def _backtick_after_bracket(text: str) -> bool:
    """A backtick somewhere after the first '[': where markdown-it.rs 0.6 may panic ("[a`b", "[[^1]``").
    Any backtick and any bracket was too wide: `consult init`'s privacy page (a command in backticks,
    then brackets to fill in) imported markdown-it-py into every build for that page alone. A panic
    the test misses is still caught (render_trusted), at the cost of Rust's message on stderr."""
    bracket = text.find("[")
    return bracket >= 0 and text.find("`", bracket) >= 0


@lru_cache(maxsize=4096)
def _heading_slug(inner: str) -> str:
    """The id of a heading whose HTML inside is `inner` (before `_unique`). Remembered: the headings
    of proposals written from one model ('Le constat', 'Ce que nous proposons') repeat from file to file,
    and this was a fifth of a proposal's Markdown (issue 17)."""
    return _slugify_heading(html.unescape(_BREAK.sub("", _TAG.sub("", inner))))


def _unique(slug: str, taken: set[str]) -> str:
    """`slug`, or `slug-1`, `slug-2`... as markdown-it's anchors plugin numbers repeats."""
    found, n = slug, 1
    while found in taken:
        found, n = f"{slug}-{n}", n + 1
    taken.add(found)
    return found


# Citizens' prose that no Markdown rule reads otherwise than as paragraphs of text (most of what a
# consultation receives): none of the characters that open emphasis, code, a link, raw HTML, an entity
# or an escape; no tab, carriage return, control character, nor whitespace but the space and the
# line feed (those str.isspace() knows, spelled out: a class cannot take two out of \s)...
_PROSE_CHARS = re.compile(r"[^*_`\[\]<>&\\\x00-\x09\x0b-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")
# ... and no line that a block rule could read (indented, or opening a heading, a list, a fence, a
# thematic break or a setext underline; a quote's '>' is out already), nor one ending in a space (a
# hard break, or trimmed).
_BLOCK_START = frozenset(" -+=#~0123456789")


def is_prose(text: str) -> bool:
    """Whether markdown-it makes nothing of `text` but its paragraphs (see _prose)."""
    if not _PROSE_CHARS.fullmatch(text):
        return False
    return not any(line and (line[0] in _BLOCK_START or line[-1] == " ") for line in text.split("\n"))


def render_untrusted(text: str) -> str:
    if is_prose(text):
        return _prose(text)
    html = untrusted().render(text)
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}p>", html)


_PARAGRAPHS = re.compile(r"\n\n+")


def _prose(text: str) -> str:
    """What markdown-it makes of text that `is_prose`, without its rules (40 us of each
    contribution read; tests/test_markdown.py compares the two on random text): each paragraph, its
    lines as they are, '"' escaped as markdown-it escapes it."""
    paragraphs = (part.strip("\n") for part in _PARAGRAPHS.split(text.replace('"', "&quot;")))
    return "".join(f"<p>{paragraph}</p>\n" for paragraph in paragraphs if paragraph)

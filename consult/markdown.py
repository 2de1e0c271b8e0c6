"""The two Markdown renderers: trusted (editors) and untrusted (citizens).

Editors' content may use tables, footnotes and heading anchors. Citizens' text is
rendered with raw HTML, images and heading ids off, and links restricted to
http, https, mailto and relative URLs; everything else comes out as text.
"""

from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from consult.slug import slugify

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


def _trusted() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_slugify_heading)
    return md


def _untrusted() -> MarkdownIt:
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

TRUSTED = _trusted()
UNTRUSTED = _untrusted()


def render_trusted(text: str) -> str:
    return TRUSTED.render(text)


def render_untrusted(text: str) -> str:
    html = UNTRUSTED.render(text)
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}p>", html)

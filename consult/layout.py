"""Where everything is: the site's files and folders, page URLs, output paths, reserved slugs.

One module, so that the build, the handler, pull and the moderation commands agree on
every path by construction (ARCHITECTURE.md, "Contracts between stages", lists them).
Pure: names and string arithmetic, no disk access. Paths on disk are `Path`s under the
site's root; paths in messages and records are POSIX strings relative to it; URLs start
and end with '/'.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

# --- the site's folder ---------------------------------------------------------------------
CONFIG_FILE = "site.yaml"
CONTENT_DIR = "content"
PAGES_DIR = "pages"  # content/pages/<slug>.md
CONSULTATIONS_DIR = "consultations"  # content/consultations/<slug>/
CONSULTATIONS_PREFIX = f"{CONTENT_DIR}/{CONSULTATIONS_DIR}/"  # a consultation's files, relative to the root
INDEX_FILE = "index.md"
SYNTHESIS_FILE = "synthesis.md"
SUPPORTS_FILE = "supports.yaml"
CODEBOOK_FILE = "codebook.yaml"
PROPOSALS_DIR = "proposals"
CONTRIBUTIONS_DIR = "contributions"
# Participants' reports of published items (`reports/<id>.md`, written by pull): for moderators, never published.
REPORTS_DIR = "reports"
# What a consultation's folder may hold.
CONSULTATION_ENTRIES = frozenset({INDEX_FILE, SYNTHESIS_FILE, SUPPORTS_FILE, CODEBOOK_FILE, PROPOSALS_DIR,
                                  CONTRIBUTIONS_DIR, REPORTS_DIR})
STATE_DIR = ".consult"  # the machine's own files: cache, locks, the local inbox and secret (git-ignored)
CACHE_DIR = f"{STATE_DIR}/cache"
DEFAULT_INBOX = f"sqlite:///{STATE_DIR}/inbox.sqlite3"
# Folders `consult serve` watches for changes.
WATCHED_DIRS = (CONTENT_DIR, "templates", "themes", "static")


def content_dir(root: Path) -> Path:
    return root / CONTENT_DIR


def pages_dir(root: Path) -> Path:
    return root / CONTENT_DIR / PAGES_DIR


def page_file(root: Path, slug: str) -> Path:
    return pages_dir(root) / f"{slug}.md"


def consultations_dir(root: Path) -> Path:
    """content/consultations/ (with `root` the site's root, or content/ when `root` is None)."""
    return root / CONTENT_DIR / CONSULTATIONS_DIR


def consultation_dir(root: Path, slug: str) -> Path:
    return consultations_dir(root) / slug


def proposal_file(folder: Path, slug: str) -> Path:
    """A proposal's file in a consultation's `folder`."""
    return folder / PROPOSALS_DIR / f"{slug}.md"


def contribution_file(folder: Path, contribution_id: str) -> Path:
    """A contribution's file in a consultation's `folder`."""
    return folder / CONTRIBUTIONS_DIR / f"{contribution_id}.md"


def contribution_source(consultation: str, contribution_id: str) -> str:
    """A contribution's file relative to the site root, as a POSIX string (find_sources' `path`)."""
    return f"{CONSULTATIONS_PREFIX}{consultation}/{CONTRIBUTIONS_DIR}/{contribution_id}.md"


def skeleton_dir() -> Path:
    """The packaged site `consult init` copies (consult/skeleton/)."""
    with as_file(files("consult.skeleton")) as path:
        return Path(path)


# --- the built site's URLs -----------------------------------------------------------------
HOME_URL = "/"
STATIC_URL = "/static/"
FEED_FILE = "feed.xml"
FEED_URL = "/" + FEED_FILE
DATA_DIR = "data"
OPENDATA_URL = f"/{DATA_DIR}/"  # the open data page; the files sit beside it (see consult.opendata)
RESULTS_SEGMENT = "resultats/"
CONTRIBUTIONS_SEGMENT = CONTRIBUTIONS_DIR + "/"
COMMENTS_SEGMENT = "comments/"
# The thank-you page of each outcome the handler acknowledges ('supported': a support already counted).
# Carried to the handler in the chrome of its rules: it redirects there, adding ?back=<the page to go back to>.
THANKS_PAGES = {"suggestion": "/thanks/", "answers": "/thanks/answers/", "comment": "/thanks/comment/",
                "support": "/thanks/support/", "supported": "/thanks/supported/", "report": "/thanks/report/"}
# The theme's ALTCHA widget (vendored npm package); published only with forms.altcha (build.py).
ALTCHA_STATIC = "static/altcha/"
ALTCHA_SCRIPT = "/" + ALTCHA_STATIC + "consult-altcha.js"
SEARCH_DIR = "pagefind"  # Pagefind's index, in the output folder: written after the pages (consult.search)
SEARCH_URL = "/recherche/"  # the search page
PAGEFIND_SCRIPT = f"/{SEARCH_DIR}/pagefind.js"  # what the search page's script loads
# A consultation's proposal lists (consult.facets), beside proposals/<slug>/ so that no proposal
# slug can take a list's address: propositions/ itself (the default sort), propositions/tri/<sort>/,
# propositions/<facet>/<value>/, each with pages <n>/ from 2, and index.json, which facets.js
# shows every list from in place.
LISTS_SEGMENT = "propositions/"
LISTS_SORT_SEGMENT = "tri/"
LISTS_DATA_FILE = "index.json"
# Page slugs the site's own URLs take: a content page may not have one.
RESERVED_SLUGS = ("consultations", "static", "thanks", "api", "data", SEARCH_URL.strip("/"), SEARCH_DIR)
# Content pages the chrome links to, by the slugs they may have.
ACCESSIBILITY_SLUGS = {"fr": "accessibilite", "en": "accessibility"}
CHARTER_SLUGS = ("charte-de-moderation", "moderation-charter", "moderation")
PRIVACY_SLUGS = ("donnees-personnelles", "confidentialite", "vie-privee", "privacy")
ABOUT_SLUGS = ("a-propos", "about")


def page_url(slug: str) -> str:
    return f"/{slug}/"


def consultation_url(slug: str) -> str:
    return f"/{CONSULTATIONS_DIR}/{slug}/"


def proposal_url(consultation_url: str, slug: str) -> str:
    return f"{consultation_url}{PROPOSALS_DIR}/{slug}/"


def results_url(consultation_url: str) -> str:
    return consultation_url + RESULTS_SEGMENT


def lists_url(consultation_url: str) -> str:
    """A consultation's proposal lists: the first page of the list in the default sort."""
    return consultation_url + LISTS_SEGMENT


def sort_list_url(consultation_url: str, sort: str) -> str:
    """The first page of the list of all proposals in another sort than the default."""
    return lists_url(consultation_url) + LISTS_SORT_SEGMENT + f"{sort}/"


def facet_list_url(consultation_url: str, facet: str, value: str) -> str:
    """The first page of the list of the proposals with one facet value (`value`: a URL segment)."""
    return lists_url(consultation_url) + f"{facet}/{value}/"


def lists_data_url(consultation_url: str) -> str:
    """The JSON facets.js shows every list from, without a request per choice."""
    return lists_url(consultation_url) + LISTS_DATA_FILE


def results_data_dir(slug: str) -> str:
    """The folder (relative to data/) of the open data of a consultation's results page."""
    return f"results/{slug}/"


def feed_url(page_url: str) -> str:
    """The feed of the page at `page_url` ('/' for the site's)."""
    return page_url + FEED_FILE


def feed_path(page_url: str) -> str:
    """The file of the feed of the page at `page_url`: '/' -> 'feed.xml'; '/a/' -> 'a/feed.xml'."""
    return feed_url(page_url).lstrip("/")


def output_path(url: str) -> str:
    """The file a URL is served from: '/' -> 'index.html'; '/a/b/' -> 'a/b/index.html'; a file's URL
    (no '/' at the end) is its own path: '/a/b.json' -> 'a/b.json'."""
    if not url.endswith("/"):
        return url.lstrip("/")
    return url.strip("/") + "/index.html" if url.strip("/") else "index.html"

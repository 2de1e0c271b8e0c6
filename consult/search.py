"""Site-wide search: Pagefind's index of the built site, the last step of `consult build`.

Pagefind (the `search` extra: `pagefind[bin]`) reads the written `_site/` and indexes only what the
templates mark `data-pagefind-body` (a consultation's, a proposal's and a content page's own text;
pending and rejected contributions never reach a page; a moderation report, figures only, is left
out: the charter's indexed list of reports leads to them). The index is built beside the site and
swapped into `_site/pagefind/` whole, so it never mixes two builds. Pagefind is given only the marked
pages (hard links, at their own paths, in a folder beside): it would otherwise read and parse every
page to find them (a million contributions: 50,000 pages, 1.2 GB, 78 s of CPU to index 1,000). Without
Pagefind the site builds all the same, without `pagefind/`: the search page then says search is
unavailable and links to the lists.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from consult.errors import say
from consult.layout import SEARCH_DIR

MARK = b"data-pagefind-body"  # an element whose text Pagefind indexes (in the theme's page templates)
MISSING = say("search: Pagefind is not installed, so the site was built without its search index "
              "(pip install 'consult-static[search]' adds it).",
              "recherche : Pagefind n'est pas installé, le site a donc été construit sans son index de recherche "
              "(pip install 'consult-static[search]' l'ajoute).")


@dataclass(frozen=True)
class Indexed:
    """What the search step did: how long it took, how many pages it indexed, or why not."""

    seconds: float
    pages: int | None  # None when there is no index (Pagefind missing or failed)
    message: str


def pagefind_executable() -> Path | None:
    """The Pagefind binary: the one the `pagefind[bin]` package ships (or PAGEFIND_BINARY_PATH, or on PATH)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        found = shutil.which("pagefind")
        return Path(found) if found else None
    return get_executable()


def index_site(out: Path, executable: Path | None = None) -> Indexed:
    """Index the built site in `out` into `out/pagefind/`, replacing the last index whole. Without
    Pagefind, or when it fails, the last index is removed (it would show what the site no longer
    does) and the message says so."""
    start = time.perf_counter()
    executable = executable or pagefind_executable()
    if executable is None:
        remove_index(out)
        return Indexed(time.perf_counter() - start, None, MISSING)
    import subprocess  # not loaded by a build without search (--no-search, serve)

    # Inside the output folder (not beside it, where `consult serve` watches for new folders).
    fresh = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=out))
    try:
        site = _marked_only(out, fresh / "pages")
        done = subprocess.run([str(executable), "--site", str(site), "--output-path", str(fresh / SEARCH_DIR)],
                              capture_output=True, text=True)
        if done.returncode:
            remove_index(out)
            reason = (done.stderr.strip() or done.stdout.strip()).splitlines()
            why = reason[-1] if reason else done.returncode
            return Indexed(time.perf_counter() - start, None,
                           say(f"search: Pagefind could not index the site ({why}); "
                               "the site was built without its search index.",
                               f"recherche : Pagefind n'a pas pu indexer le site ({why}) ; "
                               "le site a été construit sans son index de recherche."))
        _swap(fresh / SEARCH_DIR, out / SEARCH_DIR)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    pages = re.search(r"Indexed (\d+) pages?", done.stdout)
    count = int(pages.group(1)) if pages else 0
    seconds = time.perf_counter() - start
    return Indexed(seconds, count, say(f"search: {count} pages indexed by Pagefind in {seconds:.1f} s.",
                                       f"recherche : {count} pages indexées par Pagefind en {seconds:.1f} s."))


def marked_pages(out: Path) -> list[str]:
    """The pages of the built site in `out` that Pagefind indexes, relative to it: those with a
    `data-pagefind-body` element (where none has one, Pagefind indexes every page: then [])."""
    found = []
    for folder, folders, names in os.walk(out):
        folders[:] = sorted(name for name in folders if not name.startswith(".") and (folder, name) != (str(out), SEARCH_DIR))
        for name in sorted(names):
            if name.endswith(".html"):
                with open(os.path.join(folder, name), "rb") as page:
                    if MARK in page.read():
                        found.append(os.path.relpath(os.path.join(folder, name), out))
    return found


def _marked_only(out: Path, folder: Path) -> Path:
    """A folder holding the marked pages of `out` at their own paths (hard links: nothing copied), for
    Pagefind to index; `out` itself when no page is marked, or where a link cannot be made."""
    pages = marked_pages(out)
    if not pages:
        return out
    try:
        for page in pages:
            target = folder / page
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(out / page, target)
    except OSError:  # a file system without hard links: Pagefind finds the marked pages itself
        return out
    return folder


def _swap(new: Path, current: Path) -> None:
    """Put `new` in place of `current` by renames: a reader finds one index or the other, whole."""
    old = current.with_name(f".{current.name}-old-{os.getpid()}")
    if current.exists():
        os.replace(current, old)
    os.replace(new, current)
    shutil.rmtree(old, ignore_errors=True)


def remove_index(out: Path) -> None:
    shutil.rmtree(out / SEARCH_DIR, ignore_errors=True)

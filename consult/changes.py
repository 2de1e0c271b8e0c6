"""What a set of changed paths asks the next build to do: nothing, some consultations, or everything.

`classify` is pure (like Zola's change kinds): the caller passes what the last build read and
what it found on disk about the changed paths; the builder re-reads, re-links and re-plans only
the consultations named, or the whole site. When in doubt, everything: a full build is always right.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from consult.layout import CONSULTATIONS_PREFIX, CONTRIBUTIONS_DIR, PROPOSALS_DIR, REPORTS_DIR


@dataclass(frozen=True)
class Scope:
    """What to build again: `everything`, or the consultations named (none: only the site-wide pages
    a new moment may change)."""

    everything: bool
    consultations: frozenset[str] = frozenset()


NOTHING = Scope(False)
EVERYTHING = Scope(True)


def classify(changed: Collection[str], sources: Collection[str], present: Collection[str],
             listings: Mapping[str, Collection[str]]) -> Scope:
    """The scope of `changed` (paths relative to the site's root, as serve's watcher reports them: a
    folder ends with '/'). `sources`: the files the last build read; `present`: those of the changed
    files that are plain files now; `listings`: the names each changed folder holds now (a folder gone
    is left out). A known file edited in place touches its consultation; a file added or removed, a
    folder whose entries changed, site.yaml, a template, a theme, a static file, a content page: everything."""
    touched: set[str] = set()
    for path in changed:
        if path.endswith("/"):
            if not _same_entries(path, sources, listings.get(path)):
                return EVERYTHING
            continue
        slug = _consultation_of(path)
        if slug is None:
            return EVERYTHING
        if _is_report(path):  # written by pull for moderators; the build never reads it
            continue
        if path not in sources or path not in present:  # added, removed, or a symlink now
            return EVERYTHING
        touched.add(slug)
    return Scope(False, frozenset(touched))


def _consultation_of(path: str) -> str | None:
    """The slug of the consultation whose folder holds `path`, if it is one of its files."""
    if not path.startswith(CONSULTATIONS_PREFIX):
        return None
    parts = path[len(CONSULTATIONS_PREFIX):].split("/")
    return parts[0] if len(parts) >= 2 and parts[0] else None


def _is_report(path: str) -> bool:
    return path[len(CONSULTATIONS_PREFIX):].split("/")[1:2] == [REPORTS_DIR]


def _same_entries(folder: str, sources: Collection[str], names: Collection[str] | None) -> bool:
    """Does a consultation's folder (or its proposals/ or contributions/) hold the same sources as the
    last build read? (A watcher reports a folder as modified when a file in it is saved by renaming.)"""
    if names is None or _consultation_of(folder) is None:
        return False
    depth = folder.count("/")  # content/consultations/<slug>/ -> 3
    inner = folder.rstrip("/").rsplit("/", 1)[1]
    if depth == 4 and inner not in (PROPOSALS_DIR, CONTRIBUTIONS_DIR):
        return inner == REPORTS_DIR
    if depth > 4:
        return False
    shown = {n for n in names if not n.startswith((".", "#")) and not n.endswith("~")}
    if depth == 4:  # proposals/ or contributions/: only *.md files are sources
        shown = {n for n in shown if n.endswith(".md")}
    known = {p.split("/")[depth] for p in sources if p.startswith(folder) and p.count("/") >= depth}
    if depth == 3:
        shown.discard(REPORTS_DIR)
    return shown == known

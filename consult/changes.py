"""What a set of changed paths asks the next build to do: nothing, some consultations, or everything.

`classify` is pure (like Zola's change kinds): the caller passes what the last build read and
what it found on disk about the changed paths; the builder re-reads, re-links and re-plans only
the consultations named, or the whole site. When in doubt, everything: a full build is always right.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from consult.layout import CONSULTATIONS_PREFIX, CONTRIBUTIONS_DIR, PROPOSALS_DIR, REPORTS_DIR


# A consultation's folders of *.md sources (reports/: where the build reads them, counted by the moderation report).
SOURCE_FOLDERS = (PROPOSALS_DIR, CONTRIBUTIONS_DIR, REPORTS_DIR)


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


def _same_entries(folder: str, sources: Collection[str], names: Collection[str] | None) -> bool:
    """Does a consultation's folder (or its proposals/, contributions/ or reports/) hold the same sources as the
    last build read? (A watcher reports a folder as modified when a file in it is saved by renaming.)"""
    if names is None or _consultation_of(folder) is None:
        return False
    depth = folder.count("/")  # content/consultations/<slug>/ -> 3
    if depth == 4 and folder.rstrip("/").rsplit("/", 1)[1] not in SOURCE_FOLDERS or depth > 4:
        return False
    shown = {n for n in names if not n.startswith((".", "#")) and not n.endswith("~")}
    if depth == 4:  # proposals/, contributions/, reports/: only *.md files are sources
        shown = {n for n in shown if n.endswith(".md")}
    known = {p.split("/")[depth] for p in sources if p.startswith(folder) and p.count("/") >= depth}
    return shown == known

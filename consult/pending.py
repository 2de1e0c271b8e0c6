"""The contributions to review of a site, indexed once for the moderation screen.

`PendingIndex.load` reads every contribution file's front matter once and keeps the ones to
review (pending, or published and then reported: `moderation.to_review`) in memory, flagged
first, each group in file order (`moderation.list_pending`'s order).
A cache in `.consult/moderation-index.pickle` (`consult.stamps`: a digest of its bytes checked
before unpickling) keyed by each file's size and modification time lets the
next start read only the files that changed. Decisions made through the screen update the
index (`forget`, `refresh`); the files stay the truth: a page re-reads the entries it shows.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from consult.moderation import Entry, read_entry, to_review
from consult.stamps import read_stamped, write_stamped

CACHE_FILE = Path(".consult") / "moderation-index.pickle"
CACHE_VERSION = 2
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """What a moderator narrows the list to; '' for no filter."""

    consultation: str = ""
    kind: str = ""
    flag: str = ""
    text: str = ""  # searched, case-insensitively, in title, text, answers and author

    def keep(self, entry: Entry, haystack: str) -> bool:
        return (not self.consultation or entry.consultation == self.consultation) \
            and (not self.kind or entry.kind == self.kind) \
            and (not self.flag or self.flag in entry.flags) \
            and (not self.text or self.text.casefold() in haystack)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    number: int  # 1-based
    pages: int
    total: int  # matching the filters


def searchable(entry: Entry) -> str:
    parts = [entry.title, entry.body, entry.author, *(value for _, value in entry.answers)]
    return "\n".join(parts).casefold()


class PendingIndex:
    """The entries to review by id, in listing order, with the text each is searched by."""

    def __init__(self, root: Path):
        self.root = root
        self.entries: dict[str, Entry] = {}
        self.haystacks: dict[str, str] = {}
        self.order: list[str] = []  # flagged first, then file order; decided ids are skipped lazily
        self.stamps: dict[str, tuple[int, int, Entry | None]] = {}  # path -> (size, mtime_ns, entry)
        # How many pending entries have each consultation, kind and flag (the filters' choices),
        # kept as entries come and go: counting 100,000 entries for each page would cost more.
        self.counts: tuple[Counter[str], Counter[str], Counter[str]] = (Counter(), Counter(), Counter())
        self.folders: dict[str, int] = {}  # contributions folder -> its mtime when last listed (see `sync`)

    @classmethod
    def load(cls, root: Path) -> "PendingIndex":
        index = cls(root)
        index.folders = _folder_times(root)  # before the files: what changes meanwhile is seen by `sync`
        cached = _read_cache(root)
        fresh: dict[str, tuple[int, int, Entry | None]] = {}
        labels: dict[str, dict[str, str]] = {}
        read = 0
        for path, stat in _contribution_stats(root):
            relative = path.relative_to(root).as_posix()
            stamp = (stat.st_size, stat.st_mtime_ns)
            known = cached.get(relative)
            if known is not None and known[:2] == stamp:
                entry = known[2]
            else:
                entry, read = read_entry(root, path, labels), read + 1
            fresh[relative] = (*stamp, entry)
        index.stamps = fresh
        index._rebuild()
        if read or len(fresh) != len(cached):  # unchanged, it is not written again (tens of megabytes)
            _write_cache(root, fresh)
        return index

    def _rebuild(self) -> None:
        pending = [entry for _, _, entry in self.stamps.values() if entry is not None and to_review(entry)]
        pending.sort(key=lambda entry: (not entry.flags, entry.path))
        self.entries, self.haystacks = {}, {}
        self.counts = (Counter(), Counter(), Counter())
        for entry in pending:
            self._add(entry)
        self.order = [entry.id for entry in pending]

    def _add(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        self.haystacks[entry.id] = searchable(entry)
        self._count(entry, 1)

    def _remove(self, id_: str) -> None:
        entry = self.entries.pop(id_, None)
        self.haystacks.pop(id_, None)
        if entry is not None:
            self._count(entry, -1)

    def _count(self, entry: Entry, step: int) -> None:
        consultations, kinds, flags = self.counts
        consultations[entry.consultation] += step
        kinds[entry.kind] += step
        for code in entry.flags:
            flags[code] += step

    def page(self, filters: Filters, number: int, size: int = PAGE_SIZE) -> Page:
        """The `number`th page of the entries matching `filters` (clamped to the pages there are).
        Without a filter only the entries up to that page are looked at; a filter reads them all."""
        entries, haystacks = self.entries, self.haystacks
        if filters == Filters():
            total = len(entries)
            pages = max(1, -(-total // size))
            number = min(max(1, number), pages)
            wanted, shown = number * size, []
            for id_ in self.order:
                if id_ in entries:
                    shown.append(id_)
                    if len(shown) == wanted:
                        break
            shown = shown[(number - 1) * size:]
        else:
            matching = [id_ for id_ in self.order if id_ in entries and filters.keep(entries[id_], haystacks[id_])]
            total = len(matching)
            pages = max(1, -(-total // size))
            number = min(max(1, number), pages)
            shown = matching[(number - 1) * size: number * size]
        return Page([entries[id_] for id_ in shown], number, pages, total)

    def facets(self) -> tuple[list[str], list[str], list[str]]:
        """The consultations, kinds and flags the pending entries have (the filters' choices)."""
        consultations, kinds, flags = (sorted(name for name, n in counter.items() if n > 0) for counter in self.counts)
        return consultations, kinds, flags

    def path(self, id_: str) -> Path | None:
        entry = self.entries.get(id_)
        return self.root / entry.path if entry is not None else None

    def refresh(self, relatives: Iterable[str]) -> None:
        """Read these files again (after a decision or its undo): an entry no longer to review
        leaves the list, one to review again comes back in its place."""
        labels: dict[str, dict[str, str]] = {}
        changed = False
        for relative in relatives:
            path = self.root / relative
            try:
                stat = path.stat()
            except FileNotFoundError:
                gone = self.stamps.pop(relative, None)
                if gone is not None and gone[2] is not None:
                    self._remove(gone[2].id)
                continue
            entry = read_entry(self.root, path, labels)
            old = self.stamps.get(relative)
            self.stamps[relative] = (stat.st_size, stat.st_mtime_ns, entry)
            if old is not None and old[2] is not None:
                self._remove(old[2].id)
            if entry is not None and to_review(entry):
                changed = changed or old is None or old[2] is None or not to_review(old[2])
                self._add(entry)
        if changed:  # an entry came back: put it in its place again
            self.order = sorted(self.entries, key=lambda id_: (not self.entries[id_].flags, self.entries[id_].path))
        for folder in {relative.rsplit("/", 1)[0] for relative in relatives}:
            if folder in self.folders:  # our own change: no need to list the folder again
                self.folders[folder] = (self.root / folder).stat().st_mtime_ns

    def sync(self) -> None:
        """Catch up with files added, removed or replaced by others since (`consult pull`, an
        editor saving through a temporary file): only a folder whose modification time moved is
        listed again, and only its changed files are read. (An edit in place that keeps the
        folder's time is seen when a decision or a restart reads the file.)"""
        for folder, mtime in _folder_times(self.root).items():
            if self.folders.get(folder) == mtime:
                continue
            self.folders[folder] = mtime
            present = {f"{folder}/{item.name}": (item.stat().st_size, item.stat().st_mtime_ns)
                       for item in os.scandir(self.root / folder) if item.name.endswith(".md") and item.is_file()}
            changed = [rel for rel, stamp in present.items() if self.stamps.get(rel, (-1, -1, None))[:2] != stamp]
            gone = [rel for rel in self.stamps if rel.startswith(folder + "/") and rel not in present]
            if changed or gone:
                self.refresh(changed + gone)

    def save(self) -> None:
        _write_cache(self.root, self.stamps)


def _contribution_stats(root: Path) -> Iterable[tuple[Path, os.stat_result]]:
    base = root / "content" / "consultations"
    if not base.is_dir():
        return
    for consultation in sorted(base.iterdir()):
        folder = consultation / "contributions"
        if not folder.is_dir():
            continue
        with os.scandir(folder) as found:
            files = sorted((item for item in found if item.name.endswith(".md") and item.is_file()),
                           key=lambda item: item.name)
        for item in files:
            yield Path(item.path), item.stat()


def _folder_times(root: Path) -> dict[str, int]:
    base = root / "content" / "consultations"
    times = {}
    for folder in sorted(base.glob("*/contributions")) if base.is_dir() else ():
        if folder.is_dir():
            times[folder.relative_to(root).as_posix()] = folder.stat().st_mtime_ns
    return times


def _fields(entry: Entry | None) -> tuple[Any, ...] | None:
    return None if entry is None else tuple(getattr(entry, name.name) for name in fields(Entry))


def _read_cache(root: Path) -> dict[str, tuple[int, int, Entry | None]]:
    """The last index, or nothing when it is missing, damaged or of another version."""
    rows = read_stamped(root / CACHE_FILE, CACHE_VERSION)
    try:
        # Entries travel as plain tuples: unpickling 100,000 dataclasses costs several times more.
        return {path: (size, mtime, Entry(*fields) if fields is not None else None)
                for path, size, mtime, fields in rows or ()}
    except Exception:  # rows of another shape: a miss, never an error
        return {}


def _write_cache(root: Path, stamps: dict[str, tuple[int, int, Entry | None]]) -> None:
    rows = [(path, size, mtime, _fields(entry)) for path, (size, mtime, entry) in stamps.items()]
    write_stamped(root / CACHE_FILE, CACHE_VERSION, rows)

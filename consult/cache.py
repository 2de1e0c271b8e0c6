"""The build cache under `.consult/cache/`: parsed records, rendered pages' fingerprints, and
the manifest of the last build's inputs and outputs (path -> size, mtime, inode).

Entries are keyed by content hashes (the file's text, consult's version, the
parsed site.yaml), so a stale entry is never found, only left unused; each build
keeps just what it used. Each file carries a digest of its contents, checked on
read: a damaged file is ignored and rebuilt. The folder is the user's own and safe
to delete: pickle is fine there (never load a cache from someone else's folder).
"""

from __future__ import annotations

import os
import pickle
import stat
import time
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from consult import __version__
from consult.layout import CACHE_DIR
from consult.stamps import digest, read_checked as _read, write_checked as _write
from consult.watch import Token

# Bump when the meaning of a cached record changes without consult's version changing.
FORMAT = "10"  # 6: parsed texts without the characters XML forbids (document.clean); 7: records with slots;
# 8: the manifest's inputs in a file of their own, its watch token; 9: the inputs with the content files' keys;
# 10: problems kept with a record said in French too (errors.say)


def value_digest(value: Any) -> str:
    """A content hash of a picklable value: equal digests mean equal values."""
    return digest(pickle.dumps(value, protocol=5))


def salt(config: Any) -> str:
    """What every entry depends on: consult's version and cache format, and the parsed site.yaml."""
    return digest(__version__, FORMAT, value_digest(config))


class Store:
    """One pickled mapping in the cache folder: loaded on first use, saved with only the keys used.

    With `shards`, the mapping lies in that many files, a key's file chosen by its first two hex
    digits (keys that are digests): each loaded when a key of its own is first asked for, and saved
    only when its keys or values changed. One edit then rewrites a file or two, not a record of every
    file of the site (32 MB at 10,000 proposals, a fifth of a one-edit build's time)."""

    def __init__(self, folder: Path | None, name: str, shards: int = 1):
        self.folder, self.name, self.shards = folder, name, shards
        self.paths = [folder / (f"{name}.pickle" if shards == 1 else f"{name}-{n:02x}.pickle")
                      for n in range(shards)] if folder is not None else None
        self._old: list[dict[Any, Any] | None] = [None] * shards  # a build that finds nothing changed never unpickles one
        self.new: list[dict[Any, Any]] = [{} for _ in range(shards)]
        self.dirty: set[int] = set()  # the shards whose file is not what they hold

    def _shard(self, key: Any) -> int:
        return 0 if self.shards == 1 else int(key[:2], 16) % self.shards

    def _loaded(self, shard: int) -> dict[Any, Any]:
        found = self._old[shard]
        if found is None:
            loaded = _read(self.paths[shard]) if self.paths is not None else None
            found = self._old[shard] = loaded if isinstance(loaded, dict) else {}
            if loaded is None and self.paths is not None and self.paths[shard].exists():
                self.dirty.add(shard)  # damaged: written again, even with nothing in it
        return found

    def get(self, key: Any) -> Any:
        shard = self._shard(key)
        value = self.new[shard].get(key)
        if value is None:
            value = self._loaded(shard).get(key)
            if value is not None:
                self.new[shard][key] = value
        return value

    def reload(self) -> None:
        """Forget what is in memory: the next use loads the files again (another build may have written them)."""
        self._old, self.new, self.dirty = [None] * self.shards, [{} for _ in range(self.shards)], set()

    def put(self, key: Any, value: Any) -> None:
        shard = self._shard(key)
        self.new[shard][key] = value
        self.dirty.add(shard)

    def save(self, to_disk: bool = True) -> None:
        """Keep what this build used; in memory, start the next build from it."""
        for shard in range(self.shards):
            if self.new[shard].keys() != self._loaded(shard).keys():
                self.dirty.add(shard)
        self._old, self.new = list(self.new), [{} for _ in range(self.shards)]
        if to_disk:
            self.flush()

    def flush(self) -> None:
        """Write the last build's entries to disk, where they changed."""
        if self.paths is not None and self.folder is not None:
            for shard in sorted(self.dirty):
                _write(self.paths[shard], self._old[shard])
            self.dirty = set()
            if self.shards > 1:  # the one file of an older consult
                (self.folder / f"{self.name}.pickle").unlink(missing_ok=True)


def cache_folder(root: Path) -> Path:
    return root / CACHE_DIR


def read_manifest(path: Path) -> Manifest | None:
    """The last build's manifest, without its inputs (`read_inputs`): a build that a watcher's journal
    proves unchanged never unpickles a stat of each of a million files."""
    found = _read(path)
    return found if isinstance(found, Manifest) else None


@dataclass(frozen=True)
class Inputs:
    """What a build read, kept beside its manifest: the stat of every input, and the cache key of each
    content file (consult.content.load.source_key), with the salt those keys were made with."""

    stats: Stats
    salt: str = ""
    keys: dict[str, str] = field(default_factory=dict)

    def changed(self, now: Stats, scanned_ns: int) -> set[str]:
        """The inputs added, removed or modified since the scan that took these stats (at `scanned_ns`),
        and those modified within RACY_NS of it: their stat may hide a change (git's racily clean rule)."""
        return {path for path in now.keys() | self.stats.keys()
                if (stat_now := now.get(path)) is None or stat_now != self.stats.get(path)
                or scanned_ns - stat_now[1] < RACY_NS}

    def unchanged_keys(self, changed: Container[str], salt: str) -> dict[str, str]:
        """The keys of the content files not among `changed` (the `changed` above): those need not be
        read again to know their records. None of them if the keys were made with another salt."""
        if salt != self.salt:
            return {}
        return {path: key for path, key in self.keys.items() if path not in changed}


def read_inputs(path: Path, manifest: Manifest) -> Inputs | None:
    """The inputs that `manifest` was written with, from the file beside it (None: gone or another build's)."""
    found = _read(_inputs_path(path))
    ok = isinstance(found, tuple) and len(found) == 2 and found[0] == manifest.scanned_ns and isinstance(found[1], Inputs)
    return found[1] if ok else None


def write_manifest(path: Path, manifest: Manifest, inputs: Inputs | None = None) -> None:
    """`manifest`, and beside it `inputs` (tied to it by the moment of its scan; None: as they are)."""
    if inputs is not None:
        _write(_inputs_path(path), (manifest.scanned_ns, inputs))
    _write(path, manifest)


def _inputs_path(manifest: Path) -> Path:
    return manifest.with_name(manifest.stem + "-inputs.pickle")


Stats = dict[str, tuple[int, int, int]]
# A file modified this close to the scan may change again within the same mtime tick
# unnoticed (git's "racily clean" entries): such a manifest is never trusted.
RACY_NS = 100_000_000


def stat_files(paths: Iterable[Path], base: Path) -> Stats:
    """(size, mtime_ns, inode) of every file at or under `paths`, keyed by path relative to `base`
    (absolute for paths outside it). A stat per file, no read."""
    prefix = str(base) + os.sep
    found: Stats = {}

    def name(path: str) -> str:
        return path[len(prefix):].replace(os.sep, "/") if path.startswith(prefix) else path

    for top in paths:
        try:
            info = os.stat(top)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            found[name(str(top))] = (info.st_size, info.st_mtime_ns, info.st_ino)
            continue
        folders = [str(top)]
        while folders:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_dir():
                        folders.append(entry.path)
                    else:
                        info = entry.stat()
                        found[name(entry.path)] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return found


@dataclass(frozen=True)
class Manifest:
    """What one build read and wrote. The next build may skip all work when the inputs and the
    output folder are exactly as recorded and the moment gives every page the same bytes."""

    key: str  # consult's version, cache format, output folder
    outputs: Stats
    moment: datetime
    window: tuple[datetime | None, datetime | None]  # the moments giving every consultation the same status
    exact: bool  # some output shows the moment itself (an empty feed's <updated>): only that moment will do
    scanned_ns: int
    warnings: tuple[Any, ...] = ()  # the build's warnings (SourceError), told again when it is skipped
    watched: Token | None = None  # where the inputs' scan stood in a live watcher's journal (consult.watch)

    def still_valid(self, key: str, moment: datetime) -> bool:
        """Whether the same inputs would give the same output at `moment`."""
        low, high = self.window
        return key == self.key and (moment == self.moment if self.exact else (low is None or low <= moment) and (high is None or moment < high))

    def same_inputs(self, last: Stats | None, inputs: Stats) -> bool:
        """Whether `inputs` are `last` (this manifest's), none of them changed too close to the scan."""
        return inputs == last and not any(self.scanned_ns - mtime < RACY_NS for _, mtime, _ in inputs.values())


def scan_started() -> int:
    return time.time_ns()

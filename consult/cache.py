"""The build cache under `.consult/cache/`: parsed records and rendered pages' fingerprints.

Entries are keyed by content hashes (the file's text, consult's version, the
parsed site.yaml), so a stale entry is never found, only left unused; each build
keeps just what it used. The folder is the user's own and safe to delete:
pickle is fine there (never load a cache from someone else's folder).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from consult import __version__

CACHE_DIR = ".consult/cache"
# Bump when the meaning of a cached record changes without consult's version changing.
FORMAT = "1"


def digest(*parts: bytes | str) -> str:
    """A stable content hash of the parts (blake2b, 128 bits, hex)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def value_digest(value: Any) -> str:
    """A content hash of a picklable value: equal digests mean equal values."""
    return digest(pickle.dumps(value, protocol=5))


def salt(config: Any) -> str:
    """What every entry depends on: consult's version and cache format, and the parsed site.yaml."""
    return digest(__version__, FORMAT, value_digest(config))


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001  a truncated or foreign cache is only a cache miss
        return None


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=5)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Store:
    """One pickled mapping in the cache folder: loaded whole, saved with only the keys used."""

    def __init__(self, folder: Path | None, name: str):
        self.path = folder / f"{name}.pickle" if folder is not None else None
        loaded = _read(self.path) if self.path is not None else None
        self.old: dict[Any, Any] = loaded if isinstance(loaded, dict) else {}
        self.new: dict[Any, Any] = {}
        self.dirty = False

    def get(self, key: Any) -> Any:
        value = self.new.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.new[key] = value
        return value

    def put(self, key: Any, value: Any) -> None:
        self.new[key] = value
        self.dirty = True

    def save(self, to_disk: bool = True) -> None:
        """Keep what this build used; in memory, start the next build from it."""
        if self.new.keys() != self.old.keys():
            self.dirty = True
        self.old, self.new = self.new, {}
        if to_disk:
            self.flush()

    def flush(self) -> None:
        """Write the last build's entries to disk, if they changed."""
        if self.path is not None and self.dirty:
            _write(self.path, self.old)
            self.dirty = False


def cache_folder(root: Path) -> Path:
    return root / CACHE_DIR

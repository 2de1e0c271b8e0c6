"""Per-file caches in the state folder (`.consult/`): one value per file, valid while the file's
size and modification time (ns) stay what they were, so a reader reads only new or changed files.

One pickle per cache, preceded by the SHA-256 of its bytes, checked before unpickling (as
`cache.py` does): a missing, damaged or other-version file is an empty cache, never an error;
a cache that cannot be written only makes the next run slower. Used by the moderation screen's
index (`pending`) and the near-duplicate signatures of `consult pull` (`detect`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

Stamp = tuple[int, int]  # (size, mtime_ns)


def stamp_of(stat: os.stat_result) -> Stamp:
    return stat.st_size, stat.st_mtime_ns


def read_stamped(path: Path, version: Any) -> Any:
    """The value `write_stamped` stored at `path` with this `version`, or None (missing, damaged,
    another version)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, data = raw[:32], raw[32:]
    if hashlib.sha256(data).digest() != digest:
        return None
    try:
        found, value = pickle.loads(data)
    except Exception:  # a cache we cannot read is a miss, never an error
        return None
    return value if found == version else None


def write_stamped(path: Path, version: Any, value: Any) -> None:
    """Store `value` at `path` (atomically: a temporary file, then a rename), in a private folder."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = pickle.dumps((version, value), protocol=pickle.HIGHEST_PROTOCOL)
        temp = path.with_name(path.name + f".{os.getpid()}.tmp")
        temp.write_bytes(hashlib.sha256(data).digest() + data)
        os.replace(temp, path)
    except OSError:
        pass  # a cache that cannot be written only makes the next run slower

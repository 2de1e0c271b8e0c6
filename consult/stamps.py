"""Per-file caches in the state folder (`.consult/`): one value per file, valid while the file's
size and modification time (ns) stay what they were, so a reader reads only new or changed files.

One pickle per cache, preceded by a digest of its bytes, checked before unpickling (`read_checked`,
which the build cache of `cache.py` uses too): a missing, damaged or other-version file is an empty cache, never an error;
a cache that cannot be written only makes the next run slower. Used by the moderation screen's
index (`pending`) and the near-duplicate signatures of `consult pull` (`detect`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from consult.atomic import write_file

Stamp = tuple[int, int]  # (size, mtime_ns)


def stamp_of(stat: os.stat_result) -> Stamp:
    return stat.st_size, stat.st_mtime_ns


def digest(*parts: bytes | str) -> str:
    """A stable content hash of the parts (blake2b, 128 bits, hex): the build cache's keys
    (consult.cache) and the model's content keys (model.Keyed)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


# A checked file: this line, the digest of the payload (hex) and a newline, then the pickled payload.
# The digest is checked before unpickling: a truncated or corrupted file (a bit flipped, a write cut
# short by a full disk or a crash) is a miss, rebuilt by this run, never a wrong value.
MAGIC = b"consult-cache 1\n"
_DIGEST_SIZE = 32


def read_checked(path: Path) -> Any:
    """The value `write_checked` stored at `path`, or None when it is missing or fails its integrity check."""
    try:
        data = path.read_bytes()
    except OSError:  # missing or unreadable: only a cache miss
        return None
    start = len(MAGIC) + _DIGEST_SIZE + 1
    payload = memoryview(data)[start:]
    if not data.startswith(MAGIC) or data[start - 1:start] != b"\n" or \
            data[len(MAGIC):start - 1] != _payload_digest(payload).encode("ascii"):
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001  written by another version of consult: only a cache miss
        return None


def write_checked(path: Path, value: Any) -> None:
    """`value` pickled into `path`, replacing it whole (atomic.write_file), after its digest."""
    payload = pickle.dumps(value, protocol=5)
    write_file(path, b"".join((MAGIC, _payload_digest(payload).encode("ascii"), b"\n", payload)))


def _payload_digest(payload: bytes | memoryview) -> str:
    return hashlib.blake2b(payload, digest_size=_DIGEST_SIZE // 2).hexdigest()


def read_stamped(path: Path, version: Any) -> Any:
    """The value `write_stamped` stored at `path` with this `version`, or None (missing, damaged,
    another version)."""
    found = read_checked(path)
    if not (isinstance(found, tuple) and len(found) == 2):
        return None
    return found[1] if found[0] == version else None


def write_stamped(path: Path, version: Any, value: Any) -> None:
    """Store `value` at `path` (atomically), in a private folder."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_checked(path, (version, value))
    except OSError:
        pass  # a cache that cannot be written only makes the next run slower

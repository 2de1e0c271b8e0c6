"""Write a file whole or not at all: a temporary file beside it, then a rename.

Shared by the output stage (`_site/`) and the cache (`.consult/cache/`), which must
not import the output stage: the cache serves the stages before it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

# A file's bytes: whole, or in chunks written one after the other (a file too large to hold at once).
Data = bytes | Iterable[bytes]


def chunks(data: Data) -> Iterable[bytes]:
    """`data` as a sequence of chunks."""
    return (data,) if isinstance(data, bytes) else data


def write_file(path: Path, data: bytes) -> None:
    """`data` into `path` (its folders made), replacing it whole: a reader sees the old bytes or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(write_temp(path, data), path)


def write_temp(path: Path, data: Data) -> str:
    """`data` in a new temporary file beside `path` (rw-r--r--); its name, for the caller to rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks(data):
                handle.write(chunk)
        os.chmod(tmp, 0o644)
    except OSError as exc:
        os.unlink(tmp)
        raise naming_file(exc, path) from exc
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def naming_file(exc: OSError, path: str | Path) -> OSError:
    """`exc` with the file it was writing (os.write names none): a full disk must say what it refused.
    A new exception, so the name survives the trip back from a worker process (pickled args)."""
    return exc if exc.filename else OSError(exc.errno, exc.strerror, str(path))

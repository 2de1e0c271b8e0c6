"""The build cache: a damaged file (truncated, a byte changed) is ignored and rebuilt, never trusted.
Through whole builds: tests/test_build_incremental.py."""

from __future__ import annotations

from pathlib import Path

from consult.cache import Store, _read, _write


def test_a_file_that_fails_its_digest_reads_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "entry.pickle"
    _write(path, {"key": "Une valeur bien à elle"})
    assert _read(path) == {"key": "Une valeur bien à elle"}
    good = path.read_bytes()
    path.write_bytes(good.replace("bien".encode(), "BIEN".encode()))  # still a valid pickle, another value
    assert _read(path) is None
    path.write_bytes(good[:-3])
    assert _read(path) is None
    path.write_bytes(good[:10])
    assert _read(path) is None
    path.write_bytes(b"")
    assert _read(path) is None
    store = Store(tmp_path, "entry")
    assert store.get("key") is None  # the damaged file is a miss...
    store.put("key", "fresh")
    store.save()
    assert _read(path) == {"key": "fresh"}  # ...and is written again, whole

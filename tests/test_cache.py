"""The build cache: a damaged file (truncated, a byte changed) is ignored and rebuilt, never trusted.
Through whole builds: tests/test_build_incremental.py."""

from __future__ import annotations

from pathlib import Path

from consult.cache import RACY_NS, Inputs, Store, _read, _write


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


def test_a_sharded_store_writes_only_the_files_whose_keys_or_values_changed(tmp_path: Path) -> None:
    """Store(shards=n): a key's file by its first two hex digits; each file loaded when one of its
    keys is asked for; saved with only the keys used, only where something changed."""
    from consult.stamps import digest

    keys = [digest(str(n)) for n in range(12)]
    store = Store(tmp_path, "records", shards=4)
    for key in keys:
        store.put(key, key.upper())
    store.save()
    files = {path.name: path.stat().st_ino for path in tmp_path.glob("records-*.pickle")}  # a file written again is a new one
    assert 1 < len(files) <= 4 and {path.name for path in tmp_path.iterdir()} == set(files)
    later = Store(tmp_path, "records", shards=4)
    assert later.get(keys[0]) == keys[0].upper() and sum(loaded is not None for loaded in later._old) == 1
    for key in keys[1:-1]:  # keys[-1] no longer used; keys[0] asked again, unchanged
        assert later.get(key) == key.upper()
    later.save()
    rewritten = {path.name for path in tmp_path.glob("records-*.pickle") if path.stat().st_ino != files[path.name]}
    assert rewritten == {f"records-{int(keys[-1][:2], 16) % 4:02x}.pickle"}
    last = Store(tmp_path, "records", shards=4)
    assert [last.get(key) for key in keys] == [key.upper() for key in keys[:-1]] + [None]


def test_inputs_name_what_changed_since_their_scan_and_the_keys_of_the_rest() -> None:
    """Added, removed and modified files are changed; so is one whose stat is the same but was
    taken within RACY_NS of the scan (it may have changed again in the same mtime tick). The keys
    kept are those of the files not changed, and none when the salt is another."""
    scanned = 10 * RACY_NS
    old = RACY_NS  # well before the scan
    stats = {"same.md": (5, old, 1), "edited.md": (5, old, 2), "gone.md": (5, old, 3),
             "racy.md": (5, scanned - RACY_NS // 2, 4)}
    inputs = Inputs(stats, "salt", {name: f"key-{name}" for name in stats})
    now = {"same.md": (5, old, 1), "edited.md": (6, old, 2), "racy.md": stats["racy.md"], "new.md": (1, old, 5)}
    changed = inputs.changed(now, scanned)
    assert changed == {"edited.md", "gone.md", "racy.md", "new.md"}
    assert inputs.unchanged_keys(changed, "salt") == {"same.md": "key-same.md"}
    assert inputs.unchanged_keys(changed, "another salt") == {}

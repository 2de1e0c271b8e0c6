"""The build cache: a damaged file (truncated, a byte changed) is ignored and rebuilt, never trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from consult.build import build_site, check_site
from consult.cache import CACHE_DIR, Store, _read, _write
from consult.scaffold import init_site

NOW = "2026-02-15T12:00"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    init_site(root)
    proposals = root / "content/consultations/exemple/proposals"
    template = next(proposals.glob("*.md")).read_text(encoding="utf-8")
    for n in range(3):
        (proposals / f"autre-{n}.md").write_text(template.replace("Exemple de proposition", f"Autre {n}"), encoding="utf-8")
    return root


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


def test_a_corrupted_cache_record_is_ignored_and_rebuilt(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    parsed = site / CACHE_DIR / "parsed.pickle"
    data = parsed.read_bytes()
    assert data.count(b"Autre 1") >= 1
    parsed.write_bytes(data.replace(b"Autre 1", b"Pirate!"))  # the record unpickles, with the wrong title
    edited = site / "content/consultations/exemple/proposals/autre-2.md"  # another file changes: parse again
    edited.write_text(edited.read_text(encoding="utf-8").replace("Autre 2", "Autre deux"), encoding="utf-8")
    build_site(site, out, NOW, cache=True)
    assert tree(out) == check_site(site, NOW).files
    assert not any(b"Pirate!" in page for page in tree(out).values())
    assert b"Pirate!" not in parsed.read_bytes() and _read(parsed)  # rewritten whole


def test_a_truncated_cache_is_rebuilt(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    for path in (site / CACHE_DIR).iterdir():
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    edited = site / "content/consultations/exemple/proposals/autre-0.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Autre 0", "Autre zéro"), encoding="utf-8")
    build_site(site, out, NOW, cache=True)
    assert tree(out) == check_site(site, NOW).files
    assert all(_read(path) is not None for path in (site / CACHE_DIR).iterdir())

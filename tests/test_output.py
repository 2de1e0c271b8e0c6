"""Writing the output folder: all or nothing, unchanged files left alone, stale files removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from consult.errors import ConsultError
from consult.output import Staging, write_output


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_write_output_writes_only_what_changed_and_prunes(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    report = write_output(out, {"a/index.html": b"a", "b.txt": b"b", "old.txt": b"old"})
    assert report.written == ["a/index.html", "b.txt", "old.txt"]
    before = os.stat(out / "a/index.html").st_mtime_ns
    report = write_output(out, {"a/index.html": b"a", "b.txt": b"B"})
    assert report.written == ["b.txt"] and report.unchanged == 1 and report.removed == ["old.txt"]
    assert os.stat(out / "a/index.html").st_mtime_ns == before
    assert tree(out) == {"a/index.html": b"a", "b.txt": b"B"}


def test_staged_files_reach_the_output_only_on_commit(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_output(out, {"index.html": b"old"})
    staging = Staging(out)
    staging.add("index.html", b"new")
    staging.add("deep/new/page.html", b"page")
    visible = {k: v for k, v in tree(out).items() if not k.rsplit("/", 1)[-1].startswith(".")}
    # an existing file is replaced only on commit; a new folder's files go straight in, until rollback
    assert visible == {"index.html": b"old", "deep/new/page.html": b"page"}
    staging.rollback()
    assert tree(out) == {"index.html": b"old"} and sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_commit_puts_staged_and_new_files_in_place(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_output(out, {"index.html": b"old", "stale.txt": b"x"})
    staging = Staging(out)
    staging.add("index.html", b"new")
    staging.add("deep/new/page.html", b"page")
    staging.add("deep/new/page.html", b"page 2")  # the last one wins
    report = staging.commit()
    assert report.written == ["deep/new/page.html", "index.html"] and report.removed == ["stale.txt"]
    assert tree(out) == {"index.html": b"new", "deep/new/page.html": b"page 2"}
    assert oct(os.stat(out / "deep/new/page.html").st_mode & 0o777) == oct(0o644)


def test_rollback_of_a_first_build_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "_site"
    staging = Staging(out)
    staging.add("a/b/index.html", b"x")
    staging.rollback()
    assert not (tmp_path / "nested").exists()


def test_a_path_escaping_the_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConsultError):
        write_output(tmp_path / "_site", {"../evil.html": b"x"})
    assert not (tmp_path / "evil.html").exists()

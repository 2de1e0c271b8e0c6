"""Writing the output folder: all or nothing, unchanged files left alone, stale files removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from consult.errors import ConsultError
from consult.output import Staging, prune_output, write_output


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


def _write_in_a_worker(write: object, name: str, data: bytes) -> None:
    pid = os.fork()
    if pid == 0:  # a forked worker, as render_pages has
        try:
            write(name, data)  # type: ignore[operator]
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "empty folder"])
def test_into_a_new_or_empty_folder_the_workers_write_in_place_and_rollback_empties_it(tmp_path: Path,
                                                                                       existing: bool) -> None:
    out = tmp_path / "deep" / "_site"
    if existing:
        out.mkdir(parents=True)
    staging = Staging(out)
    write = staging.writer()
    assert write is not None
    _write_in_a_worker(write, "c/p/index.html", b"from a worker")
    write("c/q/index.html", b"from here")
    for name in ("c/p/index.html", "c/q/index.html"):
        staging.adopt(name)
    staging.add("robots.txt", b"companion")
    assert tree(out) == {"c/p/index.html": b"from a worker", "c/q/index.html": b"from here", "robots.txt": b"companion"}
    staging.rollback()
    assert (out.is_dir() and not any(out.iterdir())) if existing else not (tmp_path / "deep").exists()


def test_the_writer_commits_its_files_and_refuses_escaping_names(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    staging = Staging(out)
    write = staging.writer()
    assert write is not None
    with pytest.raises(ConsultError, match="escapes"):
        write("../outside.html", b"x")
    write("a/index.html", b"a")
    staging.adopt("a/index.html")
    report = staging.commit()
    assert report.written == ["a/index.html"] and tree(out) == {"a/index.html": b"a"}
    assert not (tmp_path / "outside.html").exists()
    assert Staging(out).writer() is None  # the folder holds a site now: files are staged as usual


def test_a_file_in_chunks_is_written_as_they_come_and_left_alone_when_unchanged(tmp_path: Path) -> None:
    """A file given as an iterator of chunks (a large open data CSV) is written chunk by chunk, into a new
    folder as into an existing one; once written, equal chunks leave it alone (its mtime too)."""
    out = tmp_path / "_site"
    made: list[int] = []

    def chunks(*parts: bytes):  # type: ignore[no-untyped-def]
        for part in parts:
            made.append(len(part))
            yield part

    report = write_output(out, {"data/big.csv": chunks(b"id\n", b"1\n", b"2\n"), "index.html": b"i"})
    assert tree(out) == {"data/big.csv": b"id\n1\n2\n", "index.html": b"i"} and made == [3, 2, 2]
    before = os.stat(out / "data/big.csv").st_mtime_ns
    report = write_output(out, {"data/big.csv": chunks(b"id\n1\n", b"2\n"), "index.html": b"i"})
    assert report.written == [] and report.unchanged == 2
    assert os.stat(out / "data/big.csv").st_mtime_ns == before
    assert sorted(p.name for p in (out / "data").iterdir()) == ["big.csv"]  # no temporary file left
    report = write_output(out, {"data/big.csv": chunks(b"id\n", b"3\n"), "index.html": b"i"})
    assert report.written == ["data/big.csv"] and tree(out)["data/big.csv"] == b"id\n3\n"
    staging = Staging(tmp_path / "fresh")
    staging.writer()  # a new folder: the writer's path
    staging.add("data/big.csv", chunks(b"a", b"b"))
    staging.commit()
    assert tree(tmp_path / "fresh") == {"data/big.csv": b"ab"}


@pytest.mark.parametrize("fresh", [False, True])
def test_a_file_written_a_piece_at_a_time_is_staged_as_one_given_in_chunks(tmp_path: Path, fresh: bool) -> None:
    """Staging.open: pieces written between other work (contributions.csv while the workers render)
    reach the output only on commit in a folder that was there, straight into a folder this build
    made; equal bytes leave the file alone; a failure while writing leaves no temporary file and
    stages nothing; a rollback leaves the last output as it was."""
    out = tmp_path / "_site"
    write_output(out, {"data/big.csv": b"id\n1\n", "index.html": b"i"})
    before = os.stat(out / "data/big.csv").st_mtime_ns
    if fresh:
        out = tmp_path / "new"
    staging = Staging(out)
    if fresh:
        staging.writer()
    with staging.open("data/big.csv") as handle:
        handle.write(b"id\n")
        handle.write(b"1\n")
    with staging.open("data/new/more.csv") as handle:
        handle.write(b"x")
    staging.add("index.html", b"i")
    with pytest.raises(OSError), staging.open("data/broken.csv") as handle:
        handle.write(b"half")
        raise OSError(28, "No space left on device")
    assert not list(out.rglob(".tmp-*")) and not (out / "data/broken.csv").exists()  # the same bytes: nothing staged
    report = staging.commit()
    assert tree(out) == {"data/big.csv": b"id\n1\n", "data/new/more.csv": b"x", "index.html": b"i"}
    if fresh:
        assert report.written == ["data/big.csv", "data/new/more.csv", "index.html"]
    else:
        assert report.written == ["data/new/more.csv"] and report.unchanged == 2
        assert os.stat(out / "data/big.csv").st_mtime_ns == before
    staging = Staging(tmp_path / "_site")
    with staging.open("data/big.csv") as handle:
        handle.write(b"id\n2\n")
    assert tree(tmp_path / "_site")["data/big.csv"] == b"id\n1\n"  # staged under a temporary name
    staging.rollback()
    assert tree(tmp_path / "_site") == {"data/big.csv": b"id\n1\n", "index.html": b"i"} | (
        {} if fresh else {"data/new/more.csv": b"x"})
    assert not [p for p in (tmp_path / "_site").rglob(".tmp-*")]


def test_prune_removes_stale_files_deepest_first_and_the_folders_they_leave_empty(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    files = {"a/keep.html": b"k", "a/b/c/old.html": b"o", "a/b/old.html": b"o", "a-b/old.html": b"o",
             "pagefind/index.js": b"search", "top.html": b"t", "z.txt": b"z"}
    write_output(out, files)
    (out / "empty/inner").mkdir(parents=True)
    os.symlink("nowhere", out / "a/link")  # neither a file nor a folder: left as it is
    report = prune_output(out, {"a/keep.html", "top.html"}, reserved=("pagefind",))
    # deepest first: reverse path order, part by part ("a/b/..." sorts before "a-b/...")
    assert report == ["z.txt", "a-b/old.html", "a/b/old.html", "a/b/c/old.html"]
    assert tree(out) == {"a/keep.html": b"k", "pagefind/index.js": b"search", "top.html": b"t"}
    assert sorted(p.name for p in out.iterdir()) == ["a", "pagefind", "top.html"]
    assert (out / "a/link").is_symlink() and not (out / "a/b").exists()

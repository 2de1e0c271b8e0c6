"""Rendered files -> `_site/` on disk, all or nothing.

Files are staged under temporary names beside their targets as they come (so a
large site never holds all its pages in memory) and renamed into place only on
`commit`; `rollback` removes what was staged, leaving the last good site as it
was. Files whose bytes did not change are left alone (their modification time
too), and files the build no longer produces are removed.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from consult.atomic import Data, chunks, naming_file, write_temp
from consult.errors import ConsultError, say
from consult.layout import content_dir


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


def check_output_dir(out: Path, root: Path) -> None:
    """Refuse an output folder that would clobber the site's own sources."""
    out, root = out.resolve(), root.resolve()
    if out == root or out in root.parents or content_dir(root) in [out, *out.parents]:
        raise ConsultError(say(f"refusing to write the site into {out}: choose a folder like {root / '_site'}",
                               f"consult n'écrit pas le site dans {out} : choisissez un dossier comme {root / '_site'}"))


class Staging:
    """One build's output: `add` stages each file, `commit` puts them all in place, `rollback` none.

    A file goes to a temporary name beside its target, renamed on commit; in a folder this build
    created (a new page's, or every folder of a first build) it goes straight to its name: nobody
    had anything there, and rollback removes the whole folder. That saves a cold build of a large
    site a third of its file system calls. Into an output folder new or empty, `writer` lets the
    processes that render the pages write them themselves."""

    def __init__(self, out: Path):
        self.out, self.resolved = out, out.resolve()
        self.staged: dict[str, str] = {}  # output path -> temporary file beside it
        self.direct: set[str] = set()  # output paths written in place, in folders created by this build
        self.names: set[str] = set()
        self.unchanged = 0
        self.created: dict[str, Path] = {}  # folders this build made (relative path -> path), removed on rollback
        self.checked: dict[str, bool] = {}  # existing folder -> inside the output folder (symlinks resolved)
        self.empty = not out.is_dir() or not any(out.iterdir())  # nothing stale to look for after
        # Set by `writer`: files go straight to their place (through it), rollback empties the folder.
        self.fresh: Callable[[str, Data], None] | None = None
        self.mode = 0o644 & ~_umask()

    def writer(self) -> Callable[[str, Data], None] | None:
        """When the output folder is new or empty: a function that writes a file straight to its
        place, safe to call from forked workers at once, each file then `adopt`ed here. Nobody had
        anything in that folder, so there is nothing to stage, and rollback empties it. None otherwise."""
        if not self.empty:
            return None
        if self.fresh is None:
            self._create("")  # the output folder itself (and its parent), removed on rollback if new
            self.fresh = self._writer()
        return self.fresh

    def _writer(self) -> Callable[[str, Data], None]:
        out, mode, known = str(self.out), self.mode, {""}

        def write(name: str, data: Data) -> None:
            _check_name(name, self.out)
            folder = name.rpartition("/")[0]
            if folder not in known:
                path = os.path.join(out, folder)
                try:  # a page's own folder is new, its parent rarely: one mkdir, not makedirs' stat first
                    os.mkdir(path)
                except FileNotFoundError:
                    os.makedirs(path, exist_ok=True)
                except FileExistsError:  # another process made it
                    pass
                known.add(folder)
            _write_new(os.path.join(out, name), data, mode)

        return write

    def adopt(self, name: str) -> None:
        """A file the `writer` put in place (in this process or a worker)."""
        self.names.add(name)
        self.direct.add(name)

    def add(self, name: str, data: Data) -> None:
        """Stage one file; `data` may come in chunks (written as they come: see atomic.Data)."""
        target, place = self._place(name)
        if place == "fresh":  # the writer's folders are not in `created`: all are this build's
            self.fresh(name, data)  # type: ignore[misc]
            self.adopt(name)
        elif place == "beside":
            if isinstance(data, bytes):
                try:
                    if target.stat().st_size == len(data) and target.read_bytes() == data:
                        self.unchanged += 1
                        return
                except FileNotFoundError:
                    pass
                self.staged[name] = write_temp(target, data)
                return
            self._staged_or_same(name, target, write_temp(target, data))  # chunks: compared once written
        else:
            _write_new(target, data, self.mode)
            self.direct.add(name)

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        """Stage one file its maker writes a piece at a time, between other work (Builder._companions:
        contributions.csv while the workers render), as `add` stages one given in chunks: written to a
        temporary name beside its place, then put there (or left out, when the same bytes are there)."""
        target, place = self._place(name)
        if place == "fresh":
            target.parent.mkdir(parents=True, exist_ok=True)  # in a folder all this build's (rollback empties it)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
            os.chmod(tmp, 0o644)
        except BaseException as exc:
            with suppress(FileNotFoundError):  # a rollback may have emptied the folder first
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise naming_file(exc, target) from exc
            raise
        if place == "beside":
            self._staged_or_same(name, target, tmp)
            return
        os.replace(tmp, target)
        self.adopt(name) if place == "fresh" else self.direct.add(name)

    def _place(self, name: str) -> tuple[Path, str]:
        """Where a file to stage goes: straight through the writer ("fresh"), to a temporary name
        beside its place in a folder that was there ("beside"), or to its place in a folder this build
        made ("new"); that folder made, a file staged before under that name forgotten."""
        _check_name(name, self.out)
        folder = name.rpartition("/")[0]
        target = self.out / name
        if name in self.names:  # added twice: the last one wins, as in a dict
            self._forget(name, target)
        if self.fresh is not None:
            return target, "fresh"
        self.names.add(name)
        if folder in self.created:
            return target, "new"
        if (self.out / folder).is_dir():
            if not self._inside(folder):
                raise ConsultError(_escapes(name, self.out))
            return target, "beside"
        if not self._create(folder):
            raise ConsultError(_escapes(name, self.out))
        return target, "new"

    def _staged_or_same(self, name: str, target: Path, tmp: str) -> None:
        if _same_file(tmp, target):
            os.unlink(tmp)
            self.unchanged += 1
        else:
            self.staged[name] = tmp

    def _forget(self, name: str, target: Path) -> None:
        old = self.staged.pop(name, None)
        if old is not None:
            os.unlink(old)
        if name in self.direct:
            self.direct.discard(name)
            os.unlink(target)

    def _inside(self, folder: str) -> bool:
        """Does the existing part of `folder` lie inside the output folder, symlinks followed?"""
        found = self.checked.get(folder)
        if found is None:
            found = self.checked[folder] = (self.out / folder).resolve().is_relative_to(self.resolved)
        return found

    def _create(self, folder: str) -> bool:
        """Make a missing folder and its missing parents; False if it would land outside the output."""
        chain, probe = [], folder
        while True:
            path = self.out / probe if probe else self.out
            if probe in self.created or path.is_dir():
                if probe not in self.created and not self._inside(probe):
                    return False
                break
            chain.append((probe, path))
            if not probe:
                if not self.out.parent.is_dir():
                    self.out.parent.mkdir(parents=True)
                    self.created.setdefault("..", self.out.parent)  # removed on rollback too
                break
            probe = probe.rpartition("/")[0]
        for rel, path in reversed(chain):
            path.mkdir()
            self.created[rel] = path
        return True

    def commit(self, keep: Iterable[str] = (), prune: bool = True, reserved: tuple[str, ...] = ()) -> WriteReport:
        """Rename the staged files into place (in path order), then remove stale files when `prune`
        (but those under the `reserved` top folders, which a later step writes: the search index)."""
        report = WriteReport(unchanged=self.unchanged)
        kept = set(keep)
        report.unchanged += len(kept)
        self.out.mkdir(parents=True, exist_ok=True)
        for name in sorted(self.staged):
            os.replace(self.staged[name], self.out / name)
        report.written = sorted(self.staged.keys() | self.direct)
        self.staged, self.direct, self.created, self.fresh = {}, set(), {}, None
        if prune and not self.empty:
            report.removed = prune_output(self.out, self.names | kept, reserved)
        return report

    def rollback(self) -> None:
        if self.fresh is not None and self.out.is_dir():  # everything in it is this build's
            for path in self.out.iterdir():
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        for tmp in self.staged.values():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        outer = self.created.pop("..", None)
        tops = [path for rel, path in self.created.items() if (rel.rpartition("/")[0] if rel else None) not in self.created]
        for path in tops:
            shutil.rmtree(path, ignore_errors=True)
        if outer is not None:
            shutil.rmtree(outer, ignore_errors=True)
        self.staged, self.direct, self.created, self.fresh = {}, set(), {}, None


def _same_file(new: str, old: Path) -> bool:
    """Do two files hold the same bytes (`old` may be missing)?"""
    try:
        return filecmp.cmp(new, old, shallow=False)
    except FileNotFoundError:
        return False


def _write_new(path: str | Path, data: Data, mode: int) -> None:
    """Create a file that must not exist yet; rw-r--r-- whatever the umask (`mode` is what it gave)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:  # os.write on the descriptor: a file object would fstat it first
        for chunk in chunks(data):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        if mode != 0o644:
            os.fchmod(fd, 0o644)
    except OSError as exc:
        raise naming_file(exc, path) from exc
    finally:
        os.close(fd)


def _check_name(name: str, out: Path) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or ".." in parts or "" in parts:
        raise ConsultError(_escapes(name, out))


def _escapes(name: str, out: Path) -> str:
    return say(f"output path {name!r} escapes {out}", f"le fichier de sortie {name!r} serait écrit hors de {out}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def under(name: str, folders: Collection[str]) -> bool:
    """Is output file `name` (a path below the output folder) under one of the top `folders`?"""
    return name.partition("/")[0] in folders


def prune_output(out: Path, wanted: set[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Remove the files of `out` not in `wanted` nor under a `reserved` top folder, and the folders left
    empty; return the removed files' paths, deepest first (reverse path order).

    One `os.scandir` per folder, names as plain strings: this walk visits every file of the output on
    each build that may have stale files (pathlib's rglob and a stat per path cost a fifth of a
    one-edit build of 10,000 proposals)."""
    removed: list[str] = []

    def prune(folder: str, prefix: str) -> bool:
        """Prune `folder` (its path below `out` is `prefix`); True when it is left empty."""
        empty = True
        with os.scandir(folder) as entries:
            found = sorted(entries, key=lambda entry: entry.name, reverse=True)
        for entry in found:
            rel = prefix + entry.name
            if not prefix and entry.name in reserved:
                empty = False
            elif entry.is_dir(follow_symlinks=False):
                if prune(entry.path, rel + "/"):
                    os.rmdir(entry.path)
                else:
                    empty = False
            elif rel not in wanted and entry.is_file():
                os.unlink(entry.path)
                removed.append(rel)
            else:  # wanted, or neither a file nor a folder (left as the build found it)
                empty = False
        return empty

    prune(str(out), "")
    removed.sort(key=lambda rel: rel.split("/"), reverse=True)
    return removed


def write_output(out: Path, files: dict[str, bytes], keep: Iterable[str] = (), prune: bool = True) -> WriteReport:
    """Write `files` into `out`, all or nothing; `keep` names files this build also produces but
    knows are already there unchanged (the incremental build's cache hits): left alone, never removed.
    `prune=False` skips looking for stale files (the caller knows the set of files is the same)."""
    staging = Staging(out)
    try:
        for name, data in files.items():
            staging.add(name, data)
        return staging.commit(keep, prune)
    except BaseException:
        staging.rollback()
        raise

"""Rendered files -> `_site/` on disk, all or nothing.

Files are staged under temporary names beside their targets as they come (so a
large site never holds all its pages in memory) and renamed into place only on
`commit`; `rollback` removes what was staged, leaving the last good site as it
was. Files whose bytes did not change are left alone (their modification time
too), and files the build no longer produces are removed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from consult.errors import ConsultError


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


def check_output_dir(out: Path, root: Path) -> None:
    """Refuse an output folder that would clobber the site's own sources."""
    out, root = out.resolve(), root.resolve()
    if out == root or out in root.parents or (root / "content") in [out, *out.parents]:
        raise ConsultError(f"refusing to write the site into {out}: choose a folder like {root / '_site'}")


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_write_temp(path, data), path)


def _write_temp(path: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


class Staging:
    """One build's output: `add` stages each file, `commit` puts them all in place, `rollback` none."""

    def __init__(self, out: Path):
        self.out, self.resolved = out, out.resolve()
        self.staged: dict[str, str] = {}  # output path -> temporary file beside it
        self.names: set[str] = set()
        self.unchanged = 0
        self.created: list[Path] = []  # folders this build made, removed again on rollback

    def add(self, name: str, data: bytes) -> None:
        target = self.out / name
        if not target.resolve().is_relative_to(self.resolved):
            raise ConsultError(f"output path {name!r} escapes {self.out}")
        self.names.add(name)
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                self.unchanged += 1
                return
        except FileNotFoundError:
            pass
        self._folder(target.parent)
        old = self.staged.pop(name, None)
        if old is not None:
            os.unlink(old)
        self.staged[name] = _write_temp(target, data)

    def _folder(self, folder: Path) -> None:
        if folder.is_dir():
            return
        missing = [folder, *(p for p in folder.parents if not p.is_dir())]
        folder.mkdir(parents=True, exist_ok=True)
        self.created += missing

    def commit(self, keep: Iterable[str] = (), prune: bool = True) -> WriteReport:
        """Rename the staged files into place (in path order), then remove stale files when `prune`."""
        report = WriteReport(unchanged=self.unchanged)
        kept = set(keep)
        report.unchanged += len(kept)
        self.out.mkdir(parents=True, exist_ok=True)
        for name in sorted(self.staged):
            os.replace(self.staged[name], self.out / name)
            report.written.append(name)
        self.staged, self.created = {}, []
        if prune:
            report.removed = prune_output(self.out, self.names | kept)
        return report

    def rollback(self) -> None:
        for tmp in self.staged.values():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        for folder in sorted(set(self.created), key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass
        self.staged, self.created = {}, []


def prune_output(out: Path, wanted: set[str]) -> list[str]:
    """Remove the files of `out` not in `wanted`, and the folders left empty."""
    removed = []
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            removed.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
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

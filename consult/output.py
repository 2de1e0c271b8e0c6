"""Rendered files in memory -> `_site/` on disk.

Each file is written to a temporary name and renamed into place, so a reader
never sees half a page; files whose bytes did not change are left alone (their
modification time too), and files the build no longer produces are removed.
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_output(out: Path, files: dict[str, bytes], keep: Iterable[str] = (), prune: bool = True) -> WriteReport:
    """Write `files` into `out`; `keep` names files this build also produces but knows are
    already there unchanged (the incremental build's cache hits): left alone, never removed.
    `prune=False` skips looking for stale files (the caller knows the set of files is the same)."""
    report = WriteReport()
    kept = set(keep)
    report.unchanged += len(kept)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = out / name
        if not target.resolve().is_relative_to(out.resolve()):
            raise ConsultError(f"output path {name!r} escapes {out}")
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                report.unchanged += 1
                continue
        except FileNotFoundError:
            pass
        write_file(target, data)
        report.written.append(name)
    if not prune:
        return report
    wanted = set(files) | kept
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            report.removed.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return report

"""One build (or pull) of a site at a time: an advisory lock in `.consult/` (fcntl.flock).

`consult build` and each rebuild of `consult serve` hold it while they write the
output folder and `.consult/cache/`; a second build of the same site waits for the
first, and says so. The lock goes with the process holding it, so a build that was
killed never leaves it behind. Linux and other POSIX systems only (as `consult pull`).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from consult.layout import CONFIG_FILE, STATE_DIR

LOCK_FILE = Path(STATE_DIR) / "build.lock"
WAITING = "waiting for another build of this site to finish…"


def build_lock(root: Path) -> Any:
    """Hold the site's build lock for the block; wait for it, printing `WAITING` once, when
    another process holds it. Not reentrant: a process holding it must not ask again. Where
    there is no site (no site.yaml), nothing is locked nor created: that build stops at once."""
    return site_lock(root, LOCK_FILE, WAITING)


@contextmanager
def site_lock(root: Path, lock_file: Path, waiting: str = "") -> Iterator[None]:
    """Hold `root / lock_file` for the block, waiting for another process that holds it (saying
    `waiting` once, if given). Nothing is locked nor created without a site.yaml."""
    if not (root / CONFIG_FILE).is_file():
        yield
        return
    fd = _open(root, lock_file)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                click.echo(waiting, err=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _open(root: Path, lock_file: Path) -> int:
    path = root / lock_file
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only site (built with --no-cache --out elsewhere): lock the folder itself
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY)

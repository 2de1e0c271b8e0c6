"""One build of a site at a time: an advisory lock on `.consult/build.lock` (fcntl.flock).

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

import click

from consult.config import CONFIG_FILE

LOCK_FILE = Path(".consult") / "build.lock"
WAITING = "waiting for another build of this site to finish…"


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the site's build lock for the block; wait for it, printing `WAITING` once, when
    another process holds it. Not reentrant: a process holding it must not ask again. Where
    there is no site (no site.yaml), nothing is locked nor created: that build stops at once."""
    if not (root / CONFIG_FILE).is_file():
        yield
        return
    fd = _open(root)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo(WAITING, err=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _open(root: Path) -> int:
    path = root / LOCK_FILE
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only site (built with --no-cache --out elsewhere): lock the folder itself
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY)

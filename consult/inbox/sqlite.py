"""The embedded inbox: one SQLite file, WAL journal, synchronous=FULL.

A commit returns only once the WAL is fsynced, so "received" means on disk. SQLite
needs real file locking and shared memory: tmpfs (lost on reboot) and network
filesystems (broken locks) are refused with a message saying so. The file and its
-wal/-shm companions are 0600 in a 0700 `.consult/`; deleted rows are overwritten
(secure_delete) and the WAL emptied after each erasure or purge, so an erased e-mail
is in none of the files.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from consult.inbox.base import InboxError
from consult.inbox.sql import Inbox

VOLATILE = {"tmpfs", "ramfs"}
NETWORK = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "fuse.sshfs", "davfs", "afs",
           "fuse.glusterfs", "lustre", "gpfs", "fuse.s3fs"}
ALLOW_ANY_FS = "CONSULT_INBOX_ANY_FS"


def filesystem_of(path: Path, mounts_text: str | None = None) -> str:
    """The filesystem type of the mount holding `path`, from /proc/mounts ('' if unknown)."""
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    target = str(path.resolve())
    best, fstype = "", ""
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, parts[2]
    return fstype


def check_filesystem(path: Path, mounts_text: str | None = None) -> None:
    if os.environ.get(ALLOW_ANY_FS) == "1":
        return
    fstype = filesystem_of(path, mounts_text)
    if fstype in VOLATILE:
        raise InboxError(
            f"the inbox {path} is on {fstype}, which is lost at reboot: submissions would vanish. "
            "Put the inbox on a real disk (forms.inbox in site.yaml)."
        )
    if fstype in NETWORK:
        raise InboxError(
            f"the inbox {path} is on a network filesystem ({fstype}), where SQLite's locks are not reliable. "
            f"Use a local disk or a postgresql:// inbox (set {ALLOW_ANY_FS}=1 to override at your own risk)."
        )


def private_dir(folder: Path) -> None:
    """Make `folder` (and missing parents) mode 0700 whatever the umask; an existing
    `.consult/` of ours is narrowed to 0700 too. Other existing folders are left alone."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for made in missing:
        os.chmod(made, 0o700)
    if folder.name == ".consult":
        info = folder.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o777 != 0o700:
            os.chmod(folder, 0o700)


def private_files(path: Path) -> None:
    """Create the database file 0600 whatever the umask (SQLite gives its -wal and -shm
    files the database's mode), and narrow an existing file and companions to 0600."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists() and each.stat().st_mode & 0o777 != 0o600:
            os.chmod(each, 0o600)


class SqliteInbox(Inbox):
    errors = (sqlite3.Error,)
    busy_ms = 30_000  # how long a statement waits for another process's lock

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"
        try:
            private_dir(path.parent)
            check_filesystem(path.parent)
            private_files(path)
        except OSError as exc:
            raise InboxError(f"cannot open the inbox {path}: {exc.strerror or exc}") from exc
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # SQLite has one writer at a time: queueing writers here is fairer and faster than
        # SQLite's busy-wait backoff. Other processes still wait through busy_timeout.
        self._writer = threading.Lock()
        self._pid = os.getpid()
        self.create_schema()

    @classmethod
    def from_url(cls, url: str, root: Any = None) -> "SqliteInbox":
        raw = url[len("sqlite:///"):]
        if not raw:
            raise InboxError("sqlite inbox URL needs a path: sqlite:///.consult/inbox.sqlite3")
        path = Path(raw)
        if not path.is_absolute() and not raw.startswith("/"):
            path = Path(root or os.getcwd()) / path
        return cls(path)

    def _acquire(self) -> sqlite3.Connection:
        with self._lock:
            if self._pid != os.getpid():  # forked: never share a connection with the parent
                self._idle, self._all, self._pid = [], [], os.getpid()
                self._writer = threading.Lock()
            if self._idle:
                return self._idle.pop()
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_ms / 1000, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={self.busy_ms}")
            conn.execute("PRAGMA secure_delete=ON")  # a deleted row's bytes are overwritten, not left free
        except sqlite3.Error as exc:
            raise InboxError(f"cannot open the inbox {self.path}: {exc}") from exc
        with self._lock:
            self._all.append(conn)
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn in self._all:
                self._idle.append(conn)

    @contextmanager
    def _tx_raw(self, relaxed: bool = False) -> Iterator[Any]:
        conn = self._acquire()
        try:
            with self._writer:
                cur = conn.cursor()
                try:
                    if relaxed:
                        cur.execute("PRAGMA synchronous=NORMAL")  # back to FULL below, whatever happens
                    cur.execute("BEGIN IMMEDIATE")
                    yield cur
                    cur.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise
                finally:
                    if relaxed:
                        cur.execute("PRAGMA synchronous=FULL")
                    cur.close()
        finally:
            self._release(conn)

    def _scrub(self) -> bool:
        """Copy the WAL into the database and truncate it to zero bytes: the WAL still holds
        the pages as they were before a deletion. Waits (busy_timeout) for readers to move on."""
        conn = self._acquire()
        try:
            with self._writer:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            raise InboxError(f"the inbox {self.path} could not be checkpointed: {exc}") from exc
        finally:
            self._release(conn)
        return not busy

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
            self._idle.clear()

    # --- backups: SQLite's online backup API copies a consistent snapshot while the handler writes.
    def backup_to(self, target: Path) -> int:
        """Copy the inbox into the new file `target` (0600: it holds e-mail addresses), atomically:
        a half-written backup never carries the final name. The number of submissions copied."""
        if target.exists():
            raise InboxError(f"{target} already exists: back up to a new file")
        partial = target.with_name(f".{target.name}.partial")
        conn = self._acquire()
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            dest = sqlite3.connect(partial, isolation_level=None)
            try:
                conn.backup(dest)
                dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                count = int(dest.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])
            finally:
                dest.close()
            with open(partial, "rb") as written:
                os.fsync(written.fileno())
            os.replace(partial, target)
        except (sqlite3.Error, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise InboxError(f"cannot back up the inbox {self.path} to {target}: {exc}") from exc
        finally:
            self._release(conn)
        return count

    def restore_from(self, source: Path, force: bool = False) -> int:
        """Replace the inbox with the backup `source` (made by `backup_to`). Refused when the
        inbox holds submissions the backup lacks (they would be lost) unless `force`; the
        erasures recorded since the backup are applied again. The number of submissions restored."""
        backup_ids = _backup_ids(source)
        missing = {s.id for s in self.all()} - backup_ids
        if missing and not force:
            raise InboxError(f"the inbox holds {len(missing)} submission(s) that {source} does not: restoring would "
                             "lose them. Back up the current inbox first, then restore with --force")
        tombstones = self.erasures()
        conn = self._acquire()
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                with self._writer:
                    src.backup(conn)
                    conn.execute("PRAGMA journal_mode=WAL")
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise InboxError(f"cannot restore the inbox {self.path} from {source}: {exc}") from exc
        finally:
            self._release(conn)
        self.create_schema()  # a backup made by an older consult gains the newer tables
        self.reapply_tombstones(tombstones)
        return len(self.all())


def _backup_ids(source: Path) -> set[str]:
    """The submission ids of a backup file; InboxError when it is not an inbox backup."""
    if not source.is_file():
        raise InboxError(f"{source}: no such file")
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            return {str(row[0]) for row in conn.execute("SELECT id FROM submissions")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise InboxError(f"{source} is not a backup of a consult inbox ({exc})") from exc

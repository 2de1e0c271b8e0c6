"""`consult watch`: a journal of the changes among a site's inputs, so that a build of a very large
site can know that nothing changed without a stat of every file (git's fsmonitor, Watchman's cookies).

A stat costs microseconds, and a national consultation has a million files: the manifest of the last
build (consult.cache) is proved by a watcher instead, when one runs. The watcher (one per site; Linux,
inotify) holds `.consult/watch/lock` for as long as it lives and writes `.consult/watch/journal`:
a first line naming its session, then a line per cookie a build drops (``K name``) and, between two
cookies, a line for the first change among the inputs (``C path``; a pull writing a million files
writes one such line per build, not a million). A build calls `sync`:

1. a live watcher holds the lock, or there is none: no journal, the build stats every file;
2. the build drops a cookie in `.consult/watch/cookies/` and waits for the journal to name it. One
   inotify queue delivers its events in order, so every change made before the cookie is written to
   the journal before the cookie's line;
3. the journal's offset after that line, with the session, is the build's `Token`. The next build
   trusts that nothing changed only if the same session wrote no change line after it.

Anything else makes the build stat every file, as it does without a watcher: no watcher, another
session, a cookie not seen within `SYNC_TIMEOUT`, the kernel's queue overflowing (the watcher starts
a new session). What inotify does not see, it cannot tell: writes through a shared memory mapping, or
to a network file system from another machine. Such sites should not run a watcher.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from consult.errors import ConsultError, say
from consult.layout import CONFIG_FILE, STATE_DIR, WATCHED_DIRS
from consult.stamps import read_stamped, write_stamped

T = TypeVar("T")

WATCH_DIR = Path(STATE_DIR) / "watch"
# What builds and their checks read at the site's root (consult.lint reads requirements.txt).
ROOT_INPUTS = frozenset({CONFIG_FILE, "requirements.txt", *WATCHED_DIRS})
SESSION = b"consult-watch "  # the journal's first line: SESSION + the session's id
SYNC_TIMEOUT = 1.0  # seconds a build waits for the watcher to see its cookie
ROTATE_BYTES = 64 << 20  # a journal this long starts a new session (the next build stats every file)

# inotify(7)
IN_MODIFY, IN_ATTRIB, IN_MOVED_FROM, IN_MOVED_TO = 0x2, 0x4, 0x40, 0x80
IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF = 0x100, 0x200, 0x400, 0x800
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED, IN_ISDIR = 0x2000, 0x4000, 0x8000, 0x40000000
CHANGES = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name, NUL-padded


@dataclass(frozen=True)
class Token:
    """Where a build stood in a watcher's journal: its changes up to `offset` were all seen."""

    session: bytes
    offset: int


@dataclass(frozen=True)
class Synced:
    """A live watcher's journal, caught up with everything that happened before `sync` returned."""

    journal: Path
    token: Token

    def unchanged_since(self, token: Token | None) -> bool:
        """True only if the journal proves that no input changed between `token` and this sync."""
        if token is None or token.session != self.token.session or token.offset > self.token.offset:
            return False
        try:
            with open(self.journal, "rb") as journal:
                if _session(journal) != self.token.session:  # replaced since the sync
                    return False
                journal.seek(token.offset)
                return not any(line.startswith(b"C ") for line in _lines(journal, self.token.offset - token.offset))
        except OSError:
            return False


def sync(root: Path, timeout: float = SYNC_TIMEOUT) -> Synced | None:
    """The journal of the site's live watcher, once it has seen every change made before this call;
    None when no watcher runs or it does not answer in time (then every file must be looked at)."""
    folder = root / WATCH_DIR
    if not _alive(folder / "lock"):
        return None
    import secrets  # only with a live watcher: a build without one does not pay for the import
    try:
        with open(folder / "journal", "rb") as journal:
            session = _session(journal)
            if session is None:
                return None
            start = journal.seek(0, os.SEEK_END)
            name = secrets.token_hex(8)
            cookie = folder / "cookies" / name
            os.close(os.open(cookie, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            try:
                end = _await(journal, start, b"K " + name.encode() + b"\n", timeout)
            finally:
                cookie.unlink(missing_ok=True)
    except OSError:
        return None
    return Synced(folder / "journal", Token(session, end)) if end is not None else None


def remembered(root: Path, name: str, version: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave last time (for the same `version`) when a live watcher's journal
    proves that no input of the site changed since: a check of every file, made once per change."""
    synced = sync(root)
    path = root / WATCH_DIR / f"{name}.pickle"
    if synced is not None:
        found = read_stamped(path, version)
        if isinstance(found, tuple) and len(found) == 2 and synced.unchanged_since(found[0]):
            return cast(T, found[1])
    value = compute()
    if synced is not None:
        write_stamped(path, version, (synced.token, value))
    return value


def _alive(lock: Path) -> bool:
    """Whether a watcher holds the lock (it holds it exclusively for as long as it runs)."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _session(journal: BinaryIO) -> bytes | None:
    journal.seek(0)
    first = journal.readline()
    return first[len(SESSION):-1] if first.startswith(SESSION) and first.endswith(b"\n") else None


def _await(journal: BinaryIO, start: int, line: bytes, timeout: float) -> int | None:
    """The offset just after `line`, once the journal has it (written after `start`), or None."""
    deadline, seen, pause = time.monotonic() + timeout, b"", 0.0002
    while True:
        journal.seek(start + len(seen))
        seen += journal.read()
        found = seen.find(line)
        if found >= 0 and (found == 0 or seen[found - 1:found] == b"\n"):
            return start + found + len(line)
        if time.monotonic() > deadline:
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.005)


def _lines(journal: BinaryIO, size: int) -> Iterator[bytes]:
    """The lines of the next `size` bytes, read a megabyte at a time (a journal may be long)."""
    rest = b""
    while size > 0:
        chunk = journal.read(min(size, 1 << 20))
        if not chunk:
            break
        size -= len(chunk)
        *whole, rest = (rest + chunk).split(b"\n")
        yield from whole
    if rest:
        yield rest


def escape(path: str) -> bytes:
    """A path as one journal line's text: no newline can end the line early or fake a cookie."""
    return os.fsencode(path).replace(b"\\", b"\\\\").replace(b"\n", b"\\n")


# --- the watcher ----------------------------------------------------------------------------------


class Inotify:
    """One inotify queue (Linux): watches by descriptor, events as (wd, mask, name)."""

    def __init__(self) -> None:
        import ctypes  # the watcher's alone: a build, which only syncs, does not load it

        try:
            self._libc = ctypes.CDLL(None, use_errno=True)
            found = hasattr(self._libc, "inotify_init1") and hasattr(self._libc, "inotify_add_watch")
        except OSError:
            found = False
        if not found:
            raise ConsultError(say("consult watch needs Linux's inotify; without it, builds look at every file.",
                                   "consult watch a besoin d'inotify (Linux) ; sans lui, chaque construction "
                                   "regarde tous les fichiers."))
        self.fd = self._libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if self.fd < 0:
            raise _os_error("inotify_init1")

    def add(self, path: Path, mask: int) -> int | None:
        """The watch's descriptor, or None when `path` is gone (a race with its removal)."""
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), mask)
        if wd >= 0:
            return int(wd)
        error = _os_error("inotify_add_watch", path)
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        if error.errno == errno.ENOSPC:
            raise ConsultError(say(f"Too many folders to watch under {path} for this system's limit "
                                   "(sysctl fs.inotify.max_user_watches).",
                                   f"Trop de dossiers à surveiller sous {path} pour la limite de ce système "
                                   "(sysctl fs.inotify.max_user_watches).")) from error
        raise error

    def read(self, wait: float) -> list[tuple[int, int, bytes]]:
        """The events queued, waiting at most `wait` seconds for the first."""
        if not select.select([self.fd], [], [], wait)[0]:
            return []
        try:
            data = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return []
        return list(parse_events(data))

    def close(self) -> None:
        os.close(self.fd)


def parse_events(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """inotify's records, as (wd, mask, name without its padding)."""
    at = 0
    while at + EVENT.size <= len(data):
        wd, mask, _, size = EVENT.unpack_from(data, at)
        at += EVENT.size
        yield wd, mask, data[at:at + size].rstrip(b"\0")
        at += size


def _os_error(call: str, path: Path | None = None) -> OSError:
    import ctypes

    code = ctypes.get_errno()
    return OSError(code, f"{call}: {os.strerror(code)}", str(path) if path is not None else None)


class Watcher:
    """The watching half: keeps the journal of `root`'s inputs (site.yaml and WATCHED_DIRS, plus
    `extra` folders such as the installed theme) while `run` runs."""

    def __init__(self, root: Path, extra: Iterable[Path] = ()):
        self.root = root.resolve()
        self.extra = [path.resolve() for path in extra]
        self.folder = self.root / WATCH_DIR
        try:
            self.folder.mkdir(parents=True, mode=0o700, exist_ok=True)
            (self.folder / "cookies").mkdir(mode=0o700, exist_ok=True)
            self._lock = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConsultError(say(f"Cannot keep a journal in {self.folder}: {exc.strerror}.",
                                   f"Impossible de tenir un journal dans {self.folder} : {exc.strerror}.")) from exc
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise ConsultError(say(f"Another 'consult watch' already watches {root}.",
                                   f"Un autre « consult watch » surveille déjà {root}.")) from None
        self.queue = Inotify()
        self.names: dict[int, str] = {}  # watch descriptor -> its folder ('' the root, else relative or absolute)
        self.cookies = -1
        self.journal: BinaryIO | None = None
        self.session = b""
        self.changed = False  # a change line was written since the last cookie's

    def run(self, stop: Callable[[], bool] = lambda: False, ready: Callable[[], None] = lambda: None) -> None:
        """Watch until `stop()` says so (checked every 0.2 s); `ready` once the first session began."""
        try:
            self._begin()
            ready()
            while not stop():
                events = self.queue.read(0.2)
                if events:
                    self._record(events)
        finally:
            self.close()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self.queue.close()
        os.close(self._lock)  # releases the lock: builds stop trusting the journal

    def _begin(self) -> None:
        """A new session: every folder watched again, then a new journal, which builds trust only from
        their next sync on (the changes before it were not all seen)."""
        self.names.clear()
        self.names[self._add(self.root)] = ""
        self.cookies = self._add(self.folder / "cookies")
        for name in WATCHED_DIRS:
            self._watch_tree(self.root / name, name)
        for path in self.extra:
            self._watch_tree(path, str(path))
        import secrets

        self.session, self.changed = secrets.token_hex(8).encode(), False
        fresh = self.folder / "journal.new"
        journal = open(fresh, "wb")
        journal.write(SESSION + self.session + b"\n")
        journal.flush()
        os.replace(fresh, self.folder / "journal")
        if self.journal is not None:
            self.journal.close()
        self.journal = journal

    def _add(self, path: Path) -> int:
        wd = self.queue.add(path, CHANGES)
        return -1 if wd is None else wd

    def _watch_tree(self, top: Path, name: str) -> None:
        """Watch `top` and every folder under it (symbolic links followed, as the build's stat does);
        a linked file is watched itself, since its changes happen in another folder."""
        stack = [(top, name)]
        while stack:
            folder, label = stack.pop()
            wd = self.queue.add(folder, CHANGES)
            if wd is None:
                continue
            self.names[wd] = label
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_dir():
                            stack.append((Path(entry.path), f"{label}/{entry.name}"))
                        elif entry.is_symlink():
                            linked = self.queue.add(Path(entry.path), CHANGES)
                            if linked is not None:
                                self.names[linked] = f"{label}/{entry.name}"
            except (NotADirectoryError, FileNotFoundError):
                continue

    def _record(self, events: list[tuple[int, int, bytes]]) -> None:
        assert self.journal is not None
        lines = []
        for wd, mask, name in events:
            if mask & (IN_Q_OVERFLOW | IN_UNMOUNT):  # changes were lost: a new session
                self._begin()
                return
            if wd == self.cookies:
                if mask & IN_CREATE:
                    lines.append(b"K " + name + b"\n")
                    self.changed = False
                continue
            folder = self.names.get(wd)
            if mask & IN_IGNORED:
                self.names.pop(wd, None)
                continue
            if folder is None:
                continue
            text = os.fsdecode(name)
            if folder == "" and text not in ROOT_INPUTS:
                continue  # the root's other files: README, _site/, .consult/
            path = f"{folder}/{text}" if folder and text else folder or text
            if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                self._watch_tree(self.root / path if not os.path.isabs(path) else Path(path), path)
            if not self.changed:  # a token stands after a cookie: one change after each cookie tells it all
                lines.append(b"C " + escape(path) + b"\n")
                self.changed = True
        self.journal.write(b"".join(lines))
        self.journal.flush()
        if self.journal.tell() > ROTATE_BYTES:
            self._begin()


def watch_site(root: Path, extra: Iterable[Path] = (), stop: Callable[[], bool] = lambda: False,
               ready: Callable[[], None] = lambda: None) -> None:
    """`consult watch`: keep the site's journal until stopped (Ctrl-C, or `stop()`)."""
    if not (root / CONFIG_FILE).is_file():
        raise ConsultError(say(f"No {CONFIG_FILE} in {root}: nothing to watch.",
                               f"Pas de {CONFIG_FILE} dans {root} : rien à surveiller."))
    Watcher(root, extra).run(stop, ready)

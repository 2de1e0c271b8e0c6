"""Inbox -> content files: one `contributions/<id>.md` (status: pending) per submission,
and `supports.yaml` tallies, safely interrupted and safely run twice at once.

A lock; rows claimed; each file written to a temp file, fsynced, linked into place
(never over an existing file), the directory fsynced, re-read and compared; only then
is the row marked exported. A file that differs (an editor's edit) is a conflict,
never overwritten. No email or address-derived value is ever written or printed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import os
import re
import secrets
import socket
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from consult.config import require_config
from consult.document import dump_front_matter
from consult.errors import ConsultError
from consult.inbox import Inbox, Submission

try:
    _LIBC: Any = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    _LIBC.syncfs
except (OSError, AttributeError):  # not Linux: os.sync() instead
    _LIBC = None

ID = re.compile(r"^[0-9]{8}-[a-z0-9]{8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BATCH = 1000
ONLINE = re.compile(r"^# consult pull, online supports: (\{.*\})$", re.M)
PR_FILE = Path(".consult") / "pull-request.md"


class PullError(ConsultError):
    pass


@dataclass
class PullReport:
    written: list[tuple[str, str, str]] = field(default_factory=list)  # (path, id, kind)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # ids whose consultation has no folder
    supports: list[str] = field(default_factory=list)
    branch: str | None = None
    committed: bool = False
    held: int = 0  # rows the inbox holds back (honeypot, suspect supports): `consult held`

    def render(self) -> str:
        lines = [f"wrote {path}" for path, _, _ in self.written]
        lines += [f"wrote {path}" for path in self.supports]
        lines += [f"conflict: {path} differs from the inbox; left as it is" for path in self.conflicts]
        lines += [f"skipped {id_}: its consultation is not in content/" for id_ in self.unknown]
        if self.held:
            lines.append(f"{self.held} submission(s) held in the inbox, not pulled: list and release them "
                         "with 'consult held'")
        summary = f"{len(self.written)} new contribution(s), {len(self.supports)} support tally file(s)"
        if self.unchanged:
            summary += f", {self.unchanged} already there"
        if self.conflicts:
            summary += f", {len(self.conflicts)} conflict(s)"
        if self.committed:
            summary += f"; committed on branch {self.branch}"
        elif self.branch:
            summary += f"; nothing to commit on branch {self.branch}"
        return "\n".join(lines + [summary + "."])


def render_contribution(sub: Submission, tz: Any = timezone.utc) -> str:
    """The file for one submission, through safe_dump only: citizen text stays inert data."""
    assert sub.received is not None
    data: dict[str, Any] = {"id": sub.id, "kind": sub.kind}
    if sub.proposal:
        data["proposal"] = sub.proposal
    if sub.author:
        data["author"] = sub.author
    data["submitted"] = sub.received.astimezone(tz).replace(microsecond=0)
    data["status"] = "pending"
    if sub.title:
        data["title"] = sub.title
    if sub.answers:
        data["answers"] = dict(sub.answers)
    return dump_front_matter(data, sub.body + "\n" if sub.body else "")


def _inside(base: Path, path: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise PullError(f"refusing to write outside content/: {path}")
    return resolved


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes) -> bool:
    """Create `path` durably with `data`. False if a file is already there (left untouched)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # atomic, and never replaces an existing file
        except FileExistsError:
            return False
    finally:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
    _fsync_dir(path.parent)
    if path.read_bytes() != data:
        path.unlink()
        _fsync_dir(path.parent)
        raise PullError(f"{path}: the file read back differs from what was written (disk error?)")
    return True


def _syncfs(directory: Path) -> None:
    """Flush every pending write of the filesystem holding `directory`, once for a whole batch
    (one syncfs instead of one fsync per file), then fsync the directory itself."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _LIBC is not None and _LIBC.syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")
        if _LIBC is None:
            os.sync()
        os.fsync(fd)
    finally:
        os.close(fd)


def write_batch(items: list[tuple[Path, bytes]]) -> list[bool]:
    """Create each file durably: temps written, flushed once, linked into place (never over an
    existing file), flushed again, read back and compared. True where a file was created."""
    temps = []
    created: list[bool] = []
    try:
        for path, data in items:
            temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
            temps.append(temp)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        directories = sorted({path.parent for path, _ in items})
        for directory in directories[:1]:
            _syncfs(directory)
        for (path, _), temp in zip(items, temps):
            try:
                os.link(temp, path)  # atomic, and never replaces an existing file
                created.append(True)
            except FileExistsError:
                created.append(False)
    finally:
        for temp in temps:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
    for directory in sorted({path.parent for path, _ in items}):
        _syncfs(directory) if directory == items[0][0].parent else _fsync_dir(directory)
    for (path, data), new in zip(items, created):
        if new and path.read_bytes() != data:
            path.unlink()
            _fsync_dir(path.parent)
            raise PullError(f"{path}: the file read back differs from what was written (disk error?)")
    return created


def write_replace(path: Path, data: bytes) -> None:
    """Replace `path` atomically and durably (for supports.yaml, which pull owns)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
    _fsync_dir(path.parent)
    if path.read_bytes() != data:
        raise PullError(f"{path}: the file read back differs from what was written (disk error?)")


class _Lock:
    def __init__(self, root: Path):
        self.path = root / ".consult" / "pull.lock"

    def __enter__(self) -> "_Lock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # a second pull waits, then finds nothing left to do
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def pull(root: Path, inbox: Inbox, branch: str | None = None, now: datetime | None = None,
         worker: str | None = None, tz: Any = None, retention_days: int | None = None) -> PullReport:
    """Bring every new submission into content/; see the module docstring."""
    root = root.resolve()
    now = now or datetime.now(timezone.utc)
    if tz is None or retention_days is None:
        config = require_config(root)
        tz = tz or config.tz
        retention_days = retention_days if retention_days is not None else config.retention_days
    worker = worker or f"{socket.gethostname()}:{root}"
    report = PullReport(branch=branch)
    with _Lock(root):
        if branch:
            _git(root, "switch", "--create", branch)
        _clean_stale_temps(root / "content" / "consultations")
        _export(root, inbox, worker, now, tz, report)
        _tally(root, inbox, report)
        report.held = inbox.held_count()
        inbox.purge(now, retention_days, closing_dates(root))
        if branch:
            _commit(root, branch, report)
    return report


def _clean_stale_temps(consultations: Path) -> None:
    """Temp files of a pull that was killed (we hold the lock: nobody else is writing)."""
    for temp in consultations.glob("*/contributions/.*.tmp"):
        temp.unlink()
    for temp in consultations.glob("*/.supports.yaml.*.tmp"):
        temp.unlink()


def _export(root: Path, inbox: Inbox, worker: str, now: datetime, tz: Any, report: PullReport) -> None:
    content = root / "content"
    folders: dict[str, Path | None] = {}
    inbox.claim(worker, now)
    after = ""
    while True:
        batch = inbox.claimed(worker, after=after, limit=BATCH)
        if not batch:
            return
        after = batch[-1].id
        done: list[str] = []
        todo: list[tuple[Submission, Path, bytes]] = []
        for sub in batch:
            folder = _contributions_folder(content, sub.consultation, folders)
            if folder is None or not ID.match(sub.id):
                report.unknown.append(sub.id)
                continue
            # The id is letters, digits and one hyphen: the file stays in the folder checked above.
            target = folder / f"{sub.id}.md"
            todo.append((sub, target, render_contribution(sub, tz).encode("utf-8")))
        created = write_batch([(target, data) for _, target, data in todo]) if todo else []
        for (sub, target, data), new in zip(todo, created):
            relative = target.relative_to(root).as_posix()
            if new:
                report.written.append((relative, sub.id, sub.kind))
            elif target.read_bytes() == data:
                report.unchanged += 1  # written by a pull that was stopped before marking it
            else:
                report.conflicts.append(relative)
                continue
            done.append(sub.id)
        inbox.mark_exported(done, worker, now)


def _contributions_folder(content: Path, slug: str, known: dict[str, Path | None]) -> Path | None:
    """A consultation's contributions/ folder, made if needed and checked to stay inside content/,
    once per consultation; None for a consultation that has no folder (or an impossible slug)."""
    if slug not in known:
        folder = content / "consultations" / slug
        if SLUG.match(slug) and (folder / "index.md").is_file():
            contributions = _inside(content, folder / "contributions")
            contributions.mkdir(exist_ok=True)
            known[slug] = _inside(content, contributions)  # again, once it exists: no symlink out
        else:
            known[slug] = None
    return known[slug]


def render_supports(counts: dict[str, int], online: dict[str, int]) -> str:
    lines = ["# Supports per proposal, kept up to date by `consult pull`.",
             "# consult pull, online supports: " + json.dumps(online, sort_keys=True, separators=(",", ":"))]
    body = yaml.safe_dump(counts, allow_unicode=True, sort_keys=True, default_flow_style=False) if counts else "{}\n"
    return "\n".join(lines) + "\n" + body


def _tally(root: Path, inbox: Inbox, report: PullReport) -> None:
    """supports.yaml = what it held (offline counts, hand edits) - online part last written + online now."""
    content = root / "content"
    for slug, online in sorted(inbox.support_tallies().items()):
        folder = content / "consultations" / slug
        if not SLUG.match(slug) or not (folder / "index.md").is_file():
            continue
        path = _inside(content, folder / "supports.yaml")
        old_text = path.read_text(encoding="utf-8") if path.exists() else ""
        counts = yaml.safe_load(old_text) or {} if old_text else {}
        if not isinstance(counts, dict):
            raise PullError(f"{path.relative_to(root)}: expected 'proposal: count' lines")
        found = ONLINE.search(old_text)
        before = json.loads(found.group(1)) if found else {}
        merged = {str(k): int(v) for k, v in counts.items()}
        for proposal in set(before) | set(online):
            merged[proposal] = max(0, merged.get(proposal, 0) - int(before.get(proposal, 0)) + online.get(proposal, 0))
        text = render_supports(merged, online)
        if text != old_text:
            write_replace(path, text.encode("utf-8"))
            report.supports.append(path.relative_to(root).as_posix())


def _git(root: Path, *args: str) -> str:
    env = dict(os.environ)
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise PullError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def render_pr_description(report: PullReport) -> str:
    """The pull request text: ids, kinds, consultations; never a name or an email."""
    lines = ["New contributions to moderate (status: pending).", "",
             "Set `status: published`, or `status: rejected` with a `reason:` code from the moderation charter.",
             "", "| id | kind | consultation |", "| --- | --- | --- |"]
    for path, id_, kind in report.written:
        lines.append(f"| {id_} | {kind} | {path.split('/')[2]} |")
    if report.supports:
        lines += ["", "Support tallies updated: " + ", ".join(f"`{p}`" for p in report.supports)]
    return "\n".join(lines) + "\n"


def _commit(root: Path, branch: str, report: PullReport) -> None:
    paths = [path for path, _, _ in report.written] + report.supports
    description = render_pr_description(report)
    (root / PR_FILE).parent.mkdir(exist_ok=True)
    (root / PR_FILE).write_text(description, encoding="utf-8")
    if not paths:
        return
    listing = root / ".consult" / "pull-paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    _git(root, "add", f"--pathspec-from-file={listing}")
    identity: list[str] = []
    if not _git_config(root, "user.name"):
        identity = ["-c", "user.name=consult pull", "-c", "user.email=consult-pull@localhost"]
    title = f"Pull {len(report.written)} new contribution(s) for moderation"
    _git(root, *identity, "commit", "--quiet", "-m", title, "-m", description, f"--pathspec-from-file={listing}")
    listing.unlink()
    report.committed = True


def _git_config(root: Path, key: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "config", key], capture_output=True, text=True)
    return done.stdout.strip()


def closing_dates(root: Path) -> dict[str, datetime | None]:
    """slug -> closing time of every consultation in content/ (None when its index.md has a
    problem: its supports' fingerprints are then kept), for `Inbox.purge`."""
    from consult.content.files import parse_consultation

    indexes = sorted((root / "content" / "consultations").glob("*/index.md"))
    try:
        config = require_config(root)
    except ConsultError:  # no readable site.yaml: no closing date is known, every fingerprint is kept
        return {index.parent.name: None for index in indexes}
    closes: dict[str, datetime | None] = {}
    for index in indexes:
        slug = index.parent.name
        record, _ = parse_consultation(index.read_text(encoding="utf-8"), index.name, slug, config)
        closes[slug] = record.closes if record else None
    return closes

"""Inbox -> content files: one `contributions/<id>.md` (status: pending) per submission,
and `supports.yaml` tallies, safely interrupted and safely run twice at once.

A lock; erased ids' files removed; rows claimed; each file written unnamed (`O_TMPFILE`, else
a temp file), fsynced, linked into place (never over an existing file), the directory fsynced,
re-read and compared; the row is then `written`. It becomes `exported` only when a later pull
finds the file in the checkout it starts from (the file reached the repository moderators
review); a written row whose file is not there is written again, with the same id: a failed
push, a cancelled job lose nothing and double nothing. A file already there (whatever its bytes:
an editor's edit) is never overwritten. No email or address-derived value is ever written or printed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import gc
import json
import os
import pickle
import re
import secrets
import socket
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from consult.config import require_config
from consult.lock import site_lock
from consult.parallel import can_fork
from consult.detect import Prepared, Screening, WordList, prepare
from consult.document import dump_front_matter, dump_yaml, parse_front_matter
from consult.errors import ConsultError
from consult.flags import parse_flags
from consult.i18n import translate
from consult.inbox import Inbox, Submission
from consult.layout import (
    CONSULTATIONS_DIR, CONSULTATIONS_PREFIX, CONTRIBUTIONS_DIR, INDEX_FILE, PROPOSALS_DIR, REPORTS_DIR, STATE_DIR, SUPPORTS_FILE,
    consultations_dir, content_dir,
)
from consult.pullrequest import (BATCH_FILES, GitError, Item, commit, commit_on, committed_files, head_commit, new_branch_name,
                                 render_pr_description, review_refs, tree_files)

try:
    _LIBC: Any = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    _LIBC.syncfs
except (OSError, AttributeError):  # not Linux: os.sync() instead
    _LIBC = None

ID = re.compile(r"^[0-9]{8}-[a-z0-9]{8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Rows a page: each page's files are made durable by one pair of filesystem flushes and its rows
# marked in one transaction, so a page costs the disk the same whatever its size (issue 17: at
# 1,000 rows, flushes were most of a large pull's time on a busy disk).
BATCH = 5000
ONLINE = re.compile(r"^# consult pull, online supports: (\{.*\})$", re.M)
PULL_LOCK = Path(STATE_DIR) / "pull.lock"
PR_LIST = Path(STATE_DIR) / "pull-requests.tsv"  # what the workflow pushes: state, branch, text file, title
PR_TEXTS = Path(STATE_DIR) / "pull-requests"  # one description per pull request, <n>.md
AUTO = "auto"  # `decided_by` of what post-moderation published with no person involved
# Kinds post-moderation may publish at pull: a citizen's proposal becomes a page only when a
# person approves it (consult.proposals.publish), so it always waits.
AUTO_PUBLISHED_KINDS = frozenset({"suggestion", "comment", "answers"})


class PullError(ConsultError):
    pass


@dataclass
class PullReport:
    written: list[tuple[str, str, str]] = field(default_factory=list)  # (path, id, kind) of this batch's files
    flagged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> flags, for written files
    confirmed: int = 0  # files found where the pull started: delivered, now exported
    kept: list[str] = field(default_factory=list)  # files found uncommitted, left as they were
    orphans: list[str] = field(default_factory=list)  # "path: what no longer exists"
    erased: list[str] = field(default_factory=list)  # files removed: their ids were erased
    unknown: list[str] = field(default_factory=list)  # ids whose consultation has no folder
    supports: list[str] = field(default_factory=list)
    unknown_supports: list[tuple[str, str, int]] = field(default_factory=list)  # (consultation, proposal, n)
    branch: str | None = None  # the review branches' prefix (--branch)
    committed: bool = False  # a commit on the base branch: published items, tallies, erasures
    batches: list[tuple[str, int]] = field(default_factory=list)  # (new review branch, files)
    updated: list[str] = field(default_factory=list)  # review branches an erased file left
    held: int = 0  # rows the inbox holds back (honeypot, suspect supports): `consult held`
    published: set[str] = field(default_factory=set)  # ids written published (post-moderation, not flagged)
    reports: list[str] = field(default_factory=list)  # report files written (reports/<id>.md)
    reported: list[str] = field(default_factory=list)  # published files a report flagged `reported`

    def render(self, language: str = "en") -> str:
        """What the pull did, a line each, then its summary: in the site's `language` (the CLI's)."""
        def words(key: str, **params: Any) -> str:
            return translate(language, f"pull.report.{key}", **params)

        lines = [words("wrote", path=path) for path, _, _ in self.written]
        lines += [words("wrote", path=path) for path in self.supports]
        lines += [words("wrote", path=path) for path in self.reports]
        lines += [words("reported", path=path) for path in self.reported]
        lines += [words("kept", path=path) for path in self.kept]
        lines += [words("orphan", note=note) for note in self.orphans]
        lines += [words("erased", path=path) for path in self.erased]
        lines += [words("unknown", id=id_) for id_ in self.unknown]
        if self.held:
            lines.append(words("held", count=self.held))
        lines += [words("unknown_supports", count=count, proposal=proposal, consultation=consultation)
                  for consultation, proposal, count in self.unknown_supports]
        summary = words("summary", written=len(self.written), supports=len(self.supports))
        if self.flagged:
            summary += words("flagged", count=len(self.flagged))
        if self.confirmed:
            summary += words("confirmed", count=self.confirmed)
        if self.published:
            summary += words("published", count=len(self.published))
        if self.reports:
            summary += words("reports", count=len(self.reports))
        if self.committed:
            summary += words("committed")
        lines += [words("batch", name=name, count=count) for name, count in self.batches]
        lines += [words("batch_erased", name=name) for name in self.updated]
        if self.branch and not (self.committed or self.batches or self.updated):
            summary += words("nothing")
        return "\n".join(lines + [summary + "."])

    def items(self) -> list[Item]:
        """This batch's contributions as the pull request shows them (no personal data)."""
        return [Item(id_, kind, path.split("/")[2], self.flagged.get(id_, ())) for path, id_, kind in self.written]


def render_contribution(sub: Submission, tz: Any = timezone.utc, flags: tuple[str, ...] | None = None,
                        duplicate_of: str = "", published: datetime | None = None, channel: str = "") -> str:
    """The file for one submission, through safe_dump only: citizen text stays inert data.
    `flags` (default: the inbox row's) become a `flags:` list when there are any; `duplicate_of`
    names the contribution a near-duplicate is like. With `published` (post-moderation, nothing
    flagged) the file is written published at once, that day as `decided:`, `decided_by: auto`;
    `channel` says how it reached us when not the web (`consult import`)."""
    head, tail = citizen_parts(public_fields(sub), tz)
    flags = parse_flags(sub.flags) if flags is None else flags
    return head + moderation_part(tz, flags, duplicate_of, published, channel) + tail


# What a contribution's file takes from its submission alone (no personal data): id, kind,
# proposal, author, received, title, category, answers, body. A large pull sends it to its worker.
PublicFields = tuple[str, str, str | None, str, datetime | None, str, str, dict[str, Any], str]


def public_fields(sub: Submission) -> PublicFields:
    return (sub.id, sub.kind, sub.proposal, sub.author, sub.received, sub.title, sub.category, dict(sub.answers),
            sub.body)


def citizen_parts(fields: PublicFields, tz: Any) -> tuple[str, str]:
    """The two parts of a contribution's file that depend on its submission alone, so a large
    pull renders them in its worker process: the front matter's opening up to `status:` (id,
    kind, proposal, author, submitted), and from `title:` on (title, category, answers, the
    closing line and the body). Block YAML writes each top-level key on its own lines, so these
    and `moderation_part` put end to end are the one mapping's `dump_front_matter` (tested)."""
    id_, kind, proposal, author, received, title, category, answers, body = fields
    assert received is not None
    head: dict[str, Any] = {"id": id_, "kind": kind}
    if proposal:
        head["proposal"] = proposal
    if author:
        head["author"] = author
    head["submitted"] = received.astimezone(tz).replace(microsecond=0)
    tail: dict[str, Any] = {}
    if title:
        tail["title"] = title
    if category:
        tail["category"] = category
    if answers:
        tail["answers"] = dict(answers)
    closing = "---\n" + (body + "\n" if body else "")  # as dump_front_matter closes a front matter
    return "---\n" + dump_yaml(head), (dump_yaml(tail) if tail else "") + closing


@lru_cache(maxsize=1024)
def moderation_part(tz: Any, flags: tuple[str, ...], duplicate_of: str, published: datetime | None,
                    channel: str) -> str:
    """The front matter's lines that the pull decides (status, decided, channel, flags,
    duplicate_of), between the two `citizen_parts`; the same few recur from file to file."""
    data: dict[str, Any] = {"status": "published" if published else "pending"}
    if published:
        data["decided"] = published.astimezone(tz).replace(microsecond=0)
        data["decided_by"] = AUTO
    if channel:
        data["channel"] = channel
    if flags:
        data["flags"] = list(flags)
    if duplicate_of:
        data["duplicate_of"] = duplicate_of
    return dump_yaml(data)


def render_report(sub: Submission, tz: Any = timezone.utc, flags: tuple[str, ...] = ()) -> str:
    """The file recording one participant's report (`reports/<id>.md`, never published): what it
    reports (`target`), the charter's `reason` code, when, its flags, and the optional note as the
    body. Nothing personal: a report asks for no name or e-mail."""
    assert sub.received is not None
    data: dict[str, Any] = {"id": sub.id, "kind": sub.kind, "target": sub.proposal or "", "reason": sub.category,
                            "submitted": sub.received.astimezone(tz).replace(microsecond=0)}
    if flags:
        data["flags"] = list(flags)
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


def write_batch(items: Sequence[tuple[Path | str, bytes]]) -> list[bool]:
    """Create each file durably: written, flushed once, linked into place (never over an existing
    file), flushed again, read back and compared. True where a file was created. Where the
    filesystem makes unnamed files (`O_TMPFILE`), each is written with no name at all, so a crash
    leaves nothing behind and there is no temp name to create then unlink; elsewhere, named temps."""
    # Plain strings and os calls, not Path methods: this runs in a thread beside the pull's own
    # work, and each Python step between two system calls waits for the interpreter lock.
    paths = [os.fspath(path) for path, _ in items]
    if not paths:
        return []
    room = _unnamed_room()  # each unnamed file stays open until linked: at most this many at once
    step = room or len(paths)
    created: list[bool] = []
    for start in range(0, len(paths), step):
        chunk = [(path, data) for path, (_, data) in zip(paths[start:start + step], items[start:start + step])]
        made = _link_unnamed(chunk) if room else None
        created += made if made is not None else _link_named(chunk)
    folders = sorted({os.path.dirname(path) for path in paths})
    for directory in folders:
        _syncfs(Path(directory)) if directory == os.path.dirname(paths[0]) else _fsync_dir(Path(directory))
    for path, (_, data), new in zip(paths, items, created):
        if new and not _reads_back(path, data):
            os.unlink(path)
            _fsync_dir(Path(os.path.dirname(path)))
            raise PullError(f"{path}: the file read back differs from what was written (disk error?)")
    return created


UNNAMED = getattr(os, "O_TMPFILE", 0)  # 0: not Linux, named temps only
PROC_FDS = "/proc/self/fd"  # an unnamed file is linked by its descriptor's name here (linkat)


def _unnamed_room() -> int:
    """How many unnamed files a batch may hold open at once (0: write named temps): the open-file
    limit less what the rest of the process may need."""
    if not UNNAMED or not os.path.isdir(PROC_FDS):
        return 0
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = BATCH if soft == resource.RLIM_INFINITY else min(BATCH, soft // 2 - 64)
    return room if room >= 64 else 0


def _link_unnamed(items: list[tuple[str, bytes]]) -> list[bool] | None:
    """`items` written as unnamed files (`O_TMPFILE`) in their folders, flushed once, then each
    linked to its name; None, nothing done, when the first folder's filesystem makes no unnamed
    files (the caller writes named temps instead). A crash before a link leaves nothing on disk:
    an unnamed file is freed when its descriptor closes."""
    fds: list[int] = []
    try:
        for path, data in items:
            try:
                fd = os.open(os.path.dirname(path), UNNAMED | os.O_WRONLY, 0o644)
            except OSError as exc:
                if fds or exc.errno not in REFUSED:
                    raise
                return None
            fds.append(fd)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        _syncfs(Path(os.path.dirname(items[0][0])))  # complete on disk before it has a name
        proc = os.open(PROC_FDS, os.O_RDONLY | os.O_DIRECTORY)
        try:
            created: list[bool] = []
            for (path, _), fd in zip(items, fds):
                try:  # linkat(AT_SYMLINK_FOLLOW): atomic, and never replaces an existing file
                    os.link(str(fd), path, src_dir_fd=proc)
                    created.append(True)
                except FileExistsError:
                    created.append(False)
        finally:
            os.close(proc)
    finally:
        for fd in fds:
            os.close(fd)
    return created


# What open(O_TMPFILE) fails with where the filesystem or kernel makes no unnamed files.
REFUSED = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT})


def _link_named(items: list[tuple[str, bytes]]) -> list[bool]:
    """`items` written as named temps beside their files, flushed once, linked into place, the
    temps removed (where `_link_unnamed` cannot be used)."""
    token = secrets.token_hex(4)  # one a batch: the file names make each temp's name unique
    temps = [f"{os.path.dirname(path)}/.{os.path.basename(path)}.{token}.tmp" for path, _ in items]
    created: list[bool] = []
    made: list[str] = []
    try:
        for temp, (_, data) in zip(temps, items):
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            made.append(temp)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        _syncfs(Path(os.path.dirname(items[0][0])))
        for (path, _), temp in zip(items, temps):
            try:
                os.link(temp, path)  # atomic, and never replaces an existing file
                created.append(True)
            except FileExistsError:
                created.append(False)
    finally:
        for temp in made:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
    return created


def _reads_back(path: str, data: bytes) -> bool:
    """True when the file at `path` holds exactly `data` (os calls: no file object a file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        read = b""
        while len(read) <= len(data):  # one byte more than expected: a longer file differs
            chunk = os.read(fd, len(data) + 1 - len(read))
            if not chunk:
                break
            read += chunk
    finally:
        os.close(fd)
    return read == data


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


def replace_batch(items: list[tuple[Path, bytes]]) -> None:
    """Replace each file atomically, the whole batch made durable at once (temps written, one
    filesystem flush, renamed into place, each folder flushed once, read back): a moderator's bulk
    decision on a thousand files costs two flushes, not two thousand (`write_replace` for one)."""
    temps: list[Path] = []
    try:
        for path, data in items:
            temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
            temps.append(temp)
            with open(temp, "wb") as handle:
                handle.write(data)
        if items:
            _syncfs(items[0][0].parent)
        for (path, _), temp in zip(items, temps):
            os.replace(temp, path)
    finally:
        for temp in temps:
            if temp.exists():
                temp.unlink()
    for directory in sorted({path.parent for path, _ in items}):
        _fsync_dir(directory)
    for path, data in items:
        if path.read_bytes() != data:
            raise PullError(f"{path}: the file read back differs from what was written (disk error?)")


def pull(root: Path, inbox: Inbox, branch: str | None = None, now: datetime | None = None,
         worker: str | None = None, tz: Any = None, retention_days: int | None = None) -> PullReport:
    """Bring every new submission into content/; see the module docstring.

    With `branch` (a prefix, e.g. consult/review), pending files are committed on new review
    branches `<branch>/<time>-<n>` of at most BATCH_FILES files each, made from HEAD, flagged items
    first; what needs no review (post-moderation's published items, support tallies, erasures)
    is committed on the current branch; files count as delivered when HEAD or a review branch
    (local or a remote's) has them. Without, every file in content/ counts.
    """
    root = root.resolve()
    now = now or datetime.now(timezone.utc)
    config = require_config(root)
    tz = tz or config.tz
    retention_days = retention_days if retention_days is not None else config.retention_days
    worker = worker or f"{socket.gethostname()}:{root}"
    report = PullReport(branch=branch)
    with site_lock(root, PULL_LOCK):  # a second pull waits, then finds nothing left to do
        review = Review.read(root, branch) if branch else None
        checkout = Checkout(root, review.delivered() if review else None)
        _clean_stale_temps(consultations_dir(checkout.root))
        _remove_erased(checkout, inbox, report)
        _confirm(checkout, inbox, worker, now, report)
        _export(checkout, inbox, worker, now, tz, report)
        _tally(checkout, inbox, report)
        report.held = inbox.held_count()
        inbox.purge(now, retention_days, closing_dates(root))
        if review:
            _commit(checkout, review, report, config.language, now)
    return report


@dataclass(frozen=True)
class Consultation:
    """What pull needs of one consultation in content/."""

    contributions: Path  # its contributions/ folder, made if needed, checked to stay inside content/
    proposals: frozenset[str]  # slugs of proposals/*.md
    questions: frozenset[str] | None  # ids of index.md's questions; None when index.md cannot be read
    moderation: str = "pre"  # index.md's `moderation:`; "post" only when it says so exactly
    merged: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kept proposal, its duplicates): `consult merge`

    @property
    def reports(self) -> Path:
        """Its reports/ folder (made by the first report written into it)."""
        return self.contributions.parent / REPORTS_DIR

    def publishes(self, kind: str, flags: tuple[str, ...]) -> bool:
        """Post-moderation publishes at pull what nothing flagged (a proposal always waits)."""
        return self.moderation == "post" and not flags and kind in AUTO_PUBLISHED_KINDS


class Checkout:
    """The checkout a pull runs in: its consultations, and which files count as delivered."""

    def __init__(self, root: Path, committed: set[str] | None):
        self.root = root
        self._prefix = f"{root}/"
        self.content = content_dir(root)
        self.committed = committed  # with --branch: the files of HEAD; None: every file on disk
        self._consultations: dict[str, Consultation | None] = {}
        self._names: dict[Path, set[str]] = {}
        self.screening = Screening(root)
        self.erased_names: set[str] = set()  # file names of erased ids (the inbox's tombstones)

    def consultation(self, slug: str) -> Consultation | None:
        """None for a consultation that has no folder (or an impossible slug); read once."""
        if slug not in self._consultations:
            self._consultations[slug] = _read_consultation(self.content, slug)
        return self._consultations[slug]

    def delivered(self, consultation: Consultation, name: str, folder: Path | None = None) -> bool:
        """True when the file `name` of `consultation` (in its contributions/, or `folder`) was there
        as the pull started: the moderators' repository has it."""
        folder = folder or consultation.contributions
        if folder not in self._names:  # one listing per folder, not one stat per file
            if self.committed is None:
                self._names[folder] = set(os.listdir(folder)) if folder.is_dir() else set()
            else:
                prefix = self.relative(folder) + "/"
                self._names[folder] = {path[len(prefix):] for path in self.committed if path.startswith(prefix)}
        return name in self._names[folder]

    def relative(self, path: Path | str) -> str:
        text = str(path)  # a string's prefix, not Path.relative_to: pull asks once per file written
        if os.sep == "/" and text.startswith(self._prefix):
            return text[len(self._prefix):]
        return Path(path).relative_to(self.root).as_posix()


def _read_consultation(content: Path, slug: str) -> Consultation | None:
    folder = content / CONSULTATIONS_DIR / slug
    if not SLUG.match(slug) or not (folder / INDEX_FILE).is_file():
        return None
    contributions = _inside(content, folder / CONTRIBUTIONS_DIR)
    contributions.mkdir(exist_ok=True)
    contributions = _inside(content, contributions)  # again, once it exists: no symlink out
    proposal_files = sorted((folder / PROPOSALS_DIR).glob("*.md"))
    proposals = frozenset(path.stem for path in proposal_files)
    doc, _, problems = parse_front_matter((folder / INDEX_FILE).read_text(encoding="utf-8"), INDEX_FILE)
    questions: frozenset[str] | None = None  # unreadable: `consult check` says why; flag nothing
    data = doc.data if isinstance(doc.data, dict) else {}
    listed = data.get("questions") or []
    if not problems and isinstance(listed, list):
        questions = frozenset(str(q["id"]) for q in listed if isinstance(q, dict) and "id" in q)
    # An unreadable index.md publishes nothing by itself: every item waits for a person.
    moderation = "post" if not problems and data.get("moderation") == "post" else "pre"
    return Consultation(contributions, proposals, questions, moderation, _merged(proposal_files, proposals))


def _merged(paths: list[Path], proposals: frozenset[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each kept proposal with the duplicates whose `merged_into:` names it (a file that cannot be
    read, or names no proposal, merges nothing: `consult check` says why)."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if "merged_into" not in text:  # most proposals: no YAML to parse
            continue
        doc, _, problems = parse_front_matter(text, path.name)
        target = (doc.data or {}).get("merged_into") if isinstance(doc.data, dict) and not problems else None
        if isinstance(target, str) and target in proposals and target != path.stem:
            groups.setdefault(target, []).append(path.stem)
    return tuple((keep, tuple(duplicates)) for keep, duplicates in sorted(groups.items()))


def orphan_note(sub: Submission, consultation: Consultation) -> str:
    """What `sub` refers to that its consultation no longer has ('' when nothing)."""
    if sub.proposal and sub.proposal not in consultation.proposals:
        return f"proposal '{sub.proposal}' is not in proposals/ (renamed or removed?)"
    if consultation.questions is not None:
        missing = sorted(set(sub.answers) - consultation.questions)
        if missing:
            return "question(s) " + ", ".join(f"'{q}'" for q in missing) + " no longer in index.md"
    return ""


def _clean_stale_temps(consultations: Path) -> None:
    """Temp files of a pull that was killed (we hold the lock: nobody else is writing)."""
    for temp in consultations.glob(f"*/{CONTRIBUTIONS_DIR}/.*.tmp"):
        temp.unlink()
    for temp in consultations.glob(f"*/.{SUPPORTS_FILE}.*.tmp"):
        temp.unlink()


def _remove_erased(checkout: Checkout, inbox: Inbox, report: PullReport) -> None:
    """Erased ids' files (contributions, reports) leave this checkout too (a rolling branch may still
    hold them)."""
    names = {f"{id_}.md" for id_ in inbox.tombstones() if ID.match(id_)}
    checkout.erased_names = names
    if not names:
        return
    folders = [*consultations_dir(checkout.root).glob(f"*/{CONTRIBUTIONS_DIR}"),
               *consultations_dir(checkout.root).glob(f"*/{REPORTS_DIR}")]  # a report is erased as any submission
    for folder in sorted(folders):
        found = sorted(names.intersection(os.listdir(folder)))
        for name in found:
            (folder / name).unlink()
            report.erased.append(checkout.relative(folder / name))
        if found:
            _fsync_dir(folder)


def _confirm(checkout: Checkout, inbox: Inbox, worker: str, now: datetime, report: PullReport) -> None:
    """Written rows whose file is where this pull started are delivered: exported for good.
    The others are written again by `_export`."""
    missing = []
    for id_, slug in inbox.confirming(worker, now):
        consultation = checkout.consultation(slug)
        name = f"{id_}.md"
        if consultation is None or not (checkout.delivered(consultation, name)
                                        or checkout.delivered(consultation, name, consultation.reports)):
            missing.append(id_)
    report.confirmed += inbox.confirm(worker, missing, now)


def _export(checkout: Checkout, inbox: Inbox, worker: str, now: datetime, tz: Any, report: PullReport) -> None:
    """Claimed rows -> files, page by page. A page's files are written (temps, flush, link, flush,
    read back: `write_batch`, mostly waiting for the disk) in a thread while the next page is
    screened and rendered here; its rows are marked only once that write is done, as before, in a
    third thread (`_mark_after`: a mark's commit waits for the inbox's disk, or the handler's
    answer, and this thread has the next page to screen). The next page is handed to the writer
    before this one is marked, so the disk never waits for the inbox; a page whose write fails
    stops the writing of every later one (`_write_after`), a page whose marks fail the marking."""
    claimed = inbox.claim(worker, now)
    checkout.screening.expected = claimed
    pages = _prepared(checkout.screening, _pages(inbox, worker), claimed >= PARALLEL_FROM, tz)
    marks: list[Future[int]] = []
    with _collector_paused(), ThreadPoolExecutor(1, thread_name_prefix="consult-pull-write") as writer, \
            ThreadPoolExecutor(1, thread_name_prefix="consult-pull-mark") as marker:
        writing: tuple[_Page, Future[list[bool]]] | None = None
        for batch, prepared in pages:
            page = _screen(checkout, batch, prepared, now, tz, report)
            queued = writer.submit(_write_after, writing[1] if writing else None,
                                   [(target, data) for _, target, data in page.todo])
            if writing is not None:
                if marks and marks[-1].done():
                    marks[-1].result()  # the inbox failed: stop here (the files written stay: delivered)
                marks.append(marker.submit(_mark_after, marks[-1] if marks else None, inbox, worker, now,
                                           *_finish(checkout, tz, report, *writing)))
            writing = page, queued
        if writing is not None:
            marks.append(marker.submit(_mark_after, marks[-1] if marks else None, inbox, worker, now,
                                       *_finish(checkout, tz, report, *writing)))
    report.confirmed += sum(mark.result() for mark in marks)  # a mark that failed raises here


def _write_after(before: Future[list[bool]] | None, items: list[tuple[str, bytes]]) -> list[bool]:
    """`write_batch(items)` once the page before is written (the writer runs one page at a time,
    in order); nothing written when that one failed: the pull stops there."""
    if before is not None and before.exception() is not None:
        raise PullError("not written: the page before could not be written")
    return write_batch(items)


def _mark_after(before: Future[int] | None, inbox: Inbox, worker: str, now: datetime, delivered: list[str],
                written: list[str]) -> int:
    """A page's rows marked (their files durable: `_finish` saw them written), once the page before
    is marked, in order; nothing marked when that one failed. How many rows were exported."""
    if before is not None and before.exception() is not None:
        raise PullError("not marked: the page before could not be marked")
    confirmed = inbox.mark_exported(delivered, worker, now)
    inbox.mark_written(written, worker, now)
    return confirmed


COLLECT_EVERY = 20_000  # the cyclic collector's first threshold while pages are pulled (Python's: 700)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """While pages are pulled: what exists before (modules, the site, the index's tables) frozen out
    of the cyclic collector's sight, and young objects collected every COLLECT_EVERY allocations,
    older ones all but never. A pull makes no garbage cycles of its own; at Python's thresholds the
    collector walked the growing report and index again and again (issue 17: a sixth of the pull's
    own time at 100,000 rows). Restored when the loop ends, however it ends."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(COLLECT_EVERY, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@dataclass
class _Page:
    """One page of claimed rows, screened and rendered, waiting to be written and marked."""

    delivered: list[str] = field(default_factory=list)  # files already where the pull started
    todo: list[tuple[Submission, str, bytes]] = field(default_factory=list)  # files to write (paths as str: one a row)
    reports: list[tuple[Submission, "Consultation"]] = field(default_factory=list)


def _screen(checkout: Checkout, batch: list[Submission], prepared: list[Ready], now: datetime, tz: Any,
            report: PullReport) -> _Page:
    """A page's rows: detectors run, files rendered (nothing written yet): what depends on the
    rows before (flags, near-duplicates, status) between each file's `citizen_parts`."""
    page = _Page()
    for sub, (ready, head, tail) in zip(batch, prepared):
        consultation = checkout.consultation(sub.consultation)
        if consultation is None or not ID.match(sub.id):
            report.unknown.append(sub.id)
            continue
        if sub.kind == "report":
            if checkout.delivered(consultation, f"{sub.id}.md", consultation.reports):
                page.delivered.append(sub.id)
            else:
                page.reports.append((sub, consultation))
            continue
        # The id is letters, digits and one hyphen: the file stays in the folder checked above.
        name = f"{sub.id}.md"
        target = os.path.join(consultation.contributions, name)
        if checkout.delivered(consultation, name):  # a pull stopped before it marked the row
            page.delivered.append(sub.id)
            continue
        flags = parse_flags(sub.flags)
        note = orphan_note(sub, consultation)
        if note:
            report.orphans.append(f"{checkout.relative(target)}: {note}")
            flags = flags if "orphan" in flags else flags + ("orphan",)
        # The detectors (consult.detect): codes only here; `consult moderate` shows the spans.
        found, duplicate_of = checkout.screening.screen(consultation.contributions, sub.id, ready,
                                                        lambda name: checkout.delivered(consultation, name))
        flags += tuple(code for code in found if code not in flags)
        if flags:
            report.flagged[sub.id] = flags
        published = now if consultation.publishes(sub.kind, flags) else None
        if published:
            report.published.add(sub.id)
        middle = moderation_part(tz, flags, duplicate_of, published, "").encode("utf-8")
        page.todo.append((sub, target, head + middle + tail))
    return page


def _finish(checkout: Checkout, tz: Any, report: PullReport, page: _Page,
            writing: Future[list[bool]]) -> tuple[list[str], list[str]]:
    """Once a page's files are written (an error there raises here: nothing of it is marked): the
    report, its reports' files; then the ids to mark, exported (delivered before) and written."""
    created = writing.result()
    settled: dict[str, list[str]] = {}  # consultation -> its files written, told to the detectors once a page
    for (sub, target, data), new in zip(page.todo, created):
        relative = checkout.relative(target)
        if new or Path(target).read_bytes() == data:  # identical: ours, from a pull stopped before its commit
            report.written.append((relative, sub.id, sub.kind))
            settled.setdefault(sub.consultation, []).append(sub.id)
        else:
            report.kept.append(relative)  # edited before it was committed: never overwritten
            report.flagged.pop(sub.id, None)
            report.published.discard(sub.id)
    for slug, ids in settled.items():  # the detectors read their texts back from the files when needed
        consultation = checkout.consultation(slug)
        if consultation is not None:  # always: only a known consultation's rows have files to write
            checkout.screening.written(consultation.contributions, ids)
    done = _write_reports(checkout, page.reports, tz, report)
    return page.delivered, [sub.id for sub, _, _ in page.todo] + done


PARALLEL_FROM = 2 * BATCH  # claimed rows from which the detectors' own work goes to another process


def _pages(inbox: Inbox, worker: str) -> Iterator[list[Submission]]:
    """The rows `worker` claimed, BATCH at a time, by id."""
    after = ""
    while batch := inbox.claimed(worker, after=after, limit=BATCH):
        yield batch
        after = batch[-1].id


# What a page's row needs that depends on no other row: the detectors' own work on its texts
# (`detect.prepare`), and its file's `citizen_parts`, encoded.
Ready = tuple[Prepared, bytes, bytes]


def _ready(words: WordList, tz: Any, rows: list[PublicFields]) -> list[Ready]:
    """`Ready` of each row (in the worker process, for a large pull)."""
    prepared = prepare(words, [(title, body, answers) for _, _, _, _, _, title, _, answers, body in rows])
    return [(ready, head.encode("utf-8"), tail.encode("utf-8"))
            for ready, (head, tail) in zip(prepared, (citizen_parts(fields, tz) for fields in rows))]


def _prepared(screening: Screening, pages: Iterator[list[Submission]], parallel: bool,
              tz: Any) -> Iterator[tuple[list[Submission], list[Ready]]]:
    """Each page with its rows' `Ready`. With `parallel` (a large pull, on Linux) a forked worker
    process prepares the next pages while this one screens and writes the current one: the
    detectors' per-text work (regular expressions, shingles) and the rendering of what each file
    takes from its submission alone run on a second core. Results come back in order; an error in
    the worker raises here, before the page is written, so nothing is marked."""
    if not (parallel and can_fork()):
        for page in pages:
            yield page, _ready(screening.words, tz, [public_fields(sub) for sub in page])
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # Pages and results go through files in a private folder, only their names through the pipe:
    # the executor's thread that reads the pipe here waits for the interpreter lock at every read,
    # held by this process's own work, and the worker would starve (as in consult.parallel).
    # Only the rows' public fields go: no e-mail or fingerprint reaches the folder.
    with tempfile.TemporaryDirectory(prefix="consult-pull-") as folder, \
            ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        ahead: deque[tuple[list[Submission], Future[str]]] = deque()
        for number, page in enumerate(pages):
            path = os.path.join(folder, f"{number}.pickle")
            with open(path, "wb") as handle:
                pickle.dump((screening.words, tz, [public_fields(sub) for sub in page]), handle,
                            protocol=pickle.HIGHEST_PROTOCOL)
            ahead.append((page, pool.submit(_prepare_file, path)))
            if len(ahead) > 2:  # two pages in hand: the worker never waits for this process
                yield _prepared_page(*ahead.popleft())
        while ahead:
            yield _prepared_page(*ahead.popleft())


def _prepare_file(path: str) -> str:
    """In the worker: `_ready` of the page in the file at `path`, the result written over it."""
    with open(path, "rb") as handle:
        words, tz, rows = pickle.load(handle)
    with open(path, "wb") as handle:
        pickle.dump(_ready(words, tz, rows), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _prepared_page(page: list[Submission], future: Future[str]) -> tuple[list[Submission], list[Ready]]:
    path = future.result()
    with open(path, "rb") as handle:
        prepared = pickle.load(handle)
    os.unlink(path)  # a citizen's text stays no longer than needed
    return page, prepared


def _write_reports(checkout: Checkout, reports: list[tuple[Submission, Consultation]], tz: Any,
                   report: PullReport) -> list[str]:
    """Each report: its target flagged `reported` (only the flags lines change; already flagged by
    an earlier report or pull: unchanged), then its own file in reports/, never published. Both
    are idempotent, so a pull stopped between them is finished by the next. A target that is not
    (or no longer) a file of this consultation flags nothing: the report is kept, flagged orphan."""
    from consult.moderation import REPORTED, add_flag  # moderation imports this module's writers

    todo: list[tuple[Path, bytes]] = []
    for sub, consultation in reports:
        flags = parse_flags(sub.flags)
        target = consultation.contributions / f"{sub.proposal}.md" if ID.match(sub.proposal or "") else None
        path = _inside(checkout.content, consultation.reports) / f"{sub.id}.md"
        if target is not None and target.is_file():
            relative = checkout.relative(target)
            text = target.read_bytes().decode("utf-8")
            flagged = add_flag(text, REPORTED, relative)
            if flagged != text:
                write_replace(target, flagged.encode("utf-8"))
            if relative not in report.reported:
                report.reported.append(relative)
        else:
            report.orphans.append(f"{checkout.relative(path)}: reports '{sub.proposal}', not in contributions/")
            flags = flags if "orphan" in flags else flags + ("orphan",)
        todo.append((path, render_report(sub, tz, flags).encode("utf-8")))
    if not todo:
        return []
    for folder in {path.parent for path, _ in todo}:
        folder.mkdir(exist_ok=True)
    created = write_batch(todo)
    for (path, data), new in zip(todo, created):
        if new or path.read_bytes() == data:
            report.reports.append(checkout.relative(path))
        else:
            report.kept.append(checkout.relative(path))
    return [sub.id for sub, _ in reports]


def render_supports(counts: dict[str, int], online: dict[str, int]) -> str:
    lines = ["# Supports per proposal, kept up to date by `consult pull`.",
             "# consult pull, online supports: " + json.dumps(online, sort_keys=True, separators=(",", ":"))]
    body = yaml.safe_dump(counts, allow_unicode=True, sort_keys=True, default_flow_style=False) if counts else "{}\n"
    return "\n".join(lines) + "\n" + body


def _tally(checkout: Checkout, inbox: Inbox, report: PullReport) -> None:
    """supports.yaml = what it held (offline counts, hand edits) - online part last written + online now,
    for the proposals that exist; supports for any other slug are reported, never written. A proposal
    that duplicates were merged into counts distinct people across them all."""
    root = checkout.root
    for slug, online in sorted(inbox.support_tallies().items()):
        consultation = checkout.consultation(slug)
        if consultation is None:
            continue
        path = _inside(checkout.content, consultation.contributions.parent / SUPPORTS_FILE)
        old_text = path.read_text(encoding="utf-8") if path.exists() else ""
        counts = yaml.safe_load(old_text) or {} if old_text else {}
        if not isinstance(counts, dict):
            raise PullError(f"{path.relative_to(root)}: expected 'proposal: count' lines")
        found = ONLINE.search(old_text)
        before = {k: v for k, v in (json.loads(found.group(1)) if found else {}).items() if k in consultation.proposals}
        for proposal in sorted(set(online) - consultation.proposals):
            report.unknown_supports.append((slug, proposal, online.pop(proposal)))
        for keep, duplicates in consultation.merged:  # the kept one counts each person once across them
            if any(p in online for p in (keep, *duplicates)):
                online[keep] = inbox.distinct_supporters(slug, [keep, *duplicates])
        merged = {str(k): int(v) for k, v in counts.items()}
        for proposal in set(before) | set(online):
            merged[proposal] = max(0, merged.get(proposal, 0) - int(before.get(proposal, 0)) + online.get(proposal, 0))
        text = render_supports(merged, online)
        if text != old_text:
            write_replace(path, text.encode("utf-8"))
            report.supports.append(path.relative_to(root).as_posix())


@dataclass
class Review:
    """The base HEAD and the review branches (`prefix/...`) a pull with --branch starts from."""

    root: Path
    prefix: str
    base: str  # HEAD's commit: every new review branch starts there
    head_files: set[str]
    refs: dict[str, str]  # branch name -> ref (local, else a remote's)
    files: dict[str, set[str]]  # branch name -> its contribution files

    @classmethod
    def read(cls, root: Path, prefix: str) -> "Review":
        prefix = prefix.strip("/")
        if not committed_files(root, "site.yaml"):
            raise GitError("consult pull --branch needs a commit to start from: commit the site first")
        base = head_commit(root)
        refs = review_refs(root, prefix)
        files = {name: {p for p in tree_files(root, ref, CONSULTATIONS_PREFIX) if f"/{CONTRIBUTIONS_DIR}/" in p}
                 for name, ref in refs.items()}
        return cls(root, prefix, base, committed_files(root, CONSULTATIONS_PREFIX), refs, files)

    def delivered(self) -> set[str]:
        """Files the moderators' repository has: in HEAD or on a review branch."""
        return self.head_files.union(*self.files.values())


def _commit(checkout: Checkout, review: Review, report: PullReport, language: str, now: datetime) -> None:
    """Pending files on new review branches (BATCH_FILES each, flagged first); published ones,
    tallies and erasures in one commit on the current branch; erased files off review branches.
    What the workflow pushes is listed in PR_LIST, each text in PR_TEXTS."""
    root = checkout.root
    (root / PR_TEXTS).mkdir(parents=True, exist_ok=True)
    for old in (root / PR_TEXTS).glob("*.md"):
        old.unlink()
    lines: list[str] = []
    pending = _pending_items(root, report)
    chunks = [pending[i:i + BATCH_FILES] for i in range(0, len(pending), BATCH_FILES)]
    taken: set[str] = set(review.refs)
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S")
    for number, chunk in enumerate(chunks, 1):
        name = new_branch_name(root, review.prefix, stamp, taken)
        text = f"Batch {number} of {len(chunks)} of this pull.\n\n" + render_pr_description(
            [item for item, _ in chunk], language=language, limit=LIMIT_TEXT)
        title = f"Contributions à modérer ({len(chunk)})" if language == "fr" else f"Contributions to moderate ({len(chunk)})"
        commit_on(root, review.base, name, [path for _, path in chunk], [], title, text)
        lines.append(_listed(root, "new", name, len(lines) + 1, text, title))
        report.batches.append((name, len(chunk)))
    erased = {Path(path).name for path in report.erased} | checkout.erased_names
    for name, ref in sorted(review.refs.items()):
        gone = sorted(path for path in review.files[name]
                      if Path(path).name in erased and path not in review.head_files)
        if gone:
            text = f"{len(gone)} file(s) removed: their contributions were erased (`consult erase`).\n"
            commit_on(root, ref, name, [], gone, "Remove erased contributions", text)
            lines.append(_listed(root, "updated", name, len(lines) + 1, text, "Remove erased contributions"))
            report.updated.append(name)
    removed = [path for path in report.erased if path in review.head_files]
    published = sorted(set(report.kept + [path for path, _, _ in report.written]) - {path for _, path in pending})
    paths = published + report.supports + removed + report.reports + report.reported
    description = (f"{len(published)} contribution(s) published at once (post-moderation: nothing flagged), "
                   f"{len(report.supports)} support tally file(s) updated, {len(removed)} erased file(s) removed, "
                   f"{len(report.reports)} report(s) recorded, {len(report.reported)} published item(s) flagged reported.")
    report.committed = commit(root, paths, f"consult pull: {len(published)} published, "
                                           f"{len(report.supports)} tally file(s)", description)
    for _, path in pending:  # they live on their review branch now, not in the base checkout
        (root / path).unlink(missing_ok=True)
    (root / PR_LIST).write_text("".join(lines), encoding="utf-8")


LIMIT_TEXT = 60_000 - 100  # render_pr_description's limit, minus the batch line above it


def _listed(root: Path, state: str, branch: str, number: int, text: str, title: str) -> str:
    """One line of PR_LIST (tab-separated), its description written to PR_TEXTS/<number>.md."""
    body = PR_TEXTS / f"{number}.md"
    (root / body).write_text(text, encoding="utf-8")
    return f"{state}\t{branch}\t{body.as_posix()}\t{title}\n"


def _pending_items(root: Path, report: PullReport) -> list[tuple[Item, str]]:
    """The files a person must review (pending: not published at pull), flagged first, each
    group by consultation and id."""
    found = [(Item(id_, kind, path.split("/")[2], report.flagged.get(id_, ())), path)
             for path, id_, kind in report.written if id_ not in report.published]
    for path in report.kept:  # an edit of a stopped pull's file: as the file says now
        doc, _, _ = parse_front_matter((root / path).read_text(encoding="utf-8"), path)
        data = doc.data if isinstance(doc.data, dict) else {}
        if data.get("status") != "published":
            flags = tuple(str(code) for code in data.get("flags") or () if isinstance(code, str))
            found.append((Item(Path(path).stem, str(data.get("kind", "")), path.split("/")[2], flags), path))
    return sorted(found, key=lambda pair: (not pair[0].flags, pair[0].consultation, pair[0].id))


def closing_dates(root: Path) -> dict[str, datetime | None]:
    """slug -> closing time of every consultation in content/ (None when its index.md has a
    problem: its supports' fingerprints are then kept), for `Inbox.purge`."""
    from consult.content.files import parse_consultation

    indexes = sorted(consultations_dir(root).glob(f"*/{INDEX_FILE}"))
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

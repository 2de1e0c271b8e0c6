"""Inbox -> content files: one `contributions/<id>.md` (status: pending) per submission,
and `supports.yaml` tallies, safely interrupted and safely run twice at once.

A lock; erased ids' files removed; rows claimed; each file written to a temp file, fsynced,
linked into place (never over an existing file), the directory fsynced, re-read and compared;
the row is then `written`. It becomes `exported` only when a later pull finds the file in the
checkout it starts from (the file reached the repository moderators review); a written row
whose file is not there is written again, with the same id: a failed push, a cancelled job
lose nothing and double nothing. A file already there (whatever its bytes: an editor's edit)
is never overwritten. No email or address-derived value is ever written or printed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from consult.config import require_config
from consult.lock import site_lock
from consult.detect import Screening, codes
from consult.document import dump_front_matter, parse_front_matter
from consult.errors import ConsultError
from consult.flags import parse_flags
from consult.inbox import Inbox, Submission
from consult.pullrequest import Item, commit, committed_files, render_pr_description, switch_branch

try:
    _LIBC: Any = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    _LIBC.syncfs
except (OSError, AttributeError):  # not Linux: os.sync() instead
    _LIBC = None

ID = re.compile(r"^[0-9]{8}-[a-z0-9]{8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BATCH = 1000
ONLINE = re.compile(r"^# consult pull, online supports: (\{.*\})$", re.M)
PULL_LOCK = Path(".consult") / "pull.lock"
PR_FILE = Path(".consult") / "pull-request.md"


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
    branch: str | None = None
    committed: bool = False
    held: int = 0  # rows the inbox holds back (honeypot, suspect supports): `consult held`

    def render(self) -> str:
        lines = [f"wrote {path}" for path, _, _ in self.written]
        lines += [f"wrote {path}" for path in self.supports]
        lines += [f"kept {path}: already there, left as it is" for path in self.kept]
        lines += [f"flagged orphan: {note}" for note in self.orphans]
        lines += [f"removed {path}: its contribution was erased" for path in self.erased]
        lines += [f"skipped {id_}: its consultation is not in content/" for id_ in self.unknown]
        if self.held:
            lines.append(f"{self.held} submission(s) held in the inbox, not pulled: list and release them "
                         "with 'consult held'")
        lines += [f"{count} support(s) for unknown proposal {proposal} in {consultation}: not counted"
                  " (proposal renamed or removed?)" for consultation, proposal, count in self.unknown_supports]
        summary = f"{len(self.written)} new contribution(s), {len(self.supports)} support tally file(s)"
        if self.flagged:
            summary += f", {len(self.flagged)} flagged"
        if self.confirmed:
            summary += f", {self.confirmed} delivered earlier now confirmed"
        if self.committed:
            summary += f"; committed on branch {self.branch}"
        elif self.branch:
            summary += f"; nothing to commit on branch {self.branch}"
        return "\n".join(lines + [summary + "."])

    def items(self) -> list[Item]:
        """This batch's contributions as the pull request shows them (no personal data)."""
        return [Item(id_, kind, path.split("/")[2], self.flagged.get(id_, ())) for path, id_, kind in self.written]


def render_contribution(sub: Submission, tz: Any = timezone.utc, flags: tuple[str, ...] | None = None,
                        duplicate_of: str = "") -> str:
    """The file for one submission, through safe_dump only: citizen text stays inert data.
    `flags` (default: the inbox row's) become a `flags:` list when there are any; `duplicate_of`
    names the contribution a near-duplicate is like."""
    assert sub.received is not None
    data: dict[str, Any] = {"id": sub.id, "kind": sub.kind}
    if sub.proposal:
        data["proposal"] = sub.proposal
    if sub.author:
        data["author"] = sub.author
    data["submitted"] = sub.received.astimezone(tz).replace(microsecond=0)
    data["status"] = "pending"
    flags = parse_flags(sub.flags) if flags is None else flags
    if flags:
        data["flags"] = list(flags)
    if duplicate_of:
        data["duplicate_of"] = duplicate_of
    if sub.title:
        data["title"] = sub.title
    if sub.category:
        data["category"] = sub.category
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


def pull(root: Path, inbox: Inbox, branch: str | None = None, now: datetime | None = None,
         worker: str | None = None, tz: Any = None, retention_days: int | None = None) -> PullReport:
    """Bring every new submission into content/; see the module docstring.

    With `branch`, the files are committed on that branch (created, or checked out when it
    exists: a second pull with the same name adds to it), and only files in its last commit
    count as delivered; without, every file in content/ does.
    """
    root = root.resolve()
    now = now or datetime.now(timezone.utc)
    config = require_config(root)
    tz = tz or config.tz
    retention_days = retention_days if retention_days is not None else config.retention_days
    worker = worker or f"{socket.gethostname()}:{root}"
    report = PullReport(branch=branch)
    with site_lock(root, PULL_LOCK):  # a second pull waits, then finds nothing left to do
        if branch:
            switch_branch(root, branch)
        checkout = Checkout(root, committed_files(root, "content/consultations") if branch else None)
        _clean_stale_temps(checkout.content / "consultations")
        _remove_erased(checkout, inbox, report)
        _confirm(checkout, inbox, worker, now, report)
        _export(checkout, inbox, worker, now, tz, report)
        _tally(checkout, inbox, report)
        report.held = inbox.held_count()
        inbox.purge(now, retention_days, closing_dates(root))
        if branch:
            _commit(checkout, report, config.language)
    return report


@dataclass(frozen=True)
class Consultation:
    """What pull needs of one consultation in content/."""

    contributions: Path  # its contributions/ folder, made if needed, checked to stay inside content/
    proposals: frozenset[str]  # slugs of proposals/*.md
    questions: frozenset[str] | None  # ids of index.md's questions; None when index.md cannot be read
    merged: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kept proposal, its duplicates): `consult merge`


class Checkout:
    """The checkout a pull runs in: its consultations, and which files count as delivered."""

    def __init__(self, root: Path, committed: set[str] | None):
        self.root = root
        self.content = root / "content"
        self.committed = committed  # with --branch: the files of HEAD; None: every file on disk
        self._consultations: dict[str, Consultation | None] = {}
        self._names: dict[Path, set[str]] = {}
        self.screening = Screening(root)

    def consultation(self, slug: str) -> Consultation | None:
        """None for a consultation that has no folder (or an impossible slug); read once."""
        if slug not in self._consultations:
            self._consultations[slug] = _read_consultation(self.content, slug)
        return self._consultations[slug]

    def delivered(self, consultation: Consultation, name: str) -> bool:
        """True when the file `name` of `consultation` was there as the pull started: the
        moderators' repository has it."""
        folder = consultation.contributions
        if folder not in self._names:  # one listing per folder, not one stat per file
            if self.committed is None:
                self._names[folder] = set(os.listdir(folder))
            else:
                prefix = self.relative(folder) + "/"
                self._names[folder] = {path[len(prefix):] for path in self.committed if path.startswith(prefix)}
        return name in self._names[folder]

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _read_consultation(content: Path, slug: str) -> Consultation | None:
    folder = content / "consultations" / slug
    if not SLUG.match(slug) or not (folder / "index.md").is_file():
        return None
    contributions = _inside(content, folder / "contributions")
    contributions.mkdir(exist_ok=True)
    contributions = _inside(content, contributions)  # again, once it exists: no symlink out
    proposal_files = sorted((folder / "proposals").glob("*.md"))
    proposals = frozenset(path.stem for path in proposal_files)
    doc, _, problems = parse_front_matter((folder / "index.md").read_text(encoding="utf-8"), "index.md")
    questions: frozenset[str] | None = None  # unreadable: `consult check` says why; flag nothing
    listed = (doc.data or {}).get("questions") or []
    if not problems and isinstance(listed, list):
        questions = frozenset(str(q["id"]) for q in listed if isinstance(q, dict) and "id" in q)
    return Consultation(contributions, proposals, questions, _merged(proposal_files, proposals))


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
    for temp in consultations.glob("*/contributions/.*.tmp"):
        temp.unlink()
    for temp in consultations.glob("*/.supports.yaml.*.tmp"):
        temp.unlink()


def _remove_erased(checkout: Checkout, inbox: Inbox, report: PullReport) -> None:
    """Erased ids' files leave this checkout too (a rolling branch may still hold them)."""
    names = {f"{id_}.md" for id_ in inbox.tombstones() if ID.match(id_)}
    if not names:
        return
    for folder in sorted(checkout.content.glob("consultations/*/contributions")):
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
        if consultation is None or not checkout.delivered(consultation, f"{id_}.md"):
            missing.append(id_)
    report.confirmed += inbox.confirm(worker, missing, now)


def _export(checkout: Checkout, inbox: Inbox, worker: str, now: datetime, tz: Any, report: PullReport) -> None:
    inbox.claim(worker, now)
    after = ""
    while True:
        batch = inbox.claimed(worker, after=after, limit=BATCH)
        if not batch:
            return
        after = batch[-1].id
        delivered: list[str] = []
        todo: list[tuple[Submission, Path, bytes]] = []
        for sub in batch:
            consultation = checkout.consultation(sub.consultation)
            if consultation is None or not ID.match(sub.id):
                report.unknown.append(sub.id)
                continue
            # The id is letters, digits and one hyphen: the file stays in the folder checked above.
            target = consultation.contributions / f"{sub.id}.md"
            if checkout.delivered(consultation, target.name):  # a pull stopped before it marked the row
                delivered.append(sub.id)
                continue
            flags = parse_flags(sub.flags)
            note = orphan_note(sub, consultation)
            if note:
                report.orphans.append(f"{checkout.relative(target)}: {note}")
                flags = flags if "orphan" in flags else flags + ("orphan",)
            # The detectors (consult.detect): codes only here; `consult moderate` shows the spans.
            found = checkout.screening.findings(consultation.contributions, sub.id, sub.title, sub.body, dict(sub.answers),
                                                lambda name: checkout.delivered(consultation, name))
            flags += tuple(code for code in codes(found) if code not in flags)
            duplicate_of = next((f.other for f in found if f.code == "near-duplicate"), "")
            if flags:
                report.flagged[sub.id] = flags
            todo.append((sub, target, render_contribution(sub, tz, flags, duplicate_of).encode("utf-8")))
        created = write_batch([(target, data) for _, target, data in todo]) if todo else []
        for (sub, target, data), new in zip(todo, created):
            relative = checkout.relative(target)
            if new or target.read_bytes() == data:  # identical: ours, from a pull stopped before its commit
                report.written.append((relative, sub.id, sub.kind))
            else:
                report.kept.append(relative)  # edited before it was committed: never overwritten
                report.flagged.pop(sub.id, None)
        report.confirmed += inbox.mark_exported(delivered, worker, now)
        inbox.mark_written([sub.id for sub, _, _ in todo], worker, now)


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
        path = _inside(checkout.content, consultation.contributions.parent / "supports.yaml")
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


def _commit(checkout: Checkout, report: PullReport, language: str) -> None:
    """This batch's files (and erased files' removal) in one commit; its text in PR_FILE."""
    removed = [path for path in report.erased if path in (checkout.committed or set())]
    paths = [path for path, _, _ in report.written] + report.kept + report.supports + removed
    description = render_pr_description(report.items(), report.supports, len(removed), language)
    (checkout.root / PR_FILE).parent.mkdir(exist_ok=True)
    (checkout.root / PR_FILE).write_text(description, encoding="utf-8")
    title = f"Pull {len(report.written)} new contribution(s) for moderation"
    report.committed = commit(checkout.root, paths, title, description)


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

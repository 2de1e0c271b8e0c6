"""Moderation in files: list pending contributions, approve or reject them, erase one.

Approving or rejecting edits only the `status:` (and `reason:`) lines of a
contribution's front matter; every other byte stays as it was, so the git diff
a reviewer reads is exactly the decision. Erasure removes the file and the inbox
row and leaves a tombstone in the inbox, so no later pull brings it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from consult.document import parse_front_matter, split_front_matter
from consult.errors import ConsultError
from consult.pull import ID, write_replace

# A decision line with its own line ending (\n or \r\n), kept when the line is rewritten.
STATUS_LINE = re.compile(r"^status:[^\r\n]*(\r?\n)", re.M)
REASON_LINE = re.compile(r"^reason:[^\r\n]*\r?\n", re.M)


@dataclass(frozen=True)
class Pending:
    id: str
    consultation: str
    kind: str
    proposal: str
    submitted: str
    title: str
    excerpt: str
    path: str


def contribution_files(root: Path) -> list[Path]:
    return sorted((root / "content" / "consultations").glob("*/contributions/*.md"))


def list_pending(root: Path) -> list[Pending]:
    found = []
    for path in contribution_files(root):
        relative = path.relative_to(root).as_posix()
        doc, body, problems = parse_front_matter(path.read_text(encoding="utf-8"), relative)
        data = doc.data or {}
        if problems or data.get("status") != "pending":
            continue
        excerpt = " ".join(body.split())
        found.append(Pending(
            id=str(data.get("id", path.stem)), consultation=path.parent.parent.name, kind=str(data.get("kind", "")),
            proposal=str(data.get("proposal") or ""), submitted=str(data.get("submitted", "")),
            title=str(data.get("title") or ""), excerpt=excerpt[:120] + ("…" if len(excerpt) > 120 else ""),
            path=relative,
        ))
    return found


def render_pending(items: list[Pending]) -> str:
    if not items:
        return "No pending contribution."
    lines = []
    for item in items:
        about = f" on {item.proposal}" if item.proposal else ""
        lines.append(f"{item.id}  {item.consultation}  {item.kind}{about}  {item.submitted}")
        if item.title:
            lines.append(f"    {item.title}")
        if item.excerpt:
            lines.append(f"    {item.excerpt}")
    lines.append(f"{len(items)} pending. Approve: consult moderate approve ID...; "
                 "reject: consult moderate reject ID... --reason CODE")
    return "\n".join(lines)


def find_contribution(root: Path, id_: str) -> Path | None:
    if not ID.match(id_):
        raise ConsultError(f"'{id_}' is not a contribution id (like 20261201-k3x9q2ab)")
    matches = sorted((root / "content" / "consultations").glob(f"*/contributions/{id_}.md"))
    return matches[0] if matches else None


def set_status(text: str, status: str, reason: str = "", path: str = "") -> str:
    """The file text with only its status (and reason) lines changed; every other byte, line
    endings included (a file saved with CRLF keeps them), stays as it was, so the diff is the
    decision. `text` must be read without newline translation (see `decide`)."""
    split = split_front_matter(text)
    if split is None:
        raise ConsultError(f"{path}: no front matter")
    head_end = text.index(split.yaml_text) + len(split.yaml_text) if split.yaml_text else 4
    head, rest = text[:head_end], text[head_end:]
    found = STATUS_LINE.search(head)
    if found is None:
        raise ConsultError(f"{path}: no 'status:' line to change")
    end = found.group(1)  # the new lines end as the status line did
    head = STATUS_LINE.sub(lambda _: f"status: {status}{end}", head, count=1)
    head = REASON_LINE.sub("", head)
    if reason:
        head = STATUS_LINE.sub(lambda m: m.group(0) + f"reason: {reason}{end}", head, count=1)
    edited = head + rest
    _check_only_decision_changed(text, edited, status, reason, path)
    return edited


def _check_only_decision_changed(before: str, after: str, status: str, reason: str, path: str) -> None:
    old, _, old_problems = parse_front_matter(before, path)
    new, new_body, new_problems = parse_front_matter(after, path)
    if old_problems or new_problems or not isinstance(new.data, dict):
        raise ConsultError(f"{path}: cannot edit this file safely; edit 'status:' by hand")
    expected: dict[str, Any] = {k: v for k, v in (old.data or {}).items() if k not in ("status", "reason")}
    got = {k: v for k, v in new.data.items() if k not in ("status", "reason")}
    if got != expected or new.data.get("status") != status or (new.data.get("reason") or "") != reason:
        raise ConsultError(f"{path}: cannot edit this file safely; edit 'status:' by hand")


def decide(root: Path, ids: list[str], status: str, reason: str = "",
           reasons: tuple[str, ...] = ()) -> list[str]:
    """Approve (status published) or reject (with a reason code) each id; returns the edited paths."""
    if status == "rejected":
        if not reason:
            raise ConsultError("rejecting needs --reason CODE", )
        if reasons and reason not in reasons:
            raise ConsultError(f"unknown reason '{reason}' (codes: {', '.join(reasons)})")
    paths = []
    for id_ in ids:
        path = find_contribution(root, id_)
        if path is None:
            raise ConsultError(f"no contribution {id_} in content/ (run 'consult pull' first?)")
        paths.append(path)
    edited = []
    for path in paths:
        relative = path.relative_to(root).as_posix()
        text = path.read_bytes().decode("utf-8")  # not read_text: it would turn CRLF into LF
        new_text = set_status(text, status, reason if status == "rejected" else "", relative)
        if new_text != text:
            write_replace(path, new_text.encode("utf-8"))
        edited.append(relative)
    return edited


def erase(root: Path, inbox: Any, id_: str, now: datetime | None = None) -> list[str]:
    """Remove a contribution everywhere we can reach; returns what was done, for printing."""
    now = now or datetime.now(timezone.utc)
    done = []
    path = find_contribution(root, id_)
    if path is not None:
        path.unlink()
        done.append(f"removed {path.relative_to(root).as_posix()}")
    existed = inbox.erase(id_, now)
    done.append("removed the inbox row and recorded a tombstone" if existed
                else "no inbox row; recorded a tombstone")
    if path is not None:
        done.append("commit the removal; older commits still hold the file (rewrite history if it must go)")
    return done

"""A moderator's decisions since the last commit, made exactly as `consult moderate` makes them.

`DecisionLog.decide` approves or rejects through `moderation.decide` (a citizen proposal approved
through `proposals.publish`; a published item a participant reported is kept through
`moderation.keep` or unpublished through `moderation.unpublish`), so the files change as the CLI
changes them, and keeps the bytes
each file had: `undo` puts them back (and removes a proposal page a decision created), refusing
when a file was changed since. `commit` records the files in git with a message of counts per
decision and reason codes, never a text. Used by the moderation screen (`consult.screen`).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from consult.config import Config
from consult.errors import ConsultError, say
from consult.moderation import decide, keep, unpublish
from consult.pending import PendingIndex
from consult.pull import replace_batch


@dataclass(frozen=True)
class Decision:
    """One approve or reject, on one or many files, with what it replaced (for undo)."""

    status: str  # published | rejected
    reason: str
    ids: list[str]
    reported: frozenset[str]  # of `ids`, published items a participant reported: kept or unpublished
    before: dict[str, bytes | None]  # relative path -> bytes before (None: the decision created the file)
    after: dict[str, bytes]


class ChangedSince(ConsultError):
    """An undo refused: this file is no longer what the decision wrote."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


class DecisionLog:
    def __init__(self, root: Path, config: Config, index: PendingIndex, clock: Callable[[], datetime]):
        self.root, self.config, self.index, self.clock = root, config, index, clock
        self.done: list[Decision] = []

    def decide(self, ids: list[str], status: str, reason: str = "") -> Decision:
        """Decide as `consult moderate approve/reject` does, dated by the clock's day; the index follows."""
        from consult.proposals import publish

        paths = {id_: self.index.path(id_) for id_ in ids}
        before: dict[str, bytes | None] = {}
        for id_, path in paths.items():
            if path is None:
                raise ConsultError(say(f"no pending contribution {id_}", f"pas de contribution {id_} en attente"))
            before[path.relative_to(self.root).as_posix()] = path.read_bytes()
        reported = [id_ for id_ in ids if self.index.entries[id_].status == "published"]  # to keep or unpublish
        as_proposals = [id_ for id_ in ids if status == "published" and id_ not in reported
                        and self.index.entries[id_].kind == "proposal"]
        others = {id_: path for id_, path in paths.items()
                  if id_ not in as_proposals and id_ not in reported and path is not None}
        try:
            for id_ in as_proposals:
                done = publish(self.root, id_, self.config.status_ids[0], self.config.tz)
                before[done.proposal] = None
            if reported and status == "published":
                keep(self.root, reported, self.clock())
            elif reported:
                unpublish(self.root, reported, reason, self.config.reasons, self.clock())
            if others:
                decide(self.root, list(others), status, reason, self.config.reasons, self.clock().date(), others)
        finally:  # what was done before a failure is logged too, so that it can be undone
            after = {relative: _bytes(self.root / relative) for relative in before}
            changed = {relative: data for relative, data in after.items() if data is not None and data != before[relative]}
            decided = [id_ for id_, path in paths.items() if path is not None
                       and path.relative_to(self.root).as_posix() in changed]
            decision = Decision(status, reason, decided, frozenset(reported).intersection(decided),
                                {rel: before[rel] for rel in changed}, changed)
            if changed:
                self.done.append(decision)
                self.index.refresh(changed)
        return decision

    def undo(self) -> Decision | None:
        """Put back the files of the last decision (None when there is none to undo)."""
        if not self.done:
            return None
        decision = self.done[-1]
        changed = [rel for rel, data in decision.after.items() if _bytes(self.root / rel) != data]
        if changed:
            raise ChangedSince(changed[0])
        replace_batch([(self.root / rel, data) for rel, data in decision.before.items() if data is not None])
        for rel in (rel for rel, data in decision.before.items() if data is None):
            (self.root / rel).unlink()
        self.done.pop()
        self.index.refresh(decision.before)
        return decision

    def commit(self, message: str) -> None:
        """Record in git the files the decisions touched, and only them."""
        paths = sorted({rel for decision in self.done for rel in decision.before})
        _git(self.root, "add", "--", *paths)
        _git(self.root, "commit", "--quiet", "-m", message, "--", *paths)
        self.done.clear()

    def counts(self) -> tuple[Counter[str], Counter[str]]:
        """How many ids each outcome (published, rejected, kept, unpublished) and each reason of a
        rejection or unpublishing has, the last decision on an id counting."""
        final: dict[str, tuple[str, str]] = {}
        for decision in self.done:
            for id_ in decision.ids:
                final[id_] = (outcome(decision.status, id_ in decision.reported), decision.reason)
        return (Counter(status for status, _ in final.values()),
                Counter(reason for status, reason in final.values() if status in ("rejected", "unpublished")))


def outcome(status: str, reported: bool) -> str:
    """What a decision did to one item: on a reported published item, approving keeps it and
    rejecting unpublishes it."""
    if not reported:
        return status
    return "kept" if status == "published" else "unpublished"


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _git(root: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        output = done.stderr.strip() or done.stdout.strip()
        raise ConsultError(say(f"git {args[0]} failed: {output}", f"la commande git {args[0]} a échoué : {output}"))

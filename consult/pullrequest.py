"""The moderation branch of `consult pull --branch`: git switch and commit, and the pull
request's text for one batch, always within GitHub's limit.

GitHub refuses a description or comment over 65,536 characters. Flagged contributions come
first, each with its flag codes, and a legend says what each flag means in the site's
language; then a summary by consultation and kind; then the other ids while they fit, and
"and N more". Only ids, kinds, consultations and flag codes: never a name, an e-mail or an
excerpt of what a citizen wrote (`render_pr_description` is pure).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from consult.errors import ConsultError
from consult.flags import describe
from consult.layout import STATE_DIR

LIMIT = 60_000  # GitHub's limit is 65,536; keep a margin for what the workflow may add
RESERVE = 1_500  # headings, blank lines and the "and N more" lines, counted generously
CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Item:
    """One contribution of the batch, as the pull request may show it."""

    id: str
    kind: str
    consultation: str
    flags: tuple[str, ...] = ()


def render_pr_description(items: list[Item], supports: Iterable[str] = (), erased: int = 0,
                          language: str = "fr", limit: int = LIMIT) -> str:
    """The description, at most `limit` characters whatever the batch (see the module docstring)."""
    flagged = [item for item in items if item.flags]
    others = [item for item in items if not item.flags]
    head = _head(len(items), len(flagged))
    tail = _tail(list(supports), erased)
    budget = limit - len(head) - len(tail) - RESERVE
    # The summary covers everything, so it is kept first; then the flagged rows, then the others.
    summary, budget = _fit(_summary_rows(items), budget)
    legend, budget = _fit(_legend_rows(flagged, language), budget)
    flagged_rows, budget = _fit([_row(item, with_flags=True) for item in flagged], budget)
    other_rows, budget = _fit([_row(item) for item in others], budget)
    parts = [head]
    if flagged:
        parts.append(_table(f"### Flagged ({len(flagged)}): look at these first",
                            "| id | kind | consultation | flags |", flagged_rows, len(flagged)))
        parts.append(_table("What the flags mean:", "| flag | meaning | contributions |", legend,
                            len(_legend_counts(flagged))))
    if items:
        parts.append(_table("### By consultation and kind", "| consultation | kind | new | flagged |",
                            summary, len(_summary_counts(items))))
    if others:
        parts.append(_table(f"### Not flagged ({len(others)})", "| id | kind | consultation |",
                            other_rows, len(others)))
    text = "\n".join(parts) + tail
    if len(text) > limit:  # only with a tiny limit or a huge supports list: never let GitHub refuse it
        text = text[: limit - 40].rsplit("\n", 1)[0] + "\n\n(description shortened)\n"
    return text


def _head(total: int, flagged: int) -> str:
    if not total:
        return "No new contribution in this batch.\n"
    counted = f"{total} new contribution(s) to moderate (status: pending)"
    if flagged:
        counted += f", {flagged} of them flagged"
    return (counted + ".\n\nSet `status: published`, or `status: rejected` with a `reason:` code from the "
            "moderation charter (or use `consult moderate`). Flags say why a moderator should look; "
            "they are never a decision.\n")


def _tail(supports: list[str], erased: int) -> str:
    lines = []
    if supports:
        shown, _ = _fit([f"`{path}`" for path in supports], 2_000)
        more = f" and {len(supports) - len(shown)} more" if len(shown) < len(supports) else ""
        lines.append("Support tallies updated: " + ", ".join(shown) + more + ".")
    if erased:
        lines.append(f"{erased} file(s) removed: their contributions were erased (`consult erase`).")
    return "\n" + "\n\n".join(lines) + "\n" if lines else ""


def _table(title: str, header: str, rows: list[str], total: int) -> str:
    separator = "|" + " --- |" * header.count(" |")
    lines = [title, "", header, separator, *rows]
    if len(rows) < total:
        lines += ["", f"… and {total - len(rows)} more (every file is in the changes of this pull request)."]
    return "\n".join(lines) + "\n"


def _fit(rows: list[str], budget: int) -> tuple[list[str], int]:
    """The leading rows that fit in `budget` characters (one newline each), and what is left."""
    kept = []
    for row in rows:
        if len(row) + 1 > budget:
            break
        kept.append(row)
        budget -= len(row) + 1
    return kept, budget


def _codes(flags: tuple[str, ...]) -> list[str]:
    return [code if CODE.match(code) else "unknown" for code in flags]


def _row(item: Item, with_flags: bool = False) -> str:
    cells = [item.id, item.kind, item.consultation] + ([", ".join(_codes(item.flags))] if with_flags else [])
    return "| " + " | ".join(cells) + " |"


def _legend_counts(flagged: list[Item]) -> Counter[str]:
    return Counter(code for item in flagged for code in _codes(item.flags))


def _legend_rows(flagged: list[Item], language: str) -> list[str]:
    counts = _legend_counts(flagged)
    return [f"| {code} | {describe(code, language)} | {counts[code]} |" for code in sorted(counts)]


def _summary_counts(items: list[Item]) -> Counter[tuple[str, str]]:
    return Counter((item.consultation, item.kind) for item in items)


def _summary_rows(items: list[Item]) -> list[str]:
    flagged = Counter((item.consultation, item.kind) for item in items if item.flags)
    return [f"| {consultation} | {kind} | {count} | {flagged[(consultation, kind)]} |"
            for (consultation, kind), count in sorted(_summary_counts(items).items())]


# --- git ------------------------------------------------------------------------------------------


class GitError(ConsultError):
    pass


def switch_branch(root: Path, branch: str) -> None:
    """Check out `branch` (a local one, or one a remote has: a second pull with the same name
    adds to it) or create it from HEAD."""
    _git(root, "check-ref-format", "--branch", branch)
    exists = _git_ok(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}") or bool(
        _git(root, "for-each-ref", "--format=%(refname)", f"refs/remotes/*/{branch}").strip())
    try:
        _git(root, "switch", *([] if exists else ["--create"]), branch)
    except GitError as exc:
        raise GitError(f"{exc}\nCommit or stash your changes first, or pull onto another --branch.") from None


def committed_files(root: Path, folder: str) -> set[str]:
    """The paths of HEAD under `folder` (none before the first commit)."""
    if not _git_ok(root, "rev-parse", "--verify", "--quiet", "HEAD"):
        return set()
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", folder)
    return {path for path in listing.split("\0") if path}


def commit(root: Path, paths: list[str], title: str, description: str) -> bool:
    """Commit exactly `paths` (new, changed or removed files), nothing else staged; False if none."""
    if not paths:
        return False
    listing = root / STATE_DIR / "pull-paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    _git(root, "add", f"--pathspec-from-file={listing}")
    identity: list[str] = []
    if not _git_ok(root, "config", "user.name"):
        identity = ["-c", "user.name=consult pull", "-c", "user.email=consult-pull@localhost"]
    _git(root, *identity, "commit", "--quiet", "-m", title, "-m", description, f"--pathspec-from-file={listing}")
    listing.unlink()
    return True


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _git_ok(root: Path, *args: str) -> bool:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True).returncode == 0

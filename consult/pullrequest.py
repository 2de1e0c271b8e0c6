"""The moderation branches of `consult pull --branch PREFIX`: git plumbing and the pull
requests' texts, each batch within what GitHub shows and accepts.

One branch per batch (`PREFIX/<time>-<n>`, made from the base HEAD, never moved by pull again
except to remove an erased file): at most BATCH_FILES files each, so GitHub shows every file of a
pull request (it shows 300), flagged items in the first batches. A fixed batch is a pull request a
moderator can finish and merge; a rolling branch would grow past any limit while it waits.

GitHub refuses a description or comment over 65,536 characters. Flagged contributions come
first, each with its flag codes, and a legend says what each flag means in the site's
language; then a summary by consultation and kind; then the other ids while they fit, and
"and N more". Only ids, kinds, consultations and flag codes: never a name, an e-mail or an
excerpt of what a citizen wrote (`render_pr_description` is pure).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from consult.errors import ConsultError
from consult.flags import describe
from consult.layout import STATE_DIR

BATCH_FILES = 250  # files in one pull request at most: GitHub's file view stops at 300
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


def review_refs(root: Path, prefix: str) -> dict[str, str]:
    """Branch name -> ref of every review branch under `prefix/` that this clone knows: local
    ones, and those of a remote (a local one wins: it may be ahead)."""
    listing = _git(root, "for-each-ref", "--format=%(refname)", "refs/heads/", "refs/remotes/")
    found: dict[str, str] = {}
    for ref in sorted(listing.split(), key=lambda ref: ref.startswith("refs/heads/")):
        name = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ref.split("/", 3)[-1]
        if name.startswith(prefix + "/"):
            found[name] = ref
    return found


def tree_files(root: Path, ref: str, folder: str) -> set[str]:
    """The paths under `folder` in `ref`'s tree."""
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", ref, "--", folder)
    return {path for path in listing.split("\0") if path}


def new_branch_name(root: Path, prefix: str, stamp: str, taken: set[str]) -> str:
    """`prefix/stamp-n` for the first n no branch (local, remote, or chosen this run) has."""
    n = 1
    while f"{prefix}/{stamp}-{n}" in taken or _git_ok(root, "rev-parse", "--verify", "--quiet",
                                                      f"refs/heads/{prefix}/{stamp}-{n}"):
        n += 1
    name = f"{prefix}/{stamp}-{n}"
    _git(root, "check-ref-format", "--branch", name)
    taken.add(name)
    return name


def commit_on(root: Path, parent: str, branch: str, added: list[str], removed: list[str], title: str,
              description: str) -> str:
    """A commit of `parent`'s tree with the working tree's `added` files and without `removed`,
    stored as `refs/heads/<branch>`, without touching HEAD, the index or the working tree (a
    temporary index). Returns the commit id."""
    index = root / ".consult" / "batch-index"
    env = dict(os.environ, GIT_INDEX_FILE=str(index))
    try:
        _git(root, "read-tree", parent, env=env)
        if added:
            _git(root, "update-index", "--add", "-z", "--stdin", env=env, stdin="\0".join(added) + "\0")
        if removed:
            _git(root, "update-index", "--force-remove", "-z", "--stdin", env=env, stdin="\0".join(removed) + "\0")
        tree = _git(root, "write-tree", env=env).strip()
    finally:
        index.unlink(missing_ok=True)
    identity: list[str] = []
    if not _git_ok(root, "config", "user.name"):
        identity = ["-c", "user.name=consult pull", "-c", "user.email=consult-pull@localhost"]
    made = _git(root, *identity, "commit-tree", tree, "-p", parent, "-m", title, "-m", description).strip()
    _git(root, "update-ref", f"refs/heads/{branch}", made)
    return made


def head_commit(root: Path) -> str:
    return _git(root, "rev-parse", "HEAD").strip()


def committed_files(root: Path, folder: str) -> set[str]:
    """The paths of HEAD under `folder` (none before the first commit)."""
    if not _git_ok(root, "rev-parse", "--verify", "--quiet", "HEAD"):
        return set()
    return tree_files(root, "HEAD", folder)


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


def _git(root: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, input=stdin)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _git_ok(root: Path, *args: str) -> bool:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True).returncode == 0

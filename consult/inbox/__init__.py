"""The inbox: durable storage of submissions between the form handler and `consult pull`.

`open_inbox(url)` picks a backend by URL (`sqlite:///path`, `postgresql://...`);
both implement the same `Inbox` interface (see `consult.inbox.sql`). A submission
is stored once (idempotency key), exported once (claim -> file -> mark exported),
and erased for good (tombstone). Personal data (email, voter HMAC) lives here only.
"""

from __future__ import annotations

from consult.inbox.base import AddOutcome, InboxError, Submission, redact
from consult.inbox.sql import Inbox


def open_inbox(url: str, root: "object | None" = None) -> "Inbox":
    """An inbox for `url`; a relative sqlite path is resolved against `root` (or the cwd)."""
    if url.startswith("sqlite:///"):
        from consult.inbox.sqlite import SqliteInbox

        return SqliteInbox.from_url(url, root)
    if url.startswith(("postgresql://", "postgres://")):
        from consult.inbox.postgres import PostgresInbox

        return PostgresInbox.from_url(url)
    raise InboxError(f"unknown inbox URL {redact(url, url)!r} (use sqlite:///path/inbox.sqlite3 or postgresql://...)")


__all__ = ["AddOutcome", "Inbox", "InboxError", "Submission", "open_inbox", "redact"]

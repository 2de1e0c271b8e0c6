"""The production inbox: PostgreSQL through psycopg 3.

Same statements as SQLite (see `consult.inbox.sql`); one connection per thread,
each call one transaction, committed before the handler answers. The URL's password
never appears in a message (`redact`).
"""

from __future__ import annotations

import os
import shlex
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from consult.inbox.base import InboxError, redact
from consult.inbox.sql import SCHEMA, Inbox

SCHEMA_LOCK = 0x636F6E73756C74  # "consult": the advisory lock key of schema creation

try:
    import psycopg
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None  # type: ignore[assignment]


class PostgresInbox(Inbox):
    def __init__(self, url: str, connect_timeout: int = 5):
        if psycopg is None:
            raise InboxError("a postgresql:// inbox needs psycopg: pip install 'consult-static[postgres]'")
        self.url = url
        self.errors = (psycopg.Error,)
        self.connect_timeout = connect_timeout
        self._idle: list[Any] = []
        self._all: list[Any] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self.create_schema()

    @classmethod
    def from_url(cls, url: str) -> "PostgresInbox":
        return cls(url.replace("postgres://", "postgresql://", 1))

    def create_schema(self) -> None:
        """The tables, created once however many replicas start together: PostgreSQL's
        CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin (a unique violation
        in its catalogue), so the creations are serialised by a transaction-level advisory lock."""
        with self._tx() as cur:
            self._run(cur, "SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            for statement in SCHEMA:
                self._run(cur, statement)

    def _sql(self, statement: str) -> str:
        return statement.replace("%", "%%").replace("?", "%s")

    def _acquire(self) -> Any:
        with self._lock:
            if self._pid != os.getpid():  # forked: never share a connection with the parent
                self._idle, self._all, self._pid = [], [], os.getpid()
            while self._idle:
                conn = self._idle.pop()
                if not (conn.closed or conn.broken):
                    return conn
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout)
        except psycopg.Error as exc:
            # psycopg may quote the whole URL, password included: only the redacted text goes on,
            # and not the original exception (a --debug traceback would print it).
            raise InboxError(redact(f"cannot reach the inbox {self.url_for_humans()}: {exc}", self.url)) from None
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def _tx_raw(self, relaxed: bool = False) -> Iterator[Any]:
        conn = self._acquire()
        try:
            with conn.transaction():
                with conn.cursor() as cur:
                    if relaxed:
                        cur.execute("SET LOCAL synchronous_commit = off")
                    yield cur
        except psycopg.OperationalError:
            conn.close()  # a broken link: a new connection next time
            raise
        finally:
            with self._lock:
                if not conn.closed and conn in self._all:
                    self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._idle.clear()

    # --- backups: PostgreSQL has its own tools, which also copy roles' rights and run remotely.
    def backup_to(self, target: Path) -> int:
        raise InboxError(
            "a PostgreSQL inbox is backed up with PostgreSQL's own tool: "
            f"pg_dump --format=custom --no-owner --file {shlex.quote(str(target))} \"$CONSULT_INBOX\" "
            "(docs/deployment.md, 'Backups')")

    def restore_from(self, source: Path, force: bool = False) -> int:
        raise InboxError(
            "a PostgreSQL inbox is restored with PostgreSQL's own tool: "
            f"pg_restore --clean --if-exists --no-owner --dbname \"$CONSULT_INBOX\" {shlex.quote(str(source))} "
            "(docs/deployment.md, 'Backups')")

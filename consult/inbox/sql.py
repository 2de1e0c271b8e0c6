"""The one inbox interface, written once in portable SQL for SQLite and PostgreSQL.

Backends supply a connection per thread, a transaction context and their error
type; every statement here runs unchanged on both (`?` placeholders are rewritten
for psycopg). Times are stored as ISO 8601 UTC text so both sort the same way.
"""

from __future__ import annotations

import json
from dataclasses import replace
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from consult.inbox import AddOutcome, InboxError, Submission

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS submissions (
        id TEXT PRIMARY KEY,
        idem_key TEXT NOT NULL UNIQUE,
        body_hash TEXT NOT NULL,
        consultation TEXT NOT NULL,
        kind TEXT NOT NULL,
        proposal TEXT,
        public TEXT NOT NULL,
        email TEXT,
        voter TEXT,
        received TEXT NOT NULL,
        quarantine TEXT,
        flags TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'new',
        claimed_by TEXT,
        claimed_at TEXT,
        exported_at TEXT
    )""",
    """CREATE UNIQUE INDEX IF NOT EXISTS one_support_per_voter
        ON submissions (consultation, proposal, voter)
        WHERE kind = 'support' AND quarantine IS NULL""",
    "CREATE INDEX IF NOT EXISTS submissions_state ON submissions (state, kind)",
    "CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, erased TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS hits (
        key TEXT NOT NULL, bucket TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, bucket))""",
    "CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires TEXT NOT NULL)",
)

COLUMNS = "id, consultation, kind, proposal, public, email, voter, received, idem_key, body_hash, quarantine, flags"


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("inbox times must be timezone-aware")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _row(row: tuple[Any, ...]) -> Submission:
    (id_, consultation, kind, proposal, public, email, voter, received, idem_key, body_hash, quarantine, flags) = row
    data = json.loads(public)
    return Submission(
        id=id_, consultation=consultation, kind=kind, proposal=proposal,
        title=data["title"], body=data["body"], author=data["author"], answers=data["answers"],
        received=datetime.fromisoformat(received), email=email or "", voter=voter or "",
        idem_key=idem_key, body_hash=body_hash, quarantine=quarantine or "", flags=flags or "",
    )


class Inbox:
    """Submissions in, claims out. Subclasses: SqliteInbox, PostgresInbox."""

    url: str = ""
    errors: tuple[type[BaseException], ...] = ()

    # --- backend hooks -------------------------------------------------
    def _tx_raw(self) -> Any:  # context manager yielding a DB-API cursor
        raise NotImplementedError

    def _sql(self, statement: str) -> str:
        return statement

    def close(self) -> None:
        raise NotImplementedError

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            with self._tx_raw() as cur:
                yield cur
        except self.errors as exc:
            raise InboxError(f"inbox {self.url_for_humans()} failed: {exc}".strip()) from exc

    def url_for_humans(self) -> str:
        return self.url.split("@")[-1] if "@" in self.url else self.url

    def _run(self, cur: Any, statement: str, params: tuple[Any, ...] = ()) -> Any:
        cur.execute(self._sql(statement), params)
        return cur

    def create_schema(self) -> None:
        with self._tx() as cur:
            for statement in SCHEMA:
                self._run(cur, statement)

    # --- handler side --------------------------------------------------
    def add(self, sub: Submission, rate: tuple[str, str, int, int] | None = None) -> tuple[AddOutcome, str]:
        """Store `sub` durably. Returns (outcome, id of the stored row).

        'duplicate': same idempotency key and same body, or a second support by the
        same voter (counted once); 'conflict': same key, different body. With
        `rate` = (key, bucket, soft, hard), the same transaction counts the hit:
        past `soft` the row is quarantined ('rate'), past `hard` it is 'limited', not stored.
        """
        received = sub.received
        if received is None:
            raise ValueError("a submission needs its received time")
        with self._tx() as cur:
            if rate is not None:
                count = self._hit(cur, rate[0], rate[1])
                if count > rate[3]:
                    return "limited", ""
                if count > rate[2] and not sub.quarantine:
                    sub = replace(sub, quarantine="rate", flags=sub.flags)
            self._run(cur, "SELECT 1 FROM tombstones WHERE id = ?", (sub.id,))
            if cur.fetchone():
                raise InboxError(f"id {sub.id} was erased and cannot be reused")
            self._run(
                cur,
                f"INSERT INTO submissions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (sub.id, sub.consultation, sub.kind, sub.proposal, sub.public_json(), sub.email or None,
                 sub.voter or None, iso(received), sub.idem_key, sub.body_hash, sub.quarantine or None, sub.flags),
            )
            if cur.rowcount == 1:
                return "created", sub.id
            self._run(cur, "SELECT id, body_hash FROM submissions WHERE idem_key = ?", (sub.idem_key,))
            found = cur.fetchone()
            if found:
                return ("duplicate" if found[1] == sub.body_hash else "conflict"), found[0]
            self._run(
                cur,
                "SELECT id FROM submissions WHERE kind = 'support' AND quarantine IS NULL"
                " AND consultation = ? AND proposal = ? AND voter = ?",
                (sub.consultation, sub.proposal, sub.voter),
            )
            found = cur.fetchone()
            if found:
                return "duplicate", found[0]
            raise InboxError(f"submission id collision on {sub.id}; retry")

    def hit(self, key: str, bucket: str) -> int:
        """Count one request for a rate-limit key in a time bucket; returns the new count."""
        with self._tx() as cur:
            return self._hit(cur, key, bucket)

    def _hit(self, cur: Any, key: str, bucket: str) -> int:
        self._run(
            cur,
            "INSERT INTO hits (key, bucket, count) VALUES (?, ?, 1)"
            " ON CONFLICT (key, bucket) DO UPDATE SET count = hits.count + 1",
            (key, bucket),
        )
        self._run(cur, "SELECT count FROM hits WHERE key = ? AND bucket = ?", (key, bucket))
        return int(cur.fetchone()[0])

    def use_nonce(self, nonce: str, expires: datetime) -> bool:
        """True the first time a nonce is seen (ALTCHA replay protection), False after."""
        with self._tx() as cur:
            self._run(cur, "INSERT INTO nonces (nonce, expires) VALUES (?, ?) ON CONFLICT DO NOTHING",
                      (nonce, iso(expires)))
            return bool(cur.rowcount == 1)

    # --- pull side -----------------------------------------------------
    # A row goes new -> claimed -> written (its file is in a checkout, not yet seen to have
    # reached the repository moderators review) -> confirming -> exported (a later pull found
    # the file in the checkout it started from). A written row whose file never arrived is
    # written again; a claimed or confirming row of a killed pull is claimed again.
    def claim(self, worker: str, now: datetime, lease: timedelta = timedelta(minutes=10)) -> int:
        """Claim every clean, non-support row not yet exported for `worker`; returns how many.

        New rows and written ones (delivered but unconfirmed) are claimed; rows claimed or
        being confirmed by the same worker (a pull that was killed) or whose lease ran out are
        taken again; rows of a live pull elsewhere are left alone.
        """
        with self._tx() as cur:
            self._run(
                cur,
                "UPDATE submissions SET state = 'claimed', claimed_by = ?, claimed_at = ?"
                " WHERE kind <> 'support' AND quarantine IS NULL"
                " AND (state IN ('new', 'written')"
                "      OR (state IN ('claimed', 'confirming') AND (claimed_by = ? OR claimed_at < ?)))"
                " AND id NOT IN (SELECT id FROM tombstones)",
                (worker, iso(now), worker, iso(now - lease)),
            )
            return int(cur.rowcount)

    def claimed(self, worker: str, after: str = "", limit: int = 1000) -> list[Submission]:
        """The rows claimed by `worker`, by id, `limit` at a time after id `after`."""
        with self._tx() as cur:
            self._run(
                cur,
                f"SELECT {COLUMNS} FROM submissions WHERE state = 'claimed' AND claimed_by = ? AND id > ?"
                " ORDER BY id LIMIT ?",
                (worker, after, limit),
            )
            return [_row(r) for r in cur.fetchall()]

    def confirming(self, worker: str, now: datetime) -> list[tuple[str, str]]:
        """Take every written row for `worker` to check, in one statement (a snapshot no other
        pull changes): their (id, consultation), by id. `confirm` settles them."""
        with self._tx() as cur:
            self._run(cur, "UPDATE submissions SET state = 'confirming', claimed_by = ?, claimed_at = ?"
                           " WHERE state = 'written'", (worker, iso(now)))
            self._run(cur, "SELECT id, consultation FROM submissions WHERE state = 'confirming' AND claimed_by = ?"
                           " ORDER BY id", (worker,))
            return [(str(id_), str(consultation)) for id_, consultation in cur.fetchall()]

    def confirm(self, worker: str, missing: list[str], now: datetime) -> int:
        """The rows `worker` took to check are exported (their files reached the repository),
        but for `missing` ones, written again. Returns how many were exported."""
        self._mark(missing, "written", " AND state = 'confirming' AND claimed_by = ?", (worker,), now)
        with self._tx() as cur:  # one statement for the usual case: (nearly) every file arrived
            self._run(cur, "UPDATE submissions SET state = 'exported', exported_at = ?"
                           " WHERE state = 'confirming' AND claimed_by = ?", (iso(now), worker))
            return int(cur.rowcount)

    def mark_written(self, ids: list[str], worker: str, now: datetime) -> int:
        """This worker's claimed rows whose files are now durable in its checkout: delivered,
        unconfirmed. They are claimed again until a pull finds their file where it starts."""
        return self._mark(ids, "written", " AND state = 'claimed' AND claimed_by = ?", (worker,), now)

    def mark_exported(self, ids: list[str], worker: str, now: datetime) -> int:
        """This worker's claimed rows whose file was already where the pull started: exported."""
        return self._mark(ids, "exported", " AND state = 'claimed' AND claimed_by = ?", (worker,), now)

    def _mark(self, ids: list[str], state: str, where: str, params: tuple[str, ...], now: datetime) -> int:
        done = 0
        with self._tx() as cur:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                self._run(
                    cur,
                    f"UPDATE submissions SET state = ?, exported_at = ? WHERE id IN ({marks}){where}",
                    (state, iso(now), *chunk, *params),
                )
                done += int(cur.rowcount)
        return done

    def tombstones(self) -> list[str]:
        """The ids of every erased submission, sorted: their files must leave every checkout."""
        with self._tx() as cur:
            self._run(cur, "SELECT id FROM tombstones ORDER BY id")
            return [str(id_) for (id_,) in cur.fetchall()]

    def support_tallies(self) -> dict[str, dict[str, int]]:
        """consultation -> proposal -> number of (clean) supports."""
        with self._tx() as cur:
            self._run(
                cur,
                "SELECT consultation, proposal, COUNT(*) FROM submissions"
                " WHERE kind = 'support' AND quarantine IS NULL AND proposal IS NOT NULL"
                " GROUP BY consultation, proposal",
            )
            tallies: dict[str, dict[str, int]] = {}
            for consultation, proposal, count in cur.fetchall():
                tallies.setdefault(consultation, {})[proposal] = int(count)
            return tallies

    # --- privacy -------------------------------------------------------
    def erase(self, id_: str, now: datetime) -> bool:
        """Delete the row and leave a tombstone; True when a row existed."""
        with self._tx() as cur:
            self._run(cur, "DELETE FROM submissions WHERE id = ?", (id_,))
            existed = cur.rowcount == 1
            self._run(cur, "INSERT INTO tombstones (id, erased) VALUES (?, ?) ON CONFLICT DO NOTHING", (id_, iso(now)))
            return bool(existed)

    def is_erased(self, id_: str) -> bool:
        with self._tx() as cur:
            self._run(cur, "SELECT 1 FROM tombstones WHERE id = ?", (id_,))
            return cur.fetchone() is not None

    def purge(self, now: datetime, quarantine_days: int = 30, retention_days: int = 365) -> dict[str, int]:
        """Drop quarantine past its TTL, old rate counters and nonces; forget emails past retention."""
        with self._tx() as cur:
            self._run(cur, "DELETE FROM submissions WHERE quarantine IS NOT NULL AND received < ?",
                      (iso(now - timedelta(days=quarantine_days)),))
            quarantined = int(cur.rowcount)
            self._run(cur, "UPDATE submissions SET email = NULL WHERE email IS NOT NULL AND received < ?",
                      (iso(now - timedelta(days=retention_days)),))
            emails = int(cur.rowcount)
            self._run(cur, "DELETE FROM hits WHERE bucket < ?", ((now - timedelta(days=2)).strftime("%Y%m%d%H%M"),))
            self._run(cur, "DELETE FROM nonces WHERE expires < ?", (iso(now),))
            return {"quarantine": quarantined, "emails": emails}

    # --- inspection (tests, bench, moderation) --------------------------
    def get(self, id_: str) -> Submission | None:
        with self._tx() as cur:
            self._run(cur, f"SELECT {COLUMNS} FROM submissions WHERE id = ?", (id_,))
            row = cur.fetchone()
            return _row(row) if row else None

    def all(self) -> list[Submission]:
        with self._tx() as cur:
            self._run(cur, f"SELECT {COLUMNS} FROM submissions ORDER BY id")
            return [_row(r) for r in cur.fetchall()]

    def counts(self) -> dict[str, int]:
        """state (or 'quarantined') -> number of rows."""
        with self._tx() as cur:
            self._run(
                cur,
                "SELECT CASE WHEN quarantine IS NOT NULL THEN 'quarantined' ELSE state END, COUNT(*)"
                " FROM submissions GROUP BY 1",
            )
            return {state: int(n) for state, n in cur.fetchall()}

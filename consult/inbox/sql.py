"""The one inbox interface, written once in portable SQL for SQLite and PostgreSQL.

Backends supply a connection per thread, a transaction context and their error
type; every statement here runs unchanged on both (`?` placeholders are rewritten
for psycopg). Times are stored as ISO 8601 UTC text so both sort the same way.
"""

from __future__ import annotations

import json
from dataclasses import replace
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from consult.flags import held_reason, parse_flags
from consult.inbox.base import AddOutcome, InboxError, Submission, redact
from consult.inbox.mail import MAIL_SCHEMA, MailStore, Message, Subscription

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
    # `claimed` pages through a pull's rows by id: without this index each page would sort every
    # row still claimed, and a pull of N rows would cost N^2 / BATCH row reads.
    "CREATE INDEX IF NOT EXISTS submissions_claimed ON submissions (state, claimed_by, id)",
    "CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, erased TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS hits (
        key TEXT NOT NULL, bucket TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, bucket))""",
    "CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires TEXT NOT NULL)",
    *MAIL_SCHEMA,  # subscriptions, notified, outbox (consult.inbox.mail)
)

# A verified support waits under this mark until its address's link is followed (consult.inbox.mail):
# held from the tallies and from pull, but no person's decision: `consult held` does not list it.
UNCONFIRMED = "unconfirmed"
EMPTY_PUBLIC = json.dumps({"title": "", "body": "", "author": "", "answers": {}}, sort_keys=True)
COLUMNS = "id, consultation, kind, proposal, public, email, voter, received, idem_key, body_hash, quarantine, flags"
CLAIMED = (f"SELECT {COLUMNS} FROM submissions WHERE state = 'claimed' AND claimed_by = ? AND id > ?"
           " ORDER BY id LIMIT ?")  # a page of `claimed`, read through the index submissions_claimed


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("inbox times must be timezone-aware")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _flagged(sub: Submission, code: str) -> Submission:
    """`sub` with one more flag, held if that flag holds it."""
    codes = parse_flags(sub.flags + "," + code)
    return replace(sub, flags=",".join(codes), quarantine=sub.quarantine or held_reason(sub.kind, codes))


def _row(row: tuple[Any, ...]) -> Submission:
    (id_, consultation, kind, proposal, public, email, voter, received, idem_key, body_hash, quarantine, flags) = row
    data = json.loads(public)
    return Submission(
        id=id_, consultation=consultation, kind=kind, proposal=proposal,
        title=data["title"], body=data["body"], author=data["author"], answers=data["answers"],
        received=datetime.fromisoformat(received), email=email or "", voter=voter or "",
        idem_key=idem_key, body_hash=body_hash, quarantine=quarantine or "", flags=flags or "",
        category=data.get("category", ""),
    )


class Inbox(MailStore):
    """Submissions in, claims out. Subclasses: SqliteInbox, PostgresInbox."""

    url: str = ""
    errors: tuple[type[BaseException], ...] = ()

    # --- backend hooks -------------------------------------------------
    def _tx_raw(self, relaxed: bool = False) -> Any:  # context manager yielding a DB-API cursor
        """`relaxed`: the commit survives the process being killed, not the machine losing power
        (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off): for the outbox's per-message
        marks only (consult.inbox.mail), never for a submission."""
        raise NotImplementedError

    def _sql(self, statement: str) -> str:
        return statement

    def close(self) -> None:
        raise NotImplementedError

    def _scrub(self) -> bool:
        """After a deletion: make the deleted bytes unreadable in the storage files too; False
        when that could not be finished now (a reader held on). SQLite overwrites them
        (secure_delete) and empties its WAL; PostgreSQL has nothing to do here (its own
        VACUUM reclaims dead rows)."""
        return True

    @contextmanager
    def _tx(self, relaxed: bool = False) -> Iterator[Any]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            with (self._tx_raw(relaxed) if relaxed else self._tx_raw()) as cur:  # a backend may not relax
                yield cur
        except self.errors as exc:
            raise InboxError(redact(f"inbox {self.url_for_humans()} failed: {exc}".strip(), self.url)) from exc

    def url_for_humans(self) -> str:
        """The inbox URL with its password (`user:pass@`, `password=`) replaced by '***'."""
        return redact(self.url, self.url)

    def _run(self, cur: Any, statement: str, params: tuple[Any, ...] = ()) -> Any:
        cur.execute(self._sql(statement), params)
        return cur

    def create_schema(self) -> None:
        with self._tx() as cur:
            for statement in SCHEMA:
                self._run(cur, statement)

    # --- handler side --------------------------------------------------
    def add(self, sub: Submission, rate: tuple[str, str, int, int] | None = None, *,
            also_keys: tuple[str, ...] = (), also_voters: tuple[str, ...] = (),
            subscriptions: tuple[Subscription, ...] = (), messages: tuple[Message, ...] = ()) -> tuple[AddOutcome, str]:
        """Store `sub` durably. Returns (outcome, id of the stored row).

        'duplicate': same idempotency key and same body, or a second support by the
        same voter (counted once); 'conflict': same key, different body. With
        `rate` = (key, bucket, soft, hard), the same transaction counts the hit:
        past `soft` the row is flagged 'rate' (a support is then held, see
        `consult.flags.held_reason`), past `hard` it is 'limited', not stored.
        `also_keys`: other idempotency keys that mean the same send (a retry in the previous
        time window); a row stored under one of them makes this one a duplicate.
        `also_voters`: the same voter's fingerprints under a previous secret; a support
        already counted under one of them makes this one a duplicate.
        `subscriptions` (the citizen's opt-ins) and `messages` (a confirmation link) are stored in
        the same transaction when the row is created, never for a duplicate.
        """
        received = sub.received
        if received is None:
            raise ValueError("a submission needs its received time")
        with self._tx() as cur:
            if rate is not None:
                count = self._hit(cur, rate[0], rate[1])
                if count > rate[3]:
                    return "limited", ""
                if count > rate[2]:
                    sub = _flagged(sub, "rate")
            self._run(cur, "SELECT 1 FROM tombstones WHERE id = ?", (sub.id,))
            if cur.fetchone():
                raise InboxError(f"id {sub.id} was erased and cannot be reused")
            for key in also_keys:
                self._run(cur, "SELECT id FROM submissions WHERE idem_key = ?", (key,))
                found = cur.fetchone()
                if found:
                    return "duplicate", str(found[0])
            for voter in also_voters if sub.kind == "support" and not sub.quarantine else ():
                found_id = self._counted_support(cur, sub.consultation, sub.proposal, voter)
                if found_id:
                    return "duplicate", found_id
            self._run(
                cur,
                f"INSERT INTO submissions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (sub.id, sub.consultation, sub.kind, sub.proposal, sub.public_json(), sub.email or None,
                 sub.voter or None, iso(received), sub.idem_key, sub.body_hash, sub.quarantine or None, sub.flags),
            )
            if cur.rowcount == 1:
                for subscription in subscriptions:
                    self._insert_subscription(cur, subscription, received)
                for message in messages:
                    self._insert_message(cur, message, received)
                return "created", sub.id
            self._run(cur, "SELECT id, body_hash FROM submissions WHERE idem_key = ?", (sub.idem_key,))
            found = cur.fetchone()
            if found:
                return ("duplicate" if found[1] == sub.body_hash else "conflict"), found[0]
            found = self._counted_support(cur, sub.consultation, sub.proposal, sub.voter)
            if found:
                return "duplicate", found
            raise InboxError(f"submission id collision on {sub.id}; retry")

    def _counted_support(self, cur: Any, consultation: str, proposal: str | None, voter: str) -> str:
        """The id of the support this voter already has counted for this proposal, or ''."""
        self._run(
            cur,
            "SELECT id FROM submissions WHERE kind = 'support' AND quarantine IS NULL"
            " AND consultation = ? AND proposal = ? AND voter = ?",
            (consultation, proposal, voter),
        )
        found = cur.fetchone()
        return str(found[0]) if found else ""

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
        """Claim every unexported, non-support row that is not held for `worker`; returns how many.

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
            self._run(cur, CLAIMED, (worker, after, limit))
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
        self.unconfirm(worker, missing, now)
        with self._tx() as cur:  # one statement for the usual case: (nearly) every file arrived
            self._run(cur, "UPDATE submissions SET state = 'exported', exported_at = ?"
                           " WHERE state = 'confirming' AND claimed_by = ?", (iso(now), worker))
            return int(cur.rowcount)

    def unconfirm(self, worker: str, ids: list[str], now: datetime) -> int:
        """Rows `worker` took to check whose file is not in the repository: written again
        (the first half of `confirm`, for a remote pull that sends the ids in several requests)."""
        return self._mark(ids, "written", " AND state = 'confirming' AND claimed_by = ?", (worker,), now)

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
        """consultation -> proposal -> number of counted (not held) supports."""
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

    def distinct_supporters(self, consultation: str, proposals: list[str]) -> int:
        """How many people support at least one of `proposals` (a proposal and the duplicates merged
        into it): one per voter fingerprint, the fingerprints staying here; a support anonymised
        after retention (no fingerprint left) counts as one person of its own."""
        if not proposals:
            return 0
        with self._tx() as cur:
            self._run(
                cur,
                "SELECT COUNT(DISTINCT voter), SUM(CASE WHEN voter IS NULL THEN 1 ELSE 0 END) FROM submissions"
                " WHERE kind = 'support' AND quarantine IS NULL AND consultation = ?"
                f" AND proposal IN ({', '.join('?' for _ in proposals)})",
                (consultation, *proposals),
            )
            distinct, anonymous = cur.fetchone()
            return int(distinct or 0) + int(anonymous or 0)

    # --- privacy -------------------------------------------------------
    def erase(self, id_: str, now: datetime, known: bool = False) -> bool:
        """Delete the row of `id_` and record a tombstone, so that no later add or pull brings
        it back; True when a row existed. Without a row, the tombstone is recorded only when
        `known` (the id exists elsewhere, e.g. its file in content/): a mistyped id leaves no
        trace. The storage files are scrubbed afterwards, so the deleted bytes are gone."""
        with self._tx() as cur:
            self._run(cur, "DELETE FROM submissions WHERE id = ?", (id_,))
            existed = cur.rowcount == 1
            self._erase_mail(cur, id_)
            if existed or known:
                self._run(cur, "INSERT INTO tombstones (id, erased) VALUES (?, ?) ON CONFLICT DO NOTHING",
                          (id_, iso(now)))
        if not self._scrub():
            raise InboxError(f"the inbox {self.url_for_humans()} is busy: the row is erased, but the database's "
                             "journal may still hold a copy; run the same command again in a moment")
        return bool(existed)

    def is_erased(self, id_: str) -> bool:
        with self._tx() as cur:
            self._run(cur, "SELECT 1 FROM tombstones WHERE id = ?", (id_,))
            return cur.fetchone() is not None

    def purge(self, now: datetime, retention_days: int, closes: Mapping[str, datetime | None]) -> dict[str, int]:
        """Forget what the privacy notice says the inbox forgets, then scrub the storage files.

        - A delivered row (exported: its file in the repository is the record from then on)
          is deleted `retention_days` after its delivery: text, name, answers, e-mail.
        - A counted support keeps its voter fingerprint while its consultation may still
          receive supports; `retention_days` after the consultation closes (`closes`: slug ->
          closing time, None when unknown: kept) the fingerprint, e-mail and idempotency key
          are forgotten and the row stays, so the tallies do not change. Supports of a
          consultation the site no longer has are forgotten `retention_days` after receipt.
        - Rate-limit counters after two days, nonces once expired.
        - E-mail (`consult.inbox.mail`): a subscription goes with its submission's row; follows and
          verified supports never confirmed once their link expired; follows of a consultation
          closed `retention_days` ago; messages done (sent, failed) `retention_days` ago.
        A row that was not delivered (new, claimed, quarantined or held) is never forgotten:
        nothing is purged before a person decided. Returns counts by what was forgotten, and
        'scrubbed' 0 when the storage files could not be scrubbed now (the next purge does it).
        """
        cutoff = now - timedelta(days=retention_days)
        with self._tx() as cur:
            self._run(cur, "DELETE FROM submissions WHERE state = 'exported' AND exported_at < ?", (iso(cutoff),))
            delivered = int(cur.rowcount)
            fingerprints = self._forget_voters(cur, cutoff, closes)
            self._purge_mail(cur, now, cutoff, closes)
            self._run(cur, "DELETE FROM hits WHERE bucket < ?", ((now - timedelta(days=2)).strftime("%Y%m%d%H%M"),))
            self._run(cur, "DELETE FROM nonces WHERE expires < ?", (iso(now),))
        return {"delivered": delivered, "fingerprints": fingerprints, "scrubbed": int(self._scrub())}

    def _forget_voters(self, cur: Any, cutoff: datetime, closes: Mapping[str, datetime | None]) -> int:
        """Anonymise the counted supports whose fingerprints are past retention (see `purge`)."""
        self._run(cur, "SELECT DISTINCT consultation FROM submissions"
                       " WHERE kind = 'support' AND quarantine IS NULL AND voter IS NOT NULL")
        forgotten = 0
        for (slug,) in cur.fetchall():
            if slug not in closes:
                received_before = cutoff  # no such consultation on the site: no more supports
            elif (closed := closes[slug]) is not None and closed <= cutoff:
                received_before = datetime.max.replace(tzinfo=timezone.utc)
            else:
                continue
            self._run(
                cur,
                "UPDATE submissions SET voter = NULL, email = NULL, idem_key = 'forgotten-' || id, public = ?"
                " WHERE kind = 'support' AND quarantine IS NULL AND voter IS NOT NULL"
                " AND consultation = ? AND received < ?",
                (EMPTY_PUBLIC, slug, iso(received_before)),
            )
            forgotten += int(cur.rowcount)
        return forgotten

    # --- held rows: the honeypot, suspect supports; a person decides ------
    def held(self) -> list[Submission]:
        """Every row held back from pull and from the support counts, by id, with its text."""
        with self._tx() as cur:
            self._run(cur, f"SELECT {COLUMNS} FROM submissions WHERE quarantine IS NOT NULL"
                           f" AND quarantine <> '{UNCONFIRMED}' ORDER BY id")
            return [_row(r) for r in cur.fetchall()]

    def held_count(self) -> int:
        with self._tx() as cur:
            self._run(cur, f"SELECT COUNT(*) FROM submissions WHERE quarantine IS NOT NULL AND quarantine <> '{UNCONFIRMED}'")
            return int(cur.fetchone()[0])

    def release(self, ids: list[str]) -> dict[str, str]:
        """Let held rows go: each is pulled (a support: counted) like any other, its flags kept.

        id -> 'released'; 'duplicate' for a support whose voter is already counted for that
        proposal (the held copy is removed: the support stays counted once); 'not-held';
        'unknown' (no such row).
        """
        outcomes: dict[str, str] = {}
        with self._tx() as cur:
            for id_ in ids:
                self._run(cur, "SELECT kind, consultation, proposal, voter, quarantine, flags FROM submissions"
                               " WHERE id = ?", (id_,))
                row = cur.fetchone()
                if row is None or row[4] is None:
                    outcomes[id_] = "unknown" if row is None else "not-held"
                    continue
                kind, consultation, proposal, voter, held, flags = row
                if kind == "support" and self._counted_support(cur, consultation, proposal, voter or ""):
                    self._run(cur, "DELETE FROM submissions WHERE id = ?", (id_,))
                    outcomes[id_] = "duplicate"
                    continue
                kept = ",".join(parse_flags(f"{flags or ''},{held}"))  # rows held before flags said why
                self._run(cur, "UPDATE submissions SET quarantine = NULL, flags = ? WHERE id = ?", (kept, id_))
                outcomes[id_] = "released"
        return outcomes

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
        """state (or 'held') -> number of rows."""
        with self._tx() as cur:
            self._run(
                cur,
                "SELECT CASE WHEN quarantine IS NOT NULL THEN 'held' ELSE state END, COUNT(*)"
                " FROM submissions GROUP BY 1",
            )
            return {state: int(n) for state, n in cur.fetchall()}

    # --- backups (`consult inbox backup` / `restore`) ---------------------------------
    def erasures(self) -> list[tuple[str, str]]:
        """(id, erased) of every erasure: a restore re-applies them, so an old backup never
        brings back what a person asked to erase."""
        with self._tx() as cur:
            self._run(cur, "SELECT id, erased FROM tombstones ORDER BY id")
            return [(str(id_), str(erased)) for id_, erased in cur.fetchall()]

    def reapply_tombstones(self, tombstones: list[tuple[str, str]]) -> int:
        """Delete the rows of `tombstones` and record them again; the number of rows deleted."""
        deleted = 0
        with self._tx() as cur:
            for id_, erased in tombstones:
                self._run(cur, "DELETE FROM submissions WHERE id = ?", (id_,))
                deleted += int(cur.rowcount)
                self._run(cur, "INSERT INTO tombstones (id, erased) VALUES (?, ?) ON CONFLICT DO NOTHING",
                          (id_, erased))
        if deleted:
            self._scrub()
        return deleted

    def backup_to(self, target: Path) -> int:
        """Write a consistent copy of the whole inbox to `target`; the number of submissions.
        Backends without an embedded copy say which tool does it."""
        raise InboxError(f"consult cannot back up the inbox {self.url_for_humans()} itself")

    def restore_from(self, source: Path, force: bool = False) -> int:
        """Replace the inbox's content with the backup `source`; the number of submissions."""
        raise InboxError(f"consult cannot restore the inbox {self.url_for_humans()} itself")

    # --- health (`/api/health`) ---------------------------------------------------------
    def ping(self) -> None:
        """One query in a transaction, as a submission would open: InboxError when the inbox
        cannot be reached or locked (database down, file gone, disk read-only)."""
        with self._tx() as cur:
            self._run(cur, "SELECT COUNT(*) FROM tombstones WHERE id = ''")
            cur.fetchone()

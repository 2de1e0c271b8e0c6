"""The inbox's side of e-mail: who asked to hear back, what they were told, what is still to send.

Three tables, created with the others (`consult.inbox.sql.SCHEMA`, CREATE ... IF NOT EXISTS:
an older inbox gains them when it is opened), the same statements on SQLite and PostgreSQL:

- `subscriptions`: one row per address and purpose (`contribution` — what became of a
  contribution —, `proposal` — the answer to a proposal —, `consultation` — its synthesis or
  results). `addr` is an HMAC of the address (the unsubscribe link names it, never the address);
  `confirmed` is NULL until a double opt-in link was followed (a follow of a consultation).
- `notified`: (subscription, event key) of every event already put in a message: each event is
  told once, whatever happens to the run that told it.
- `outbox`: one message per row, `pending -> sending -> sent`, or `failed` (a permanent refusal,
  or too many temporary ones), or `uncertain` (a run was killed while the server was reading the
  message: it is not sent again, so nobody gets it twice).

E-mail addresses live here only, like the submissions' ones; `erase` and `purge` remove them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from consult.flags import held_reason, parse_flags

MAIL_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS subscriptions (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        addr TEXT NOT NULL,
        purpose TEXT NOT NULL,
        consultation TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        submission TEXT,
        created TEXT NOT NULL,
        confirmed TEXT,
        bounced TEXT,
        UNIQUE (addr, purpose, consultation, target)
    )""",
    "CREATE INDEX IF NOT EXISTS subscriptions_submission ON subscriptions (submission)",
    "CREATE INDEX IF NOT EXISTS subscriptions_addr ON subscriptions (addr, id)",
    """CREATE TABLE IF NOT EXISTS notified (
        subscription TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (subscription, event))""",
    """CREATE TABLE IF NOT EXISTS outbox (
        id TEXT PRIMARY KEY,
        addr TEXT NOT NULL,
        email TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created TEXT NOT NULL,
        done TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, id)",
)

PURPOSES = ("contribution", "proposal", "consultation")
CONFIRM_DAYS = 7  # how long a confirmation link works; unconfirmed rows are forgotten after
MAX_ATTEMPTS = 5  # runs in which a temporary refusal is tried again before the message is failed


@dataclass(frozen=True)
class Subscription:
    """Someone who asked to hear back. `target`: the contribution id or proposal slug ('' for a
    consultation); `submission`: the submission that carried the opt-in (erased with it)."""

    id: str
    email: str
    addr: str
    purpose: str
    consultation: str
    target: str = ""
    submission: str = ""
    created: datetime | None = None
    confirmed: bool = True


@dataclass(frozen=True)
class Message:
    """A row of the outbox: `kind` 'digest' (events) or 'confirm' (a double opt-in link);
    `payload` is what the templates need, as JSON data."""

    id: str
    addr: str
    email: str
    kind: str
    payload: dict[str, Any]
    attempts: int = 0


def new_key(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(10)}"


def _iso(moment: datetime) -> str:
    from consult.inbox.sql import iso

    return iso(moment)


class MailStore:
    """Mixed into `consult.inbox.sql.Inbox`: uses its `_tx` and `_run`."""

    def _tx(self, relaxed: bool = False) -> Any:  # pragma: no cover - provided by Inbox
        raise NotImplementedError

    def _run(self, cur: Any, statement: str, params: tuple[Any, ...] = ()) -> Any:  # pragma: no cover
        raise NotImplementedError

    # --- the handler side ----------------------------------------------------------
    def _insert_subscription(self, cur: Any, sub: Subscription, now: datetime) -> bool:
        """Insert `sub` unless the same address already has this purpose and target; True when new."""
        self._run(
            cur,
            "INSERT INTO subscriptions (id, email, addr, purpose, consultation, target, submission, created, confirmed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (sub.id, sub.email, sub.addr, sub.purpose, sub.consultation, sub.target, sub.submission or None,
             _iso(sub.created or now), _iso(now) if sub.confirmed else None),
        )
        return bool(cur.rowcount == 1)

    def _insert_message(self, cur: Any, message: Message, now: datetime) -> None:
        self._run(
            cur,
            "INSERT INTO outbox (id, addr, email, kind, payload, created) VALUES (?, ?, ?, ?, ?, ?)",
            (message.id, message.addr, message.email, message.kind,
             json.dumps(message.payload, ensure_ascii=False, sort_keys=True), _iso(now)),
        )

    def follow(self, sub: Subscription, confirm: Message, now: datetime) -> str:
        """Record an unconfirmed follow and its confirmation message, in one transaction.
        'created'; 'again' (the same address already asked: a new link is sent while it is
        unconfirmed); 'confirmed' (nothing to do)."""
        with self._tx() as cur:
            if self._insert_subscription(cur, sub, now):
                self._insert_message(cur, confirm, now)
                return "created"
            self._run(cur, "SELECT id, confirmed FROM subscriptions WHERE addr = ? AND purpose = ?"
                           " AND consultation = ? AND target = ?",
                      (sub.addr, sub.purpose, sub.consultation, sub.target))
            found = cur.fetchone()
            if found is None or found[1] is not None:
                return "confirmed"
            payload = dict(confirm.payload, subscription=str(found[0]))
            self._insert_message(cur, Message(confirm.id, confirm.addr, confirm.email, confirm.kind, payload), now)
            return "again"

    def confirm_follow(self, subscription: str, now: datetime) -> bool:
        """Mark a follow confirmed; False when there is no such row (unsubscribed, purged)."""
        with self._tx() as cur:
            self._run(cur, "UPDATE subscriptions SET confirmed = COALESCE(confirmed, ?) WHERE id = ?",
                      (_iso(now), subscription))
            return bool(cur.rowcount == 1)

    def confirm_support(self, submission: str) -> str:
        """Count a support waiting for its address's confirmation: 'counted'; 'duplicate' (the
        address already has a counted support for this proposal: this copy is removed);
        'unknown' (no such waiting support: purged, erased or already counted)."""
        with self._tx() as cur:
            self._run(cur, "SELECT consultation, proposal, voter FROM submissions WHERE id = ?"
                           " AND kind = 'support' AND quarantine = 'unconfirmed'", (submission,))
            row = cur.fetchone()
            if row is None:
                self._run(cur, "SELECT 1 FROM submissions WHERE id = ? AND kind = 'support' AND quarantine IS NULL",
                          (submission,))
                return "counted" if cur.fetchone() else "unknown"
            self._run(cur, "SELECT id FROM submissions WHERE kind = 'support' AND quarantine IS NULL"
                           " AND consultation = ? AND proposal = ? AND voter = ?", row)
            if cur.fetchone():
                self._run(cur, "DELETE FROM submissions WHERE id = ?", (submission,))
                return "duplicate"
            self._run(cur, "SELECT flags FROM submissions WHERE id = ?", (submission,))
            flags = parse_flags(str(cur.fetchone()[0] or ""))
            # A support flagged when it was sent stays held for a person (consult held), confirmed or not.
            self._run(cur, "UPDATE submissions SET quarantine = ? WHERE id = ?",
                      (held_reason("support", flags) or None, submission))
            return "counted"

    def unsubscribe(self, addr: str) -> int:
        """Forget every subscription of the address `addr` and its messages not yet sent;
        the number of subscriptions removed."""
        with self._tx() as cur:
            self._run(cur, "DELETE FROM notified WHERE subscription IN (SELECT id FROM subscriptions WHERE addr = ?)",
                      (addr,))
            self._run(cur, "DELETE FROM subscriptions WHERE addr = ?", (addr,))
            removed = int(cur.rowcount)
            self._run(cur, "DELETE FROM outbox WHERE addr = ? AND state = 'pending'", (addr,))
        self._scrub_mail()
        return removed

    def _scrub_mail(self) -> None:
        scrub = getattr(self, "_scrub", None)
        if scrub is not None:
            scrub()

    # --- consult notify -----------------------------------------------------------------
    def subscriptions(self, batch: int = 2000) -> Iterator[Subscription]:
        """Every confirmed, not bounced subscription, in address order (an address's subscriptions
        together: one digest each), read `batch` at a time (memory stays flat however many)."""
        after = ("", "")
        while True:
            with self._tx() as cur:
                self._run(cur, "SELECT id, email, addr, purpose, consultation, target, submission, created"
                               " FROM subscriptions WHERE confirmed IS NOT NULL AND bounced IS NULL"
                               " AND (addr > ? OR (addr = ? AND id > ?)) ORDER BY addr, id LIMIT ?",
                          (after[0], after[0], after[1], batch))
                rows = cur.fetchall()
            for row in rows:
                yield Subscription(row[0], row[1], row[2], row[3], row[4], row[5], row[6] or "",
                                   datetime.fromisoformat(row[7]))
            if len(rows) < batch:
                return
            after = (rows[-1][2], rows[-1][0])

    def told(self, subscriptions: list[str]) -> set[tuple[str, str]]:
        """(subscription, event) already told, for these subscriptions."""
        found: set[tuple[str, str]] = set()
        with self._tx() as cur:
            for start in range(0, len(subscriptions), 500):
                chunk = subscriptions[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                self._run(cur, f"SELECT subscription, event FROM notified WHERE subscription IN ({marks})", tuple(chunk))
                found.update((str(s), str(e)) for s, e in cur.fetchall())
        return found

    def enqueue(self, messages: list[tuple[Message, list[tuple[str, str]]]], now: datetime) -> None:
        """Put digests in the outbox and record their events as told, in one transaction: a run
        killed here leaves either both or neither. A digest whose every event another run
        (at the same time) recorded first is not put in."""
        with self._tx() as cur:
            for message, events in messages:
                new = 0
                for subscription, event in events:
                    self._run(cur, "INSERT INTO notified (subscription, event) VALUES (?, ?) ON CONFLICT DO NOTHING",
                              (subscription, event))
                    new += int(cur.rowcount == 1)
                if new or not events:
                    self._insert_message(cur, message, now)

    def mark_interrupted(self) -> int:
        """Messages a killed run left `sending` (the server may have them): `uncertain`, never
        sent again. The number marked."""
        with self._tx() as cur:
            self._run(cur, "UPDATE outbox SET state = 'uncertain' WHERE state = 'sending'")
            return int(cur.rowcount)

    def pending(self, after: str = "", batch: int = 500) -> list[Message]:
        """The next `batch` messages to send, in id order after `after`."""
        with self._tx() as cur:
            self._run(cur, "SELECT id, addr, email, kind, payload, attempts FROM outbox"
                           " WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?", (after, batch))
            return [Message(r[0], r[1], r[2], r[3], json.loads(r[4]), int(r[5])) for r in cur.fetchall()]

    def take(self, id_: str, now: datetime) -> bool:
        """Mark a pending message `sending`; False when it is no longer pending (another run at
        the same time took it, or an unsubscribe removed it): then it must not be sent."""
        with self._tx(relaxed=True) as cur:
            self._run(cur, "UPDATE outbox SET state = 'sending', done = ? WHERE id = ? AND state = 'pending'",
                      (_iso(now), id_))
            return bool(cur.rowcount == 1)

    def mark_message(self, id_: str, state: str, now: datetime, error: str = "", attempt: bool = False) -> None:
        """Move a message to `state` ('sending', 'sent', 'pending' after a temporary refusal,
        'failed'); `attempt` counts one more try. A failed message bounces its address's
        subscriptions: nothing more is planned for it (no address is retried forever). A relaxed
        commit: it survives the process being killed (what lets a re-run send exactly the rest);
        a power cut may cost a message sent twice, never a submission."""
        with self._tx(relaxed=True) as cur:
            self._run(cur, "UPDATE outbox SET state = ?, error = ?, done = ?, attempts = attempts + ? WHERE id = ?",
                      (state, error or None, _iso(now), 1 if attempt else 0, id_))
            if state == "failed":
                self._run(cur, "UPDATE subscriptions SET bounced = ? WHERE addr IN"
                               " (SELECT addr FROM outbox WHERE id = ?)", (_iso(now), id_))

    def outbox_counts(self) -> dict[str, int]:
        with self._tx() as cur:
            self._run(cur, "SELECT state, COUNT(*) FROM outbox GROUP BY state")
            return {str(state): int(n) for state, n in cur.fetchall()}

    def failures(self) -> list[tuple[str, str]]:
        """(message id, error) of every failed message (errors have the address taken out)."""
        with self._tx() as cur:
            self._run(cur, "SELECT id, error FROM outbox WHERE state = 'failed' ORDER BY id")
            return [(str(i), str(e or "")) for i, e in cur.fetchall()]

    # --- privacy: called inside erase() and purge() of the Inbox -------------------------
    def _erase_mail(self, cur: Any, submission: str) -> None:
        """Forget the subscriptions an erased submission carried, and the messages not yet sent
        to their addresses."""
        self._run(cur, "SELECT addr FROM subscriptions WHERE submission = ?", (submission,))
        addrs = [str(a) for (a,) in cur.fetchall()]
        self._run(cur, "DELETE FROM notified WHERE subscription IN (SELECT id FROM subscriptions WHERE submission = ?)",
                  (submission,))
        self._run(cur, "DELETE FROM subscriptions WHERE submission = ?", (submission,))
        for addr in addrs:
            self._run(cur, "DELETE FROM outbox WHERE addr = ? AND state IN ('pending', 'failed')", (addr,))

    def _purge_mail(self, cur: Any, now: datetime, cutoff: datetime,
                    closes: Mapping[str, datetime | None]) -> int:
        """What the retention purge forgets of e-mail: subscriptions whose submission was purged
        (their address went with it), unconfirmed follows and supports whose link expired,
        follows of consultations closed `retention_days` ago, messages done before the cutoff
        (sent, failed, uncertain: their addresses). The number of subscriptions forgotten."""
        expired = _iso(now - timedelta(days=CONFIRM_DAYS))
        self._run(cur, "DELETE FROM submissions WHERE kind = 'support' AND quarantine = 'unconfirmed'"
                       " AND received < ?", (expired,))
        gone = ["submission IS NOT NULL AND submission NOT IN (SELECT id FROM submissions)",
                "confirmed IS NULL AND created < ?"]
        params: list[tuple[Any, ...]] = [(), (expired,)]
        for slug, closed in closes.items():
            if closed is not None and closed <= cutoff:
                gone.append("purpose = 'consultation' AND consultation = ?")
                params.append((slug,))
        forgotten = 0
        for where, values in zip(gone, params):
            self._run(cur, f"DELETE FROM notified WHERE subscription IN (SELECT id FROM subscriptions WHERE {where})",
                      values)
            self._run(cur, f"DELETE FROM subscriptions WHERE {where}", values)
            forgotten += int(cur.rowcount)
        self._run(cur, "DELETE FROM outbox WHERE state <> 'pending' AND done < ?", (_iso(cutoff),))
        self._run(cur, "DELETE FROM outbox WHERE state = 'pending' AND addr NOT IN (SELECT addr FROM subscriptions)"
                       " AND kind = 'digest'")
        self._run(cur, "DELETE FROM outbox WHERE state = 'pending' AND kind = 'confirm' AND created < ?", (expired,))
        return forgotten

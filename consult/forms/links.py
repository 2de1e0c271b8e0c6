"""Signed links sent by e-mail: confirm an address (double opt-in, verified supports) and
unsubscribe.

A link token is `purpose.value.expires.mac`: `value` is a subscription or submission id (confirm)
or an address's HMAC (unsubscribe) — never the address —, `expires` a Unix time (0: never; an
unsubscribe link works for good), `mac` an HMAC-SHA256 under CONSULT_SECRET (or the previous
secret during a rotation). The handler that checks it and `consult notify` that makes it share
the secret. Pure: the time is an argument.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

PURPOSES = ("confirm", "unsubscribe")
_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class Links:
    def __init__(self, secret: bytes, previous: bytes = b""):
        self.secret = secret
        self.previous = previous

    def _mac(self, key: bytes, *parts: str) -> str:
        return hmac.new(key, "\x1f".join(("link", *parts)).encode("utf-8"), hashlib.sha256).hexdigest()[:40]

    def address_key(self, email: str) -> str:
        """What stands for an address in the inbox's mail tables and in links: an HMAC of it, the
        same for every spelling of its domain (and for `Name@` and `name@`, which one mailbox
        usually receives)."""
        return self._mac(self.secret, "address", email.strip().lower())[:32]

    def make(self, purpose: str, value: str, now: datetime | None = None, days: int = 0) -> str:
        """A token for `purpose` and `value`, valid `days` days from `now` (0: for good)."""
        if purpose not in PURPOSES or not _VALUE.match(value):
            raise ValueError(f"cannot sign {purpose!r} {value!r}")
        expires = str(int((now + timedelta(days=days)).timestamp())) if days and now else "0"
        return f"{purpose}.{value}.{expires}.{self._mac(self.secret, purpose, value, expires)}"

    def check(self, token: str, purpose: str, now: datetime) -> tuple[str, str]:
        """(outcome, value): 'ok', 'expired' or 'forged' (anything not signed by our secrets for
        this purpose, a truncated link among them)."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != purpose or not _VALUE.match(parts[1]) or not parts[2].isdigit():
            return "forged", ""
        _, value, expires, mac = parts
        keys = (self.secret, self.previous) if self.previous else (self.secret,)
        if not any(hmac.compare_digest(mac, self._mac(key, purpose, value, expires)) for key in keys):
            return "forged", ""
        if expires != "0" and int(expires) < now.timestamp():
            return "expired", value
        return "ok", value

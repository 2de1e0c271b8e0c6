"""Abuse defences that keep no personal data: HMAC-signed time tokens, voter
fingerprints and rate-limit keys (HMACs, never addresses), and optional ALTCHA.

The secrets come from `consult.forms.secret`; tokens signed with the previous one
still verify during a rotation. Everything takes `now` as an argument: no clock is
read here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from consult.errors import ConsultError
from consult.kinds import BY_NAME, TOO_FAST_DEFAULT

TOKEN_OLD = timedelta(hours=24)
# How close two identical sends without a token must be to count as one (a double click, a
# browser's retry): seconds, not minutes, so that two people behind one address stay two.
RETRY_WINDOW_SECONDS = 10


class Guard:
    def __init__(self, secret: bytes, previous: bytes = b""):
        if len(secret) < 16:
            raise ConsultError("the handler secret is too short")
        self.secret = secret
        self.previous = previous  # during a rotation: what it signed still verifies

    def _mac(self, purpose: str, *parts: str, key: bytes | None = None) -> str:
        message = "\x1f".join((purpose, *parts)).encode("utf-8")
        return hmac.new(key or self.secret, message, hashlib.sha256).hexdigest()

    # --- time tokens -------------------------------------------------------
    def token(self, now: datetime, consultation: str, kind: str) -> str:
        """A time token for one page view of one form: `stamp.nonce.consultation.kind.mac`.
        Bound to its consultation and kind, so it is no use on another form."""
        stamp, nonce = str(int(now.timestamp())), secrets.token_hex(6)
        return f"{stamp}.{nonce}.{consultation}.{kind}.{self._mac('token', stamp, nonce, consultation, kind)[:32]}"

    def check_token(self, token: str, now: datetime, consultation: str, kind: str) -> str:
        """'ok', or the flag it earns on a form of `consultation` and `kind`: 'no-token',
        'bad-token' (forged, or signed by neither secret), 'foreign-token' (taken from
        another form), 'too-fast', 'old-token'."""
        if not token:
            return "no-token"
        parts = token.split(".")
        if len(parts) != 5 or not parts[0].isdigit():
            return "bad-token"
        stamp, nonce, its_consultation, its_kind, mac = parts
        keys = (self.secret, self.previous) if self.previous else (self.secret,)
        if not any(hmac.compare_digest(mac, self._mac("token", stamp, nonce, its_consultation, its_kind, key=key)[:32])
                   for key in keys):
            return "bad-token"
        if (its_consultation, its_kind) != (consultation, kind):
            return "foreign-token"
        issued = datetime.fromtimestamp(int(stamp), tz=timezone.utc)
        age = now - issued
        if age < (BY_NAME[kind].too_fast if kind in BY_NAME else TOO_FAST_DEFAULT):
            return "too-fast"
        if age > TOKEN_OLD:
            return "old-token"
        return "ok"

    # --- fingerprints --------------------------------------------------------
    def voter(self, address: str, consultation: str) -> str:
        """One support per connection, proposal and consultation: an HMAC of the client's network
        (`network`) and the consultation, never the address itself. The browser plays no part:
        changing one's User-Agent must not make a new voter. Per consultation, so that supports
        cannot be linked from one consultation to the next."""
        return self._mac("voter", network(address), consultation)[:40]

    def voter_before_rotation(self, address: str, consultation: str) -> str:
        """The same voter's fingerprint under the previous secret ('' outside a rotation), so that a
        support counted before the rotation still makes a second one a duplicate."""
        if not self.previous:
            return ""
        return self._mac("voter", network(address), consultation, key=self.previous)[:40]

    def rate_key(self, address: str, now: datetime) -> str:
        """An HMAC of the client's network under a key that changes every day (UTC)."""
        day_key = hmac.new(self.secret, b"rate\x1f" + now.strftime("%Y-%m-%d").encode(), hashlib.sha256).digest()
        return self._mac("address", network(address), key=day_key)[:32]

    def derived_keys(self, address: str, user_agent: str, canonical: str, token: str,
                     now: datetime) -> tuple[str, ...]:
        """Idempotency keys when the form carried none (JavaScript off): the key to store, then
        the earlier ones that mean the same send. A double click or a retry is one row; two
        people sending the same words from one connection are two rows.

        A page that carries a time token is one page view (each view gets its own token): the
        same page posted twice is one row, two views are two rows. A page without one (the
        static form, JavaScript off) is told apart by time: the same text from the same
        connection and browser within RETRY_WINDOW (up to twice that, across a window's edge)
        is one send.
        """
        def key(page: str) -> str:
            return "d-" + self._mac("idem", address, user_agent, canonical, page)[:40]

        if token:
            return (key("token:" + token),)
        window = int(now.timestamp()) // RETRY_WINDOW_SECONDS
        return key(f"time:{window}"), key(f"time:{window - 1}")

    def body_hash(self, canonical: str) -> str:
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def network(address: str) -> str:
    """What counts as one client: an IPv4 address, or an IPv6 /64 (one subscriber's network: a
    device picks any of its 2^64 addresses at will). Text that is no address stays as it is."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def canonical(fields: dict[str, list[str]]) -> str:
    """The fields that make a submission what it is, as one stable string."""
    ignored = {"token", "idempotency_key", "altcha", "website"}
    kept = {name: values for name, values in sorted(fields.items()) if name not in ignored}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def optional_altcha(secret: bytes) -> "Altcha | None":
    """ALTCHA's checker if its package is installed; the rules (forms.altcha) say whether it is used."""
    try:
        return Altcha(secret)
    except ConsultError:
        return None


class Altcha:
    """ALTCHA proof of work (the `altcha` package), each solution accepted once."""

    def __init__(self, secret: bytes, max_number: int = 50_000):
        try:
            import altcha  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on installed extras
            raise ConsultError("ALTCHA needs the altcha package: pip install 'consult-static[altcha]'") from exc
        self.key = hmac.new(secret, b"altcha", hashlib.sha256).hexdigest()
        self.max_number = max_number

    def challenge(self, now: datetime) -> dict[str, Any]:
        import altcha

        options = altcha.ChallengeOptionsV1(hmac_key=self.key, max_number=self.max_number,
                                            expires=now + timedelta(minutes=20))
        return dict(altcha.create_challenge_v1(options).to_dict())

    def verify(self, payload: str, now: datetime) -> tuple[bool, str]:
        """(valid and not expired at `now`, replay nonce). The caller records the nonce to refuse
        replays. Expiry is checked against `now`, the handler's clock, not the machine's."""
        import altcha

        if not payload:
            return False, ""
        try:
            ok, _error = altcha.verify_solution_v1(payload, self.key, check_expires=False)
            data = json.loads(base64.b64decode(payload))
            nonce = str(data.get("signature", ""))
            expires = altcha.extract_params_v1(data).get("expires", [""])[0]
            fresh = expires.isdigit() and now.timestamp() <= int(expires)
        except (ValueError, TypeError, AttributeError):
            return False, ""
        return bool(ok) and fresh and bool(nonce), nonce

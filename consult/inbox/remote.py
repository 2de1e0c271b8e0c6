"""The pull side of an inbox reached through the form handler's export (`consult pull --from URL`).

`RemoteInbox` is an `Inbox` whose pull-side methods (claim, claimed, confirming, confirm,
mark_written, mark_exported, tombstones, support tallies, distinct supporters, held count, purge)
are HTTPS calls to `/api/export…` with the bearer token CONSULT_PULL_TOKEN, so `consult.pull` runs
unchanged and the rows follow the same states as with a direct inbox (new -> claimed -> written -> exported). A
row travels as `row_json`: what a contribution file holds, never the e-mail address, the voter
fingerprint or the keys, which stay on the handler.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from consult.inbox import InboxError, Submission
from consult.inbox.sql import Inbox

TOKEN_ENV = "CONSULT_PULL_TOKEN"
URL_ENV = "CONSULT_PULL_URL"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
IDS_PER_REQUEST = 500  # ~12 KB of ids: far under the handler's body cap
TIMEOUT = 60  # seconds; a handler that does not answer fails the pull, which loses nothing


def row_json(sub: Submission) -> dict[str, Any]:
    """What `consult pull` needs of a row to write its file: no e-mail, voter, keys or hash."""
    assert sub.received is not None
    return {"id": sub.id, "consultation": sub.consultation, "kind": sub.kind, "proposal": sub.proposal,
            "title": sub.title, "body": sub.body, "author": sub.author, "answers": sub.answers,
            "received": sub.received.isoformat(), "flags": sub.flags, "category": sub.category}


def row_from_json(data: Any) -> Submission:
    """The inverse of `row_json`; InboxError on anything else (a handler of another version)."""
    try:
        received = datetime.fromisoformat(data["received"])
        answers = data["answers"]
        if not isinstance(answers, dict) or received.tzinfo is None:
            raise ValueError("answers must be a mapping, received an aware time")
        texts = {key: data[key] for key in ("id", "consultation", "kind", "title", "body", "author", "flags", "category")}
        if not all(isinstance(value, str) for value in texts.values()) or not isinstance(data["proposal"], (str, type(None))):
            raise ValueError("text fields must be strings")
        return Submission(proposal=data["proposal"], answers=answers, received=received, **texts)
    except (KeyError, TypeError, ValueError) as exc:
        raise InboxError(f"the handler sent a row consult cannot read ({exc}): are both the same version?") from exc


def check_pull_url(url: str) -> str:
    """`url` without a trailing slash, if it is https (or http to this machine); the token is
    never sent in clear over a network."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise InboxError(f"--from {url!r}: expected the handler's address, e.g. https://handler.example.org")
    if parts.username or parts.password:
        raise InboxError("--from: put no user or password in the URL; the token comes from CONSULT_PULL_TOKEN")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise InboxError(f"--from {url!r}: the export is reached over https only (plain http only on this machine): "
                         "the token and the citizens' texts must not cross a network in clear")
    return url.rstrip("/")


def _said(error: urllib.error.HTTPError) -> str:
    """The handler's own reason for a refusal (`{"error": ...}`, no personal data), or ''."""
    try:
        said = json.loads(error.read(4096)).get("error", "")
    except (OSError, ValueError, AttributeError):
        return ""
    return said if isinstance(said, str) else ""


class RemoteInbox(Inbox):
    """The handler at `url` (its site root: the export is at `url` + /api/export)."""

    def __init__(self, url: str, token: str, prefix: str = "/api"):
        self.base = check_pull_url(url) + prefix.rstrip("/") + "/export"
        self.url = url
        if not token:
            raise InboxError(f"{TOKEN_ENV} is not set: the handler's export needs its pull token")
        self._token = token

    @classmethod
    def from_env(cls, url: str, environ: Mapping[str, str] | None = None) -> "RemoteInbox":
        return cls(url, (os.environ if environ is None else environ).get(TOKEN_ENV, ""))

    def close(self) -> None:
        pass

    def _tx_raw(self, relaxed: bool = False) -> Any:
        raise InboxError(f"through {self.url} only the pull is possible; this command needs the inbox itself "
                         "(CONSULT_INBOX, on the handler's machine)")

    def _call(self, path: str, payload: dict[str, Any] | None = None, query: dict[str, Any] | None = None) -> Any:
        """One request (POST when `payload`), its JSON answer; InboxError saying what to do otherwise."""
        url = self.base + path + ("?" + urlencode(query) if query else "")
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET", headers={
            "Authorization": f"Bearer {self._token}", "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise InboxError(self._refusal(exc.code, _said(exc))) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InboxError(f"cannot reach the handler's export at {self.base}: {reason}") from None

    def _refusal(self, status: int, said: str = "") -> str:
        why = {401: f"the handler refused the token: {TOKEN_ENV} differs from the handler's",
               403: "the handler refused a request that did not come over https (behind a proxy: set "
                    "CONSULT_TRUST_PROXY on the handler and have the proxy send X-Forwarded-Proto)",
               404: f"the handler has no export here: is {TOKEN_ENV} set on the handler, and is it consult >= this version?",
               503: "the handler's inbox is unavailable right now; nothing was lost, run the pull again later"}
        other = f"{said or 'unexpected answer'}; nothing was marked exported"
        return f"{self.base}: HTTP {status}: " + why.get(status, other)

    def _ids(self, path: str, worker: str, key: str, ids: list[str]) -> int:
        done = 0
        for start in range(0, len(ids), IDS_PER_REQUEST):
            done += int(self._call(path, {"worker": worker, key: ids[start:start + IDS_PER_REQUEST]})["count"])
        return done

    # --- the pull side, as consult.inbox.sql.Inbox documents it ----------------------
    def claim(self, worker: str, now: datetime, lease: timedelta = timedelta(minutes=10)) -> int:
        return int(self._call("/claim", {"worker": worker})["count"])

    def claimed(self, worker: str, after: str = "", limit: int = 1000) -> list[Submission]:
        answer = self._call("", query={"worker": worker, "after": after, "limit": limit})
        return [row_from_json(row) for row in answer["rows"]]

    def confirming(self, worker: str, now: datetime) -> list[tuple[str, str]]:
        return [(str(id_), str(slug)) for id_, slug in self._call("/confirming", {"worker": worker})["rows"]]

    def confirm(self, worker: str, missing: list[str], now: datetime) -> int:
        self._ids("/ack", worker, "missing", missing)
        return int(self._call("/confirm", {"worker": worker})["count"])

    def mark_written(self, ids: list[str], worker: str, now: datetime) -> int:
        return self._ids("/ack", worker, "written", ids)

    def mark_exported(self, ids: list[str], worker: str, now: datetime) -> int:
        return self._ids("/ack", worker, "exported", ids)

    def tombstones(self) -> list[str]:
        return [str(id_) for id_ in self._call("/state")["tombstones"]]

    def support_tallies(self) -> dict[str, dict[str, int]]:
        tallies = self._call("/state")["supports"]
        return {str(slug): {str(p): int(n) for p, n in counts.items()} for slug, counts in tallies.items()}

    def distinct_supporters(self, consultation: str, proposals: list[str]) -> int:
        """Counted on the handler, where the voter fingerprints stay: only the number travels."""
        if not proposals:
            return 0
        query = {"consultation": consultation, "proposals": ",".join(proposals)}
        return int(self._call("/supporters", query=query)["count"])

    def held_count(self) -> int:
        return int(self._call("/state")["held"])

    def purge(self, now: datetime, retention_days: int, closes: Mapping[str, datetime | None]) -> dict[str, int]:
        dates = {slug: moment.isoformat() if moment else None for slug, moment in closes.items()}
        answer = self._call("/purge", {"retention_days": retention_days, "closes": dates})
        return {str(key): int(value) for key, value in answer.items()}

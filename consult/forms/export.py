"""`{prefix}/export…`: the inbox's pull side for `consult pull --from URL` (`inbox.remote`), sans-IO.

Off unless CONSULT_PULL_TOKEN is set on the handler (404). Each request must come over https
(plain http only from this machine, directly: see `is_secure`) and carry `Authorization: Bearer
<token>`, compared in constant time. The routes are the pull-side methods of `Inbox`, so a
remote pull moves rows through the same states as a direct one (new -> claimed -> written ->
exported, only once a later pull finds the files in the repository):

    POST /export/claim       {worker}                       -> {count}   rows claimed
    GET  /export?worker=&after=&limit=                      -> {rows}    one page of claimed rows
    POST /export/ack         {worker, written|exported|missing: [ids]} -> {count}
    POST /export/confirming  {worker}                       -> {rows: [[id, consultation]]}
    POST /export/confirm     {worker}                       -> {count}   confirmed: exported
    GET  /export/state                                      -> {tombstones, supports, held}
    GET  /export/supporters?consultation=&proposals=a,b     -> {count}   people supporting any of them
    POST /export/purge       {retention_days, closes}       -> what was forgotten

A row leaves without its e-mail address, voter fingerprint or keys (`inbox.remote.row_json`);
`supporters` counts distinct fingerprints here (a kept proposal and its merged duplicates, as the
pull read them from content/) and sends only the number.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from consult.forms.proxy import NETLIFY_HEADER
from consult.inbox import Inbox, InboxError
from consult.inbox.remote import row_json

if TYPE_CHECKING:
    from consult.forms.core import Request

log = logging.getLogger("consult.forms")

ID = re.compile(r"^[0-9]{8}-[a-z0-9]{8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
WORKER = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,199}$")  # printable ASCII, as pull makes it (host:path)
METHODS = {"": "GET", "/claim": "POST", "/ack": "POST", "/confirming": "POST", "/confirm": "POST",
           "/state": "GET", "/supporters": "GET", "/purge": "POST"}
ACKS = ("written", "exported", "missing")
# Headers a proxy adds: a request carrying one came through a proxy, even from 127.0.0.1.
FORWARDING = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", NETLIFY_HEADER)
PAGE = 500  # rows per page at most (the client asks for more: pull's loop reads pages until one is empty)
MAX_IDS = 5000
MAX_GROUP = 200  # proposals in one merged group a `supporters` request may name


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any
    headers: tuple[tuple[str, str], ...] = ()


class Refused(Exception):
    """A request the export does not understand: 400 with this message."""


def is_secure(request: "Request") -> bool:
    """True over https (the connection's, or the trusted proxy's X-Forwarded-Proto, already in
    `request.scheme`), or over plain http straight from this machine: a loopback address and
    no proxy header, since a proxy on this machine would make every client look local."""
    if request.scheme == "https":
        return True
    if any(request.header(name) for name in FORWARDING):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr).is_loopback
    except ValueError:
        return False


def authorized(header: str, token: bytes) -> bool:
    """`Authorization: Bearer <token>`, the token compared in constant time."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"), token)


def answer_export(request: "Request", inbox: Inbox, token: bytes, path: str, page: int = PAGE) -> Answer:
    """The answer to one request for `{prefix}/export` + `path`; see the module docstring."""
    method = METHODS.get(path)
    if not token or method is None:
        return Answer(404, {"error": "not found"})
    if request.method != method:
        return Answer(405, {"error": f"use {method}"}, (("Allow", method),))
    if not is_secure(request):
        return Answer(403, {"error": "the export is served over https only (plain http only from this machine)"})
    if not authorized(request.header("authorization"), token):
        return Answer(401, {"error": "a valid bearer token is required"}, (("WWW-Authenticate", 'Bearer realm="consult export"'),))
    try:
        return Answer(200, _run(path, _arguments(request), inbox, request.now, page))
    except Refused as exc:
        return Answer(400, {"error": str(exc)})
    except InboxError as exc:
        log.error("export: inbox unavailable: %s", exc)
        return Answer(503, {"error": "inbox unavailable"})


def _arguments(request: "Request") -> dict[str, Any]:
    if request.method == "GET":
        return {key: values[-1] for key, values in parse_qs(request.query).items()}
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise Refused(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Refused("the body must be a JSON object")
    return data


def _run(path: str, args: dict[str, Any], inbox: Inbox, now: datetime, page: int) -> dict[str, Any]:
    if path == "/state":
        return {"tombstones": inbox.tombstones(), "supports": inbox.support_tallies(), "held": inbox.held_count()}
    if path == "/supporters":
        return {"count": inbox.distinct_supporters(*_group(args))}
    if path == "/purge":
        return inbox.purge(now, _retention(args.get("retention_days")), _closes(args.get("closes")))
    worker = _worker(args.get("worker"))
    if path == "":
        after = str(args.get("after", ""))
        if after and not ID.match(after):
            raise Refused("after: not a submission id")
        return {"rows": [row_json(sub) for sub in inbox.claimed(worker, after, min(page, _limit(args.get("limit"))))]}
    if path == "/claim":
        return {"count": inbox.claim(worker, now)}
    if path == "/confirming":
        return {"rows": [list(pair) for pair in inbox.confirming(worker, now)]}
    if path == "/confirm":
        return {"count": inbox.confirm(worker, [], now)}
    return {"count": _ack(inbox, worker, args, now)}


def _ack(inbox: Inbox, worker: str, args: dict[str, Any], now: datetime) -> int:
    """written: files durable in the pull's checkout; exported: files already in the repository;
    missing: rows taken to confirm whose files are not there (written again)."""
    given = [key for key in ACKS if key in args]
    if len(given) != 1:
        raise Refused("ack: give exactly one of " + ", ".join(ACKS))
    ids = args[given[0]]
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(isinstance(i, str) and ID.match(i) for i in ids):
        raise Refused(f"{given[0]}: a list of at most {MAX_IDS} submission ids")
    if given[0] == "missing":
        return inbox.unconfirm(worker, ids, now)
    mark = inbox.mark_written if given[0] == "written" else inbox.mark_exported
    return mark(ids, worker, now)


def _group(args: dict[str, Any]) -> tuple[str, list[str]]:
    """The consultation and the comma-separated proposal slugs of a `supporters` request."""
    consultation, proposals = str(args.get("consultation", "")), str(args.get("proposals", "")).split(",")
    if not SLUG.match(consultation):
        raise Refused("consultation: a consultation slug")
    if len(proposals) > MAX_GROUP or not all(SLUG.match(slug) for slug in proposals):
        raise Refused(f"proposals: 1 to {MAX_GROUP} proposal slugs, separated by commas")
    return consultation, proposals


def _worker(value: Any) -> str:
    if not isinstance(value, str) or not WORKER.match(value):
        raise Refused("worker: 1 to 200 printable ASCII characters")
    return value


def _limit(value: Any) -> int:
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise Refused("limit: a whole number") from None
    if limit < 1:
        raise Refused("limit: at least 1")
    return limit


def _retention(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 36500:
        raise Refused("retention_days: a whole number of days")
    return value


def _closes(value: Any) -> dict[str, datetime | None]:
    if not isinstance(value, dict):
        raise Refused("closes: a mapping of consultation slugs to closing times")
    closes: dict[str, datetime | None] = {}
    for slug, moment in value.items():
        if not SLUG.match(str(slug)):
            raise Refused(f"closes: {slug!r} is not a consultation slug")
        try:
            closes[slug] = datetime.fromisoformat(moment) if moment is not None else None
        except (TypeError, ValueError):
            raise Refused(f"closes: {slug}: not an ISO 8601 time") from None
        found = closes[slug]
        if found is not None and found.tzinfo is None:
            raise Refused(f"closes: {slug}: the time needs its UTC offset")
    return closes

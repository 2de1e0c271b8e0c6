"""AWS-Lambda-style adapter: function URL / API Gateway HTTP API (payload v2) events.

`handler(event, context)` builds its app once from CONSULT_RULES, CONSULT_INBOX
(a postgresql:// URL: Lambda disks are not durable), CONSULT_SECRET (required, 32
characters or more; CONSULT_SECRET_PREVIOUS during a rotation) and CONSULT_TRUST_PROXY. When the
inbox cannot be reached at a cold start, the event is still answered (a 503 that
re-displays the form with the text kept) and the next event tries again.
"""

from __future__ import annotations

import base64
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from consult.forms.core import Context, Request, Response, handle
from consult.forms.intake import MAX_BODY_BYTES
from consult.inbox import Inbox, InboxError, open_inbox

log = logging.getLogger("consult.forms")
from consult.forms.proxy import TRUST_ENV, ProxyTrust
from consult.forms.secret import secrets_from_env

_CONTEXT: Context | None = None
_TRUST = ProxyTrust()


def request_from_event(event: dict[str, Any], now: datetime | None = None,
                       trust: ProxyTrust = ProxyTrust()) -> Request | Response:
    http = (event.get("requestContext") or {}).get("http") or {}
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:
            return Response(413, (("Content-Type", "text/plain; charset=utf-8"),), b"Request body too large\n")
        body = base64.b64decode(raw)
    else:
        body = raw.encode("utf-8")
    return Request(
        method=str(http.get("method", "GET")).upper(), path=str(event.get("rawPath") or http.get("path") or "/"),
        headers=headers, body=body, remote_addr=trust.address(str(http.get("sourceIp", "")), headers),
        now=now or datetime.now(timezone.utc), host=headers.get("host", ""), scheme="https",
        query=str(event.get("rawQueryString") or ""),
    )


def response_to_result(response: Response) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "headers": dict(response.headers),
        "body": response.body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def handle_event(event: dict[str, Any], ctx: Context, now: datetime | None = None,
                 trust: ProxyTrust = ProxyTrust()) -> dict[str, Any]:
    request = request_from_event(event, now, trust)
    if isinstance(request, Response):
        return response_to_result(request)
    return response_to_result(handle(request, ctx))


class Unreachable(Inbox):
    """Stands for an inbox that could not be opened: every use fails as the inbox itself would
    (InboxError), so the handler answers 503 and gives the citizen's text back."""

    def __init__(self, url: str, problem: str):
        self.url, self.problem = url, problem

    def _tx_raw(self, relaxed: bool = False) -> Any:
        raise InboxError(self.problem)

    def close(self) -> None:
        pass


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    global _CONTEXT, _TRUST
    if _CONTEXT is not None:
        return handle_event(event, _CONTEXT, trust=_TRUST)
    from consult.forms.wsgi import make_app

    root, url = Path(os.environ.get("CONSULT_ROOT", "/tmp")), os.environ["CONSULT_INBOX"]
    secret = secrets_from_env()  # refuses to start without one, before anything else
    try:
        inbox: Inbox = open_inbox(url, root)
    except InboxError as exc:  # its message names the host, never the password
        log.error("inbox unavailable at start, answering 503 until it is back: %s", exc)
        inbox = Unreachable(url, str(exc))
    app = make_app(os.environ["CONSULT_RULES"], inbox, secret, root=root, trust_proxy=os.environ.get(TRUST_ENV, ""))
    if not isinstance(inbox, Unreachable):  # else the next event starts again
        _CONTEXT, _TRUST = app.ctx, app.trust
    return handle_event(event, app.ctx, trust=app.trust)

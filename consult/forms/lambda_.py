"""AWS-Lambda-style adapter: function URL / API Gateway HTTP API (payload v2) events.

`handler(event, context)` builds its app once from CONSULT_RULES, CONSULT_INBOX
(a postgresql:// URL: Lambda disks are not durable), CONSULT_SECRET (required, 32
characters or more; CONSULT_SECRET_PREVIOUS during a rotation) and CONSULT_TRUST_PROXY.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from consult.forms.core import Context, Request, Response, handle
from consult.forms.intake import MAX_BODY_BYTES
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


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    global _CONTEXT, _TRUST
    if _CONTEXT is None:
        from consult.forms.wsgi import make_app

        app = make_app(os.environ["CONSULT_RULES"], os.environ["CONSULT_INBOX"], secrets_from_env(),
                       root=Path(os.environ.get("CONSULT_ROOT", "/tmp")), trust_proxy=os.environ.get(TRUST_ENV, ""))
        _CONTEXT, _TRUST = app.ctx, app.trust
    return handle_event(event, _CONTEXT, trust=_TRUST)

"""WSGI adapter: environ -> `core.Request` -> `core.handle` -> start_response.

`make_app(rules_path, inbox_url)` is what `consult serve` mounts at /api/ and what
`consult handler` runs; behind gunicorn or waitress use `consult.forms.wsgi:app`
(configured by CONSULT_RULES, CONSULT_INBOX, CONSULT_SECRET: it refuses to start without
the secret). Rules are re-read
when the file changes, so a rebuild is picked up without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from consult.forms.core import Context, Request, Response, handle
from consult.forms.guard import Guard, optional_altcha
from consult.forms.secret import Secrets, secrets_from_env
from consult.forms.intake import MAX_BODY_BYTES
from consult.forms.pages import Pages
from consult.forms.proxy import TRUST_ENV, ProxyTrust, parse_trust
from consult.forms.rules import Rules, load_rules
from consult.inbox import Inbox, open_inbox

log = logging.getLogger("consult.forms")
StartResponse = Callable[..., Any]


class RulesFile:
    """`consult-rules.json`, re-parsed only when its size or mtime changes."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._rules: Rules | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Rules:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if self._rules is None or stamp != self._stamp:
                self._rules = load_rules(self.path)
                self._stamp = stamp
            return self._rules


class FormsApp:
    def __init__(self, ctx: Context, trust: ProxyTrust = ProxyTrust(), clock: Callable[[], datetime] | None = None):
        self.ctx = ctx
        self.trust = trust
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = self.respond(environ)
        reason = _REASONS.get(response.status, "")
        start_response(f"{response.status} {reason}", list(response.headers) + [
            ("Content-Length", str(len(response.body)))])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

    def respond(self, environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        body = b""
        if method == "POST":
            raw_length = environ.get("CONTENT_LENGTH") or ""
            if not raw_length.isdigit():
                return Response(411, (("Content-Type", "text/plain; charset=utf-8"),), b"Content-Length required\n")
            length = int(raw_length)
            if length > MAX_BODY_BYTES:
                return Response(413, (("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")),
                                b"Request body too large\n")
            body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        request = Request(
            method=method, path=path, headers=headers, body=body, remote_addr=self._address(environ, headers),
            now=self.clock(), host=headers.get("host", ""), scheme=environ.get("wsgi.url_scheme", "http"),
            query=str(environ.get("QUERY_STRING", "")),
        )
        return handle(request, self.ctx)

    def _address(self, environ: dict[str, Any], headers: dict[str, str]) -> str:
        return self.trust.address(str(environ.get("REMOTE_ADDR", "")), headers)


_REASONS = {200: "OK", 303: "See Other", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
            415: "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


def make_app(rules_path: Path | str, inbox_url: str | Inbox, secret: Secrets | bytes, *,
             root: Path | None = None, prefix: str = "/api", trust_proxy: str = "",
             clock: Callable[[], datetime] | None = None, rate_soft: int = 30, rate_hard: int = 300) -> FormsApp:
    """The WSGI app of the form handler. `root` holds the site's own templates (and a relative
    sqlite inbox); `secret` comes from `secret.secrets_from_env` (or `load_secret` for serve)."""
    trust = parse_trust(trust_proxy)  # a setting it cannot follow stops it here, not at the first request
    root = Path(root or Path.cwd())
    secrets = secret if isinstance(secret, Secrets) else Secrets(secret)
    inbox = open_inbox(inbox_url, root) if isinstance(inbox_url, str) else inbox_url
    rules = RulesFile(Path(rules_path))
    ctx = Context(rules=rules, inbox=inbox, guard=Guard(secrets.current, secrets.previous), pages=Pages(Rules(), root),
                  altcha=optional_altcha(secrets.current), prefix=prefix.rstrip("/"),
                  rate_soft=rate_soft, rate_hard=rate_hard)
    return FormsApp(ctx, trust=trust, clock=clock)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # wsgiref logs the client address; personal data stays out of logs.
        log.info("%s", format % args)

    def address_string(self) -> str:
        return "-"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256


def run_handler(root: Path, host: str = "127.0.0.1", port: int = 8001, rules: Path | None = None,
                inbox: str | None = None, trust_proxy: str = "") -> None:
    """`consult handler`: the form handler alone on a threaded wsgiref server (for production
    use gunicorn 'consult.forms.wsgi:app' or waitress-serve --call 'consult.forms.wsgi:app_from_env')."""
    from consult.config import require_config

    secrets = secrets_from_env()  # before anything else: no handler without its secret
    config = require_config(root) if inbox is None else None
    app = make_app(rules or root / "_site" / "consult-rules.json", inbox or config.inbox,  # type: ignore[union-attr]
                   secrets, root=root, trust_proxy=trust_proxy)
    server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    print(f"consult handler on http://{host}:{port}/api/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.ctx.inbox.close()


def app_from_env() -> FormsApp:
    """For gunicorn / waitress: CONSULT_ROOT, CONSULT_RULES, CONSULT_INBOX, CONSULT_SECRET (required;
    CONSULT_SECRET_PREVIOUS during a rotation), CONSULT_TRUST_PROXY."""
    root = Path(os.environ.get("CONSULT_ROOT", "."))
    return make_app(os.environ.get("CONSULT_RULES", str(root / "_site" / "consult-rules.json")),
                    os.environ.get("CONSULT_INBOX", "sqlite:///.consult/inbox.sqlite3"), secrets_from_env(), root=root,
                    trust_proxy=os.environ.get(TRUST_ENV, ""))


def __getattr__(name: str) -> Any:
    if name == "app":  # `gunicorn consult.forms.wsgi:app` builds it from the environment on first use
        return app_from_env()
    raise AttributeError(name)

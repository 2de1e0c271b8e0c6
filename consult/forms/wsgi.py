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
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from consult.forms.core import Context, Request, Response, handle
from consult.forms.guard import Guard, optional_altcha
from consult.forms.secret import PULL_TOKEN_ENV, Secrets, pull_token_from_env, secrets_from_env
from consult.forms.intake import MAX_BODY_BYTES
from consult.forms.pages import Pages
from consult.errors import ConsultError
from consult.forms.proxy import TRUST_ENV, ProxyTrust, parse_trust
from consult.forms.rules import Rules, parse_rules
from consult.inbox import Inbox, open_inbox
from consult.layout import DEFAULT_INBOX

log = logging.getLogger("consult.forms")
StartResponse = Callable[..., Any]


class RulesFile:
    """`consult-rules.json`, read again only when it changes (inode, size or mtime).

    While the file is missing, half-written or unreadable (a deploy replacing it in place), the
    last good rules keep serving, so no citizen's submission fails for it; one warning is logged
    per bad version (the path and the reason only). Read once when made, so a handler started
    with a good file has rules to fall back on; without any good rules yet, it tries again for
    a moment (a writer finishing), then raises: the handler cannot know the site."""

    RETRIES = (0.05, 0.1, 0.2)  # seconds, while there are no good rules to fall back on

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._rules: Rules | None = None
        self._warned: object = None  # the bad version last warned about
        self._lock = threading.Lock()
        with self._lock:
            self._read()

    def __call__(self) -> Rules:
        with self._lock:
            if self._rules is not None and _stamp(self.path) == self._stamp:
                return self._rules
            problem = self._read()
            for delay in self.RETRIES if self._rules is None else ():
                time.sleep(delay)
                problem = self._read()
                if self._rules is not None:
                    break
            if self._rules is None:
                raise ConsultError(problem)
            if problem:
                self._warn(problem)
            return self._rules

    def _read(self) -> str:
        """Read the file; keep its rules if they are good, else say what is wrong ('' if nothing)."""
        try:
            with open(self.path, "rb") as handle:
                stamp = _stamp(handle.fileno())
                text = handle.read().decode("utf-8")
            rules = parse_rules(text, str(self.path))
        except ConsultError as exc:
            return exc.render()
        except (OSError, UnicodeDecodeError) as exc:
            return (f"{self.path}: cannot read the handler rules ({getattr(exc, 'strerror', None) or exc}); "
                    "run 'consult build', it writes them")
        self._rules, self._stamp, self._warned = rules, stamp, None
        return ""

    def _warn(self, problem: str) -> None:
        bad = (_stamp(self.path), problem)
        if bad != self._warned:
            self._warned = bad
            log.warning("%s. Still serving the last good rules; replace the file atomically (write a "
                        "temporary file beside it, then rename it over it).", problem)


def _stamp(file: Path | int) -> tuple[int, int, int] | None:
    """What changes when a file is replaced or written: (inode, size, mtime). None if it is missing."""
    try:
        info = os.stat(file)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


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
            read = read_body(environ)
            if isinstance(read, Response):
                return read
            body = read
        headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        request = Request(
            method=method, path=path, headers=headers, body=body, remote_addr=self._address(environ, headers),
            now=self.clock(), host=headers.get("host", ""),
            scheme=self.trust.scheme(str(environ.get("wsgi.url_scheme", "http")), headers),
            query=str(environ.get("QUERY_STRING", "")),
        )
        return handle(request, self.ctx)

    def _address(self, environ: dict[str, Any], headers: dict[str, str]) -> str:
        return self.trust.address(str(environ.get("REMOTE_ADDR", "")), headers)


_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")  # ASCII digits: str.isdigit() takes '²', int() does not
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")


def read_body(environ: dict[str, Any]) -> bytes | Response:
    """A POST's body, but never more than MAX_BODY_BYTES + 1 bytes of it: beyond the cap `core`
    answers 413 with what it can give back of the form, and the server drops the rest unread
    (`ThreadingWSGIServer.shutdown_request`). By Content-Length; or chunked, which wsgiref hands
    over undecoded (gunicorn and waitress decode it and set wsgi.input_terminated)."""
    stream, most = environ["wsgi.input"], MAX_BODY_BYTES + 1
    length = environ.get("CONTENT_LENGTH") or ""
    try:
        if _CONTENT_LENGTH.fullmatch(length):
            return _read_exactly(stream, min(int(length), most))
        if environ.get("wsgi.input_terminated"):
            return bytes(stream.read(most))
        if environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower() == "chunked":
            return _read_chunked(stream, most)
    except ValueError as exc:
        return Response(400, (("Content-Type", "text/plain; charset=utf-8"),), f"{exc}\n".encode())
    except OSError:  # the client stopped sending (a socket timeout) or went away
        return Response(408, (("Content-Type", "text/plain; charset=utf-8"),), b"Request body not received\n")
    return Response(411, (("Content-Type", "text/plain; charset=utf-8"),), b"Content-Length required\n")


def _read_exactly(stream: Any, size: int) -> bytes:
    data = bytes(stream.read(size)) if size else b""
    if len(data) < size:
        raise ValueError("request body shorter than its Content-Length")
    return data


def _read_chunked(stream: Any, most: int) -> bytes:
    """A chunked body (RFC 9112, 7.1) up to `most` bytes; ValueError when its framing is wrong."""
    body = bytearray()
    while len(body) < most:
        size_field = stream.readline(1024).split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_field):
            raise ValueError("bad chunked encoding")
        size = int(size_field, 16)
        if size == 0:
            for _ in range(100):  # trailer fields, up to the blank line
                if not stream.readline(1024).strip():
                    return bytes(body)
            raise ValueError("bad chunked encoding")
        wanted = min(size, most - len(body))
        body += _read_exactly(stream, wanted)
        if wanted == size and _read_exactly(stream, 2) != b"\r\n":
            raise ValueError("bad chunked encoding")
    return bytes(body)


_REASONS = {200: "OK", 303: "See Other", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
            415: "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


def make_app(rules_path: Path | str, inbox_url: str | Inbox, secret: Secrets | bytes, *,
             root: Path | None = None, prefix: str = "/api", trust_proxy: str = "",
             clock: Callable[[], datetime] | None = None, rate_soft: int = 30, rate_hard: int = 300,
             pull_token: str | None = None) -> FormsApp:
    """The WSGI app of the form handler. `root` holds the site's own templates (and a relative
    sqlite inbox); `secret` comes from `secret.secrets_from_env` (or `load_secret` for serve);
    `pull_token` (default: CONSULT_PULL_TOKEN, '' = none) opens the export of `forms.export`."""
    token = pull_token_from_env() if pull_token is None else pull_token_from_env({PULL_TOKEN_ENV: pull_token})
    trust = parse_trust(trust_proxy)  # a setting it cannot follow stops it here, not at the first request
    root = Path(root or Path.cwd())
    secrets = secret if isinstance(secret, Secrets) else Secrets(secret)
    inbox = open_inbox(inbox_url, root) if isinstance(inbox_url, str) else inbox_url
    rules = RulesFile(Path(rules_path))
    ctx = Context(rules=rules, inbox=inbox, guard=Guard(secrets.current, secrets.previous), pages=Pages(Rules(), root),
                  altcha=optional_altcha(secrets.current), prefix=prefix.rstrip("/"),
                  rate_soft=rate_soft, rate_hard=rate_hard, pull_token=token)
    return FormsApp(ctx, trust=trust, clock=clock)


QUERY = re.compile(r"\?[^\s'\"]*")


def without_queries(text: str) -> str:
    """`text` (a path, or a notice quoting a request line) with every query string cut:
    a query may hold a token, which is personal data and stays out of logs."""
    return QUERY.sub("?…", text)


class _QuietHandler(WSGIRequestHandler):
    """Logs method, path and status; never the client's address nor a query string (an
    unsubscribe token, say): personal data stays out of logs. wsgiref prints both."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "")  # unset when the request line could not be parsed
        log.info("%s %s %s", self.command, without_queries(path), code)
    timeout = 60  # seconds a client may stay silent mid-request before its thread is freed (408)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # wsgiref's own notices ("code 400, message Bad request syntax ('...')"), address left out
        log.info("%s", without_queries(format % args))

    def address_string(self) -> str:
        return "-"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server on threads, whose failures are logged without the client's address."""

    daemon_threads = True
    request_queue_size = 256

    def shutdown_request(self, request: Any) -> None:
        """Close after the response gently: what the client still sends (a body refused unread,
        bytes past its Content-Length) is read and dropped for a moment. Closing with unread bytes
        resets the connection, and a client still sending may never read the answer (a 413)."""
        linger(request)
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints "Exception occurred during processing of request from <address>".
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # the client went away: not our failure
            log.debug("a client closed its connection early: %s", error)
        else:
            log.error("a request failed", exc_info=True)


def linger(sock: socket.socket, seconds: float = 2.0, most: int = 64 << 20) -> None:
    """Half-close `sock` (the response is complete) and drop what arrives until the client closes
    its side, `seconds` pass or `most` bytes came."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline, dropped = time.monotonic() + seconds, 0
        while dropped < most:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            sock.settimeout(left)
            chunk = sock.recv(1 << 16)
            if not chunk:
                return
            dropped += len(chunk)
    except OSError:
        pass


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
                    os.environ.get("CONSULT_INBOX", DEFAULT_INBOX), secrets_from_env(), root=root,
                    trust_proxy=os.environ.get(TRUST_ENV, ""))


def __getattr__(name: str) -> Any:
    if name == "app":  # `gunicorn consult.forms.wsgi:app` builds it from the environment on first use
        return app_from_env()
    raise AttributeError(name)

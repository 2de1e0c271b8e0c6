"""The dev server: build, then serve `_site/` and the form handler on localhost.

Static files come from the last good build; requests under /api/ go to the same
WSGI handler `consult handler` runs, with the embedded SQLite inbox by default,
so citizen -> inbox -> `consult pull` works on one machine.
"""

from __future__ import annotations

import mimetypes
import socketserver
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import click

from consult.build import OUTPUT_DIR, RULES_FILE, build_site

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def static_app(site_dir: Path) -> WSGIApp:
    """Serve files of `site_dir` the way a static host does: /x/ -> /x/index.html, else 404.html."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        target = (site_dir / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        status = "200 OK"
        if not target.is_relative_to(site_dir.resolve()) or not target.is_file():
            target, status = site_dir / "404.html", "404 Not Found"
        body = target.read_bytes() if target.is_file() else b"Not found"
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body))),
                                ("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff")])
        return [body]

    return app


def dispatch(static: WSGIApp, api: WSGIApp | None) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if api is not None and environ.get("PATH_INFO", "").startswith("/api/"):
            return api(environ, start_response)
        return static(environ, start_response)

    return app


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Request lines hold no personal data but the address; never log it.
        click.echo(f"{self.command} {self.path.split('?', 1)[0]} {code}", err=True)


def make_api(root: Path, site_dir: Path, inbox_url: str | None, config_inbox: str) -> WSGIApp:
    from consult.forms.wsgi import make_app

    return make_app(site_dir / RULES_FILE, inbox_url or config_inbox, root=root)


def serve_site(root: Path, host: str, port: int, now: str | datetime | None = None, inbox_url: str | None = None) -> None:
    site_dir = root / OUTPUT_DIR
    built, report = build_site(root, site_dir, now)
    click.echo(f"Built {len(built.files)} files ({len(report.written)} written).")
    api = make_api(root, site_dir, inbox_url, built.site.config.inbox)
    server = make_server(host, port, dispatch(static_app(site_dir), api), ThreadingWSGIServer, QuietHandler)
    click.echo(f"Serving http://{host}:{server.server_port}/ (form handler at /api/). Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

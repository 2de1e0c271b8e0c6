"""The dev server: build, serve `_site/` and the form handler, watch, rebuild, reload.

Static files come from the last good build; requests under /api/ go to the same
WSGI handler `consult handler` runs (embedded SQLite inbox by default), in a
threaded server, so forms work during rebuilds. A watcher coalesces bursts of
saves and hands the changed paths to a long-lived `Builder`, which re-renders
only what depends on them. Open pages reload through Server-Sent Events
(/__consult/events, script /__consult/livereload.js: no inline script, so the
site's CSP holds); a broken file keeps the last good site and shows its
`path:line: message` over every page, injected server-side, until fixed.
"""

from __future__ import annotations

import html
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import click

from consult.build import OUTPUT_DIR, RULES_FILE, BuildOptions, Builder
from consult.config import Config, parse_now, require_config, site_language
from consult.errors import ConsultError, say
from consult.layout import WATCHED_DIRS
# The form handler's server: threaded, and it drains what a client still sends before closing, so a
# refused body (413) or bytes past a Content-Length do not reset the connection before the answer.
from consult.i18n import DEFAULT_LANGUAGE, STRINGS, translate
from consult.forms.wsgi import ThreadingWSGIServer, without_queries

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PREFIX = "/__consult/"
MODERATION = PREFIX + "moderation/"  # the moderation screen (consult.screen), on a loopback host only
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Saves closer together than this are one change (editors write a file in several steps).
DEBOUNCE = 0.05
WATCHED = WATCHED_DIRS
KEEPALIVE = 15.0

LIVERELOAD_JS = b"""// consult serve: reload this page when the site is rebuilt (or a problem appears or goes).
(function () {
  if (!window.EventSource) return;
  var source = new EventSource("/__consult/events");
  source.addEventListener("reload", function () { source.close(); window.location.reload(); });
})();
"""
OVERLAY_CSS = b"""#consult-overlay{position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.94);
color:#fff;font:16px/1.5 system-ui,sans-serif;padding:2rem}
#consult-overlay h2{margin:0 0 1rem;font-size:1.3rem;color:#ffb4b4}
#consult-overlay pre{white-space:pre-wrap;font:15px/1.5 ui-monospace,monospace;background:#000;padding:1rem;border-left:4px solid #e33}
"""


class Status:
    """The last build's outcome, and a version bumped after each rebuild (what /events waits on)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.version = 0
        self.changed = threading.Condition()

    def publish(self, problems: list[str]) -> None:
        with self.changed:
            self.problems = problems
            self.version += 1
            self.changed.notify_all()

    def wait_after(self, version: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != version, timeout)
            return self.version


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
        return _respond(start_response, status, ctype, body)

    return app


def _respond(start_response: Callable[..., Any], status: str, ctype: str, body: bytes) -> list[bytes]:
    if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
        ctype += "; charset=utf-8"
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff")])
    return [body]


def inject(page: bytes, problems: list[str]) -> bytes:
    """The live-reload script (external: the site's CSP forbids inline script) and, if the
    last build failed, the overlay listing its problems, as the body's first element."""
    head = b'<link rel="stylesheet" href="/__consult/overlay.css"><script src="/__consult/livereload.js" defer></script>'
    page = page.replace(b"</head>", head + b"</head>", 1) if b"</head>" in page else head + page
    if problems:
        lines = html.escape("\n".join(problems)).encode("utf-8")
        language = _page_language(page)
        title, advice = (html.escape(translate(language, key)).encode("utf-8")
                         for key in ("serve.overlay.title", "serve.overlay.body"))
        overlay = (b'<div id="consult-overlay" role="alert" lang="' + language.encode() + b'"><h2>' + title + b"</h2>"
                   b"<p>" + advice + b"</p><pre>" + lines + b"</pre></div>")
        at = page.find(b">", page.find(b"<body")) + 1 if b"<body" in page else 0
        page = page[:at] + overlay + page[at:]
    return page


_LANG = re.compile(rb"<html[^>]*\slang=\"([a-z]{2})")


def _page_language(page: bytes) -> str:
    """The overlay speaks the page's language (the site's, as of its last good build)."""
    found = _LANG.search(page, 0, 4096)
    language = found.group(1).decode() if found else DEFAULT_LANGUAGE
    return language if language in STRINGS else DEFAULT_LANGUAGE


def dev_app(static: WSGIApp, status: Status) -> WSGIApp:
    """The static site with the dev server's own routes under /__consult/ and its HTML injection."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == PREFIX + "livereload.js":
            return _respond(start_response, "200 OK", "application/javascript", LIVERELOAD_JS)
        if path == PREFIX + "overlay.css":
            return _respond(start_response, "200 OK", "text/css", OVERLAY_CSS)
        if path == PREFIX + "events":
            start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
            return events(status)
        captured: dict[str, Any] = {}

        def capture(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured.update(code=code, headers=headers)

        body = b"".join(static(environ, capture))
        headers = captured["headers"]
        if any(k == "Content-Type" and v.startswith("text/html") for k, v in headers):
            body = inject(body, status.problems)
            headers = [(k, str(len(body)) if k == "Content-Length" else v) for k, v in headers]
        start_response(captured["code"], headers)
        return [body]

    return app


def events(status: Status) -> Iterator[bytes]:
    """Server-Sent Events: 'reload' after every rebuild, a comment now and then to keep the line open."""
    version = status.version
    yield b"retry: 500\n\n"
    while True:
        now = status.wait_after(version, KEEPALIVE)
        if now == version:
            yield b": keep-alive\n\n"
            continue
        version = now
        yield f"event: reload\ndata: {version}\n\n".encode()


def dispatch(static: WSGIApp, api: WSGIApp | None, screen: WSGIApp | None = None) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if api is not None and environ.get("PATH_INFO", "").startswith("/api/"):
            return api(environ, start_response)
        if screen is not None and environ.get("PATH_INFO", "").startswith(MODERATION):
            return screen(environ, start_response)
        return static(environ, start_response)

    return app


class QuietHandler(WSGIRequestHandler):
    """Echoes method, path and status, never the client's address (personal data) nor a query
    string; nor our own routes. The server (`ThreadingWSGIServer`) logs failures without it too."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "")  # unset when the request line could not be parsed
        if not path.startswith(PREFIX):
            click.echo(f"{self.command} {without_queries(path)} {code}", err=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        click.echo(without_queries(format % args), err=True)  # wsgiref's notices ("code 400, ..."), no address


def make_api(root: Path, site_dir: Path, inbox_url: str | None, config: Config,
             now: str | datetime | None = None) -> WSGIApp:
    from consult.forms.wsgi import make_app

    from consult.forms.secret import load_secret

    return make_app(site_dir / RULES_FILE, inbox_url or config.inbox, load_secret(root), root=root,
                    clock=handler_clock(config, now))


def handler_clock(config: Config, now: str | datetime | None) -> Callable[[], datetime] | None:
    """With --now, the handler's clock starts there and keeps ticking: pages and handler agree on
    which consultations are open, and time tokens still age as they would for a real citizen."""
    if now is None:
        return None
    start = now if isinstance(now, datetime) else parse_now(now, config)
    offset = start - datetime.now(start.tzinfo)
    return lambda: datetime.now(start.tzinfo) + offset


def relevant(rel: str) -> bool:
    """Does a change at `rel` (relative to the site root) touch the build's inputs?"""
    parts = rel.split("/")
    if rel == "site.yaml":
        return True
    if parts[0] not in WATCHED or len(parts) < 2:
        return False
    name = parts[-1]
    # Editors' swap, backup and lock files are not the site.
    return not (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")))


class Rebuilder:
    """Collects changed paths from the watcher; one thread rebuilds once a burst has settled."""

    def __init__(self, builder: Builder, status: Status, on_build: Callable[[float, int], None] | None = None):
        self.builder, self.status, self.on_build = builder, status, on_build
        self.pending: set[str] = set()
        self.last_event = 0.0
        self.wake = threading.Condition()
        self.stopped = False
        self.last_report: Any = None
        self.thread = threading.Thread(target=self._run, name="consult-rebuild", daemon=True)

    def touch(self, rel: str) -> None:
        if not relevant(rel):
            return
        with self.wake:
            self.pending.add(rel)
            self.last_event = time.monotonic()
            self.wake.notify()

    def stop(self) -> None:
        with self.wake:
            self.stopped = True
            self.wake.notify()

    def _run(self) -> None:
        while True:
            with self.wake:
                self.wake.wait_for(lambda: self.pending or self.stopped)
                if self.stopped:
                    return
                while (quiet := time.monotonic() - self.last_event) < DEBOUNCE:
                    self.wake.wait(DEBOUNCE - quiet)
                changed, self.pending = self.pending, set()
            self.rebuild(changed)

    def rebuild(self, changed: set[str] | None) -> None:
        started = time.perf_counter()
        try:
            built, report = self.builder.build(changed)
        except ConsultError as exc:
            said = exc.render(site_language(self.builder.root))  # as site.yaml says now
            self.status.publish(said.splitlines())
            click.echo(said, err=True)
            return
        except Exception as exc:  # noqa: BLE001  a bug must not kill the dev server; show it
            self.status.publish([f"internal error: {exc!r} (run 'consult --debug build' for the traceback)"])
            click.echo(f"internal error during rebuild: {exc!r}", err=True)
            return
        self.last_report = report
        self.status.publish([])
        if self.on_build is not None:
            self.on_build(time.perf_counter() - started, len(report.written) + len(report.removed))


def watch(root: Path, rebuilder: Rebuilder) -> Any:
    """A watchdog observer on the site's inputs (not on _site/ nor .consult/, which we write)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    root = root.resolve()
    observer = Observer()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if not raw:
                    continue
                path = Path(raw if isinstance(raw, str) else raw.decode())
                if path.is_relative_to(root):
                    rel = path.relative_to(root).as_posix()
                    if event.is_directory and rel in WATCHED and event.event_type == "created":
                        observer.schedule(handler, str(path), recursive=True)
                    rebuilder.touch(rel if not event.is_directory else rel + "/")

    handler = Handler()
    observer.schedule(handler, str(root), recursive=False)  # site.yaml, and new top-level folders
    for name in WATCHED:
        if (root / name).is_dir():
            observer.schedule(handler, str(root / name), recursive=True)
    observer.start()
    return observer


def serve_site(root: Path, host: str, port: int, now: str | datetime | None = None, inbox_url: str | None = None,
               jobs: int = 1) -> None:
    site_dir = root / OUTPUT_DIR
    # The first build loads the site, which later rebuilds start from; they are small: never fork beside
    # the server's threads, and the cache is written when the server stops.
    options = BuildOptions(jobs=jobs, jobs_after_first=1, search=True, trust_manifest=False, save_every_build=False)
    with Builder(root, site_dir, now, options) as builder:
        _serve(builder, root, site_dir, host, port, now, inbox_url)


def _serve(builder: Builder, root: Path, site_dir: Path, host: str, port: int, now: str | datetime | None,
           inbox_url: str | None) -> None:
    status = Status()

    language = site_language(root)

    def report(seconds: float, files: int) -> None:
        click.echo(translate(language, "serve.rebuilt", ms=f"{seconds * 1000:.0f}", files=files), err=True)

    rebuilder = Rebuilder(builder, status, report)
    rebuilder.rebuild(None)
    config = require_config(root)
    api = make_api(root, site_dir, inbox_url, config, now)
    screen = None
    if host in LOOPBACK:  # a moderation screen reachable from the network would be no screen of ours
        from consult.screen import Screen

        screen = Screen(root, config, base=MODERATION)
    app = dispatch(dev_app(static_app(site_dir), status), api, screen)
    try:
        server = make_server(host, port, app, ThreadingWSGIServer, QuietHandler)
    except OSError as exc:
        raise ConsultError(say(f"cannot listen on {host}:{port} ({exc.strerror}): is another server running? "
                               f"Try --port {port + 1}.",
                               f"impossible d'écouter sur {host}:{port} ({exc.strerror}) : un autre serveur "
                               f"tourne-t-il déjà ? Essayez --port {port + 1}."))
    rebuilder.thread.start()
    observer = watch(root, rebuilder)
    click.echo(translate(language, "serve.serving", url=f"http://{host}:{server.server_port}/"))
    if screen is not None:
        click.echo(translate(language, "serve.screen", url=f"http://{host}:{server.server_port}{screen.url()}"))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        rebuilder.stop()
        server.server_close()

"""The moderation screen: a local web page over the pending contributions (`consult moderate --web`).

A WSGI app for one moderator on this machine: served on 127.0.0.1 only, opened with a random
token printed at start (exchanged for a cookie, then refused without it), every POST carrying
a CSRF token and a same-origin check. It lists `pending.PendingIndex` with filters and pages,
shows each text whole with the detectors' spans marked (run again on the file, as `consult
moderate show` does), and decides through `decisions.DecisionLog`: the very code of `consult
moderate approve/reject`, so the git diff is the same, with undo, and a commit whose message
has counts only (never a text). Works without JavaScript; moderation.js adds
keyboard shortcuts.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from hashlib import sha256
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from markupsafe import Markup, escape

from consult.config import Config
from consult.detect import Finding, WordList, detect_fields, load_words
from consult.content.files import CHANNELS
from consult.decisions import ChangedSince, DecisionLog, outcome
from consult.errors import ConsultError
from consult.flags import FLAGS, describe
from consult.i18n import translate
from consult.moderation import REPORTED, Entry, Report, reason_label, reports_about
from consult.pending import Filters, PendingIndex
from consult.screen_text import screen_text
from consult.theme import builtin_themes_dir

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASSETS = {"moderation.js": "text/javascript; charset=utf-8", "moderation.css": "text/css; charset=utf-8"}
MAX_BODY = 1 << 20
HEADERS = [("Cache-Control", "no-store"), ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
           ("X-Content-Type-Options", "nosniff"),
           ("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "
                                       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")]


def theme_folder() -> Path:
    return builtin_themes_dir() / "default" / "moderation"


def make_environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(theme_folder()), autoescape=True,
                              undefined=jinja2.StrictUndefined)


class Screen:
    """The app; `base` is where it is mounted ('/' alone, '/__consult/moderation/' in serve)."""

    def __init__(self, root: Path, config: Config, token: str | None = None, base: str = "/",
                 index: PendingIndex | None = None, clock: Callable[[], datetime] | None = None):
        self.root, self.config, self.base = root, config, base
        self.token = token or secrets.token_urlsafe(24)
        self.csrf = hmac.new(self.token.encode(), b"csrf", sha256).hexdigest()
        self.cookie = "consult-moderation-" + sha256(self.token.encode()).hexdigest()[:12]
        self.index = index or PendingIndex.load(root)
        self.words: WordList = load_words(root)
        self.lock = threading.Lock()
        self.clock = clock or (lambda: datetime.now(config.tz))
        self.log = DecisionLog(root, config, self.index, self.clock)
        self.notice: tuple[str, dict[str, Any]] | None = None  # said once, on the next page
        self.env = make_environment()
        self.language = config.language
        self.page_reports: dict[str, dict[str, list[Report]]] = {}  # the reports of the page's consultations

    def url(self) -> str:
        """The path to open first (with the token), relative to the server's origin."""
        return f"{self.base}?token={self.token}"

    def t(self, key: str, **params: Any) -> str:
        return screen_text(self.language, key, **params)

    # --- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        rest = path[len(self.base):] if path.startswith(self.base) else None
        if rest is None:
            return _send(start_response, "404 Not Found", "text/plain; charset=utf-8", b"not found")
        if rest.startswith("static/") and rest[7:] in ASSETS:
            return _send(start_response, "200 OK", ASSETS[rest[7:]], (theme_folder() / rest[7:]).read_bytes())
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if not self._local(environ):
            return self._refuse(start_response, "403 Forbidden")
        if environ.get("REQUEST_METHOD") == "GET" and rest == "" and _one(query, "token"):
            return self._open(start_response, _one(query, "token"), query)
        if not self._authorised(environ):
            return self._refuse(start_response, "403 Forbidden")
        if environ.get("REQUEST_METHOD") == "POST" and rest in ("decide", "undo", "commit"):
            form = _read_form(environ)
            if not hmac.compare_digest(_one(form, "csrf").encode(), self.csrf.encode()) or not self._same_origin(environ):
                return self._refuse(start_response, "403 Forbidden")
            with self.lock:
                anchor = getattr(self, f"_post_{rest}")(form)
            back = _one(form, "back")
            location = self.base + (f"?{back}" if back and "\n" not in back and "\r" not in back else "") + anchor
            start_response("303 See Other", [("Location", location), *HEADERS])
            return [b""]
        if environ.get("REQUEST_METHOD") == "GET" and rest == "":
            with self.lock:
                self.index.sync()
                body = self.render(query)
            return _send(start_response, "200 OK", "text/html; charset=utf-8", body.encode())
        return _send(start_response, "404 Not Found", "text/plain; charset=utf-8", b"not found")

    def _local(self, environ: dict[str, Any]) -> bool:
        """Only a loopback Host (DNS rebinding: another site's name pointing at 127.0.0.1)."""
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
        return host in ("127.0.0.1", "localhost", "[::1]")

    def _same_origin(self, environ: dict[str, Any]) -> bool:
        """A POST from a page of this screen: the Origin a browser sends names our host (and
        Fetch Metadata, when sent, says same-origin). `Referrer-Policy: same-origin`, not
        `no-referrer`, which makes Chromium send `Origin: null` even from our own page."""
        origin = environ.get("HTTP_ORIGIN")
        site = environ.get("HTTP_SEC_FETCH_SITE")
        return (origin is None or origin.split("://", 1)[-1] == environ.get("HTTP_HOST", "")) \
            and (site is None or site == "same-origin")

    def _authorised(self, environ: dict[str, Any]) -> bool:
        cookie = SimpleCookie()
        try:
            cookie.load(environ.get("HTTP_COOKIE", ""))
        except Exception:  # a malformed Cookie header is no cookie
            return False
        morsel = cookie.get(self.cookie)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self.token.encode())

    def _open(self, start_response: Callable[..., Any], token: str, query: dict[str, list[str]]) -> Iterable[bytes]:
        """The token of the printed URL becomes a cookie, and leaves the address bar (and history)."""
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return self._refuse(start_response, "403 Forbidden")
        rest = urlencode([(k, v) for k, values in query.items() if k != "token" for v in values])
        cookie = f"{self.cookie}={self.token}; Path={self.base}; HttpOnly; SameSite=Strict"
        start_response("303 See Other", [("Location", self.base + (f"?{rest}" if rest else "")),
                                         ("Set-Cookie", cookie), *HEADERS])
        return [b""]

    def _refuse(self, start_response: Callable[..., Any], status: str) -> Iterable[bytes]:
        return _send(start_response, status, "text/plain; charset=utf-8", self.t("refused").encode())

    # --- decisions -------------------------------------------------------------------------------

    def _post_decide(self, form: dict[str, list[str]]) -> str:
        one_approve, one_reject = _one(form, "approve_one"), _one(form, "reject_one")
        if one_approve or one_reject:
            ids, status = [one_approve or one_reject], "published" if one_approve else "rejected"
            reason = _one(form, f"reason-{one_reject}") if one_reject else ""
        else:
            status = {"approve": "published", "reject": "rejected"}.get(_one(form, "bulk"), "")
            ids = form.get("page_ids", []) if _one(form, "whole_page") else form.get("ids", [])
            reason = _one(form, "bulk_reason") if status == "rejected" else ""
        ids = [id_ for id_ in dict.fromkeys(ids) if id_ in self.index.entries]
        if not status or not ids:
            self.notice = ("nothing", {})
            return ""
        if status == "rejected" and reason not in self.config.reasons:
            self.notice = ("need_reason", {})
            return f"#item-{ids[0]}" if len(ids) == 1 else ""
        following = self._following(ids, form.get("page_ids", []))
        try:
            decision = self.log.decide(ids, status, reason)
        except ConsultError as exc:
            self.notice = ("error", {"message": exc.render(self.language)})
            return ""
        # Only reported published items: the notice says kept or unpublished.
        self.notice = (outcome(status, bool(decision.ids) and set(decision.ids) <= decision.reported),
                       {"count": len(ids)})
        return f"#item-{following}" if following else ""

    def _following(self, ids: list[str], page_ids: list[str]) -> str:
        """The item to focus after deciding `ids`: the next one on the page still pending."""
        after = page_ids[page_ids.index(ids[-1]) + 1:] if ids[-1] in page_ids else []
        return next((id_ for id_ in after if id_ not in ids), "")

    def _post_undo(self, form: dict[str, list[str]]) -> str:
        try:
            decision = self.log.undo()
        except ChangedSince as exc:
            self.notice = ("undo_changed", {"path": exc.path})
            return ""
        if decision is None:
            self.notice = ("nothing_to_undo", {})
            return ""
        self.notice = ("undone", {"count": len(decision.ids)})
        return f"#item-{decision.ids[0]}"

    def _post_commit(self, form: dict[str, list[str]]) -> str:
        if not self.log.done:
            self.notice = ("nothing_to_commit", {})
            return ""
        message = self.commit_message()
        try:
            self.log.commit(message)
        except ConsultError as exc:
            self.notice = ("error", {"message": exc.render(self.language)})
            return ""
        self.notice = ("committed", {"message": message})
        return ""

    def commit_message(self) -> str:
        """Counts per decision, then per reason code: never a text."""
        statuses, reasons = self.log.counts()
        parts = [self.t(f"commit.{status}", count=statuses[status])
                 for status in ("published", "rejected", "kept", "unpublished") if statuses[status]]
        head = self.t("commit.head", decisions=", ".join(parts))
        return head + ("\n\n" + "\n".join(f"{code}: {n}" for code, n in sorted(reasons.items())) if reasons else "")

    # --- the page --------------------------------------------------------------------------------

    def render(self, query: dict[str, list[str]]) -> str:
        filters = Filters(_one(query, "consultation"), _one(query, "kind"), _one(query, "flag"), _one(query, "q").strip())
        try:
            number = int(_one(query, "page") or 1)
        except ValueError:
            number = 1
        page = self.index.page(filters, number)
        self.page_reports = {}  # read again for each page: a pull adds reports
        consultations, kinds, flags = self.index.facets()
        notice, self.notice = self.notice, None
        back = urlencode([(k, v) for k, v in (("consultation", filters.consultation), ("kind", filters.kind),
                                              ("flag", filters.flag), ("q", filters.text),
                                              ("page", str(page.number) if page.number > 1 else "")) if v])
        template = self.env.get_template("screen.html")
        return template.render(
            t=self.t, kind_label=self._kind, reason_label=self._reason, flag_label=lambda c: describe(c, self.language),
            channel_label=lambda c: translate(self.language, f"contribution.channel.{c}") if c in CHANNELS else c,
            language=self.language, base=self.base, csrf=self.csrf, back=back, filters=filters, page=page,
            items=[self._view(entry) for entry in page.entries], consultations=consultations, kinds=kinds,
            flags=flags, reasons=self.config.reasons, reported=self.index.counts[2][REPORTED], notice=self._notice(notice), decisions=len(self.log.done),
            undo=bool(self.log.done), page_link=lambda n: self.base + "?" + urlencode(
                [(k, v) for k, v in (("consultation", filters.consultation), ("kind", filters.kind),
                                     ("flag", filters.flag), ("q", filters.text), ("page", str(n))) if v]),
        )

    def _reports(self, consultation: str) -> dict[str, list[Report]]:
        """The consultation's reports by target, read once per page (`self.page_reports`)."""
        if consultation not in self.page_reports:
            self.page_reports[consultation] = reports_about(self.root, consultation)
        return self.page_reports[consultation]

    def _kind(self, kind: str) -> str:
        return translate(self.language, f"cli.kind.{kind}") if kind in ("suggestion", "proposal", "comment", "answers") \
            else kind

    def _reason(self, code: str) -> str:
        return reason_label(code, self.language)

    def _notice(self, notice: tuple[str, dict[str, Any]] | None) -> str:
        return self.t(f"notice.{notice[0]}", **notice[1]) if notice else ""

    def _view(self, entry: Entry) -> dict[str, Any]:
        """An entry with each text as HTML: escaped, the detectors' spans in <mark>."""
        found = detect_fields([("title", entry.title), ("body", entry.body), *entry.answers], self.words) \
            if entry.flags else []
        reports = self._reports(entry.consultation).get(entry.id, []) if entry.status == "published" else []
        return {"entry": entry, "title": highlight(entry.title, found, "title", self.language), "reports": reports,
                "body": highlight(entry.body, found, "body", self.language),
                "answers": [(label, highlight(value, found, label, self.language)) for label, value in entry.answers],
                "flags": [(code, describe(code, self.language)) for code in entry.flags]}


def highlight(text: str, findings: list[Finding], field_name: str, language: str) -> Markup:
    """`text` escaped, each finding of `field_name` in a <mark> followed by the flag's meaning
    (visually hidden, read by screen readers; also the mark's title). Overlapping spans: the
    first one found wins."""
    spans = sorted((f for f in findings if f.field == field_name and f.end > f.start and f.code in FLAGS),
                   key=lambda f: (f.start, -f.end))
    out: list[str] = []
    at = 0
    for found in spans:
        if found.start < at:
            continue
        meaning = describe(found.code, language)
        out.append(str(escape(text[at:found.start])))
        out.append(f'<mark class="flag-span" data-flag="{escape(found.code)}" title="{escape(meaning)}">'
                   f'{escape(text[found.start:found.end])}</mark>'
                   f'<span class="visually-hidden"> [{escape(meaning)}]</span>')
        at = found.end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))


def _one(values: dict[str, list[str]], name: str) -> str:
    found = values.get(name)
    return found[0] if found else ""


def _read_form(environ: dict[str, Any]) -> dict[str, list[str]]:
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    return parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)


def _send(start_response: Callable[..., Any], status: str, ctype: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body))), *HEADERS])
    return [body]


def run_screen(root: Path, config: Config, port: int = 0) -> None:
    """`consult moderate --web`: index, listen on 127.0.0.1 (never another address), print the URL."""
    import click
    from wsgiref.simple_server import make_server

    from consult.forms.wsgi import ThreadingWSGIServer
    from consult.serve import QuietHandler

    screen = Screen(root, config)
    server = make_server("127.0.0.1", port, screen, ThreadingWSGIServer, QuietHandler)
    click.echo(screen.t("started", url=f"http://127.0.0.1:{server.server_port}{screen.url()}",
                        count=len(screen.index.entries)))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        screen.index.save()

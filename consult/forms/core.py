"""The form handler without I/O: `handle(request, ctx) -> Response`.

POST {prefix}/submit: strict intake -> rules (open? kind allowed? fields valid?)
-> abuse signals, stored as flags (only the honeypot, or a flag on a support, holds
a row back) -> `inbox.add` -> 303 to the thank-you page, sent only after
the inbox committed. Mistakes re-display the form with every value kept; a
closed consultation shows the text back. GET {prefix}/token: a signed time token.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, quote, urlsplit

from consult.flags import held_reason
from consult.forms.export import PAGE, answer_export
from consult.forms.guard import Altcha, Guard, canonical
from consult.forms.intake import Intake, Malformed, parse_body, salvage
from consult.forms.mail import opt_ins
from consult.forms.messages import message
from consult.forms.pages import Pages, kept_text
from consult.forms.rules import ConsultationRule, ProposalRule, Rules
from consult.forms.validate import Checked, Invalid, check_fields, redisplayable
from consult.inbox import Inbox, InboxError, Submission
from consult.kinds import BY_NAME

log = logging.getLogger("consult.forms")

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# What a real person's page may lack: a token (no JavaScript) or a fresh one (a tab left open).
TOKEN_FLAGS = frozenset({"no-token", "bad-token", "old-token", "foreign-token"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    remote_addr: str
    now: datetime
    host: str = ""  # the Host the request was sent to, for the Origin check
    scheme: str = "http"
    query: str = ""  # the query string, without '?'


    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


@dataclass
class Context:
    rules: Rules | Callable[[], Rules]
    inbox: Inbox
    guard: Guard
    pages: Pages | None = None
    altcha: Altcha | None = None  # used when the rules say forms.altcha; None: the package is missing
    prefix: str = "/api"
    rate_soft: int = 30  # stored submissions per address per hour before they are flagged 'rate'
    rate_hard: int = 300  # ... before refusing (429, text shown back)
    new_id: Callable[[datetime], str] = field(default=lambda now: new_id(now))
    pull_token: bytes = b""  # CONSULT_PULL_TOKEN: the export for `consult pull --from` ('' = no export)
    export_page: int = PAGE  # rows per page of the export at most

    def current_rules(self) -> Rules:
        return self.rules() if callable(self.rules) else self.rules

    def pages_for(self, rules: Rules) -> Pages:
        if self.pages is None or self.pages.rules is not rules:
            self.pages = Pages(rules, self.pages.root if self.pages else None)
        return self.pages


def new_id(now: datetime) -> str:
    return f"{now:%Y%m%d}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(8))


SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    # No page of the handler may be framed: a framed form with a ready "Je soutiens" button
    # would turn a visitor's click on another site into a support (clickjacking).
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
)


def _html(status: int, text: str) -> Response:
    return Response(status, (("Content-Type", "text/html; charset=utf-8"), *SECURITY_HEADERS), text.encode("utf-8"))


def _json(status: int, data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return Response(status, (("Content-Type", "application/json; charset=utf-8"), *SECURITY_HEADERS), body)


def handle(request: Request, ctx: Context) -> Response:
    path = request.path
    if ctx.prefix and (path == ctx.prefix or path.startswith(ctx.prefix + "/")):
        path = path[len(ctx.prefix):]
    if path == "/export" or path.startswith("/export/"):
        answer = answer_export(request, ctx.inbox, ctx.pull_token, path[len("/export"):], ctx.export_page)
        response = _json(answer.status, answer.data)
        return Response(response.status, answer.headers + response.headers, response.body)
    route = {"/submit": "submit", "/token": "token", "/altcha": "altcha", "/health": "health",
             "/follow": "follow", "/confirm": "confirm", "/unsubscribe": "unsubscribe"}.get(path)
    rules = ctx.current_rules()
    if route is None or (route == "altcha" and not (rules.altcha and ctx.altcha)):
        return _html(404, ctx.pages_for(rules).notice(message(rules.language, "notfound.title"), []))
    want = "POST" if route in ("submit", "follow") else "GET"
    allowed = (want, "HEAD" if want == "GET" else want) + (("POST",) if route == "unsubscribe" else ())
    if request.method not in allowed:
        return Response(405, (("Allow", ", ".join(dict.fromkeys(allowed))), *SECURITY_HEADERS), b"")
    if route in ("follow", "confirm", "unsubscribe"):
        from consult.forms.mail import handle_mail

        return handle_mail(route, request, ctx, rules)
    if route == "token":
        return _json(200, {"token": ctx.guard.token(request.now, *_token_form(request.query))})
    if route == "altcha":
        assert ctx.altcha is not None
        return _json(200, ctx.altcha.challenge(request.now))
    if route == "health":
        return _health(ctx)
    return _submit(request, ctx, rules)


def _token_form(query: str) -> tuple[str, str]:
    """The form a token is asked for (`?consultation=…&kind=…`); what is not a slug and a kind
    binds it to nothing, so that it is flagged 'foreign-token' wherever it is used."""
    asked = parse_qs(query)
    consultation = (asked.get("consultation") or [""])[0]
    kind = (asked.get("kind") or [""])[0]
    return (consultation if SLUG.match(consultation) else "", kind if kind in BY_NAME else "")


def _health(ctx: Context) -> Response:
    """200 when the inbox answers a query, else 503: a load balancer or container runtime then
    stops sending citizens to a replica that could not save what they write. The reason goes
    to the log (InboxError messages carry no password), never to the response."""
    try:
        ctx.inbox.ping()
    except InboxError as exc:
        log.warning("health check: the inbox is unavailable: %s", exc)
        return _json(503, {"ok": False, "inbox": "unavailable"})
    return _json(200, {"ok": True, "inbox": "ok"})


def _submit(request: Request, ctx: Context, rules: Rules) -> Response:
    pages = ctx.pages_for(rules)
    language = rules.language
    try:
        intake = parse_body(request.body, request.header("content-type"))
        consultation, kind = _target(intake, rules)
        key = intake.one("idempotency_key")
        if key and not IDEMPOTENCY_KEY.match(key):
            raise Malformed("idempotency_key must be 8 to 100 letters, digits, '-' or '_'")
    except Malformed as exc:
        return _malformed(request, exc, rules, pages, ctx.guard)
    status = consultation.status(request.now)
    # What is published stays online once a consultation closes: it may still be reported.
    if status != "open" and not (kind == "report" and status == "closed"):
        return _refuse(intake, consultation, status, language, pages)
    proposal = consultation.proposal(intake.one("proposal"))
    if kind == "support" and proposal is not None and proposal.final:
        return _decided(intake, proposal, language, pages)

    def again(status: int, errors: list[tuple[str, str]], fields: Intake = intake) -> Response:
        # A fresh time token: the citizen's next send is timed from this page, JavaScript or not.
        return _again(fields, consultation, kind, rules, pages, status, errors,
                      token=ctx.guard.token(request.now, consultation.slug, kind))

    try:
        checked = check_fields(intake, consultation, kind, rules, language)
    except Invalid as exc:
        return again(422, exc.errors)
    except Malformed as exc:
        return _malformed(request, exc, rules, pages, ctx.guard)
    signals = _signals(request, ctx, intake, consultation.slug, kind, rules)
    if kind == "support" and not intake.is_json and TOKEN_FLAGS & set(signals):
        # A support has no text to flag for a moderator: a page without a valid token (no
        # JavaScript, a stale tab) asks for one more click, with a token, instead.
        return again(422, [("form", message(language, "support.confirm"))])
    text = canonical(intake.fields)
    keys = ("k-" + key,) if key else ctx.guard.derived_keys(
        request.remote_addr, request.header("user-agent"), text, intake.one("token"), request.now)
    submission = _submission(request, ctx, checked, consultation.slug, signals, keys[0], text)
    extra = opt_ins(ctx, checked, consultation, submission.id)
    if extra.quarantine:  # a verified support: counted by its address, once the link is followed
        submission = replace(submission, voter=extra.voter, quarantine=extra.quarantine)
    rate = (ctx.guard.rate_key(request.remote_addr, request.now), f"{request.now:%Y%m%d%H}",
            ctx.rate_soft, ctx.rate_hard)
    before = ctx.guard.voter_before_rotation(request.remote_addr, consultation.slug)
    try:
        outcome, _stored = ctx.inbox.add(submission, rate, also_keys=keys[1:], also_voters=(before,) if before else (),
                                         subscriptions=extra.subscriptions, messages=extra.messages)
    except InboxError as exc:
        log.error("inbox unavailable: %s", exc)
        return again(503, [("form", message(language, "form.unavailable"))])
    if outcome == "limited":
        return again(429, [("form", message(language, "form.rate"))])
    if outcome == "conflict":
        fresh = dict(intake.fields, idempotency_key=[secrets.token_urlsafe(16)])
        return again(409, [("form", message(language, "form.conflict"))], Intake(fresh, intake.is_json))
    if intake.is_json:
        return _json(200, {"received": True})
    if extra.messages and outcome == "created":
        return _html(200, pages.notice(message(language, "verify.title"), [message(language, "verify.text")],
                                       back_url=consultation.url, back_label=message(language, "refused.back")))
    return _thanks(rules, consultation, "supported" if kind == "support" and outcome == "duplicate" else kind,
                   checked.proposal if BY_NAME[kind].target == "proposal" else None)


def _thanks(rules: Rules, consultation: ConsultationRule, outcome: str, proposal: str | None) -> Response:
    """303 to the static thank-you page of this outcome (Post/Redirect/Get: Back never resends the
    form), with ?back= the page the form was on: a path taken from the rules, never from the request."""
    target = consultation.proposal(proposal) if proposal else None
    page = (rules.chrome.get("thanks") or {}).get(outcome, rules.thanks_url)
    location = f"{page}?back={quote(target.url if target else consultation.url, safe='/')}"
    return Response(303, (("Location", location), *SECURITY_HEADERS), b"")


def _submission(request: Request, ctx: Context, checked: Checked, consultation: str, signals: list[str],
                key: str, text: str) -> Submission:
    """The row to store: what the citizen sent, its flags (held if one holds it), its keys."""
    return Submission(
        id=ctx.new_id(request.now), consultation=consultation, kind=checked.kind, proposal=checked.proposal,
        title=checked.title, body=checked.body, author=checked.author, answers=checked.answers,
        received=request.now, email=checked.email, category=checked.category,
        voter=ctx.guard.voter(request.remote_addr, consultation) if checked.kind == "support" else "",
        idem_key=key, body_hash=ctx.guard.body_hash(text), quarantine=held_reason(checked.kind, signals),
        flags=",".join(signals),
    )


def _malformed(request: Request, exc: Malformed, rules: Rules, pages: Pages, guard: Guard | None = None) -> Response:
    """A request no form of this site sends (or no longer sends: the site was rebuilt since the page
    was loaded); nothing is stored. A script keeps its own text; a citizen gets theirs back: the
    form again when it can show all of it (its consultation open), else the text to copy."""
    if "json" in request.header("content-type"):
        return _json(exc.status, {"error": str(exc)})
    language = rules.language
    typed = salvage(request.body, request.header("content-type"))
    try:
        consultation, kind = _target(typed, rules)
    except Malformed:
        consultation, kind = None, ""
    if consultation is not None:
        status = consultation.status(request.now)
        if status != "open" and not (kind == "report" and status == "closed"):
            return _refuse(typed, consultation, status, language, pages)
        form = redisplayable(typed, consultation, kind)
        if form is not None:
            fresh = dict(form.fields, idempotency_key=[secrets.token_urlsafe(16)])  # the old one may be the fault
            why = message(language, "malformed.too_large" if exc.status == 413 else "malformed.form")
            token = guard.token(request.now, consultation.slug, kind) if guard else ""
            return _again(Intake(fresh, False), consultation, kind, rules, pages, exc.status, [("form", why)], token=token)
    known = consultation or rules.consultation(typed.one("consultation"))
    return _html(exc.status, pages.notice(
        message(language, "malformed.title"), [message(language, "malformed.text"), str(exc)],
        kept=kept_text(typed.fields, language, known), keep_intro=message(language, "refused.keep"),
        back_url=known.url if known else "", back_label=message(language, "refused.back"),
    ))


def _target(intake: Intake, rules: Rules) -> tuple[ConsultationRule, str]:
    """The consultation and kind a POST is for; anything no page of ours offers is malformed."""
    slug, kind, proposal = intake.one("consultation"), intake.one("kind"), intake.one("proposal")
    consultation = rules.consultation(slug) if SLUG.match(slug) else None
    if consultation is None:
        raise Malformed("unknown consultation")
    rule = BY_NAME.get(kind)
    if rule is not None and rule.target == "item":  # a report: offered by post-moderation, about a published item
        if consultation.moderation != "post":
            raise Malformed("this consultation takes no reports (it is moderated before publication)")
        if intake.one("target") not in consultation.published:
            raise Malformed("unknown or unpublished item")
        if proposal:
            raise Malformed("a report is not about a proposal")
        return consultation, kind
    if rule is None or kind not in consultation.kinds or (rule.questions and not consultation.questions):
        raise Malformed(f"this consultation takes no {kind or 'unnamed'} submissions")
    if rule.target == "proposal":
        if not SLUG.match(proposal) or consultation.proposal(proposal) is None:
            raise Malformed("unknown proposal")
    elif proposal:
        raise Malformed(f"a {kind} submission is not about a proposal")
    return consultation, kind


def _signals(request: Request, ctx: Context, intake: Intake, consultation: str, kind: str,
             rules: Rules) -> list[str]:
    """Why the submission looks suspect, as flag codes (consult.flags): flags, never a drop."""
    signals: list[str] = []
    if intake.one("website").strip():
        signals.append("honeypot")
    token = ctx.guard.check_token(intake.one("token"), request.now, consultation, kind)
    if token != "ok":
        signals.append(token)
    if not _same_origin(request, rules):
        signals.append("cross-site")
    if rules.altcha and not _altcha_solved(request, ctx, intake):
        signals.append("altcha")
    return signals


def _altcha_solved(request: Request, ctx: Context, intake: Intake) -> bool:
    """A valid ALTCHA solution, seen for the first time (a replayed one is no proof of work)."""
    if ctx.altcha is None:
        log.error("forms.altcha is on but the altcha package is missing (pip install 'consult[altcha]'): "
                  "every submission is flagged 'altcha'")
        return False
    ok, nonce = ctx.altcha.verify(intake.one("altcha"), request.now)
    try:
        return ok and ctx.inbox.use_nonce("altcha:" + nonce, request.now + timedelta(hours=1))
    except InboxError:
        return False


def _same_origin(request: Request, rules: Rules) -> bool:
    if request.header("sec-fetch-site") == "cross-site":
        return False
    origin = request.header("origin")
    if not origin:
        return True  # old browsers and non-browser clients send none: not a signal on its own
    if origin == "null":
        return False  # an opaque origin: a sandboxed frame, a file, a redirect from another site
    allowed = set()
    if rules.base_url:
        parts = urlsplit(rules.base_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    if request.host:
        allowed.add(f"{request.scheme}://{request.host}")
        forwarded = request.header("x-forwarded-host")
        if forwarded:
            allowed.add(f"https://{forwarded}")
    return origin in allowed


def _again(intake: Intake, consultation: ConsultationRule, kind: str, rules: Rules, pages: Pages,
           status: int, errors: list[tuple[str, str]], token: str = "") -> Response:
    """The same form again with the errors, every typed value kept (and `token`, if given)."""
    if intake.is_json:
        return _json(status, {"errors": [{"field": name, "message": text} for name, text in errors]})
    if token:
        intake = Intake(dict(intake.fields, token=[token]), intake.is_json)
    from consult.forms.view import form_view

    view = form_view(intake, consultation, kind, rules, errors)
    return _html(status, pages.form(view))


def _decided(intake: Intake, proposal: ProposalRule, language: str, pages: Pages) -> Response:
    """A support for a proposal whose status is final: a polite no (the decision is made)."""
    if intake.is_json:
        return _json(403, {"error": "this proposal takes no more supports"})
    return _html(403, pages.notice(
        message(language, "decided.title"), [message(language, "decided.text", title=proposal.title)],
        back_url=proposal.url, back_label=message(language, "decided.back"),
    ))


def _refuse(intake: Intake, consultation: ConsultationRule, status: str, language: str, pages: Pages) -> Response:
    """A closed or upcoming consultation: a polite no, and the citizen's text to copy."""
    if intake.is_json:
        return _json(403, {"error": f"consultation {status}"})
    return _html(403, pages.notice(
        message(language, f"{status}.title"), [message(language, f"{status}.text", title=consultation.title)],
        kept=kept_text(intake.fields, language, consultation), keep_intro=message(language, "refused.keep"),
        back_url=consultation.url, back_label=message(language, "refused.back"),
    ))

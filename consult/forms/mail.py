"""The handler's e-mail routes and a submission's opt-ins.

- POST {prefix}/follow: "Être prévenu·e des résultats" — an address alone, stored unconfirmed with
  a confirmation message in the outbox (double opt-in: nothing else goes to it before the link).
- GET {prefix}/confirm?t=TOKEN: follows the link of that message (a follow, or a verified support,
  which counts from then on). A forged or expired link is a clear page, nothing changes.
- GET {prefix}/unsubscribe?t=TOKEN shows one button; POST unsubscribes: the form's button, or a
  mail client's RFC 8058 one-click POST (`List-Unsubscribe=One-Click`). A GET alone never
  unsubscribes: mail scanners fetch links.

Messages are sent by `consult notify` (consult.notify), which reads the outbox: the handler sends
nothing itself. No address is logged; links carry ids and an address's HMAC, never the address.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from consult.forms.intake import Malformed, parse_body
from consult.forms.links import Links
from consult.forms.rules import ConsultationRule, Rules
from consult.forms.validate import EMAIL
from consult.i18n import translate
from consult.inbox.base import InboxError
from consult.inbox.mail import CONFIRM_DAYS, Message, Subscription, new_key
from consult.inbox.sql import UNCONFIRMED
from consult.kinds import EMAIL_MAX

if TYPE_CHECKING:
    from consult.forms.core import Context, Request, Response
    from consult.forms.validate import Checked

log = logging.getLogger("consult.forms")
FOLLOW_RATE = 20  # follows an hour from one network before refusing (each sends a message)


def links_of(ctx: "Context") -> Links:
    return Links(ctx.guard.secret, ctx.guard.previous)


@dataclass(frozen=True)
class OptIns:
    """What a submission adds to the inbox beside its row: subscriptions, a confirmation message,
    and for a verified support the address-based voter and the mark that holds it until confirmed."""

    subscriptions: tuple[Subscription, ...] = ()
    messages: tuple[Message, ...] = ()
    voter: str = ""
    quarantine: str = ""


def opt_ins(ctx: "Context", checked: "Checked", consultation: ConsultationRule, id_: str) -> OptIns:
    """The subscriptions a submission's ticked boxes ask for, and for a support of a `supports:
    verified` consultation its confirmation: one counted support per address and proposal."""
    if not checked.email:
        return OptIns()
    links = links_of(ctx)
    addr = links.address_key(checked.email)
    targets = {"contribution": id_, "proposal": checked.proposal or ""}
    subscriptions = tuple(
        Subscription(new_key("s"), checked.email, addr, purpose, consultation.slug, targets[purpose], id_)
        for purpose in checked.notify if targets[purpose])
    if checked.kind != "support" or consultation.supports != "verified":
        return OptIns(subscriptions)
    proposal = consultation.proposal(checked.proposal or "")
    confirm = Message(new_key("c"), addr, checked.email, "confirm", {
        "what": "support", "submission": id_, "consultation": consultation.slug,
        "title": proposal.title if proposal else "", "url": proposal.url if proposal else consultation.url})
    voter = ctx.guard._mac("verified-voter", checked.email.strip().lower(), consultation.slug)[:40]
    return OptIns(subscriptions, (confirm,), voter, UNCONFIRMED)


def handle_mail(route: str, request: "Request", ctx: "Context", rules: Rules) -> "Response":
    if route == "follow":
        return _follow(request, ctx, rules)
    token = (parse_qs(request.query).get("t") or [""])[0]
    if route == "confirm":
        return _confirm(request, ctx, rules, token)
    return _unsubscribe(request, ctx, rules, token)


def _t(rules: Rules, key: str, **params: object) -> str:
    return translate(rules.language, key, **params)


def _notice(ctx: "Context", rules: Rules, status: int, key: str, back: str = "",
            kept: list[tuple[str, str]] | None = None, **params: object) -> "Response":
    from consult.forms.core import _html

    pages = ctx.pages_for(rules)
    return _html(status, pages.notice(_t(rules, f"mail.{key}.title"), [_t(rules, f"mail.{key}.text", **params)],
                                      kept=kept or [], keep_intro=_t(rules, "mail.kept") if kept else "",
                                      back_url=back or "/", back_label=_t(rules, "mail.back")))


def _follow(request: "Request", ctx: "Context", rules: Rules) -> "Response":
    """An address asks to hear of a consultation's synthesis and results: stored unconfirmed, with
    its confirmation message; the same answer whether the address was known or not."""
    try:
        intake = parse_body(request.body, request.header("content-type"))
    except Malformed as exc:
        return _notice(ctx, rules, exc.status, "malformed")
    consultation = rules.consultation(intake.one("consultation"))
    if consultation is None:
        return _notice(ctx, rules, 400, "malformed")
    email = intake.one("email").strip()
    if not email or len(email) > EMAIL_MAX or not EMAIL.match(email):
        return _notice(ctx, rules, 422, "follow_invalid", back=consultation.url,
                       kept=[(_t(rules, "mail.address"), email)] if email else None)
    if intake.one("website").strip():  # a robot filled the trap: no message goes to a stranger
        return _notice(ctx, rules, 200, "follow_sent", back=consultation.url)
    try:
        if ctx.inbox.hit("follow:" + ctx.guard.rate_key(request.remote_addr, request.now),
                         f"{request.now:%Y%m%d%H}") > FOLLOW_RATE:
            return _notice(ctx, rules, 429, "follow_rate", back=consultation.url,
                           kept=[(_t(rules, "mail.address"), email)])
        links = links_of(ctx)
        addr = links.address_key(email)
        sub = Subscription(new_key("s"), email, addr, "consultation", consultation.slug, confirmed=False)
        confirm = Message(new_key("c"), addr, email, "confirm", {
            "what": "follow", "subscription": sub.id, "consultation": consultation.slug,
            "title": consultation.title, "url": consultation.url})
        ctx.inbox.follow(sub, confirm, request.now)
    except InboxError as exc:
        log.error("inbox unavailable: %s", exc)
        return _notice(ctx, rules, 503, "unavailable", back=consultation.url,
                       kept=[(_t(rules, "mail.address"), email)])
    return _notice(ctx, rules, 200, "follow_sent", back=consultation.url, days=CONFIRM_DAYS)


def _confirm(request: "Request", ctx: "Context", rules: Rules, token: str) -> "Response":
    outcome, value = links_of(ctx).check(token, "confirm", request.now)
    if outcome != "ok":
        return _notice(ctx, rules, 410 if outcome == "expired" else 400, f"link_{outcome}")
    try:
        if value.startswith("s-"):
            done = ctx.inbox.confirm_follow(value, request.now)
            return _notice(ctx, rules, 200 if done else 410, "follow_confirmed" if done else "link_gone")
        counted = ctx.inbox.confirm_support(value)
    except InboxError as exc:
        log.error("inbox unavailable: %s", exc)
        return _notice(ctx, rules, 503, "unavailable")
    if counted == "unknown":
        return _notice(ctx, rules, 410, "link_gone")
    return _notice(ctx, rules, 200, "support_counted" if counted == "counted" else "support_duplicate")


def _unsubscribe(request: "Request", ctx: "Context", rules: Rules, token: str) -> "Response":
    from consult.forms.core import _html

    outcome, addr = links_of(ctx).check(token, "unsubscribe", request.now)
    if outcome != "ok":
        return _notice(ctx, rules, 400, "link_forged")
    if request.method == "GET" or request.method == "HEAD":
        e = html.escape
        page = ctx.pages_for(rules).notice(_t(rules, "mail.unsubscribe.title"), [_t(rules, "mail.unsubscribe.text")])
        button = (f'<form method="post" action="?t={e(token)}"><button class="button" type="submit">'
                  f'{e(_t(rules, "mail.unsubscribe.button"))}</button></form>\n')
        end = "</main>" if "</main>" in page else "</body>"  # a site's own base.html may have no <main>
        return _html(200, page.replace(end, button + end, 1))
    try:
        ctx.inbox.unsubscribe(addr)
    except InboxError as exc:
        log.error("inbox unavailable: %s", exc)
        return _notice(ctx, rules, 503, "unavailable")
    return _notice(ctx, rules, 200, "unsubscribed")

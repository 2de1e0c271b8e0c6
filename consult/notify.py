"""`consult notify`: tell each participant who opted in what became of what they said.

1. Plan. The site is loaded as a build sees it (statuses, answers; what is embargoed is not there
   yet), contribution files are read for their status, and every confirmed subscription of the
   inbox (read in address order, a batch at a time: memory stays flat) gets the events it has not
   been told (`notified`). Each address with news gets ONE digest; the digest and its events'
   "told" marks are written to the outbox in one transaction.
2. Send. The outbox's pending messages go out one by one, each marked `sending` just before the
   server reads it and `sent` after: a killed run leaves at most one message `uncertain` (never
   sent again) and the next run sends exactly the rest. 4xx: tried again with backoff, then left
   for the next run (failed after MAX_ATTEMPTS tries); 5xx: failed, reported, and the address's
   subscriptions stop (it is not tried forever).

`--dry-run DIR` writes what would be sent as .eml files and changes nothing in the inbox.
No address is printed: the report counts, and masks addresses in server replies.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import jinja2

from consult.errors import ConsultError
from consult.forms.links import Links
from consult.i18n import format_date, translate
from consult.inbox import Inbox
from consult.inbox.mail import CONFIRM_DAYS, MAX_ATTEMPTS, Message, Subscription, new_key
from consult.layout import CHARTER_SLUGS, CONTRIBUTIONS_SEGMENT, consultation_dir, contribution_file, results_url
from consult.mailer import Permanent, Temporary, Uncertain, mask

FROM_ENV = "CONSULT_MAIL_FROM"
BATCH = 500


class Transport(Protocol):
    sender: str

    def send(self, message: EmailMessage, before_data: Callable[[], None]) -> None: ...

    def close(self) -> None: ...


@dataclass
class NotifyReport:
    planned: int = 0  # digests put in the outbox by this run
    events: int = 0
    sent: int = 0
    written: int = 0  # .eml files (dry run)
    retried: int = 0  # temporary refusals tried again
    deferred: int = 0  # left pending for the next run after temporary refusals
    failed: list[str] = field(default_factory=list)  # "message id: code text" (addresses masked)
    uncertain: int = 0  # left `sending` by a killed run: not sent again

    def merge(self, other: NotifyReport) -> None:
        """Add what another connection's run counted."""
        self.sent += other.sent
        self.retried += other.retried
        self.deferred += other.deferred
        self.uncertain += other.uncertain
        self.failed += other.failed

    def render(self) -> str:
        lines = [f"failed {line}" for line in self.failed]
        if self.uncertain:
            lines.append(f"{self.uncertain} message(s) were being sent when a run was killed: not sent again "
                         "(the server may have them)")
        if self.written:
            lines.append(f"dry run: {self.written} message(s) written as .eml files, nothing sent, nothing recorded")
        summary = (f"{self.planned} new message(s) for {self.events} event(s); {self.sent} sent, "
                   f"{len(self.failed)} failed permanently, {self.deferred} left for the next run")
        if self.retried:
            summary += f" ({self.retried} temporary refusal(s) tried again)"
        return "\n".join(lines + [summary + "."])


# --- the site as published --------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    key: str  # what is told once, per subscription
    kind: str  # published | rejected | became_proposal | status | response | synthesis | results
    params: dict[str, str]
    url: str = ""
    html: str = ""  # an official response (trusted Markdown, rendered)
    extra_url: str = ""  # the charter, for a contribution not published


class Published:
    """What the site shows, looked up by consultation, proposal and contribution id."""

    def __init__(self, root: Path, site: Any):
        self.root, self.site, self.config = root, site, site.config
        self.consultations = {c.slug: c for c in site.consultations}
        self.proposals = {(c.slug, p.slug): p for c in site.consultations for p in c.proposals}
        self.statuses = {s.id: s.label for s in site.proposal_statuses}
        base = self.config.base_url
        self.url = lambda path: urljoin(base if base.endswith("/") else base + "/", path.lstrip("/"))
        pages = {p.slug: p for p in site.pages}
        self.charter_url = next((self.url(pages[s].url) for s in CHARTER_SLUGS if s in pages), "")
        self._files: dict[tuple[str, str], dict[str, Any] | None] = {}

    def contribution(self, consultation: str, id_: str) -> dict[str, Any] | None:
        """The front matter of a contribution file (None while it is not in content/)."""
        key = (consultation, id_)
        if key not in self._files:
            if len(self._files) > 10_000:
                self._files.clear()  # subscriptions come in address order: keep memory flat
            from consult.document import parse_front_matter

            path = contribution_file(consultation_dir(self.root, consultation), id_)
            try:
                doc, _, problems = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
                data = doc.data if not problems and isinstance(doc.data, dict) else None
            except (OSError, UnicodeDecodeError):
                data = None
            self._files[key] = data
        return self._files[key]

    def day(self, value: Any) -> str:
        return format_date(value, self.config.language, self.config.tz)


def events_for(sub: Subscription, published: Published) -> list[Event]:
    """Every event this subscription may be told of, as the site stands (told ones included)."""
    consultation = published.consultations.get(sub.consultation)
    if consultation is None:
        return []
    since = (sub.created or datetime.min.replace(tzinfo=timezone.utc)).astimezone(published.config.tz).date()
    if sub.purpose == "contribution":
        return _contribution_events(sub, consultation, published)
    if sub.purpose == "proposal":
        proposal = published.proposals.get((consultation.slug, sub.target))
        return _proposal_events(proposal, published, since, statuses=False) if proposal else []
    return _consultation_events(consultation, published, since)


def _contribution_events(sub: Subscription, consultation: Any, published: Published) -> list[Event]:
    data = published.contribution(consultation.slug, sub.target)
    if data is None:
        return []
    status, id_ = data.get("status"), sub.target
    submitted = data.get("submitted")
    params = {"consultation": consultation.title, "date": published.day(submitted) if submitted else ""}
    if status == "rejected":
        code = str(data.get("reason") or "")
        reason = translate(published.config.language, f"reason.{code}") if code else ""
        return [Event(f"{id_}:rejected", "rejected", dict(params, reason=reason or code),
                      extra_url=published.charter_url)]
    if status != "published":
        return []
    became = data.get("proposal") if data.get("kind") in ("proposal", "suggestion") else None
    proposal = published.proposals.get((consultation.slug, str(became))) if became else None
    if proposal is not None:
        first = Event(f"{id_}:proposal:{proposal.slug}", "became_proposal", dict(params, title=proposal.title),
                      url=published.url(proposal.url))
        return [first, *_proposal_events(proposal, published, None, statuses=True)]
    if data.get("kind") == "comment" and data.get("proposal"):
        target = published.proposals.get((consultation.slug, str(data["proposal"])))
        url = target.url if target else consultation.url
    else:
        url = consultation.url + CONTRIBUTIONS_SEGMENT
    return [Event(f"{id_}:published", "published", params, url=published.url(url))]


def _proposal_events(proposal: Any, published: Published, since: date | None, statuses: bool) -> list[Event]:
    """A proposal's status changes after its first (with `statuses`) and its official response,
    as shown on the build's day (what is embargoed is not in the model yet)."""
    base = f"p:{proposal.consultation}/{proposal.slug}"
    url = published.url(proposal.url)
    events = []
    if statuses:
        for change in proposal.history[1:]:
            label = published.statuses.get(change.status, change.status)
            events.append(Event(f"{base}:status:{change.date}:{change.status}", "status",
                                {"title": proposal.title, "status": label}, url=url))
    if proposal.response_html and (since is None or proposal.response_date is None or proposal.response_date >= since):
        events.append(Event(f"{base}:response:{proposal.response_date}", "response",
                            {"title": proposal.title, "organisation": published.config.organisation.name},
                            url=url, html=proposal.response_html))
    return events


def _consultation_events(consultation: Any, published: Published, since: date) -> list[Event]:
    events = []
    synthesis = consultation.synthesis
    if synthesis is not None and (synthesis.published is None or synthesis.published >= since):
        events.append(Event(f"c:{consultation.slug}:synthesis", "synthesis", {"consultation": consultation.title},
                            url=published.url(consultation.url)))
    closes = consultation.closes.astimezone(published.config.tz).date()
    if consultation.shows_results and consultation.status != "open" and closes >= since:
        events.append(Event(f"c:{consultation.slug}:results", "results", {"consultation": consultation.title},
                            url=published.url(results_url(consultation.url))))
    return events


# --- planning -------------------------------------------------------------------------------
def _by_address(subscriptions: Iterator[Subscription]) -> Iterator[list[Subscription]]:
    group: list[Subscription] = []
    for sub in subscriptions:
        if group and group[-1].addr != sub.addr:
            yield group
            group = []
        group.append(sub)
    if group:
        yield group


def plan(inbox: Inbox, published: Published) -> Iterator[tuple[Message, list[tuple[str, str]]]]:
    """One digest per address with untold events, and the (subscription, event) marks it tells."""
    pending: list[list[Subscription]] = []

    def flush() -> Iterator[tuple[Message, list[tuple[str, str]]]]:
        told = inbox.told([s.id for group in pending for s in group])
        for group in pending:
            events: list[dict[str, Any]] = []
            marks: list[tuple[str, str]] = []
            seen: set[str] = set()
            for sub in group:
                for event in events_for(sub, published):
                    if (sub.id, event.key) in told:
                        continue
                    marks.append((sub.id, event.key))
                    if event.key not in seen:  # one address following a thing twice hears it once
                        seen.add(event.key)
                        events.append({"kind": event.kind, "params": event.params, "url": event.url,
                                       "html": event.html, "extra_url": event.extra_url, "purpose": sub.purpose})
            if events:
                yield Message(new_key("d"), group[0].addr, group[0].email, "digest", {"events": events}), marks
        pending.clear()

    for group in _by_address(inbox.subscriptions()):
        pending.append(group)
        if len(pending) >= BATCH:
            yield from flush()
    yield from flush()


# --- rendering ------------------------------------------------------------------------------
class _Text(HTMLParser):
    """An official response's HTML as plain text, for the text part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "li", "br", "h2", "h3", "h4", "blockquote"):
            self.parts.append("\n" + ("- " if tag == "li" else ""))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


class Composer:
    """Outbox rows -> e-mail messages, from the theme's `email/*.txt` and `email/*.html` templates
    (a site overrides them as it overrides page templates), in the site's language."""

    def __init__(self, root: Path, config: Any, links: Links, sender: str):
        from consult.theme import make_environment

        env = make_environment(root, config.theme, config.language, config.timezone, auto_reload=False)
        # Text parts must not be HTML-escaped; the HTML parts are, as every page is.
        self.env = env.overlay(autoescape=jinja2.select_autoescape(enabled_extensions=("html",),
                                                                   default_for_string=False))
        self.config, self.links = config, links
        endpoint = urljoin(config.base_url, config.form_endpoint)
        self.api = endpoint.rsplit("/", 1)[0]
        self.domain = urlsplit(config.base_url).hostname or "localhost"
        if not sender:
            raise ConsultError(f"no sender address: set {FROM_ENV}, add ?from=... to CONSULT_SMTP_URL, or "
                               "organisation.contact_email in site.yaml")
        self.sender = sender

    def t(self, key: str, **params: object) -> str:
        return translate(self.config.language, key, **params)

    def compose(self, message: Message, now: datetime) -> EmailMessage:
        organisation = self.config.organisation.name
        context: dict[str, Any] = {"organisation": organisation, "site_url": self.config.base_url,
                                   "site_title": self.config.title, "language": self.config.language}
        if message.kind == "confirm":
            payload = message.payload
            value = payload["subscription"] if payload["what"] == "follow" else payload["submission"]
            token = self.links.make("confirm", value, now, CONFIRM_DAYS)
            context.update(what=payload["what"], title=payload["title"], days=CONFIRM_DAYS,
                           confirm_url=f"{self.api}/confirm?t={token}")
            subject = self.t(f"email.confirm.subject.{payload['what']}", organisation=organisation)
            template, unsubscribe = "confirm", ""
        else:
            events = [dict(e, text=self.t(f"email.event.{e['kind']}", **e["params"]),
                           response_text=html_to_text(e["html"]) if e["html"] else "")
                      for e in message.payload["events"]]
            purposes = list(dict.fromkeys(e["purpose"] for e in events))
            unsubscribe = f"{self.api}/unsubscribe?t={self.links.make('unsubscribe', message.addr)}"
            context.update(events=events, why=[self.t(f"email.why.{p}") for p in purposes],
                           unsubscribe_url=unsubscribe)
            subject = self.t("email.digest.subject", organisation=organisation)
            template = "digest"
        email = EmailMessage()
        email["Subject"] = subject
        email["From"] = Address(organisation, addr_spec=self.sender)
        email["To"] = message.email
        email["Date"] = format_datetime(now)
        email["Message-ID"] = make_msgid(domain=self.domain)
        email["Auto-Submitted"] = "auto-generated"
        email["X-Consult-Id"] = message.id
        if unsubscribe:
            email["List-Unsubscribe"] = f"<{unsubscribe}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        email.set_content(self.env.get_template(f"email/{template}.txt").render(**context))
        email.add_alternative(self.env.get_template(f"email/{template}.html").render(**context), subtype="html")
        return email


# --- sending ----------------------------------------------------------------------------------
@dataclass
class Sending:
    rate: float = 10.0  # messages per second at most (0: as fast as the server takes them)
    retries: int = 3  # tries of one message in one run on temporary refusals
    backoff: float = 2.0  # seconds before the first retry, doubled each time
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


class _Pace:
    """The rate limit, shared by every connection: message n leaves no sooner than n / rate
    seconds after the first."""

    def __init__(self, sending: Sending):
        self.sending, self.start, self.count, self.lock = sending, sending.clock(), 0, threading.Lock()

    def wait(self) -> None:
        if self.sending.rate <= 0:
            return
        with self.lock:
            slot = self.start + self.count / self.sending.rate
            self.count += 1
        delay = slot - self.sending.clock()
        if delay > 0:
            self.sending.sleep(delay)


def _outbox(inbox: Inbox) -> Iterator[Message]:
    after = ""
    while batch := inbox.pending(after):
        yield from batch
        after = batch[-1].id


def send_pending(inbox: Inbox, composer: Composer, transports: Sequence[Transport], report: NotifyReport,
                 sending: Sending, now: Callable[[], datetime]) -> None:
    """Send every pending message of the outbox once (see the module's docstring), over one
    connection per transport, each in a thread of its own beyond the first (a server's round
    trips, not this process, bound one connection). A killed run may leave one message
    `uncertain` per connection."""
    report.uncertain += inbox.mark_interrupted()
    pace = _Pace(sending)

    def send(message: Message, transport: Transport, into: NotifyReport) -> None:
        pace.wait()
        _send_one(inbox, composer.compose(message, now()), message, transport, into, sending, now)

    if len(transports) == 1:
        for message in _outbox(inbox):
            send(message, transports[0], report)
        return
    work: queue.Queue[Message | None] = queue.Queue(maxsize=4 * len(transports))
    reports = [NotifyReport() for _ in transports]
    errors: list[BaseException] = []

    def worker(transport: Transport, into: NotifyReport) -> None:
        while (message := work.get()) is not None:
            if not errors:
                try:
                    send(message, transport, into)
                except BaseException as exc:  # the SMTP server gone: the run stops, the rest stays pending
                    errors.append(exc)

    threads = [threading.Thread(target=worker, args=pair, daemon=True) for pair in zip(transports, reports)]
    for thread in threads:
        thread.start()
    for message in _outbox(inbox):
        if errors:
            break
        work.put(message)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    for each in reports:
        report.merge(each)
    if errors:
        raise errors[0]


class Taken(Exception):
    """The message left `pending` while it was being sent: another run has it, or it was unsubscribed."""


def _take(inbox: Inbox, id_: str, now: datetime) -> None:
    if not inbox.take(id_, now):
        raise Taken(id_)


def _send_one(inbox: Inbox, email: EmailMessage, message: Message, transport: Transport, report: NotifyReport,
              sending: Sending, now: Callable[[], datetime]) -> None:
    attempts = message.attempts
    for attempt in range(sending.retries):
        try:
            transport.send(email, lambda: _take(inbox, message.id, now()))
        except Taken:
            return
        except Temporary as exc:
            attempts += 1
            state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            inbox.mark_message(message.id, state, now(), str(exc), attempt=True)
            if state == "failed":
                report.failed.append(f"{message.id}: {exc} (after {attempts} temporary refusals)")
                return
            if attempt + 1 < sending.retries:
                report.retried += 1
                sending.sleep(sending.backoff * 2 ** attempt)
                continue
            report.deferred += 1
            return
        except Permanent as exc:
            inbox.mark_message(message.id, "failed", now(), str(exc), attempt=True)
            report.failed.append(f"{message.id}: {exc}")
            return
        except Uncertain as exc:
            inbox.mark_message(message.id, "uncertain", now(), mask(str(exc)), attempt=True)
            report.uncertain += 1
            return
        inbox.mark_message(message.id, "sent", now())
        report.sent += 1
        return


def notify(root: Path, inbox: Inbox, transport: Transport | Sequence[Transport], links: Links, *,
           dry_run: bool = False, outbox_only: bool = False,
           sending: Sending | None = None, now: Callable[[], datetime] | None = None,
           site_now: datetime | None = None) -> NotifyReport:
    """Plan what is new and send the outbox (module docstring), over one connection per transport
    given. `dry_run`: the transport writes files, and nothing is recorded (the same run again plans
    the same messages). `outbox_only`: no planning, only what the outbox holds is sent
    (confirmation links, which must not wait for the next build of main)."""
    transports = list(transport) if isinstance(transport, Sequence) else [transport]
    transport = transports[0]
    from consult.config import load_config
    from consult.content.load import load_site

    clock = now or (lambda: datetime.now(timezone.utc))
    config, problems = load_config(root)
    if config is None:
        raise ConsultError(problems)
    site, _warnings = load_site(root, config, site_now or clock())
    published = Published(root, site)
    sender = os.environ.get(FROM_ENV) or transport.sender or config.organisation.contact_email
    composer = Composer(root, config, links, sender)
    report = NotifyReport()
    sending = sending or Sending()
    try:
        if dry_run:
            for message in inbox.pending(batch=1_000_000_000):
                transport.send(composer.compose(message, clock()), lambda: None)
                report.written += 1
            for message, marks in plan(inbox, published):
                transport.send(composer.compose(message, clock()), lambda: None)
                report.written += 1
                report.planned += 1
                report.events += len(message.payload["events"])
            return report
        chunk: list[tuple[Message, list[tuple[str, str]]]] = []
        for planned in () if outbox_only else plan(inbox, published):
            chunk.append(planned)
            report.planned += 1
            report.events += len(planned[0].payload["events"])
            if len(chunk) >= BATCH:
                inbox.enqueue(chunk, clock())
                chunk = []
        if chunk:
            inbox.enqueue(chunk, clock())
        send_pending(inbox, composer, transports, report, sending, clock)
    finally:
        for each in transports:
            each.close()
    return report


"""E-mail notifications and verified supports, end to end, against a REAL SMTP server.

The server is aiosmtpd (an SMTP server library) listening on a free port of localhost; the tests
read what it received. The site is a copy of the demo, its inbox a real SQLite file (PostgreSQL
for the inbox's own mail tables, in test_inbox_mail below), the handler its sans-IO core.
"""

from __future__ import annotations

import email
import json
import email.policy
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from consult.build import build_site
from consult.cli import cli
from consult.forms.core import Context, Request, Response, handle
from consult.forms.guard import Guard
from consult.forms.links import Links
from consult.forms.rules import load_rules
from consult.inbox import Inbox, open_inbox
from consult.inbox.mail import Message, Subscription
from consult.mailer import SmtpTransport
from consult.notify import Sending, notify
from tests.conftest import copy_demo

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
SECRET = "s" * 64
FORM = "application/x-www-form-urlencoded"
ANA = "ana.citoyenne@example.org"
BOB = "bob.voisin@example.net"
CAROL = "carol@example.com"
DAN = "dan.suiveur@example.org"
PULL_TOKEN = "pull-token-for-the-export-" + "x" * 20


# --- a real SMTP server ------------------------------------------------------------------------
@dataclass
class Received:
    rcpt: list[str]
    message: email.message.EmailMessage


@dataclass
class Recorder:
    """aiosmtpd's handler: records each message; `replies` scripts refusals per recipient (popped
    in order: '451 ...' temporary, '550 ...' permanent); `on_rcpt` runs at each RCPT."""

    received: list[Received] = field(default_factory=list)
    replies: dict[str, list[str]] = field(default_factory=dict)
    on_rcpt: Callable[[str], None] | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.on_rcpt is not None:
            self.on_rcpt(address)
        scripted = self.replies.get(address)
        if scripted:
            return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, str]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, f"smtp://127.0.0.1:{controller.port}?from=participation%40clairval.example.org"
    finally:
        controller.stop()


# --- the site, the handler, the inbox --------------------------------------------------------------
@dataclass
class World:
    root: Path
    inbox: Inbox
    ctx: Context
    links: Links

    def post(self, path: str, fields: dict[str, str], now: datetime = NOW, query: str = "") -> Response:
        return handle(Request("POST", path, {"content-type": FORM}, urlencode(fields).encode(), "203.0.113.9", now,
                              query=query), self.ctx)

    def get(self, path: str, query: str = "", now: datetime = NOW) -> Response:
        return handle(Request("GET", path, {}, b"", "203.0.113.9", now, query=query), self.ctx)

    def token(self, consultation: str, kind: str) -> str:
        return self.ctx.guard.token(NOW - timedelta(seconds=30), consultation, kind)

    def notify(self, url: str, **options: Any) -> Any:
        # At the world's own time, as every post and get here: a link issued at the real time would
        # outlive NOW + its days once the real day passed NOW's.
        return notify(self.root, self.inbox, SmtpTransport(url), self.links,
                      sending=options.pop("sending", Sending(rate=0, backoff=0.01)), site_now=NOW,
                      now=options.pop("now", lambda: NOW), **options)

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(cli, ["--root", str(self.root), *args], catch_exceptions=False,
                                    env={"CONSULT_SECRET": SECRET})
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def world(disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("CONSULT_SECRET", SECRET)
    root = copy_demo(disk_dir / "site")
    build_site(root, now=NOW)
    inbox = open_inbox("sqlite:///.consult/inbox.sqlite3", root)
    guard = Guard(SECRET.encode())
    ctx = Context(rules=load_rules(root / "_site" / "consult-rules.json"), inbox=inbox, guard=guard)
    try:
        yield World(root, inbox, ctx, Links(SECRET.encode()))
    finally:
        inbox.close()


def idea(world: World, address: str, title: str = "Un garage à vélos à la gare", **more: str) -> Response:
    fields = {"kind": "proposal", "consultation": "plan-velo", "title": title,
              "body": "Un abri fermé pour les vélos, près des quais.", "author": "Ana", "email": address,
              "website": "", "token": world.token("plan-velo", "proposal"), "idempotency_key": "",
              "notify_contribution": "yes", **more}
    return world.post("/api/submit", fields)


def pull_and_approve(world: World) -> str:
    from consult.pull import pull

    pull(world.root, world.inbox, now=NOW)
    ids = [s.id for s in world.inbox.all() if s.kind == "proposal"]
    world.cli("moderate", "approve", *ids)
    return ids[-1]


def proposal_of(world: World, id_: str) -> str:
    text = next(world.root.glob(f"content/consultations/plan-velo/contributions/{id_}.md")).read_text()
    return re.search(r"^proposal: (\S+)$", text, re.M).group(1)  # type: ignore[union-attr]


def unsubscribe_path(message: email.message.EmailMessage) -> tuple[str, str]:
    link = str(message["List-Unsubscribe"]).strip("<>")
    parts = urlsplit(link)
    return parts.path, parts.query


def body_text(message: email.message.EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


# --- the whole loop ----------------------------------------------------------------------------------
def test_the_whole_loop_opt_in_notify_unsubscribe_then_silence(world: World, smtp: tuple[Recorder, str],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="consult")
    recorder, url = smtp
    assert idea(world, ANA).status == 303
    id_ = pull_and_approve(world)
    slug = proposal_of(world, id_)
    build_site(world.root, now=NOW)

    report = world.notify(url)
    assert report.sent == 1, report.render()
    [message] = recorder.to(ANA)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["List-Unsubscribe"]).startswith("<https://")
    text = body_text(message)
    assert f"/consultations/plan-velo/proposals/{slug}/" in text
    assert "Vous recevez ce message parce que vous avez demandé à être prévenu·e de la suite" in text
    html = str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert "<img" not in html and "http" not in re.sub(r'href="[^"]+"', "", html)  # no remote resource

    # Twice: nothing more.
    assert world.notify(url).sent == 0 and len(recorder.received) == 1

    # The mail client's one-click POST (RFC 8058) through the handler.
    path, query = unsubscribe_path(message)
    page = world.get(path, query)  # a page with a button: a GET changes nothing
    assert page.status == 200 and '<form method="post" action="?t=' in page.body.decode()
    assert world.inbox.told([s.id for s in world.inbox.subscriptions()])  # still subscribed
    response = world.post(path, {"List-Unsubscribe": "One-Click"}, query=query)
    assert response.status == 200 and "Désinscription faite" in response.body.decode()
    assert list(world.inbox.subscriptions()) == []

    # A later status change and answer: nothing goes to that address.
    answer = world.root / "answer.md"
    answer.write_text("Nous retenons cette idée pour 2027.\n", encoding="utf-8")
    world.cli("respond", slug, "--status", "retenue", "--response-file", str(answer), "--date", "2026-12-01")
    assert world.notify(url).sent == 0
    assert recorder.to(ANA) == [message]

    # Privacy: the address is in no file of content/ or _site/, no commit, no log line.
    build_site(world.root, now=NOW)
    for folder in ("content", "_site"):
        for path_ in (world.root / folder).rglob("*"):
            if path_.is_file():
                assert ANA.encode() not in path_.read_bytes(), path_
    subprocess.run(["git", "init", "-q", str(world.root)], check=True)
    subprocess.run(["git", "-C", str(world.root), "add", "content", "site.yaml"], check=True)
    subprocess.run(["git", "-C", str(world.root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    log = subprocess.run(["git", "-C", str(world.root), "log", "-p", "--all"], capture_output=True, text=True).stdout
    assert ANA not in log
    assert ANA not in caplog.text


def test_status_change_and_answer_are_told_once_in_one_digest(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    idea(world, ANA)
    slug = proposal_of(world, pull_and_approve(world))
    answer = world.root / "answer.md"
    answer.write_text("Oui, **en 2027**.\n", encoding="utf-8")
    world.cli("respond", slug, "--status", "retenue", "--response-file", str(answer), "--date", "2026-12-01")
    world.notify(url)
    [message] = recorder.to(ANA)  # one digest: the idea became a proposal, its status, its answer
    text = body_text(message)
    assert "Votre idée est devenue une proposition" in text
    assert "a changé de statut\u00a0: Retenue" in text
    assert "Oui, en 2027." in text
    assert world.notify(url).sent == 0


def test_a_commenter_who_asked_hears_the_answer_to_the_proposal(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    fields = {"kind": "comment", "consultation": "plan-velo", "proposal": "arceaux-gare", "body": "Oui, vite.",
              "author": "", "email": BOB, "website": "", "token": world.token("plan-velo", "comment"),
              "idempotency_key": "", "notify_proposal": "yes"}
    assert world.post("/api/submit", fields).status == 303
    world.notify(url)
    assert recorder.received == []  # the proposal has no new answer yet
    answer = world.root / "answer.md"
    answer.write_text("Des arceaux seront posés en mars.\n", encoding="utf-8")
    world.cli("respond", "arceaux-gare", "--status", "retenue", "--response-file", str(answer), "--date", "2026-12-01")
    world.notify(url)
    [message] = recorder.to(BOB)
    text = body_text(message)
    assert "Des arceaux seront posés en mars." in text and "a répondu à la proposition" in text
    assert "de la réponse à une proposition" in text  # why it was received


def test_embargoed_answer_waits_for_its_day(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    idea(world, ANA)
    slug = proposal_of(world, pull_and_approve(world))
    world.notify(url)
    answer = world.root / "answer.md"
    answer.write_text("Réponse sous embargo.\n", encoding="utf-8")
    world.cli("respond", slug, "--status", "retenue", "--response-file", str(answer), "--date", "2026-12-15")
    assert world.notify(url).sent == 0  # the site does not show it before the 15th
    later = notify(world.root, world.inbox, SmtpTransport(url), world.links, sending=Sending(rate=0),
                   site_now=datetime(2026, 12, 15, 12, tzinfo=timezone.utc))
    assert later.sent == 1 and "Réponse sous embargo." in body_text(recorder.to(ANA)[-1])


def test_a_rejected_contribution_says_why_with_the_charter(world: World, smtp: tuple[Recorder, str]) -> None:
    from consult.pull import pull

    recorder, url = smtp
    fields = {"kind": "suggestion", "consultation": "plan-velo", "title": "", "body": "Hors sujet total.",
              "author": "", "email": ANA, "website": "", "token": world.token("plan-velo", "suggestion"),
              "idempotency_key": "", "notify_contribution": "yes"}
    assert world.post("/api/submit", fields).status == 303
    pull(world.root, world.inbox, now=NOW)
    [sub] = world.inbox.all()
    world.cli("moderate", "reject", sub.id, "--reason", "hors-sujet")
    world.notify(url)
    text = body_text(recorder.to(ANA)[0])
    assert "n'a pas été publiée. Motif\u00a0: Hors sujet." in text
    assert "/charte-de-moderation/" in text


def test_no_box_ticked_no_subscription(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    idea(world, ANA, notify_contribution="")
    pull_and_approve(world)
    assert world.notify(url).sent == 0 and recorder.received == []


def test_a_ticked_box_without_address_is_a_mistake_to_fix(world: World) -> None:
    response = idea(world, "")
    assert response.status == 422
    page = response.body.decode()
    assert "indiquez votre adresse électronique" in page and "Un garage à vélos à la gare" in page


# --- idempotence: killed mid-run ------------------------------------------------------------------------
def many_followers(world: World, count: int) -> list[str]:
    """`count` addresses following the demo's closed consultation with a synthesis... confirmed."""
    addresses = [f"personne{n}@example.org" for n in range(count)]
    for address in addresses:
        addr = world.links.address_key(address)
        sub = Subscription(f"s-{addr[:20]}", address, addr, "consultation", "parc-des-berges",
                           created=NOW - timedelta(days=400))
        with world.inbox._tx() as cur:
            world.inbox._insert_subscription(cur, sub, NOW - timedelta(days=400))
    return addresses


def test_killed_mid_run_the_rerun_sends_exactly_the_rest(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    addresses = many_followers(world, 12)
    env = dict(os.environ, CONSULT_SECRET=SECRET, CONSULT_SMTP_URL=url, PYTHONPATH=str(Path(__file__).parents[1]))
    command = [sys.executable, "-m", "consult", "--root", str(world.root), "notify", "--rate", "0",
               "--now", "2026-12-01T11:00"]
    process: dict[str, subprocess.Popen[bytes]] = {}
    seen: list[str] = []

    def kill_at_sixth(address: str) -> None:
        seen.append(address)
        if len(seen) == 6:  # the 6th message: killed before the server answers its recipient
            process["p"].send_signal(signal.SIGKILL)

    recorder.on_rcpt = kill_at_sixth
    process["p"] = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process["p"].wait(timeout=120)
    assert process["p"].returncode == -signal.SIGKILL
    first = {r.rcpt[0] for r in recorder.received}
    assert len(first) == 5

    recorder.on_rcpt = None
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    got = [r.rcpt[0] for r in recorder.received]
    assert sorted(got) == sorted(addresses)  # everyone once: nobody twice, nobody left out
    for address in addresses:
        assert address not in rerun.stdout + rerun.stderr
    assert subprocess.run(command, env=env, capture_output=True, timeout=120).returncode == 0
    assert len(recorder.received) == len(addresses)


# --- SMTP failures ----------------------------------------------------------------------------------------
def test_a_temporary_refusal_is_retried_a_permanent_one_recorded(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    first, second = many_followers(world, 2)
    recorder.replies[first] = ["451 4.3.0 try again later"]
    recorder.replies[second] = [f"550 5.1.1 <{second}> no such user"]
    report = world.notify(url)
    assert report.sent == 1 and report.retried == 1
    assert [r.rcpt for r in recorder.received] == [[first]]
    assert len(report.failed) == 1 and "550" in report.failed[0]
    assert second not in report.render()  # the server's text names the address: masked
    assert world.inbox.outbox_counts() == {"sent": 1, "failed": 1}
    # Never tried again, and the address gets nothing new planned.
    assert world.notify(url).sent == 0 and len(recorder.received) == 1


def test_temporary_refusals_run_out_into_a_failure(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    [only] = many_followers(world, 1)
    recorder.replies[only] = ["451 busy"] * 20
    runs = [world.notify(url) for _ in range(2)]
    assert runs[0].deferred == 1 and not runs[0].failed
    assert runs[1].failed and world.inbox.outbox_counts() == {"failed": 1}


def test_several_connections_send_each_message_once(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    addresses = many_followers(world, 9)
    recorder.replies[addresses[4]] = ["550 5.1.1 unknown"]
    report = notify(world.root, world.inbox, [SmtpTransport(url) for _ in range(3)], world.links,
                    sending=Sending(rate=0), site_now=NOW)
    assert report.sent == 8 and len(report.failed) == 1
    assert sorted(r.rcpt[0] for r in recorder.received) == sorted(a for a in addresses if a != addresses[4])


def test_two_runs_at_once_send_each_event_once(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    addresses = many_followers(world, 10)
    outcomes: list[Any] = []

    def run() -> None:
        inbox = open_inbox("sqlite:///.consult/inbox.sqlite3", world.root)
        try:
            outcomes.append(notify(world.root, inbox, SmtpTransport(url), world.links, sending=Sending(rate=0),
                                   site_now=NOW))
        finally:
            inbox.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.rcpt[0] for r in recorder.received) == sorted(addresses)
    assert sum(o.sent for o in outcomes) == 10


def test_the_rate_limit_spaces_messages(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    many_followers(world, 3)
    slept: list[float] = []
    ticks = iter(range(1000))
    sending = Sending(rate=2, clock=lambda: float(next(ticks)) * 0.0, sleep=slept.append)
    world.notify(url, sending=sending)
    assert len(recorder.received) == 3 and slept == [0.5, 1.0]


def test_dry_run_writes_eml_files_and_records_nothing(world: World, tmp_path: Path) -> None:
    from consult.mailer import EmlTransport

    addresses = many_followers(world, 2)
    out = tmp_path / "eml"
    report = notify(world.root, world.inbox, EmlTransport(out), world.links, dry_run=True, site_now=NOW)
    files = sorted(out.glob("*.eml"))
    assert report.written == 2 and len(files) == 2
    for path, address in zip(files, sorted(addresses, key=world.links.address_key)):
        text = path.read_bytes()
        assert address.encode() in text
        other = next(a for a in addresses if a != address)
        assert other.encode() not in text  # the .eml of another address names only its own
    assert world.inbox.outbox_counts() == {}
    assert notify(world.root, world.inbox, EmlTransport(tmp_path / "again"), world.links, dry_run=True,
                  site_now=NOW).written == 2


# --- double opt-in -------------------------------------------------------------------------------------------
def confirm_link(message: email.message.EmailMessage) -> tuple[str, str]:
    link = re.search(r"https://\S+/api/confirm\?t=\S+", body_text(message)).group(0)  # type: ignore[union-attr]
    parts = urlsplit(link)
    return parts.path, parts.query


def test_follow_is_confirmed_before_anything_else_is_sent(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    response = world.post("/api/follow", {"consultation": "plan-velo", "email": BOB, "website": ""})
    assert response.status == 200 and "Vérifiez votre messagerie" in response.body.decode()
    (world.root / "content/consultations/plan-velo/synthesis.md").write_text(
        "---\ntitle: Synthèse\npublished: 2026-12-01\n---\nCe que nous avons entendu.\n", encoding="utf-8")
    world.notify(url)
    [confirmation] = recorder.to(BOB)  # the link only: the synthesis waits
    assert "List-Unsubscribe" not in confirmation
    assert world.notify(url).sent == 0

    path, query = confirm_link(confirmation)
    forged = world.get(path, query[:-3] + "abc")
    assert forged.status == 400 and "Lien invalide" in forged.body.decode()
    expired = world.get(path, query, now=NOW + timedelta(days=8))
    assert expired.status == 410 and "Lien expiré" in expired.body.decode()
    assert world.notify(url).sent == 0

    ok = world.get(path, query)
    assert ok.status == 200 and "Adresse confirmée" in ok.body.decode()
    world.notify(url)
    assert len(recorder.to(BOB)) == 2
    assert "La synthèse de la consultation" in body_text(recorder.to(BOB)[1])


def test_outbox_only_sends_confirmations_without_looking_for_news(world: World, smtp: tuple[Recorder, str]) -> None:
    recorder, url = smtp
    many_followers(world, 1)  # has news waiting (parc-des-berges' synthesis)
    world.post("/api/follow", {"consultation": "plan-velo", "email": BOB, "website": ""})
    result = CliRunner().invoke(cli, ["--root", str(world.root), "notify", "--outbox-only"], catch_exceptions=False,
                                env={"CONSULT_SECRET": SECRET, "CONSULT_SMTP_URL": url})
    assert result.exit_code == 0, result.output
    assert [r.rcpt for r in recorder.received] == [[BOB]] and BOB not in result.output
    assert "0 new message(s)" in result.output


def test_follow_keeps_a_mistyped_address_to_fix(world: World) -> None:
    response = world.post("/api/follow", {"consultation": "parc-des-berges", "email": "bob@", "website": ""})
    assert response.status == 422 and "bob@" in response.body.decode()


# --- verified supports -------------------------------------------------------------------------------------------
def verified(world: World) -> None:
    index = world.root / "content" / "consultations" / "plan-velo" / "index.md"
    index.write_text(index.read_text().replace("moderation: pre\n", "moderation: pre\nsupports: verified\n", 1))
    build_site(world.root, now=NOW)
    world.ctx.rules = load_rules(world.root / "_site" / "consult-rules.json")


def support(world: World, address: str, proposal: str = "arceaux-gare") -> Response:
    return world.post("/api/submit", {"kind": "support", "consultation": "plan-velo", "proposal": proposal,
                                      "token": world.token("plan-velo", "support"), "idempotency_key": "",
                                      "website": "", "email": address})


def test_verified_supports_count_only_after_the_link_once_per_address(world: World, smtp: tuple[Recorder, str],
                                                                      disk_dir: Path) -> None:
    recorder, url = smtp
    verified(world)
    page = (world.root / "_site/consultations/plan-velo/proposals/arceaux-gare/index.html").read_text()
    assert "soutiens vérifiés par courriel" in page and 'name="email"' in page

    asked = world.post("/api/submit", {"kind": "support", "consultation": "plan-velo", "proposal": "arceaux-gare",
                                       "token": world.token("plan-velo", "support"), "idempotency_key": "",
                                       "website": ""})
    assert asked.status == 422 and "Indiquez votre adresse électronique" in asked.body.decode()

    assert support(world, ANA).status == 200
    assert support(world, ANA.upper()).status == 200  # the same address, spelled otherwise
    assert world.inbox.support_tallies() == {}  # nothing counts before the link
    world.notify(url)
    first, second = recorder.to(ANA) + recorder.to(ANA.upper())
    assert "Pour que votre soutien compte" in body_text(first)

    path, query = confirm_link(first)
    tampered = query[:-2] + ("00" if query[-2:] != "00" else "11")  # never the signature itself (1 run in 256 was)
    assert world.get(path, tampered).status == 400
    assert world.get(path, query, now=NOW + timedelta(days=8)).status == 410
    assert world.inbox.support_tallies() == {}
    assert "Soutien confirmé" in world.get(path, query).body.decode()
    assert world.inbox.support_tallies() == {"plan-velo": {"arceaux-gare": 1}}
    again = world.get(*confirm_link(second))
    assert "Soutien déjà compté" in again.body.decode()
    assert world.inbox.support_tallies() == {"plan-velo": {"arceaux-gare": 1}}
    assert [s.kind for s in world.inbox.held()] == []  # waiting supports are no moderator's business


def export(world: World, path: str, payload: dict[str, Any] | None = None, query: str = "") -> tuple[int, bytes]:
    """One request to the handler's export (`consult pull --from`), from this machine with the pull token."""
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = {"authorization": f"Bearer {PULL_TOKEN}", **({"content-type": "application/json"} if payload else {})}
    response = handle(Request("POST" if payload is not None else "GET", "/api/export" + path, headers, body,
                              "127.0.0.1", NOW, query=query), world.ctx)
    return response.status, response.body


def test_the_export_carries_no_address_subscription_or_link(world: World, smtp: tuple[Recorder, str]) -> None:
    """Opt-ins, a follow and verified supports (one confirmed, one waiting) stay on the handler: no
    answer of /api/export holds an address, an address key, a voter or a link's token, and a waiting
    support is neither exported, counted nor held for a moderator."""
    recorder, url = smtp
    verified(world)
    world.ctx.pull_token = PULL_TOKEN.encode()
    assert idea(world, ANA).status == 303
    comment = world.post("/api/submit", {"kind": "comment", "consultation": "plan-velo", "proposal": "arceaux-gare",
                                         "body": "Oui, avec un abri.", "author": "Ana", "email": ANA, "website": "",
                                         "token": world.token("plan-velo", "comment"), "idempotency_key": "",
                                         "notify_contribution": "yes", "notify_proposal": "yes"})
    assert comment.status == 303
    assert support(world, BOB).status == 200 and support(world, CAROL).status == 200
    assert world.post("/api/follow", {"consultation": "plan-velo", "email": DAN, "website": ""}).status == 200
    world.notify(url)
    assert "Soutien confirmé" in world.get(*confirm_link(recorder.to(BOB)[0])).body.decode()

    answers = [export(world, "/claim", {"worker": "w1"}), export(world, "", query="worker=w1&limit=1000"),
               export(world, "/confirming", {"worker": "w1"}), export(world, "/state")]
    assert [status for status, _ in answers] == [200] * 4
    assert json.loads(answers[0][1]) == {"count": 2}  # the idea and the comment; no support is a file
    rows = json.loads(answers[1][1])["rows"]
    assert sorted(row["kind"] for row in rows) == ["comment", "proposal"]
    assert all(set(row) == {"id", "consultation", "kind", "proposal", "title", "body", "author", "answers",
                            "received", "flags", "category"} for row in rows)  # what a contribution file holds
    assert json.loads(answers[3][1]) == {"tombstones": [], "supports": {"plan-velo": {"arceaux-gare": 1}}, "held": 0}
    text = b"".join(body for _, body in answers).decode()
    secrets = {ANA, BOB, CAROL, DAN, *(world.links.address_key(a) for a in (ANA, BOB, CAROL, DAN))}
    secrets |= {s.voter for s in world.inbox.all() if s.voter}
    secrets |= {token for m in recorder.received for token in re.findall(r"[?&]t=([^\s&]+)", body_text(m.message))}
    assert len(secrets) > 8 and "@" not in text
    assert [secret for secret in secrets if secret in text] == []


def test_notify_and_erase_refuse_through_the_export(world: World, disk_dir: Path) -> None:
    """The addresses stay on the handler: through `pull --from`'s RemoteInbox, notify and erase
    stop with a message saying they need the inbox itself, and send or forget nothing."""
    from consult.inbox import InboxError
    from consult.inbox.remote import RemoteInbox
    from consult.mailer import EmlTransport

    idea(world, ANA)
    remote = RemoteInbox("http://127.0.0.1:9", PULL_TOKEN)  # never reached: refused before any request
    with pytest.raises(InboxError, match="only the pull is possible"):
        notify(world.root, remote, EmlTransport(disk_dir / "eml"), world.links, site_now=NOW)
    [sub] = world.inbox.all()
    with pytest.raises(InboxError, match="only the pull is possible"):
        remote.erase(sub.id, NOW)
    assert not list((disk_dir / "eml").glob("*.eml")) and len(list(world.inbox.subscriptions())) == 1


# --- erasure and retention ----------------------------------------------------------------------------------------
def test_erase_removes_the_address_and_its_pending_messages(world: World) -> None:
    from consult.pull import pull

    idea(world, ANA)
    pull(world.root, world.inbox, now=NOW)
    [sub] = world.inbox.all()
    world.inbox.enqueue([(Message("d-1", world.links.address_key(ANA), ANA, "digest", {"events": []}), [])], NOW)
    assert list(world.inbox.subscriptions())
    world.cli("erase", sub.id)
    assert list(world.inbox.subscriptions()) == [] and world.inbox.pending() == []
    raw = (world.root / ".consult" / "inbox.sqlite3").read_bytes()
    assert ANA.encode() not in raw


def test_retention_purge_forgets_addresses_with_their_submissions(world: World) -> None:
    idea(world, ANA)
    from consult.pull import pull

    pull(world.root, world.inbox, now=NOW)
    pull(world.root, world.inbox, now=NOW)  # the file found where the pull started: exported
    world.post("/api/follow", {"consultation": "parc-des-berges", "email": BOB, "website": ""})
    with world.inbox._tx() as cur:
        world.inbox._run(cur, "SELECT COUNT(*) FROM subscriptions")
        assert cur.fetchone()[0] == 2
    world.inbox.purge(NOW + timedelta(days=400), 365, {"plan-velo": None, "parc-des-berges": None})
    assert world.inbox.pending() == []
    with world.inbox._tx() as cur:
        world.inbox._run(cur, "SELECT COUNT(*) FROM subscriptions")
        assert cur.fetchone()[0] == 0


# --- the inbox's mail tables, on both backends ------------------------------------------------------------------------
def test_mail_tables_on_sqlite_and_postgresql(inbox_url: str, disk_dir: Path) -> None:
    """The same statements on both: subscriptions by address, told events, the outbox's states,
    verified supports counted once per address, unsubscribe and erasure."""
    from consult.inbox import Submission

    inbox = open_inbox(inbox_url, disk_dir)
    links = Links(SECRET.encode())
    try:
        def sub_row(id_: str, voter: str) -> Submission:
            return Submission(id=id_, consultation="velo", kind="support", proposal="pistes", title="", body="",
                              author="", received=NOW, email=ANA, voter=voter, idem_key="k-" + id_,
                              body_hash="h" + id_, quarantine="unconfirmed")

        addr = links.address_key(ANA)
        mine = Subscription("s-mine", ANA, addr, "proposal", "velo", "pistes", "20261201-aaaaaaaa")
        assert inbox.add(sub_row("20261201-aaaaaaaa", "v1"), subscriptions=(mine,))[0] == "created"
        assert inbox.add(sub_row("20261201-bbbbbbbb", "v1"))[0] == "created"  # waiting: not yet one per voter
        assert inbox.support_tallies() == {} and inbox.held() == []
        assert inbox.confirm_support("20261201-aaaaaaaa") == "counted"
        assert inbox.confirm_support("20261201-bbbbbbbb") == "duplicate"
        assert inbox.confirm_support("20261201-cccccccc") == "unknown"
        assert inbox.support_tallies() == {"velo": {"pistes": 1}}

        follow = Subscription("s-follow", BOB, links.address_key(BOB), "consultation", "velo", confirmed=False)
        confirm = Message("c-1", follow.addr, BOB, "confirm", {"what": "follow", "subscription": "s-follow"})
        assert inbox.follow(follow, confirm, NOW) == "created"
        assert inbox.follow(replace_id(follow, "s-other"), replace_id(confirm, "c-2"), NOW) == "again"
        assert [s.id for s in inbox.subscriptions()] == ["s-mine"]  # unconfirmed follows wait
        assert inbox.confirm_follow("s-follow", NOW)
        assert sorted(s.id for s in inbox.subscriptions(batch=1)) == ["s-follow", "s-mine"]

        inbox.enqueue([(Message("d-1", addr, ANA, "digest", {"events": []}), [("s-mine", "e1")])], NOW)
        assert inbox.told(["s-mine", "s-follow"]) == {("s-mine", "e1")}
        assert [m.id for m in inbox.pending()] == ["c-1", "c-2", "d-1"]
        inbox.mark_message("c-1", "sent", NOW)
        inbox.mark_message("c-2", "sending", NOW)
        assert inbox.mark_interrupted() == 1
        assert inbox.outbox_counts() == {"sent": 1, "uncertain": 1, "pending": 1}

        assert inbox.unsubscribe(addr) == 1
        assert [s.id for s in inbox.subscriptions()] == ["s-follow"] and [m.id for m in inbox.pending()] == []
        inbox.erase("20261201-aaaaaaaa", NOW)
    finally:
        inbox.close()


def replace_id(thing: Any, id_: str) -> Any:
    from dataclasses import replace

    return replace(thing, id=id_)


def test_the_shipped_workflows_notify_after_a_build_of_main() -> None:
    import yaml

    skeleton = Path(__file__).parents[1] / "consult" / "skeleton"
    flow = yaml.safe_load((skeleton / ".github" / "workflows" / "consult-check.yml").read_text())
    job = flow["jobs"]["notify"]
    assert job["needs"] == "check" and "refs/heads/main" in job["if"] and "push" in job["if"]
    assert job["env"]["CONSULT_SMTP_URL"] == "${{ secrets.CONSULT_SMTP_URL }}"
    assert any("consult notify" in step.get("run", "") for step in job["steps"])
    gitlab = yaml.safe_load((skeleton / ".gitlab-ci.yml").read_text())
    assert gitlab["notify"]["needs"] == ["check"] and "consult notify" in "".join(gitlab["notify"]["script"])


def test_a_site_overrides_the_message_templates(world: World, tmp_path: Path) -> None:
    from consult.mailer import EmlTransport

    many_followers(world, 1)
    override = world.root / "templates" / "email"
    override.mkdir(parents=True)
    (override / "digest.txt").write_text("Message de {{ organisation }} : {{ events|length }} nouvelle(s).\n"
                                         "{{ unsubscribe_url }}\n", encoding="utf-8")
    notify(world.root, world.inbox, EmlTransport(tmp_path / "eml"), world.links, dry_run=True, site_now=NOW)
    [path] = (tmp_path / "eml").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert body_text(message).startswith("Message de Ville de Clairval-sur-Loire : 2 nouvelle(s).")  # type: ignore[arg-type]


def test_an_unknown_supports_mode_is_a_clear_error(world: World) -> None:
    from consult.build import check_site
    from consult.errors import ConsultError

    index = world.root / "content" / "consultations" / "plan-velo" / "index.md"
    index.write_text(index.read_text().replace("moderation: pre\n", "moderation: pre\nsupports: verifed\n", 1))
    with pytest.raises(ConsultError) as caught:
        check_site(world.root, NOW)
    assert "index.md:" in str(caught.value.problems[0]) and "unknown supports mode 'verifed'" in str(caught.value.problems[0])

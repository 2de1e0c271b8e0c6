"""`/api/export` and `consult pull --from URL`, over a real HTTP server (the handler's WSGI app on a
free port, in a thread) with a real SQLite inbox on "the handler's machine" (a folder of its own),
and `consult pull` run as a subprocess that is killed between export and acknowledgement."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import pytest

from consult.forms.wsgi import ThreadingWSGIServer, _QuietHandler, make_app
from consult.inbox import Inbox, InboxError, Submission, open_inbox
from consult.inbox.remote import RemoteInbox
from consult.pull import pull
from consult.scaffold import init_site
from tests.conftest import REPO

TOKEN = "t0ken-for-the-pull-" + "x" * 24
SECRET = b"s" * 40
RECEIVED = datetime.now(timezone.utc) - timedelta(hours=1)
FOLDER = Path("content/consultations/exemple/contributions")


class Gate:
    """The handler's app, recording each request; it can hold the first request for one path
    until the test lets it go (the moment a pull is killed)."""

    def __init__(self, app: Any):
        self.app = app
        self.seen: list[tuple[str, str, str]] = []
        self.hold = ""
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        self.seen.append((environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", "")))
        if path == self.hold and not self.reached.is_set():
            self.reached.set()
            self.release.wait(60)
        return self.app(environ, start_response)


@dataclass
class Handler:
    inbox: Inbox
    gate: Gate
    url: str
    port: int
    ids: list[str] = field(default_factory=list)

    def send(self, count: int, quarantine: str = "", consultation: str = "exemple") -> list[str]:
        """`count` submissions the handler acknowledged (rows committed in its inbox)."""
        new = []
        for _ in range(count):
            n = len(self.ids)
            sub = Submission(id=f"20261115-{n:08d}", consultation=consultation, kind="suggestion", proposal=None,
                             title=f"Idée {n}", body=f"Mon idée numéro {n}.", author=f"Camille {n}",
                             received=RECEIVED, email=f"camille{n}@example.net", idem_key=f"k{n}",
                             body_hash=f"h{n}", quarantine=quarantine, flags=quarantine)
            assert self.inbox.add(sub) == ("created", sub.id)
            self.ids.append(sub.id)
            new.append(sub.id)
        return new


def serve(app: Any, host: str = "127.0.0.1") -> tuple[Any, int]:
    server = make_server(host, 0, app, ThreadingWSGIServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


def start_handler(disk_dir: Path, token: str = TOKEN, trust_proxy: str = "", page: int = 500,
                  host: str = "127.0.0.1") -> tuple[Handler, Any]:
    machine = disk_dir / "handler"
    machine.mkdir(exist_ok=True)
    app = make_app(machine / "consult-rules.json", f"sqlite:///{machine / 'inbox.sqlite3'}", SECRET, root=machine,
                   pull_token=token, trust_proxy=trust_proxy)
    app.ctx.export_page = page
    gate = Gate(app)
    server, port = serve(gate, host)
    url_host = f"[{host}]" if ":" in host else host
    return Handler(app.ctx.inbox, gate, f"http://{url_host}:{port}", port), server


@pytest.fixture
def handler(disk_dir: Path) -> Iterator[Handler]:
    found, server = start_handler(disk_dir, page=3)
    yield found
    found.gate.release.set()
    server.shutdown()
    server.server_close()
    found.inbox.close()


@pytest.fixture
def site(disk_dir: Path) -> Path:
    """A site made by `consult init`, in git: the checkout a CI runner pulls into."""
    root = disk_dir / "site"
    init_site(root)
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "init"]):
        git(root, *args)
    return root


def git(root: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Bot", GIT_AUTHOR_EMAIL="b@example.org",
               GIT_COMMITTER_NAME="Bot", GIT_COMMITTER_EMAIL="b@example.org")
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def call(url: str, token: str | None = TOKEN, headers: dict[str, str] | None = None,
         payload: Any = None) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON body) of one request to the handler."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def pull_process(site: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, CONSULT_PULL_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    env.pop("CONSULT_INBOX", None)
    return subprocess.Popen([sys.executable, "-m", "consult", "pull", "--from", url, *args], cwd=site, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_pull(site: Path, url: str, *args: str) -> str:
    process = pull_process(site, url, *args)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    return out


def head_ids(site: Path, ref: str = "") -> list[str]:
    """The contribution ids in `ref`, or by default where moderators find them: HEAD and every
    review branch `consult pull --branch consult/pull` made (consult/pull/<time>-<n>)."""
    refs = [ref] if ref else ["HEAD", *git(site, "for-each-ref", "--format=%(refname)", "refs/heads/consult/pull/").split()]
    ids = {Path(path).stem for one in refs
           for path in git(site, "ls-tree", "-r", "--name-only", one, "--", FOLDER.as_posix()).split()}
    return sorted(ids)


def delivered_text(site: Path, id_: str) -> str:
    """A contribution file's text on whichever branch `consult pull --branch` put it."""
    path = (FOLDER / f"{id_}.md").as_posix()
    for ref in ["HEAD", *git(site, "for-each-ref", "--format=%(refname)", "refs/heads/consult/pull/").split()]:
        if subprocess.run(["git", "-C", str(site), "cat-file", "-e", f"{ref}:{path}"]).returncode == 0:
            return git(site, "show", f"{ref}:{path}")
    raise AssertionError(f"{id_} is on no branch")


# --- the token ---------------------------------------------------------------------------


def test_a_good_token_opens_the_export_a_bad_or_missing_one_does_not(handler: Handler, site: Path) -> None:
    handler.send(2)
    state = handler.url + "/api/export/state"
    assert call(state)[0] == 200
    for token in (None, "", "wrong-" + TOKEN[6:], TOKEN[:-1], TOKEN + "x"):
        status, headers, body = call(state, token)
        assert status == 401, token
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert body == {"error": "a valid bearer token is required"}
    assert call(state, None, {"Authorization": f"Basic {TOKEN}"})[0] == 401
    # A refused token changes nothing: no row was claimed.
    assert call(handler.url + "/api/export/claim", "nope", payload={"worker": "w"})[0] == 401
    assert handler.inbox.counts() == {"new": 2}
    with pytest.raises(InboxError, match="refused the token"):
        pull(site, RemoteInbox(handler.url, "wrong"))
    assert handler.inbox.counts() == {"new": 2}


def test_without_a_pull_token_the_handler_has_no_export(disk_dir: Path) -> None:
    found, server = start_handler(disk_dir, token="")
    try:
        assert call(found.url + "/api/export/state")[0] == 404
        assert call(found.url + "/api/export", None)[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_short_pull_token_stops_the_handler_before_it_starts(disk_dir: Path) -> None:
    from consult.errors import ConsultError

    with pytest.raises(ConsultError, match="CONSULT_PULL_TOKEN is 9 characters long"):
        start_handler(disk_dir, token="too-short")


# --- plain http -------------------------------------------------------------------------


def test_plain_http_is_refused_unless_it_comes_straight_from_this_machine(handler: Handler) -> None:
    state = handler.url + "/api/export/state"
    assert call(state)[0] == 200  # 127.0.0.1, no proxy: this machine
    # A proxy on this machine makes every client look local: a forwarded request is not local,
    # and a client's own X-Forwarded-Proto is believed only from a proxy the handler trusts.
    for headers in ({"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-Proto": "https"},
                    {"Forwarded": "for=203.0.113.9;proto=https"}, {"X-Real-IP": "203.0.113.9"}):
        status, _, body = call(state, headers=headers)
        assert status == 403, headers
        assert "https only" in body["error"]


def test_behind_a_trusted_proxy_its_x_forwarded_proto_decides(disk_dir: Path) -> None:
    found, server = start_handler(disk_dir, trust_proxy="x-forwarded-for:1")
    try:
        state = found.url + "/api/export/state"
        far = {"X-Forwarded-For": "203.0.113.9"}
        assert call(state, headers=far)[0] == 403
        assert call(state, headers=dict(far, **{"X-Forwarded-Proto": "http"}))[0] == 403
        assert call(state, headers=dict(far, **{"X-Forwarded-Proto": "https"}))[0] == 200
        # The proxy's value is the last one: a client's own 'https' before a proxy's 'http' is not believed.
        assert call(state, headers=dict(far, **{"X-Forwarded-Proto": "https, http"}))[0] == 403
        assert call(state, "wrong", headers=dict(far, **{"X-Forwarded-Proto": "https"}))[0] == 401
    finally:
        server.shutdown()
        server.server_close()


def outward_address() -> str:
    """An address of this machine that is not loopback ('' when it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent, the kernel picks a source address
            address = str(probe.getsockname()[0])
        except OSError:
            return ""
    return "" if address.startswith("127.") else address


def test_plain_http_over_a_network_interface_is_refused(disk_dir: Path) -> None:
    address = outward_address()
    if not address:
        pytest.skip("this machine has no network interface besides loopback")
    found, server = start_handler(disk_dir, host=address)
    try:
        status, _, body = call(found.url + "/api/export/state")
        assert status == 403 and "https only" in body["error"]
        # consult pull itself never sends the token over plain http to another machine.
        with pytest.raises(InboxError, match="https only"):
            RemoteInbox(found.url, TOKEN)
        assert [seen for seen in found.gate.seen] == [("GET", "/api/export/state", "")]
    finally:
        server.shutdown()
        server.server_close()


# --- paging, personal data, held rows -----------------------------------------------------


def test_the_export_is_paged_and_carries_no_email(handler: Handler) -> None:
    handler.send(7)
    assert call(handler.url + "/api/export/claim", payload={"worker": "w1"})[2] == {"count": 7}
    pages, after = [], ""
    while True:
        status, _, body = call(handler.url + f"/api/export?worker=w1&after={after}&limit=1000")
        assert status == 200
        if not body["rows"]:
            break
        pages.append([row["id"] for row in body["rows"]])
        after = body["rows"][-1]["id"]
        for row in body["rows"]:
            assert set(row) == {"id", "consultation", "kind", "proposal", "title", "body", "author", "answers",
                                "received", "flags", "category"}
            assert "@" not in json.dumps(row)
    assert pages == [handler.ids[0:3], handler.ids[3:6], handler.ids[6:7]]  # the handler's page size: 3
    assert call(handler.url + "/api/export?worker=w1&limit=2")[2]["rows"][1]["id"] == handler.ids[1]
    assert call(handler.url + "/api/export?worker=w1&limit=0")[0] == 400
    assert call(handler.url + "/api/export?worker=w1&after=../x&limit=5")[0] == 400
    assert call(handler.url + "/api/export/ack", payload={"worker": "w1", "written": ["nope"]})[0] == 400
    with pytest.raises(InboxError, match="HTTP 400: written: a list of at most 5000 submission ids; nothing was"):
        RemoteInbox(handler.url, TOKEN).mark_written(["nope"], "w1", datetime.now(timezone.utc))


def test_pull_from_brings_every_row_over_several_pages_and_no_held_one(handler: Handler, site: Path) -> None:
    sent = handler.send(8)
    held = handler.send(2, quarantine="honeypot")
    out = run_pull(site, handler.url, "--branch", "consult/pull")
    assert "8 nouvelle(s) contribution(s)" in out and "2 envoi(s) retenu(s) dans la boîte de réception" in out
    assert head_ids(site) == sent
    assert not set(held) & set(head_ids(site))
    pages = [query for method, path, query in handler.gate.seen if path == "/api/export"]
    assert len(pages) == 4  # 3 + 3 + 2 rows, then an empty page
    for id_ in sent:
        text = delivered_text(site, id_)
        assert "status: pending" in text and "example.net" not in text
    assert handler.inbox.counts() == {"written": 8, "held": 2}
    assert "0 nouvelle(s) contribution(s)" in run_pull(site, handler.url, "--branch", "consult/pull")
    assert handler.inbox.counts() == {"exported": 8, "held": 2}  # the files were found in HEAD


# --- a pull killed between export and acknowledgement -------------------------------------


@pytest.mark.parametrize("killed_at", ["/api/export", "/api/export/ack"])
def test_a_killed_pull_then_reruns_export_every_row_exactly_once(handler: Handler, site: Path, killed_at: str) -> None:
    """Killed while a page is on its way (rows claimed), or once the files are written but before
    the handler heard so: the next pull writes the same rows under the same ids, once each."""
    sent = handler.send(7)
    handler.gate.hold = killed_at
    process = pull_process(site, handler.url, "--branch", "consult/pull")
    assert handler.gate.reached.wait(60), process.communicate()
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    handler.gate.release.set()
    assert handler.inbox.counts() == {"claimed": 7}  # not one row marked anything
    on_disk = sorted(p.stem for p in (site / FOLDER).glob("*.md"))
    if killed_at.endswith("/ack"):  # after its first page of files; the next page's may be written while it is marked
        assert on_disk in (sent[:3], sent[:6])
    else:
        assert on_disk == []
    assert head_ids(site, "main") == []
    run_pull(site, handler.url, "--branch", "consult/pull")
    assert head_ids(site) == sent  # each once, same ids
    run_pull(site, handler.url, "--branch", "consult/pull")
    assert handler.inbox.counts() == {"exported": 7}
    log = git(site, "log", "--format=%H", "--branches=consult/pull/*", "--", FOLDER.as_posix()).split()
    assert len(log) == 1  # one commit added them; nothing was written twice
    assert head_ids(site) == sent


def test_rows_written_but_never_delivered_are_written_again_by_the_next_pull(handler: Handler, site: Path,
                                                                              disk_dir: Path) -> None:
    """The CI case: a runner wrote and committed the files, then its push failed; the next runner
    starts from a fresh checkout without them, and writes them again under the same ids."""
    sent = handler.send(4)
    runner = disk_dir / "runner-1"
    subprocess.run(["git", "clone", "-q", str(site), str(runner)], check=True)
    run_pull(runner, handler.url, "--branch", "consult/pull")
    assert handler.inbox.counts() == {"written": 4}
    # The push never happened: `site` (origin) does not have the branch. A new runner:
    runner2 = disk_dir / "runner-2"
    subprocess.run(["git", "clone", "-q", str(site), str(runner2)], check=True)
    out = run_pull(runner2, handler.url, "--branch", "consult/pull")
    assert "4 nouvelle(s) contribution(s)" in out
    assert head_ids(runner2) == sent
    run_pull(runner2, handler.url, "--branch", "consult/pull")
    assert handler.inbox.counts() == {"exported": 4}


def test_pull_from_refuses_plain_http_to_another_machine_and_a_missing_token(site: Path) -> None:
    from click.testing import CliRunner

    from consult.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(site), "pull", "--from", "http://handler.example.org"],
                           env={"CONSULT_PULL_TOKEN": TOKEN})
    assert result.exit_code == 1 and "https only" in result.output
    result = runner.invoke(cli, ["-C", str(site), "pull", "--from", "https://handler.example.org"],
                           env={"CONSULT_PULL_TOKEN": ""})
    assert result.exit_code == 1 and "CONSULT_PULL_TOKEN is not set" in result.output
    result = runner.invoke(cli, ["-C", str(site), "pull"],
                           env={"CONSULT_PULL_URL": "https://u:p@handler.example.org", "CONSULT_PULL_TOKEN": TOKEN})
    assert result.exit_code == 1 and "no user or password" in result.output and "u:p" not in result.output


def test_erasures_support_counts_and_retention_reach_the_handler_through_the_export(handler: Handler, site: Path) -> None:
    """What pull does besides files, over the export: erased ids' files removed, supports counted
    into supports.yaml (held ones not), and the handler's inbox purged by the site's retention."""
    sent = handler.send(3)
    for n, held in ((1, ""), (2, ""), (3, "rate")):
        support = Submission(id=f"20261115-sup{n:05d}", consultation="exemple", kind="support",
                             proposal="exemple-de-proposition", title="", body="", author="", received=RECEIVED,
                             voter=f"voter{n}", idem_key=f"s{n}", body_hash=f"s{n}", quarantine=held, flags=held)
        assert handler.inbox.add(support)[0] == "created"
    run_pull(site, handler.url, "--branch", "consult/pull")
    supports = (site / "content/consultations/exemple/supports.yaml").read_text(encoding="utf-8")
    assert "exemple-de-proposition: 2\n" in supports and "voter" not in supports
    assert handler.inbox.erase(sent[1], datetime.now(timezone.utc))  # what `consult erase` does on the handler
    out = run_pull(site, handler.url, "--branch", "consult/pull")
    assert "branche de relecture consult/pull/" in out and "fichier(s) effacé(s) retiré(s)" in out
    assert head_ids(site) == [sent[0], sent[2]]
    assert handler.inbox.counts() == {"exported": 2, "new": 2, "held": 1}  # 'new': the counted supports
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("retention_days: 365", "retention_days: 0"),
                      encoding="utf-8")
    run_pull(site, handler.url, "--branch", "consult/pull")
    assert handler.inbox.counts() == {"new": 2, "held": 1}  # delivered rows forgotten; supports and held kept


def test_a_merged_pair_counts_each_person_once_through_the_export(handler: Handler, site: Path) -> None:
    """`consult merge` then `pull --from`: the handler counts the distinct people across the kept
    proposal and its duplicate (the pull names the group, read from content/), and only the number
    comes back; the fingerprints never leave the handler."""
    folder = site / "content/consultations/exemple/proposals"
    kept = (folder / "exemple-de-proposition.md").read_text(encoding="utf-8")
    (folder / "doublon.md").write_text(kept.replace("Exemple de proposition", "Doublon"), encoding="utf-8")
    run_merge = subprocess.run([sys.executable, "-m", "consult", "merge", "exemple-de-proposition", "doublon",
                                "--date", "2026-11-20"], cwd=site, capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert run_merge.returncode == 0, run_merge.stdout + run_merge.stderr
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "merge")
    # alice supports both, bob the duplicate only, chloe the kept one only: three people, four supports.
    for n, (proposal, voter) in enumerate([("exemple-de-proposition", "fp-alice"), ("doublon", "fp-alice"),
                                           ("doublon", "fp-bob"), ("exemple-de-proposition", "fp-chloe")]):
        support = Submission(id=f"20261115-mrg{n:05d}", consultation="exemple", kind="support", proposal=proposal,
                             title="", body="", author="", received=RECEIVED, voter=voter, idem_key=f"m{n}",
                             body_hash=f"m{n}")
        assert handler.inbox.add(support)[0] == "created"
    run_pull(site, handler.url, "--branch", "consult/pull")
    supports = (site / "content/consultations/exemple/supports.yaml").read_text(encoding="utf-8")
    assert "exemple-de-proposition: 3\n" in supports and "doublon: 2\n" in supports
    asked = [query for method, path, query in handler.gate.seen if path == "/api/export/supporters"]
    assert asked == ["consultation=exemple&proposals=exemple-de-proposition%2Cdoublon"]
    everything = b"".join(p.read_bytes() for p in (site / "content").rglob("*") if p.is_file())
    assert b"fp-" not in everything
    # The route checks what it is given, and counts nothing for a group without supports.
    supporters = handler.url + "/api/export/supporters"
    assert call(supporters + "?consultation=exemple&proposals=doublon,exemple-de-proposition")[2] == {"count": 3}
    assert call(supporters + "?consultation=exemple&proposals=personne")[2] == {"count": 0}
    assert call(supporters + "?consultation=exemple&proposals=doublon,../x")[0] == 400
    assert call(supporters + "?consultation=Exemple&proposals=doublon")[0] == 400
    assert call(supporters + "?consultation=exemple&proposals=doublon", "wrong-token")[0] == 401

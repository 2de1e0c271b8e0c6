"""consult serve: watch a real site, rebuild only what changed, overlay on errors, live reload, /api/ alive."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest

from consult.build import Builder
from consult.scaffold import init_site
from consult.serve import (QuietHandler, Rebuilder, Status, ThreadingWSGIServer, dev_app, dispatch, inject, relevant,
                           static_app, watch)

NOW = "2026-02-15T12:00"
PROPOSAL = "content/consultations/exemple/proposals/exemple-de-proposition.md"


class Running:
    def __init__(self, root: Path):
        self.root = root
        self.status = Status()
        self.rebuilder = Rebuilder(Builder(root, root / "_site", NOW), self.status)
        self.rebuilder.rebuild(None)
        self.rebuilder.thread.start()
        self.observer = watch(root, self.rebuilder)

    def save(self, rel: str, text: str, timeout: float = 10.0) -> None:
        """Write a file the way an editor does, and wait for the rebuild it causes."""
        version = self.status.version
        self.rebuilder.last_report = None
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_text(text, encoding="utf-8")
        deadline = time.monotonic() + timeout
        while self.status.version == version:
            assert time.monotonic() < deadline, "no rebuild after the save"
            time.sleep(0.01)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join()
        self.rebuilder.stop()


@pytest.fixture()
def running(tmp_path: Path) -> Iterator[Running]:
    root = tmp_path / "site"
    init_site(root)
    proposals = root / "content/consultations/exemple/proposals"
    text = (root / PROPOSAL).read_text(encoding="utf-8")
    (proposals / "autre.md").write_text(text.replace("Exemple de proposition", "Autre proposition"), encoding="utf-8")
    run = Running(root)
    yield run
    run.stop()


def test_edit_a_proposal_rewrites_its_page_and_the_lists_showing_it(running: Running) -> None:
    text = (running.root / PROPOSAL).read_text(encoding="utf-8")
    running.save(PROPOSAL, text.replace("Exemple de proposition", "Proposition renommée"))
    written = set(running.rebuilder.last_report.written)
    assert "consultations/exemple/proposals/exemple-de-proposition/index.html" in written
    assert "consultations/exemple/index.html" in written  # lists its title
    assert "consultations/exemple/propositions/index.html" in written  # so do the lists of its proposals
    assert "consultations/exemple/proposals/autre/index.html" not in written
    lists = {f"consultations/exemple/propositions/{name}" for name in
             ("index.html", "index.json", "tri/recentes/index.html", "tri/reponses/index.html")}
    assert written <= {"consultations/exemple/proposals/exemple-de-proposition/index.html", "consultations/exemple/index.html",
                       "index.html", "feed.xml", "consultations/exemple/feed.xml", "sitemap.xml", "consult-rules.json",
                       "consultations/exemple/contributions/index.html", "data/proposals.csv"} | lists
    page = (running.root / "_site/consultations/exemple/proposals/exemple-de-proposition/index.html").read_text()
    assert "Proposition renommée" in page


def test_edit_a_template_rewrites_the_pages_using_it(running: Running) -> None:
    running.save("templates/thanks.html", "{% extends 'base.html' %}{% block main %}<p>Merci beaucoup</p>{% endblock %}\n")
    assert running.rebuilder.last_report.written == sorted(  # one thank-you page per outcome
        f"thanks/{outcome}index.html" for outcome in ("", "answers/", "comment/", "report/", "support/", "supported/"))
    assert "Merci beaucoup" in (running.root / "_site/thanks/index.html").read_text()


def test_broken_yaml_keeps_the_last_good_site_and_shows_the_overlay_until_fixed(running: Running) -> None:
    page = running.root / "_site/consultations/exemple/proposals/exemple-de-proposition/index.html"
    before = page.read_bytes()
    good = (running.root / PROPOSAL).read_text(encoding="utf-8")
    running.save(PROPOSAL, good.replace("status: a-l-etude\n", "status: [a-l-etude\n", 1))
    assert running.status.problems and running.status.problems[0].startswith(PROPOSAL + ":")
    assert page.read_bytes() == before
    overlay = inject(before, running.status.problems).decode("utf-8")
    assert '<div id="consult-overlay" role="alert" lang="fr"><h2>consult\u00a0: le site n&#x27;a pas pu être reconstruit' in overlay
    assert "corrigez le fichier et enregistrez" in overlay
    english = inject(before.replace(b'<html lang="fr"', b'<html lang="en"'), running.status.problems).decode("utf-8")
    assert "<h2>consult: the site could not be rebuilt</h2>" in english
    running.save(PROPOSAL, good)
    assert running.status.problems == []
    assert b"consult-overlay" not in inject(before, running.status.problems)


def test_bursts_of_saves_are_one_rebuild(running: Running) -> None:
    version = running.status.version
    text = (running.root / PROPOSAL).read_text(encoding="utf-8")
    for n in range(5):
        (running.root / PROPOSAL).write_text(text + f"\nligne {n}\n", encoding="utf-8")
    time.sleep(1.0)
    # One rebuild when the machine is idle; a loaded machine may split the burst, never 5 ways.
    assert version + 1 <= running.status.version <= version + 2


def test_only_inputs_are_watched() -> None:
    assert relevant("site.yaml") and relevant("content/pages/a.md") and relevant("templates/base.html")
    assert not relevant("_site/index.html") and not relevant(".consult/cache/parsed.pickle")
    assert not relevant("content/pages/.a.md.swp") and not relevant("content/pages/a.md~")


def test_server_injects_reload_script_streams_events_and_keeps_the_api(running: Running) -> None:
    calls = []

    def api(environ: dict, start_response: object) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [b"api"]

    app = dispatch(dev_app(static_app(running.root / "_site"), running.status), api)
    server = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        home = urllib.request.urlopen(base + "/").read()
        assert b'<script src="/__consult/livereload.js" defer></script>' in home
        assert b"EventSource" in urllib.request.urlopen(base + "/__consult/livereload.js").read()
        stream = urllib.request.urlopen(base + "/__consult/events", timeout=10)
        assert stream.readline() == b"retry: 500\n"
        stream.readline()
        text = (running.root / PROPOSAL).read_text(encoding="utf-8")
        running.save(PROPOSAL, text + "\nencore\n")
        assert stream.readline() == b"event: reload\n"
        assert urllib.request.urlopen(base + "/api/submit").read() == b"api"
        assert calls == ["/api/submit"]
    finally:
        server.shutdown()
        server.server_close()


def test_handler_clock_starts_at_now_and_keeps_ticking() -> None:
    import time as _time
    from datetime import datetime as _dt

    from consult.config import parse_config
    from consult.serve import handler_clock

    config = parse_config("title: t\nbase_url: https://x.example\norganisation: {name: o}\n")
    assert handler_clock(config, None) is None
    clock = handler_clock(config, "2026-12-01T12:00")
    assert clock is not None
    first = clock()
    start = _dt(2026, 12, 1, 12, 0, tzinfo=config.tz)
    assert 0 <= (first - start).total_seconds() < 5
    _time.sleep(0.05)
    assert clock() > first


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    from consult.errors import ConsultError
    from consult.serve import serve_site

    root = tmp_path / "site"
    init_site(root)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConsultError, match=f"cannot listen on 127.0.0.1:{port}.*--port {port + 1}"):
            serve_site(root, "127.0.0.1", port, now="2026-12-01T12:00")


# --- no client address in any log line (consult serve, consult handler) -------------------------

LOGGING_CONSULT = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
logging.getLogger("consult").setLevel(logging.DEBUG)
from consult.cli import main
sys.argv = ["consult", *sys.argv[1:]]
main()
"""
CLIENT = "127.0.0.2"  # the server listens on 127.0.0.1: any "127.0.0.2" in its output is the client's


def _from_client(port: int, data: bytes, reset: bool = False) -> bytes:
    """Send `data` from CLIENT; read the answer, or reset the connection (RST) mid-request."""
    import socket
    import struct

    with socket.socket() as sock:
        sock.bind((CLIENT, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(data)
        if reset:
            time.sleep(0.2)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return b""
        sock.settimeout(30)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _server_output(root: Path, *args: str, ready: str, port: int | None = None) -> tuple[str, Any]:
    """Start the real command with every log level on, wait until it listens, return a stopper."""
    import os
    import re
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", CONSULT_SECRET="s" * 40)
    # Stopped with Ctrl+C's SIGINT below: a test run launched in the background (`cmd &` in a script)
    # hands its children SIGINT ignored, and Python keeps it so; give the server the default back.
    proc = subprocess.Popen([sys.executable, "-c", LOGGING_CONSULT, "-C", str(root), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if ready in line:
            break
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", "".join(seen))
    assert found, "".join(seen)

    def stop() -> str:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        return "".join(seen) + rest

    return found.group(1) if port is None else str(port), stop


REQUESTS = [
    b"GET /api/unsubscribe?token=tok-SECRET-123 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST /api/submit HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 9\r\n\r\nkind=nope",
    b"GARBAGE\r\n\r\n",  # wsgiref's "code 400, message Bad request syntax" line
    b"GET /api/x?token=tok-SECRET-456 more HTTP/1.1\r\n\r\n",  # a notice quoting a request line
]


@pytest.mark.parametrize("command", ["serve", "handler"])
def test_no_client_address_in_the_logs_of_the_real_servers(tmp_path: Path, command: str) -> None:
    import socket

    from consult.build import build_site

    root = tmp_path / "site"
    init_site(root)
    if command == "serve":
        port, stop = _server_output(root, "serve", "--port", "0", "--now", NOW, ready="Site servi sur")
    else:
        build_site(root, now=NOW)  # the handler reads _site/consult-rules.json
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        port, stop = _server_output(root, "handler", "--port", str(free), ready="consult handler on", port=free)
    try:
        answers = [_from_client(int(port), data) for data in REQUESTS]
        _from_client(int(port), b"GET / HTTP/1.1\r\nHost: x\r\n", reset=True)  # socketserver's handle_error
        if command == "serve":
            answers.append(_from_client(int(port), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        time.sleep(0.3)
    finally:
        said = stop()
    assert all(answer.startswith(b"HTTP/1.0 ") for answer in answers[:2] + answers[4:]), answers
    assert "POST /api/submit" in said and "code 400" in said and "x?…" in said, said  # the requests were logged...
    assert "closed its connection early" in said and "a request failed" not in said, said  # the reset: handle_error
    assert CLIENT not in said and "tok-SECRET" not in said, said  # ...without the address or query

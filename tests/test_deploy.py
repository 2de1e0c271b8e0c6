"""Hosting the handler: /api/health checks the inbox; two gunicorn replicas (the shipped
gunicorn settings) share one PostgreSQL inbox and one secret, and every submission spread
across them is pulled exactly once; the container file keeps its promises."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from consult.forms.wsgi import make_app
from consult.inbox import open_inbox
from tests.conftest import REPO
from tests.test_forms import wsgi_call
from tests.test_pull import SECRET as PULL_SECRET
from tests.test_pull import contribution_files, site, velo  # noqa: F401

SECRET = PULL_SECRET.decode("ascii")  # the secret velo() signs its tokens with
COUNT = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# --- /api/health ------------------------------------------------------------------------------

def test_health_answers_ok_when_the_sqlite_inbox_answers(site: Path) -> None:  # noqa: F811
    app = make_app(site / "_site" / "consult-rules.json", f"sqlite:///{site / '.consult' / 'inbox.sqlite3'}",
                   SECRET.encode(), root=site)
    status, _, body = wsgi_call(app, "GET", "/api/health")
    assert status.startswith("200") and b'"ok": true' in body
    app.ctx.inbox.close()


@pytest.mark.postgres
def test_health_answers_503_when_the_database_is_gone(site: Path, pg_url: str) -> None:  # noqa: F811
    import psycopg

    app = make_app(site / "_site" / "consult-rules.json", pg_url, SECRET.encode(), root=site)
    assert wsgi_call(app, "GET", "/api/health")[0].startswith("200")
    parts = urlsplit(pg_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    status, _, body = wsgi_call(app, "GET", "/api/health")
    assert status.startswith("503") and b'"ok": false' in body
    assert b"postgres" not in body and b"host" not in body  # no detail for the outside world
    app.ctx.inbox.close()


@pytest.mark.postgres
def test_replicas_starting_together_on_a_fresh_database_all_start(pg_url: str) -> None:
    """Replicas (and their workers) create the schema at start, at the same moment on a new
    database: none may fail (PostgreSQL's CREATE TABLE IF NOT EXISTS races with a twin)."""
    import threading

    from consult.inbox.postgres import PostgresInbox

    barrier, failures, inboxes = threading.Barrier(12), [], []

    def start() -> None:
        barrier.wait()
        try:
            inboxes.append(PostgresInbox(pg_url))
        except Exception as exc:  # noqa: BLE001 - any failure to start is the bug
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for inbox in inboxes:
        inbox.close()
    assert failures == [] and len(inboxes) == 12


# --- two replicas, one PostgreSQL -------------------------------------------------------------

def _start_replica(site: Path, pg_url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CONSULT_ROOT=str(site), CONSULT_INBOX=pg_url, CONSULT_SECRET=SECRET, PORT=str(port),
               CONSULT_BIND="127.0.0.1", CONSULT_WORKERS="2", CONSULT_THREADS="4", PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:consult.gunicorn_conf",
                             "consult.forms.wsgi:app"], cwd=site, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_healthy(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if _request(port, "GET", "/api/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    server.terminate()
    output = server.communicate(timeout=30)[0].decode("utf-8", "replace")
    raise AssertionError(f"replica on port {port} never became healthy:\n{output}")


@pytest.mark.postgres
def test_two_replicas_share_one_inbox_and_every_submission_is_pulled_once(site: Path, pg_url: str) -> None:  # noqa: F811
    from consult.pull import pull

    ports = [_free_port()]
    while len(ports) < 2:  # two distinct ports: the system may hand the same free one out twice
        ports += [port for port in [_free_port()] if port not in ports]
    before = set(contribution_files(site))
    replicas = [_start_replica(site, pg_url, port) for port in ports]
    try:
        for port, replica in zip(ports, replicas):
            _wait_healthy(port, replica)
        # velo()'s token is signed with the shared secret: both replicas must find it genuine.
        def submit(n: int) -> int:
            fields = velo(title=f"Idée numéro {n}", body=f"Le texte de l'idée numéro {n}.", author=f"Personne {n}",
                          idempotency_key=f"replica-test-{n:04d}")
            status, headers, _ = _request(ports[n % 2], "POST", "/api/submit", urlencode(fields).encode("utf-8"))
            assert status == 303, (n, status)
            return n

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert sorted(pool.map(submit, range(COUNT))) == list(range(COUNT))
        # The same submission sent again to the other replica (a citizen's retry) is not a second one.
        retry = velo(title="Idée numéro 0", body="Le texte de l'idée numéro 0.", author="Personne 0",
                     idempotency_key="replica-test-0000")
        assert _request(ports[1], "POST", "/api/submit", urlencode(retry).encode("utf-8"))[0] == 303
    finally:
        outputs = []
        for replica in replicas:
            replica.terminate()
            outputs.append(replica.communicate(timeout=60)[0].decode("utf-8", "replace"))

    assert all("POST /api/submit 303" in out for out in outputs)  # both replicas took submissions
    assert not any("127.0.0.1 " in line for out in outputs for line in out.splitlines() if "/api/" in line)

    inbox = open_inbox(pg_url)
    try:
        first = pull(site, inbox)
        again = pull(site, inbox)
        files = {id_: path for id_, path in contribution_files(site).items() if id_ not in before}
        titles = [re.search(r"^title: (.*)$", p.read_text(encoding="utf-8"), re.M) for p in files.values()]
        found = sorted(m.group(1).strip("'\"") for m in titles if m)
        assert found == sorted(f"Idée numéro {n}" for n in range(COUNT))  # each once, none missing
        assert not any("bad-token" in row.flags for row in inbox.all())  # one secret for both replicas
        counts = inbox.counts()
        assert "new" not in counts and sum(counts.values()) == COUNT
        assert len(first.written) == COUNT and again.written == []  # nothing twice
    finally:
        inbox.close()


# --- the container file -----------------------------------------------------------------------

def test_the_container_runs_gunicorn_as_a_non_root_user_with_the_shipped_settings() -> None:
    text = (REPO / "Containerfile").read_text(encoding="utf-8")
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd = next(line for line in instructions if line.startswith("CMD "))
    assert "python:consult.gunicorn_conf" in cmd and "consult.forms.wsgi:app" in cmd
    assert any(line.startswith("HEALTHCHECK") and "/api/health" in line for line in instructions)
    assert any(line.startswith("VOLUME") and "/srv/consult/.consult" in line for line in instructions)
    assert not any("CONSULT_SECRET=" in line for line in instructions)  # given at run time, never in an image
    assert (REPO / "consult" / "gunicorn_conf.py").is_file()


def test_every_trust_proxy_setting_the_guide_gives_is_one_the_handler_accepts() -> None:
    """A value copied from the guide must not stop the handler at start."""
    from consult.forms.proxy import parse_trust

    guide = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    values = re.findall(r"CONSULT_TRUST_PROXY=([^\s`\\]+)", guide)
    assert values, "the guide no longer shows a CONSULT_TRUST_PROXY setting"
    for value in values:
        parse_trust(value)

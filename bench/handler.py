"""Benchmark: the form handler through WSGI on loopback, hammered by concurrent clients.

    python bench/handler.py [--seconds 10] [--processes 2] [--threads 8] [--inbox URL]

The handler runs in its own process (threaded wsgiref, as `consult handler`); client
processes POST valid suggestions with http.client, each from its own (forwarded)
address so rate limiting stays on but flags nothing. Prints accepted/s,
p50/p99 latency and lost submissions (303 received but no row in the inbox).
"""

from __future__ import annotations

import argparse
import socket
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RULES = {
    "format": 1, "language": "fr", "endpoint": "/api/submit", "thanks_url": "/thanks/", "max_length": 5000,
    "base_url": "http://127.0.0.1", "chrome": {},
    "consultations": [{
        "slug": "velo", "title": "Plan vélo", "url": "/consultations/velo/",
        "opens": "2000-01-01T00:00:00+00:00", "closes": "2999-01-01T00:00:00+00:00",
        "kinds": ["suggestion", "comment", "support"], "questions": [], "proposals": [],
    }],
}

SERVER = """
import sys
from pathlib import Path
from wsgiref.simple_server import make_server
from consult.forms.wsgi import make_app, ThreadingWSGIServer, _QuietHandler
work = Path(sys.argv[1])
app = make_app(work / 'consult-rules.json', sys.argv[2], b'b' * 64, root=work, trust_proxy="x-forwarded-for:1")
server = make_server('127.0.0.1', 0, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
print(server.server_port, flush=True)
server.serve_forever()
"""


def client(port: int, seconds: float, threads: int, token: str, out: "multiprocessing.Queue[object]") -> None:
    results: list[tuple[float, int, str]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(worker: int) -> None:
        n = 0
        mine = []
        while time.perf_counter() < deadline:
            key = f"{uuid.uuid4().hex}"
            body = urlencode({"kind": "suggestion", "consultation": "velo", "title": f"Idée {n}",
                              "body": "Des arceaux devant la gare, et une piste protégée rue Haute. " * 5,
                              "author": "Bench", "email": "bench@example.org", "website": "", "token": token,
                              "idempotency_key": key}).encode()
            address = f"10.{worker % 250}.{(n // 250) % 250}.{n % 250}"
            request = (f"POST /api/submit HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                       f"Content-Type: application/x-www-form-urlencoded\r\nX-Forwarded-For: {address}\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            start = time.perf_counter()
            try:  # a raw HTTP/1.0 exchange: the client should cost less CPU than the server it measures
                with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                    sock.sendall(request)
                    head = sock.recv(64)
                    while sock.recv(65536):
                        pass
                status = int(head.split(b" ", 2)[1])
            except (OSError, ValueError, IndexError):
                status = 0
            mine.append((time.perf_counter() - start, status, key))
            n += 1
        with lock:
            results.extend(mine)

    pool = [threading.Thread(target=run, args=(os.getpid() * 100 + i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--inbox", default="", help="default: a fresh SQLite file in bench/_work/")
    args = parser.parse_args()

    work = ROOT / "bench" / "_work" / "handler"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "consult-rules.json").write_text(json.dumps(RULES), encoding="utf-8")
    inbox_url = args.inbox or f"sqlite:///{work / 'inbox.sqlite3'}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(work), inbox_url], stdout=subprocess.PIPE, text=True, env=env)
    port = int(server.stdout.readline())  # type: ignore[union-attr]

    from datetime import datetime, timedelta, timezone

    from consult.forms.guard import Guard

    token = Guard(b"b" * 64).token(datetime.now(timezone.utc) - timedelta(seconds=30), "velo", "suggestion")
    queue: "multiprocessing.Queue[object]" = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(port, args.seconds, args.threads, token, queue))
             for _ in range(args.processes)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results: list[tuple[float, int, str]] = []
    for _ in procs:
        results.extend(queue.get())  # type: ignore[arg-type]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    server.terminate()
    server.wait()

    from consult.inbox import open_inbox

    box = open_inbox(inbox_url)
    stored = {s.idem_key for s in box.all()}
    held = box.held_count()
    box.close()
    accepted = [r for r in results if r[1] == 303]
    lost = sum(1 for r in accepted if "k-" + r[2] not in stored)
    latencies = sorted(r[0] * 1000 for r in results)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    failed = len(results) - len(accepted)
    print(f"backend        {inbox_url.split(':')[0]}")
    print(f"clients        {args.processes} processes x {args.threads} threads, {args.seconds:.0f} s")
    print(f"requests       {len(results)}")
    print(f"accepted (303) {len(accepted)}  ({len(accepted) / elapsed:.0f}/s)")
    print(f"not accepted   {failed}")
    print(f"latency p50    {p50:.1f} ms")
    print(f"latency p99    {p99:.1f} ms")
    print(f"rows stored    {len(stored)}  (held {held})")
    print(f"lost           {lost}")


if __name__ == "__main__":
    main()

"""Benchmark: `consult notify` sending N pending notifications (default 100,000) to a local SMTP server.

    python bench/notify.py [--count 100000] [--counts 5000,20000]

Copies the demo site into bench/_work/notify-N, fills a fresh SQLite inbox with N confirmed
follows of a closed consultation whose synthesis and results are out (bulk insert, not timed),
starts aiosmtpd (its Sink handler: it accepts and drops) in a process of its own on a free
port, then runs `consult notify --rate 0` as a child process and reports: messages per second
(planning + sending, wall clock, and per CPU second of the child: a shared machine's load
slows the wall clock, not the CPU time), and the child's peak memory (ru_maxrss). Several counts show
whether memory stays flat as N grows.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "b" * 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill(site: Path, count: int) -> None:
    from consult.forms.links import Links
    from consult.inbox import open_inbox
    from consult.inbox.sql import iso

    links = Links(SECRET.encode())
    inbox = open_inbox(f"sqlite:///{site / '.consult' / 'inbox.sqlite3'}")
    created = iso(datetime(2025, 1, 1, tzinfo=timezone.utc))
    rows = []
    for n in range(count):
        address = f"personne{n}@example.org"
        rows.append((f"s-{n:08d}", address, links.address_key(address), "consultation", "parc-des-berges", "",
                     None, created, created))
    with inbox._tx() as cur:  # noqa: SLF001 - a bench fills the table directly
        cur.executemany("INSERT INTO subscriptions (id, email, addr, purpose, consultation, target, submission,"
                        " created, confirmed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    inbox.close()


def run(count: int, connections: int) -> dict[str, float]:
    work = ROOT / "bench" / "_work" / f"notify-{count}"
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    site.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    shutil.copytree(ROOT / "content", site / "content")
    fill(site, count)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # wait for it to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        env = dict(os.environ, CONSULT_SECRET=SECRET, CONSULT_SMTP_URL=f"smtp://127.0.0.1:{port}",
                   CONSULT_MAIL_FROM="participation@clairval.example.org", PYTHONPATH=str(ROOT))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "consult", "--root", str(site), "notify", "--rate", "0",
                               "--connections", str(connections), "--now", "2026-12-01T12:00"], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    finally:
        server.terminate()
        server.wait()
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    print(done.stdout.strip().splitlines()[-1])
    return {"count": count, "seconds": seconds, "rate": count / seconds, "cpu_rate": count / cpu,
            "peak_mb": max(peak, before) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--counts", help="several counts, comma-separated (memory flat as N grows?)")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections (consult notify --connections)")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")] if args.counts else [args.count]
    for count in counts:
        result = run(count, args.connections)
        print(f"{result['count']:>7} messages: {result['seconds']:.1f} s, {result['rate']:.0f} messages/s "
              f"(planning + sending; {result['cpu_rate']:.0f} per CPU second of consult notify), "
              f"peak memory of consult notify {result['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()

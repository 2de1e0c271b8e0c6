"""Benchmark: `consult pull` writing N submissions as files (default 100,000).

    python bench/pull.py [--count 100000]

Fills a fresh SQLite inbox in bench/_work/pull (bulk insert, not timed), copies the
demo site, then times `pull()` (claim, temp + fsync + link + re-read per file,
mark written), a second run (finds every file where it starts: marks them exported)
and a third, with nothing left to do. Each text differs (words drawn from a fixed list, one in
twenty a near-copy of an earlier one), so the detectors see a realistic mix; `--no-detectors`
times the same pull with the detectors switched off, to tell their share (CPU time is printed:
on a shared machine it is the steadier figure).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("piste vélo rue école parc arceau carrefour pont gare lycée marché ombre banc trottoir bus tram "
         "quartier place fontaine arbre jardin parking voiture bruit nuit lumière sécurité enfants").split()
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--no-detectors", action="store_true", help="switch the detectors off (their share)")
    args = parser.parse_args()
    if args.no_detectors:
        from consult import detect

        detect.Screening.findings = lambda self, *args, **kwargs: []  # type: ignore[method-assign]

    from consult.inbox import open_inbox
    from consult.pull import pull

    work = ROOT / "bench" / "_work" / "pull"
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    site.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    shutil.copytree(ROOT / "content", site / "content")
    box = open_inbox(f"sqlite:///{work / 'inbox.sqlite3'}")
    now = datetime(2026, 11, 15, 12, tzinfo=timezone.utc)
    rng = random.Random(5)
    texts: list[str] = []
    for n in range(args.count):
        if texts and rng.random() < 0.05:  # a near-copy of an earlier text
            words = rng.choice(texts).split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            texts.append(" ".join(words))
        else:
            texts.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 150))) + ".")
    rows = [(f"20261115-{n:08d}", f"k{n}", "h", "plan-velo", "suggestion", None,
             json.dumps({"title": f"Idée {n}", "body": text, "author": "Bench",
                         "answers": {"frequence": "Rarement ou jamais"}}, ensure_ascii=False),
             "b@example.org", None, now.isoformat(timespec="microseconds"), None, "") for n, text in enumerate(texts)]
    conn = box._acquire()  # bulk set-up only: the timed part goes through the public API
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO submissions (id, idem_key, body_hash, consultation, kind, proposal, public, email,"
                     " voter, received, quarantine, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    box._release(conn)

    started, cpu = time.perf_counter(), time.process_time()
    report = pull(site, box, now=now)
    first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    again = pull(site, box, now=now)
    second = time.perf_counter() - started
    started = time.perf_counter()
    third = pull(site, box, now=now)
    idle = time.perf_counter() - started
    box.close()
    print(f"submissions    {args.count}")
    print(f"files written  {len(report.written)}")
    print(f"pull           {first:.1f} s  ({len(report.written) / first:.0f} files/s), CPU {first_cpu:.1f} s"
          f"{' (detectors off)' if args.no_detectors else ''}")
    print(f"pull again     {second:.2f} s  ({len(again.written)} written, {again.confirmed} confirmed)")
    print(f"third pull     {idle:.2f} s  ({len(third.written)} written, {third.confirmed} confirmed)")


if __name__ == "__main__":
    main()

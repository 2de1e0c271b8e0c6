"""Benchmark: `consult pull` writing N submissions as files (default 100,000).

    python bench/pull.py [--count 100000] [--site DIR] [--no-detectors]

Fills a fresh SQLite inbox in bench/_work/pull (on disk: the inbox refuses tmpfs) by a
streamed bulk insert (not timed, no text kept once inserted), copies the demo site
then runs each pull in a child process of its own, so what is measured is the pulling
process alone: the first `pull()` (claim, detectors, temp + flush + link + re-read per file,
mark written), a second (finds every file where it starts: marks them exported) and a third,
with nothing left to do. Each child reports its wall and CPU time and its peak RSS
(VmHWM of /proc/self/status).

The texts are French-like: 20 to 150 words drawn with Zipf frequencies from a vocabulary of
about 3,000 words (250 common French words, then words made of French syllables, fixed by a
seed). One in twenty is a planted near-copy (one word changed) of one of the 2,000 texts
before it; the bench says how many of them the pull flagged `near-duplicate`, and how many are
alike enough to be (word 3-shingles' Jaccard >= detect.THRESHOLD: one word changed in a short
text is not).
`--no-detectors` times the same pull with the detectors switched off, to tell their share.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from typing import Any
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = ("le la les de des du un une et à en au aux pour par sur dans avec sans plus moins très trop "
          "pas ne que qui quoi dont où il elle ils elles nous vous on je tu ce cette ces son sa ses leur "
          "leurs notre nos votre vos mon ma mes est sont être avoir a ont fait faire faut peut doit "
          "veut va vont bien mal tout tous toute toutes aussi encore déjà jamais toujours souvent "
          "parfois ici là comme mais ou donc or ni car si quand alors ainsi entre vers chez depuis "
          "pendant avant après sous contre selon rue vélo piste école enfants parc jardin arbres "
          "ombre été hiver bus tram gare marché place quartier ville mairie conseil projet budget "
          "sécurité voiture stationnement trottoir piéton passage carrefour vitesse bruit nuit "
          "lumière éclairage travaux habitants commerces logement eau propreté déchets tri "
          "transport métro train route pont rivière fontaine banc aire jeux sport stade piscine "
          "bibliothèque culture musée théâtre santé hôpital médecin pharmacie crèche collège lycée "
          "université emploi entreprise artisan agriculteur forêt nature climat énergie solaire "
          "chauffage isolation prix coût impôt taxe aide service public accueil démarche dossier "
          "internet numérique réseau téléphone voisin famille parent aîné jeune personne handicap "
          "accès rampe ascenseur escalier chemin sentier campagne centre périphérie zone limite "
          "ligne arrêt horaire retard fréquence matin soir semaine dimanche samedi mois année").split()
SYLLABLES = ("ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go la le li lo lu "
             "ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu "
             "va ve vi vo vu cha che chi cho tion ment eur ette ier ière on an en in ou oi au").split()
VOCABULARY = 3_000
NEAR_COPY_RATE = 0.05
WORK = ROOT / "bench" / "_work" / "pull"
RECENT = 2_000
ANSWERS: dict[str, object] = {"frequence": "Rarement ou jamais"}  # near-copies copy one of the texts this close before them (so none is kept longer)


def vocabulary(rng: random.Random) -> list[str]:
    """COMMON, then made-up words of 2-4 syllables, VOCABULARY words in all, most common first."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def texts(count: int, seed: int = 5) -> Iterator[tuple[str, int]]:
    """(text, 0 or 1: a planted near-copy, 2: one at least THRESHOLD alike as the pull compares
    them, title and answer included) one at a time; Zipf word frequencies (rank r weighs 1/r)."""
    from consult.detect import THRESHOLD, duplicate_text, jaccard, shingles

    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    recent: deque[tuple[int, str]] = deque(maxlen=RECENT)
    for n in range(count):
        if recent and rng.random() < NEAR_COPY_RATE:
            other, original = rng.choice(recent)
            copy = original.split()
            copy[rng.randrange(len(copy))] = rng.choice(words)
            text = " ".join(copy)
            alike = jaccard(shingles(duplicate_text(title(n), text, ANSWERS)),
                            shingles(duplicate_text(title(other), original, ANSWERS)))
            planted = 2 if alike >= THRESHOLD else 1
        else:
            text = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(20, 150))) + "."
            planted = 0
        recent.append((n, text))
        yield text, planted


def title(n: int) -> str:
    return f"Idée {n}"


def fill(box: object, count: int, now: datetime) -> tuple[int, int]:
    """Insert `count` submissions in one transaction, streamed; returns how many are planted
    near-copies, and how many of those are alike enough to be flagged."""
    planted = [0, 0]

    def rows() -> Iterator[tuple[object, ...]]:
        for n, (text, copy) in enumerate(texts(count)):
            planted[0] += copy > 0
            planted[1] += copy > 1
            public = json.dumps({"title": title(n), "body": text, "author": "Bench", "answers": ANSWERS},
                                ensure_ascii=False)
            yield (f"20261115-{n:08d}", f"k{n}", "h", "plan-velo", "suggestion", None, public,
                   "b@example.org", None, now.isoformat(timespec="microseconds"), None, "")

    conn = box._acquire()  # type: ignore[attr-defined]  # bulk set-up only: the timed part uses the public API
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO submissions (id, idem_key, body_hash, consultation, kind, proposal, public, email,"
                     " voter, received, quarantine, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows())
    conn.execute("COMMIT")
    box._release(conn)  # type: ignore[attr-defined]
    return planted[0], planted[1]


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(work: Path, site: Path, detectors: bool) -> None:
    """One pull, in this process alone; one JSON line of results on stdout."""
    if not detectors:
        from consult import detect

        detect.Screening.findings = lambda self, *args, **kwargs: []  # type: ignore[method-assign]
    from consult.inbox import open_inbox
    from consult.pull import pull

    box = open_inbox(f"sqlite:///{work / 'inbox.sqlite3'}")
    start = peak_rss_mib()
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    report = pull(site, box, now=datetime(2026, 11, 15, 12, tzinfo=timezone.utc))
    after, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    result = {"wall": time.perf_counter() - started, "cpu": user + system, "user": user, "system": system,
              "written": len(report.written),
              "workers_cpu": children.ru_utime + children.ru_stime,
              "confirmed": report.confirmed, "peak_rss": peak_rss_mib(), "rss_start": start,
              "near_duplicates": sum("near-duplicate" in flags for flags in report.flagged.values())}
    box.close()
    print(json.dumps(result))


def run_child(site: Path, detectors: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--site", str(site)] + ([] if detectors else ["--no-detectors"])
    return dict(json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--site", type=Path, default=WORK / "site", help="where the site (the pulled files) goes")
    parser.add_argument("--no-detectors", action="store_true", help="switch the detectors off (their share)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(WORK, args.site, not args.no_detectors)
        return

    from consult.inbox import open_inbox

    work, site = WORK, args.site
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    shutil.copytree(ROOT / "content", site / "content")
    box = open_inbox(f"sqlite:///{work / 'inbox.sqlite3'}")
    started = time.perf_counter()
    planted, alike = fill(box, args.count, datetime(2026, 11, 15, 12, tzinfo=timezone.utc))
    box.close()
    print(f"set-up         {args.count} submissions ({planted} planted near-copies, {alike} of them alike enough) in "
          f"{time.perf_counter() - started:.0f} s, bench peak RSS {peak_rss_mib():.0f} MiB")
    first, second, third = (run_child(site, not args.no_detectors) for _ in range(3))
    print(f"site           {site}")
    print(f"pull           {first['wall']:.1f} s  ({first['written'] / first['wall']:.0f} files/s), CPU {first['cpu']:.1f} s"
          f" (user {first['user']:.1f} + system {first['system']:.1f})"
          f" (+ {first['workers_cpu']:.1f} s in its worker){' (detectors off)' if args.no_detectors else ''}, peak RSS {first['peak_rss']:.0f} MiB"
          f" (at start {first['rss_start']:.0f} MiB)")
    print(f"near-copies    {first['near_duplicates']} flagged near-duplicate, {alike} planted alike enough ({planted} planted)")
    print(f"pull again     {second['wall']:.2f} s  ({second['written']} written, {second['confirmed']} confirmed),"
          f" peak RSS {second['peak_rss']:.0f} MiB")
    print(f"third pull     {third['wall']:.2f} s  ({third['written']} written, {third['confirmed']} confirmed),"
          f" peak RSS {third['peak_rss']:.0f} MiB")


if __name__ == "__main__":
    main()

"""Benchmark: the moderation screen (`consult moderate --web`) with many pending contributions.

    python bench/moderation.py [--pending 100000] [--work bench/_work]

Writes a copy of the demo site with `--pending` pending contributions (two consultations, a
twentieth flagged, ~60-word texts), then times, through the screen's WSGI app (no network):
building the index from the files (cold) and again from its cache (warm), the first page, a
filtered and a searched page, one decision, a bulk decision on 1,000, and undoing it. Wall
time and CPU time of this process (the machine may be shared: CPU time is the steadier figure).
Targets (issue 13): first page < 300 ms, one decision < 50 ms, bulk on 1,000 < 2 s.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("vélo piste cyclable rue quartier école enfants sécurité voiture arrêt bus gare marché place "
         "arbres ombre été trottoir stationnement arceaux mairie conseil projet budget parc jardin").split()
TARGETS = {"first page": 0.300, "one decision": 0.050, "bulk decision, 1,000": 2.0}


def make_site(folder: Path, count: int) -> None:
    from consult.inbox import Submission
    from consult.pull import render_contribution
    from tests.conftest import copy_demo

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    copy_demo(folder)
    rng = random.Random(13)
    received = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)
    for consultation in ("plan-velo", "parc-des-berges"):
        (folder / "content" / "consultations" / consultation / "contributions").mkdir(exist_ok=True)
    for n in range(count):
        consultation = "plan-velo" if n % 3 else "parc-des-berges"
        body = " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "."
        flags: tuple[str, ...] = ()
        if n % 20 == 7:
            body += " Écrivez-moi à nom.prenom@exemple.fr."
            flags = ("personal-email",)
        sub = Submission(id=f"20261115-{n:08d}", consultation=consultation, kind="suggestion", proposal=None,
                         title=f"Idée {n}", body=body, author="", answers={}, received=received, idem_key="",
                         body_hash="", email="")
        path = folder / "content" / "consultations" / consultation / "contributions" / f"{sub.id}.md"
        path.write_text(render_contribution(sub, timezone.utc, flags), encoding="utf-8")


def timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def call(screen: Any, method: str, path: str, query: str = "", form: dict[str, Any] | None = None,
         cookie: str = "") -> tuple[str, bytes]:
    body = urlencode(form or {}, doseq=True).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1:1",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "HTTP_COOKIE": cookie}
    status: list[str] = []
    out = b"".join(screen(environ, lambda code, headers: status.append(code)))
    return status[0], out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "_work")
    parser.add_argument("--keep", action="store_true", help="Reuse the site of an earlier run with the same --pending.")
    args = parser.parse_args()

    from consult.config import require_config
    from consult.pending import CACHE_FILE, PendingIndex
    from consult.screen import Screen

    site = args.work / f"moderation-{args.pending}"
    if not (args.keep and site.is_dir()):
        wall, _, _ = timed(lambda: make_site(site, args.pending))
        print(f"wrote {args.pending:,} pending contributions in {wall:.1f} s", file=sys.stderr)
    (site / CACHE_FILE).unlink(missing_ok=True)
    rows: list[tuple[str, float, float]] = []
    wall, cpu, index = timed(lambda: PendingIndex.load(site))
    rows.append(("index, cold (every file read)", wall, cpu))
    wall, cpu, index = timed(lambda: PendingIndex.load(site))
    rows.append(("index, warm (from .consult/ cache)", wall, cpu))
    config = require_config(site)
    screen = Screen(site, config, index=index)
    cookie = f"{screen.cookie}={screen.token}"

    def page(query: str) -> Callable[[], Any]:
        return lambda: call(screen, "GET", "/", query, cookie=cookie)

    for name, query in (("first page", ""), ("page 1,000", "page=1000"),
                        ("filter: flag", "flag=personal-email"), ("filter: consultation + search", "consultation=parc-des-berges&q=jardin")):
        runs = [timed(page(query)) for _ in range(5)]
        assert runs[0][2][0].startswith("200"), runs[0][2]
        rows.append((name, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)))
    ids = list(index.order)
    singles = [timed(lambda id_=id_: call(screen, "POST", "/decide", form={"csrf": screen.csrf, "approve_one": id_},
                                             cookie=cookie)) for id_ in ids[-5:]]
    assert all(r[2][0].startswith("303") for r in singles)
    rows.append(("one decision", statistics.median(r[0] for r in singles), statistics.median(r[1] for r in singles)))
    bulk = ids[1000:2000]
    wall, cpu, done = timed(lambda: call(screen, "POST", "/decide", cookie=cookie,
                                         form={"csrf": screen.csrf, "bulk": "reject", "bulk_reason": "hors-sujet", "ids": bulk}))
    assert done[0].startswith("303") and not any(id_ in index.entries for id_ in bulk)
    rows.append(("bulk decision, 1,000", wall, cpu))
    wall, cpu, done = timed(lambda: call(screen, "POST", "/undo", form={"csrf": screen.csrf}, cookie=cookie))
    assert all(id_ in index.entries for id_ in bulk)
    rows.append(("undo of the bulk decision", wall, cpu))
    print(f"\n{args.pending:,} pending contributions\n")
    print("| step | wall | CPU | target |")
    print("|---|---|---|---|")
    for name, wall, cpu in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else f"< {target * 1000:.0f} ms " + ("ok" if wall < target else "MISSED")
        print(f"| {name} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms | {verdict} |")


if __name__ == "__main__":
    main()

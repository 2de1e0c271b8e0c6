"""Citizen proposals at scale: cold, warm and one-edit builds, with Pagefind's time apart.

    python bench/citizen.py [--proposals 10000] [--comments 100000] [--consultations 10] [--json out.json]

The corpus (deterministic, as bench/corpus.py's): citizen proposals (`origin: citizen`, a public
name, a submission day, a category, a status along the site's list, an official response for
the decided ones), supports in each consultation's supports.yaml, and comments on the proposals
(one in twenty pending or rejected, as moderation leaves them). Each build is a fresh `consult
build --no-search` process; then Pagefind indexes the cold build's output, timed on its own, so
the build's figures stay comparable with bench/run.py's. One edit is timed twice: a proposal's
text (its page and the lists it is on), and its supports (every list of its consultation moves).
Both are one-shot `consult build` runs, which read, link and key the whole site again and render
only what changed; `serve_edit_s` times the proposal edit through `consult serve`'s watcher, which
re-reads and re-links only the edited consultation (bench/run.py's serve_latency).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.corpus import CATEGORIES, STATUSES, paragraph, proposal_body, quoted, sentence, start_site  # noqa: E402
from bench.peers.run import OUTPUTS, fresh_output  # noqa: E402
from bench.run import WORK, edit, serve_latency, table, timed_build  # noqa: E402
from consult.layout import (  # noqa: E402
    PROPOSALS_DIR, SUPPORTS_FILE, consultation_dir, consultations_dir, contribution_file, proposal_file,
)

NAMES = ("Camille", "Dominique", "Sacha", "Alex", "Claude", "")


def write_citizen_proposal(path: Path, rng: random.Random, index: int) -> None:
    status = STATUSES[rng.randrange(len(STATUSES))]
    submitted = date(2026, 1, 1) + timedelta(days=rng.randrange(40))
    history = "\n".join(f"  - date: {(submitted + timedelta(days=7 * step)).isoformat()}\n    status: {sid}"
                        for step, sid in enumerate(STATUSES[: STATUSES.index(status) + 1]))
    response = ""
    if status in ("retenue", "non-retenue", "mise-en-oeuvre"):
        answered = submitted + timedelta(days=7 * STATUSES.index(status))
        response = f"response: {quoted(paragraph(rng, 2))}\nresponse_date: {answered.isoformat()}\n"
    path.write_text(
        f"---\ntitle: {quoted(f'Idée {index} : ' + sentence(rng, 3, 7))}\n"
        f"category: {CATEGORIES[rng.randrange(len(CATEGORIES))][0]}\nstatus: {status}\nhistory:\n{history}\n"
        f"{response}origin: citizen\nauthor: {quoted(rng.choice(NAMES))}\nsubmitted: {submitted.isoformat()}\n"
        f"---\n\n{proposal_body(rng, index)}",
        encoding="utf-8")


def write_comment(path: Path, rng: random.Random, ident: str, consultation: str, proposal: str) -> None:
    status = "published" if rng.random() >= 0.05 else rng.choice(("pending", "rejected"))
    reason = "reason: hors-sujet\n" if status == "rejected" else ""
    day = date(2026, 2, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 50))
    path.write_text(
        f"---\nid: {ident}\nkind: comment\nconsultation: {consultation}\nproposal: {proposal}\n"
        f"author: {quoted(rng.choice(NAMES))}\nsubmitted: {day.isoformat()}\nstatus: {status}\n{reason}"
        f"---\n\n{paragraph(rng, rng.randint(1, 3))}\n",
        encoding="utf-8")


def generate(target: Path, consultations: int = 10, proposals: int = 10000, comments: int = 100000,
             seed: int = 1) -> Path:
    """Write the citizen-proposal corpus into `target` (replaced if it exists); return it."""
    rng = random.Random(seed)
    slugs = start_site(target, consultations, rng)
    owners: list[tuple[str, str]] = []
    supports: dict[str, list[str]] = {slug: [] for slug in slugs}
    for index in range(1, proposals + 1):
        slug, name = slugs[index % consultations], f"idee-{index:06d}"
        path = proposal_file(consultation_dir(target, slug), name)
        path.parent.mkdir(exist_ok=True)
        write_citizen_proposal(path, rng, index)
        owners.append((slug, name))
        supports[slug].append(f"{name}: {int(rng.paretovariate(1.2)) - 1}\n")
    for slug, lines in supports.items():
        (consultation_dir(target, slug) / SUPPORTS_FILE).write_text("".join(lines), encoding="utf-8")
    for index in range(1, comments + 1):
        slug, proposal = owners[rng.randrange(len(owners))]
        path = contribution_file(consultation_dir(target, slug), f"k{index:07d}")
        path.parent.mkdir(exist_ok=True)
        write_comment(path, rng, f"k{index:07d}", slug, proposal)
    return target


def time_search(out: Path) -> tuple[float, int]:
    """Pagefind over a built site, on its own: (seconds, pages indexed)."""
    from consult.search import index_site

    started = time.perf_counter()
    indexed = index_site(out)
    if indexed.pages is None:
        raise SystemExit(indexed.message)
    return time.perf_counter() - started, indexed.pages


def measure(proposals: int, comments: int, consultations: int) -> dict[str, float | int | str]:
    site = generate(WORK / f"citizen-{proposals}-{comments}", consultations, proposals, comments)
    cold_out = fresh_output("consult-citizen")
    cold, rss = timed_build(site, "--no-cache", "--out", str(cold_out))
    output = sum(1 for p in cold_out.rglob("*") if p.is_file())
    search, indexed = time_search(cold_out)
    out = ("--out", str(fresh_output("consult-citizen-cached")))
    timed_build(site, *out)  # fills the cache
    warm, _ = timed_build(site, *out)
    one = sorted(consultations_dir(site).glob(f"*/{PROPOSALS_DIR}/*.md"))[3]
    edit(one, "## Le constat", "## Le constat révisé")
    edited, _ = timed_build(site, *out)
    supports = one.parent.parent / SUPPORTS_FILE
    edit(supports, f"{one.stem}: ", f"{one.stem}: 1000")
    supported, _ = timed_build(site, *out)
    serve = serve_latency(site, rounds=3)  # the same edit through serve's watcher: one consultation re-read
    shutil.rmtree(OUTPUTS, ignore_errors=True)
    return {"proposals": proposals, "comments": comments, "output_files": output,
            "cold_s": round(cold, 2), "cold_pages_per_s": round(output / cold), "warm_s": round(warm, 2),
            "one_proposal_s": round(edited, 2), "one_supports_s": round(supported, 2), "serve_edit_s": round(serve, 2),
            "pagefind_s": round(search, 2), "pagefind_pages": indexed, "cold_rss_mib": round(rss / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=10000)
    parser.add_argument("--comments", type=int, default=100000)
    parser.add_argument("--consultations", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    row = measure(args.proposals, args.comments, args.consultations)
    print(table([row]))
    if args.json:
        args.json.write_text(json.dumps({"citizen": [row]}, indent=2) + "\n")


if __name__ == "__main__":
    main()

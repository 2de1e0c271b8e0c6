"""Benchmark: what the results page adds to a cold build.

    python bench/results.py --answers 20000 [--rounds 3]

One closed consultation with a 10-question questionnaire (3 single, 2 multiple, 3 scale, 2 text)
and N published answers, built cold (no cache, one process, a fresh output folder) twice per round: with
`results: never` (no results page, no results CSV) and with the default `after_close` (the page,
its text answers' pages, the CSV). Prints both medians and the overhead. Deterministic corpus.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import resource
from pathlib import Path

WORK = Path(__file__).parent / "_work"
REPO = Path(__file__).resolve().parent.parent
QUESTIONS = """\
questions:
  - {id: q1, label: Fréquence, type: single, choices: [Souvent, Parfois, Jamais]}
  - {id: q2, label: Lieu, type: single, choices: [Centre, Nord, Sud, Est, Ouest]}
  - {id: q3, label: Âge, type: single, choices: [Moins de 18 ans, 18-64 ans, 65 ans et plus]}
  - {id: q4, label: Freins, type: multiple, choices: [Sécurité, Stationnement, Météo, Distance]}
  - {id: q5, label: Usages, type: multiple, choices: [Travail, École, Loisirs, Courses]}
  - {id: q6, label: Sécurité, type: scale, min: 1, max: 5}
  - {id: q7, label: Confort, type: scale, min: 1, max: 5}
  - {id: q8, label: Satisfaction, type: scale, min: 0, max: 10}
  - {id: q9, label: Une idée, type: text}
  - {id: q10, label: Un lieu à aménager, type: text}
"""
WORDS = "piste vélo rue école parc arceau carrefour pont gare lycée marché ombre banc".split()


def make_site(root: Path, answers: int, results: str) -> None:
    if root.exists():
        shutil.rmtree(root)
    folder = root / "content" / "consultations" / "velo"
    (folder / "contributions").mkdir(parents=True)
    (root / "site.yaml").write_text("title: Bench\nbase_url: https://bench.example\norganisation:\n  name: Ville\n"
                                    "contributions_per_page: 20\n")
    (folder / "index.md").write_text(f"---\ntitle: Vélo\nopens: 2026-01-01\ncloses: 2026-06-30\nresults: {results}\n"
                                     f"kinds: [answers]\n{QUESTIONS}---\nTexte.\n")
    rng = random.Random(7)
    for n in range(answers):
        day = 1 + n % 28
        lines = [f"id: 202603{day:02d}-{n:08x}", "kind: answers", f"submitted: 2026-03-{day:02d}T10:00:00+01:00",
                 "status: published", "answers:",
                 f"  q1: {rng.choice(['Souvent', 'Parfois', 'Jamais'])}",
                 f"  q2: {rng.choice(['Centre', 'Nord', 'Sud', 'Est', 'Ouest'])}",
                 f"  q3: {rng.choice(['Moins de 18 ans', '18-64 ans', '65 ans et plus'])}",
                 f"  q4: [{', '.join(rng.sample(['Sécurité', 'Stationnement', 'Météo', 'Distance'], rng.randint(1, 3)))}]",
                 f"  q5: [{', '.join(rng.sample(['Travail', 'École', 'Loisirs', 'Courses'], rng.randint(1, 2)))}]",
                 f"  q6: {rng.randint(1, 5)}", f"  q7: {rng.randint(1, 5)}", f"  q8: {rng.randint(0, 10)}"]
        if rng.random() < 0.5:
            lines.append(f"  q9: {' '.join(rng.choice(WORDS) for _ in range(8))}")
        if rng.random() < 0.3:
            lines.append(f"  q10: {' '.join(rng.choice(WORDS) for _ in range(4))}")
        (folder / "contributions" / f"202603{day:02d}-{n:08x}.md").write_text("---\n" + "\n".join(lines) + "\n---\n")


def cold_build(root: Path, out: Path) -> float:
    """The CPU time (user + system) of one cold build in one process: on a shared machine, wall time
    measures the neighbours more than the build."""
    if out.exists():
        shutil.rmtree(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "consult", "-C", str(root), "build", "--no-cache", "--jobs", "1",
                    "--out", str(out), "--now", "2026-12-01T12:00"], check=True, capture_output=True, cwd=REPO)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    sites = {mode: WORK / f"results-{mode}" for mode in ("never", "after_close")}
    for mode, root in sites.items():
        make_site(root, args.answers, mode)
    times: dict[str, list[float]] = {mode: [] for mode in sites}
    for _ in range(args.rounds):
        for mode, root in sites.items():
            times[mode].append(cold_build(root, WORK / f"out-{mode}"))
    without, with_ = statistics.median(times["never"]), statistics.median(times["after_close"])
    files = sum(1 for _ in (WORK / "out-after_close").rglob("*") if _.is_file())
    print(f"{args.answers:,} answers, {args.rounds} rounds, CPU time of a cold build: without results {without:.2f} s, "
          f"with results {with_:.2f} s ({files:,} files): +{100 * (with_ - without) / without:.1f} %")
    for path in [*sites.values(), *(WORK / f"out-{mode}" for mode in sites)]:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()

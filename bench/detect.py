"""Benchmark: the detectors of `consult pull` (consult/detect.py), on one core.

    python bench/detect.py [--existing 100000] [--new 5000] [--files 5000] [--pull-existing 100000]

Times (CPU time of this process: the machine is shared), on synthetic French-like texts (20 to 150 words, a tenth with a phone number or an
e-mail, a tenth lightly edited copies of an earlier text):
- the text detectors alone (personal data, links, capitals, repeats, a 50-word list);
- near-duplicate detection of `--new` texts against `--existing` texts already indexed
  (the cost of indexing those is reported apart: at pull it is paid once per consultation);
- `load_index` reading `--files` contribution files of one consultation from disk;
- the detectors as `consult pull` runs them (`Screening`: the folder indexed on first use, then
  each new text checked) for `--new` new contributions into a consultation with
  `--pull-existing` files, with a cold signature cache (.consult/signatures/, none yet) and then
  warm (every existing file's signature cached: only the folder is listed).
CPU times from resource.getrusage (user + system of this process).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("vélo piste cyclable rue quartier école enfants sécurité voiture arrêt bus gare marché place "
         "arbres ombre été trottoir stationnement arceaux mairie conseil projet budget parc jardin "
         "bruit nuit éclairage passage piéton carrefour vitesse zone limite travaux habitants commerce "
         "il faut que nous les des une pour avec sans sur dans entre plus moins très trop jamais toujours").split()


def texts(count: int, rng: random.Random) -> list[str]:
    out: list[str] = []
    for n in range(count):
        if out and n % 10 == 5:  # a lightly edited copy
            words = rng.choice(out).split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            out.append(" ".join(words))
            continue
        text = " ".join(rng.choice(WORDS) + ("" if rng.random() > 0.05 else str(rng.randint(1, 999)))
                        for _ in range(rng.randint(20, 150)))
        if n % 10 == 3:
            text += rng.choice([" Appelez le 06 12 34 56 78.", " Écrivez à nom.prenom@exemple.fr."])
        out.append(text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=5_000)
    parser.add_argument("--files", type=int, default=5_000)
    parser.add_argument("--pull-existing", type=int, default=100_000)
    args = parser.parse_args()

    from consult.detect import DuplicateIndex, detect_text, load_index, parse_words

    rng = random.Random(13)
    words = parse_words("\n".join(f"motinterdit{i}" for i in range(50)))
    new = texts(args.new, rng)
    start = time.process_time()
    flagged = sum(1 for text in new if detect_text(text, words))
    spent = time.process_time() - start
    print(f"text detectors: {args.new} texts in {spent:.2f} s = {args.new / spent:,.0f}/s ({flagged} flagged)")

    existing = texts(args.existing, rng)
    index = DuplicateIndex()
    start = time.process_time()
    for n, text in enumerate(existing):
        index.add(f"e{n}", text)
    spent = time.process_time() - start
    print(f"indexing {args.existing} existing texts: {spent:.2f} s = {args.existing / spent:,.0f}/s")
    copies = [existing[rng.randrange(len(existing))] + " merci" for _ in range(args.new // 10)]
    start = time.process_time()
    found = sum(1 for n, text in enumerate(new + copies) if index.check(f"n{n}", text))
    spent = time.process_time() - start
    total = len(new) + len(copies)
    print(f"near-duplicates: {total} new texts against {args.existing} in {spent:.2f} s = {total / spent:,.0f}/s "
          f"({found} found, {len(copies)} planted copies of existing texts)")

    folder = ROOT / "bench" / "_work" / "detect" / "contributions"
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    for n, text in enumerate(texts(args.files, rng)):
        (folder / f"20261101-{n:08d}.md").write_text(
            f"---\nid: 20261101-{n:08d}\nkind: suggestion\nsubmitted: 2026-11-01T10:00:00+01:00\n"
            f"status: published\ntitle: \"Idée {n}\"\n---\n{text}\n", encoding="utf-8")
    start = time.process_time()
    loaded = load_index(folder)
    spent = time.process_time() - start
    print(f"load_index: {len(loaded)} files read and indexed in {spent:.2f} s = {len(loaded) / spent:,.0f}/s")
    shutil.rmtree(folder.parent, ignore_errors=True)
    if args.pull_existing:
        pull_case(args.pull_existing, new, rng)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pull_case(existing: int, new: list[str], rng: random.Random) -> None:
    """`Screening` over `existing` files, for the `new` texts and a tenth as many copies of existing
    ones (their files are read for the exact comparison): cold cache, then warm."""
    from consult.detect import Screening

    root = ROOT / "bench" / "_work" / "detect-pull"
    shutil.rmtree(root, ignore_errors=True)
    folder = root / "content" / "consultations" / "velo" / "contributions"
    folder.mkdir(parents=True)
    olds = texts(existing, rng)
    new = new + [olds[rng.randrange(existing)] + " merci" for _ in range(len(new) // 10)]  # planted copies
    for n, text in enumerate(olds):
        (folder / f"20261101-{n:08d}.md").write_text(
            f"---\nid: 20261101-{n:08d}\nkind: suggestion\nsubmitted: 2026-11-01T10:00:00+01:00\n"
            f"status: published\ntitle: \"Idée {n}\"\n---\n{text}\n", encoding="utf-8")
    for label in ("cold cache", "warm cache"):
        start = cpu()
        screening = Screening(root)
        found = sum(1 for n, text in enumerate(new)
                    if any(f.code == "near-duplicate" for f in screening.findings(folder, f"n{n}", "", text, {})))
        spent = cpu() - start
        print(f"pull detectors, {label}: {len(new)} new against {existing} files in {spent:.2f} s CPU "
              f"= {len(new) / spent:,.0f}/s ({found} near-duplicates)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

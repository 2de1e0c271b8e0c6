"""Cold build time of a large site against a small one: the time ratio of issue 17's scale target.

    python bench/scale.py SMALL LARGE [--rounds 2] [--jobs 2]

Builds SMALL, then LARGE and SMALL in turn `--rounds` times (so that each large build is between
two small ones, and both sizes meet the same machine), each with `consult build --no-cache
--no-search -jN` into the site's `_site/`, and prints a table: the wall and CPU time of each build
(user + system time of its whole process tree, from the kernel's accounting of waited-for children),
their medians, and the ratio of the large site's median to the small one's.

Nothing samples the builds meanwhile: bench/memory.py reads each process's memory map every 20 ms,
which holds the build's memory map lock and costs more the larger the process, so it slows a large
build more than a small one (at 1,000,000 contributions its CPU figures ran ~10 % above this one's).
Build both sites the same way: bench/corpus.py, into a tmpfs for a million files (bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.warm import timed  # noqa: E402

NOW = "2026-02-15T12:00"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("small", type=Path)
    parser.add_argument("large", type=Path)
    parser.add_argument("--rounds", type=int, default=2, help="large builds, each followed by a small one")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    runs: dict[Path, list[tuple[float, float]]] = {args.small: [], args.large: []}
    for site in [args.small] + [site for _ in range(args.rounds) for site in (args.large, args.small)]:
        load = os.getloadavg()[0]
        wall, cpu = timed(site, "--now", NOW, "--no-cache", "--jobs", str(args.jobs))  # a cold build
        runs[site].append((wall, cpu))
        print(f"{time.strftime('%H:%M:%S')} {site.name}: wall {wall:.2f} s, CPU {cpu:.2f} s (load before {load:.2f})", flush=True)
    medians = {site: (statistics.median(w for w, _ in found), statistics.median(c for _, c in found)) for site, found in runs.items()}
    print("\n| site | builds | wall (median) | CPU (median) | CPU of each |")
    print("|---|---|---|---|---|")
    for site, found in runs.items():
        print(f"| {site.name} | {len(found)} | {medians[site][0]:.2f} s | {medians[site][1]:.2f} s | "
              f"{', '.join(f'{c:.2f}' for _, c in found)} |")
    small, large = medians[args.small], medians[args.large]
    print(f"| **ratio** | | **{large[0] / small[0]:.2f}x** | **{large[1] / small[1]:.2f}x** | |")


if __name__ == "__main__":
    main()

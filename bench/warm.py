"""A warm build with nothing changed, with and without `consult watch` (issue 17's target at national
scale: under 2 s with 1,000,000 contributions).

    python bench/warm.py SITE [--out DIR] [--rounds 5]

SITE is built once (cached) if it has no build yet; then, in alternating rounds, `consult build
--no-search` is timed without a watcher and with a live `consult watch` (its first build after the
watcher starts, which still stats every file, is not timed). Prints wall and CPU time (user + system
of the build process), medians over the rounds.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(site: Path, *options: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one `consult build --no-search *options` of `site` (CPU: user + system
    time of its whole process tree, from the kernel's accounting of waited-for children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "consult", "-C", str(site), "build", "--no-search", *options],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Watching:
    def __init__(self, site: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "consult", "-C", str(site), "watch"],
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        if not self.process.stderr.readline().startswith("Watching"):
            raise SystemExit("consult watch did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def count_files(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--out", type=Path, help="output folder (default: SITE/_site)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    site, out = args.site.resolve(), (args.out or args.site / "_site").resolve()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as users run it: compiled modules kept
    if not out.is_dir():
        print(f"first, a cached cold build: {timed(site, '--out', str(out))[0]:.1f} s", file=sys.stderr)
    timed(site, "--out", str(out))  # the cache and the modules' .pyc warm
    plain: list[tuple[float, float]] = []
    watched: list[tuple[float, float]] = []
    for _ in range(args.rounds):
        plain.append(timed(site, "--out", str(out)))
        watcher = Watching(site)
        try:
            timed(site, "--out", str(out))  # the first build this watcher sees: a stat of every file, then its token
            watched.append(timed(site, "--out", str(out)))
        finally:
            watcher.stop()
    files = count_files(site / "content")
    print(f"\nWarm build, nothing changed: {site.name}, {files:,} content files, {args.rounds} rounds (medians)\n")
    print("| build | wall | CPU |")
    print("|---|---|---|")
    for label, runs in (("without a watcher (a stat of every file)", plain), ("with `consult watch` running", watched)):
        print(f"| {label} | {statistics.median(w for w, _ in runs):.2f} s | {statistics.median(c for _, c in runs):.2f} s |")


if __name__ == "__main__":
    main()

"""Measure consult on generated sites and print a table (and --json).

    python bench/run.py --proposals 1000 10000 [--contributions 100000] [--peers] [--json out.json]

For each size: cold build (no cache, a new output folder; best of 2), warm build (nothing changed),
one proposal edited, one template edited (each a fresh `consult build` process,
as a user runs it), the time from saving a proposal in `consult serve` to the
reload event, and the peak memory of a cold build: the peak over time of the summed PSS of the
build and its workers (bench/memory.py; pages shared after fork count once), the parent's own peak
RSS, and the old figure (parent max RSS + largest child's max RSS, which counts shared pages twice).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
NOW = "2026-02-15T12:00"
COLD_RUNS = 2  # the cold build is the best of this many
sys.path.insert(0, str(HERE.parent))

from bench.corpus import generate  # noqa: E402
from bench.memory import measure as measure_memory  # noqa: E402
from bench.peers.run import OUTPUTS, compile_consult, fresh_output  # noqa: E402


def timed_build(site: Path, *extra: str) -> tuple[float, int]:
    """One `consult build` in a child process: (seconds, peak RSS in bytes)."""
    started = time.perf_counter()
    code = ("import atexit, resource, sys; from consult.cli import main; sys.argv = ['consult'] + sys.argv[1:]\n"
            # At exit (main's own, cli.LEAVE_AT_ONCE, runs the exit handlers too), once the workers are waited for.
            "atexit.register(lambda: "
            "    print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr))\n"
            "main()\n")
    # --no-search: Pagefind's time is measured apart (bench/citizen.py), so builds compare across versions.
    done = subprocess.run([sys.executable, "-c", code, "-C", str(site), "build", "--now", NOW, "--no-search", *extra],
                          capture_output=True, text=True, env={**os.environ, "CI": "1"})
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    rss = int(next(line.split()[1] for line in done.stderr.splitlines() if line.startswith("MAXRSS")))
    return seconds, rss * 1024


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1) if old in text else text + new, encoding="utf-8")


def serve_latency(site: Path, rounds: int = 5) -> float:
    """Median seconds from saving a proposal to the reload event, in-process as `consult serve` runs it."""
    from consult.build import BuildOptions, Builder
    from consult.serve import Rebuilder, Status, watch

    status = Status()
    builder = Builder(site, site / "_site", NOW, BuildOptions(trust_manifest=False, save_every_build=False))  # as serve_site
    rebuilder = Rebuilder(builder, status)
    rebuilder.rebuild(None)
    rebuilder.thread.start()
    observer = watch(site, rebuilder)
    proposal = sorted((site / "content/consultations").glob("*/proposals/*.md"))[len(site.name) % 7]
    times = []
    try:
        for n in range(rounds):
            version = status.version
            event = threading.Event()
            threading.Thread(target=lambda: (status.wait_after(version, 30), event.set()), daemon=True).start()
            time.sleep(0.2)
            started = time.perf_counter()
            edit(proposal, "## Le constat", f"## Le constat {n}")
            event.wait(30)
            times.append(time.perf_counter() - started)
            assert not status.problems, status.problems
    finally:
        observer.stop()
        rebuilder.stop()
    return sorted(times)[len(times) // 2]


def measure(proposals: int, contributions: int, consultations: int) -> dict[str, float | int | str]:
    site = generate(WORK / f"site-{proposals}-{contributions}", consultations, proposals, contributions)
    pages = sum(1 for _ in (site / "content").rglob("*.md"))
    # Best of COLD_RUNS, each into a new folder, as bench/peers times each peer (see fresh_output).
    cold, rss = timed_build(site, "--no-cache", "--out", str(fresh_output("consult")))
    for _ in range(COLD_RUNS - 1):
        cold = min(cold, timed_build(site, "--no-cache", "--out", str(fresh_output("consult")))[0])
    # A second cold build, sampled (sampling costs a little time), into _site/, where serve starts from.
    memory = measure_memory(site, "--no-cache")
    out = ("--out", str(fresh_output("consult-cached")))
    cold_cached, _ = timed_build(site, *out)  # fills the cache
    warm, _ = timed_build(site, *out)
    one = sorted((site / "content/consultations").glob("*/proposals/*.md"))[3]
    edit(one, "## Le constat", "## Le constat révisé")
    edited, _ = timed_build(site, *out)
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/thanks.html").write_text("{% extends 'base.html' %}{% block main %}<p>Merci</p>{% endblock %}\n")
    template, _ = timed_build(site, *out)
    # Taken out again: a site with templates of its own renders in Jinja's sandbox (consult.sandbox),
    # and the side-by-side run (--peers) and serve_latency must time the site every other row times.
    shutil.rmtree(site / "templates")
    output = sum(1 for p in Path(out[1]).rglob("*") if p.is_file())
    latency = serve_latency(site)
    shutil.rmtree(OUTPUTS, ignore_errors=True)  # at the end: a deletion slows the file system for a while
    return {"proposals": proposals, "contributions": contributions, "sources": pages, "output_files": output,
            "cold_s": round(cold, 2), "cold_pages_per_s": round(output / cold), "cold_with_cache_fill_s": round(cold_cached, 2),
            "warm_s": round(warm, 2), "one_proposal_s": round(edited, 2), "one_template_s": round(template, 2),
            "serve_reload_ms": round(latency * 1000), "peak_pss_mib": memory["peak_pss_mib"],
            "parent_peak_rss_mib": memory["parent_peak_rss_mib"], "old_rss_sum_mib": round(rss / 2**20)}


def table(rows: list[dict[str, float | int | str]]) -> str:
    keys = list(rows[0])
    widths = [max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys]
    lines = [" | ".join(k.ljust(w) for k, w in zip(keys, widths)), "-|-".join("-" * w for w in widths)]
    lines += [" | ".join(str(r.get(k, "")).ljust(w) for k, w in zip(keys, widths)) for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--contributions", type=int, nargs="+", default=[0])
    parser.add_argument("--consultations", type=int, default=20)
    parser.add_argument("--peers", action="store_true", help="also time Hugo, Eleventy and Pelican (bench/peers/)")
    parser.add_argument("--rounds", type=int, default=3, help="with --peers: rounds of consult and each peer side by side")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    compile_consult()
    rows = [measure(p, c, args.consultations) for p in args.proposals for c in args.contributions]
    print(table(rows))
    result: dict[str, object] = {"consult": rows, "cpus": os.cpu_count()}
    if args.peers:
        from bench.peers.run import compare

        peers = compare(WORK / f"site-{args.proposals[-1]}-{args.contributions[0]}", rounds=args.rounds)
        print()
        print(table(peers))
        result["peers"] = peers
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

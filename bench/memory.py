"""Peak memory of one `consult build`, measured without counting shared pages twice.

    python bench/memory.py SITE [build flags...]

Samples /proc/<pid>/smaps_rollup of the build process and all its descendants every
20 ms and reports the peak of the summed PSS (proportional set size: a page shared
by n processes counts 1/n in each, so copy-on-write pages shared after fork count
once), the peak summed USS (private pages only, a lower bound), the parent's own peak
RSS (VmHWM), the CPU time of the whole process tree, and the naive figure the old table used (parent max RSS + largest child's).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-02-15T12:00"


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _rollup(pid: int) -> tuple[int, int]:
    """(PSS, USS) in KiB."""
    pss = uss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name == "Pss":
                    pss = int(rest.split()[0])
                elif name in ("Private_Clean", "Private_Dirty"):
                    uss += int(rest.split()[0])
    except OSError:
        pass
    return pss, uss


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(site: Path, *extra: str) -> dict[str, float]:
    code = ("import atexit, resource, sys; from consult.cli import main; sys.argv = ['consult'] + sys.argv[1:]\n"
            # At exit (main's own, cli.LEAVE_AT_ONCE, runs the exit handlers too), once the workers are waited for.
            "atexit.register(lambda: "
            "    print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr))\n"
            "main()\n")
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # stderr to a file, not a pipe: this loop does not read while it samples, and a build's warnings
    # (hundreds on the bench sites) would fill a pipe and block the build for ever.
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", code, "-C", str(site), "build", "--now", NOW, "--no-search", *extra],
                            stdout=subprocess.DEVNULL, stderr=log, text=True, env={**os.environ, "CI": "1"})
    peak_pss = peak_uss = hwm = 0
    while proc.poll() is None:
        pss = uss = 0
        for pid in _tree(proc.pid):
            p, u = _rollup(pid)
            pss, uss = pss + p, uss + u
        peak_pss, peak_uss = max(peak_pss, pss), max(peak_uss, uss)
        hwm = max(hwm, _hwm(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build and every process it waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log.seek(0)
    err = log.read()
    log.close()
    if proc.returncode:
        raise SystemExit(err)
    own, children = next(line.split()[1:] for line in err.splitlines() if line.startswith("MAXRSS"))
    mib = 1024
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_pss_mib": round(peak_pss / mib), "peak_uss_mib": round(peak_uss / mib),
            "parent_peak_rss_mib": round(max(hwm, int(own)) / mib),
            "old_figure_mib": round((int(own) + int(children)) / mib)}


if __name__ == "__main__":
    print(measure(Path(sys.argv[1]), *sys.argv[2:]))

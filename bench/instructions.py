"""Count the CPU instructions of a cold `consult build`, for this code and for an older revision.

    python bench/instructions.py SITE [--rev REV [--rev-site SITE_FOR_REV]] [--jobs N]

On a shared machine, wall and even CPU times of the same build swing by 20 % or more from one
minute to the next (other processes share the caches and the cores). The number of instructions
a build executes does not: Valgrind's cachegrind counts them (`--cache-sim=no`, about 30x slower
than a plain run), so two revisions compare to a fraction of a percent on a busy machine. This
counts user-space work only: system calls (writing files, forking) and waiting are not in it, and
a `-j2` build's wall time also depends on how much of its work runs in parallel, so the side-by-side
wall-clock comparison (bench/peers, bench/run.py --peers) stays the figure that users see.

Each build is `consult build --no-cache --no-search -j1` into a fresh folder. `--rev` builds the
same site with the code and themes of an older git revision (checked out into bench/_work/rev-<sha>);
`--rev-site` gives that revision a copy of the site its site.yaml can read, if the current one uses
settings it did not know. Prints a table: output files, instructions, instructions per file.
Needs `valgrind` (Debian: apt install valgrind).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "_work"
NOW = "2026-02-15T12:00"
# Runs `consult` from the revision on PYTHONPATH, with that revision's built-in themes (the editable
# install would otherwise hand it the working tree's).
RUNNER = """import sys
from pathlib import Path
tree = Path(sys.argv.pop(1))
import consult.theme, consult.build
consult.theme.builtin_themes_dir = consult.build.builtin_themes_dir = lambda: tree / "themes"
from consult.cli import main
sys.argv[0] = "consult"
main()
"""


def count(site: Path, tree: Path, jobs: int) -> tuple[int, int]:
    """(output files, instructions) of one cold build of `site` with the code in `tree`."""
    # Compiled once beforehand: a first import compiling the modules would count that work too.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "consult")], check=True)
    with tempfile.TemporaryDirectory(prefix="consult-ir-") as scratch:
        out = Path(scratch) / "_site"
        runner = Path(scratch) / "runner.py"
        runner.write_text(RUNNER, encoding="utf-8")
        # A revision from before Pagefind has no search step to skip.
        search = ["--no-search"] if "--no-search" in (tree / "consult" / "cli.py").read_text(encoding="utf-8") else []
        command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                   sys.executable, str(runner), str(tree), "-C", str(site), "build", "--now", NOW, "--no-cache",
                   *search, f"-j{jobs}", "--out", str(out)]
        # From the scratch folder, so that the current directory puts no other `consult` first on sys.path.
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True,
                              env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
        found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        if done.returncode != 0 or found is None:
            raise SystemExit(f"the build under valgrind failed:\n{done.stderr[-2000:]}")
        return sum(1 for p in out.rglob("*") if p.is_file()), int(found.group(1).replace(",", ""))


def revision_tree(rev: str) -> Path:
    """A checkout of `rev` under bench/_work (made once, reused)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    tree = WORK / f"rev-{sha}"
    if not tree.is_dir():
        WORK.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            archive = Path(scratch) / "rev.tar"
            subprocess.run(["git", "archive", "-o", str(archive), sha], cwd=REPO, check=True)
            tree.mkdir()
            shutil.unpack_archive(archive, tree)
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--rev", help="an older git revision to count too")
    parser.add_argument("--rev-site", type=Path, help="the copy of the site the revision builds")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    rows = [("this code", *count(args.site.resolve(), REPO, args.jobs))]
    if args.rev:
        site = (args.rev_site or args.site).resolve()
        rows.append((args.rev, *count(site, revision_tree(args.rev), args.jobs)))
    print("| code | output files | instructions | per output file |")
    print("|---|---|---|---|")
    for name, files, instructions in rows:
        print(f"| {name} | {files:,} | {instructions / 1e9:.2f} G | {instructions / files / 1e6:.2f} M |")
    if len(rows) == 2:
        print(f"\ninstructions per output file, this code / {args.rev}: {rows[0][2] / rows[0][1] / (rows[1][2] / rows[1][1]):.3f}")


if __name__ == "__main__":
    main()

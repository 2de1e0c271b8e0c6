"""Hugo, Eleventy and Pelican on the same Markdown as consult's proposals, timed in the same run.

    python bench/peers/run.py bench/_work/site-10000-0 [--tools hugo eleventy pelican] [--rounds 3]

Installs what is missing into bench/_work (gitignored): Hugo from Debian
(apt-get install hugo), Eleventy with npm into a scratch folder, Pelican with pip
into a scratch venv. Each renders one page per Markdown file with a minimal layout.
Each round times consult's cold build and each tool's clean build back to back; the
table gives the medians (of the times, and of the per-round ratios consult / tool).

The outputs go to bench/_work/outputs, or to CONSULT_BENCH_OUTPUTS (bench/run.py too):
`CONSULT_BENCH_OUTPUTS=/dev/shm/consult-bench` writes them to memory, which takes this
machine's disk out of the comparison (creating 10,000 folders there costs 1 to 7 s of
system time from one minute to the next, for every tool), leaving the tools' own work.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

WORK = Path(__file__).resolve().parent.parent / "_work"
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
TITLE = re.compile(r'^title: "(.*)"$', re.M)
NOW = "2026-02-15T12:00"  # as bench/run.py
ROUNDS = 3
# The command for a given output folder, and the folder to run it in.
Build = tuple[Callable[[Path], list[str]], Path]
OUTPUTS = Path(os.environ.get("CONSULT_BENCH_OUTPUTS") or WORK / "outputs")
LAYOUT = "<!doctype html><html lang=fr><head><meta charset=utf-8><title>{title}</title></head><body><main>{body}</main></body></html>"


def pages(site: Path) -> list[tuple[str, str, str]]:
    """(slug, title, markdown body) of every proposal of the consult corpus."""
    out = []
    for path in sorted(site.glob("content/consultations/*/proposals/*.md")):
        text = path.read_text(encoding="utf-8")
        match = FRONT.match(text)
        title = TITLE.search(match.group(1)).group(1) if match else path.stem  # type: ignore[union-attr]
        out.append((path.stem, title.replace('\\"', "'"), text[match.end():] if match else text))
    return out


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def fresh_output(label: str) -> Path:
    """A new output folder for one clean build. Not one just emptied: on this machine, creating
    10,000 files right after deleting 10,000 costs up to 10x the system time it costs elsewhere,
    and by how much varies from one minute to the next. The outputs are deleted at the end."""
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    return OUTPUTS / f"{label}-{time.time_ns()}"


def _timed(build: Build, label: str) -> float:
    """One clean build, into a fresh output folder."""
    command, cwd = build
    cmd = command(fresh_output(label))
    started = time.perf_counter()
    _run(cmd, cwd)
    return time.perf_counter() - started


def hugo(corpus: list[tuple[str, str, str]]) -> Build:
    if shutil.which("hugo") is None:
        _run(["apt-get", "install", "-y", "-qq", "hugo"], WORK)
    root = WORK / "peer-hugo"
    shutil.rmtree(root, ignore_errors=True)
    (root / "content").mkdir(parents=True)
    (root / "layouts/_default").mkdir(parents=True)
    (root / "hugo.toml").write_text('baseURL = "https://example.org/"\nlanguageCode = "fr"\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n')
    layout = LAYOUT.format(title="{{ .Title }}", body="{{ .Content }}")
    for name in ("single.html", "list.html"):
        (root / "layouts/_default" / name).write_text(layout)
    for slug, title, body in corpus:
        (root / "content" / f"{slug}.md").write_text(f'---\ntitle: "{title}"\n---\n{body}', encoding="utf-8")
    return (lambda out: ["hugo", "--quiet", "--destination", str(out)]), root


def eleventy(corpus: list[tuple[str, str, str]]) -> Build:
    tool = WORK / "eleventy-tool"
    if not (tool / "node_modules/.bin/eleventy").exists():
        tool.mkdir(parents=True, exist_ok=True)
        # Its own package.json, or npm would add Eleventy to the nearest one up the tree (the project's).
        (tool / "package.json").write_text('{"name": "eleventy-tool", "private": true}\n')
        _run(["npm", "install", "--silent", "--no-audit", "--no-fund", "@11ty/eleventy@3"], tool)
    root = WORK / "peer-eleventy"
    shutil.rmtree(root, ignore_errors=True)
    (root / "src/_includes").mkdir(parents=True)
    (root / "src/_includes/page.njk").write_text(LAYOUT.format(title="{{ title }}", body="{{ content | safe }}"))
    for slug, title, body in corpus:
        (root / "src" / f"{slug}.md").write_text(f'---\ntitle: "{title}"\nlayout: page.njk\n---\n{body}', encoding="utf-8")
    return (lambda out: [str(tool / "node_modules/.bin/eleventy"), "--input=src", f"--output={out}", "--quiet"]), root


def pelican(corpus: list[tuple[str, str, str]]) -> Build:
    venv = WORK / "pelican-venv"
    if not (venv / "bin/pelican").exists():
        _run([sys.executable, "-m", "venv", str(venv)], WORK)
        _run([str(venv / "bin/pip"), "install", "-q", "pelican", "markdown"], WORK)
    root = WORK / "peer-pelican"
    shutil.rmtree(root, ignore_errors=True)
    (root / "content/pages").mkdir(parents=True)
    (root / "theme/templates").mkdir(parents=True)
    for name in ("page.html", "article.html"):
        (root / "theme/templates" / name).write_text(
            LAYOUT.format(title="{{ (page or article).title }}", body="{{ (page or article).content }}"))
    for name in ("index.html", "archives.html", "tags.html", "categories.html", "authors.html", "period_archives.html",
                 "tag.html", "category.html", "author.html"):
        (root / "theme/templates" / name).write_text("")
    (root / "pelicanconf.py").write_text(
        "SITENAME='bench'\nPATH='content'\nTHEME='theme'\nTIMEZONE='Europe/Paris'\nDEFAULT_LANG='fr'\n"
        "FEED_ALL_ATOM=None\nCATEGORY_FEED_ATOM=None\nDIRECT_TEMPLATES=[]\nPAGE_PATHS=['pages']\n")
    for slug, title, body in corpus:
        (root / "content/pages" / f"{slug}.md").write_text(f"Title: {title}\nSlug: {slug}\n\n{body}", encoding="utf-8")
    return (lambda out: [str(venv / "bin/pelican"), "-q", "-s", "pelicanconf.py", "-o", str(out)]), root


TOOLS = {"hugo": hugo, "eleventy": eleventy, "pelican": pelican}


def compile_consult(cwd: Path | None = None) -> None:
    """Compile the `consult` package that this interpreter's builds import (run from `cwd`) to bytecode,
    as `pip install` does: where PYTHONDONTWRITEBYTECODE is set (this machine sets it), an editable
    install would otherwise compile its modules from source at every start (0.25 s of each build here),
    which no installed copy does. Compiled in a child, so that it is the package the builds import."""
    code = "import compileall, os, consult; compileall.compile_dir(os.path.dirname(consult.__file__), quiet=1)"
    subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True)


def consult_build(site: Path) -> Build:
    """consult's cold build of the same site (no cache, empty output), as bench/run.py times it."""
    site = site.resolve()
    return (lambda out: [sys.executable, "-c", "from consult.cli import main; main()", "-C", str(site), "build",
                         "--now", NOW, "--no-cache", "--no-search", "--out", str(out)]), site


def compare(site: Path, tools: list[str] | None = None, rounds: int = ROUNDS) -> list[dict]:
    """Each round times consult's cold build and then each tool's clean build, back to back: on a
    noisy machine (this one's disk can make the same build 3x slower from one minute to the next)
    only builds timed side by side compare. Reported: the medians over the rounds of each one's time
    and of the per-round ratio consult / tool."""
    corpus = pages(site)
    builds: dict[str, Build] = {}
    rows: dict[str, dict] = {}
    for name in tools or list(TOOLS):
        try:
            builds[name] = TOOLS[name](corpus)
        except (subprocess.CalledProcessError, OSError) as exc:
            rows[name] = {"tool": name, "pages": len(corpus), "clean_s": f"failed: {exc}"[:60]}
    mine = consult_build(site)
    compile_consult(mine[1])
    times: dict[str, list[float]] = {name: [] for name in builds}
    ratios: dict[str, list[float]] = {name: [] for name in builds}
    consult_times: list[float] = []
    for _ in range(rounds):
        for name, build in builds.items():
            ours = _timed(mine, "consult")
            theirs = _timed(build, name)
            consult_times.append(ours)
            times[name].append(theirs)
            ratios[name].append(ours / theirs)
    for name in builds:
        clean = statistics.median(times[name])
        rows[name] = {"tool": name, "pages": len(corpus), "rounds": rounds, "clean_s": round(clean, 2),
                      "pages_per_s": round(len(corpus) / clean),
                      "consult_cold_s": round(statistics.median(consult_times[list(builds).index(name)::len(builds)]), 2),
                      "consult_cold_over_tool": round(statistics.median(ratios[name]), 2),
                      "ratio_min_max": f"{min(ratios[name]):.2f}-{max(ratios[name]):.2f}"}
    shutil.rmtree(OUTPUTS, ignore_errors=True)
    return [rows[name] for name in tools or list(TOOLS) if name in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--tools", nargs="+", choices=list(TOOLS))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    for row in compare(args.site, args.tools, args.rounds):
        print(row)


if __name__ == "__main__":
    main()

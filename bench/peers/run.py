"""Hugo, Eleventy and Pelican on the same Markdown as consult's proposals, timed in the same run.

    python bench/peers/run.py bench/_work/site-10000-0 [--tools hugo eleventy pelican]

Installs what is missing into bench/_work (gitignored): Hugo from Debian
(apt-get install hugo), Eleventy with npm into a scratch folder, Pelican with pip
into a scratch venv. Each renders one page per Markdown file with a minimal layout;
each clean build is timed (best of 2) and compared with consult's cold build.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent.parent / "_work"
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
TITLE = re.compile(r'^title: "(.*)"$', re.M)
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


def _best(cmd: list[str], cwd: Path, out: Path) -> float:
    times = []
    for _ in range(2):
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        _run(cmd, cwd)
        times.append(time.perf_counter() - started)
    return min(times)


def hugo(corpus: list[tuple[str, str, str]]) -> float:
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
    return _best(["hugo", "--quiet"], root, root / "public")


def eleventy(corpus: list[tuple[str, str, str]]) -> float:
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
    return _best([str(tool / "node_modules/.bin/eleventy"), "--input=src", "--output=_site", "--quiet"], root, root / "_site")


def pelican(corpus: list[tuple[str, str, str]]) -> float:
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
    return _best([str(venv / "bin/pelican"), "-q", "-s", "pelicanconf.py", "-o", "output"], root, root / "output")


TOOLS = {"hugo": hugo, "eleventy": eleventy, "pelican": pelican}


def compare(site: Path, consult_row: dict | None = None, tools: list[str] | None = None) -> list[dict]:
    corpus = pages(site)
    rows = []
    for name in tools or list(TOOLS):
        try:
            seconds = TOOLS[name](corpus)
        except (subprocess.CalledProcessError, OSError) as exc:
            rows.append({"tool": name, "pages": len(corpus), "clean_s": f"failed: {exc}"[:60]})
            continue
        row = {"tool": name, "pages": len(corpus), "clean_s": round(seconds, 2), "pages_per_s": round(len(corpus) / seconds)}
        if consult_row:
            row["consult_cold_over_tool"] = round(float(consult_row["cold_s"]) / seconds, 2)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--tools", nargs="+", choices=list(TOOLS))
    args = parser.parse_args()
    for row in compare(args.site, None, args.tools):
        print(row)


if __name__ == "__main__":
    main()

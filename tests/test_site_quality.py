"""The built demo site: valid HTML (Nu HTML Checker) and no broken internal link or asset.

The demo site at the repository root is copied and built once for the module, at a
fixed date, so every page type (open, upcoming and closed consultations, proposals,
paginated contributions, content pages, the statement, thank-you, 404) is present; the
copy gets enough comments on one proposal for many pages of comments.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from tests.conftest import REPO, THEMES, add_comments, copy_demo, use_theme

VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
NOW = "2026-12-01T12:00"


@pytest.fixture(scope="module", params=THEMES)
def built_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built with each built-in theme in turn."""
    root = tmp_path_factory.mktemp(f"demo-{request.param}")
    copy_demo(root)
    use_theme(root, request.param)
    add_comments(root, "parc-des-berges", "buvette-saisonniere", 60)
    result = subprocess.run([sys.executable, "-m", "consult", "-C", str(root), "build", "--now", NOW],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "_site"


def html_files(site: Path) -> list[Path]:
    files = sorted(site.rglob("*.html"))
    assert len(files) > 10, f"the demo site built only {len(files)} HTML files"
    return files


def test_every_page_and_stylesheet_is_valid(built_site: Path) -> None:
    if not VNU_JAR.is_file():
        pytest.fail(f"{VNU_JAR.relative_to(REPO)} is missing: run scripts/test "
                    "(it runs `npm ci` to install vnu-jar from package-lock.json)")
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: run scripts/test (it installs default-jre-headless)")
    # Not the DSFR's own stylesheet (static/dsfr/, vendored unchanged, see tests/test_dsfr.py): the
    # checker's CSS level rejects its valid multi-layer mask-position and calc() margins.
    files = html_files(built_site) + sorted(css for css in built_site.rglob("*.css")
                                            if not css.relative_to(built_site).as_posix().startswith("static/dsfr/"))
    # One JVM for every file: the checker starts in ~1 s, checks in milliseconds.
    result = subprocess.run([java, "-jar", str(VNU_JAR), "--errors-only", "--also-check-css", "--format", "json",
                             *map(str, files)], capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr or result.stdout)
    errors = [f"{urlsplit(m.get('url', '')).path.replace(str(built_site), '')}:"
              f"{m.get('lastLine', '?')}:{m.get('firstColumn', '?')}: {m['message']}"
              for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    assert not errors, "\n".join(errors)
    assert result.returncode == 0, result.stderr


class LinkCollector(HTMLParser):
    ATTRS = {"href", "src", "action", "poster", "data"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if value is None:
                continue
            if name in self.ATTRS:
                self.links.append((line, tag, value))
            elif name == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        self.links.append((line, tag, candidate.split()[0]))


def resolve(site: Path, url_path: str) -> Path | None:
    """The file a static host serves for `url_path`, or None: a file, or a dir's index.html."""
    target = (site / unquote(url_path).lstrip("/")).resolve()
    if not target.is_relative_to(site.resolve()):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def page_url(site: Path, path: Path) -> str:
    url = "/" + path.relative_to(site).as_posix()
    return url.removesuffix("index.html")


def test_no_broken_internal_link_or_missing_asset(built_site: Path) -> None:
    form_endpoint = "/api/"  # served by the form handler, not by the static site
    broken: list[str] = []
    pages = {path: LinkCollector() for path in html_files(built_site)}
    for path, collector in pages.items():
        collector.feed(path.read_text(encoding="utf-8"))
        collector.close()
    for path, collector in pages.items():
        where = path.relative_to(built_site)
        for line, tag, url in collector.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue  # external, or protocol-relative: not ours to resolve
            if url.startswith("#"):
                if len(url) > 1 and unquote(url[1:]) not in collector.ids:
                    broken.append(f"{where}:{line}: <{tag}> {url}: no element with this id")
                continue
            if not url:
                continue
            parts = urlsplit(urljoin(page_url(built_site, path), url))
            if parts.path.startswith(form_endpoint):
                continue
            target = resolve(built_site, parts.path)
            if target is None:
                broken.append(f"{where}:{line}: <{tag}> {url}: nothing at this path")
            elif parts.fragment and target.suffix == ".html" and target in pages \
                    and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{where}:{line}: <{tag}> {url}: no element with id {parts.fragment!r}")
    assert not broken, "\n".join(broken)


def test_every_page_links_to_the_accessibility_statement(built_site: Path) -> None:
    statement = "/accessibilite/"  # the demo is in French
    missing = [str(p.relative_to(built_site)) for p in html_files(built_site)
               if f'href="{statement}"' not in p.read_text(encoding="utf-8")]
    assert not missing, f"no link to {statement} on: {', '.join(missing)}"

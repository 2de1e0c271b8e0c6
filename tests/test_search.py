"""The search step (consult/search.py): Pagefind indexes the built site as the last step of a build,
only the content the templates mark, whole or not at all; without Pagefind the site still builds
and says so. (Tests/browser/test_facets.py searches a real index in Chromium.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult import search
from consult.build import build_site
from consult.cli import cli
from consult.errors import french
from consult.layout import SEARCH_DIR
from tests.conftest import site_with_proposals, tree

NOW = "2026-02-15T12:00"


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    return site_with_proposals(tmp_path / "site", 2)


def marked_pages(out: Path) -> int:
    """The pages whose content Pagefind is to index: those with a data-pagefind-body element."""
    return sum(1 for page in out.rglob("*.html") if b"data-pagefind-body" in page.read_bytes())


def index_files(out: Path) -> set[str]:
    return {name for name in tree(out) if name.startswith(SEARCH_DIR + "/")}


def test_the_build_ends_with_an_index_of_the_marked_pages_only(site: Path) -> None:
    built, _ = build_site(site, now=NOW, search=True)
    out = site / "_site"
    assert built.indexed is not None and built.indexed.pages == marked_pages(out) > 0
    assert (out / "pagefind/pagefind.js").is_file() and "pagefind/pagefind-entry.json" in index_files(out)
    # consultations, proposals and content pages; never a list of contributions, a form page or a thank-you page
    marked = {p.relative_to(out).as_posix() for p in out.rglob("*.html") if b"data-pagefind-body" in p.read_bytes()}
    assert "consultations/exemple/index.html" in marked and "a-propos/index.html" in marked
    assert "consultations/exemple/proposals/autre-0/index.html" in marked
    assert not {p for p in marked if "/contributions/" in p or p.startswith(("thanks/", "recherche/"))}
    assert not {p for p in marked if "/propositions/" in p}  # the lists repeat the proposals: not indexed twice
    # The moderation report (figures, no citizen text) is not indexed: searching "modération" finds
    # the charter, whose indexed list links to every consultation's report.
    assert (out / "consultations/exemple/moderation/index.html").is_file()
    assert not {p for p in marked if "/moderation/" in p}


def test_pagefind_reads_the_marked_pages_alone_and_makes_the_index_it_makes_of_the_whole_site(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """index_site gives Pagefind the marked pages only (hard links at their own paths; it would read
    and parse every page of the site to find them): the index is byte for byte the one Pagefind makes
    of the whole site. Where no page is marked (Pagefind then indexes every page), or no link can be
    made, it reads the site itself."""
    import subprocess

    build_site(site, now=NOW, search=False)
    out = site / "_site"
    executable = search.pagefind_executable()
    assert executable is not None
    whole = tmp_path / "whole"
    subprocess.run([str(executable), "--site", str(out), "--output-path", str(whole)], check=True, capture_output=True)
    seen: list[Path] = []
    given: list[list[str]] = []  # the pages in the folder Pagefind was given
    real_run = subprocess.run

    def run(args: list[str], **kwargs: object) -> object:
        seen.append(Path(args[args.index("--site") + 1]))
        given.append(sorted(p.relative_to(seen[-1]).as_posix() for p in seen[-1].rglob("*.html")))
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)  # what index_site runs Pagefind with
    indexed = search.index_site(out)
    assert indexed.pages == marked_pages(out) == len(search.marked_pages(out)) > 0
    assert seen[-1] != out and given[-1] == sorted(search.marked_pages(out)) and len(given[-1]) < len(list(out.rglob("*.html")))
    assert tree(out / SEARCH_DIR) == tree(whole)
    assert not [name for name in os.listdir(out) if name.startswith(".")]  # the linked pages are gone

    def no_link(source: object, target: object) -> None:
        raise OSError("no hard links here")

    monkeypatch.setattr(search.os, "link", no_link)
    assert search.index_site(out).pages == indexed.pages and seen[-1] == out and tree(out / SEARCH_DIR) == tree(whole)
    monkeypatch.setattr(search, "MARK", b"data-no-such-mark")  # nothing marked: Pagefind indexes every page
    assert search._marked_only(out, tmp_path / "unused") == out


def test_an_unchanged_site_keeps_its_index_and_an_edit_gives_the_index_of_a_clean_build(site: Path,
                                                                                      tmp_path: Path) -> None:
    out = site / "_site"
    build_site(site, now=NOW, cache=True, search=True)
    first = index_files(out)
    built, report = build_site(site, now=NOW, cache=True, search=True)
    assert built.indexed is None and index_files(out) == first  # nothing changed: neither pruned nor redone
    proposal = site / "content/consultations/exemple/proposals/autre-1.md"
    proposal.write_text(proposal.read_text(encoding="utf-8") + "\nUn mot nouveau : ornithorynque.\n", encoding="utf-8")
    (site / "content/consultations/exemple/proposals/autre-0.md").unlink()  # the set of pages changes: a pruning build
    built, report = build_site(site, now=NOW, cache=True, search=True)
    assert built.indexed is not None and report.removed
    clean = tmp_path / "clean"
    build_site(site, clean, now=NOW, search=True)
    assert {name: data for name, data in tree(out).items() if name.startswith("pagefind/")} == \
        {name: data for name, data in tree(clean).items() if name.startswith("pagefind/")}
    assert not [name for name in os.listdir(out) if name.startswith(".")]  # no half-made index left beside


def test_without_pagefind_the_site_builds_says_so_and_drops_the_old_index(site: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = site / "_site"
    build_site(site, now=NOW, cache=True, search=True)
    assert index_files(out)
    monkeypatch.setattr(search, "pagefind_executable", lambda: None)
    (site / "content/pages/a-propos.md").write_text("---\ntitle: À propos\n---\n\nAutre texte.\n", encoding="utf-8")
    built, _ = build_site(site, now=NOW, cache=True, search=True)
    assert built.indexed is not None and built.indexed.pages is None and built.indexed.message == search.MISSING
    assert not index_files(out)  # an old index would find what the site no longer shows
    assert (out / "recherche/index.html").is_file()


def test_a_failing_pagefind_leaves_the_site_built_without_an_index(site: Path, tmp_path: Path) -> None:
    out = site / "_site"
    build_site(site, now=NOW, search=True)
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'Error: out of cheese' >&2\nexit 3\n", encoding="utf-8")
    broken.chmod(0o755)
    indexed = search.index_site(out, broken)
    assert indexed.pages is None and "out of cheese" in indexed.message and "without its search index" in indexed.message
    assert not index_files(out) and (out / "index.html").is_file()


def test_a_build_without_search_removes_a_stale_index(site: Path) -> None:
    out = site / "_site"
    build_site(site, now=NOW, search=True)
    (site / "content/consultations/exemple/proposals/autre-0.md").unlink()
    build_site(site, now=NOW)
    assert not index_files(out)


def test_consult_build_says_what_the_search_step_did(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(site), "build", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert f"recherche : {marked_pages(site / '_site')} pages indexées par Pagefind" in result.output  # a French site
    monkeypatch.setattr(search, "pagefind_executable", lambda: None)
    (site / "content/pages/a-propos.md").write_text("---\ntitle: À propos\n---\n\nAutre texte.\n", encoding="utf-8")
    result = runner.invoke(cli, ["-C", str(site), "build", "--now", NOW])
    assert result.exit_code == 0 and french(search.MISSING) in result.output and search.MISSING not in result.output
    result = runner.invoke(cli, ["-C", str(site), "build", "--now", NOW, "--no-search", "--no-cache"])
    assert result.exit_code == 0 and "search:" not in result.output
    assert not index_files(site / "_site")


@pytest.mark.parametrize("slug", ["recherche", "pagefind"])
def test_a_content_page_may_not_take_the_search_pages_address(site: Path, slug: str) -> None:
    """/recherche/ is the search page and /pagefind/ its index: a page there would replace one or be pruned."""
    from consult.build import check_site
    from consult.errors import ConsultError

    (site / f"content/pages/{slug}.md").write_text("---\ntitle: Ma page\n---\n\nTexte.\n", encoding="utf-8")
    with pytest.raises(ConsultError) as caught:
        check_site(site, NOW)
    assert [str(p.path) for p in caught.value.problems if "is reserved by consult" in p.message] == \
        [f"content/pages/{slug}.md"]


@pytest.mark.parametrize("theme", ["default", "dsfr"])
def test_every_theme_links_the_search_page_from_its_navigation(site: Path, theme: str) -> None:
    """The header's navigation of both built-in themes leads to /recherche/ (marked current there)."""
    from consult.build import check_site

    config = site / "site.yaml"
    text = config.read_text(encoding="utf-8")
    assert "\ntheme: default\n" in text  # the skeleton's
    config.write_text(text.replace("\ntheme: default\n", f"\ntheme: {theme}\n"), encoding="utf-8")
    files = check_site(site, NOW).files
    header = files["index.html"].decode("utf-8").split("</header>", 1)[0]
    link = ('<a class="fr-nav__link" href="/recherche/">' if theme == "dsfr" else '<a href="/recherche/">') + "Rechercher</a>"
    assert link in header
    assert 'href="/recherche/" aria-current="page">Rechercher</a>' in files["recherche/index.html"].decode("utf-8")

"""Incremental builds (cache + page traces) give byte for byte what a clean build gives."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.build import BuildOptions, Builder, build_site, check_site
from consult.cache import CACHE_DIR, _read
from consult.errors import ConsultError
from tests.conftest import CallLog, site_with_proposals, tree

NOW = "2026-02-15T12:00"


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    return site_with_proposals(tmp_path / "site", 3)


def test_pages_equal_render_site(site: Path, tmp_path: Path) -> None:
    built, _ = build_site(site, tmp_path / "out", NOW, cache=True)
    assert tree(tmp_path / "out") == check_site(site, NOW).files


def test_second_build_renders_nothing(site: Path, tmp_path: Path) -> None:
    build_site(site, tmp_path / "out", NOW, cache=True)
    built, report = build_site(site, tmp_path / "out", NOW, cache=True)
    assert report.written == [] and report.removed == []
    assert not [p for p in built.files if p.endswith(".html")]


def test_edit_one_proposal_renders_its_page_and_what_lists_it(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    path = site / "content/consultations/exemple/proposals/autre-1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Autre 1", "Autre un"), encoding="utf-8")
    built, report = build_site(site, out, NOW, cache=True)
    rendered = {p for p in built.files if p.endswith((".html", ".xml"))}
    assert "consultations/exemple/proposals/autre-1/index.html" in report.written
    assert "consultations/exemple/proposals/autre-0/index.html" not in rendered
    assert "consultations/exemple/index.html" in rendered
    assert tree(out) == check_site(site, NOW).files


# What serve's watcher reports for each kind of edit, and the edit itself: edit(site, n, text) -> the
# changed paths (a file added or removed reports its folder too, as watchdog does). Every field whose
# change reaches other pages is here: a consultation's title, kinds, dates, a question's choices, a
# category label, a proposal's title, status, category, supports, a contribution's status, a content page.
CONSULTATION = "content/consultations/exemple"
PROPOSALS = f"{CONSULTATION}/proposals"
CONTRIBUTION = f"{CONSULTATION}/contributions/20260201-bbbb0001.md"


def _proposal(site: Path, n: int) -> Path:
    files = sorted((site / PROPOSALS).glob("*.md"))
    return files[n % len(files)]


def _rewrite(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` once; if `old` is not there, `new` by `old` (an edit that toggles)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1) if old in text else text.replace(new, old, 1), encoding="utf-8")


def _changed(site: Path, *paths: Path) -> set[str]:
    return {path.relative_to(site).as_posix() for path in paths}


def edit_proposal_title(site: Path, n: int, text: str) -> set[str]:
    target = _proposal(site, n)
    target.write_text(target.read_text(encoding="utf-8").replace('title: "', f'title: "{text} ', 1), encoding="utf-8")
    return _changed(site, target)


def edit_body(site: Path, n: int, text: str) -> set[str]:
    target = _proposal(site, n)
    target.write_text(target.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")
    return _changed(site, target)


def edit_status(site: Path, n: int, text: str) -> set[str]:
    # a status change is dated in the history too (check refuses a status its history contradicts)
    target = _proposal(site, n)
    body = target.read_text(encoding="utf-8")
    decided = body.replace("status: a-l-etude\nhistory", "status: retenue\nhistory", 1)
    if decided != body:
        decided = decided.replace("\nresponse:", "\n  - date: 2026-02-01\n    status: retenue\nresponse:", 1)
    target.write_text(decided, encoding="utf-8")
    return _changed(site, target)


def edit_category(site: Path, n: int, text: str) -> set[str]:
    # "category" and "supports" move a proposal between the lists of consult.facets (status does too).
    target = _proposal(site, n)
    _rewrite(target, "category: amenagement", "category: services")
    return _changed(site, target)


def edit_supports(site: Path, n: int, text: str) -> set[str]:
    supports = site / CONSULTATION / "supports.yaml"
    files = sorted((site / PROPOSALS).glob("*.md"))
    supports.write_text("".join(f"{f.stem}: {(i * 7 + n) % 5}\n" for i, f in enumerate(files)), encoding="utf-8")
    return _changed(site, supports)


def edit_delete(site: Path, n: int, text: str) -> set[str]:
    target = _proposal(site, n)
    if len(list(target.parent.glob("*.md"))) > 1:
        target.unlink()
    return _changed(site, target) | {PROPOSALS + "/"}


def edit_add(site: Path, n: int, text: str) -> set[str]:
    added = site / PROPOSALS / f"ajout-{n}.md"
    added.write_text(_proposal(site, n).read_text(encoding="utf-8").replace('title: "', f'title: "{text}', 1),
                     encoding="utf-8")
    return _changed(site, added) | {PROPOSALS + "/"}


def edit_template(site: Path, n: int, text: str) -> set[str]:
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/thanks.html").write_text(f"{{% extends 'base.html' %}}{{% block main %}}{text}{{% endblock %}}\n",
                                                encoding="utf-8")
    return {"templates/thanks.html"}


def edit_config(site: Path, n: int, text: str) -> set[str]:
    _rewrite(site / "site.yaml", "contributions_per_page: 20", "contributions_per_page: 21")
    return {"site.yaml"}


def edit_consultation_title(site: Path, n: int, text: str) -> set[str]:
    index = site / CONSULTATION / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace('title: "', f'title: "{text} ', 1), encoding="utf-8")
    return _changed(site, index)


def edit_kinds(site: Path, n: int, text: str) -> set[str]:
    before, kind = [("kinds:\n", "suggestion"), ("  - comment\n", "support")][n % 2]
    _rewrite(site / CONSULTATION / "index.md", f"{before}  - {kind}\n", before)
    return _changed(site, site / CONSULTATION / "index.md")


# (opens, closes): open, closed, upcoming at NOW
DATES = [("2026-01-01", "2030-12-31T23:59"), ("2026-01-01", "2026-02-10"), ("2026-03-01", "2030-12-31T23:59"),
         ("2025-06-01", "2026-02-15T11:00")]


def edit_dates(site: Path, n: int, text: str) -> set[str]:
    index = site / CONSULTATION / "index.md"
    lines = index.read_text(encoding="utf-8").split("\n")
    opens, closes = DATES[n % len(DATES)]
    lines = [f"opens: {opens}" if line.startswith("opens:") else f"closes: {closes}" if line.startswith("closes:") else line
             for line in lines]
    index.write_text("\n".join(lines), encoding="utf-8")
    return _changed(site, index)


def edit_choices(site: Path, n: int, text: str) -> set[str]:
    index = site / CONSULTATION / "index.md"
    choice = ["Parfois", "Plus de bancs"][n % 2]
    index.write_text(index.read_text(encoding="utf-8").replace(f'- "{choice}', f'- "{choice} {text.strip() or "x"}', 1),
                     encoding="utf-8")
    return _changed(site, index)


def edit_category_label(site: Path, n: int, text: str) -> set[str]:
    index = site / CONSULTATION / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace('label: "Services', f'label: "Services {text}', 1),
                     encoding="utf-8")
    return _changed(site, index)


def edit_contribution(site: Path, n: int, text: str) -> set[str]:
    """published -> rejected -> published again."""
    _rewrite(site / CONTRIBUTION, "status: published\n", "status: rejected\nreason: doublon\n")
    return _changed(site, site / CONTRIBUTION)


def edit_page(site: Path, n: int, text: str) -> set[str]:
    page = site / "content/pages/a-propos.md"
    page.write_text(page.read_text(encoding="utf-8").replace('title: "', f'title: "{text} ', 1) + f"\n{text}\n",
                    encoding="utf-8")
    return _changed(site, page)


def edit_page_added(site: Path, n: int, text: str) -> set[str]:
    page = site / f"content/pages/ajout-{n}.md"
    page.write_text(f'---\ntitle: "Ajout {text}"\nfooter: true\n---\nTexte {text}.\n', encoding="utf-8")
    return _changed(site, page) | {"content/pages/"}


EDIT_KINDS = {"title": edit_proposal_title, "body": edit_body, "status": edit_status, "category": edit_category,
              "supports": edit_supports, "delete": edit_delete, "add": edit_add, "template": edit_template,
              "config": edit_config, "consultation-title": edit_consultation_title, "kinds": edit_kinds,
              "dates": edit_dates, "choices": edit_choices, "category-label": edit_category_label,
              "contribution": edit_contribution, "page": edit_page, "page-added": edit_page_added}
EDITS = st.lists(st.tuples(st.sampled_from(sorted(EDIT_KINDS)), st.integers(0, 3), st.text("abcdéè ", min_size=1, max_size=8)),
                 min_size=1, max_size=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_random_edits_incremental_equals_clean(site: Path, tmp_path_factory: pytest.TempPathFactory,
                                               edits: list[tuple[str, int, str]]) -> None:
    """After any edits, serve's long-lived builder (told what changed) and `consult build` (the cache
    on disk) give the clean build's bytes and warnings."""
    if not (site / CONTRIBUTION).exists():
        comment(site, "20260201-bbbb0001", "autre-1")
    out = tmp_path_factory.mktemp("out")
    builder = Builder(site, out, NOW)
    builder.build()
    pending: set[str] = set()  # changed since the long-lived builder last built
    for what, n, text in edits:
        pending |= EDIT_KINDS[what](site, n, text)
        clean = check_site(site, NOW)
        if n % 2:
            built, _ = builder.build(pending)
            pending = set()
        else:
            built, _ = build_site(site, out, NOW, cache=True)
        assert tree(out) == clean.files
        assert built.warnings == clean.warnings


def _to_final_status(site: Path) -> Path:
    """autre-0 declined (a final status: it takes no more supports, which the handler's rules say)."""
    target = site / PROPOSALS / "autre-0.md"
    _rewrite(target, "status: a-l-etude\nhistory", "status: non-retenue\nhistory")
    _rewrite(target, "\nresponse:", "\n  - date: 2026-02-01\n    status: non-retenue\nresponse:")
    return target


@pytest.mark.parametrize("edit", ["category-label", "final-status", "verified-supports"])
def test_serve_rewrites_the_handler_rules_for_what_they_show(site: Path, tmp_path: Path, edit: str) -> None:
    """consult-rules.json shows each consultation's categories, which proposals take supports and how:
    an edit of one of those through serve's path changes it as in a clean build (the rules' memo once
    compared a summary that left them out, and kept the old file)."""
    out = tmp_path / "out"
    builder = Builder(site, out, NOW)
    builder.build()
    index = site / CONSULTATION / "index.md"
    if edit == "category-label":
        changed = edit_category_label(site, 0, "Publics")
    elif edit == "final-status":
        changed = _changed(site, _to_final_status(site))
    else:
        _rewrite(index, "moderation: pre\n", "moderation: pre\nsupports: verified\n")
        changed = _changed(site, index)
    builder.build(changed)
    assert (out / "consult-rules.json").read_bytes() == check_site(site, NOW).files["consult-rules.json"]


def age(site: Path) -> None:
    """Date every input a minute back, as files saved before the build (not 'racily' fresh)."""
    past = time.time_ns() - 60 * 10**9
    for path in site.rglob("*"):
        if path.is_file() and "_site" not in path.parts and ".consult" not in path.parts:
            os.utime(path, ns=(past, past))


def test_nothing_changed_loads_nothing(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    age(site)
    first, _ = build_site(site, out, NOW, cache=True)
    built, report = build_site(site, out, NOW, cache=True)
    assert built.site is None and not built.files
    assert report.written == [] and report.removed == [] and report.unchanged == first.count == built.count
    assert tree(out) == check_site(site, NOW).files


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The content files a build reads from here on (relative to the content folder)."""
    from consult.content import load

    read: list[str] = []
    original = load.read_source_text

    def spied(path: Any, rel: str) -> Any:
        read.append(rel)
        return original(path, rel)

    monkeypatch.setattr(load, "read_source_text", spied)
    return read


def test_a_build_reads_only_the_files_changed_since_the_last(site: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A content file whose size, mtime and inode are those the last build's scan saw (and not
    racily: modified well before that scan) is not read again, its record taken from the cache by the
    key the last build gave it; an edited file is. The output is the clean build's, and stays so when
    an unread file's record is gone from the cache (read where it is parsed) or the config changes
    (every key with it)."""
    out = tmp_path / "out"
    age(site)
    build_site(site, out, NOW, cache=True)
    read = _reads(monkeypatch)
    edited = site / PROPOSALS / "autre-1.md"
    _rewrite(edited, "Autre 1", "Autre un")
    build_site(site, out, NOW, cache=True)
    assert read == [edited.relative_to(site).as_posix()] and tree(out) == check_site(site, NOW).files
    age(site)
    build_site(site, out, NOW, cache=True)  # a scan long after every mtime
    for path in (site / CACHE_DIR).glob("parsed-*.pickle"):
        path.unlink()
    read.clear()
    _rewrite(site / PROPOSALS / "autre-2.md", "Autre 2", "Autre deux")
    build_site(site, out, NOW, cache=True)
    assert len(read) > 3 and tree(out) == check_site(site, NOW).files  # every record parsed again, read to be
    read.clear()
    _rewrite(site / "site.yaml", "Nos consultations", "Nos consultations publiques")
    build_site(site, out, NOW, cache=True)
    assert len(read) > 3 and tree(out) == check_site(site, NOW).files


def test_a_file_changed_too_close_to_the_last_scan_is_read_again(site: Path, tmp_path: Path) -> None:
    """A file saved just before the last build's scan may have changed again within the same mtime
    tick: even with the size, mtime and inode the scan saw, it is read again (git's 'racily clean')."""
    out = tmp_path / "out"
    shutil.copytree(site / CONSULTATION, site / "content/consultations/seconde")
    age(site)
    path = site / "content/consultations/seconde/proposals/autre-1.md"
    _rewrite(path, "Autre 1", "Autre A")
    build_site(site, out, NOW, cache=True)
    seen = os.stat(path)
    _rewrite(path, "Autre A", "Autre B")  # the same size
    os.utime(path, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns, now.st_ino) == (seen.st_size, seen.st_mtime_ns, seen.st_ino)
    other = site / PROPOSALS / "autre-2.md"  # another consultation's file, so that the build is not skipped
    _rewrite(other, "Autre 2", "Autre deux")
    os.utime(other, ns=(seen.st_mtime_ns - 10**10, seen.st_mtime_ns - 10**10))
    build_site(site, out, NOW, cache=True)
    assert tree(out) == check_site(site, NOW).files and b"Autre B" in tree(out)["consultations/seconde/proposals/autre-1/index.html"]


def test_a_one_edit_build_plans_the_edited_consultation_alone_and_equals_a_clean_build(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`consult build` after files of one consultation were edited in place (and nothing else) plans,
    keys and renders the site-wide pages and that consultation's, and keeps the others' as the last
    build left them: the output is the clean build's. A file added, site.yaml, or an output folder
    that is no longer as the last build left it ask for every page again."""
    from consult import build

    shutil.copytree(site / CONSULTATION, site / "content/consultations/seconde")
    comment(site, "20260201-bbbb0001", "autre-1")
    age(site)
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    planned: list[Any] = []
    plan_pages = build.plan_pages
    monkeypatch.setattr(build, "plan_pages", lambda site_, env, only=None: planned.append(only) or plan_pages(site_, env, only))

    def edited(path: Path, old: str, new: str) -> None:
        _rewrite(path, old, new)
        moment = time.time_ns() - 30 * 10**9  # saved a while ago: not racily fresh at the next scan
        os.utime(path, ns=(moment, moment))

    edited(site / "content/consultations/seconde/proposals/autre-1.md", "Autre 1", "Autre un")
    _, report = build_site(site, out, NOW, cache=True)
    assert planned[-1] == {"seconde"} and "consultations/seconde/proposals/autre-1/index.html" in report.written
    assert not [path for path in report.written if path.startswith("consultations/exemple/")]
    assert tree(out) == check_site(site, NOW).files
    edited(site / CONTRIBUTION, "status: published", "status: rejected\nreason: hors-sujet")  # exemple's comment, in place
    build_site(site, out, NOW, cache=True)
    assert planned[-1] == {"exemple"} and tree(out) == check_site(site, NOW).files
    for _ in range(2):  # a category facet's list pages come with a second category, and go with it
        edited(site / "content/consultations/seconde/proposals/autre-2.md", "category: amenagement", "category: services")
        build_site(site, out, NOW, cache=True)
        assert planned[-1] == {"seconde"} and tree(out) == check_site(site, NOW).files
    edited(site / "content/consultations/seconde/index.md", "Exemple de consultation", "Seconde consultation")
    build_site(site, out, NOW, cache=True)
    assert planned[-1] == {"seconde"} and tree(out) == check_site(site, NOW).files
    comment(site, "20260201-bbbb0002", "autre-2")  # a file added
    build_site(site, out, NOW, cache=True)
    assert planned[-1] is None and tree(out) == check_site(site, NOW).files
    age(site)
    build_site(site, out, NOW, cache=True)
    (out / "consultations/exemple/proposals/autre-0/index.html").unlink()  # the output, no longer as it was
    edited(site / "content/consultations/seconde/proposals/autre-0.md", "Autre 0", "Autre zéro")
    build_site(site, out, NOW, cache=True)
    assert planned[-1] is None and tree(out) == check_site(site, NOW).files
    edited(site / "site.yaml", "Nos consultations", "Nos consultations publiques")
    build_site(site, out, NOW, cache=True)
    assert planned[-1] is None and tree(out) == check_site(site, NOW).files


def test_a_later_moment_with_the_same_statuses_loads_nothing_but_a_status_change_rebuilds(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    age(site)
    build_site(site, out, NOW, cache=True)
    assert build_site(site, out, "2026-03-01T08:00", cache=True)[0].site is None
    built, report = build_site(site, out, "2031-01-01T00:00", cache=True)  # the consultation has closed
    assert built.site is not None and report.written
    assert tree(out) == check_site(site, "2031-01-01T00:00").files


@pytest.mark.parametrize("change", ["same-size-config", "output-deleted", "stray-output", "output-edited", "template-added",
                                    "fresh-edit-then-no-change"])


def test_any_change_to_inputs_or_output_rebuilds(site: Path, tmp_path: Path, change: str) -> None:
    out = tmp_path / "out"
    age(site)
    build_site(site, out, NOW, cache=True)
    page = out / "consultations/exemple/index.html"
    if change == "same-size-config":
        config = site / "site.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace("contributions_per_page: 20", "contributions_per_page: 21"),
                          encoding="utf-8")
    elif change == "output-deleted":
        page.unlink()
    elif change == "stray-output":
        (out / "stray.html").write_text("x")
    elif change == "output-edited":
        page.write_bytes(page.read_bytes().replace(b"<main", b"<main data-x", 1))
    elif change == "template-added":
        (site / "templates").mkdir(exist_ok=True)
        (site / "templates/thanks.html").write_text("{% extends 'base.html' %}{% block main %}Merci{% endblock %}\n")
    elif change == "fresh-edit-then-no-change":
        proposal = next((site / "content/consultations/exemple/proposals").glob("*.md"))
        proposal.write_text(proposal.read_text(encoding="utf-8") + "\nEncore.\n", encoding="utf-8")
        build_site(site, out, NOW, cache=True)  # saw a file saved just now: must not trust it next time
        proposal.write_text(proposal.read_text(encoding="utf-8").replace("Encore.", "Encora."), encoding="utf-8")
    built, _ = build_site(site, out, NOW, cache=True)
    assert built.site is not None
    assert tree(out) == check_site(site, NOW).files


def test_serve_edit_rebuilds_only_its_consultation_and_equals_clean(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    builder = Builder(site, out, NOW)
    builder.build()
    path = site / "content/consultations/exemple/proposals/autre-2.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Autre 2", "Autre deux"), encoding="utf-8")
    built, report = builder.build({path.relative_to(site).as_posix()})
    assert builder.last is not None and "consultations/exemple/proposals/autre-2/index.html" in report.written
    assert "consultations/exemple/proposals/autre-0/index.html" not in built.files
    assert tree(out) == check_site(site, NOW).files
    broken = path.read_text(encoding="utf-8").replace("status:", "statut:", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConsultError):
        builder.build({path.relative_to(site).as_posix()})
    other = site / "content/consultations/exemple/proposals/autre-0.md"
    other.write_text(other.read_text(encoding="utf-8") + "\nPlus.\n", encoding="utf-8")
    with pytest.raises(ConsultError):  # the broken file is still broken, though not named this time
        builder.build({other.relative_to(site).as_posix()})



def test_a_build_between_two_of_serve_leaves_no_stale_page_for_serve(site: Path, tmp_path: Path) -> None:
    """`consult build` into the folder serve writes to, between two of serve's rebuilds: serve's memory
    of the folder is void. Here the one-shot build brings a deleted proposal's page back; serve, told
    it is deleted again, makes the same set of files as in its last build, yet must remove that page."""
    out = tmp_path / "out"
    proposal = site / "content/consultations/exemple/proposals/autre-0.md"
    text, changed = proposal.read_text(encoding="utf-8"), {proposal.relative_to(site).as_posix()}
    serve = Builder(site, out, NOW)
    serve.build()
    proposal.unlink()
    serve.build(changed)
    proposal.write_text(text, encoding="utf-8")
    Builder(site, out, NOW).build()
    assert (out / "consultations/exemple/proposals/autre-0/index.html").exists()
    proposal.unlink()
    _, report = serve.build(changed)
    assert "consultations/exemple/proposals/autre-0/index.html" in report.removed
    assert tree(out) == check_site(site, NOW).files


def test_serve_alone_in_its_folder_still_skips_the_walk_for_stale_files(site: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above costs serve nothing while it is the only one writing: the same set of files
    again, no walk of the output folder."""
    from consult import output

    walks: list[Path] = []
    prune = output.prune_output
    monkeypatch.setattr(output, "prune_output", lambda out, wanted, *rest: walks.append(out) or prune(out, wanted, *rest))
    serve = Builder(site, tmp_path / "out", NOW)
    serve.build()
    proposal = site / "content/consultations/exemple/proposals/autre-1.md"
    proposal.write_text(proposal.read_text(encoding="utf-8") + "\nPlus.\n", encoding="utf-8")
    serve.build({proposal.relative_to(site).as_posix()})
    assert walks == []
    Builder(site, tmp_path / "out", NOW).build()  # another build: serve walks once, then not again
    for again in ("Encore.", "Toujours."):
        proposal.write_text(proposal.read_text(encoding="utf-8") + f"\n{again}\n", encoding="utf-8")
        serve.build({proposal.relative_to(site).as_posix()})
    assert len(walks) == 2 and tree(tmp_path / "out") == check_site(site, NOW).files


@pytest.fixture()
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse, key and render in worker processes even for a small site."""
    from consult import build, pages
    from consult.content import load

    monkeypatch.setattr(pages, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(load, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(build, "KEYING_THRESHOLD", 0)


@pytest.mark.usefixtures("parallel")
def test_parallel_build_equals_render_site(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built, _ = build_site(site, out, NOW, jobs=3)
    assert tree(out) == check_site(site, NOW).files
    assert set(built.files) == set(tree(out))


@pytest.mark.usefixtures("parallel")
def test_contributions_csv_is_written_while_the_workers_render(site: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """contributions.csv, made a chunk at a time, is written by this process between the workers'
    ranges (Builder._companions): none is left for the end of the build, into a new folder as into
    one that has the last build's; the bytes are the clean build's, unchanged ones left alone."""
    from consult import opendata

    monkeypatch.setattr(opendata, "CHUNK_ROWS", 1)
    for n in range(4):
        comment(site, f"20260201-cccc000{n}", f"autre-{n % 3}")
    left: list[tuple[list[str], list[str]]] = []  # (staged already, left to stage) by each build
    finish = Builder._finish

    def spied(self: Builder, files: dict[str, Any], *args: Any) -> Any:
        left.append(([name for name, data in files.items() if data is None],
                     [name for name, data in files.items() if data is not None and not isinstance(data, bytes)]))
        return finish(self, files, *args)

    monkeypatch.setattr(Builder, "_finish", spied)
    out = tmp_path / "out"
    build_site(site, out, NOW, jobs=3)
    assert tree(out) == check_site(site, NOW).files and tree(out)["data/contributions.csv"].count(b"\n") == 5
    comment(site, "20260201-cccc0009", "autre-0")
    _, report = build_site(site, out, NOW, jobs=3)
    assert "data/contributions.csv" in report.written and tree(out) == check_site(site, NOW).files
    _rewrite(site / PROPOSALS / "autre-1.md", "Autre 1", "Autre un")
    _, report = build_site(site, out, NOW, jobs=3)
    assert "data/contributions.csv" not in report.written and tree(out) == check_site(site, NOW).files
    assert left == [(["data/contributions.csv"], [])] * 3 and not list(out.rglob(".tmp-*"))


@pytest.fixture()
def apart(parallel: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-shot parallel build makes its companion files in a child even for a small site; the
    temporary folder (where the child spools contributions.csv) is returned, to be looked into."""
    import tempfile

    from consult import build

    monkeypatch.setattr(build, "APART_FROM", 0)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_a_one_shot_parallel_build_makes_its_companion_files_in_a_child_while_it_plans(
        site: Path, tmp_path: Path, apart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builder._companions_apart: static files, open data and the handler's rules are made by a child
    forked once the site is linked, before the pages are planned (the core planning leaves idle), not
    by a render worker; contributions.csv comes through a spool file, staged into a new folder as into
    one that has the last build's (an unchanged file left alone), and the spool is removed. A builder
    that keeps its last build (consult serve) or a one-process build makes them itself."""
    from consult import build, opendata

    monkeypatch.setattr(opendata, "CHUNK_ROWS", 1)
    for n in range(4):
        comment(site, f"20260201-cccc000{n}", f"autre-{n % 3}")
    log = CallLog(tmp_path / "log")
    parent = os.getpid()
    monkeypatch.setattr(build, "companion_files", log.logged("companions", build.companion_files))
    monkeypatch.setattr(build, "_Apart", log.logged("fork", build._Apart))
    monkeypatch.setattr(build, "plan_pages", log.logged("plan", build.plan_pages))
    from consult import pages
    monkeypatch.setattr(pages, "render_page", log.logged("render", pages.render_page))

    def calls() -> list[tuple[str, int]]:  # what was made since the last call
        return [(name, pid) for name, pid, _ in log.calls()]

    out = tmp_path / "out"
    build_site(site, out, NOW, jobs=3)
    made = calls()  # before the check, which makes the companion files here
    assert tree(out) == check_site(site, NOW).files and tree(out)["data/contributions.csv"].count(b"\n") == 5
    assert [name for name, pid in made if pid == parent][:2] == ["fork", "plan"]
    [(_, child)] = [call for call in made if call[0] == "companions"]
    workers = {pid for name, pid in made if name == "render"} - {parent}
    assert workers and child != parent and child not in workers
    comment(site, "20260201-cccc0009", "autre-0")
    _, report = build_site(site, out, NOW, jobs=3)
    assert [name for name, _ in calls()].count("fork") == 1
    assert "data/contributions.csv" in report.written and tree(out) == check_site(site, NOW).files
    _rewrite(site / PROPOSALS / "autre-1.md", "Autre 1", "Autre un")
    _, report = build_site(site, out, NOW, jobs=3)
    assert [name for name, _ in calls()].count("fork") == 1
    assert "data/contributions.csv" not in report.written and tree(out) == check_site(site, NOW).files
    assert not list(apart.iterdir()) and not list(out.rglob(".tmp-*"))
    calls()  # the checks'
    for options in (BuildOptions(jobs=3), BuildOptions(jobs=1, retain=False)):
        builder = Builder(site, tmp_path / f"out-{options.jobs}", NOW, options)
        with builder:
            builder.build()
        assert [pid for name, pid in calls() if name in ("fork", "companions")] == [parent]  # made here, beside


def test_companion_files_whose_child_died_are_made_here_and_a_failed_build_leaves_no_spool(
        site: Path, tmp_path: Path, apart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child killed (out of memory, a signal): the files are made here, the site is whole. A build
    that fails while the child works stops it and removes its spool."""
    from consult import build

    def killed(*args: Any) -> Any:
        os.kill(os.getpid(), 9)

    made = build._Apart._made
    monkeypatch.setattr(build._Apart, "_made", staticmethod(killed))
    build_site(site, tmp_path / "out", NOW, jobs=3)
    assert tree(tmp_path / "out") == check_site(site, NOW).files and not list(apart.iterdir())

    def slow(*args: Any) -> Any:
        (tmp_path / "child").write_text(str(os.getpid()))
        time.sleep(30)
        return made(*args)

    monkeypatch.setattr(build._Apart, "_made", staticmethod(slow))
    builtin = Path(__file__).parent.parent / "themes/default/templates/proposal.html"
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/proposal.html").write_text("{{ no_such_variable }}" + builtin.read_text(encoding="utf-8"), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ConsultError):
        build_site(site, tmp_path / "fresh", NOW, jobs=3)
    assert time.monotonic() - started < 20  # the child was stopped, not waited for
    with pytest.raises(ProcessLookupError):  # and reaped: not even a zombie left
        os.kill(int((tmp_path / "child").read_text()), 0)
    assert not (tmp_path / "fresh").exists() and not list(apart.iterdir())


@pytest.mark.usefixtures("parallel")
def test_pages_keyed_in_workers_render_what_keying_here_renders(site: Path, tmp_path: Path) -> None:
    """Builder._stale keys the pages of the last build in the workers too: an edit renders the same
    pages as when this process keys them all, a file touched but unchanged renders none, and the
    output is the clean build's."""
    from consult import parallel

    alike = tmp_path / "alike"
    shutil.copytree(site, alike)
    keyed: list[int] = []
    run_shared = parallel.run_shared

    def counted(task: Any, count: int, jobs: int, threshold: int, *args: Any, **kwargs: Any) -> Any:
        if task.__name__ == "judge":
            keyed.append(count)
        return run_shared(task, count, jobs, threshold, *args, **kwargs)

    reports = []
    for root, jobs in ((site, 3), (alike, 1)):
        build_site(root, tmp_path / f"out-{jobs}", NOW, jobs=jobs, cache=True)
        _rewrite(root / PROPOSALS / "autre-1.md", "Autre 1", "Autre un")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("consult.build.run_shared", counted)
            reports.append(build_site(root, tmp_path / f"out-{jobs}", NOW, jobs=jobs, cache=True)[1])
        assert tree(tmp_path / f"out-{jobs}") == check_site(root, NOW).files
    assert keyed[0] == keyed[1] > 10 and "consultations/exemple/proposals/autre-1/index.html" in reports[0].written
    assert sorted(reports[0].written) == sorted(reports[1].written) and reports[0].unchanged == reports[1].unchanged
    os.utime(site / PROPOSALS / "autre-0.md")
    built, report = build_site(site, tmp_path / "out-3", NOW, jobs=3, cache=True)
    assert report.written == [] and not [p for p in built.files if p.endswith(".html")]


@pytest.mark.usefixtures("parallel")
@pytest.mark.parametrize("jobs", [1, 3])
def test_a_template_error_while_rendering_leaves_the_last_site_as_it_was(site: Path, tmp_path: Path, jobs: int) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, jobs=jobs)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    builtin = Path(__file__).parent.parent / "themes/default/templates/proposal.html"
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/proposal.html").write_text(
        "{% if proposal.slug == 'autre-2' %}{{ no_such_variable }}{% endif %}" + builtin.read_text(encoding="utf-8"),
        encoding="utf-8")
    (site / "content/pages/nouvelle.md").write_text("---\ntitle: Nouvelle\n---\nNouvelle page.\n", encoding="utf-8")
    with pytest.raises(ConsultError) as raised:
        build_site(site, out, NOW, jobs=jobs)
    assert "templates/proposal.html:1:" in str(raised.value.problems[0])
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()} == before
    assert not (out / "nouvelle").exists()
    fresh = tmp_path / "fresh"
    with pytest.raises(ConsultError):
        build_site(site, fresh, NOW, jobs=jobs)
    assert not fresh.exists()


@pytest.fixture()
def big_site(site: Path, parallel: None) -> Path:
    """The site with 400 proposals, parsed and rendered in worker processes."""
    proposals = site / "content/consultations/exemple/proposals"
    template = (proposals / "autre-0.md").read_text(encoding="utf-8")
    for n in range(10, 400):
        (proposals / f"autre-{n}.md").write_text(template.replace("Autre 0", f"Autre {n}"), encoding="utf-8")
    return site


def test_a_failed_parallel_build_into_a_new_folder_leaves_nothing_even_what_workers_were_writing(
        big_site: Path, tmp_path: Path) -> None:
    """Into a new folder the workers write their pages themselves: when one page fails, they are
    stopped before the rollback, so no page lands after it."""
    site = big_site
    builtin = Path(__file__).parent.parent / "themes/default/templates/proposal.html"
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/proposal.html").write_text(
        "{% if proposal.slug == 'autre-20' %}{{ no_such_variable }}{% endif %}" + builtin.read_text(encoding="utf-8"),
        encoding="utf-8")
    fresh = tmp_path / "fresh"
    with pytest.raises(ConsultError) as raised:
        build_site(site, fresh, NOW, jobs=3)
    assert "templates/proposal.html:1:" in str(raised.value.problems[0])
    assert not fresh.exists()
    time.sleep(0.5)  # a worker still running would have written by now
    assert not fresh.exists()


def test_when_the_build_stops_while_workers_write_it_waits_for_them_before_the_rollback(
        big_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in this process (here: the disk) while workers still have pages to write: they are
    stopped and waited for before the rollback, so nothing lands in the folder after it."""
    from consult import output, pages

    site = big_site
    adopt = output.Staging.adopt
    seen: list[str] = []

    def failing_adopt(self: output.Staging, name: str) -> None:
        seen.append(name)
        if len(seen) == 40:
            raise OSError("disk full")
        adopt(self, name)

    monkeypatch.setattr(output.Staging, "adopt", failing_adopt)
    render_page, parent = pages.render_page, os.getpid()

    def slow_in_workers(*args: object) -> object:
        if os.getpid() != parent:  # the workers' queued pages take a while: they run past the failure
            time.sleep(0.01)
        return render_page(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "render_page", slow_in_workers)
    fresh = tmp_path / "fresh"
    with pytest.raises(OSError, match="disk full"):
        build_site(site, fresh, NOW, jobs=3)
    assert not fresh.exists()
    time.sleep(0.5)
    assert not fresh.exists()


def test_comment_pages_come_and_go_as_in_a_clean_build(site: Path, tmp_path: Path) -> None:
    """A proposal's comments paginate (comments/<n>/): adding comments adds pages, removing them
    removes pages, and the incremental result is always the clean one."""
    from tests.conftest import add_comments

    out = tmp_path / "out"
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("contributions_per_page: 20", "contributions_per_page: 2"),
                      encoding="utf-8")
    builder = Builder(site, out, NOW)
    builder.build()
    pages = "consultations/exemple/proposals/autre-1/comments/"
    add_comments(site, "exemple", "autre-1", 5)
    builder.build()
    assert sorted(p for p in tree(out) if p.startswith(pages)) == [f"{pages}2/index.html", f"{pages}3/index.html"]
    assert tree(out) == check_site(site, NOW).files
    for path in sorted((site / "content/consultations/exemple/contributions").glob("20260401-*.md"))[2:]:
        path.unlink()
    Builder(site, out, NOW).build()
    assert not [p for p in tree(out) if p.startswith(pages)]
    assert tree(out) == check_site(site, NOW).files
# --- warnings (content that moved) are the same whichever way the build went ------------------


def comment(site: Path, stem: str, proposal: str, answers: str = "") -> None:
    folder = site / "content/consultations/exemple/contributions"
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.md").write_text(
        f"---\nid: {stem}\nkind: {'answers' if answers else 'comment'}\nproposal: {proposal}\n"
        f"submitted: 2026-02-01T10:00:00+01:00\nstatus: published\n{answers}---\nCommentaire {stem}.\n", encoding="utf-8")


@pytest.fixture()
def moved(site: Path) -> Path:
    """The site with a comment on each proposal, one of them on a proposal already gone."""
    for n in range(3):
        comment(site, f"20260201-aaaa000{n}", f"autre-{n}")
    comment(site, "20260201-aaaa0009", "disparue")
    return site


def test_warnings_survive_a_build_that_had_nothing_to_do(moved: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    age(moved)
    first, _ = build_site(moved, out, NOW, cache=True)
    assert [w.path.rsplit("/", 1)[1] for w in first.warnings] == ["20260201-aaaa0009.md"]
    again, _ = build_site(moved, out, NOW, cache=True)
    assert again.site is None and again.warnings == first.warnings == check_site(moved, NOW).warnings


def test_serve_keeps_the_warnings_of_what_it_did_not_rebuild(moved: Path, tmp_path: Path) -> None:
    """A second consultation edited: the first one's warnings are still told; fixing the orphan
    (through the watcher's path) clears its warning."""
    second = moved / "content/consultations/deuxieme"
    second.mkdir()
    index = (moved / "content/consultations/exemple/index.md").read_text(encoding="utf-8")
    (second / "index.md").write_text(index.replace("Exemple de consultation", "Deuxième"), encoding="utf-8")
    builder = Builder(moved, tmp_path / "out", NOW)
    first, _ = builder.build()
    edited = second / "index.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nPlus.\n", encoding="utf-8")
    built, _ = builder.build({edited.relative_to(moved).as_posix()})
    assert builder.last is not None and "consultations/exemple/index.html" not in built.files  # not re-linked
    assert built.warnings == first.warnings == check_site(moved, NOW).warnings and built.warnings
    orphan = moved / "content/consultations/exemple/contributions/20260201-aaaa0009.md"
    orphan.write_text(orphan.read_text(encoding="utf-8").replace("disparue", "autre-1"), encoding="utf-8")
    built, _ = builder.build({orphan.relative_to(moved).as_posix()})
    assert built.warnings == () == check_site(moved, NOW).warnings
    assert "Commentaire 20260201-aaaa0009." in (tmp_path / "out/consultations/exemple/proposals/autre-1/index.html").read_text()


MOVES = st.lists(st.tuples(st.sampled_from(["delete-proposal", "restore-proposal", "retarget", "drop-question",
                                            "answer", "other-edit"]), st.integers(0, 3)), min_size=1, max_size=5)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
def test_random_moves_incremental_equals_clean_warnings_included(moved: Path, tmp_path_factory: pytest.TempPathFactory,
                                                                 moves: list[tuple[str, int]]) -> None:
    """Proposals deleted and restored, comments pointed elsewhere, a question removed: the long-lived
    builder (serve) and a fresh one (consult build, cache) give the clean build's bytes and warnings."""
    out = tmp_path_factory.mktemp("out")
    builder = Builder(moved, out, NOW)
    builder.build()
    proposals = moved / "content/consultations/exemple/proposals"
    index = moved / "content/consultations/exemple/index.md"
    template = (proposals / "exemple-de-proposition.md").read_text(encoding="utf-8")  # never deleted
    pending: set[str] = set()
    for what, n in moves:
        target = proposals / f"autre-{n % 3}.md"
        contribution = moved / f"content/consultations/exemple/contributions/20260201-aaaa000{n % 3}.md"
        if what == "delete-proposal" and target.exists() and len(list(proposals.glob("*.md"))) > 1:
            target.unlink()
        elif what == "restore-proposal":
            target.write_text(template.replace("Exemple de proposition", f"Autre {n}"), encoding="utf-8")
        elif what == "retarget":
            comment(moved, contribution.stem, ["autre-0", "autre-1", "disparue", "exemple-de-proposition"][n])
            target = contribution
        elif what == "answer":
            comment(moved, contribution.stem, f"autre-{n % 3}", answers=f"answers:\n  {['usage', 'idee'][n % 2]}: Souvent\n")
            target = contribution
        elif what == "drop-question":
            text = index.read_text(encoding="utf-8")
            index.write_text(text.replace("  - id: idee\n", "  - id: idee-retiree\n"), encoding="utf-8")
            target = index
        else:
            target = moved / "content/pages/a-propos.md"
            target.write_text(target.read_text(encoding="utf-8") + f"\nEncore {n}.\n", encoding="utf-8")
        pending.add(target.relative_to(moved).as_posix())
        clean = check_site(moved, NOW)
        if n % 2:
            built, _ = builder.build(pending)
            pending = set()
        else:
            built, _ = Builder(moved, out, NOW).build()
        assert tree(out) == clean.files
        assert built.warnings == clean.warnings


def test_options_say_how_the_first_build_differs_from_later_ones(site: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """serve's options: the first build in worker processes, the later ones in this process; the cache
    written after the first build and at close(), not on every save."""
    from consult import build

    workers: list[int] = []
    render_pages = build.render_pages
    monkeypatch.setattr(build, "render_pages", lambda env, todo, jobs, *rest: workers.append(jobs) or render_pages(env, todo, jobs, *rest))
    proposal = site / "content/consultations/exemple/proposals/autre-1.md"
    options = BuildOptions(jobs=2, jobs_after_first=1, save_every_build=False)
    with Builder(site, tmp_path / "out", NOW, options) as builder:
        builder.build()
        first = _parsed(site)
        proposal.write_text(proposal.read_text(encoding="utf-8").replace("Autre 1", "Autre un"), encoding="utf-8")
        builder.build({proposal.relative_to(site).as_posix()})
        builder.build()
        assert _parsed(site) == first
    assert b"Autre un" in _parsed(site) and b"Autre un" not in first
    assert workers == [2, 1, 1]
    assert [BuildOptions(jobs=3).jobs_for(n) for n in (1, 2)] == [3, 3]


def _parsed(site: Path) -> bytes:
    """Every file of the parsed records' cache, end to end."""
    return b"".join(path.read_bytes() for path in sorted((site / CACHE_DIR).glob("parsed-*.pickle")))


def test_one_edit_rewrites_one_file_of_the_parsed_records(site: Path, tmp_path: Path) -> None:
    """The parsed records lie in PARSED_SHARDS files: an edit rewrites the one that loses the old
    record and the one that gets the new (the same one, or two), and leaves the others alone; the one
    file of an older consult is gone."""
    from consult.build import PARSED_SHARDS

    (site / CACHE_DIR).mkdir(parents=True)
    (site / CACHE_DIR / "parsed.pickle").write_bytes(b"older")
    def files() -> dict[str, tuple[bytes, int]]:
        return {path.name: (path.read_bytes(), path.stat().st_ino) for path in (site / CACHE_DIR).glob("parsed-*.pickle")}

    build_site(site, tmp_path / "out", NOW, cache=True)
    before = files()
    assert 2 < len(before) <= PARSED_SHARDS and not (site / CACHE_DIR / "parsed.pickle").exists()  # a file a shard used
    _rewrite(site / PROPOSALS / "autre-1.md", "Autre 1", "Autre un")
    build_site(site, tmp_path / "out", NOW, cache=True)
    after = files()
    changed = [name for name in after if after[name] != before.get(name)]
    assert 1 <= len(changed) <= 2 and b"Autre un" in b"".join(after[name][0] for name in changed)
    assert set(before) <= set(after)
    assert tree(tmp_path / "out") == check_site(site, NOW).files


def test_a_corrupted_cache_record_is_ignored_and_rebuilt(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    parsed = next(path for path in (site / CACHE_DIR).glob("parsed-*.pickle") if b"Autre 1" in path.read_bytes())
    data = parsed.read_bytes()
    assert data.count(b"Autre 1") >= 1
    parsed.write_bytes(data.replace(b"Autre 1", b"Pirate!"))  # the record unpickles, with the wrong title
    edited = site / "content/consultations/exemple/proposals/autre-2.md"  # another file changes: parse again
    edited.write_text(edited.read_text(encoding="utf-8").replace("Autre 2", "Autre deux"), encoding="utf-8")
    build_site(site, out, NOW, cache=True)
    assert tree(out) == check_site(site, NOW).files
    assert not any(b"Pirate!" in page for page in tree(out).values())
    assert b"Pirate!" not in parsed.read_bytes() and _read(parsed)  # rewritten whole


def test_a_truncated_cache_is_rebuilt(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    for path in (site / CACHE_DIR).rglob("*"):  # compiled templates (templates/*.jinja) included
        if path.is_file():
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    edited = site / "content/consultations/exemple/proposals/autre-0.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Autre 0", "Autre zéro"), encoding="utf-8")
    build_site(site, out, NOW, cache=True)
    assert tree(out) == check_site(site, NOW).files
    assert all(_read(path) is not None for path in (site / CACHE_DIR).iterdir() if path.is_file())


def test_an_embargoed_answer_shows_on_its_day_even_when_nothing_else_changed(site: Path, tmp_path: Path) -> None:
    """A scheduled rebuild on the day of an answer written in advance must publish it: the last
    build's manifest is no longer valid once an embargoed answer's day has come."""
    out = tmp_path / "out"
    proposal = site / "content/consultations/exemple/proposals/autre-1.md"
    text = proposal.read_text(encoding="utf-8")
    text = text.replace("status: a-l-etude\n", "status: retenue\n", 1).replace(
        "response_date: 2026-01-15", "response_date: 2026-03-01").replace(
        "    note: \"Exemple de note accompagnant un changement de statut.\"\n",
        "    note: \"Exemple de note accompagnant un changement de statut.\"\n  - date: 2026-03-01\n    status: retenue\n", 1)
    proposal.write_text(text, encoding="utf-8")
    age(site)
    build_site(site, out, NOW, cache=True)
    page = out / "consultations/exemple/proposals/autre-1/index.html"
    assert "response-title" not in page.read_text(encoding="utf-8")
    built, _ = build_site(site, out, "2026-03-01T06:00", cache=True)
    assert built.site is not None and "response-title" in page.read_text(encoding="utf-8")
    assert tree(out) == check_site(site, "2026-03-01T06:00").files
    build_site(site, out, NOW, cache=True)  # back in time: hidden again, as in a clean build
    assert tree(out) == check_site(site, NOW).files


def test_one_edit_builds_with_search_record_the_output_folder_from_their_own_writes(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-edit build walks the output folder once, to find it as the last build left it, and
    records it for the next build from that walk and its own writes and removals (the search index
    Pagefind wrote again included): the next one-edit build finds it as recorded, and plans one
    consultation again; with nothing changed, the build after loads nothing."""
    from consult import build, output

    shutil.copytree(site / CONSULTATION, site / "content/consultations/seconde")
    age(site)
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True, search=True)
    planned: list[Any] = []
    plan_pages = build.plan_pages
    monkeypatch.setattr(build, "plan_pages", lambda site_, env, only=None: planned.append(only) or plan_pages(site_, env, only))
    walks: list[Path] = []
    stat_files = build.stat_files
    monkeypatch.setattr(build, "stat_files", lambda paths, base: walks.extend(p for p in paths if p == out) or stat_files(paths, base))
    prune_output = output.prune_output  # the walk looking for stale files: none when the set of pages is the last build's
    monkeypatch.setattr(output, "prune_output", lambda out_, *args: walks.append(out_) or prune_output(out_, *args))
    for new in ("Autre un", "Autre premier"):  # a proposal's title: a list page, the proposal's page and the index change
        path = site / "content/consultations/seconde/proposals/autre-1.md"
        _rewrite(path, path.read_text(encoding="utf-8").split("title: ")[1].split("\n")[0].strip('"'), new)
        os.utime(path, ns=(time.time_ns() - 30 * 10**9,) * 2)
        walks.clear()
        built, report = build_site(site, out, NOW, cache=True, search=True)
        assert planned[-1] == {"seconde"} and built.indexed is not None and built.indexed.pages and walks == [out]
        assert tree(out) == tree(_clean(site, tmp_path, search=True))
    built, report = build_site(site, out, NOW, cache=True, search=True)
    assert built.site is None and report.written == []


def _clean(site: Path, tmp_path: Path, search: bool = False) -> Path:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build_site(site, clean, NOW, search=search)
    return clean

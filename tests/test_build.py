"""Whole builds of the sites in tests/sites/: golden output, byte for byte, and what must never show."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from click.testing import Result

from consult.build import build_site, check_site
from consult.config import parse_config
from consult.theme import make_environment

SITES = Path(__file__).parent / "sites"
NOW = "2026-12-01T12:00"
NEVER = ["TEXTE-EN-ATTENTE", "TEXTE-REFUSE", "COMMENTAIRE-REFUSE", "COMMENTAIRE-EN-ATTENTE",
         "Secret en attente", "20261106-aaaa0004", "20261107-aaaa0005", "20261109-aaaa0007", "20261110-aaaa0008"]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(p.name for p in SITES.iterdir() if p.is_dir()))
def test_golden_output(name: str, tmp_path: Path, update_golden: bool) -> None:
    site = SITES / name
    out = tmp_path / "_site"
    build_site(site, out, NOW)
    expected_dir = site / "expected"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(out, expected_dir)
    built, expected = tree(out), tree(expected_dir)
    assert sorted(built) == sorted(expected), "the set of output files changed (run pytest --update-golden and review)"
    for path in expected:
        assert built[path] == expected[path], f"{path} differs from the golden copy (pytest --update-golden to accept)"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("tiny") / "_site"
    build_site(SITES / "tiny", out, NOW)
    return tree(out)


def test_pending_and_rejected_are_absent_from_the_whole_site(tiny: dict[str, bytes]) -> None:
    for path, data in tiny.items():
        text = data.decode("utf-8", errors="replace")
        for secret in NEVER:
            assert secret not in text, f"{secret} leaked into {path}"


def test_rejected_are_counted_without_their_text(tiny: dict[str, bytes]) -> None:
    page = tiny["consultations/velo/index.html"].decode()
    assert "1 contribution non publiée" in page
    assert 'href="/charte-de-moderation/"' in page


def test_expected_pages_exist(tiny: dict[str, bytes]) -> None:
    for path in ["index.html", "404.html", "sitemap.xml", "robots.txt", "feed.xml", "thanks/index.html",
                 "consultations/velo/index.html", "consultations/velo/feed.xml",
                 "consultations/velo/contributions/index.html", "consultations/velo/contributions/2/index.html",
                 "consultations/velo/proposals/rue-haute/index.html", "consultations/marche/index.html",
                 "consultations/ecoles/index.html", "a-propos/index.html", "accessibilite/index.html",
                 "consult-rules.json", "static/style.css"]:
        assert path in tiny, path


def test_home_lists_open_then_upcoming_then_closed(tiny: dict[str, bytes]) -> None:
    home = tiny["index.html"].decode()
    positions = [home.index(title) for title in ("Le vélo en ville", "Les rythmes scolaires", "Le marché du samedi")]
    assert positions == sorted(positions)


def test_citizen_markup_is_inert(tiny: dict[str, bytes]) -> None:
    page = "".join(data.decode() for path, data in tiny.items() if "/contributions/" in path)
    assert "<script>alert" not in page and "javascript:alert" not in page.replace("[piège](javascript:alert(1))", "")
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;Dominique&lt;/b&gt;" in page and "<b>Dominique</b>" not in page
    assert "{{ 7*7 }}" in page


def test_every_page_links_the_accessibility_statement(tiny: dict[str, bytes]) -> None:
    for path, data in tiny.items():
        if path.endswith(".html"):
            assert 'href="/accessibilite/"' in data.decode(), path


def test_dates_are_in_french(tiny: dict[str, bytes]) -> None:
    page = tiny["consultations/velo/index.html"].decode()
    assert "1er novembre 2026" in page and "31 décembre 2026" in page


def test_status_is_derived_from_dates() -> None:
    def status(now: str) -> str:
        return check_site(SITES / "tiny", now).site.consultation("velo").status

    assert [status("2026-10-31T23:59"), status("2026-11-01T00:00"), status("2026-12-31T23:59"),
            status("2027-01-01T00:00")] == ["upcoming", "open", "open", "closed"]


def test_form_shows_only_while_open() -> None:
    def has_form(now: str) -> bool:
        page = check_site(SITES / "tiny", now).files["consultations/velo/index.html"].decode()
        return bool(re.search(r"<form(?![^>]*follow-form)[^>]+method=\"post\"", page))  # follow: see test_notify

    assert (has_form("2026-10-01T12:00"), has_form(NOW), has_form("2027-02-01T12:00")) == (False, True, False)


def test_english_interface(tmp_path: Path) -> None:
    site = tmp_path / "en"
    shutil.copytree(SITES / "tiny", site, ignore=shutil.ignore_patterns("expected"))
    config = site / "site.yaml"
    config.write_text(config.read_text().replace("language: fr", "language: en"))
    files = check_site(site, NOW).files
    home = files["index.html"].decode()
    assert '<html lang="en"' in home
    assert "1 November 2026" in files["consultations/velo/index.html"].decode()
    assert "accessibility/index.html" in files


def test_every_environment_autoescapes(tmp_path: Path) -> None:
    config = parse_config("title: t\nbase_url: https://x.example\norganisation: {name: o}\n")
    for language in ("fr", "en"):
        env = make_environment(tmp_path, config.theme, language, config.timezone)
        assert env.autoescape is True
        for name in env.list_templates():
            template = env.get_template(name)
            assert template.environment.autoescape is True
        rendered = env.from_string("{{ x }}").render(x="<script>")
        assert rendered == "&lt;script&gt;"
    assert isinstance(env.undefined, type) and issubclass(env.undefined, jinja2.StrictUndefined)


# --- memos across builds: keyed by content (model.Keyed), not by object identity --------------


def test_memos_hit_a_consultation_read_again_from_disk_and_miss_a_changed_one(tmp_path: Path) -> None:
    """Each memo of a long-lived Builder (page keys, open data rows, each consultation's handler rule)
    reuses what it made for a consultation equal to the one of the day, even read and linked again
    (a new object), and makes it again for the consultation whose comment changed, for no other."""
    from consult.build import Builder, BuildOptions

    root = tmp_path / "site"
    shutil.copytree(SITES / "tiny", root, ignore=shutil.ignore_patterns("expected"))
    builder = Builder(root, tmp_path / "out", NOW, BuildOptions(cache=False))
    first, _ = builder.build()
    rows = {slug: memo[2] for slug, memo in builder.open_data_rows.items()}
    rules = {slug: memo[2] for slug, memo in builder.consultation_rules.items()}
    assert set(rows) == set(rules) == {"velo", "marche", "ecoles"}

    again, _ = builder.build()  # no list of changes: the whole site is read and linked again
    assert again.site is not None and first.site is not None
    assert again.site.consultation("velo") is not first.site.consultation("velo")
    assert {p for p in again.files if p.endswith((".html", ".xml"))} == set()  # every page key hit
    assert all(builder.open_data_rows[slug][2] is rows[slug] for slug in rows)
    assert all(builder.consultation_rules[slug][2] is rules[slug] for slug in rules)
    assert builder.open_data_rows["velo"][0] is again.site.consultation("velo")  # the old object let go

    comment = root / "content/consultations/velo/contributions/20261108-aaaa0006.md"
    comment.write_text(comment.read_text(encoding="utf-8").replace("Excellente idée", "Très bonne idée"), encoding="utf-8")
    third, _ = builder.build()
    assert {slug for slug in rows if builder.open_data_rows[slug][2] is not rows[slug]} == {"velo"}
    assert {slug for slug in rules if builder.consultation_rules[slug][2] is not rules[slug]} == {"velo"}
    assert "consultations/velo/proposals/rue-haute/index.html" in third.files
    assert not any(p.startswith("consultations/marche/") for p in third.files)
    assert tree(tmp_path / "out") == check_site(root, NOW).files


def test_the_handler_rules_are_replaced_by_a_rename(tmp_path: Path) -> None:
    """A handler reading _site/consult-rules.json during a build sees the old file or the new one,
    never a half-written one: the build writes it beside and renames it into place."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "tiny", site, ignore=shutil.ignore_patterns("expected"))
    out = tmp_path / "_site"
    build_site(site, out, NOW)
    rules = out / "consult-rules.json"
    before = rules.stat().st_ino, rules.read_bytes()
    proposal = site / "content/consultations/velo/proposals/rue-haute.md"
    proposal.write_text(proposal.read_text(encoding="utf-8").replace("title: ", "title: Nouveau ", 1), encoding="utf-8")
    build_site(site, out, NOW)
    assert rules.read_bytes() != before[1] and b"Nouveau " in rules.read_bytes()
    assert rules.stat().st_ino != before[0]


def test_forms_altcha_shows_the_widget_and_publishes_it_from_the_site_itself(tmp_path: Path,
                                                                            tiny: dict[str, bytes]) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "tiny", site, ignore=shutil.ignore_patterns("expected"))
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text + "\nforms:\n  altcha: true\n", encoding="utf-8")
    build_site(site, site / "_site", NOW)
    on = tree(site / "_site")
    page = on["consultations/velo/proposals/rue-haute/index.html"].decode()
    assert page.count('<altcha-widget challenge="/api/altcha" name="altcha"') == 2  # support, comment
    assert '<script type="module" src="/static/altcha/consult-altcha.js"></script>' in page
    assert "http" not in page.split("<altcha-widget", 1)[1].split("</script>", 1)[0]  # nothing from elsewhere
    for name in ("altcha.min.js", "altcha.css", "workers/sha.js", "i18n/fr-fr.js", "LICENSE.txt", "consult-altcha.js"):
        assert f"static/altcha/{name}" in on
    assert b'"altcha": true' in on["consult-rules.json"]
    # Off (the default): no widget, no files, and the handler is told so.
    assert not any(path.startswith("static/altcha/") for path in tiny)
    assert b"altcha-widget" not in tiny["consultations/velo/proposals/rue-haute/index.html"]
    assert b'"altcha": false' in tiny["consult-rules.json"]


def test_a_final_status_takes_the_support_button_away_and_tells_the_handler(tmp_path: Path) -> None:
    import json

    site = tmp_path / "site"
    shutil.copytree(SITES / "tiny", site, ignore=shutil.ignore_patterns("expected"))
    proposal = site / "content" / "consultations" / "velo" / "proposals" / "rue-haute.md"
    proposal.write_text(proposal.read_text(encoding="utf-8").replace("status: retenue", "status: non-retenue"),
                        encoding="utf-8")
    build_site(site, site / "_site", NOW)
    decided = (site / "_site/consultations/velo/proposals/rue-haute/index.html").read_text(encoding="utf-8")
    open_ = (site / "_site/consultations/velo/proposals/arceaux-gare/index.html").read_text(encoding="utf-8")
    assert "form--support" not in decided and "ne reçoit plus de soutiens" in decided
    assert "form--support" in open_ and "ne reçoit plus de soutiens" not in open_
    rules = json.loads((site / "_site" / "consult-rules.json").read_text(encoding="utf-8"))
    finals = {p["slug"]: p["final"] for c in rules["consultations"] for p in c["proposals"]}
    assert finals["rue-haute"] is True and finals["arceaux-gare"] is False


def test_final_statuses_come_from_site_yaml() -> None:
    base = "title: T\nbase_url: https://x.example\norganisation: {name: O}\n"
    assert parse_config(base).final_statuses == ("mise-en-oeuvre", "non-retenue", "fusionnee")  # the defaults
    listed = base + "proposal_statuses:\n  - {id: ouverte, label: Ouverte}\n  - {id: close, label: Close, final: true}\n"
    assert parse_config(listed).final_statuses == ("close",)
    from consult.errors import ConsultError

    with pytest.raises(ConsultError, match="field 'final' must be true or false"):
        parse_config(base + "proposal_statuses:\n  - {id: close, label: Close, final: oui}\n")
# --- symlinks that leave the site folder -------------------------------------------------------


@pytest.fixture
def linked_site(tmp_path: Path) -> tuple[Path, Path]:
    """A scaffolded site and, beside it (outside it), files someone linked into it."""
    from consult.scaffold import init_site

    site, outside = tmp_path / "site", tmp_path / "outside"
    init_site(site)
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.md").write_text("---\ntitle: SECRET-OUTSIDE\n---\nSECRET-OUTSIDE\n", encoding="utf-8")
    (outside / "secret.txt").write_text("SECRET-OUTSIDE\n", encoding="utf-8")
    (outside / "folder" / "secret.css").write_text("/* SECRET-OUTSIDE */\n", encoding="utf-8")
    (outside / "base.html").write_text("SECRET-OUTSIDE {% block content %}{% endblock %}\n", encoding="utf-8")
    return site, outside


def test_symlinks_out_of_the_site_are_refused(linked_site: tuple[Path, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from consult.cli import cli

    site, outside = linked_site
    (site / "content/pages/secret.md").symlink_to(outside / "secret.md")
    (site / "content/consultations/exemple/proposals/secret.md").symlink_to(outside / "secret.md")
    (site / "content/consultations/ailleurs").symlink_to(outside / "folder", target_is_directory=True)
    (site / "static").mkdir()
    (site / "static/secret.txt").symlink_to(outside / "secret.txt")
    (site / "static/css").symlink_to(outside / "folder", target_is_directory=True)
    (site / "templates").mkdir()
    (site / "templates/base.html").symlink_to(outside / "base.html")
    # Inside the site, a symlink is fine: the page it points to is published twice.
    (site / "content/pages/apropos.md").symlink_to(Path("a-propos.md"))
    (site / "static/charte.txt").symlink_to(Path("../content/pages/charte-de-moderation.md"))
    out = tmp_path / "_site"
    checked = CliRunner().invoke(cli, ["-C", str(site), "check"])
    refused = ["content/consultations/ailleurs", "content/consultations/exemple/proposals/secret.md",
               "content/pages/secret.md", "static/css", "static/secret.txt", "templates/base.html"]
    assert checked.exit_code == 1
    errors = [line for line in checked.output.splitlines() if "avertissement :" not in line]  # init's examples warn
    assert errors[:-1] == [f"{path}: ce lien symbolique mène hors du site" for path in refused]
    assert errors[-1].endswith("problèmes trouvés.")
    built = CliRunner().invoke(cli, ["-C", str(site), "build", "--out", str(out)])
    assert built.exit_code == 1 and "Traceback" not in built.output and not out.exists()
    for path in refused:
        (site / path).unlink()
    assert CliRunner().invoke(cli, ["-C", str(site), "build", "--out", str(out)]).exit_code == 0
    files = tree(out)
    assert "Comment participer".encode() in files["apropos/index.html"]
    assert files["static/charte.txt"] == (site / "content/pages/charte-de-moderation.md").read_bytes()
    assert not any(b"SECRET-OUTSIDE" in data for data in files.values())


def test_a_file_turned_into_a_symlink_out_is_refused_by_a_watcher_rebuild(linked_site: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    """`consult serve` re-reads only the files it is told changed: a symlink is listed again, and refused."""
    from consult.build import Builder
    from consult.errors import ConsultError

    site, outside = linked_site
    builder = Builder(site, tmp_path / "_site", NOW)
    builder.build()
    for name in ("content/consultations/exemple/proposals/exemple-de-proposition.md", "content/pages/a-propos.md"):
        path = site / name
        text = path.read_bytes()
        path.unlink()
        path.symlink_to(outside / "secret.md")
        with pytest.raises(ConsultError, match=f"^{name}: symlink points outside the site$"):
            builder.build({name})
        path.unlink()
        path.write_bytes(text)
        builder.build({name})
    static = site / "static"
    static.mkdir()
    (static / "secret.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(ConsultError, match="static/secret.txt: symlink points outside the site"):
        builder.build({"static/secret.txt"})
    assert not any(b"SECRET-OUTSIDE" in data for data in tree(tmp_path / "_site").values())


# --- a full disk ---------------------------------------------------------------------------------


def _build(site: Path, out: Path, *extra: str) -> Result:
    from click.testing import CliRunner

    from consult.cli import cli

    return CliRunner().invoke(cli, ["-C", str(site), "build", "--now", NOW, "--out", str(out), *extra])


def test_a_full_disk_leaves_the_last_good_site(tmp_path: Path, small_disk: Callable[[str], Path]) -> None:
    from tests.conftest import site_with_proposals

    site = site_with_proposals(tmp_path / "site", 3)
    out = small_disk("1m") / "_site"
    assert _build(site, out).exit_code == 0
    before = tree(out)
    site_with_proposals(tmp_path / "bigger", 300)
    shutil.rmtree(site / "content")
    shutil.copytree(tmp_path / "bigger" / "content", site / "content")
    for jobs in ("1", "2"):
        result = _build(site, out, "--jobs", jobs)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert re.fullmatch(rf"impossible d'écrire {re.escape(str(out))}/\S+ \(plus de place sur le disque\) : rien n'a "
                            rf"été perdu, {re.escape(str(out))}/ est resté tel que la dernière construction l'a laissé\n",
                            result.output), result.output
        assert tree(out) == before
    fresh = out.parent / "fresh"  # into an empty folder, each process writes its pages: all removed
    result = _build(site, fresh, "--jobs", "2")
    assert result.exit_code == 1 and "rien n'a été perdu" in result.output and not any(fresh.rglob("*"))


def test_a_full_disk_while_saving_the_cache(tmp_path: Path, small_disk: Callable[[str], Path]) -> None:
    from tests.conftest import fill_up, site_with_proposals

    site = site_with_proposals(small_disk("4m") / "site", 3)
    fill_up(site)
    out = tmp_path / "_site"
    result = _build(site, out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.fullmatch(r"impossible d'écrire \.consult/cache/\S+ \(plus de place sur le disque\) : rien n'a été perdu, "
                        rf"{re.escape(str(out))}/ a bien été construit, seul le cache de construction n'a pas été "
                        r"enregistré\n", result.output), result.output
    assert tree(out) == check_site(site, NOW).files


def test_a_refused_write_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without mounting a filesystem: os.write fails with ENOSPC under the output folder."""
    import os

    from tests.conftest import refuse_writes_under, site_with_proposals

    site = site_with_proposals(tmp_path / "site", 3)
    monkeypatch.setattr(os, "write", refuse_writes_under(site / "_site"))
    result = _build(site, site / "_site", "--jobs", "1")
    assert result.exit_code == 1
    assert re.fullmatch(r"impossible d'écrire _site/\S+ \(plus de place sur le disque\) : rien n'a été perdu, "
                        r"_site/ est resté tel que la dernière construction l'a laissé\n", result.output), result.output
    assert not any((site / "_site").rglob("*"))


def test_an_embargoed_answer_shows_nowhere_and_a_published_proposal_text_shows_once(tiny: dict[str, bytes]) -> None:
    """tiny's parking-velos-ecoles has a status change and a response dated 2026-12-15, after NOW;
    atelier-reparation is a promoted suggestion: its text is on its proposal page only."""
    for path, data in tiny.items():
        text = data.decode("utf-8", "replace")
        assert "dix écoles" not in text and "Voté en conseil" not in text, path
    pages = [path for path, data in tiny.items() if "apprendre à réparer".encode() in data]
    assert [p for p in pages if p.endswith(".html")] == ["consultations/velo/proposals/atelier-reparation/index.html"]


def test_the_content_is_out_of_the_collectors_sight_while_pages_render(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The linked site is frozen (gc.freeze) from planning to the end of the build, so that full
    collections do not walk it again and render workers do not copy its memory doing so; and
    collectable again once the build returned, failed or not (a serve process builds for hours)."""
    import gc

    import consult.build
    from consult.errors import ConsultError

    seen: list[int] = []
    plan = consult.build.plan_pages

    def watching(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_freeze_count())
        return plan(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(consult.build, "plan_pages", watching)
    site = tmp_path / "site"
    shutil.copytree(SITES / "tiny", site, ignore=shutil.ignore_patterns("expected"))
    build_site(site, tmp_path / "out", "2026-03-01T12:00")
    assert seen and seen[0] > 0 and gc.get_freeze_count() == 0
    (site / "templates").mkdir(exist_ok=True)  # a build that fails while rendering unfreezes too
    (site / "templates/home.html").write_text("{% extends 'base.html' %}{% block main %}{{ nowhere.x }}{% endblock %}\n")
    with pytest.raises(ConsultError, match="template error"):
        build_site(site, tmp_path / "out2", "2026-03-01T12:00")
    assert len(seen) == 2 and seen[1] > 0 and gc.get_freeze_count() == 0


def test_a_one_shot_build_keeps_no_open_data_rows_and_writes_the_same_files(tmp_path: Path) -> None:
    """`consult build` (a one-shot Builder) makes contributions.csv as it writes it and keeps no rows for a
    next build; the files are those of the in-memory check, byte for byte."""
    from consult.build import Builder, BuildOptions

    builder = Builder(SITES / "tiny", tmp_path / "out", NOW, BuildOptions(cache=False, retain=False))
    builder.build()
    assert builder.open_data_rows == {}
    assert tree(tmp_path / "out") == check_site(SITES / "tiny", NOW).files


def test_a_one_shot_build_reads_each_file_where_it_parses_it_with_the_same_problems(tmp_path: Path) -> None:
    """Without cache, `consult build` lists the files unread (their texts are never all in memory at once):
    each is read where it is parsed. A problem found by linking is still placed at its line and column
    (the file read again), and a file that cannot be read is still an error naming it."""
    from consult.content.load import find_sources
    from consult.errors import ConsultError

    root = tmp_path / "site"
    shutil.copytree(SITES / "tiny", root, ignore=shutil.ignore_patterns("expected"))
    folder = root / "content/consultations/velo/contributions"
    comment = folder / "20261108-aaaa0006.md"
    comment.write_text(comment.read_text(encoding="utf-8").replace("proposal: rue-haute", "proposal: rue-hautte"),
                       encoding="utf-8")
    sources, _ = find_sources(root, read=False)
    assert sources and all(source.text is None for source in sources)
    built, _ = build_site(root, tmp_path / "out", NOW, jobs=1)
    checked = check_site(root, NOW)
    assert [str(w) for w in built.warnings] == [str(w) for w in checked.warnings]
    assert any(w.path.endswith("20261108-aaaa0006.md") and (w.line, w.col) == (4, 11) for w in built.warnings)
    (folder / "20261109-aaaa0009.md").write_bytes(b"---\nid: 20261109-aaaa0009\nauthor: \xe9\n---\n")
    with pytest.raises(ConsultError) as error:
        build_site(root, tmp_path / "out", NOW, jobs=1)
    with pytest.raises(ConsultError) as eager:
        check_site(root, NOW)
    assert [str(p) for p in error.value.problems] == [str(p) for p in eager.value.problems]
    assert any("20261109-aaaa0009.md:1:1: not valid UTF-8" in str(p) for p in error.value.problems)


def test_a_consultation_s_files_are_listed_as_glob_lists_them(tmp_path: Path) -> None:
    """find_sources lists a consultation's proposals, contributions and reports from one scan of each
    folder: the files `sorted(folder.glob("*.md"))` gives (hidden ones, a folder named so, odd names),
    in its order, and nothing else."""
    from consult.content.load import find_sources

    root = tmp_path / "site"
    shutil.copytree(SITES / "tiny", root, ignore=shutil.ignore_patterns("expected"))
    folder = root / "content/consultations/velo/proposals"
    for name in (".cachee.md", "B-majuscule.md", "a.md.txt", "z.MD", "é-accent.md", ".md", "x.md~"):
        (folder / name).write_text("---\ntitle: x\n---\n", encoding="utf-8")
    (folder / "dossier.md").mkdir()
    (root / "content/consultations/velo/reports").mkdir()
    (root / "content/consultations/velo/reports/r1.md").write_text("---\nid: r1\n---\n", encoding="utf-8")
    sources, _ = find_sources(root, read=False)
    for kind, name in (("proposal", "proposals"), ("contribution", "contributions"), ("report", "reports")):
        where = root / "content/consultations/velo" / name
        assert [s.path for s in sources if s.kind == kind] == [p.relative_to(root).as_posix()
                                                               for p in sorted(where.glob("*.md"))]
    assert any(s.path.endswith("proposals/dossier.md") for s in sources)


def test_a_parallel_one_shot_build_reads_and_links_in_a_child_process(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`consult build -j2` (no cache) of a large site reads and links in a child process whose garbage
    dies with it; the site comes back whole (the files are the check's). One process, a cache, or a
    site of fewer files than build.CHILD_READ_FILES reads here."""
    import consult.build as build
    from consult.content.load import count_files
    from consult.parallel import in_child

    calls: list[str] = []

    def recorded(task, split=None, beside=None):  # type: ignore[no-untyped-def]
        calls.append("child")
        return in_child(task, split, beside)

    monkeypatch.setattr(build, "in_child", recorded)
    build_site(SITES / "tiny", tmp_path / "small", NOW, jobs=2)
    assert calls == []  # a small site is read here: sending it back would cost more than it saves
    files = len(list((SITES / "tiny" / "content" / "consultations").glob("*/*/*.md")))
    assert count_files(SITES / "tiny") == files > 0  # proposals, contributions, reports
    monkeypatch.setattr(build, "CHILD_READ_FILES", files + 1)
    build_site(SITES / "tiny", tmp_path / "below", NOW, jobs=2)
    assert calls == []
    monkeypatch.setattr(build, "CHILD_READ_FILES", files)
    build_site(SITES / "tiny", tmp_path / "out", NOW, jobs=2)
    assert calls == ["child"] and tree(tmp_path / "out") == check_site(SITES / "tiny", NOW).files
    build_site(SITES / "tiny", tmp_path / "one", NOW, jobs=1)
    assert calls == ["child"]
    monkeypatch.setattr(build, "SENT_CONTRIBUTIONS", 1)  # each contribution a piece of its own
    build_site(SITES / "tiny", tmp_path / "pieces", NOW, jobs=2)
    assert calls == ["child"] * 2 and tree(tmp_path / "pieces") == tree(tmp_path / "out")


def test_the_site_read_in_a_child_comes_back_in_pieces_of_at_most_so_many_contributions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """build.BY_CONSULTATION: each consultation without its contributions, then its contributions in
    pieces of at most SENT_CONTRIBUTIONS, each pickled on its own with a text buffer of its own (and
    the comments with theirs); joined, the site is equal to the one sent, texts and answers included."""
    import copyreg
    import io
    import pickle

    import consult.build as build
    from consult.model import Consultation, Text
    from tests.helpers_site import make_site

    def pickled(value: object) -> object:  # as parallel.in_child sends a piece
        out = io.BytesIO()
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, **build.BY_CONSULTATION.reducers}
        pickler.dump(value)
        return pickle.loads(out.getvalue())

    site = make_site()
    texts = {c.slug: [str(x.body_html) for x in c.contributions] for c in site.consultations}
    monkeypatch.setattr(build, "SENT_CONTRIBUTIONS", 2)
    head, pieces = build.BY_CONSULTATION.parts(build._Content(site, None, {}, {}, {}, ()))
    assert head.site.consultations == ()
    heads = [piece[0] for piece in pieces if isinstance(piece[0], Consultation)]
    chunks = [piece for piece in pieces if not isinstance(piece[0], Consultation)]
    assert [c.slug for c in heads] == [c.slug for c in site.consultations] and all(c.contributions == () for c in heads)
    assert max(map(len, chunks)) == 2 and sum(map(len, chunks)) == sum(len(c.contributions) for c in site.consultations)
    for chunk in chunks:  # one buffer, holding this piece's texts alone
        assert {x.body_html._data for x in chunk} == {b"".join(x.body_html.utf8 for x in chunk)}
    comments = [x.body_html for c in heads for p in c.proposals for x in p.comments]
    assert comments and all(text._data == b"".join(t.utf8 for t in comments) for text in comments)
    joined = build.BY_CONSULTATION.join(pickled(head), [pickled(piece) for piece in pieces])
    assert joined.site == site
    assert {c.slug: [str(x.body_html) for x in c.contributions] for c in joined.site.consultations} == texts


def test_a_parallel_build_compiles_templates_in_a_child_once_parsed_and_makes_companion_files_while_rendering(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """What the parent would otherwise do alone, with the other cores idle: the templates are compiled
    by a child started once every file is parsed (it takes the core left idle while the parent links
    and plans), into a folder the parent's Environment loads them from, so neither the parent nor a
    render worker compiles any; static files, open data and the handler's rules are made by the parent
    while its workers render, before any range of its own (in a site below build.APART_FROM: a larger
    one makes them in a child while it plans, test_build_incremental). The site is the check's all the same."""
    import os

    import consult.build as build
    import consult.content.load as load
    import consult.pages as pages
    import consult.sandbox as sandbox
    import consult.theme as theme
    from consult.parallel import can_fork
    from tests.conftest import CallLog

    if not can_fork():
        pytest.skip("workers are forked on Linux only")
    log = CallLog(tmp_path / "log")
    logged = log.logged
    parent = os.getpid()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no template compiled by an earlier build

    monkeypatch.setattr(pages, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(load, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(build, "companion_files", logged("companions", build.companion_files))
    monkeypatch.setattr(build, "template_checks", logged("templates", theme.template_checks))
    monkeypatch.setattr(sandbox.Traceable, "compile", logged("compile", sandbox.Traceable.compile))
    monkeypatch.setattr(load, "parse_unread", logged("parse", load.parse_unread))
    monkeypatch.setattr(pages, "render_page", logged("render", pages.render_page))
    build_site(SITES / "tiny", tmp_path / "out", NOW, jobs=2)
    calls = log.calls()
    assert tree(tmp_path / "out") == check_site(SITES / "tiny", NOW).files
    [(_, compiler, compiling)] = [call for call in calls if call[0] == "templates"]
    workers = {pid for name, pid, _ in calls if name in ("parse", "render")}
    assert compiler != parent and compiler not in workers
    assert all(compiling > when for name, _, when in calls if name == "parse")
    assert {pid for name, pid, _ in calls if name == "compile"} == {compiler}
    [(_, pid, started)] = [call for call in calls if call[0] == "companions"]
    assert pid == parent
    assert workers - {parent}  # a worker did some of the work
    assert all(when > started for name, pid, when in calls if name == "render" and pid == parent)


def test_a_one_process_build_compiles_templates_between_its_ranges_of_parsing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without workers (-j1), no core is idle: the templates are compiled here, a template at a time."""
    import os

    import consult.build as build
    import consult.theme as theme

    pids: list[int] = []

    def logged(*args, **kwargs):  # type: ignore[no-untyped-def]
        pids.append(os.getpid())
        return theme.template_checks(*args, **kwargs)

    monkeypatch.setattr(build, "template_checks", logged)
    build_site(SITES / "tiny", tmp_path / "out", NOW, jobs=1)
    assert pids == [os.getpid()]
    assert tree(tmp_path / "out") == check_site(SITES / "tiny", NOW).files


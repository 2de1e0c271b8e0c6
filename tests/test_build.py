"""Whole builds of the sites in tests/sites/: golden output, byte for byte, and what must never show."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2
import pytest

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
        return bool(re.search(r"<form[^>]+method=\"post\"", page))

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
    assert parse_config(base).final_statuses == ("mise-en-oeuvre", "non-retenue")  # the defaults
    listed = base + "proposal_statuses:\n  - {id: ouverte, label: Ouverte}\n  - {id: close, label: Close, final: true}\n"
    assert parse_config(listed).final_statuses == ("close",)
    from consult.errors import ConsultError

    with pytest.raises(ConsultError, match="field 'final' must be true or false"):
        parse_config(base + "proposal_statuses:\n  - {id: close, label: Close, final: oui}\n")


def test_an_embargoed_answer_shows_nowhere_and_a_published_proposal_text_shows_once(tiny: dict[str, bytes]) -> None:
    """tiny's parking-velos-ecoles has a status change and a response dated 2026-12-15, after NOW;
    atelier-reparation is a promoted suggestion: its text is on its proposal page only."""
    for path, data in tiny.items():
        text = data.decode("utf-8", "replace")
        assert "dix écoles" not in text and "Voté en conseil" not in text, path
    pages = [path for path, data in tiny.items() if "apprendre à réparer".encode() in data]
    assert [p for p in pages if p.endswith(".html")] == ["consultations/velo/proposals/atelier-reparation/index.html"]

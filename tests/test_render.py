"""The render stage, on a small site built by hand: what a citizen or an editor would check."""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from html.parser import HTMLParser
from pathlib import Path

import pytest

from consult.model import Answer, Page, StatusChange
from consult.formview import FormView, render_form_page
from consult.render import chrome_for, page_window, render_site
from consult.theme import make_environment
from tests.helpers_site import NOW, QUESTIONS, contribution, make_site, proposal

NO_SITE = Path("/nonexistent-site")
FORM_FIELDS = {"kind", "consultation", "proposal", "title", "body", "author", "email", "website", "token",
               "idempotency_key", "notify_contribution", "notify_proposal"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: list["Element"]
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return " ".join(" ".join(self.text).split())


class Dom(HTMLParser):
    """Just enough of a DOM: every element with its attributes, ancestors and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, list(self.stack))
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text.append(data)

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [e for e in self.elements if (tag is None or e.tag == tag)
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def by_id(self, id_: str) -> Element:
        return self.one(id=id_)


@pytest.fixture(scope="module")
def env():
    return make_environment(NO_SITE, "default")


@pytest.fixture(scope="module")
def out(env) -> dict[str, bytes]:
    return render_site(make_site(), env)


def html(out: dict[str, bytes], path: str) -> str:
    return out[path].decode("utf-8")


def html_pages(out: dict[str, bytes]) -> list[str]:
    return [p for p in out if p.endswith(".html")]


def test_every_output_path_follows_the_url_table(out: dict[str, bytes]) -> None:
    assert set(out) == {
        "index.html", "404.html", "thanks/index.html", "sitemap.xml", "robots.txt", "feed.xml",
        "thanks/answers/index.html", "thanks/comment/index.html", "thanks/support/index.html",
        "thanks/supported/index.html", "thanks/report/index.html",
        "a-propos/index.html", "charte-de-moderation/index.html", "donnees-personnelles/index.html",
        "accessibilite/index.html", "data/index.html",
        "consultations/marche/index.html", "consultations/marche/feed.xml",
        "consultations/marche/contributions/index.html", "consultations/marche/contributions/2/index.html",
        "consultations/marche/contributions/3/index.html",
        "consultations/marche/proposals/halles/index.html", "consultations/marche/proposals/parking/index.html",
        "consultations/ecoles/index.html", "consultations/ecoles/feed.xml",
        "consultations/ecoles/contributions/index.html",
        "consultations/parc/index.html", "consultations/parc/feed.xml",
        "consultations/parc/contributions/index.html",
        # closed, results after_close (the default): the results page and its text question's answers
        "consultations/parc/resultats/index.html", "consultations/parc/resultats/avis/index.html",
        # its figures, counted once with the page (consult.opendata.render_results_data)
        *(f"data/results/parc/{name}.csv" for name in ("participation", "weeks", "questions", "q-avis",
                                                       "q-transport", "q-jours", "q-note")),
        # the proposals' lists (consult.facets): each sort, each value of a facet that splits them, their data
        "consultations/marche/propositions/index.html", "consultations/marche/propositions/index.json",
        "consultations/marche/propositions/tri/recentes/index.html",
        "consultations/marche/propositions/tri/reponses/index.html",
        "consultations/marche/propositions/statut/recue/index.html",
        "consultations/marche/propositions/statut/retenue/index.html",
        "recherche/index.html",
        # every consultation's public moderation report (consult.transparency)
        *(f"consultations/{slug}/moderation/index.html" for slug in ("marche", "ecoles", "parc")),
    }


def test_rendering_is_deterministic(env, out: dict[str, bytes]) -> None:
    assert render_site(make_site(), env) == out
    assert list(out) == sorted(out)


def test_home_lists_open_then_upcoming_then_closed(out: dict[str, bytes]) -> None:
    page = html(out, "index.html")
    positions = [page.index(f'href="/consultations/{slug}/"') for slug in ("marche", "ecoles", "parc")]
    assert positions == sorted(positions)
    headings = [h.content for h in Dom(page).all("h2") if h.content.startswith("Consultations")]  # and proposals
    assert headings == ["Consultations en cours", "Consultations à venir", "Consultations terminées"]
    # A closed consultation links to its results page.
    assert Dom(page).one("a", href="/consultations/parc/resultats/").content.startswith("Voir les résultats")


def test_a_closed_consultation_shows_its_synthesis_and_no_form(out: dict[str, bytes]) -> None:
    dom = Dom(html(out, "consultations/parc/index.html"))
    assert "Ce que nous avons entendu." in dom.by_id("synthesis").content
    assert "1er juillet 2026" in dom.by_id("synthesis").content
    assert dom.all("form") == []
    assert "Cette consultation est terminée" in dom.by_id("contribute").content


def test_the_form_shows_only_while_the_consultation_is_open(out: dict[str, bytes]) -> None:
    open_page = Dom(html(out, "consultations/marche/index.html"))
    forms = [f for f in open_page.all("form") if f.attrs["id"] != "follow-form"]  # follow: tests/test_notify.py
    assert [f.attrs["id"] for f in forms] == ["suggestion-form", "answers-form"]
    assert all(f.attrs["action"] == "/api/submit" and f.attrs["method"] == "post" for f in forms)
    upcoming = Dom(html(out, "consultations/ecoles/index.html"))
    assert upcoming.all("form") == []
    assert "pas encore ouverte" in upcoming.by_id("contribute").content
    assert "10 janvier 2027" in upcoming.by_id("contribute").content


def test_proposals_of_a_closed_consultation_take_no_support_or_comment(env) -> None:
    site = make_site()
    parc = replace(site.consultation("parc"), proposals=(proposal("kiosque", "parc"),))
    site = replace(site, consultations=tuple(parc if c.slug == "parc" else c for c in site.consultations))
    page = Dom(render_site(site, env)["consultations/parc/proposals/kiosque/index.html"].decode())
    assert page.all("form") == []
    assert "Je soutiens" not in " ".join(e.content for e in page.all("button"))


def test_form_fields_carry_the_handler_contract_names(out: dict[str, bytes]) -> None:
    for path in ("consultations/marche/index.html", "consultations/marche/proposals/halles/index.html"):
        dom = Dom(html(out, path))
        for form in (f for f in dom.all("form") if f.attrs["id"] != "follow-form"):
            names = {e.attrs["name"] for e in dom.elements if form in e.ancestors and "name" in e.attrs}
            assert names <= FORM_FIELDS | {f"q_{q.id}" for q in QUESTIONS}, names
            assert {"kind", "consultation", "website", "token", "idempotency_key"} <= names


def test_every_control_has_a_label_and_questions_are_accessible(out: dict[str, bytes]) -> None:
    dom = Dom(html(out, "consultations/marche/index.html"))
    labelled = {label.attrs.get("for") for label in dom.all("label")}
    for control in dom.all("input") + dom.all("textarea"):
        if control.attrs.get("type") != "hidden":
            assert control.attrs["id"] in labelled, control.attrs
    assert dom.one("textarea", name="q_avis").attrs.get("required") == ""
    legends = [legend.content for legend in dom.all("legend") if "prévenu·e" not in legend.content]
    assert legends == ["Votre mode de transport (obligatoire)", "Vos jours de marché (facultatif)",
                       "Votre satisfaction (facultatif)"]
    assert {e.attrs["type"] for e in dom.all("input", name="q_transport")} == {"radio"}
    assert {e.attrs["type"] for e in dom.all("input", name="q_jours")} == {"checkbox"}
    assert [e.attrs["value"] for e in dom.all("input", name="q_note")] == ["1", "2", "3", "4", "5"]
    assert dom.one("textarea", name="body").attrs["maxlength"] == "5000"
    # The email hint says it stays private; the author hint says it is published.
    for kind in ("suggestion", "answers"):
        assert "privée" in dom.by_id(f"{kind}-email-hint").content
        assert "publié" in dom.by_id(f"{kind}-author-hint").content
        assert dom.by_id(f"{kind}-email").attrs["aria-describedby"] == f"{kind}-email-hint"


def test_an_idea_and_the_questionnaire_are_two_forms(out: dict[str, bytes]) -> None:
    """An idea never has to answer the questionnaire: the questions are in a form of their own."""
    dom = Dom(html(out, "consultations/marche/index.html"))
    idea, questionnaire = dom.by_id("suggestion-form"), dom.by_id("answers-form")

    def names(form: Element) -> set[str]:
        return {e.attrs["name"] for e in dom.elements if form in e.ancestors and "name" in e.attrs}

    assert {"title", "body"} <= names(idea) and not any(n.startswith("q_") for n in names(idea))
    assert {f"q_{q.id}" for q in QUESTIONS} <= names(questionnaire) and not {"title", "body"} & names(questionnaire)
    assert [e.attrs["value"] for e in dom.all("input", name="kind")] == ["suggestion", "answers"]
    headings = [h.content for h in dom.all("h3") if dom.by_id("contribute") in h.ancestors]
    assert headings == ["Proposer une idée", "Répondre au questionnaire"]
    assert [b.content for b in dom.all("button")][:2] == ["Envoyer ma contribution", "Envoyer mes réponses"]
    assert dom.by_id("suggestion-body").attrs.get("required") == ""


def test_the_honeypot_is_hidden_from_everyone_and_never_focusable(out: dict[str, bytes]) -> None:
    dom = Dom(html(out, "consultations/marche/proposals/halles/index.html"))
    traps = dom.all("input", name="website")
    assert len(traps) == 2  # support form and comment form
    for trap in traps:
        assert trap.attrs["tabindex"] == "-1" and trap.attrs["autocomplete"] == "off"
        wrapper = trap.ancestors[-1]
        assert wrapper.attrs["aria-hidden"] == "true" and "honeypot" in wrapper.attrs["class"]
        # axe's aria-hidden-focus: nothing tabbable inside the aria-hidden wrapper.
        inside = [e for e in dom.elements if wrapper in e.ancestors]
        assert all(e.tag in ("label", "input") for e in inside)
        assert all(e.attrs.get("tabindex") == "-1" for e in inside if e.tag == "input")


def test_the_proposal_page(out: dict[str, bytes]) -> None:
    dom = Dom(html(out, "consultations/marche/proposals/halles/index.html"))
    text = dom.one("main").content
    assert "Retenue" in text and "12 soutiens" in text and "Réponse du 3 novembre 2026" in text
    history = dom.one("ol", **{"class": "history"})
    entries = [e for e in dom.all("li") if history in e.ancestors]
    assert [e.attrs["id"] for e in entries] == ["status-2026-10-01-recue", "status-2026-11-03-retenue"]
    assert [e.content for e in entries] == ["1er octobre 2026 Reçue", "3 novembre 2026 Retenue Vote du conseil"]
    badges = [e for e in dom.all("span") if history in e.ancestors]
    assert [b.attrs["class"] for b in badges] == ["badge badge--proposal badge--recue",
                                                  "badge badge--proposal badge--retenue"]
    assert [b.content for b in dom.all("button")] == ["Je soutiens cette proposition", "Envoyer mon commentaire"]
    forms = {f.attrs["id"] for f in dom.all("form")}
    assert forms == {"support-form", "comment-form"}
    assert [e.attrs["value"] for e in dom.all("input", name="proposal")] == ["halles", "halles"]
    assert "Dominique" in dom.by_id("contribution-c020").content


def test_unpublished_contributions_are_counted_with_a_link_to_the_charter(env, out: dict[str, bytes]) -> None:
    dom = Dom(html(out, "consultations/marche/index.html"))
    notice = dom.one("p", **{"class": "unpublished"})
    assert notice.content == "3 contributions non publiées — voir la charte de modération"
    assert [a.content for a in dom.all("a", href="/charte-de-moderation/") if notice in a.ancestors] == [
        "voir la charte de modération"]
    site = make_site()
    one = replace(site.consultation("marche"), unpublished_contributions=1)
    single = render_site(replace(site, consultations=(one,)), env)["consultations/marche/index.html"].decode()
    assert "1 contribution non publiée" in single
    assert "non publiée" not in html(out, "consultations/parc/index.html")


def test_latest_contributions_and_pagination(out: dict[str, bytes]) -> None:
    consultation = Dom(html(out, "consultations/marche/index.html"))
    assert len(consultation.all("li", **{"class": "contribution"})) == 5
    assert consultation.one("a", href="/consultations/marche/contributions/").content == "Voir les 5 contributions publiées"
    first = Dom(html(out, "consultations/marche/contributions/index.html"))
    second = Dom(html(out, "consultations/marche/contributions/2/index.html"))
    last = Dom(html(out, "consultations/marche/contributions/3/index.html"))
    assert [li.attrs["id"] for li in first.all("li", **{"class": "contribution"})] == ["contribution-c005", "contribution-c004"]
    assert [li.attrs["id"] for li in last.all("li", **{"class": "contribution"})] == ["contribution-c001"]
    assert second.one("link", rel="prev").attrs["href"] == "/consultations/marche/contributions/"
    assert second.one("link", rel="next").attrs["href"] == "/consultations/marche/contributions/3/"
    assert last.all("link", rel="next") == [] and first.all("link", rel="prev") == []
    nav = second.one("nav", **{"aria-label": "Pages de contributions"})
    current = [a for a in second.all("a") if nav in a.ancestors and a.attrs.get("aria-current") == "page"]
    assert [a.attrs["href"] for a in current] == ["/consultations/marche/contributions/2/"]


def test_dates_are_written_the_french_way(out: dict[str, bytes]) -> None:
    dom = Dom(html(out, "consultations/marche/index.html"))
    times = {t.content: t.attrs["datetime"] for t in dom.all("time")}
    assert times["1er novembre 2026"] == "2026-11-01T00:00+01:00"
    assert times["3 mars 2027"] == "2027-03-03T18:00+01:00"


def test_english_site(env) -> None:
    site = make_site("en")
    out = render_site(site, make_environment(NO_SITE, "default", language="en"))
    page = out["consultations/marche/index.html"].decode()
    assert '<html lang="en">' in page
    assert "Skip to main content" in page and "1 November 2026" in page and "3 contributions not published" in page
    assert "accessibility/index.html" in out and "accessibilite/index.html" not in out
    assert "Accessibility: partially compliant" in page


def test_every_page_has_lang_skip_link_landmarks_and_accessibility_link(out: dict[str, bytes]) -> None:
    for path in html_pages(out):
        dom = Dom(html(out, path))
        assert dom.one("html").attrs["lang"] == "fr"
        focusable = [e for e in dom.elements if e.tag in ("a", "button", "input", "textarea", "select")
                     and e.attrs.get("type") != "hidden" and e.attrs.get("tabindex") != "-1"]
        assert focusable[0].attrs == {"class": "skip-link", "href": "#main"}, path
        assert dom.one("main").attrs["id"] == "main"
        assert len(dom.all("header", **{"class": "site-header"})) == 1 and len(dom.all("footer")) == 1
        assert dom.all("nav"), path
        footer = dom.one("footer")
        links = {a.attrs["href"] for a in dom.all("a") if footer in a.ancestors}
        assert {"/accessibilite/", "/a-propos/", "/charte-de-moderation/", "/donnees-personnelles/"} <= links, path
        assert dom.all("link", rel="alternate", type="application/atom+xml")
        assert len(dom.all("h1")) == 1, path
        scripts = [e.attrs for e in dom.all("script")]
        assert scripts[0] == {"src": "/static/consult.js", "defer": ""}
        # a page's own script: the lists' and the search page's only (consult.facets, consult.search)
        page_script = {"propositions/": "/static/facets.js", "recherche/": "/static/search.js"}
        assert scripts[1:] == [{"src": src, "defer": ""} for part, src in page_script.items() if part in path], path
        assert [e.attrs["href"] for e in dom.all("link", rel="icon")] == ["/favicon.ico", "/static/favicon.svg"]
        ids = [e.attrs["id"] for e in dom.elements if "id" in e.attrs]
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))


def test_the_generated_accessibility_statement(out: dict[str, bytes], env) -> None:
    text = Dom(html(out, "accessibilite/index.html")).one("main").content
    assert "partiellement conforme" in text and "15 juin 2026" in text
    assert "contact@ville.example.org" in text and "Défenseur des droits" in text
    # The RGAA model's "Contenus non accessibles", with a sentence for each empty list.
    headings = [h.content for h in Dom(html(out, "accessibilite/index.html")).all("h3")]
    assert headings == ["Non-conformités", "Dérogations pour charge disproportionnée",
                        "Contenus non soumis à l'obligation d'accessibilité"]
    assert "Le dernier audit n'a relevé aucune non-conformité." in text
    assert "Aucune dérogation pour charge disproportionnée n'est invoquée." in text
    site = make_site()
    listed = replace(site, config=replace(site.config, accessibility_audit_date=None,
                                          non_conformities=("Les cartes <svg> n'ont pas d'alternative.",),
                                          exempt=("Les vidéos publiées avant 2020.", "Les cartes en ligne.")))
    statement = render_site(listed, env)["accessibilite/index.html"].decode()
    dom = Dom(statement)
    assert dom.all("svg") == []  # site.yaml's text is escaped like any other
    sections = [dom.one("main").content.split(h)[1].strip() for h in headings]
    assert sections[0].startswith("Les cartes <svg> n'ont pas d'alternative. Dérogations")
    assert sections[1].startswith("Aucune dérogation pour charge disproportionnée n'est invoquée. Contenus")
    assert sections[2].startswith("Les vidéos publiées avant 2020. Les cartes en ligne. Comment le site")
    assert [li.content for li in dom.all("li")].count("Les cartes en ligne.") == 1
    assert "aucune non-conformité" not in statement  # no audit: nothing is claimed
    own = Page("accessibilite", "Notre déclaration", "<p>Écrite à la main.</p>", "/accessibilite/",
               "content/pages/accessibilite.md", True)
    replaced = render_site(replace(site, pages=site.pages + (own,)), env)["accessibilite/index.html"].decode()
    assert "Écrite à la main." in replaced and "RGAA" not in replaced


def test_hostile_citizen_text_comes_out_escaped(env) -> None:
    hostile = "<script>alert(1)</script>"
    site = make_site()
    answer = Answer(QUESTIONS[0], hostile)
    evil = contribution("marche", 9, author=hostile, title=f'<img src=x onerror="alert(1)">{hostile}',
                        answers=(answer, Answer(QUESTIONS[2], (hostile, "Samedi"))))
    comment = contribution("marche", 10, author=hostile, proposal="halles")
    marche = site.consultation("marche")
    halles = replace(marche.proposals[0], comments=(comment,))
    marche = replace(marche, contributions=(evil,) + marche.contributions, proposals=(halles,) + marche.proposals[1:])
    out = render_site(replace(site, consultations=tuple(marche if c.slug == "marche" else c
                                                        for c in site.consultations)), env)
    for path, data in out.items():
        text = data.decode("utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text, path
    page = out["consultations/marche/index.html"].decode()
    assert "Par <bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;, Samedi" in page
    assert "Par <bdi>&lt;script&gt;" in out["consultations/marche/proposals/halles/index.html"].decode()
    ET.fromstring(out["feed.xml"])  # still well-formed XML


def test_citizen_names_and_texts_are_isolated_for_bidirectional_text(env) -> None:
    """A right-to-left name or title (or one holding a bidi override) cannot reorder the text
    around it: names are in <bdi>, titles, texts and answers take their own direction."""
    site = make_site()
    rtl = "\u202eسارة"
    odd = contribution("marche", 12, author=rtl, title=rtl + " !", body_html="<p>نص</p>",
                       answers=(Answer(QUESTIONS[0], rtl),))
    marche = replace(site.consultation("marche"), contributions=(odd,))
    page = render_site(replace(site, consultations=(marche,)), env)["consultations/marche/index.html"].decode()
    assert f"Par <bdi>{rtl}</bdi>, <time" in page
    assert f'<h3 class="contribution__title" dir="auto">{rtl} !</h3>' in page
    assert '<div class="prose" dir="auto"><p>نص</p></div>' in page and f'<dd dir="auto">{rtl}</dd>' in page


def test_control_characters_never_reach_the_output(tmp_path: Path) -> None:
    """The characters XML forbids are taken out where texts become data (consult.document.clean),
    not by scanning pages: written raw, as YAML escapes, as a Markdown character reference, in
    site.yaml, a proposal, a contribution and a site template, none reaches a built file."""
    from tests.conftest import copy_demo

    from consult.build import build_site

    root = copy_demo(tmp_path / "site")
    config = root / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("title: ", 'title: "Cl\\x0bairval" #', 1),
                      encoding="utf-8")
    folder = root / "content" / "consultations" / "parc-des-berges"
    proposal = folder / "proposals" / "buvette-saisonniere.md"
    text = proposal.read_text(encoding="utf-8").replace('title: "', 'title: "Bu\\x07vette \\uFFFE', 1)
    proposal.write_text(text + "\nUn \x01 saut &#1; et &#xFDD0; ici.\n", encoding="utf-8")
    contribution = folder / "contributions" / "20260304-8a7b6c5d.md"
    text = contribution.read_text(encoding="utf-8").replace('author: "Lucie B."', 'author: "Cam\\x0bille\\x00"')
    contribution.write_text(text + "bip\x07\ufdd1\n", encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "thanks.html").write_text(
        '{% extends "@default/thanks.html" %}{% block main %}<p>Mer\x0bci</p>{{ super() }}{% endblock %}',
        encoding="utf-8")
    out = tmp_path / "_site"
    build_site(root, out, NOW, search=False)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert [p for p, data in files.items() if b"Camille" in data], "the contribution's author shows"
    assert [p for p, data in files.items() if "Buvette \ufffd".encode() in data or b"Buvette " in data]
    assert "Merci" in files["thanks/index.html"].decode()
    forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0-\ufdef\ufffe\uffff]")
    for path, data in files.items():
        if path.endswith((".html", ".xml", ".json", ".csv", ".txt")):
            assert not forbidden.search(data.decode("utf-8")), path
    ET.fromstring(files["feed.xml"])


def test_sitemap_lists_every_public_page_and_nothing_else(out: dict[str, bytes]) -> None:
    root = ET.fromstring(out["sitemap.xml"])
    locs = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    base = "https://consultations.example.org"
    public = {f"{base}/{p.removesuffix('index.html')}" for p in html_pages(out) if not p.startswith("thanks/")} - {
        f"{base}/404.html"}
    assert set(locs) == public and len(locs) == len(public)
    assert f"{base}/consultations/marche/contributions/2/" in locs
    assert out["robots.txt"].decode().endswith(f"Sitemap: {base}/sitemap.xml\n")


def test_feeds_are_atom_and_link_to_real_pages(out: dict[str, bytes]) -> None:
    base = "https://consultations.example.org"
    feed = ET.fromstring(out["feed.xml"])
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids))
    links = [e.find(f"{ATOM}link").attrib["href"] for e in entries]
    pages = {f"{base}/{p.removesuffix('index.html')}" for p in html_pages(out)}
    assert all(link.split("#")[0] in pages for link in links)
    assert f"{base}/consultations/marche/" in links and f"{base}/consultations/parc/" in links
    assert f"{base}/consultations/ecoles/" not in links  # not open yet
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "Proposition halles\u00a0: Retenue" in titles
    assert "Commentaire sur «\u00a0Proposition halles\u00a0»" in titles
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert updated == sorted(updated, reverse=True) and feed.findtext(f"{ATOM}updated") == updated[0]
    assert feed.find(f"{ATOM}link[@rel='self']").attrib["href"] == f"{base}/feed.xml"
    per_consultation = ET.fromstring(out["consultations/marche/feed.xml"])
    own = [e.find(f"{ATOM}link").attrib["href"] for e in per_consultation.findall(f"{ATOM}entry")]
    assert own and all(link.startswith(f"{base}/consultations/marche/") for link in own)
    contribution_link = f"{base}/consultations/marche/contributions/3/#contribution-c001"
    assert contribution_link in own


@pytest.mark.parametrize("newest", ["contributions", "comments", "history"])
def test_a_feed_keeps_the_newest_entries_of_hundreds_as_if_it_ranked_them_all(newest: str) -> None:
    """A consultation's feed ranks only its newest contributions and each proposal's newest comments,
    and makes no entry id for a status change older than the newest it has met: the same entries, in
    the same order, with the same page addresses, as ranking every dated item by (moment, entry id);
    ties on the moment (a date and a datetime at midnight are the same moment) broken by the id, on
    any page of the lists, where the feed's last entry is a contribution, a comment or a status
    change (of proposals met in no order of date) and ties with the next one."""
    from consult.render import comment_pages, contribution_pages, feed_entries

    def dated(item: Any, n: int) -> Any:  # every fifth on a bare date: midnight, tied with datetimes at midnight
        older = item.proposal != ("halles" if newest == "comments" else None)  # the others a month before
        day = date(2026, 10 if older else 11, n % 28 + 1)
        return replace(item, submitted=day if n % 5 == 0 else item.submitted.replace(month=day.month))

    site = make_site()
    marche = next(c for c in site.consultations if c.slug == "marche")
    def shuffled(numbers: range) -> list[int]:  # in no order: the list's order is not the ids' order
        drawn = list(numbers)
        random.Random(3).shuffle(drawn)
        return drawn

    talk = {slug: tuple(dated(contribution("marche", n, proposal=slug), n) for n in shuffled(numbers))
            for slug, numbers in (("halles", range(200, 292)), ("parking", range(300, 371, 2)))}
    marche = replace(marche, contributions=tuple(dated(contribution("marche", n), n) for n in shuffled(range(1, 134))),
                     proposals=tuple(replace(p, comments=talk[p.slug]) for p in marche.proposals))
    if newest == "history":  # 120 proposals more, each changed on three of ten days: 36 changes a day
        first = marche.proposals[0]

        def changed(n: int) -> tuple[StatusChange, ...]:
            days = sorted((n + 3 * k) % 10 for k in range(3))
            return tuple(StatusChange(date(2026, 12, 1) + timedelta(days=day), first.history[0].status) for day in days)

        marche = replace(marche, proposals=marche.proposals + tuple(
            replace(first, slug=f"p{n:03}", url=f"{marche.url}propositions/p{n:03}/", comments=(), history=changed(n))
            for n in shuffled(range(120))))
    site = replace(site, consultations=tuple(marche if c.slug == "marche" else c for c in site.consultations))
    base, tz, per_page = site.config.base_url, site.config.tz, site.config.contributions_per_page

    def moment(value: Any) -> datetime:
        return value.astimezone(tz) if isinstance(value, datetime) else datetime.combine(value, time(0), tz)

    every = [(moment(marche.opens), base + marche.url, base + marche.url)]
    for page in contribution_pages(marche, per_page):
        every += [(moment(c.submitted), f"{base}{marche.url}#contribution-{c.id}",
                   f"{base}{page['url']}#contribution-{c.id}") for c in page["items"]]
    for p in marche.proposals:
        every += [(moment(p.response_date), f"{base}{p.url}#response-{p.response_date.isoformat()}", base + p.url)]
        every += [(moment(h.date), f"{base}{p.url}#status-{h.date.isoformat()}-{h.status}", base + p.url) for h in p.history]
        for page in comment_pages(p, per_page):
            every += [(moment(c.submitted), f"{base}{p.url}#contribution-{c.id}",
                       f"{base}{page['url']}#contribution-{c.id}") for c in page["items"]]
    ranked = sorted(every, key=lambda e: (e[0], e[1]), reverse=True)
    assert len(every) > 250 and ranked[49][0] == ranked[50][0]  # the last one kept ties with the first one left out
    expected = ranked[:50]
    got = [(entry.updated, entry.id, entry.url) for entry in feed_entries(site, marche)]
    assert got == [(when.isoformat(), entry_id, url) for when, entry_id, url in expected]


def test_an_empty_feed_uses_the_build_time(env) -> None:
    out = render_site(replace(make_site(), consultations=()), env)
    assert ET.fromstring(out["feed.xml"]).findtext(f"{ATOM}updated") == NOW.isoformat()


# --- the form page, for the handler -----------------------------------------------------

def test_chrome_is_json_and_makes_the_same_page_chrome(env, out: dict[str, bytes]) -> None:
    chrome = json.loads(json.dumps(chrome_for(make_site())))
    form = FormView(action="/api/submit", kind="comment", consultation_slug="marche",
                    consultation_title="Consultation marche", consultation_url="/consultations/marche/",
                    proposal_slug="halles", proposal_title="Proposition halles",
                    proposal_url="/consultations/marche/proposals/halles/")
    page = render_form_page(env, chrome, form)
    built = html(out, "thanks/index.html")
    for part in ("<header", "<footer"):
        start = built.index(part)
        assert built[start:built.index("</" + part[1:], start)] in page


def test_render_form_page_keeps_values_and_ties_errors_to_fields(env) -> None:
    chrome = chrome_for(make_site())
    typed = 'Mon texte <b>"entre guillemets"</b>\net une ligne & demie'
    form = FormView(
        action="/api/submit", kind="answers", consultation_slug="marche",
        consultation_title="Consultation marche", consultation_url="/consultations/marche/",
        questions=QUESTIONS,
        values={"q_avis": "", "q_jours": ("Mardi", "Samedi"),
                "q_note": "4", "author": "Camille", "email": "camille@example.org", "token": "tok",
                "idempotency_key": "k-1"},
        errors=(("q_avis", "Ce champ est obligatoire."), ("q_transport", "Choisissez une des réponses proposées."),
                ("token", "Le formulaire a expiré.")),
        max_length=3000,
    )
    page = render_form_page(env, chrome, form)
    dom = Dom(page)
    assert dom.one("title").content.startswith("Erreur") and "Répondre au questionnaire" in dom.one("h1").content
    # Error summary: a heading and a link to each field.
    summary = dom.by_id("answers-errors")
    assert summary.attrs["tabindex"] == "-1" and "data-error-summary" in summary.attrs
    assert dom.all("h2")[0].content == "Il y a 3 problèmes"
    hrefs = [a.attrs["href"] for a in dom.all("a") if summary in a.ancestors]
    assert hrefs == ["#answers-q_avis", "#answers-q_transport-1", "#answers-form"]
    for href in hrefs:
        assert dom.by_id(href[1:])
    # Each error is tied to its field.
    avis = dom.one("textarea", name="q_avis")
    assert avis.attrs["aria-invalid"] == "true"
    assert avis.attrs["aria-describedby"].split() == ["answers-q_avis-hint", "answers-q_avis-error"]
    assert dom.by_id("answers-q_avis-error").content == "Erreur : Ce champ est obligatoire."
    transport = dom.one("fieldset", **{"aria-describedby": "answers-q_transport-error"})
    assert "Choisissez" in dom.by_id("answers-q_transport-error").content
    assert all(r.attrs["aria-invalid"] == "true" for r in dom.all("input", name="q_transport"))
    assert transport
    # Every typed character is kept, escaped.
    assert dom.all("textarea", name="body") == [] and dom.all("input", name="title") == []
    assert [e.attrs["value"] for e in dom.all("input", name="q_jours") if "checked" in e.attrs] == ["Mardi", "Samedi"]
    assert [e.attrs["value"] for e in dom.all("input", name="q_note") if "checked" in e.attrs] == ["4"]
    assert dom.one("input", name="email").attrs["value"] == "camille@example.org"
    assert dom.one("input", name="token").attrs["value"] == "tok"
    assert dom.one("input", name="idempotency_key").attrs["value"] == "k-1"
    assert dom.one("input", name="website").attrs["value"] == ""


def test_render_form_page_keeps_an_ideas_text(env) -> None:
    typed = 'Mon texte <b>"entre guillemets"</b>\net une ligne & demie'
    form = FormView(action="/api/submit", kind="suggestion", consultation_slug="marche",
                    consultation_title="Consultation marche", consultation_url="/consultations/marche/",
                    values={"title": "Un <titre>", "body": typed}, errors=(("email", "Adresse invalide"),),
                    max_length=3000)
    page = render_form_page(env, chrome_for(make_site()), form)
    dom = Dom(page)
    body = dom.one("textarea", name="body")
    assert body.content.strip() == " ".join(typed.split())
    assert "Mon texte &lt;b&gt;&#34;entre guillemets&#34;&lt;/b&gt;\net une ligne &amp; demie</textarea>" in page
    assert dom.one("input", name="title").attrs["value"] == "Un <titre>"
    assert body.attrs["maxlength"] == "3000" and "aria-invalid" not in body.attrs
    assert not any(e.attrs.get("name", "").startswith("q_") for e in dom.elements)


def test_support_form_page(env) -> None:
    form = FormView(action="/api/submit", kind="support", consultation_slug="marche",
                    consultation_title="Consultation marche", consultation_url="/consultations/marche/",
                    proposal_slug="halles", proposal_title="Proposition halles",
                    proposal_url="/consultations/marche/proposals/halles/",
                    errors=(("token", "Le formulaire a expiré."),))
    dom = Dom(render_form_page(env, chrome_for(make_site()), form))
    assert dom.one("button").content == "Je soutiens cette proposition"
    assert dom.one("input", name="proposal").attrs["value"] == "halles"
    assert [a.attrs["href"] for a in dom.all("a") if "#" in a.attrs["href"]] == ["#main", "#support-form"]


# --- thank-you pages, pagination of comments ------------------------------------------------


def test_each_outcome_has_its_thank_you_page_with_a_way_back(out: dict[str, bytes]) -> None:
    chrome = chrome_for(make_site())
    assert {f"{url.strip('/')}/index.html" for url in chrome["thanks"].values()} == {
        p for p in out if p.startswith("thanks/")}, "the handler's thank-you pages are the built ones"
    expected = {
        "suggestion": ("Merci pour votre contribution", "Votre contribution est enregistrée.", "Retour à la consultation"),
        "answers": ("Merci pour vos réponses", "Vos réponses sont enregistrées.", "Retour à la consultation"),
        "comment": ("Merci pour votre commentaire", "Votre commentaire est enregistré.", "Retour à la proposition"),
        "support": ("Merci pour votre soutien",
                    "Votre soutien est enregistré ; il sera compté à la prochaine mise à jour.",
                    "Retour à la proposition"),
        "supported": ("Vous soutenez déjà cette proposition",
                      "Votre soutien était déjà enregistré : un seul soutien par personne est compté.",
                      "Retour à la proposition"),
    }
    for outcome, (title, saved, back) in expected.items():
        dom = Dom(html(out, chrome["thanks"][outcome].strip("/") + "/index.html"))
        assert dom.one("h1").content == title and dom.one("title").content.startswith(title)
        text = dom.one("main").content
        assert saved in text
        assert ("après relecture" in text) == (outcome in ("suggestion", "answers", "comment")), outcome
        # Without JavaScript the link goes to the consultations; consult.js points it at ?back=.
        link = dom.one("a", **{"data-back": back})
        assert link.attrs["href"] == "/" and link.content == "Retour aux consultations"
        assert dom.one("meta", name="robots").attrs["content"] == "noindex"
    assert out["robots.txt"].decode().startswith("User-agent: *\nDisallow: /thanks/\n")


@pytest.mark.parametrize("number,total,shown", [
    (1, 1, [1]), (1, 2, [1, 2]), (1, 5, [1, 2, 0, 5]), (3, 5, [1, 2, 3, 4, 5]), (4, 50, [1, 2, 3, 4, 5, 0, 50]),
    (7, 50, [1, 0, 6, 7, 8, 0, 50]), (50, 50, [1, 0, 49, 50]), (47, 50, [1, 0, 46, 47, 48, 49, 50]),
])
def test_pagination_shows_first_last_and_a_window_around_the_current_page(number: int, total: int,
                                                                          shown: list[int]) -> None:
    assert page_window(number, total) == shown


def test_the_page_window_stays_short_and_never_hides_a_single_page() -> None:
    for total in range(1, 60):
        for number in range(1, total + 1):
            shown = page_window(number, total)
            pages = [n for n in shown if n]
            assert pages == sorted(set(pages)) and {1, number, total} <= set(pages)
            assert len(shown) <= 7
            for before, gap, after in zip(shown, shown[1:], shown[2:]):
                assert gap or after - before > 0
                if not gap:
                    assert after - before > 2, (number, total, shown)


def test_many_pages_of_contributions_link_a_window_not_every_page(env) -> None:
    site = make_site()
    many = tuple(contribution("marche", n) for n in range(100, 0, -1))  # 50 pages of 2
    marche = replace(site.consultation("marche"), contributions=many)
    out = render_site(replace(site, consultations=(marche,)), env)
    dom = Dom(out["consultations/marche/contributions/7/index.html"].decode())
    nav = dom.one("nav", **{"class": "pagination"})
    items = [li.content for li in dom.all("li") if nav in li.ancestors]
    assert items == ["Page précédente", "Page 1", "…", "Page 6", "Page 7", "Page 8", "…", "Page 50", "Page suivante"]
    assert dom.one("a", **{"aria-current": "page"}).attrs["href"] == "/consultations/marche/contributions/7/"
    assert nav.attrs["aria-label"] == "Pages de contributions"


def test_comments_are_paginated_oldest_first_from_the_proposal_page(env) -> None:
    site = make_site()
    marche = site.consultation("marche")
    comments = tuple(contribution("marche", n, proposal="halles", author=f"Auteur {n}") for n in range(21, 26))
    halles = replace(marche.proposals[0], comments=comments)
    marche = replace(marche, proposals=(halles,) + marche.proposals[1:])
    out = render_site(replace(site, consultations=(marche,)), env)
    base = "consultations/marche/proposals/halles/"
    assert [p for p in out if p.startswith(base)] == [f"{base}comments/2/index.html", f"{base}comments/3/index.html",
                                                      f"{base}index.html"]
    first = Dom(out[f"{base}index.html"].decode())
    assert [li.attrs["id"] for li in first.all("li", **{"class": "contribution"})] == [
        "contribution-c021", "contribution-c022"]
    assert "5 commentaires, en 3 pages, du plus ancien au plus récent." in first.by_id("comments").content
    nav = first.one("nav", **{"class": "pagination"})
    assert nav.attrs["aria-label"] == "Pages de commentaires" and first.by_id("comments") in nav.ancestors
    assert first.one("a", **{"aria-current": "page"}).attrs["href"] == "/" + base
    assert first.one("a", rel="next").attrs["href"] == f"/{base}comments/2/"
    assert first.all("form")  # the comment form stays on the proposal page
    second = Dom(out[f"{base}comments/2/index.html"].decode())
    assert second.one("title").content.startswith("Commentaires sur « Proposition halles » – page 2 sur 3")
    assert second.one("h1").content == "Commentaires sur « Proposition halles »"
    assert [li.attrs["id"] for li in second.all("li", **{"class": "contribution"})] == [
        "contribution-c023", "contribution-c024"]
    assert second.one("link", rel="prev").attrs["href"] == "/" + base
    assert second.one("link", rel="next").attrs["href"] == f"/{base}comments/3/"
    assert second.one("a", href="/" + base + "#comment").content == "Commenter cette proposition"
    assert second.one("p", **{"class": "back-link"}).content == "Retour à la proposition « Proposition halles »"
    assert second.all("form") == []
    sitemap = out["sitemap.xml"].decode()
    assert f"/{base}comments/3/</loc>" in sitemap
    assert "Commentaires sur «\u00a0Proposition halles\u00a0»" in out[f"{base}comments/2/index.html"].decode()
    # A feed entry of a comment links to the page that shows it; its id does not move.
    entries = ET.fromstring(out["consultations/marche/feed.xml"]).findall(f"{ATOM}entry")
    newest = next(e for e in entries if e.findtext(f"{ATOM}id").endswith("#contribution-c025"))
    assert newest.find(f"{ATOM}link").attrib["href"].endswith(f"/{base}comments/3/#contribution-c025")
    assert newest.findtext(f"{ATOM}id") == f"https://consultations.example.org/{base}#contribution-c025"


def test_a_retargeted_form_is_the_form_replace_makes() -> None:
    """FormView.retargeted (how a proposal page's forms are made from the first one's) is
    dataclasses.replace without __init__: the same fields, the same equality and hash, and a field
    it does not know is refused as replace refuses it."""
    first = FormView(action="/api/submit", kind="comment", consultation_slug="marche", consultation_title="Le marché",
                     consultation_url="/consultations/marche/", proposal_slug="a", proposal_title="A",
                     proposal_url="/consultations/marche/propositions/a/", max_length=2000, organisation="Ville",
                     token_url="/api/token")
    changes = {"proposal_slug": "b", "proposal_title": "B <i>", "proposal_url": "/consultations/marche/propositions/b/"}
    made, expected = first.retargeted(**changes), replace(first, **changes)
    assert made == expected and hash(made) == hash(expected) and vars(made) == vars(expected)
    assert made is not first and first.proposal_slug == "a"  # the first form is left as it was
    assert first.about("c1") == replace(first, target="c1")
    with pytest.raises(TypeError):
        replace(first, nope=1)
    with pytest.raises(TypeError):
        first.retargeted(nope=1)


def test_the_sitemap_counts_the_pages_of_a_list_as_paging_makes_them() -> None:
    """The sitemap lists a list's page addresses from its length alone (_page_urls), the pages themselves
    are made by _paged: the two must agree for every length, the empty list's one page included."""
    from consult.render import _page_urls, _paged

    for per_page in (1, 2, 3, 20):
        for count in range(0, 3 * per_page + 2):
            made = [p["url"] for p in _paged(tuple(range(count)), per_page, "/c/p/", "comments/")]
            assert _page_urls(count, per_page, "/c/p/", "comments/") == made

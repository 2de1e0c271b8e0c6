"""The proposal lists and the search page in Chromium, under the published CSP (netlify.toml):
facets.js shows, for every choice, the very list the pre-rendered page shows, without a request
and saying how many; axe is clean with JavaScript on and off; Pagefind's index of a real build
finds a published proposal by a word of its text and never a pending or rejected contribution's."""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from consult.build import build_site
from tests.browser.conftest import DESKTOP, NOW, axe_violations
from tests.conftest import REPO, copy_demo

pytestmark = pytest.mark.browser

LISTS = "/consultations/plan-velo/propositions/"
SEARCH = "/recherche/"
# Words found nowhere else in the demo: one in a published proposal, one in a pending and one in a
# rejected contribution (a suggestion, a comment on a published proposal).
PUBLISHED_WORD = "hippocampelophant"
PENDING_WORD = "xylophonique"
REJECTED_WORD = "zinzolinette"
WITNESS = "rues-scolaires"  # the published proposal given PUBLISHED_WORD


def published_headers() -> dict[str, str]:
    """The headers the site is published with (netlify.toml), its CSP among them."""
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    return dict(config["headers"][0]["values"])


def contribution(root: Path, stem: str, status: str, text: str, proposal: str = "") -> None:
    lines = ["---", f"id: {stem}", f"kind: {'comment' if proposal else 'suggestion'}"]
    lines += [f"proposal: {proposal}"] if proposal else ['title: "Une idée"']
    lines += ['author: "Dominique"', "submitted: 2026-11-03T10:00:00+01:00", f"status: {status}"]
    lines += ["reason: hors-sujet"] if status == "rejected" else []
    (root / f"content/consultations/plan-velo/contributions/{stem}.md").write_text(
        "\n".join(lines + ["---", "", text, ""]), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo, with the witness words, built WITH the search index, served as a static host serves it."""
    root = copy_demo(tmp_path_factory.mktemp("facets") / "demo")
    proposal = root / f"content/consultations/plan-velo/proposals/{WITNESS}.md"
    proposal.write_text(proposal.read_text(encoding="utf-8") + f"\nUn mot témoin : {PUBLISHED_WORD}.\n",
                        encoding="utf-8")
    contribution(root, "20261103-0badc0de", "pending", f"Une idée en attente : {PENDING_WORD}.")
    contribution(root, "20261103-0dead0ff", "rejected", f"Un commentaire refusé : {REJECTED_WORD}.", WITNESS)
    built, _ = build_site(root, now=NOW, search=True)
    assert built.indexed is not None and built.indexed.pages, built.indexed
    headers = published_headers()

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            for name, value in headers.items():
                self.send_header(name, value)
            super().end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root / "_site")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def open_tab(browser: Browser, url: str, javascript: bool = True, axe: bool = False) -> tuple[Page, list[str]]:
    """A tab under the published CSP, and the CSP violations and errors its console reports. With
    `axe`, the CSP is bypassed: axe-core is injected as an inline script, which the CSP forbids."""
    context = browser.new_context(base_url=url, java_script_enabled=javascript, viewport=DESKTOP, locale="fr-FR",
                                  bypass_csp=axe)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems


@pytest.fixture
def tab(browser: Browser, site: str) -> Iterator[tuple[Page, list[str]]]:
    page, problems = open_tab(browser, site)
    yield page, problems
    page.context.close()


@pytest.fixture
def tab_nojs(browser: Browser, site: str) -> Iterator[Page]:
    page, _ = open_tab(browser, site, javascript=False)
    yield page
    page.context.close()


def shown(page: Page) -> list[str]:
    return page.locator(".facets__list > li.card").evaluate_all("cards => cards.map(c => c.dataset.slug)")


def status(page: Page) -> str:
    return page.locator(".facets__status").inner_text()


def ready(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector(".facets[data-ready]", state="attached")


def controls(page: Page) -> list[tuple[str, str]]:
    """Every filter and sort control of a list page: (its label, the page it links to)."""
    return page.locator(".facets__controls a").evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])")


def test_every_choice_in_place_shows_the_list_its_page_shows_and_says_how_many(tab: tuple[Page, list[str]],
                                                                              tab_nojs: Page) -> None:
    page, problems = tab
    tab_nojs.goto(LISTS)
    choices = controls(tab_nojs)
    assert len(choices) >= 6, choices
    for label, href in choices:
        ready(page, LISTS)  # all proposals, most supported first: one choice then shows its own page's list
        documents: list[str] = []
        page.on("request", lambda request: documents.append(request.url) if request.resource_type == "document" else None)
        page.locator(".facets__controls a", has_text=label).first.click()
        page.wait_for_url("**" + href)
        tab_nojs.goto(href)
        assert shown(page) == shown(tab_nojs) and shown(page), label
        assert page.locator(".facets__status[role=status]").inner_text() == status(tab_nojs), label
        assert re.match(r"\d+ propositions?", status(page)), status(page)
        current = page.locator(".facets__controls a[aria-current='true']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        assert href in current, (label, current)
        assert not documents, f"{label}: the choice loaded a page: {documents}"
    assert not problems, problems


def pagination(page: Page) -> list[tuple[str, str, str]]:
    return page.locator(".facets__pagination nav.pagination a").evaluate_all(
        "links => links.map(a => [a.getAttribute('href'), a.textContent.trim(), a.getAttribute('aria-current') || ''])")


def test_pages_in_place_equal_the_pre_rendered_pages(tab: tuple[Page, list[str]], tab_nojs: Page) -> None:
    page, problems = tab
    ready(page, LISTS + "tri/recentes/")
    nav = page.locator(".facets__pagination nav.pagination")
    assert nav.get_attribute("aria-label") == "Pages de propositions"
    nav.locator("a:not([rel])", has_text="2").first.click()
    page.wait_for_url("**" + LISTS + "tri/recentes/2/")
    tab_nojs.goto(LISTS + "tri/recentes/2/")
    assert shown(page) == shown(tab_nojs) and shown(page)
    assert status(page) == status(tab_nojs)
    assert pagination(page) == pagination(tab_nojs) and ("2", "page") in [(t[-1:], c) for _, t, c in pagination(page)]
    page.go_back()
    page.wait_for_url("**" + LISTS + "tri/recentes/")
    tab_nojs.goto(LISTS + "tri/recentes/")
    assert shown(page) == shown(tab_nojs)
    assert not problems, problems


def test_a_filter_and_a_sort_together_survive_a_reload(tab: tuple[Page, list[str]], tab_nojs: Page) -> None:
    page, problems = tab
    ready(page, LISTS + "origine/agency/")
    page.locator(".facets__controls a[data-sort='recentes']").click()
    page.wait_for_url("**?tri=recentes")
    agency = set(shown(tab_nojs_at(tab_nojs, LISTS + "origine/agency/")))
    every = shown(tab_nojs_at(tab_nojs, LISTS + "tri/recentes/")) + shown(tab_nojs_at(tab_nojs, LISTS + "tri/recentes/2/"))
    expected = [slug for slug in every if slug in agency][:5]
    assert shown(page) == expected
    page.reload()
    page.wait_for_selector(".facets[data-ready]", state="attached")
    page.wait_for_function("n => document.querySelectorAll('.facets__list > li').length === n", arg=len(expected))
    assert shown(page) == expected
    assert not problems, problems


def tab_nojs_at(page: Page, path: str) -> Page:
    page.goto(path)
    return page


FACET_PAGES = [LISTS, LISTS + "2/", LISTS + "categorie/stationnement/", LISTS + "origine/citizen/",
               LISTS + "tri/reponses/", SEARCH]


@pytest.mark.parametrize("path", FACET_PAGES)
def test_list_and_search_pages_have_no_axe_violation_without_javascript(browser: Browser, site: str,
                                                                        path: str) -> None:
    # axe needs JavaScript: the page is left as without it by keeping the site's own scripts away.
    page, _ = open_tab(browser, site, axe=True)
    page.route(re.compile(r".*/(static/[a-z]+\.js|pagefind/.*)$"), lambda route: route.abort())
    response = page.goto(path)
    assert response is not None and response.status == 200
    violations = axe_violations(page)
    page.context.close()
    assert not violations, f"{path}:\n" + "\n".join(violations)


def test_list_pages_have_no_axe_violation_with_javascript_after_choices(browser: Browser, site: str) -> None:
    page, problems = open_tab(browser, site, axe=True)
    ready(page, LISTS)
    page.locator(".facets__controls a[data-facet='categorie']").first.click()
    page.locator(".facets__controls a[data-sort='reponses']").click()
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    page.goto(SEARCH + "?q=" + PUBLISHED_WORD)
    page.wait_for_selector(".search__result")
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    assert not problems, problems


def search(page: Page, word: str) -> list[str]:
    """The search page, as a citizen uses it: type, send; the links of the results."""
    page.goto(SEARCH)
    form = page.locator("form.search")
    form.wait_for(state="visible")
    form.locator("input[name=q]").fill(word)
    form.locator("button[type=submit]").click()
    page.wait_for_function("() => /résultats? pour/.test(document.querySelector('.search__status').textContent)")
    return page.locator(".search__result a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def test_search_finds_a_published_proposal_and_never_a_pending_or_rejected_contribution(
        tab: tuple[Page, list[str]]) -> None:
    page, problems = tab
    found = search(page, PUBLISHED_WORD)
    assert found == [f"/consultations/plan-velo/proposals/{WITNESS}/"], found
    assert "1 résultat pour" in page.locator(".search__status").inner_text()
    assert page.locator(".search__result mark").first.inner_text().lower().strip(".") == PUBLISHED_WORD
    assert search(page, "passerelle"), "a word of a demo proposal's own text finds nothing"
    assert search(page, PENDING_WORD) == []
    assert search(page, REJECTED_WORD) == []
    assert not problems, problems  # WebAssembly ran under the published CSP


def test_without_javascript_the_search_page_explains_and_links_to_the_lists(tab_nojs: Page) -> None:
    tab_nojs.goto(SEARCH)
    assert not tab_nojs.locator("form.search").is_visible()
    assert "JavaScript" in tab_nojs.locator(".search__nojs").inner_text()
    links = tab_nojs.locator(".search__fallback a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert LISTS in links and "/" in links
    assert tab_nojs.locator(".site-nav a[href='/recherche/']").count() == 1


def test_without_an_index_the_search_page_says_search_is_unavailable(tab: tuple[Page, list[str]]) -> None:
    page, _ = tab
    page.route("**/pagefind/pagefind.js", lambda route: route.fulfill(status=404, body="not found"))
    page.goto(SEARCH)
    page.locator(".search__unavailable").wait_for(state="visible")
    assert not page.locator("form.search").is_visible()
    assert not page.locator(".search__nojs").is_visible()
    assert page.locator(f".search__fallback a[href='{LISTS}']").is_visible()

"""A citizen's idea becomes a proposal, in a real browser, JavaScript on and off: propose -> pull ->
approve -> build -> "Proposée par …" -> another citizen supports and comments -> pull -> counts ->
`consult respond` -> build -> the answer and the history show; an answer dated later waits (--now)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import NOW, OPEN, DemoServer
from tests.browser.test_journey import publish, pulled, support_count, wait_like_a_person

pytestmark = pytest.mark.browser
TODAY = datetime.fromisoformat(NOW).date()
LATER = TODAY + timedelta(days=9)


def send(page: Page, form: str, kind: str, thanks: bool = True) -> None:
    """Click the form's button like a person; without JavaScript a support asks for a second click."""
    wait_like_a_person(page, kind)
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").click()
    if kind == "support" and "/thanks/" not in page.url:
        time.sleep(1.5)  # the page asking for the confirming click carries a fresh time token
        with page.expect_navigation():
            page.locator(f"{form} button[type=submit]").click()
    assert ("/thanks/" in page.url) == thanks, f"after sending {kind}: {page.url}\n{page.locator('main').inner_text()[:500]}"


def propose(page: Page, marker: str) -> None:
    page.goto(OPEN)
    form = page.locator("#proposal-form")
    send_empty = form.locator("input[name=title]")
    form.locator("textarea[name=body]").fill(f"Un abri pour les vélos près du collège. {marker}")
    send(page, "#proposal-form", "proposal", thanks=False)  # no title: the form comes back, text kept
    assert page.locator("#proposal-title-error").inner_text().endswith("Donnez un titre à votre proposition.")
    assert marker in page.locator("#proposal-form textarea[name=body]").input_value()
    send_empty.fill(f"Un abri à vélos {marker}")
    form.locator("select[name=category]").select_option("stationnement")
    form.locator("input[name=author]").fill("Zoé <i>R</i>")
    form.locator("input[name=email]").fill("zoe@example.org")
    send(page, "#proposal-form", "proposal")
    assert page.url.endswith(f"/thanks/?back={OPEN}"), page.url


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_citizen_idea_becomes_an_answered_proposal(server: DemoServer, request: pytest.FixtureRequest,
                                                     javascript: bool, tmp_path: Path) -> None:
    tab: Page = request.getfixturevalue("page" if javascript else "page_nojs")
    marker = f"idee-{'js' if javascript else 'nojs'}-{uuid.uuid4().hex[:8]}"
    propose(tab, marker)
    server.consult("pull")
    contribution = pulled(server, marker)
    assert (contribution["kind"], contribution["category"], contribution["status"]) == (
        "proposal", "stationnement", "pending")
    server.consult("moderate", "approve", str(contribution["id"]))
    slug = str(pulled(server, marker)["proposal"])
    server.rebuild()

    url = f"{OPEN}proposals/{slug}/"
    tab.goto(url)
    assert tab.locator("h1").inner_text() == f"Un abri à vélos {marker}"
    assert tab.locator(".proposed-by bdi").inner_text() == "Zoé <i>R</i>"  # shown as text, not markup
    assert tab.locator(".proposed-by").inner_text().startswith("Proposée par Zoé <i>R</i> le ")
    assert "zoe@example.org" not in tab.content()
    # The consultation's page shows its most supported proposals; its lists show them all, the newest first here.
    tab.goto(OPEN + "propositions/tri/recentes/")
    assert tab.locator(f".facets__list a[href='{url}']").count() == 1
    assert tab.locator("main").inner_text().count(f"Un abri pour les vélos près du collège. {marker}") == 0

    # Another citizen supports and comments it, as they would an agency's proposal.
    tab.goto(url)
    assert support_count(tab) == 0
    send(tab, "form.form--support", "support")
    tab.goto(url)
    comment = f"commentaire-{marker}"
    tab.locator("#comment-form textarea[name=body]").fill(f"Oui, et couvert. {comment}")
    send(tab, "#comment-form", "comment")
    publish(server, comment)
    tab.goto(url)
    assert support_count(tab) == 1 and comment in tab.locator("main").inner_text()

    # The agency answers today, then schedules a second answer for later.
    answer = tmp_path / "reponse.md"
    answer.write_text(f"La Ville **retient** l’abri {marker}.\n", encoding="utf-8")
    server.consult("respond", slug, "--status", "retenue", "--response-file", str(answer),
                   "--note", "Vu en commission", "--date", TODAY.isoformat())
    server.rebuild()
    tab.goto(url)
    response = tab.locator(".response")
    assert f"La Ville retient l’abri {marker}." in response.inner_text()
    assert response.locator("strong").inner_text() == "retient"
    history = tab.locator(".history").text_content() or ""  # as written: a theme may show badges in capitals
    assert "Reçue" in history and "Retenue" in history and "Vu en commission" in history

    later = tmp_path / "plus-tard.md"
    later.write_text(f"Travaux terminés {marker}.\n", encoding="utf-8")
    server.consult("respond", slug, "--status", "mise-en-oeuvre", "--response-file", str(later),
                   "--note", "Abri posé", "--date", LATER.isoformat())
    server.rebuild()
    tab.goto(url)
    assert "Travaux terminés" not in tab.locator("main").inner_text() and "Abri posé" not in tab.content()
    assert "Retenue" in (tab.locator(".page-meta").first.text_content() or "")
    check = server.consult("check", "--now", NOW).stdout
    assert re.search(rf"Sous embargo jusqu'au {LATER.day} décembre {LATER.year}\s:\sla réponse officielle .*{slug}",
                     check), check
    out = tmp_path / "_site"
    server.consult("build", "--now", f"{LATER.isoformat()}T08:00", "--no-cache", "--out", str(out))
    page_later = (out / url.strip("/") / "index.html").read_text(encoding="utf-8")
    assert f"Travaux terminés {marker}." in page_later and "Abri posé" in page_later

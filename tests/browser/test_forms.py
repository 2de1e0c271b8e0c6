"""A citizen's mistakes: the handler re-displays the form with an error summary that takes
focus, each error tied to its field, and every character the citizen typed kept."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import OPEN, PROPOSAL, THANKS, DemoServer, tick, vnu_errors

pytestmark = pytest.mark.browser

# Markup, entities, quotes, typographic French, emoji, blank lines and inner indentation:
# everything must come back exactly as typed, inert.
TRICKY = ("Rue des Tanneurs & quai <b>Nord</b> — « vite » ! l’été, 100 % \"sûr\" 'ok' &amp; 🚲\n"
          "\n"
          "   deuxième paragraphe indenté <script>alert(1)</script>\n"
          "fin")
TITLE = "Des arceaux <près> de l’école & du marché"
AUTHOR = "Zoé L’Hôte-Ünal"
EMAIL = "zoe@example.org"


def described_by_texts(page: Page, selector: str) -> list[str]:
    return page.evaluate(
        """sel => {
            const el = document.querySelector(sel);
            const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
            return ids.map(id => { const d = document.getElementById(id); return d ? d.textContent.trim() : '<missing #' + id + '>'; });
        }""", selector)


def test_required_answer_missing_shows_errors_and_keeps_every_character(page: Page) -> None:
    page.goto(OPEN)
    form = page.locator("#answers-form")
    # q_frequence (required, single choice) left empty on purpose; the rest answered.
    tick(form.locator("input[name=q_freins]").nth(0))
    tick(form.locator("input[name=q_freins]").nth(2))
    tick(form.locator("input[name='q_securite-ressentie'][value='2']"))
    form.locator("textarea[name=q_priorite]").fill(TRICKY)
    form.locator("input[name=author]").fill(AUTHOR)
    form.locator("input[name=email]").fill(EMAIL)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    summary = page.locator("[data-error-summary]")
    assert summary.count() == 1, "no error summary on the re-displayed form"
    assert page.evaluate("!!document.activeElement.closest('[data-error-summary]')"), \
        "focus was not moved to the error summary"
    assert summary.evaluate("el => el.matches('[role=alert]') || !!el.querySelector('[role=alert]')"), \
        "the summary is not announced (no role=alert)"
    assert page.title().startswith("Erreur"), f"the title does not say there is an error: {page.title()}"

    links = summary.locator("a")
    assert links.count() >= 1
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href") or ""
        message = links.nth(i).inner_text().strip()
        target = page.locator(href)
        assert target.count() == 1, f"the error link {href} points nowhere"
        # The error is announced with the field: through aria-describedby on the control
        # or, for a group of radios or checkboxes, on its fieldset.
        holder = href if target.evaluate("el => el.type !== 'radio' && el.type !== 'checkbox'") else \
            f"fieldset:has({href})"
        texts = described_by_texts(page, holder)
        assert any(message in text for text in texts), \
            f"the error {message!r} is not tied to {holder} (aria-describedby: {texts})"
        assert target.get_attribute("aria-invalid") == "true", f"{href} is not marked aria-invalid"
    assert "q_frequence" in " ".join(links.nth(i).get_attribute("href") or "" for i in range(links.count()))

    form = page.locator("form").filter(has=page.locator("input[name=kind][value=answers]"))
    assert form.locator("textarea[name=q_priorite]").input_value() == TRICKY
    assert form.locator("input[name=author]").input_value() == AUTHOR
    assert form.locator("input[name=email]").input_value() == EMAIL
    assert [c.is_checked() for c in form.locator("input[name=q_freins]").all()][:3] == [True, False, True]
    assert form.locator("input[name='q_securite-ressentie'][value='2']").is_checked()
    assert page.locator("script:text('alert(1)')").count() == 0, "citizen text became markup"


def test_an_idea_needs_no_answer_to_the_questionnaire_and_keeps_its_text(page_nojs: Page) -> None:
    """Idea and questionnaire are two forms: a title and a text are enough for an idea, even where the
    questionnaire has required questions (it said "Il y a 3 problèmes" when they were one form)."""
    page = page_nojs
    page.goto(OPEN)
    assert page.locator("#suggestion-form [name^=q_]").count() == 0
    assert page.locator("#answers-form [name^=q_][required]").count() > 0
    form = page.locator("#suggestion-form")
    form.locator("input[name=title]").fill(TITLE)
    form.locator("textarea[name=body]").fill(TRICKY)
    form.locator("input[name=email]").fill("pas-une-adresse")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    # One problem, the e-mail: no question is asked of an idea. Everything typed is kept.
    summary = page.locator("[data-error-summary]")
    assert summary.locator("li").all_inner_texts() == [
        "Saisissez une adresse électronique valide, par exemple nom@exemple.fr, ou laissez ce champ vide."]
    assert page.locator("input[name=title]").input_value() == TITLE
    assert page.locator("textarea[name=body]").input_value() == TRICKY
    page.locator("input[name=email]").fill("")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert page.url.endswith(f"{THANKS}?back={OPEN}"), page.url
    assert page.locator("h1").inner_text() == "Merci pour votre contribution"


def test_empty_comment_without_javascript_shows_the_tied_error(page_nojs: Page) -> None:
    page = page_nojs
    page.goto(PROPOSAL)
    form = page.locator("#comment-form")
    form.locator("input[name=author]").fill(AUTHOR)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    assert summary.count() == 1
    # Without JavaScript, focus still lands on the summary (autofocus), so it is read first.
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
    href = summary.locator("a").first.get_attribute("href") or ""
    assert page.locator(href).get_attribute("name") == "body"
    assert any(summary.locator("a").first.inner_text().strip() in t for t in described_by_texts(page, href))
    assert page.locator("input[name=author]").input_value() == AUTHOR


def test_handler_pages_are_valid_html(server: DemoServer, tmp_path: Path) -> None:
    """The pages the form handler writes (not in _site/) pass the Nu HTML Checker too."""

    def fetch(path: str, data: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with urllib.request.urlopen(server.url + path, data=body, timeout=10) as response:
                return str(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:  # 4xx pages are the point here
            return str(error.read().decode("utf-8"))

    pages = {
        "suggestion-errors": fetch("/api/submit", {"kind": "suggestion", "consultation": "plan-velo", "title": "x"}),
        "answers-errors": fetch("/api/submit", {"kind": "answers", "consultation": "plan-velo", "q_priorite": "x"}),
        "comment-errors": fetch("/api/submit", {"kind": "comment", "consultation": "plan-velo",
                                                "proposal": "arceaux-gare", "author": "Noé"}),
        "closed-refusal": fetch("/api/submit", {"kind": "suggestion", "consultation": "parc-des-berges",
                                                "body": "Trop tard ?"}),
        "malformed": fetch("/api/submit", {"kind": "suggestion", "consultation": "inconnue"}),
        "api-not-found": fetch("/api/nulle-part"),
    }
    for name, text in pages.items():
        assert text.lstrip().lower().startswith("<!doctype html>"), f"{name}: not an HTML page: {text[:200]}"
    errors = vnu_errors(pages, tmp_path)
    assert not errors, "\n".join(errors)

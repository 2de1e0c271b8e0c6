"""axe-core finds no WCAG 2.0 / 2.1 A or AA violation on any page type or state of the demo site."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import (CLOSED, CLOSED_PROPOSAL, COMMENTED, COMMENTS_7, CONTENT_PAGE, CONTRIBUTIONS,
                                    CONTRIBUTIONS_2, HOME, MISSING, NARROW, OPEN, OPEN_DATA, PHONE, PROPOSAL, STATEMENT,
                                    THANKS, THANKS_SUPPORT, UPCOMING, DemoServer, axe_violations, new_page,
                                    submit_empty_suggestion)

pytestmark = pytest.mark.browser

PAGES = {
    "home": HOME,
    "open consultation": OPEN,
    "upcoming consultation": UPCOMING,
    "closed consultation with synthesis": CLOSED,
    "proposal (open)": PROPOSAL,
    "proposal (closed, with response)": CLOSED_PROPOSAL,
    "contributions list": CONTRIBUTIONS,
    "contributions list, page 2": CONTRIBUTIONS_2,
    "content page": CONTENT_PAGE,
    "accessibility statement": STATEMENT,
    "thank-you": THANKS,
    "thank-you for a support": THANKS_SUPPORT,
    "thank-you, already supported": "/thanks/supported/",
    "proposal with many pages of comments": COMMENTED,
    "comments, page 7 of 52": COMMENTS_7,
    "open data": OPEN_DATA,
    "results (open, live)": "/consultations/plan-velo/resultats/",
    "results (closed)": "/consultations/parc-des-berges/resultats/",
    "text answers of a question": "/consultations/plan-velo/resultats/priorite/",
    "citizen proposal, answered": "/consultations/plan-velo/proposals/atelier-reparation-velo/",
    # The support goal's meter is on the home page, OPEN and PROPOSAL (which a duplicate was merged into).
    "proposal merged into another": "/consultations/plan-velo/proposals/abri-velos-gare/",
    "moderation report (post-moderation)": "/consultations/parc-des-berges/moderation/",
    "moderation report (pre-moderation)": "/consultations/plan-velo/moderation/",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_page_has_no_axe_violation(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    violations = axe_violations(page)
    assert not violations, f"{path}:\n" + "\n".join(violations)


def test_not_found_page_has_no_axe_violation(page: Page) -> None:
    response = page.goto(MISSING)
    assert response is not None and response.status == 404
    violations = axe_violations(page)
    assert not violations, "404:\n" + "\n".join(violations)


def test_form_with_errors_has_no_axe_violation(page: Page) -> None:
    submit_empty_suggestion(page)
    violations = axe_violations(page)
    assert not violations, "form with errors:\n" + "\n".join(violations)


def post_from_page(page: Page, fields: dict[str, str]) -> None:
    """Send a form the way a browser does (a real navigation), with fields no page offers."""
    with page.expect_navigation():
        page.evaluate("""fields => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/api/submit';
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }""", fields)


@pytest.mark.parametrize("path,form", [(PROPOSAL, "comment-form"), (OPEN, "answers-form"), (OPEN, "proposal-form")],
                         ids=["comment", "questionnaire", "citizen proposal"])
def test_other_forms_with_errors_have_no_axe_violation(page: Page, path: str, form: str) -> None:
    page.goto(path)
    with page.expect_navigation():
        page.locator(f"#{form} button[type=submit]").click()
    assert page.locator("[data-error-summary]").count() == 1
    violations = axe_violations(page)
    assert not violations, f"{form} with errors:\n" + "\n".join(violations)


def test_handler_notice_has_no_axe_violation(page: Page) -> None:
    """A suggestion for a closed consultation: the handler's polite refusal, text kept."""
    page.goto(CLOSED)
    post_from_page(page, {"kind": "suggestion", "consultation": "parc-des-berges", "body": "Trop tard ?"})
    assert "Trop tard ?" in page.content()
    violations = axe_violations(page)
    assert not violations, "refusal notice:\n" + "\n".join(violations)


@pytest.mark.parametrize("path,viewport", [(HOME, PHONE), (OPEN, PHONE), (PROPOSAL, PHONE), (CLOSED_PROPOSAL, NARROW),
                                           (COMMENTS_7, NARROW), ("/consultations/plan-velo/resultats/", NARROW)],
                         ids=["home", "open consultation", "proposal", "proposal with history at 320 px",
                              "comments page 7 at 320 px", "results at 320 px"])
def test_phone_width_has_no_axe_violation(browser: Browser, server: DemoServer, path: str, viewport: dict[str, int]) -> None:
    tab = new_page(browser, server, viewport=viewport)  # type: ignore[arg-type]
    try:
        tab.goto(path)
        violations = axe_violations(tab)
    finally:
        tab.context.close()
    assert not violations, f"{path} at {viewport['width']} px:\n" + "\n".join(violations)



def test_report_form_open_and_refused_has_no_axe_violation(page: Page) -> None:
    """A post-moderated consultation (the demo's parc-des-berges): each published item has a
    "Signaler ce contenu" disclosure; opened, then sent without a reason, the handler shows the
    form again with its error and the note typed; the thank-you page too."""
    page.goto(CLOSED)
    summaries = page.locator("details.report > summary")
    assert summaries.count() >= 1
    summaries.first.click()  # the keyboard and a mouse open a <details> alike; no script needed
    form = page.locator("details.report[open] form.form--report")
    assert form.count() == 1
    violations = axe_violations(page)
    assert not violations, "report form opened:\n" + "\n".join(violations)
    form.locator("textarea[name=body]").fill("Texte à garder")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("[data-error-summary]").count() == 1 and "Texte à garder" in page.content()
    violations = axe_violations(page)
    assert not violations, "report form with errors:\n" + "\n".join(violations)
    page.select_option("select[name=reason]", "hors-sujet")
    with page.expect_navigation():
        page.locator("form.form--report button[type=submit]").click()
    assert "/thanks/report/" in page.url
    violations = axe_violations(page)
    assert not violations, "thank-you for a report:\n" + "\n".join(violations)


@pytest.mark.parametrize("path", [HOME, OPEN, "/consultations/plan-velo/proposals/passerelle-loire/"])
def test_support_goal_meter_is_named_by_its_visible_text(page: Page, path: str) -> None:
    """Chromium's accessibility tree: each meter is a 'meter' named by the text beside it, which is
    visible; a proposal past the goal says so in words."""
    page.goto(path)
    meter = page.get_by_role("meter", name="301 soutiens sur 250")
    assert meter.count() == 1 and meter.get_attribute("value") == "250"
    assert page.get_by_text("301 soutiens sur 250", exact=True).is_visible()
    assert page.locator(".support-goal", has=meter).get_by_text("Objectif atteint").is_visible()
    if path == OPEN:
        assert page.get_by_role("meter", name="214 soutiens sur 250").get_attribute("value") == "214"

"""axe-core finds no WCAG 2.0 / 2.1 A or AA violation on any page type or state of the demo site."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (CLOSED, CLOSED_PROPOSAL, CONTENT_PAGE, CONTRIBUTIONS, CONTRIBUTIONS_2, HOME,
                                    MISSING, OPEN, PROPOSAL, STATEMENT, THANKS, UPCOMING, axe_violations,
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

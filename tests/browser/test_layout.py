"""Nothing overflows horizontally at phone (360 px) or desktop (1280 px) width, on any page type;
the README's screenshots are taken here."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import (CLOSED, CLOSED_PROPOSAL, CONTENT_PAGE, CONTRIBUTIONS, DESKTOP, HOME, MISSING,
                                    OPEN, OPEN_DATA, PHONE, PROPOSAL, SCREENSHOTS, STATEMENT, THANKS, UPCOMING, DemoServer,
                                    new_page, submit_empty_suggestion)

pytestmark = pytest.mark.browser

PAGES = {
    "home": HOME, "open": OPEN, "upcoming": UPCOMING, "closed": CLOSED, "proposal": PROPOSAL,
    "closed-proposal": CLOSED_PROPOSAL, "contributions": CONTRIBUTIONS, "content": CONTENT_PAGE,
    "statement": STATEMENT, "thanks": THANKS, "404": MISSING, "open data": OPEN_DATA,
}
SCREENSHOT_OF = {HOME: "home", OPEN: "consultation", PROPOSAL: "proposal"}
WIDTHS = {"mobile": PHONE, "desktop": DESKTOP}

OVERFLOW = """() => {
    const width = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .filter(el => !el.closest('.visually-hidden, .honeypot, .skip-link'))
        .slice(0, 5)
        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
                   + ' right=' + Math.round(el.getBoundingClientRect().right));
    return {scroll: document.documentElement.scrollWidth, inner: width, wide};
}"""


@pytest.fixture(scope="module", params=WIDTHS.keys())
def sized_page(request: pytest.FixtureRequest, browser: Browser, server: DemoServer) -> Page:
    tab = new_page(browser, server, viewport=WIDTHS[request.param])
    request.addfinalizer(tab.context.close)
    tab.width_name = request.param  # type: ignore[attr-defined]
    return tab


def assert_no_overflow(page: Page, what: str) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["inner"], (
        f"{what}: the page is {found['scroll']} px wide in a {found['inner']} px window; "
        f"wider elements: {', '.join(found['wide']) or 'none found'}")


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_horizontal_overflow(sized_page: Page, path: str) -> None:
    sized_page.goto(path)
    assert_no_overflow(sized_page, f"{path} at {sized_page.viewport_size}")
    name = SCREENSHOT_OF.get(path)
    if name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        sized_page.screenshot(path=str(SCREENSHOTS / f"{name}-{sized_page.width_name}.png"))  # type: ignore[attr-defined]


def test_form_with_errors_does_not_overflow(sized_page: Page) -> None:
    submit_empty_suggestion(sized_page)
    assert_no_overflow(sized_page, f"form with errors at {sized_page.viewport_size}")

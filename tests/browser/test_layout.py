"""Nothing overflows horizontally at phone (360 px) or desktop (1280 px) width, on any page type;
the README's screenshots are taken here."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import (CLOSED, CLOSED_PROPOSAL, COMMENTS_7, CONTENT_PAGE, CONTRIBUTIONS, DESKTOP, HOME,
                                    MISSING, NARROW, OPEN, OPEN_DATA, PAGINATION, PHONE, PROPOSAL, SCREENSHOTS, STATEMENT,
                                    THANKS, THANKS_SUPPORT, UPCOMING, DemoServer, new_page, submit_empty_suggestion)

pytestmark = pytest.mark.browser

PAGES = {
    "home": HOME, "open": OPEN, "upcoming": UPCOMING, "closed": CLOSED, "proposal": PROPOSAL,
    "closed-proposal": CLOSED_PROPOSAL, "contributions": CONTRIBUTIONS, "content": CONTENT_PAGE,
    "statement": STATEMENT, "thanks": THANKS, "404": MISSING, "open data": OPEN_DATA,
    "thanks-support": THANKS_SUPPORT, "comments-7": COMMENTS_7,
}
SCREENSHOT_OF = {HOME: "home", OPEN: "consultation", PROPOSAL: "proposal"}
WIDTHS = {"narrow": NARROW, "mobile": PHONE, "desktop": DESKTOP}

OVERFLOW = """() => {
    const width = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .filter(el => !el.closest('.visually-hidden, .fr-sr-only, .honeypot, .skip-link, .fr-skiplinks'))
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
    tab.theme = server.theme  # type: ignore[attr-defined]
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
    if name and sized_page.theme != "default":  # type: ignore[attr-defined]
        name = f"{sized_page.theme}-{name}"  # type: ignore[attr-defined]
    if name and sized_page.width_name != "narrow":  # type: ignore[attr-defined]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        sized_page.screenshot(path=str(SCREENSHOTS / f"{name}-{sized_page.width_name}.png"))  # type: ignore[attr-defined]


def test_form_with_errors_does_not_overflow(sized_page: Page) -> None:
    submit_empty_suggestion(sized_page)
    assert_no_overflow(sized_page, f"form with errors at {sized_page.viewport_size}")


# Every word of these elements, as the browser laid it out: a word drawn on two lines was split.
# A break right after a hyphen ("2027-" / "2028") is a normal line break, not a split word.
SPLIT_WORDS = """selector => {
    const split = [];
    for (const root of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.data.matchAll(/[^\\s\\-\u2010\u2013]+[\\-\u2010\u2013]?/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (lines.size > 1) split.push(match[0]);
            }
        }
    }
    return split;
}"""
WORDS_IN = ".history, .prose table, .badge, .fr-badge, .pagination, .fr-pagination, .card__meta"


@pytest.mark.parametrize("path", [CLOSED_PROPOSAL, CLOSED, PROPOSAL], ids=["history", "synthesis table", "proposal"])
@pytest.mark.parametrize("viewport", [NARROW, PHONE], ids=["320", "360"])
def test_no_word_is_split_across_lines_on_a_phone(browser: Browser, server: DemoServer, path: str,
                                                  viewport: dict[str, int]) -> None:
    tab = new_page(browser, server, viewport=viewport)  # type: ignore[arg-type]
    try:
        tab.goto(path)
        assert tab.locator(WORDS_IN).count(), f"{path}: nothing to check"
        split = tab.evaluate(SPLIT_WORDS, WORDS_IN)
    finally:
        tab.context.close()
    assert not split, f"{path} at {viewport['width']} px splits these words: {split}"


def test_the_word_check_sees_a_squeezed_table(browser: Browser) -> None:
    """The check above would have caught the old status table ("Ret/enu/e" at 360 px)."""
    squeezed = ("<style>td{overflow-wrap:anywhere}</style><table class='history' style='width:200px'><tr>"
                "<td>10 novembre 2026</td><td>Retenue</td><td>" + "Une longue précision " * 8 + "</td></tr></table>")
    tab = browser.new_page(viewport=NARROW)
    try:
        tab.set_content(squeezed)
        assert tab.evaluate(SPLIT_WORDS, ".history")
    finally:
        tab.close()


def test_fifty_pages_of_comments_show_a_short_pagination_at_320_px(browser: Browser, server: DemoServer) -> None:
    tab = new_page(browser, server, viewport=NARROW)
    try:
        tab.goto(COMMENTS_7)
        total = int(tab.locator("main .page-meta").inner_text().split()[-1])  # "page 7 sur 53"
        assert total >= 50
        items = [" ".join(t.split()) for t in tab.locator(f"{PAGINATION} li").all_text_contents()]
        assert items == ["Page précédente", "Page 1", "…", "Page 6", "Page 7", "Page 8", "…", f"Page {total}",
                         "Page suivante"]
        assert " ".join(tab.locator(f"{PAGINATION} a[aria-current=page]").text_content().split()) == "Page 7"
        assert_no_overflow(tab, f"{COMMENTS_7} at 320 px")
        height = tab.evaluate(f"document.querySelector('{PAGINATION}').getBoundingClientRect().height")
        assert height < 200, f"the pagination takes {height} px at 320 px"
    finally:
        tab.context.close()

"""Keyboard only: Tab reaches every link and control in document order, each with a visible
focus indicator; the skip link comes first and works; the honeypot is never reached."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import CLOSED, CONTRIBUTIONS, HOME, OPEN, PROPOSAL, STATEMENT, submit_empty_suggestion

pytestmark = pytest.mark.browser

# Everything a keyboard user should reach: links, and every enabled, rendered control.
# For a radio group only one radio is a tab stop, so groups are compared by name.
FOCUSABLE = """() => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]';
    // checkVisibility: a closed <details>'s content (a report form) is laid out yet not rendered.
    const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
        && el.checkVisibility();
    return [...document.querySelectorAll(selector)]
        .filter(el => !el.disabled && el.tabIndex >= 0 && shown(el) && !el.closest('[aria-hidden=true], [inert]'))
        .map(el => el.type === 'radio' ? 'radio:' + el.name : (el.dataset.kbd = el.dataset.kbd || String(Math.random()), el.dataset.kbd));
}"""

# The focused element: its key (as above), where it sits in the document, how its focus looks.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    el.dataset.kbd = el.dataset.kbd || String(Math.random());
    const all = [...document.querySelectorAll('*')];
    const style = getComputedStyle(el);
    return {
        key: el.type === 'radio' ? 'radio:' + el.name : el.dataset.kbd,
        id: el.dataset.kbd,
        position: all.indexOf(el),
        describe: el.outerHTML.slice(0, 120),
        honeypot: !!el.closest('.honeypot') || el.name === 'website',
        positiveTabindex: el.tabIndex > 0,
        focus: [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' | '),
        outlineVisible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1,
        shadow: style.boxShadow !== 'none',
    };
}"""

UNFOCUSED_STYLE = """id => {
    const el = document.querySelector(`[data-kbd="${id}"]`);
    const style = getComputedStyle(el);
    return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' | ');
}"""


def tab_through(page: Page, limit: int = 300) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves the document or comes back round."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and focused["id"] == stops[0]["id"]):
            return stops
        stops.append(focused)
    pytest.fail(f"focus still moving after {limit} Tab presses")


@pytest.mark.parametrize("path", [HOME, OPEN, PROPOSAL, CLOSED, CONTRIBUTIONS, STATEMENT])
def test_tab_reaches_everything_in_order_with_visible_focus(page: Page, path: str) -> None:
    page.goto(path)
    expected = list(dict.fromkeys(page.evaluate(FOCUSABLE)))
    stops = tab_through(page)
    reached = [stop["key"] for stop in stops]

    assert not [s["describe"] for s in stops if s["honeypot"]], "the honeypot took keyboard focus"
    assert not [s["describe"] for s in stops if s["positiveTabindex"]], "positive tabindex breaks the order"
    positions = [stop["position"] for stop in stops]
    assert positions == sorted(positions), "the tab order is not the document order:\n" + \
        "\n".join(s["describe"] for s in stops)
    missing = [key for key in expected if key not in reached]
    assert not missing, f"{len(missing)} links or controls never took focus on {path}: " + \
        ", ".join(page.evaluate("k => k.map(x => x.startsWith('radio:') ? x : "
                                "document.querySelector(`[data-kbd=\"${x}\"]`).outerHTML.slice(0, 100))", missing))
    assert reached[0] == expected[0] and 'href="#main"' in stops[0]["describe"], \
        f"the first tab stop is not the skip link: {stops[0]['describe']}"

    invisible = [s["describe"] for s in stops if not (s["outlineVisible"] or s["shadow"])]
    assert not invisible, "no visible focus indicator on:\n" + "\n".join(invisible)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    unchanged = [s["describe"] for s in stops if page.evaluate(UNFOCUSED_STYLE, s["id"]) == s["focus"]]
    assert not unchanged, "focus does not change how these look:\n" + "\n".join(unchanged)


def test_skip_link_moves_focus_to_the_main_content(page: Page) -> None:
    page.goto(OPEN)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"  # the skip link
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0"), "the skip link stays off screen on focus"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), "Tab after the skip link left the main content"


def test_form_with_errors_is_keyboard_reachable(page: Page) -> None:
    submit_empty_suggestion(page)
    stops = tab_through(page)
    assert not [s for s in stops if s["honeypot"]], "the honeypot took keyboard focus"
    links = page.locator("[data-error-summary] a")
    assert links.count() >= 1
    # Following an error link with the keyboard lands on the field in error.
    links.first.focus()
    page.keyboard.press("Enter")
    target = links.first.get_attribute("href")
    assert target and page.evaluate("document.activeElement.id") == target.lstrip("#")

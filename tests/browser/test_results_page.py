"""The results page in a real browser: legible at 320 px, and printed without navigation, with charts
kept beside their tables and the address of each link written out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import NARROW, DemoServer, new_page

pytestmark = pytest.mark.browser

RESULTS = "/consultations/plan-velo/resultats/"


def test_results_at_320_px_do_not_scroll_sideways_and_chart_text_stays_legible(browser: Browser,
                                                                                 server: DemoServer) -> None:
    tab = new_page(browser, server, viewport=NARROW)
    try:
        tab.goto(RESULTS)
        assert tab.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
        sizes = tab.evaluate("""[...document.querySelectorAll('svg.chart text')].map(t => {
            const box = t.getBoundingClientRect(); return box.height; })""")
        assert sizes and min(sizes) >= 11, f"chart text rendered {min(sizes):.1f} px high at 320 px"
    finally:
        tab.context.close()


def test_print_hides_navigation_keeps_figures_whole_and_shows_link_addresses(page: Page) -> None:
    page.goto(RESULTS)
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('body > header')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('body > footer')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.results-figure')).breakInside") == "avoid"
    after = page.evaluate("getComputedStyle(document.querySelector('main a[href=\"/data/\"]'), '::after').content")
    assert "/data/" in after
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000

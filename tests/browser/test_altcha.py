"""ALTCHA on (`forms.altcha: true`): the theme shows the widget, served by the site itself under
the site's own Content-Security-Policy, it solves the handler's challenge when the form is sent,
and the submission goes through clean; without JavaScript it still goes through, flagged."""

from __future__ import annotations

import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from consult.inbox import open_inbox
from tests.browser.conftest import (
    DESKTOP, OPEN, PROPOSAL, THANKS, DemoServer, axe_violations, new_page, serving_demo, vnu_errors,
)
from tests.conftest import REPO

pytestmark = pytest.mark.browser


def altcha_on(root: Path) -> None:
    config = root / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("forms:\n", "forms:\n  altcha: true\n", 1),
                      encoding="utf-8")


@pytest.fixture(scope="module")
def altcha_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serving_demo(tmp_path_factory, "altcha", altcha_on) as demo:
        yield demo


def site_csp() -> str:
    """The Content-Security-Policy the site is published with (netlify.toml)."""
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    return str(config["headers"][0]["values"]["Content-Security-Policy"])


def open_page(browser: Browser, server: DemoServer, javascript: bool, requests: list[str]) -> Page:
    """A tab where the static pages carry the published CSP (`consult serve` sends none)."""
    context = browser.new_context(base_url=server.url, java_script_enabled=javascript, viewport=DESKTOP,
                                  locale="fr-FR")
    context.set_default_timeout(20_000)

    def with_csp(route: Route) -> None:
        if route.request.resource_type != "document" or "/api/" in route.request.url:
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": site_csp()})

    context.route("**/*", with_csp)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    return page


def row_with(server: DemoServer, marker: str) -> tuple[str, str]:
    inbox = open_inbox("sqlite:///.consult/inbox.sqlite3", server.root)
    try:
        [row] = [r for r in inbox.all() if marker in r.body]
        return row.flags, row.quarantine
    finally:
        inbox.close()


def send_suggestion(page: Page, marker: str, wait_for_token: bool) -> None:
    page.goto(OPEN)
    form = page.locator("#suggestion-form")
    form.locator("input[name=title]").fill(f"Idée {marker}")
    form.locator("textarea[name=body]").fill(f"Un abri pour les vélos. {marker}")
    if wait_for_token:  # as long as a person would take, from when the token arrived
        page.wait_for_function("() => document.querySelector('#suggestion-form input[name=token]').value")
        time.sleep(3.5)
    with page.expect_navigation(timeout=60_000):
        form.locator("button[type=submit]").click()


def test_the_widget_appears_solves_on_send_and_the_submission_is_clean(browser: Browser,
                                                                      altcha_server: DemoServer) -> None:
    requests: list[str] = []
    page = open_page(browser, altcha_server, True, requests)
    response = page.goto(OPEN)
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    widget = page.locator("#suggestion-form altcha-widget")
    assert widget.count() == 1
    page.wait_for_function("() => !!customElements.get('altcha-widget')")
    assert widget.get_by_text("Je ne suis pas un robot").is_visible(), "the widget is not shown, or not in French"
    marker = f"altcha-{uuid.uuid4().hex[:8]}"
    send_suggestion(page, marker, wait_for_token=True)
    assert page.url.split("?")[0].endswith(THANKS), f"after sending: {page.url}\n{page.locator('main').inner_text()[:500]}"
    assert row_with(altcha_server, marker) == ("", ""), "the solution did not reach the handler"
    assert requests and all(url.startswith(altcha_server.url) for url in requests), \
        [url for url in requests if not url.startswith(altcha_server.url)]
    assert any(url.endswith("/static/altcha/workers/sha.js") for url in requests)
    page.context.close()


def test_without_javascript_the_submission_is_kept_and_flagged(browser: Browser, altcha_server: DemoServer) -> None:
    page = open_page(browser, altcha_server, False, [])
    marker = f"altcha-nojs-{uuid.uuid4().hex[:8]}"
    send_suggestion(page, marker, wait_for_token=False)
    assert page.url.split("?")[0].endswith(THANKS)
    flags, held = row_with(altcha_server, marker)
    assert "altcha" in flags.split(",") and held == ""
    page.context.close()


def test_a_page_with_the_widget_is_valid_html(altcha_server: DemoServer, tmp_path: Path) -> None:
    html = (altcha_server.root / "_site" / PROPOSAL.strip("/") / "index.html").read_text(encoding="utf-8")
    assert html.count("<altcha-widget") == 2
    errors = vnu_errors({"proposal-with-altcha": html}, tmp_path)
    assert not errors, "\n".join(errors)


def test_a_page_with_the_widget_passes_axe(browser: Browser, altcha_server: DemoServer) -> None:
    page = new_page(browser, altcha_server)
    page.goto(PROPOSAL)
    page.wait_for_function("() => document.querySelectorAll('altcha-widget .altcha-main').length === 2")
    assert axe_violations(page) == []
    page.context.close()

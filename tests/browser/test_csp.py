"""The Content-Security-Policy the sites ship (netlify.toml: default-src 'self', no inline script or
style) holds on every page type with every built-in theme: nothing is blocked, nothing is fetched
from another origin, and with the DSFR theme its own font (Marianne) and icons load from the site."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from playwright.sync_api import Browser, Route

from tests.browser.conftest import (CLOSED_PROPOSAL, DESKTOP, HOME, OPEN, REPO, DemoServer,
                                    submit_empty_suggestion)

pytestmark = pytest.mark.browser

RESULTS = "/consultations/plan-velo/resultats/"
RECORD_VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def shipped_policy() -> str:
    """The site's Content-Security-Policy, as netlify.toml sends it with every page."""
    config: dict[str, Any] = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    policies = [h["values"]["Content-Security-Policy"] for h in config.get("headers", [])
                if "Content-Security-Policy" in h.get("values", {})]
    assert len(policies) == 1, "netlify.toml should send one Content-Security-Policy"
    return str(policies[0])


@pytest.mark.parametrize("path", [HOME, OPEN, CLOSED_PROPOSAL, RESULTS, "form with errors"])
def test_pages_load_whole_under_the_shipped_policy(browser: Browser, server: DemoServer, path: str) -> None:
    policy = shipped_policy()
    context = browser.new_context(base_url=server.url, viewport=DESKTOP, locale="fr-FR")
    requested: list[str] = []

    def with_policy(route: Route) -> None:
        """The policy on each page (it governs what the page may load); everything else as served."""
        requested.append(route.request.url)
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    context.route("**/*", with_policy)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    try:
        if path == "form with errors":
            submit_empty_suggestion(page)  # the handler's page, with its error summary
        else:
            page.goto(path)
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready.then(() => true)")
        violations = page.evaluate("window.__violations")
        styled = page.evaluate("getComputedStyle(document.body).fontFamily")
        marianne = page.evaluate("document.fonts.check('1rem Marianne')")
        failed = page.evaluate("[...document.styleSheets].filter(s => { try { return !s.cssRules; } "
                               "catch (e) { return true; } }).map(s => s.href)")
    finally:
        context.unroute_all(behavior="ignoreErrors")
        context.close()
    assert not violations, f"{path}: the policy blocked {violations}"
    assert not failed, f"{path}: stylesheets not applied: {failed}"
    assert all(url.startswith(server.url) for url in requested), \
        f"{path}: requests to another origin: {[u for u in requested if not u.startswith(server.url)]}"
    if server.theme == "dsfr":
        assert styled.startswith("Marianne") and marianne, f"{path}: Marianne not loaded ({styled})"
    else:
        assert "Marianne" not in styled  # reserved to the State: never in the neutral theme

"""The citizen's whole journey, in a real browser, with JavaScript on and off:
read, contribute, get the thank-you page; then the editor pulls, approves and rebuilds,
and the contribution (or the support and the comment) is on the public page."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import yaml
from playwright.sync_api import Page

from tests.browser.conftest import HOME, OPEN, PROPOSAL, THANKS, DemoServer, tick

pytestmark = pytest.mark.browser

# The handler quarantines forms sent sooner than this after their time token was issued
# (consult/forms/guard.py: 3 s, 1 s for a support); a person takes longer, the test waits.
HUMAN_DELAY = {"suggestion": 3.5, "answers": 3.5, "comment": 3.5, "support": 1.5, "proposal": 3.5}


def wait_like_a_person(page: Page, kind: str) -> None:
    """Wait as long as a person would, counted from when the time token was seen in the form: the
    token is fetched after the page loaded, and on a busy machine that can take a while."""
    if not page.evaluate("() => document.querySelector('input[name=idempotency_key]').value"):
        return  # JavaScript off (consult.js fills the key at once): no token, nothing to wait for
    page.wait_for_function("() => document.querySelector('input[name=token]').value", timeout=15_000)
    time.sleep(HUMAN_DELAY[kind])  # the token was issued before it was seen


def pulled(server: DemoServer, marker: str) -> dict[str, object]:
    """The front matter of the one pulled contribution whose text holds `marker`."""
    found = []
    for path in (server.root / "content" / "consultations").glob("*/contributions/*.md"):
        text = path.read_text(encoding="utf-8")
        if marker in text:
            found.append((path, yaml.safe_load(text.split("---", 2)[1])))
    assert len(found) == 1, f"expected one pulled contribution holding {marker!r}, found {[p for p, _ in found]}"
    return dict(found[0][1])


def publish(server: DemoServer, *markers: str) -> None:
    """Editor's side: pull the inbox, approve these contributions, rebuild the site."""
    server.consult("pull")
    for marker in markers:
        assert pulled(server, marker)["status"] == "pending", f"{marker} was not pulled as pending"
    server.consult("moderate", "approve", *(str(pulled(server, marker)["id"]) for marker in markers))
    for marker in markers:
        assert pulled(server, marker)["status"] == "published", f"{marker} is not published after approval"
    server.rebuild()


def suggest(page: Page, marker: str, javascript: bool = True) -> None:
    """From the home page to the thank-you page, as a citizen does."""
    page.goto(HOME)
    with page.expect_navigation():
        page.locator(f"main a[href='{OPEN}']").first.click()
    assert page.url.endswith(OPEN)
    form = page.locator("#suggestion-form")
    form.locator("input[name=title]").fill(f"Arceaux couverts {marker}")
    form.locator("textarea[name=body]").fill(f"Des arceaux couverts devant la médiathèque, s’il vous plaît.\n\n{marker}")
    form.locator("input[name=author]").fill("Camille")
    form.locator("input[name=email]").fill("camille@example.org")
    wait_like_a_person(page, "suggestion")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith(f"{THANKS}?back={OPEN}"), \
        f"after submitting: {page.url}\n{page.locator('main').inner_text()[:500]}"
    assert page.locator("h1").count() == 1
    # The way back: to the consultation with JavaScript (consult.js reads ?back=), else to the consultations.
    back = page.locator("main a[data-back]")
    expected = ("Retour à la consultation", OPEN) if javascript else ("Retour aux consultations", HOME)
    assert (back.inner_text(), back.get_attribute("href")) == expected


def answer_questionnaire(page: Page, marker: str) -> None:
    """The questionnaire, a form of its own beside the idea's."""
    page.goto(OPEN)
    form = page.locator("#answers-form")
    tick(form.get_by_label("Une ou plusieurs fois par semaine"))
    tick(form.locator("input[name=q_freins]").first)
    tick(form.locator("input[name='q_securite-ressentie'][value='3']"))
    form.locator("textarea[name=q_priorite]").fill(f"Le carrefour de la gare {marker}")
    wait_like_a_person(page, "answers")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith(f"/thanks/answers/?back={OPEN}"), page.url
    assert page.locator("h1").inner_text() == "Merci pour vos réponses"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_suggestion_from_home_page_to_published(server: DemoServer, request: pytest.FixtureRequest,
                                                javascript: bool) -> None:
    tab: Page = request.getfixturevalue("page" if javascript else "page_nojs")
    marker = f"journey-{'js' if javascript else 'nojs'}-{uuid.uuid4().hex[:8]}"
    suggest(tab, marker, javascript)
    answered = f"questionnaire-{uuid.uuid4().hex[:8]}"
    answer_questionnaire(tab, answered)
    tab.goto(OPEN)
    assert marker not in tab.locator("main").inner_text(), "a contribution showed before moderation"

    publish(server, marker, answered)
    assert pulled(server, answered)["kind"] == "answers" and pulled(server, marker)["kind"] == "suggestion"
    tab.goto(OPEN)
    contributions = tab.locator("main").inner_text()
    assert f"Arceaux couverts {marker}" in contributions, "the approved contribution is not on the consultation page"
    assert "camille@example.org" not in tab.content(), "the private e-mail address was published"


def support_count(page: Page) -> int:
    text = page.locator(".supports").first.inner_text()
    match = re.search(r"\d+", text.replace("\u202f", "").replace("\xa0", ""))
    assert match, f"no support count in {text!r}"
    return int(match.group())


def test_support_and_comment_on_a_proposal(server: DemoServer, page: Page) -> None:
    page.goto(PROPOSAL)
    before = support_count(page)
    wait_like_a_person(page, "support")
    with page.expect_navigation():
        page.locator("form.form--support button[type=submit]").click()
    assert page.url.endswith(f"/thanks/support/?back={PROPOSAL}"), f"after supporting: {page.url}"
    assert "Votre soutien est enregistré\u00a0; il sera compté à la prochaine mise à jour." in page.locator("main").inner_text()
    assert "après relecture" not in page.locator("main").inner_text()
    back = page.locator("main a[data-back]")
    assert (back.inner_text(), back.get_attribute("href")) == ("Retour à la proposition", PROPOSAL)
    # Post/Redirect/Get: Back returns to the proposal page, with no offer to send the form again.
    page.go_back()
    assert page.url.endswith(PROPOSAL) and page.locator("h1").inner_text().strip(), page.url
    # A second support is counted once, and the citizen is told so; Back again just goes back.
    wait_like_a_person(page, "support")
    with page.expect_navigation():
        page.locator("form.form--support button[type=submit]").click()
    assert page.url.endswith(f"/thanks/supported/?back={PROPOSAL}"), f"after supporting twice: {page.url}"
    assert page.locator("h1").inner_text() == "Vous soutenez déjà cette proposition"
    page.go_back()
    assert page.url.endswith(PROPOSAL) and page.locator("form.form--support").count() == 1

    marker = f"comment-{uuid.uuid4().hex[:8]}"
    page.goto(PROPOSAL)
    page.locator("#comment-form textarea[name=body]").fill(f"D’accord, surtout côté quai 2. {marker}")
    page.locator("#comment-form input[name=author]").fill("Noé")
    wait_like_a_person(page, "comment")
    with page.expect_navigation():
        page.locator("#comment-form button[type=submit]").click()
    assert page.url.endswith(f"/thanks/comment/?back={PROPOSAL}"), f"after commenting: {page.url}"

    publish(server, marker)
    page.goto(PROPOSAL)
    assert support_count(page) == before + 1, "the support is not counted after pull and rebuild"
    assert marker in page.locator("main").inner_text(), "the approved comment is not on the proposal page"

"""The moderation screen in Chromium: `consult moderate --web` on a copy of the demo with pending
contributions (one flagged), in a real git repository. Filters, keyboard shortcuts, bulk decisions,
undo, commit, the git diff equal to the CLI's, axe clean, refused without the token; and the same
screen mounted in `consult serve`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import DESKTOP, DemoServer, axe_violations, real_disk_dir, stop
from tests.conftest import copy_demo
from tests.test_screen import DOWN, KEPT, git, only_ours, reported_site, repository, sub, write

pytestmark = pytest.mark.browser

FLAGGED = "20261115-00000001"
IDS = [f"20261115-{n:08d}" for n in range(1, 7)]


def prepare(root: Path) -> None:
    copy_demo(root)
    only_ours(root)
    write(root, sub(1, title="Des arceaux", body="Écrivez-moi à anne@example.org, merci."), ("personal-email",))
    write(root, sub(2, title="Une piste", body="Une piste cyclable rue Nationale."))
    write(root, sub(3, kind="comment", proposal="arceaux-gare", title="", body="D'accord avec ceci."))
    write(root, sub(4, consultation="parc-des-berges", title="Des bancs", body="Plus de bancs au parc."))
    write(root, sub(5, title="Des parkings", body="Des parkings vélo au marché."))
    write(root, sub(6, title="Un atelier", body="Un atelier de réparation."))
    repository(root)


@dataclass
class Running:
    root: Path
    origin: str
    url: str  # with the token


@contextmanager
def moderating(root: Path) -> Iterator[Running]:
    process = subprocess.Popen([sys.executable, "-m", "consult", "-C", str(root), "moderate", "--web"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)(/\?token=[\w-]+)", line)
        assert found, line + (process.stdout.read() if process.poll() is not None else "")
        yield Running(root, found.group(1), found.group(1) + found.group(2))
    finally:
        stop(process)


@contextmanager
def screen_over(tmp_path_factory: pytest.TempPathFactory, name: str, *steps: Callable[[Path], object]) -> Iterator[Running]:
    """`consult moderate --web` over a fresh copy of the site, made by `prepare` then `steps`."""
    root, remove = real_disk_dir(tmp_path_factory, name)
    prepare(root)
    for step in steps:
        step(root)
    try:
        with moderating(root) as running:
            yield running
    finally:
        if remove:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def screen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with screen_over(tmp_path_factory, "moderate") as running:
        yield running


def tab(browser: Browser, running: Running, javascript: bool = True) -> Page:
    context = browser.new_context(base_url=running.origin, java_script_enabled=javascript, viewport=DESKTOP,
                                  locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(running.url)
    return page


def shown(page: Page) -> list[str]:
    return [i.removeprefix("item-") for i in page.eval_on_selector_all("article.item", "els => els.map(e => e.id)")]


def navigating(page: Page, act: Callable[[], object]) -> None:
    """Do `act` (a click, a key) and wait for the page it leads to."""
    with page.expect_navigation():
        act()


def focused_item(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def test_refused_without_the_token(browser: Browser, screen: Running) -> None:
    context = browser.new_context(base_url=screen.origin)
    page = context.new_page()
    response = page.goto("/")
    assert response is not None and response.status == 403 and "Accès refusé" in page.content()
    response = page.goto("/?token=wrong")
    assert response is not None and response.status == 403
    context.close()


def test_page_is_axe_clean_and_marks_the_flagged_span(browser: Browser, screen: Running) -> None:
    page = tab(browser, screen)
    assert page.url == screen.origin + "/"  # the token left the address bar
    assert shown(page)[0] == FLAGGED
    mark = page.locator(f"#item-{FLAGGED} mark")
    assert mark.inner_text() == "anne@example.org" and mark.get_attribute("data-flag") == "personal-email"
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    navigating(page, lambda: page.locator(f"#item-{IDS[1]} button.approve").click())  # the page with a notice
    page.wait_for_selector("#notice")
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    page.context.close()


def test_filters(browser: Browser, screen: Running) -> None:
    page = tab(browser, screen)
    page.select_option("#f-flag", "personal-email")
    navigating(page, lambda: page.get_by_role("button", name="Filtrer").click())
    assert shown(page) == [FLAGGED]
    navigating(page, lambda: page.get_by_role("link", name="Tout afficher").click())
    page.select_option("#f-consultation", "parc-des-berges")
    navigating(page, lambda: page.get_by_role("button", name="Filtrer").click())
    assert shown(page) == [IDS[3]]
    navigating(page, lambda: page.get_by_role("link", name="Tout afficher").click())
    page.fill("#f-q", "RÉPARATION")
    navigating(page, lambda: page.keyboard.press("Enter"))
    assert shown(page) == [IDS[5]]
    page.context.close()


def test_keyboard_shortcuts_and_undo(browser: Browser, screen: Running) -> None:
    page = tab(browser, screen)
    order = shown(page)
    assert order[0] == FLAGGED and sorted(order) == IDS
    page.focus(f"#item-{FLAGGED}")
    page.keyboard.press("j")
    assert focused_item(page) == f"item-{order[1]}"
    page.keyboard.press("k")
    assert focused_item(page) == f"item-{FLAGGED}"
    page.keyboard.press("j")
    navigating(page, lambda: page.keyboard.press("a"))  # approve: the page comes back with the next item focused
    page.wait_for_function(f"() => !document.getElementById('item-{order[1]}')")
    assert focused_item(page) == f"item-{order[2]}"
    [path] = screen.root.glob(f"content/consultations/*/contributions/{order[1]}.md")
    assert "status: published" in path.read_text(encoding="utf-8")
    navigating(page, lambda: page.keyboard.press("u"))  # undo, from the focused item
    page.wait_for_selector(f"#item-{order[1]}")
    assert focused_item(page) == f"item-{order[1]}"
    assert git(screen.root, "status", "--porcelain") == ""
    page.focus(f"#item-{order[2]}")
    page.keyboard.press("x")
    assert page.is_checked(f"#select-{order[2]}")
    page.keyboard.press("r")  # to the reason of this item
    assert page.evaluate("() => document.activeElement.id") == f"reason-{order[2]}"
    page.focus("#f-q")
    page.keyboard.type("au")  # in a field, a letter is a letter: no approve, no undo
    assert page.input_value("#f-q") == "au" and shown(page) == order
    page.context.close()


def test_keyboard_alone_reaches_and_decides_an_item(browser: Browser, screen: Running) -> None:
    """Tab only, from the top of the page: every control in order, the items themselves (focus
    visible), then Enter on a button decides."""
    page = tab(browser, screen, javascript=False)
    order = shown(page)
    target = f"#item-{order[1]} button.approve"
    for _ in range(80):
        page.keyboard.press("Tab")
        active = page.evaluate("() => [document.activeElement.id, document.activeElement.matches('" + target + "'),"
                               " getComputedStyle(document.activeElement).outlineStyle]")
        if active[0] == f"item-{order[1]}":
            assert active[2] != "none"  # the item shows its focus
        if active[1]:
            break
    else:
        pytest.fail("Tab never reached the second item's Publier button")
    navigating(page, lambda: page.keyboard.press("Enter"))
    assert order[1] not in shown(page) and len(shown(page)) == len(order) - 1
    page.context.close()


def test_bulk_with_the_keyboard_then_commit(browser: Browser, screen: Running) -> None:
    page = tab(browser, screen)
    for id_ in IDS[4:6]:
        page.focus(f"#item-{id_}")
        page.keyboard.press("x")
    page.select_option("#bulk-reason", "hors-sujet")
    navigating(page, lambda: page.get_by_role("button", name="Refuser la sélection").click())
    assert IDS[4] not in shown(page) and IDS[5] not in shown(page) and len(shown(page)) == 4
    navigating(page, lambda: page.get_by_role("button", name="Enregistrer les décisions dans git (commit)").click())
    assert "Enregistré dans git" in page.inner_text("#notice")
    assert git(screen.root, "log", "-1", "--format=%s") == "Modération : 2 refusée(s)\n"
    assert git(screen.root, "status", "--porcelain") == ""
    page.context.close()


def test_without_javascript_and_the_diff_equals_the_cli(browser: Browser, screen: Running,
                                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    other, remove = real_disk_dir(tmp_path_factory, "moderate-cli")
    shutil.rmtree(other)
    shutil.copytree(screen.root, other)
    page = tab(browser, screen, javascript=False)
    navigating(page, lambda: page.locator(f"#item-{IDS[1]} button.approve").click())
    page.select_option(f"#reason-{FLAGGED}", "donnees-personnelles")
    navigating(page, lambda: page.locator(f"#item-{FLAGGED} button.reject").click())
    page.check("#whole-page")
    page.select_option("#bulk-reason", "doublon")
    navigating(page, lambda: page.get_by_role("button", name="Refuser la sélection").click())
    assert shown(page) == []
    for args in (["approve", IDS[1]], ["reject", FLAGGED, "--reason", "donnees-personnelles"],
                 ["reject", *IDS[2:], "--reason", "doublon"]):
        subprocess.run([sys.executable, "-m", "consult", "-C", str(other), "moderate", *args], check=True,
                       capture_output=True)
    for root in (screen.root, other):
        git(root, "add", "-A")
    diff = git(screen.root, "diff", "--cached", "HEAD")
    assert diff == git(other, "diff", "--cached", "HEAD") and diff.count("+decided: ") == 6
    page.context.close()
    if remove:
        shutil.rmtree(other, ignore_errors=True)


@pytest.fixture
def reported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The screen over the same site, with two published items a participant reported."""
    with screen_over(tmp_path_factory, "moderate-reported", reported_site) as running:
        yield running


def test_reported_items_keep_and_unpublish_with_the_keyboard_axe_clean(browser: Browser, reported: Running) -> None:
    page = tab(browser, reported)
    navigating(page, lambda: page.get_by_role("link", name=re.compile("^Signalés : 2")).click())
    assert shown(page) == [KEPT, DOWN]
    assert "Hors sujet <script>alert(1)</script>" in page.locator(f"#item-{KEPT} .reports q").inner_text()
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    files = {id_: next(reported.root.glob(f"content/consultations/*/contributions/{id_}.md")) for id_ in (KEPT, DOWN)}
    page.focus(f"#item-{KEPT}")
    navigating(page, lambda: page.keyboard.press("a"))  # keep: the next reported item gets the focus
    page.wait_for_function(f"() => !document.getElementById('item-{KEPT}')")
    assert focused_item(page) == f"item-{DOWN}" and "gardée(s) publiée(s)" in page.inner_text("#notice")
    kept = files[KEPT].read_text(encoding="utf-8")
    assert "status: published" in kept and "- reported" not in kept and "decided_by" not in kept
    navigating(page, lambda: page.keyboard.press("u"))  # undo
    page.wait_for_selector(f"#item-{KEPT}")
    assert git(reported.root, "status", "--porcelain") == ""
    page.focus(f"#item-{DOWN}")
    page.keyboard.press("r")
    assert page.evaluate("() => document.activeElement.id") == f"reason-{DOWN}"
    page.select_option(f"#reason-{DOWN}", "hors-sujet")
    navigating(page, lambda: page.locator(f"#item-{DOWN} button.reject").click())
    assert shown(page) == [KEPT] and "dépubliée(s)" in page.inner_text("#notice")
    assert "status: rejected" in files[DOWN].read_text(encoding="utf-8")
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    page.context.close()


def test_serve_mounts_the_screen(browser: Browser, server: DemoServer) -> None:
    deadline = time.monotonic() + 10
    while "Écran de modération" not in server.output() and time.monotonic() < deadline:  # the demo speaks French
        time.sleep(0.1)
    found = re.search(r"Écran de modération\s: http://127\.0\.0\.1:\d+(/__consult/moderation/\?token=[\w-]+)", server.output())
    assert found, server.output()
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    response = page.goto("/__consult/moderation/")
    assert response is not None and response.status == 403
    response = page.goto(found.group(1))
    assert response is not None and response.status == 200 and page.locator("h1").inner_text() == "Contributions à relire"
    context.close()

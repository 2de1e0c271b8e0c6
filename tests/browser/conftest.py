"""Browser fixtures: one headless Chromium per session, one `consult serve` per module.

The server runs a COPY of the demo site at the repository root (site.yaml + content/)
in a directory on a real disk (the SQLite inbox refuses tmpfs), built at a fixed date
so every page type exists: open, upcoming and closed consultations; the copy gets
MANY_COMMENTS comments on one proposal, so that comments paginate over many pages.
The browser is Debian's chromium driven by Playwright; `playwright install` is never run.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.conftest import REPO, THEMES, add_comments, copy_demo, use_theme

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, ViewportSize

NOW = "2026-12-01T12:00"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = REPO / "docs" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}
NARROW: ViewportSize = {"width": 320, "height": 640}  # the narrowest phones (WCAG 1.4.10 reflow)
SETUP_HINT = "run scripts/test, which installs chromium, Java and the npm packages (npm ci)"

# The demo site's pages, one per page type and state (the demo is in French).
HOME = "/"
OPEN = "/consultations/plan-velo/"
UPCOMING = "/consultations/budget-participatif-2027/"
CLOSED = "/consultations/parc-des-berges/"  # closed, with a synthesis and official responses
PROPOSAL = "/consultations/plan-velo/proposals/arceaux-gare/"
CLOSED_PROPOSAL = "/consultations/parc-des-berges/proposals/aire-de-jeux-inclusive/"
CONTRIBUTIONS = "/consultations/plan-velo/contributions/"
CONTRIBUTIONS_2 = "/consultations/plan-velo/contributions/2/"
CONTENT_PAGE = "/a-propos/"
STATEMENT = "/accessibilite/"
THANKS = "/thanks/"
THANKS_SUPPORT = "/thanks/support/?back=" + PROPOSAL
MANY_COMMENTS = 260  # over 50 pages of 5 (the demo's contributions_per_page)
COMMENTED = "/consultations/parc-des-berges/proposals/buvette-saisonniere/"  # closed: no form
COMMENTS_7 = COMMENTED + "comments/7/"  # its pagination: 1 … 6 7 8 … 53
OPEN_DATA = "/data/"
MISSING = "/cette-page-n-existe-pas/"  # served with 404.html
PAGINATION = ":is(nav.pagination, nav.fr-pagination)"  # the default theme's, the DSFR theme's


def real_disk_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, bool]:
    """A fresh directory on a real disk, and whether it lives under tests/_artifacts (to remove)."""
    from consult.inbox.sqlite import NETWORK, VOLATILE, filesystem_of

    path = tmp_path_factory.mktemp(name)
    if filesystem_of(path) not in VOLATILE | NETWORK:
        return path, False
    path = REPO / "tests" / "_artifacts" / f"{name}-{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    return path, True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoServer:
    """`consult serve` of a copy of the demo site; `consult(...)` runs a command in that copy."""

    root: Path
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    theme: str = "default"

    def consult(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "consult", "-C", str(self.root), *args],
                                cwd=self.root, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            pytest.fail(f"consult {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
        return result

    def rebuild(self) -> None:
        self.consult("build", "--now", NOW)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until_serving(server: DemoServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"consult serve exited {server.process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"consult serve did not answer on {server.url} within {timeout:.0f} s:\n{server.output()}")


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate a server process, killing it if it has not stopped within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(root: Path) -> Iterator[DemoServer]:
    """`consult serve` of the site in `root` at NOW, stopped when the block ends."""
    port = free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "consult", "-C", str(root), "serve",
                                    "--now", NOW, "--port", str(port)],
                                   cwd=root, stdout=out, stderr=subprocess.STDOUT)
    demo = DemoServer(root, f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_serving(demo)
        yield demo
    finally:
        stop(process)


@contextmanager
def serving_demo(tmp_path_factory: pytest.TempPathFactory, name: str,
                 prepare: Callable[[Path], None] | None = None) -> Iterator[DemoServer]:
    """`consult serve` of a fresh copy of the demo site (changed by `prepare` first, if given)."""
    root, remove = real_disk_dir(tmp_path_factory, name)
    copy_demo(root)
    if prepare is not None:
        prepare(root)
    try:
        with serving(root) as demo:
            yield demo
    finally:
        if remove:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module", params=THEMES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo, served with each built-in theme in turn: every test that uses it runs once per theme
    (`-k dsfr` or `-k default` picks one)."""
    theme: str = request.param

    def prepare(root: Path) -> None:
        use_theme(root, theme)
        add_comments(root, "parc-des-berges", COMMENTED.rstrip("/").rsplit("/", 1)[1], MANY_COMMENTS)

    with serving_demo(tmp_path_factory, f"demo-{theme}", prepare) as demo:
        demo.theme = theme
        yield demo


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: {SETUP_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright for Python is missing: run scripts/test (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Browser, server: DemoServer, javascript: bool = True,
             viewport: ViewportSize | None = None) -> Page:
    context = browser.new_context(base_url=server.url, java_script_enabled=javascript,
                                  viewport=viewport or DESKTOP, locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def page(browser: Browser, server: DemoServer) -> Iterator[Page]:
    """A fresh browser context with JavaScript on, at desktop width."""
    tab = new_page(browser, server)
    yield tab
    tab.context.close()


@pytest.fixture
def page_nojs(browser: Browser, server: DemoServer) -> Iterator[Page]:
    """A fresh browser context with JavaScript off: every form must still work."""
    tab = new_page(browser, server, javascript=False)
    yield tab
    tab.context.close()


def tick(control: Locator) -> None:
    """Check a radio button or a checkbox as a person does with a mouse: by clicking its label (the
    DSFR draws the box on the label, over the input, so a click aimed at the input lands on it)."""
    control_id = control.get_attribute("id")
    assert control_id, "a choice without an id has no label to click"
    control.page.locator(f"label[for='{control_id}']").click()
    assert control.is_checked()


def submit_empty_suggestion(page: Page) -> None:
    """Open the open consultation and send its form untouched: the handler answers with errors."""
    page.goto(OPEN)
    with page.expect_navigation():
        page.locator("#suggestion-form button[type=submit]").click()
    assert page.locator("[data-error-summary]").count() == 1, "the handler did not re-display the form with errors"


def axe_violations(page: Page) -> list[str]:
    """axe-core, injected into the page, with the WCAG 2.0 / 2.1 A and AA rules; one line per node."""
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(REPO)} is missing: {SETUP_HINT}")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
               resultTypes: ['violations'],
           })""")
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
                         f"    at {' '.join(node['target'])}: {node['html'][:200]}\n"
                         f"    {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return lines


def vnu_errors(pages: dict[str, str], workdir: Path) -> list[str]:
    """The Nu HTML Checker's errors for pages served by the handler (name -> HTML), in one JVM."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        pytest.fail(f"java or {VNU_JAR.relative_to(REPO)} is missing: {SETUP_HINT}")
    files = []
    for name, text in pages.items():
        path = workdir / f"{name}.html"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr or result.stdout)
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
            for m in report["messages"] if m.get("type") in ("error", "non-document-error")]

"""Clickjacking: a page on another site that frames the form handler gets nothing, neither a
page it loads in a frame nor a form it posts into one (which would show a ready "Je soutiens"
button for a visitor to click)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import DemoServer

pytestmark = pytest.mark.browser

FRAMES = """<!DOCTYPE html><html lang="fr"><title>Gagnez un vélo</title>
<iframe name="loaded" src="{handler}/api/nulle-part"></iframe>
<iframe name="posted"></iframe>
<form id="trap" method="post" action="{handler}/api/submit" target="posted">
  <input type="hidden" name="kind" value="support">
  <input type="hidden" name="consultation" value="plan-velo">
  <input type="hidden" name="proposal" value="arceaux-gare">
</form>
<script>document.getElementById("trap").submit();</script>
"""


@pytest.fixture
def attacker(server: DemoServer) -> Iterator[str]:
    """Another origin (another port of this machine) serving a page that frames the handler."""
    page = FRAMES.format(handler=server.url).encode("utf-8")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/gagnez-un-velo.html"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_on_another_site_cannot_frame_the_handler(browser: Browser, server: DemoServer, attacker: str) -> None:
    context = browser.new_context(locale="fr-FR")  # no bypass_csp: the browser enforces the headers
    page = context.new_page()
    answers = []
    page.on("response", lambda r: answers.append(r) if r.url.startswith(server.url + "/api/") else None)
    page.goto(attacker)
    page.wait_for_function("() => document.querySelectorAll('iframe').length === 2")
    page.wait_for_timeout(1000)
    assert len(answers) == 2, "the attacker's page did not reach the handler at all"
    for answer in answers:  # the handler answered, with the headers that forbid framing
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    for name in ("loaded", "posted"):
        frame = page.frame(name=name)
        assert frame is not None
        shown = frame.evaluate("() => document.body ? document.body.innerText : ''")
        assert "soutien" not in shown.lower() and "introuvable" not in shown.lower(), \
            f"the framed handler page rendered in {name!r}: {shown[:200]!r}"
        assert frame.locator("button").count() == 0
    context.close()

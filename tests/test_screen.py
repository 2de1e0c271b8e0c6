"""The moderation screen (consult.screen) through its WSGI app: token, CSRF, filters, decisions
identical to the CLI's, undo, commit; and its index (consult.pending) with its cache."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from consult.cli import cli
from consult.config import require_config
from consult.detect import Finding
from consult.inbox import Submission
from consult.pending import CACHE_FILE, Filters, PendingIndex
from consult.pull import render_contribution
from consult.screen import Screen, highlight
from tests.conftest import copy_demo

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 20)


def sub(n: int, **over: Any) -> Submission:
    base: dict[str, Any] = dict(id=f"20261115-{n:08d}", consultation="plan-velo", kind="suggestion", proposal=None,
                                title=f"Idée {n}", body=f"Texte numéro {n}.", author="Anne", answers={}, received=NOW,
                                idem_key=f"k{n}", body_hash="h", email="")
    base.update(over)
    return Submission(**base)


def write(root: Path, submission: Submission, flags: tuple[str, ...] = ()) -> Path:
    folder = root / "content" / "consultations" / submission.consultation / "contributions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{submission.id}.md"
    path.write_text(render_contribution(submission, timezone.utc, flags), encoding="utf-8")
    return path


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def only_ours(root: Path) -> None:
    """The demo's own pending contributions out of the way: the tests count theirs."""
    for path in (root / "content" / "consultations").glob("*/contributions/*.md"):
        if "status: pending" in path.read_text(encoding="utf-8"):
            path.unlink()


@pytest.fixture
def site(disk_dir: Path) -> Path:
    root = disk_dir / "site"
    root.mkdir()
    copy_demo(root)
    only_ours(root)
    write(root, sub(1, title="Des arceaux", body="Écrivez-moi à anne@example.org <b>merci</b>"), ("personal-email",))
    write(root, sub(2, title="Une piste", body="Une piste cyclable rue Nationale."))
    write(root, sub(3, kind="comment", proposal="arceaux-gare", title="", body="D'accord avec ceci."))
    write(root, sub(4, consultation="parc-des-berges", title="Des bancs", body="Plus de bancs au parc."))
    write(root, sub(5, kind="proposal", title="Un garage à vélos", body="Un garage sécurisé à la gare."))
    return repository(root)


def repository(root: Path) -> Path:
    """`root` as a git repository with everything committed, .consult/ ignored as consult init does."""
    (root / ".gitignore").write_text(".consult/\n_site/\n*.log\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "config", "user.name", "Modo")
    git(root, "config", "user.email", "modo@example.org")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


class Client:
    """Calls the WSGI app as a browser on 127.0.0.1 would, keeping its cookie."""

    def __init__(self, screen: Screen, host: str = "127.0.0.1:8123"):
        self.screen, self.host, self.cookie = screen, host, ""

    def call(self, method: str, path: str, form: dict[str, Any] | None = None, **headers: str) -> tuple[str, dict[str, str], str]:
        path, _, query = path.partition("?")
        body = urlencode(form or {}, doseq=True).encode()
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": self.host,
                   "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "HTTP_COOKIE": self.cookie,
                   **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
        answer: dict[str, Any] = {}
        out = b"".join(self.screen(environ, lambda status, hdrs: answer.update(status=status, headers=dict(hdrs))))
        if "Set-Cookie" in answer["headers"]:
            self.cookie = answer["headers"]["Set-Cookie"].split(";")[0]
        return answer["status"], answer["headers"], out.decode()

    def open(self) -> None:
        status, headers, _ = self.call("GET", self.screen.url())
        assert status.startswith("303") and headers["Location"] == self.screen.base

    def post(self, action: str, **form: Any) -> str:
        status, headers, _ = self.call("POST", self.screen.base + action, {"csrf": self.screen.csrf, **form})
        assert status.startswith("303"), status
        return headers["Location"]

    def page(self, query: str = "") -> str:
        status, _, html = self.call("GET", self.screen.base + query)
        assert status.startswith("200"), status
        return html


def screen_of(site: Path) -> Screen:
    return Screen(site, require_config(site), clock=lambda: datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc))


def ids_on(html: str) -> list[str]:
    return re.findall(r'<article class="item[^"]*" id="item-([0-9a-z-]+)"', html)


def test_refused_without_the_token_and_from_other_hosts(site: Path) -> None:
    screen = screen_of(site)
    client = Client(screen)
    assert client.call("GET", "/")[0].startswith("403")
    assert client.call("GET", "/?token=wrong")[0].startswith("403")
    assert client.call("POST", "/decide", {"csrf": screen.csrf, "approve_one": "20261115-00000002"})[0].startswith("403")
    client.cookie = f"{screen.cookie}=not-the-token"
    assert client.call("GET", "/")[0].startswith("403")
    rebinding = Client(screen, host="evil.example:8123")  # another name resolving to 127.0.0.1
    assert rebinding.call("GET", screen.url())[0].startswith("403")
    client.cookie = ""
    client.open()
    assert "HttpOnly" in client.call("GET", screen.url())[1]["Set-Cookie"]
    assert "SameSite=Strict" in client.call("GET", screen.url())[1]["Set-Cookie"]
    assert client.call("GET", "/")[0].startswith("200")


def test_posts_need_the_csrf_token_and_the_same_origin(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    before = (site / "content/consultations/plan-velo/contributions/20261115-00000002.md").read_bytes()
    assert client.call("POST", "/decide", {"approve_one": "20261115-00000002"})[0].startswith("403")
    assert client.call("POST", "/decide", {"csrf": "x" * 64, "approve_one": "20261115-00000002"})[0].startswith("403")
    assert client.call("POST", "/decide", {"csrf": client.screen.csrf, "approve_one": "20261115-00000002"},
                       origin="http://evil.example")[0].startswith("403")
    assert client.call("POST", "/decide", {"csrf": client.screen.csrf, "approve_one": "20261115-00000002"},
                       origin="null")[0].startswith("403")
    assert client.call("POST", "/decide", {"csrf": client.screen.csrf, "approve_one": "20261115-00000002"},
                       sec_fetch_site="cross-site")[0].startswith("403")
    assert (site / "content/consultations/plan-velo/contributions/20261115-00000002.md").read_bytes() == before


def test_lists_flagged_first_with_spans_marked_and_text_escaped(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    html = client.page()
    assert ids_on(html)[0] == "20261115-00000001" and len(ids_on(html)) == 5
    assert '<mark class="flag-span" data-flag="personal-email"' in html and ">anne@example.org</mark>" in html
    assert "&lt;b&gt;merci&lt;/b&gt;" in html and "<b>merci" not in html
    assert "Adresse e-mail dans le texte" in html  # the flag's meaning, in French
    assert "Reçue sur papier" not in html
    path = site / "content/consultations/plan-velo/contributions/20261115-00000002.md"
    path.write_text(path.read_text(encoding="utf-8").replace("status: pending\n", "status: pending\nchannel: papier\n"),
                    encoding="utf-8")
    client.screen.index.refresh([path.relative_to(site).as_posix()])
    item = client.page().split('id="item-20261115-00000002"')[1].split("</article>")[0]
    assert "<dt>Canal</dt><dd>Reçue sur papier</dd>" in item


def test_filters_and_pages(site: Path) -> None:
    for n in range(6, 66):
        write(site, sub(n, title=f"Remplissage {n}"))
    client = Client(screen_of(site))
    client.open()
    assert set(ids_on(client.page("?consultation=parc-des-berges"))) == {"20261115-00000004"}
    assert set(ids_on(client.page("?kind=comment"))) == {"20261115-00000003"}
    assert set(ids_on(client.page("?flag=personal-email"))) == {"20261115-00000001"}
    assert set(ids_on(client.page("?q=CYCLABLE"))) == {"20261115-00000002"}
    assert ids_on(client.page("?q=rue&kind=comment")) == []
    first, second = client.page(), client.page("?page=2")
    assert len(ids_on(first)) == 50 and len(ids_on(second)) == 15 and not set(ids_on(first)) & set(ids_on(second))
    assert 'rel="next"' in first and "page=2" in first and 'rel="prev"' in second


def cli_copy(site: Path, tmp: Path) -> Path:
    other = tmp / "cli-site"
    shutil.copytree(site, other)
    return other


def test_decisions_make_the_same_diff_as_the_cli(site: Path, disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = cli_copy(site, disk_dir)
    client = Client(screen_of(site))
    client.open()
    client.post("decide", approve_one="20261115-00000002", page_ids=ids_on(client.page()))
    client.post("decide", **{"reject_one": "20261115-00000001", "reason-20261115-00000001": "donnees-personnelles"})
    client.post("decide", bulk="reject", bulk_reason="hors-sujet", ids=["20261115-00000003", "20261115-00000004"])
    client.post("decide", approve_one="20261115-00000005")  # a citizen proposal: becomes a proposal page
    monkeypatch.setattr("datetime.datetime", _Fixed)  # the CLI's day (datetime.now) as the screen's clock
    run = CliRunner()
    for args in (["approve", "20261115-00000002"], ["reject", "20261115-00000001", "--reason", "donnees-personnelles"],
                 ["reject", "20261115-00000003", "20261115-00000004", "--reason", "hors-sujet"],
                 ["approve", "20261115-00000005"]):
        result = run.invoke(cli, ["-C", str(other), "moderate", *args])
        assert result.exit_code == 0, result.output
    for root in (site, other):
        git(root, "add", "-A")
    diff = git(site, "diff", "--cached", "HEAD")
    assert diff == git(other, "diff", "--cached", "HEAD") and "decided: 2026-11-20" in diff
    assert "reason: donnees-personnelles" in diff and "proposals/un-garage-a-velos.md" in diff
    assert ids_on(client.page()) == []


class _Fixed(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> "_Fixed":
        return cls(2026, 11, 20, 10, 0, tzinfo=tz)


def test_reject_needs_a_reason_of_the_charter(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    path = site / "content/consultations/plan-velo/contributions/20261115-00000002.md"
    before = path.read_bytes()
    client.post("decide", reject_one="20261115-00000002")
    assert "Choisissez un motif" in client.page()
    client.post("decide", **{"reject_one": "20261115-00000002", "reason-20261115-00000002": "pas-un-motif"})
    client.post("decide", bulk="approve")  # nothing selected
    assert "Aucune contribution choisie" in client.page()
    assert path.read_bytes() == before


def test_undo_restores_every_byte_even_a_published_proposal(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    before = {p: p.read_bytes() for p in (site / "content").rglob("*.md")}
    page = ids_on(client.page())
    client.post("decide", bulk="approve", whole_page="1", page_ids=page)
    assert ids_on(client.page()) == [] and (site / "content/consultations/plan-velo/proposals/un-garage-a-velos.md").exists()
    location = client.post("undo")
    assert location.endswith("#item-" + page[0])
    after = {p: p.read_bytes() for p in (site / "content").rglob("*.md")}
    assert after == before and git(site, "status", "--porcelain") == ""
    assert ids_on(client.page()) == page
    client.post("undo")
    assert "Aucune décision à annuler" in client.page()


def test_a_decision_that_fails_halfway_can_be_undone(site: Path) -> None:
    """A citizen proposal is published first; a broken file among the others then stops the rest:
    what was done is in the log, and undo removes the new proposal page."""
    client = Client(screen_of(site))
    client.open()
    broken = site / "content/consultations/plan-velo/contributions/20261115-00000002.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("status: pending", "\"status\": pending"), encoding="utf-8")
    client.screen.index.refresh([broken.relative_to(site).as_posix()])
    before = {p: p.read_bytes() for p in (site / "content").rglob("*.md")}
    client.post("decide", bulk="approve", ids=["20261115-00000005", "20261115-00000002"])
    assert (site / "content/consultations/plan-velo/proposals/un-garage-a-velos.md").exists()
    page = client.page()  # the notice shows once
    assert "Erreur" in page and "20261115-00000005" not in ids_on(page)
    # the refusal in the site's language (the demo's: French), as the CLI says it
    assert "20261115-00000002.md : aucune ligne « status: » à modifier" in page and "no 'status:'" not in page
    client.post("undo")
    assert {p: p.read_bytes() for p in (site / "content").rglob("*.md")} == before


def test_undo_refuses_when_the_file_changed_since(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    client.post("decide", approve_one="20261115-00000002")
    path = site / "content/consultations/plan-velo/contributions/20261115-00000002.md"
    path.write_text(path.read_text(encoding="utf-8") + "Edited by hand.\n", encoding="utf-8")
    client.post("undo")
    assert "a été modifié depuis" in client.page() and "Edited by hand." in path.read_text(encoding="utf-8")


def test_commit_counts_the_decisions_never_the_text(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    client.post("decide", approve_one="20261115-00000002")
    client.post("decide", bulk="reject", bulk_reason="hors-sujet", ids=["20261115-00000003", "20261115-00000004"])
    client.post("decide", approve_one="20261115-00000004")  # no: 4 is no longer pending, ignored
    client.post("decide", bulk="reject", bulk_reason="donnees-personnelles", ids=["20261115-00000001"])
    client.post("commit")
    message = git(site, "log", "-1", "--format=%B").strip()
    assert message == "Modération : 1 publiée(s), 3 refusée(s)\n\ndonnees-personnelles: 1\nhors-sujet: 2"
    assert git(site, "status", "--porcelain") == ""
    assert "anne@example.org" not in message and "Une piste" not in message
    assert "Enregistré dans git" in client.page()
    client.post("commit")
    assert "Aucune décision à enregistrer" in client.page()


def test_highlight_escapes_and_marks_each_span_once() -> None:
    text = "<i>a@b.fr</i> 06 12 34 56 78"
    found = [Finding("personal-email", 3, 9, "body"), Finding("personal-phone", 14, 28, "body"),
             Finding("links", 3, 5, "body"), Finding("personal-email", 0, 3, "title")]
    html = str(highlight(text, found, "body", "en"))
    assert html.startswith("&lt;i&gt;<mark") and html.count("<mark") == 2
    assert 'title="E-mail address in the text' in html and ">06 12 34 56 78</mark>" in html


def test_the_page_follows_files_added_and_removed_by_others(site: Path) -> None:
    client = Client(screen_of(site))
    client.open()
    assert len(ids_on(client.page())) == 5
    added = write(site, sub(7, title="Arrivée pendant la séance"))  # a consult pull meanwhile
    (site / "content/consultations/parc-des-berges/contributions/20261115-00000004.md").unlink()
    shown = ids_on(client.page())
    assert "20261115-00000007" in shown and "20261115-00000004" not in shown and len(shown) == 5
    client.post("decide", approve_one="20261115-00000007")
    assert "20261115-00000007" not in ids_on(client.page()) and added.is_file()
    assert client.screen.index.folders == {rel: (site / rel).stat().st_mtime_ns for rel in client.screen.index.folders}


def test_index_cache_reads_only_changed_files(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = PendingIndex.load(site)
    assert (site / CACHE_FILE).is_file() and len(first.entries) == 5
    read: list[Path] = []
    import consult.pending as pending
    original = pending.read_entry
    monkeypatch.setattr(pending, "read_entry", lambda root, path, labels: read.append(path) or original(root, path, labels))
    path = write(site, sub(2, title="Une piste changée", body="Texte changé et plus long."))
    again = PendingIndex.load(site)
    assert read == [path] and again.entries["20261115-00000002"].title == "Une piste changée"
    (site / CACHE_FILE).write_bytes(b"damaged")
    assert len(PendingIndex.load(site).entries) == 5
    page = again.page(Filters(text="CHANGÉ"), 1)
    assert [e.id for e in page.entries] == ["20261115-00000002"]



# --- reported published items (post-moderation): keep or unpublish ---------------------------------

KEPT, DOWN = "20261115-00000008", "20261115-00000009"


def reported_site(site: Path) -> Path:
    """Two published items of plan-velo a participant reported (flag and report files as pull writes
    them), committed; the report notes hold markup that must stay text."""
    from consult.moderation import add_flag
    from consult.pull import render_report

    for n, note in ((8, "Hors sujet <script>alert(1)</script>"), (9, "")):
        path = write(site, sub(n, title=f"Publiée {n}", body=f"Texte publié {n}."))
        path.write_text(render_contribution(sub(n, title=f"Publiée {n}", body=f"Texte publié {n}."), timezone.utc, (),
                                            published=NOW), encoding="utf-8")
        path.write_text(add_flag(path.read_text(encoding="utf-8"), "reported"), encoding="utf-8")
        report = sub(20 + n, kind="report", proposal=sub(n).id, category="hors-sujet", body=note, author="", title="")
        folder = site / "content/consultations/plan-velo/reports"
        folder.mkdir(exist_ok=True)
        (folder / f"{report.id}.md").write_text(render_report(report, timezone.utc), encoding="utf-8")
    git(site, "add", "-A")
    git(site, "commit", "-qm", "reported")
    return site


def test_reported_published_items_are_listed_with_their_reports_and_the_two_decisions(site: Path) -> None:
    reported_site(site)
    client = Client(screen_of(site))
    client.open()
    html = client.page()
    assert {KEPT, DOWN} <= set(ids_on(html)) and len(ids_on(html)) == 7
    assert 'href="/?flag=reported"' in html and "Signalés : 2 contribution(s)" in html
    only = client.page("?flag=reported")
    assert ids_on(only) == [KEPT, DOWN]
    article = only[only.index(f'id="item-{KEPT}"'):only.index(f'id="item-{DOWN}"')]
    assert "publiée, signalée" in article and "Signalements des participants" in article
    assert "Hors sujet : <q dir=\"auto\">Hors sujet &lt;script&gt;alert(1)&lt;/script&gt;</q>" in article
    assert "Garder publiée" in article and "Dépublier" in article and "Motif pour dépublier" in article
    assert "<script>alert" not in only


def test_keep_and_unpublish_make_the_same_diff_as_the_cli_and_can_be_undone(
        site: Path, disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reported_site(site)
    other = cli_copy(site, disk_dir)
    client = Client(screen_of(site))
    client.open()
    before = {p: p.read_bytes() for p in (site / "content").rglob("*.md")}
    client.post("decide", approve_one=KEPT)
    assert "1 contribution(s) signalée(s) gardée(s) publiée(s)." in client.page()
    client.post("undo")
    assert {p: p.read_bytes() for p in (site / "content").rglob("*.md")} == before
    assert KEPT in ids_on(client.page("?flag=reported"))
    client.post("decide", approve_one=KEPT)
    client.post("decide", **{"reject_one": DOWN, f"reason-{DOWN}": "hors-sujet"})
    assert "1 contribution(s) signalée(s) dépubliée(s)." in client.page()
    assert ids_on(client.page("?flag=reported")) == []
    monkeypatch.setattr("datetime.datetime", _Fixed)
    for args in (["keep", KEPT], ["unpublish", DOWN, "--reason", "hors-sujet"]):
        result = CliRunner().invoke(cli, ["-C", str(other), "moderate", *args])
        assert result.exit_code == 0, result.output
    for root in (site, other):
        git(root, "add", "-A")
    diff = git(site, "diff", "--cached", "HEAD")
    assert diff == git(other, "diff", "--cached", "HEAD")
    assert "-- reported" in diff and "+decided: 2026-11-20" in diff and "+reason: hors-sujet" in diff
    client.post("commit")
    assert git(site, "log", "-1", "--format=%B").strip() == \
        "Modération : 1 signalée(s) gardée(s), 1 signalée(s) dépubliée(s)\n\nhors-sujet: 1"

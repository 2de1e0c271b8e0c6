"""Pull: inbox -> pending files, atomically, idempotently; the whole flow end to end on the demo site."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from consult.config import parse_config, require_config
from consult.content.files import parse_contribution
from consult.document import parse_front_matter
from consult.forms.guard import Guard
from consult.inbox import Inbox, Submission, open_inbox
from consult.errors import ConsultError
from consult.flags import parse_flags
from consult.pull import PullError, pull, render_contribution
from tests.conftest import REPO, copy_demo
from tests.test_forms import FORM, wsgi_call

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=PARIS)
SECRET = b"p" * 64
EMAIL = "citoyenne.secrete@example.net"
ADDRESS = "203.0.113.77"


def git(root: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def site(disk_dir: Path) -> Path:
    """A copy of the demo site, in its own git repository, built once (for the handler rules)."""
    from consult.build import build_site

    root = disk_dir / "site"
    root.mkdir()
    copy_demo(root)
    (root / ".gitignore").write_text("_site/\n.consult/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "site")
    build_site(root, now=NOW)
    return root


def make_handler(site: Path, inbox: Inbox, now: datetime = NOW) -> Any:
    from consult.forms.wsgi import make_app

    return make_app(site / "_site" / "consult-rules.json", inbox, SECRET, root=site, clock=lambda: now)


def send(app: Any, fields: dict[str, Any], addr: str = ADDRESS) -> tuple[str, dict[str, str], bytes]:
    data = urlencode(fields, doseq=True).encode("utf-8")
    return wsgi_call(app, "POST", "/api/submit", data, REMOTE_ADDR=addr, HTTP_USER_AGENT="Firefox/140")


def velo(**over: Any) -> dict[str, Any]:
    fields = {"kind": "suggestion", "consultation": "plan-velo", "title": "Des arceaux rue Haute",
              "body": "Il manque des arceaux.", "author": "Zoé", "email": EMAIL,
              "website": "",
              "token": Guard(SECRET).token(NOW - timedelta(minutes=5), "plan-velo", "suggestion"), "idempotency_key": ""}
    fields.update(over)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def inbox(inbox_url: str):
    box = open_inbox(inbox_url)
    yield box
    box.close()


def do_pull(site: Path, inbox: Inbox, **kw: Any) -> Any:
    return pull(site, inbox, now=NOW, **kw)


def contribution_files(site: Path) -> dict[str, Path]:
    return {p.stem: p for p in (site / "content" / "consultations").glob("*/contributions/*.md")}


# --- end to end ---------------------------------------------------------------------------------


def test_post_303_pull_pending_approve_build_visible_and_escaped(site: Path, inbox: Inbox) -> None:
    from consult.build import build_site
    from consult.moderation import decide, list_pending

    app = make_handler(site, inbox)
    hostile = "Voir <script>alert('x')</script> et [lien](javascript:alert(1)) {{ 7*7 }}"
    status, headers, _ = send(app, velo(body=hostile, title="<b>Titre</b> {% raw %}", author="<img src=x onerror=alert(1)>"))
    assert status == "303 See Other" and headers["Location"] == "/thanks/?back=/consultations/plan-velo/"
    report = do_pull(site, inbox)
    [(path, id_, kind)] = report.written
    assert kind == "suggestion" and "wrote " + path in report.render()
    doc, body, problems = parse_front_matter((site / path).read_text(encoding="utf-8"), path)
    assert problems == [] and doc.data["status"] == "pending" and body == hostile + "\n"
    assert id_ in [p.id for p in list_pending(site)]
    again = do_pull(site, inbox)
    assert again.written == [] and again.supports == []

    build_site(site, now=NOW)
    assert id_ not in "".join(p.read_text(encoding="utf-8") for p in (site / "_site").rglob("*.html"))

    decide(site, [id_], "published")
    build_site(site, now=NOW)
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "_site" / "consultations" / "plan-velo").rglob("*.html"))
    assert "&lt;script&gt;" in html or "alert(&#39;x&#39;)" in html
    assert "<script>alert" not in html and "javascript:alert" not in html.replace("[lien](javascript:alert(1))", "")
    assert "&lt;b&gt;Titre&lt;/b&gt;" in html and "<img src=x" not in html
    assert "{{ 7*7 }}" in html  # template syntax in citizen text stays text


def test_supports_become_tallies_on_top_of_offline_counts(site: Path, inbox: Inbox) -> None:
    app = make_handler(site, inbox)
    support = {"kind": "support", "consultation": "plan-velo", "proposal": "arceaux-gare", "website": "",
               "token": Guard(SECRET).token(NOW - timedelta(minutes=5), "plan-velo", "support")}
    for n in range(3):
        send(app, support, addr=f"192.0.2.{n}")
    send(app, support, addr="192.0.2.0")  # the same voter again: counted once
    report = do_pull(site, inbox)
    path = site / "content" / "consultations" / "plan-velo" / "supports.yaml"
    assert report.supports == ["content/consultations/plan-velo/supports.yaml"]
    import yaml

    counts = yaml.safe_load(path.read_text())
    assert counts["arceaux-gare"] == 137 + 3 and counts["passerelle-loire"] == 301
    assert do_pull(site, inbox).supports == []  # idempotent
    send(app, support, addr="192.0.2.9")
    do_pull(site, inbox)
    assert yaml.safe_load(path.read_text())["arceaux-gare"] == 141


def pr_texts(site: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((site / ".consult" / "pull-requests").glob("*.md")))


def test_branch_commits_pending_files_on_a_review_branch_and_tallies_on_the_current_one(
        site: Path, inbox: Inbox) -> None:
    app = make_handler(site, inbox)
    send(app, velo())
    send(app, velo(kind="comment", proposal="rues-scolaires", title=None, q_frequence=None, **{"q_securite-ressentie": None}, body="Oui !"))
    send(app, {"kind": "support", "consultation": "plan-velo", "proposal": "rues-scolaires", "website": "",
               "token": Guard(SECRET).token(NOW - timedelta(minutes=5), "plan-velo", "support")})
    report = do_pull(site, inbox, branch="moderation")
    [(name, count)] = report.batches
    assert name.startswith("moderation/20261115-") and count == 2 and report.committed
    assert git(site, "branch", "--show-current").strip() == "main"
    assert git(site, "status", "--porcelain").strip() == ""  # the pending files live on their branch
    on_branch = git(site, "diff", "--name-only", f"main~1...{name}").split()
    assert sorted(on_branch) == sorted(path for path, _, _ in report.written)
    assert git(site, "show", "--name-only", "--format=", "main").split() == report.supports  # tallies: no review
    description = pr_texts(site)
    for _, id_, kind in report.written:
        assert id_ in description
    assert "comment" in description and "plan-velo" in description and "Batch 1 of 1" in description
    listed = (site / ".consult" / "pull-requests.tsv").read_text(encoding="utf-8")
    assert listed.startswith(f"new\t{name}\t.consult/pull-requests/1.md\tContributions à modérer (2)\n")
    send(app, velo(title="Une autre idée", body="Encore une."))
    again = do_pull(site, inbox, branch="moderation")  # the first branch's files count as delivered
    assert len(again.written) == 1 and again.confirmed == 2 and not again.committed
    [(other, count)] = again.batches
    assert count == 1 and other != name and len(git(site, "log", "--format=%s", f"main..{other}").splitlines()) == 1


def test_a_review_branch_only_a_remote_has_counts_as_delivered(site: Path, inbox: Inbox, disk_dir: Path) -> None:
    inbox.add(sub(1))
    do_pull(site, inbox, branch="consult/review")
    clone = disk_dir / "clone"
    subprocess.run(["git", "clone", "-q", str(site), str(clone)], check=True)
    inbox.add(sub(2))
    report = do_pull(clone, inbox, branch="consult/review")
    assert report.confirmed == 1 and [id_ for _, id_, _ in report.written] == [sub(2).id]


def test_review_branch_names_never_collide_and_a_site_without_a_commit_is_refused(
        site: Path, inbox: Inbox, disk_dir: Path) -> None:
    inbox.add(sub(1))
    first = do_pull(site, inbox, branch="moderation")
    inbox.add(sub(2))
    second = do_pull(site, inbox, branch="moderation")  # the same second (NOW): another name
    assert first.batches[0][0].endswith("-1") and second.batches[0][0].endswith("-2")
    bare = disk_dir / "bare"
    bare.mkdir()
    copy_demo(bare)
    git(bare, "init", "-q", "-b", "main")
    with pytest.raises(ConsultError, match="commit the site first"):
        do_pull(bare, inbox, branch="moderation")


def test_privacy_scan_after_a_full_flow(site: Path, inbox: Inbox) -> None:
    from consult.build import build_site
    from consult.moderation import decide

    app = make_handler(site, inbox)
    send(app, velo(email=EMAIL))
    send(app, velo(kind="comment", proposal="rues-scolaires", title=None, q_frequence=None, **{"q_securite-ressentie": None}, email=EMAIL, body="Bien"))
    send(app, {"kind": "support", "consultation": "plan-velo", "proposal": "rues-scolaires"})
    report = do_pull(site, inbox, branch="moderation")
    git(site, "switch", "-q", report.batches[0][0])  # the moderators' review branch
    decide(site, [id_ for _, id_, _ in report.written], "published")
    git(site, "commit", "-q", "-am", "publish")
    build_site(site, now=NOW)
    stored = inbox.all()
    secrets_ = {EMAIL, ADDRESS, "Firefox/140"} | {s.voter for s in stored if s.voter} | {s.idem_key for s in stored}
    haystacks = [p.read_bytes().decode("utf-8", "replace") for p in (site / "content").rglob("*") if p.is_file()]
    haystacks += [p.read_bytes().decode("utf-8", "replace") for p in (site / "_site").rglob("*") if p.is_file()]
    haystacks.append(git(site, "log", "-p", "--all"))
    haystacks.append(pr_texts(site))
    haystacks.append(report.render())
    for secret in secrets_:
        assert not any(secret in text for text in haystacks), secret


# --- hostile text round-trips exactly ---------------------------------------------------------------

HOSTILE = [
    "---\nstatus: published\n---",
    "!!python/object:os.system 'rm -rf /'",
    "&anchor *anchor <<: {a: 1}",
    "key: value\n- item\n? complex",
    "{{ config }} {% include 'x' %} ${HOME} $(id)",
    "<script>alert(1)</script><svg/onload=alert(1)>",
    "[x](javascript:alert(1)) ![i](http://x/i.png)",
    "'\"\\ \t tab",
    "…\u00a0espace insécable — émoji 👩🏽‍🚲 et RTL \u202eabc",
    "../../etc/passwd",
    "   indented code\n\n\n\n    more",
    "#",
    "yes",
    "null",
    "0x1F",
    "2026-01-01",
    "~",
    "%TAG ! tag:x",
    "...\n---\n...",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_round_trips_exactly_through_pull(site: Path, inbox: Inbox, text: str) -> None:
    app = make_handler(site, inbox)
    title = " ".join(text.split())
    fields = velo(body=text, title=title, author=title[:100], q_freins=None, q_idee=None)
    assert send(app, fields)[0] == "303 See Other"
    [row] = inbox.all()
    report = do_pull(site, inbox)
    [(path, id_, _)] = report.written
    doc, body, problems = parse_front_matter((site / path).read_text(encoding="utf-8"), path)
    assert problems == []
    assert doc.data["title"] == row.title == title
    assert doc.data["author"] == row.author
    assert body == row.body + "\n"
    assert doc.data["status"] == "pending" and doc.data["id"] == id_


def test_render_contribution_is_loadable_by_the_content_loader(site: Path, inbox: Inbox) -> None:
    from consult.build import check_site

    app = make_handler(site, inbox)
    for text in HOSTILE:
        send(app, velo(body=text, title=" ".join(text.split()), idempotency_key=None))
    assert len(do_pull(site, inbox).written) == len(HOSTILE)
    check_site(site, NOW)  # raises ConsultError on any problem


# --- conflicts, containment -----------------------------------------------------------------------------


def sub(n: int, consultation: str = "plan-velo") -> Submission:
    return Submission(id=f"20261115-{n:08d}", consultation=consultation, kind="suggestion", proposal=None,
                      title=f"T{n}", body=f"Texte {n}", author="", received=datetime(2026, 11, 15, tzinfo=timezone.utc),
                      idem_key=f"k{n}", body_hash="h")


def test_a_file_already_there_is_delivered_whatever_its_bytes_and_never_overwritten(site: Path, inbox: Inbox) -> None:
    inbox.add(sub(1))
    inbox.add(sub(2))
    folder = site / "content" / "consultations" / "plan-velo" / "contributions"
    (folder / f"{sub(1).id}.md").write_text("edited by hand\n")  # a moderator's edit
    (folder / f"{sub(2).id}.md").write_text(render_contribution(sub(2), PARIS))  # a pull stopped before marking
    report = do_pull(site, inbox)
    assert report.written == [] and report.confirmed == 2 and inbox.counts() == {"exported": 2}
    assert (folder / f"{sub(1).id}.md").read_text() == "edited by hand\n"
    (folder / f"{sub(1).id}.md").unlink()  # deleting a delivered file does not drop it, nor bring it back
    assert do_pull(site, inbox).written == []


def test_with_a_branch_only_committed_files_count_and_uncommitted_ones_are_committed_as_they_are(
        site: Path, inbox: Inbox) -> None:
    inbox.add(sub(1))
    inbox.add(sub(2))
    folder = site / "content" / "consultations" / "plan-velo" / "contributions"
    (folder / f"{sub(1).id}.md").write_text("edited before a killed pull could commit it\n")
    (folder / f"{sub(2).id}.md").write_text(render_contribution(sub(2), PARIS))  # written, not committed
    report = do_pull(site, inbox, branch="moderation")
    assert report.kept == [f"content/consultations/plan-velo/contributions/{sub(1).id}.md"]
    assert [id_ for _, id_, _ in report.written] == [sub(2).id] and report.confirmed == 0
    assert git(site, "status", "--porcelain").strip() == ""
    [(branch, count)] = report.batches
    assert count == 2 and git(site, "show", f"{branch}:{report.kept[0]}") == "edited before a killed pull could commit it\n"
    assert inbox.counts() == {"written": 2}
    assert do_pull(site, inbox, branch="moderation").confirmed == 2


def test_a_written_file_that_never_arrived_is_written_again_with_the_same_id(site: Path, inbox: Inbox) -> None:
    inbox.add(sub(1))
    first = do_pull(site, inbox)
    [(path, id_, _)] = first.written
    data = (site / path).read_bytes()
    assert inbox.counts() == {"written": 1}  # delivered, not yet seen where a pull starts
    (site / path).unlink()  # the checkout it was written in is gone (a job killed before its push)
    again = do_pull(site, inbox)
    assert again.written == [(path, id_, "suggestion")] and (site / path).read_bytes() == data
    assert do_pull(site, inbox).confirmed == 1 and inbox.counts() == {"exported": 1}


def test_unknown_consultations_and_traversal_never_write(site: Path, inbox: Inbox) -> None:
    inbox.add(sub(1, consultation="nope"))
    inbox.add(sub(2, consultation="../../../tmp"))
    report = do_pull(site, inbox)
    assert sorted(report.unknown) == [sub(1).id, sub(2).id] and report.written == []
    assert not (site.parent / "tmp").exists()


# --- flags, content that moved, erased ids ------------------------------------------------------------


def front_matter(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def test_flags_are_written_as_a_list_only_when_there_are_some(site: Path, inbox: Inbox) -> None:
    inbox.add(sub(1))
    inbox.add(Submission(**{**sub(2).__dict__, "flags": "too-fast,no-token,too-fast"}))
    report = do_pull(site, inbox)
    files = contribution_files(site)
    assert "flags" not in front_matter(files[sub(1).id])
    assert front_matter(files[sub(2).id])["flags"] == ["too-fast", "no-token"]
    assert report.flagged == {sub(2).id: ("too-fast", "no-token")} and ", 1 flagged" in report.render()


def test_contributions_to_content_that_moved_are_pulled_with_the_orphan_flag(site: Path, inbox: Inbox) -> None:
    comment = dict(kind="comment", title="", answers={})
    inbox.add(Submission(**{**sub(1).__dict__, **comment, "proposal": "rues-scolaires"}))
    inbox.add(Submission(**{**sub(2).__dict__, **comment, "proposal": "ancienne-proposition", "flags": "rate"}))
    inbox.add(Submission(**{**sub(3).__dict__, "kind": "answers", "answers": {"frequence": "Rarement ou jamais"}}))
    inbox.add(Submission(**{**sub(4).__dict__, "kind": "answers", "answers": {"question-retiree": "Oui"}}))
    report = do_pull(site, inbox)
    files = contribution_files(site)
    assert len(report.written) == 4 and sorted(report.flagged) == [sub(2).id, sub(4).id]
    assert "flags" not in front_matter(files[sub(1).id]) and "flags" not in front_matter(files[sub(3).id])
    assert front_matter(files[sub(2).id])["flags"] == ["rate", "orphan"]
    assert front_matter(files[sub(4).id])["flags"] == ["orphan"]
    text = report.render()
    assert f"flagged orphan: content/consultations/plan-velo/contributions/{sub(2).id}.md: proposal " \
           "'ancienne-proposition' is not in proposals/" in text
    assert "question(s) 'question-retiree' no longer in index.md" in text


def test_an_unreadable_index_flags_no_answer_as_orphan(site: Path, inbox: Inbox) -> None:
    index = site / "content" / "consultations" / "plan-velo" / "index.md"
    index.write_text(index.read_text().replace("questions:", "questions: [", 1))  # `consult check` says why
    inbox.add(Submission(**{**sub(1).__dict__, "kind": "answers", "answers": {"question-retiree": "Oui"}}))
    report = do_pull(site, inbox)
    assert len(report.written) == 1 and report.flagged == {} and report.orphans == []


def test_supports_for_an_unknown_proposal_are_reported_never_written(site: Path, inbox: Inbox) -> None:
    support = dict(kind="support", title="", body="", answers={})
    for n, proposal in enumerate(["arceaux-gare", "arceaux-gare", "rues-scolaires"]):
        inbox.add(Submission(**{**sub(n).__dict__, **support, "proposal": proposal, "voter": f"v{n}"}))
    path = site / "content" / "consultations" / "plan-velo" / "supports.yaml"
    do_pull(site, inbox)
    # An editor renames a proposal, and moves its count by hand in supports.yaml.
    proposals = site / "content" / "consultations" / "plan-velo" / "proposals"
    (proposals / "arceaux-gare.md").rename(proposals / "arceaux-gare-nord.md")
    path.write_text(path.read_text().replace("arceaux-gare:", "arceaux-gare-nord:"))
    report = do_pull(site, inbox)
    assert report.unknown_supports == [("plan-velo", "arceaux-gare", 2)]
    assert "2 support(s) for unknown proposal arceaux-gare in plan-velo: not counted" in report.render()
    import yaml

    counts = yaml.safe_load(path.read_text())
    assert "arceaux-gare" not in counts and counts["arceaux-gare-nord"] == 139 and counts["rues-scolaires"] == 97
    assert do_pull(site, inbox).supports == [] and "arceaux-gare:" not in path.read_text()


def test_an_erased_id_leaves_the_branch_and_never_comes_back(site: Path, inbox: Inbox) -> None:
    for n in range(3):
        inbox.add(sub(n))
    [(branch, count)] = do_pull(site, inbox, branch="moderation").batches
    assert count == 3
    do_pull(site, inbox, branch="moderation")  # delivered: exported
    assert inbox.erase(sub(1).id, NOW)  # the inbox side of `consult erase`: the file is still on the branch
    report = do_pull(site, inbox, branch="moderation")
    path = f"content/consultations/plan-velo/contributions/{sub(1).id}.md"
    assert report.updated == [branch] and f"review branch {branch}: erased file(s) removed" in report.render()
    assert path not in git(site, "ls-tree", "-r", "--name-only", branch)
    assert "1 file(s) removed" in pr_texts(site)
    assert (site / ".consult" / "pull-requests.tsv").read_text().startswith(f"updated\t{branch}\t")
    inbox.add(sub(7))
    again = do_pull(site, inbox, branch="moderation")
    assert again.updated == [] and again.erased == []
    mine = sorted(Path(p).stem for b in (branch, again.batches[0][0])
                  for p in git(site, "ls-tree", "-r", "--name-only", b).split() if "/20261115-0000" in p)
    assert mine == [sub(0).id, sub(2).id, sub(7).id]


def test_pr_description_stays_under_the_limit_with_flagged_items_first() -> None:
    from consult.pullrequest import Item, render_pr_description

    items = [Item(f"20261115-{n:08d}", "comment" if n % 3 else "suggestion", f"consultation-{n % 4}",
                  ("too-fast", "orphan") if n % 97 == 5 else ()) for n in range(2000)]
    text = render_pr_description(items, ["content/consultations/consultation-1/supports.yaml"], 2, "en")
    assert len(text) < 60_000 < 65_536
    flagged = [item.id for item in items if item.flags]
    assert all(text.index(id_) < text.index("### By consultation and kind") for id_ in flagged)
    assert "| too-fast | Sent very soon after the form was shown (a bot?) | 21 |" in text
    assert "| consultation-1 | comment | 334 | 4 |" in text and "… and " in text and "2 file(s) removed" in text
    huge = [Item(f"20261115-{n:08d}", "suggestion", "c" * 60, ("rate",)) for n in range(50_000)]
    assert len(render_pr_description(huge, language="fr")) <= 60_000
    assert len(render_pr_description(huge[:5], limit=300)) <= 300


# --- faults: disk failures, kills, two pulls at once ------------------------------------------------------


def assert_exactly_once(site: Path, inbox: Inbox, n: int) -> None:
    files = contribution_files(site)
    ids = {s.id for s in inbox.all() if s.kind != "support"}
    assert ids <= set(files), "a submission has no file"
    for id_ in ids:
        doc, body, problems = parse_front_matter(files[id_].read_text(encoding="utf-8"), id_)
        assert problems == [] and doc.data["id"] == id_, "a partial file"
    counts = inbox.counts()
    assert set(counts) <= {"written", "exported"} and sum(counts.values()) == n
    leftovers = [p for p in (site / "content").rglob("*.tmp")]
    assert leftovers == []


UNNAMED = getattr(os, "O_TMPFILE", 0)
# Put before PULL_SCRIPT: the filesystem refuses unnamed files (O_TMPFILE), as some do.
REFUSE_UNNAMED = """
import errno, os
_open = os.open
def _refusing(path, flags, *args, **kwargs):
    if UNNAMED and flags & UNNAMED == UNNAMED:
        raise OSError(errno.EOPNOTSUPP, "Operation not supported (injected)")
    return _open(path, flags, *args, **kwargs)
"""


def refuse_unnamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, this process's filesystems refuse unnamed files: named temps are written."""
    space: dict[str, Any] = {"UNNAMED": UNNAMED}
    exec(REFUSE_UNNAMED, space)
    monkeypatch.setattr(os, "open", space["_refusing"])


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed", "named"])
@pytest.mark.parametrize("failing", ["write", "fsync", "link", "read"])
def test_disk_failures_never_leave_a_partial_file_nor_a_lost_row(site: Path, inbox: Inbox, failing: str, unnamed: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if not unnamed:
        refuse_unnamed(monkeypatch)
    for n in range(30):
        inbox.add(sub(n))
    calls = {"n": 0}
    if failing == "read":  # write_batch reads each file back with os.read
        original: Any = os.read

        def broken(fd: int, size: int) -> bytes:
            calls["n"] += 1
            data = original(fd, size)
            return data[:-3] if calls["n"] == 7 else data  # the disk returns something else once

        monkeypatch.setattr(os, "read", broken)
    else:
        original = getattr(os, failing)

        def broken(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == (2 if failing == "fsync" else 7):  # one fsync per batch: fail the second
                raise OSError(5, "Input/output error (injected)")
            return original(*args, **kwargs)

        monkeypatch.setattr(os, failing, broken)
    with pytest.raises((OSError, PullError)):
        do_pull(site, inbox)
    monkeypatch.undo()
    assert inbox.counts() == {"claimed": 30}  # the failing batch was not marked
    do_pull(site, inbox)
    assert_exactly_once(site, inbox, 30)


PULL_SCRIPT = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from consult.inbox import open_inbox
from consult.pull import pull
report = pull(Path(sys.argv[1]), open_inbox(sys.argv[2]), now=datetime(2026, 11, 15, tzinfo=timezone.utc),
              worker=sys.argv[3] if len(sys.argv) > 3 else None)
print(len(report.written), report.confirmed, len(report.kept))
"""


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed", "named"])
def test_pull_killed_at_random_points_then_rerun(site: Path, inbox_url: str, unnamed: bool) -> None:
    """Killed anywhere, with unnamed files (O_TMPFILE) or named temps where the filesystem refuses
    those: the next pull writes each submission exactly once, every file whole, no temp left."""
    box = open_inbox(inbox_url)
    for n in range(1500):
        box.add(sub(n))
    rng = random.Random(7)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    script = PULL_SCRIPT if unnamed else f"UNNAMED = {UNNAMED}\n" + REFUSE_UNNAMED + "os.open = _refusing\n" + PULL_SCRIPT
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", script, str(site), inbox_url], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run([sys.executable, "-c", script, str(site), inbox_url], env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split()[2] == "0"  # nothing kept as it was: every file was whole
    assert_exactly_once(site, box, 1500)
    box.close()


def test_two_pulls_at_once_export_each_submission_once(site: Path, inbox_url: str) -> None:
    box = open_inbox(inbox_url)
    for n in range(1000):
        box.add(sub(n))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", PULL_SCRIPT, str(site), inbox_url, f"w{i}"], env=env,
                              stdout=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [p.communicate()[0].split() for p in procs]
    assert sum(int(o[0]) for o in outputs) == 1000 and all(o[2] == "0" for o in outputs)
    assert_exactly_once(site, box, 1000)
    box.close()


HANDLER_SCRIPT = """
import sys
from pathlib import Path
from wsgiref.simple_server import make_server
from consult.forms.wsgi import make_app, ThreadingWSGIServer, _QuietHandler
app = make_app(Path(sys.argv[1]) / '_site' / 'consult-rules.json', sys.argv[2], b'p' * 64, root=Path(sys.argv[1]),
               rate_soft=10**9, rate_hard=10**9)
server = make_server('127.0.0.1', 0, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
print(server.server_port, flush=True)
server.serve_forever()
"""


def test_handler_killed_mid_flight_never_says_received_without_a_row(site: Path, inbox_url: str) -> None:
    import http.client
    import threading

    env = dict(os.environ, PYTHONPATH=str(REPO))
    acknowledged: list[str] = []
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", HANDLER_SCRIPT, str(site), inbox_url], env=env,
                                stdout=subprocess.PIPE, text=True)
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
        stop = threading.Event()

        def client(c: int) -> None:
            n = 0
            while not stop.is_set():
                key = f"r{round_}-c{c}-n{n}"
                fields = velo(idempotency_key=key, body=f"texte {key}", token="")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("POST", "/api/submit", urlencode(fields).encode(), {"Content-Type": FORM})
                    if conn.getresponse().status == 303:
                        acknowledged.append(key)
                    conn.close()
                except OSError:
                    return
                n += 1

        threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.4 + 0.3 * round_)
        proc.kill()
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
    box = open_inbox(inbox_url)
    stored = {s.idem_key for s in box.all()}
    assert acknowledged and {"k-" + key for key in acknowledged} <= stored
    box.close()


# --- property: a pulled file loads back as the same submission ------------------------------------

# What intake lets through: no control characters but newline and tab, no surrogates, NFC.
citizen_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t"),
                       max_size=200).map(lambda s: unicodedata.normalize("NFC", s))
CONFIG = parse_config("title: t\nbase_url: https://x.example\norganisation: {name: o}\n")


@settings(max_examples=300, deadline=None)
@given(title=citizen_text, body=citizen_text, author=citizen_text,
       answers=st.dictionaries(st.sampled_from(["frequence", "freins"]),
                               st.one_of(citizen_text, st.lists(citizen_text, max_size=3)), max_size=2))


def test_pull_then_load_returns_the_same_submission(title: str, body: str, author: str,
                                                    answers: dict[str, Any]) -> None:
    submission = Submission(id="20261115-abcd1234", consultation="plan-velo", kind="suggestion", proposal=None,
                            title=title, body=body, author=author, answers=answers,
                            received=datetime(2026, 11, 15, 12, tzinfo=timezone.utc), idem_key="k", body_hash="h")
    text = render_contribution(submission)
    doc, parsed_body, problems = parse_front_matter(text, "c.md")
    assert not problems, text
    assert (doc.data.get("title", ""), doc.data.get("author", ""), doc.data.get("answers", {})) == (title, author, answers)
    assert parsed_body == (body + "\n" if body else "")
    record, problems = parse_contribution(text, "c.md", "20261115-abcd1234", "plan-velo", CONFIG)
    assert not problems and record is not None and record.status == "pending"


# --- retention: pull forgets what the privacy notice says, when it says -------------------------


def test_pull_applies_retention_with_the_consultations_closing_dates(site: Path, inbox: Inbox) -> None:
    """A delivered suggestion is forgotten a year after delivery; a support's fingerprint a year
    after its consultation closed (parc-des-berges closed 2026-05-31; plan-velo is open until
    the end of 2027), and the tallies stay as they were."""
    import yaml

    app = make_handler(site, inbox)
    assert send(app, velo())[0].startswith("303")
    assert send(app, {"kind": "support", "consultation": "plan-velo", "proposal": "arceaux-gare", "website": "",
                      "token": Guard(SECRET).token(NOW - timedelta(minutes=5), "plan-velo", "support")})[0].startswith("303")
    closed = Submission(id="20260501-parcvote", consultation="parc-des-berges", kind="support",
                        proposal="buvette-saisonniere", title="", body="", author="", received=datetime(
                            2026, 5, 1, tzinfo=PARIS), voter="v" * 40, idem_key="d-parc", body_hash="h")
    assert inbox.add(closed)[0] == "created"
    do_pull(site, inbox)
    tallies = site / "content" / "consultations" / "parc-des-berges" / "supports.yaml"
    assert yaml.safe_load(tallies.read_text())["buvette-saisonniere"] == 93
    suggestion = next(s for s in inbox.all() if s.kind == "suggestion")
    velo_support = next(s for s in inbox.all() if s.consultation == "plan-velo" and s.kind == "support")
    assert inbox.get(closed.id).voter and suggestion.email == EMAIL  # not a year yet

    later = datetime(2027, 6, 15, 12, 0, tzinfo=PARIS)  # parc closed a year ago; the suggestion was delivered 7 months ago
    pull(site, inbox, now=later)
    assert inbox.get(closed.id).voter == "" and inbox.get(velo_support.id).voter == velo_support.voter
    assert inbox.get(suggestion.id).email == EMAIL
    assert yaml.safe_load(tallies.read_text())["buvette-saisonniere"] == 93

    pull(site, inbox, now=later + timedelta(days=366))  # a year after the pull that found it delivered
    assert inbox.get(suggestion.id) is None  # its file in the repository is the record now
    assert (site / "content" / "consultations" / "plan-velo" / "contributions" / f"{suggestion.id}.md").exists()
    assert inbox.get(velo_support.id).voter == velo_support.voter  # plan-velo is still open


@pytest.mark.parametrize("folder", [REPO, REPO / "consult" / "skeleton"])
def test_the_privacy_notice_says_what_retention_does(folder: Path) -> None:
    """The demo's and `consult init`'s notice: how long each thing is kept, matching
    privacy.retention_days, the support fingerprint's life and what a support is."""
    config = parse_config((folder / "site.yaml").read_text(encoding="utf-8"))
    notice = (folder / "content" / "pages" / "donnees-personnelles.md").read_text(encoding="utf-8")
    kept = notice[notice.index("## Combien de temps ?"):notice.index("## Vos droits")]
    period = "un an" if config.retention_days == 365 else f"{config.retention_days} jours"
    rows = [line for line in kept.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.count(" | ") for row in rows] == [2] * 4  # what, how long, why: four things kept
    inbox_row, fingerprint_row = rows[0], rows[1]
    assert "transmission à l’équipe de modération" in inbox_row and f"**{period}**" in inbox_row
    assert "Rien n’y est effacé avant d’avoir été transmis" in inbox_row
    assert "**Tant que la consultation est ouverte**" in fingerprint_row and f"**{period}** après sa clôture" in fingerprint_row
    assert "Compter un soutien par personne" in fingerprint_row and "seul le nombre de soutiens reste" in fingerprint_row
    assert "**Un soutien n’est pas un vote vérifié**" in notice
    assert "une fois par connexion et\npar proposition de la consultation" in notice
    assert "jamais enregistrée" in notice and "journaux de notre serveur de formulaires" in notice


# --- automatic flags (consult.detect) ----------------------------------------------------------------


def test_detectors_flag_at_pull_moderate_shows_the_spans_the_pr_text_only_codes(site: Path, inbox: Inbox) -> None:
    from click.testing import CliRunner

    from consult.cli import cli

    (site / "moderation.words").write_text("# mots que le site veut voir\nhollandaise\n", encoding="utf-8")
    app = make_handler(site, inbox)
    phone, iban = "06 12 34 56 78", "FR76 3000 6000 0112 3456 7890 189"
    send(app, velo(title="Remboursement", body=f"Rappelez-moi au {phone} ou écrivez à {EMAIL}. Versez sur {iban}."))
    published = site / "content" / "consultations" / "plan-velo" / "contributions" / "20261003-3f9a1c27.md"
    doc, body, _ = parse_front_matter(published.read_text(encoding="utf-8"), "")
    send(app, velo(title=doc.data["title"], body=body.replace("matins", "jours")))  # a copy, one word changed
    send(app, velo(title="Arceaux", body="Il manque des arceaux devant la boulangerie de la rue Haute."))
    report = do_pull(site, inbox, branch="moderation")
    [(branch, _)] = report.batches
    git(site, "switch", "-q", branch)  # where the moderators read them
    files = {front_matter(site / path)["title"]: site / path for path, _, _ in report.written}
    personal, copy, clean = (front_matter(files[t]) for t in ("Remboursement", doc.data["title"], "Arceaux"))
    assert {"personal-email", "personal-phone", "personal-iban"} <= set(personal["flags"])
    assert {"near-duplicate", "listed-word"} <= set(copy["flags"]) and copy["duplicate_of"] == "20261003-3f9a1c27"
    assert not set(clean.get("flags", [])) & {"personal-email", "near-duplicate", "listed-word", "capitals"}
    assert files["Remboursement"].read_text(encoding="utf-8").endswith(
        f"Rappelez-moi au {phone} ou écrivez à {EMAIL}. Versez sur {iban}.\n")  # flags never change the text

    description = pr_texts(site)
    assert "personal-email" in description and "near-duplicate" in description
    for secret in (EMAIL, phone, iban, "0612345678", "FR7630006000"):
        assert secret not in description and secret not in report.render()

    shown = CliRunner().invoke(cli, ["--root", str(site), "moderate", "show", personal["id"], copy["id"]])
    assert shown.exit_code == 0, shown.output
    assert f"«{EMAIL}»" in shown.output and f"«{phone}»" in shown.output and f"«{iban}»" in shown.output
    assert "duplicate_of: 20261003-3f9a1c27" in shown.output and "«hollandaise»" in shown.output
    listed = CliRunner().invoke(cli, ["--root", str(site), "moderate", "--flagged"])
    assert f"«{EMAIL}»" in listed.output and listed.output.index(personal["id"]) >= 0
    checked = CliRunner().invoke(cli, ["--root", str(site), "check"])
    assert checked.exit_code == 0, checked.output


def test_near_duplicates_written_by_a_stopped_pull_are_written_again_with_the_same_bytes(
        site: Path, inbox: Inbox) -> None:
    """A pull stopped before its commit left two near-duplicate files on the branch's checkout;
    the next pull compares them as the first one did (only delivered files are indexed before
    the batch), so both files are its own: written, not 'kept'."""
    text = "Il faudrait des arceaux pour les vélos devant la gare et le long de la rue Haute, merci."
    first = Submission(**{**sub(1).__dict__, "body": text})
    second = Submission(**{**sub(2).__dict__, "body": text + " Vraiment."})
    inbox.add(first)
    inbox.add(second)
    folder = site / "content" / "consultations" / "plan-velo" / "contributions"
    (folder / f"{first.id}.md").write_text(render_contribution(first, PARIS))  # written, not committed
    (folder / f"{second.id}.md").write_text(render_contribution(second, PARIS, ("near-duplicate",), first.id))
    report = do_pull(site, inbox, branch="moderation")
    assert report.kept == [] and sorted(id_ for _, id_, _ in report.written) == [first.id, second.id]
    assert report.flagged == {second.id: ("near-duplicate",)}


PIDS = Path("/nonexistent")  # where _prepare_noting_pid notes the process it ran in


def _prepare_noting_pid(*args: Any) -> Any:
    """consult.detect.prepare, noting which process ran it (a module-level function: a worker
    process gets it by name)."""
    from consult.detect import prepare

    with PIDS.open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    return prepare(*args)


@pytest.mark.parametrize("parallel", [False, True])
def test_pull_flags_the_near_duplicates_the_in_memory_index_found(site: Path, inbox: Inbox, parallel: bool,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: the index keeps only band keys in memory and reads a written file back when a new
    text lands in its bucket; a large pull prepares the texts in a worker process. Over several
    batches of a corpus with planted near-copies, every file's `flags:` and `duplicate_of:` are
    those the all-in-memory index gives, in this process or with the worker."""
    import consult.pull
    from consult.detect import duplicate_text
    from tests.test_detect import ReferenceIndex, planted_corpus

    monkeypatch.setattr(consult.pull, "BATCH", 40)
    monkeypatch.setattr(consult.pull, "PARALLEL_FROM", 1 if parallel else 10**9)
    monkeypatch.setattr(consult.pull, "prepare", _prepare_noting_pid)
    monkeypatch.setattr(sys.modules[__name__], "PIDS", site.parent / "pids")
    corpus = planted_corpus(300, seed=3)
    subs = [Submission(**{**sub(n).__dict__, "title": title, "body": body, "answers": answers})
            for n, (title, body, answers) in enumerate(corpus)]
    for item in subs:
        inbox.add(item)
    folder = site / "content" / "consultations" / "plan-velo" / "contributions"
    reference = ReferenceIndex()
    for path in sorted(folder.glob("*.md")):  # the demo site's contributions, indexed first
        doc, body, _ = parse_front_matter(path.read_text(encoding="utf-8"), path.name)
        if doc.data.get("status") != "rejected":
            reference.add(doc.data["id"], duplicate_text(doc.data.get("title") or "", body.strip("\n"),
                                                         doc.data.get("answers") or {}))
    expected = {}
    for item in subs:
        found = reference.check(item.id, duplicate_text(item.title, item.body, dict(item.answers)))
        expected[item.id] = found.other if found else ""
    assert sum(bool(other) for other in expected.values()) > 50

    report = do_pull(site, inbox)
    assert len(report.written) == len(subs)
    pids = (site.parent / "pids").read_text().split()
    assert len(pids) == 8 and (set(pids) == {str(os.getpid())}) != parallel  # 8 pages, here or in the worker
    written = {item.id: front_matter(folder / f"{item.id}.md") for item in subs}
    assert {id_: data.get("duplicate_of", "") for id_, data in written.items()} == expected
    assert {id_ for id_, data in written.items() if "near-duplicate" in data.get("flags", [])} == \
        {id_ for id_, other in expected.items() if other}
    tz = require_config(site).tz  # the files' parts rendered in the worker: byte for byte render_contribution's
    for item in subs:
        data = written[item.id]
        assert (folder / f"{item.id}.md").read_bytes() == render_contribution(
            item, tz, tuple(data.get("flags", ())), data.get("duplicate_of", "")).encode("utf-8")


def test_a_page_whose_write_fails_is_not_marked_and_the_next_pull_finishes_it(site: Path, inbox: Inbox,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages are written in a thread while the next one is screened: a write that fails stops the
    pull before that page (or any later one) is marked; the next pull writes the rest, each once."""
    import consult.pull

    monkeypatch.setattr(consult.pull, "BATCH", 40)
    for n in range(120):
        inbox.add(sub(n))
    real = consult.pull.write_batch
    calls: list[int] = []

    def failing(items: list[tuple[Path, bytes]]) -> list[bool]:
        calls.append(len(items))
        if len(calls) == 2:
            raise PullError("disk full")
        return real(items)

    monkeypatch.setattr(consult.pull, "write_batch", failing)
    with pytest.raises(PullError, match="disk full"):
        do_pull(site, inbox)
    assert calls == [40, 40]  # the third page was never written
    folder = site / "content" / "consultations" / "plan-velo" / "contributions"
    assert {sub(n).id for n in range(40)} <= {p.stem for p in folder.glob("*.md")}
    assert not {sub(n).id for n in range(40, 120)} & {p.stem for p in folder.glob("*.md")}
    monkeypatch.setattr(consult.pull, "write_batch", real)
    again = do_pull(site, inbox)
    assert sorted(id_ for _, id_, _ in again.written) == [sub(n).id for n in range(40, 120)]
    assert again.confirmed == 40  # the first page, written and marked before the failure
    assert do_pull(site, inbox).confirmed == 80


def test_a_page_whose_marks_fail_stops_the_marking_and_the_next_pull_finishes_it(site: Path, inbox: Inbox,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages are marked in a thread of their own, each once its files are durable: a mark that fails
    raises from the pull, no later page is marked, and the next pull settles every row exactly once."""
    import consult.pull
    from consult.inbox.base import InboxError
    from consult.inbox.sql import Inbox as SqlInbox

    monkeypatch.setattr(consult.pull, "BATCH", 40)
    for n in range(120):
        inbox.add(sub(n))
    real_mark = SqlInbox.mark_written
    marked: list[list[str]] = []

    def failing(self: Inbox, ids: list[str], worker: str, now: datetime) -> int:
        assert set(ids) <= set(contribution_files(site))  # files durable before their rows are marked
        marked.append(ids)
        if len(marked) == 2:
            raise InboxError("inbox gone (injected)")
        return real_mark(self, ids, worker, now)

    monkeypatch.setattr(SqlInbox, "mark_written", failing)
    with pytest.raises(InboxError, match="inbox gone"):
        do_pull(site, inbox)
    assert len(marked) == 2 and inbox.counts() == {"written": 40, "claimed": 80}
    monkeypatch.setattr(SqlInbox, "mark_written", real_mark)
    do_pull(site, inbox)
    assert_exactly_once(site, inbox, 120)


TRICKY = ["", "yes", "null", "~", "12", "1e3", "2026-01-02", "a: b", "a #b", " lead", "trail ", "-x", "? q", "'q'",
          '"d"', "multi\nline", "tab\there", "é à œ", "emoji 😀", "[x]", "{y}", "&a", "*b", "!c", "|", ">", "%", "@",
          "#", ":", "---", "...", "\u2028", "x" * 300]


def test_a_file_put_together_from_its_parts_is_the_whole_front_matter_dumped_at_once() -> None:
    """Issue 17: a large pull renders what a file takes from its submission in its worker
    (`citizen_parts`) and only the pull's decisions here (`moderation_part`); end to end they must
    be byte for byte the one mapping dumped at once, whatever the citizen typed."""
    from consult.document import dump_front_matter
    from consult.pull import AUTO

    rng = random.Random(17)
    received = datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=timezone.utc)

    def text() -> str:
        return "".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 3)))

    for n in range(3000):
        answers: dict[str, Any] = {rng.choice(["q1", "yes", "1"]): [text() for _ in range(rng.randint(0, 2))]
                                   if rng.random() < 0.3 else text() for _ in range(rng.randint(0, 2))}
        item = Submission(id=f"20261115-{n:08d}", consultation="c", kind=rng.choice(["suggestion", "proposal"]),
                          proposal=rng.choice([None, "p-1", text()]), title=text(), body=text(), author=text(),
                          answers=answers, received=received,
                          category=rng.choice(["", text()]), flags=rng.choice(["", "too-fast,no-token"]))
        tz, flags = rng.choice([timezone.utc, PARIS]), rng.choice([None, (), ("near-duplicate",)])
        duplicate_of, channel = rng.choice(["", "20261115-00000001", text()]), rng.choice(["", "paper", text()])
        published = rng.choice([None, NOW])
        data: dict[str, Any] = {"id": item.id, "kind": item.kind, "proposal": item.proposal, "author": item.author,
                                "submitted": received.astimezone(tz).replace(microsecond=0),
                                "status": "published" if published else "pending"}
        if published:
            data.update(decided=published.astimezone(tz).replace(microsecond=0), decided_by=AUTO)
        data.update(channel=channel, flags=list(parse_flags(item.flags) if flags is None else flags),
                    duplicate_of=duplicate_of, title=item.title, category=item.category, answers=item.answers)
        whole = dump_front_matter({key: value for key, value in data.items() if value}, item.body + "\n" if item.body else "")
        assert render_contribution(item, tz, flags, duplicate_of, published, channel) == whole


def test_the_cyclic_collector_is_paused_while_pages_are_pulled_and_restored_after(
        site: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: while pages are pulled, what existed before is frozen out of the collector's sight and
    young objects are collected less often (full collections walked the growing report and index
    again and again); the thresholds and the frozen set are as before once the pull returns."""
    import gc

    import consult.pull

    seen: list[tuple[int, int]] = []
    real = consult.pull.write_batch

    def noting(items: list[tuple[Path, bytes]]) -> list[bool]:
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
        return real(items)

    monkeypatch.setattr(consult.pull, "write_batch", noting)
    monkeypatch.setattr(consult.pull, "BATCH", 2)
    for n in range(5):
        inbox.add(sub(n))
    thresholds = gc.get_threshold()
    gc.unfreeze()
    assert len(do_pull(site, inbox).written) == 5
    assert len(seen) == 3 and all(first == consult.pull.COLLECT_EVERY and frozen > 0 for first, frozen in seen)
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0


def test_the_next_page_is_handed_to_the_writer_before_this_one_is_marked(site: Path, inbox: Inbox,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: the disk never waits for the inbox: page 2's files are being written while page 1's
    rows are marked (page 1 marked only once its own files are durable, as ever)."""
    import threading

    import consult.pull
    from consult.inbox.sql import Inbox as SqlInbox

    monkeypatch.setattr(consult.pull, "BATCH", 40)
    for n in range(120):
        inbox.add(sub(n))
    real_write, real_mark = consult.pull.write_batch, SqlInbox.mark_written
    started: list[int] = []
    second = threading.Event()
    overlapped: list[bool] = []

    def write(items: list[tuple[Path, bytes]]) -> list[bool]:
        started.append(len(items))
        if len(started) == 2:
            second.set()
        return real_write(items)

    def mark(self: Inbox, ids: list[str], worker: str, now: datetime) -> int:
        if not overlapped:  # page 1: its files are durable; page 2's write has begun meanwhile
            assert set(ids) <= set(contribution_files(site))
            overlapped.append(second.wait(timeout=10))
        return real_mark(self, ids, worker, now)

    monkeypatch.setattr(consult.pull, "write_batch", write)
    monkeypatch.setattr(SqlInbox, "mark_written", mark)
    assert len(do_pull(site, inbox).written) == 120
    assert overlapped == [True] and started == [40, 40, 40]


def test_a_file_read_back_other_than_written_stops_the_batch_and_is_removed(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`write_batch` reads each new file back (with os calls, issue 17): a file that is not exactly
    what was written, shorter, longer or other, is an error, and the file is not left in place."""
    import consult.pull
    from consult.pull import PullError, _reads_back, write_batch

    path = tmp_path / "a.md"
    path.write_bytes(b"hello")
    assert _reads_back(str(path), b"hello")
    assert not _reads_back(str(path), b"hell") and not _reads_back(str(path), b"hello!")
    assert not _reads_back(str(path), b"jello")
    real_link = os.link

    def corrupting(source: str, target: str, **kwargs: Any) -> None:
        real_link(source, target, **kwargs)
        if target.endswith("b.md"):  # as if the disk gave back other bytes
            os.unlink(target)
            Path(target).write_bytes(b"---\nid: x\n---\n")

    monkeypatch.setattr(consult.pull.os, "link", corrupting)
    with pytest.raises(PullError, match="b.md: the file read back differs"):
        write_batch([(tmp_path / "b.md", b"---\nid: b\n---\n")])
    assert not (tmp_path / "b.md").exists()
    assert write_batch([(tmp_path / "c.md", b"c")]) == [True] and (tmp_path / "c.md").read_bytes() == b"c"


@pytest.mark.skipif(not UNNAMED, reason="no O_TMPFILE here")
def test_files_are_written_unnamed_where_the_filesystem_can_else_through_named_temps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: `write_batch` writes each file with no name (O_TMPFILE) and links it in once it is
    on disk, so no temp name is ever made (nor removed); where the filesystem refuses unnamed files
    it writes named temps as before. Either way the same files, never over an existing one."""
    import consult.pull
    from consult.pull import write_batch

    seen: list[list[str]] = []
    real_link = os.link

    def noting(source: str, target: str, **kwargs: Any) -> None:
        seen.append(sorted(os.listdir(os.path.dirname(target))))
        real_link(source, target, **kwargs)

    monkeypatch.setattr(consult.pull.os, "link", noting)
    (tmp_path / "kept.md").write_bytes(b"an edit")
    items = [(tmp_path / "a.md", b"a"), (tmp_path / "kept.md", b"k"), (tmp_path / "b.md", b"b" * 70_000)]
    assert write_batch(items) == [True, False, True]
    assert seen and not any(name.endswith(".tmp") for names in seen for name in names)  # nothing named but files
    assert [(tmp_path / name).read_bytes() for name in ("a.md", "kept.md", "b.md")] == [b"a", b"an edit", b"b" * 70_000]
    assert oct((tmp_path / "a.md").stat().st_mode & 0o777) == oct(0o644 & ~current_umask())

    seen.clear()
    refuse_unnamed(monkeypatch)
    items = [(tmp_path / "c.md", b"c"), (tmp_path / "kept.md", b"k")]
    assert write_batch(items) == [True, False]
    assert any(name.endswith(".tmp") for names in seen for name in names)  # named temps, then removed
    assert sorted(os.listdir(tmp_path)) == ["a.md", "b.md", "c.md", "kept.md"]
    assert (tmp_path / "c.md").read_bytes() == b"c"


def test_a_batch_larger_than_the_open_files_allowed_is_written_in_parts(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Unnamed files stay open until linked: a batch is cut into parts of what the open-file limit
    allows, each part made durable before its files are linked; every file is written once."""
    import consult.pull
    from consult.pull import write_batch

    monkeypatch.setattr(consult.pull, "_unnamed_room", lambda: 64 if UNNAMED else 0)
    items = [(tmp_path / f"{n:03d}.md", f"file {n}".encode()) for n in range(150)]
    assert write_batch(items) == [True] * 150
    assert [(tmp_path / f"{n:03d}.md").read_bytes() for n in range(150)] == [data for _, data in items]
    assert write_batch(items[140:]) == [False] * 10


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

"""Kind `report` ("Signaler ce contenu", post-moderation): the handler takes a report only about a
published item of a post-moderated consultation; pull flags the item `reported` and keeps the report
in reports/, never published; `consult moderate --flag reported` lists it; unpublish takes it down."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from consult.build import build_site
from consult.config import parse_config
from consult.forms.core import Context, Response
from consult.forms.guard import Guard
from consult.forms.pages import Pages
from consult.forms.rules import parse_rules
from consult.inbox import Inbox
from consult.moderation import add_flag, list_pending, remove_flag
from consult.render import chrome_for
from tests.helpers_site import make_site
from tests.test_forms import NOW, RULES, SECRET, post
from tests.test_forms import inbox as inbox  # noqa: F401  (a fixture)
from tests.test_post_moderation import moderate, set_mode
from tests.test_transparency import page_text
from tests.test_pull import (NOW as PULL_NOW, contribution_files, do_pull, front_matter, make_handler, send, site,  # noqa: F401
                             velo)
from tests.test_pull import sub as sub_pull

PUBLISHED = "20261115-00000001"
BERGES = {
    "slug": "berges", "title": "Les berges", "url": "/consultations/berges/", "moderation": "post",
    "opens": "2026-11-01T00:00:00+01:00", "closes": "2027-01-31T23:59:00+01:00",
    "kinds": ["suggestion"], "questions": [], "proposals": [], "published": [PUBLISHED],
}
REASONS = [{"code": "hors-sujet", "label": "Hors sujet"}, {"code": "doublon", "label": "Doublon"}]


def report_ctx(inbox: Inbox, **berges: Any) -> Context:
    """The handler with a post-moderated consultation (one published item), a closed one, and the
    test_forms consultations (pre-moderated), with the theme's chrome (its thank-you pages)."""
    closed = dict(BERGES, slug="vieux-parc", url="/consultations/vieux-parc/",
                  opens="2025-01-01T00:00:00+01:00", closes="2025-02-01T00:00:00+01:00")
    data = dict(RULES, reasons=REASONS, consultations=[*RULES["consultations"], dict(BERGES, **berges), closed])
    rules = replace(parse_rules(json.dumps(data, ensure_ascii=False)), chrome=chrome_for(make_site()))
    return Context(rules=rules, inbox=inbox, guard=Guard(SECRET), pages=Pages(rules))


def report(**over: Any) -> dict[str, Any]:
    consultation = str(over.get("consultation", "berges"))
    fields: dict[str, Any] = {"kind": "report", "consultation": consultation, "target": PUBLISHED,
                              "reason": "hors-sujet", "body": "Sans rapport avec les berges.", "website": "",
                              "idempotency_key": "",
                              "token": Guard(SECRET).token(NOW - timedelta(minutes=2), consultation, "report")}
    fields.update(over)
    return {k: v for k, v in fields.items() if v is not None}


def test_a_report_about_a_published_item_is_stored_and_thanked(inbox: Inbox) -> None:
    response = post(report_ctx(inbox), report())
    assert response.status == 303 and response.header("Location") == "/thanks/report/?back=/consultations/berges/"
    [row] = inbox.all()
    assert (row.kind, row.consultation, row.proposal, row.category, row.body) == \
        ("report", "berges", PUBLISHED, "hors-sujet", "Sans rapport avec les berges.")
    assert row.flags == "" and row.email == "" and row.author == ""


def test_a_report_needs_no_note_and_is_taken_once_a_consultation_closed(inbox: Inbox) -> None:
    assert post(report_ctx(inbox), report(body="")).status == 303
    closed = post(report_ctx(inbox), report(consultation="vieux-parc", body="encore"))
    assert closed.status == 303, closed.body.decode()  # what is published stays online, reportable
    assert sorted(r.consultation for r in inbox.all()) == ["berges", "vieux-parc"]  # all() orders by time: same instant


def test_a_report_without_a_reason_comes_back_with_what_was_typed(inbox: Inbox) -> None:
    response = post(report_ctx(inbox), report(reason="", body="Mon <b>texte</b> à garder"))
    page = response.body.decode()
    assert response.status == 422 and inbox.all() == []
    assert "Choisissez le motif du signalement." in page
    assert "Mon &lt;b&gt;texte&lt;/b&gt; à garder" in page
    assert f'name="target" value="{PUBLISHED}"' in page and 'name="reason"' in page
    assert f'id="report-{PUBLISHED}-reason"' in page and 'href="#report-' + PUBLISHED + '-reason"' in page


@pytest.mark.parametrize("case", ["pre-moderated", "unpublished target", "forged reason", "about a proposal"])
def test_reports_no_page_of_ours_offers_are_refused_and_give_the_text_back(inbox: Inbox, case: str) -> None:
    fields = {"pre-moderated": report(consultation="velo"), "unpublished target": report(target="20261115-00000002"),
              "forged reason": report(reason="pas-un-motif"),
              "about a proposal": report(proposal="pistes")}[case]
    response = post(report_ctx(inbox), fields)
    assert response.status == 400 and inbox.all() == []
    assert "Sans rapport avec les berges." in response.body.decode()  # the note, to copy


def test_json_reports_follow_the_same_rules(inbox: Inbox) -> None:
    ctx = report_ctx(inbox)
    ok = post(ctx, json.dumps(report()).encode(), ctype="application/json")
    refused = post(ctx, json.dumps(report(target="20261115-00000009")).encode(), ctype="application/json")
    assert ok.status == 200 and refused.status == 400 and len(inbox.all()) == 1


def test_add_flag_changes_only_the_flags_lines() -> None:
    plain = "---\nid: x\nstatus: published\ntitle: T\n---\nTexte\n"
    assert add_flag(plain, "reported") == "---\nid: x\nstatus: published\ntitle: T\nflags:\n- reported\n---\nTexte\n"
    block = "---\r\nid: x\r\nflags:\r\n- too-fast\r\nstatus: published\r\n---\r\nTexte\r\n"
    assert add_flag(block, "reported") == \
        "---\r\nid: x\r\nflags:\r\n- too-fast\r\n- reported\r\nstatus: published\r\n---\r\nTexte\r\n"
    flow = "---\nid: x\nflags: [links]\nstatus: published\n---\n"
    assert add_flag(flow, "reported") == "---\nid: x\nflags: [links, reported]\nstatus: published\n---\n"
    once = add_flag(plain, "reported")
    assert add_flag(once, "reported") == once


# --- the whole loop, on a copy of the demo site -------------------------------------------------


def test_post_pull_published_report_pull_flagged_unpublish_build_gone(site: Path, inbox: Inbox) -> None:
    set_mode(site, "post")
    build_site(site, now=PULL_NOW)
    status, headers, _ = send(make_handler(site, inbox), velo(body="Un texte à signaler."))
    assert status.startswith("303")
    do_pull(site, inbox)
    [item] = [p for p in contribution_files(site).values() if "Un texte à signaler." in p.read_text(encoding="utf-8")]
    assert front_matter(item)["status"] == "published"
    build_site(site, now=PULL_NOW)  # the rules now list it as published; its page shows the form
    page = (site / "_site" / "consultations" / "plan-velo" / "index.html").read_text(encoding="utf-8")
    assert f'name="target" value="{item.stem}"' in page and "Signaler ce contenu" in page
    token = Guard(SECRET).token(PULL_NOW - timedelta(minutes=1), "plan-velo", "report")
    fields = {"kind": "report", "consultation": "plan-velo", "target": item.stem, "reason": "hors-sujet",
              "body": "Hors sujet.", "website": "", "idempotency_key": "", "token": token}
    status, headers, _ = send(make_handler(site, inbox), fields, addr="192.0.2.9")
    assert status.startswith("303") and headers["Location"].startswith("/thanks/report/")
    before = item.read_text(encoding="utf-8")
    pulled = do_pull(site, inbox)
    after = item.read_text(encoding="utf-8")
    assert front_matter(item)["flags"] == ["reported"] and front_matter(item)["status"] == "published"
    assert set(after.splitlines()) - set(before.splitlines()) == {"flags:", "- reported"}
    [kept] = (site / "content" / "consultations" / "plan-velo" / "reports").glob("*.md")
    record = front_matter(kept)
    assert (record["kind"], record["target"], record["reason"]) == ("report", item.stem, "hors-sujet")
    assert "Hors sujet." in kept.read_text(encoding="utf-8") and pulled.reports and pulled.reported
    assert not any("report" == front_matter(p).get("kind") for p in contribution_files(site).values())
    # Idempotent: a second pull confirms the report and changes nothing.
    again = do_pull(site, inbox)
    assert again.reports == [] and again.reported == [] and item.read_text(encoding="utf-8") == after
    assert "report" in [row.kind for row in inbox.all()]  # kept until retention, like any exported row
    assert [e.id for e in list_pending(site, flag="reported")] == [item.stem]
    listed = moderate(site, "--flag", "reported")
    assert listed.exit_code == 0 and item.stem in listed.output, listed.output
    assert "publiée, signalée" in listed.output.replace("\u00a0", " ")
    build_site(site, now=PULL_NOW)
    assert "Signalées par des participants 1" in page_text(site / "_site", "consultations/plan-velo/moderation")
    assert "Hors sujet." not in "".join(p.read_text(encoding="utf-8") for p in (site / "_site").rglob("*.html"))
    done = moderate(site, "unpublish", item.stem, "--reason", "hors-sujet")
    assert done.exit_code == 0, done.output
    assert list_pending(site, flag="reported") == []
    build_site(site, now=PULL_NOW)
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "_site").rglob("*.html"))
    assert "Un texte à signaler." not in pages


def test_a_report_whose_target_is_gone_is_kept_flagged_orphan(site: Path, inbox: Inbox) -> None:
    from consult.inbox import Submission

    set_mode(site, "post")
    inbox.add(Submission(id="20261115-0000000r", consultation="plan-velo", kind="report", proposal="20261115-99999999",
                         title="", body="", author="", received=PULL_NOW, idem_key="kr", body_hash="h",
                         category="doublon"))
    pulled = do_pull(site, inbox)
    [kept] = (site / "content" / "consultations" / "plan-velo" / "reports").glob("*.md")
    assert front_matter(kept)["flags"] == ["orphan"] and pulled.orphans and pulled.reported == []


def test_remove_flag_takes_off_only_that_flag_whatever_the_list_looks_like() -> None:
    block = "---\r\nid: x\r\nflags:\r\n- too-fast\r\n- reported\r\n- links\r\nstatus: published\r\n---\r\nTexte\r\n"
    assert remove_flag(block, "reported") == \
        "---\r\nid: x\r\nflags:\r\n- too-fast\r\n- links\r\nstatus: published\r\n---\r\nTexte\r\n"
    alone = "---\nid: x\nstatus: published\nflags:\n- reported\ntitle: T\n---\nTexte\n"
    assert remove_flag(alone, "reported") == "---\nid: x\nstatus: published\ntitle: T\n---\nTexte\n"
    flow = "---\nid: x\nflags: [links, reported]\nstatus: published\n---\n"
    assert remove_flag(flow, "reported") == "---\nid: x\nflags: [links]\nstatus: published\n---\n"
    assert remove_flag("---\nid: x\nflags: [reported]\n---\n", "reported") == "---\nid: x\n---\n"
    assert remove_flag(block.replace("- reported\r\n", ""), "reported") == block.replace("- reported\r\n", "")
    assert remove_flag(add_flag(alone, "links"), "links") == alone


def test_keep_takes_the_reported_flag_off_dates_the_decision_and_leaves_the_rest(site: Path, inbox: Inbox) -> None:
    """The other outcome of a report: the item stays published; only the flag and the decision lines change."""
    set_mode(site, "post")
    inbox.add(replace(sub_pull(1), body="Un texte à garder."))
    inbox.add(replace(sub_pull(2), body="Un autre texte."))
    do_pull(site, inbox)
    files = contribution_files(site)
    item, other = files[sub_pull(1).id], files[sub_pull(2).id]
    text = item.read_text(encoding="utf-8")
    assert "decided_by: auto" in text
    item.write_text(add_flag(add_flag(text, "links"), "reported"), encoding="utf-8")  # a detector's flag, then a report
    before = item.read_text(encoding="utf-8")
    other_before = other.read_text(encoding="utf-8")
    refused = moderate(site, "keep", sub_pull(1).id, sub_pull(2).id)  # the other one was not reported
    assert refused.exit_code == 1 and "reported" in refused.output
    assert item.read_text(encoding="utf-8") == before and other.read_text(encoding="utf-8") == other_before
    done = moderate(site, "keep", sub_pull(1).id)
    assert done.exit_code == 0 and "gardée publiée" in done.output, done.output
    after = item.read_text(encoding="utf-8")
    data = front_matter(item)
    assert data["status"] == "published" and data["flags"] == ["links"] and "decided_by" not in data
    today = datetime.now(parse_config((site / "site.yaml").read_text(encoding="utf-8")).tz).date().isoformat()
    assert str(data["decided"]) == today  # the site's day (the machine's, in UTC, differs after 23:00)
    removed = set(before.splitlines()) - set(after.splitlines())
    added = set(after.splitlines()) - set(before.splitlines())
    assert {line for line in removed if not line.startswith("decided:")} == {"- reported", "decided_by: auto"}
    assert added == {f"decided: {today}"}
    assert after.split("---")[2] == before.split("---")[2]  # the text untouched
    assert list_pending(site, flag="reported") == []
    assert moderate(site, "keep", sub_pull(1).id).exit_code == 1  # kept already: nothing more to keep


def test_moderate_show_prints_what_participants_reported_about_a_published_item(site: Path, inbox: Inbox) -> None:
    """`consult moderate show ID` on a reported item gives the reports' reasons (the charter's words)
    and notes, as the screen does; a pending item has no reports to show."""
    from consult.i18n import translate

    set_mode(site, "post")
    inbox.add(replace(sub_pull(1), body="Un texte signalé."))
    do_pull(site, inbox)
    item = contribution_files(site)[sub_pull(1).id]
    item.write_text(add_flag(item.read_text(encoding="utf-8"), "reported"), encoding="utf-8")
    reports = item.parent.parent / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "20260306-0000abcd.md").write_text(
        f"---\nid: 20260306-0000abcd\nkind: report\ntarget: '{item.stem}'\nreason: hors-sujet\n"
        "submitted: 2026-03-06 10:00:00+01:00\n---\nRien à voir avec le parc.\n", encoding="utf-8")
    shown = moderate(site, "show", item.stem)
    assert shown.exit_code == 0, shown.output
    assert "Signalée par des participants" in shown.output
    assert f"{translate('fr', 'reason.hors-sujet')} : Rien à voir avec le parc." in shown.output
    text = item.read_text(encoding="utf-8").replace("status: published", "status: pending")
    item.write_text(text, encoding="utf-8")
    assert "Signalée par des participants" not in moderate(site, "show", item.stem).output


def test_erase_removes_a_report_file_and_its_inbox_row_and_pull_never_brings_it_back(site: Path, inbox: Inbox) -> None:
    """A report is a citizen's submission too: `consult erase` removes its file under reports/ and its
    inbox row, with a tombstone; a pull neither writes it again nor leaves a copy (a rolling branch's)."""
    from consult.inbox import Submission
    from consult.moderation import erase

    set_mode(site, "post")
    inbox.add(replace(sub_pull(1), body="Un texte signalé."))
    do_pull(site, inbox)
    target = contribution_files(site)[sub_pull(1).id]
    report_id = "20261115-0000000r"
    inbox.add(Submission(id=report_id, consultation="plan-velo", kind="report", proposal=target.stem, title="",
                         body="Note du participant.", author="", received=PULL_NOW, idem_key="kr", body_hash="h",
                         category="hors-sujet"))
    do_pull(site, inbox)
    path = site / "content/consultations/plan-velo/reports" / f"{report_id}.md"
    copy = path.read_bytes()
    flagged = target.read_bytes()
    done = erase(site, inbox, report_id, PULL_NOW)
    assert f"removed content/consultations/plan-velo/reports/{report_id}.md" in done and not path.exists()
    assert inbox.get(report_id) is None and inbox.is_erased(report_id)
    assert target.read_bytes() == flagged  # the reported item is another person's: a moderator decides on it
    path.write_bytes(copy)  # still on a branch the pull checks out
    again = do_pull(site, inbox)
    assert not path.exists() and again.erased == [f"content/consultations/plan-velo/reports/{report_id}.md"]
    assert again.reports == [] and do_pull(site, inbox).erased == []

"""Citizen proposals: the form, approve/promote into proposal files, `consult respond`, embargo."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consult.build import check_site
from consult.cli import cli
from consult.config import require_config
from consult.content.load import load_site
from consult.document import parse_front_matter
from consult.errors import ConsultError
from consult.forms.rules import parse_rules
from consult.inbox import Inbox, Submission, open_inbox
from consult.proposals import answer, edit_front_matter, publish, respond, unique_slug
from consult.pull import pull
from tests.conftest import copy_demo
from consult.forms.pages import Pages
from consult.render import chrome_for
from tests.helpers_site import make_site
from tests.test_forms import RULES, make_ctx, post

NOW = datetime(2026, 11, 15, 23, 30, tzinfo=timezone.utc)  # 16 November in Paris
VELO = "content/consultations/plan-velo"


@pytest.fixture
def site(disk_dir: Path) -> Path:
    root = disk_dir / "site"
    root.mkdir()
    copy_demo(root)
    index = root / VELO / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("kinds:\n", "kinds:\n  - proposal\n", 1), encoding="utf-8")
    return root


def proposal_sub(n: int, **over: Any) -> Submission:
    base: dict[str, Any] = dict(id=f"20261115-{n:08d}", consultation="plan-velo", kind="proposal", proposal=None,
                                title="Une piste rue Nationale", body="Texte **gras**\n\n<script>x</script>",
                                author="Zoé", answers={}, received=NOW, idem_key=f"k{n}", body_hash="h",
                                email="zoe@example.org", category="pistes")
    base.update(over)
    return Submission(**base)


def pulled(site: Path, disk_dir: Path, *subs: Submission) -> None:
    box = open_inbox(f"sqlite:///{disk_dir / 'inbox.sqlite3'}")
    for one in subs:
        box.add(one)
    pull(site, box, now=NOW)
    box.close()


def front(path: Path) -> dict[str, Any]:
    doc, _, problems = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
    assert not problems
    return doc.data


def model(site: Path, now: datetime = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)) -> Any:
    config = require_config(site)
    built, _ = load_site(site, config, now)
    return built.consultation("plan-velo")


# --- the form and the handler ----------------------------------------------------------------

PROPOSAL_RULES = dict(RULES, consultations=[dict(RULES["consultations"][0], kinds=["proposal", "comment", "support"],
                                                 categories=[{"id": "pistes", "label": "Pistes"}])])


def proposal_ctx(inbox: Inbox, themed: bool = False) -> Any:
    ctx = make_ctx(inbox)
    rules = parse_rules(json.dumps(PROPOSAL_RULES))
    ctx.rules = replace(rules, chrome=chrome_for(make_site())) if themed else rules
    ctx.pages = Pages(ctx.rules)
    return ctx


def fields(**over: Any) -> dict[str, Any]:
    base = {"kind": "proposal", "consultation": "velo", "title": "Des arceaux", "body": "Plus d'arceaux.",
            "category": "pistes", "author": "Ana", "email": "ana@example.org", "website": "", "idempotency_key": ""}
    return {k: v for k, v in {**base, **over}.items() if v is not None}


@pytest.fixture
def inbox(inbox_url: str):
    box = open_inbox(inbox_url)
    yield box
    box.close()


def test_a_proposal_is_stored_with_its_category(inbox: Inbox) -> None:
    assert post(proposal_ctx(inbox), fields()).status == 303
    [row] = inbox.all()
    assert (row.kind, row.title, row.body, row.category, row.email) == (
        "proposal", "Des arceaux", "Plus d'arceaux.", "pistes", "ana@example.org")
    assert post(proposal_ctx(inbox), fields(category="", title="Autre", idempotency_key="abcdefgh1")).status == 303
    assert sorted(r.category for r in inbox.all()) == ["", "pistes"]


def test_a_proposal_needs_a_title_and_a_text_and_keeps_what_was_typed(inbox: Inbox) -> None:
    response = post(proposal_ctx(inbox), fields(title="", body="Mon texte à garder"))
    page = response.body.decode()
    assert response.status == 422 and inbox.all() == []
    assert "Donnez un titre à votre proposition." in page and "Mon texte à garder" in page
    assert 'name="category" value="pistes"' in page  # the plain page (no theme) keeps the choice too
    themed = post(proposal_ctx(inbox, themed=True), fields(title="", body="Mon texte à garder")).body.decode()
    assert 'id="proposal-title-error"' in themed and '<option value="pistes" selected>' in themed
    assert "Mon texte à garder" in themed and "Proposer une idée à" in themed
    nobody = post(proposal_ctx(inbox), fields(body=""))
    assert nobody.status == 422 and "Écrivez votre texte." in nobody.body.decode()


def test_a_category_the_page_does_not_offer_or_a_consultation_without_proposals_is_refused(inbox: Inbox) -> None:
    tampered = post(proposal_ctx(inbox), fields(category="inconnue", body="Texte gardé"))
    assert tampered.status == 400 and "Texte gardé" in html.unescape(tampered.body.decode())
    assert post(make_ctx(inbox), fields()).status == 400  # RULES' velo takes no proposals
    assert inbox.all() == []


# --- approve and promote ---------------------------------------------------------------------

def test_approve_makes_a_citizen_proposal_file_that_check_accepts(site: Path, disk_dir: Path) -> None:
    pulled(site, disk_dir, proposal_sub(1))
    contribution = site / VELO / "contributions/20261115-00000001.md"
    assert front(contribution)["category"] == "pistes" and front(contribution)["kind"] == "proposal"
    before = contribution.read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(site), "moderate", "approve", "20261115-00000001"])
    assert result.exit_code == 0, result.output
    created = site / VELO / "proposals/une-piste-rue-nationale.md"
    assert created.read_text(encoding="utf-8") == (
        "---\ntitle: Une piste rue Nationale\ncategory: pistes\nstatus: recue\norigin: citizen\nauthor: Zoé\n"
        "submitted: 2026-11-16\nhistory:\n- date: 2026-11-16\n  status: recue\n---\n"
        "Texte **gras**\n\n<script>x</script>\n")
    after = contribution.read_text(encoding="utf-8")
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert (removed, added) == (["status: pending"], ["status: published", "proposal: une-piste-rue-nationale"])
    check_site(site, "2026-12-01T12:00")
    velo = model(site)
    proposal = next(p for p in velo.proposals if p.slug == "une-piste-rue-nationale")
    assert (proposal.origin, proposal.author, proposal.submitted, proposal.status.id) == (
        "citizen", "Zoé", date(2026, 11, 16), "recue")
    assert "&lt;script&gt;" in proposal.body_html and "<script>" not in proposal.body_html  # still untrusted
    assert "20261115-00000001" not in {c.id for c in velo.contributions}  # its text shows once, on its page


def test_promote_a_published_suggestion_and_slugs_stay_unique(site: Path, disk_dir: Path) -> None:
    pulled(site, disk_dir, proposal_sub(2, kind="suggestion", category="", author=""),
           proposal_sub(3, idem_key="k3"))
    suggestion = site / VELO / "contributions/20261115-00000002.md"
    suggestion.write_text(suggestion.read_text(encoding="utf-8").replace("status: pending", "status: published"),
                          encoding="utf-8")
    config = require_config(site)
    first = publish(site, "20261115-00000002", "recue", config.tz, promote=True)
    second = publish(site, "20261115-00000003", "recue", config.tz)
    assert first.proposal.endswith("/une-piste-rue-nationale.md")
    assert second.proposal.endswith("/une-piste-rue-nationale-2.md")
    assert "author" not in front(site / first.proposal) and "category" not in front(site / first.proposal)
    with pytest.raises(ConsultError, match="already published as proposal"):
        publish(site, "20261115-00000002", "recue", config.tz, promote=True)
    pulled(site, disk_dir, proposal_sub(4, idem_key="k4"))
    with pytest.raises(ConsultError, match="only a suggestion can be promoted"):
        publish(site, "20261115-00000004", "recue", config.tz, promote=True)
    check_site(site, "2026-12-01T12:00")
    page = CliRunner().invoke(cli, ["-C", str(site), "build", "--now", "2026-12-01T12:00"])
    assert page.exit_code == 0, page.output
    built = (site / "_site/consultations/plan-velo/proposals/une-piste-rue-nationale-2/index.html").read_text()
    assert "Proposée par <bdi>Zoé</bdi>" in built
    anonymous = (site / "_site/consultations/plan-velo/proposals/une-piste-rue-nationale/index.html").read_text()
    assert "Proposition citoyenne" in anonymous and "Proposée par" not in anonymous


def test_unique_slug_never_empty(tmp_path: Path) -> None:
    assert unique_slug(tmp_path, "!!!") == "proposition"
    (tmp_path / "proposition.md").write_text("")
    assert unique_slug(tmp_path, "???") == "proposition-2"


def test_the_form_is_on_the_page_only_where_the_consultation_takes_proposals(site: Path) -> None:
    assert CliRunner().invoke(cli, ["-C", str(site), "build", "--now", "2026-12-01T12:00"]).exit_code == 0
    velo = (site / "_site/consultations/plan-velo/index.html").read_text()
    assert 'id="proposal-form"' in velo and '<option value="pistes">' in velo and "Proposer une idée" in velo
    berges = (site / "_site/consultations/parc-des-berges/index.html").read_text()
    assert 'id="proposal-form"' not in berges
    rules = json.loads((site / "_site/consult-rules.json").read_text())
    velo_rules = next(c for c in rules["consultations"] if c["slug"] == "plan-velo")
    assert {"id": "pistes", "label": "Pistes et bandes cyclables"} in velo_rules["categories"]


# --- respond and embargo ---------------------------------------------------------------------

PROPOSAL = """\
---
title: "Des arceaux"   # a comment stays
status: recue
category: stationnement
history:
  - date: 2026-10-05
    status: recue
summary: Court.
---
Le texte.
"""


def test_answer_changes_only_its_lines() -> None:
    edited = answer(PROPOSAL, "retenue", date(2026, 12, 10), "Vu en conseil", "Oui.\n\nMerci.\n")
    assert edited == """\
---
title: "Des arceaux"   # a comment stays
status: retenue
category: stationnement
history:
  - date: 2026-10-05
    status: recue
  - date: 2026-12-10
    status: retenue
    note: Vu en conseil
summary: Court.
response: |-
  Oui.

  Merci.
response_date: 2026-12-10
---
Le texte.
"""
    again = answer(edited, "mise-en-oeuvre", date(2026, 12, 20), response="Fait.")
    assert "response: Fait.\nresponse_date: 2026-12-20\n---" in again and again.count("response:") == 1
    crlf = answer(PROPOSAL.replace("\n", "\r\n"), "retenue", date(2026, 12, 10))
    assert crlf == answer(PROPOSAL, "retenue", date(2026, 12, 10)).replace("\n", "\r\n")
    with pytest.raises(ConsultError, match="already has an entry of 2026-10-05"):
        answer(PROPOSAL, "retenue", date(2026, 10, 1))


def test_edit_front_matter_adds_a_missing_list_and_removes_a_key() -> None:
    text = "---\ntitle: x\nstatus: recue\nreason: r\n---\nbody\n"
    assert edit_front_matter(text, {"reason": None}, appended={"history": [{"status": "recue"}]}) == (
        "---\ntitle: x\nstatus: recue\nhistory:\n- status: recue\n---\nbody\n")


def test_respond_all_or_nothing_and_ambiguous_slugs(site: Path) -> None:
    ids = ("recue", "a-l-etude", "retenue", "mise-en-oeuvre", "non-retenue")
    arceaux = site / VELO / "proposals/arceaux-gare.md"
    before = arceaux.read_bytes()
    with pytest.raises(ConsultError, match="no proposal 'nulle-part'"):
        respond(site, ["arceaux-gare", "nulle-part"], "retenue", date(2026, 12, 10), ids)
    assert arceaux.read_bytes() == before
    with pytest.raises(ConsultError, match="unknown status"):
        respond(site, ["arceaux-gare"], "adoptee", date(2026, 12, 10), ids)
    twin = site / "content/consultations/parc-des-berges/proposals/arceaux-gare.md"
    twin.write_bytes(before)
    with pytest.raises(ConsultError, match="several consultations"):
        respond(site, ["arceaux-gare"], "retenue", date(2026, 12, 10), ids)
    assert respond(site, ["arceaux-gare"], "non-retenue", date(2026, 12, 10), ids,
                   consultation="plan-velo") == [f"{VELO}/proposals/arceaux-gare.md"]
    assert twin.read_bytes() == before and front(arceaux)["status"] == "non-retenue"


def test_an_answer_dated_later_is_embargoed_until_its_day(site: Path, tmp_path: Path) -> None:
    response = tmp_path / "reponse.md"
    response.write_text("La ville **retient** cette idée.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(site), "respond", "arceaux-gare", "rues-scolaires", "--status",
                                      "retenue", "--response-file", str(response), "--date", "2026-12-20"])
    assert result.exit_code == 0, result.output
    before = {p.slug: p for p in model(site, datetime(2026, 12, 19, 22, tzinfo=timezone.utc)).proposals}
    after = {p.slug: p for p in model(site, datetime(2026, 12, 20, 8, tzinfo=timezone.utc)).proposals}
    for slug in ("arceaux-gare", "rues-scolaires"):
        assert before[slug].status.id != "retenue" and "retient" not in before[slug].response_html
        assert all(h.date < date(2026, 12, 20) for h in before[slug].history)
        assert (after[slug].status.id, after[slug].response_date) == ("retenue", date(2026, 12, 20))
        assert "<strong>retient</strong>" in after[slug].response_html and after[slug].embargoed == ()
    check = CliRunner().invoke(cli, ["-C", str(site), "check", "--now", "2026-12-19T12:00"])
    assert check.exit_code == 0, check.output
    embargoed = [line for line in check.output.splitlines() if line.startswith("Sous embargo jusqu'au 20 décembre 2026")]
    assert len(embargoed) == 4 and any("la réponse officielle" in line and "arceaux-gare.md" in line for line in embargoed)
    later = CliRunner().invoke(cli, ["-C", str(site), "check", "--now", "2026-12-20T12:00"])
    assert "Sous embargo" not in later.output
    bad = CliRunner().invoke(cli, ["-C", str(site), "respond", "arceaux-gare", "--status", "retenue", "--date", "demain"])
    assert bad.exit_code != 0 and "AAAA-MM-JJ" in bad.output

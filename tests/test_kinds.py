"""consult/kinds.py is the one declaration of each submission kind: the theme's forms (build side)
and the handler's validation read it, so both show and accept exactly the fields it lists."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from consult.formview import FormView, render_form_page
from consult.forms.intake import SINGLE_FIELDS, Intake
from consult.forms.rules import ConsultationRule, ProposalRule, Rules
from consult.forms.validate import TRANSPORT_FIELDS, Invalid, check_fields, redisplayable
from consult.kinds import BY_NAME, CONTRIBUTION_KINDS, KINDS, KINDS_TABLE, NOTIFY_FIELDS, TYPED_FIELDS
from consult.model import Question, derive_status
from consult.render import chrome_for
from consult.theme import make_environment
from tests.helpers_site import make_site

QUESTION = Question(id="avis", label="Votre avis", required=True)
NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
RULE = ConsultationRule(slug="marche", title="Marché", url="/consultations/marche/", opens=NOW - timedelta(days=1),
                        closes=NOW + timedelta(days=1), kinds=KINDS, questions=(QUESTION,),
                        proposals=(ProposalRule("halles", "Halles", "/consultations/marche/proposals/halles/"),),
                        categories=(("vie", "Vie"),))


def typed_fields(page: str) -> set[str]:
    """The names of the fields a person fills in, in a rendered form page."""
    names = set(re.findall(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"', page))
    return {n for n in names if n not in TRANSPORT_FIELDS and not n.startswith("q_")}


ALL_KINDS = tuple(k.name for k in KINDS_TABLE)  # a report too, which no `kinds:` lists


@pytest.mark.parametrize("verified", (False, True))
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_the_theme_form_of_each_kind_has_the_fields_the_table_declares(kind: str, verified: bool) -> None:
    """On a `supports: verified` consultation too, where a support asks an e-mail and offers its opt-in box."""
    target = BY_NAME[kind].target == "proposal"
    form = FormView(action="/api/submit", kind=kind, consultation_slug="marche", consultation_title="Marché",
                    consultation_url="/consultations/marche/", proposal_slug="halles" if target else None,
                    proposal_title="Halles" if target else None, questions=(QUESTION,) if BY_NAME[kind].questions else (),
                    categories=(("vie", "Vie"),) if BY_NAME[kind].category else (),
                    target="20261201-abcd" if BY_NAME[kind].target == "item" else "",
                    reasons=(("doublon", "Doublon"),) if BY_NAME[kind].reason else (),
                    verified=verified and BY_NAME[kind].verifiable)
    page = render_form_page(make_environment(Path("/nonexistent-site"), "default"), chrome_for(make_site()), form)
    assert typed_fields(page) == set(BY_NAME[kind].form_fields(verified))
    assert ('name="q_avis"' in page) == BY_NAME[kind].questions


@pytest.mark.parametrize("verified", (False, True))
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_the_handler_gives_back_exactly_the_fields_of_each_kind(kind: str, verified: bool) -> None:
    """What a refused form shows again is what the table lists; any other typed text has no place in it."""
    fields = {name: ["x"] for name in TYPED_FIELDS}
    rule, consultation = BY_NAME[kind], replace(RULE, supports="verified" if verified else "open")
    expected = rule.form_fields(verified)
    kept = redisplayable(Intake({n: v for n, v in fields.items() if n in expected}, False), consultation, kind)
    assert kept is not None and set(kept.fields) == set(expected)
    others = [n for n in fields if n not in expected]
    for name in others:
        assert redisplayable(Intake({name: ["typed"]}, False), consultation, kind) is None


def test_required_fields_follow_the_table() -> None:
    for rule in KINDS_TABLE:
        if not rule.contribution and not rule.reason:
            continue
        with pytest.raises(Invalid) as refused:
            check_fields(Intake({"proposal": ["halles"]} if rule.target == "proposal" else {}, False), RULE, rule.name,
                         Rules(), "fr")
        errors = {name for name, _ in refused.value.errors}
        expected = ({"title"} if rule.title == "required" else set()) | ({"body"} if rule.body == "required" else set()) \
            | ({"reason"} if rule.reason else set())
        assert errors == expected | ({"q_avis"} if rule.questions else set()), rule.name


def test_contribution_kinds_and_status_rule_are_the_shared_ones() -> None:
    """A support is counted, never a file; the handler's open/closed/upcoming is the model's rule."""
    assert CONTRIBUTION_KINDS == tuple(k for k in KINDS if k != "support")
    for moment, status in ((RULE.opens - timedelta(seconds=1), "upcoming"), (RULE.opens, "open"),
                           (RULE.closes - timedelta(seconds=1), "open"), (RULE.closes, "closed")):
        assert RULE.status(moment) == derive_status(RULE.opens, RULE.closes, moment) == status


def test_the_opt_in_boxes_go_with_the_email_field() -> None:
    """A box ticked needs an address: every form with a box asks the e-mail, and the intake reads the
    boxes the table declares (an open consultation's support has neither)."""
    for rule in KINDS_TABLE:
        for verified in (False, True):
            fields = rule.form_fields(verified)
            boxes = {n for n in fields if n in NOTIFY_FIELDS}
            assert boxes == ({f"notify_{p}" for p in rule.notify} if "email" in fields else set())
    assert BY_NAME["support"].fields == ()
    assert set(BY_NAME["support"].form_fields(verified=True)) == {"email", "notify_proposal"}
    # A report is anonymous on any consultation: no e-mail, so no box (nothing to tell its sender).
    assert BY_NAME["report"].form_fields(verified=True) == BY_NAME["report"].fields == ("reason", "body")
    assert NOTIFY_FIELDS == {"notify_contribution", "notify_proposal"}
    assert NOTIFY_FIELDS <= SINGLE_FIELDS

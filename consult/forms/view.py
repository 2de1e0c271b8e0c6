"""The theme's `FormView` rebuilt from the rules and what the citizen typed."""

from __future__ import annotations

from consult.formview import FormView, form_links
from consult.forms.intake import Intake
from consult.forms.rules import ConsultationRule, Rules
from consult.forms.validate import offered_questions
from consult.kinds import BY_NAME, TITLE_MAX


def form_view(intake: Intake, consultation: ConsultationRule, kind: str, rules: Rules,
              errors: list[tuple[str, str]]) -> FormView:
    proposal = consultation.proposal(intake.one("proposal")) if BY_NAME[kind].target == "proposal" else None
    questions = offered_questions(consultation, kind)
    values: dict[str, str | tuple[str, ...]] = {}
    for name, given in intake.fields.items():
        if name == "website":
            continue
        values[name] = tuple(given) if name.startswith("q_") else given[0]
    return FormView(
        action=rules.endpoint,
        kind=kind,
        consultation_slug=consultation.slug,
        consultation_title=consultation.title,
        consultation_url=consultation.url,
        proposal_slug=proposal.slug if proposal else None,
        proposal_title=proposal.title if proposal else None,
        proposal_url=proposal.url if proposal else None,
        questions=questions,
        values=values,
        errors=tuple(errors),
        max_length=rules.max_length,
        title_max_length=TITLE_MAX,
        categories=consultation.categories if BY_NAME[kind].category else (),
        target=intake.one("target") if BY_NAME[kind].target == "item" else "",
        reasons=rules.reasons if BY_NAME[kind].reason else (),
        verified=BY_NAME[kind].verifiable and consultation.supports == "verified",
        **form_links(rules.chrome),
    )

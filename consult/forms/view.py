"""The theme's `FormView` rebuilt from the rules and what the citizen typed."""

from __future__ import annotations

from typing import Any

from consult.forms.intake import Intake
from consult.forms.rules import ConsultationRule, Rules
from consult.forms.validate import TITLE_MAX, offered_questions


def form_view(intake: Intake, consultation: ConsultationRule, kind: str, rules: Rules,
              errors: list[tuple[str, str]]) -> Any:
    from consult.model import Question
    from consult.render import FormView, form_links

    proposal = consultation.proposal(intake.one("proposal")) if kind in ("comment", "support") else None
    questions = tuple(
        Question(id=q.id, label=q.label, type=q.type, required=q.required, help=q.help,  # type: ignore[arg-type]
                 choices=q.choices, scale_min=q.min, scale_max=q.max, max_length=q.max_length)
        for q in offered_questions(consultation, kind)
    )
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
        categories=consultation.categories if kind == "proposal" else (),
        verified=kind == "support" and consultation.supports == "verified",
        **form_links(rules.chrome),
    )

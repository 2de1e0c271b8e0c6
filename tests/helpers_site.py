"""A small Site built by hand from the model dataclasses, for render and theme tests.

No content/ loader involved: each test states the site it renders.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from consult.config import parse_config
from consult.model import (
    Answer,
    Category,
    Consultation,
    Contribution,
    Page,
    Proposal,
    ProposalStatus,
    Question,
    Site,
    StatusChange,
    Text,
    derive_status,
    order_consultations,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)

SITE_YAML = """\
title: Ville de Test participe
description: Les consultations de la Ville de Test.
language: {language}
base_url: https://consultations.example.org
organisation:
  name: Ville de Test
  url: https://ville.example.org
  contact_email: contact@ville.example.org
contributions_per_page: 2
accessibility:
  status: partial
  audit_date: 2026-06-15
"""

QUESTIONS = (
    Question("avis", "Votre avis général", "text", required=True, help="Quelques lignes suffisent."),
    Question("transport", "Votre mode de transport", "single", required=True, choices=("Vélo", "Bus", "Voiture")),
    Question("jours", "Vos jours de marché", "multiple", choices=("Mardi", "Samedi")),
    Question("note", "Votre satisfaction", "scale", scale_min=1, scale_max=5),
)

STATUSES = (
    ProposalStatus("recue", "Reçue"),
    ProposalStatus("a-l-etude", "À l'étude"),
    ProposalStatus("retenue", "Retenue"),
    ProposalStatus("mise-en-oeuvre", "Mise en œuvre"),
    ProposalStatus("non-retenue", "Non retenue"),
)


def contribution(slug: str, number: int, *, author: str = "Camille", title: str = "", proposal: str | None = None,
                 body_html: str = "<p>Une idée.</p>", answers: tuple[Answer, ...] = ()) -> Contribution:
    return Contribution(
        id=f"c{number:03d}",
        kind="comment" if proposal else "suggestion",
        consultation=slug,
        proposal=proposal,
        author=author,
        submitted=datetime(2026, 11, number % 28 + 1, 9, 30, tzinfo=PARIS),
        status="published",
        reason="",
        title=title or (f"Idée numéro {number}" if not proposal else ""),
        body_html=Text(body_html),
        answers=answers,
    )


def proposal(slug: str, consultation: str, status: int = 2, supports: int = 12,
             comments: tuple[Contribution, ...] = ()) -> Proposal:
    return Proposal(
        slug=slug,
        consultation=consultation,
        title=f"Proposition {slug}",
        summary="Un résumé de la proposition.",
        category=Category("mobilite", "Mobilité"),
        status=STATUSES[status],
        history=(StatusChange(date(2026, 10, 1), "recue"), StatusChange(date(2026, 11, 3), STATUSES[status].id, "Vote du conseil")),
        response_html="<p>La ville retient cette proposition.</p>",
        response_date=date(2026, 11, 3),
        body_html="<p>Le texte de la proposition.</p>",
        supports=supports,
        comments=comments,
        unpublished_comments=0,
        url=f"/consultations/{consultation}/proposals/{slug}/",
        source=f"content/consultations/{consultation}/proposals/{slug}.md",
    )


def consultation(slug: str, opens: datetime, closes: datetime, **changes: object) -> Consultation:
    base = Consultation(
        slug=slug,
        title=f"Consultation {slug}",
        summary=f"Résumé de {slug}.",
        opens=opens,
        closes=closes,
        status=derive_status(opens, closes, NOW),
        categories=(Category("mobilite", "Mobilité"), Category("commerce", "Commerce")),
        questions=QUESTIONS,
        kinds=("suggestion", "comment", "support", "answers"),
        moderation="pre",
        body_html=f"<p>Le texte de la consultation {slug}.</p>",
        synthesis=None,
        proposals=(),
        contributions=(),
        unpublished_contributions=0,
        url=f"/consultations/{slug}/",
        source=f"content/consultations/{slug}/index.md",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def page(slug: str, title: str, in_footer: bool = True) -> Page:
    return Page(slug, title, f"<p>{title}.</p>", f"/{slug}/", f"content/pages/{slug}.md", in_footer)


def make_site(language: str = "fr", **changes: object) -> Site:
    """Three consultations (open, upcoming, closed with synthesis), proposals, contributions, pages."""
    from consult.model import Synthesis

    config = parse_config(SITE_YAML.format(language=language))
    contributions = tuple(contribution("marche", n) for n in (5, 4, 3, 2, 1))  # newest first
    comments = (contribution("marche", 20, proposal="halles", author="Dominique"),)
    open_one = consultation(
        "marche", datetime(2026, 11, 1, tzinfo=PARIS), datetime(2027, 3, 3, 18, 0, tzinfo=PARIS),
        proposals=(proposal("halles", "marche", comments=comments), proposal("parking", "marche", status=0, supports=1)),
        contributions=contributions, unpublished_contributions=3,
    )
    upcoming = consultation("ecoles", datetime(2027, 1, 10, tzinfo=PARIS), datetime(2027, 2, 10, tzinfo=PARIS))
    closed = consultation(
        "parc", datetime(2026, 3, 1, tzinfo=PARIS), datetime(2026, 6, 1, tzinfo=PARIS),
        synthesis=Synthesis("Synthèse des contributions", date(2026, 7, 1), "<p>Ce que nous avons entendu.</p>",
                            "content/consultations/parc/synthesis.md"),
    )
    site = Site(
        config=config,
        now=NOW,
        consultations=order_consultations([closed, upcoming, open_one]),
        pages=(page("a-propos", "À propos"), page("charte-de-moderation", "Charte de modération"),
               page("donnees-personnelles", "Données personnelles")),
        proposal_statuses=STATUSES,
    )
    return replace(site, **changes)  # type: ignore[arg-type]

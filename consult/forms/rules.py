"""What the handler must know about the site, as one JSON file the build emits.

`render_rules(site, chrome)` writes `_site/consult-rules.json` (deterministic:
sorted keys, no build time); `parse_rules(text)` reads it back into frozen data.
The handler needs nothing else from content/: dates, kinds, questions, proposals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consult.errors import ConsultError, french, say
from consult.i18n import reason_label
from consult.layout import THANKS_PAGES
from consult.model import Config, ConsultationStatus, Question, derive_status

FORMAT = 1
THANKS_URL = THANKS_PAGES["suggestion"]


@dataclass(frozen=True)
class ProposalRule:
    slug: str
    title: str
    url: str
    final: bool = False  # its status is final: it takes no more supports


@dataclass(frozen=True)
class ConsultationRule:
    slug: str
    title: str
    url: str
    opens: datetime
    closes: datetime
    kinds: tuple[str, ...]
    questions: tuple[Question, ...] = ()
    proposals: tuple[ProposalRule, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()  # (id, label): what a citizen proposal may be filed under
    moderation: str = "pre"  # "post": published items may be reported (kind 'report')
    published: frozenset[str] = frozenset()  # ids of its published contributions and comments (post only)
    supports: str = "open"  # "verified": a support asks an e-mail and counts once its link is followed

    def status(self, now: datetime) -> ConsultationStatus:
        return derive_status(self.opens, self.closes, now)

    def proposal(self, slug: str) -> ProposalRule | None:
        return next((p for p in self.proposals if p.slug == slug), None)


@dataclass(frozen=True)
class Rules:
    # The settings' defaults are site.yaml's (consult.model.Config): a build always writes them.
    language: str = Config.language
    endpoint: str = Config.form_endpoint
    thanks_url: str = THANKS_URL
    max_length: int = Config.max_length
    base_url: str = ""
    altcha: bool = Config.altcha  # forms.altcha: the theme shows the widget, the handler checks its solution
    reasons: tuple[tuple[str, str], ...] = ()  # (code, the charter's wording): what a report may give
    consultations: tuple[ConsultationRule, ...] = ()
    chrome: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def consultation(self, slug: str) -> ConsultationRule | None:
        return next((c for c in self.consultations if c.slug == slug), None)


def published_ids(consultation: Any) -> list[str]:
    """The ids a report may name: a post-moderated consultation's published contributions and
    comments, sorted (none for a pre-moderated one: it takes no reports)."""
    if consultation.moderation != "post":
        return []
    comments = (c.id for p in consultation.proposals for c in p.comments)
    return sorted({*(c.id for c in consultation.contributions), *comments})


def render_rules(site: Any, chrome: dict[str, Any] | None = None,
                 consultations: list[dict[str, Any]] | None = None) -> str:
    """The `consult-rules.json` text for a loaded `consult.model.Site`, with the charter's reasons
    (code, wording) a report may give. `consultations`: each consultation's `consultation_rule`,
    in slug order, when the caller already has them (the incremental builder keeps them)."""
    config = site.config
    if consultations is None:
        consultations = [consultation_rule(c) for c in sorted(site.consultations, key=lambda c: c.slug)]
    data = {
        "format": FORMAT,
        "language": config.language,
        "endpoint": config.form_endpoint,
        "thanks_url": THANKS_URL,
        "max_length": config.max_length,
        "base_url": config.base_url,
        "altcha": config.altcha,
        "reasons": [{"code": code, "label": reason_label(code, config.language)} for code in config.reasons],
        "chrome": _plain(chrome or {}),
        "consultations": consultations,
    }
    # No indent: json then encodes in C, a tenth of the time (the file lists every proposal).
    return json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n"


def consultation_rule(c: Any) -> dict[str, Any]:
    """What the handler knows of one consultation (plain JSON data). A post-moderated consultation
    lists its published items' ids: the handler takes a report only about one of them (a typo'd or
    forged id is refused at once, while the citizen can still fix it, rather than found at pull)."""
    return {
        "slug": c.slug,
        "title": c.title,
        "url": c.url,
        "opens": c.opens.isoformat(),
        "closes": c.closes.isoformat(),
        "kinds": list(c.kinds),
        "questions": [
            {
                "id": q.id, "label": q.label, "type": q.type, "required": q.required,
                "choices": list(q.choices), "min": q.scale_min, "max": q.scale_max,
                "max_length": q.max_length, "help": q.help,
            }
            for q in c.questions
        ],
        "proposals": [{"slug": p.slug, "title": p.title, "url": p.url, "final": p.status.final or bool(p.merged_into)}
                      for p in c.proposals],  # a merged proposal's supports go to the one kept
        "categories": [{"id": cat.id, "label": cat.label} for cat in c.categories],
        "moderation": c.moderation,
        "published": published_ids(c),
        **({"supports": "verified"} if c.verified_supports else {}),
    }


def _plain(value: Any) -> Any:
    """Chrome values as JSON: dates and other objects become strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def parse_rules(text: str, path: str = "consult-rules.json") -> Rules:
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(say(f"unknown format {data.get('format')!r}; rebuild the site with this consult version",
                                 f"format inconnu « {data.get('format')} » ; reconstruisez le site avec cette "
                                 "version de consult"))
        consultations = tuple(
            ConsultationRule(
                slug=c["slug"], title=c["title"], url=c["url"],
                opens=_aware(c["opens"]), closes=_aware(c["closes"]), kinds=tuple(c["kinds"]),
                questions=tuple(
                    Question(
                        id=q["id"], label=q["label"], type=q["type"], required=bool(q["required"]),
                        choices=tuple(q["choices"]), scale_min=int(q["min"]), scale_max=int(q["max"]),
                        max_length=int(q["max_length"]), help=q.get("help", ""),
                    )
                    for q in c["questions"]
                ),
                proposals=tuple(ProposalRule(p["slug"], p["title"], p["url"], p.get("final") is True)
                                for p in c["proposals"]),
                categories=tuple((cat["id"], cat["label"]) for cat in c.get("categories", ())),
                moderation="post" if c.get("moderation") == "post" else "pre",
                published=frozenset(str(id_) for id_ in c.get("published", ())),
                supports=c.get("supports", "open"),
            )
            for c in data["consultations"]
        )
        return Rules(
            language=data["language"], endpoint=data["endpoint"], thanks_url=data["thanks_url"],
            max_length=int(data["max_length"]), base_url=data["base_url"], altcha=data.get("altcha") is True,
            reasons=tuple((r["code"], r["label"]) for r in data.get("reasons", ())),
            consultations=consultations,
            chrome=data.get("chrome") or {},
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        detail = str(exc)  # Python's own words are English; this module's know their French
        said = exc.args[0] if len(exc.args) == 1 and exc.args[0] == detail else detail
        raise ConsultError(say(f"{path}: cannot read the handler rules: {detail} (run 'consult build' to write them)",
                               f"{path}: impossible de lire les règles du service de réception des formulaires : "
                               f"{french(said)} (lancez « consult build » pour les écrire)"))


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(say(f"date {text!r} has no time zone", f"la date « {text} » n'a pas de fuseau horaire"))
    return moment


def load_rules(path: Any) -> Rules:
    from pathlib import Path

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConsultError(say(f"{path} not found: run 'consult build' first, it writes the handler rules",
                               f"{path} introuvable : lancez d'abord « consult build », qui écrit les règles du service "
                               "de réception des formulaires"))
    return parse_rules(text, str(path))

"""Site -> open data files: what the site publishes, as CSV with a Data Package descriptor.

`render_open_data(site)` returns `data/consultations.csv`, `data/proposals.csv`,
`data/contributions.csv` and `data/datapackage.json` (Frictionless Data Package:
a schema per file and the licence). Only what the pages show is exported:
published contributions, never pending or rejected ones, never personal data.
Pure: no disk, deterministic bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

from consult.model import Consultation, Contribution, Site

DATA_DIR = "data"
# A cell a spreadsheet would read as a formula ("=HYPERLINK(...)") is prefixed with an
# apostrophe (OWASP's advice against CSV injection); the schema says so.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type: string, integer, date, datetime
    description: str


CONSULTATIONS = (
    Column("slug", "string", "Identifier of the consultation (its URL segment)."),
    Column("title", "string", "Title."),
    Column("opens", "datetime", "Opening time, with its UTC offset."),
    Column("closes", "datetime", "Closing time, with its UTC offset."),
    Column("status", "string", "upcoming, open or closed, at build time."),
    Column("proposals", "integer", "Number of proposals."),
    Column("contributions", "integer", "Number of published suggestions and answers."),
    Column("url", "string", "Address of the consultation's page."),
)
PROPOSALS = (
    Column("consultation", "string", "Identifier of the consultation."),
    Column("slug", "string", "Identifier of the proposal within its consultation."),
    Column("title", "string", "Title."),
    Column("category", "string", "Category identifier, if any."),
    Column("status", "string", "Current status identifier (see site.yaml proposal_statuses)."),
    Column("status_date", "date", "Date of the latest status change, if any."),
    Column("supports", "integer", "Number of supports counted."),
    Column("comments", "integer", "Number of published comments."),
    Column("response_date", "date", "Date of the official response, if any."),
    Column("url", "string", "Address of the proposal's page."),
)
CONTRIBUTIONS = (
    Column("id", "string", "Identifier of the contribution."),
    Column("consultation", "string", "Identifier of the consultation."),
    Column("kind", "string", "suggestion, comment or answers."),
    Column("proposal", "string", "Identifier of the proposal commented on, for comments."),
    Column("author", "string", "Public name or pseudonym chosen by the citizen; empty if anonymous."),
    Column("submitted", "datetime", "Submission time, with its UTC offset."),
    Column("title", "string", "Title, if any."),
    Column("text", "string", "The text as published, without formatting."),
    Column("answers", "string", "Answers to the consultation's questions, as a JSON object."),
)


Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]  # one consultation's proposals, contributions


def consultation_rows(consultation: Consultation, base_url: str) -> Rows:
    """The rows one consultation adds to proposals.csv and contributions.csv (the costly part:
    `Builder` keeps them for consultations that did not change)."""
    proposals = [
        {"consultation": p.consultation, "slug": p.slug, "title": p.title,
         "category": p.category.id if p.category else "", "status": p.status.id,
         "status_date": p.history[-1].date if p.history else "", "supports": p.supports,
         "comments": len(p.comments), "response_date": p.response_date or "", "url": base_url + p.url}
        for p in consultation.proposals
    ]
    published = list(consultation.contributions)
    for p in consultation.proposals:
        published += p.comments
    contributions = [_contribution_row(x) for x in sorted(published, key=lambda x: x.id)]
    return proposals, contributions


def render_open_data(site: Site, rows: Callable[[Consultation, str], Rows] = consultation_rows) -> dict[str, bytes]:
    base = site.config.base_url
    ordered = sorted(site.consultations, key=lambda c: c.slug)
    consultations = [
        {"slug": c.slug, "title": c.title, "opens": c.opens, "closes": c.closes, "status": c.status,
         "proposals": len(c.proposals), "contributions": len(c.contributions), "url": base + c.url}
        for c in ordered
    ]
    proposals: list[dict[str, Any]] = []
    contributions: list[dict[str, Any]] = []
    for c in ordered:
        more_proposals, more_contributions = rows(c, base)
        proposals += more_proposals
        contributions += more_contributions
    files = {
        f"{DATA_DIR}/consultations.csv": _csv(CONSULTATIONS, consultations),
        f"{DATA_DIR}/proposals.csv": _csv(PROPOSALS, proposals),
        f"{DATA_DIR}/contributions.csv": _csv(CONTRIBUTIONS, contributions),
    }
    files[f"{DATA_DIR}/datapackage.json"] = _datapackage(site)
    return files


def _contribution_row(x: Contribution) -> dict[str, Any]:
    answers = {a.question.id: list(a.value) if isinstance(a.value, tuple) else a.value for a in x.answers}
    return {"id": x.id, "consultation": x.consultation, "kind": x.kind, "proposal": x.proposal or "",
            "author": x.author, "submitted": x.submitted, "title": x.title, "text": html_to_text(x.body_html),
            "answers": json.dumps(answers, ensure_ascii=False, sort_keys=True) if answers else ""}


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_cell(row[c.name]) for c in columns])
    return out.getvalue().encode("utf-8")


def _datapackage(site: Site) -> bytes:
    config = site.config
    resources = []
    for name, columns in (("consultations", CONSULTATIONS), ("proposals", PROPOSALS),
                          ("contributions", CONTRIBUTIONS)):
        resources.append({
            "name": name, "path": f"{name}.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": [{"name": c.name, "type": "string" if c.type in ("date", "datetime") else c.type,
                                   "format": c.type if c.type in ("date", "datetime") else "default",
                                   "description": c.description} for c in columns]},
        })
    descriptor = {
        "profile": "tabular-data-package",
        "name": "consultations",
        "title": config.title,
        "homepage": config.base_url + "/",
        "publisher": config.organisation.name,
        "licenses": [{"name": config.open_data_licence, "path": config.open_data_licence_url,
                      "title": config.open_data_licence}],
        "description": ("Published consultations, proposals and contributions. Cells that a spreadsheet "
                        "would read as a formula start with an apostrophe."),
        "resources": resources,
    }
    return (json.dumps(descriptor, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


class _Text(HTMLParser):
    BLOCKS = {"p", "li", "pre", "blockquote", "br", "hr", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """The text of the sanitised HTML a contribution was rendered to, paragraphs on their own lines."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    return "\n".join(line.rstrip() for line in lines if line.strip())

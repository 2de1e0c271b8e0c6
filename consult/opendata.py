"""Site -> open data files: what the site publishes, as CSV with a Data Package descriptor.

`open_data_files(site)` gives `data/consultations.csv`, `data/proposals.csv`,
`data/contributions.csv` and `data/datapackage.json` (Frictionless Data Package:
a schema per file and the licence); `render_open_data` the same as bytes. Only what
the pages show is exported: published contributions, never pending or rejected ones,
never personal data. Pure: no disk, deterministic bytes. contributions.csv grows with
the site (a million contributions: hundreds of MB), so it comes as lazy chunks of
rows, written as they are made, never held whole in memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from consult.layout import DATA_DIR, results_data_dir
from consult.model import Consultation, Contribution, Site
from consult.transparency import open_data_rows

if TYPE_CHECKING:
    from consult.results import Counts  # loaded by render for a site with a questionnaire only

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
    Column("support_goal", "integer", "Supports after which the organisation commits to study a proposal; "
                                      "empty when the consultation sets none."),
)
PROPOSALS = (
    Column("consultation", "string", "Identifier of the consultation."),
    Column("slug", "string", "Identifier of the proposal within its consultation."),
    Column("title", "string", "Title."),
    Column("category", "string", "Category identifier, if any."),
    Column("status", "string", "Current status identifier (see site.yaml proposal_statuses)."),
    Column("status_date", "date", "Date of the latest status change, if any."),
    Column("supports", "integer", "Number of supports counted (for a proposal others were merged into: distinct "
                                  "people across them all)."),
    Column("comments", "integer", "Number of published comments."),
    Column("response_date", "date", "Date of the official response, if any."),
    Column("url", "string", "Address of the proposal's page."),
    Column("origin", "string", "agency (proposed by the organisation) or citizen (an idea a citizen sent)."),
    Column("author", "string", "A citizen proposal's public name or pseudonym; empty if anonymous or agency."),
    Column("submitted", "date", "Day a citizen sent the proposal; empty for the organisation's proposals."),
    Column("merged_into", "string", "For a duplicate: identifier of the proposal it was merged into, whose "
                                    "supports count each person once across both; empty otherwise."),
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
    Column("channel", "string", "How it reached the agency: web (the site's forms), papier (paper), courriel (e-mail) "
                                "or reunion (a public meeting), typed in by staff."),
)

MODERATION = (
    Column("consultation", "string", "Identifier of the consultation."),
    Column("figure", "string", "received, published, published_at_once (post-moderation), rejected, pending, "
           "reported (by participants), reported_kept and reported_unpublished (of those, what a person decided), "
           "decided (contributions whose decision time is known), median_decision_seconds (from "
           "submission to decision), rejected_for (by reason code) or flag (by flag code)."),
    Column("code", "string", "The reason code (rejected_for) or flag code (flag); empty otherwise."),
    Column("value", "integer", "The count, or the median in seconds (empty when no decision time is known)."),
)


# One consultation's lines of proposals.csv and of contributions.csv, CSV-encoded, without header.
# The contributions' lines come in chunks, lazily: `Builder` materialises them only to keep them
# for a next build (consult serve), a one-shot build writes each chunk as it is made.
Rows = tuple[bytes, Iterable[bytes]]
# Contribution rows encoded at a time: the rows of a chunk are in memory at once, its bytes a moment.
CHUNK_ROWS = 1000


def consultation_rows(consultation: Consultation, base_url: str) -> Rows:
    """The lines one consultation adds to proposals.csv and contributions.csv (the costly part:
    `Builder` keeps them for consultations that did not change); the contributions' made as they are read."""
    proposals = [
        {"consultation": p.consultation, "slug": p.slug, "title": p.title,
         "category": p.category.id if p.category else "", "status": p.status.id,
         "status_date": p.history[-1].date if p.history else "", "supports": p.supports,
         "comments": len(p.comments), "response_date": p.response_date or "", "url": base_url + p.url,
         "origin": p.origin, "author": p.author, "submitted": p.submitted or "", "merged_into": p.merged_into}
        for p in consultation.proposals
    ]
    return _lines(PROPOSALS, proposals), _contribution_lines(consultation)


def _contribution_lines(consultation: Consultation) -> Iterator[bytes]:
    """contributions.csv's lines for one consultation, by id, CHUNK_ROWS rows per chunk."""
    published = list(consultation.contributions)
    for p in consultation.proposals:
        published += p.comments
    published.sort(key=lambda x: x.id)
    for start in range(0, len(published), CHUNK_ROWS):
        yield _lines(CONTRIBUTIONS, [_contribution_row(x) for x in published[start:start + CHUNK_ROWS]])


def render_open_data(site: Site, rows: Callable[[Consultation, str], Rows] = consultation_rows) -> dict[str, bytes]:
    """`open_data_files`, each file's bytes whole (consult check, tests)."""
    return {name: data if isinstance(data, bytes) else b"".join(data)
            for name, data in open_data_files(site, rows).items()}


def open_data_files(site: Site, rows: Callable[[Consultation, str], Rows] = consultation_rows
                    ) -> dict[str, bytes | Iterator[bytes]]:
    """The open data files: path -> bytes, or (contributions.csv) an iterator of its chunks, made as
    they are read from it (once)."""
    base = site.config.base_url
    ordered = sorted(site.consultations, key=lambda c: c.slug)
    consultations = [
        {"slug": c.slug, "title": c.title, "opens": c.opens, "closes": c.closes, "status": c.status,
         "proposals": len(c.proposals), "contributions": len(c.contributions), "url": base + c.url,
         "support_goal": c.support_goal or ""}
        for c in ordered
    ]
    made = [rows(c, base) for c in ordered]
    files: dict[str, bytes | Iterator[bytes]] = {
        f"{DATA_DIR}/consultations.csv": _csv(CONSULTATIONS, consultations),
        f"{DATA_DIR}/proposals.csv": b"".join([_header(PROPOSALS), *(proposals for proposals, _ in made)]),
        f"{DATA_DIR}/contributions.csv": chain([_header(CONTRIBUTIONS)], *(lines for _, lines in made)),
        # The figures of each consultation's moderation report page, counted from every file.
        f"{DATA_DIR}/moderation.csv": _csv(MODERATION, [row for c in ordered for row in open_data_rows(c)]),
    }
    # The results pages' CSV files come from the render stage (`render_results_data`); described here.
    results = [resource for c in ordered if c.shows_results for resource in results_resources(c)]
    files[f"{DATA_DIR}/datapackage.json"] = _datapackage(site, results)
    return files


def _contribution_row(x: Contribution) -> dict[str, Any]:
    answers = {a.question.id: list(a.value) if isinstance(a.value, tuple) else a.value for a in x.answers}
    return {"id": x.id, "consultation": x.consultation, "kind": x.kind, "proposal": x.proposal or "",
            "author": x.author, "submitted": x.submitted, "title": x.title, "text": html_to_text(str(x.body_html)),
            "answers": json.dumps(answers, ensure_ascii=False, sort_keys=True) if answers else "",
            "channel": x.channel or "web"}


def _cell(value: Any) -> str:
    if value.__class__ is str:  # most cells: no isinstance tests, no str() (140,000 at 10,000 proposals)
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> bytes:
    return _header(columns) + _lines(columns, rows)


def _header(columns: tuple[Column, ...]) -> bytes:
    return _lines(columns, [{c.name: c.name for c in columns}])


def _lines(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> bytes:
    """The CSV lines of `rows`, without header."""
    out = io.StringIO()
    names = [c.name for c in columns]
    csv.writer(out, lineterminator="\n").writerows([_cell(row[name]) for name in names] for row in rows)
    return out.getvalue().encode("utf-8")


def _datapackage(site: Site, more: list[Resource]) -> bytes:
    config = site.config
    resources = []
    for path, name, columns in [(f"{n}.csv", n, cols) for n, cols in (("consultations", CONSULTATIONS), ("proposals", PROPOSALS),
                                                               ("contributions", CONTRIBUTIONS),
                                                               ("moderation", MODERATION))] + more:
        resources.append({
            "name": name, "path": path, "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
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
        "description": ("Published consultations, proposals and contributions, the figures of each "
                        "consultation's moderation report (moderation.csv) and of each "
                        "results page (results/<consultation>/). Cells that a spreadsheet "
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


# The HTML of citizens' plain prose (markdown._prose): paragraphs of text, '"' its only entity.
_PROSE_HTML = re.compile(r"(?:<p>[^<&]*(?:&quot;[^<&]*)*</p>\n)*")


def html_to_text(fragment: str) -> str:
    """The text of the sanitised HTML a contribution was rendered to, paragraphs on their own lines."""
    if _PROSE_HTML.fullmatch(fragment):  # most contributions: their text without parsing it (40 us a row)
        text = fragment.replace("<p>", "").replace("</p>", "").replace("&quot;", '"')
    else:
        text = parsed_text(fragment)
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def parsed_text(fragment: str) -> str:
    """The text of an HTML fragment, a line break before each block."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


# -- the results pages' figures ------------------------------------------------------------------
# One folder per consultation whose results page is built: results/<slug>/. Counts only: every share
# on the page is a count over its question's respondents (or over all contributions), recomputable.

PARTICIPATION = (Column("measure", "string", "contributions_<kind> (suggestion, answers, comment), participants_named "
                                              "(distinct public names), contributions_anonymous, supports."),
                 Column("count", "integer", "The figure."))
WEEKS = (Column("week", "date", "Monday of the week (site time zone)."),
         Column("contributions", "integer", "Published contributions submitted that week."))
QUESTIONS = (Column("question", "string", "Question identifier; its figures are in q-<question>.csv."),
             Column("label", "string", "The question as asked."),
             Column("type", "string", "single, multiple, scale or text."),
             Column("respondents", "integer", "Published contributions answering it (the base of every share)."),
             Column("mean", "number", "Mean of a scale question's answers."),
             Column("median", "number", "Median of a scale question's answers."))
CHOICES = (Column("value", "string", "A choice, or a value of the scale."),
           Column("count", "integer", "Respondents who gave it (for multiple choice, shares of respondents add up "
                                      "to more than 100 %)."))
TEXTS = (Column("contribution", "string", "Identifier of the contribution."),
         Column("answer", "string", "The answer as published."),
         Column("tags", "string", "Theme identifiers (codebook), separated by spaces."))
THEMES = (Column("theme", "string", "Theme identifier."), Column("label", "string", "Label."),
          Column("description", "string", "Description."), Column("parent", "string", "Parent theme identifier, if any."),
          Column("contributions", "integer", "Published contributions tagged with it."))

Resource = tuple[str, str, tuple[Column, ...]]  # path under data/, resource name, columns


def results_resources(consultation: Consultation) -> list[Resource]:
    """The CSV files of one consultation's results page, known without counting (for the Data
    Package and the open data page), in the order `results_rows` gives their rows."""
    base, slug = results_data_dir(consultation.slug), consultation.slug
    resources = [(base + "participation.csv", f"results-{slug}-participation", PARTICIPATION),
                 (base + "weeks.csv", f"results-{slug}-weeks", WEEKS),
                 (base + "questions.csv", f"results-{slug}-questions", QUESTIONS)]
    resources += [(f"{base}q-{q.id}.csv", f"results-{slug}-q-{q.id}", TEXTS if q.type == "text" else CHOICES)
                  for q in consultation.questions if q.results == "public"]
    if consultation.codebook:
        resources.append((base + "themes.csv", f"results-{slug}-themes", THEMES))
    return resources


def results_paths(consultation: Consultation) -> list[str]:
    """The paths (relative to data/) of the CSV files of one consultation's results page."""
    return [path for path, _, _ in results_resources(consultation)]


def results_rows(counts: Counts) -> list[list[dict[str, Any]]]:
    """The rows of each of `results_resources`' files, from the figures of the results page."""
    participation = [{"measure": f"contributions_{kind}", "count": n} for kind, n in counts.by_kind]
    participation += [{"measure": "participants_named", "count": counts.named},
                      {"measure": "contributions_anonymous", "count": counts.anonymous},
                      {"measure": "supports", "count": counts.supports}]
    tables = [participation, [{"week": w, "contributions": n} for w, n in counts.weeks],
              [{"question": q.question.id, "label": q.question.label, "type": q.question.type,
                "respondents": q.respondents, "mean": _number(q.mean), "median": _number(q.median)}
               for q in counts.questions]]
    for q in counts.questions:
        if q.question.type == "text":
            tables.append([{"contribution": a.contribution, "answer": a.text, "tags": " ".join(a.tags)}
                           for a in q.answers])
        else:
            tables.append([{"value": value, "count": n} for value, n in q.counts])
    if counts.themes:
        tables.append([{"theme": t.id, "label": t.label, "description": t.description, "parent": t.parent,
                        "contributions": n} for t, n in counts.themes])
    return tables


def render_results_data(consultation: Consultation, counts: Counts) -> dict[str, bytes]:
    """The CSV files of one consultation's results page: output path -> bytes. Called by the render
    stage with the very figures the page shows, so they are counted once."""
    return {f"{DATA_DIR}/{path}": _csv(columns, rows)
            for (path, _, columns), rows in zip(results_resources(consultation), results_rows(counts), strict=True)}


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")

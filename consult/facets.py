"""A consultation's proposals as lists to browse: one facet (category, status, origin) or one sort
at a time, each a pre-rendered, paginated list. Pure: render.py turns a consultation's `lists` into pages and
`facet_data` into the JSON the theme's facets.js filters and sorts in place.

URLs (consult.layout): under a consultation's `propositions/`, `propositions/` itself (all, most
supported first), `propositions/tri/<sort>/`, `propositions/<facet>/<value>/`, and `.../<n>/` for
page n >= 2 of each. A facet is offered when it splits the list (two values or more); its values are
those some proposal has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from consult.layout import facet_list_url, lists_data_url, lists_url, sort_list_url
from consult.model import Consultation, Proposal, ProposalStatus
from consult.slug import slugify

# Sorts, the default first: its list is the one at propositions/ itself.
SORTS: tuple[str, ...] = ("soutiens", "recentes", "reponses")
# Facets in the order the controls show them; a URL segment each (French, as `resultats/`).
FACETS: tuple[str, ...] = ("categorie", "statut", "origine")
ORIGINS: tuple[str, ...] = ("citizen", "agency")


@dataclass(frozen=True)
class Listing:
    """One list of proposals: all of them in one sort, or those of one facet value (default sort)."""

    url: str  # its first page
    facet: str  # '' for a sort's list
    value: str  # the facet value's URL segment ('' for a sort's list)
    sort: str
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True)
class Choice:
    """One control: a link to a list, with what facets.js needs to show that list in place."""

    facet: str  # '' for a sort
    value: str  # the facet's URL segment, or the sort's name
    label: str
    count: int  # proposals in the list (the same for every sort)
    url: str


class Choices(dict[str, tuple[Choice, ...]]):
    """`choices`' result: facet -> its controls, in the order the page shows them. Equal, and
    hashed, by its items in that order, so that `memo` renders a list's controls once for all its
    pages (a dict's equality ignores the order, which the page does not)."""

    __slots__ = ()

    def _ordered(self) -> tuple[tuple[str, tuple[Choice, ...]], ...]:
        return tuple(self.items())

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._ordered())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choices) and self._ordered() == other._ordered()

    def __ne__(self, other: object) -> bool:
        return not self == other


def list_url(c: Consultation) -> str:
    """The first page of a consultation's lists: all its proposals, in the default sort."""
    return lists_url(c.url)


def data_url(c: Consultation) -> str:
    """What facets.js shows every list of a consultation from."""
    return lists_data_url(c.url)


def sort_url(c: Consultation, sort: str) -> str:
    """The first page of the list of all proposals in `sort`."""
    return lists_url(c.url) if sort == SORTS[0] else sort_list_url(c.url, sort)


def listed(c: Consultation) -> tuple[Proposal, ...]:
    """The proposals the lists show (the one place to leave some out): not those merged into
    another (`Consultation.listed`)."""
    return c.listed


def proposed_on(p: Proposal) -> date | None:
    """When a proposal was made: a citizen's submission day, else its first status change."""
    return p.submitted or (p.history[0].date if p.history else None)


def answered_on(p: Proposal) -> date | None:
    """The day of the official response the pages show (None while there is none, or embargoed)."""
    return p.response_date if p.response_html else None


def sort_proposals(proposals: Sequence[Proposal]) -> dict[str, tuple[Proposal, ...]]:
    """`proposals` in the order of each sort: most supported (`soutiens`), newest (`recentes`) or most
    recently answered (`reponses`) first; what a sort cannot place (no date, no response) comes after,
    most supported first; ties by title. One sort by title (the dear one: each title casefolded), then
    stable sorts of that order by a number or a day, which keep ties by title."""
    by_title = sorted(proposals, key=lambda p: (p.title.casefold(), p.slug))
    by_support = tuple(sorted(by_title, key=lambda p: -p.supports))
    orders = {SORTS[0]: by_support}
    for sort, day in zip(SORTS[1:], (proposed_on, answered_on)):
        days = {p.slug: found for p in by_title if (found := day(p)) is not None}
        dated = sorted((p for p in by_title if p.slug in days), key=lambda p: days[p.slug], reverse=True)
        orders[sort] = tuple(dated) + tuple(p for p in by_support if p.slug not in days)
    return orders


def facet_value(p: Proposal, facet: str, segments: dict[str, str]) -> str:
    """A proposal's value for a facet, as a URL segment ('' when it has none: no category)."""
    if facet == "categorie":
        return segments[p.category.id] if p.category else ""
    if facet == "statut":
        return segments[p.status.id]
    return p.origin


def segments_of(ids: Sequence[str]) -> dict[str, str]:
    """Each id -> a URL segment: its slug, made unique in the order given (ids are free text)."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    for id_ in ids:
        base = slugify(id_) or "x"
        segment, n = base, 2
        while segment in taken:
            segment, n = f"{base}-{n}", n + 1
        found[id_] = segment
        taken.add(segment)
    return found


@dataclass(frozen=True)
class Facets:
    """A consultation's facet values, in the order the controls show them: (segment, id) pairs."""

    values: dict[str, tuple[tuple[str, str], ...]]
    segments: dict[str, dict[str, str]]  # facet -> id -> segment

    def of(self, p: Proposal, facet: str) -> str:
        return facet_value(p, facet, self.segments.get(facet, {}))


def facets_of(c: Consultation, statuses: Sequence[ProposalStatus]) -> Facets:
    """The facets offered: each with the values some listed proposal has, when there are two or more."""
    proposals = listed(c)
    ids = {
        "categorie": [cat.id for cat in c.categories],
        "statut": list(dict.fromkeys([s.id for s in statuses] + [p.status.id for p in proposals])),
        "origine": list(ORIGINS),
    }
    segments = {"categorie": segments_of(ids["categorie"]), "statut": segments_of(ids["statut"]),
                "origine": {o: o for o in ORIGINS}}
    values: dict[str, tuple[tuple[str, str], ...]] = {}
    for facet in FACETS:
        present = {facet_value(p, facet, segments[facet]) for p in proposals}
        shown = tuple((segments[facet][i], i) for i in ids[facet] if segments[facet][i] in present)
        if len(shown) >= 2:
            values[facet] = shown
    return Facets(values, segments)


@dataclass(frozen=True)
class Lists:
    """Every pre-rendered list of a consultation's proposals (`listings`: one per sort, one per facet
    value) and what their pages and data are made from: each sort and each facet value worked out
    once, for the pages, the controls' counts, facets.js's data and the sitemap alike."""

    facets: Facets
    sorted: dict[str, tuple[Proposal, ...]]  # sort -> every listed proposal in its order
    listings: tuple[Listing, ...]


def lists(c: Consultation, statuses: Sequence[ProposalStatus]) -> Lists:
    ordered = sort_proposals(listed(c))
    by_support = ordered[SORTS[0]]
    found = [Listing(sort_url(c, sort), "", "", sort, ordered[sort]) for sort in SORTS]
    facets = facets_of(c, statuses)
    for facet, values in facets.values.items():
        value_of = [facets.of(p, facet) for p in by_support]
        for segment, _ in values:
            found.append(Listing(facet_list_url(c.url, facet, segment), facet, segment, SORTS[0],
                                 tuple(p for p, value in zip(by_support, value_of) if value == segment)))
    return Lists(facets, ordered, tuple(found))


def choices(c: Consultation, lists: Lists, label: Callable[[str, str], str]) -> Choices:
    """The controls of every list page: facet -> its values, and 'tri' -> the sorts. `label(facet,
    id)` names a value (the category's or status's label, the translated origin or sort); each
    counts the proposals of its list."""
    counts = {(listing.facet, listing.value): len(listing.proposals) for listing in lists.listings if listing.facet}
    found = {facet: tuple(Choice(facet, segment, label(facet, id_), counts[(facet, segment)],
                                 facet_list_url(c.url, facet, segment)) for segment, id_ in values)
             for facet, values in lists.facets.values.items()}
    total = len(lists.sorted[SORTS[0]])
    found["tri"] = tuple(Choice("", sort, label("tri", sort), total, sort_url(c, sort)) for sort in SORTS)
    return Choices(found)


def facet_data(lists: Lists) -> dict[str, object]:
    """What facets.js needs to show any list in place: each proposal's facet values (in the
    default order) and, for each sort, the order of the proposals as indexes. The cards' markup is
    added by the template, from the same macro as the pages'."""
    default = lists.sorted[SORTS[0]]
    index = {p.slug: n for n, p in enumerate(default)}
    return {
        "items": [{"slug": p.slug, **{facet: lists.facets.of(p, facet) for facet in FACETS}} for p in default],
        "orders": {sort: [index[p.slug] for p in lists.sorted[sort]] for sort in SORTS},
    }

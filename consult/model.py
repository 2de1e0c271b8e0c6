"""The site as frozen data: consultations, proposals, contributions, pages.

Built from loaded records by `content.load`; everything here is pure. A
consultation's status is derived from its dates and the build time, never typed.
Only published contributions are kept on the model: pending and rejected ones
are counted, never carried, so no template can show them by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from consult.layout import CONFIG_FILE, DEFAULT_INBOX, results_url

ConsultationStatus = Literal["upcoming", "open", "closed"]
QuestionType = Literal["text", "single", "multiple", "scale"]
ContributionStatus = Literal["pending", "published", "rejected"]

QUESTION_TYPES: tuple[str, ...] = ("text", "single", "multiple", "scale")
# Who sees a consultation's results, and when (default after_close); a question's own results
# are public unless it says private.
RESULTS_MODES: tuple[str, ...] = ("live", "after_close", "never")
QUESTION_RESULTS: tuple[str, ...] = ("public", "private")
CONTRIBUTION_STATUSES: tuple[str, ...] = ("pending", "published", "rejected")

DEFAULT_PROPOSAL_STATUSES = ("recue", "a-l-etude", "retenue", "mise-en-oeuvre", "non-retenue", "fusionnee")
# Statuses after which a proposal takes no more supports (the decision is made): the defaults'
# own; a site that lists its statuses marks them `final: true`.
DEFAULT_FINAL_STATUSES = ("mise-en-oeuvre", "non-retenue", "fusionnee")
# The status `consult merge` gives a duplicate: the defaults' own; a site that lists its statuses
# marks one `merged: true` (it is final too: a merged proposal takes no more supports).
DEFAULT_MERGED_STATUS = "fusionnee"
DEFAULT_REASONS = ("hors-sujet", "propos-injurieux", "donnees-personnelles", "doublon", "publicite")

# The licence French public bodies publish open data under by default (décret 2017-638).
ETALAB = ("etalab-2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/")


@dataclass(frozen=True)
class Organisation:
    name: str
    url: str = ""
    address: str = ""
    contact_email: str = ""
    contact_url: str = ""


@dataclass(frozen=True)
class ThemeOptions:
    """site.yaml's `theme:` mapping beyond the name: the agency's own look."""
    logo: str = ""  # a file in the site's static/
    logo_alt: str = ""
    primary_color: str = ""  # '#rrggbb', checked for contrast
    focus_color: str = ""
    favicon: str = ""  # a file in the site's static/
    header_links: tuple[tuple[str, str], ...] = ()  # (title, url)


@dataclass(frozen=True)
class Config:
    title: str
    base_url: str
    organisation: Organisation
    description: str = ""
    language: str = "fr"
    timezone: str = "Europe/Paris"
    theme: str = "default"
    theme_options: ThemeOptions = ThemeOptions()
    form_endpoint: str = "/api/submit"
    max_length: int = 5000
    inbox: str = DEFAULT_INBOX
    altcha: bool = False
    proposal_statuses: tuple[tuple[str, str], ...] = ()  # (id, label); label '' = translated default
    final_statuses: tuple[str, ...] = DEFAULT_FINAL_STATUSES  # no more supports once a proposal has one
    merged_status: str = DEFAULT_MERGED_STATUS  # what `consult merge` sets ('' when site.yaml marks none)
    reasons: tuple[str, ...] = DEFAULT_REASONS
    retention_days: int = 365
    privacy_controller: str = ""
    dpo_contact: str = ""
    accessibility_status: str = "partial"
    accessibility_audit_date: Any = None
    accessibility_contact: str = ""
    defender_url: str = "https://formulaire.defenseurdesdroits.fr/"
    non_conformities: tuple[str, ...] = ()
    disproportionate_burden: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()
    contributions_per_page: int = 20
    open_data_licence: str = ETALAB[0]
    open_data_licence_url: str = ETALAB[1]
    source: str = CONFIG_FILE
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def status_ids(self) -> tuple[str, ...]:
        return tuple(sid for sid, _ in self.proposal_statuses) or DEFAULT_PROPOSAL_STATUSES


@dataclass(frozen=True)
class Category:
    id: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    type: QuestionType = "text"
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    scale_min: int = 1
    scale_max: int = 5
    max_length: int = 2000
    results: str = "public"  # public | private: whether the results page shows its figures


@dataclass(frozen=True)
class StatusChange:
    date: date
    status: str  # a ProposalStatus id
    note: str = ""


@dataclass(frozen=True)
class ProposalStatus:
    id: str
    label: str
    final: bool = False  # the decision is made: no more supports (site.yaml `final: true`)


@dataclass(frozen=True)
class Answer:
    question: Question
    value: str | tuple[str, ...]


@dataclass(frozen=True)
class Contribution:
    id: str
    kind: str  # suggestion | proposal | comment | answers
    consultation: str  # consultation slug
    proposal: str | None  # proposal slug, for comments
    author: str  # public name or pseudonym; '' for anonymous
    submitted: datetime
    status: str
    reason: str  # moderation reason code, for rejected
    title: str
    body_html: str  # rendered with the untrusted renderer
    answers: tuple[Answer, ...]
    source: str  # path relative to the site root
    tags: tuple[str, ...] = ()  # theme ids of the consultation's codebook, set by editors
    channel: str = ""  # how it reached the agency when not the web: papier, courriel, reunion


@dataclass(frozen=True)
class Theme:
    """One entry of a consultation's codebook (codebook.yaml)."""

    id: str
    label: str
    description: str = ""
    parent: str = ""  # a theme id, '' for a top-level theme


@dataclass(frozen=True)
class Proposal:
    slug: str
    consultation: str
    title: str
    summary: str
    category: Category | None
    status: ProposalStatus
    history: tuple[StatusChange, ...]  # oldest first
    response_html: str  # the official response, trusted Markdown
    response_date: date | None
    body_html: str
    supports: int
    comments: tuple[Contribution, ...]  # published only, oldest first
    unpublished_comments: int  # rejected comments, counted without text
    url: str
    source: str
    origin: str = "agency"  # "citizen": a contribution published as a proposal (consult.proposals)
    author: str = ""  # a citizen proposal's public name ('' for anonymous); untrusted text
    submitted: date | None = None  # when the citizen sent it
    # What the pages do not show yet (history entries, the response) and until when: consult check lists it.
    embargoed: tuple[tuple[str, date], ...] = ()
    merged_into: str = ""  # a duplicate: the slug of the proposal it was merged into (consult merge)
    merged_from: tuple[str, ...] = ()  # the slugs of the duplicates merged into this one

    def reached(self, goal: int | None) -> bool:
        """Whether this proposal has the consultation's support goal (never without a goal)."""
        return goal is not None and self.supports >= goal


@dataclass(frozen=True)
class Synthesis:
    title: str
    published: date | None
    body_html: str
    source: str


@dataclass(frozen=True)
class ModerationFigures:
    """What moderation did with a consultation's contributions, counted from every file
    (pending and rejected included) without keeping any text: the public moderation report."""

    received: int = 0
    published: int = 0
    pending: int = 0
    rejected: tuple[tuple[str, int], ...] = ()  # (reason code, count), by code
    reported: int = 0  # contributions a citizen reported (the `reported` flag)
    decided: int = 0  # contributions with a `decided:` time
    median_decision_seconds: int | None = None  # from submission to decision, over `decided`
    flags: tuple[tuple[str, int], ...] = ()  # (flag code, contributions carrying it), by code
    auto_published: int = 0  # published at pull by post-moderation (`decided_by: auto`)
    reported_kept: int = 0  # of `reported`: a person kept them published (the flag taken off)
    reported_unpublished: int = 0  # of `reported`: a person took them down (rejected)

    @property
    def rejected_total(self) -> int:
        return sum(count for _, count in self.rejected)


@dataclass(frozen=True)
class Consultation:
    slug: str
    title: str
    summary: str
    opens: datetime
    closes: datetime
    status: ConsultationStatus
    categories: tuple[Category, ...]
    questions: tuple[Question, ...]
    kinds: tuple[str, ...]
    moderation: str  # "pre" | "post"
    body_html: str
    synthesis: Synthesis | None
    proposals: tuple[Proposal, ...]
    contributions: tuple[Contribution, ...]  # published suggestions/answers, newest first
    unpublished_contributions: int  # rejected, counted without text
    url: str
    source: str
    results: str = "after_close"  # live | after_close | never (RESULTS_MODES)
    verified_supports: bool = False  # `supports: verified`: a support counts once its e-mail link is followed
    codebook: tuple[Theme, ...] = ()
    moderation_figures: ModerationFigures = ModerationFigures()
    support_goal: int | None = None  # supports after which the agency commits to study a proposal

    @property
    def moderation_url(self) -> str:
        return self.url + "moderation/"

    @property
    def listed(self) -> tuple[Proposal, ...]:
        """The proposals lists show: a duplicate merged into another is left out (its page stays)."""
        return tuple(p for p in self.proposals if not p.merged_into)

    def find_proposal(self, slug: str) -> Proposal | None:
        return next((p for p in self.proposals if p.slug == slug), None)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def shows_results(self) -> bool:
        """Whether the results page is built now: `live` once open, `after_close` once closed."""
        if self.results == "live":
            return self.status != "upcoming"
        return self.results == "after_close" and self.status == "closed"

    @property
    def results_url(self) -> str:
        return results_url(self.url)


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    body_html: str
    url: str
    source: str
    in_footer: bool = True


@dataclass(frozen=True)
class Site:
    config: Config
    now: datetime
    consultations: tuple[Consultation, ...]  # open, then upcoming, then closed
    pages: tuple[Page, ...]
    proposal_statuses: tuple[ProposalStatus, ...] = field(default=())

    def consultation(self, slug: str) -> Consultation:
        return next(c for c in self.consultations if c.slug == slug)


def derive_status(opens: datetime, closes: datetime, now: datetime) -> ConsultationStatus:
    if now < opens:
        return "upcoming"
    if now < closes:
        return "open"
    return "closed"


def order_consultations(consultations: list[Consultation]) -> tuple[Consultation, ...]:
    """Open first (closing soonest first), then upcoming (soonest), then closed (latest first)."""
    rank = {"open": 0, "upcoming": 1, "closed": 2}

    def key(c: Consultation) -> tuple[int, float, str]:
        if c.status == "open":
            moment = c.closes.timestamp()
        elif c.status == "upcoming":
            moment = c.opens.timestamp()
        else:
            moment = -c.closes.timestamp()
        return (rank[c.status], moment, c.slug)

    return tuple(sorted(consultations, key=key))


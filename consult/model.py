"""The site as frozen data: consultations, proposals, contributions, pages.

Built from loaded records by `content.load`; everything here is pure. A
consultation's status is derived from its dates and the build time, never typed.
Only published contributions are kept on the model: pending and rejected ones
are counted, never carried, so no template can show them by mistake.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
from typing import Any, ClassVar, Literal, TypeVar
from zoneinfo import ZoneInfo

from consult.i18n import DEFAULT_LANGUAGE
from consult.layout import CONFIG_FILE, DEFAULT_INBOX, contribution_source, results_url
from consult.schema import setting
from consult.stamps import digest

ConsultationStatus = Literal["upcoming", "open", "closed"]
QuestionType = Literal["text", "single", "multiple", "scale"]
ContributionStatus = Literal["pending", "published", "rejected"]

QUESTION_TYPES: tuple[str, ...] = ("text", "single", "multiple", "scale")
# Who sees a consultation's results, and when (default after_close); a question's own results
# are public unless it says private.
RESULTS_MODES: tuple[str, ...] = ("live", "after_close", "never")
QUESTION_RESULTS: tuple[str, ...] = ("public", "private")
CONTRIBUTION_STATUSES: tuple[str, ...] = ("pending", "published", "rejected")

M = TypeVar("M")

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
    """site.yaml's `organisation:` (each field a `setting`: see Config)."""

    name: str = setting(doc="the agency's name, shown on every page")
    url: str = setting("", doc="its website")
    address: str = setting("", doc="its postal address")
    contact_email: str = setting("", doc="an address citizens may write to")
    contact_url: str = setting("", doc="its contact page")


@dataclass(frozen=True)
class ThemeOptions:
    """site.yaml's `theme:` mapping beyond the name (`name`, read into Config.theme): the agency's own look."""

    logo: str = setting("", "logo.file", doc="the logo, a file in the site's static/", required=True)
    logo_alt: str = setting("", "logo.alt", doc="the logo's text alternative", required=True)
    primary_color: str = setting("", doc="'#rrggbb' of links and buttons, checked for contrast")
    focus_color: str = setting("", doc="'#rrggbb' of the focus ring, checked for contrast")
    favicon: str = setting("", doc="a file in the site's static/")
    header_links: tuple[tuple[str, str], ...] = setting((), doc="(title, url) links in the header")


# site.yaml's settings, each declared once: a `setting` is its default, type, doc and place in
# site.yaml. `config` derives the schema (`schema_fields`) and reads the values (`read_settings`)
# from these fields, in this order (the order of the hints listing the allowed keys); every other
# module reads a default here (`Config.max_length`). Fields that are no `setting` are derived.
@dataclass(frozen=True, kw_only=True)
class Config:
    title: str = setting(doc="the site's name")
    description: str = setting("", doc="one sentence under the title")
    language: str = setting(DEFAULT_LANGUAGE, doc="the interface language: fr or en")
    base_url: str = setting(doc="the site's address, https://host")
    timezone: str = setting("Europe/Paris", doc="the time zone of dates without one")
    organisation: Organisation = setting(doc="the agency (`Organisation`)", type="dict")
    theme: str = setting("default", doc="the theme's name (or `theme.name` in a mapping)")
    theme_options: ThemeOptions = ThemeOptions()  # the rest of a `theme:` mapping
    form_endpoint: str = setting("/api/submit", "forms.endpoint", doc="where the forms post")
    max_length: int = setting(5000, "forms.max_length", doc="the longest text a form takes")
    inbox: str = setting(DEFAULT_INBOX, "forms.inbox", doc="the inbox's URL (sqlite:// or postgresql://)")
    altcha: bool = setting(False, "forms.altcha", doc="an ALTCHA proof of work in every form")
    allow_other_origin: bool = setting(False, "forms.allow_other_origin",
                                       doc="let forms.endpoint be on another site than base_url")
    proposal_statuses: tuple[tuple[str, str], ...] = setting(
        (), doc="(id, label) of each status; label '' = translated default; none: the defaults")
    final_statuses: tuple[str, ...] = DEFAULT_FINAL_STATUSES  # no more supports once a proposal has one
    merged_status: str = DEFAULT_MERGED_STATUS  # what `consult merge` sets ('' when site.yaml marks none)
    reasons: tuple[str, ...] = setting(DEFAULT_REASONS, "moderation.reasons", doc="the moderation reason codes")
    retention_days: int = setting(365, "privacy.retention_days", doc="days the inbox keeps a delivered submission")
    privacy_controller: str = setting("", "privacy.controller", doc="who is responsible for the personal data")
    dpo_contact: str = setting("", "privacy.dpo_contact", doc="the data protection officer's contact")
    accessibility_status: str = setting("partial", "accessibility.status", doc="full | partial | none")
    accessibility_audit_date: date | None = setting(None, "accessibility.audit_date", doc="the audit's day (a date-time too)")
    accessibility_contact: str = setting("", "accessibility.contact", doc="whom to tell of a barrier")
    defender_url: str = setting("https://formulaire.defenseurdesdroits.fr/", "accessibility.defender_url",
                                doc="the Défenseur des droits' form")
    # The statement's "Contenus non accessibles": one sentence per item.
    non_conformities: tuple[str, ...] = setting((), "accessibility.non_conformities", doc="what fails the criteria")
    disproportionate_burden: tuple[str, ...] = setting((), "accessibility.disproportionate_burden",
                                                       doc="what would cost too much to fix")
    exempt: tuple[str, ...] = setting((), "accessibility.exempt", doc="what the law exempts")
    contributions_per_page: int = setting(20, doc="contributions (and comments) a list page shows")
    open_data_licence: str = setting(ETALAB[0], "open_data.licence", doc="the open data's licence")
    open_data_licence_url: str = setting(ETALAB[1], "open_data.licence_url", doc="its text")
    source: str = CONFIG_FILE
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def status_ids(self) -> tuple[str, ...]:
        return tuple(sid for sid, _ in self.proposal_statuses) or DEFAULT_PROPOSAL_STATUSES


class Keyed:
    """A model object that carries digests of its content (`key`), each computed once, on first use:
    every cache of the build keys by them (consult.pages, consult.build), never by object identity,
    so an equal object read again from disk hits what the last one stored.

    A digest lives beside the fields (in the instance's __dict__, or in a slot, `_KeySlot`) and is none:
    equality, hashing and repr ignore it, `dataclasses.replace` leaves it behind (a new value digests
    itself). A key digests the fields alone and pickling keeps them alone, so no digest depends on
    whether another one, or any value cached beside the fields (a `cached_property`), was computed."""

    __slots__ = ()  # so that a subclass may have none of its own (`_KeySlot`)

    # Fields holding Keyed items, which `key` digests through their own keys (a proposal's comments).
    parts: ClassVar[tuple[str, ...]] = ()
    # Fields of Keyed items that `key` leaves out, each digested apart by `collection_key` (a page
    # may show a consultation without reading its proposals: see consult.pages).
    collections: ClassVar[tuple[str, ...]] = ()

    @property
    def key(self) -> str:
        """A digest of this object's fields (of its items' keys for `parts`; `collections` left out):
        equal keys mean equal values."""
        found: str | None = getattr(self, "_key", None)
        if found is None:
            kind: type = type(self)
            found = digest(_pickled((kind.__qualname__, [getattr(self, name) for name in _fields(kind)[0]])))
            if self.parts:
                found = digest(found, *(item.key for name in self.parts for item in getattr(self, name)))
            object.__setattr__(self, "_key", found)
        return found

    def collection_key(self, attribute: str) -> str:
        """A digest of one of its `collections`: of its items' keys."""
        name = f"_key_{attribute}"
        found: str | None = getattr(self, name, None)
        if found is None:
            if attribute not in self.collections:
                raise ValueError(f"{type(self).__name__}.{attribute} is not one of its collections")
            found = digest(*(item.key for item in getattr(self, attribute)))
            object.__setattr__(self, name, found)
        return found

    @property
    def full_key(self) -> str:
        """A digest of everything it holds: its key and its collections'."""
        return digest(self.key, *(self.collection_key(attribute) for attribute in self.collections))

    def __getstate__(self) -> dict[str, Any]:
        kind: type = type(self)
        return {name: getattr(self, name) for name in _fields(kind)[1]}


class _KeySlot(Keyed):
    """A Keyed class with slots (`dataclass(slots=True)`): its digest in a slot, no __dict__. For the
    model's many small objects: a million contributions' __dict__ would cost ~100 MB."""

    __slots__ = ("_key",)


@functools.cache
def _fields(kind: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A Keyed dataclass's fields: those its `key` pickles (not its `parts` nor `collections`), and all."""
    every = tuple(f.name for f in dataclasses.fields(kind))
    return tuple(name for name in every if name not in (*kind.parts, *kind.collections)), every  # type: ignore[attr-defined]


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def made(kind: type[M], /, **values: Any) -> M:
    """`kind(**values)` for a frozen dataclass without `__post_init__` nor slots, given every field in
    order: its __dict__ filled at once, where the generated __init__ calls object.__setattr__ for each
    field (a Proposal's 22 calls were a fifth of linking a site's proposals, issue 17; a proposal's record
    is made the same way where it is parsed)."""
    cls: type = kind  # mypy: a hashable class, the key of _field_names's cache
    if tuple(values) != _field_names(cls):
        raise TypeError(f"{kind.__name__} is made from every field, in order")
    item = object.__new__(kind)
    # Key by key, not dict.update: an empty __dict__ updated from a dict copies that dict's own key
    # table, and each object then carries a 832-byte dict of its own (a FormView) where the class's
    # shared keys take 288 (+16-21 MiB of peak memory at 10,000 proposals, bench/memory.py).
    state = item.__dict__
    for name, value in values.items():
        state[name] = value
    return item


def _pickled(value: Any) -> bytes:
    """`value` pickled without pickle's memo: equal values give equal bytes whichever objects they
    share (the memo writes a second reference to one object, not to an equal one, differently)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo; the model holds no cycle
    pickler.dump(value)
    return buffer.getvalue()


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


# Text._span: the start of its bytes in the buffer, shifted by this many bits, then their length.
_SPAN_BITS = 32
_LENGTH = (1 << _SPAN_BITS) - 1


class Text:
    """A contribution's body (its HTML, made by the untrusted renderer), kept as UTF-8 bytes: `str(text)`
    is the HTML, decoded where a page shows it. The bodies of one consultation share one buffer
    (`pack_texts`; until packed, each has bytes of its own): a render worker forked from the build
    reads the buffer without writing it, so its pages stay shared, where a str per body has its
    reference count written by every read, and so is copied into each process that shows it (and
    a body with a ’ or an œ takes two bytes a character as a str). A value: equality, hash and
    pickle are its bytes', whichever buffer holds them; packing moves it, never changes it."""

    __slots__ = ("_data", "_span", "_hash")

    def __init__(self, html: str = "") -> None:
        self._data = html.encode("utf-8")
        self._span = len(self._data)
        self._hash: int | None = None

    @property
    def utf8(self) -> bytes:
        start, length = self._span >> _SPAN_BITS, self._span & _LENGTH
        if start == 0 and length == len(self._data):
            return self._data
        return self._data[start:start + length]

    def __str__(self) -> str:
        return self.utf8.decode("utf-8")

    def __bool__(self) -> bool:
        return self._span & _LENGTH != 0

    def __eq__(self, other: object) -> bool:
        return self.utf8 == other.utf8 if isinstance(other, Text) else NotImplemented

    def __hash__(self) -> int:
        # Kept, as str keeps its own: the memos hash a contribution (so its body) on every page showing it.
        if self._hash is None:
            self._hash = hash(self.utf8)
        return self._hash

    def __repr__(self) -> str:
        return f"Text({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Its bytes alone (a digest of the model depends on its value, never on its buffer's neighbours)."""
        return _text_of, (self.utf8,)

    def reduce_shared(self) -> tuple[Any, ...]:
        """A reduction with its whole buffer, which pickle's memo writes once for all the texts sharing it:
        to send a consultation to another process (build.BY_CONSULTATION) without unpacking its texts."""
        return _text_in, (self._data, self._span)


def _text_of(data: bytes) -> Text:
    return _text_in(data, len(data))


def _text_in(data: bytes, span: int) -> Text:
    text = Text.__new__(Text)
    text._data, text._span, text._hash = data, span, None
    return text


def pack_texts(texts: list[Text]) -> None:
    """Move `texts` into one buffer they share (their values unchanged). A text too long for a span
    (4 GiB) keeps bytes of its own."""
    parts = [text.utf8 for text in texts]
    buffer = b"".join(parts)
    start = 0
    for text, part in zip(texts, parts):
        if len(part) <= _LENGTH:
            text._data, text._span = buffer, start << _SPAN_BITS | len(part)
        start += len(part)


@dataclass(frozen=True, slots=True)
class Contribution(_KeySlot):
    id: str
    kind: str  # suggestion | proposal | comment | answers
    consultation: str  # consultation slug
    proposal: str | None  # proposal slug, for comments
    author: str  # public name or pseudonym; '' for anonymous
    submitted: datetime
    status: str
    reason: str  # moderation reason code, for rejected
    title: str
    body_html: Text  # rendered with the untrusted renderer; str(body_html) is the HTML
    answers: tuple[Answer, ...]
    tags: tuple[str, ...] = ()  # theme ids of the consultation's codebook, set by editors
    channel: str = ""  # how it reached the agency when not the web: papier, courriel, reunion

    @property
    def source(self) -> str:
        """Its file, relative to the site root: derived from its id (its file's name) and consultation,
        not kept (a million contributions would keep a million paths)."""
        return contribution_source(self.consultation, self.id)


@dataclass(frozen=True)
class Theme:
    """One entry of a consultation's codebook (codebook.yaml)."""

    id: str
    label: str
    description: str = ""
    parent: str = ""  # a theme id, '' for a top-level theme


@dataclass(frozen=True)
class Proposal(Keyed):
    parts: ClassVar[tuple[str, ...]] = ("comments",)

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
    status_line: int = 0  # the line of `status:` in `source`, for editors' warnings (0: unknown)

    def reached(self, goal: int | None) -> bool:
        """Whether this proposal has the consultation's support goal (never without a goal)."""
        return goal is not None and self.supports >= goal

    def __hash__(self) -> int:
        """The hash of a few of its fields, those that tell two proposals apart at once, computed once:
        memo() keys a proposal's card by the proposal on every list that shows it (consult.theme). Equal
        proposals hash alike, which is all a hash owes equality; the rare two that share these fields
        are told apart by `==`. Hashing every field cost each render worker a walk of every comment of
        every proposal (7 % of a cold build's rendering). Kept beside the fields like its key (Keyed):
        never compared, never pickled (a str's hash differs between processes)."""
        try:
            return self.__dict__["_hash"]
        except KeyError:
            found = hash((self.consultation, self.slug, self.title, self.supports, len(self.comments),
                          len(self.history), self.response_date))
            object.__setattr__(self, "_hash", found)
            return found


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
class Consultation(Keyed):
    collections: ClassVar[tuple[str, ...]] = ("proposals", "contributions")  # a page may not read them
    # The collection each attribute derived from one reads (a page that reads `listed` reads the
    # proposals: consult.pages traces it so).
    derived: ClassVar[dict[str, str]] = {"listed": "proposals", "find_proposal": "proposals"}

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

    @cached_property
    def listed(self) -> tuple[Proposal, ...]:
        """The proposals lists show: a duplicate merged into another is left out (its page stays).
        Computed once (pages ask for it about a hundred times per consultation): it is kept in the
        instance's __dict__, outside the fields that equality, hashing and `replace` see."""
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


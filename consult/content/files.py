"""One content file's text -> a record, and every problem in it. Pure.

Each `parse_*` takes the file's text and its path relative to the site root and
returns plain records (frozen dataclasses) that `link` assembles into the model.
Positions come from the YAML nodes, so messages read `path:line:col: ...`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from sys import intern
from datetime import date, datetime, time
from typing import Any

from consult.config import Config
from consult.document import YamlDoc, cleaned, parse_front_matter, parse_yaml
from consult.errors import SourceError, did_you_mean, french, say
from consult.flags import FLAGS
from consult.i18n import translate
from consult.kinds import BY_NAME, CONTRIBUTION_KINDS, DEFAULT_KINDS, KINDS
from consult.lint import check_history
from consult.markdown import render_trusted, render_untrusted
from consult.model import (
    CONTRIBUTION_STATUSES,
    QUESTION_RESULTS,
    QUESTION_TYPES,
    RESULTS_MODES,
    Category,
    Question,
    StatusChange,
    Theme,
    made,
)
from consult.schema import SLUG_RE, Field, check_mapping, converted, present
from consult.slug import slugify

CONSULTATION_FIELDS = {
    "title": Field("str", required=True),
    "summary": Field("str"),
    "opens": Field("date", required=True),
    "closes": Field("date", required=True),
    "categories": Field("list"),
    "questions": Field("list"),
    "kinds": Field("list"),
    "moderation": Field("str"),
    "results": Field("str"),
    "support_goal": Field("int"),  # supports after which the agency commits to study a proposal
    "supports": Field("str"),
}
SUPPORT_MODES = ("open", "verified")  # verified: a support counts once its e-mail link is followed
CATEGORY_FIELDS = {"id": Field("slug", required=True), "label": Field("str", required=True)}
QUESTION_FIELDS = {
    "id": Field("slug", required=True),
    "label": Field("str", required=True),
    "type": Field("str"),
    "required": Field("bool"),
    "help": Field("str"),
    "choices": Field("list"),
    "min": Field("int"),
    "max": Field("int"),
    "max_length": Field("int"),
    "results": Field("str"),
}
PROPOSAL_FIELDS = {
    "title": Field("str", required=True),
    "summary": Field("str"),
    "category": Field("str"),
    "status": Field("str", required=True),
    "history": Field("list"),
    "response": Field("str"),
    "response_date": Field("date"),
    "origin": Field("str"),  # agency (default) | citizen
    "author": Field("str"),  # a citizen proposal's public name
    "submitted": Field("date"),  # ... and the day it was sent
    "merged_into": Field("slug"),  # a duplicate: the proposal of the same consultation it was merged into
}
ORIGINS = ("agency", "citizen")
HISTORY_FIELDS = {"date": Field("date", required=True), "status": Field("str", required=True), "note": Field("str")}
CONTRIBUTION_FIELDS = {
    "id": Field("str", required=True),
    "kind": Field("str", required=True),
    "consultation": Field("str"),
    "proposal": Field("str"),
    "author": Field("str"),
    "submitted": Field("date", required=True),
    "status": Field("str", required=True),
    "reason": Field("str"),
    "title": Field("str"),
    "answers": Field("dict"),
    "category": Field("str"),  # a proposal's category id, as the citizen chose it
    "flags": Field("list"),  # codes of consult.flags: why a moderator should look
    "duplicate_of": Field("str"),  # near-duplicate flag: the other contribution's id (consult.detect)
    "tags": Field("list"),
    "decided": Field("date"),  # when a person (or post-moderation at pull) published or rejected it
    "decided_by": Field("str"),  # who: "auto" for post-moderation at pull, else a moderator's word
    "channel": Field("str"),  # how it reached us: web (default), papier, courriel, reunion (consult import)
}
CHANNELS = ("web", "papier", "courriel", "reunion")
# A participant's report (`reports/<id>.md`, written by pull): read for the moderation report's counts only.
REPORT_FIELDS = {
    "id": Field("str", required=True),
    "kind": Field("str", required=True),
    "target": Field("str", required=True),  # the reported contribution's id ('' when the report named none)
    "reason": Field("str"),
    "submitted": Field("date", required=True),
    "flags": Field("list"),
}
SYNTHESIS_FIELDS = {"title": Field("str", required=True), "published": Field("date")}
PAGE_FIELDS = {"title": Field("str", required=True), "footer": Field("bool"), "summary": Field("str")}

MODERATION_MODES = ("pre", "post")


def allowed(words: tuple[str, ...] | list[str]) -> str:
    """The hint that lists the values a field accepts."""
    listed = ", ".join(words)
    return say(f"allowed: {listed}", f"valeurs possibles : {listed}")


@dataclass(frozen=True)
class ConsultationRecord:
    slug: str
    title: str
    summary: str
    opens: datetime
    closes: datetime
    categories: tuple[Category, ...]
    questions: tuple[Question, ...]
    kinds: tuple[str, ...]
    moderation: str
    body_html: str
    source: str
    results: str = "after_close"
    support_goal: int | None = None
    # `supports: verified` (SUPPORT_MODES). A bool, not the word: "open" would be the very object of
    # the derived status "open", and pickle's memo would make a page's fingerprint differ between a
    # fresh parse and a cached one.
    verified_supports: bool = False


@dataclass(frozen=True)
class ProposalRecord:
    slug: str
    title: str
    summary: str
    category: str
    status: str
    history: tuple[StatusChange, ...]
    response_html: str
    response_date: date | None
    body_html: str
    source: str
    origin: str = "agency"
    author: str = ""
    submitted: date | None = None
    merged_into: str = ""
    status_line: int = 0  # where `status:` stands in the file (consult.lint's warnings point there)


@dataclass(frozen=True, slots=True)  # one per contribution file: a million of them while a site links
class ContributionRecord:
    id: str
    kind: str
    proposal: str | None
    author: str
    submitted: datetime
    status: str
    reason: str
    title: str
    body_html: str
    answers: tuple[tuple[str, Any], ...]  # (question id, value) as in the file: no dict each when none
    source: str
    tags: tuple[str, ...] = ()
    category: str = ""
    flags: tuple[str, ...] = ()  # for the moderation report's counts only
    decided: datetime | None = None  # when it was published or rejected, if the file says
    decided_by: str = ""  # "auto": post-moderation published it at pull
    channel: str = ""  # '' for the web; papier, courriel, reunion (consult import)


@dataclass(frozen=True)
class ReportRecord:
    """What the moderation report counts of a participant's report: which contribution it is about."""

    id: str
    target: str
    source: str


@dataclass(frozen=True)
class SynthesisRecord:
    title: str
    published: date | None
    body_html: str
    source: str


@dataclass(frozen=True)
class PageRecord:
    slug: str
    title: str
    summary: str
    footer: bool
    body_html: str
    source: str


def to_datetime(value: date | datetime, config: Config, end_of_day: bool = False) -> datetime:
    """A front-matter date in the site's time zone. A bare `closes` date includes that whole day."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=config.tz)
    return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0, 0), tzinfo=config.tz)


# What each front matter or list item is, as the problems about it name it: said once here, as a
# parse names it for every file (and a national consultation has a million of them).
WHAT = {en: say(en, fr) for en, fr in (
    ("a consultation", "une consultation"),
    ("category", "une catégorie"),
    ("question", "une question"),
    ("a proposal", "une proposition"),
    ("status change", "un changement de statut"),
    ("a report", "un signalement"),
    ("a contribution", "une contribution"),
    ("a synthesis", "une synthèse"),
    ("a page", "une page"),
    ("a codebook", "un codebook"),
    ("theme", "un thème"),
)}


def _front(text: str, path: str, fields: dict[str, Field], what: str) -> tuple[YamlDoc, Any, str, list[SourceError]]:
    """The front matter's doc (positions), its data as the parser reads it (`converted`: dates given
    as text parsed; None when it did not parse), the Markdown body and the problems."""
    doc, body, problems = parse_front_matter(text, path)
    doc.data, body = cleaned(text, doc.data, body)  # what pages show: no character XML forbids
    if doc.data is not None:
        problems += check_mapping(doc, (), doc.data, fields, what)
    return doc, converted(doc.data, fields), body, problems


def _items(doc: YamlDoc, data: dict[str, Any], name: str, fields: dict[str, Field], what: str,
           problems: list[SourceError]) -> list[tuple[int, dict[str, Any]]]:
    """The valid mappings of a list field (`converted`), reporting the others; duplicate ids are errors."""
    good: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for index, item in enumerate(data.get(name) or []):
        found = check_mapping(doc, (name, index), item, fields, what)
        problems += found
        if found:
            continue
        if "id" in item:
            if item["id"] in seen:
                problems.append(doc.error((name, index, "id"), say(
                    f"duplicate {what} id '{item['id']}'",
                    f"identifiant « {item['id']} » en double dans la liste « {name} »")))
                continue
            seen.add(item["id"])
        good.append((index, converted(item, fields)))
    return good


def parse_consultation(text: str, path: str, slug: str, config: Config) -> tuple[ConsultationRecord | None, list[SourceError]]:
    doc, data, body, problems = _front(text, path, CONSULTATION_FIELDS, WHAT["a consultation"])
    if data is None:
        return None, problems
    categories = tuple(Category(c["id"], c["label"]) for _, c in _items(doc, data, "categories", CATEGORY_FIELDS,
                                                                         WHAT["category"], problems))
    questions = tuple(
        q for index, item in _items(doc, data, "questions", QUESTION_FIELDS, WHAT["question"], problems)
        if (q := _question(doc, index, item, problems)) is not None
    )
    kinds = tuple(data["kinds"]) if present(data, "kinds", "list") else DEFAULT_KINDS
    for index, kind in enumerate(kinds):
        if kind not in KINDS:
            problems.append(doc.error(("kinds", index), say(f"unknown kind {kind!r}", f"type de contribution inconnu « {kind} »"),
                                      did_you_mean(str(kind), KINDS) or allowed(KINDS)))
    moderation = data.get("moderation", "pre")
    if moderation not in MODERATION_MODES:
        problems.append(doc.error(("moderation",), say(f"unknown moderation mode {moderation!r}",
                                                        f"mode de modération inconnu « {moderation} »"),
                                  say("use 'pre' or 'post'", "indiquez « pre » ou « post »")))
    results = data.get("results", ConsultationRecord.results)
    if results not in RESULTS_MODES:
        problems.append(doc.error(("results",), say(f"unknown results mode {results!r}",
                                                     f"mode d'affichage des résultats inconnu « {results} »"),
                                  did_you_mean(str(results), RESULTS_MODES)
                                  or say("use live, after_close or never", "indiquez live, after_close ou never")))
    goal = data.get("support_goal")
    if isinstance(goal, int) and not isinstance(goal, bool) and goal < 1:
        problems.append(doc.error(("support_goal",), translate(config.language, "check.goal")))
    supports = data.get("supports", "open")
    if supports not in SUPPORT_MODES:
        problems.append(doc.error(("supports",), say(f"unknown supports mode {supports!r}",
                                                      f"mode de soutien inconnu « {supports} »"),
                                  say("use 'open' (the default) or 'verified' (confirmed by e-mail)",
                                      "indiquez « open » (par défaut) ou « verified » (soutien confirmé par courriel)")))
    if not (present(data, "opens", "date") and present(data, "closes", "date")):
        return None, problems
    opens = to_datetime(data["opens"], config)
    closes = to_datetime(data["closes"], config, end_of_day=True)
    if closes <= opens:
        problems.append(doc.error(("closes",), say(f"'closes' ({data['closes']}) is before 'opens' ({data['opens']})",
                                                    f"« closes » ({data['closes']}) est avant « opens » ({data['opens']})"),
                                  say("a consultation must close after it opens",
                                      "une consultation doit se terminer après son ouverture")))
    if problems:
        return None, problems
    return ConsultationRecord(
        slug=slug, title=data["title"], summary=data.get("summary", ""), opens=opens, closes=closes,
        categories=categories, questions=questions, kinds=kinds, moderation=moderation,
        body_html=render_trusted(body), source=path, results=results, support_goal=goal,
        verified_supports=supports == "verified",
    ), check_results_settings(doc, data, results, kinds)


def check_results_settings(doc: YamlDoc, data: dict[str, Any], results: str, kinds: tuple[str, ...]) -> list[SourceError]:
    """Warnings for results settings that contradict each other: a question said public whose
    figures are never shown, or results asked for answers the consultation never collects."""
    problems: list[SourceError] = []
    for index, item in enumerate(data.get("questions") or []):
        if not isinstance(item, dict) or "results" not in item:
            continue
        at = ("questions", index, "results")
        if item["results"] == "public" and results == "never":
            problems.append(doc.error(at, say(f"question '{item.get('id')}' has public results but the consultation "
                                              "says 'results: never'",
                                              f"la question « {item.get('id')} » a des résultats publics, mais la "
                                              "consultation indique « results: never »"),
                                      say("set 'results: private' or change the consultation's 'results'",
                                          "indiquez « results: private » ou changez « results » dans la consultation")))
        if "answers" not in kinds:
            problems.append(doc.error(at, say(f"question '{item.get('id')}' sets 'results' but the consultation does "
                                              "not take answers",
                                              f"la question « {item.get('id')} » indique « results », mais la "
                                              "consultation ne reçoit pas de réponses au questionnaire"),
                                      say("add 'answers' to 'kinds' or remove 'results'",
                                          "ajoutez « answers » à « kinds » ou retirez « results »")))
    return [replace(p, warning=True) for p in problems]


def _question(doc: YamlDoc, index: int, item: dict[str, Any], problems: list[SourceError]) -> Question | None:
    at = ("questions", index)
    type_ = item.get("type", Question.type)
    if type_ not in QUESTION_TYPES:
        problems.append(doc.error(at + ("type",), say(f"unknown question type {type_!r}",
                                                       f"type de question inconnu « {type_} »"),
                                  did_you_mean(str(type_), QUESTION_TYPES) or allowed(QUESTION_TYPES)))
        return None
    choices = item.get("choices") or []
    if type_ in ("single", "multiple") and len(choices) < 2:
        problems.append(doc.error(at, say(f"question '{item['id']}' of type {type_} needs at least two 'choices'",
                                          f"la question « {item['id']} », de type {type_}, doit proposer au moins "
                                          "deux réponses dans « choices »")))
        return None
    if any(not isinstance(c, (str, int, float)) or isinstance(c, bool) for c in choices):
        problems.append(doc.error(at + ("choices",), say("each choice must be a short text",
                                                          "chaque réponse proposée doit être un texte court")))
        return None
    shown = item.get("results", Question.results)
    if shown not in QUESTION_RESULTS:
        problems.append(doc.error(at + ("results",), say(f"unknown question results {shown!r}",
                                                          f"valeur inconnue « {shown} » pour les résultats de la question"),
                                  did_you_mean(str(shown), QUESTION_RESULTS)
                                  or say("use public or private", "indiquez public ou private")))
        return None
    low, high = item.get("min", Question.scale_min), item.get("max", Question.scale_max)
    if type_ == "scale" and not low < high:
        problems.append(doc.error(at + ("max",), say(f"scale 'max' ({high}) must be greater than 'min' ({low})",
                                                      f"pour une échelle, « max » ({high}) doit être plus grand "
                                                      f"que « min » ({low})")))
        return None
    return Question(
        id=item["id"], label=item["label"], type=type_, required=item.get("required", Question.required),
        help=item.get("help", Question.help), choices=tuple(str(c) for c in choices), scale_min=low, scale_max=high,
        max_length=item.get("max_length", Question.max_length), results=shown,
    )


def _known_status(doc: YamlDoc, at: tuple[str | int, ...], value: str, status_ids: tuple[str, ...]) -> list[SourceError]:
    if value in status_ids:
        return []
    listed = ", ".join(status_ids)
    hint = did_you_mean(value, status_ids) or say(f"statuses in site.yaml: {listed}",
                                                  f"statuts définis dans site.yaml : {listed}")
    return [doc.error(at, say(f"unknown proposal status '{value}'", f"statut de proposition inconnu « {value} »"), hint)]


def parse_proposal(text: str, path: str, slug: str, config: Config) -> tuple[ProposalRecord | None, list[SourceError]]:
    doc, data, body, problems = _front(text, path, PROPOSAL_FIELDS, WHAT["a proposal"])
    if data is None:
        return None, problems
    status_ids = config.status_ids  # a property: computed once here, not for each history entry
    if present(data, "status", "str"):
        problems += _known_status(doc, ("status",), data["status"], status_ids)
    history = []
    entries = _items(doc, data, "history", HISTORY_FIELDS, WHAT["status change"], problems)
    for index, item in entries:
        problems += _known_status(doc, ("history", index, "status"), item["status"], status_ids)
        moment = item["date"].date() if isinstance(item["date"], datetime) else item["date"]
        history.append(StatusChange(moment, item["status"], item.get("note", "")))
    origin = data.get("origin", ProposalRecord.origin)
    if origin not in ORIGINS:
        problems.append(doc.error(("origin",), say(f"unknown origin {origin!r}", f"origine inconnue « {origin} »"),
                                  say("use 'agency' or 'citizen'", "indiquez « agency » ou « citizen »")))
    if not problems:  # so every entry is valid: `entries` is the history, its dates parsed
        problems += check_history(doc, dict(data, history=[item for _, item in entries]), status_ids)
    if problems:
        return None, problems
    return made(
        ProposalRecord, slug=slug, title=data["title"], summary=data.get("summary", ""), category=data.get("category", ""),
        status=data["status"], history=tuple(sorted(history, key=lambda h: h.date)),
        response_html=render_trusted(data.get("response", "")), response_date=_day(data.get("response_date")),
        # A citizen's text stays untrusted once it is a proposal: no raw HTML, no images.
        body_html=(render_untrusted if origin == "citizen" else render_trusted)(body), source=path,
        origin=origin, author=data.get("author") or "",
        submitted=_day(data.get("submitted")), merged_into=data.get("merged_into") or "",
        status_line=doc.where("status", key=True)[0],
    ), problems


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def parse_report(text: str, path: str) -> tuple[ReportRecord | None, list[SourceError]]:
    """A report file as pull writes it: its id and target (its note, the body, is never read)."""
    _, data, _, problems = _front(text, path, REPORT_FIELDS, WHAT["a report"])
    if data is None or problems:
        return None, problems
    return ReportRecord(id=data["id"], target=data["target"] or "", source=path), []


def parse_contribution(text: str, path: str, stem: str, consultation: str, config: Config) -> tuple[ContributionRecord | None, list[SourceError]]:
    doc, data, body, problems = _front(text, path, CONTRIBUTION_FIELDS, WHAT["a contribution"])
    if data is None:
        return None, problems
    if present(data, "id", "str") and data["id"] != stem:
        problems.append(doc.error(("id",), say(f"id '{data['id']}' does not match the file name '{stem}.md'",
                                                f"l'identifiant « {data['id']} » ne correspond pas au nom du "
                                                f"fichier « {stem}.md »")))
    if data.get("consultation", consultation) != consultation:
        problems.append(doc.error(("consultation",), say(
            f"contribution filed under '{consultation}' names consultation '{data['consultation']}'",
            f"cette contribution, rangée dans « {consultation} », indique la consultation « {data['consultation']} »")))
    kind = data.get("kind")
    if present(data, "kind", "str") and kind not in CONTRIBUTION_KINDS:
        problems.append(doc.error(("kind",), say(f"unknown contribution kind '{kind}'", f"type de contribution inconnu « {kind} »"),
                                  did_you_mean(kind, CONTRIBUTION_KINDS) or allowed(CONTRIBUTION_KINDS)))
    if kind in CONTRIBUTION_KINDS and BY_NAME[kind].target == "proposal" and not present(data, "proposal", "str"):
        problems.append(doc.error(("kind",), say("a comment must name its 'proposal'",
                                                  "un commentaire doit indiquer sa proposition dans « proposal »")))
    status = data.get("status")
    if present(data, "status", "str") and status not in CONTRIBUTION_STATUSES:
        problems.append(doc.error(("status",), say(f"unknown status '{status}'", f"statut inconnu « {status} »"),
                                  did_you_mean(status, CONTRIBUTION_STATUSES)
                                  or say("use pending, published or rejected", "indiquez pending, published ou rejected")))
    reason = data.get("reason") or ""
    if status == "rejected" and not reason:
        problems.append(doc.error(("status",), say("a rejected contribution needs a 'reason'",
                                                     "une contribution refusée doit indiquer un motif dans « reason »"),
                                  _codes(config.reasons)))
    if reason and reason not in config.reasons:
        problems.append(doc.error(("reason",), say(f"unknown moderation reason '{reason}'",
                                                     f"motif de modération inconnu « {reason} »"),
                                  did_you_mean(str(reason), config.reasons) or _codes(config.reasons)))
    problems += _check_flags(doc, data.get("flags"))
    channel = data.get("channel") or ""
    if channel and channel not in CHANNELS:
        listed = ", ".join(CHANNELS)
        problems.append(doc.error(("channel",), say(f"unknown channel {channel!r}", f"canal inconnu « {channel} »"),
                                  did_you_mean(str(channel), CHANNELS)
                                  or say(f"channels: {listed}", f"canaux possibles : {listed}")))
    tags = data.get("tags") or []
    for index, tag in enumerate(tags):
        if not isinstance(tag, str) or not SLUG_RE.match(tag):
            problems.append(doc.error(("tags", index), say(f"tag {tag!r} is not a theme id",
                                                            f"l'étiquette « {tag} » n'est pas un identifiant de thème"),
                                      say("theme ids are slugs, as in codebook.yaml",
                                          "un identifiant de thème s'écrit en lettres minuscules, chiffres et tirets, "
                                          "comme dans codebook.yaml")))
    if problems:
        return None, problems
    # The words a million contributions repeat (kind, status, a proposal's slug, a public name...) are one
    # string each from here on, not one per file (`intern`: the model keeps them).
    return ContributionRecord(
        id=data["id"], kind=intern(kind), proposal=intern_slug(data.get("proposal")), author=intern(data.get("author") or ""),
        submitted=to_datetime(data["submitted"], config), status=intern(status), reason=intern(reason),
        title=data.get("title") or "",
        # Only published text is ever rendered: the rest must not cost time nor reach the model.
        body_html=render_untrusted(body) if status == "published" else "",
        answers=tuple((data.get("answers") or {}).items()), source=path, tags=tuple(tags),
        category=data.get("category") or "", flags=tuple(data.get("flags") or ()),
        decided=to_datetime(data["decided"], config) if data.get("decided") else None,
        decided_by=data.get("decided_by") or "",
        channel=intern("" if channel == "web" else channel),
    ), problems


def _codes(reasons: tuple[str, ...]) -> str:
    """The hint that lists the site's moderation reasons."""
    listed = ", ".join(reasons)
    return say(f"codes: {listed}", f"codes possibles : {listed}")


def intern_slug(text: str | None) -> str | None:
    """`text` interned (sys.intern), None kept."""
    return None if text is None else intern(text)


def _check_flags(doc: YamlDoc, codes: Any) -> list[SourceError]:
    """Every flag must be a code of consult.flags: pull writes only those, so another one
    was typed by an editor, and a typo would hide the flag from `consult moderate`."""
    if not isinstance(codes, list):
        return []
    problems = []
    for index, code in enumerate(codes):
        if not isinstance(code, str) or code not in FLAGS:
            listed = ", ".join(FLAGS)
            problems.append(doc.error(("flags", index), say(f"unknown flag {code!r}", f"signalement inconnu « {code} »"),
                                      did_you_mean(str(code), tuple(FLAGS))
                                      or say(f"flags: {listed}", f"signalements possibles : {listed}")))
    return problems


def parse_synthesis(text: str, path: str) -> tuple[SynthesisRecord | None, list[SourceError]]:
    _, data, body, problems = _front(text, path, SYNTHESIS_FIELDS, WHAT["a synthesis"])
    if data is None or problems:
        return None, problems
    published = data.get("published")
    if isinstance(published, datetime):
        published = published.date()
    return SynthesisRecord(data["title"], published, render_trusted(body), path), problems


def parse_page(text: str, path: str, slug: str) -> tuple[PageRecord | None, list[SourceError]]:
    _, data, body, problems = _front(text, path, PAGE_FIELDS, WHAT["a page"])
    if data is None or problems:
        return None, problems
    return PageRecord(slug, data["title"], data.get("summary", ""), data.get("footer", True), render_trusted(body), path), problems


def locate(text: str, path: str, keys: tuple[str | int, ...], message: str, hint: str = "",
           key: bool = False) -> SourceError:
    """A problem found once files are linked (an unknown proposal, category or question), at
    its place in the front matter. Records keep no position data (100,000 contributions' worth
    of it is hundreds of MiB): the rare file with such a problem is parsed again."""
    doc, _, _ = parse_front_matter(text, path)
    return doc.error(keys, message, hint, key=key)


def check_slug(stem: str, path: str, what: str) -> list[SourceError]:
    """`what`: the file or folder named `stem`, said in both languages, the French without its article
    and masculine (« dossier de consultation », « fichier de page »)."""
    if SLUG_RE.match(stem):
        return []
    renamed = slugify(stem) or "x"
    return [SourceError(path, 0, 0, say(f"{what} name '{stem}' is not a safe slug",
                                        f"le nom du {french(what)} « {stem} » n'est pas un identifiant valide "
                                        "(lettres minuscules, chiffres et tirets)"),
                        say(f"rename it '{renamed}'", f"renommez-le « {renamed} »"))]


THEME_FIELDS = {"id": Field("slug", required=True), "label": Field("str", required=True),
                "description": Field("str"), "parent": Field("slug")}


def parse_codebook(text: str, path: str) -> tuple[tuple[Theme, ...] | None, list[SourceError]]:
    """codebook.yaml -> its themes: `themes:` a list of {id, label, description, parent}; a parent
    must be a theme of the same codebook."""
    doc, problems = parse_yaml(text, path)
    doc.data, _ = cleaned(text, doc.data)  # its labels show on the results page
    if doc.data is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, problems + [doc.error((), say("codebook.yaml must be a mapping with a 'themes' list",
                                                    "codebook.yaml doit être une suite de lignes « clé: valeur » "
                                                    "avec une liste « themes »"))]
    problems += check_mapping(doc, (), doc.data, {"themes": Field("list", required=True)},
                              WHAT["a codebook"])
    if problems:
        return None, problems
    items = _items(doc, doc.data, "themes", THEME_FIELDS, WHAT["theme"], problems)
    ids = [item["id"] for _, item in items]
    for index, item in items:
        parent = item.get("parent", "")
        if parent and (parent not in ids or parent == item["id"]):
            problems.append(doc.error(("themes", index, "parent"), say(f"unknown parent theme '{parent}'",
                                                                        f"thème parent inconnu « {parent} »"),
                                      did_you_mean(parent, [i for i in ids if i != item["id"]])
                                      or say("a parent is the id of another theme of this codebook",
                                             "un parent est l'identifiant d'un autre thème de ce codebook")))
    if problems:
        return None, problems
    return tuple(Theme(i["id"], i["label"], i.get("description", ""), i.get("parent", "")) for _, i in items), []

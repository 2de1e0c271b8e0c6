"""content/ -> Site: read every file, parse each one, link them, report all problems.

`find_sources` lists (and reads) the files. Parsing is per file and pure:
`parse_sources` looks each file up in the cache by content hash and parses the
rest, in worker processes when there are enough; `link_site` checks what spans
files (a comment's proposal, a proposal's category, supports) and builds the model.
A one-shot build without cache lists the files unread: each is read where it is
parsed and its text dropped at once, so the texts are never all in memory (a file
with a problem found by linking is read again to place it).
Content that moved (a comment's proposal renamed, a question removed) is a warning,
not an error: the site still builds, without what lost its place.
"""

from __future__ import annotations

import os
from sys import intern
from collections import defaultdict
from collections.abc import Callable, Container
from dataclasses import dataclass, replace
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from consult.cache import Store, digest, salt
from consult.config import Config
from consult.content import files
from consult.content.figures import count_moderation
from consult.document import parse_yaml
from consult.errors import ConsultError, SourceError, did_you_mean, french, say, split_warnings
from consult.i18n import translate
from consult.layout import (
    CODEBOOK_FILE, CONSULTATION_ENTRIES, CONTENT_DIR, CONTRIBUTIONS_DIR, INDEX_FILE, PROPOSALS_DIR, REPORTS_DIR,
    RESERVED_SLUGS, SUPPORTS_FILE, SYNTHESIS_FILE, consultation_url, content_dir, consultations_dir, page_url,
    pages_dir, proposal_url,
)
from consult.model import (
    Answer,
    Consultation,
    Contribution,
    Page,
    Proposal,
    ProposalStatus,
    Site,
    StatusChange,
    Synthesis,
    Text,
    Theme,
    derive_status,
    made,
    order_consultations,
    pack_texts,
)
from consult.parallel import Beside, run_shared

@dataclass(frozen=True, slots=True)
class Source:
    """One content file: what it is, where it is, and its text."""

    kind: str  # consultation | proposal | contribution | synthesis | supports | codebook | page
    path: str  # relative to the site root, with '/'
    consultation: str  # slug, '' for pages
    text: str | None  # None: listed unread (find_sources(read=False)), read where it is parsed

    @property
    def stem(self) -> str:
        """The file's name without its suffix (as PurePath.stem), not kept: a million files' worth."""
        name = self.path.rpartition("/")[2]
        dot = name.rfind(".")
        return name[:dot] if 0 < dot < len(name) - 1 else name


def read_text(path: str | Path) -> str:
    """A content file's text, as path.read_text(encoding="utf-8") gives it (newlines made '\n'), in
    4 system calls instead of 7 (a text file object asks whether it is a terminal, and seeks twice):
    a build reads every content file, one after the other, before anything else can start."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks, want = [], os.fstat(fd).st_size + 1
        while True:  # a regular file reads short only at its end: one read, unless it grew meanwhile
            chunk = os.read(fd, want)
            chunks.append(chunk)
            if len(chunk) < want:
                break
            want = 1 << 16
    finally:
        os.close(fd)
    text = b"".join(chunks).decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_source_text(path: str | Path, rel: str) -> tuple[str | None, SourceError | None]:
    """A content file's text, or the problem of reading it (`rel`: its path relative to the site root)."""
    try:
        return read_text(path), None
    except UnicodeDecodeError as exc:
        return None, SourceError(rel, 1, 1, say(f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                                                 f"ce fichier n'est pas en UTF-8 valide ({exc.reason} à l'octet {exc.start})"))
    except OSError as exc:  # a symlink to nothing, say
        return None, SourceError(rel, 0, 0, say(f"cannot read this file ({exc.strerror})",
                                                 f"impossible de lire ce fichier ({exc.strerror})"))


OUTSIDE = say("symlink points outside the site", "ce lien symbolique mène hors du site")


def leads_outside(path: Path, real_root: Path) -> bool:
    """Is `path` a symlink whose target lies outside the site folder (`real_root`, resolved)?
    Its target would be read, and published, as if it were the site's own."""
    return path.is_symlink() and not path.resolve().is_relative_to(real_root)


def _listing(folder: Path, suffix: str) -> list[os.DirEntry[str]]:
    """The entries of `folder` whose name ends with `suffix`, sorted by name, as sorted(folder.glob("*" +
    suffix)) lists them (hidden ones included); none when it is no folder or cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            found = [entry for entry in entries if entry.name.endswith(suffix)]
    except OSError:
        return []
    found.sort(key=attrgetter("name"))
    return found


def count_files(root: Path) -> int:
    """How many proposals, contributions and reports the site's consultations hold, from their
    folders' listings alone (nothing read, nothing checked): what decides how a build reads them."""
    folder, total = consultations_dir(root), 0
    if not folder.is_dir():
        return 0
    with os.scandir(folder) as entries:
        for entry in entries:
            for name in (PROPOSALS_DIR, CONTRIBUTIONS_DIR, REPORTS_DIR):
                try:
                    total += len(os.listdir(os.path.join(entry.path, name)))
                except OSError:  # no such folder, or not a folder
                    pass
    return total


def find_sources(root: Path, read: bool = True, unread: Container[str] = ()) -> tuple[list[Source], list[SourceError]]:
    """Every content file, and the problems of listing them. A symlink (file or folder) that
    leads out of the site is a problem, never read. `read=False`: the texts are left to
    `parse_sources` (given the root), which reads each file as it parses it; so are those of the
    paths in `unread` (files a build knows unchanged: their records are in the cache)."""
    content = content_dir(root)
    if not content.is_dir():
        return [], [SourceError(CONTENT_DIR, 0, 0, say("no content/ folder", "pas de dossier content/"),
                                say("run 'consult init' to create a site", "lancez « consult init » pour créer un site"))]
    sources: list[Source] = []
    problems: list[SourceError] = []
    real_root = root.resolve()

    def outside(path: Path) -> bool:
        if leads_outside(path, real_root):
            problems.append(SourceError(path.relative_to(root).as_posix(), 0, 0, OUTSIDE))
            return True
        return False

    def add(kind: str, path: Path, consultation: str = "") -> None:
        rel = path.relative_to(root).as_posix()
        if not outside(path):
            add_file(kind, str(path), rel, consultation)

    def add_file(kind: str, path: str, rel: str, consultation: str) -> None:
        text, problem = read_source_text(path, rel) if read and rel not in unread else (None, None)
        if problem is not None:
            problems.append(problem)
            return
        sources.append(Source(kind, rel, consultation, text))

    def add_listed(kind: str, folder: Path, consultation: str = "") -> None:
        """Every `*.md` of `folder`, by name: one listing, each entry's symlink bit from it (no
        stat of each file, as Path.glob and Path.is_symlink make; 10,000s of them at national scale)."""
        if outside(folder):  # nothing under a folder that leads out is read
            return
        prefix = folder.relative_to(root).as_posix() + "/"
        for entry in _listing(folder, ".md"):
            if entry.is_symlink() and outside(Path(entry.path)):
                continue
            add_file(kind, entry.path, prefix + entry.name, consultation)

    if outside(content):
        return [], problems
    add_listed("page", pages_dir(root))
    for folder in [] if outside(consultations_dir(root)) else sorted(consultations_dir(root).glob("*")):
        if not folder.is_dir() or outside(folder):
            continue
        slug = folder.name
        index = folder / INDEX_FILE
        if not index.is_file():
            problems.append(SourceError(folder.relative_to(root).as_posix(), 0, 0,
                                        say("consultation folder without index.md", "dossier de consultation sans index.md")))
            continue
        add("consultation", index, slug)
        for kind, name in (("synthesis", SYNTHESIS_FILE), ("supports", SUPPORTS_FILE), ("codebook", CODEBOOK_FILE)):
            if (folder / name).is_file():
                add(kind, folder / name, slug)
        add_listed("proposal", folder / PROPOSALS_DIR, slug)
        add_listed("contribution", folder / CONTRIBUTIONS_DIR, slug)
        add_listed("report", folder / REPORTS_DIR, slug)  # counted by the moderation report, never shown
        known = CONSULTATION_ENTRIES
        for path in sorted(folder.iterdir()):
            if path.name not in known and not path.name.startswith("."):
                rel = path.relative_to(root).as_posix()
                expected = ", ".join(sorted(known))
                problems.append(SourceError(rel, 0, 0, say("unexpected file in a consultation folder",
                                                           "fichier inattendu dans un dossier de consultation"),
                                            did_you_mean(path.name, known)
                                            or say(f"expected: {expected}", f"fichiers attendus : {expected}")))
    return sources, problems


# What check_slug names, in both languages (the French masculine, without its article).
_FOLDER = say("consultation folder", "dossier de consultation")
_FILE = {
    "page": say("page file", "fichier de page"),
    "proposal": say("proposal file", "fichier de proposition"),
    "contribution": say("contribution file", "fichier de contribution"),
}


def parse_source(source: Source, config: Config) -> tuple[Any, list[SourceError]]:
    """One file (read) -> (record or None, problems). Pure: the unit of caching and parallelism."""
    if source.text is None:
        raise ValueError(f"{source.path}: parse_source needs the text (see parse_unread)")
    text = source.text
    if source.kind == "consultation":
        problems = files.check_slug(source.consultation, source.path, _FOLDER)
    elif source.consultation and not files.SLUG_RE.match(source.consultation):
        return None, []  # reported once, on the folder's index.md
    else:
        problems = []
    if source.kind in ("page", "proposal", "contribution"):
        problems += files.check_slug(source.stem, source.path, _FILE[source.kind])
    if problems:
        return None, problems
    if source.kind == "page":
        return files.parse_page(text, source.path, source.stem)
    if source.kind == "consultation":
        return files.parse_consultation(text, source.path, source.consultation, config)
    if source.kind == "proposal":
        return files.parse_proposal(text, source.path, source.stem, config)
    if source.kind == "contribution":
        return files.parse_contribution(text, source.path, source.stem, source.consultation, config)
    if source.kind == "synthesis":
        return files.parse_synthesis(text, source.path)
    if source.kind == "report":
        return files.parse_report(text, source.path)
    if source.kind == "codebook":
        return files.parse_codebook(text, source.path)
    return parse_supports(text, source.path)


def parse_unread(source: Source, config: Config, root: Path) -> tuple[Any, list[SourceError]]:
    """parse_source of a source listed unread: its file read now, its text let go once parsed."""
    text, problem = read_source_text(os.path.join(root, source.path), source.path)  # str: no Path to make
    if problem is not None:
        return None, [problem]
    return parse_source(Source(source.kind, source.path, source.consultation, text), config)


def parse_supports(text: str, path: str) -> tuple[Any, list[SourceError]]:
    doc, problems = parse_yaml(text, path)
    if doc.data is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, problems + [doc.error((), say("supports.yaml must map proposal slugs to counts",
                                                    "supports.yaml doit associer à chaque identifiant de proposition "
                                                    "son nombre de soutiens"))]
    for key, value in doc.data.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(doc.error((key,), say(f"support count for '{key}' must be a whole number >= 0",
                                                   f"le nombre de soutiens de « {key} » doit être un nombre entier "
                                                   "positif ou nul")))
    return (None if problems else doc), problems


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400
Parsed = tuple[Any, list[SourceError]]


def source_key(source: Source, config_salt: str) -> str:
    if source.text is None:
        raise ValueError(f"{source.path}: a cache key needs the text")
    return digest(config_salt, source.kind, source.path, source.consultation, source.stem, source.text)


def source_keys(sources: list[Source], config: Config) -> list[str]:
    """Each source's cache key, in order (the config's salt computed once)."""
    config_salt = salt(config)
    return [source_key(source, config_salt) for source in sources]


def parse_sources(sources: list[Source], config: Config, store: Store | None = None, jobs: int = 1,
                  progress: Callable[[int], None] | None = None, keys: list[str] | None = None,
                  root: Path | None = None, beside: Beside[Any] | None = None) -> list[Parsed]:
    """Every source parsed, in order: from the cache when its text was seen, else parsed (in parallel).
    `keys`: the sources' `source_keys`, when the caller has them already. Sources listed unread (no
    cache then) are read from `root` by the process that parses them. `beside`: work this process
    does while the workers parse (parallel.run_shared)."""
    if store is None:
        return _parse_many(sources, config, jobs, progress, root, beside)
    keys = keys if keys is not None else source_keys(sources, config)
    results: list[Parsed | None] = [store.get(key) for key in keys]
    missing = [i for i, found in enumerate(results) if found is None]
    if progress is not None and len(sources) > len(missing):
        progress(len(sources) - len(missing))
    for i, parsed in zip(missing, _parse_many([sources[i] for i in missing], config, jobs, progress, root, beside)):
        results[i] = parsed
        store.put(keys[i], parsed)
    return results  # type: ignore[return-value]


def _parse_many(sources: list[Source], config: Config, jobs: int, progress: Callable[[int], None] | None,
                root: Path | None, beside: Beside[Any] | None = None) -> list[Parsed]:
    def parse(source: Source) -> Parsed:
        if source.text is None and root is not None:
            return parse_unread(source, config, root)
        return parse_source(source, config)

    def parse_range(start: int, stop: int) -> list[Parsed]:
        return [parse(sources[i]) for i in range(start, stop)]

    out: list[Parsed] = []
    for _, parsed in run_shared(parse_range, len(sources), jobs, PARALLEL_THRESHOLD, progress, beside=beside):
        out.extend(parsed)
    return out


def load_site(root: Path, config: Config, now: datetime, store: Store | None = None, jobs: int = 1,
              progress: Callable[[int], None] | None = None) -> tuple[Site, list[SourceError]]:
    sources, problems = find_sources(root)
    return assemble_site(sources, problems, config, now, store, jobs, progress)


def assemble_site(sources: list[Source], problems: list[SourceError], config: Config, now: datetime,
                  store: Store | None = None, jobs: int = 1,
                  progress: Callable[[int], None] | None = None) -> tuple[Site, list[SourceError]]:
    """Parse (cached) and link the sources: the site and its warnings. When any problem is an
    error, raise every problem of every file at once, warnings included."""
    problems = list(problems)
    records = []
    for source, (record, found) in zip(sources, parse_sources(sources, config, store, jobs, progress)):
        problems += found
        records.append((source, record))
    site, found = link_site(records, config, now)
    problems += found
    errors, warnings = split_warnings(problems)
    if errors:
        raise ConsultError(problems)
    return site, warnings


def _by_consultation(records: list[tuple[Source, Any]]) -> dict[str, dict[str, list[Any]]]:
    grouped: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for source, record in records:
        if record is not None:
            grouped[source.consultation][source.kind].append(record)
    return grouped


class _Texts(dict[str, str]):
    """The texts of the sources, by path, to place a problem found by linking; a source listed unread
    is read again from `root` when a problem needs it (rarely: most files have none)."""

    def __init__(self, records: list[tuple[Source, Any]], root: Path | None):
        super().__init__((source.path, source.text) for source, _ in records if source.text is not None)
        self.root = root

    def __missing__(self, path: str) -> str:
        if self.root is None:
            raise KeyError(path)
        return read_source_text(self.root / path, path)[0] or ""  # gone since: placed at its first line


def link_site(records: list[tuple[Source, Any]], config: Config, now: datetime,
              root: Path | None = None, consume: bool = False) -> tuple[Site, list[SourceError]]:
    """The model, and the problems found across files (errors and warnings: see `split_warnings`).
    `root`: where to read again the files listed unread, to place their problems. `consume`: `records`
    is emptied, and each consultation's records let go once it is linked (a million records, their
    texts as str, are then never all alive beside the model made of them)."""
    problems: list[SourceError] = []
    grouped = _by_consultation(records)
    texts = _Texts(records, root)
    if consume:
        records.clear()
    pages = tuple(
        Page(p.slug, p.title, p.body_html, page_url(p.slug), p.source, p.footer) for p in grouped[""]["page"]
    )
    for page in pages:
        if page.slug in RESERVED_SLUGS:
            problems.append(SourceError(page.source, 0, 0, say(f"page name '{page.slug}' is reserved by consult",
                                                                f"le nom de page « {page.slug} » est réservé par consult"),
                                        say("rename the file", "renommez le fichier")))
    labels = dict(config.proposal_statuses)
    statuses = tuple(ProposalStatus(sid, labels.get(sid, ""), sid in config.final_statuses) for sid in config.status_ids)
    consultations = []
    for slug in sorted(grouped):
        kinds = grouped.pop(slug) if consume else grouped[slug]
        if not slug or not kinds["consultation"]:
            continue
        consultation, found = _link_consultation(kinds["consultation"][0], kinds, statuses, now, texts)
        found += check_merges(kinds["proposal"], texts, config.language)
        problems += found
        consultations.append(consultation)
    site = Site(config=config, now=now, consultations=order_consultations(consultations), pages=pages,
                proposal_statuses=statuses)
    return site, problems


def _answers(record: files.ContributionRecord, questions: dict[str, Any], problems: list[SourceError],
             texts: dict[str, str]) -> tuple[Answer, ...]:
    """The answers to questions the consultation still asks; an answer to one removed is not shown
    (a warning, unless the contribution is rejected: then nobody needs to act)."""
    answers = []
    for key, value in record.answers:
        if key not in questions:
            if record.status != "rejected":
                listed = ", ".join(questions)
                problems.append(_moved(texts[record.source], record.source, ("answers", key),
                                       say(f"answer to unknown question '{key}' is not shown",
                                           f"la réponse à la question inconnue « {key} » n'est pas affichée"),
                                       _fix(did_you_mean(key, questions)
                                            or say(f"questions of this consultation: {listed or 'none'};",
                                                   f"questions de cette consultation : {listed or 'aucune'} ;"),
                                            say("rename the key to an existing question, remove the answer, "
                                                "or reject the contribution",
                                                "donnez à la clé le nom d'une question existante, retirez la réponse "
                                                "ou refusez la contribution"))))
            continue
        question = questions[key]
        # A choice (or a scale's value) is one of a few words: one string for all who gave it.
        word = str if question.type == "text" else (lambda v: intern(str(v)))
        answers.append(Answer(question, tuple(word(v) for v in value) if isinstance(value, list) else word(value)))
    return tuple(answers)


def _fix(hint: str, fix: str) -> str:
    """A hint ('did you mean ...?'), then how to fix the problem: in each language they were said in."""
    def joined(hint: str, fix: str) -> str:
        return f"{hint} {fix[0].upper()}{fix[1:]}" if hint.endswith("?") else f"{hint} {fix}" if hint else fix

    return say(joined(hint, fix), joined(french(hint), french(fix)))


def _moved(text: str, path: str, keys: tuple[str, ...], message: str, hint: str) -> SourceError:
    """A warning: a file names what is no longer there (a proposal renamed, a question removed).
    The site builds without what lost its place, and the editor is told how to put it back."""
    return replace(files.locate(text, path, keys, message, hint, key=keys[0] == "answers"), warning=True)


def _link_consultation(c: files.ConsultationRecord, kinds: dict[str, list[Any]], statuses: tuple[ProposalStatus, ...],
                       now: datetime, texts: dict[str, str]) -> tuple[Consultation, list[SourceError]]:
    problems: list[SourceError] = []
    base = consultation_url(c.slug)
    questions = {q.id: q for q in c.questions}
    categories = {cat.id: cat for cat in c.categories}
    proposal_slugs = {p.slug for p in kinds["proposal"]}
    supports: dict[str, int] = {}
    for doc in kinds["supports"]:
        for key, count in doc.data.items():
            if key not in proposal_slugs:
                hint = _fix(did_you_mean(key, proposal_slugs),
                            say("rename the key to the proposal's slug, or remove the line",
                                "donnez à la clé l'identifiant de la proposition, ou supprimez la ligne"))
                problems.append(replace(doc.error((key,), say(f"supports for unknown proposal '{key}' are not counted",
                                                              f"les soutiens de la proposition inconnue « {key} » "
                                                              "ne sont pas comptés"),
                                                  hint, key=True), warning=True))
            supports[key] = count
    codebook: tuple[Theme, ...] = kinds["codebook"][0] if kinds["codebook"] else ()
    theme_ids = {theme.id for theme in codebook}
    comments: dict[str, list[Contribution]] = defaultdict(list)
    rejected_comments: dict[str, int] = defaultdict(int)
    published: list[Contribution] = []
    rejected = 0
    for record in kinds["contribution"]:
        if record.proposal is not None and record.proposal not in proposal_slugs:
            # An orphan stays unpublished: a comment shown away from what it answers would mislead.
            if record.status != "rejected":
                problems.append(_moved(texts[record.source], record.source, ("proposal",),
                                       say(f"unknown proposal '{record.proposal}': this contribution is not published",
                                           f"proposition inconnue « {record.proposal} » : cette contribution "
                                           "n'est pas publiée"),
                                       _fix(did_you_mean(record.proposal, proposal_slugs),
                                            say("set 'proposal:' to an existing proposal, or reject the contribution",
                                                "indiquez une proposition existante dans « proposal: », ou refusez "
                                                "la contribution"))))
            continue
        problems += _unknown_tags(record, theme_ids, texts)
        answers = _answers(record, questions, problems, texts)
        if record.status == "published" and not (answers or record.title or record.body_html):
            continue  # nothing left to show: every answer was to a removed question (warned above)
        if record.status == "rejected":
            if record.kind == "comment" and record.proposal:
                rejected_comments[record.proposal] += 1
            else:
                rejected += 1
        if record.status != "published":
            continue
        # Interned again: a record parsed in a worker process came back with its own copies (files.intern).
        contribution = Contribution(
            id=record.id, kind=intern(record.kind), consultation=c.slug, proposal=files.intern_slug(record.proposal),
            author=intern(record.author), submitted=record.submitted, status=intern(record.status),
            reason=record.reason, title=record.title, body_html=Text(record.body_html), answers=answers,
            tags=record.tags, channel=intern(record.channel),
        )
        if record.kind == "comment" and record.proposal:
            comments[record.proposal].append(contribution)
        elif record.proposal:
            continue  # published as that proposal (consult.proposals): its text shows there, once
        else:
            published.append(contribution)
    pack_texts([x.body_html for x in published] + [x.body_html for found in comments.values() for x in found])
    by_id = {s.id: s for s in statuses}
    merged_from: dict[str, list[str]] = defaultdict(list)
    for p in kinds["proposal"]:
        if p.merged_into:
            merged_from[p.merged_into].append(p.slug)
    proposals, today = [], now.date()
    for p in sorted(kinds["proposal"], key=lambda p: (p.title.casefold(), p.slug)):
        if p.category and p.category not in categories:
            listed = ", ".join(categories)
            problems.append(files.locate(texts[p.source], p.source, ("category",),
                                         say(f"unknown category '{p.category}'", f"catégorie inconnue « {p.category} »"),
                                         did_you_mean(p.category, categories)
                                         or say(f"categories of this consultation: {listed}",
                                                f"catégories de cette consultation : {listed}")))
        shown = visible(p, today, statuses)
        proposals.append(made(
            Proposal,
            slug=p.slug, consultation=c.slug, title=p.title, summary=p.summary, category=categories.get(p.category),
            status=by_id[shown.status], history=shown.history, response_html=shown.response_html,
            response_date=shown.response_date, body_html=p.body_html, supports=supports.get(p.slug, 0),
            # .get: no entry made in these defaultdicts for each proposal without comments or merges
            comments=tuple(sorted(comments.get(p.slug, ()), key=lambda x: (x.submitted, x.id))),
            unpublished_comments=rejected_comments.get(p.slug, 0), url=proposal_url(base, p.slug), source=p.source,
            origin=p.origin, author=p.author, submitted=p.submitted, embargoed=shown.embargoed,
            merged_into=p.merged_into, merged_from=tuple(sorted(merged_from.get(p.slug, ()))), status_line=p.status_line,
        ))
    synthesis = None
    if kinds["synthesis"]:
        s = kinds["synthesis"][0]
        synthesis = Synthesis(s.title, s.published, s.body_html, s.source)
    return Consultation(
        slug=c.slug, title=c.title, summary=c.summary, opens=c.opens, closes=c.closes,
        status=derive_status(c.opens, c.closes, now), categories=c.categories, questions=c.questions,
        kinds=c.kinds, moderation=c.moderation, body_html=c.body_html, synthesis=synthesis,
        proposals=tuple(proposals), contributions=tuple(sorted(published, key=lambda x: (x.submitted, x.id), reverse=True)),
        unpublished_contributions=rejected, url=base, source=c.source, results=c.results, codebook=codebook,
        support_goal=c.support_goal, verified_supports=c.verified_supports,
        moderation_figures=count_moderation(kinds["contribution"], kinds["report"]),
    ), problems


def _unknown_tags(record: files.ContributionRecord, theme_ids: set[str], texts: dict[str, str]) -> list[SourceError]:
    """An error per tag that is not a theme of the consultation's codebook.yaml, at its place."""
    return [files.locate(texts[record.source], record.source, ("tags", index),
                         say(f"unknown theme '{tag}'", f"thème inconnu « {tag} »"),
                         did_you_mean(tag, theme_ids) or _themes_hint(theme_ids))
            for index, tag in enumerate(record.tags) if tag not in theme_ids]


def _themes_hint(theme_ids: set[str]) -> str:
    """The themes a tag may name, or that there are none."""
    if not theme_ids:
        return say("this consultation has no codebook.yaml", "cette consultation n'a pas de codebook.yaml")
    listed = ", ".join(sorted(theme_ids))
    return say(f"themes in codebook.yaml: {listed}", f"thèmes de codebook.yaml : {listed}")


def check_merges(records: list[files.ProposalRecord], texts: dict[str, str], language: str) -> list[SourceError]:
    """An error at the `merged_into:` of each duplicate that names no proposal of its consultation,
    itself, or a proposal merged in turn (a chain, or a loop): a merge names the proposal kept."""
    target = {p.slug: p.merged_into for p in records}
    problems = []
    for p in records:
        if not p.merged_into:
            continue
        if p.merged_into == p.slug:
            message, hint = translate(language, "check.merge.self"), ""
        elif p.merged_into not in target:
            message = translate(language, "check.merge.unknown", slug=p.merged_into)
            hint = did_you_mean(p.merged_into, target) or translate(language, "check.merge.hint",
                                                                    slugs=", ".join(sorted(target)))
        elif target[p.merged_into]:
            path, seen = [p.slug, p.merged_into], {p.slug, p.merged_into}
            while target.get(path[-1]) and target[path[-1]] not in seen:
                seen.add(target[path[-1]])
                path.append(target[path[-1]])
            if target.get(path[-1]) == p.slug:
                message = translate(language, "check.merge.cycle", cycle=" → ".join(path + [p.slug]))
            else:
                message = translate(language, "check.merge.chain", slug=p.merged_into, next=target[p.merged_into])
            hint = ""
        else:
            continue
        problems.append(files.locate(texts[p.source], p.source, ("merged_into",), message, hint))
    return problems


class Shown(NamedTuple):
    """What the pages may show of a proposal on a given day, and what waits for a later one. A named
    tuple: one is made for each proposal linked, in a third of a frozen dataclass's time."""

    status: str
    history: tuple[StatusChange, ...]
    response_html: str
    response_date: date | None
    embargoed: tuple[tuple[str, date], ...]  # ("response" or a status id, the day it shows)


def visible(p: files.ProposalRecord, today: date, statuses: tuple[ProposalStatus, ...]) -> Shown:
    """A proposal as of `today`: a history entry or a response dated later is embargoed (a council
    publishes its answers on one day, by a scheduled rebuild). The status shown is the latest
    visible entry's; with no entry visible yet, the first status of the site."""
    if not p.history or p.history[-1].date <= today:  # oldest first (files.parse_proposal): all of it shows
        history, later = p.history, []
    else:
        history = tuple(h for h in p.history if h.date <= today)
        later = [(h.status, h.date) for h in p.history if h.date > today]
    status = history[-1].status if history else (statuses[0].id if p.history and statuses else p.status)
    response_html, response_date = p.response_html, p.response_date
    if response_date is not None and response_date > today:
        later.append(("response", response_date))
        response_html, response_date = "", None
    return Shown(status, history, response_html, response_date, tuple(later))

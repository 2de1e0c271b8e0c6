"""What `consult check` says beyond what a build needs: contradictions a build would publish
as they are, leftovers of `consult init`, files it would ignore, and when the pages must next be
rebuilt. Pure `check_*` functions over texts and the model; `lint_site` reads the files for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from consult import __version__
from consult.cache import stat_files
from consult.config import load_config
from consult.document import YamlDoc, parse_yaml
from consult.errors import SourceError, say
from consult.layout import (
    CONFIG_FILE, CONSULTATIONS_DIR, CONTENT_DIR, CONTRIBUTIONS_DIR, PAGES_DIR, PROPOSALS_DIR, REPORTS_DIR, consultations_dir, content_dir,
    pages_dir,
)
from consult.model import Consultation, Proposal, Site
from consult.watch import remembered


@dataclass(frozen=True)
class StatusChange:
    """The next moment a consultation's derived status changes, which the built pages cannot show
    until the site is rebuilt."""

    moment: datetime
    consultation: Consultation
    event: Literal["opens", "closes"]


def next_status_change(consultations: tuple[Consultation, ...], now: datetime) -> StatusChange | None:
    """The earliest `opens` or `closes` after `now` (model.derive_status changes only there)."""
    changes = [StatusChange(c.opens, c, "opens") for c in consultations if c.opens > now]
    changes += [StatusChange(c.closes, c, "closes") for c in consultations if c.closes > now]
    return min(changes, key=lambda change: (change.moment, change.consultation.slug), default=None)


def embargoes(consultations: tuple[Consultation, ...]) -> list[tuple[date, str, str, str]]:
    """What the pages do not show yet, soonest first: (day it shows, what: 'response' or a status
    id, the proposal's title, its file). `content.load.visible` holds them back until that day."""
    return sorted((day, what, p.title, p.source) for c in consultations for p in c.proposals
                  for what, day in p.embargoed)


# --- proposals: what the page would show against itself ---

# The statuses that close a proposal's course; a site with its own ids: its last one.
DECISIONS = ("retenue", "mise-en-oeuvre", "non-retenue")


def decision_statuses(status_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The statuses after which citizens expect an answer."""
    return tuple(s for s in status_ids if s in DECISIONS) or status_ids[-1:]


def check_history(doc: YamlDoc, data: dict[str, Any], status_ids: tuple[str, ...]) -> list[SourceError]:
    """A proposal whose history dates go back in time, or whose `status` is not the latest status
    of its history (the page would show both). Called by `content.files.parse_proposal` once the
    fields are known good, so it is cached and parallel like the rest of parsing."""
    found = []
    history = [(i, h) for i, h in enumerate(data.get("history") or []) if isinstance(h, dict)
               and isinstance(h.get("date"), date) and isinstance(h.get("status"), str)]
    days = [_day(h["date"]) for _, h in history]  # each entry's day, worked out once
    ordered = True
    for at in range(1, len(history)):
        if days[at] < days[at - 1]:
            index, entry, before = history[at][0], history[at][1], history[at - 1][1]
            found.append(doc.error(("history", index, "date"),
                                   say(f"history dates are out of order: {entry['date']} comes after {before['date']}",
                                       f"les dates de « history » ne sont pas dans l'ordre : {entry['date']} vient "
                                       f"après {before['date']}"),
                                   say("list the status changes oldest first, or correct a mistyped date",
                                       "listez les changements de statut du plus ancien au plus récent, "
                                       "ou corrigez une date mal saisie")))
            ordered = False
            break
    status = data.get("status")
    if history and isinstance(status, str) and status in status_ids:
        # The page's current status: the latest day's entry, the last one listed of that day (in order,
        # the last entry; else the first at the largest day, going backwards).
        latest = len(history) - 1 if ordered else max(reversed(range(len(history))), key=days.__getitem__)
        last = history[latest][1]
        if last["status"] in status_ids and last["status"] != status:
            found.append(doc.error(("status",), say(f"status '{status}' is not the latest status of the history "
                                                    f"('{last['status']}' on {last['date']})",
                                                    f"le statut « {status} » n'est pas le dernier de « history » "
                                                    f"(« {last['status']} » le {last['date']})"),
                                   say(f"add a history entry for '{status}', or correct 'status'",
                                       f"ajoutez à « history » une entrée pour « {status} », ou corrigez « status »")))
    return found


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def unanswered(site: Site) -> list[Proposal]:
    """Proposals in a decision status without an official response: a warning, not an error. A
    response written but dated later (embargoed until then) is not missing: `check` lists it."""
    decisions = decision_statuses(tuple(status.id for status in site.proposal_statuses) or site.config.status_ids)
    return [p for c in site.consultations for p in c.proposals if p.status.id in decisions
            and not p.response_html.strip() and not any(what == "response" for what, _ in p.embargoed)]


# The hints of the warnings below, said once: a site may have thousands of these warnings.
_RESPOND = say("say what was decided and why in 'response': citizens read it on its page",
               "écrivez dans « response » ce qui a été décidé et pourquoi : les participants le liront "
               "sur la page de la proposition")
_REPLACE = say("replace it with your own", "remplacez-le par le vôtre")


def unanswered_warning(proposal: Proposal) -> SourceError:
    """The warning for one unanswered proposal, at its `status:` line (found when it was parsed:
    a site may hold thousands of them, and no file is read again for its warning)."""
    line = proposal.status_line
    return SourceError(proposal.source, line, 9 if line else 0,
                       say(f"the proposal is '{proposal.status.id}' but has no 'response'",
                           f"la proposition est « {proposal.status.id} » mais n'a pas de « response »"),
                       _RESPOND, warning=True)


def _warning(problem: SourceError) -> SourceError:
    return SourceError(problem.path, problem.line, problem.col, problem.message, problem.hint, warning=True)


# --- leftovers of `consult init`: warnings, errors under `build --strict` ---

MARKER = "compléter"  # the skeleton's "À compléter" marks every value and text to replace


def skeleton_placeholders(skeleton_config: str) -> dict[tuple[str | int, ...], str]:
    """Key path -> example value, for each value the skeleton's site.yaml marks 'À compléter'."""
    doc, _ = parse_yaml(skeleton_config, CONFIG_FILE)
    lines = skeleton_config.splitlines()
    found = {}
    for keys, (line, _) in doc.positions.items():
        value = _value_at(doc.data, keys)
        if isinstance(value, str) and MARKER in lines[line - 1]:
            found[keys] = value
    return found


def check_config_placeholders(text: str, placeholders: dict[tuple[str | int, ...], str]) -> list[SourceError]:
    """Each value of site.yaml still equal to the example `consult init` wrote there."""
    doc, problems = parse_yaml(text, CONFIG_FILE)
    if problems:
        return []
    return [_placeholder(doc, keys, value) for keys, value in placeholders.items() if _value_at(doc.data, keys) == value]


def _placeholder(doc: YamlDoc, keys: tuple[str | int, ...], value: str) -> SourceError:
    name = ".".join(str(key) for key in keys)
    return _warning(doc.error(keys, say(f"'{name}' is still the example from consult init ({value!r})",
                                        f"« {name} » est encore l'exemple de consult init ({value!r})"),
                              _REPLACE))


def _value_at(data: Any, keys: tuple[str | int, ...]) -> Any:
    for key in keys:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def placeholder_lines(skeleton_texts: Iterable[str]) -> frozenset[str]:
    """The marked lines of the skeleton's content ('[Nom de votre organisme — à compléter]')."""
    return frozenset(line.strip() for text in skeleton_texts for line in text.splitlines() if MARKER in line)


def check_text_placeholders(path: str, text: str, marked: frozenset[str]) -> list[SourceError]:
    """The first line of a file that is still one of the skeleton's marked lines."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() in marked:
            return [SourceError(path, number, 1, say("still the example text from consult init",
                                                     "encore le texte d'exemple de consult init"),
                                _REPLACE, warning=True)]
    return []


def check_requirements(text: str) -> list[SourceError]:
    """requirements.txt of a site made before consult was on the package index: a placeholder git URL."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("#") and "example.org" in line:
            return [SourceError("requirements.txt", number, 1,
                                say("consult is installed from a placeholder address",
                                    "consult est installé depuis une adresse d'exemple"),
                                say("write consult-static[postgres]==VERSION (the package index name)",
                                    "écrivez consult-static[postgres]==VERSION (son nom dans l'index des paquets)"),
                                warning=True)]
    return []


# --- files the build never reads ---

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")


def check_ignored_files(listing: Iterable[tuple[str, Iterable[str]]]) -> list[SourceError]:
    """Markdown files under content/ that `content.load.find_sources` does not read, from (folder,
    file names) pairs: a wrong extension where it reads ('.MD', '.markdown') is an error, a Markdown
    file in a folder it does not read a warning (it may be notes). What lies directly in a
    consultation folder is the loader's to report."""
    found = []
    for folder, names in listing:
        parts = folder.split("/")
        reads = _reads_markdown(parts)
        if len(parts) == 3 and parts[:2] == [CONTENT_DIR, CONSULTATIONS_DIR]:
            continue
        for name in names:
            if (reads and name.endswith(".md")) or name.startswith(".") or not name.lower().endswith(MARKDOWN_SUFFIXES):
                continue  # the first test is the fast path: thousands of proposals and contributions
            path = f"{folder}/{name}"
            if reads:
                renamed = f"{folder}/{name[: name.rindex('.')]}.md"
                found.append(SourceError(path, 0, 0, say("ignored: consult reads only files ending in '.md'",
                                                         "ignoré : consult ne lit que les fichiers terminés par « .md »"),
                                         say(f"rename it to {renamed}", f"renommez-le en {renamed}")))
            else:
                found.append(SourceError(path, 0, 0, say("ignored: consult reads no Markdown file in this folder",
                                                         "ignoré : consult ne lit aucun fichier Markdown dans ce dossier"),
                                         say("pages go in content/pages/, proposals in "
                                             "content/consultations/<slug>/proposals/",
                                             "les pages vont dans content/pages/, les propositions dans "
                                             "content/consultations/<slug>/proposals/"), warning=True))
    return found


def _reads_markdown(folder: list[str]) -> bool:
    """content/pages, content/consultations/<slug>/{proposals,contributions,reports}."""
    return folder == [CONTENT_DIR, PAGES_DIR] or (len(folder) == 4 and folder[:2] == [CONTENT_DIR, CONSULTATIONS_DIR]
                                                  and folder[3] in (PROPOSALS_DIR, CONTRIBUTIONS_DIR, REPORTS_DIR))


# --- reading the files for the checks above ---


def lint_files(root: Path) -> list[SourceError]:
    """The checks of single files a build would not make: leftovers of `consult init`, Markdown
    files it would ignore. Nothing when site.yaml cannot be read (the build reports why)."""
    config, _ = load_config(root)
    if config is None:
        return []
    from consult.layout import skeleton_dir

    skeleton = skeleton_dir()
    # A site of a million contributions takes a second to list: once per change while `consult watch` runs.
    version = (__version__, stat_files([skeleton], skeleton))
    return remembered(root, "lint-files", version, lambda: _lint_files(root, skeleton))


def _lint_files(root: Path, skeleton: Path) -> list[SourceError]:
    found = check_config_placeholders((root / CONFIG_FILE).read_text(encoding="utf-8"),
                                      skeleton_placeholders((skeleton / CONFIG_FILE).read_text(encoding="utf-8")))
    requirements = root / "requirements.txt"
    if requirements.is_file():
        found += check_requirements(requirements.read_text(encoding="utf-8"))
    found += check_ignored_files(_content_folders(root))
    marked = placeholder_lines(p.read_text(encoding="utf-8") for p in sorted(content_dir(skeleton).rglob("*.md")))
    # Only where the skeleton has marked lines: pages and consultation texts (never the many proposals).
    for path in sorted([*pages_dir(root).glob("*.md"), *consultations_dir(root).glob("*/*.md")]):
        found += check_text_placeholders(path.relative_to(root).as_posix(), _read(path), marked)
    return found


def lint_site(site: Site) -> list[SourceError]:
    """The checks of the loaded site: proposals decided without a response."""
    return [unanswered_warning(p) for p in unanswered(site)]


def _content_folders(root: Path) -> list[tuple[str, list[str]]]:
    """(folder, file names) for every folder under content/, relative to the root ('/'-separated);
    os.walk is a plain directory scan (a site may hold 100,000 contributions)."""
    return [(Path(folder).relative_to(root).as_posix(), names) for folder, _, names in os.walk(content_dir(root))]


def _read(path: Path) -> str:
    from consult.content.load import read_text  # content.files imports this module's checks

    try:
        return read_text(path)
    except (OSError, UnicodeDecodeError):
        return ""  # the build reports it

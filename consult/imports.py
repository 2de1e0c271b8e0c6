"""`consult import FILE`: contributions received on paper, by e-mail or at a meeting, typed by staff
into a spreadsheet (CSV, XLSX, ODS), written as pending contribution files with their `channel`.

Each row is checked as the form handler checks a form (`forms.core._target`, `forms.validate.
check_fields`, against the rules the build would give it); every problem of every row is reported
at once as `FILE:row:column: message`, and then nothing is written. A row's id is derived from its
cells (and how many identical rows came before it in the file), so importing the same file again,
or the file with rows added, writes only what is new. The detectors of `consult pull` flag the
texts (personal data, links...); nothing is ever dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from consult.content.files import CHANNELS
from consult.detect import codes, detect_contribution, load_words
from consult.errors import ConsultError, SourceError, did_you_mean, say
from consult.forms.core import _target as form_target
from consult.forms.intake import Fields, Intake, Malformed
from consult.forms.rules import ConsultationRule, Rules, parse_rules, render_rules
from consult.forms.validate import Checked, Invalid, check_fields
from consult.inbox import Submission
from consult.pull import ID, render_contribution, write_batch

IMPORT_CHANNELS = tuple(channel for channel in CHANNELS if channel != "web")
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
# Column headers, as staff may write them (compared without case nor accents) -> form field.
HEADERS = {
    "date": "date", "submitted": "date", "recue le": "date", "reçue le": "date", "received": "date",
    "kind": "kind", "type": "kind", "title": "title", "titre": "title", "body": "body", "texte": "body",
    "text": "body", "contribution": "body", "author": "author", "auteur": "author", "nom": "author",
    "proposal": "proposal", "proposition": "proposal", "category": "category", "categorie": "category",
    "email": "email", "courriel": "email", "e-mail": "email", "mail": "email",
}
KINDS = {"suggestion": "suggestion", "proposal": "proposal", "proposition": "proposal", "comment": "comment",
         "commentaire": "comment", "answers": "answers", "reponses": "answers", "questionnaire": "answers"}
MULTIPLE = re.compile(r"\s*(?:\||\n)\s*")  # choices of a multiple-choice cell: one a line, or a | b

TEXT = {
    "fr": {
        "calamine": "lire un fichier {suffix} demande python-calamine : pip install 'consult-static[import]'",
        "unreadable": "fichier illisible ({error})",
        "format": "format inconnu : CSV, XLSX ou ODS attendu",
        "empty": "aucune ligne : la première ligne doit nommer les colonnes (titre, texte, auteur, date…)",
        "header": "colonne inconnue « {name} »",
        "header.hint": "colonnes : date, type, titre, texte, auteur, proposition, catégorie, ou l'identifiant d'une question",
        "twice": "colonne « {name} » en double",
        "email": "colonne « {name} » : les adresses e-mail ne sont pas importées (content/ est public) ; retirez-la",
        "date.missing": "date de réception manquante",
        "date.bad": "date « {value} » illisible (AAAA-MM-JJ ou JJ/MM/AAAA)",
        "kind": "type « {value} » inconnu (suggestion, proposition, commentaire, réponses)",
        "consultation": "la consultation « {slug} » n'existe pas",
        "not_taken": "cette consultation ne reçoit pas de contributions de type {kind}",
        "proposal": "proposition « {value} » inconnue dans cette consultation",
        "no_proposal": "une contribution de type {kind} ne vise pas de proposition",
        "choice": "« {value} » n'est pas un des choix proposés",
        "category": "catégorie « {value} » inconnue dans cette consultation",
        "malformed": "valeur refusée ({error})",
        "not_answers": "une contribution de type {kind} ne répond pas au questionnaire (type : réponses)",
        "done": "{written} contribution(s) importée(s) ({channel}), {present} déjà présente(s).",
    },
    "en": {
        "calamine": "reading a {suffix} file needs python-calamine: pip install 'consult-static[import]'",
        "unreadable": "cannot read the file ({error})",
        "format": "unknown format: CSV, XLSX or ODS expected",
        "empty": "no rows: the first row must name the columns (title, body, author, date…)",
        "header": "unknown column '{name}'",
        "header.hint": "columns: date, kind, title, body, author, proposal, category, or a question's id",
        "twice": "column '{name}' twice",
        "email": "column '{name}': e-mail addresses are not imported (content/ is public); remove it",
        "date.missing": "the day it was received is missing",
        "date.bad": "cannot read the date '{value}' (YYYY-MM-DD or DD/MM/YYYY)",
        "kind": "unknown kind '{value}' (suggestion, proposal, comment, answers)",
        "consultation": "no consultation '{slug}'",
        "not_taken": "this consultation takes no {kind} contributions",
        "proposal": "no proposal '{value}' in this consultation",
        "no_proposal": "a {kind} contribution is about no proposal",
        "choice": "'{value}' is not one of the offered choices",
        "category": "no category '{value}' in this consultation",
        "malformed": "value refused ({error})",
        "not_answers": "a {kind} contribution answers no question (kind: answers)",
        "done": "{written} contribution(s) imported ({channel}), {present} already there.",
    },
}


def _text(language: str, key: str, **params: Any) -> str:
    return TEXT["fr" if language == "fr" else "en"][key].format(**params)


def _said(key: str, **params: Any) -> str:
    """A problem's words, in both languages (`say`): the CLI prints them in the site's."""
    return say(TEXT["en"][key].format(**params), TEXT["fr"][key].format(**params))


@dataclass(frozen=True)
class Imported:
    written: list[str]  # paths of the new files
    present: int  # rows whose file was already there (an earlier import)

    def render(self, language: str, channel: str) -> str:
        return _text(language, "done", written=len(self.written), present=self.present, channel=channel)


def read_rows(path: Path) -> list[list[Any]]:
    """The cells of the first sheet (or of the CSV), row by row, header included."""
    suffix = path.suffix.lower()
    where = str(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path.read_bytes())
    if suffix not in SPREADSHEETS:
        raise ConsultError([SourceError(where, 0, 0, _said("format"))])
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        raise ConsultError([SourceError(where, 0, 0, _said("calamine", suffix=suffix))])
    try:
        book = CalamineWorkbook.from_path(str(path))
        return [list(row) for row in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
    except Exception as exc:  # calamine's errors are its own classes; any of them is an unreadable file
        raise ConsultError([SourceError(where, 0, 0, _said("unreadable", error=str(exc)[:200]))])


def _read_csv(data: bytes) -> list[list[Any]]:
    """UTF-8 (with or without BOM), else Windows-1252 (what a French spreadsheet saves); the
    delimiter a spreadsheet chose (',' ';' or tab)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def import_file(root: Path, path: Path, consultation: str, channel: str, now: datetime,
                tz: Any, language: str = "fr", display: str | None = None) -> Imported:
    """Check every row, then write each new one as a pending contribution (see the module docstring).
    `display` is how errors name the file (default: the path as given). Its own problems are said in
    both languages; `language` is the one the form handler's checks speak (`check_fields`)."""
    where = display or str(path)
    rules = site_rules(root, now)
    target = rules.consultation(consultation)
    if target is None:
        raise ConsultError([SourceError(where, 0, 0, _said("consultation", slug=consultation),
                                        did_you_mean(consultation, tuple(c.slug for c in rules.consultations)))])
    rows = read_rows(path)
    if not rows:
        raise ConsultError([SourceError(where, 0, 0, _said("empty"))])
    problems: list[SourceError] = []
    columns = _columns(rows[0], target, where, problems)
    seen: Counter[str] = Counter()
    todo: list[Submission] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: _cell(row[index]) if index < len(row) else "" for index, name in columns.items()}
        if not any(value.strip() for value in cells.values()):
            continue
        fingerprint = "\x1f".join(f"{k}={v}" for k, v in sorted(cells.items()))
        seen[fingerprint] += 1
        place = {name: index + 1 for index, name in columns.items()}
        submission = _row(cells, place, number, target, rules, consultation, channel, fingerprint, seen[fingerprint],
                          tz, where, language, problems)
        if submission is not None:
            todo.append(submission)
    if problems:
        raise ConsultError(problems)
    return _write(root, todo, channel, tz)


def site_rules(root: Path, now: datetime) -> Rules:
    """The rules the handler would have after a build of the site as it is now."""
    from consult.config import load_config
    from consult.content.load import load_site

    config, problems = load_config(root)
    if config is None:
        raise ConsultError(problems)
    site, _ = load_site(root, config, now)
    return parse_rules(render_rules(site))


def _columns(header: list[Any], target: ConsultationRule, where: str,
             problems: list[SourceError]) -> dict[int, str]:
    """Column index -> form field name (a question's is q_<id>)."""
    questions = {q.id: f"q_{q.id}" for q in target.questions}
    known = {**HEADERS, **{_plain(qid): name for qid, name in questions.items()},
             **{_plain(name): name for name in questions.values()}}
    columns: dict[int, str] = {}
    for index, raw in enumerate(header):
        name = _cell(raw).strip()
        if not name:
            continue
        field = known.get(_plain(name))
        if field is None:
            problems.append(SourceError(where, 1, index + 1, _said("header", name=name),
                                        did_you_mean(_plain(name), tuple(known)) or _said("header.hint")))
        elif field == "email":
            problems.append(SourceError(where, 1, index + 1, _said("email", name=name)))
        elif field in columns.values():
            problems.append(SourceError(where, 1, index + 1, _said("twice", name=name)))
        else:
            columns[index] = field
    return columns


def _row(cells: dict[str, str], place: dict[str, int], number: int, target: ConsultationRule, rules: Rules,
         consultation: str, channel: str, fingerprint: str, occurrence: int, tz: Any, where: str, language: str,
         problems: list[SourceError]) -> Submission | None:
    """One row as the handler would take it, or None with its problems added."""
    def problem(field: str, text: str) -> None:
        problems.append(SourceError(where, number, place.get(field, 1), text))

    received = _received(cells.get("date", ""), tz)
    if received is None:
        problem("date", _said("date.missing" if not cells.get("date", "").strip() else "date.bad",
                              value=cells.get("date", "")))
    raw_kind = _plain(cells.get("kind", "")) or "suggestion"
    kind = KINDS.get(raw_kind)
    if kind is None:
        problem("kind", _said("kind", value=cells.get("kind", "")))
        return None
    fields: Fields = {"consultation": [consultation], "kind": [kind]}
    for name, value in cells.items():
        if name.startswith("q_"):
            if value.strip() and kind != "answers":
                problem(name, _said("not_answers", kind=cells.get("kind", "") or kind))
                return None
            if value.strip():
                fields[name] = [part for part in MULTIPLE.split(value.strip()) if part]
        elif name not in ("date", "kind"):
            fields[name] = [value]
    intake = Intake(fields, is_json=False)
    try:
        form_target(intake, rules)
        checked = check_fields(intake, target, kind, rules, language)
    except Invalid as exc:
        for field, text in exc.errors:
            problem(field, text)
        return None
    except Malformed as exc:
        problem(*_malformed(exc, intake, target, kind))
        return None
    if received is None:
        return None
    return _submission(checked, consultation, received, fingerprint, occurrence, channel)


def _malformed(exc: Malformed, intake: Intake, target: ConsultationRule, kind: str) -> tuple[str, str]:
    """What the handler calls malformed (no form of ours sends it) said for the person who typed it."""
    text = str(exc)
    field = text.split(":", 1)[0] if text.startswith("q_") or text.startswith("category") else ""
    if text == "unknown proposal":
        return "proposal", _said("proposal", value=intake.one("proposal"))
    if text.startswith("a ") and "not about a proposal" in text:
        return "proposal", _said("no_proposal", kind=kind)
    if text.startswith("this consultation takes no"):
        return "kind", _said("not_taken", kind=kind)
    if field == "category":
        return "category", _said("category", value=intake.one("category"))
    if field:
        return field, _said("choice", value=" ; ".join(intake.fields.get(field, [])))
    return "", _said("malformed", error=text)


def _submission(checked: Checked, consultation: str, received: datetime, fingerprint: str, occurrence: int,
                channel: str) -> Submission:
    digest = hashlib.sha256(f"{consultation}\x1e{channel}\x1e{fingerprint}\x1e{occurrence}".encode()).digest()
    suffix = _base36(int.from_bytes(digest[:8], "big"))[-8:].rjust(8, "0")
    return Submission(id=f"{received:%Y%m%d}-{suffix}", consultation=consultation, kind=checked.kind,
                      proposal=checked.proposal, title=checked.title, body=checked.body, author=checked.author,
                      answers=checked.answers, received=received, idem_key="", body_hash="", email="",
                      category=checked.category)


def _write(root: Path, todo: list[Submission], channel: str, tz: Any) -> Imported:
    words = load_words(root)
    items: list[tuple[Path, bytes]] = []
    present = 0
    for sub in todo:
        assert ID.match(sub.id)
        folder = root / "content" / "consultations" / sub.consultation / "contributions"
        target = folder / f"{sub.id}.md"
        if target.exists():
            present += 1
            continue
        found = detect_contribution(sub.title, sub.body, dict(sub.answers), words)
        text = render_contribution(sub, tz, codes(found), channel=channel)
        folder.mkdir(parents=True, exist_ok=True)
        items.append((target, text.encode("utf-8")))
    created = write_batch(items) if items else []
    written = [path.relative_to(root).as_posix() for (path, _), new in zip(items, created) if new]
    return Imported(written, present + sum(1 for new in created if not new))


def _received(value: str, tz: Any) -> datetime | None:
    """The day written (ISO or French day/month/year; a spreadsheet's date cell is ISO by now), at noon
    in the site's time zone: the hour a letter arrived is not known."""
    text = value.strip()
    for layout in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%y"):
        try:
            day = datetime.strptime(text, layout).date()
        except ValueError:
            continue
        return datetime.combine(day, time(12, 0), tzinfo=tz)
    return None


def _cell(value: Any) -> str:
    """A cell as the text a form would have sent: a whole number without '.0', a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("_", " ") \
        if not text.strip().lower().startswith("q_") else text.strip().lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"

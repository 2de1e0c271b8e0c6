"""Moderation in files: list pending contributions, approve or reject them, erase one.

Approving or rejecting edits only the `status:` (and `reason:`) lines of a
contribution's front matter; every other byte stays as it was, so the git diff
a reviewer reads is exactly the decision. Erasure removes the file and the inbox
row and leaves a tombstone in the inbox, so no later pull brings it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Callable

import yaml

from consult.document import SafeLoader, parse_front_matter, split_front_matter
from consult.kinds import CONTRIBUTION_KINDS
from consult.errors import ConsultError, SourceError, did_you_mean, say
from consult.detect import Finding, WordList, detect_fields
from consult.flags import FLAGS, describe
from consult.i18n import translate
from consult.layout import CONTRIBUTIONS_DIR, INDEX_FILE, REPORTS_DIR, consultations_dir, contribution_file
from consult.pull import ID, replace_batch

# A decision line with its own line ending (\n or \r\n), kept when the line is rewritten.
REPORTED = "reported"  # the flag a participant's report sets on a published item (consult.pull)
STATUS_LINE = re.compile(r"^status:[^\r\n]*(\r?\n)", re.M)
REASON_LINE = re.compile(r"^reason:[^\r\n]*\r?\n", re.M)
# `decided:` and `decided_by:` (post-moderation's "auto"): a person's decision replaces both.
FLAGS_BLOCK = re.compile(r"^flags:[ \t]*(\r?\n)((?:- [^\r\n]*\r?\n)*)", re.M)  # as pull writes it
FLAGS_FLOW = re.compile(r"^flags:[ \t]*\[([^\]\r\n]*)\][ \t]*(\r?\n)", re.M)  # as a person may write it
DECIDED_LINE = re.compile(r"^decided(?:_by)?:[^\r\n]*\r?\n", re.M)
DECISION_KEYS = ("status", "reason", "decided", "decided_by")
# Up to this many contributions, `consult moderate` shows every text and answer in full.
FULL_LIMIT = 10
EXCERPT = 120


@dataclass(frozen=True)
class Entry:
    """A contribution as a moderator reads it: citizen text raw (not yet escaped for a terminal)."""

    id: str
    consultation: str
    kind: str
    proposal: str
    submitted: str
    status: str
    author: str
    title: str
    body: str
    answers: tuple[tuple[str, str], ...]  # (question label, answer as text)
    flags: tuple[str, ...]
    path: str
    duplicate_of: str = ""  # the near-duplicate flag's other contribution
    category: str = ""  # a citizen proposal's category id
    channel: str = ""  # papier, courriel, reunion: typed in by staff (consult import); '' for the web


PAGE_SIZE = 100  # `consult moderate` lists at most this many unless --limit says otherwise


@dataclass(frozen=True)
class Page:
    """One page of a listing: its items, where it starts, and how many there are in all."""

    items: list[Entry]
    offset: int
    total: int


def page_of(items: list[Entry], offset: int = 0, limit: int | None = None) -> Page:
    """`items[offset:offset + limit]` (PAGE_SIZE by default), with the total to say what is left."""
    size = PAGE_SIZE if limit is None else limit
    return Page(items[offset:offset + size], offset, len(items))


def contribution_files(root: Path, consultation: str = "*") -> list[Path]:
    return sorted(consultations_dir(root).glob(f"{consultation}/{CONTRIBUTIONS_DIR}/*.md"))


def list_pending(root: Path, consultation: str | None = None, kind: str | None = None,
                 flagged: bool = False, flag: str | None = None) -> list[Entry]:
    """Pending contributions, and published ones a participant reported (post-moderation: keep or
    unpublish them), flagged ones first, each group in file order; optionally only one
    consultation's, one kind's, the flagged ones, or those with one flag code (a moderator's
    filters on thousands of items: `--flag personal-email`, `--flag reported`)."""
    if kind is not None and kind not in CONTRIBUTION_KINDS:
        kinds = ", ".join(CONTRIBUTION_KINDS)
        hint = did_you_mean(kind, CONTRIBUTION_KINDS) or say("kinds: " + kinds, "types : " + kinds)
        raise ConsultError([SourceError("", 0, 0, say(f"unknown kind '{kind}'", f"type inconnu « {kind} »"), hint)])
    if flag is not None and flag not in FLAGS:
        codes = ", ".join(FLAGS)
        hint = did_you_mean(flag, tuple(FLAGS)) or say("flags: " + codes, "signalements : " + codes)
        raise ConsultError([SourceError("", 0, 0, say(f"unknown flag '{flag}'", f"signalement inconnu « {flag} »"),
                                        hint)])
    labels: dict[str, dict[str, str]] = {}
    found = []
    for path in contribution_files(root, consultation or "*"):
        entry = read_entry(root, path, labels)
        if entry is None or not to_review(entry) or (kind and entry.kind != kind) or (flagged and not entry.flags) \
                or (flag and flag not in entry.flags):
            continue
        found.append(entry)
    return sorted(found, key=lambda entry: not entry.flags)


def to_review(entry: Entry) -> bool:
    """A person must look at it: pending, or published and then reported."""
    return entry.status == "pending" or (entry.status == "published" and REPORTED in entry.flags)


@dataclass(frozen=True)
class Report:
    """A participant's report of a published contribution, as a moderator reads it (reports/<id>.md)."""

    id: str
    reason: str  # a code of the moderation charter
    note: str  # the participant's optional note: citizen text, untrusted


def reports_about(root: Path, consultation: str) -> dict[str, list[Report]]:
    """A consultation's reports by the id of the contribution each is about, in file order; a file
    that cannot be read is left out (`consult check` reports it)."""
    found: dict[str, list[Report]] = {}
    for path in sorted((consultations_dir(root) / consultation / REPORTS_DIR).glob("*.md")):
        try:
            doc, body, problems = parse_front_matter(path.read_text(encoding="utf-8"), path.name)
        except (OSError, UnicodeDecodeError):
            continue
        data = doc.data
        if problems or not isinstance(data, dict) or not data.get("target"):
            continue
        found.setdefault(str(data["target"]), []).append(
            Report(str(data.get("id", path.stem)), str(data.get("reason") or ""), body.strip("\n")))
    return found


def show_entry(root: Path, id_: str) -> Entry:
    """One contribution, whatever its status, for `consult moderate show ID`."""
    path = find_contribution(root, id_)
    entry = read_entry(root, path, {}) if path is not None else None
    if entry is None:
        raise ConsultError(say(f"no readable contribution {id_} in content/ (run 'consult check' to see why)",
                               f"la contribution {id_} de content/ est illisible "
                               "(lancez « consult check » pour savoir pourquoi)")
                           if path is not None else
                           say(f"no contribution {id_} in content/", f"aucune contribution {id_} dans content/"))
    return entry


def read_entry(root: Path, path: Path, labels: dict[str, dict[str, str]]) -> Entry | None:
    """The file as an Entry, or None when its front matter cannot be read (`check` reports it).
    `labels` caches each consultation's question labels."""
    relative = path.relative_to(root).as_posix()
    doc, body, problems = parse_front_matter(path.read_text(encoding="utf-8"), relative)
    data = doc.data
    if problems or not isinstance(data, dict):
        return None
    slug = path.parent.parent.name
    if slug not in labels:
        labels[slug] = _question_labels(path.parent.parent / INDEX_FILE)
    answers: dict[str, Any] = data["answers"] if isinstance(data.get("answers"), dict) else {}
    flags: list[Any] = data["flags"] if isinstance(data.get("flags"), list) else []
    return Entry(
        id=str(data.get("id", path.stem)), consultation=slug, kind=str(data.get("kind", "")),
        proposal=str(data.get("proposal") or ""), submitted=str(data.get("submitted", "")),
        status=str(data.get("status", "")), author=str(data.get("author") or ""), title=str(data.get("title") or ""),
        duplicate_of=str(data.get("duplicate_of") or ""), category=str(data.get("category") or ""),
        channel=str(data.get("channel") or ""),
        body=body.strip("\n"), path=relative, flags=tuple(str(code) for code in flags),
        answers=tuple((labels[slug].get(str(qid), str(qid)), _answer_text(value)) for qid, value in answers.items()),
    )


def _answer_text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _question_labels(index: Path) -> dict[str, str]:
    """Question id -> label, from the consultation's index.md (empty when it cannot be read)."""
    try:
        doc, _, _ = parse_front_matter(index.read_text(encoding="utf-8"), "")
    except OSError:
        return {}
    questions = doc.data.get("questions") if isinstance(doc.data, dict) else None
    return {str(q["id"]): str(q.get("label") or q["id"]) for q in questions or ()
            if isinstance(q, dict) and "id" in q}


# Control characters (C0 but tab and newline, DEL, C1) and the bidi overrides and isolates
# (U+202A-U+202E, U+2066-U+2069): printed raw, a citizen's text could move the cursor, recolour
# or clear the terminal, or show one text while the file holds another.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str, multiline: bool = False) -> str:
    """`text` with every unsafe character shown as its escape (\\x1b, \\u202e); a newline too
    unless `multiline`, so a one-line field cannot forge the lines that follow it."""
    pattern = _UNSAFE if multiline else _UNSAFE_IN_LINE
    return pattern.sub(lambda match: repr(match.group())[1:-1], text)


def render_pending(items: list[Entry], language: str = "fr", full: bool | None = None,
                   words: WordList = WordList(None), page: Page | None = None) -> str:
    """The listing for a terminal: every text and answer in full when `full` (by default when there
    are at most FULL_LIMIT items), else one excerpt each; flags first, in the site's language
    (in full, with what triggered each automatic flag: `words` is the site's list). With `page`
    (`items` are its items), the count is of them all and a last line says how to see the next."""
    def t(key: str, **params: object) -> str:
        return translate(language, key, **params)

    if not items:
        return t("cli.moderate.none")
    full = len(items) <= FULL_LIMIT if full is None else full
    lines: list[str] = []
    for item in items:
        lines += render_entry(item, language, words) if full else _render_short(item, language)
    lines.append(t("cli.moderate.count", count=page.total if page else len(items)))
    if page and (page.offset or len(items) < page.total):
        lines.append(t("cli.moderate.page", first=page.offset + 1, last=page.offset + len(items), total=page.total))
        if page.offset + len(items) < page.total:
            lines.append(t("cli.moderate.next", offset=page.offset + len(items)))
    if not full:
        lines.append(t("cli.moderate.abridged"))
    lines.append(t("cli.moderate.howto"))
    return "\n".join(lines)


def _heading(item: Entry, language: str) -> str:
    kind = translate(language, f"cli.kind.{item.kind}") if item.kind in CONTRIBUTION_KINDS else item.kind
    about = " " + translate(language, "cli.moderate.on", proposal=item.proposal) if item.proposal else ""
    if item.category:
        about += " " + translate(language, "cli.moderate.category", category=item.category)
    if item.status == "published":  # listed because a participant reported it
        about += " " + translate(language, "cli.moderate.reported_item")
    return terminal_safe(f"{item.id}  {item.consultation}  {kind}{about}  {item.submitted}")


def reason_label(code: str, language: str) -> str:
    """A charter reason's label; a site's own code, without a label in consult's tables, as itself."""
    try:
        return translate(language, f"reason.{code}")
    except Exception:
        return code


def render_entry(item: Entry, language: str = "fr", words: WordList = WordList(None),
                 reports: Sequence[Report] = ()) -> list[str]:
    """One contribution in full: flags first, each with what triggered it (the detectors run again
    on the text as it is now, `words` the site's list), the participants' `reports` about it (a
    published item), then title, author, the whole text, every answer."""
    def t(key: str, **params: object) -> str:
        return translate(language, key, **params)

    lines = [_heading(item, language)]
    if item.status != "pending":
        lines.append(f"    {t('cli.moderate.status')} {terminal_safe(item.status)}")
    if item.flags:
        lines.append(f"    {t('cli.moderate.flags')}")
        found = detect_fields([("title", item.title), ("body", item.body), *item.answers], words)
        for code in item.flags:
            lines.append(f"      ! {terminal_safe(code)}: {describe(code, language)}")
            lines += _render_findings(item, code, language, found)
    if reports:
        lines.append(f"    {t('cli.moderate.reports')}")
        for report in reports:
            note = f" : {terminal_safe(report.note)}" if report.note else ""
            lines.append(f"      - {terminal_safe(reason_label(report.reason, language))}{note}")
    if item.title:
        lines.append(f"    {t('cli.moderate.title')} {terminal_safe(item.title)}")
    lines.append(f"    {t('cli.moderate.author')} {terminal_safe(item.author) or t('cli.moderate.anonymous')}")
    if item.body:
        lines.append(f"    {t('cli.moderate.body')}")
        lines += [f"      {line}" for line in terminal_safe(item.body, multiline=True).split("\n")]
    if item.answers:
        lines.append(f"    {t('cli.moderate.answers')}")
        for label, value in item.answers:
            lines.append(f"      {terminal_safe(label)}")
            lines += [f"        {line}" for line in terminal_safe(value, multiline=True).split("\n")]
    lines.append(f"    {t('cli.moderate.file')} {item.path}")
    lines.append("")
    return lines


SPAN_MAX = 80


def _render_findings(item: Entry, code: str, language: str, findings: list[Finding]) -> list[str]:
    """Under a flag, what triggered it: each span with its field, or the near-duplicate's id."""
    if code == "near-duplicate" and item.duplicate_of:
        return [f"          duplicate_of: {terminal_safe(item.duplicate_of)}"]
    lines = []
    for found in (f for f in findings if f.code == code):
        text = {"title": item.title, "body": item.body}.get(found.field)
        if text is None:
            text = next((value for label, value in item.answers if label == found.field), "")
        span = text[found.start:found.end]
        span = span if len(span) <= SPAN_MAX else span[:SPAN_MAX] + "…"
        field = translate(language, f"cli.moderate.{found.field}").rstrip(" :\u00a0") if found.field in ("title", "body") \
            else found.field
        lines.append(f"          {terminal_safe(field)} [{found.start}-{found.end}]: «{terminal_safe(span)}»")
    return lines


def _render_short(item: Entry, language: str) -> list[str]:
    lines = [_heading(item, language)]
    if item.flags:
        lines.append(f"    {translate(language, 'cli.moderate.flags')} {', '.join(terminal_safe(f) for f in item.flags)}")
    if item.title:
        lines.append(f"    {terminal_safe(item.title)}")
    excerpt = " ".join(item.body.split())
    if excerpt:
        lines.append(f"    {terminal_safe(excerpt[:EXCERPT])}" + ("…" if len(excerpt) > EXCERPT else ""))
    if item.answers:
        lines.append(f"    {translate(language, 'cli.moderate.answer_count', count=len(item.answers))}")
    return lines


def find_contribution(root: Path, id_: str) -> Path | None:
    if not ID.match(id_):
        raise ConsultError(say(f"'{id_}' is not a contribution id (like 20261201-k3x9q2ab)",
                               f"« {id_} » n'est pas un identifiant de contribution (de la forme 20261201-k3x9q2ab)"))
    matches = sorted(consultations_dir(root).glob(contribution_file(Path("*"), id_).as_posix()))
    return matches[0] if matches else None


def find_report(root: Path, id_: str) -> Path | None:
    """A participant's report file (reports/<id>.md of any consultation), or None."""
    if not ID.match(id_):
        raise ConsultError(say(f"'{id_}' is not a report id (like 20261201-k3x9q2ab)",
                               f"« {id_} » n'est pas un identifiant de signalement (de la forme 20261201-k3x9q2ab)"))
    matches = sorted(consultations_dir(root).glob(f"*/{REPORTS_DIR}/{id_}.md"))
    return matches[0] if matches else None


def set_status(text: str, status: str, reason: str = "", path: str = "", decided: date | None = None) -> str:
    """The file text with only its status (and reason, and `decided:` day when given) lines changed;
    every other byte, line endings included (a file saved with CRLF keeps them), stays as it was, so
    the diff is the decision. `text` must be read without newline translation (see `decide`)."""
    head, rest = _split_head(text, path)
    found = STATUS_LINE.search(head)
    if found is None:
        raise ConsultError(say(f"{path}: no 'status:' line to change", f"{path} : aucune ligne « status: » à modifier"))
    end = found.group(1)  # the new lines end as the status line did
    head = STATUS_LINE.sub(lambda _: f"status: {status}{end}", head, count=1)
    head = REASON_LINE.sub("", head)
    if decided:
        head = DECIDED_LINE.sub("", head)
    after = (f"reason: {reason}{end}" if reason else "") + (f"decided: {decided.isoformat()}{end}" if decided else "")
    if after:
        head = STATUS_LINE.sub(lambda m: m.group(0) + after, head, count=1)
    edited = head + rest
    _check_only_decision_changed(text, edited, status, reason, path, decided)
    return edited


def _check_only_decision_changed(before: str, after: str, status: str, reason: str, path: str,
                                 decided: date | None = None) -> None:
    old, old_problems = _front(before)
    new, new_problems = _front(after)
    if old_problems or new_problems or not isinstance(new, dict):
        raise ConsultError(say(f"{path}: cannot edit this file safely; edit 'status:' by hand",
                               f"{path} : impossible de modifier ce fichier sans risque ; modifiez « status: » à la main"))
    kept = DECISION_KEYS if decided else ("status", "reason")
    expected: dict[str, Any] = {k: v for k, v in (old or {}).items() if k not in kept}
    got = {k: v for k, v in new.items() if k not in kept}
    if got != expected or new.get("status") != status or (new.get("reason") or "") != reason \
            or (decided and new.get("decided") != decided):
        raise ConsultError(say(f"{path}: cannot edit this file safely; edit 'status:' by hand",
                               f"{path} : impossible de modifier ce fichier sans risque ; modifiez « status: » à la main"))


def add_flag(text: str, code: str, path: str = "") -> str:
    """The file text with `code` added to its `flags:` list (made when there is none); every other
    byte stays as it was, so the diff is the flag. Already there: the text unchanged. A flag code
    is letters and hyphens (consult.flags), so it needs no quoting."""
    head, rest = _split_head(text, path)
    old, problems = _front(text)
    if problems or not isinstance(old, dict):
        raise ConsultError(say(f"{path}: cannot add the '{code}' flag safely; add it to 'flags:' by hand",
                               f"{path} : impossible d'ajouter sans risque le signalement « {code} » ; "
                               "ajoutez-le à « flags: » à la main"))
    listed = old.get("flags") or []
    if isinstance(listed, list) and code in listed:
        return text
    end = "\r\n" if "\r\n" in head else "\n"
    block, flow = FLAGS_BLOCK.search(head), FLAGS_FLOW.search(head)
    if block is not None:
        head = head[:block.end()] + f"- {code}{block.group(1)}" + head[block.end():]
    elif flow is not None:
        items = [item.strip() for item in flow.group(1).split(",") if item.strip()]
        head = head[:flow.start()] + f"flags: [{', '.join(items + [code])}]{flow.group(2)}" + head[flow.end():]
    elif "flags" not in old:
        head += f"flags:{end}- {code}{end}"
    edited = head + rest
    new, new_problems = _front(edited)
    expected = dict(old, flags=[*(listed if isinstance(listed, list) else []), code])
    if new_problems or new != expected:
        raise ConsultError(say(f"{path}: cannot add the '{code}' flag safely; add it to 'flags:' by hand",
                               f"{path} : impossible d'ajouter sans risque le signalement « {code} » ; "
                               "ajoutez-le à « flags: » à la main"))
    return edited


def remove_flag(text: str, code: str, path: str = "") -> str:
    """The file text without `code` in its `flags:` list (every other flag kept, in order; a list left
    empty goes with its `flags:` line); every other byte stays as it was. Not there: the text unchanged."""
    head, rest = _split_head(text, path)
    old, problems = _front(text)
    listed = old.get("flags") if isinstance(old, dict) else None
    if problems or not isinstance(old, dict) or (listed is not None and not isinstance(listed, list)):
        raise ConsultError(say(f"{path}: cannot take the '{code}' flag off safely; remove it from 'flags:' by hand",
                               f"{path} : impossible de retirer sans risque le signalement « {code} » ; "
                               "retirez-le de « flags: » à la main"))
    if not listed or code not in listed:
        return text
    others = [item for item in listed if item != code]
    block, flow = FLAGS_BLOCK.search(head), FLAGS_FLOW.search(head)
    if block is not None:
        items = re.findall(r"- [^\r\n]*\r?\n", block.group(2))
        kept = "".join(item for item in items if item[2:].strip() != code)
        head = head[:block.start()] + (f"flags:{block.group(1)}{kept}" if kept else "") + head[block.end():]
    elif flow is not None:
        head = head[:flow.start()] + (f"flags: [{', '.join(others)}]{flow.group(2)}" if others else "") \
            + head[flow.end():]
    edited = head + rest
    new, new_problems = _front(edited)
    expected = {k: v for k, v in old.items() if k != "flags"} | ({"flags": others} if others else {})
    if new_problems or new != expected:
        raise ConsultError(say(f"{path}: cannot take the '{code}' flag off safely; remove it from 'flags:' by hand",
                               f"{path} : impossible de retirer sans risque le signalement « {code} » ; "
                               "retirez-le de « flags: » à la main"))
    return edited


def _split_head(text: str, path: str) -> tuple[str, str]:
    """The text up to the end of its front matter's YAML, and the rest (closing line and body)."""
    split = split_front_matter(text)
    if split is None:
        raise ConsultError(say(f"{path}: no front matter", f"{path} : pas d'en-tête YAML (front matter)"))
    head_end = text.index(split.yaml_text) + len(split.yaml_text) if split.yaml_text else 4
    return text[:head_end], text[head_end:]


def _front(text: str) -> tuple[Any, bool]:
    """The front matter's data read by the safe loader, and whether it could not be read: the check
    above compares values only (no positions needed), so it costs one C parse per side."""
    split = split_front_matter(text)
    if split is None:
        return None, True
    try:
        return yaml.load(split.yaml_text, Loader=SafeLoader), False
    except yaml.YAMLError:
        return None, True


def decide(root: Path, ids: list[str], status: str, reason: str = "",
           reasons: tuple[str, ...] = (), today: date | None = None,
           paths: dict[str, Path] | None = None) -> list[str]:
    """Approve (status published) or reject (with a reason code) each id, dated `today` (`decided:`,
    default the machine's day); returns the edited paths. All files are checked before any is
    written, then written durably as one batch (one filesystem flush, however many). `paths` may
    give ids' files already known (the moderation screen's index), saving a search each."""
    today = today or date.today()
    if status == "rejected":
        if not reason:
            raise ConsultError(say("rejecting needs --reason CODE", "pour refuser, indiquez un motif : --reason CODE"), )
        if reasons and reason not in reasons:
            raise ConsultError(say(f"unknown reason '{reason}' (codes: {', '.join(reasons)})",
                               f"motif inconnu « {reason} » (codes : {', '.join(reasons)})"))
    found = []
    for id_ in ids:
        path = (paths or {}).get(id_) or find_contribution(root, id_)
        if path is None:
            raise ConsultError(say(f"no contribution {id_} in content/ (run 'consult pull' first?)",
                                   f"aucune contribution {id_} dans content/ (faut-il d'abord lancer « consult pull » ?)"))
        found.append(path)
    edited, writes = [], []
    for path in found:
        relative = path.relative_to(root).as_posix()
        text = path.read_bytes().decode("utf-8")  # not read_text: it would turn CRLF into LF
        new_text = set_status(text, status, reason if status == "rejected" else "", relative, today)
        if new_text != text:
            writes.append((path, new_text.encode("utf-8")))
        edited.append(relative)
    replace_batch(writes)
    return edited


def unpublish(root: Path, ids: list[str], reason: str, reasons: tuple[str, ...], when: datetime) -> list[str]:
    """Take published contributions down (after a report, say): `status: rejected`, the charter's
    `reason` code, `decided:` the day of `when` (a person decided: no `decided_by: auto`). Only those
    lines change;
    every id is checked (found, published) before any file is written. Returns the edited paths."""
    if not reason:
        raise ConsultError(say("unpublishing needs --reason CODE (a code of the moderation charter)",
                               "pour dépublier, indiquez un motif : --reason CODE (un code de la charte de modération)"))
    if reasons and reason not in reasons:
        raise ConsultError(say(f"unknown reason '{reason}' (codes: {', '.join(reasons)})",
                               f"motif inconnu « {reason} » (codes : {', '.join(reasons)})"))

    def refused(entry: Entry) -> str:
        return "" if entry.status == "published" else \
            say(f"{entry.path}: status is '{entry.status}', not published: nothing was unpublished "
                "(use consult moderate reject for a pending contribution)",
                f"{entry.path} : son statut est « {entry.status} » et non « published » : rien n'a été dépublié "
                "(pour une contribution en attente, utilisez consult moderate reject)")

    return _edit_published(root, ids, refused,
                           lambda text, relative: set_status(text, "rejected", reason, relative, when.date()))


def keep(root: Path, ids: list[str], when: datetime) -> list[str]:
    """Keep reported contributions published (the other outcome of a report, beside `unpublish`):
    only the `reported` flag is taken off (other flags stay) and the `decided:` line is written as
    every person's decision writes it (`set_status`: the day of `when`, no `decided_by`); the
    text is untouched. Every id is checked (found, published, reported) before any file is
    written. Returns the edited paths."""
    def refused(entry: Entry) -> str:
        return "" if entry.status == "published" and REPORTED in entry.flags else \
            say(f"{entry.path}: not a published contribution flagged '{REPORTED}': nothing was kept "
                "(consult moderate --flag reported lists them)",
                f"{entry.path} : ce n'est pas une contribution publiée portant le signalement « {REPORTED} » : "
                "rien n'a été gardé (consult moderate --flag reported les liste)")

    return _edit_published(root, ids, refused, lambda text, relative: remove_flag(
        set_status(text, "published", "", relative, when.date()), REPORTED, relative))


def _edit_published(root: Path, ids: list[str], refused: Callable[[Entry], str],
                    edit: Callable[[str, str], str]) -> list[str]:
    """`edit(text, relative path)` on each id's file, all checked first (`refused` says why one may
    not be edited, '' when it may) and all edited in memory before one batch is written."""
    found = []
    for id_ in ids:
        entry = show_entry(root, id_)
        if refused(entry):
            raise ConsultError(refused(entry))
        found.append(root / entry.path)
    edited, writes = [], []
    for path in found:
        relative = path.relative_to(root).as_posix()
        writes.append((path, edit(path.read_bytes().decode("utf-8"), relative).encode("utf-8")))
        edited.append(relative)
    replace_batch(writes)
    return edited


def erase(root: Path, inbox: Any, id_: str, now: datetime | None = None) -> list[str]:
    """Remove a contribution everywhere we can reach; returns what was done, for printing.

    An id that is neither in content/ nor in the inbox (nor erased before) is an error and
    leaves no trace: a mistyped id must not look erased. An id in one place only is erased
    there, and its tombstone keeps pull from bringing it back from the other.
    """
    now = now or datetime.now(timezone.utc)
    if not ID.match(id_):
        raise ConsultError(say(f"nothing was erased: '{id_}' is not a contribution id (like 20261201-k3x9q2ab)",
                               f"rien n'a été effacé : « {id_} » n'est pas un identifiant de contribution "
                               "(de la forme 20261201-k3x9q2ab)"))
    path = find_contribution(root, id_) or find_report(root, id_)  # a report is a citizen's submission too
    already = inbox.is_erased(id_)
    existed = inbox.erase(id_, now, known=path is not None or already)
    if path is None and not existed and not already:
        raise ConsultError(say(f"nothing was erased: no contribution {id_} in content/ nor in the inbox "
                               "(check the id: consult moderate lists them)",
                               f"rien n'a été effacé : aucune contribution {id_} ni dans content/ ni dans la boîte "
                               "de réception (vérifiez l'identifiant : consult moderate les liste)"))
    done = []
    if existed:
        done.append("removed the inbox row and recorded a tombstone")
    elif already:
        done.append("the inbox row was already erased (tombstone kept)")
    else:
        done.append("no inbox row (already purged or pulled from elsewhere); recorded a tombstone")
    if path is not None:
        path.unlink()
        done.append(f"removed {path.relative_to(root).as_posix()}")
        done.append("commit the removal; older commits still hold the file (rewrite history if it must go)")
    return done

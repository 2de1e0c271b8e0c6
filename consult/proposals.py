"""Citizen proposals and official answers, in files: `consult moderate approve|promote`, `consult respond`.

`publish` turns a contribution (a citizen's `proposal`, or a `suggestion` an editor promotes)
into `proposals/<slug>.md` with `origin: citizen`, and links the contribution to it
(`status: published`, `proposal: <slug>`), so its text shows once, on the proposal's page.
`respond` sets a proposal's status, appends a dated history entry and the official response.
Both edit only the lines of the keys they change; every other byte stays, CRLF included,
so the git diff a reviewer reads is exactly the decision.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from consult.document import parse_front_matter, split_front_matter
from consult.errors import ConsultError, french, say
from consult.layout import PROPOSALS_DIR, consultations_dir, proposal_file
from consult.moderation import find_contribution
from consult.pull import write_replace
from consult.slug import slugify

TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:")
ANSWER_KEYS = ("status", "history", "response", "response_date")
LINK_KEYS = ("status", "reason", "proposal")


@dataclass(frozen=True)
class Published:
    proposal: str  # the new file, relative to the site root
    contribution: str  # the contribution now linked to it


# --- editing the lines of some top-level keys of a front matter ---------------------------------

class _Dumper(yaml.SafeDumper):
    """The safe dumper, writing a text of several lines as a literal block (readable in a diff),
    and never an alias (`&id001`): the same date twice is written twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)


def _blocks(yaml_text: str) -> list[tuple[str, str]]:
    """The front matter as (key, its lines) in order: a top-level key and every line up to the
    next one (a block sequence may sit at column 0, comments and blank lines go with it).
    Lines before the first key have the key ''."""
    blocks: list[tuple[str, str]] = [("", "")]
    for line in yaml_text.splitlines(keepends=True):
        match = TOP_KEY.match(line)
        if match:
            blocks.append((match.group(1), line))
        else:
            key, lines = blocks[-1]
            blocks[-1] = (key, lines + line)
    return blocks


def edit_front_matter(text: str, changes: dict[str, Any], after: str | None = None,
                      appended: dict[str, list[Any]] | None = None, path: str = "") -> str:
    """`text` with the lines of each key of `changes` replaced (a value None removes the key; a
    new key goes after the block of `after`, or at the end), and the items of `appended` added at the end of
    those list keys. Every other line is left byte for byte; a CRLF file stays CRLF."""
    crlf = "\r\n" in text
    plain = text.replace("\r\n", "\n") if crlf else text
    split = split_front_matter(plain)
    if split is None:
        raise ConsultError(say(f"{path}: no front matter", f"{path} : pas d'en-tête YAML (front matter)"))
    start = plain.index("\n") + 1
    end = start + len(split.yaml_text)
    blocks = _blocks(split.yaml_text)
    for key, items in (appended or {}).items():
        blocks = _append_items(blocks, key, items, after)
    for key, value in changes.items():
        blocks = _set_block(blocks, key, None if value is None else _dump({key: value}), after)
    edited = plain[:start] + "".join(lines for _, lines in blocks) + plain[end:]
    return edited.replace("\n", "\r\n") if crlf else edited


def _set_block(blocks: list[tuple[str, str]], key: str, lines: str | None, after: str | None) -> list[tuple[str, str]]:
    keys = [k for k, _ in blocks]
    if key in keys:
        index = keys.index(key)
        old = blocks[index][1]
        if lines is not None:
            lines += old[len(old.rstrip("\n")) + 1:] if old.endswith("\n\n") else ""  # blank lines after it stay
        return blocks[:index] + ([(key, lines)] if lines is not None else []) + blocks[index + 1:]
    if lines is None:
        return blocks
    index = keys.index(after) + 1 if after in keys else len(blocks)
    if not blocks[index - 1][1].endswith("\n"):
        blocks[index - 1] = (blocks[index - 1][0], blocks[index - 1][1] + "\n")
    return blocks[:index] + [(key, lines)] + blocks[index:]


def _append_items(blocks: list[tuple[str, str]], key: str, items: list[Any], after: str | None) -> list[tuple[str, str]]:
    """The list `key` with `items` added after its last item, indented as its items are."""
    keys = [k for k, _ in blocks]
    if key not in keys:
        return _set_block(blocks, key, _dump({key: items}), after)
    index = keys.index(key)
    old = blocks[index][1]
    if "[" in old.split("\n", 1)[0].split(":", 1)[1]:  # a flow list ([a, b]): rewrite the key
        raise ConsultError(say(f"'{key}:' is written as a [flow] list: write it as a block list (- ...) first",
                               f"« {key}: » est une liste entre crochets [a, b] : récrivez-la d'abord "
                               "en liste à tirets (- ...)"))
    indent = next((m.group(1) for m in re.finditer(r"^([ \t]*)- ", old, re.M)), "")
    dumped = "".join(indent + line + "\n" for line in _dump(items).splitlines())
    kept = old.rstrip("\n") + "\n"
    return blocks[:index] + [(key, kept + dumped + old[len(kept):])] + blocks[index + 1:]


def _check_only(before: str, after: str, keys: tuple[str, ...], path: str) -> dict[str, Any]:
    """The edited front matter, once sure that no key but `keys` changed and the body did not."""
    old, old_body, old_problems = parse_front_matter(before, path)
    new, new_body, new_problems = parse_front_matter(after, path)
    if old_problems or new_problems or not isinstance(new.data, dict) or new_body != old_body:
        raise ConsultError(say(f"{path}: cannot edit this file safely; edit it by hand",
                               f"{path} : impossible de modifier ce fichier sans risque ; modifiez-le à la main"))
    if {k: v for k, v in (old.data or {}).items() if k not in keys} != {k: v for k, v in new.data.items() if k not in keys}:
        raise ConsultError(say(f"{path}: cannot edit this file safely; edit it by hand",
                               f"{path} : impossible de modifier ce fichier sans risque ; modifiez-le à la main"))
    return new.data


# --- a contribution published as a proposal ----------------------------------------------------

def unique_slug(folder: Path, title: str) -> str:
    """A safe slug from the title, unused in `folder` (a -2, -3... suffix when taken)."""
    base = slugify(title)[:50].strip("-") or "proposition"
    slug, number = base, 2
    while (folder / f"{slug}.md").exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def publish(root: Path, id_: str, first_status: str, tz: Any, promote: bool = False) -> Published:
    """Contribution `id_` as a new citizen proposal: a pending `proposal` (approve), or a pending or
    published `suggestion` (promote). The proposal's first history entry is dated the day the
    citizen sent it; the contribution is published and names the proposal."""
    path = find_contribution(root, id_)
    if path is None:
        raise ConsultError(say(f"no contribution {id_} in content/ (run 'consult pull' first?)",
                               f"aucune contribution {id_} dans content/ (faut-il d'abord lancer « consult pull » ?)"))
    relative = path.relative_to(root).as_posix()
    text = _read(path)
    doc, body, problems = parse_front_matter(text, relative)
    data = doc.data if isinstance(doc.data, dict) and not problems else None
    if data is None:
        raise ConsultError(say(f"{relative}: cannot be read (run 'consult check' to see why)",
                               f"{relative} : fichier illisible (lancez « consult check » pour savoir pourquoi)"))
    _check_publishable(data, relative, promote)
    folder = path.parent.parent / PROPOSALS_DIR
    folder.mkdir(exist_ok=True)
    slug = unique_slug(folder, data["title"])
    day = _day(data["submitted"], tz)
    fields: dict[str, Any] = {"title": data["title"]}
    if data.get("category"):
        fields["category"] = data["category"]
    fields |= {"status": first_status, "origin": "citizen"}
    if data.get("author"):
        fields["author"] = data["author"]
    fields |= {"submitted": day, "history": [{"date": day, "status": first_status}]}
    target = folder / f"{slug}.md"
    with open(target, "x", encoding="utf-8", newline="") as handle:  # never over another proposal
        handle.write(f"---\n{_dump(fields)}---\n{body.strip(chr(10))}\n")
        handle.flush()
        os.fsync(handle.fileno())
    edited = edit_front_matter(text, {"status": "published", "reason": None, "proposal": slug}, "status", path=relative)
    _check_only(text, edited, LINK_KEYS, relative)
    write_replace(path, edited.encode("utf-8"))
    return Published(target.relative_to(root).as_posix(), relative)


def _check_publishable(data: dict[str, Any], path: str, promote: bool) -> None:
    kind, status = data.get("kind"), data.get("status")
    if data.get("proposal"):
        raise ConsultError(say(f"{path}: already published as proposal '{data['proposal']}'",
                               f"{path} : cette contribution est déjà publiée comme proposition « {data['proposal']} »"))
    if promote and kind != "suggestion":
        raise ConsultError(say(f"{path}: only a suggestion can be promoted (this is a {kind})",
                               f"{path} : seule une suggestion peut devenir une proposition "
                               f"(cette contribution est de type {kind})"))
    if not promote and kind != "proposal":
        raise ConsultError(say(f"{path}: not a citizen proposal (kind {kind})",
                               f"{path} : ce n'est pas une proposition citoyenne (type {kind})"))
    if status not in (("pending", "published") if promote else ("pending",)):
        raise ConsultError(say(f"{path}: status is {status}", f"{path} : son statut est {status}"))
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise ConsultError(say(f"{path}: it has no title: add a 'title:' line first, it names the proposal",
                               f"{path} : la contribution n'a pas de titre : ajoutez d'abord une ligne « title: », "
                               "qui donnera son nom à la proposition"))
    if not isinstance(data.get("submitted"), (date, datetime)):
        raise ConsultError(say(f"{path}: its 'submitted:' date cannot be read",
                               f"{path} : la date « submitted: » est illisible"))


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:  # newline='': a CRLF file stays CRLF
        return handle.read()


def _day(value: date | datetime, tz: Any) -> date:
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(tz)).date()
    return value


def kind_of(root: Path, id_: str) -> str:
    """The kind of contribution `id_` ('' when it cannot be read: `decide` says why)."""
    path = find_contribution(root, id_)
    if path is None:
        return ""
    doc, _, problems = parse_front_matter(_read(path), "")
    return str(doc.data.get("kind", "")) if isinstance(doc.data, dict) and not problems else ""


# --- the agency's answer -------------------------------------------------------------------------

def find_proposal(root: Path, slug: str, consultation: str | None = None) -> Path:
    """The one proposal file of that slug (in `consultation` when given)."""
    matches = sorted(consultations_dir(root).glob(proposal_file(Path(consultation or "*"), slug).as_posix()))
    if not matches:
        under = say(f" under {consultation}", f" (consultation {consultation})") if consultation else ""
        raise ConsultError(say(f"no proposal '{slug}' in content/" + under,
                               f"aucune proposition « {slug} » dans content/" + french(under)))
    if len(matches) > 1:
        names = ", ".join(path.parent.parent.name for path in matches)
        raise ConsultError(say(f"proposal '{slug}' is in several consultations ({names}): say which with --consultation",
                               f"la proposition « {slug} » est dans plusieurs consultations ({names}) : "
                               "indiquez laquelle avec --consultation"))
    return matches[0]


def answer(text: str, status: str, day: date, note: str = "", response: str | None = None,
           path: str = "") -> str:
    """The proposal's text with `status`, one more history entry dated `day` and, when given, the
    official `response` dated `day`: only those lines change."""
    doc, _, problems = parse_front_matter(text, path)
    if problems or not isinstance(doc.data, dict):
        raise ConsultError(say(f"{path}: cannot be read (run 'consult check' to see why)",
                               f"{path} : fichier illisible (lancez « consult check » pour savoir pourquoi)"))
    history = doc.data.get("history") or []
    latest = max((_day(h["date"], None) for h in history if isinstance(h, dict) and "date" in h), default=None)
    if latest is not None and day < latest:
        raise ConsultError(say(f"{path}: its history already has an entry of {latest}, after {day}",
                               f"{path} : son historique a déjà une entrée du {latest}, postérieure au {day}"))
    entry: dict[str, Any] = {"date": day, "status": status}
    if note:
        entry["note"] = note
    changes: dict[str, Any] = {"status": status}
    if response is not None:
        changes |= {"response": response.strip("\n"), "response_date": day}
    edited = edit_front_matter(text, changes, appended={"history": [entry]}, path=path)
    new = _check_only(text, edited, ANSWER_KEYS, path)
    if new.get("status") != status or (new.get("history") or [])[-1:] != [entry]:
        raise ConsultError(say(f"{path}: cannot edit this file safely; edit it by hand",
                               f"{path} : impossible de modifier ce fichier sans risque ; modifiez-le à la main"))
    return edited


def respond(root: Path, slugs: list[str], status: str, day: date, status_ids: tuple[str, ...], note: str = "",
            response: str | None = None, consultation: str | None = None) -> list[str]:
    """Answer each proposal; nothing is written unless every one can be. Returns the edited paths."""
    if status not in status_ids:
        raise ConsultError(say(f"unknown status '{status}' (statuses in site.yaml: {', '.join(status_ids)})",
                               f"statut inconnu « {status} » (statuts de site.yaml : {', '.join(status_ids)})"))
    edits = []
    for slug in slugs:
        path = find_proposal(root, slug, consultation)
        relative = path.relative_to(root).as_posix()
        edits.append((path, relative, answer(_read(path), status, day, note, response, relative)))
    for path, _, edited in edits:
        write_replace(path, edited.encode("utf-8"))
    return [relative for _, relative, _ in edits]

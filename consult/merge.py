"""`consult merge KEEP DUPLICATE...`: duplicate proposals marked as merged into the one kept.

Each duplicate gets `merged_into: KEEP`, the site's merged status (the proposal status site.yaml
marks `merged: true`; `fusionnee` with the default statuses) and a dated history entry saying so:
only those lines change, all files or none. Nothing is deleted, so no URL breaks: the duplicate's
page says where it went. `consult pull` then counts the kept proposal's supports once per person
across it and its duplicates (`Inbox.support_tallies`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from consult.document import parse_front_matter
from consult.errors import ConsultError, say
from consult.proposals import _check_only, _read, answer, edit_front_matter, find_proposal
from consult.pull import write_replace

NO_MERGED_STATUS = say("site.yaml marks no proposal status 'merged: true': add one to proposal_statuses "
                       "(e.g. '- {id: fusionnee, label: Fusionnée, merged: true}')",
                       "site.yaml ne marque aucun statut de proposition « merged: true » : ajoutez-en un à "
                       "proposal_statuses (par exemple « - {id: fusionnee, label: Fusionnée, merged: true} »)")


def merge(root: Path, keep: str, duplicates: list[str], status: str, day: date,
          consultation: str | None = None, note: str = "") -> list[str]:
    """Mark each of `duplicates` merged into `keep` (same consultation), with `status` and a history
    entry dated `day`. Refused, before anything is written: a proposal merged into itself, into a
    duplicate (a chain), or one that others are merged into. Returns the edited paths."""
    if not status:
        raise ConsultError(NO_MERGED_STATUS)
    keep_path = find_proposal(root, keep, consultation)
    folder = keep_path.parent
    targets = {path.stem: _data(path, root).get("merged_into") or "" for path in sorted(folder.glob("*.md"))}
    if targets[keep]:
        raise ConsultError(say(f"'{keep}' is itself merged into '{targets[keep]}': merge into '{targets[keep]}'",
                               f"« {keep} » est elle-même fusionnée dans « {targets[keep]} » : "
                               f"fusionnez plutôt dans « {targets[keep]} »"))
    edits = []
    for duplicate in dict.fromkeys(duplicates):
        if duplicate == keep:
            raise ConsultError(say(f"'{keep}' cannot be merged into itself",
                                   f"« {keep} » ne peut pas être fusionnée avec elle-même"))
        if duplicate not in targets:
            raise ConsultError(say(f"no proposal '{duplicate}' beside '{keep}' in {folder.parent.name}",
                                   f"pas de proposition « {duplicate} » dans {folder.parent.name}, "
                                   f"la consultation de « {keep} »"))
        if targets[duplicate]:
            raise ConsultError(say(f"'{duplicate}' is already merged into '{targets[duplicate]}'",
                                   f"« {duplicate} » est déjà fusionnée dans « {targets[duplicate]} »"))
        merged_here = sorted(slug for slug, target in targets.items() if target == duplicate)
        if merged_here:
            raise ConsultError(say(f"'{duplicate}' has proposals merged into it ({', '.join(merged_here)}): "
                                   f"set their 'merged_into:' to '{keep}' first",
                                   f"des propositions sont fusionnées dans « {duplicate} » "
                                   f"({', '.join(merged_here)}) : "
                                   f"mettez d'abord « {keep} » dans leur « merged_into: »"))
        edits.append(_edit(root, folder / f"{duplicate}.md", keep, status, day, note))
    for path, _, edited in edits:
        write_replace(path, edited.encode("utf-8"))
    return [relative for _, relative, _ in edits]


def _data(path: Path, root: Path) -> dict[str, Any]:
    doc, _, problems = parse_front_matter(_read(path), path.relative_to(root).as_posix())
    if problems or not isinstance(doc.data, dict):
        relative = path.relative_to(root).as_posix()
        raise ConsultError(say(f"{relative}: cannot be read (run 'consult check' to see why)",
                               f"{relative} : fichier illisible (lancez « consult check » pour savoir pourquoi)"))
    return doc.data


def _edit(root: Path, path: Path, keep: str, status: str, day: date, note: str) -> tuple[Path, str, str]:
    relative = path.relative_to(root).as_posix()
    text = _read(path)
    answered = answer(text, status, day, note, None, relative)
    edited = edit_front_matter(answered, {"merged_into": keep}, path=relative)
    if _check_only(answered, edited, ("merged_into",), relative).get("merged_into") != keep:
        raise ConsultError(say(f"{relative}: cannot edit this file safely; edit it by hand",
                               f"{relative} : impossible de modifier ce fichier sans risque ; modifiez-le à la main"))
    return path, relative, edited

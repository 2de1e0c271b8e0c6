"""`consult tag ID... --add THEME --remove THEME`: set a contribution's themes by editing only its
`tags:` line, as `consult moderate` edits only `status:`; the diff an editor reviews is that line.

A theme must be in the consultation's codebook.yaml (a "did you mean" otherwise). The file is
re-parsed after the edit: anything but the tags changing is refused, never written.
"""

from __future__ import annotations

import re
from pathlib import Path

from consult.content.files import parse_codebook
from consult.document import parse_front_matter, split_front_matter
from consult.errors import ConsultError, did_you_mean, french, say
from consult.layout import CODEBOOK_FILE
from consult.moderation import STATUS_LINE, find_contribution
from consult.pull import write_replace

TAGS_LINE = re.compile(r"^tags:[^\n]*\n", re.M)


def set_tags(text: str, tags: list[str], path: str = "") -> str:
    """The file text with only its `tags:` line changed (added after `status:`, removed when empty)."""
    split = split_front_matter(text)
    if split is None:
        raise ConsultError(say(f"{path}: no front matter", f"{path}: ce fichier n'a pas d'en-tête YAML (front matter)"))
    head_end = text.index(split.yaml_text) + len(split.yaml_text) if split.yaml_text else 4
    head, rest = text[:head_end], text[head_end:]
    line = f"tags: [{', '.join(tags)}]\n" if tags else ""
    if TAGS_LINE.search(head):
        head = TAGS_LINE.sub(lambda _: line, head, count=1)
    elif STATUS_LINE.search(head):
        head = STATUS_LINE.sub(lambda m: m.group(0) + line, head, count=1)
    else:
        raise ConsultError(say(f"{path}: no 'status:' line to put the tags after",
                               f"{path}: pas de ligne « status: » après laquelle placer les étiquettes"))
    edited = head + rest
    _check_only_tags_changed(text, edited, tags, path)
    return edited


def _check_only_tags_changed(before: str, after: str, tags: list[str], path: str) -> None:
    old, old_body, old_problems = parse_front_matter(before, path)
    new, new_body, new_problems = parse_front_matter(after, path)
    if old_problems or new_problems or not isinstance(old.data, dict) or not isinstance(new.data, dict):
        raise ConsultError(say(f"{path}: cannot edit this file safely; edit 'tags:' by hand",
                               f"{path}: impossible de modifier ce fichier sans risque ; modifiez « tags: » à la main"))
    same = {k: v for k, v in old.data.items() if k != "tags"} == {k: v for k, v in new.data.items() if k != "tags"}
    if not same or (new.data.get("tags") or []) != tags or old_body != new_body:
        raise ConsultError(say(f"{path}: cannot edit this file safely (is 'tags:' written over several lines?); "
                               "edit it by hand",
                               f"{path}: impossible de modifier ce fichier sans risque (« tags: » est-il écrit sur "
                               "plusieurs lignes ?) ; modifiez-le à la main"))


def codebook_ids(folder: Path) -> list[str]:
    """The theme ids of a consultation folder's codebook.yaml; an error when it has none or a broken one."""
    path = folder / CODEBOOK_FILE
    if not path.is_file():
        raise ConsultError(say(f"{path.as_posix()}: no codebook; write the themes there first (see the README)",
                               f"{path.as_posix()}: pas de codebook ; écrivez-y d'abord les thèmes (voir le README)"))
    themes, problems = parse_codebook(path.read_text(encoding="utf-8"), path.as_posix())
    if themes is None:
        raise ConsultError(problems)
    return [theme.id for theme in themes]


def tag(root: Path, ids: list[str], add: list[str], remove: list[str]) -> list[str]:
    """Add and remove themes on each contribution; every id and theme is checked before any file is
    written. Returns the paths edited (relative to root)."""
    plans = []
    for id_ in ids:
        path = find_contribution(root, id_)
        if path is None:
            raise ConsultError(say(f"no contribution {id_} in content/ (run 'consult pull' first?)",
                                   f"pas de contribution {id_} dans content/ (lancez d'abord « consult pull » ?)"))
        known = codebook_ids(path.parent.parent)
        for theme in add + remove:
            if theme not in known:
                listed = ", ".join(known)
                hint = did_you_mean(theme, known) or say(f"themes: {listed}", f"thèmes : {listed}")
                where = f"{path.parent.parent.name}/codebook.yaml"
                raise ConsultError(say(f"unknown theme '{theme}' in {where} ({hint})",
                                       f"thème inconnu « {theme} » dans {where} ({french(hint)})"))
        text = path.read_text(encoding="utf-8")
        doc, _, _ = parse_front_matter(text, path.as_posix())
        current = list((doc.data or {}).get("tags") or []) if isinstance(doc.data, dict) else []
        wanted = [t for t in dict.fromkeys(current + add) if t not in remove]
        relative = path.relative_to(root).as_posix()
        plans.append((path, relative, text, set_tags(text, wanted, relative) if wanted != current else text))
    for path, _, text, edited in plans:
        if edited != text:
            write_replace(path, edited.encode("utf-8"))
    return [relative for _, relative, _, _ in plans]

"""New sites and new content files: `consult init` and `consult new`.

`init_site` copies the packaged skeleton (a small working site with its Netlify
and GitHub workflow files). `new_content` writes one file with a safe slug and
front matter that passes `consult check`, through safe_dump only.
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from consult.config import require_config
from consult.document import dump_front_matter
from consult.errors import ConsultError
from consult.slug import slugify

SKIP = {"__init__.py", "__pycache__"}


def skeleton_dir() -> Path:
    with as_file(files("consult.skeleton")) as path:
        return Path(path)


def init_site(target: Path) -> list[Path]:
    """Copy the skeleton into `target` (new or empty); return the files written."""
    if target.exists() and any(target.iterdir()):
        raise ConsultError(f"{target} is not empty: choose a new folder")
    source = skeleton_dir()
    written = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or SKIP & set(rel.parts) or path.suffix == ".pyc":
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(path.read_bytes())
        written.append(dest)
    return written


def _consultation_slugs(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / "content" / "consultations").glob("*/index.md"))


def new_content(root: Path, kind: str, title: str, consultation: str | None = None, today: date | None = None) -> Path:
    """Write a new consultation, proposal or page; refuse to overwrite anything."""
    today = today or date.today()
    slug = slugify(title)
    if not slug:
        raise ConsultError(f"cannot make a file name from the title {title!r}: use some letters or digits")
    content = root / "content"
    meta: dict[str, Any]
    if kind == "consultation":
        path = content / "consultations" / slug / "index.md"
        meta = {"title": title, "summary": "", "opens": today, "closes": today + timedelta(days=30),
                "categories": [], "questions": [], "kinds": ["suggestion", "comment", "support"], "moderation": "pre"}
        body = "Présentez ici la consultation : son contexte, ce qui est en jeu, ce que vous ferez des contributions.\n"
    elif kind == "proposal":
        path = content / "consultations" / _pick_consultation(root, consultation) / "proposals" / f"{slug}.md"
        first_status = require_config(root).status_ids[0]
        meta = {"title": title, "summary": "", "status": first_status,
                "history": [{"date": today, "status": first_status}]}
        body = "Décrivez ici la proposition.\n"
    elif kind == "page":
        path = content / "pages" / f"{slug}.md"
        meta = {"title": title, "footer": True}
        body = "Texte de la page.\n"
    else:
        raise ConsultError(f"unknown content kind {kind!r}: use consultation, proposal or page")
    if path.exists():
        raise ConsultError(f"{path.relative_to(root)} already exists: choose another title")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_front_matter(meta, body), encoding="utf-8")
    return path


def _pick_consultation(root: Path, consultation: str | None) -> str:
    slugs = _consultation_slugs(root)
    if consultation:
        if consultation not in slugs:
            raise ConsultError(f"no consultation '{consultation}' (existing: {', '.join(slugs) or 'none'})")
        return consultation
    if len(slugs) == 1:
        return slugs[0]
    raise ConsultError("which consultation? use --consultation SLUG (existing: " + (", ".join(slugs) or "none") + ")")

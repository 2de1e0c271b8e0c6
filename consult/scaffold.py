"""New sites and new content files: `consult init` and `consult new`.

`init_site` copies the packaged skeleton (a small working site with its Netlify
and GitHub workflow files). `new_content` writes one file with a safe slug and
front matter that passes `consult check`, through safe_dump only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from consult import DISTRIBUTION, __version__, i18n
from consult.config import require_config
from consult.document import dump_front_matter
from consult.errors import ConsultError, say
from consult.i18n import translate
from consult.layout import INDEX_FILE, consultation_dir, consultations_dir, page_file, proposal_file, skeleton_dir
from consult.slug import slugify

SKIP = {"__init__.py", "__pycache__"}
# What a freshly made repository may already hold: `consult init .` adds the site beside it.
WELCOME = ("README", "LICENSE", "LICENCE", "COPYING")
REQUIREMENTS = "requirements.txt"
GITIGNORE = ".gitignore"
# The CI files of each forge in the skeleton; `consult init --ci` keeps one set.
CI_FILES = {"github": ".github/", "gitlab": ".gitlab-ci.yml"}


@dataclass
class Scaffold:
    """What `consult init` did: files written, files already there and kept, lines added to .gitignore."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def init_site(target: Path, language: str = i18n.DEFAULT_LANGUAGE, ci: str = "github") -> Scaffold:
    """Copy the skeleton into `target`: a new or empty folder, or a fresh repository (hidden files such
    as .git, a README, a LICENCE). Nothing there is ever overwritten; a .gitignore gets the lines
    consult needs (the inbox and the built site stay out of git) that it lacks. `ci` chooses the
    forge whose pipeline files are written: GitHub workflows or GitLab CI."""
    _check_fresh(target, language)
    done = Scaffold()
    source = skeleton_dir()
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or SKIP & set(rel.parts) or path.suffix == ".pyc" or _other_forge(rel.as_posix(), ci):
            continue
        _add(target, rel.as_posix(), path.read_bytes(), done)
    _add(target, REQUIREMENTS, render_requirements(__version__).encode("utf-8"), done)
    return done


def _other_forge(rel: str, ci: str) -> bool:
    """True for a CI file of a forge other than `ci`."""
    return any(rel.startswith(prefix) for forge, prefix in CI_FILES.items() if forge != ci)


def _check_fresh(target: Path, language: str) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise ConsultError(translate(language, "cli.init.not_empty", folder=target, names=target.name))
    others = sorted(p.name for p in target.iterdir()
                    if not p.name.startswith(".") and p.name.split(".")[0].upper() not in WELCOME)
    if others:
        names = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
        raise ConsultError(translate(language, "cli.init.not_empty", folder=target, names=names))


def _add(target: Path, rel: str, data: bytes, done: Scaffold) -> None:
    dest = target / rel
    if rel == GITIGNORE and dest.is_file():
        done.ignored = _merge_ignore(dest, data.decode("utf-8"))
        return
    if dest.exists() or dest.is_symlink() or any(p.exists() and not p.is_dir() for p in dest.parents):
        done.kept.append(dest)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("xb") as out:  # "x": fails rather than replace a file that appeared meanwhile
        out.write(data)
    done.written.append(dest)


def _merge_ignore(dest: Path, ours: str) -> list[str]:
    """Append to an existing .gitignore the patterns of ours it lacks; returns them."""
    theirs = dest.read_text(encoding="utf-8")
    present = {line.strip() for line in theirs.splitlines()}
    missing = [line for line in ours.splitlines() if line.strip() and not line.startswith("#") and line not in present]
    if missing:
        separator = "" if not theirs or theirs.endswith("\n") else "\n"
        dest.write_text(theirs + separator + "\n# consult\n" + "\n".join(missing) + "\n", encoding="utf-8")
    return missing


def render_requirements(version: str) -> str:
    """requirements.txt of a new site: the exact version of consult that made it, from the package index."""
    return (
        "# La version de consult qui a fait ce site, installée depuis le dépôt de paquets Python (PyPI)\n"
        "# par Netlify (netlify.toml) et GitHub Actions (.github/workflows/). Le paquet s'appelle\n"
        f"# « {DISTRIBUTION} » ; la commande, elle, s'appelle consult. Le paquet nommé « consult » est un\n"
        "# autre projet, sans rapport. Pour changer de version : changez le numéro, puis consult check.\n"
        "# L'extra [postgres] sert à `consult pull` quand la boîte de réception est PostgreSQL ;\n"
        "# l'extra [search] apporte Pagefind, qui fait l'index de la page de recherche (consult build).\n"
        f"{DISTRIBUTION}[postgres,search]=={version}\n"
    )


def _consultation_slugs(root: Path) -> list[str]:
    return sorted(p.parent.name for p in consultations_dir(root).glob(f"*/{INDEX_FILE}"))


def new_content(root: Path, kind: str, title: str, consultation: str | None = None, today: date | None = None,
                language: str = i18n.DEFAULT_LANGUAGE) -> Path:
    """Write a new consultation, proposal or page; refuse to overwrite anything. Messages and the
    placeholder text are in `language` (the site's)."""
    today = today or date.today()
    slug = slugify(title)
    if not slug:
        raise ConsultError(translate(language, "cli.new.no_slug", title=repr(title)))
    meta: dict[str, Any]
    if kind == "consultation":
        path = consultation_dir(root, slug) / INDEX_FILE
        meta = {"title": title, "summary": "", "opens": today, "closes": today + timedelta(days=30),
                "categories": [], "questions": [], "kinds": ["suggestion", "comment", "support"], "moderation": "pre"}
    elif kind == "proposal":
        path = proposal_file(consultation_dir(root, _pick_consultation(root, consultation, language)), slug)
        first_status = require_config(root).status_ids[0]
        meta = {"title": title, "summary": "", "status": first_status,
                "history": [{"date": today, "status": first_status}]}
    elif kind == "page":
        path = page_file(root, slug)
        meta = {"title": title, "footer": True}
    else:
        raise ConsultError(say(f"unknown content kind {kind!r}: use consultation, proposal or page",
                               f"type de contenu inconnu « {kind} » : indiquez consultation, proposal ou page"))
    if path.exists():
        raise ConsultError(translate(language, "cli.new.exists", path=path.relative_to(root).as_posix()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_front_matter(meta, translate(language, f"cli.new.body.{kind}") + "\n"), encoding="utf-8")
    return path


def _pick_consultation(root: Path, consultation: str | None, language: str) -> str:
    slugs = _consultation_slugs(root)
    existing = ", ".join(slugs) or translate(language, "cli.new.none")
    if consultation:
        if consultation not in slugs:
            raise ConsultError(translate(language, "cli.new.unknown_consultation", slug=consultation, slugs=existing))
        return consultation
    if len(slugs) == 1:
        return slugs[0]
    raise ConsultError(translate(language, "cli.new.which_consultation", slugs=existing))

"""load -> model -> render -> write: the build flow.

`check_site` loads and renders everything in memory and returns every problem
(config, content, templates); `build_site` writes `_site/` only when there is
none. The handler's rules (`consult-rules.json`) are emitted with the pages.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from consult.config import load_config, parse_now
from consult.content.load import load_site
from consult.errors import ConsultError, SourceError
from consult.forms.rules import render_rules
from consult.model import Site
from consult.output import WriteReport, check_output_dir, write_output
from consult.render import chrome_for, render_site
from consult.theme import check_templates, make_environment, static_files

OUTPUT_DIR = "_site"
RULES_FILE = "consult-rules.json"


@dataclass(frozen=True)
class Built:
    site: Site
    files: dict[str, bytes]


def check_site(root: Path, now: str | datetime | None = None) -> Built:
    """Load, validate and render the whole site in memory; raise every problem at once."""
    config, problems = load_config(root)
    if config is None:
        raise ConsultError(problems)
    moment = now if isinstance(now, datetime) else parse_now(now, config)
    env = make_environment(root, config.theme, config.language, config.timezone)
    problems += check_templates(env, root)
    try:
        site = load_site(root, config, moment)
    except ConsultError as exc:
        raise ConsultError(problems + exc.problems)
    if problems:
        raise ConsultError(problems)
    try:
        files = render_site(site, env)
    except jinja2.TemplateError as exc:
        raise ConsultError([_template_problem(exc, root)])
    files.update(static_files(root, config.theme))
    files[RULES_FILE] = render_rules(site, chrome_for(site)).encode("utf-8")
    return Built(site, files)


def _template_problem(exc: jinja2.TemplateError, root: Path) -> SourceError:
    """A runtime template error (undefined variable, ...) at the template line that raised it."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            path = Path(frame.filename)
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
            return SourceError(shown, frame.lineno or 1, 1, f"template error: {exc}")
    return SourceError("templates", 0, 0, f"template error: {exc}")


def build_site(root: Path, out: Path | None = None, now: str | datetime | None = None) -> tuple[Built, WriteReport]:
    out = out or root / OUTPUT_DIR
    check_output_dir(out, root)
    built = check_site(root, now)
    return built, write_output(out, built.files)

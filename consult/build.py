"""load -> model -> render -> write: the build flow.

`check_site` loads and renders everything in memory and returns every problem
(config, content, templates); `build_site` writes `_site/` only when there is
none, through a `Builder`, which re-renders only the pages whose inputs
changed. The handler's rules (`consult-rules.json`) are emitted with the pages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from consult.cache import Store, cache_folder, digest, salt
from consult.config import Config, load_config, parse_now
from consult.content.load import CONTENT_DIR, Source, assemble_site, find_sources, load_site
from consult.errors import ConsultError, SourceError
from consult.forms.rules import render_rules
from consult.model import Site
from consult.output import WriteReport, check_output_dir, write_output
from consult.pages import Fingerprints, PageJob, Trace, plan_pages, render_pages, template_problem
from consult.render import chrome_for, render_site
from consult.theme import check_templates, make_environment, static_files

OUTPUT_DIR = "_site"
RULES_FILE = "consult-rules.json"
# A build stage reports progress through this: stage(label, total) -> context giving advance(n).
Stage = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class Built:
    site: Site
    files: dict[str, bytes]  # what this build rendered
    kept: tuple[str, ...] = ()  # what it produced too but found unchanged in the output folder

    @property
    def count(self) -> int:
        return len(self.files) + len(self.kept)


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
        raise ConsultError([template_problem(exc, root)])
    files.update(static_files(root, config.theme))
    files[RULES_FILE] = render_rules(site, chrome_for(site)).encode("utf-8")
    return Built(site, files)


def build_site(root: Path, out: Path | None = None, now: str | datetime | None = None, jobs: int = 1,
               cache: bool = False, stage: Stage | None = None) -> tuple[Built, WriteReport]:
    """Build into `out` (default `_site/`), rendering only what changed since the last build.

    With `cache`, parsed files and page fingerprints are kept in `.consult/cache/`
    for the next build; `jobs` > 1 parses and renders in worker processes.
    """
    return Builder(root, out, now, jobs, cache).build(stage=stage)


@contextmanager
def _quiet(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass(frozen=True)
class PageEntry:
    """What the last build knew about one rendered page: its key, its trace, its file on disk."""

    key: str
    trace: Trace
    size: int
    mtime_ns: int


class Builder:
    """One site's builds and their caches: `consult build` makes one per run, `consult serve`
    keeps one and tells it which files changed, so unchanged files are not even read again."""

    def __init__(self, root: Path, out: Path | None = None, now: str | datetime | None = None, jobs: int = 1,
                 cache: bool = True):
        self.root, self.out = root, out or root / OUTPUT_DIR
        check_output_dir(self.out, root)
        self.now, self.jobs = now, max(1, jobs)
        folder = cache_folder(root) if cache else None
        self.parsed = Store(folder, "parsed")
        self.pages = Store(folder, "pages-" + digest(str(self.out.resolve()))[:16])
        self.sources: tuple[list[Source], list[SourceError]] | None = None
        self.env: jinja2.Environment | None = None
        self.env_key: tuple[str, ...] = ()
        self.produced: frozenset[str] = frozenset()
        # serve turns this off after its first build: rewriting the cache on every save costs O(site).
        self.persist = True

    def build(self, changed: Iterable[str] | None = None, stage: Stage | None = None) -> tuple[Built, WriteReport]:
        """Build; `changed` (paths relative to the root) lets a watcher skip re-reading the rest."""
        stage = stage or _quiet
        changed = None if changed is None else set(changed)
        config, problems = load_config(self.root)
        if config is None:
            raise ConsultError(problems)
        moment = self.now if isinstance(self.now, datetime) else parse_now(self.now, config)
        env, template_problems = self._environment(config, changed)
        sources, source_problems = self._sources(changed)
        with stage("Reading content", len(sources)) as advance:
            try:
                site = assemble_site(sources, source_problems, config, moment, self.parsed, self.jobs, advance)
            except ConsultError as exc:
                raise ConsultError(problems + template_problems + exc.problems)
        if problems or template_problems:
            raise ConsultError(problems + template_problems)
        jobs, files = plan_pages(site, env)
        fingerprints = Fingerprints(env, digest(salt(config), str(self.root.resolve())))
        todo, keys, kept = self._stale(jobs, fingerprints, site)
        traces: dict[str, Trace] = {}
        with stage("Rendering pages", len(todo)) as advance:
            try:
                for job, (data, templates, reads) in zip(todo, render_pages(env, todo, self.jobs, advance, self.root)):
                    files[job.path] = data
                    traces[job.path] = _trace(fingerprints, site, templates, reads)
            except ConsultError:
                self.env = None
                raise
        files.update(static_files(self.root, config.theme))
        files[RULES_FILE] = render_rules(site, chrome_for(site)).encode("utf-8")
        produced = frozenset(files) | frozenset(kept)
        # Looking for stale files walks the whole output folder: only when the set of files changed.
        report = write_output(self.out, dict(sorted(files.items())), keep=kept, prune=produced != self.produced)
        self.produced = produced
        for path, trace in traces.items():
            info = os.stat(self.out / path)
            self.pages.put(path, PageEntry(keys[path], trace, info.st_size, info.st_mtime_ns))
        self.parsed.save(to_disk=self.persist)
        self.pages.save(to_disk=self.persist)
        return Built(site, files, tuple(kept)), report

    def _environment(self, config: Config, changed: set[str] | None) -> tuple[jinja2.Environment, list[SourceError]]:
        """The jinja2 Environment, kept across builds until a template, the theme or the language changes."""
        key = (config.theme, config.language, config.timezone)
        touched = changed is None or any(p.split("/", 1)[0] in ("templates", "themes") for p in changed)
        if self.env is not None and key == self.env_key and not touched:
            return self.env, []
        env = make_environment(self.root, config.theme, config.language, config.timezone)
        problems = check_templates(env, self.root)
        self.env, self.env_key = (None, ()) if problems else (env, key)
        return env, problems

    def _sources(self, changed: set[str] | None) -> tuple[list[Source], list[SourceError]]:
        """All content sources; when only known files were modified, only those are read again."""
        content = [p for p in changed or () if p.startswith(CONTENT_DIR + "/")]
        if self.sources is not None and changed is not None and not content:
            return self.sources
        if self.sources is not None and changed is not None:
            sources, problems = self.sources
            index = {s.path: i for i, s in enumerate(sources)}
            if all(p in index and (self.root / p).is_file() for p in content) and not problems:
                updated = list(sources)
                for path in content:
                    old = updated[index[path]]
                    try:
                        text = (self.root / path).read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        break
                    updated[index[path]] = Source(old.kind, old.path, old.consultation, old.stem, text)
                else:
                    self.sources = (updated, [])
                    return self.sources
        self.sources = find_sources(self.root)
        return self.sources

    def _stale(self, jobs: list[PageJob], fingerprints: Fingerprints, site: Site) -> tuple[list[PageJob], dict[str, str], list[str]]:
        """The pages to render again; the others are already in the output folder, byte for byte."""
        todo, keys, kept = [], {}, []
        for job in jobs:
            key = keys[job.path] = fingerprints.key(job)
            entry: Any = self.pages.get(job.path)
            if isinstance(entry, PageEntry) and entry.key == key and _on_disk(self.out / job.path, entry) \
                    and fingerprints.still_valid(entry.trace, site):
                kept.append(job.path)
            else:
                todo.append(job)
        return todo, keys, kept


def _on_disk(path: Path, entry: PageEntry) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    return info.st_size == entry.size and info.st_mtime_ns == entry.mtime_ns


def _trace(fingerprints: Fingerprints, site: Site, templates: set[str], reads: set[tuple[str, str]]) -> Trace:
    by_slug = {c.slug: c for c in site.consultations} if reads else {}
    return Trace(
        templates=tuple(sorted((name, fingerprints.template(name)) for name in templates)),
        collections=tuple(sorted((slug, attr, fingerprints.collection(by_slug[slug], attr)) for slug, attr in reads)),
    )

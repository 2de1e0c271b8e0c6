"""load -> model -> render -> write: the build flow.

`check_site` loads and renders everything in memory and returns every problem
(config, content, templates); `build_site` writes `_site/` only when there is
none, through a `Builder`, which re-renders only the pages whose inputs
changed. The handler's rules (`consult-rules.json`) are emitted with the pages.
Warnings do not stop either (unless `strict`): they come back in `Built.warnings`,
the same whether the build started from scratch, from the cache or from the last one.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, closing, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from consult import __version__, watch
from consult.atomic import Data, write_file
from consult.cache import (FORMAT, Inputs, Manifest, Stats, Store, cache_folder, digest, read_inputs, read_manifest, salt, stat_files,
                          write_manifest)
from consult.changes import Scope, classify
from consult.config import Config, load_config, parse_now
from consult.content.load import (
    Source,
    count_files,
    find_sources,
    link_site,
    load_site,
    parse_source,
    parse_sources,
    read_text,
    source_key,
)
from consult.errors import DISK_FULL, ConsultError, SourceError, disk_full, in_order, say, split_warnings
from consult.forms.rules import consultation_rule, render_rules
from consult.lock import build_lock
from consult.opendata import Rows, consultation_rows, open_data_files
from consult.model import Consultation, Site, Text, derive_status, order_consultations, pack_texts
from consult.output import Staging, WriteReport, check_output_dir, under
from consult.parallel import Beside, Forked, Split, can_fork, collector_off, in_child, run_shared
from consult.pages import Fingerprints, PageJob, Trace, plan_pages, render_pages, template_problem
from consult.layout import (ALTCHA_STATIC, CONFIG_FILE, CONSULTATIONS_DIR, CONSULTATIONS_PREFIX, CONTENT_DIR, SEARCH_DIR, STATE_DIR, WATCHED_DIRS,
                            consultation_url)
from consult.render import chrome_for, render_site
from consult.sandbox import Traceable
from consult.search import Indexed, index_site
from consult.theme import builtin_themes_dir, check_links, check_templates, make_environment, shared_compiled_folder, static_files, template_checks, theme_files

OUTPUT_DIR = "_site"
# From this many proposals, contributions and reports, a one-shot parallel build reads in a child process.
CHILD_READ_FILES = 100_000
# From this many proposals and contributions, a one-shot parallel build makes its companion files in a
# child while it plans (Builder._companions_apart): below, they take less time than forking the child.
APART_FROM = 1_000
# The parsed records' files in the cache (cache.Store): one edit rewrites one of them.
PARSED_SHARDS = 64
# From this many pages to key (Builder._stale), keying in worker processes saves more than their start costs.
KEYING_THRESHOLD = 2_000
RULES_FILE = "consult-rules.json"
# Everything a build reads, relative to the site root (plus the built-in themes).
INPUTS = (CONFIG_FILE, *WATCHED_DIRS)
# A build stage reports progress through this: stage(label, total) -> context giving advance(n).
Stage = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class Built:
    site: Site | None  # None when nothing had changed since the last build: the site was not even loaded
    files: Collection[str]  # what this build rendered (its bytes went to disk as they came)
    kept: tuple[str, ...] = ()  # what it produced too but found unchanged in the output folder
    warnings: tuple[SourceError, ...] = ()  # problems that did not stop it, sorted
    indexed: Indexed | None = None  # the search step (consult.search), when the builder runs it

    @property
    def count(self) -> int:
        return len(self.files) + len(self.kept)


@dataclass(frozen=True)
class Checked(Built):
    site: Site
    files: dict[str, bytes]


def check_site(root: Path, now: str | datetime | None = None, strict: bool = False) -> Checked:
    """Load, validate and render the whole site in memory; raise every problem at once when one
    is an error (`strict`: or a warning)."""
    config, problems = load_config(root)
    if config is None:
        raise ConsultError(problems)
    moment = now if isinstance(now, datetime) else parse_now(now, config)
    env = make_environment(root, config.theme, config.language, config.timezone, auto_reload=False)
    problems += check_templates(env, root) + check_links(root, config.theme)
    try:
        site, found = load_site(root, config, moment)
    except ConsultError as exc:
        raise ConsultError(problems + exc.problems)
    warnings = only_warnings(problems + found, strict)
    try:
        files = render_site(site, env)
    except jinja2.TemplateError as exc:
        raise ConsultError([template_problem(exc, root)])
    files.update((name, data if isinstance(data, bytes) else b"".join(data))
                 for name, data in companion_files(root, site).items())
    return Checked(site, files, warnings=warnings)


def only_warnings(problems: list[SourceError], strict: bool) -> tuple[SourceError, ...]:
    """The warnings among `problems`, sorted. When one is an error (`strict`: any), raise them all."""
    errors, warnings = split_warnings(problems)
    if strict and warnings:
        errors, warnings = errors + [replace(w, warning=False) for w in warnings], []
    if errors:
        raise ConsultError(errors + warnings)
    return tuple(sorted(warnings, key=in_order))


def companion_files(root: Path, site: Site, rows: Callable[[Consultation, str], Rows] = consultation_rows,
                    rules: bytes | None = None) -> dict[str, bytes | Iterator[bytes]]:
    """What a build writes beside the pages: static assets, open data, the handler's rules.
    One place, for the one-shot check and the incremental builder alike (which passes its
    memoised open data rows and rules). contributions.csv comes as lazy chunks (opendata.open_data_files)."""
    files: dict[str, bytes | Iterator[bytes]] = {path: data for path, data in static_files(root, site.config.theme).items()
             if site.config.altcha or not path.startswith(ALTCHA_STATIC)}
    files.update(theme_files(site.config.theme_options))
    files.update(open_data_files(site, rows))
    files[RULES_FILE] = rules if rules is not None else render_rules(site, chrome_for(site)).encode("utf-8")
    return files


def build_site(root: Path, out: Path | None = None, now: str | datetime | None = None, jobs: int = 1,
               cache: bool = False, stage: Stage | None = None, strict: bool = False,
               search: bool = False) -> tuple[Built, WriteReport]:
    """Build into `out` (default `_site/`), rendering only what changed since the last build.

    With `cache`, parsed files and page fingerprints are kept in `.consult/cache/`
    for the next build; `jobs` > 1 parses and renders in worker processes; `strict`
    makes every warning an error (nothing written); `search` ends with Pagefind's index.
    """
    options = BuildOptions(jobs=jobs, cache=cache, strict=strict, search=search, retain=False)
    with Builder(root, out, now, options) as builder:
        return builder.build(stage=stage)


@contextmanager
def _quiet(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass(frozen=True)
class _Last:
    """The last successful build, in memory: a watcher's next build re-does only what an edit touches."""

    config: Config
    moment: datetime
    site: Site
    records: dict[str, tuple[Source, Any]]  # by path, in find_sources order
    jobs: dict[str, PageJob]
    source_keys: dict[str, str]
    feedless: frozenset[str]  # consultations whose feed is empty (it shows the moment)
    file_problems: dict[str, tuple[SourceError, ...]]  # parse warnings by path (a file with none may be left out)
    link_problems: tuple[SourceError, ...]  # what link_site warned of, all in consultation folders


@dataclass(frozen=True)
class _Content:
    """What a build read and linked: the whole site, or the last one with the consultations in
    `touched` read and linked again. Its problems are all of the site's, errors included."""

    site: Site
    touched: frozenset[str] | None  # None: the whole site
    records: dict[str, tuple[Source, Any]]  # by path, in find_sources order (empty for a one-shot build: let go as linked)
    source_keys: dict[str, str]
    file_problems: dict[str, tuple[SourceError, ...]]  # by path
    link_problems: tuple[SourceError, ...]
    listing_problems: tuple[SourceError, ...] = ()  # find_sources'

    def problems(self) -> list[SourceError]:
        return [*self.listing_problems, *(p for found in self.file_problems.values() for p in found), *self.link_problems]


# A piece of the site in_child sends holds at most this many contributions. Pickle's memo (an entry per
# object written) grows with the piece; at 100,000 contributions a consultation, its lookups missed the
# caches, and pickling a contribution cost half as much again as in a piece of 10,000.
SENT_CONTRIBUTIONS = 10_000


def _content_parts(content: _Content) -> tuple[_Content, list[Any]]:
    """The content without its consultations, and its consultations, each as (itself without its
    contributions, how many pieces hold them), then those pieces: sent back from in_child one by one.
    Each piece's texts, and the comments' texts, are packed into a buffer of their own first, which its
    pickle writes once (model.Text.reduce_shared), instead of the consultation's whole buffer in each.
    (The child's model, packed again, is not used after.) What a piece shares with another (the
    questions its answers refer to) comes back as copies, equal to the originals."""
    pieces: list[Any] = []
    for c in content.site.consultations:
        chunks = [c.contributions[i : i + SENT_CONTRIBUTIONS] for i in range(0, len(c.contributions), SENT_CONTRIBUTIONS)]
        for chunk in chunks:
            pack_texts([x.body_html for x in chunk])
        pack_texts([x.body_html for p in c.proposals for x in p.comments])
        pieces += [(replace(c, contributions=()), len(chunks)), *chunks]
    return replace(content, site=replace(content.site, consultations=())), pieces


def _content_joined(head: _Content, pieces: list[Any]) -> _Content:
    consultations, at = [], 0
    while at < len(pieces):
        c, count = pieces[at]
        consultations.append(replace(c, contributions=tuple(chain.from_iterable(pieces[at + 1 : at + 1 + count]))))
        at += 1 + count
    return replace(head, site=replace(head.site, consultations=tuple(consultations)))


# _read_site's child sends the site back in pieces (parallel.Split). Their texts keep the buffers they share (model.Text).
BY_CONSULTATION = Split(_content_parts, _content_joined, {Text: Text.reduce_shared})


def _stops(problems: list[SourceError], strict: bool) -> bool:
    """Would only_warnings raise on these?"""
    return any(not p.warning for p in problems) or (strict and bool(problems))


def _env_key(config: Config) -> tuple[str, ...]:
    return (config.theme, config.language, config.timezone)


def _checked_templates(env: Traceable, root: Path, config: Config) -> tuple[list[SourceError], dict[str, Any]]:
    """Every template compiled (into the Environment's bytecode folder, if it has one) and checked, and
    the theme's links: (problems, the templates' facts). In _Templates' child, or here if it died."""
    problems = [problem for found in template_checks(env, root) for problem in found]
    return problems + check_links(root, config.theme), env.template_facts


class _Templates:
    """The site's Environment and its templates' problems, as Builder._templates makes them: steps of
    this process (`beside`), or a child compiling them, once started, into a folder this process's
    Environment loads them from."""

    def __init__(self, beside: Beside[tuple[Traceable, list[SourceError]]] | None, builder: Builder | None = None,
                 config: Config | None = None):
        self.beside, self.builder, self.config = beside, builder, config
        self.child: Forked[tuple[list[SourceError], dict[str, Any]]] | None = None
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        self.folder: Path | None = None
        self._env: Traceable | None = None
        self._problems: list[SourceError] | None = None
        if beside is None:
            assert builder is not None and config is not None
            self.folder = builder._compiled_folder(config)
            if self.folder is None:
                self.scratch = tempfile.TemporaryDirectory(prefix="consult-templates-")
                self.folder = Path(self.scratch.name)
            # Forked now, while this process's heap is small (parallel.Forked, gated); compiles once started.
            self.child = Forked(lambda: _checked_templates(self.env(), builder.root, config), gated=True)

    def start(self) -> None:
        """The child starts compiling (nothing to start for steps of this process)."""
        if self.child is not None:
            self.child.go()

    def env(self) -> Traceable:
        """The Environment: with a child, made now; its templates load from the child's folder once compiled."""
        if self.beside is not None:
            return self.beside.result()[0]
        if self._env is None:
            assert self.builder is not None and self.config is not None
            self._env = self.builder._new_environment(self.config, self.folder)
        return self._env

    def problems(self) -> list[SourceError]:
        """The templates' problems (with a child, once it is done)."""
        if self.beside is not None:
            return self.beside.result()[1]
        if self._problems is None:
            env = self.env()
            assert self.builder is not None and self.child is not None and self.config is not None
            try:
                found, facts = self.child.result()
                env.template_facts.update(facts)
            except RuntimeError:  # the child died (killed, out of memory): compile here, as without one
                found, facts = _checked_templates(env, self.builder.root, self.config)
            if not split_warnings(found)[0]:
                # Loaded here from the child's folder, once, before the render workers fork: each would
                # otherwise load them itself. The facts name every template the child compiled.
                for name in facts:
                    env.get_template(name)
            self.close()
            self.builder._keep_env(env, found, self.config)
            self._problems = found
        return self._problems

    def close(self) -> None:
        """Let go of the child (stopped if the build ends without its result) and of the scratch folder,
        whose templates are then compiled again if asked (never, for the ones this build loaded)."""
        if self.child is not None:
            self.child.abandon()
        if self.scratch is not None:
            if self._env is not None:
                self._env.bytecode_cache = None
            self.scratch.cleanup()
            self.scratch = None


class _Apart:
    """companion_files made in a forked child (Builder._companions_apart); `result()` is a dict as
    `_companions` returns. A file that comes in chunks (contributions.csv) is spooled by the child to a
    temporary file, then staged from it a chunk at a time: never whole in memory."""

    def __init__(self, root: Path, site: Site):
        self.root, self.site = root, site
        self.spool = tempfile.TemporaryDirectory(prefix="consult-companions-")
        self.child = Forked(partial(self._made, root, site, self.spool.name))

    @staticmethod
    def _made(root: Path, site: Site, spool: str) -> dict[str, bytes | str]:
        """In the child: each file's bytes, or the path it was spooled to."""
        made: dict[str, bytes | str] = {}
        for index, (name, data) in enumerate(companion_files(root, site).items()):
            if isinstance(data, bytes):
                made[name] = data
                continue
            made[name] = os.path.join(spool, str(index))
            with open(made[name], "wb") as handle:
                handle.writelines(data)
        return made

    def result(self) -> dict[str, Data | None]:
        try:
            made = self.child.result()
        except RuntimeError:  # the child died (killed, out of memory): made here, as without one
            return dict(companion_files(self.root, self.site))
        return {name: data if isinstance(data, bytes) else _spooled(data) for name, data in made.items()}

    def close(self) -> None:
        """The child stopped if its result was not read; the spool removed (once the files are staged)."""
        self.child.abandon()
        self.spool.cleanup()


def _spooled(path: str, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


@dataclass(frozen=True)
class PageEntry:
    """What the last build knew about one rendered page: its key, its trace, its file on disk."""

    key: str
    trace: Trace
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class BuildOptions:
    """How a `Builder` builds, fixed when it is made. The defaults suit a long-lived builder told
    what changed; `build_site` (consult build) and `serve_site` (consult serve) say how they differ."""

    jobs: int = 1  # worker processes to parse and render in (1: none)
    jobs_after_first: int | None = None  # the builds after the first (serve: 1, never fork beside its threads)
    cache: bool = True  # keep parsed files and page keys in .consult/cache/ for the next build
    strict: bool = False  # every warning is an error: nothing is written
    search: bool = False  # end each build that changed the site with the search index (consult.search)
    save_every_build: bool = True  # False: the cache is written after the first build and at close() only
    # (serve: rewriting it on every save costs O(site))
    trust_manifest: bool = True  # False: load the site even when nothing changed (serve starts from it)
    retain: bool = True  # keep the last build in memory for the next; False (one shot): free the texts once linked

    def jobs_for(self, build: int) -> int:
        """The worker processes of the `build`-th build (from 1)."""
        jobs = self.jobs if build == 1 or self.jobs_after_first is None else self.jobs_after_first
        return max(1, jobs)


class Builder:
    """One site's builds and their caches: `consult build` makes one per run, `consult serve`
    keeps one and tells it which files changed, so unchanged files are not even read again."""

    def __init__(self, root: Path, out: Path | None = None, now: str | datetime | None = None,
                 options: BuildOptions = BuildOptions()):
        self.root, self.out = root, out or root / OUTPUT_DIR
        check_output_dir(self.out, root)
        self.now, self.options = now, options
        self.builds = 0  # started so far: the first may differ (BuildOptions.jobs_after_first, save_every_build)
        folder = cache_folder(root) if options.cache else None
        self.parsed = Store(folder, "parsed", shards=PARSED_SHARDS)
        out_key = digest(str(self.out.resolve()))[:16]
        self.pages = Store(folder, "pages-" + out_key)
        self.manifest = folder / f"manifest-{out_key}.pickle" if folder is not None else None
        self.manifest_key = digest(__version__, FORMAT, str(self.out.resolve()), str(options.search))
        # Who last wrote into the output folder: a token each build writes there before its commit, any
        # build of the site, cache or not. What this builder remembers of the folder (the files it holds,
        # the pages' entries, the last site) holds only while the token is still the one it wrote.
        self.stamp = root / STATE_DIR / f"output-{out_key}.stamp"
        self.token: bytes | None = None
        self.sources: tuple[list[Source], list[SourceError]] | None = None
        self.env: jinja2.Environment | None = None
        self.env_key: tuple[str, ...] = ()
        self.produced: frozenset[str] = frozenset()
        self.last: _Last | None = None  # what the last successful build knew, for the next one to start from
        self.last_rules: tuple[Any, bytes] | None = None
        self.consultation_rules: dict[str, Memo[dict[str, Any]]] = {}  # by slug (see _reuse)
        self.open_data_rows: dict[str, Memo[Rows]] = {}

    def build(self, changed: Iterable[str] | None = None, stage: Stage | None = None) -> tuple[Built, WriteReport]:
        """Build; `changed` (paths relative to the root) lets a watcher skip re-reading the rest.
        One build of a site at a time, across processes: another one waits (lock.build_lock)."""
        self.builds += 1
        with build_lock(self.root):
            try:
                return self._build(changed, stage)
            except OSError as exc:  # what was staged is rolled back by now
                if exc.errno not in DISK_FULL:
                    raise
                raise self._disk_full(exc) from exc
            finally:
                gc.unfreeze()  # see _build: what this build kept is collectable again

    def close(self) -> None:
        """Write what the builds kept in memory only (BuildOptions.save_every_build) to the cache."""
        try:
            self.parsed.flush()
            self.pages.flush()
        except OSError as exc:
            if exc.errno not in DISK_FULL:
                raise
            raise self._disk_full(exc) from exc

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        try:
            self.close()
        except (OSError, ConsultError):
            if error is None:
                raise
            # else the error under way is the one to tell (a full disk, the cache's own save failing again)

    @property
    def _jobs(self) -> int:
        return self.options.jobs_for(self.builds)

    @property
    def _remember(self) -> bool:
        """Page keys, traces and parsed records serve only a next build: a one-shot build without a
        cache skips them."""
        return self.options.retain or self.pages.folder is not None

    def _disk_full(self, exc: OSError) -> ConsultError:
        """A full disk: the output folder was left as the last build made it, unless only the cache,
        written after it, failed."""
        out = os.path.relpath(self.out, self.root) if self.out.is_relative_to(self.root) else str(self.out)
        cache = self.parsed.folder
        if cache is not None and exc.filename and Path(os.fsdecode(exc.filename)).is_relative_to(cache):
            return disk_full(exc, self.root, say(f"{out}/ was built, only the build cache was not saved",
                                                 f"{out}/ a bien été construit, seul le cache de construction "
                                                 "n'a pas été enregistré"))
        return disk_full(exc, self.root, say(f"{out}/ is as the last build left it",
                                             f"{out}/ est resté tel que la dernière construction l'a laissé"))

    def _build(self, changed: Iterable[str] | None, stage: Stage | None) -> tuple[Built, WriteReport]:
        """The one build sequence, full or partial: settings -> templates -> content (read and linked:
        all of it, or only the consultations a watcher's changes touch) -> plan -> key -> render -> write."""
        stage = stage or _quiet
        changed = None if changed is None else set(changed)
        if self.token is not None and _read_stamp(self.stamp) != self.token:
            self._forget_output()
        config, problems = load_config(self.root)
        if config is None:
            raise ConsultError(problems)
        moment = self.now if isinstance(self.now, datetime) else parse_now(self.now, config)
        inputs, scanned, watched, previous = None, time.time_ns(), None, None
        known: dict[str, str] = {}  # content files unchanged since the last build: their cache keys, not read again
        edited: frozenset[str] | None = None  # consultations whose files alone were edited since the last build
        outputs: Stats | None = None  # then, the output folder's files: as the last build left them
        shown_moment = False  # the last build's output showed its moment (Manifest.exact)
        if changed is None and self.manifest is not None:
            synced = watch.sync(self.root)  # a live `consult watch`, caught up with every change made so far
            watched = synced.token if synced is not None else None
            previous = read_manifest(self.manifest) if self.options.trust_manifest and not split_warnings(problems)[0] else None
            if previous is not None and not previous.still_valid(self.manifest_key, moment):
                previous = None
            last_inputs = read_inputs(self.manifest, previous) if previous is not None else None
            if previous is not None and synced is not None and synced.unchanged_since(previous.watched):
                unchanged = self._unchanged(previous)  # the journal proves the inputs the same: no stat of each file
                if unchanged is not None:
                    return unchanged
                inputs = last_inputs.stats if last_inputs is not None else None
            if inputs is None:
                inputs = stat_files([self.root / name for name in INPUTS] + [builtin_themes_dir()], self.root)
                if previous is not None and previous.same_inputs(last_inputs.stats if last_inputs is not None else None, inputs):
                    unchanged = self._unchanged(previous)
                    if unchanged is not None:
                        if watched is not None:  # from here on, the journal proves them
                            write_manifest(self.manifest, replace(previous, watched=watched))
                        return unchanged
            if previous is not None and last_inputs is not None:
                edits = last_inputs.changed(inputs, previous.scanned_ns)
                known = last_inputs.unchanged_keys(edits, salt(config))
                found = self._edited(previous, last_inputs, edits, inputs)
                if found is not None:
                    edited, outputs = found
                    # What the last build produced: no stale file to look for unless this build's pages differ.
                    self.produced = frozenset(name for name in outputs if not under(name, self._reserved))
                shown_moment = previous.exact
            self.manifest.unlink(missing_ok=True)  # the output folder is about to change
        # The templates are compiled while the content is read: beside the parsing workers, or in an idle child.
        with closing(self._templates(config, changed)) as templates, ExitStack() as held:  # held: closed when the build ends
            last, self.last = self.last, None  # until this build succeeds, the next one starts from scratch
            content = None  # a watcher's edits inside consultations: only those are read and linked again
            if changed is not None and last is not None and config == last.config:
                if not split_warnings(problems + templates.problems())[0]:
                    content = self._read_consultations(last, changed, config, moment)
            if content is None:
                content = self._read_site(changed, config, moment, stage, templates, known)
            env = templates.env()
            site, touched = content.site, content.touched  # touched: None when the whole site was read
            carrying = touched is None and edited is not None  # one-shot: the other consultations' pages stay
            if carrying:
                touched = edited
            # The content read and linked lives as long as the build: out of the cyclic collector's sight
            # while the pages are planned and rendered, so full collections do not walk it again and again
            # (parallel.run_shared freezes for its workers as well, and leaves them frozen; Builder.build
            # unfreezes everything when the build returns or fails). _read_site froze what it read before the
            # collector came back; a watcher's partial read (_read_consultations) is frozen here.
            gc.freeze()
            if _stops(problems + content.problems(), self.options.strict):  # every problem at once: the templates' too
                only_warnings(problems + templates.problems() + content.problems(), self.options.strict)
            if not self.options.retain:  # the texts are not needed any more: free them before forking the render workers
                self.sources = None
                content.records.clear()
            apart = self._companions_apart(site)  # made in a child while this process plans, or None
            if apart is not None:
                held.enter_context(closing(apart))
            # The pages planned live as long as the build too: planned without the collector, which made
            # eight full collections of the jobs planned so far at 300,000 contributions (half of planning's
            # time, and none found garbage), then frozen with the content before the collector is back.
            # Planning reads no template: a child compiling them (_Templates) goes on meanwhile.
            with collector_off(freeze=True):
                jobs, planned = plan_pages(site, env, touched)
            problems += templates.problems()  # from here on, the site's own problems (config, templates)
            warnings = only_warnings(problems + content.problems(), self.options.strict)
            files: dict[str, Data | None] = dict(planned)  # the companion files join them (_finish)
            fingerprints = Fingerprints(env, digest(salt(config), str(self.root.resolve())))
            carried: list[str] = []  # pages of the consultations not touched: as the last build left them
            if touched is not None and last is not None:
                carried = _carried(last.jobs, jobs, touched)
            elif outputs is not None and touched is not None:  # a one-edit build: the pages in the output folder
                carried = _carried(outputs, jobs, touched)
            todo, keys, kept = self._stale(jobs, fingerprints, site) if self._remember else (jobs, {}, [])
            describe = _describer(fingerprints, site, keys) if self._remember else None
            with _staged(self.out) as staging, closing(Beside(self._companions(site, staging))) as companions:
                # all or nothing; the companion files made by the child, or by this process while the workers render
                rendered, entries = self._render(env, todo, describe, stage, staging, None if apart else companions)
                files.update(apart.result() if apart else companions.result())
                report = self._finish(files, kept, entries, carried, staging)
            indexed = self._index(report)
            if self.options.retain:
                feedless = (last.feedless - touched if touched is not None and last is not None else frozenset()) | _feedless(jobs)
                self.sources = ([source for source, _ in content.records.values()], [])
                kept_jobs = {path: last.jobs[path] for path in carried} if last is not None else {}
                self.last = _Last(config, moment, site, content.records, kept_jobs | {job.path: job for job in jobs},
                                  content.source_keys, feedless, content.file_problems, content.link_problems)
            if inputs is not None and self.manifest is not None:
                write_manifest(self.manifest, Manifest(self.manifest_key, self._outputs(outputs, report, indexed), moment, _window(site, moment),
                                                       _shows_moment(jobs) or (carrying and shown_moment), scanned, warnings,
                                                       watched),
                               Inputs(inputs, salt(config), content.source_keys))
            return Built(site, tuple(rendered) + tuple(files), tuple(kept), warnings, indexed), report

    def _read_site(self, changed: set[str] | None, config: Config, moment: datetime, stage: Stage,
                   templates: _Templates, known: dict[str, str] | None = None) -> _Content:
        """Every content file parsed (from the cache when unchanged) and linked into the site.

        A one-shot build without cache that renders in worker processes reads and links in a child
        process, and unpickles the site it sends back: the records, listings and parse garbage a million
        files leave behind die with the child, instead of staying here as holes between the model's
        objects, which each render worker would copy with them (it writes the reference counts of
        almost every object it reads). A one-process build has no worker to copy anything: it reads here.
        Nor does a site of fewer than CHILD_READ_FILES files: sending its site back would cost more time
        (the pickle, a serial half second at 10,000 proposals) than its memory is worth.
        `templates`: compiled meanwhile (_Templates): steps of this process while the workers or the child
        parse, or a child of their own started once the parsing is done (or at once, for a read in a child:
        this process has nothing else to do).
        Here as in the child, without the cyclic collector: what parsing and linking make is alive
        until the build ends (they leave a few dozen objects in cycles for 100,000 contributions), and
        its full collections walked it all again (0.1 s at 10,000 proposals); frozen before the collector
        is back (collector_off(freeze=True))."""
        with collector_off(freeze=True):  # what is read lives as long as the build (see _build)
            if self._remember or self._jobs <= 1 or count_files(self.root) < CHILD_READ_FILES:
                return self._parse_and_link(changed, config, moment, stage, keep_records=self.options.retain,
                                            beside=templates.beside, then=templates.start, known=known or {})
            templates.start()
            return in_child(partial(self._parse_and_link, changed, config, moment, stage, keep_records=False),
                            BY_CONSULTATION, templates.beside)

    def _parse_and_link(self, changed: set[str] | None, config: Config, moment: datetime, stage: Stage,
                        keep_records: bool = True, beside: Beside[Any] | None = None,
                        then: Callable[[], None] | None = None, known: dict[str, str] | None = None) -> _Content:
        """_read_site's work; without `keep_records` (a one-shot build, which needs no record once linked),
        the content's records are left out, and let go as linking goes (`link_site(consume=True)`).
        `then()` is called once every file is parsed, before linking. `known`: the cache keys of files
        unchanged since the last build (Inputs.unchanged_keys), not read again: a record in the cache
        is taken by its key, and a file whose record is missing is read where it is parsed."""
        known = known or {}
        sources, listing_problems = self._sources(changed, known)
        if self._remember:  # once, for the cache and the next build
            config_salt = salt(config)
            keys = [source_key(source, config_salt) if source.text is not None else known[source.path] for source in sources]
        else:
            keys = None
        with stage("Reading content", len(sources)) as advance:
            parsed = parse_sources(sources, config, self.parsed if keys is not None else None, self._jobs, advance, keys,
                                   self.root, beside)
        if then is not None:
            then()
        file_problems = {source.path: tuple(found) for source, (_, found) in zip(sources, parsed) if found}
        keys_by_path = {source.path: key for source, key in zip(sources, keys)} if keys is not None else {}
        pairs = [(source, record) for source, (record, _) in zip(sources, parsed)]
        del parsed
        records = {pair[0].path: pair for pair in pairs} if keep_records else {}
        if not keep_records:  # nothing but `pairs` holds the listing and the records: linking lets them go
            del sources
            self.sources = None
        site, found = link_site(pairs, config, moment, self.root, consume=not keep_records)
        return _Content(site, None, records, keys_by_path, file_problems, tuple(found), tuple(listing_problems))

    def _read_consultations(self, last: _Last, changed: set[str], config: Config, moment: datetime) -> _Content | None:
        """When only files inside consultation folders were edited in place (consult.changes), the last
        build's content with those files parsed again and their consultations (and those a new moment
        changes) linked again. None when the change asks for everything: the caller reads the whole site.
        The problems are the last build's but for the files re-parsed and the consultations re-linked."""
        scope = self._scope(changed, last)
        if scope.everything:
            return None
        touched = set(scope.consultations)
        self.sources = None  # in step with `records` again only if this build succeeds
        if moment != last.moment:  # a consultation may open or close; an empty feed shows the moment
            touched |= {c.slug for c in last.site.consultations if derive_status(c.opens, c.closes, moment) != c.status}
            earlier, later = sorted((last.moment, moment))
            touched |= {c.slug for c in last.site.consultations
                        if any(earlier < day <= later for day in _answer_days(c, config.tz))}
            touched |= last.feedless
        records, keys, file_problems = dict(last.records), dict(last.source_keys), dict(last.file_problems)
        config_salt = salt(config)
        for path in sorted(p for p in changed if p in last.records):  # the sources edited in place
            old = records[path][0]
            try:
                text = read_text(self.root / path)
            except (OSError, UnicodeDecodeError):
                return None
            source = Source(old.kind, old.path, old.consultation, text)
            key = keys[path] = source_key(source, config_salt)
            parsed = self.parsed.get(key) or parse_source(source, config)
            self.parsed.put(key, parsed)
            records[path] = (source, parsed[0])
            file_problems[path] = tuple(parsed[1])
        relinked, found = link_site([r for r in records.values() if r[0].consultation in touched], config, moment)
        fresh = {c.slug: c for c in relinked.consultations}
        if set(fresh) != touched:
            return None
        for key in keys.values():  # unchanged files keep their cache entries
            self.parsed.get(key)
        site = replace(last.site, now=moment,
                       consultations=order_consultations([fresh.get(c.slug, c) for c in last.site.consultations]))
        mine = tuple(f"{CONSULTATIONS_PREFIX}{slug}/" for slug in touched)
        link_problems = tuple(w for w in last.link_problems if not w.path.startswith(mine)) + tuple(found)
        return _Content(site, frozenset(touched), records, keys, file_problems, link_problems)

    def _render(self, env: jinja2.Environment, todo: list[PageJob], describe: Any, stage: Stage,
                staging: Staging, beside: Beside[Any] | None = None) -> tuple[list[str], dict[str, tuple[str, Trace]]]:
        """Render `todo` into `staging`: the pages rendered, and their (key, trace) for the pages store.
        Every problem but a template's runtime error is known by now: pages go to disk (staged, renamed
        into place only once all rendered) as they come, so they are never all in memory. `beside`:
        this process's work meanwhile (parallel.run_shared)."""
        entries: dict[str, tuple[str, Trace]] = {}
        rendered: list[str] = []
        with stage("Rendering pages", len(todo)) as advance:
            try:
                write = staging.writer()  # into a new or empty folder, each process writes what it renders
                # closing: on an error, the workers stop before the rollback, not when collected.
                with closing(render_pages(env, todo, self._jobs, advance, self.root, describe, write, beside)) as pages:
                    for job, (data, described) in zip(todo, pages):
                        staging.adopt(job.path) if write is not None else staging.add(job.path, data)
                        rendered.append(job.path)
                        if described is not None:
                            entries[job.path] = described
            except ConsultError:
                self.env = None
                raise
        return rendered, entries

    def _index(self, report: WriteReport) -> Indexed | None:
        """The last step: the search index, when the site changed (or has none yet)."""
        if not self.options.search or not (report.written or report.removed or not (self.out / SEARCH_DIR).is_dir()):
            return None
        return index_site(self.out)

    def _companions(self, site: Site, staging: Staging) -> Generator[None, None, dict[str, bytes | None]]:
        """companion_files, in steps (for parallel.Beside): they depend on the site alone. A file that
        comes in chunks (contributions.csv: 5.3 s of CPU at 100,000 contributions) is staged here, a
        chunk a step, while the workers render, rather than by _finish once they are done: None
        stands for its bytes."""
        yield
        files = companion_files(self.root, site, self._open_data_rows, self._rules(site))
        staged: dict[str, bytes | None] = {}
        for name, data in files.items():
            if isinstance(data, bytes):
                staged[name] = data
                continue
            with staging.open(name) as handle:
                for chunk in data:
                    handle.write(chunk)
                    yield
            staged[name] = None
        return staged

    def _companions_apart(self, site: Site) -> _Apart | None:
        """A one-shot parallel build's companion files, made by a child forked now, once the site is
        linked: planning the pages leaves the second core idle (reading and rendering use both), and the
        rendering then has the companions' time less to share (at 10,000 proposals, 0.15 s of CPU: 0.1 s
        of the build's wall). None (this process makes them beside the render workers, `_companions`)
        for a builder that keeps them for its next build (its memos live here), without fork, and for a
        site below APART_FROM or so large that it is read in a child (CHILD_READ_FILES): this child
        shares the heap, and while it lives each page of it that this process and the render workers
        write is copied, its original kept for the child. At 10,000 proposals the child is done before
        the render workers start, and the build's peak memory is the same."""
        if self.options.retain or self._jobs <= 1 or not can_fork():
            return None
        size = sum(len(c.proposals) + len(c.contributions) for c in site.consultations)
        if not APART_FROM <= size < CHILD_READ_FILES:
            return None
        return _Apart(self.root, site)

    def _finish(self, files: dict[str, Data | None], kept: list[str], entries: dict[str, tuple[str, Trace]],
                carried: Iterable[str], staging: Staging) -> WriteReport:
        """Add the files beside the pages (companion files included; None: staged already) to the
        pages staged, write, and remember the pages rendered."""
        for name, data in files.items():
            if data is not None:
                staging.add(name, data)
        for path in carried:  # pages of unchanged consultations: their cache entries stay
            self.pages.get(path)
            kept.append(path)
        produced = frozenset(staging.names) | frozenset(kept)
        self.token = None  # until the commit is done, the folder is not as this builder knows it
        token = _write_stamp(self.stamp)
        # Looking for stale files walks the whole output folder: only when the set of files changed.
        report = staging.commit(keep=kept, prune=produced != self.produced, reserved=self._reserved)
        self.produced, self.token = produced, token
        for path, (key, trace) in entries.items():
            info = os.stat(self.out / path)
            self.pages.put(path, PageEntry(key, trace, info.st_size, info.st_mtime_ns))
        to_disk = self.options.save_every_build or self.builds == 1
        self.parsed.save(to_disk=to_disk)
        self.pages.save(to_disk=to_disk)
        return report

    def _forget_output(self) -> None:
        """Another build wrote into the output folder since this builder's last one (`consult build`
        while `consult serve` runs): start again as a new builder would, from the caches on disk,
        looking for stale files in the whole folder. (Its pages may be any the other build rendered:
        an in-memory `produced` set would leave a page it added and this build no longer makes.)"""
        self.produced, self.last, self.token = frozenset(), None, None
        self.pages.reload()

    def _open_data_rows(self, consultation: Consultation, base_url: str) -> Rows:
        """A consultation's open data rows; the last ones again when it did not change. A one-shot build
        keeps none: its contributions' lines are then made as they are written, never all at once."""
        if not self.options.retain:
            return consultation_rows(consultation, base_url)
        return _reuse(self.open_data_rows, consultation, base_url, partial(_kept_rows, consultation, base_url))

    def _rules(self, site: Site) -> bytes:
        """consult-rules.json; the last one again when what it shows did not change (it lists every proposal)."""
        by_slug = {c.slug: _reuse(self.consultation_rules, c, None, partial(consultation_rule, c))
                   for c in site.consultations}
        rules = [by_slug[slug] for slug in sorted(by_slug)]
        shown = (site.config, chrome_for(site), rules)
        if self.last_rules is None or self.last_rules[0] != shown:
            self.last_rules = (shown, render_rules(site, shown[1], rules).encode("utf-8"))
        return self.last_rules[1]

    def _unchanged(self, last: Manifest) -> tuple[Built, WriteReport] | None:
        """The last build's result, its inputs being the same (the caller checked), when its output
        folder is exactly as it left it."""
        if stat_files([self.out], self.out) != last.outputs:
            return None
        warnings = only_warnings(list(last.warnings), self.options.strict)
        return Built(None, (), tuple(sorted(last.outputs)), warnings), WriteReport(unchanged=len(last.outputs))

    def _environment(self, config: Config,
                     changed: set[str] | None) -> Generator[None, None, tuple[Traceable, list[SourceError]]]:
        """The jinja2 Environment, kept across builds until a template, the theme or the language changes;
        made a template at a time, a step each (for parallel.Beside)."""
        if self._env_kept(config, changed):
            return self.env, []  # type: ignore[return-value]
        env = self._new_environment(config, self._compiled_folder(config))
        problems: list[SourceError] = []
        for found in template_checks(env, self.root):
            problems += found
            yield
        problems += check_links(self.root, config.theme)
        self._keep_env(env, problems, config)
        return env, problems

    def _env_kept(self, config: Config, changed: set[str] | None) -> bool:
        """The last build's Environment serves again: same theme, language and time zone, no template edited."""
        touched = changed is None or any(p.split("/", 1)[0] in ("templates", "themes") for p in changed)
        return self.env is not None and _env_key(config) == self.env_key and not touched

    def _keep_env(self, env: jinja2.Environment, problems: list[SourceError], config: Config) -> None:
        self.env, self.env_key = (None, ()) if problems else (env, _env_key(config))

    def _compiled_folder(self, config: Config) -> Path | None:
        """Where templates compiled by an earlier build are kept: the build cache's, when there is one;
        else, for the built-in themes' templates, the user's (theme.shared_compiled_folder)."""
        if self.pages.folder is not None:
            return cache_folder(self.root) / "templates"
        return shared_compiled_folder(self.root, config.theme)

    def _new_environment(self, config: Config, compiled: Path | None) -> Traceable:
        return make_environment(self.root, config.theme, config.language, config.timezone, auto_reload=False,
                                compiled=compiled)

    def _templates(self, config: Config, changed: set[str] | None) -> _Templates:
        """The site's Environment, its templates compiled and checked while the content is read.

        A build that parses with worker processes has both cores busy while it parses, and one idle while
        this process links the site and plans its pages (a serial ~0.8 s at 10,000 proposals). There, the
        templates are compiled and checked by a child started once the parsing is done
        (`_Templates.start`), into a bytecode folder (the build cache's, or one of the build's own) from
        which this process's Environment loads them: compiling, ~0.45 s of CPU, leaves the parsing for
        the idle core. Elsewhere (one process, no fork, an Environment kept from the last build) this
        process compiles them a template at a time between its own ranges of parsing (`beside`)."""
        if self._jobs <= 1 or not can_fork() or self._env_kept(config, changed):
            return _Templates(Beside(self._environment(config, changed)))
        return _Templates(None, self, config)

    def _sources(self, changed: set[str] | None, known: Collection[str] = ()) -> tuple[list[Source], list[SourceError]]:
        """All content sources; when only known files were modified, only those are read again. Those
        `known` unchanged since the last build are listed unread (their cache keys are known)."""
        content = [p for p in changed or () if p.startswith(CONTENT_DIR + "/")]
        if self.sources is not None and changed is not None and not content:
            return self.sources
        if self.sources is not None and changed is not None:
            sources, problems = self.sources
            index = {s.path: i for i, s in enumerate(sources)}
            if all(p in index and _plain_file(self.root / p) for p in content) and not problems:
                updated = list(sources)
                for path in content:
                    old = updated[index[path]]
                    try:
                        text = read_text(self.root / path)
                    except (OSError, UnicodeDecodeError):
                        break
                    updated[index[path]] = Source(old.kind, old.path, old.consultation, text)
                else:
                    self.sources = (updated, [])
                    return self.sources
        # Unread when nothing keeps the texts (no cache keys, no next build): each is read where it is parsed.
        self.sources = find_sources(self.root, read=self._remember, unread=known)
        return self.sources

    def _edited(self, previous: Manifest, last: Inputs, changed: set[str], inputs: Stats) -> tuple[frozenset[str], Stats] | None:
        """The consultations whose files alone were edited in place since the last build (`changed`:
        Inputs.changed), when the output folder is as that build left it (consult.changes, as for a
        watcher's edits: a file added or removed, site.yaml, a template, a content page... ask for
        everything), and the output folder's files. The pages of the other consultations are then that
        build's, byte for byte: a one-edit build plans, keys and renders those of one consultation.
        None: plan every page."""
        if self.options.retain:  # serve knows its edits (Builder.build(changed))
            return None
        scope = classify(changed, last.keys.keys(), inputs.keys(), {})
        if scope.everything:
            return None
        outputs = stat_files([self.out], self.out)
        return (scope.consultations, outputs) if outputs == previous.outputs else None

    def _outputs(self, before: Stats | None, report: WriteReport, indexed: Indexed | None) -> Stats:
        """The output folder's files for the manifest. Known `before` the build (Builder._edited), they are
        those with this build's removals and writes (and the search index, when it was written again):
        only the files written are looked at. Otherwise the whole folder is walked."""
        if before is None:
            return stat_files([self.out], self.out)
        gone = set(report.removed)
        outputs = {name: info for name, info in before.items()
                   if name not in gone and not (indexed is not None and under(name, (SEARCH_DIR,)))}
        written = [self.out / name for name in report.written] + ([self.out / SEARCH_DIR] if indexed is not None else [])
        return outputs | stat_files(written, self.out)

    @property
    def _reserved(self) -> tuple[str, ...]:
        """The output's top folders a later step writes, which the pages' build leaves alone."""
        return (SEARCH_DIR,) if self.options.search else ()

    def _scope(self, changed: set[str], last: _Last) -> Scope:
        """What `changed` asks to build again (consult.changes), from what the disk holds now."""
        present = {p for p in changed if not p.endswith("/") and _plain_file(self.root / p)}
        listings = {}
        for folder in (p for p in changed if p.endswith("/")):
            try:
                listings[folder] = os.listdir(self.root / folder)
            except OSError:  # gone: left out
                pass
        return classify(changed, last.records.keys(), present, listings)

    def _stale(self, jobs: list[PageJob], fingerprints: Fingerprints, site: Site) -> tuple[list[PageJob], dict[str, str], list[str]]:
        """The pages to render again; the others are already in the output folder, byte for byte. The
        keys of the pages the last build rendered (a page never rendered gets its key where it renders).
        Keying every page is most of a one-edit build of a large site (a context pickled, a proposal's
        content key worked out): in the render workers' processes too, from KEYING_THRESHOLD pages."""
        entries = [self.pages.get(job.path) for job in jobs]  # here: the store keeps each entry asked for
        known = [i for i, entry in enumerate(entries) if isinstance(entry, PageEntry)]
        out = str(self.out)

        def judge(start: int, stop: int) -> list[tuple[str, bool]]:
            verdicts = []
            for i in known[start:stop]:
                job, entry = jobs[i], entries[i]
                key = fingerprints.key(job)
                verdicts.append((key, entry.key == key and _on_disk(os.path.join(out, job.path), entry)
                                 and fingerprints.still_valid(entry.trace, site)))
            return verdicts

        fresh = [False] * len(jobs)
        keys: dict[str, str] = {}
        # Keying makes the deferred contexts (pages.PageJob.make) of the pages it keys, which live as
        # long as the build, as planning's do: made without the collector (here, and in the workers
        # forked meanwhile), whose full collections would walk every context made so far, and frozen.
        with collector_off(freeze=True), closing(run_shared(judge, len(known), self._jobs, KEYING_THRESHOLD)) as judged:
            positions = iter(known)
            for _, part in judged:
                for (key, same), i in zip(part, positions):
                    keys[jobs[i].path], fresh[i] = key, same
        todo = [job for job, same in zip(jobs, fresh) if not same]
        kept = [job.path for job, same in zip(jobs, fresh) if same]
        return todo, keys, kept


T = TypeVar("T")
# A value made of a consultation (and of what else it was made with), with that consultation.
Memo = tuple[Consultation, Any, T]


def _reuse(memo: dict[str, Memo[T]], consultation: Consultation, extra: Any, make: Callable[[], T]) -> T:
    """make(), or the value `memo` holds for a consultation of the same content (Consultation.full_key:
    worked out only when a later build asks, so a one-shot build never does) made with an equal
    `extra`. The memo then holds the consultation of the day (an equal one read again from disk lets
    the old one go)."""
    last = memo.get(consultation.slug)
    hit = last is not None and last[1] == extra and last[0].full_key == consultation.full_key
    value = last[2] if hit and last is not None else make()
    memo[consultation.slug] = (consultation, extra, value)
    return value


def _kept_rows(consultation: Consultation, base_url: str) -> Rows:
    """consultation_rows, its contributions' lines made now (in chunks), to be written by every next build."""
    proposals, contributions = consultation_rows(consultation, base_url)
    return proposals, tuple(contributions)


def _window(site: Site, moment: datetime) -> tuple[datetime | None, datetime | None]:
    """The moments around `moment` at which every consultation keeps its status and every
    proposal shows the same history and response (an embargo lifts at the start of its day)."""
    bounds = {c.opens for c in site.consultations} | {c.closes for c in site.consultations}
    bounds |= {day for c in site.consultations for day in _answer_days(c, site.config.tz)}
    return (max((b for b in bounds if b <= moment), default=None), min((b for b in bounds if b > moment), default=None))


def _answer_days(consultation: Consultation, tz: Any) -> set[datetime]:
    """The starts of the days on which a proposal of `consultation` shows, or showed, a history
    entry or a response (`content.load.visible`): the pages change at those moments."""
    days = {h.date for p in consultation.proposals for h in p.history}
    days |= {p.response_date for p in consultation.proposals if p.response_date is not None}
    days |= {day for p in consultation.proposals for _, day in p.embargoed}
    return {datetime.combine(day, datetime.min.time(), tzinfo=tz) for day in days}


@contextmanager
def _staged(out: Path) -> Iterator[Staging]:
    """A staging of the output folder, rolled back when anything fails before its commit."""
    staging = Staging(out)
    try:
        yield staging
    except BaseException:
        staging.rollback()
        raise


def _carried(last: Iterable[str], jobs: list[PageJob], touched: Collection[str]) -> list[str]:
    """The last build's pages (or output files) that this partial build neither planned nor dropped:
    those of the consultations it did not touch."""
    planned = {job.path for job in jobs}
    pages_of_touched = tuple(consultation_url(slug).lstrip("/") for slug in touched)
    every = CONSULTATIONS_DIR + "/"
    return [path for path in last if path not in planned and path.startswith(every) and not path.startswith(pages_of_touched)]


def _feedless(jobs: list[PageJob]) -> frozenset[str]:
    return frozenset(job.path.split("/")[1] for job in jobs
                     if job.template == "feed.xml" and not job.context.get("entries") and job.path.count("/") == 2)


def _shows_moment(jobs: list[PageJob]) -> bool:
    """Does a page show the build's moment itself? An empty feed's <updated> does."""
    return any(job.template == "feed.xml" and not job.context.get("entries") for job in jobs)


def _plain_file(path: Path) -> bool:
    """A file, not a symlink: a watcher's rebuild reads it again in place; a symlink is listed again
    by find_sources, which refuses one that leads out of the site."""
    return path.is_file() and not path.is_symlink()


def _write_stamp(path: Path) -> bytes:
    """A new token in `path`. On a full disk the build goes on without one: the file is removed and the
    empty token returned, which the next build never finds there (so it forgets the folder)."""
    token = os.urandom(16)
    try:
        write_file(path, token)
    except OSError:
        path.unlink(missing_ok=True)
        return b""
    return token


def _read_stamp(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # missing (deleted with .consult/) or unreadable: not this builder's
        return None


def _on_disk(path: str | Path, entry: PageEntry) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    return info.st_size == entry.size and info.st_mtime_ns == entry.mtime_ns


def _describer(fingerprints: Fingerprints, site: Site,
               keys: dict[str, str]) -> Callable[[PageJob, set[str], set[tuple[str, str]]], tuple[str, Trace]]:
    """What the pages store keeps of a rendered page, worked out in the process that rendered it:
    its key (already known if the last build had the page) and the trace of what it read."""
    def describe(job: PageJob, templates: set[str], reads: set[tuple[str, str]]) -> tuple[str, Trace]:
        return keys.get(job.path) or fingerprints.key(job), _trace(fingerprints, site, templates, reads)

    return describe


def _trace(fingerprints: Fingerprints, site: Site, templates: set[str], reads: set[tuple[str, str]]) -> Trace:
    by_slug = {c.slug: c for c in site.consultations} if reads else {}
    return Trace(
        templates=tuple(sorted((name, fingerprints.template(name)) for name in templates)),
        collections=tuple(sorted((slug, attr, by_slug[slug].collection_key(attr)) for slug, attr in reads)),
    )

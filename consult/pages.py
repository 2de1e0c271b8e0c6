"""`render_site`, one page at a time: plan the pages, skip those whose inputs did not change.

`plan_pages` runs `render.render_site` against a recording environment, so the
list of pages, their templates and their contexts are exactly render_site's.
Each page is keyed by a content hash of its context (a model object in it by its own
content key, model.Keyed: never by identity); a rendered page also keeps
the trace of what it read beyond that key (the templates its template may load,
whether it read a consultation's proposals or contributions). A page whose key and trace
still match is not rendered again (Salsa/Shake-style verifying traces).
"""

from __future__ import annotations

import copyreg
import pickle
import traceback
from collections.abc import Callable, Collection, Generator, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from consult import render
from consult.cache import digest
from consult.errors import ConsultError, SourceError, french, say
from consult.model import Consultation, Contribution, Proposal, Site
from consult.parallel import Beside, run_shared
from consult.sandbox import EVERY_TEMPLATE, Traceable, reading

# The collections of a consultation a page may or may not read; everything else is in its key.
COLLECTIONS = Consultation.collections
_PLACEHOLDER = b"@@consult-page-"  # + the job's number + b"@@": what a recorded render returns


@dataclass(frozen=True)
class PageJob:
    """A page to render: its path, its template, and the context it renders with, `given` or made by
    `make` the first time it is asked for. render_site defers a proposal page's context (its forms,
    comments, labels: most of planning) so that it is made in the process that renders the page,
    not all of them in this one before the render workers start."""

    path: str
    template: str
    given: dict[str, Any] | None = None
    make: Callable[[], dict[str, Any]] | None = None
    # Pages of one key that follow each other render in one process (render_site's `together`).
    together: str | None = None

    @cached_property
    def context(self) -> dict[str, Any]:
        if self.given is not None:
            return self.given
        assert self.make is not None, "a page job has a context or a way to make it"
        return self.make()


@dataclass(frozen=True)
class Trace:
    """What a render read outside its key: the templates it may load (name -> digest; see
    Traceable.dependencies), the consultation collections it read."""

    templates: tuple[tuple[str, str], ...]
    collections: tuple[tuple[str, str, str], ...]  # (consultation slug, attribute, digest)


# A recorded render: the template's name, its context or what makes it (_RecordingEnvironment.defer),
# and the key of the pages it renders together with (_RecordingEnvironment.together).
_Recorded = tuple[str, "dict[str, Any] | Callable[[], dict[str, Any]]", "str | None"]


class _Recorder:
    def __init__(self, name: str, recording: _RecordingEnvironment):
        self.name, self.recording = name, recording

    def render(self, *args: Any, **context: Any) -> str:
        # `context` is a new dict of this call's own: kept as it is when it is the whole context.
        return self.recording.record(self.name, dict(*args, **context) if args else context)


class _RecordingEnvironment:
    """Stands for the Environment in render_site: records each template render instead of running it."""

    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.jobs: list[_Recorded] = []
        self.recorders: dict[str, _Recorder] = {}
        self.key: str | None = None

    def get_template(self, name: str, *args: Any, **kwargs: Any) -> _Recorder:
        recorder = self.recorders.get(name)
        if recorder is None:
            recorder = self.recorders[name] = _Recorder(name, self)
        return recorder

    def defer(self, name: str, make: Callable[[], dict[str, Any]]) -> str:
        """What render_site's deferred pages ask of a planning environment: template `name` rendered
        with the context make() returns, recorded with `make` itself (PageJob.make)."""
        return self.record(name, make)

    def record(self, name: str, context: dict[str, Any] | Callable[[], dict[str, Any]]) -> str:
        self.jobs.append((name, context, self.key))
        return f"{_PLACEHOLDER.decode()}{len(self.jobs) - 1}@@"

    @contextmanager
    def together(self, key: str) -> Iterator[None]:
        """The pages recorded inside render in one process, one after the other where their paths
        follow each other (render_pages): a consultation's list pages and their data show the same
        cards, which memo() renders once in each process that shows them."""
        self.key = key
        try:
            yield
        finally:
            self.key = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)


def plan_pages(site: Site, env: jinja2.Environment, only: Collection[str] | None = None) -> tuple[list[PageJob], dict[str, bytes]]:
    """render_site's pages as jobs (with `only`, see render_site), and the files it produced without
    a template (robots.txt)."""
    recording = _RecordingEnvironment(env)
    out = render.render_site(site, recording, only)  # type: ignore[arg-type]
    jobs, literal = [], {}
    for path, data in out.items():
        if not (data.startswith(_PLACEHOLDER) and data.endswith(b"@@")):
            literal[path] = data
            continue
        name, context, key = recording.jobs[int(data[len(_PLACEHOLDER):-2])]
        jobs.append(PageJob(path, name, context, together=key) if isinstance(context, dict)
                    else PageJob(path, name, make=context, together=key))
    return jobs, literal


class Fingerprints:
    """Page keys for one build: a digest of each page's context, in which every model object stands
    for its own content key (model.Keyed, carried by the object from build to build), and of the
    templates, each computed once.

    A context's values are digested one by one (a str, number or None spelled out), and any other
    value once per build: many pages share one (the site's chrome on every page, a list's facets on each of
    its pages), and pickling it again for each page was most of the keying of a one-edit build. The
    memo holds each value it digested, so an id it knows is that very object: a planned context is
    never changed (pages are planned, then keyed, then rendered)."""

    def __init__(self, env: jinja2.Environment, salt: str):
        self.env, self.salt = env, salt
        self.templates: dict[str, str] = {}
        self.values: dict[int, tuple[Any, str]] = {}

    def key(self, job: PageJob) -> str:
        parts = [self.salt, job.path, job.template]
        for name, value in job.context.items():
            kind = type(value)
            parts += (name, "s" + value if kind is str else "r" + repr(value) if kind in _PLAIN else "d" + self._value(value))
        return digest(*parts)

    def _value(self, value: Any) -> str:
        known = self.values.get(id(value))
        if known is None or known[0] is not value:
            known = self.values[id(value)] = (value, self._digest(value))
        return known[1]

    def template(self, name: str) -> str:
        """A digest of template `name`'s source; of every template's, for EVERY_TEMPLATE."""
        found = self.templates.get(name)
        if found is None and name == EVERY_TEMPLATE:
            found = self.templates[name] = digest(*(f"{other}\0{self.template(other)}"
                                                    for other in sorted(self.env.list_templates())))
        elif found is None:
            try:
                source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
                found = digest(filename or "", source)
            except jinja2.TemplateNotFound:
                found = "missing"
            self.templates[name] = found
        return found

    def still_valid(self, trace: Trace, site: Site) -> bool:
        if any(self.template(name) != value for name, value in trace.templates):
            return False
        by_slug = {c.slug: c for c in site.consultations} if trace.collections else {}
        for slug, attribute, value in trace.collections:
            if slug not in by_slug or by_slug[slug].collection_key(attribute) != value:
                return False
        return True

    @staticmethod
    def _digest(value: Any) -> str:
        buffer = BytesIO()
        _Pickler(buffer).dump(value)
        return digest(buffer.getvalue())


# Context values a page key spells out (their repr is exact), never digested nor kept in the memo.
_PLAIN = frozenset({str, int, float, bool, type(None)})


class _Pickler(pickle.Pickler):
    """Pickles a context value with model objects replaced by their content keys (model.Keyed);
    without pickle's memo, which tells apart two equal values as one object twice or as two objects.

    The replacement is a dispatch table entry, consulted for those three classes only: a
    `persistent_id` method would be a Python call for every object pickled (a third of the keying)."""

    dispatch_table = {**copyreg.dispatch_table,
                      **{kind: (lambda obj: (_key_of, (type(obj).__name__, obj.key))) for kind in (Consultation, Proposal, Contribution)}}

    def __init__(self, buffer: BytesIO):
        super().__init__(buffer, protocol=5)
        self.fast = True  # contexts hold no cycle


def _key_of(kind: str, key: str) -> tuple[str, str]:
    """What a model object stands for in a page key (never called: a page key is never unpickled)."""
    return kind, key


# -- rendering, with the trace of what was read ---------------------------------------------

# What a consultation derives from a collection: reading it reads the collection.
DERIVED = Consultation.derived


class PageReads:
    """The consultation collections one page's render read (a sandbox.Reader: the environment
    tells it of every read of a Consultation's attribute or item while it is the READER)."""

    kinds: frozenset[type] = frozenset({Consultation})

    def __init__(self) -> None:
        self.collections: set[tuple[str, str]] = set()

    def read(self, consultation: Consultation, name: Any) -> None:
        name = DERIVED.get(name, name)
        if name in COLLECTIONS:
            self.collections.add((consultation.slug, name))


def template_problem(exc: jinja2.TemplateError, root: Path) -> SourceError:
    """A runtime template error (undefined variable, ...) at the template line that raised it."""
    detail = str(exc)  # Jinja's own words are English; consult's (theme.UnknownString) know their French
    said = exc.message if isinstance(exc.message, str) and exc.message == detail else detail
    message = say(f"template error: {detail}", f"erreur dans le gabarit : {french(said)}")
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            path = Path(frame.filename)
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
            return SourceError(shown, frame.lineno or 1, 1, message)
    return SourceError("templates", 0, 0, message)


def render_page(env: Traceable, job: PageJob, traced: bool = True) -> tuple[bytes, set[str], set[tuple[str, str]]]:
    """One page's bytes, as render_site makes them, with what it depends on beyond its context:
    the templates its template may load (Traceable.dependencies) and the consultation collections
    it read (recorded for this render alone). Not `traced`: two empty sets."""
    reads = PageReads()
    with reading(reads) if traced else nullcontext():
        html = env.get_template(job.template).render(**job.context)
    templates = set(env.dependencies(job.template)) if traced else set()
    return html.encode("utf-8"), templates, reads.collections


T = TypeVar("T")
# What a page read beyond its context: the templates it loaded, the consultation collections it read.
Describe = Callable[[PageJob, set[str], set[tuple[str, str]]], T]
# Below this many pages to render, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 300


def render_pages(env: jinja2.Environment, jobs: list[PageJob], workers: int = 1,
                 progress: Callable[[int], None] | None = None, root: Path = Path("."),
                 describe: Describe[T] | None = None, write: Callable[[str, bytes], None] | None = None,
                 beside: Beside[Any] | None = None) -> Generator[tuple[bytes, T | None], None, None]:
    """Render the jobs in order, in `workers` processes (see parallel.run_shared): (bytes, description).
    A template error raises ConsultError with the template's path:line.

    With `describe`, what each page depends on is recorded (render_page, traced) and describe(job,
    templates, reads) runs in the process that rendered the page, its result coming back with it
    (the build's page key and trace: a cold build's worth of hashing runs in parallel). With `write`, that process also writes the page, write(path,
    bytes), and b"" comes back: the pages need not travel, nor this process write them all. `beside`:
    this process's own work, done while the workers render (parallel.run_shared)."""
    assert isinstance(env, Traceable), "pages are rendered with theme.make_environment's Environment"

    def render_range(start: int, stop: int) -> list[tuple[bytes, T | None]] | SourceError:
        done: list[tuple[bytes, T | None]] = []
        try:
            for i in range(start, stop):
                data, templates, reads = render_page(env, jobs[i], describe is not None)
                if write is not None:
                    write(jobs[i].path, data)
                    data = b""
                done.append((data, describe(jobs[i], templates, reads) if describe is not None else None))
        except jinja2.TemplateError as exc:  # in a worker the traceback stays there: send back the position
            return template_problem(exc, root)
        return done

    with closing(run_shared(render_range, len(jobs), workers, PARALLEL_THRESHOLD, progress, beside=beside,
                            together=[job.together for job in jobs])) as ranges:
        for _, results in ranges:
            if isinstance(results, SourceError):
                raise ConsultError([results])  # the workers are stopped (closing) before this leaves
            yield from results

"""Ordered template folders -> one jinja2 Environment, and the theme's static files.

Lookup order: the site's `templates/`, then the chosen theme (the site's
`themes/<name>/` or a built-in one), then the built-in default theme, so a site
overrides any single template. Autoescape is on for every template, whatever
its extension; undefined variables are errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache, partial
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape

from consult import __version__, colors, i18n
from consult.atomic import write_file
from consult.cache import digest, value_digest
from consult.config import ThemeOptions
from consult.content.load import OUTSIDE, leads_outside
from consult.errors import ConsultError, SourceError, did_you_mean, french, say
from consult.formview import PROPOSAL_PLACEHOLDER
from consult.model import Config, ProposalStatus
from consult.sandbox import BuiltinEnvironment, SiteEnvironment, TemplateFacts, Traceable

DEFAULT_THEME = "default"
DEFAULT_PREFIX = "@default"  # the built-in default theme's templates, by their own names


def builtin_themes_dir() -> Path:
    """The installed `consult.themes` package folder (the repo's `themes/`)."""
    with as_file(files("consult.themes")) as path:
        return Path(path)


def theme_dirs(root: Path, theme: str) -> list[Path]:
    """Theme folders, most specific first: the site's own copy, built-in, built-in default."""
    builtin = builtin_themes_dir()
    candidates = [root / "themes" / theme, builtin / theme, builtin / DEFAULT_THEME]
    found: list[Path] = []
    for candidate in candidates:
        if candidate.is_dir() and candidate.resolve() not in [f.resolve() for f in found]:
            found.append(candidate)
    if not (root / "themes" / theme).is_dir() and not (builtin / theme).is_dir():
        known = sorted(p.name for p in builtin.iterdir() if (p / "templates").is_dir())
        raise ConsultError([SourceError("site.yaml", 0, 0, say(f"unknown theme {theme!r}", f"thème inconnu « {theme} »"),
                                        say(f"built-in themes: {', '.join(known)}",
                                            f"thèmes fournis : {', '.join(known)}"))])
    return found


def make_environment(
    root: Path, theme: str = DEFAULT_THEME, language: str = Config.language, timezone: str = Config.timezone,
    auto_reload: bool = True, compiled: Path | None = None,
) -> Traceable:
    """The one Environment for a site: site templates > theme > built-in default; Jinja's sandbox
    as soon as the site brings templates of its own (see consult.sandbox). A build passes
    `auto_reload=False`: it makes a new Environment when a template changes, and Jinja would
    otherwise stat every template (and every import) each time a page renders. With `compiled`
    (a folder of the build cache), templates compiled by an earlier build are read from there
    when their source and everything their code depends on is the same (CompiledTemplates)."""
    search = [root / "templates"] + [d / "templates" for d in theme_dirs(root, theme)]
    kind = SiteEnvironment if has_own_templates(root, theme) else BuiltinEnvironment
    cache = CompiledTemplates(compiled, digest(kind.__qualname__, kind.code_generator_class.__qualname__, language, timezone)) if compiled else None
    # '@default/base.html' is always the built-in default theme's page, whatever overrides it:
    # another theme's base.html extends it and replaces only its blocks (themes/dsfr/).
    default = jinja2.FileSystemLoader(str(builtin_themes_dir() / DEFAULT_THEME / "templates"))
    env = kind(
        loader=jinja2.ChoiceLoader([LayeredLoader([str(p) for p in search]),
                                    jinja2.PrefixLoader({DEFAULT_PREFIX: default})]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=auto_reload,
        bytecode_cache=cache,
        # Every template kept, in a plain dict: a page loads four or five (its own, the one it
        # extends, its imports), which Jinja's LRU cache (the default) reorders under a lock each time.
        cache_size=-1,
    )
    tz = ZoneInfo(timezone)
    translate = translator(language)
    memo = memo_macro()
    env.globals.update(
        t=translate,
        language=language,
        memo=memo,
        with_cards=partial(with_cards, memo),
        by_proposal=proposal_copies(),
        chrome_mark=chrome_mark,
    )
    env.filters.update(
        # `'key'|t` is the fast form of `t('key')`: Jinja folds a filter on constants at compile
        # time, so a translation without parameters costs nothing when a page renders.
        t=translate,
        # A date reads the same on every page that shows it (a status history's steps, a consultation's
        # dates): each of the last 4096 distinct ones is formatted once. Equal values read alike: two
        # aware times are equal only at one instant, which both show in `tz` (a date never equals a
        # datetime; `typed` keeps any other two types apart too).
        format_date=lru_cache(maxsize=4096, typed=True)(partial(_format_date, language=language, tz=tz)),
        format_datetime=lru_cache(maxsize=4096, typed=True)(partial(i18n.format_datetime, language=language, tz=tz)),
        iso_date=partial(_iso_date, tz=tz),
        status_label=partial(status_label, language=language),
    )
    env.filters["tojson"] = json_filter(env)
    return env


def json_filter(env: jinja2.Environment) -> Callable[..., Markup]:
    """The `tojson` filter: Jinja's own (json.dumps with the Environment's `json.dumps_kwargs`, made safe
    for HTML by htmlsafe_json_dumps's four replacements), with the encoder made once rather than on
    each call: proposals.json serialises each proposal's card so, about a tenth of a cold build's
    rendering went to making encoders. An Environment whose json policies are not Jinja's defaults
    (read here, as Jinja's filter reads them on each call: consult sets none) keeps Jinja's filter."""
    kwargs = env.policies["json.dumps_kwargs"]
    if env.policies["json.dumps_function"] is not None or kwargs != {"sort_keys": True}:
        return jinja2.filters.do_tojson
    encode = json.JSONEncoder(**kwargs).encode

    @jinja2.pass_eval_context
    def tojson(eval_ctx: jinja2.nodes.EvalContext, value: Any, indent: int | None = None) -> Markup:
        if indent is not None:
            return jinja2.filters.do_tojson(eval_ctx, value, indent)
        return Markup(encode(value).replace("<", "\\u003c").replace(">", "\\u003e")
                      .replace("&", "\\u0026").replace("'", "\\u0027"))

    return tojson


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache in `folder`: a template's compiled code is used again when its source
    is the same (Jinja compares a checksum of it) and so is everything else the code depends on,
    which `salt` and the key hold: the Environment's class (the sandbox compiles differently), the
    language and time zone, the UI strings (`'key'|t` is folded into the code), consult's and
    Jinja's versions. A template that does not compile is never stored: its error comes back on
    every build. A damaged file is a miss; one that cannot be written (a full disk) is only
    compiled again next time: the build goes on, and says so when it saves its own cache."""

    def __init__(self, folder: Path, salt: str):
        super().__init__(str(folder), "%s.jinja")
        self.folder = folder
        self.salt = digest(salt, __version__, jinja2.__version__, value_digest(i18n.STRINGS))

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return digest(self.salt, name, filename or "")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001  (a truncated or foreign file): compile again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if isinstance(bucket, _NamedBucket):  # its facts first: compiled code without them is a miss
                facts = getattr(bucket.environment, "template_facts", {}).get(bucket.name)
                if facts is None:
                    return
                write_file(self._facts_path(bucket), f"{bucket.checksum}\n{facts.to_json()}".encode())
            super().dump_bytecode(bucket)
        except OSError:  # not kept: the template is compiled again next time (Jinja removed its temp file)
            pass

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        """BytecodeCache.get_bucket's bucket, which knows its template's name; with the template's
        facts (sandbox.TemplateFacts) kept beside its code, so that a template loaded from here need
        not be parsed again for them (a third of compiling it). Code whose facts are missing, or
        were kept for another source, is compiled again."""
        bucket = _NamedBucket(environment, self.get_cache_key(name, filename), self.get_source_checksum(source), name)
        self.load_bytecode(bucket)
        if bucket.code is not None and isinstance(environment, Traceable):
            try:
                checksum, _, text = self._facts_path(bucket).read_text("utf-8").partition("\n")
                if checksum != bucket.checksum:
                    raise ValueError("facts of another source")
                environment.know(name, TemplateFacts.from_json(text))
            except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError):
                bucket.reset()
        return bucket

    def _facts_path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.facts"


def shared_compiled_folder(root: Path, theme: str = DEFAULT_THEME) -> Path | None:
    """Where a build without a cache of its own keeps the built-in themes' compiled templates, as
    Python keeps a module's code in __pycache__: the user's cache folder ($XDG_CACHE_HOME, else
    ~/.cache), consult/templates. A site with templates of its own has none (they are the site's
    to keep: its build cache), nor has a user without a home folder."""
    if has_own_templates(root, theme):
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(base if base and os.path.isabs(base) else Path.home() / ".cache") / "consult" / "templates"
    except RuntimeError:  # no home folder to be found
        return None


class _NamedBucket(jinja2.bccache.Bucket):
    def __init__(self, environment: jinja2.Environment, key: str, checksum: str, name: str):
        super().__init__(environment, key, checksum)
        self.name = name


LAYER_MARKER = "{#- consult: layer -#}"


class LayeredLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader where a template may be a layer over the next one of the same name.

    A template whose text starts with LAYER_MARKER is read as the next template of that name
    further down the search path (a theme's layer over the default theme's file), followed by its
    own text. For a file of macros (partials/forms.html), the layer redefines only the macros it
    must and inherits every other, including those added to the lower file later; Jinja resolves
    a macro's calls to other macros when it runs, so the lower file's macros call the redefined
    ones. Line numbers in a layer's errors are counted from the start of the lower file's text."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if not source.startswith(LAYER_MARKER):
            return source, filename, uptodate
        below = self.searchpath[self._index_of(filename) + 1:]
        if not below:
            raise jinja2.TemplateNotFound(template, say(f"{filename} is a layer over a template of the same name, "
                                                        "and no folder comes after it",
                                                        f"{filename} est une couche sur un gabarit du même nom, "
                                                        "mais aucun dossier ne vient après lui"))
        lower, _, lower_uptodate = LayeredLoader(below, encoding=self.encoding).get_source(environment, template)

        def fresh() -> bool:
            return uptodate() and lower_uptodate()

        return lower + source[len(LAYER_MARKER):], filename, fresh

    def _index_of(self, filename: str) -> int:
        """The search path entry that holds `filename`."""
        found = Path(filename).resolve()
        for index, folder in enumerate(self.searchpath):
            if found.is_relative_to(Path(folder).resolve()):
                return index
        return len(self.searchpath)


class UnknownString(jinja2.TemplateRuntimeError):
    """A template asked for a UI string the tables do not have (a typo in a key)."""


def _unknown_string(key: str) -> str:
    """The problem with a key the UI tables do not have: check_ui_strings' and a render's words."""
    return say(f"unknown UI string {key!r}", f"libellé d'interface inconnu « {key} »")


def _translate(language: str, key: str, **params: object) -> str:
    """i18n.translate for templates: an unknown key is a template error, so a build reports it at
    the template's line (check_templates finds the literal keys before any page renders)."""
    try:
        return i18n.translate(language, key, **params)
    except KeyError:
        message, hint = _unknown_string(key), _key_hint(language, key)
        raise UnknownString(say(f"{message} ({hint})", f"{french(message)} ({french(hint)})") if hint else message) from None


def translator(language: str, size: int = 4096) -> Callable[..., str]:
    """The `t` filter and global: _translate in `language`, remembering the last `size` distinct calls
    with parameters (`'proposal.back'|t(title=c.title)` is the same on each page of a consultation; a
    call without any is folded when the template compiles). `typed`: a count of 1 and of True, equal
    as keys, are told apart (they read '1' and 'True'). A parameter that cannot be hashed is not kept.
    One per Environment: a new one reads the UI tables afresh."""
    return partial(_remembered, lru_cache(maxsize=size, typed=True)(partial(_translate, language)), language)


def _remembered(known: Callable[..., str], language: str, key: str, **params: object) -> str:
    try:
        return known(key, **params)
    except TypeError:  # unhashable parameters (or a failing format, which fails again here)
        return _translate(language, key, **params)


def _key_hint(language: str, key: str) -> str:
    return did_you_mean(key, i18n.STRINGS.get(language) or i18n.STRINGS[i18n.DEFAULT_LANGUAGE])


def has_own_templates(root: Path, theme: str = DEFAULT_THEME) -> bool:
    """Does the site bring templates of its own (its `templates/`, its `themes/<theme>/templates/`),
    which are rendered in the sandbox? The built-in themes are consult's own. Anything at all in
    such a folder counts (a symlink, a subfolder): the sandbox is the side to err on."""
    builtin = builtin_themes_dir().resolve()
    for folder in (root / "templates", root / "themes" / theme / "templates"):
        if folder.is_dir() and not folder.resolve().is_relative_to(builtin):
            with os.scandir(folder) as entries:
                if any(True for _ in entries):
                    return True
    return False


class Chrome(dict[str, Any]):
    """The page chrome (render.chrome_for): a dict, never changed once made, hashable by its content
    so that `memo` can render the header and footer once per variant. The hash and the chrome's
    strings are computed once; a pickle (a page's key, a render worker) carries the items alone."""

    __slots__ = ("_hash", "_strings")

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return self._hash
        except AttributeError:
            self._hash: int = hash(json.dumps(self, sort_keys=True, default=str))
            return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        return (Chrome, (dict(self),))

    @property
    def strings(self) -> frozenset[str]:
        try:
            return self._strings
        except AttributeError:
            self._strings: frozenset[str] = frozenset(_strings(self))
            return self._strings


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def chrome_mark(chrome: Mapping[str, Any], url: str) -> str:
    """The `chrome_mark` global: `url` when the chrome holds it (a link it may mark as the current
    page), else '': on every other page the header and footer are the same, rendered once (memo)."""
    strings = chrome.strings if isinstance(chrome, Chrome) else frozenset(_strings(chrome))
    return url if url in strings else ""


def memo_macro(limit: int = 8192) -> Callable[..., Any]:
    """The `memo` global: memo(macro, *args) is macro(*args), rendered once per distinct arguments
    (the last `limit` of them). Only for a macro of a partial imported without context: its output
    then depends on its arguments alone, and on the filters and globals, fixed for the Environment's
    life. Arguments that cannot be hashed are rendered each time. Model objects are frozen, so they
    are keys by content (a proposal's hash costs a tenth of its card). A proposal's card recurs on
    every list of its consultation (each sort, facet value, the data of facets.js), and pages are
    rendered in the order of their paths, a consultation's together: `limit` holds the cards of a
    consultation of that many proposals, a few megabytes. Kept by functools.lru_cache, which hashes
    the arguments once a lookup (a proposal's hash is a Python call), where a dict looked up and then
    reordered hashed them twice."""
    rendered = lru_cache(maxsize=limit)(_render)

    def memo(macro: Any, *args: Any) -> Any:
        try:
            return rendered(macro, *args)
        except TypeError:  # unhashable arguments (or a macro that fails so, and fails again here)
            return macro(*args)

    return memo


def _render(macro: Any, *args: Any) -> Any:
    return macro(*args)


def proposal_copies(limit: int = 1024) -> Callable[[Any, Any], Any]:
    """The `by_proposal` global: by_proposal(macro, form) is macro(form). A proposal page's support and
    comment forms differ from one page of their consultation to the next by the proposal they name
    alone: where `form` has a shape (FormView.shared_shape), macro(shape) is rendered once and each
    page's form is a copy with the proposal's slug in place of PROPOSAL_PLACEHOLDER. The first form of
    each macro and shape is rendered both ways: if the copy differs (a theme's macro that shows the
    proposal's title, or changes its slug), that macro and shape are always rendered in full. A form
    sent back with values or errors is always rendered in full. Rendered in full, the two forms were
    about 30% of a proposal page's render, though memo() already shared their fields (issue 17). The
    last `limit` shapes are kept (each build of `consult serve` makes new ones)."""
    shaped: dict[tuple[Any, int], tuple[Any, str | None]] = {}  # the shape kept alive: its id stays its own

    def by_proposal(macro: Any, form: Any) -> Any:
        shape = form.shared_shape
        if shape is None or form.values or form.errors:
            return macro(form)
        slug = str(escape(form.proposal_slug))
        found = shaped.get((macro, id(shape)))
        if found is None:
            whole = macro(form)
            html = str(macro(shape))
            if len(shaped) >= limit:
                del shaped[next(iter(shaped))]
            shaped[macro, id(shape)] = (shape, html if html.replace(PROPOSAL_PLACEHOLDER, slug) == str(whole) else None)
            return whole
        copy = found[1]
        return macro(form) if copy is None else Markup(copy.replace(PROPOSAL_PLACEHOLDER, slug))

    return by_proposal


def with_cards(memo: Callable[..., Any], items: Iterable[Mapping[str, Any]], proposals: Iterable[Any], card: Any,
               *args: Any) -> list[dict[str, Any]]:
    """The `with_cards` global: each of `items` with its proposal's card as `html`, the markup of
    card(proposal, *args) (through `memo`): what proposals.json serialises in one `tojson`, rather than
    an item at a time (a Jinja loop, an encoder call and a Markup each: a third of that file's time)."""
    return [{**item, "html": str(memo(card, proposal, *args))} for item, proposal in zip(items, proposals, strict=True)]


def status_label(status: ProposalStatus, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The site's own label for a proposal status, else the translated default one."""
    if status.label:
        return status.label
    table = i18n.STRINGS.get(language, i18n.STRINGS[i18n.DEFAULT_LANGUAGE])
    return table.get(f"proposal_status.{status.id}", status.id)


def _format_date(value: date | datetime, language: str, tz: ZoneInfo) -> str:
    return i18n.format_date(value, language, tz)


def _iso_date(value: date | datetime, tz: ZoneInfo) -> str:
    """The machine-readable value for `<time datetime>`: a date, or a zoned date-time."""
    if isinstance(value, datetime):
        moment = value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)
        return moment.isoformat(timespec="minutes")
    return value.isoformat()


def check_templates(env: Traceable, root: Path) -> list[SourceError]:
    """Compile every template the site would use; each syntax error as path:line."""
    return [problem for found in template_checks(env, root) for problem in found]


def template_checks(env: Traceable, root: Path) -> Iterator[list[SourceError]]:
    """check_templates a template at a time: each one's problems once it is compiled (a build
    compiles them beside the workers parsing its content: parallel.Beside)."""
    for name in sorted(env.list_templates()):
        if any(part.startswith(".") for part in name.split("/")):
            continue
        if name.startswith(DEFAULT_PREFIX + "/"):  # the built-in templates again, under a second name:
            continue  # compiling them twice doubled this check's time (they are checked by their own name)
        try:
            template = env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            path = _display_path(Path(exc.filename or name), root)
            # Jinja's own words stay English; French names what they are about.
            message = say(exc.message, f"erreur de syntaxe dans le gabarit : {exc.message}") if exc.message else \
                say("template syntax error", "erreur de syntaxe dans le gabarit")
            yield [SourceError(path, exc.lineno or 1, 1, message)]
            continue
        yield check_ui_strings(env, name, _display_path(Path(template.filename or name), root))


def check_ui_strings(env: Traceable, name: str, shown: str) -> list[SourceError]:
    """Every literal key of `'key'|t` or `t('key')` in a template that the UI tables lack, at its
    line (from the template's facts: its one parse). Jinja folds `'key'|t` when it compiles, but a
    filter that fails is left for render time, so a typo would otherwise surface as a traceback on
    the first page that uses it."""
    language = str(env.globals.get("language", i18n.DEFAULT_LANGUAGE))
    table = i18n.STRINGS.get(language) or i18n.STRINGS[i18n.DEFAULT_LANGUAGE]
    problems = []
    for lineno, key, prefix in env.facts(name).ui_keys:
        if prefix and not any(known.startswith(key) for known in table):
            problems.append(SourceError(shown, lineno, 1, say(f"no UI string starts with {key!r}",
                                                              f"aucun libellé d'interface ne commence par « {key} »")))
        elif not prefix and key not in table and f"{key}.one" not in table:
            problems.append(SourceError(shown, lineno, 1, _unknown_string(key), _key_hint(language, key)))
    return problems


def _display_path(path: Path, root: Path) -> str:
    """Relative to the site root, or 'themes/<name>/templates/x.html' for built-in ones."""
    for base in (root, builtin_themes_dir().resolve().parent):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


FAVICON = "favicon.ico"


def static_files(root: Path, theme: str = DEFAULT_THEME) -> dict[str, bytes]:
    """Output path 'static/...' -> bytes: built-in default, then theme, then the site's static/.
    A symlink that leads out of the site raises (see `check_links`, which reports it earlier).
    The winning `favicon.ico` is also published at the root, where browsers and feed readers
    ask for it whatever the page links."""
    folders = [d / "static" for d in reversed(theme_dirs(root, theme))] + [root / "static"]
    out: dict[str, bytes] = {}
    problems: list[SourceError] = []
    for folder in folders:
        for path in site_files(folder, root, problems):
            out["static/" + path.relative_to(folder).as_posix()] = path.read_bytes()
    if f"static/{FAVICON}" in out:
        out[FAVICON] = out[f"static/{FAVICON}"]
    if problems:
        raise ConsultError(problems)
    return dict(sorted(out.items()))


def check_links(root: Path, theme: str = DEFAULT_THEME) -> list[SourceError]:
    """Every symlink among the site's own templates and static files (`templates/`, `static/`,
    `themes/<theme>/`) that leads out of the site folder: its target would be published."""
    problems: list[SourceError] = []
    for folder in (root / "templates", root / "static", root / "themes" / theme):
        site_files(folder, root, problems)
    return problems


def site_files(folder: Path, root: Path, problems: list[SourceError]) -> list[Path]:
    """The files under `folder`, sorted (names starting with '.' skipped, at any depth). Within the
    site folder `root`, a symlink is followed only while it stays inside the site: one that leads
    out (the folder itself or anything under it) goes to `problems` instead, and is never read.
    Outside `root` (a built-in theme, installed with consult) nothing is checked."""
    if not folder.is_relative_to(root):
        return _walk(folder, None, root, problems)
    real_root = root.resolve()
    for part in [*reversed(folder.relative_to(root).parents), folder.relative_to(root)][1:]:
        if leads_outside(root / part, real_root):
            problems.append(SourceError(part.as_posix(), 0, 0, OUTSIDE))
            return []
    return _walk(folder, real_root, root, problems)


def _walk(folder: Path, real_root: Path | None, root: Path, problems: list[SourceError]) -> list[Path]:
    found: list[Path] = []
    for top, dirs, names in os.walk(folder, followlinks=True):
        here = Path(top)
        dirs[:] = [name for name in sorted(dirs) if not name.startswith(".")
                   and not _refused(here / name, real_root, root, problems) and not _loops(here / name, folder)]
        for name in names:
            path = here / name
            if not name.startswith(".") and not _refused(path, real_root, root, problems) and path.is_file():
                found.append(path)
    return sorted(found)


def _loops(link: Path, top: Path) -> bool:
    """Is `link` a symlink to a folder walked on the way to it from `top` (walking it would not end)?"""
    if not link.is_symlink():
        return False
    target, here = os.path.realpath(link), link.parent
    while os.path.realpath(here) != target:
        if here == top or here == here.parent:
            return False
        here = here.parent
    return True


def _refused(path: Path, real_root: Path | None, root: Path, problems: list[SourceError]) -> bool:
    if real_root is None or not leads_outside(path, real_root):
        return False
    problems.append(SourceError(path.relative_to(root).as_posix(), 0, 0, OUTSIDE))
    return True


THEME_CSS = "static/theme.css"


def theme_stylesheet(options: ThemeOptions) -> str:
    """The CSS custom properties of the site's own colours ('' when it chose none). A file, not
    an inline <style>: the sites' Content-Security-Policy allows style-src 'self' only."""
    rules = []
    if options.primary_color:
        rules += [f"--accent: {options.primary_color};", f"--accent-dark: {colors.darker(options.primary_color)};"]
    if options.focus_color:
        rules.append(f"--focus: {options.focus_color};")
    return ":root { " + " ".join(rules) + " }\n" if rules else ""


def theme_files(options: ThemeOptions) -> dict[str, bytes]:
    """Output path -> bytes of the generated theme files (static/theme.css when colours are set)."""
    css = theme_stylesheet(options)
    return {THEME_CSS: css.encode("utf-8")} if css else {}

"""The two jinja2 Environments a site renders with, and what they know of its templates.

`BuiltinEnvironment` when every template comes with consult (its built-in themes);
`SiteEnvironment`, Jinja's sandbox, as soon as the site brings templates of its own
(its `templates/`, its `themes/<name>/`): a theme downloaded from the internet cannot
reach Python's internals and run commands at build time. The sandbox costs about a
tenth of a cold build (bench/RESULTS.md), so consult's own templates go without it.

Both read each template's syntax tree once (`facts`: the templates it references, its
literal UI keys) and report the reads of a render to the `Reader` in the context
variable `READER` (see `reading`), which is how pages trace what a page read.
"""

from __future__ import annotations

import json
import types
from collections.abc import Container, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import jinja2
import markupsafe
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, Macro
from jinja2.utils import internalcode
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

try:  # markupsafe's escape without the Markup around its result (its C one where built); not public
    from markupsafe import _escape_inner
except ImportError:  # another markupsafe: its public escape, the same text
    def _escape_inner(text: str, /) -> str:
        return str(markupsafe.escape(text))

from consult.document import clean

# What jinja2.sandbox.is_internal_attribute looks at beyond a leading underscore.
_INTERNAL_TYPES = (types.FunctionType, types.MethodType, type, types.CodeType, types.TracebackType, types.FrameType,
                   types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
_METHOD_TYPES = (types.MethodType, types.BuiltinMethodType)
_FORMAT = ("format", "format_map")  # str.format reaches attributes by name: the sandbox wraps it

# In a template's dependencies: a reference computed when the page renders ({% include name %}),
# so the page depends on every template. A NUL byte: no template file can bear that name.
EVERY_TEMPLATE = "\0every template"


class Reader(Protocol):
    """Told of a render's reads: read(obj, name) for each attribute or item read of an object
    whose type is exactly one of `kinds`."""

    @property
    def kinds(self) -> Container[type]: ...

    def read(self, obj: Any, name: Any) -> None: ...


# The Reader of the render under way in this context (thread, or forked render worker), if any.
READER: ContextVar[Reader | None] = ContextVar("consult.sandbox.READER", default=None)


R = TypeVar("R", bound=Reader)


@contextmanager
def reading(reader: R) -> Iterator[R]:
    """Report the reads of the renders within to `reader` (and to it alone: the previous reader,
    if any, comes back after)."""
    token = READER.set(reader)
    try:
        yield reader
    finally:
        READER.reset(token)


@dataclass(frozen=True)
class TemplateFacts:
    """What a template's syntax tree says before the code generator folds its constants away:
    the templates it references (extends, include, import, from; None for a computed name),
    and (line, key, is_prefix) for each literal key of `'key'|t` or `t('key')`, or constant
    prefix of `('prefix.' ~ x)|t`."""

    references: tuple[str | None, ...]
    ui_keys: tuple[tuple[int, str, bool], ...]

    @classmethod
    def of(cls, tree: nodes.Template) -> TemplateFacts:
        return cls(tuple(meta.find_referenced_templates(tree)), tuple(_ui_keys(tree)))

    def to_json(self) -> str:
        return json.dumps([self.references, self.ui_keys])

    @classmethod
    def from_json(cls, text: str) -> TemplateFacts:
        """The facts to_json wrote; ValueError (TypeError, KeyError...) for anything else."""
        references, ui_keys = json.loads(text)
        if not all(r is None or isinstance(r, str) for r in references):
            raise ValueError("references: names or null")
        keys = tuple((int(line), str(key), bool(prefix)) for line, key, prefix in ui_keys)
        return cls(tuple(references), keys)


def _ui_keys(tree: nodes.Template) -> Iterator[tuple[int, str, bool]]:
    for node in tree.find_all((nodes.Filter, nodes.Call)):
        if isinstance(node, nodes.Filter):
            if node.name != "t":
                continue
            arg = node.node
        elif (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name)
              and node.node.name == "t" and node.args):
            arg = node.args[0]
        else:
            continue
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            yield node.lineno, arg.value, False
        elif (isinstance(arg, nodes.Concat) and isinstance(arg.nodes[0], nodes.Const)
              and isinstance(arg.nodes[0].value, str)):
            yield node.lineno, arg.nodes[0].value, True


def output_escape(value: Any) -> str:
    """What `{{ value }}` writes into an autoescaped page: markupsafe.escape's text, as a plain str.

    Jinja escapes every expression a template outputs with markupsafe.escape, which wraps its result
    in a Markup (a Python-level constructor, a million times a cold build) and, for a value already
    Markup (a macro's or memo's output, `|safe`), copies it into a new one. What a template outputs
    only ever goes into its output buffer, which Jinja joins (and marks safe where a macro, block or
    `{% set %}` returns it): the text is all that counts there, and the text is escape's."""
    kind = type(value)
    if kind is str:
        return _escape_inner(value)
    if kind is Markup:
        return value
    return Markup(value) if hasattr(value, "__html__") else _escape_inner(str(value))


class OutputEscaping(CodeGenerator):
    """Jinja's code generator, with every template module's `escape` bound to `output_escape`.

    Jinja's generated code calls the module's `escape` for the expressions a template outputs and for
    nothing else (`|e` and `|escape` are filters, constants are escaped when compiling): rebinding
    that one name, at the end of the module, before any of its functions runs, gives the same text
    without a Markup made for each. Only the public visitor is extended, no private method."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        self.writeline("from consult.sandbox import output_escape as escape")


class CallingContext(Context):
    """Jinja's template Context, calling a macro, a plain function (`memo`) or a plain function's
    bound method (`form.field_id(...)`) at once: Context.call asks every callable twice whether it
    wants the context, the environment or the eval context passed (four `hasattr`), and none of
    these does without Jinja's `pass_*` mark. Every other callable takes Context.call's path."""

    @internalcode
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Context.call's own names
        kind = type(__obj)
        function = __obj.__func__ if kind is types.MethodType else __obj
        if kind is Macro or (type(function) is types.FunctionType and "jinja_pass_arg" not in function.__dict__):
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined("value was undefined because a callable raised a"
                                                    " StopIteration exception")
        return Context.call(__self, __obj, *args, **kwargs)


class Traceable(jinja2.Environment):
    """An Environment that reads each template's facts from the one parse Jinja compiles, and
    tells the current Reader (READER) of every getattr/getitem (subclasses do it in `getattr`,
    the hot path, inline). Its templates escape what they output with `output_escape`
    (OutputEscaping) and call macros through CallingContext."""

    code_generator_class = OutputEscaping
    context_class = CallingContext

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # By template name, for the Environment's life: a build makes a new Environment when a
        # template changes; with auto_reload, Jinja compiling a template again refreshes them.
        self.template_facts: dict[str, TemplateFacts] = {}
        self.closures: dict[str, frozenset[str]] = {}
        # The attribute names of each mapping type seen (plain_mapping): any other name is a key.
        self.mappings: dict[type, frozenset[str]] = {dict: _DICT_ATTRIBUTES}

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as a plain dict over the Environment's (Jinja makes a ChainMap). Each
        `{% import %}` compares the page's globals with the imported template's (a set minus their
        keys) and each render copies them into its context: a ChainMap answers both in Python, key by
        key, about a tenth of a proposal page's render; a dict in C. Jinja asks that globals be set
        before templates load, and consult sets them when it makes the Environment, never after."""
        return {**self.globals, **(d or {})}

    def compile(self, source: Any, name: str | None = None, filename: str | None = None,
                raw: bool = False, defer_init: bool = False) -> Any:
        """Environment.compile, from a tree parsed here once: its facts are kept first (the
        code generator folds `'key'|t` into constants in the tree). A character XML forbids is
        taken out of the source first (consult.document.clean): no page carries one."""
        if isinstance(source, str):
            source = clean(source)
        if isinstance(source, str) and name is not None:
            source = self._learn(name, self.parse(source, name, filename))
        return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]

    def _learn(self, name: str, tree: nodes.Template) -> nodes.Template:
        self.know(name, TemplateFacts.of(tree))
        return tree

    def know(self, name: str, facts: TemplateFacts) -> None:
        """Template `name`'s facts, from its parse here or kept with its compiled code (theme.CompiledTemplates)."""
        self.template_facts[name] = facts
        self.closures.clear()

    def facts(self, name: str) -> TemplateFacts:
        """The facts of template `name` (parsed now if Jinja has not compiled it; a missing
        template raises TemplateNotFound, a broken one TemplateSyntaxError)."""
        found = self.template_facts.get(name)
        if found is None:
            assert self.loader is not None
            source, filename, _ = self.loader.get_source(self, name)
            self._learn(name, self.parse(source, name, filename))
            found = self.template_facts[name]
        return found

    def dependencies(self, name: str) -> frozenset[str]:
        """The templates a render of `name` may load: itself and every template it references,
        transitively (a missing one included: creating it changes the page); EVERY_TEMPLATE
        among them when a reference is computed at render time."""
        found = self.closures.get(name)
        if found is None:
            found = self.closures[name] = frozenset(self._reach(name))
        return found

    def _reach(self, name: str) -> set[str]:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                references = self.facts(current).references
            except jinja2.TemplateNotFound:
                continue
            for reference in references:
                if reference is None:
                    seen.add(EVERY_TEMPLATE)
                else:
                    todo.append(self.join_path(reference, current))
        return seen

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tell(obj, argument)
        return super().getitem(obj, argument)

    def learn_mapping(self, kind: type) -> None:
        """Keep the attribute names of `kind` (after a read of it fell back to an item) if it is a
        plain mapping, whose other names are all keys."""
        if plain_mapping(kind):
            self.mappings[kind] = frozenset(dir(kind))


# `chrome.title`, `link.url`: most of a page's reads are a dict's keys, which Jinja reaches after
# getattr(obj, name) raised AttributeError, an exception per read. A plain dict has no attribute
# but these: for any other name, its key is what Jinja would return, found without the exception.
_DICT_ATTRIBUTES = frozenset(dir(dict))


def plain_mapping(kind: type) -> bool:
    """Is `kind` a dict whose instances have no attribute but its class's (dir(kind)): no instance
    __dict__, no __getattr__ or __getattribute__ of its own (theme.Chrome, a dict with slots)?"""
    return (issubclass(kind, dict) and kind.__dictoffset__ == 0
            and not any("__getattr__" in vars(base) or "__getattribute__" in vars(base)
                        for base in kind.__mro__ if base is not dict and base is not object))


def _key(env: jinja2.Environment, obj: dict[Any, Any], name: str) -> Any:
    try:
        return obj[name]
    except (TypeError, LookupError):  # as Jinja's getattr, once no attribute has that name
        return env.undefined(obj=obj, name=name)


def _tell(obj: Any, name: Any) -> None:
    """Tell the current Reader, if it watches obj's type, that `name` of obj was read."""
    reader = READER.get()
    if reader is not None and type(obj) in reader.kinds:
        reader.read(obj, name)


class BuiltinEnvironment(Traceable):
    """For consult's own templates: jinja2.Environment, telling the Reader in `getattr` (whose
    body is Environment.getattr's, so that tracing costs no second Python call per read)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = type(obj)
        reader = READER.get()
        if reader is not None and kind in reader.kinds:
            reader.read(obj, attribute)
        names = self.mappings.get(kind)
        if names is not None and attribute not in names:
            try:  # _key's body, inline: most of a list page's reads are a dict's keys
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            self.learn_mapping(kind)
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


class SiteEnvironment(Traceable, SandboxedEnvironment):
    """Jinja's sandbox, for a site that brings templates of its own: attributes starting with '_',
    the internals of functions, classes, frames..., and callables marked unsafe are refused
    (`''.__class__.__mro__`, `cycler.__init__.__globals__.os`); the error names the template line.

    What pages do most, read a data attribute or a dict's key of an ordinary object, call a macro
    or a method, takes a fast path that applies the sandbox's own rules (`is_internal_attribute`,
    `wrap_str_format`, `is_safe_callable`) without raising exceptions: tests/test_theme.py checks
    that it answers as jinja2's SandboxedEnvironment does."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._plain: set[type] = set()  # types seen whose attributes the sandbox judges on their name alone

    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = type(obj)
        if kind not in self._plain or attribute[:1] == "_":
            return self._judged_getattr(obj, attribute)
        reader = READER.get()
        if reader is not None and kind in reader.kinds:
            reader.read(obj, attribute)
        names = self.mappings.get(kind)
        if names is not None and attribute not in names:
            return _key(self, obj, attribute)
        try:
            value = getattr(obj, attribute)
        except AttributeError:  # then an item of that name, else undefined, as the sandbox does
            self.learn_mapping(kind)
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        if type(value) in _METHOD_TYPES and value.__name__ in _FORMAT:
            return SandboxedEnvironment.getattr(self, obj, attribute)
        return value

    def _judged_getattr(self, obj: Any, attribute: str) -> Any:
        """The sandbox's own getattr, after telling the Reader; learns whether the type is plain."""
        _tell(obj, attribute)
        if not issubclass(type(obj), _INTERNAL_TYPES):
            self._plain.add(type(obj))
        return SandboxedEnvironment.getattr(self, obj, attribute)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if type(__obj) is Macro or _safely_callable(__obj):  # a macro first: most calls are
            return __context.call(__obj, *args, **kwargs)
        return SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)  # refuses


def _safely_callable(obj: Any) -> bool:
    """True where the sandbox's is_safe_callable surely says so: a plain function (or method) not
    marked `unsafe_callable` / `alters_data`. False: ask the sandbox."""
    if type(obj) is types.MethodType:
        obj = obj.__func__
    if type(obj) is types.FunctionType:
        marks = obj.__dict__
        return not (marks.get("unsafe_callable") or marks.get("alters_data"))
    return False

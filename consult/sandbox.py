"""The two jinja2 Environments a site renders with, both traceable (pages.traced_environment).

`BuiltinEnvironment` when every template comes with consult (its built-in themes);
`SiteEnvironment`, Jinja's sandbox, as soon as the site brings templates of its own
(its `templates/`, its `themes/<name>/`): a theme downloaded from the internet cannot
reach Python's internals and run commands at build time. The sandbox costs about a
tenth of a cold build (bench/RESULTS.md), so consult's own templates go without it.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2.runtime import Context, Macro
from jinja2.sandbox import SandboxedEnvironment

Hook = Callable[[Any, Any], None]

# What jinja2.sandbox.is_internal_attribute looks at beyond a leading underscore.
_INTERNAL_TYPES = (types.FunctionType, types.MethodType, type, types.CodeType, types.TracebackType, types.FrameType,
                   types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
_METHOD_TYPES = (types.MethodType, types.BuiltinMethodType)
_FORMAT = ("format", "format_map")  # str.format reaches attributes by name: the sandbox wraps it
_JUDGE: Any = object()  # a type not seen yet


class Traceable(jinja2.Environment):
    """Hooks to trace a render: `watch(kind, hook)` calls hook(obj, name) on every read of an
    attribute or item of an object of exactly that type; `on_load(name)` runs on every template
    loaded. Subclasses call the watch hook in their `getattr`."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.watched: dict[type, Hook] = {}
        self.on_load: Callable[[str], None] | None = None

    def watch(self, kind: type, hook: Hook) -> None:
        self.watched[kind] = hook

    def getitem(self, obj: Any, argument: Any) -> Any:
        if self.watched and type(obj) in self.watched:
            self.watched[type(obj)](obj, argument)
        return super().getitem(obj, argument)

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if self.on_load is not None:
            self.on_load(name)
        return super()._load_template(name, globals)


class BuiltinEnvironment(Traceable):
    """For consult's own templates: jinja2.Environment, with the watch hook in `getattr` (whose
    body is Environment.getattr's, so that tracing costs no second Python call per read)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if self.watched and type(obj) in self.watched:
            self.watched[type(obj)](obj, attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
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
        # Types seen whose attributes the sandbox judges on their name alone -> their watch hook, or None.
        self._plain: dict[type, Hook | None] = {}

    def watch(self, kind: type, hook: Hook) -> None:
        super().watch(kind, hook)
        self._plain.pop(kind, None)

    def getattr(self, obj: Any, attribute: str) -> Any:
        hook = self._plain.get(type(obj), _JUDGE)
        if hook is _JUDGE or attribute[:1] == "_":
            return self._judged_getattr(obj, attribute)
        if hook is not None:
            hook(obj, attribute)
        try:
            value = getattr(obj, attribute)
        except AttributeError:  # then an item of that name, else undefined, as the sandbox does
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        if type(value) in _METHOD_TYPES and value.__name__ in _FORMAT:
            return SandboxedEnvironment.getattr(self, obj, attribute)
        return value

    def _judged_getattr(self, obj: Any, attribute: str) -> Any:
        """The sandbox's own getattr, after the watch hook; learns whether the type is plain."""
        kind = type(obj)
        hook = self.watched.get(kind)
        if hook is not None:
            hook(obj, attribute)
        if not issubclass(kind, _INTERNAL_TYPES):
            self._plain[kind] = hook
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

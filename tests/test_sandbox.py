"""sandbox: the facts an Environment reads from each template's one parse, and the reads it reports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.parser
import pytest

from markupsafe import Markup

from consult.sandbox import (EVERY_TEMPLATE, READER, BuiltinEnvironment, SiteEnvironment, Traceable, output_escape,
                             reading)
from consult.theme import check_templates, make_environment

KINDS = [BuiltinEnvironment, SiteEnvironment]


def environment(kind: type[Traceable], templates: dict[str, str]) -> Traceable:
    return kind(loader=jinja2.DictLoader(templates), autoescape=True)


@pytest.mark.parametrize("kind", KINDS)
def test_dependencies_follow_every_kind_of_reference_transitively(kind: type[Traceable]) -> None:
    env = environment(kind, {
        "page.html": "{% extends 'base.html' %}{% block main %}{% include 'part.html' %}{% endblock %}",
        "base.html": "{% import 'macros.html' as m %}{% block main %}{% endblock %}",
        "part.html": "{% from 'more.html' import x %}{% include 'gone.html' ignore missing %}",
        # more.html imports macros.html back (when y is called): a cycle
        "macros.html": "{% macro y() %}{% import 'more.html' as again %}{% endmacro %}",
        "more.html": "{% import 'macros.html' as m %}{% macro x() %}{% endmacro %}",
        "alone.html": "nothing",
    })
    assert env.dependencies("page.html") == {"page.html", "base.html", "part.html", "macros.html", "more.html",
                                             "gone.html"}  # a missing one too: creating it changes the page
    assert env.dependencies("alone.html") == {"alone.html"}
    assert env.get_template("page.html").render() == ""


@pytest.mark.parametrize("kind", KINDS)
def test_a_reference_computed_at_render_time_depends_on_every_template(kind: type[Traceable]) -> None:
    env = environment(kind, {
        "page.html": "{% include 'part.html' %}",
        "part.html": "{% include name %}",
        "listed.html": "{% include ['a.html', other] %}",
        "constant.html": "{% include ['a.html', 'b.html'] %}",
    })
    assert env.dependencies("page.html") == {"page.html", "part.html", EVERY_TEMPLATE}
    assert EVERY_TEMPLATE in env.dependencies("listed.html")
    assert env.dependencies("constant.html") == {"constant.html", "a.html", "b.html"}


def test_check_templates_parses_each_template_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check_templates compiles every template and reads its UI keys, from one parse: Jinja's
    compile and the UI-key check used to parse each template twice."""
    parsed: list[str | None] = []
    parse = jinja2.parser.Parser.parse

    def counted(self: jinja2.parser.Parser) -> Any:
        parsed.append(self.name)
        return parse(self)

    monkeypatch.setattr(jinja2.parser.Parser, "parse", counted)
    env = make_environment(tmp_path, "default", auto_reload=False)
    assert check_templates(env, tmp_path) == []
    assert parsed and len(parsed) == len(set(parsed))
    env.dependencies("proposal.html")
    assert len(parsed) == len(set(parsed))  # the dependencies read the same facts


def test_a_template_compiled_again_refreshes_its_facts(tmp_path: Path) -> None:
    """With auto_reload (not a build's Environment), Jinja compiling a changed template again
    refreshes what the Environment knows of it."""
    (tmp_path / "page.html").write_text("{% include 'a.html' %}")
    (tmp_path / "a.html").write_text("a")
    (tmp_path / "b.html").write_text("b")
    env = BuiltinEnvironment(loader=jinja2.FileSystemLoader(str(tmp_path)), auto_reload=True)
    assert env.get_template("page.html").render() == "a"
    assert env.dependencies("page.html") == {"page.html", "a.html"}
    (tmp_path / "page.html").write_text("{% include 'b.html' %}")
    os.utime(tmp_path / "page.html", (1, 1))  # another modification time, whatever the clock's grain
    assert env.get_template("page.html").render() == "b"
    assert env.dependencies("page.html") == {"page.html", "b.html"}


@dataclass(frozen=True)
class Watched:
    items: tuple[str, ...] = ("x",)
    label: str = "w"


class Reads:
    kinds = frozenset({Watched})

    def __init__(self) -> None:
        self.names: list[Any] = []

    def read(self, obj: Any, name: Any) -> None:
        self.names.append(name)


@pytest.mark.parametrize("kind", KINDS)
def test_reads_go_to_the_reader_of_the_render_under_way_alone(kind: type[Traceable]) -> None:
    env = environment(kind, {"page.html": "{{ w.label }}{{ w['items'][0] }}{{ other.label }}"})
    template = env.get_template("page.html")
    outer, inner = Reads(), Reads()
    context = {"w": Watched(), "other": {"label": "dict"}}
    assert template.render(**context) == "wxdict"  # nobody listening: fine
    with reading(outer):
        template.render(**context)
        with reading(inner):
            template.render(**context)
        assert READER.get() is outer
        template.render(**context)
    assert READER.get() is None
    assert inner.names == ["label", "items"]  # a watched type only (not the tuple, not the dict)
    assert outer.names == ["label", "items", "label", "items"]


# -- what templates output, escaped by output_escape; macros called through CallingContext ------

class _Html:
    """An object that renders itself (Jinja's __html__ protocol)."""

    def __html__(self) -> str:
        return "<b>safe & sound</b>"


class _Text:
    def __str__(self) -> str:
        return "<i>str()</i> & co"


class _Methods:
    def plain(self, value: Any, **kwargs: Any) -> str:
        return str(value)

    def marked(self, value: Any) -> str:
        return str(value)


ESCAPED = {
    # Every way a value reaches a page: output, a macro's output, {% set %} blocks, filter blocks,
    # call blocks, includes, blocks and super(), `~` joins, |safe and |e, volatile autoescape.
    "page.html": """{% extends 'base.html' %}{% import 'macros.html' as m %}
{% block main %}{{ super() }}[{{ text }}|{{ markup }}|{{ html }}|{{ obj }}|{{ number }}|{{ none }}|{{ nothing }}]
{{ m.card(text) }}{{ m.card(markup) }}{{ memo(m.card, text) }}{{ memo(m.card, text) }}
{% set block %}<{{ text }}>{% endset %}{{ block }}{{ block|e }}{{ text|safe }}{{ text|e }}{{ text ~ markup }}
{% filter upper %}{{ text }}{% endfilter %}{% call m.wrap() %}{{ text }}{% endcall %}
{% for x in [text, markup, html] %}{{ m.card(x) }}{{ shout(x) }}{{ told(x) }}{{ loop.index }}{% endfor %}
{% for x in [text] %}{{ methods.plain(x, k=1) }}{{ methods.marked(x) }}{% endfor %}{{ methods.plain(text) }}
{% autoescape false %}{{ text }}{% endautoescape %}{% autoescape true %}{{ text }}{% endautoescape %}
{% include 'part.html' %}{% endblock %}""",
    "base.html": "<main>{% block main %}{{ text }}{% endblock %}</main>",
    "macros.html": "{% macro card(x) %}<li>{{ x }}</li>{% endmacro %}"
                   "{% macro wrap() %}<div>{{ caller() }}</div>{% endmacro %}",
    "part.html": "{{ text }}{{ m }}",
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_page_is_escaped_exactly_as_jinjas_own_environment_escapes_it(kind: type[Traceable]) -> None:
    """output_escape and CallingContext change how the text is made, never the text: every way a
    value reaches a page renders as jinja2's own Environment (or sandbox) renders it."""
    from jinja2.sandbox import SandboxedEnvironment

    def memo_like(macro: Any, *args: Any) -> Any:
        return macro(*args)

    @jinja2.pass_context
    def told(context: Any, value: Any) -> str:  # a function that asks for the context keeps getting it
        return f"{context['number']}:{value}"

    class Methods:
        def plain(self, value: Any, **kwargs: Any) -> str:
            return f"plain {value} {sorted(kwargs)}"

        @jinja2.pass_environment
        def marked(self, env: Any, value: Any) -> str:  # a method that asks for the environment gets it
            return f"marked {type(env).__name__ != ''} {value}"

    values = dict(text="<script>alert('x')</script> & \"q\"", markup=Markup("<em>ok</em> &amp;"), html=_Html(),
                  obj=_Text(), number=42, none=None, nothing="", m="<m>", methods=Methods())
    theirs_kind = SandboxedEnvironment if issubclass(kind, SandboxedEnvironment) else jinja2.Environment
    rendered = []
    for env in (environment(kind, ESCAPED), theirs_kind(loader=jinja2.DictLoader(ESCAPED), autoescape=True)):
        env.globals.update(memo=memo_like, shout=lambda x: f"{x}!", told=told)
        rendered.append(env.get_template("page.html").render(**values))
    ours, theirs = rendered
    assert ours == theirs
    assert ours.startswith("<main>&lt;script&gt;alert(&#39;x&#39;)")  # autoescape is on all the same
    assert "<em>ok</em> &amp;" in ours and "<b>safe & sound</b>" in ours and "&lt;i&gt;str()&lt;/i&gt;" in ours


def test_output_escape_gives_escapes_text_for_every_kind_of_value() -> None:
    from markupsafe import escape

    for value in ("", "a<b>&'\"", Markup("<i>x</i>"), _Html(), _Text(), 3, 2.5, None, True,
                  jinja2.Undefined(), b"<bytes>"):
        assert output_escape(value) == str(escape(value))
    assert type(output_escape("<x>")) is str  # no Markup made: the buffer joins it all the same


@pytest.mark.parametrize("kind", KINDS)
def test_templates_escape_their_output_with_output_escape_and_call_macros_directly(
        kind: type[Traceable], monkeypatch: pytest.MonkeyPatch) -> None:
    env = environment(kind, ESCAPED)
    code = env.compile(ESCAPED["base.html"], "base.html", raw=True)
    assert code.rstrip().endswith("from consult.sandbox import output_escape as escape")
    assert env.get_template("base.html").root_render_func.__globals__["escape"] is output_escape
    through_jinja: list[Any] = []
    call = jinja2.runtime.Context.call

    def counted(self: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        through_jinja.append(obj)
        return call(self, obj, *args, **kwargs)

    monkeypatch.setattr(jinja2.runtime.Context, "call", counted)
    env.globals["memo"] = lambda macro, *args: macro(*args)
    env.get_template("page.html").render(text="t", markup="", html="", obj="", number=1, none=None, nothing="", m="",
                                         shout=str, told=str, methods=_Methods())
    assert through_jinja and all(type(obj) is not jinja2.runtime.Macro and getattr(obj, "__name__", "") != "plain"
                                 for obj in through_jinja)

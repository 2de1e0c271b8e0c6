"""sandbox: the facts an Environment reads from each template's one parse, and the reads it reports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.parser
import pytest

from consult.sandbox import EVERY_TEMPLATE, READER, BuiltinEnvironment, SiteEnvironment, Traceable, reading
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

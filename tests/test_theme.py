"""The jinja2 environment: autoescape everywhere, site overrides, errors with path:line."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest

from consult import theme
from consult.errors import ConsultError, SourceError
from consult.theme import builtin_themes_dir, check_templates, make_environment, static_files

PACKAGE = Path(__file__).resolve().parent.parent / "consult"


def test_the_environment_autoescapes_every_template_whatever_its_extension(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    for name in ("x.txt", "x.xml", "x.html", "x", "x.j2"):
        (tmp_path / "templates" / name).write_text("{{ value }}", encoding="utf-8")
    env = make_environment(tmp_path, "default")
    assert env.autoescape is True
    assert env.undefined is jinja2.StrictUndefined
    for name in ("x.txt", "x.xml", "x.html", "x", "x.j2"):
        assert env.get_template(name).render(value="<script>") == "&lt;script&gt;"


def test_undefined_variables_are_errors(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.html").write_text("{{ nothing.here }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        make_environment(tmp_path, "default").get_template("x.html").render()


def test_translations_read_the_same_as_a_call_or_a_filter_and_parameters_are_escaped(tmp_path: Path) -> None:
    """`'key'|t` (the theme's form, folded when the template compiles) and `t('key')` (kept for
    site templates) give the same text; a parameter, which may be a citizen's, is escaped."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.html").write_text(
        "{{ t('proposal.back', title=title) }}|{{ 'proposal.back'|t(title=title) }}|{{ 'form.required'|t }}",
        encoding="utf-8")
    call, folded, plain = make_environment(tmp_path, "default", "fr").get_template("x.html").render(
        title="<b>Vélo</b>").split("|")
    assert call == folded == "Retour à la consultation «\u00a0&lt;b&gt;Vélo&lt;/b&gt;\u00a0»"
    assert plain == "(obligatoire)"
    with pytest.raises(jinja2.TemplateError, match="unknown UI string 'no.such.key'"):
        make_environment(tmp_path, "default").from_string("{{ 'no.such.key'|t }}").render()


def test_a_translation_remembered_reads_as_one_made_afresh() -> None:
    """`t` remembers its calls with parameters (theme.translator): what it answers is what
    _translate answers, for parameters equal as keys but not as text (1 and True, 1 and 1.0) and
    for parameters it cannot remember (a list); an unknown key stays an error each time."""
    from consult.theme import _translate, translator

    t = translator("fr", size=2)
    calls = [("proposal.supports", {"count": 1}), ("proposal.supports", {"count": True}),
             ("proposal.supports", {"count": 1.0}), ("proposal.back", {"title": ["a", "b"]}),
             ("proposal.back", {"title": "Vélo"}), ("proposal.supports", {"count": 3})]
    for key, params in calls * 3:  # then from what it remembers (of the last two)
        assert t(key, **params) == _translate("fr", key, **params), (key, params)
    for _ in range(2):
        with pytest.raises(jinja2.TemplateError, match="unknown UI string 'no.such.key'"):
            t("no.such.key", count=1)


def test_a_date_formatted_once_reads_as_one_formatted_afresh(tmp_path: Path) -> None:
    """The date filters remember what they formatted: values equal as keys (one instant in two time
    zones, a date and midnight of that day, a moment and the same moment a year on) read as the
    plain functions read them, in whatever order they come."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from consult import i18n

    env = make_environment(tmp_path, "default", "fr", "Europe/Paris")
    paris, utc, tokyo = ZoneInfo("Europe/Paris"), ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo")
    values = [datetime(2026, 11, 30, 23, 30, tzinfo=utc), datetime(2026, 12, 1, 8, 30, tzinfo=tokyo),
              datetime(2026, 11, 30, 23, 30), date(2026, 11, 30), datetime(2026, 11, 30),
              datetime(2026, 3, 29, 1, 30, tzinfo=utc), datetime(2026, 3, 29, 3, 30, tzinfo=paris)]
    for value in values + values[::-1]:
        assert env.filters["format_date"](value) == i18n.format_date(value, "fr", paris), value
        if isinstance(value, datetime):
            assert env.filters["format_datetime"](value) == i18n.format_datetime(value, "fr", paris), value


def _environment_calls(source: str) -> list[ast.Call]:
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            known = ("Environment", "SandboxedEnvironment", "ImmutableSandboxedEnvironment", "Template")
            if name in known or any(k.arg == "loader" for k in node.keywords):  # consult's own, in a variable
                calls.append(node)
    return calls


def test_every_environment_the_package_creates_has_autoescape_on() -> None:
    """Any jinja2 Environment (or bare Template) built anywhere in consult/ says autoescape=True."""
    found = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        for call in _environment_calls(path.read_text(encoding="utf-8")):
            found += 1
            autoescape = {k.arg: k.value for k in call.keywords}.get("autoescape")
            assert isinstance(autoescape, ast.Constant) and autoescape.value is True, (
                f"{path.relative_to(PACKAGE.parent)}:{call.lineno}: jinja2 object without autoescape=True")
    assert found >= 1


def test_a_site_template_overrides_the_theme(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text("site's own {{ t('not_found.title') }}", encoding="utf-8")
    env = make_environment(tmp_path, "default")
    assert env.get_template("404.html").render() == "site's own Page introuvable"
    # The other templates still come from the built-in theme.
    assert "built-in" not in env.get_template("base.html").filename
    assert Path(env.get_template("base.html").filename).is_relative_to(builtin_themes_dir())


def test_a_site_theme_folder_is_used_before_the_builtin_default(tmp_path: Path) -> None:
    (tmp_path / "themes" / "mairie" / "templates").mkdir(parents=True)
    (tmp_path / "themes" / "mairie" / "templates" / "thanks.html").write_text("merci", encoding="utf-8")
    env = make_environment(tmp_path, "mairie")
    assert env.get_template("thanks.html").render() == "merci"
    assert env.get_template("404.html")  # falls back to the built-in default


def test_an_unknown_theme_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConsultError, match="unknown theme 'nope'"):
        make_environment(tmp_path, "nope")


def test_a_syntax_error_is_reported_with_path_and_line(tmp_path: Path) -> None:
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    (tmp_path / "templates" / "partials" / "card.html").write_text(
        "<p>\n{{ title }}\n{% if x %}\n<p>never closed</p>\n", encoding="utf-8")
    (tmp_path / "templates" / "home.html").write_text("<h1>\n{{ title | }}</h1>\n", encoding="utf-8")
    problems = check_templates(make_environment(tmp_path, "default"), tmp_path)
    assert [(p.path, p.line) for p in problems] == [("templates/home.html", 2), ("templates/partials/card.html", 4)]
    assert all(isinstance(p, SourceError) and p.message for p in problems)
    assert str(problems[0]).startswith("templates/home.html:2:1: ")


def test_an_unknown_ui_string_is_reported_at_its_line_with_the_closest_key(tmp_path: Path) -> None:
    """Jinja leaves a filter that fails at compile time for render time: without this check a
    typo in a key was a KeyError traceback on the first page using it."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "home.html").write_text(
        "<p>\n{{ 'chrome.skip_lnk'|t }}\n{{ t('form.requird') }}\n{{ ('a11y.statu.' ~ x)|t }}\n"
        "{{ 'proposal.supports'|t(count=2) }} {{ ('a11y.status.' ~ x)|t }} {{ 'x'|upper }}\n", encoding="utf-8")
    problems = check_templates(make_environment(tmp_path, "default"), tmp_path)
    assert [str(p) for p in problems] == [
        "templates/home.html:2:1: unknown UI string 'chrome.skip_lnk' (did you mean 'chrome.skip_link'?)",
        "templates/home.html:3:1: unknown UI string 'form.requird' (did you mean 'form.required'?)",
        "templates/home.html:4:1: no UI string starts with 'a11y.statu.'",
    ]
    assert [p.said("fr") for p in problems] == [
        "templates/home.html:2:1: libellé d'interface inconnu « chrome.skip_lnk » "
        "(vouliez-vous dire « chrome.skip_link » ?)",
        "templates/home.html:3:1: libellé d'interface inconnu « form.requird » (vouliez-vous dire « form.required » ?)",
        "templates/home.html:4:1: aucun libellé d'interface ne commence par « a11y.statu. »",
    ]


def test_an_unknown_ui_string_computed_at_render_time_is_a_template_error(tmp_path: Path) -> None:
    env = make_environment(tmp_path, "default", "en")
    with pytest.raises(jinja2.TemplateError, match=r"unknown UI string 'a11y.status.ful' \(did you mean") as error:
        env.from_string("{{ ('a11y.status.' ~ s)|t }}").render(s="ful")
    from consult.pages import template_problem

    assert template_problem(error.value, tmp_path).said("fr") == (
        "templates: erreur dans le gabarit : libellé d'interface inconnu « a11y.status.ful » "
        "(vouliez-vous dire « a11y.status.full » ?)")


def test_the_builtin_theme_compiles() -> None:
    assert check_templates(make_environment(Path("/nonexistent-site"), "default"), Path("/nonexistent-site")) == []


def test_a_builtin_template_error_names_the_theme_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_environment(tmp_path, "default")
    broken = jinja2.TemplateSyntaxError("unexpected end", 7, "x.html",
                                        str(builtin_themes_dir() / "default" / "templates" / "x.html"))

    def fail(name: str) -> None:
        raise broken

    monkeypatch.setattr(env, "list_templates", lambda: ["x.html"])
    monkeypatch.setattr(env, "get_template", fail)
    assert check_templates(env, tmp_path) == [
        SourceError("themes/default/templates/x.html", 7, 1, "unexpected end")]


def test_static_files_site_overrides_theme(tmp_path: Path) -> None:
    theme_files = static_files(tmp_path, "default")
    assert {"static/style.css", "static/consult.js"} <= set(theme_files)
    (tmp_path / "static" / "img").mkdir(parents=True)
    (tmp_path / "static" / "style.css").write_bytes(b"body{}")
    (tmp_path / "static" / "img" / "logo.svg").write_bytes(b"<svg/>")
    (tmp_path / "static" / ".DS_Store").write_bytes(b"junk")
    files = static_files(tmp_path, "default")
    assert files["static/style.css"] == b"body{}"
    assert files["static/img/logo.svg"] == b"<svg/>"
    assert files["static/consult.js"] == theme_files["static/consult.js"]
    assert "static/.DS_Store" not in files
    assert list(files) == sorted(files)
    (tmp_path / "static" / "images").symlink_to("img")  # an alias inside the site: published too
    (tmp_path / "static" / "img" / "again").symlink_to("..")  # a loop: walked once
    (tmp_path / "static" / "img" / "a").symlink_to("../b")
    (tmp_path / "static" / "b").mkdir()
    (tmp_path / "static" / "b" / "back").symlink_to("../img")  # a loop through a sibling
    files = static_files(tmp_path, "default")
    assert files["static/images/logo.svg"] == files["static/img/logo.svg"] == b"<svg/>"
    assert "static/b/back/logo.svg" in files  # b/back is img: once
    assert not any("again" in name or "a/back" in name for name in files)  # img/again, img/a/back are img again


def test_the_stylesheet_keeps_the_public_service_rules() -> None:
    css = (builtin_themes_dir() / "default" / "static" / "style.css").read_text(encoding="utf-8")
    assert "Marianne" not in css.replace("no Marianne", "")
    assert ":focus-visible" in css and ".visually-hidden" in css and "@media print" in css
    assert "overflow-wrap" in css


def test_the_script_only_enhances() -> None:
    js = (builtin_themes_dir() / "default" / "static" / "consult.js").read_text(encoding="utf-8")
    assert "randomUUID" in js and "data-error-summary" in js and "data-token-url" in js
    for template in (builtin_themes_dir() / "default" / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script>" not in text and not re.search(r"\son[a-z]+=", text), template  # no inline script/handlers
        assert "style=" not in text, template  # the CSP forbids inline styles too


def test_tojson_writes_what_jinjas_filter_writes(tmp_path: Path) -> None:
    """theme.json_filter makes its encoder once: the text must stay Jinja's htmlsafe_json_dumps's,
    escapes, key order and indent included, for a Markup (a card's HTML) as for a plain string."""
    from markupsafe import Markup

    env = make_environment(tmp_path, "default", "fr")
    assert env.filters["tojson"] is not jinja2.filters.do_tojson
    plain = jinja2.Environment(autoescape=True)
    value = {"z": [1, 2.5, None, True], "html": Markup('<li class="card">l\u2019été & co\'s</li>'),
             "a": {"ç": "</script>", "b": "\u00e9\n\t\\"}}
    for source in ("{{ value|tojson }}", "{{ value|tojson(2) }}", "<p data-x='{{ value|tojson }}'>"):
        assert env.from_string(source).render(value=value) == plain.from_string(source).render(value=value)
    env.policies["json.dumps_kwargs"] = {"sort_keys": False}
    assert theme.json_filter(env) is jinja2.filters.do_tojson


def test_memo_renders_a_macro_once_per_distinct_arguments(tmp_path: Path) -> None:
    from consult.theme import memo_macro

    calls: list[tuple[object, ...]] = []

    def macro(*args: object) -> str:
        calls.append(args)
        return f"<{len(calls)}>"

    memo = memo_macro(limit=2)
    assert memo(macro, "a", 1) == memo(macro, "a", 1) == "<1>"
    assert memo(macro, "b", 1) == "<2>"
    assert memo(macro, {"unhashable": 1}) == "<3>" and memo(macro, {"unhashable": 1}) == "<4>"
    memo(macro, "c", 1)  # the third distinct key pushes out the least recently used, ("a", 1)
    assert memo(macro, "b", 1) == "<2>"
    assert memo(macro, "a", 1) == "<6>"


def _shaped_forms(kind: str) -> Any:
    """form(slug, title): forms of one kind made as consult.render.proposal_forms makes them."""
    from consult.formview import PROPOSAL_PLACEHOLDER, FormView

    whole = FormView(action="/api/submit", kind=kind, consultation_slug="c", consultation_title="C",
                     consultation_url="/c/", proposal_slug="velo", proposal_title="Vélo", proposal_url="/c/velo/")
    base = whole.retargeted(shared_untargeted=whole.untargeted)
    base = base.retargeted(shared_shape=base.retargeted(proposal_slug=PROPOSAL_PLACEHOLDER, proposal_title="",
                                                        proposal_url=""))
    return lambda slug, title, **extra: base.retargeted(proposal_slug=slug, proposal_title=title,
                                                        proposal_url=f"/c/{slug}/", **extra)


def test_by_proposal_renders_a_form_once_and_copies_it_for_each_proposal() -> None:
    from markupsafe import Markup, escape

    form = _shaped_forms("support")
    calls: list[str] = []

    def slug_only(f: Any) -> Markup:
        calls.append(f.proposal_slug)
        return Markup(f'<input name="proposal" value="{escape(f.proposal_slug)}">')

    by_proposal = theme.proposal_copies()
    assert by_proposal(slug_only, form("velo", "Vélo")) == '<input name="proposal" value="velo">'
    assert len(calls) == 2  # the form itself, and its shape
    assert by_proposal(slug_only, form("bus", "Bus")) == '<input name="proposal" value="bus">'
    assert by_proposal(slug_only, form("tram", "Tram")) == '<input name="proposal" value="tram">'
    assert len(calls) == 2, "the copies were rendered again"
    assert by_proposal(slug_only, form("bus", "Bus", values={"email": "a@b.fr"})) == slug_only(form("bus", "Bus"))
    assert len(calls) == 4  # a form sent back with what was typed: rendered in full

    def with_title(f: Any) -> Markup:  # a theme's macro that shows more of the proposal than its slug
        return Markup(f"<p>{escape(f.proposal_title)}</p>") + slug_only(f)

    for slug, title in [("velo", "Vélo"), ("bus", "Bus <rapide>"), ("tram", "Tram")]:
        assert by_proposal(with_title, form(slug, title)) == with_title(form(slug, title))

    def upper(f: Any) -> Markup:  # ... or changes the slug
        return Markup(f"<b>{escape(f.proposal_slug.upper())}</b>")

    assert [by_proposal(upper, form(slug, "T")) for slug in ("velo", "bus")] == ["<b>VELO</b>", "<b>BUS</b>"]

    one = theme.proposal_copies(limit=1)  # keeps one shape: the other is forgotten, then made again
    comment = _shaped_forms("comment")
    for slug in ("velo", "bus", "tram"):
        assert one(slug_only, form(slug, "T")) == one(slug_only, comment(slug, "T")) == slug_only(form(slug, "T"))


@pytest.mark.parametrize("kind", ["support", "comment"])
def test_proposal_page_forms_copied_by_proposal_are_the_forms_rendered_in_full(tmp_path: Path, kind: str) -> None:
    env = make_environment(tmp_path, "default", "fr")
    copied = env.from_string(f"{{% import 'partials/forms.html' as forms %}}{{{{ by_proposal(forms.{kind}_form, form) }}}}")
    whole = env.from_string(f"{{% import 'partials/forms.html' as forms %}}{{{{ forms.{kind}_form(form) }}}}")
    form = _shaped_forms(kind)
    sent = {"values": {"body": "Mon <avis>", "email": "x"}, "errors": (("email", "Adresse invalide"),)}
    for slug, title, extra in [("velo", "Vélo", {}), ("bus", "Bus", {}), ("tram", "Tram", sent), ("metro", "Métro", {})]:
        shown = copied.render(form=form(slug, title, **extra))
        assert shown == whole.render(form=form(slug, title, **extra))
        assert f'name="proposal" value="{slug}"' in shown and "\ue000" not in shown


def test_the_comment_form_rendered_through_memo_keeps_each_proposal_and_each_citizens_text(tmp_path: Path) -> None:
    """memo() shares the comment fields between proposal pages: what differs (the proposal, what a
    citizen typed, the errors) must still show on each."""
    from consult.formview import FormView

    env = make_environment(tmp_path, "default", "fr")
    page = env.from_string("{% import 'partials/forms.html' as forms %}{{ forms.comment_form(form) }}")

    def form(proposal: str, **extra: object) -> FormView:
        return FormView(action="/api/submit", kind="comment", consultation_slug="c", consultation_title="C",
                        consultation_url="/c/", proposal_slug=proposal, **extra)  # type: ignore[arg-type]

    first, second = page.render(form=form("velo")), page.render(form=form("bus"))
    assert 'name="proposal" value="velo"' in first and 'name="proposal" value="bus"' in second
    assert first.replace("velo", "bus") == second
    typed = page.render(form=form("velo", values={"body": "Mon <avis>"}, errors=(("email", "Adresse invalide"),)))
    assert "Mon &lt;avis&gt;</textarea>" in typed and "Adresse invalide" in typed
    assert "Mon &lt;avis&gt;" not in page.render(form=form("velo"))


@pytest.mark.parametrize("kind", ["comment", "support", "report"])
def test_the_hidden_fields_rendered_through_memo_keep_each_forms_target_and_token(tmp_path: Path, kind: str) -> None:
    """memo() shares a form's guard fields (token, idempotency key, honeypot) and a support form's
    fields between proposal pages: the proposal, a report's item and the values sent back must
    still show on each page."""
    from consult.formview import FormView

    env = make_environment(tmp_path, "default", "fr")
    page = env.from_string("{% import 'partials/forms.html' as forms %}{{ forms.any_form(form) }}")

    def form(proposal: str, **extra: object) -> FormView:
        return FormView(action="/api/submit", kind=kind, consultation_slug="c", consultation_title="C",
                        consultation_url="/c/", proposal_slug=proposal, **extra)  # type: ignore[arg-type]

    first, second = page.render(form=form("velo")), page.render(form=form("bus"))
    assert 'name="proposal" value="velo"' in first and first.replace("velo", "bus") == second
    sent = page.render(form=form("velo", values={"token": "t<1>", "idempotency_key": "k1"}))
    assert 'name="token" value="t&lt;1&gt;"' in sent and 'name="idempotency_key" value="k1"' in sent
    assert 'value="t&lt;1&gt;"' not in page.render(form=form("velo"))
    if kind == "report":
        items = [page.render(form=form("velo").about(item)) for item in ("c1", "c2", "c1")]
        assert 'name="target" value="c1"' in items[0] and f'id="{kind}-c2-website"' in items[1]
        assert items[0] == items[2] and items[0].replace("c1", "c2") == items[1]


def test_the_theme_ships_a_favicon_at_the_root_that_the_site_overrides(tmp_path: Path) -> None:
    files = static_files(tmp_path, "default")
    assert files["favicon.ico"] == files["static/favicon.ico"]
    assert files["favicon.ico"][:4] == b"\x00\x00\x01\x00", "not an ICO file"
    assert files["static/favicon.svg"].startswith(b"<svg")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "favicon.ico").write_bytes(b"\x00\x00\x01\x00own")
    assert static_files(tmp_path, "default")["favicon.ico"] == b"\x00\x00\x01\x00own"
# --- the sandbox: a theme from the internet cannot run commands at build time ---------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch {marker}') }}",
    "{% for c in ''.__class__.__base__.__subclasses__() %}{% if c.__name__ == 'Popen' %}"
    "{{ c(['touch', '{marker}']) }}{% endif %}{% endfor %}",
    "{{ t.func.__globals__['__builtins__']['__import__']('os').system('touch {marker}') }}",
    "{{ memo.__closure__ }}",
    "{{ 'x'.format.__self__.__class__ }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
]


@pytest.mark.parametrize(("command", "escape", "folder"), [("build", e, "templates") for e in ESCAPES] + [
    ("check", ESCAPES[1], "templates"), ("build-j2", ESCAPES[1], "templates"), ("build-j2", ESCAPES[4], "templates"),
    ("build", ESCAPES[1], "themes/mine/templates"), ("check", ESCAPES[2], "themes/mine/templates")])


def test_a_malicious_site_template_fails_the_build_instead_of_running(tmp_path: Path, escape: str, command: str,
                                                                      folder: str) -> None:
    """Through `consult check` (one render in memory) and `consult build` (traced pages, with the
    cache; in worker processes with -j 2), from the site's templates/ or its own theme: the
    template stops at its line with a clear problem, nothing runs."""
    from click.testing import CliRunner

    from consult.cli import cli
    from tests.conftest import site_with_proposals

    site = site_with_proposals(tmp_path / "site", 3 if command != "build-j2" else 400)
    if folder.startswith("themes/"):
        config = (site / "site.yaml").read_text(encoding="utf-8")
        (site / "site.yaml").write_text(config.replace("theme: default", "theme: mine"), encoding="utf-8")
    marker = tmp_path / "pwned"
    (site / folder).mkdir(parents=True)
    (site / folder / "proposal.html").write_text("<p>\n" + escape.replace("{marker}", str(marker)) + "\n</p>\n",
                                                 encoding="utf-8")
    args = ["build", "--out", str(tmp_path / "_site")] + (["-j", "2"] if command == "build-j2" else ["-j", "1"])
    result = CliRunner().invoke(cli, ["-C", str(site), *(args if command.startswith("build") else ["check"])])
    assert result.exit_code == 1, result.output
    assert re.search(rf"^{folder}/proposal\.html:2:1: erreur dans le gabarit : .*(unsafe|not safely callable)", result.output,
                     re.M), result.output
    assert "Traceback" not in result.output
    assert not marker.exists() and not (tmp_path / "_site").exists()


def test_the_sandbox_fast_path_judges_as_the_sandbox_does() -> None:
    """SiteEnvironment.getattr skips the sandbox's checks for data attributes of ordinary objects:
    whatever it returns, jinja2's own SandboxedEnvironment returns too (refusals included)."""
    import types

    import markupsafe
    from jinja2.sandbox import SandboxedEnvironment

    from consult.model import ProposalStatus
    from consult.theme import SiteEnvironment

    def generator() -> types.GeneratorType:  # type: ignore[type-arg]
        yield 1

    ours, theirs = SiteEnvironment(), SandboxedEnvironment()
    objects = [ProposalStatus("recue", "Reçue"), "texte", {"items": 1, "a": 2}, [1, 2], generator, generator(),
               str, ProposalStatus, ours.getattr, (lambda: 0).__code__, jinja2.utils.Cycler(1), 3,
               markupsafe.Markup("<b>{}</b>"), types.SimpleNamespace(f="{0.__class__}".format, g=str.upper)]
    names = ["id", "label", "items", "a", "format", "format_map", "upper", "mro", "__class__", "__globals__",
             "__subclasses__", "_private", "gi_frame", "gi_code", "__func__", "__self__", "co_code", "__name__",
             "func_globals", "real", "missing", "__init__", "reset", "f", "g", "striptags"]
    for obj in objects * 2:  # the second time, through the fast path of the types seen
        for name in names:
            got, expected = ours.getattr(obj, name), theirs.getattr(obj, name)
            if isinstance(expected, jinja2.Undefined):
                assert type(got) is type(expected) and str(got._undefined_hint) == str(expected._undefined_hint), (obj, name)
            elif getattr(expected, "__wrapped__", None) is not None:  # str.format, wrapped by the sandbox
                assert type(got) is type(expected) and got.__wrapped__ == expected.__wrapped__, (obj, name)
            else:
                assert got == expected, (obj, name)


def test_a_dict_key_read_answers_as_jinja_does() -> None:
    """Both environments read a dict's key without Jinja's AttributeError first (the reads pages do
    most), and answer as jinja2.Environment: a dict's own attribute wins over a key of that name,
    a missing key is undefined; so for a dict subclass, read (after its first read of a key) without
    the exception when it has no attribute but its class's (theme.Chrome), else the usual way."""
    from consult.theme import BuiltinEnvironment, Chrome, SiteEnvironment

    class Sub(dict):  # type: ignore[type-arg]
        extra = "attribute"

    class Slotted(dict):  # type: ignore[type-arg]
        __slots__ = ("slot", "unset")
        extra = "attribute"

        def __init__(self, **items: Any) -> None:
            super().__init__(**items)
            self.slot = "attribute"

        @property
        def computed(self) -> str:
            return "attribute"

    class Dynamic(Slotted):
        __slots__ = ()

        def __getattr__(self, name: str) -> str:
            return "attribute" if name == "dynamic" else super().__getattribute__(name)

    keys = {"title": "T", "items": 1, "get": 2, "extra": "key", "computed": "key", "slot": "key", "unset": "key",
            "dynamic": "key"}
    theirs = jinja2.Environment(undefined=jinja2.StrictUndefined)
    for ours in (BuiltinEnvironment(undefined=jinja2.StrictUndefined), SiteEnvironment(undefined=jinja2.StrictUndefined)):
        for obj in [{"title": "T", "items": 1, "get": 2}, Sub(**keys), Slotted(**keys), Dynamic(**keys),
                    Chrome(keys)] * 2:  # the second time, with what the first reads learned
            for name in (*keys, "strings", "missing"):
                got, expected = ours.getattr(obj, name), theirs.getattr(obj, name)
                if isinstance(expected, jinja2.Undefined):
                    assert type(got) is type(expected) and got._undefined_hint == expected._undefined_hint, (obj, name)
                else:
                    assert got == expected, (obj, name)


def test_the_sandbox_still_refuses_unsafe_callables() -> None:
    from jinja2.sandbox import SecurityError, unsafe

    from consult.sandbox import SiteEnvironment

    env = SiteEnvironment(autoescape=True)

    @unsafe
    def delete_everything() -> str:
        return "deleted"

    env.globals["delete_everything"] = delete_everything
    with pytest.raises(SecurityError):
        env.from_string("{{ delete_everything() }}").render()
    assert env.from_string("{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m('&') }}").render() == "<&amp;>"


def test_the_sandbox_is_for_sites_that_bring_their_own_templates(tmp_path: Path) -> None:
    """consult's own templates render unsandboxed (the sandbox costs a tenth of a cold build); a
    site's `templates/` or `themes/<name>/templates/` puts the whole site in the sandbox."""
    from consult.sandbox import BuiltinEnvironment, SiteEnvironment

    assert type(make_environment(tmp_path, "default")) is BuiltinEnvironment
    (tmp_path / "templates").mkdir()  # an empty folder brings nothing
    assert type(make_environment(tmp_path, "default")) is BuiltinEnvironment
    (tmp_path / "templates" / "card.html").write_text("<p>{{ x }}</p>", encoding="utf-8")
    assert type(make_environment(tmp_path, "default")) is SiteEnvironment
    (tmp_path / "templates" / "card.html").unlink()
    (tmp_path / "templates" / "partials").symlink_to(builtin_themes_dir() / "default" / "templates" / "partials")
    assert type(make_environment(tmp_path, "default")) is SiteEnvironment  # whatever it holds: the sandbox
    (tmp_path / "templates" / "partials").unlink()
    (tmp_path / "themes" / "mairie" / "templates").mkdir(parents=True)
    (tmp_path / "themes" / "mairie" / "templates" / "404.html").write_text("{{ ''.__class__ }}", encoding="utf-8")
    assert type(make_environment(tmp_path, "default")) is BuiltinEnvironment  # another theme: not used
    env = make_environment(tmp_path, "mairie")
    assert type(env) is SiteEnvironment
    with pytest.raises(jinja2.sandbox.SecurityError):
        env.get_template("404.html").render()



# --- compiled templates kept in the build cache (theme.CompiledTemplates) ---------------------------

NOW = "2026-02-15T12:00"


def compiles_counted(monkeypatch: pytest.MonkeyPatch, method: str = "compile") -> list[str | None]:
    """The names of the templates compiled (or parsed: `method`) from now on, by any Environment."""
    from consult.sandbox import Traceable

    names: list[str | None] = []
    original = getattr(Traceable, method)

    def counted(self: Traceable, source: object, name: str | None = None, *args: object) -> object:
        names.append(name)
        return original(self, source, name, *args)

    monkeypatch.setattr(Traceable, method, counted)
    return names


def test_a_warm_build_reads_compiled_templates_and_writes_the_same_site(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.build import build_site, check_site
    from tests.conftest import site_with_proposals, tree

    site = site_with_proposals(tmp_path / "site", 1)
    build_site(site, tmp_path / "out", NOW, cache=True)
    assert list((site / ".consult/cache/templates").glob("*.jinja"))
    compiled = compiles_counted(monkeypatch)
    build_site(site, tmp_path / "fresh", NOW, cache=True)  # a new folder: every page rendered again
    assert compiled == []
    assert tree(tmp_path / "fresh") == tree(tmp_path / "out") == check_site(site, NOW).files
    for damaged in (site / ".consult/cache/templates").glob("*.jinja"):
        damaged.write_bytes(damaged.read_bytes()[:20])
    build_site(site, tmp_path / "again", NOW, cache=True)
    assert compiled and tree(tmp_path / "again") == tree(tmp_path / "out")


def test_compiled_templates_keep_their_facts_so_a_warm_environment_parses_none(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A template loaded from the compiled folder brings its facts (references, UI keys) along: the
    checks and the page traces need them, and parsing each template again was a third of compiling it.
    Facts kept for another source, or damaged, make the template compile again."""
    from consult.theme import check_templates, make_environment

    site = tmp_path / "site"
    (site / "templates").mkdir(parents=True)
    (site / "templates/extra.html").write_text("{% extends 'base.html' %}{% block main %}{{ 'proposal.back'|t(title='x') }}{% endblock %}\n")
    folder = tmp_path / "compiled"
    first = make_environment(site, compiled=folder)
    assert check_templates(first, site) == []
    learned = dict(first.template_facts)
    assert learned["extra.html"].references == ("base.html",) and learned["extra.html"].ui_keys == ((1, "proposal.back", False),)
    parsed = compiles_counted(monkeypatch, "parse")
    warm = make_environment(site, compiled=folder)
    assert check_templates(warm, site) == [] and parsed == []
    assert warm.template_facts == learned
    assert warm.dependencies("extra.html") == first.dependencies("extra.html")

    facts = sorted(folder.glob("*.facts"))
    assert len(facts) == len(learned) == len(list(folder.glob("*.jinja")))
    for damaged, text in zip(facts[:2], ("another-checksum\n[[], []]", "not json")):
        damaged.write_text(text)
    again = make_environment(site, compiled=folder)
    assert check_templates(again, site) == [] and len(parsed) == 2
    assert again.template_facts == learned
    (site / "templates/extra.html").write_text("{% extends 'base.html' %}{% block main %}{{ 'proposal.status'|t }}{% endblock %}\n")
    edited = make_environment(site, compiled=folder)
    assert check_templates(edited, site) == []
    assert edited.template_facts["extra.html"].ui_keys == ((1, "proposal.status", False),)


def test_a_build_without_a_cache_keeps_the_built_in_templates_in_the_users_cache(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a build cache, the built-in themes' compiled templates are kept per user ($XDG_CACHE_HOME,
    else ~/.cache): the next build of any such site loads them. A site's own templates never go there."""
    from consult.build import build_site, check_site
    from consult.theme import shared_compiled_folder
    from tests.conftest import site_with_proposals, tree

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shared = tmp_path / "cache/consult/templates"
    site = site_with_proposals(tmp_path / "site", 1)
    assert shared_compiled_folder(site) == shared
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not a cache folder by the XDG rules: ~/.cache
    assert shared_compiled_folder(site) == Path.home() / ".cache/consult/templates"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for jobs in (1, 2):
        build_site(site, tmp_path / f"out{jobs}", NOW, jobs=jobs)
    assert not (site / ".consult/cache").exists() and len(list(shared.glob("*.jinja"))) > 20
    compiled = compiles_counted(monkeypatch)
    other = site_with_proposals(tmp_path / "other", 2)
    build_site(other, tmp_path / "other-out", NOW)
    assert compiled == [] and tree(tmp_path / "other-out") == check_site(other, NOW).files
    assert tree(tmp_path / "out1") == tree(tmp_path / "out2") == check_site(site, NOW).files

    (site / "templates").mkdir()
    (site / "templates/thanks.html").write_text("{% extends 'base.html' %}{% block main %}Merci{% endblock %}\n")
    assert shared_compiled_folder(site) is None
    before = sorted(shared.iterdir())
    build_site(site, tmp_path / "custom", NOW, jobs=2)
    assert sorted(shared.iterdir()) == before and "thanks.html" in compiled


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_user_cache_that_cannot_be_written_only_costs_compiling_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        jobs: int) -> None:
    """A home folder that cannot be written to (read-only, a file where the folder should be): the
    templates are compiled as if there were no cache, and the site is the same."""
    from consult.build import build_site, check_site
    from tests.conftest import site_with_proposals, tree

    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file/cache"))
    site = site_with_proposals(tmp_path / "site", 1)
    for out in ("out", "again"):
        build_site(site, tmp_path / out, NOW, jobs=jobs)
        assert tree(tmp_path / out) == check_site(site, NOW).files


def test_compiled_templates_follow_the_language_they_were_folded_in(tmp_path: Path) -> None:
    """`'key'|t` is folded into the compiled code: English pages never come from French code."""
    from consult.build import build_site, check_site
    from tests.conftest import site_with_proposals, tree

    site = site_with_proposals(tmp_path / "site", 1)
    build_site(site, tmp_path / "out", NOW, cache=True)
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: fr", "language: en", 1), encoding="utf-8")
    build_site(site, tmp_path / "out", NOW, cache=True)
    assert b'lang="en"' in (tmp_path / "out/index.html").read_bytes()
    assert tree(tmp_path / "out") == check_site(site, NOW).files


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("cache", [True, False])
def test_a_template_syntax_error_is_reported_on_every_build(tmp_path: Path, cache: bool, jobs: int) -> None:
    """Compiled here (-j1) or by build._Templates' child (-j2: into the build cache's folder, or a
    scratch one): the error is the same, and a template that does not compile is never kept."""
    from consult.build import build_site
    from tests.conftest import site_with_proposals

    site = site_with_proposals(tmp_path / "site", 1)
    (site / "templates").mkdir()
    (site / "templates/thanks.html").write_text("{% extends 'base.html' %}{% block main %}Merci{% endblock %}\n")
    build_site(site, tmp_path / "out", NOW, cache=cache, jobs=jobs)
    (site / "templates/thanks.html").write_text("{% extends 'base.html' %}\n{% block main %}{% if %}{% endblock %}\n")
    for _ in range(2):
        with pytest.raises(ConsultError) as raised:
            build_site(site, tmp_path / "out", NOW, cache=cache, jobs=jobs)
        assert [str(p).split(": ")[0] for p in raised.value.problems] == ["templates/thanks.html:2:1"]


def test_the_page_chrome_is_a_key_by_content_whose_pickle_is_its_items() -> None:
    """memo() renders the header and footer once per chrome and marked link: the chrome hashes by
    content, and a page's key (a pickle of its context) is the same whether the hash was computed."""
    import pickle

    from consult.theme import Chrome, chrome_mark

    items = {"title": "Site", "home_url": "/", "footer_links": [{"title": "Charte", "url": "/charte/"}]}
    first, second = Chrome(items), Chrome(dict(items))
    untouched = pickle.dumps(second, protocol=5)
    assert hash(first) == hash(second) and first == second and {first: 1}[second] == 1
    assert pickle.dumps(first, protocol=5) == pickle.dumps(second, protocol=5) == untouched
    assert pickle.loads(untouched) == first and type(pickle.loads(untouched)) is Chrome
    assert hash(Chrome(items, title="Other")) != hash(first)
    assert [chrome_mark(first, url) for url in ("/", "/charte/", "/consultations/x/")] == ["/", "/charte/", ""]
    assert chrome_mark(dict(items), "/charte/") == "/charte/"  # the handler's chrome, read from JSON


def test_a_templates_globals_are_a_plain_dict_of_the_environments(tmp_path: Path) -> None:
    """Both environments give each template its globals as a dict (Jinja's ChainMap made every import
    and every render compare and copy them key by key in Python), and those are the Environment's:
    a macro of an imported partial still sees `t`, and a template's own globals stay its own."""
    from consult.theme import make_environment

    for own in (False, True):
        site = tmp_path / f"site-{own}"
        (site / "templates").mkdir(parents=True)
        if own:  # a site template: the sandboxed SiteEnvironment
            (site / "templates/thanks.html").write_text("{% extends 'base.html' %}\n")
        env = make_environment(site)
        template = env.get_template("partials/items.html")
        assert type(template.globals) is dict and template.globals["t"] is env.globals["t"]
        mine = env.get_template("partials/forms.html", globals={"only_here": 1})
        assert mine.globals["only_here"] == 1 and "only_here" not in env.globals
        shown = env.from_string('{% import "partials/items.html" as items %}{{ items.status_badge("x", "y") }}').render()
        assert 'badge--x' in shown


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_template_error_and_a_content_error_are_reported_together(tmp_path: Path, jobs: int) -> None:
    """Every problem at once: with -j2 the templates are checked by a child while the content is read,
    and its problems join the content's before anything is planned or written."""
    from consult.build import build_site
    from tests.conftest import site_with_proposals

    site = site_with_proposals(tmp_path / "site", 1)
    (site / "templates").mkdir()
    (site / "templates/thanks.html").write_text("{% extends 'base.html' %}\n{% block main %}{% if %}{% endblock %}\n")
    proposal = site / "content/consultations/exemple/proposals/autre-0.md"
    proposal.write_text(proposal.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    with pytest.raises(ConsultError) as raised:
        build_site(site, tmp_path / "out", NOW, jobs=jobs)
    where = [str(p).split(": ")[0] for p in raised.value.problems if not p.warning]
    assert "templates/thanks.html:2:1" in where
    assert any(w.startswith("content/consultations/exemple/proposals/autre-0.md") for w in where)
    assert not (tmp_path / "out").exists()

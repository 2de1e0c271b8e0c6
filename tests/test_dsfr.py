"""The DSFR theme (themes/dsfr/): the vendored design system, the layered macro files it is made
of, the demo built with it (markup, no third-party request, no inline code, page weight), and
`consult check`'s reminder that it is reserved to State entities.

The browser, axe and vnu suites (tests/browser/, tests/test_site_quality.py) run on it as well:
their demo fixtures are parametrised over tests.conftest.THEMES."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import pytest

from consult.build import build_site
from consult.theme import LAYER_MARKER, LayeredLoader, builtin_themes_dir
from tests.conftest import REPO, copy_demo, use_theme

NOW = "2026-12-01T12:00"
DSFR = builtin_themes_dir() / "dsfr"
VENDORED = DSFR / "static" / "dsfr"
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def test_the_vendored_dsfr_is_the_pinned_version_with_its_licence_and_every_file_its_stylesheet_names() -> None:
    script = (REPO / "scripts" / "vendor-dsfr").read_text(encoding="utf-8")
    pinned = re.search(r"^DSFR_VERSION=(\S+)$", script, re.M)
    assert pinned is not None
    version = pinned.group(1)
    css = (VENDORED / "dsfr.min.css").read_text(encoding="utf-8")
    assert f"DSFR v{version} " in css[:200]
    assert (VENDORED / "VERSION").read_text(encoding="utf-8").strip() == version
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    assert version in readme and "@gouvfr/dsfr" in readme and "scripts/vendor-dsfr" in readme
    assert "LICENCE OUVERTE 2.0" in (VENDORED / "LICENSE.md").read_text(encoding="utf-8")
    named = {url for url in CSS_URL.findall(css) if not url.startswith("data:")}
    assert named and all(not urlsplit(url).scheme and not url.startswith("/") for url in named), "a url() leaves the site"
    missing = sorted(url for url in named if not (VENDORED / url).is_file())
    assert not missing, f"dsfr.min.css names files that were not vendored: {missing}"
    shipped = {p.relative_to(VENDORED).as_posix() for p in VENDORED.rglob("*") if p.is_file()}
    extra = shipped - named - {"dsfr.min.css", "LICENSE.md", "README.md", "VERSION"}
    assert not extra, f"vendored but never used: {sorted(extra)}"


# --- the layered macro files -------------------------------------------------------------

def _layers(tmp_path: Path, lower: str, upper: str) -> tuple[Path, Path]:
    (tmp_path / "low").mkdir()
    (tmp_path / "high").mkdir()
    (tmp_path / "low" / "m.html").write_text(lower, encoding="utf-8")
    (tmp_path / "high" / "m.html").write_text(upper, encoding="utf-8")
    return tmp_path / "high", tmp_path / "low"


def test_a_layer_redefines_some_macros_and_inherits_the_others_which_call_the_new_ones(tmp_path: Path) -> None:
    high, low = _layers(
        tmp_path,
        "{% macro field() %}old{% endmacro %}{% macro form() %}[{{ field() }}]{% endmacro %}"
        "{% macro added_later() %}<{{ field() }}>{% endmacro %}",
        LAYER_MARKER + "{% macro field() %}new{% endmacro %}")
    env = jinja2.Environment(loader=LayeredLoader([str(high), str(low)]))
    page = env.from_string('{% import "m.html" as m %}{{ m.field() }} {{ m.form() }} {{ m.added_later() }}')
    assert page.render() == "new [new] <new>"


def test_a_file_without_the_marker_replaces_the_lower_one_whole(tmp_path: Path) -> None:
    high, low = _layers(tmp_path, "{% macro a() %}A{% endmacro %}{% macro b() %}B{% endmacro %}",
                        "{% macro a() %}A2{% endmacro %}")
    env = jinja2.Environment(loader=LayeredLoader([str(high), str(low)]))
    assert env.from_string('{% import "m.html" as m %}{{ m.a() }}').render() == "A2"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string('{% import "m.html" as m %}{{ m.b() }}').render()


def test_a_layer_with_nothing_below_it_is_a_clear_error(tmp_path: Path) -> None:
    high, _ = _layers(tmp_path, "", LAYER_MARKER + "x")
    env = jinja2.Environment(loader=LayeredLoader([str(high)]))
    with pytest.raises(jinja2.TemplateNotFound, match="is a layer over a template of the same name"):
        env.get_template("m.html")


def test_a_layer_is_stale_when_the_file_below_it_changes(tmp_path: Path) -> None:
    high, low = _layers(tmp_path, "{% macro a() %}A{% endmacro %}", LAYER_MARKER + "{% macro b() %}{{ a() }}{% endmacro %}")
    env = jinja2.Environment(loader=LayeredLoader([str(high), str(low)]), auto_reload=True)
    assert env.from_string('{% import "m.html" as m %}{{ m.b() }}').render() == "A"
    later = time.time() + 5
    (low / "m.html").write_text("{% macro a() %}A, changed{% endmacro %}", encoding="utf-8")
    os.utime(low / "m.html", (later, later))
    assert env.from_string('{% import "m.html" as m %}{{ m.b() }}').render() == "A, changed"


# --- the demo built with the DSFR theme ------------------------------------------------------

@pytest.fixture(scope="module")
def dsfr_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("dsfr") / "site")
    use_theme(root, "dsfr")
    build_site(root, root / "_site", NOW)
    return root / "_site"


def test_the_header_is_the_states_with_the_site_as_the_service_and_the_organisation_as_its_tagline(dsfr_site: Path) -> None:
    home = (dsfr_site / "index.html").read_text(encoding="utf-8")
    header = home.split('<header class="fr-header">', 1)[1].split("</header>", 1)[0]
    assert '<p class="fr-logo">République<br>Française</p>' in header
    assert '<p class="fr-header__service-tagline">Ville de Clairval-sur-Loire</p>' in header
    assert 'aria-current="page">Clairval participe</a></p>' in header
    assert '<nav class="fr-nav"' in header and "fr-header__navbar" not in header  # no menu button: no JavaScript
    footer = home.split('<footer class="fr-footer"', 1)[1]
    assert "République<br>Française" in footer and 'href="/accessibilite/"' in footer
    assert home.count("République<br>Française") == 2  # the bloc-marque, header and footer, nowhere else
    assert "site-header" not in home and 'href="/static/dsfr/dsfr.min.css"' in home
    head = home.split("</head>", 1)[0]  # the rest is the default theme's page, which it extends
    assert '<link rel="canonical"' in head and 'type="application/atom+xml"' in head and "consult.js" in head


def test_the_forms_are_drawn_with_the_dsfrs_field_classes(dsfr_site: Path) -> None:
    page = (dsfr_site / "consultations" / "plan-velo" / "index.html").read_text(encoding="utf-8")
    assert '<div class="fr-input-group">' in page and 'class="fr-label" for="suggestion-body"' in page
    assert '<textarea class="fr-input" id="suggestion-body"' in page
    assert '<fieldset class="fr-fieldset"' in page and 'class="fr-radio-group"' in page
    assert '<select class="fr-select" id="proposal-category"' in page
    assert 'class="field' not in page and 'class="input' not in page  # no default field left undrawn
    assert 'name="website"' in page and 'class="honeypot"' in page  # the default file's hidden fields, inherited
    proposal = (dsfr_site / "consultations" / "parc-des-berges" / "proposals" / "aire-de-jeux-inclusive" / "index.html")
    assert 'class="fr-badge fr-badge--sm' in proposal.read_text(encoding="utf-8")


FETCHED_RELS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest", "apple-touch-icon"}


class _Refs(HTMLParser):
    """Every address a page makes the browser fetch by itself, and any inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        fetching_link = tag == "link" and set((values.get("rel") or "").split()) & FETCHED_RELS
        if fetching_link or tag in ("script", "img", "source", "iframe", "video", "audio", "altcha-widget"):
            self.fetched += [v for k, v in attrs if k in ("href", "src", "srcset", "challenge") and v]
        if tag == "script" and not values.get("src"):
            self.inline.append("<script> without src")
        if tag == "style" or "style" in values or any(k.startswith("on") for k in values):
            self.inline.append(f"<{tag}> with a style or an event attribute")


def test_nothing_is_fetched_from_a_third_party_and_nothing_is_inline(dsfr_site: Path) -> None:
    problems = []
    for page in sorted(dsfr_site.rglob("*.html")):
        refs = _Refs()
        refs.feed(page.read_text(encoding="utf-8"))
        where = page.relative_to(dsfr_site)
        problems += [f"{where}: fetches {url}" for url in refs.fetched if urlsplit(url).scheme or url.startswith("//")]
        problems += [f"{where}: {what}" for what in refs.inline]
    for css in sorted(dsfr_site.rglob("*.css")):
        for url in CSS_URL.findall(css.read_text(encoding="utf-8")):
            if not url.startswith("data:") and (urlsplit(url).scheme or url.startswith("//")):
                problems.append(f"{css.relative_to(dsfr_site)}: url({url})")
    assert not problems, "\n".join(problems)
    assert (dsfr_site / "static" / "dsfr" / "fonts" / "Marianne-Regular.woff2").is_file()
    assert not list(dsfr_site.rglob("*.module.min.js"))  # the DSFR's JavaScript is not used, not published


def test_pages_stay_under_14_kb_with_consults_css_and_the_dsfr_stylesheet_is_measured_on_its_own(dsfr_site: Path) -> None:
    """The 14 KB of a first round trip hold a page and consult's own CSS, as with the default theme.
    The DSFR's stylesheet cannot fit (about 92 KB compressed): the State's design system requires it
    whole, every page links the same file, so it is fetched once and cached; it gets a budget of its
    own, so that re-vendoring a much heavier version is noticed."""
    static = dsfr_site / "static"
    own = sum(len(gzip.compress((static / name).read_bytes())) for name in ("style.css", "consult-dsfr.css"))
    heavy = [f"{page.relative_to(dsfr_site)}: {size} bytes" for page in dsfr_site.rglob("*.html")
             if (size := len(gzip.compress(page.read_bytes())) + own) >= 14 * 1024]
    assert not heavy, "\n".join(heavy)
    assert len(gzip.compress((static / "dsfr" / "dsfr.min.css").read_bytes())) < 100 * 1024


# --- consult check ---------------------------------------------------------------------------

def _check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "consult", "-C", str(root), "check", "--now", NOW, *args],
                          capture_output=True, text=True, timeout=120)


def test_check_says_in_french_at_the_themes_line_that_the_dsfr_is_reserved_to_the_state(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "site")
    use_theme(root, "dsfr")
    line = root.joinpath("site.yaml").read_text(encoding="utf-8").splitlines().index("  name: dsfr") + 1
    result = _check(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"site.yaml:{line}:9: attention\xa0: le thème dsfr" in result.stderr
    assert "réservé aux services de l'État" in result.stderr
    strict = _check(root, "--strict")  # a notice, not a warning: a State site keeps --strict
    assert strict.returncode == 0 and "réservé aux services de l'État" in strict.stderr


def test_check_says_it_in_english_for_an_english_site_and_for_the_short_form(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "site")
    text = root.joinpath("site.yaml").read_text(encoding="utf-8")
    text = text.replace("language: fr\n", "language: en\n").replace("theme:\n  name: default\n", "theme: dsfr\nlook:\n")
    text = re.sub(r"\nlook:\n(  .*\n|    .*\n)+", "\n", text)  # the rest of the old theme mapping goes
    root.joinpath("site.yaml").write_text(text, encoding="utf-8")
    line = text.splitlines().index("theme: dsfr") + 1
    result = _check(root)
    assert f"site.yaml:{line}:8: warning: the dsfr theme" in result.stderr, result.stdout + result.stderr
    assert "reserved to State entities" in result.stderr


def test_check_says_nothing_of_it_for_the_default_theme(tmp_path: Path) -> None:
    result = _check(copy_demo(tmp_path / "site"))
    assert result.returncode == 0 and "dsfr" not in result.stdout + result.stderr


def test_the_demo_script_builds_a_copy_of_the_demo_in_dsfr_and_leaves_the_demo_neutral(tmp_path: Path) -> None:
    before = (REPO / "site.yaml").read_text(encoding="utf-8")
    result = subprocess.run([str(REPO / "scripts" / "demo-dsfr"), str(tmp_path / "demo")], capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHON": sys.executable})
    assert result.returncode == 0, result.stdout + result.stderr
    assert '<header class="fr-header">' in (tmp_path / "demo" / "_site" / "index.html").read_text(encoding="utf-8")
    assert (REPO / "site.yaml").read_text(encoding="utf-8") == before
    assert "\n  name: default\n" in before  # the demo itself stays on the neutral theme

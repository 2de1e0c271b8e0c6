"""site.yaml's `theme:` section: contrast arithmetic, parsing, what a build makes of it."""

from __future__ import annotations

import colorsys
import gzip
import re
from pathlib import Path

import pytest

from consult import colors
from consult.build import build_site
from consult.config import ThemeOptions, parse_config
from consult.errors import ConsultError
from tests.conftest import copy_demo

NOW = "2026-12-01T12:00"
HEAD = "title: T\nbase_url: https://x.example.org\norganisation:\n  name: Ville\n"


# --- colors: pure functions ----------------------------------------------------------------

def test_contrast_follows_the_wcag_formula() -> None:
    assert colors.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert colors.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert colors.contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert colors.contrast("#1a4f8b", "#ffffff") == colors.contrast("#ffffff", "#1a4f8b")


def test_a_colour_that_passes_is_its_own_nearest_shade() -> None:
    assert colors.nearest_passing("#1A4F8B", [colors.WHITE], 4.5) == "#1a4f8b"


def _lightness(color: str) -> float:
    digits = colors.normalise(color)[1:]
    return colorsys.rgb_to_hls(*(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)))[1]


@pytest.mark.parametrize("color", ["#5b9bd5", "#ff8800", "#7fbf7f", "#e0e0e0", "#ff0000"])
def test_the_nearest_shade_passes_and_a_slightly_lighter_one_does_not(color: str) -> None:
    against = (colors.WHITE, colors.SURFACE)
    shade = colors.nearest_passing(color, against, 4.5)
    assert shade is not None and colors.passes(shade, against, 4.5)
    assert _lightness(shade) < _lightness(color)
    hue, lightness, saturation = colorsys.rgb_to_hls(*(int(shade[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    lighter = "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hls_to_rgb(hue, lightness + 0.01, saturation))
    assert not colors.passes(lighter, against, 4.5)


def test_a_light_background_asks_for_a_lighter_shade_of_a_dark_colour() -> None:
    shade = colors.nearest_passing("#333333", ["#000000"], 4.5)
    assert shade is not None and _lightness(shade) > _lightness("#333333")


def test_no_shade_reaches_a_ratio_against_both_black_and_white_beyond_their_middle() -> None:
    assert colors.nearest_passing("#777777", ["#000000", "#ffffff"], 5.0) is None


def test_a_malformed_colour_is_refused() -> None:
    assert not colors.is_hex("blue") and not colors.is_hex("#12345")
    with pytest.raises(ValueError):
        colors.normalise("rgb(0,0,0)")


# --- site.yaml -------------------------------------------------------------------------------

def test_theme_as_a_name_still_works() -> None:
    config = parse_config(HEAD + "theme: default\n")
    assert config.theme == "default" and config.theme_options == ThemeOptions()


def test_theme_as_a_mapping() -> None:
    config = parse_config(HEAD + "theme:\n  logo: {file: logo.svg, alt: Ville}\n  primary_color: '#1F6149'\n"
                          "  favicon: icon.png\n  header_links:\n    - {title: Mairie, url: 'https://m.example.org'}\n")
    assert config.theme == "default"
    assert config.theme_options == ThemeOptions(logo="logo.svg", logo_alt="Ville", primary_color="#1f6149",
                                                favicon="icon.png", header_links=(("Mairie", "https://m.example.org"),))


def test_a_pale_colour_is_refused_at_its_place_with_the_nearest_shade() -> None:
    with pytest.raises(ConsultError) as caught:
        parse_config(HEAD + "theme:\n  primary_color: '#5b9bd5'\n")
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (6, 18)
    assert "4.5:1" in problem.message and "'#2e73b3'" in problem.hint
    parse_config(HEAD + "theme:\n  primary_color: '#2e73b3'\n")  # the suggestion is accepted


# --- the build -------------------------------------------------------------------------------

def _site(tmp_path: Path, theme: str) -> Path:
    root = copy_demo(tmp_path / "site")
    text = (root / "site.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^theme:\n(?:  .*\n|\s*\n)*", theme, text, flags=re.M)
    (root / "site.yaml").write_text(text, encoding="utf-8")
    return root


def test_a_site_gets_its_logo_colour_favicon_and_links(tmp_path: Path) -> None:
    root = _site(tmp_path, "theme:\n  logo: {file: logo.svg, alt: Ville de Clairval}\n  primary_color: '#7a2e2e'\n"
                 "  focus_color: '#005fcc'\n  favicon: icon.svg\n  header_links:\n"
                 "    - {title: Site de la mairie, url: 'https://m.example.org'}\n")
    (root / "static" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (root / "static" / "icon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    out = tmp_path / "_site"
    build_site(root, out, NOW)
    css = (out / "static" / "theme.css").read_text(encoding="utf-8")
    assert "--accent: #7a2e2e;" in css and "--focus: #005fcc;" in css and "--accent-dark: #" in css
    home = (out / "index.html").read_text(encoding="utf-8")
    assert '<img class="site-logo" src="/static/logo.svg" alt="Ville de Clairval">' in home
    assert '<link rel="stylesheet" href="/static/theme.css">' in home
    assert '<link rel="icon" href="/static/icon.svg">' in home and "favicon.ico" not in home
    assert '<a href="https://m.example.org">Site de la mairie</a>' in home
    assert "<style" not in home and " style=" not in home  # the CSP allows style-src 'self' only


def test_without_colours_no_theme_css(tmp_path: Path) -> None:
    root = _site(tmp_path, "theme: default\n")
    out = tmp_path / "_site"
    build_site(root, out, NOW)
    assert not (out / "static" / "theme.css").exists()
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "theme.css" not in home and "site-logo" not in home


def test_a_missing_logo_file_is_a_warning_where_it_is_named_and_an_error_under_strict(tmp_path: Path) -> None:
    root = _site(tmp_path, "theme:\n  logo: {file: absent.svg, alt: Ville}\n")
    built, _ = build_site(root, tmp_path / "_site", NOW)
    assert any(w.path == "site.yaml" and w.line == 22 and "static/absent.svg" in w.message for w in built.warnings)
    with pytest.raises(ConsultError) as caught:
        build_site(root, tmp_path / "_strict", NOW, strict=True)
    assert any("static/absent.svg" in p.message for p in caught.value.problems)


def test_the_home_page_puts_open_consultations_first_with_a_call_to_action(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "_site"
    build_site(repo_root, out, NOW)
    home = (out / "index.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section class="home-section home-section--(\w+)"', home)
    assert sections[0] == "open"
    open_section = home.split('home-section--open', 1)[1].split("</section>", 1)[0]
    assert open_section.count('class="button"') == open_section.count('<li class="card')
    page = (out / "consultations" / "plan-velo" / "index.html").read_text(encoding="utf-8")
    assert '<a class="button" href="#contribute">' in page.split("</header>", 2)[1]  # in the page's header


def test_every_demo_page_with_its_css_stays_under_14_kb_compressed(repo_root: Path, tmp_path: Path) -> None:
    """The first round trip of a TCP connection carries about 14 KB: a page and its styles fit in it."""
    out = tmp_path / "_site"
    build_site(repo_root, out, NOW)
    css = sum(len(gzip.compress((out / "static" / name).read_bytes())) for name in ("style.css", "theme.css"))
    for page in out.rglob("*.html"):
        size = len(gzip.compress(page.read_bytes())) + css
        assert size < 14 * 1024, f"{page.relative_to(out)}: {size} bytes"

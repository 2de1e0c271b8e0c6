"""UI strings: both languages complete, dates in French style, no text hard-coded in templates."""

from __future__ import annotations

import re
import string
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from consult.config import DEFAULT_PROPOSAL_STATUSES, DEFAULT_REASONS
from consult.i18n import STRINGS, format_date, format_datetime, translate
from consult.model import QUESTION_TYPES
from consult.theme import builtin_themes_dir

TEMPLATES = builtin_themes_dir() / "default" / "templates"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_both_languages() -> None:
    assert set(STRINGS) == {"fr", "en"}
    assert set(STRINGS["fr"]) == set(STRINGS["en"])


@pytest.mark.parametrize("key", sorted(STRINGS["fr"]))
def test_both_languages_take_the_same_parameters(key: str) -> None:
    assert placeholders(STRINGS["fr"][key]) == placeholders(STRINGS["en"][key])


def test_default_labels() -> None:
    fr = {sid: translate("fr", f"proposal_status.{sid}") for sid in DEFAULT_PROPOSAL_STATUSES}
    assert fr == {"recue": "Reçue", "a-l-etude": "À l'étude", "retenue": "Retenue",
                  "mise-en-oeuvre": "Mise en œuvre", "non-retenue": "Non retenue", "fusionnee": "Fusionnée"}
    assert [translate("fr", f"consultation_status.{s}") for s in ("upcoming", "open", "closed")] == [
        "À venir", "En cours", "Terminée"]
    for language in STRINGS:
        for reason in DEFAULT_REASONS:
            assert translate(language, f"reason.{reason}")
        for kind in QUESTION_TYPES:
            assert translate(language, f"question_type.{kind}")


def test_french_dates() -> None:
    assert format_date(date(2026, 12, 1), "fr") == "1er décembre 2026"
    assert format_date(date(2027, 3, 3), "fr") == "3 mars 2027"
    assert format_date(date(2026, 12, 1), "en") == "1 December 2026"


def test_datetimes_in_the_site_time_zone() -> None:
    utc = datetime(2026, 12, 1, 13, 5, tzinfo=ZoneInfo("UTC"))
    paris = ZoneInfo("Europe/Paris")
    assert format_datetime(utc, "fr", paris) == "1er décembre 2026 à 14 h 05"
    assert format_datetime(utc, "en", paris) == "1 December 2026, 14:05"
    # Late evening UTC is already the next day in Paris.
    assert format_date(datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC")), "fr", paris) == "1er décembre 2026"


def test_plurals_follow_each_language() -> None:
    assert translate("fr", "proposal.supports", count=0) == "0 soutien"
    assert translate("fr", "proposal.supports", count=1) == "1 soutien"
    assert translate("fr", "proposal.supports", count=2) == "2 soutiens"
    assert translate("en", "proposal.supports", count=0) == "0 supporters"
    assert translate("en", "proposal.supports", count=1) == "1 supporter"


def test_a_missing_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        translate("fr", "no.such.key")


# --- templates hold no UI text -------------------------------------------------------

JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
USER_FACING_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-placeholder", "aria-roledescription",
                          "aria-valuetext", "label"}
LETTER = re.compile(r"[^\W\d_]")


class TextFinder(HTMLParser):
    """Collects what a person would read or hear: text nodes and user-facing attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            facing = name in USER_FACING_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in ("submit", "button", "reset"))
            if facing and value and LETTER.search(value):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if LETTER.search(data):
            self.found.append(data.strip())


def hard_coded_text(template: str) -> list[str]:
    finder = TextFinder()
    finder.feed(JINJA.sub("", template))
    finder.close()
    return finder.found


def test_the_checker_finds_text_and_user_facing_attributes() -> None:
    assert hard_coded_text("<p>Bonjour</p>") == ["Bonjour"]
    assert hard_coded_text('<nav aria-label="Menu"></nav>') == ["<nav aria-label='Menu'>"]
    assert hard_coded_text('<img alt="Logo" src="x.png">') == ["<img alt='Logo'>"]
    assert hard_coded_text('<p class="lead" id="x">{{ t("a") }} – {% if x %}{{ y }}{% endif %}</p>') == []


HTML_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", HTML_TEMPLATES, ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_no_template_holds_ui_text(path: Path) -> None:
    assert hard_coded_text(path.read_text(encoding="utf-8")) == []


def test_every_key_a_template_uses_exists() -> None:
    used: set[str] = set()
    for path in TEMPLATES.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            used |= set(re.findall(r"\bt\('([^']+)'", text))  # t('key', ...)
            used |= set(re.findall(r"'([^']+)'(?:\s*~[^)|]*\))?\s*\|\s*t\b", text))  # 'key'|t, ('key.' ~ x)|t
    assert used
    for key in used:
        for language, table in STRINGS.items():
            if key.endswith("."):  # a dynamic key like 'consultation_status.' ~ status
                assert any(k.startswith(key) for k in table), (language, key)
            else:
                assert key in table or f"{key}.one" in table, (language, key)


def test_no_ui_string_carries_a_character_xml_forbids() -> None:
    """Pages are not scanned for them (consult.document.clean cleans texts where they become data):
    the UI strings, consult's own, must not bring one."""
    from consult.document import FORBIDDEN

    for language, table in STRINGS.items():
        for key, value in table.items():
            assert not FORBIDDEN.search(str(value)), (language, key)

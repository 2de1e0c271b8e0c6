"""site.yaml URLs: links only http, https or mailto; base_url a plain absolute http(s) URL; forms
posted to the site itself unless said otherwise. The refusals, with their places: tests/sites_invalid/."""

from __future__ import annotations

from typing import Any

import pytest

from consult.config import read_config

SITE = "title: t\nbase_url: {base}\norganisation:\n  name: o\n"


def problems(extra: str = "", base: str = "https://consult.example.org") -> list[str]:
    config, found = read_config(SITE.format(base=base) + extra)
    assert config is not None
    return [str(p) for p in found]


@pytest.mark.parametrize("extra", [
    "  url: https://www.ville.example/\n  contact_url: mailto:mairie@ville.example\n",
    "  contact_url: /nous-contacter/\n",
    "accessibility:\n  contact: accessibilite@ville.example\n  defender_url: http://defenseur.example/form\n",
    "accessibility:\n  contact: 'Mairie, service accessibilité : 01 23 45 67 89'\n",
    "open_data:\n  licence_url: https://www.etalab.gouv.fr/licence-ouverte-open-licence/\n",
    "forms:\n  endpoint: /api/submit\n",
    "forms:\n  endpoint: https://consult.example.org/api/submit\n",
    "forms:\n  endpoint: https://consult.example.org:443/api/submit\n",
    "forms:\n  endpoint: //consult.example.org/api/submit\n",
    "forms:\n  endpoint: https://handler.example.net/api/submit\n  allow_other_origin: true\n",
])
def test_safe_urls_pass(extra: str) -> None:
    assert problems(extra) == []


@pytest.mark.parametrize("base", ["https://consult.example.org", "http://localhost:8000", "https://ville.example/consult/",
                                  "HTTPS://Consult.Example.org"])
def test_plain_base_urls_pass(base: str) -> None:
    assert problems(base=base) == []


@pytest.mark.parametrize("base", ["consult.example.org", "ftp://consult.example.org", "https://", "https:consult.example.org",
                                  "https://u@consult.example.org", "https://consult.example.org/#top",
                                  "https://consult.example.org/?", "'https://consult.example.org /'",
                                  "javascript://consult.example.org/%0Aalert(1)"])
def test_other_base_urls_are_refused(base: str) -> None:
    assert problems(base=base) == ["site.yaml:2:11: base_url must be a plain absolute URL like https://consultations.example.org "
                                   "(http:// or https://, a host name; no spaces, user, password, query or fragment)"]


@pytest.mark.parametrize("endpoint", ["https://consult.example.org:8443/api/submit", "http://consult.example.org/api/submit",
                                      "//evil.example/api/submit", "https://consult.example.org.evil.example/api"])
def test_a_form_endpoint_on_another_origin_is_refused(endpoint: str) -> None:
    found = problems(f"forms:\n  endpoint: {endpoint}\n")
    assert len(found) == 1 and "another site than base_url" in found[0] and found[0].startswith("site.yaml:6:13: ")
    assert problems(f"forms:\n  endpoint: {endpoint}\n  allow_other_origin: true\n") == []
    not_a_bool = problems(f"forms:\n  endpoint: {endpoint}\n  allow_other_origin: 'yes'\n")
    assert any(p.startswith("site.yaml:7:") and "true or false" in p for p in not_a_bool) and len(not_a_bool) == 2


# -- each setting declared once (consult.model.Config): read from site.yaml, documented defaults ---

def _settings_yaml(values: dict[str, object]) -> str:
    """site.yaml text setting each dotted path of `values`."""
    import yaml

    data: dict[str, Any] = {"base_url": "https://consult.example.org", "organisation": {"name": "o"}}
    for path, value in values.items():
        *sections, key = path.split(".")
        mapping = data
        for section in sections:
            mapping = mapping.setdefault(section, {})
        mapping[key] = value
    return yaml.safe_dump(data, allow_unicode=True)


def test_every_plain_setting_is_read_from_its_place() -> None:
    """A setting added to Config is read from site.yaml with no other line: each one given a
    value other than its default comes out on the Config."""
    import dataclasses
    from datetime import date

    from consult.config import READ_BY_HAND, Config
    from consult.schema import schema_fields

    samples = {"str": "autre", "int": 7, "bool": True, "list": ["a-b"], "date": date(2026, 1, 2)}
    chosen = {"language": "en", "timezone": "America/Cayenne", "accessibility.status": "full",
              "forms.endpoint": "/api/x", "forms.inbox": "sqlite:///x.sqlite3"}
    settings = [f for f in dataclasses.fields(Config) if "yaml" in f.metadata and f.name not in READ_BY_HAND]
    assert len(settings) > 20
    values = {}
    for spec in settings:
        path = spec.metadata["yaml"] or spec.name
        section, _, key = path.rpartition(".")
        values[path] = chosen.get(path, samples[schema_fields(Config, section)[key].type])
    config, found = read_config(_settings_yaml(values))
    assert found == [] and config is not None
    for spec in settings:
        value = values[spec.metadata["yaml"] or spec.name]
        assert getattr(config, spec.name) == (tuple(value) if isinstance(value, list) else value) != spec.default


def _readme_site_yaml() -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### site.yaml", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_readme_shows_the_defaults() -> None:
    """The README's site.yaml gives these settings their default values (its comments say so):
    they must be the defaults Config declares."""
    import re
    from pathlib import Path

    from consult.model import DEFAULT_FINAL_STATUSES, DEFAULT_MERGED_STATUS, DEFAULT_PROPOSAL_STATUSES, Config

    config, found = read_config(_readme_site_yaml())
    assert config is not None and [p for p in found if not p.warning] == []
    for name in ("language", "timezone", "form_endpoint", "inbox", "altcha", "reasons", "retention_days",
                 "accessibility_status"):
        assert getattr(config, name) == getattr(Config, name), name
    assert config.status_ids == DEFAULT_PROPOSAL_STATUSES
    assert (config.final_statuses, config.merged_status) == (DEFAULT_FINAL_STATUSES, DEFAULT_MERGED_STATUS)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"`retention_days` \((\d+) by default\)", readme) == [str(Config.retention_days)]


def test_problems_are_said_in_french_too() -> None:
    """Each problem knows its French, printed for a French site; its English is what str gives."""
    _, found = read_config(SITE.format(base="https://consult.example.org") + "  url: 'javascript:alert(1)'\n"
                           "timezone: Europe/Pariss\ntheme:\n  primary_color: '#ffff00'\n  primary_colour: x\n")
    assert sorted(p.said("fr") for p in found) == [
        "site.yaml:5:8: « organisation.url » doit être une adresse http, https ou mailto, pas « javascript: »",
        "site.yaml:6:11: fuseau horaire inconnu « Europe/Pariss » (par exemple « Europe/Paris »)",
        "site.yaml:8:18: primary_color #ffff00 n'atteint pas le contraste WCAG AA : 1.0:1 alors que 4.5:1 est requis "
        "(les liens sur le blanc et sur le gris clair de l'en-tête, le texte blanc des boutons) "
        "(la nuance la plus proche qui l'atteint est « #737300 »)",
        "site.yaml:9:3: champ inconnu « primary_colour » dans « theme » (vouliez-vous dire « primary_color » ?)",
    ]
    assert "site.yaml:6:11: unknown time zone 'Europe/Pariss' (e.g. 'Europe/Paris')" in [str(p) for p in found]

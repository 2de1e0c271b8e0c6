"""site.yaml URLs: links only http, https or mailto; base_url a plain absolute http(s) URL; forms
posted to the site itself unless said otherwise. The refusals, with their places: tests/sites_invalid/."""

from __future__ import annotations

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

from __future__ import annotations

from hypothesis import given, strategies as st

from consult.schema import SLUG_RE
from consult.slug import slugify


def test_french_titles_make_readable_slugs() -> None:
    assert slugify("Réaménager la place du marché") == "reamenager-la-place-du-marche"
    assert slugify("L’œuvre d’art : où ?") == "l-oeuvre-d-art-ou"


def test_path_tricks_vanish() -> None:
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("   ") == ""


@given(st.text())
def test_slugs_are_idempotent_and_safe(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug
    assert slug == "" or SLUG_RE.match(slug)
    assert len(slug) <= 60

"""A consultation's proposal lists (consult/facets.py): every pre-rendered list page, for every
sort and facet value, lists exactly the right proposals in the right order, over random sites."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.build import check_site
from consult.scaffold import init_site

NOW = "2026-02-15T12:00"
PER_PAGE = 3
CATEGORIES = ("amenagement", "services")  # the skeleton consultation's
STATUSES = ("recue", "a-l-etude", "retenue", "mise-en-oeuvre", "non-retenue")  # the skeleton's, in order
LIST = "consultations/exemple/propositions/"
WORDS = ("Arbres", "bancs", "Éclairage", "fontaine", "Jeux", "ombre", "Zone")


@dataclass(frozen=True)
class Spec:
    """One proposal of a random site, as the test writes it and independently expects it listed."""

    slug: str
    title: str
    category: str  # '' for none
    status: str
    origin: str
    supports: int
    made: date  # the first history entry (an agency's) or the submission day (a citizen's)
    answered: date | None


def specs() -> st.SearchStrategy[list[Spec]]:
    day = st.integers(0, 20).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
    one = st.tuples(st.sampled_from(WORDS), st.sampled_from(("",) + CATEGORIES), st.sampled_from(STATUSES),
                    st.sampled_from(("agency", "citizen")), st.integers(0, 4), day, st.none() | day)
    return st.lists(one, min_size=1, max_size=11).map(lambda rows: [
        Spec(f"p-{n:02d}", f"{word} {n}", category, status, origin, supports, made, answered)
        for n, (word, category, status, origin, supports, made, answered) in enumerate(rows)])


def proposal_file(spec: Spec) -> str:
    first = spec.made if spec.origin == "agency" else spec.made + timedelta(days=1)
    lines = ["---", f'title: "{spec.title}"', f"status: {spec.status}", "history:",
             f"  - date: {first.isoformat()}", "    status: recue"]
    if spec.status != "recue":
        lines += [f"  - date: {(first + timedelta(days=1)).isoformat()}", f"    status: {spec.status}"]
    if spec.category:
        lines.append(f"category: {spec.category}")
    if spec.origin == "citizen":
        lines += ["origin: citizen", 'author: "Camille"', f"submitted: {spec.made.isoformat()}"]
    if spec.answered:
        lines += ['response: "Notre réponse."', f"response_date: {spec.answered.isoformat()}"]
    return "\n".join(lines + ["---", "", f"Le texte de {spec.title}.", ""])


def write_site(root: Path, proposals: list[Spec]) -> Path:
    init_site(root)
    config = root / "site.yaml"
    config.write_text(re.sub(r"(?m)^contributions_per_page: \d+", f"contributions_per_page: {PER_PAGE}",
                             config.read_text(encoding="utf-8")), encoding="utf-8")
    folder = root / "content/consultations/exemple/proposals"
    shutil.rmtree(folder)
    folder.mkdir()
    for spec in proposals:
        (folder / f"{spec.slug}.md").write_text(proposal_file(spec), encoding="utf-8")
    supports = "".join(f"{spec.slug}: {spec.supports}\n" for spec in proposals)
    (root / "content/consultations/exemple/supports.yaml").write_text(supports, encoding="utf-8")
    return root


# -- what each list should hold, worked out here without consult.facets ---------------------------

def by_support(proposals: list[Spec]) -> list[Spec]:
    return sorted(proposals, key=lambda s: (-s.supports, s.title.casefold(), s.slug))


def by_day(proposals: list[Spec], day: str) -> list[Spec]:
    dated = [s for s in proposals if getattr(s, day) is not None]
    undated = [s for s in proposals if getattr(s, day) is None]
    return sorted(dated, key=lambda s: (-getattr(s, day).toordinal(), s.title.casefold(), s.slug)) + by_support(undated)


def expected_lists(proposals: list[Spec]) -> dict[str, list[str]]:
    """URL (under the consultation's propositions/) -> the slugs it lists, in order, over all its pages."""
    lists = {"": by_support(proposals), "tri/recentes/": by_day(proposals, "made"),
             "tri/reponses/": by_day(proposals, "answered")}
    for facet, attribute in (("categorie", "category"), ("statut", "status"), ("origine", "origin")):
        values = {getattr(s, attribute) for s in proposals} - {""}
        if len(values) >= 2:  # a facet is offered when it splits the list
            for value in values:
                lists[f"{facet}/{value}/"] = by_support([s for s in proposals if getattr(s, attribute) == value])
    return {url: [s.slug for s in found] for url, found in lists.items()}


def listed(html: str) -> list[str]:
    found = re.search(r'<ul class="cards facets__list">(.*?)</ul>', html, re.S)
    assert found, "no list on the page"
    return re.findall(r'<li class="card" data-slug="([^"]+)"', found.group(1))


def shown_by_script(data: dict, url: str) -> list[str]:
    """What facets.js shows for a list, from propositions/index.json: the sort's order, filtered."""
    parts = url.strip("/").split("/") if url else []
    facet, value, sort = ("", "", parts[1]) if parts[:1] == ["tri"] else (*parts, "soutiens") if parts else ("", "", "soutiens")
    return [data["items"][i]["slug"] for i in data["orders"][sort] if not facet or data["items"][i][facet] == value]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(proposals=specs())
def test_every_list_page_lists_exactly_the_right_proposals(tmp_path_factory: pytest.TempPathFactory,
                                                           proposals: list[Spec]) -> None:
    root = write_site(tmp_path_factory.mktemp("site") / "site", proposals)
    files = check_site(root, NOW).files
    expected = expected_lists(proposals)
    pages_expected = set()
    data = json.loads(files[LIST + "index.json"])
    for url, slugs in expected.items():
        count = max(1, -(-len(slugs) // PER_PAGE))
        seen: list[str] = []
        for number in range(1, count + 1):
            path = f"{LIST}{url}{'' if number == 1 else f'{number}/'}index.html"
            pages_expected.add(path)
            html = files[path].decode("utf-8")
            on_page = listed(html)
            assert 0 < len(on_page) <= PER_PAGE, path
            seen += on_page
            if count > 1:  # accessible pagination: a named nav, the current page marked
                nav = re.search(r'<nav class="pagination" aria-label="([^"]+)">(.*?)</nav>', html, re.S)
                assert nav and nav.group(1), path
                assert re.findall(r'aria-current="page"><span class="visually-hidden">Page</span> (\d+)<', nav.group(2)) \
                    == [str(number)], path
            else:
                assert 'class="pagination"' not in html, path
            assert re.search(rf'role="status">{len(slugs)} propositions?\b', html), path
        assert seen == slugs, url
        assert shown_by_script(data, url) == slugs, url
    assert {p for p in files if p.startswith(LIST) and p.endswith(".html")} == pages_expected


def test_each_control_is_a_link_to_its_list_and_marks_the_current_choice(tmp_path: Path) -> None:
    proposals = [Spec("p-00", "Arbres", "amenagement", "recue", "agency", 3, date(2026, 1, 2), None),
                 Spec("p-01", "Bancs", "services", "retenue", "citizen", 1, date(2026, 1, 3), date(2026, 1, 9))]
    files = check_site(write_site(tmp_path / "site", proposals), NOW).files
    page = files[LIST + "categorie/services/index.html"].decode("utf-8")
    base = "/" + LIST
    controls = re.findall(r'<a href="([^"]+)"(?: aria-current="true")? data-(?:facet|sort)=', page)
    assert set(controls) >= {base, base + "categorie/amenagement/", base + "categorie/services/",
                             base + "statut/recue/", base + "statut/retenue/", base + "origine/citizen/",
                             base + "origine/agency/", base + "tri/recentes/", base + "tri/reponses/"}
    current = re.findall(r'<a href="([^"]+)" aria-current="true"', page)
    assert current == [base + "categorie/services/", base]  # the category, and the sort it is in
    assert '<nav class="facets__controls" aria-label="Filtrer et trier les propositions">' in page
    assert '<script src="/static/facets.js" defer></script>' in page
    consultation = files["consultations/exemple/index.html"].decode("utf-8")
    assert f'<a href="{base}">Voir les 2 propositions, les filtrer et les trier</a>' in consultation
    sitemap = files["sitemap.xml"].decode("utf-8")
    assert all(f"{base}{url}</loc>" in sitemap for url in ("", "categorie/services/", "tri/reponses/"))


def test_a_consultation_without_proposals_has_no_lists(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", [])
    files = check_site(root, NOW).files
    assert not [p for p in files if p.startswith(LIST)]
    assert "propositions/" not in files["consultations/exemple/index.html"].decode("utf-8")


def test_listed_alone_decides_which_proposals_every_list_shows(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """facets.listed(c) is the one place that leaves a proposal out: its lists, their data, their counts
    and the consultation page's link all follow it, while the proposal's own page stays."""
    from consult import facets

    proposals = [Spec(f"p-0{n}", f"Arbres {n}", "amenagement", "recue", "agency", n, date(2026, 1, 2), None)
                 for n in range(3)]
    monkeypatch.setattr(facets, "listed", lambda c: tuple(p for p in c.proposals if p.slug != "p-01"))
    files = check_site(write_site(tmp_path / "site", proposals), NOW).files
    lists = {path: data.decode("utf-8") for path, data in files.items() if path.startswith(LIST)}
    assert lists and LIST + "index.json" in lists
    assert not [path for path, text in lists.items() if "/proposals/p-01/" in text]
    assert all("/proposals/p-00/" in text and "/proposals/p-02/" in text for text in lists.values())
    assert 'role="status">2 propositions' in lists[LIST + "index.html"]
    consultation = files["consultations/exemple/index.html"].decode("utf-8")
    assert "Voir les 2 propositions, les filtrer et les trier" in consultation
    assert "/proposals/p-01/" not in consultation
    assert "consultations/exemple/proposals/p-01/index.html" in files


def test_choices_are_equal_and_hashed_in_their_order() -> None:
    """memo renders a list's controls once for all its pages, keyed by its Choices: equal ones
    must render the same, so the order the page shows them in is part of their equality."""
    from consult.facets import Choice, Choices

    status = ("statut", (Choice("statut", "recue", "Reçue", 3, "/c/statut/recue/"),))
    sorts = ("tri", (Choice("", "soutiens", "Les plus soutenues", 3, "/c/"),))
    a, b, swapped = Choices([status, sorts]), Choices([status, sorts]), Choices([sorts, status])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != swapped and dict(a) == dict(swapped)
    assert a != dict(a)  # only another Choices is equal

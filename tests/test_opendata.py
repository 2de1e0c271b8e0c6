"""Open data: the published content as CSV files with a Data Package descriptor."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from hypothesis import given, settings, strategies as st

from consult.build import check_site
from consult.opendata import html_to_text, render_open_data

TINY = Path(__file__).parent / "sites" / "tiny"
NOW = "2026-12-01T12:00"


def rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[f"data/{name}.csv"].decode("utf-8"))))


def test_only_published_contributions_are_exported() -> None:
    files = render_open_data(check_site(TINY, NOW).site)
    exported = {row["id"]: row for row in rows(files, "contributions")}
    assert sorted(exported) == ["20261103-aaaa0001", "20261104-aaaa0002", "20261105-aaaa0003", "20261108-aaaa0006",
                                *(f"2026111{n}-bbbb000{n}" for n in range(1, 5)),
                                "20261116-cccc0001", "20261117-cccc0002"]  # comments enough to paginate
    camille = exported["20261103-aaaa0001"]
    assert camille["author"] == "Camille" and camille["kind"] == "suggestion"
    assert json.loads(camille["answers"]) == {"freins": ["La sécurité", "La météo"], "frequence": "Tous les jours", "note": "2"}
    assert camille["text"].startswith("Des feux dédiés aux carrefours.")
    assert exported["20261108-aaaa0006"]["proposal"] == "rue-haute"
    everything = b"".join(files.values()).decode("utf-8")
    for secret in ("TEXTE-EN-ATTENTE", "TEXTE-REFUSE", "COMMENTAIRE-REFUSE", "COMMENTAIRE-EN-ATTENTE"):
        assert secret not in everything


def test_proposals_and_consultations() -> None:
    files = render_open_data(check_site(TINY, NOW).site)
    proposals = {row["slug"]: row for row in rows(files, "proposals")}
    assert proposals["rue-haute"]["status"] == "retenue" and proposals["rue-haute"]["supports"] == "12"
    assert proposals["rue-haute"]["url"] == "https://consult.testville.example/consultations/velo/proposals/rue-haute/"
    assert proposals["rue-haute"]["comments"] == "5"
    statuses = {row["slug"]: row["status"] for row in rows(files, "consultations")}
    assert statuses == {"ecoles": "upcoming", "marche": "closed", "velo": "open"}


def test_descriptor_names_the_licence_and_matches_the_files() -> None:
    files = check_site(TINY, NOW).files  # with the results CSV, which the render stage writes
    package = json.loads(files["data/datapackage.json"])
    assert package["licenses"][0]["name"] == "etalab-2.0"
    for resource in package["resources"]:
        header = files[f"data/{resource['path']}"].decode("utf-8").splitlines()[0].split(",")
        assert header == [field["name"] for field in resource["schema"]["fields"]]


def test_spreadsheet_formulas_are_defused(tmp_path: Path) -> None:
    site = tmp_path / "tiny"
    shutil.copytree(TINY, site, ignore=shutil.ignore_patterns("expected"))
    contribution = site / "content/consultations/velo/contributions/20261105-aaaa0003.md"
    contribution.write_text(contribution.read_text(encoding="utf-8").replace(
        "status: published", "status: published\nauthor: '=HYPERLINK(\"http://evil.example\",\"x\")'"), encoding="utf-8")
    files = render_open_data(check_site(site, NOW).site)
    row = next(r for r in rows(files, "contributions") if r["id"] == "20261105-aaaa0003")
    assert row["author"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"


def test_licence_is_configurable(tmp_path: Path) -> None:
    site = tmp_path / "tiny"
    shutil.copytree(TINY, site, ignore=shutil.ignore_patterns("expected"))
    config = site / "site.yaml"
    config.write_text(config.read_text() + "open_data:\n  licence: ODbL-1.0\n  licence_url: https://opendatacommons.org/licenses/odbl/1-0/\n")
    package = json.loads(render_open_data(check_site(site, NOW).site)["data/datapackage.json"])
    assert package["licenses"][0] == {"name": "ODbL-1.0", "path": "https://opendatacommons.org/licenses/odbl/1-0/",
                                      "title": "ODbL-1.0"}


INNER = st.sampled_from(["&quot;", "a", "é", " ", "\n", "\t", '"', ">", "&amp;", "<br />", "</p>"])
NEAR_PROSE_HTML = st.one_of(
    st.lists(st.lists(INNER, max_size=8).map(lambda inner: "<p>" + "".join(inner) + "</p>\n"), max_size=4).map("".join),
    st.lists(st.sampled_from(["<p>", "</p>\n", "</p>", "&quot;", "&amp;", "<br />", "a", " ", "\n", "\t", '"', ">"]),
             max_size=30).map("".join))


@settings(max_examples=500, deadline=None)
@given(NEAR_PROSE_HTML)
def test_the_text_of_prose_html_is_the_parser_s(fragment: str) -> None:
    """html_to_text takes the HTML of plain prose (paragraphs, &quot;) without parsing it: the same
    text as the parser's, on fragments made of what that HTML and its neighbours are made of."""
    from consult.opendata import parsed_text

    text = parsed_text(fragment)
    assert html_to_text(fragment) == "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def test_html_to_text_keeps_paragraphs_and_drops_markup() -> None:
    assert html_to_text("<p>Un <strong>deux</strong></p>\n<ul>\n<li>a</li>\n<li>b &amp; c</li>\n</ul>") == "Un deux\na\nb & c"


def test_contributions_csv_comes_in_lazy_chunks_with_the_same_bytes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """contributions.csv is made chunk by chunk as it is read (CHUNK_ROWS rows at a time), never whole: a
    national consultation's CSV is hundreds of MB. The bytes are those of one piece."""
    import consult.opendata as opendata

    site = check_site(TINY, NOW).site
    whole = render_open_data(site)["data/contributions.csv"]
    monkeypatch.setattr(opendata, "CHUNK_ROWS", 2)
    lazy = opendata.open_data_files(site)["data/contributions.csv"]
    assert not isinstance(lazy, bytes)
    pieces = list(lazy)
    assert b"".join(pieces) == whole
    sizes = [len(list(csv.reader(io.StringIO(piece.decode("utf-8"))))) for piece in pieces]
    assert sizes[0] == 1 and sum(sizes[1:]) == 10  # the header, then the rows two at a time (per consultation)
    assert len(sizes) >= 1 + 10 // 2 and max(sizes[1:]) == 2

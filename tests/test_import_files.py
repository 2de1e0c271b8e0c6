"""`consult import`: CSV, XLSX and ODS rows checked as the handler checks forms, written as pending
contributions with their channel, idempotently; the channel on the site and in the open data."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.build import check_site
from consult.cli import cli
from consult.document import parse_front_matter
from consult.errors import ConsultError
from consult.imports import import_file
from consult.moderation import decide
from tests.conftest import copy_demo
from tests.spreadsheets import write_ods, write_xlsx

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
HEADER = ["date", "type", "titre", "texte", "auteur", "proposition", "frequence", "freins", "securite-ressentie",
          "priorite"]
ROWS = [
    [date(2026, 11, 2), "suggestion", "Un arceau place du marché", "Des arceaux devant la poste. Tél 06 12 34 56 78",
     "Jeanne", "", "", "", "", ""],
    ["03/11/2026", "commentaire", "", "Je suis d'accord", "Paul", "arceaux-gare", "", "", "", ""],
    ["2026-11-04", "réponses", "", "", "", "", "Rarement ou jamais",
     "Le relief ou la météo\nLes distances sont trop longues", 2, "Rue Nationale"],
    ["2026-11-05", "commentaire", "", "Je suis d'accord", "Paul", "arceaux-gare", "", "", "", ""],  # a different day
    ["2026-11-04", "réponses", "", "", "", "", "Rarement ou jamais", "", 4, ""],
    ["2026-11-04", "réponses", "", "", "", "", "Rarement ou jamais", "", 4, ""],  # the same answers, twice: two people
]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    copy_demo(root)
    return root


def write_csv(path: Path, rows: list[list[object]], delimiter: str = ";", encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow([cell.isoformat() if isinstance(cell, date) else cell for cell in row])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def imported(site: Path) -> dict[str, dict]:
    found = {}
    for path in (site / "content" / "consultations").glob("*/contributions/*.md"):
        doc, body, problems = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
        if doc.data.get("channel"):
            found[path.stem] = dict(doc.data, body=body)
    return found


def run(site: Path, path: Path, channel: str = "papier") -> tuple[int, int]:
    done = import_file(site, path, "plan-velo", channel, NOW, timezone.utc)
    return len(done.written), done.present


def test_csv_rows_become_pending_contributions_with_their_channel(site: Path, tmp_path: Path) -> None:
    assert run(site, write_csv(tmp_path / "papier.csv", [HEADER, *ROWS])) == (6, 0)
    files = imported(site)
    assert len(files) == 6 and {f["channel"] for f in files.values()} == {"papier"}
    assert {f["status"] for f in files.values()} == {"pending"}
    [idea] = [f for f in files.values() if f["kind"] == "suggestion"]
    assert idea["title"] == "Un arceau place du marché" and idea["author"] == "Jeanne"
    assert idea["flags"] == ["personal-phone"] and "06 12 34 56 78" in idea["body"]  # flagged, never changed
    assert str(idea["submitted"]).startswith("2026-11-02")
    answers = [f for f in files.values() if f["kind"] == "answers" and f["answers"].get("priorite")]
    assert answers[0]["answers"] == {"frequence": "Rarement ou jamais", "securite-ressentie": "2",
                                     "freins": ["Les distances sont trop longues", "Le relief ou la météo"],
                                     "priorite": "Rue Nationale"}
    [comment] = [f for f in files.values() if f["kind"] == "comment" and str(f["submitted"]).startswith("2026-11-03")]
    assert comment["proposal"] == "arceaux-gare"
    check_site(site, NOW)  # every file passes consult check


def test_importing_twice_adds_nothing_and_added_rows_only_themselves(site: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "papier.csv", [HEADER, *ROWS])
    assert run(site, path) == (6, 0)
    before = {p: p.read_bytes() for p in (site / "content").rglob("*.md")}
    assert run(site, path) == (0, 6)
    assert {p: p.read_bytes() for p in (site / "content").rglob("*.md")} == before
    longer = [HEADER, ROWS[0], ["2026-11-06", "suggestion", "", "Une idée de plus", "", "", "", "", "", ""], *ROWS[1:]]
    assert run(site, write_csv(tmp_path / "papier-2.csv", longer)) == (1, 6)  # a row inserted: only it is new
    assert run(site, path, channel="reunion") == (6, 0)  # the same words heard at a meeting are other contributions


def test_xlsx_and_ods_read_as_the_csv(site: Path, tmp_path: Path) -> None:
    """The same rows in the three formats give the same contributions (same ids): a typed 2 is "2"
    whether the cell is a number (XLSX, ODS) or text (CSV), an ODS date cell is its day."""
    xlsx = write_xlsx(tmp_path / "papier.xlsx", [HEADER, *ROWS])
    assert run(site, xlsx) == (6, 0)
    first = imported(site)
    assert run(site, write_ods(tmp_path / "papier.ods", [HEADER, *ROWS])) == (0, 6)
    assert run(site, write_csv(tmp_path / "papier.csv", [HEADER, *ROWS])) == (0, 6)
    assert imported(site) == first


def problems_of(site: Path, path: Path) -> list[str]:
    """The problems as a French site's editor reads them."""
    with pytest.raises(ConsultError) as caught:
        import_file(site, path, "plan-velo", "papier", NOW, timezone.utc)
    return [p.said("fr") for p in caught.value.problems]


def test_bad_rows_are_all_reported_with_row_and_column_and_nothing_is_written(site: Path, tmp_path: Path) -> None:
    rows = [HEADER,
            ROWS[0],
            ["2026-11-05", "suggestion", "", "", "", "", "", "", "", ""],  # no text
            ["", "suggestion", "Titre", "Texte", "", "", "", "", "", ""],  # no date
            ["31/02/2026", "suggestion", "Titre", "Texte", "", "", "", "", "", ""],
            ["2026-11-06", "commentaire", "", "Oui", "", "inconnue", "", "", "", ""],
            ["2026-11-07", "réponses", "", "", "", "", "Souvent", "", "", ""],
            ["2026-11-07", "réponses", "", "", "", "", "Rarement ou jamais", "", 9, ""],
            ["2026-11-07", "suggestion", "", "Texte", "", "", "Rarement ou jamais", "", "", ""],
            ["2026-11-07", "tract", "", "Texte", "", "", "", "", "", ""],
            ["2026-11-07", "suggestion", "", "x" * 5001, "", "", "", "", "", ""]]
    path = write_csv(tmp_path / "saisie.csv", rows)
    before = {p: p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()}
    where = str(path)
    assert problems_of(site, path) == [
        f"{where}:3:4: Écrivez votre texte.",
        f"{where}:4:1: date de réception manquante",
        f"{where}:5:1: date « 31/02/2026 » illisible (AAAA-MM-JJ ou JJ/MM/AAAA)",
        f"{where}:6:6: proposition « inconnue » inconnue dans cette consultation",
        f"{where}:7:7: « Souvent » n'est pas un des choix proposés",
        f"{where}:8:9: Choisissez une valeur entre 1 et 5 pour « Comment jugez-vous la sécurité des cyclistes à "
        "Clairval aujourd’hui ? ».",
        f"{where}:9:7: une contribution de type suggestion ne répond pas au questionnaire (type : réponses)",
        f"{where}:10:2: type « tract » inconnu (suggestion, proposition, commentaire, réponses)",
        f"{where}:11:4: Ce texte dépasse 5000 caractères (5001 actuellement) : raccourcissez-le.",
    ]
    assert {p: p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()} == before


def test_header_problems(site: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "entete.csv", [["date", "texte", "courriel", "titr", "texte"],
                                               ["2026-11-02", "Texte", "a@example.org", "", ""]])
    where = str(path)
    assert problems_of(site, path) == [
        f"{where}:1:3: colonne « courriel » : les adresses e-mail ne sont pas importées (content/ est public) ; retirez-la",
        f"{where}:1:4: colonne inconnue « titr » (vouliez-vous dire « titre » ?)",
        f"{where}:1:5: colonne « texte » en double",
    ]


def test_import_problems_are_said_in_both_languages(site: Path, tmp_path: Path) -> None:
    """The problem knows its words in both languages: English in the code, French for a French site."""
    path = write_csv(tmp_path / "entete.csv", [["date", "texte", "texte"], ["2026-11-02", "Texte", ""]])
    with pytest.raises(ConsultError) as caught:
        import_file(site, path, "plan-velo", "papier", NOW, timezone.utc)
    [problem] = caught.value.problems
    assert str(problem) == f"{path}:1:3: column 'texte' twice"
    assert problem.said("fr") == f"{path}:1:3: colonne « texte » en double"


def test_windows_csv_with_commas(site: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel.csv", [["Date", "Titre", "Texte"], ["02/11/2026", "Été", "Des arbres à l'école"]],
                     delimiter=",", encoding="cp1252")
    assert run(site, path) == (1, 0)
    [found] = imported(site).values()
    assert found["title"] == "Été" and found["body"].strip() == "Des arbres à l'école"


def test_without_calamine_a_clear_message(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "papier.xlsx", [HEADER, *ROWS])
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    assert problems_of(site, path) == [f"{path}: lire un fichier .xlsx demande python-calamine : "
                                       "pip install 'consult-static[import]'"]
    (tmp_path / "papier.pdf").write_bytes(b"%PDF")
    assert problems_of(site, tmp_path / "papier.pdf") == [f"{tmp_path / 'papier.pdf'}: format inconnu : CSV, XLSX ou ODS attendu"]


def test_cli_import(site: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "papier.csv", [HEADER, *ROWS])
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(site), "import", str(path), "--consultation", "plan-velo", "--channel", "papier"])
    assert result.exit_code == 0 and "6 contribution(s) importée(s) (papier), 0 déjà présente(s)." in result.output
    result = runner.invoke(cli, ["-C", str(site), "import", str(path), "--consultation", "plan-velo", "--channel", "papier"])
    assert "0 contribution(s) importée(s) (papier), 6 déjà présente(s)." in result.output
    result = runner.invoke(cli, ["-C", str(site), "import", str(path), "--consultation", "plan-vleo", "--channel", "papier"])
    assert result.exit_code == 1 and "la consultation « plan-vleo » n'existe pas (vouliez-vous dire « plan-velo » ?)" in result.output
    result = runner.invoke(cli, ["-C", str(site), "import", str(path), "--consultation", "plan-velo", "--channel", "fax"])
    assert result.exit_code == 2


def test_the_site_and_the_open_data_show_the_channel(site: Path, tmp_path: Path) -> None:
    run(site, write_csv(tmp_path / "papier.csv", [HEADER, ROWS[1]]))
    [id_] = imported(site)
    decide(site, [id_], "published")
    files = check_site(site, NOW).files
    page = next(body.decode() for name, body in files.items()
                if name.startswith("consultations/plan-velo/proposals/arceaux-gare/") and id_.encode() in body)
    assert "Reçue sur papier" in page.split(f'id="contribution-{id_}"')[1].split("</li>")[0]
    data = list(csv.DictReader(io.StringIO(files["data/contributions.csv"].decode())))
    assert {row["id"]: row["channel"] for row in data}[id_] == "papier"
    assert {row["channel"] for row in data if row["id"] != id_} == {"web"}


def test_check_refuses_an_unknown_channel(site: Path, tmp_path: Path) -> None:
    run(site, write_csv(tmp_path / "papier.csv", [HEADER, ROWS[1]]))
    [path] = [p for p in (site / "content").rglob("*.md") if "channel: papier" in p.read_text(encoding="utf-8")]
    path.write_text(path.read_text(encoding="utf-8").replace("channel: papier", "channel: papeir"), encoding="utf-8")
    with pytest.raises(ConsultError, match="unknown channel 'papeir' \\(did you mean 'papier'\\?\\)"):
        check_site(site, NOW)


def test_the_sample_of_the_readme_imports_into_the_demo(site: Path, repo_root: Path) -> None:
    sample = repo_root / "docs" / "import-exemple.csv"
    assert run(site, sample) == (3, 0)
    assert sorted(f["kind"] for f in imported(site).values()) == ["answers", "comment", "suggestion"]

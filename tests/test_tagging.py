"""`consult tag`: only the tags line changes; themes are checked against the codebook first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.build import check_site
from consult.cli import cli
from consult.errors import ConsultError
from consult.tagging import set_tags

SITES = Path(__file__).parent / "sites"
VELO = "content/consultations/velo/contributions/"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(SITES / "tiny", root, ignore=shutil.ignore_patterns("expected"))
    return root


def run(site: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(site), "tag", *args])
    return result.exit_code, result.output + (str(result.exception) if result.exit_code and result.exception else "")


def test_tag_adds_a_line_after_status_and_changes_nothing_else(site: Path) -> None:
    path = site / VELO / "20261104-aaaa0002.md"
    before = path.read_text()
    code, out = run(site, "20261104-aaaa0002", "--add", "securite", "--add", "stationnement")
    assert code == 0, out
    after = path.read_text()
    assert after == before.replace("status: published\n", "status: published\ntags: [securite, stationnement]\n")
    counts = check_site(site, "2026-12-01T12:00").files["data/results/velo/themes.csv"].decode()
    assert "securite,Sécurité,Se sentir en sécurité à vélo.,,3" in counts  # 2 before, one more now


def test_tag_edits_an_existing_line_and_removes_it_when_empty(site: Path) -> None:
    path = site / VELO / "20261103-aaaa0001.md"
    before = path.read_text()
    assert run(site, "20261103-aaaa0001", "--remove", "carrefours", "--add", "stationnement")[0] == 0
    assert path.read_text() == before.replace("tags: [securite, carrefours]", "tags: [securite, stationnement]")
    assert run(site, "20261103-aaaa0001", "--remove", "securite", "--remove", "stationnement")[0] == 0
    assert path.read_text() == before.replace("tags: [securite, carrefours]\n", "")


def test_unknown_theme_is_refused_with_did_you_mean_and_nothing_is_written(site: Path) -> None:
    first, second = site / VELO / "20261104-aaaa0002.md", site / VELO / "20261105-aaaa0003.md"
    texts = first.read_text(), second.read_text()
    code, out = run(site, "20261104-aaaa0002", "20261105-aaaa0003", "--add", "securiter")
    assert code == 1 and "thème inconnu « securiter »" in out and "vouliez-vous dire « securite » ?" in out
    assert (first.read_text(), second.read_text()) == texts


def test_a_tags_list_over_several_lines_is_left_to_a_person() -> None:
    text = "---\nid: x\nstatus: published\ntags:\n  - a\n---\nTexte.\n"
    with pytest.raises(ConsultError):
        set_tags(text, ["a", "b"], "x.md")

"""`consult report SLUG`: a tagged PDF of the results page and the synthesis, or a clear message."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli
from tests.conftest import copy_demo

NOW = "2026-12-01T12:00"


def outline(pdf: bytes) -> list[str]:
    """The titles of the PDF's bookmarks (its headings), literal or UTF-16 strings."""
    titles = [t.decode("latin-1") for t in re.findall(rb"/Title \(([^)]*)\)", pdf)]
    titles += [bytes.fromhex(h.decode()).decode("utf-16-be") for h in re.findall(rb"/Title <(?:feff|FEFF)([0-9a-fA-F]*)>", pdf)]
    return titles


def test_report_is_a_tagged_pdf_with_the_results_and_synthesis_headings(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    from consult.report import write_report

    root = copy_demo(tmp_path)
    pdf = write_report(root, "parc-des-berges", tmp_path / "out" / "report.pdf", NOW, compress=False).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    titles = outline(pdf)
    for heading in ("Résultats – Réaménagement du parc des Berges", "Participation", "Réponses au questionnaire",
                    "Que faites-vous au parc des Berges ?", "Ce que vous nous avez dit"):
        assert heading in titles, (heading, titles)
    assert b"/StructTreeRoot" in pdf and b"/H1" in pdf and b"/Table" in pdf  # tagged (PDF/UA-1)


def test_report_command_writes_the_pdf(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    root = copy_demo(tmp_path)
    result = CliRunner().invoke(cli, ["-C", str(root), "report", "plan-velo", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert (root / "plan-velo-resultats.pdf").read_bytes().startswith(b"%PDF")


def test_report_without_weasyprint_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint raises ImportError
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "report", "plan-velo"])
    assert result.exit_code == 1 and "pip install 'consult-static[pdf]'" in result.output


def test_report_of_a_consultation_with_nothing_to_print_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    root = copy_demo(tmp_path)
    result = CliRunner().invoke(cli, ["-C", str(root), "report", "budget-participatif-2027", "--now", NOW])
    assert result.exit_code == 1 and "rien à imprimer" in result.output

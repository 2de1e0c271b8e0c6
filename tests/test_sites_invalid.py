"""Each folder in tests/sites_invalid/ is a site with mistakes; `consult check` must
print exactly the lines in its expected.txt, exit 1, and `consult build` write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli

CASES = sorted(p for p in (Path(__file__).parent / "sites_invalid").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_reports_every_problem_with_its_place(case: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(case), "check", "--now", "2026-12-01T12:00"])
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    lines = result.stderr.splitlines() if hasattr(result, "stderr") else result.output.splitlines()
    if len(expected) > 1:
        expected.append(f"{len(expected)} problèmes trouvés.")  # the sites say no language: French
    assert lines == expected
    assert result.exit_code == 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_build_with_problems_writes_nothing(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "_site"
    result = CliRunner().invoke(cli, ["--root", str(case), "build", "--out", str(out), "--now", "2026-12-01T12:00"])
    assert result.exit_code == 1
    assert not out.exists()

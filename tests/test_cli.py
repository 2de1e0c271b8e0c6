"""The commands an editor types, through Click's CliRunner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli
from consult.document import parse_front_matter

NOW = ["--now", "2026-12-01T12:00"]


def run(*args: str) -> "CliRunner.invoke":
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_makes_a_site_that_checks_and_builds(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    result = run("init", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "site.yaml").is_file() and (site / "netlify.toml").is_file()
    assert (site / ".github" / "workflows").is_dir()
    assert run("--root", str(site), "check", *NOW).exit_code == 0
    result = run("--root", str(site), "build", *NOW)
    assert result.exit_code == 0, result.output
    assert (site / "_site" / "index.html").is_file()
    assert (site / "_site" / "404.html").is_file()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "not empty" in result.stderr


def test_new_consultation_and_proposal_are_valid(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    result = run("--root", str(site), "new", "consultation", "Réaménager la place du marché")
    assert result.exit_code == 0
    index = site / "content/consultations/reamenager-la-place-du-marche/index.md"
    doc, _, problems = parse_front_matter(index.read_text(encoding="utf-8"), "index.md")
    assert not problems and doc.data["title"] == "Réaménager la place du marché"
    result = run("--root", str(site), "new", "proposal", "Des bancs à l'ombre",
                 "--consultation", "reamenager-la-place-du-marche")
    assert result.exit_code == 0, result.output
    assert (site / "content/consultations/reamenager-la-place-du-marche/proposals/des-bancs-a-l-ombre.md").is_file()
    result = run("--root", str(site), "new", "page", "Mentions légales")
    assert (site / "content/pages/mentions-legales.md").is_file()
    assert run("--root", str(site), "check").exit_code == 0


def test_new_never_overwrites(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    run("--root", str(site), "new", "page", "Contact")
    result = CliRunner().invoke(cli, ["--root", str(site), "new", "page", "Contact"])
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_new_proposal_needs_to_know_its_consultation(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    run("--root", str(site), "new", "consultation", "Deuxième consultation")
    result = CliRunner().invoke(cli, ["--root", str(site), "new", "proposal", "Une idée"])
    assert result.exit_code == 1 and "--consultation" in result.stderr


def test_check_in_a_folder_without_a_site(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "check"])
    assert result.exit_code == 1 and "site.yaml not found" in result.stderr


def test_build_rejects_a_bad_now(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    result = CliRunner().invoke(cli, ["--root", str(site), "build", "--now", "demain"])
    assert result.exit_code == 1 and "--now" in result.stderr


def test_demo_site_checks(repo_root: Path) -> None:
    result = run("--root", str(repo_root), "check", *NOW)
    assert result.exit_code == 0, result.stderr


def test_a_problem_without_a_place_is_printed_plainly(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    result = CliRunner().invoke(cli, ["--root", str(site), "moderate", "approve", "../../etc/passwd"])
    assert result.exit_code == 1
    assert result.stderr.startswith("'../../etc/passwd' is not a contribution id")


# --- pull on a full disk -------------------------------------------------------------------------


def _inbox_with(url: str, count: int) -> None:
    from datetime import datetime, timezone

    from consult.inbox import Submission, open_inbox

    box = open_inbox(url)
    for n in range(count):
        box.add(Submission(id=f"20261201-{n:08d}", consultation="plan-velo", kind="suggestion", proposal=None,
                           title=f"Idée {n}", body="Une idée. " * 200, author="A",
                           received=datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc), idem_key=f"k{n}", body_hash=f"h{n}"))
    box.close()


def _pulled(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "content/consultations/plan-velo/contributions").glob("20261201-*"))


FULL_PULL = ("could not write the new contribution files (no space left on device): nothing was lost, "
             "what was not written stays in the inbox for the next pull\n")


def test_pull_on_a_full_disk_loses_nothing(small_disk: Callable[[str], Path], disk_dir: Path) -> None:
    from tests.conftest import copy_demo, fill_up

    site = copy_demo(small_disk("4m") / "site")
    url = f"sqlite:///{disk_dir / 'inbox.sqlite3'}"  # on a real disk: the inbox refuses tmpfs
    _inbox_with(url, 40)
    filler = fill_up(site)
    result = CliRunner().invoke(cli, ["-C", str(site), "pull", "--inbox", url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output == FULL_PULL
    assert not list((site / "content/consultations/plan-velo/contributions").glob(".*.tmp"))
    filler.unlink()
    again = CliRunner().invoke(cli, ["-C", str(site), "pull", "--inbox", url])
    assert again.exit_code == 0, again.output
    assert _pulled(site) == [f"20261201-{n:08d}.md" for n in range(40)]


def test_pull_refused_writes_are_one_sentence(tmp_path: Path, disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without mounting a filesystem: os.write fails with ENOSPC under content/."""
    import os

    from tests.conftest import copy_demo, refuse_writes_under

    site = copy_demo(tmp_path / "site")
    url = f"sqlite:///{disk_dir / 'inbox.sqlite3'}"
    _inbox_with(url, 3)
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", refuse_writes_under(site / "content"))
        result = CliRunner().invoke(cli, ["-C", str(site), "pull", "--inbox", url])
    assert result.exit_code == 1 and result.output == FULL_PULL
    assert CliRunner().invoke(cli, ["-C", str(site), "pull", "--inbox", url]).exit_code == 0
    assert _pulled(site) == [f"20261201-{n:08d}.md" for n in range(3)]

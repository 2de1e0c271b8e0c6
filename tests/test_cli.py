"""The commands an editor types, through Click's CliRunner."""

from __future__ import annotations

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


# --- held submissions, flags (handler / inbox / pull) ----------------------------------------

from datetime import datetime, timezone  # noqa: E402

from consult.inbox import Inbox, Submission, open_inbox  # noqa: E402


def _site_with_inbox(disk_dir: Path) -> tuple[Path, Inbox]:
    site = disk_dir / "mairie"
    run("init", str(site))
    return site, open_inbox("sqlite:///.consult/inbox.sqlite3", site)


def _held_row(n: int, **over: object) -> Submission:
    fields: dict[str, object] = dict(
        id=f"20261201-held000{n}", consultation="exemple", kind="suggestion", proposal=None, title="Piège",
        body="Texte d’un robot\u202e ou d’une personne", author="", received=datetime(2026, 12, 1, tzinfo=timezone.utc),
        email="robot@example.org", idem_key=f"k-held-{n}", body_hash=f"h{n}", quarantine="honeypot", flags="honeypot")
    fields.update(over)
    return Submission(**fields)  # type: ignore[arg-type]


def test_held_lists_with_text_then_releases_and_pull_says_how_many_are_held(disk_dir: Path) -> None:
    site, inbox = _site_with_inbox(disk_dir)
    inbox.add(_held_row(1))
    inbox.add(_held_row(2))
    inbox.close()
    pulled = run("--root", str(site), "pull")
    assert "2 submission(s) held in the inbox" in pulled.output and "0 new contribution(s)" in pulled.output
    listed = run("--root", str(site), "held")
    assert listed.exit_code == 0
    assert "20261201-held0001" in listed.output and "Texte d’un robot\\u202e ou d’une personne" in listed.output
    assert "Champ piège rempli" in listed.output and "robot@example.org" not in listed.output
    released = CliRunner().invoke(cli, ["--root", str(site), "held", "release", "20261201-held0001", "20261201-nothere0"])
    assert released.exit_code == 1 and "20261201-held0001: released" in released.output
    assert "20261201-nothere0: no such submission" in released.output
    pulled = run("--root", str(site), "pull")
    assert "1 new contribution(s)" in pulled.output and "1 submission(s) held" in pulled.output
    [path] = (site / "content" / "consultations" / "exemple" / "contributions").glob("*.md")
    assert path.stem == "20261201-held0001"
    assert run("--root", str(site), "held").output.count("20261201-held") == 1


def test_held_release_needs_ids(disk_dir: Path) -> None:
    site, inbox = _site_with_inbox(disk_dir)
    inbox.close()
    result = CliRunner().invoke(cli, ["--root", str(site), "held", "release"])
    assert result.exit_code == 1 and "consult held release ID" in result.stderr
    assert run("--root", str(site), "held").output.strip() == "No held submission."


CONTRIBUTION = """---
id: 20261201-abcdefgh
kind: suggestion
submitted: 2026-12-01T10:00:00+01:00
status: pending
flags:
  - too-fast
  - {flag}
---
Une idée.
"""


def test_check_knows_every_flag_and_names_a_typo(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    folder = site / "content" / "consultations" / "exemple" / "contributions"
    folder.mkdir()
    path = folder / "20261201-abcdefgh.md"
    path.write_text(CONTRIBUTION.format(flag="honeypot"), encoding="utf-8")
    assert run("--root", str(site), "check", *NOW).exit_code == 0
    path.write_text(CONTRIBUTION.format(flag="cross-sit"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(site), "check", *NOW])
    assert result.exit_code == 1
    assert ("content/consultations/exemple/contributions/20261201-abcdefgh.md:8:5: unknown flag 'cross-sit'"
            in result.stderr) and "did you mean 'cross-site'?" in result.stderr


def test_every_flag_is_documented_for_editors_and_citizens(repo_root: Path) -> None:
    from consult.flags import FLAGS

    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    charters = [(repo_root / path / "content/pages/charte-de-moderation.md").read_text(encoding="utf-8")
                for path in ("consult/skeleton", ".")]
    for code, (french, english) in FLAGS.items():
        assert f"| `{code}` | {english} |" in readme
        for charter in charters:
            assert f"| `{code}` | {french} |" in charter


def test_handler_refuses_to_start_without_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    monkeypatch.delenv("CONSULT_SECRET", raising=False)
    site = tmp_path / "mairie"
    run("init", str(site))
    done = subprocess.run([sys.executable, "-m", "consult", "-C", str(site), "handler", "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("CONSULT_SECRET is not set")
    assert "Traceback" not in done.stderr and done.stdout == ""
    monkeypatch.setenv("CONSULT_SECRET", "trop-court")
    result = CliRunner().invoke(cli, ["--root", str(site), "handler", "--port", "0"])
    assert result.exit_code == 1 and "at least 32" in result.stderr


def test_handler_refuses_a_proxy_setting_it_cannot_follow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULT_SECRET", "s" * 32)
    monkeypatch.setenv("CONSULT_TRUST_PROXY", "1")  # the old boolean: it trusted any client's header
    site = tmp_path / "mairie"
    run("init", str(site))
    result = CliRunner().invoke(cli, ["--root", str(site), "handler", "--port", "0"])
    assert result.exit_code == 1 and "CONSULT_TRUST_PROXY='1' is not understood" in result.stderr

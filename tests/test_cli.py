"""The commands an editor types, through Click's CliRunner."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from click.testing import CliRunner

from consult import DISTRIBUTION, __version__
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
    (tmp_path / "README.md").write_text("x")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path} contient déjà x.txt\u00a0: choisissez un dossier neuf" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "x.txt"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_init_fills_a_freshly_cloned_repository_and_overwrites_nothing(tmp_path: Path) -> None:
    """A forge's new repository: .git, a README, a LICENCE, an editor's settings, maybe a .gitignore."""
    _git(tmp_path, "init", "--quiet", "--bare", "origin.git")
    _git(tmp_path, "clone", "--quiet", "origin.git", "mairie")
    site = tmp_path / "mairie"
    mine = {"README.md": "# Notre site\n", "LICENCE": "EUPL\n", ".editorconfig": "root = true\n",
            ".gitignore": "*.pyc\n.consult/\n", ".github/workflows/mine.yml": "name: mine\n"}
    for name, text in mine.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    result = run("init", str(site))
    assert result.exit_code == 0, result.output
    assert f"Gardé tel quel (déjà là)\u00a0: {site / 'README.md'}" in result.output
    for name, text in mine.items():
        if name != ".gitignore":
            assert (site / name).read_text(encoding="utf-8") == text
    # consult's lines are added to the repository's own .gitignore: the inbox must never reach git
    ignored = (site / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ignored[:2] == ["*.pyc", ".consult/"] and "_site/" in ignored and ignored.count(".consult/") == 1
    assert (site / "site.yaml").is_file() and (site / ".git" / "HEAD").is_file()
    assert run("--root", str(site), "check", *NOW).exit_code == 0
    again = CliRunner().invoke(cli, ["init", str(site)])
    assert again.exit_code == 1 and "site.yaml" in again.stderr


def test_init_pins_the_exact_version_under_the_package_index_name(tmp_path: Path, repo_root: Path) -> None:
    """requirements.txt installed a placeholder git URL (git exit 128); the name on the index is
    pyproject's, which is not 'consult' (another project there)."""
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION == "consult-static" and project["version"] == __version__
    run("init", str(tmp_path / "mairie"))
    lines = (tmp_path / "mairie" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")] == [f"consult-static[postgres]=={__version__}"]
    assert "example.org" not in "\n".join(lines)


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
    assert result.exit_code == 1 and "content/pages/contact.md existe déjà\u00a0: choisissez un autre titre" in result.stderr


def test_new_speaks_the_language_of_the_site(tmp_path: Path) -> None:
    site = tmp_path / "town"
    run("init", str(site))
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: fr", "language: en"), encoding="utf-8")
    result = run("--root", str(site), "new", "page", "Contact")
    assert result.output == "Created content/pages/contact.md\n"
    assert "Text of the page." in (site / "content/pages/contact.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(site), "new", "page", "Contact"])
    assert result.exit_code == 1 and "content/pages/contact.md already exists: choose another title" in result.stderr


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


def test_an_inbox_password_never_reaches_the_terminal(tmp_path: Path, pg_url: str) -> None:
    """Wrong inbox URLs holding a password, through the real `consult` command (as a terminal
    shows it, --debug included): the messages name the inbox, never the password."""
    import os
    import subprocess
    import sys

    from consult.scaffold import init_site
    from tests.conftest import REPO

    site = tmp_path / "site"
    init_site(site)
    socket_dir = pg_url.split("host=", 1)[1]
    urls = [
        pg_url.replace("postgres@/", "postgres:s3cretpw@/nonexistent_"),  # a real server: no such database
        f"postgresql://postgres@/nonexistent?host={socket_dir}&password=s3cretpw",
        f"postgresql://bob@/x?host={tmp_path}&password=s3cretpw&connect_timeout=1",  # no server
        "postgresql://bob:s3cretpw@[::1/x",  # psycopg quotes the URL whole
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO), CONSULT_SECRET="s" * 40)
    runs = [["pull", "--inbox", url] for url in urls] + [["erase", "20261201-abcdefgh", "--inbox", urls[0]],
                                                         ["handler", "--port", "0", "--inbox", urls[1]],
                                                         ["--debug", "pull", "--inbox", urls[3]]]
    for args in runs:
        done = subprocess.run([sys.executable, "-m", "consult", "-C", str(site), *args], env=env,
                              capture_output=True, text=True, timeout=60)
        said = done.stdout + done.stderr
        assert done.returncode != 0 and "inbox" in said, (args, said)
        assert "s3cretpw" not in said and "***" in said, (args, said)
    done = subprocess.run([sys.executable, "-m", "consult", "-C", str(site), "pull"], capture_output=True, text=True,
                          env=dict(env, CONSULT_INBOX=urls[0]), timeout=60)
    assert done.returncode != 0 and "s3cretpw" not in done.stdout + done.stderr

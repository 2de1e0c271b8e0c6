"""The commands an editor types, through Click's CliRunner."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
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


def test_build_and_check_end_their_process_at_once_and_say_everything_first(tmp_path: Path) -> None:
    """`main` ends a build or a check without the interpreter freeing every object (cli.LEAVE_AT_ONCE):
    an object alive at the end is never freed, yet exit handlers run and every line printed reaches
    the pipe; under a profiler, or for any other command or a failed build, Python ends as usual."""
    import sys

    site = tmp_path / "mairie"
    assert run("init", str(site)).exit_code == 0
    code = ("import atexit, os, sys\n"  # FREED is written as the object is freed, when print no longer can
            "class Kept:\n    def __del__(self, write=os.write): write(1, b'FREED\\n')\n"
            "kept = Kept(); atexit.register(print, 'EXIT HANDLERS'); sys.argv[0] = 'consult'\n"
            "from consult.cli import main\n"
            "if sys.argv[1] == 'profiled':\n    sys.argv.pop(1); sys.setprofile(lambda *args: None)\n"
            "main()")

    def consult(*args: str) -> "subprocess.CompletedProcess[str]":
        return subprocess.run([sys.executable, "-c", code, *args[:-1], "-C", str(site), args[-1], *NOW],
                              capture_output=True, text=True)

    built = consult("build")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Site construit") and built.stdout.endswith("EXIT HANDLERS\n")
    assert "FREED" not in built.stdout and (site / "_site" / "index.html").is_file()
    checked = consult("check")
    assert checked.returncode == 0 and "OK" in checked.stdout and "FREED" not in checked.stdout
    assert consult("profiled", "check").stdout.endswith("EXIT HANDLERS\nFREED\n")
    assert consult("--help").stdout.endswith("EXIT HANDLERS\nFREED\n")
    (site / "site.yaml").write_text("title: [\n", encoding="utf-8")
    failed = consult("build")
    assert failed.returncode == 1 and failed.stdout.endswith("EXIT HANDLERS\nFREED\n")


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
    assert project["name"] == DISTRIBUTION == "consult-static" and project["dynamic"] == ["version"]  # __version__
    run("init", str(tmp_path / "mairie"))
    lines = (tmp_path / "mairie" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")] == [f"consult-static[postgres,search]=={__version__}"]
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
    # no site.yaml to say a language: French, the default
    assert result.exit_code == 1 and "site.yaml introuvable" in result.stderr


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
    assert result.stderr.startswith("« ../../etc/passwd » n'est pas un identifiant de contribution")


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
# --- content that moved: warnings, not errors ------------------------------------------------


def moved_content(site: Path) -> None:
    """Contributions naming a proposal that was renamed and a question that was removed, and a
    support tally for the old name: what an inbox still holds when an editor reorganises."""
    folder = site / "content/consultations/exemple"
    (folder / "contributions").mkdir(exist_ok=True)
    files = {
        "20261101-aaaa0001": "kind: comment\nproposal: vieux-nom\nstatus: published\n---\nCOMMENTAIRE-ORPHELIN\n",
        "20261101-aaaa0002": "kind: comment\nproposal: vieux-nom\nstatus: rejected\nreason: doublon\n---\nRefusé.\n",
        "20261101-aaaa0003": "kind: answers\nstatus: published\nanswers:\n  usage: Souvent\n  retiree: REPONSE-RETIREE\n---\n"
                             "Texte visible.\n",
        "20261101-aaaa0004": "kind: answers\nstatus: published\nanswers:\n  retiree: SEULE-REPONSE-RETIREE\n---\n",
    }
    for stem, rest in files.items():
        (folder / "contributions" / f"{stem}.md").write_text(
            f"---\nid: {stem}\nsubmitted: 2026-11-01T10:00:00+01:00\n{rest}", encoding="utf-8")
    (folder / "supports.yaml").write_text("exemple-de-proposition: 2\nvieux-nom: 3\n", encoding="utf-8")


def moved_lines(stderr: str) -> list[str]:
    """The lines about the files `moved_content` wrote (other checks may warn of other things)."""
    return [line for line in stderr.splitlines() if "/contributions/2026" in line or "/supports.yaml:" in line]


def test_content_that_moved_is_a_warning_and_the_site_builds(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    moved_content(site)
    check = CliRunner().invoke(cli, ["--root", str(site), "check", *NOW])
    assert check.exit_code == 0, check.stderr
    prefix = "content/consultations/exemple/"
    assert moved_lines(check.stderr) == [
        f"{prefix}contributions/20261101-aaaa0001.md:5:11: avertissement : proposition inconnue « vieux-nom » : "
        "cette contribution n'est pas publiée (indiquez une proposition existante dans « proposal: », ou refusez "
        "la contribution)",
        f"{prefix}contributions/20261101-aaaa0003.md:8:3: avertissement : la réponse à la question inconnue "
        "« retiree » n'est pas affichée (questions de cette consultation : usage, attentes, satisfaction, idee ; "
        "donnez à la clé le nom d'une question existante, retirez la réponse ou refusez la contribution)",
        f"{prefix}contributions/20261101-aaaa0004.md:7:3: avertissement : la réponse à la question inconnue "
        "« retiree » n'est pas affichée (questions de cette consultation : usage, attentes, satisfaction, idee ; "
        "donnez à la clé le nom d'une question existante, retirez la réponse ou refusez la contribution)",
        f"{prefix}supports.yaml:2:1: avertissement : les soutiens de la proposition inconnue « vieux-nom » ne sont "
        "pas comptés (donnez à la clé l'identifiant de la proposition, ou supprimez la ligne)",
    ]
    assert check.stdout.startswith("OK") and "1 consultation" in check.stdout
    out = tmp_path / "out"
    build = CliRunner().invoke(cli, ["--root", str(site), "build", "--out", str(out), *NOW])
    assert build.exit_code == 0 and moved_lines(build.stderr) == moved_lines(check.stderr)
    pages = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*")
             if p.suffix in (".html", ".xml", ".csv", ".json")}
    everything = "".join(pages.values())
    assert "COMMENTAIRE-ORPHELIN" not in everything and "REPONSE-RETIREE" not in everything
    assert "20261101-aaaa0004" not in everything  # nothing left to show: not listed at all
    assert "Texte visible." in pages["consultations/exemple/contributions/index.html"]
    again = CliRunner().invoke(cli, ["--root", str(site), "build", "--out", str(out), *NOW])  # from the cache
    assert again.exit_code == 0 and moved_lines(again.stderr) == moved_lines(check.stderr)


def test_strict_makes_warnings_errors_and_writes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    run("init", str(site))
    moved_content(site)
    check = CliRunner().invoke(cli, ["--root", str(site), "check", "--strict", *NOW])
    errors = moved_lines(check.stderr)
    assert check.exit_code == 1 and len(errors) == 4 and not any("avertissement :" in line for line in errors)
    out = tmp_path / "out"
    build = CliRunner().invoke(cli, ["--root", str(site), "build", "--strict", "--out", str(out), *NOW])
    # The examples left by `consult init` are errors under --strict too, and stop the build first.
    assert build.exit_code == 1 and not out.exists() and "avertissement :" not in build.stderr
    assert moved_lines(build.stderr) in ([], errors)
    assert CliRunner().invoke(cli, ["--root", str(site), "build", "--out", str(out), *NOW]).exit_code == 0
    cached = CliRunner().invoke(cli, ["--root", str(site), "build", "--strict", "--out", str(out), *NOW])
    assert cached.exit_code == 1 and moved_lines(cached.stderr) in ([], errors)  # even when nothing changed since


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
    assert "2 envoi(s) retenu(s) dans la boîte de réception" in pulled.output and "0 nouvelle(s) contribution(s)" in pulled.output
    listed = run("--root", str(site), "held")
    assert listed.exit_code == 0
    assert "20261201-held0001" in listed.output and "Texte d’un robot\\u202e ou d’une personne" in listed.output
    assert "Champ piège rempli" in listed.output and "robot@example.org" not in listed.output
    released = CliRunner().invoke(cli, ["--root", str(site), "held", "release", "20261201-held0001", "20261201-nothere0"])
    assert released.exit_code == 1 and "20261201-held0001: released" in released.output
    assert "20261201-nothere0: no such submission" in released.output
    pulled = run("--root", str(site), "pull")
    assert "1 nouvelle(s) contribution(s)" in pulled.output and "1 envoi(s) retenu(s)" in pulled.output
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
    assert ("content/consultations/exemple/contributions/20261201-abcdefgh.md:8:5: signalement inconnu « cross-sit »"
            in result.stderr) and "vouliez-vous dire « cross-site » ?" in result.stderr


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


FULL_PULL = ("impossible d'écrire les fichiers des nouvelles contributions (plus de place sur le disque) : rien n'a été "
             "perdu, ce qui n'a pas été écrit reste dans la boîte de réception pour le prochain pull\n")


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

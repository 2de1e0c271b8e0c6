"""Problems are said to editors in the site's language (French by default, English second).

Each message is written where it is found, in both languages (`consult.errors.say`). Two nets: the
sources of the modules that check an editor's input hold no message in one language only, and every
problem the invalid sites of tests/sites_invalid/ give is printed differently in French and English.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

import consult
import consult.config
from consult.cli import cli
from consult.errors import ConsultError, SourceError, french, in_language, say

PACKAGE = Path(consult.__file__).parent
# Every module's problems reach editors (check, build, serve and the editors' and moderators'
# commands), but the form handler's and the mail transport's: those speak to whoever deploys
# them, from environment variables, with no site.yaml at hand to say a language.
OPERATORS = ("forms/", "mailer.py", "notify.py")
SAID_MODULES = sorted(path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
                      if not path.relative_to(PACKAGE).as_posix().startswith(OPERATORS))
CASES = sorted(p for p in (Path(__file__).parent / "sites_invalid").iterdir() if p.is_dir())


def _one_language_messages(path: Path) -> list[str]:
    """The message and hint arguments of SourceError(...), <doc>.error(...) and ConsultError(...)
    calls written as a plain string or an f-string (a said text comes from say(), or a name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        positions = {"SourceError": (3, 4), "error": (1, 2), "ConsultError": (0,)}.get(name, ())
        arguments = [node.args[i] for i in positions if i < len(node.args)]
        arguments += [k.value for k in node.keywords if k.arg in ("message", "hint")]
        for argument in arguments:
            plain = isinstance(argument, ast.Constant) and isinstance(argument.value, str) and argument.value
            if plain or isinstance(argument, ast.JoinedStr):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(argument)[:80]}")
    return found


def test_the_modules_that_check_editors_input_say_each_problem_in_both_languages() -> None:
    assert len(SAID_MODULES) > 50 and "content/files.py" in SAID_MODULES
    assert [line for name in SAID_MODULES for line in _one_language_messages(PACKAGE / name)] == []


def test_a_said_text_is_english_that_knows_its_french() -> None:
    what = say("a proposal", "une proposition")
    message = say(f"unknown field 'titre' in {what}", f"champ inconnu « titre » dans {french(what)}")
    assert message == "unknown field 'titre' in a proposal" and isinstance(message, str)
    assert in_language(message, "fr") == "champ inconnu « titre » dans une proposition"
    assert in_language(message, "en") == message and french("plain") == "plain"
    problem = SourceError("p.md", 2, 1, message, say("did you mean 'title'?", "vouliez-vous dire « title » ?"),
                          warning=True)
    assert str(problem) == "p.md:2:1: warning: unknown field 'titre' in a proposal (did you mean 'title'?)"
    assert problem.said("fr") == ("p.md:2:1: avertissement : champ inconnu « titre » dans une proposition "
                                  "(vouliez-vous dire « title » ?)")
    two = ConsultError([problem, SourceError("q.md", 1, 1, "plain")])
    assert two.render("fr").splitlines()[-1] == "2 problèmes trouvés."
    assert two.render().splitlines()[-1] == "2 problems found."  # the library's own language


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_problem_of_an_invalid_site_is_said_in_french_and_in_english(
        case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The golden files are the French (the sites say no language); the same problems in English
    differ on every line but keep their places."""
    french_lines = CliRunner().invoke(cli, ["--root", str(case), "check", "--now", "2026-12-01T12:00"]).stderr
    monkeypatch.setattr(consult.config, "site_language", lambda root: "en")
    english_lines = CliRunner().invoke(cli, ["--root", str(case), "check", "--now", "2026-12-01T12:00"]).stderr
    pairs = list(zip(french_lines.splitlines(), english_lines.splitlines(), strict=True))
    assert pairs
    for fr, en in pairs:
        assert fr != en, f"said in one language only: {en}"
        if ": " in en and en.split(": ", 1)[0].count(":") == 2:  # path:line:col
            assert fr.split(": ", 1)[0] == en.split(": ", 1)[0]

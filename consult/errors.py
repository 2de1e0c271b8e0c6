"""Problems a person can act on: a place (path:line:col), a message, a hint.

Loaders collect `SourceError`s and raise one `ConsultError` holding them all;
`cli` is the single place that prints them and chooses the exit code.

A problem is said to an editor in the site's language (French by default). Its words are written
where it is found, in both languages: `say(english, french)` is the English text (what `str`
gives: the code's language, what the tests read) knowing its French, and the CLI, which knows the
site, prints `SourceError.said(language)`. No state: a problem carries its own translation into
the worker processes, the caches and the dev server alike.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass, fields
from operator import attrgetter

import click


class Said(str):
    """English words that know their French (`say`): a str everywhere, French where printed for a
    French site (`in_language`). What is built from it with str methods is English alone."""

    fr: str


def say(en: str, fr: str) -> str:
    """Words for an editor, in English and French (see the module's doc). To build one of others,
    give each language its own: `say(f"... {what}", f"... {french(what)}")`."""
    said = Said(en)
    said.fr = fr
    return said


def french(text: str) -> str:
    """`text` in French when it was said in both languages (`say`), else `text` itself."""
    return getattr(text, "fr", text)


def in_language(text: str, language: str) -> str:
    """`text` in `language` ('fr' or 'en'): the words as said to an editor."""
    return french(text) if language == "fr" else text


# The words around a problem, in each language the CLI speaks.
_WARNING = {"en": "warning: ", "fr": "avertissement : "}
_FOUND = {"en": "{count} problems found.", "fr": "{count} problèmes trouvés."}


@dataclass(frozen=True, order=True)
class SourceError:
    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    # A warning is printed by `consult check` and the build but does not stop them
    # (`build --strict` makes it an error); everything else is an error.
    warning: bool = False

    def __str__(self) -> str:
        return self.said("en")

    def said(self, language: str) -> str:
        """`path:line:col: message (hint)`, in `language` (English for any but 'fr')."""
        place = self.path
        if self.line:
            place += f":{self.line}:{self.col or 1}"
        message = in_language(self.message, language)
        if self.warning:
            message = _WARNING.get(language, _WARNING["en"]) + message
        text = f"{place}: {message}" if place else message
        if self.hint:
            text += f" ({in_language(self.hint, language)})"
        return text


# A problem's place in SourceError's own order (order=True) as a sort key: the same order, but each
# problem's tuple is made once, not twice at each comparison (a large site prints thousands of warnings).
in_order = attrgetter(*(field.name for field in fields(SourceError)))


class ConsultError(click.ClickException):
    """One or more problems; `cli` prints them all and exits 1, in the site's language: the command
    that raised it sets `language` (English until then: the library's own)."""

    exit_code = 1
    language = "en"

    def __init__(self, problems: Iterable[SourceError] | str):
        if isinstance(problems, str):
            self.problems: list[SourceError] = [SourceError("", 0, 0, problems)]
        else:
            self.problems = sorted(problems, key=in_order)
        super().__init__(self.render())

    def render(self, language: str | None = None) -> str:
        """Every problem, a line each, in `language` (default: the error's `language`)."""
        language = language or self.language
        lines = [p.said(language) for p in self.problems]
        if len(lines) > 1:
            lines.append(_FOUND.get(language, _FOUND["en"]).format(count=len(lines)))
        return "\n".join(lines)

    def format_message(self) -> str:
        return self.render()

    def show(self, file: object = None) -> None:
        # The problems speak for themselves: no "Error:" prefix, one per line.
        click.echo(self.render(), err=True)


def split_warnings(problems: Iterable[SourceError]) -> tuple[list[SourceError], list[SourceError]]:
    """(errors, warnings), each in the order given."""
    errors: list[SourceError] = []
    warnings: list[SourceError] = []
    for problem in problems:
        (warnings if problem.warning else errors).append(problem)
    return errors, warnings


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest allowed word, or ''."""
    import difflib  # only for a mistyped key: a valid site never loads it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return say(f"did you mean '{close[0]}'?", f"vouliez-vous dire « {close[0]} » ?") if close else ""


# A write the disk refused for want of space (or of quota).
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


# The system's reason for a refused write, in French (its own words are English).
_FULL_FR = {errno.ENOSPC: "plus de place sur le disque", errno.EDQUOT: "quota de disque dépassé"}


def disk_full(exc: OSError, root: str | os.PathLike[str], kept: str,
              what: str = say("a file", "un fichier")) -> ConsultError:
    """The one sentence for a write refused because the disk is full: what could not be written
    (its file relative to `root` when inside it, else `what`) and why nothing was lost (`kept`);
    `kept` and `what` are said in both languages (`say`)."""
    where = what
    if exc.filename:
        name, base = os.path.abspath(os.fsdecode(exc.filename)), os.path.abspath(root)
        where = os.path.relpath(name, base) if name.startswith(base + os.sep) else name
    reason = (exc.strerror or "no space left on device").lower()
    reason_fr = _FULL_FR.get(exc.errno or 0, reason)
    return ConsultError(say(f"could not write {where} ({reason}): nothing was lost, {kept}",
                            f"impossible d'écrire {french(where)} ({reason_fr}) : rien n'a été perdu, {french(kept)}"))


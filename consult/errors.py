"""Problems a person can act on: a place (path:line:col), a message, a hint.

Loaders collect `SourceError`s and raise one `ConsultError` holding them all;
`cli` is the single place that prints them and chooses the exit code.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from collections.abc import Iterable

import click


@dataclass(frozen=True, order=True)
class SourceError:
    path: str
    line: int
    col: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        place = self.path
        if self.line:
            place += f":{self.line}:{self.col or 1}"
        text = f"{place}: {self.message}" if place else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConsultError(click.ClickException):
    """One or more problems; `cli` prints them all and exits 1."""

    exit_code = 1

    def __init__(self, problems: Iterable[SourceError] | str):
        if isinstance(problems, str):
            self.problems: list[SourceError] = [SourceError("", 0, 0, problems)]
        else:
            self.problems = sorted(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(p) for p in self.problems]
        if len(lines) > 1:
            lines.append(f"{len(lines)} problems found.")
        return "\n".join(lines)

    def format_message(self) -> str:
        return self.render()

    def show(self, file: object = None) -> None:
        # The problems speak for themselves: no "Error:" prefix, one per line.
        click.echo(self.render(), err=True)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest allowed word, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""

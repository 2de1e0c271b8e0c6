"""Progress of a long build on a terminal: Click's progress bar, on stderr, never in CI.

`terminal_stage()` returns a `build.Stage`: a bar per stage when stderr is a
terminal and the CI variable is unset, else nothing at all (logs stay clean).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from consult.build import Stage

# Stages with fewer items finish before a bar would be worth drawing.
MIN_ITEMS = 200


def wants_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def terminal_stage() -> Stage | None:
    if not wants_progress():
        return None

    @contextmanager
    def stage(label: str, total: int) -> Iterator[Callable[[int], None]]:
        if total < MIN_ITEMS:
            yield lambda n: None
            return
        with click.progressbar(length=total, label=label.ljust(16), file=sys.stderr,
                               show_eta=True, show_percent=True) as bar:
            yield bar.update

    return stage

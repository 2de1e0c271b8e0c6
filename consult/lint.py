"""What `consult check` says beyond what a build needs: contradictions a build would publish
as they are, leftovers of `consult init`, files it would ignore, and when the pages must next be
rebuilt. Pure `check_*` functions over texts and the model; `lint_site` reads the files for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from consult.model import Consultation


@dataclass(frozen=True)
class StatusChange:
    """The next moment a consultation's derived status changes, which the built pages cannot show
    until the site is rebuilt."""

    moment: datetime
    consultation: Consultation
    event: Literal["opens", "closes"]


def next_status_change(consultations: tuple[Consultation, ...], now: datetime) -> StatusChange | None:
    """The earliest `opens` or `closes` after `now` (model.derive_status changes only there)."""
    changes = [StatusChange(c.opens, c, "opens") for c in consultations if c.opens > now]
    changes += [StatusChange(c.closes, c, "closes") for c in consultations if c.closes > now]
    return min(changes, key=lambda change: (change.moment, change.consultation.slug), default=None)

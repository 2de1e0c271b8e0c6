"""The submission kinds, declared once: what each form asks, what it is about, its limits.

The build (which forms a page shows, which `kinds:` a consultation may list, which
contributions a file may hold) and the handler (which fields it reads and requires,
what a submission must target, the guard's thresholds) both read this table, so a
kind is declared here and nowhere else. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

TITLE_MAX = 200  # characters of an idea's title
AUTHOR_MAX = 100  # characters of a public name
EMAIL_MAX = 254
# A form sent sooner than this after its page was served is flagged too-fast (consult.flags).
TOO_FAST_DEFAULT = timedelta(seconds=3)


@dataclass(frozen=True)
class Kind:
    """One submission kind: its form's fields and the rules they follow."""

    name: str
    # What a submission is about: its consultation, one of its proposals (the `proposal` field), or
    # one published contribution or comment (a report's `target` field: post-moderation only).
    target: Literal["consultation", "proposal", "item"]
    title: Literal["", "optional", "required"] = ""  # an idea's title ('' = the form has none)
    body: Literal["", "optional", "required"] = ""  # a text ('' = the form has none)
    reason: bool = False  # a reason code of the moderation charter is chosen (site.yaml moderation.reasons)
    category: bool = False  # one of the consultation's categories may be chosen
    questions: bool = False  # the questionnaire is offered (then the consultation must have questions)
    identity: bool = True  # a public name and a private e-mail may be given
    contribution: bool = True  # pulled into a contribution file (a support is only counted)
    too_fast: timedelta = TOO_FAST_DEFAULT  # the guard's threshold for this form
    # What its sender may ask to be told by e-mail (consult notify): a `notify_<purpose>` box each,
    # shown beside the e-mail field ('contribution': what became of it; 'proposal': the proposal's answer).
    notify: tuple[str, ...] = ()
    verifiable: bool = False  # on a `supports: verified` consultation the form asks an e-mail (its confirmation link)

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields a person types in this form (the questionnaire's `q_<id>` aside), in form order."""
        return self.form_fields(verified=False)

    def form_fields(self, verified: bool) -> tuple[str, ...]:
        """`fields`, on a consultation whose supports are `verified` or not."""
        email = self.identity or (verified and self.verifiable)
        return ((("title",) if self.title else ()) + (("reason",) if self.reason else ())
                + (("body",) if self.body else ())
                + (("category",) if self.category else ()) + (("author",) if self.identity else ())
                + (("email",) + tuple(notify_field(p) for p in self.notify) if email else ()))


def notify_field(purpose: str) -> str:
    """The name of the opt-in box of one purpose (its value is "yes" when ticked)."""
    return f"notify_{purpose}"


KINDS_TABLE: tuple[Kind, ...] = (
    Kind("suggestion", "consultation", title="optional", body="required", notify=("contribution",)),
    Kind("proposal", "consultation", title="required", body="required", category=True, notify=("contribution",)),
    Kind("comment", "proposal", body="required", notify=("contribution", "proposal")),
    Kind("support", "proposal", identity=False, contribution=False, too_fast=timedelta(seconds=1),
         notify=("proposal",), verifiable=True),
    Kind("answers", "consultation", questions=True, notify=("contribution",)),
    # "Signaler ce contenu": no file of its own; pull flags its target `reported` (consult.pull).
    # Anonymous (no e-mail, so no opt-in box): nothing to tell its sender.
    Kind("report", "item", body="optional", reason=True, identity=False, contribution=False),
)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS_TABLE}
# What a consultation's `kinds:` may list (a report is offered by `moderation: post`, not listed).
KINDS: tuple[str, ...] = tuple(k.name for k in KINDS_TABLE if k.target != "item")
CONTRIBUTION_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS_TABLE if k.contribution)  # a contribution file's `kind:`
# Every field a person types but answers (a verified support's e-mail and opt-in boxes included).
TYPED_FIELDS = frozenset(name for k in KINDS_TABLE for verified in (False, True) for name in k.form_fields(verified))
NOTIFY_FIELDS = frozenset(notify_field(p) for k in KINDS_TABLE for p in k.notify)  # the opt-in boxes
DEFAULT_KINDS: tuple[str, ...] = ("suggestion", "comment", "support")  # a consultation that lists none
# The forms of a consultation's own page, in page order (a proposal's page shows its own: support, comment).
CONSULTATION_PAGE_FORMS: tuple[str, ...] = ("proposal", "suggestion", "answers")


def kind(name: str) -> Kind | None:
    """The kind of that name, None for a name no form of ours sends."""
    return BY_NAME.get(name)

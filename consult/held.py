"""Held submissions: the rows the inbox keeps back from `consult pull` (a filled honeypot,
a suspect support), listed with their text so that a person decides, and released.

Nothing here deletes a submission: a released row is pulled (a support: counted) by the
next `consult pull`, its flags kept; `consult erase ID` removes one for good. No e-mail,
address or fingerprint is ever printed, and citizen text is printed inert.
"""

from __future__ import annotations

import re
from datetime import timezone
from typing import Any

from consult.flags import describe, parse_flags
from consult.inbox import Submission

# C0/C1 controls (but newline and tab) and the bidirectional overrides and isolates: a
# terminal would obey them, so a citizen could hide or reorder what a moderator reads.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """`text` with every control or bidi character shown as an escape (\\u202e), never obeyed."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_held(rows: list[Submission], language: str = "fr") -> str:
    """The held rows with everything a person needs to decide, then how to release them."""
    if not rows:
        return "No held submission."
    lines: list[str] = []
    for row in rows:
        lines += _render_one(row, language)
    lines.append(f"{len(rows)} held. Release: consult held release ID... (pulled next time, its flags kept; "
                 "a support is then counted); remove one for good: consult erase ID")
    return "\n".join(lines)


def _render_one(row: Submission, language: str) -> list[str]:
    about = f" on {row.proposal}" if row.proposal else ""
    received = row.received.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if row.received else ""
    lines = [f"{row.id}  {row.consultation}  {row.kind}{about}  {received}"]
    for code in parse_flags(f"{row.flags},{row.quarantine}"):
        lines.append(f"    flag {code}: {describe(code, language)}")
    if row.title:
        lines.append(f"    title: {inert(row.title)}")
    if row.author:
        lines.append(f"    author: {inert(row.author)}")
    lines += [f"    | {inert(line)}" for line in row.body.split("\n")] if row.body else []
    for question, answer in row.answers.items():
        lines.append(f"    answer {inert(question)}: {inert(_answer_text(answer))}")
    return lines


def _answer_text(answer: Any) -> str:
    return ", ".join(answer) if isinstance(answer, list) else str(answer)


RELEASED = {
    "released": "released: the next 'consult pull' brings it in, with its flags",
    "duplicate": "already counted: this voter's support for that proposal is counted once; the held copy was removed",
    "not-held": "not held: nothing to do",
    "unknown": "no such submission in the inbox",
}


def render_released(outcomes: dict[str, str]) -> list[str]:
    """One line per id: what `Inbox.release` did with it."""
    return [f"{id_}: {RELEASED[outcome]}" for id_, outcome in outcomes.items()]

"""What every inbox backend shares: the stored submission, the inbox's error, password redaction.

A module of its own so that `consult.inbox` (which picks a backend) and the backends
(which import these) do not import each other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from consult.errors import ConsultError

AddOutcome = Literal["created", "duplicate", "conflict", "limited"]


@dataclass(frozen=True)
class Submission:
    """One citizen submission as stored. `email` and `voter` never leave the inbox."""

    id: str
    consultation: str
    kind: str  # suggestion | proposal | comment | support | answers | report
    proposal: str | None  # what it is about: a proposal's slug, or a report's target id
    title: str
    body: str
    author: str
    answers: dict[str, str | list[str]] = field(default_factory=dict)
    received: datetime | None = None
    email: str = ""
    voter: str = ""  # HMAC fingerprint, for one support per voter
    idem_key: str = ""
    body_hash: str = ""
    quarantine: str = ""  # the flag that holds the row back ('' = pulled): see consult.flags.held_reason
    flags: str = ""  # comma-separated flag codes of consult.flags (too-fast, no-token, ...), held one included
    category: str = ""  # a citizen proposal's category id ('' when none was chosen); a report's reason code

    def public_json(self) -> str:
        data: dict[str, object] = {"title": self.title, "body": self.body, "author": self.author, "answers": self.answers}
        if self.category:  # only when chosen: every other row's stored text stays as it was
            data["category"] = self.category
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


class InboxError(ConsultError):
    """The inbox cannot be opened or written (database down, bad URL, unsafe filesystem)."""


_USERINFO_PASSWORD = re.compile(r"(://[^/@:?#\s]*:)[^@?#\s]*@")
_PASSWORD_PARAM = re.compile(r"(?i)(\bpassword\s*=\s*)[^&#\s'\"]+")


def _passwords(url: str) -> set[str]:
    """The passwords an inbox URL holds, as written and decoded ('' when it cannot be parsed)."""
    found: set[str] = set()
    try:
        parts = urlsplit(url)
        if parts.password:
            found.add(parts.password)
        found.update(value for key, value in parse_qsl(parts.query) if key.lower() == "password" and value)
    except ValueError:  # an unparseable URL: the patterns below still apply
        pass
    return found | {unquote(p) for p in found}


def redact(text: str, url: str = "") -> str:
    """`text` (an inbox URL, or a message that may quote one) with every password replaced by
    '***': `user:password@`, `password=...`, and anywhere the password of `url` appears.
    Every message the inbox raises goes through this: URLs hold database passwords."""
    text = _USERINFO_PASSWORD.sub(r"\1***@", text)
    text = _PASSWORD_PARAM.sub(r"\1***", text)
    for secret in sorted(_passwords(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text

"""Strict intake: request body bytes -> normalised form fields, or a refusal.

A size cap before parsing; urlencoded or JSON only; unknown or repeated fields
refused; valid UTF-8 only; NUL and control characters refused; line endings
(CRLF, CR, U+2028/9) become LF; text is NFC. `salvage` reads what a refused body
still holds, for the citizen to get back. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl

from consult.kinds import NOTIFY_FIELDS, TYPED_FIELDS

MAX_BODY_BYTES = 256 * 1024
MAX_FIELDS = 200
# Fields of every form that carry no text typed by a person.
TRANSPORT_FIELDS = ("kind", "consultation", "proposal", "target", "token", "idempotency_key", "website", "altcha")
# What a form may send once: those, and what a person types in some kind's form (consult.kinds).
SINGLE_FIELDS = frozenset(TRANSPORT_FIELDS) | TYPED_FIELDS
QUESTION_FIELD = re.compile(r"^q_[a-z0-9]+(?:[-_][a-z0-9]+)*$")
# Technical fields: a browser never puts anything odd there; anything odd is malformed.
FIELD_LIMITS = {"kind": 20, "consultation": 100, "proposal": 100, "target": 100, "token": 200, "idempotency_key": 100,
                "altcha": 4000, "website": 500,
                **{name: 3 for name in NOTIFY_FIELDS}}  # the opt-in checkboxes: value "yes"
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")

Fields = dict[str, list[str]]


class Malformed(Exception):
    """A request no form of ours can produce: answered 400 (or 413/415)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Intake:
    fields: Fields
    is_json: bool

    def one(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0]


def parse_body(body: bytes, content_type: str) -> Intake:
    if len(body) > MAX_BODY_BYTES:
        raise Malformed(f"request body larger than {MAX_BODY_BYTES} bytes", 413)
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    charset = params.strip().lower().removeprefix("charset=").strip('"') if "charset=" in params.lower() else ""
    if charset and charset not in ("utf-8", "utf8"):
        raise Malformed(f"unsupported charset {charset!r}: send UTF-8", 415)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the request is not valid UTF-8")
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                              max_num_fields=MAX_FIELDS)
        except UnicodeDecodeError:
            raise Malformed("a field is not valid UTF-8")
        except ValueError as exc:
            raise Malformed(str(exc))
        return Intake(_collect(pairs), is_json=False)
    if media == "application/json":
        return Intake(_collect(_json_pairs(text)), is_json=True)
    raise Malformed("send the form as application/x-www-form-urlencoded or application/json", 415)


def _json_pairs(text: str) -> list[tuple[str, str]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested thousands deep
        raise Malformed("the JSON body cannot be read")
    if not isinstance(data, dict):
        raise Malformed("the JSON body must be an object of fields")
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str):
                raise Malformed(f"field {name!r} must be text or a list of texts")
            pairs.append((name, item))
    if len(pairs) > MAX_FIELDS:
        raise Malformed("too many fields")
    return pairs


def _collect(pairs: list[tuple[str, str]]) -> Fields:
    fields: Fields = {}
    for raw_name, raw_value in pairs:
        if raw_name not in SINGLE_FIELDS and not QUESTION_FIELD.match(raw_name):
            raise Malformed(f"unknown field {raw_name[:40]!r}")
        if raw_name in SINGLE_FIELDS and raw_name in fields:
            raise Malformed(f"field {raw_name!r} sent twice")
        value = normalise(raw_value, raw_name)
        limit = FIELD_LIMITS.get(raw_name)
        if limit is not None and len(value) > limit:
            raise Malformed(f"field {raw_name!r} is too long")
        fields.setdefault(raw_name, []).append(value)
    return fields


def normalise(value: str, name: str = "") -> str:
    """LF line endings, NFC; NUL and control characters (but tab) refused."""
    if _CONTROL.search(value):
        raise Malformed(f"field {name!r} holds a NUL or control character")
    value = comparable(value)
    if _SURROGATE.search(value):  # lone surrogates from \\u escapes in JSON
        raise Malformed(f"field {name!r} is not valid Unicode")
    return value


def comparable(text: str) -> str:
    """`text` as a form field carrying it reads after `normalise` (LF line endings, NFC), without
    refusing anything: what the handler compares a label of the site (a choice) with, so that a
    choice the site shows is a choice the handler accepts, however its file spelled it."""
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", text))


def salvage(body: bytes, content_type: str) -> Intake:
    """What a refused urlencoded body still holds of a form, leniently: invalid UTF-8 replaced,
    control characters dropped, unknown names and repeats of single fields left out, at most the
    first MAX_BODY_BYTES read. Never raises. For showing citizens their text back, never for storing."""
    if content_type.partition(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return Intake({}, is_json=False)
    text = body[:MAX_BODY_BYTES].decode("utf-8", "replace")
    fields: Fields = {}
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        if name in SINGLE_FIELDS and name in fields or not (name in SINGLE_FIELDS or QUESTION_FIELD.match(name)):
            continue
        fields.setdefault(name, []).append(_CONTROL.sub("", comparable(value)))
    return Intake(fields, is_json=False)

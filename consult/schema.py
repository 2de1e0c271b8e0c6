"""Declarative checks for YAML mappings: known keys, required keys, value types.

Unknown keys are errors (with a "did you mean" hint), as in Zola's
deny_unknown_fields; every problem names the file, line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from consult.document import INVALID, Path_, YamlDoc
from consult.errors import SourceError, did_you_mean

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TYPE_NAMES = {
    "str": "text",
    "int": "a whole number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
    "list": "a list",
    "dict": "a mapping of 'key: value' lines",
    "slug": "a slug (lowercase letters, digits and hyphens)",
}


@dataclass(frozen=True)
class Field:
    type: str  # one of TYPE_NAMES
    required: bool = False


def _type_ok(value: Any, type_: str) -> bool:
    if type_ == "str":
        return isinstance(value, str)
    if type_ == "slug":
        return isinstance(value, str) and bool(SLUG_RE.match(value))
    if type_ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "date":
        return isinstance(value, (date, datetime))
    if type_ == "list":
        return isinstance(value, list)
    if type_ == "dict":
        return isinstance(value, dict)
    raise ValueError(type_)


def check_mapping(
    doc: YamlDoc, at: Path_, data: Any, fields: dict[str, Field], what: str
) -> list[SourceError]:
    """Problems with one mapping: not a mapping, unknown keys, missing keys, wrong types."""
    if not isinstance(data, dict):
        return [doc.error(at, f"{what} must be {TYPE_NAMES['dict']}")]
    problems = []
    for key in data:
        if key not in fields:
            hint = did_you_mean(key, fields) or "allowed: " + ", ".join(fields)
            problems.append(doc.error(at + (key,), f"unknown field '{key}' in {what}", hint, key=True))
    for name, spec in fields.items():
        if name not in data or data[name] is None:
            if spec.required:
                problems.append(doc.error(at, f"missing required field '{name}' in {what}"))
            continue
        value = data[name]
        if value is INVALID:
            continue
        if spec.type == "date" and isinstance(value, str):
            # YAML only reads date-times with seconds; '2026-12-31T18:00' arrives as text.
            value = data[name] = _parse_datetime(value)
        if not _type_ok(value, spec.type):
            problems.append(
                doc.error(at + (name,), f"field '{name}' must be {TYPE_NAMES[spec.type]}, not {value!r}")
            )
    return problems


def _parse_datetime(text: str) -> Any:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return text


def present(data: dict[str, Any], name: str, type_: str) -> bool:
    """True when the field is there and of the right type (problems were reported otherwise)."""
    value = data.get(name)
    return value is not None and value is not INVALID and _type_ok(value, type_)

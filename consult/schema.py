"""Declarative checks for YAML mappings: known keys, required keys, value types.

Unknown keys are errors (with a "did you mean" hint), as in Zola's
deny_unknown_fields; every problem names the file, line and column. A setting is
declared once, as a dataclass field made by `setting` (default, type, doc, place in
the YAML file); `schema_fields` derives the tables `check_mapping` reads from them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from consult.document import INVALID, Path_, YamlDoc
from consult.errors import SourceError, did_you_mean, french, say

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TYPE_NAMES = {
    "str": say("text", "du texte"),
    "int": say("a whole number", "un nombre entier"),
    "bool": say("true or false", "true ou false"),
    "date": say("a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)", "une date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)"),
    "list": say("a list", "une liste"),
    "dict": say("a mapping of 'key: value' lines", "une suite de lignes « clé: valeur »"),
    "slug": say("a slug (lowercase letters, digits and hyphens)",
                "un identifiant (lettres minuscules, chiffres et tirets)"),
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


# The schema types whose check is one isinstance (the others, `_type_ok`): every front matter's
# fields are checked, several mappings a file (a proposal's history entries too).
_CLASSES: dict[str, type] = {"str": str, "list": list, "dict": dict, "bool": bool, "date": date}


def check_mapping(
    doc: YamlDoc, at: Path_, data: Any, fields: dict[str, Field], what: str
) -> list[SourceError]:
    """Problems with one mapping: not a mapping, unknown keys, missing keys, wrong types."""
    if not isinstance(data, dict):
        return [doc.error(at, say(f"{what} must be {TYPE_NAMES['dict']}",
                                  f"{french(what)} doit être {french(TYPE_NAMES['dict'])}"))]
    problems = []
    if not data.keys() <= fields.keys():  # one comparison of the key sets, in C, for the common case
        for key in data:
            if key not in fields:
                allowed = ", ".join(fields)
                hint = did_you_mean(key, fields) or say(f"allowed: {allowed}", f"champs possibles : {allowed}")
                problems.append(doc.error(at + (key,), say(f"unknown field '{key}' in {what}",
                                                           f"champ inconnu « {key} » dans {french(what)}"), hint, key=True))
    for name, spec in fields.items():
        value = data.get(name)
        if value is None:
            if spec.required:
                problems.append(doc.error(at, say(f"missing required field '{name}' in {what}",
                                                  f"champ obligatoire « {name} » absent dans {french(what)}")))
            continue
        if value is INVALID:
            continue
        type_ = spec.type
        if type_ == "date":
            value = _date_value(value)
        if not (isinstance(value, _CLASSES[type_]) if type_ in _CLASSES else _type_ok(value, type_)):
            problems.append(
                doc.error(at + (name,), say(f"field '{name}' must be {TYPE_NAMES[type_]}, not {value!r}",
                                            f"le champ « {name} » doit être {french(TYPE_NAMES[type_])}, pas {value!r}"))
            )
    return problems


def converted(data: Any, fields: dict[str, Field]) -> Any:
    """The mapping as its reader needs it: a date field given as text is parsed (YAML only reads
    date-times with seconds, so '2026-12-31T18:00' arrives as text). `data` itself is never
    changed: a copy comes back when something was parsed (else `data`; anything but a mapping too)."""
    if not isinstance(data, dict):
        return data
    dates = [name for name, value in data.items()
             if isinstance(value, str) and name in fields and fields[name].type == "date"]
    return {**data, **{name: _date_value(data[name]) for name in dates}} if dates else data


def _date_value(value: Any) -> Any:
    """A date field's value, its text parsed when it is a date-time (else left as it is: the
    type check then reports it)."""
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return value


def present(data: dict[str, Any], name: str, type_: str) -> bool:
    """True when the field is there and of the right type (problems were reported otherwise)."""
    value = data.get(name)
    return value is not None and value is not INVALID and _type_ok(value, type_)


# -- settings declared as dataclass fields ---------------------------------------------------------

# A setting's schema type, from its annotation (annotations are text under `from __future__ import
# annotations`; `X | None` reads as X); any other annotation names its type in `setting(type=...)`.
ANNOTATION_TYPES = {"str": "str", "int": "int", "bool": "bool", "date": "date"}


def setting(default: Any = dataclasses.MISSING, yaml: str = "", *, doc: str, type: str = "",
            required: bool | None = None) -> Any:
    """A dataclass field that is a setting of a YAML file: its default (none: the setting is
    required), where it is written (`yaml`: a dotted path like 'forms.max_length' from the mapping
    the dataclass reads; '' for the field's own name), what it means (`doc`), its schema type when
    the annotation does not say it (`type`), and `required` when that differs from having no default.
    Declaring a setting is this one line; `schema_fields` and `read_settings` derive the rest."""
    metadata = {"doc": doc, "yaml": yaml, "type": type, "required": required}
    return dataclasses.field(default=default, metadata=metadata)


def _path(spec: dataclasses.Field[Any]) -> tuple[str, ...]:
    return tuple((spec.metadata["yaml"] or spec.name).split("."))


def _settings(cls: type) -> list[dataclasses.Field[Any]]:
    return [spec for spec in dataclasses.fields(cls) if "yaml" in spec.metadata]


def _schema_type(spec: dataclasses.Field[Any]) -> str:
    annotation = str(spec.type).removesuffix(" | None")
    found = spec.metadata["type"] or ANNOTATION_TYPES.get(annotation) or ("list" if annotation.startswith("tuple[") else "")
    if found not in TYPE_NAMES:
        raise TypeError(f"setting {spec.name}: say its schema type, setting(type=...)")
    return found


def _has_default(spec: dataclasses.Field[Any]) -> bool:
    return spec.default is not dataclasses.MISSING or spec.default_factory is not dataclasses.MISSING


def schema_fields(cls: type, within: str = "") -> dict[str, Field]:
    """The Field table of the mapping at `within` (a dotted path; '' for the top), in the order the
    settings are declared: a setting written there is its own Field, a deeper one makes its
    section a mapping."""
    prefix = tuple(within.split(".")) if within else ()
    table: dict[str, Field] = {}
    for spec in _settings(cls):
        path = _path(spec)
        if path[:len(prefix)] != prefix or len(path) == len(prefix) or path[len(prefix)] in table:
            continue
        if len(path) > len(prefix) + 1:
            table[path[len(prefix)]] = Field("dict")
            continue
        required = spec.metadata["required"]
        table[path[-1]] = Field(_schema_type(spec), not _has_default(spec) if required is None else required)
    return table


def read_settings(cls: type, data: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Keyword arguments for `cls` from a checked mapping: each setting written in `data` (but
    those named in `skip`, which the caller reads itself). One left empty (null, or an empty list)
    keeps its default; a list becomes a tuple. A section that is not a mapping raises
    AttributeError, a required setting that is missing KeyError: the caller has reported both."""
    values: dict[str, Any] = {}
    for spec in _settings(cls):
        if spec.name in skip:
            continue
        *sections, key = _path(spec)
        mapping: Any = data
        for section in sections:
            mapping = mapping.get(section) or {}
        if not _has_default(spec):
            values[spec.name] = mapping[key]
        elif mapping.get(key) is not None and mapping.get(key) != []:
            value = mapping[key]
            values[spec.name] = tuple(value) if _schema_type(spec) == "list" else value
    return values


"""The plain block YAML content files are made of, read without PyYAML's node graph.

`read` takes the subset that front matter and content files mostly are: `key: value` lines,
block lists (`- item`, `- key: value`) and nested mappings, each value a one-line plain scalar,
a quoted string without escapes, a one-line flow list of plain words (`tags: [a, b]`) or a
literal block (`response: |`). It returns the same data, types and positions as
`document.parse_yaml`'s PyYAML path (libyaml composing nodes, then `_walk`), or None for
anything else: comments, anchors, tags, other flow collections, multi-line scalars, folded blocks, escapes,
tabs, empty values, duplicate keys, a value the constructor refuses... PyYAML then reads the text
again and stays the only source of data outside the subset and of every error message. Plain
scalars are typed by PyYAML's own resolver and made by its SafeConstructor, so `yes`, `0x1f`,
`1:30` and `2026-03-01` come out as they would. Files repeat a few shapes (a proposal's lines, but
for their values, are the next one's): once a text of a shape is read line by line, the next ones of
that shape get its structure and positions and are read for their values alone (`_Plan`). Pure:
nothing here touches disk.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[int, int]]

# Anything the subset has no reason to meet, for which libyaml's reader or scanner has rules of its
# own: characters it refuses (controls, surrogates, U+FFFE/FFFF), tab, CR, the other line breaks
# (U+0085, U+2028, U+2029) and the byte order mark. Written as the set of those characters, not as
# the complement of the allowed ones: the same matches (a test runs every code point through both),
# but re compiles a negated class of ranges up to U+10FFFF code point by code point (7 ms at import).
_OUTSIDE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,99}):(?: +|$)")
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
# A one-line flow list of plain words (`tags: [velo, securite]`, as `consult tag` writes it): no
# quotes, colons, comments or nested collections, and no empty item.
_WORD = r"[^\W_][^,\[\]{}#:'\"\s]*(?: +[^,\[\]{}#:'\"\s]+)*"
_FLOW = re.compile(rf"\[ *(?:{_WORD} *(?:, *{_WORD} *)*)?\]")
_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()  # the resolver of yaml.CSafeLoader and yaml.SafeLoader
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
# Short plain scalars seen before (statuses, categories, dates, numbers) -> their value.
_KNOWN: dict[str, Any] = {}
_KEYS: dict[str, bool] = {}  # key -> whether the resolver reads it as a string


class _Unsure(Exception):
    """The text leaves the subset: PyYAML reads it."""


def read(text: str, line_offset: int = 0) -> tuple[Any, Positions, Positions] | None:
    """(data, positions, key_positions) of a YAML mapping in the subset, exactly as the PyYAML
    path of `document.parse_yaml` makes them (1-based lines shifted by `line_offset`, with the
    same entries in the same order); None where the text is outside the subset."""
    if _OUTSIDE.search(text):
        return None
    parts = _LINE.findall(text)  # one (shape, rest) a line, as text.split("\n") gives the lines
    shapes, rests = zip(*parts)
    shape = (line_offset, shapes, tuple(map(bool, rests)))
    plan = _PLANS.get(shape)
    if plan is not None:
        try:
            return _fill(plan.data, rests), plan.positions.copy(), plan.key_positions.copy()
        except _Unsure:
            pass  # a value the plan's lines cannot hold (a flow list, a block, an open quote...): read line by line
    entries, lines = [], text.split("\n")
    for number, line in enumerate(lines, start=1 + line_offset):
        content = line.lstrip(" ")
        if content:
            entries.append((number, len(line) - len(content), content.rstrip(" ")))
    if not entries or _KEY.match(entries[0][2]) is None:
        return None  # empty, or not a mapping (PyYAML's path says what it is)
    reader = _Reader(entries, lines, line_offset)
    try:
        data = reader.mapping(entries[0][1], ())
        if reader.at != len(entries):
            return None
    except _Unsure:
        return None
    if reader.plain and len(parts) == len(lines):
        if len(_PLANS) >= 256:
            _PLANS.clear()
        _PLANS[shape] = _Plan(_template(data, (), reader.positions, line_offset),
                              MappingProxyType(dict(reader.positions)), MappingProxyType(dict(reader.key_positions)))
    return data, reader.positions, reader.key_positions


# Every line's shape, as the reader takes it apart: its indentation, `- `, and `key: ` (`key:` when
# no value follows on the line); then the rest, the value. A text the reader took without a flow list
# or a block (`_Reader.plain`) has its structure and every position fixed by its lines' shapes (and
# which lines are blank): another text of the same shapes is read by `_fill`, its values alone.
_LINE = re.compile(r"^( *(?:- +)?(?:[A-Za-z_][A-Za-z0-9_-]{0,99}:(?:(?= *$)| +))?)(.*)$", re.M)
Template = Any  # a line's index (the scalar on it), or ("map", ((key, Template), ...)), or ("seq", (Template, ...))


@dataclass(frozen=True)
class _Plan:
    """How the reader read a text of some shape: its data's template, its positions."""

    data: Template
    positions: MappingProxyType[Path_, tuple[int, int]]  # read-only: each text read by the plan gets a copy
    key_positions: MappingProxyType[Path_, tuple[int, int]]


_PLANS: dict[tuple[int, tuple[str, ...], tuple[bool, ...]], _Plan] = {}  # shape -> plan: files repeat a few shapes


def _template(value: Any, path: Path_, positions: Positions, line_offset: int) -> Template:
    """The template of data the reader read: each scalar by its line (one scalar a line: no flow list)."""
    if type(value) is dict:
        return ("map", tuple((key, _template(item, path + (key,), positions, line_offset)) for key, item in value.items()))
    if type(value) is list:
        return ("seq", tuple(_template(item, path + (index,), positions, line_offset) for index, item in enumerate(value)))
    return positions[path][0] - line_offset - 1


def _fill(template: Template, rests: tuple[str, ...]) -> Any:
    """The data of a text whose shape a plan has, read from the rests of its lines."""
    kind, items = template
    if kind == "map":
        return {key: _value(rests[item].rstrip(" ")) if type(item) is int else _fill(item, rests) for key, item in items}
    return [_value(rests[item].rstrip(" ")) if type(item) is int else _fill(item, rests) for item in items]


class _Reader:
    """A recursive descent over the non-blank lines: (line number, indent, text without the
    indent and trailing spaces)."""

    def __init__(self, entries: list[tuple[int, int, str]], lines: list[str], line_offset: int) -> None:
        self.entries = entries
        self.lines, self.line_offset = lines, line_offset  # the text's lines as they are, for `literal`
        self.at = 0  # the entry read next
        self.positions: Positions = {}
        self.key_positions: Positions = {}
        self.plain = True  # no flow list nor block: one scalar a line, where its shape says (`_Plan`)

    def mapping(self, indent: int, path: Path_) -> dict[str, Any]:
        """The block mapping whose first key is the entry `at`, at column `indent` (0-based)."""
        entries, positions, key_positions = self.entries, self.positions, self.key_positions
        at, count = self.at, len(entries)
        positions[path] = (entries[at][0], indent + 1)
        result: dict[str, Any] = {}
        key_path = path + ("<key>",)
        while at < count:
            number, column, content = entries[at]
            if column != indent:
                if column < indent:
                    break
                raise _Unsure
            match = _KEY.match(content)
            if match is None:
                raise _Unsure
            key = match.group(1)
            if key in result or not (_KEYS.get(key) or _is_str(key)):
                raise _Unsure  # a duplicate, or a key the resolver types (`yes`, `null`): PyYAML's problems
            where, here = (number, indent + 1), path + (key,)
            positions[key_path] = where
            key_positions[here] = where
            at += 1
            end = match.end()
            if end == len(content) - 1 and content[end] == "|":
                self.at = at
                result[key] = self.literal(indent, number, end + indent + 1, here)
                at = self.at
            elif end < len(content):
                result[key] = self.scalar(content[end:], number, indent + end + 1, here)
            else:
                self.at = at
                result[key] = self.block(indent, here)
                at = self.at
        self.at = at
        return result

    def block(self, indent: int, path: Path_) -> Any:
        """The value of a key with nothing after its colon: a list (at the key's column or deeper)
        or a mapping (deeper) on the lines after."""
        if self.at == len(self.entries):
            raise _Unsure  # an empty value
        _, column, content = self.entries[self.at]
        if content.startswith("- ") and column >= indent:
            return self.sequence(column, path)
        if column > indent:
            return self.mapping(column, path)
        raise _Unsure

    def sequence(self, indent: int, path: Path_) -> list[Any]:
        """The block sequence whose first `- ` is the entry `at`, at column `indent`."""
        entries = self.entries
        self.positions[path] = (entries[self.at][0], indent + 1)
        items: list[Any] = []
        while self.at < len(entries):
            number, column, content = entries[self.at]
            if column < indent or (column == indent and not content.startswith("-")):
                break  # a key after a list at its mapping's column: the mapping goes on
            if column > indent or not content.startswith("- "):
                raise _Unsure
            item = content[2:].lstrip(" ")
            start = indent + len(content) - len(item)  # 0-based column of the item
            if item.startswith("-") or not item:
                raise _Unsure
            if _KEY.match(item):
                entries[self.at] = (number, start, item)  # `- key: value` opens a mapping at its key
                items.append(self.mapping(start, path + (len(items),)))
            else:
                self.at += 1
                items.append(self.scalar(item, number, start + 1, path + (len(items),)))
        return items

    def scalar(self, text: str, line: int, column: int, path: Path_) -> Any:
        """The value of a one-line scalar starting at (line, column), 1-based."""
        self.positions[path] = (line, column)
        if text[0] == "[":
            return self.flow(text, line, column, path)
        return _value(text)

    def literal(self, indent: int, line: int, column: int, path: Path_) -> str:
        """The literal block scalar (`key: |`, lines indented deeper than the mapping at `indent`)
        whose `|` stands at (line, column), 1-based; its lines are skipped. Kept plain: no
        indentation or chomping indicator, no line of spaces only (YAML's rules for those and for
        leading lines indented deeper are left to PyYAML)."""
        self.positions[path] = (line, column)
        self.plain = False
        lines = self.lines
        first = line - self.line_offset  # the 0-based index of the line after the `|`
        body: list[str] = []
        block, last = 0, -1  # the block's indentation; the index of its last line with text
        for index in range(first, len(lines)):
            text = lines[index]
            if not text:
                body.append("")
                continue
            lead = len(text) - len(text.lstrip(" "))
            if lead == len(text):
                raise _Unsure  # spaces only: where the block ends, and how much indentation it has, depends on them
            if not block:
                if lead <= indent:
                    raise _Unsure  # an empty block scalar
                block = lead
            elif lead < block:
                break
            body.append(text[block:])
            last = index
        if last < 0:
            raise _Unsure
        value = "\n".join(body[: last - first + 1]) + ("\n" if last + 1 < len(lines) else "")
        number = last + 1 + self.line_offset
        while self.at < len(self.entries) and self.entries[self.at][0] <= number:
            self.at += 1
        return _nfc(value)

    def flow(self, text: str, line: int, column: int, path: Path_) -> list[Any]:
        """The items of a one-line flow list of plain words starting at (line, column)."""
        if _FLOW.fullmatch(text) is None:
            raise _Unsure
        self.plain = False
        items: list[Any] = []
        start = 1
        for part in text[1:-1].split(",") if text[1:-1].strip(" ") else ():
            word = part.strip(" ")
            where = column + start + len(part) - len(part.lstrip(" "))
            self.positions[path + (len(items),)] = (line, where)
            items.append(_plain(word))
            start += len(part) + 1
        return items


def _value(text: str) -> Any:
    """A one-line scalar's value, but for a flow list: quoted, or plain (`_plain`)."""
    known = _KNOWN.get(text)
    if known is not None:  # a plain scalar read before (`_plain`), so past the checks below
        return known
    first = text[:1]
    if first == '"':  # without escapes: what `"([^"\\]*)"` matches, found without a regular expression
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _Unsure
        return _nfc(inner)
    if first == "'":
        match = _SINGLE.fullmatch(text)
        if match is None:
            raise _Unsure
        return _nfc(match.group(1).replace("''", "'"))
    if not first.isalnum() or "#" in text or ": " in text or text.endswith(":"):
        raise _Unsure  # an indicator first, or a comment or a mapping inside (or nothing)
    return _plain(text)


def _plain(text: str) -> Any:
    """A plain scalar's value: typed by the resolver, made by the safe constructor."""
    known = _KNOWN.get(text)
    if known is not None:
        return known
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR:
        value: Any = _nfc(text)
        if len(text) > 64:
            return value  # a sentence: seen once
    else:
        make = _CONSTRUCTOR.yaml_constructors.get(tag)
        if make is None:
            raise _Unsure  # `=` (tag:yaml.org,2002:value) and the like: PyYAML's path refuses them
        try:
            value = make(_CONSTRUCTOR, yaml.ScalarNode(tag, text))
        except Exception as exc:  # a date that does not exist...: PyYAML's path says so
            raise _Unsure from exc
        if value is None:
            return None
    if len(_KNOWN) >= 4096:
        _KNOWN.clear()
    _KNOWN[text] = value  # immutable: words, numbers, booleans, dates, datetimes
    return value


def _is_str(key: str) -> bool:
    """Whether the resolver reads `key` as a string (remembered: keys repeat from file to file)."""
    if len(_KEYS) >= 4096:
        _KEYS.clear()
    known = _KEYS[key] = _RESOLVER.resolve(yaml.ScalarNode, key, (True, False)) == _STR
    return known


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)

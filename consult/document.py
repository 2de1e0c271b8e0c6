"""Text -> YAML data with positions, and front matter split from Markdown.

`parse_yaml` uses PyYAML's safe C loader when available and keeps the line and
column of every mapping key and value, so later checks can point at them.
Every text is read as NFC, the form browsers' input reaches the handler in; `cleaned` takes
out the characters XML forbids, for the build (pages are never scanned whole for them).
Nothing here touches disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import unicodedata

import yaml

from consult import blockyaml
from consult.errors import SourceError, say

try:
    SafeLoader: Any = yaml.CSafeLoader
    SafeDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    SafeLoader, SafeDumper = yaml.SafeLoader, yaml.SafeDumper

Path_ = tuple[str | int, ...]


class _Invalid:
    """Stands for a value that could not be read; its problem is already reported."""

    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = _Invalid()


# Characters XML 1.0 forbids and HTML calls parse errors; citizen text may carry them. The texts
# pages show are cleaned where the build makes them data (`cleaned`: content files, site.yaml),
# templates when they compile (consult.sandbox), the handler's echo of a form (consult.formview).
# Markdown turns a character reference to one of them (`&#1;`) into U+FFFD itself.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0-\ufdef\ufffe\uffff]")


_CONTROLS = bytes(range(0x20)).translate(None, b"\t\n\r") + b"\x7f"


def clean(text: str) -> str:
    """`text` without the characters XML 1.0 forbids. Most texts have none, which is found on
    their UTF-8 bytes in half the regular expression's time (every text of a site goes through
    here): no control byte, and no byte 0xEF, which leads U+F000-U+FFFF and so every forbidden
    character above 0x7F (a text with one takes the exact path)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _CONTROLS)) == len(data) and b"\xef" not in data:
        return text
    return FORBIDDEN.sub("", text)


def cleaned(text: str, data: Any, body: str = "") -> tuple[Any, str]:
    """The data (and Markdown body) parsed from `text`, without the characters XML forbids: what
    the build shows on pages. The parsers leave them (`consult moderate` shows a moderator what was
    sent, escaped); a text with none, and no backslash, comes back as it is after one scan. An escape
    in a YAML string ("\\x01") writes what YAML's reader refuses raw; Markdown's do not."""
    if clean(text) is not text:
        return _cleaned(data), clean(body)
    return (_cleaned(data) if "\\" in text else data), body


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {_cleaned(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value


def nfc(text: str) -> str:
    """`text` in Unicode's composed form. A label an editor typed decomposed ('e' + U+0301, as
    some keyboards and macOS file names give it) must be the very string a browser sends back
    and the handler compares (the handler reads every field as NFC too)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


@dataclass
class YamlDoc:
    """Data, and where each piece of it stands: key path -> (line, col), 1-based."""

    path: str
    data: Any
    line_offset: int = 0
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, *keys: str | int, key: bool = False) -> tuple[int, int]:
        """The position of a value (or of its key), else of the nearest parent."""
        table = self.key_positions if key else self.positions
        probe: Path_ = tuple(keys)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1 + self.line_offset, 1))

    def error(self, keys: Path_, message: str, hint: str = "", key: bool = False) -> SourceError:
        line, col = self.where(*keys, key=key)
        return SourceError(self.path, line, col, message, hint)


def parse_yaml(text: str, path: str, line_offset: int = 0) -> tuple[YamlDoc, list[SourceError]]:
    """Parse one YAML document; its strings come out as NFC (normalised once parsed: normalising
    the YAML text would join a combining mark to the hex digit ending a \\U escape before it).
    Returns the doc (data None on failure) and problems. The plain block YAML most content files
    are is read by `blockyaml` (in less than half the time); anything else, and every problem, by
    `parse_yaml_nodes`, whose result is the same."""
    fast = blockyaml.read(text, line_offset)
    if fast is None:
        return parse_yaml_nodes(text, path, line_offset)
    # Nothing for `_dashes_without_space` to find: every key or value the fast reader takes starts
    # with a letter, a digit, a quote or `[`, and each list item with `- ` (tests/test_blockyaml.py
    # compares the problems of both paths).
    return YamlDoc(path, fast[0], line_offset, fast[1], fast[2]), []


def parse_yaml_nodes(text: str, path: str, line_offset: int = 0) -> tuple[YamlDoc, list[SourceError]]:
    """`parse_yaml` through PyYAML's node graph (libyaml's composer, then `_walk`): the reference,
    for any YAML."""
    doc = YamlDoc(path, None, line_offset)
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else 1
        col = (mark.column + 1) if mark else 1
        reason = exc.problem or str(exc)
        reason_fr = _YAML_WORDS.get(reason, reason)
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            start = exc.context_mark.line + 1 + line_offset
            reason += f" ({exc.context} that starts at line {start})"
            reason_fr += f" ({_YAML_WORDS.get(exc.context, exc.context)} qui commence à la ligne {start})"
        hint = yaml_hint(text, mark.line, mark.column, line_offset) if mark else ""
        return doc, [SourceError(path, line, col, say(f"invalid YAML: {reason}", f"YAML invalide : {reason_fr}"), hint)]
    except yaml.YAMLError as exc:
        return doc, [SourceError(path, 1 + line_offset, 1, say(f"invalid YAML: {exc}", f"YAML invalide : {exc}"))]
    finally:
        loader.dispose()
    if node is None:
        doc.data = {}
        return doc, []
    problems: list[SourceError] = []
    doc.data = _walk(node, (), doc, loader, problems)
    problems += _dashes_without_space(text, doc)
    return doc, problems


# libyaml's words for the commonest mistakes, in French (the others are said as libyaml says them).
_YAML_WORDS = {
    "mapping values are not allowed in this context": "« : » n'est pas permis à cet endroit",
    "mapping values are not allowed here": "« : » n'est pas permis à cet endroit",
    "found character that cannot start any token": "caractère qui ne peut pas commencer une valeur",
    "did not find expected ',' or ']'": "« , » ou « ] » attendu",
    "did not find expected ',' or '}'": "« , » ou « } » attendu",
    "found unexpected end of stream": "le texte se termine trop tôt",
    "did not find expected '-' indicator": "tiret « - » attendu",
    "found unknown escape character": "caractère d'échappement inconnu",
    "found undefined alias": "alias non défini",
    "could not find expected ':'": "« : » attendu",
    "did not find expected key": "clé attendue",
    "did not find expected node content": "valeur attendue",
    "found a tab character that violates indentation": "tabulation dans l'indentation",
    "while scanning for the next token": "dans l'élément",
    "while scanning a simple key": "dans une clé",
    "while scanning a quoted scalar": "dans un texte entre guillemets",
    "while parsing a quoted scalar": "dans un texte entre guillemets",
    "while parsing a block collection": "dans une liste",
    "while parsing a block mapping": "dans une suite de lignes « clé: valeur »",
    "while parsing a flow sequence": "dans une liste entre crochets",
    "while parsing a flow mapping": "dans une suite « clé: valeur » entre accolades",
}


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_STR_TAG = "tag:yaml.org,2002:str"


def _mark(node: yaml.Node, offset: int) -> tuple[int, int]:
    return (node.start_mark.line + 1 + offset, node.start_mark.column + 1)


def _walk(node: yaml.Node, at: Path_, doc: YamlDoc, loader: Any, problems: list[SourceError]) -> Any:
    kind = type(node)
    mark = node.start_mark
    doc.positions[at] = (mark.line + 1 + doc.line_offset, mark.column + 1)
    if kind is yaml.ScalarNode:
        if node.tag == _STR_TAG:  # most values: what the constructor would return, without its dispatch
            return nfc(node.value)
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as exc:
            line, col = _mark(node, doc.line_offset)
            reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else exc
            problems.append(SourceError(doc.path, line, col, say(f"cannot read value {node.value!r}: {reason}",
                                                                 f"impossible de lire la valeur {node.value!r} : {reason}")))
            return INVALID
    if node.tag not in _PLAIN_TAGS:
        line, col = _mark(node, doc.line_offset)
        problems.append(SourceError(doc.path, line, col, say(f"invalid YAML: unsupported tag {node.tag!r}",
                                                             f"YAML invalide : balise {node.tag!r} non prise en charge")))
        return INVALID
    if kind is yaml.MappingNode:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _walk(key_node, at + ("<key>",), doc, loader, problems)
            if not isinstance(key, (str, int)):
                problems.append(doc.error(at, say("mapping keys must be plain words",
                                                  "les clés doivent être de simples mots")))
                continue
            key = str(key)
            if key in result:
                line, col = _mark(key_node, doc.line_offset)
                problems.append(SourceError(doc.path, line, col, say(f"duplicate key '{key}'", f"clé « {key} » en double")))
            doc.key_positions[at + (key,)] = _mark(key_node, doc.line_offset)
            result[key] = _walk(value_node, at + (key,), doc, loader, problems)
        return result
    return [_walk(item, at + (i,), doc, loader, problems) for i, item in enumerate(node.value)]


@dataclass(frozen=True)
class FrontMatter:
    yaml_text: str
    body: str
    body_line: int  # 1-based line where the Markdown body starts


# The closing line of a front matter as it mostly is: `---` (or `...`) between two '\n'.
_CLOSING = re.compile(r"\n(?:---|\.\.\.)(?:\n|\Z)")
# The line breaks `str.splitlines` knows besides '\n': before one, lines are not what '\n' says.
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def split_front_matter(text: str) -> FrontMatter | None:
    """Split '---\\n yaml \\n---\\n body'. None when the file has no front matter."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("---\n"):
        # Found by one search instead of splitting the whole file (body too) into lines: the same
        # split wherever '\n' is the only line break before the closing line.
        closing = _CLOSING.search(text, 3)
        if closing is not None and _OTHER_BREAKS.search(text, 0, closing.start()) is None:
            end = closing.start() + 1
            return FrontMatter(text[4:end], text[closing.end():], text.count("\n", 0, end) + 2)
    elif not text.startswith("---\r\n"):
        return None
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            yaml_text = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            return FrontMatter(yaml_text, body, index + 2)
    return None


def parse_front_matter(text: str, path: str) -> tuple[YamlDoc, str, list[SourceError]]:
    """Markdown file text -> (front matter doc, body, problems), as NFC."""
    split = split_front_matter(text)
    if split is None:
        doc = YamlDoc(path, None)
        return doc, "", [_no_front_matter(text, path)]
    doc, problems = parse_yaml(split.yaml_text, path, line_offset=1)
    if doc.data is not None and not isinstance(doc.data, dict):
        problems.append(SourceError(path, 2, 1, say("front matter must be a mapping of 'key: value' lines",
                                                    "l'en-tête doit être une suite de lignes « clé: valeur »")))
        doc.data = None
    return doc, nfc(split.body), problems


def dump_front_matter(data: dict[str, Any], body: str) -> str:
    """The inverse of parse_front_matter, through the safe dumper only (libyaml's when
    available: `consult pull` writes one file per submission, and the C emitter is ~10x
    faster; it escapes characters outside the BMP, such as emoji, which still round-trip)."""
    head = dump_yaml(data)
    if body and not body.endswith("\n"):
        body += "\n"
    return f"---\n{head}---\n{body}"


def dump_yaml(data: dict[str, Any]) -> str:
    """`data` as block YAML, exactly as `yaml.dump(..., Dumper=SafeDumper, allow_unicode=True,
    sort_keys=False, default_flow_style=False, width=1000)` writes it. Strings, numbers,
    booleans, None, dates and lists and mappings of them go as events straight to the emitter
    (libyaml's: it quotes and escapes), each scalar's implicit tag decided by the same resolver
    as the dumper's: a third of the time of PyYAML's representer, which `consult pull` pays
    once per file. Anything else (or one list or mapping twice, which PyYAML writes as an
    alias) goes through yaml.dump itself. The commonest mapping, plain words and dates under
    plain keys (`_plain_block`), is written without the emitter at all."""
    fast = _plain_block(data)
    if fast is not None:
        return fast
    events: list[Any] = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False)]
    if _events(data, events, set()):
        events += [yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent()]
        return str(yaml.emit(events, Dumper=SafeDumper, allow_unicode=True, width=1000))
    return str(yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False,
                         default_flow_style=False, width=1000))


_TAG = "tag:yaml.org,2002:"
_RESOLVER = yaml.resolver.Resolver()  # the safe dumpers' implicit resolvers (CSafeDumper's too)
_KEPT: dict[tuple[str, str], Any] = {}  # (tag, short text) -> its ScalarEvent


def _events(value: Any, out: list[Any], seen: set[int]) -> bool:
    """Append the events of `value` to `out`; False where yaml.dump must do it."""
    kind = type(value)
    if kind is str:
        out.append(_scalar("str", value))
    elif kind in _SCALARS:
        out.append(_scalar(*_SCALARS[kind](value)))
    elif kind is list or kind is dict:
        if id(value) in seen:  # yaml.dump would write an anchor and an alias
            return False
        seen.add(id(value))
        if kind is list:
            out.append(yaml.SequenceStartEvent(None, _TAG + "seq", True, flow_style=False))
            for item in value:
                if not _events(item, out, seen):
                    return False
            out.append(_SEQUENCE_END)
        else:
            out.append(yaml.MappingStartEvent(None, _TAG + "map", True, flow_style=False))
            for key, item in value.items():
                if not (_events(key, out, seen) and _events(item, out, seen)):
                    return False
            out.append(_MAPPING_END)
    else:
        return False
    return True


_SEQUENCE_END, _MAPPING_END = yaml.SequenceEndEvent(), yaml.MappingEndEvent()
# Each scalar type but str, as SafeRepresenter writes it: (tag, text).
_SCALARS: dict[type, Any] = {
    bool: lambda value: ("bool", "true" if value else "false"),
    int: lambda value: ("int", str(value)),
    type(None): lambda value: ("null", "null"),
    datetime: lambda value: ("timestamp", value.isoformat(" ")),
    date: lambda value: ("timestamp", value.isoformat()),
}


def _scalar(tag: str, text: str) -> Any:
    """The event of one scalar, implicit (written plain) where the resolver reads `text` back
    as `tag` as the dumper's serializer decides it. Short ones are kept: keys, kinds, statuses,
    names and dates repeat from file to file; a citizen's text does not."""
    key = (tag, text)
    event = _KEPT.get(key)
    if event is None:
        tag = _TAG + tag
        implicit = (_RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == tag, tag == _TAG + "str")
        event = yaml.ScalarEvent(None, tag, implicit, text)
        if len(text) <= 64:
            if len(_KEPT) >= 4096:
                _KEPT.clear()
            _KEPT[key] = event
    return event


# A scalar libyaml writes plain, as it is, in block context: a letter or digit first; then word
# characters, spaces and punctuation that is no indicator there (no ':' nor '#': ': ' and ' #'
# would be); not ending with a space; in the BMP (libyaml escapes what is beyond). Short enough
# that no line reaches the width of 1,000 where the emitter would fold it. Whether the resolver
# would read it back as a string (not yes, 12, 2026-01-02...) is asked too (`_plain`).
_PLAIN = re.compile(r"[^\W_][\w '’.,;!?()/«»…–—\"&+%€$=<>@*\[\]{}|`~^-]{0,799}(?<! )")
_PLAIN_KNOWN: dict[str, bool] = {}  # short scalars (keys, kinds, names) decided once


def _plain(text: str) -> bool:
    """True when the emitter writes `text` as it is (plain, unquoted, on one line)."""
    known = _PLAIN_KNOWN.get(text)
    if known is not None:
        return known
    plain = (_PLAIN.fullmatch(text) is not None and (text.isascii() or ord(max(text)) < 0x10000)
             and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _TAG + "str")
    if len(text) <= 64:
        if len(_PLAIN_KNOWN) >= 4096:
            _PLAIN_KNOWN.clear()
        _PLAIN_KNOWN[text] = plain
    return plain


def _plain_value(value: Any, indent: str, seen: set[int]) -> str | None:
    """` text` (after 'key:') of a plain string, datetime, non-empty list of plain strings or
    mapping of plain keys to those, as the block emitter writes it at `indent`; None otherwise,
    and for a list or mapping met before (`seen`: yaml.dump writes an alias)."""
    kind = type(value)
    if kind is list or kind is dict:
        if id(value) in seen:
            return None
        seen.add(id(value))
    if kind is str:
        return f" {value}\n" if _plain(value) else None
    if kind is datetime:
        text = value.isoformat(" ")
        return f" {text}\n" if _TIMESTAMP.fullmatch(text) else None
    if kind is list and value:
        if not all(type(item) is str and _plain(item) for item in value):
            return None
        return "".join(f"\n{indent}- {item}" for item in value) + "\n"  # a block mapping's list is not indented
    if kind is dict and value and not indent:
        lines = _plain_lines(value, "  ", seen)
        return None if lines is None else "\n" + lines
    return None


def _plain_lines(data: dict[Any, Any], indent: str, seen: set[int]) -> str | None:
    parts: list[str] = []
    for key, value in data.items():
        text = _plain_value(value, indent, seen) if type(key) is str and len(key) <= 100 and _plain(key) else None
        if text is None:
            return None
        parts.append(f"{indent}{key}:{text}")
    return "".join(parts)


def _plain_block(data: dict[Any, Any]) -> str | None:
    """`dump_yaml(data)` written directly when every key is a plain string and every value a plain
    string, a datetime, a list of plain strings or (at the top) a mapping of those (what a pulled
    contribution's front matter mostly is); None for anything else, left to the emitter."""
    return _plain_lines(data, "", {id(data)}) if data else None


# A datetime's isoformat(" ") the resolver reads back as a timestamp (so the emitter writes it plain).
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?(?:[-+][0-9]{2}:[0-9]{2})?")


# --- plain-word hints for the commonest mistakes in hand-written YAML ---

_OPENING = re.compile(r"\ufeff?---\r?\n")
# A line a front matter could hold: `key:`, `- item`, a comment, an indented continuation.
_YAML_LINE = re.compile(r"(\s|#|-(\s|$)|[\w-]+:(\s|$))")
_KEY_LINE = re.compile(r"(\s*(?:-\s+)?)([\w-]+):\s+")
_DASH_ITEM = re.compile(r"^([ \t]*)-([^\s\d-].*)$", re.M)


def _no_front_matter(text: str, path: str) -> SourceError:
    """'missing front matter', or, when the file opens with '---', where the closing one should go."""
    if not _OPENING.match(text):
        return SourceError(path, 1, 1, say("missing front matter", "en-tête manquant"),
                           say("the file must start with a line '---'", "le fichier doit commencer par une ligne « --- »"))
    lines = text.splitlines()
    last = 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() and not _YAML_LINE.match(line):
            break  # the Markdown starts here (a '# title' after a blank line is Markdown too)
        if line.startswith("#") and not lines[number - 2].strip():
            break
        if line.strip():
            last = number
    return SourceError(path, 1, 1, say(f"front matter is not closed: add a line '---' after line {last}",
                                       f"l'en-tête n'est pas fermé : ajoutez une ligne « --- » après la ligne {last}"))


def yaml_hint(text: str, line: int, column: int, line_offset: int = 0) -> str:
    """A sentence for the YAML error at (0-based) `line`, `column` of `text`, or ''."""
    lines = text.splitlines()
    here = lines[line] if line < len(lines) else ""
    if "\t" in here[: len(here) - len(here.lstrip())]:
        return say("indent with spaces, not a tab", "indentez avec des espaces, pas avec une tabulation")
    key = _KEY_LINE.match(here)
    if key and column >= key.end() and ":" in here[key.end():]:
        name, value = key.group(2), here[key.end():].strip()
        quoted = f'"{value}"' if '"' not in value and "\\" not in value else "'" + value.replace("'", "''") + "'"
        example = f"{key.group(1).lstrip()}{name}: {quoted}"
        return say(f"put the {name} in quotes: {example}", f"mettez la valeur de « {name} » entre guillemets : {example}")
    for match in _DASH_ITEM.finditer("\n".join(lines[: line + 1])):
        number = text.count("\n", 0, match.start()) + 1 + line_offset
        return say(f"line {number}: a list item needs a space after the dash ('- {match.group(2)}')",
                   f"ligne {number} : il faut un espace après le tiret d'un élément de liste (« - {match.group(2)} »)")
    return ""


def _dashes_without_space(text: str, doc: YamlDoc) -> list[SourceError]:
    """`-item` where '- item' was meant: YAML reads it as text (or as a key), never as a list item.
    Only where a key or value starts at the dash, so text inside a block (`response: |`) is free."""
    matches = list(_DASH_ITEM.finditer(text)) if "-" in text else []
    if not matches:
        return []
    problems = []
    starts = set(doc.positions.values()) | set(doc.key_positions.values())
    for match in matches:
        line = text.count("\n", 0, match.start()) + 1 + doc.line_offset
        col = len(match.group(1)) + 1
        if (line, col) in starts:
            problems.append(SourceError(doc.path, line, col,
                                        say("a list item needs a space after the dash",
                                            "il faut un espace après le tiret d'un élément de liste"),
                                        say(f"write '- {match.group(2)}'", f"écrivez « - {match.group(2)} »")))
    return problems

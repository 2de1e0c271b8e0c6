from __future__ import annotations

import unicodedata
from datetime import date, timedelta, timezone

from hypothesis import example, given, strategies as st

from consult.document import (
    FORBIDDEN,
    FrontMatter,
    clean,
    dump_front_matter,
    parse_front_matter,
    parse_yaml,
    split_front_matter,
)


def test_positions_of_keys_and_values() -> None:
    doc, problems = parse_yaml("title: x\nitems:\n  - id: a\n    label: b\n", "f.yaml")
    assert not problems
    assert doc.where("items", 0, "label") == (4, 12)
    assert doc.where("items", 0, "label", key=True) == (4, 5)
    assert doc.where("missing") == (1, 1)


def test_front_matter_lines_are_file_lines() -> None:
    doc, body, problems = parse_front_matter("---\ntitle: x\nopens: 2026-13-01\n---\nCorps\n", "c.md")
    assert body == "Corps\n"
    assert [str(p) for p in problems] == ["c.md:3:8: cannot read value '2026-13-01': month must be in 1..12"]


def test_yaml_tags_are_refused_by_the_safe_loader() -> None:
    doc, problems = parse_yaml("x: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml")
    assert problems and "invalid YAML" in str(problems[0])


def test_duplicate_keys_are_errors() -> None:
    _, problems = parse_yaml("a: 1\na: 2\n", "d.yaml")
    assert [str(p) for p in problems] == ["d.yaml:2:1: duplicate key 'a'"]


def test_problems_of_the_yaml_are_said_in_french_too() -> None:
    _, _, problems = parse_front_matter("Pas d'en-tête\n", "p.md")
    assert [p.said("fr") for p in problems] == [
        "p.md:1:1: en-tête manquant (le fichier doit commencer par une ligne « --- »)"]
    _, problems = parse_yaml("titre: Réunion: le 3 mai\n", "c.yaml")
    assert [p.said("fr") for p in problems] == [
        "c.yaml:1:15: YAML invalide : « : » n'est pas permis à cet endroit "
        "(mettez la valeur de « titre » entre guillemets : titre: \"Réunion: le 3 mai\")"]
    assert str(problems[0]) == ("c.yaml:1:15: invalid YAML: mapping values are not allowed in this context "
                                "(put the titre in quotes: titre: \"Réunion: le 3 mai\")")


def test_decomposed_text_is_read_composed() -> None:
    """A label typed in NFD ('e' + U+0301) is the NFC string a browser's form field reaches the
    handler as, in keys, values, lists and the Markdown body alike; positions stay file positions."""
    decomposed = "Fre\u0301quent"
    assert decomposed != "Fréquent" and unicodedata.normalize("NFC", decomposed) == "Fréquent"
    doc, body, problems = parse_front_matter(
        f"---\ntitle: {decomposed}\nchoices: [{decomposed}, b]\nde\u0301j\u00e0: 1\n---\n{decomposed}\n", "q.md")
    assert not problems
    assert doc.data == {"title": "Fréquent", "choices": ["Fréquent", "b"], "déjà": 1}
    assert body == "Fréquent\n"
    assert doc.where("choices", 1) == (3, 22)  # a file position: the decomposed 'é' is two code points
    # Strings are normalised once parsed, not the YAML text: a combining mark right after a \U escape
    # (as the dumper writes a character outside the BMP) must not join the escape's last hex digit.
    doc, _, problems = parse_front_matter('---\ntitle: "\\U0004A2EA\u0300"\n---\n', "e.md")
    assert not problems and doc.data == {"title": "\U0004a2ea\u0300"}
    yaml_doc, _ = parse_yaml(f"label: {decomposed}\n", "site.yaml")
    assert yaml_doc.data == {"label": "Fréquent"}


def test_missing_front_matter() -> None:
    _, _, problems = parse_front_matter("Bonjour\n", "p.md")
    assert "missing front matter" in str(problems[0])


text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)


@given(st.dictionaries(st.sampled_from(["title", "author", "status"]), text_values), text_values)
def test_front_matter_round_trips(meta: dict[str, str], body: str) -> None:
    meta = {**meta, "submitted": date(2026, 12, 1)}
    body = body.replace("\r", "")
    doc, parsed_body, problems = parse_front_matter(dump_front_matter(meta, body), "x.md")
    assert not problems
    # Content is read as NFC: what was written decomposed comes back composed.
    meta = {k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in meta.items()}
    body = unicodedata.normalize("NFC", body)
    assert doc.data == meta
    assert parsed_body.rstrip("\n") == body.rstrip("\n") or not body.strip()


@given(st.text(alphabet=st.sampled_from(["a", "é", "\r", "\n", "\ufeff", "🚲", " "]), max_size=300))
def test_a_content_file_reads_as_read_text_gives_it(text: str) -> None:
    """The build's own file reader (fewer system calls) gives exactly what Path.read_text does,
    newlines included."""
    import tempfile
    from pathlib import Path

    from consult.content.load import read_text

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.md"
        path.write_bytes(text.encode("utf-8"))
        assert read_text(path) == path.read_text(encoding="utf-8")


def _split_by_lines(text: str) -> FrontMatter | None:
    """split_front_matter as it was before its one-search path: every line of the file looked at."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return None
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return FrontMatter("".join(lines[1:index]), "".join(lines[index + 1:]), index + 2)
    return None


_SPLIT_PIECES = ["---", "...", "\n", "\r", "\r\n", "\x0b", "\x1c", "\x85", "\u2028", "\ufeff", "a: b", " ", "-",
                 "\n---\n", "\n---\r\n", "\n...\x0c", "\u2029---\n"]


@given(st.lists(st.sampled_from(_SPLIT_PIECES), max_size=30).map("".join))
@example("a\r---\nb\n---\nc")
@example("a\n---\rb\n---\nc")
@example("a\n...\x85b\n...")
def test_split_front_matter_splits_as_looking_at_every_line_does(text: str) -> None:
    """The closing line is found by one search where '\n' is the only line break before it; any other
    break str.splitlines knows ('\r', '\x0b', U+2028...) sends the text the line by line way."""
    for probe in (text, "---\n" + text, "---\na: b\n" + text):
        assert split_front_matter(probe) == _split_by_lines(probe)


def test_a_front_matter_without_its_closing_line_says_where_to_close_it() -> None:
    """The file starts with '---': 'missing front matter' would send the editor looking for the wrong thing."""
    text = "---\ntitle: Vélo\nhistory:\n  - date: 2026-11-02\n    status: recue\n\nLe texte: ici\n"
    _, _, problems = parse_front_matter(text, "p.md")
    assert [str(p) for p in problems] == ["p.md:1:1: front matter is not closed: add a line '---' after line 5"]
    _, _, problems = parse_front_matter("---\ntitle: x\n\n# Un titre\nTexte\n", "p.md")
    assert "after line 2" in str(problems[0])


def test_a_colon_in_an_unquoted_value_gets_the_quoted_line_as_a_hint() -> None:
    _, problems = parse_yaml("title: Vélo : où en est-on ?\n", "t.md", line_offset=1)
    assert [p.hint for p in problems] == ['put the title in quotes: title: "Vélo : où en est-on ?"']
    _, problems = parse_yaml('categories:\n  - label: Le "vélo": oui\n', "t.md")
    assert [p.hint for p in problems] == ["put the label in quotes: - label: 'Le \"vélo\": oui'"]


def test_a_tab_used_to_indent_gets_a_hint() -> None:
    for text in ("categories:\n\t- id: a\n", "a:\n  b: 1\n\tc: 2\n"):
        _, problems = parse_yaml(text, "t.yaml")
        assert [p.hint for p in problems] == ["indent with spaces, not a tab"]


def test_a_list_item_without_a_space_after_the_dash_is_reported() -> None:
    """YAML reads '-suggestion' as text, not as an item: no YAML error, so consult says it."""
    doc, problems = parse_yaml("kinds:\n  -suggestion\n  -comment\nx: -1\ny: -a\nr: |\n  -foo\n", "c.md", 1)
    assert [str(p) for p in problems] == [
        "c.md:3:3: a list item needs a space after the dash (write '- suggestion')"]
    _, problems = parse_yaml("history:\n  -date: 2026-11-02\n   status: recue\n", "p.md", 1)
    assert problems[0].hint == "line 3: a list item needs a space after the dash ('- date: 2026-11-02')"


_EDGES = "\x00\x08\t\n\x0b\x0c\r\x0e\x1f \x7e\x7f\x80é’\ufdcf\ufdd0\ufdef\ufdf0\ufffd\ufffe\uffff한\U0001f600ab"


@given(st.text(alphabet=_EDGES) | st.text())
def test_clean_takes_out_exactly_what_xml_forbids(text: str) -> None:
    """clean's fast path (on the UTF-8 bytes) answers as the regular expression does, for texts
    near every edge: each forbidden range's ends, their allowed neighbours (U+FDCF, U+FDF0,
    U+FFFD, which share UTF-8 prefixes with forbidden ones), tabs and newlines, other scripts;
    a text without any is returned as it is."""
    expected = FORBIDDEN.sub("", text)
    assert clean(text) == expected
    if expected == text:
        assert clean(text) is text


# --- dump_yaml: the emitter fed directly, byte for byte what yaml.dump writes (issue 17) --------

_SCALAR = st.one_of(
    st.text(), st.sampled_from(["yes", "No", "~", "null", "1.5", "0x1f", "2026-01-01", "- x", "a: b", "#c", "'q'",
                                "\"d\"", " lead", "trail ", "\t", "\x85", "😀 é\n\nx", "", "=", "<<", "1_000", ".inf"]),
    st.integers(), st.booleans(), st.none(), st.dates(), st.datetimes(timezones=st.timezones()), st.floats(),
)
_DATA = st.dictionaries(st.one_of(st.text(), st.integers()), st.recursive(
    _SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=12),
    max_size=8)


@given(_DATA)
def test_dump_yaml_writes_what_yaml_dump_writes(data: dict) -> None:
    import yaml

    from consult.document import SafeDumper, dump_yaml

    expected = yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    assert dump_yaml(data) == expected


# Words as citizens type them, with every character the plain fast path lets through and some it
# must not (':', '#', a tab, a trailing space, an emoji, a control, U+2028), so that both sides of
# each of its tests are drawn.
_WORDS = st.text(alphabet="aZé9_ '’.,;!?()/«»…–—\"&+%€$=<>@*[]{}|`~^-:#\t😀\x85\u2028", max_size=12) | st.sampled_from(
    ["yes", "No", "null", "12", "1.5", "2026-01-02", "Idée 3", "l'école", "a: b", "a #b", "x" * 820, "é" * 790])
_ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=-3, minutes=-30)), timezone(timedelta(seconds=5))])
_PLAIN_VALUE = st.one_of(_WORDS, st.datetimes(timezones=st.none() | _ZONES), st.lists(_WORDS, max_size=3))
_PLAIN_DATA = st.dictionaries(_WORDS, _PLAIN_VALUE | st.dictionaries(_WORDS, _PLAIN_VALUE, max_size=3), max_size=6)


@given(_PLAIN_DATA)
def test_dump_yaml_writes_plain_words_and_dates_as_yaml_dump_does(data: dict) -> None:
    """Issue 17: a front matter of plain words, dates, lists and one nested mapping is written
    without the emitter (`_plain_block`): byte for byte what yaml.dump writes, and so is every
    mapping it must leave to the emitter."""
    import yaml

    from consult.document import SafeDumper, _plain_block, dump_yaml

    expected = yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    assert dump_yaml(data) == expected
    assert _plain_block(data) in (None, expected)


def test_a_contribution_s_front_matter_takes_the_plain_fast_path() -> None:
    """The fast path is the one a pulled contribution takes (else it would save nothing)."""
    from datetime import datetime, timezone

    from consult.document import _plain_block

    data = {"id": "20261115-00000001", "kind": "suggestion", "author": "Bench",
            "submitted": datetime(2026, 11, 15, 12, tzinfo=timezone.utc), "title": "Idée 1",
            "answers": {"frequence": "Rarement ou jamais", "modes": ["vélo", "bus"]}}
    assert _plain_block(data) == ("id: 20261115-00000001\nkind: suggestion\nauthor: Bench\n"
                                  "submitted: 2026-11-15 12:00:00+00:00\ntitle: Idée 1\n"
                                  "answers:\n  frequence: Rarement ou jamais\n  modes:\n  - vélo\n  - bus\n")


def test_dump_yaml_writes_a_shared_list_as_yaml_dump_does() -> None:
    """One list twice: PyYAML writes an anchor and an alias; so must the fast path (by falling back)."""
    from consult.document import dump_yaml

    shared = ["a", "b"]
    assert dump_yaml({"x": shared, "y": shared}) == "x: &id001\n- a\n- b\ny: *id001\n"
    assert dump_yaml({"x": {"q": shared}, "y": shared}) == "x:\n  q: &id001\n  - a\n  - b\ny: *id001\n"

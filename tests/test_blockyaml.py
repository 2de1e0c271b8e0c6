"""consult.blockyaml reads the plain block YAML of content files exactly as PyYAML's path does (issue 17).

Every comparison is against `document.parse_yaml_nodes` (libyaml's node graph, then `_walk`): the
same data with the same types (compared by `repr`, which tells True from 1 and a date from a
datetime), the same positions and key positions in the same order, the same problems; and texts
outside the subset must come back None from `blockyaml.read`, so that PyYAML reads them.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st

from consult import blockyaml
from consult.document import parse_front_matter, parse_yaml, parse_yaml_nodes, split_front_matter

REPO = Path(__file__).resolve().parents[1]


def same_both_ways(text: str, line_offset: int = 0) -> bool:
    """Assert parse_yaml gives what the PyYAML path gives; True when the fast reader took it."""
    doc, problems = parse_yaml(text, "f.md", line_offset)
    reference, expected = parse_yaml_nodes(text, "f.md", line_offset)
    assert repr(doc.data) == repr(reference.data)
    assert list(doc.positions.items()) == list(reference.positions.items())
    assert list(doc.key_positions.items()) == list(reference.key_positions.items())
    assert [(str(p), p.hint) for p in problems] == [(str(p), p.hint) for p in expected]
    fast = blockyaml.read(text, line_offset)  # read again: by the plan of its shape, when the first read made one
    if fast is not None:  # what the reader gives is what parse_yaml returned
        assert repr(fast[0]) == repr(reference.data) and not expected
        assert list(fast[1].items()) == list(reference.positions.items())
        assert list(fast[2].items()) == list(reference.key_positions.items())
    return fast is not None


# Plain scalars around every rule of YAML 1.1's resolver and of the plain-scalar syntax.
_TRICKY = [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "~", "null", "Null", "NULL", "0", "12", "-3", "+4", "012", "0o17",
    "0x1F", "0b101", "1_000", "190:20:30", "1:30", "3.5", "3.5e3", "1e3", "6.8523015e+5", ".5", "1.", "1_0.5", ".inf",
    "-.INF", ".nan", "2026-03-01", "2026-3-1", "2026-02-30", "2026-13-01", "2026-03-01T10:00:00+01:00",
    "2026-03-01 10:00:00", "2026-03-01t10:00:00.5Z", "2026-03-01 10:00:00 -5", "2026-03-01T25:00:00", "=", "<<",
    "a: b", "a:b", "a:", "a :b", "a #b", "a#b", "C#", "#c", "- x", "-x", "-", "?", "? x", "a, b", "[a]", "a [b]", "{x}",
    "a{b}", "&a", "*a", "!x", "!!str x", "%x", "@x", "`x", "|", ">", "a'b", 'a"b', "'q'", '"d"', "é", "e\u0301", "Ω",
    "½", "٣", "x y  z", "vélo : oui", "l’école", "a\\b", "---", "...", "a -- b", "0.", "1__2", "0x", "Yes please",
]
_CHARS = "aZé9_ '’.,;:!?()/«»\"#&*!|>%@`{}[]-=~\\\t\u0301\u00a0\u2028\x85\ufeff😀"
_TEXT = st.text(alphabet=_CHARS, max_size=10) | st.sampled_from(_TRICKY)
_KEYS = st.sampled_from(["title", "id", "a", "b_c", "d-e", "yes", "null", "on", "x1", "_k", "1", "é", "<<", "? a",
                         "a b", "K" * 101])


# Inside the subset: words of letters, digits, spaces and punctuation that is no indicator there,
# the resolver's typed values that construct, and quoted text without escapes.
_SAFE_TEXT = st.text(alphabet="aZé9 .,;!?()/«»’-+=_e\u0301Ω😀", min_size=1, max_size=10)
_SAFE_PLAIN = st.sampled_from([w for w in _TRICKY if w[0].isalnum() and "#" not in w and ": " not in w
                               and not w.endswith(":") and w not in ("2026-02-30", "2026-13-01", "2026-03-01T25:00:00")])
_SAFE_KEYS = st.sampled_from(["title", "id", "a", "b_c", "d-e", "x1", "_k", "status", "history", "date"])


@st.composite
def _scalar(draw: Any, inside: bool) -> str:
    text = draw(_SAFE_TEXT | _SAFE_PLAIN) if inside else draw(_TEXT)
    style = draw(st.sampled_from(["plain", "plain", "double", "single", "flow"]))
    if style == "flow":  # a one-line flow list, as `consult tag` writes one
        words = draw(st.lists(_SAFE_PLAIN | _SAFE_TEXT.map(lambda w: "z" + w.strip(" ")) if inside else _TEXT, max_size=4))
        gaps = draw(st.lists(st.sampled_from(["", " ", "  "]), min_size=3, max_size=3))
        return f"[{gaps[0]}" + f"{gaps[1]},{gaps[2]}".join(words) + f"{gaps[1]}]"
    if style == "double":
        return f'"{text}"'
    if style == "single":
        return "'" + (text.replace("'", "''") if inside or draw(st.booleans()) else text) + "'"
    if inside and not text[0].isalnum():
        return "z" + text.rstrip(" ")
    return text


def _node(depth: int, inside: bool) -> Any:
    leaf = _scalar(inside)
    if depth == 0:
        return leaf
    inner = _node(depth - 1, inside)
    low = 1 if inside else 0
    return leaf | st.lists(inner, min_size=low, max_size=3).map(lambda items: ("seq", items)) | st.lists(
        st.tuples(_SAFE_KEYS if inside else _KEYS, inner), min_size=low, max_size=3, unique_by=lambda pair: pair[0]
        if inside else id(pair)).map(lambda pairs: ("map", pairs))


@st.composite
def _document(draw: Any) -> str:
    """Block YAML in the subset (half the time) and around it: indentations of 1 to 4, lists at
    their key's column or deeper, one or two spaces after a dash or a colon, blank lines, trailing
    spaces; around it, every tricky scalar and key, and now and then a comment, an empty value, a
    duplicate key, a line YAML reads otherwise."""
    inside = draw(st.booleans())
    lines: list[str] = []

    def spaces() -> str:
        return " " * draw(st.sampled_from([1, 1, 1, 2]))

    def mapping(pairs: list[tuple[str, Any]], indent: int, first_prefix: str | None = None) -> None:
        for number, (key, value) in enumerate(pairs):
            lead = first_prefix if (number == 0 and first_prefix is not None) else " " * indent
            value_at(f"{lead}{key}:", value, indent)

    def value_at(head: str, value: Any, indent: int) -> None:
        if isinstance(value, str) and draw(st.integers(0, 4)) == 0:
            block(head, indent)
        elif isinstance(value, str):
            trail = draw(st.sampled_from(["", "", " "] if inside else ["", "", "", " ", " # note"]))
            lines.append(f"{head}{spaces()}{value}{trail}")
        elif value[0] == "seq":
            lines.append(head)
            sequence(value[1], indent + draw(st.sampled_from([0, 0, 1, 2, 4])))
        else:
            lines.append(head)
            mapping(value[1], indent + draw(st.sampled_from([1, 2, 2, 4])))

    def block(head: str, indent: int) -> None:
        """A block scalar: literal (`|`) inside the subset; around it, indicators, lines of spaces."""
        indicator = "|" if inside else draw(st.sampled_from(["|", "|", "|-", "|+", "|2", ">", "| # c"]))
        lines.append(f"{head} {indicator}")
        deeper = indent + draw(st.sampled_from([1, 2, 2, 4] if inside else [0, 1, 2]))
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["text", "text", "deeper", "empty"] + ([] if inside else ["spaces", "shallow"])))
            words = draw(_SAFE_TEXT if inside else _TEXT).replace("\n", "")
            lines.append({"text": " " * deeper + "z" + words, "deeper": " " * (deeper + 2) + "z" + words,
                          "empty": "", "spaces": " " * draw(st.integers(1, deeper + 3)),
                          "shallow": " " * max(0, deeper - 1) + "z" + words}[kind])

    def sequence(items: list[Any], indent: int) -> None:
        for item in items:
            gap = spaces()
            if inside and not isinstance(item, str) and item[0] == "seq":
                item = "z"  # a list right in a list (`-` alone on its line) is outside the subset
            if isinstance(item, str):
                lines.append(f"{' ' * indent}-{gap}{item}")
            elif item[0] == "map" and item[1]:
                mapping(item[1], indent + 1 + len(gap), f"{' ' * indent}-{gap}")
            else:
                value_at(f"{' ' * indent}-", item, indent)

    pairs = draw(st.lists(st.tuples(_SAFE_KEYS if inside else _KEYS, _node(2, inside)), min_size=1, max_size=5,
                          unique_by=(lambda pair: pair[0]) if inside else (lambda pair: id(pair))))
    mapping(pairs, draw(st.sampled_from([0, 0, 0, 2])))
    for _ in range(0 if inside else draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from(["", "   ", "# comment", "  # indented", "key:", "---", "\t", "x: 1",
                                               "title: again", "- stray", "  deeper: 1"])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\n  \n"]))


@settings(max_examples=1000, deadline=None)
@given(_document(), st.sampled_from([0, 1]))
def test_the_fast_reader_gives_what_pyyaml_gives(text: str, line_offset: int) -> None:
    same_both_ways(text, line_offset)


# A line's head (indentation, dash, key) and its value, split as a person reading it would.
_HEAD = re.compile(r"( *(?:- +)?(?:[^ :]+: +)?)(.*)")


@settings(max_examples=1000, deadline=None)
@given(_document(), st.data())
def test_a_text_of_a_shape_read_before_gets_its_own_values(text: str, data: st.DataObject) -> None:
    """Once the reader has read a text, another of the same lines' shapes is read from its values alone
    (`blockyaml._Plan`): any value on any line, typed or quoted, a flow list, a block, a comment, an
    indicator, nothing, reads as PyYAML reads it; so does a blank line where it had text, or text where
    it had a blank line."""
    same_both_ways(text, 1)
    lines = text.split("\n")
    for index, line in enumerate(lines):
        head, rest = _HEAD.fullmatch(line).groups()  # type: ignore[union-attr]
        if (rest or not head.strip(" ")) and data.draw(st.booleans()):  # a value, or a blank line, made another
            lines[index] = head + data.draw(_scalar(True) | _scalar(False) | st.sampled_from(
                ["|", "[a, b]", "", " ", "# c", "x # c", "'open", '"open', "- x", "a: b", "null", "~", "1", "[]"]))
    same_both_ways("\n".join(lines), 1)


_CORPUS_LIKE = (
    'title: "Proposition 12 : Une piste"\nsummary: \'L\'\'école\'\ncategory: mobilite\nstatus: retenue\n'
    "history:\n  - date: 2026-01-01\n    status: recue\n  - date: 2026-01-08\n    status: retenue\n"
    "    note: Vu\nresponse_date: 2026-03-01\nanswers:\n  usages:\n  - Je lis\n  - 12\n  score: 4\n"
    "submitted: 2026-03-17T10:02:00+01:00\n"
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_CORPUS_LIKE)), st.sampled_from(list(_CHARS) + ["", "\n", "  ", ": ", "- "])),
                min_size=1, max_size=3))
def test_one_character_away_from_a_front_matter_reads_as_pyyaml_reads_it(edits: list[tuple[int, str]]) -> None:
    """Near misses of a real front matter: a character inserted, or one taken out, anywhere."""
    text = _CORPUS_LIKE
    for at, char in edits:
        at = min(at, len(text))
        text = text[:at] + char + text[at + (0 if char else 1):]
    same_both_ways(text, 1)


def test_the_subset_is_read_fast_with_its_types_and_positions() -> None:
    """What content files hold is read by the fast reader, with PyYAML's types and positions."""
    assert same_both_ways(_CORPUS_LIKE, 1)
    data, positions, keys = blockyaml.read("a: yes\nb:\n- 0x1f\n- '1:30'\nc:\n    d: 1:30\ntags: [velo, 12, Vie du quartier]\n") or ({}, {}, {})
    assert data == {"a": True, "b": [31, "1:30"], "c": {"d": 90}, "tags": ["velo", 12, "Vie du quartier"]}
    assert positions[("b", 1)] == (4, 3) and positions[("c",)] == (6, 5) and keys[("c", "d")] == (6, 5)
    assert positions[("tags", 2)] == (7, 18)
    text = "response: |\n  La ville **retient** :\n\n    - un\n  # pas un commentaire\nnext: 1\n"
    assert same_both_ways(text)
    assert blockyaml.read(text) == ({"response": "La ville **retient** :\n\n  - un\n# pas un commentaire\n", "next": 1},
                                    {(): (1, 1), ("<key>",): (6, 1), ("response",): (1, 11), ("next",): (6, 7)},
                                    {("response",): (1, 1), ("next",): (6, 1)})


def test_what_the_reader_is_not_sure_of_is_left_to_pyyaml() -> None:
    """Each of these leaves the subset (and some are errors PyYAML must word): read() says None."""
    for text in ["a: 1\na: 2\n", "a: [x, 'y']\n", "a: [x,]\n", "a: {x: 1}\n", "a: [x,\n  y]\n", "a: |-\n  x\n",
                 "a: >\n  x\n", "a: |\n  x\n  \n", "a: |\n\n", "a: |\nb: 1\n", "a: |2\n   x\n", "- |\n  x\n", "a: x # c\n", "# c\na: 1\n", "a:\n", "a: &x 1\n",
                 "a: !!str 1\n", 'a: "x\\ty"\n', "a: x\n  y\n", "a:\tx\n", "a: 1\r\n", "- a\n", "x\n", "",
                 "a: 2026-02-30\n", "a: =\n", "yes: 1\n", "a:\n  - b\n c: 1\n", "---\na: 1\n", "a: 'x\n  y'\n"]:
        assert blockyaml.read(text) is None, text
        same_both_ways(text)


def test_the_characters_left_to_pyyaml_are_all_those_outside_the_subset() -> None:
    """`_OUTSIDE` lists the characters to leave to libyaml; the subset is everything else: newline,
    printable ASCII, and the rest of Unicode but for C1 controls, U+2028/2029, surrogates, the byte
    order mark and U+FFFE/FFFF. Every code point, through both."""
    allowed = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
    every = "".join(map(chr, range(0x110000)))
    outside = [match.start() for match in blockyaml._OUTSIDE.finditer(every)]
    assert outside == [point for point in range(0x110000) if not allowed.match(every, point)]
    assert len(outside) == 10 + 21 + 33 + 2 + 2048 + 1 + 2  # \t and CR among the first 32


def _front_matters(root: Path) -> list[tuple[Path, str, int]]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix == ".md":
            split = split_front_matter(path.read_text(encoding="utf-8"))
            if split is not None:
                found.append((path, split.yaml_text, 1))
        elif path.suffix == ".yaml":
            found.append((path, path.read_text(encoding="utf-8"), 0))
    return found


def test_every_file_of_the_demo_and_test_sites_reads_as_pyyaml_reads_it() -> None:
    files = [f for root in ("content", "tests/sites", "tests/sites_invalid") for f in _front_matters(REPO / root)]
    assert len(files) > 100
    fast = sum(same_both_ways(text, offset) for _, text, offset in files)
    assert fast > len(files) // 2  # the reader is used, not only compared


def test_every_bench_proposal_and_contribution_takes_the_fast_reader(tmp_path: Path) -> None:
    """bench/run.py's corpus (bench/corpus.py): each proposal's and contribution's front matter is read
    fast, and as PyYAML reads it; so is everything the pull writes (`dump_front_matter`'s block
    form of plain words, dates, lists and mappings)."""
    from bench.corpus import generate

    site = generate(tmp_path / "site", consultations=3, proposals=60, contributions=90)
    files = _front_matters(site / "content" / "consultations")
    kinds = [f for f in files if f[0].parent.name in ("proposals", "contributions")]
    assert len(kinds) == 150
    for path, text, offset in kinds:
        assert same_both_ways(text, offset), path
    for _, text, offset in files:
        same_both_ways(text, offset)


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "kind", "author", "title", "answers"]), st.one_of(
    st.text(max_size=30), st.lists(st.text(max_size=10), max_size=3), st.dates(), st.datetimes(),
    st.dictionaries(st.sampled_from(["q1", "q2"]), st.text(max_size=10) | st.lists(st.text(max_size=8), max_size=2)))))
def test_what_the_pull_writes_reads_back_as_pyyaml_reads_it(data: dict[str, Any]) -> None:
    from consult.document import dump_front_matter

    split = split_front_matter(dump_front_matter(data, "Texte\n"))
    assert split is not None
    same_both_ways(split.yaml_text, 1)


def test_a_front_matter_read_fast_still_reports_a_non_mapping_and_dashes() -> None:
    """parse_front_matter's checks apply to either reader's result."""
    doc, _, problems = parse_front_matter("---\n- a\n---\n", "p.md")
    assert doc.data is None and "must be a mapping" in str(problems[0])
    rng = random.Random(3)
    text = "\n".join(f"k{n}: v{rng.randint(0, 9)}" for n in range(30)) + "\n"
    assert same_both_ways(text)


def test_a_contribution_tagged_by_consult_tag_takes_the_fast_reader() -> None:
    """`consult tag` (and `consult suggest --apply`) write `tags: [a, b]`: still the fast reader's."""
    from consult.tagging import set_tags

    text = "---\nid: c1\nkind: suggestion\nsubmitted: 2026-11-15 12:00:00+00:00\nstatus: published\ntitle: Idée\n---\nTexte\n"
    split = split_front_matter(set_tags(text, ["velo", "securite-routiere"]))
    assert split is not None and "tags: [velo, securite-routiere]" in split.yaml_text
    assert same_both_ways(split.yaml_text, 1)

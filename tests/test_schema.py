"""Settings declared once as dataclass fields (`setting`), the Field tables and values derived
from them, and `check_mapping`, which reports problems and never changes what it checks."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.config import ACCESSIBILITY_FIELDS, TOP_FIELDS, read_config
from consult.content.files import CONSULTATION_FIELDS, HISTORY_FIELDS, PROPOSAL_FIELDS, parse_consultation, parse_proposal
from consult.document import parse_yaml
from consult.schema import Field, check_mapping, converted, read_settings, schema_fields, setting

SITE = "title: t\nbase_url: https://consult.example.org\norganisation:\n  name: o\n"


@dataclass(frozen=True, kw_only=True)
class Shop:
    name: str = setting(doc="the shop's name")
    opens: str = setting("09:00", doc="opening time")
    city: str = setting("Paris", "address.city", doc="where it is")
    street: str = setting("", "address.street", doc="its street", required=True)
    days: tuple[str, ...] = setting(("mon",), doc="days it opens")
    since: object = setting(None, doc="founded", type="date")
    derived: int = 0  # no setting: neither in the schema nor read


def test_the_schema_follows_the_declarations_in_order() -> None:
    assert list(schema_fields(Shop).items()) == [
        ("name", Field("str", required=True)), ("opens", Field("str")), ("address", Field("dict")),
        ("days", Field("list")), ("since", Field("date")),
    ]
    assert schema_fields(Shop, "address") == {"city": Field("str"), "street": Field("str", required=True)}


def test_settings_are_read_with_their_defaults() -> None:
    assert Shop(**read_settings(Shop, {"name": "Chez A"})) == Shop(name="Chez A")
    values = read_settings(Shop, {"name": "B", "opens": None, "address": {"city": "Lyon"}, "days": ["tue", "wed"]})
    assert Shop(**values) == Shop(name="B", city="Lyon", days=("tue", "wed"))
    assert read_settings(Shop, {"name": "C", "days": []}) == {"name": "C"}  # empty: the default
    assert read_settings(Shop, {"name": "D", "opens": "8:00"}, skip=("opens",)) == {"name": "D"}
    with pytest.raises(KeyError):
        read_settings(Shop, {"opens": "8:00"})  # the required name
    with pytest.raises(AttributeError):
        read_settings(Shop, {"name": "E", "address": "Lyon"})  # a section that is not a mapping


def test_a_setting_without_a_schema_type_is_refused() -> None:
    @dataclass(frozen=True)
    class Odd:
        when: object = setting(None, doc="no type said")

    with pytest.raises(TypeError, match="setting when"):
        schema_fields(Odd)


# The mappings check_mapping is given: site.yaml's (top, accessibility) and front matter's.
CASES = [
    (SITE + "accessibility:\n  audit_date: 2026-09-15T10:30\n", ("accessibility",), ACCESSIBILITY_FIELDS),
    (SITE + "langage: fr\ntitle: 3\n", (), TOP_FIELDS),
    ("title: t\nopens: 2026-10-01T09:30\ncloses: 2026-12-31T18:00\n", (), CONSULTATION_FIELDS),
    ("title: t\nstatus: recue\nhistory:\n  - {date: 2026-10-01T09:30, status: recue}\n", (), PROPOSAL_FIELDS),
    ("date: 2026-10-01T09:30\nstatus: recue\n", (), HISTORY_FIELDS),
    ("title: t\nopens: not a date\ncloses: 2026-12-31T18\n", (), CONSULTATION_FIELDS),
]


@pytest.mark.parametrize(("text", "at", "fields"), CASES)
def test_check_mapping_never_changes_its_input(text: str, at: tuple[str, ...], fields: dict[str, Field]) -> None:
    doc, _ = parse_yaml(text, "x.yaml")
    data = doc.data
    for key in at:
        data = data[key]
    before = copy.deepcopy(doc.data)
    check_mapping(doc, at, data, fields, "x")
    assert doc.data == before


def test_converted_parses_date_text_into_a_copy() -> None:
    data = {"title": "t", "opens": "2026-10-01T09:30", "closes": date(2026, 12, 31), "summary": "2026-10-01T09:30"}
    found = converted(data, CONSULTATION_FIELDS)
    assert found["opens"] == datetime(2026, 10, 1, 9, 30) and found["summary"] == "2026-10-01T09:30"
    assert data["opens"] == "2026-10-01T09:30"
    untouched = {"title": "t", "opens": date(2026, 10, 1)}
    assert converted(untouched, CONSULTATION_FIELDS) is untouched  # nothing to parse: no copy


def test_readers_still_see_dates_given_as_text() -> None:
    """YAML reads '2026-10-01T09:30' (no seconds) as text: site.yaml and front matter still read it as a date-time."""
    config, problems = read_config(SITE + "accessibility:\n  audit_date: 2026-09-15T10:30\n")
    assert problems == [] and config is not None
    assert config.accessibility_audit_date == datetime(2026, 9, 15, 10, 30)
    record, problems = parse_consultation("---\ntitle: t\nopens: 2026-10-01T09:30\ncloses: 2026-12-31T18:00\n---\nx\n",
                                          "index.md", "c", config)
    assert problems == [] and record is not None
    assert (record.opens.hour, record.opens.minute, record.closes.hour) == (9, 30, 18)
    text = ("---\ntitle: t\nstatus: retenue\nhistory:\n  - {date: 2026-10-02T09:30, status: retenue}\n"
            "  - {date: 2026-10-01T09:30, status: recue}\n---\nx\n")
    proposal, problems = parse_proposal(text, "p.md", "p", config)
    assert proposal is None  # the history check reads the parsed dates: they go back in time
    assert [p.message for p in problems] == ["history dates are out of order: 2026-10-01 09:30:00 comes after "
                                             "2026-10-02 09:30:00"]


_VALUES = [None, "", "a-slug", "Not a slug", 0, 3, True, False, 1.5, [], ["x"], {}, {"a": 1}, date(2026, 1, 2),
           datetime(2026, 1, 2, 3, 4), "2026-01-02T03:04", "2026-13-40T00:00"]


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "zz"]), st.sampled_from(_VALUES), max_size=8))
def test_check_mapping_reports_what_the_type_rules_say(data: dict[str, object]) -> None:
    """Its one-isinstance checks agree with `_type_ok`'s rules, problem for problem and in order."""
    from consult.schema import INVALID, TYPE_NAMES, _date_value, _type_ok

    fields = {"a": Field("str", required=True), "b": Field("slug"), "c": Field("int"), "d": Field("bool"),
              "e": Field("date"), "f": Field("list"), "g": Field("dict", required=True)}
    doc, _ = parse_yaml("x: 1\n", "x.yaml")
    expected = [f"unknown field '{key}' in m" for key in data if key not in fields]
    for name, spec in fields.items():
        value = data.get(name)
        if value is None:
            expected += [f"missing required field '{name}' in m"] if spec.required else []
        elif value is not INVALID:
            value = _date_value(value) if spec.type == "date" else value
            expected += [] if _type_ok(value, spec.type) else [f"field '{name}' must be {TYPE_NAMES[spec.type]}, not {value!r}"]
    assert [p.message for p in check_mapping(doc, (), data, fields, "m")] == expected

"""consult.errors: the order problems are printed in."""

from __future__ import annotations

from hypothesis import given, strategies as st

from consult.errors import SourceError, in_order

problems = st.lists(st.builds(SourceError, st.sampled_from(["", "a.md", "b.md", "site.yaml"]), st.integers(0, 3),
                              st.integers(0, 3), st.sampled_from(["", "m", "n"]), st.sampled_from(["", "h"]), st.booleans()))


@given(problems)
def test_the_sort_key_gives_the_order_of_the_problems_themselves(found: list[SourceError]) -> None:
    """`in_order` sorts as SourceError's own comparisons do, equal problems kept in their order."""
    by_key = sorted(found, key=in_order)
    assert by_key == sorted(found)
    assert [id(p) for p in by_key] == [id(p) for p in sorted(found)]

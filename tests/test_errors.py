"""consult.errors: the order problems are printed in."""

from __future__ import annotations

from pathlib import Path

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


def test_a_full_disk_is_one_sentence_in_each_language(tmp_path: Path) -> None:
    import errno

    from consult.errors import disk_full, say

    refused = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "_site" / "index.html"))
    error = disk_full(refused, tmp_path, say("_site/ is as the last build left it",
                                             "_site/ est resté tel que la dernière construction l'a laissé"))
    assert error.render("en") == ("could not write _site/index.html (no space left on device): nothing was lost, "
                                  "_site/ is as the last build left it")
    assert error.render("fr") == ("impossible d'écrire _site/index.html (plus de place sur le disque) : rien n'a été "
                                  "perdu, _site/ est resté tel que la dernière construction l'a laissé")
    nameless = disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"), tmp_path, "kept")
    assert nameless.render("fr") == "impossible d'écrire un fichier (quota de disque dépassé) : rien n'a été perdu, kept"

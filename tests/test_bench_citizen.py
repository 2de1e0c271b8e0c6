"""bench/citizen.py's corpus is a valid site of citizen proposals, with comments in every state."""

from __future__ import annotations

from pathlib import Path

from bench.citizen import generate
from consult.build import check_site


def test_the_citizen_corpus_builds_with_lists_for_its_proposals(tmp_path: Path) -> None:
    site = generate(tmp_path / "citizen", consultations=2, proposals=30, comments=200)
    checked = check_site(site, "2026-02-15T12:00")
    proposals = [p for c in checked.site.consultations for p in c.proposals]
    assert len(proposals) == 30 and {p.origin for p in proposals} == {"citizen"}
    assert sum(len(p.comments) for p in proposals) < 200  # the pending and rejected ones are not shown
    assert sum(p.unpublished_comments for p in proposals) > 0
    assert len({p.status.id for p in proposals}) > 1 and len({p.supports for p in proposals}) > 1
    lists = [path for path in checked.files if "/propositions/" in path]
    assert "consultations/consultation-001/propositions/statut/retenue/index.html" in lists
    assert "consultations/consultation-001/propositions/tri/reponses/index.html" in lists

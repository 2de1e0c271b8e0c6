"""consult.changes.classify: each kind of change and the scope it asks the next build for."""

from __future__ import annotations

import pytest

from consult.changes import EVERYTHING, NOTHING, Scope, classify

C = "content/consultations"
SOURCES = frozenset({
    "content/pages/a-propos.md",
    f"{C}/velo/index.md", f"{C}/velo/supports.yaml", f"{C}/velo/proposals/pistes.md", f"{C}/velo/proposals/parcs.md",
    f"{C}/velo/contributions/20260101-aaaa0001.md", f"{C}/velo/reports/20260102-bbbb0002.md",
    f"{C}/parc/index.md", f"{C}/parc/proposals/bancs.md",
})
# The disk now: every known file is there, and these folders hold what the last build read.
LISTINGS = {f"{C}/velo/": ["index.md", "supports.yaml", "proposals", "contributions", "reports", ".DS_Store"],
            f"{C}/velo/proposals/": ["pistes.md", "parcs.md", "notes.txt", ".pistes.md.swp"],
            f"{C}/velo/contributions/": ["20260101-aaaa0001.md"],
            f"{C}/velo/reports/": ["20260102-bbbb0002.md"]}


def velo(*slugs: str) -> Scope:
    return Scope(False, frozenset(slugs))


@pytest.mark.parametrize(("changed", "present", "listings", "scope"), [
    # edits in place of a consultation's files: that consultation only
    ({f"{C}/velo/proposals/pistes.md"}, None, None, velo("velo")),
    ({f"{C}/velo/index.md"}, None, None, velo("velo")),
    ({f"{C}/velo/supports.yaml"}, None, None, velo("velo")),
    ({f"{C}/velo/contributions/20260101-aaaa0001.md"}, None, None, velo("velo")),
    ({f"{C}/velo/proposals/pistes.md", f"{C}/parc/proposals/bancs.md"}, None, None, velo("velo", "parc")),
    # a save by rename reports the folder too: the same entries, still that consultation only
    ({f"{C}/velo/proposals/pistes.md", f"{C}/velo/proposals/"}, None, None, velo("velo")),
    ({f"{C}/velo/"}, None, None, NOTHING),
    # a participant's report, where the build reads them (the moderation report counts them)
    ({f"{C}/velo/reports/20260102-bbbb0002.md", f"{C}/velo/reports/"}, None, None, velo("velo")),
    ({f"{C}/velo/reports/20260103-cccc0003.md"}, {f"{C}/velo/reports/20260103-cccc0003.md"}, None, EVERYTHING),
    (set(), None, None, NOTHING),
    # a file added, removed, or no longer a plain file (a symlink now); a folder whose entries changed
    ({f"{C}/velo/proposals/nouvelle.md"}, {f"{C}/velo/proposals/nouvelle.md"}, None, EVERYTHING),
    ({f"{C}/velo/proposals/parcs.md"}, set(), None, EVERYTHING),
    ({f"{C}/velo/proposals/"}, None, {f"{C}/velo/proposals/": ["pistes.md"]}, EVERYTHING),
    ({f"{C}/velo/"}, None, {f"{C}/velo/": ["index.md", "proposals", "contributions", "synthesis.md"]}, EVERYTHING),
    ({f"{C}/velo/contributions/"}, None, {}, EVERYTHING),  # the folder is gone
    ({f"{C}/velo/synthesis.md"}, {f"{C}/velo/synthesis.md"}, None, EVERYTHING),
    # a new consultation, the consultations folder, a folder nested deeper
    ({f"{C}/quai/index.md", f"{C}/quai/"}, {f"{C}/quai/index.md"}, {f"{C}/quai/": ["index.md"]}, EVERYTHING),
    ({f"{C}/"}, None, {f"{C}/": ["velo", "parc"]}, EVERYTHING),
    ({f"{C}/velo/proposals/images/"}, None, {f"{C}/velo/proposals/images/": []}, EVERYTHING),
    # the rest of the site: settings, templates, themes, static files, content pages, anything unknown
    ({"site.yaml"}, {"site.yaml"}, None, EVERYTHING),
    ({"templates/proposal.html"}, {"templates/proposal.html"}, None, EVERYTHING),
    ({"themes/sobre/templates/base.html"}, {"themes/sobre/templates/base.html"}, None, EVERYTHING),
    ({"static/logo.svg"}, {"static/logo.svg"}, None, EVERYTHING),
    ({"content/pages/a-propos.md"}, None, None, EVERYTHING),
    ({"content/pages/nouvelle.md", "content/pages/"}, {"content/pages/nouvelle.md"}, None, EVERYTHING),
    ({"content/notes.txt"}, {"content/notes.txt"}, None, EVERYTHING),
    ({f"{C}/velo/proposals/pistes.md", "templates/base.html"}, None, None, EVERYTHING),
])
def test_classify(changed: set[str], present: set[str] | None, listings: dict[str, list[str]] | None,
                  scope: Scope) -> None:
    """`present` and `listings` default to: every known changed file is there, folders as LISTINGS."""
    if present is None:
        present = {p for p in changed if p in SOURCES}
    assert classify(changed, SOURCES, present, LISTINGS if listings is None else listings) == scope

"""Incremental builds (cache + page traces) give byte for byte what a clean build gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.build import Builder, build_site, check_site
from consult.scaffold import init_site

NOW = "2026-02-15T12:00"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    init_site(root)
    proposals = root / "content/consultations/exemple/proposals"
    template = next(proposals.glob("*.md")).read_text(encoding="utf-8")
    for n in range(3):
        (proposals / f"autre-{n}.md").write_text(template.replace("Exemple de proposition", f"Autre {n}"), encoding="utf-8")
    return root


def test_pages_equal_render_site(site: Path, tmp_path: Path) -> None:
    built, _ = build_site(site, tmp_path / "out", NOW, cache=True)
    assert tree(tmp_path / "out") == check_site(site, NOW).files


def test_second_build_renders_nothing(site: Path, tmp_path: Path) -> None:
    build_site(site, tmp_path / "out", NOW, cache=True)
    built, report = build_site(site, tmp_path / "out", NOW, cache=True)
    assert report.written == [] and report.removed == []
    assert not [p for p in built.files if p.endswith(".html")]


def test_edit_one_proposal_renders_its_page_and_what_lists_it(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    path = site / "content/consultations/exemple/proposals/autre-1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Autre 1", "Autre un"), encoding="utf-8")
    built, report = build_site(site, out, NOW, cache=True)
    rendered = {p for p in built.files if p.endswith((".html", ".xml"))}
    assert "consultations/exemple/proposals/autre-1/index.html" in report.written
    assert "consultations/exemple/proposals/autre-0/index.html" not in rendered
    assert "consultations/exemple/index.html" in rendered
    assert tree(out) == check_site(site, NOW).files


EDITS = st.lists(st.tuples(st.sampled_from(["title", "body", "status", "delete", "add", "template", "config"]),
                           st.integers(0, 3), st.text("abcdéè ", min_size=1, max_size=8)), min_size=1, max_size=4)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_random_edits_incremental_equals_clean(site: Path, tmp_path_factory: pytest.TempPathFactory,
                                               edits: list[tuple[str, int, str]]) -> None:
    out = tmp_path_factory.mktemp("out")
    builder = Builder(site, out, NOW, cache=True)
    builder.build()
    proposals = site / "content/consultations/exemple/proposals"
    for what, n, text in edits:
        files = sorted(proposals.glob("*.md"))
        target = files[n % len(files)]
        body = target.read_text(encoding="utf-8")
        if what == "title":
            target.write_text(body.replace("title: \"", f"title: \"{text} ", 1), encoding="utf-8")
        elif what == "body":
            target.write_text(body + f"\n{text}\n", encoding="utf-8")
        elif what == "status":
            target.write_text(body.replace("status: a-l-etude\nhistory", "status: retenue\nhistory", 1), encoding="utf-8")
        elif what == "delete" and len(files) > 1:
            target.unlink()
        elif what == "add":
            (proposals / f"ajout-{n}.md").write_text(body.replace("title: \"", f"title: \"{text}", 1), encoding="utf-8")
        elif what == "template":
            (site / "templates").mkdir(exist_ok=True)
            (site / "templates/thanks.html").write_text(f"{{% extends 'base.html' %}}{{% block main %}}{text}{{% endblock %}}\n",
                                                        encoding="utf-8")
        elif what == "config":
            config = site / "site.yaml"
            config.write_text(config.read_text(encoding="utf-8").replace("contributions_per_page: 20", "contributions_per_page: 21"),
                              encoding="utf-8")
        # Half the time through the long-lived builder (serve), half through a fresh one (consult build).
        (builder if n % 2 else Builder(site, out, NOW, cache=True)).build()
        assert tree(out) == check_site(site, NOW).files

"""pages: what a page depends on (its template's references, the collections it read), per page."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest
from markupsafe import Markup

from consult.build import Builder, build_site, check_site
from consult.layout import THANKS_PAGES
from consult.pages import PageJob, plan_pages, render_page
from consult.sandbox import EVERY_TEMPLATE, READER, Traceable
from consult.theme import Chrome, make_environment
from tests.conftest import site_with_proposals, tree

NOW = "2026-02-15T12:00"
THANKS = {url.lstrip("/") + "index.html" for url in THANKS_PAGES.values()}


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """A site whose thank-you pages (and they alone) include a partial that imports another."""
    root = site_with_proposals(tmp_path / "site", 2)
    (root / "templates/partials").mkdir(parents=True)
    (root / "templates/thanks.html").write_text(
        "{% extends 'base.html' %}{% block main %}{% include 'partials/merci.html' %}{% endblock %}\n")
    (root / "templates/partials/merci.html").write_text(
        "{% import 'partials/deep.html' as deep %}<p>{{ deep.word() }}</p>\n")
    (root / "templates/partials/deep.html").write_text("{% macro word() %}Merci{% endmacro %}\n")
    (root / "templates/partials/unused.html").write_text("<p>never included</p>\n")
    age(root)
    return root


def age(root: Path) -> None:
    """Date every input a minute back, as files saved before the build (not 'racily' fresh)."""
    past = time.time_ns() - 60 * 10**9
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(past, past))


def rendered_pages(built_files: tuple[str, ...]) -> set[str]:
    return {p for p in built_files if p.endswith((".html", ".xml"))}


@pytest.mark.parametrize("partial", ["partials/merci.html", "partials/deep.html"])
def test_editing_an_included_partial_rebuilds_exactly_the_pages_using_it(site: Path, tmp_path: Path, partial: str) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    path = site / "templates" / partial
    path.write_text(path.read_text().replace("Merci", "Grand merci").replace("<p>", "<p class='x'>"))
    built, _ = build_site(site, out, NOW, cache=True)
    assert rendered_pages(built.files) == THANKS
    assert tree(out) == check_site(site, NOW).files
    assert b"Grand merci" in (out / "thanks/index.html").read_bytes() or partial == "partials/merci.html"


def test_serve_rebuilds_exactly_the_pages_using_an_edited_partial(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    builder = Builder(site, out, NOW)
    builder.build()
    (site / "templates/partials/deep.html").write_text("{% macro word() %}Mille mercis{% endmacro %}\n")
    built, _ = builder.build({"templates/partials/deep.html"})
    assert rendered_pages(built.files) == THANKS
    (site / "templates/partials/unused.html").write_text("<p>still never included</p>\n")
    built, _ = builder.build({"templates/partials/unused.html"})
    assert rendered_pages(built.files) == set()
    assert tree(out) == check_site(site, NOW).files


def test_a_computed_include_makes_the_page_depend_on_every_template(site: Path, tmp_path: Path) -> None:
    """`{% include name %}` names its template only when the page renders: such a page is
    rendered again when any template changes (the included one among them)."""
    (site / "templates/thanks.html").write_text(
        "{% extends 'base.html' %}{% block main %}{% include ('partials/' ~ 'merci.html') %}{% endblock %}\n")
    age(site)
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    env = make_environment(site, auto_reload=False)
    assert EVERY_TEMPLATE in env.dependencies("thanks.html")
    assert EVERY_TEMPLATE not in env.dependencies("proposal.html")
    for edited in ("partials/deep.html", "partials/unused.html"):
        path = site / "templates" / edited
        path.write_text(path.read_text().replace("<p>", "<p class='y'>").replace("Merci", "Merci bien"))
        built, _ = build_site(site, out, NOW, cache=True)
        assert rendered_pages(built.files) == THANKS, edited
        assert tree(out) == check_site(site, NOW).files
    (site / "templates/partials/new.html").write_text("<p>a template added</p>\n")
    built, _ = build_site(site, out, NOW, cache=True)
    assert rendered_pages(built.files) == THANKS


def jobs_of(root: Path) -> tuple[Traceable, list[PageJob]]:
    checked = check_site(root, NOW)
    env = make_environment(root, auto_reload=False)
    return env, plan_pages(checked.site, env)[0]


def test_two_pages_rendered_in_sequence_do_not_share_a_trace(tmp_path: Path) -> None:
    root = site_with_proposals(tmp_path / "site", 1)
    env, jobs = jobs_of(root)
    by_path = {job.path: job for job in jobs}
    home, thanks = by_path["index.html"], by_path["thanks/index.html"]
    _, templates, reads = render_page(env, home)
    assert reads == {("exemple", "proposals"), ("exemple", "contributions")} and "home.html" in templates
    _, templates, reads = render_page(env, thanks)
    assert reads == set() and "home.html" not in templates and "thanks.html" in templates
    assert READER.get() is None  # the trace is the render's alone: nothing listens after it
    _, templates, reads = render_page(env, home)
    assert reads == {("exemple", "proposals"), ("exemple", "contributions")} and "home.html" in templates


def test_an_untraced_render_records_nothing(tmp_path: Path) -> None:
    root = site_with_proposals(tmp_path / "site", 1)
    env, jobs = jobs_of(root)
    job = next(job for job in jobs if job.path == "index.html")
    traced, _, reads = render_page(env, job)
    assert reads
    assert render_page(env, job, False) == (traced, set(), set())


# --- page keys: by content (model.Keyed), whichever objects hold it ---------------------------


def test_page_keys_and_traces_hold_for_an_equal_site_read_again_and_not_for_a_changed_one(tmp_path: Path) -> None:
    from consult.pages import Fingerprints, Trace

    root = site_with_proposals(tmp_path / "site", 1)
    env, jobs = jobs_of(root)
    again_env, again = jobs_of(root)  # the site read and linked again: equal objects, not the same
    page = "consultations/exemple/proposals/autre-0/index.html"
    proposal_page = next(job for job in jobs if job.path == page)
    assert proposal_page.context["proposal"] is not next(job for job in again if job.path == page).context["proposal"]
    keys = Fingerprints(env, "salt")
    assert [keys.key(job) for job in jobs] == [Fingerprints(again_env, "salt").key(job) for job in again]
    exemple = check_site(root, NOW).site.consultation("exemple")
    trace = Trace((), tuple(("exemple", name, exemple.collection_key(name)) for name in exemple.collections))
    assert keys.still_valid(trace, check_site(root, NOW).site)
    proposal = root / "content/consultations/exemple/proposals/autre-0.md"
    proposal.write_text(proposal.read_text(encoding="utf-8").replace("Autre 0", "Autre zéro"), encoding="utf-8")
    assert not keys.still_valid(trace, check_site(root, NOW).site)
    _, changed = jobs_of(root)
    assert {job.path for job, before in zip(changed, jobs) if keys.key(job) != keys.key(before)} >= {page, "index.html"}


def test_a_page_key_does_not_depend_on_which_objects_share_a_value(tmp_path: Path) -> None:
    """Pickle's memo writes one object met twice differently from two equal objects: a page key must not."""
    from consult.pages import Fingerprints

    root = site_with_proposals(tmp_path / "site", 0)
    keys = Fingerprints(make_environment(root, auto_reload=False), "salt")
    name = "Autre 0"
    shared = PageJob("p/index.html", "page.html", {"title": name, "heading": name})
    apart = PageJob("p/index.html", "page.html", {"title": name, "heading": "".join(["Autre ", "0"])})
    assert shared.context == apart.context and keys.key(shared) == keys.key(apart)
    assert keys.key(PageJob("p/index.html", "page.html", {"title": name, "heading": "Autre 1"})) != keys.key(shared)


def test_a_value_many_pages_share_is_digested_once_and_keys_stay_those_of_a_fresh_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.pages import Fingerprints

    root = site_with_proposals(tmp_path / "site", 2)
    env, jobs = jobs_of(root)
    digested: list[object] = []
    real = Fingerprints._digest
    monkeypatch.setattr(Fingerprints, "_digest", staticmethod(lambda value: digested.append(value) or real(value)))
    keys = Fingerprints(env, "salt")
    first = [keys.key(job) for job in jobs]
    chrome = jobs[0].context["chrome"]
    assert len(jobs) > 3 and all(job.context["chrome"] is chrome for job in jobs if "chrome" in job.context)
    assert sum(value is chrome for value in digested) == 1
    assert [keys.key(job) for job in jobs] == first == [Fingerprints(env, "salt").key(job) for job in jobs]
    # each value spelled with its kind: a str, a number, None and a Markup of the same text differ
    values = ["1", 1, 1.0, True, None, "None", Markup("1")]
    assert len({keys.key(PageJob("p/index.html", "page.html", {"title": value})) for value in values}) == len(values)
    # a copy of the shared value with a change inside it changes the key of a page showing it
    job = jobs[0]
    changed = PageJob(job.path, job.template, {**job.context, "chrome": Chrome({**chrome, "lang": "xx"})})
    assert keys.key(changed) != first[0]


def test_the_forms_of_a_kind_on_a_consultations_proposal_pages_share_one_untargeted_form(tmp_path: Path) -> None:
    """A proposal page's comment form renders its fields through memo(comment_fields, form.untargeted):
    the forms of a kind of one consultation share that one object (so memo finds it by identity, not
    by comparing two forms of some twenty fields), and it is the value the form's own would be."""
    from dataclasses import replace

    env, jobs = jobs_of(site_with_proposals(tmp_path / "site", 3))
    forms = [(name, job.context[name]) for job in jobs if job.template == "proposal.html"
             for name in ("comment_form", "support_form") if job.context.get(name) is not None]
    assert {name for name, _ in forms} == {"comment_form", "support_form"} and len(forms) >= 8
    for name in ("comment_form", "support_form"):
        shared = {id(form.untargeted) for kind, form in forms if kind == name}
        assert len(shared) == 1
    for _, form in forms:
        alone = replace(form, shared_untargeted=None)
        assert form == alone and form.untargeted == alone.untargeted
        # derived, so left out of its pickle: a page key digests the form's own fields alone
        assert pickle.dumps(form) == pickle.dumps(alone) and pickle.loads(pickle.dumps(form)) == form


def test_a_consultations_list_pages_and_their_data_render_together_and_copy_each_proposal_form(tmp_path: Path) -> None:
    """A consultation's list pages and proposals.json show the same cards, which memo() renders once in
    each process: planning gives them one `together` key, so that one process renders them all
    (parallel._ranges). Its proposal pages' forms each have a shape (FormView.shared_shape): the
    same object for a kind, with the placeholder for the proposal, left out of the form's pickle."""
    from consult.formview import PROPOSAL_PLACEHOLDER

    env, jobs = jobs_of(site_with_proposals(tmp_path / "site", 3))
    grouped = {job.template: job.together for job in jobs if job.together is not None}
    assert set(grouped) == {"proposals.html", "proposals.json"} and set(grouped.values()) == {"exemple"}
    assert all(job.together is None for job in jobs if job.template not in grouped)
    forms = [job.context[name] for job in jobs if job.template == "proposal.html" for name in ("support_form", "comment_form")]
    shapes = {form.kind: form.shared_shape for form in forms}
    assert all(form.shared_shape is shapes[form.kind] for form in forms)
    assert all(shape.proposal_slug == PROPOSAL_PLACEHOLDER and not shape.proposal_title for shape in shapes.values())
    assert all(PROPOSAL_PLACEHOLDER.encode() not in pickle.dumps(form) for form in forms)


def test_render_pages_hands_the_together_keys_to_the_work_splitter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys reach run_shared, in the jobs' order (it keeps a run of one key in one range)."""
    import consult.pages
    from consult.parallel import run_shared

    env, jobs = jobs_of(site_with_proposals(tmp_path / "site", 3))
    seen: list[object] = []

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("together"))
        return run_shared(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(consult.pages, "run_shared", spy)
    pages = list(consult.pages.render_pages(env, jobs, 2))
    assert len(pages) == len(jobs) and seen == [[job.together for job in jobs]]
    assert any(seen[0])  # type: ignore[arg-type]


def test_a_proposal_pages_context_is_made_only_where_the_page_renders(tmp_path: Path) -> None:
    """Planning defers each proposal page's context (its forms, comments, status labels: most of
    planning's time) and the sitemap's addresses: the job carries what makes its context, made once
    when first asked for (in the render worker that renders the page), the same context and page as
    planned at once. A feed's is made while planning: the build reads its entries itself."""
    root = site_with_proposals(tmp_path / "site", 3)
    site = check_site(root, NOW).site
    env = make_environment(root, auto_reload=False)
    jobs, _ = plan_pages(site, env)
    later = {"proposal.html", "sitemap.xml"}
    deferred = [job for job in jobs if job.template in later]
    assert len([job for job in deferred if job.template == "proposal.html"]) == len(site.consultations[0].proposals) >= 3
    assert {job.template for job in deferred} == later
    assert all(job.given is None and job.make is not None for job in deferred)
    assert all("context" not in vars(job) for job in deferred)  # nothing made while planning
    others = [job for job in jobs if job.template not in later]
    assert others and all(job.given is not None for job in others)
    assert [job.given["entries"] for job in others if job.template == "feed.xml"]
    first = deferred[[job.template for job in deferred].index("proposal.html")]
    context = first.context
    assert first.context is context and list(context)[:3] == ["chrome", "url", "canonical"]
    assert context["url"] == "/" + first.path.removesuffix("index.html") and context["proposal"].url == context["url"]
    assert {"support_form", "comment_form", "status_labels", "comments", "pagination"} <= context.keys()
    files = check_site(root, NOW).files
    assert all(render_page(env, job)[0] == files[job.path] for job in deferred + others)

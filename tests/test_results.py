"""The results page: figures checked by hand on the tiny site, equal to a recount for random sites,
equal to the open data's CSV, charts that are valid SVG with an accessible name, and who sees what."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.build import build_site, check_site
from consult.charts import Bar, render_bar_chart, wrap
from consult.model import Answer, Theme
from consult.opendata import render_open_data, results_paths
from consult.render import render_site
from consult.results import count_results, format_number, format_share
from consult.theme import make_environment
from tests.conftest import copy_demo
from tests.helpers_site import NOW, PARIS, QUESTIONS, consultation, contribution, make_site, proposal
from tests.test_render import Dom

SITES = Path(__file__).parent / "sites"
TINY_NOW = "2026-12-01T12:00"
NB = " "  # the narrow no-break space before % in French, as Dom's text normalisation reads it


def share(count: int, total: int, language: str = "fr") -> str:
    """format_share, with its spaces as Dom reads them."""
    return " ".join(format_share(count, total, language).split())


def tables(page: str) -> dict[str, list[list[str]]]:
    """Every results table of a page: its id -> its body rows, each [label, count, share?]."""
    dom = Dom(page)
    out: dict[str, list[list[str]]] = {}
    for table in dom.all("table"):
        rows = [e for e in dom.elements if e.tag == "tr" and table in e.ancestors and
                not any(a.tag == "thead" for a in e.ancestors)]
        out[table.attrs["id"]] = [[c.content for c in dom.elements if c.tag in ("th", "td") and row in c.ancestors]
                                  for row in rows]
    return out


def question_facts(page: str) -> dict[str, dict[str, str]]:
    """Per question id: the respondents sentence's number, and the mean and median shown."""
    dom = Dom(page)
    facts: dict[str, dict[str, str]] = {}
    for section in [e for e in dom.all("section") if e.attrs.get("class") == "results-question"]:
        qid = section.attrs["aria-labelledby"].removeprefix("question-")
        paragraphs = [e.content for e in dom.elements if e.tag == "p" and section in e.ancestors]
        strong = [e.content for e in dom.elements if e.tag == "strong" and section in e.ancestors]
        number = next(re.match(r"(\d+) (personnes? ont|personne a|people|person)", p) for p in paragraphs
                      if re.match(r"\d+ (personnes? ont|personne a|people|person)", p))
        facts[qid] = {"respondents": number.group(1), "mean": strong[0] if strong else "",
                      "median": strong[1] if strong else ""}
    return facts


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "_site"
    build_site(SITES / "tiny", out, TINY_NOW)
    return out


def test_tiny_results_figures_checked_by_hand(tiny: Path) -> None:
    """velo (results: live): 3 ideas, 2 answers, 5 comments published; a pending answer is not counted."""
    page = (tiny / "consultations/velo/resultats/index.html").read_text()
    found = tables(page)
    assert found["chart-kinds-table"] == [["Idées", "3", f"30,0{NB}%"], ["Réponses au questionnaire", "2", f"20,0{NB}%"],
                                          ["Commentaires", "5", f"50,0{NB}%"]]
    # Camille and ' camille ' are one name; Dominique, Lou, Voisin 1-4: 7 names; 2 contributions without one.
    assert "7 participants distincts" in page and "2 contributions sans nom" in page
    assert "20 soutiens" in page  # 12 + 3 + 5 in supports.yaml
    # Weeks start on Monday: 3-8 Nov (4), 11-14 Nov (4), 16-17 Nov (2).
    assert found["chart-weeks-table"] == [["Semaine du 2 novembre 2026", "4"], ["Semaine du 9 novembre 2026", "4"],
                                          ["Semaine du 16 novembre 2026", "2"]]
    # frequence: aaaa0001 Tous les jours, cccc0001 Parfois, cccc0002 Tous les jours.
    assert found["chart-q1-table"] == [["Tous les jours", "2", f"66,7{NB}%"], ["Parfois", "1", f"33,3{NB}%"],
                                       ["Jamais", "0", f"0,0{NB}%"]]
    # freins (multiple): sécurité x3, stationnement x1, météo x1 of 3 respondents: 166.6 % in all.
    assert found["chart-q2-table"] == [["La sécurité", "3", f"100,0{NB}%"], ["Le stationnement", "1", f"33,3{NB}%"],
                                       ["La météo", "1", f"33,3{NB}%"]]
    assert "les parts sont calculées sur le nombre de répondants" in page
    # note: 2, 4, 5 -> mean 11/3 = 3.7, median 4.
    assert [row[1] for row in found["chart-q3-table"]] == ["0", "1", "0", "1", "1"]
    facts = question_facts(page)
    assert facts["note"] == {"respondents": "3", "mean": "3,7", "median": "4,0"}
    assert facts["idee"]["respondents"] == "2"
    assert "Des arceaux devant la mairie." in page and "REPONSE-EN-ATTENTE" not in page
    # Themes: securite (aaaa0001, bbbb0001), carrefours (aaaa0001), stationnement (cccc0001), of 10 contributions.
    assert found["chart-themes-table"] == [["Sécurité", "2", f"20,0{NB}%"], ["Sécurité › Carrefours", "1", f"10,0{NB}%"],
                                           ["Stationnement", "1", f"10,0{NB}%"]]
    assert 'href="/consultations/velo/proposals/rue-haute/#contribution-20261111-bbbb0001"' in page


def test_results_are_linked_from_the_consultation_and_the_home_page(tiny: Path) -> None:
    assert 'href="/consultations/velo/resultats/"' in (tiny / "consultations/velo/index.html").read_text()
    assert 'href="/consultations/velo/resultats/"' in (tiny / "index.html").read_text()
    assert "/consultations/velo/resultats/" in (tiny / "sitemap.xml").read_text()


def test_text_answers_are_paginated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("consult.render.TEXT_ANSWERS_PER_PAGE", 2)
    answers = tuple(contribution("marche", n, answers=(Answer(QUESTIONS[0], f"Réponse {n}"),)) for n in range(1, 8))
    site = make_site()
    c = replace(site.consultation("marche"), contributions=answers, results="live")
    site = replace(site, consultations=tuple(c if x.slug == "marche" else x for x in site.consultations))
    out = render_site(site, make_environment(Path("/nonexistent"), "default"))
    results = out["consultations/marche/resultats/index.html"].decode()
    assert results.count('<li id="answer-') == 5 and 'href="/consultations/marche/resultats/avis/"' in results
    pages = sorted(p for p in out if p.startswith("consultations/marche/resultats/avis/"))
    assert pages == [f"consultations/marche/resultats/avis/{n}/index.html" for n in (2, 3, 4)] + [
        "consultations/marche/resultats/avis/index.html"]  # 2 a page
    assert out["consultations/marche/resultats/avis/4/index.html"].decode().count('<li id="answer-') == 1


# -- who sees what ------------------------------------------------------------------------------


def test_results_modes_and_private_questions() -> None:
    site = make_site()
    open_one, closed = site.consultation("marche"), site.consultation("parc")
    assert open_one.status == "open" and not open_one.shows_results  # after_close, the default
    assert replace(open_one, results="live").shows_results
    assert closed.shows_results and not replace(closed, results="never").shows_results
    assert not replace(site.consultation("ecoles"), results="live").shows_results  # upcoming: nothing to show
    private = tuple(replace(q, results="private") if q.id == "note" else q for q in QUESTIONS)
    answers = (Answer(QUESTIONS[3], "4"), Answer(QUESTIONS[1], "Bus"))
    c = replace(closed, questions=private, contributions=(contribution("parc", 1, answers=answers),))
    counts = count_results(c, PARIS)
    assert [q.question.id for q in counts.questions] == ["avis", "transport", "jours"]
    site = replace(site, consultations=tuple(c if x.slug == "parc" else x for x in site.consultations))
    out = render_site(site, make_environment(Path("/nonexistent"), "default"))
    page = out["consultations/parc/resultats/index.html"].decode()
    assert "Votre satisfaction" not in page and "Votre mode de transport" in page
    assert "data/results/parc/q-note.csv" not in out and "data/results/parc/q-transport.csv" in out
    assert "q-note" not in render_open_data(site)["data/datapackage.json"].decode()
    assert "consultations/marche/resultats/index.html" not in out


def write_site(root: Path, index_extra: str, files: dict[str, str] | None = None) -> Path:
    (root / "content/consultations/velo/contributions").mkdir(parents=True)
    (root / "site.yaml").write_text("title: T\nbase_url: https://t.example\norganisation:\n  name: Ville\n")
    (root / "content/consultations/velo/index.md").write_text(
        "---\ntitle: Vélo\nopens: 2026-01-01\ncloses: 2026-02-01\n" + index_extra + "---\nTexte.\n")
    for name, text in (files or {}).items():
        (root / "content/consultations/velo" / name).write_text(text)
    return root


def test_check_reports_contradictory_results_settings(tmp_path: Path) -> None:
    root = write_site(tmp_path, "results: never\nkinds: [suggestion, answers]\nquestions:\n"
                                "  - id: age\n    label: Âge\n    type: text\n    results: public\n")
    warnings = [(w.path, w.line, w.message) for w in check_site(root, TINY_NOW).warnings]
    assert ("content/consultations/velo/index.md", 11, "question 'age' has public results but the consultation "
            "says 'results: never'") in warnings


def test_check_reports_results_for_a_consultation_without_answers(tmp_path: Path) -> None:
    root = write_site(tmp_path, "kinds: [suggestion]\nquestions:\n"
                                "  - id: age\n    label: Âge\n    results: private\n")
    messages = [w.message for w in check_site(root, TINY_NOW).warnings]
    assert "question 'age' sets 'results' but the consultation does not take answers" in messages


def test_unknown_results_mode_is_an_error_with_a_hint(tmp_path: Path) -> None:
    root = write_site(tmp_path, "results: after-close\n")
    with pytest.raises(Exception) as raised:
        check_site(root, TINY_NOW)
    problem = raised.value.problems[0]  # type: ignore[attr-defined]
    assert (problem.line, problem.message, problem.hint) == (
        5, "unknown results mode 'after-close'", "did you mean 'after_close'?")


# -- codebook -----------------------------------------------------------------------------------

CODEBOOK = "themes:\n  - id: securite\n    label: Sécurité\n  - id: pistes\n    label: Pistes\n    parent: securite\n"
TAGGED = ("---\nid: 20260110-aaaa0001\nkind: suggestion\nsubmitted: 2026-01-10T10:00:00+01:00\nstatus: published\n"
          "tags: [pistes, securiter]\n---\nUne idée.\n")


def test_unknown_tag_is_an_error_at_its_place_with_did_you_mean(tmp_path: Path) -> None:
    root = write_site(tmp_path, "", {"codebook.yaml": CODEBOOK, "contributions/20260110-aaaa0001.md": TAGGED})
    with pytest.raises(Exception) as raised:
        check_site(root, TINY_NOW)
    problems = [(p.path, p.line, p.col, p.message, p.hint) for p in raised.value.problems]  # type: ignore[attr-defined]
    assert problems == [("content/consultations/velo/contributions/20260110-aaaa0001.md", 6, 16,
                         "unknown theme 'securiter'", "did you mean 'securite'?")]


def test_codebook_errors_have_positions(tmp_path: Path) -> None:
    bad = "themes:\n  - id: securite\n    label: Sécurité\n  - id: pistes\n    label: Pistes\n    parent: secu\n" \
          "  - id: securite\n    label: Deux fois\n"
    root = write_site(tmp_path, "", {"codebook.yaml": bad})
    with pytest.raises(Exception) as raised:
        check_site(root, TINY_NOW)
    problems = sorted((p.line, p.message) for p in raised.value.problems)  # type: ignore[attr-defined]
    assert problems == [(6, "unknown parent theme 'secu'"), (7, "duplicate theme id 'securite'")]


def test_a_codebook_is_counted_and_tags_without_codebook_are_errors(tmp_path: Path) -> None:
    root = write_site(tmp_path, "", {"contributions/20260110-aaaa0001.md": TAGGED.replace("securiter", "securite")})
    with pytest.raises(Exception) as raised:
        check_site(root, TINY_NOW)
    assert {p.hint for p in raised.value.problems} == {"this consultation has no codebook.yaml"}  # type: ignore[attr-defined]
    (root / "content/consultations/velo/codebook.yaml").write_text(CODEBOOK)
    site = check_site(root, TINY_NOW).site
    counts = count_results(site.consultation("velo"), PARIS)
    assert [(theme.id, n) for theme, n in counts.themes] == [("securite", 1), ("pistes", 1)]
    assert site.consultation("velo").codebook[1] == Theme("pistes", "Pistes", "", "securite")


# -- charts -------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def test_every_chart_is_well_formed_svg_with_an_accessible_name_and_no_script(tiny: Path) -> None:
    page = (tiny / "consultations/velo/resultats/index.html").read_text()
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 6  # kinds, weeks, three questions, themes
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title = root.find(f"{SVG}title")
        assert title is not None and title.text and title.get("id") == root.get("aria-labelledby")
        assert not list(root.iter(f"{SVG}script"))
        assert not any(name.startswith("on") for e in root.iter() for name in e.attrib)
    # Every count of a table is written on its chart: nothing is told by colour or bar length alone.
    found = tables(page)
    for chart in charts:
        root = ET.fromstring(chart)
        texts = {t.text for t in root.iter(f"{SVG}text")}
        rows = found[root.get("aria-labelledby", "").removesuffix("-title") + "-table"]
        assert all(row[0] in " ".join(texts) for row in rows)
        assert all(any(t and t.startswith(row[1]) for t in texts) for row in rows)


def test_chart_escapes_labels_and_wraps_them() -> None:
    chart = render_bar_chart("c", "Titre <b>&", [Bar("<script>alert(1)</script> " + "mot " * 30, 3, "3 (100 %)")])
    root = ET.fromstring(chart)
    assert not list(root.iter(f"{SVG}script")) and "<script>" not in chart
    assert all(len(line) <= 40 for line in wrap("mot " * 30))
    assert len([t for t in root.iter(f"{SVG}text")]) == len(wrap("<script>alert(1)</script> " + "mot " * 30)) + 1


# -- the page equals a recount, and equals the open data ------------------------------------------

ANSWER_VALUES = {
    "avis": st.text(alphabet="abc ", max_size=5),
    "transport": st.sampled_from(["Vélo", "Bus", "Voiture", "Avion"]),  # Avion: not a choice, not counted
    "jours": st.lists(st.sampled_from(["Mardi", "Samedi", "Lundi"]), max_size=3).map(tuple),
    "note": st.sampled_from(["1", "2", "3", "4", "5", "9", "x"]),
}
contributions_strategy = st.lists(st.tuples(
    st.sampled_from(["", "Camille", "camille", "Lou", " Lou "]),
    st.integers(0, 60),
    st.dictionaries(st.sampled_from(sorted(ANSWER_VALUES)), st.none()).flatmap(
        lambda keys: st.fixed_dictionaries({k: ANSWER_VALUES[k] for k in keys})),
    st.booleans(),
), max_size=25)


def recount(entries: list[tuple[str, int, dict[str, object], bool]]) -> dict[str, object]:
    """The figures, counted the obvious way: question after question over every contribution."""
    figures: dict[str, object] = {"total": len(entries)}
    figures["named"] = len({" ".join(a.split()).casefold() for a, _, _, _ in entries if a.strip()})
    figures["anonymous"] = sum(1 for a, _, _, _ in entries if not a.strip())
    for q in QUESTIONS:
        values = [answers[q.id] for _, _, answers, _ in entries if q.id in answers]
        if q.type == "text":
            figures[q.id] = (sum(1 for v in values if isinstance(v, str) and v.strip()), ())
        elif q.type == "single" or q.type == "scale":
            allowed = q.choices or tuple(str(v) for v in range(q.scale_min, q.scale_max + 1))
            given = [v for v in values if v in allowed]
            figures[q.id] = (len(given), tuple((c, given.count(c)) for c in allowed))
        else:
            sets = [set(v) & set(q.choices) for v in values]
            sets = [s for s in sets if s]
            figures[q.id] = (len(sets), tuple((c, sum(1 for s in sets if c in s)) for c in q.choices))
    return figures


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contributions_strategy)
def test_page_figures_equal_a_recount(entries: list[tuple[str, int, dict[str, object], bool]]) -> None:
    by_id = {q.id: q for q in QUESTIONS}
    items = []
    for n, (author, day, answers, comment) in enumerate(entries, start=1):
        x = contribution("parc", n, author=author, proposal="kiosque" if comment else None,
                         answers=tuple(Answer(by_id[k], v) for k, v in answers.items()))  # type: ignore[arg-type]
        items.append(replace(x, submitted=datetime(2026, 4, 1, 12, tzinfo=PARIS) + timedelta(days=day)))
    site = make_site()
    comments = tuple(x for x in items if x.proposal)
    c = replace(site.consultation("parc"), contributions=tuple(x for x in items if not x.proposal),
                proposals=(proposal("kiosque", "parc", comments=comments, supports=4),))
    site = replace(site, consultations=tuple(c if x.slug == "parc" else x for x in site.consultations))
    page = render_site(site, make_environment(Path("/nonexistent"), "default"), only={"parc"})[
        "consultations/parc/resultats/index.html"].decode()
    expected = recount(entries)
    found, facts = tables(page), question_facts(page)
    assert [int(row[1]) for row in found["chart-kinds-table"]] == [
        len(c.contributions), 0, len(comments)]  # helpers_site's contributions are suggestions or comments
    assert f"{expected['named']} participant" in page and f"{expected['anonymous']} contribution" in page
    weeks = sum(int(row[1]) for row in found.get("chart-weeks-table", []))
    assert weeks == expected["total"]
    for index, q in enumerate(QUESTIONS, start=1):
        respondents, counts = expected[q.id]  # type: ignore[misc]
        assert facts[q.id]["respondents"] == str(respondents)
        if q.type != "text":
            assert found[f"chart-q{index}-table"] == [[label, str(n), share(n, respondents)]
                                                     for label, n in counts]
        if q.type == "scale" and respondents:
            values = sorted(int(v) for v, n in counts for _ in range(n))
            assert facts[q.id]["mean"] == format_number(sum(values) / len(values), "fr")
            middle = len(values) // 2
            median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
            assert facts[q.id]["median"] == format_number(median, "fr")


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def figures_from_open_data(files: dict[str, bytes], slug: str, language: str) -> dict[str, list[list[str]]]:
    """Every table of a results page, rebuilt from the CSV files alone."""
    base = f"data/results/{slug}/"
    participation = {r["measure"]: int(r["count"]) for r in read_csv(files[base + "participation.csv"])}
    total = sum(n for k, n in participation.items() if k.startswith("contributions_") and k != "contributions_anonymous")
    out = {"kinds": [[str(participation[f"contributions_{k}"]), share(participation[f"contributions_{k}"], total, language)]
                     for k in ("suggestion", "answers", "comment")],
           "weeks": [[r["contributions"]] for r in read_csv(files[base + "weeks.csv"])],
           "participation": [[str(participation["participants_named"]), str(participation["contributions_anonymous"]),
                              str(participation["supports"])]]}
    for index, q in enumerate(read_csv(files[base + "questions.csv"]), start=1):
        respondents = int(q["respondents"])
        out[f"respondents-{q['question']}"] = [[str(respondents)]]
        if q["type"] != "text":
            out[f"q{index}"] = [[r["value"], r["count"], share(int(r["count"]), respondents, language)]
                                for r in read_csv(files[f"{base}q-{q['question']}.csv"])]
        if q["mean"]:
            out[f"scale-{q['question']}"] = [[format_number(float(q["mean"]), language),
                                              format_number(float(q["median"]), language)]]
    if base + "themes.csv" in files:
        out["themes"] = [[r["contributions"], share(int(r["contributions"]), total, language)]
                         for r in read_csv(files[base + "themes.csv"])]
    return out


def figures_on_page(page: str) -> dict[str, list[list[str]]]:
    found, facts = tables(page), question_facts(page)
    out = {"kinds": [row[1:] for row in found["chart-kinds-table"]],
           "weeks": [row[1:] for row in found.get("chart-weeks-table", [])],
           "participation": [[re.search(pattern, page).group(1)  # type: ignore[union-attr]
                              for pattern in (r"(\d+) participants? ", r"(\d+) contributions? sans nom",
                                              r"(\d+) soutiens? aux")]]}
    for qid, fact in facts.items():
        out[f"respondents-{qid}"] = [[fact["respondents"]]]
        if fact["mean"]:
            out[f"scale-{qid}"] = [[fact["mean"], fact["median"]]]
    for key, rows in found.items():
        if re.fullmatch(r"chart-q\d+-table", key):
            out[key.removeprefix("chart-").removesuffix("-table")] = rows
    if "chart-themes-table" in found:
        out["themes"] = [row[1:] for row in found["chart-themes-table"]]
    return out


@pytest.mark.parametrize("site_name", ["tiny", "demo"])
def test_every_figure_on_the_page_is_recomputed_from_the_csv(site_name: str, tmp_path: Path) -> None:
    root = SITES / "tiny" if site_name == "tiny" else copy_demo(tmp_path)
    checked = check_site(root, TINY_NOW)
    shown = [c for c in checked.site.consultations if c.shows_results]
    assert shown
    files = checked.files  # the results CSV come with the pages (counted once), the descriptor with the open data
    for c in shown:
        page = checked.files[f"consultations/{c.slug}/resultats/index.html"].decode()
        assert figures_on_page(page) == figures_from_open_data(files, c.slug, "fr"), c.slug
        # The open data page lists exactly the files written.
        assert sorted(p for p in files if p.startswith(f"data/results/{c.slug}/")) == sorted(
            "data/" + p for p in results_paths(c))
        assert all(f'href="/data/{p}"' in checked.files["data/index.html"].decode() for p in results_paths(c))
    assert any(checked.site.consultation(c.slug).questions for c in shown)
    descriptor = files["data/datapackage.json"].decode()
    for path in files:
        if path.startswith("data/results/"):
            assert f'"path": "{path.removeprefix("data/")}"' in descriptor


def test_weeks_and_participants_count_in_the_site_time_zone() -> None:
    late = replace(contribution("parc", 1), submitted=datetime(2026, 4, 5, 23, 30, tzinfo=PARIS))  # a Sunday
    c = replace(consultation("parc", NOW - timedelta(days=300), NOW - timedelta(days=100)), contributions=(late,))
    counts = count_results(c, PARIS)
    assert counts.weeks == ((datetime(2026, 3, 30).date(), 1),)
    assert (counts.named, counts.anonymous, Counter(dict(counts.by_kind))["suggestion"]) == (1, 0, 1)

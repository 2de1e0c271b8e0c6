"""Merged proposals (`consult merge`, `merged_into`, the supports' union at pull, `consult check`),
support goals, the home page's proposals, the feeds' new entries and the open data columns."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from consult.build import check_site
from consult.cli import cli
from consult.config import parse_config
from consult.errors import ConsultError
from consult.inbox import Inbox, Submission
from consult.merge import merge
from tests.conftest import copy_demo
from tests.test_pull import do_pull, inbox, site, sub  # noqa: F401  (fixtures)

VELO = "content/consultations/plan-velo"
PROPOSALS = VELO + "/proposals"
WHEN = "2026-12-01T12:00"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    copy_demo(root)
    return root


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def page(root: Path, path: str) -> str:
    return check_site(root, WHEN).files[path].decode("utf-8")


# --- consult merge --------------------------------------------------------------------------------

def test_merge_changes_only_the_status_the_history_and_merged_into(demo: Path) -> None:
    path = demo / PROPOSALS / "rues-scolaires.md"
    before = path.read_text(encoding="utf-8")
    result = run(demo, "merge", "arceaux-gare", "rues-scolaires", "--date", "2026-11-20", "--note", "Même idée")
    assert result.exit_code == 0, result.output
    assert "fusionnée dans « arceaux-gare »" in result.output.replace("\u00a0", " ")
    after = path.read_text(encoding="utf-8")
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert removed == ["status: a-l-etude"]
    assert added == ["status: fusionnee", "  - date: 2026-11-20", "    status: fusionnee", "    note: Même idée",
                     "merged_into: arceaux-gare"]
    checked = check_site(demo, WHEN)
    merged = checked.files["consultations/plan-velo/proposals/rues-scolaires/index.html"].decode()
    assert re.search(r'class="notice merged-into">[^<]*<a href="/consultations/plan-velo/proposals/arceaux-gare/">', merged)
    assert 'name="kind" value="support"' not in merged  # a merged proposal takes no more supports
    listing = checked.files["consultations/plan-velo/index.html"].decode()
    assert 'href="/consultations/plan-velo/proposals/arceaux-gare/"' in listing
    assert "/proposals/rues-scolaires/" not in listing and "/proposals/abri-velos-gare/" not in listing
    kept = checked.files["consultations/plan-velo/proposals/arceaux-gare/index.html"].decode()
    assert "2 propositions fusionnées dans celle-ci" in kept.replace("\u00a0", " ")
    assert 'href="/consultations/plan-velo/proposals/rues-scolaires/"' in kept


@pytest.mark.parametrize("args, message", [
    (["arceaux-gare", "arceaux-gare"], "ne peut pas être fusionnée avec elle-même"),
    (["abri-velos-gare", "rues-scolaires"], "« abri-velos-gare » est elle-même fusionnée dans « arceaux-gare »"),
    (["rues-scolaires", "abri-velos-gare"], "« abri-velos-gare » est déjà fusionnée dans « arceaux-gare »"),
    (["rues-scolaires", "arceaux-gare"], "des propositions sont fusionnées dans « arceaux-gare » (abri-velos-gare)"),
    (["rues-scolaires", "passerelle-loire", "nulle-part"], "pas de proposition « nulle-part »"),
    (["nulle-part", "rues-scolaires"], "aucune proposition « nulle-part » dans content/"),
])
def test_merge_refuses_loops_chains_and_unknown_slugs_writing_nothing(demo: Path, args: list[str], message: str) -> None:
    before = {p: p.read_bytes() for p in (demo / PROPOSALS).glob("*.md")}
    result = run(demo, "merge", *args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in (demo / PROPOSALS).glob("*.md")} == before


def test_a_merged_proposal_takes_no_more_supports_whatever_its_status(demo: Path) -> None:
    path = demo / PROPOSALS / "abri-velos-gare.md"  # merged by hand, its status left as it was
    text = path.read_text(encoding="utf-8").replace("status: fusionnee\n", "status: a-l-etude\n")
    path.write_text(text.replace("- date: 2026-11-06\n  status: fusionnee", "- date: 2026-11-06\n  status: a-l-etude"),
                    encoding="utf-8")
    files = check_site(demo, WHEN).files
    rules = json.loads(files["consult-rules.json"])
    finals = {p["slug"]: p["final"] for c in rules["consultations"] for p in c["proposals"]}
    assert finals["abri-velos-gare"] is True and finals["arceaux-gare"] is False
    merged = files["consultations/plan-velo/proposals/abri-velos-gare/index.html"].decode()
    assert "À l" in merged and 'name="kind" value="support"' not in merged


def test_merged_status_comes_from_site_yaml(demo: Path) -> None:
    base = "title: T\nbase_url: https://x.example\norganisation: {name: O}\n"
    assert parse_config(base).merged_status == "fusionnee"  # the default statuses have one
    listed = base + "proposal_statuses:\n  - {id: ouverte, label: Ouverte}\n  - {id: doublon, label: Doublon, merged: true}\n"
    config = parse_config(listed)
    assert config.merged_status == "doublon" and config.final_statuses == ("doublon",)  # merged: no more supports
    assert parse_config(base + "proposal_statuses:\n  - {id: ouverte, label: Ouverte}\n").merged_status == ""
    with pytest.raises(ConsultError, match="only one proposal status can be 'merged: true'"):
        parse_config(listed + "  - {id: autre, label: Autre, merged: true}\n")
    with pytest.raises(ConsultError, match="marks no proposal status 'merged: true'") as caught:
        merge(demo, "arceaux-gare", ["rues-scolaires"], "", date(2026, 11, 20))
    assert caught.value.render("fr") == (
        "site.yaml ne marque aucun statut de proposition « merged: true » : ajoutez-en un à proposal_statuses "
        "(par exemple « - {id: fusionnee, label: Fusionnée, merged: true} »)")


# --- consult check ---------------------------------------------------------------------------------

def set_merged(root: Path, slug: str, target: str) -> None:
    path = root / PROPOSALS / f"{slug}.md"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^merged_into: .*\n", "", text, flags=re.M)
    path.write_text(text.replace("\n---\n", f"\nmerged_into: {target}\n---\n", 1), encoding="utf-8")


def check_errors(root: Path) -> list[str]:
    with pytest.raises(ConsultError) as caught:
        check_site(root, WHEN)
    return [str(problem) for problem in caught.value.problems]


def line_of(root: Path, slug: str) -> int:
    lines = (root / PROPOSALS / f"{slug}.md").read_text(encoding="utf-8").splitlines()
    return lines.index(next(line for line in lines if line.startswith("merged_into:"))) + 1


def test_check_refuses_an_unknown_target_itself_a_chain_and_a_loop(demo: Path) -> None:
    set_merged(demo, "rues-scolaires", "arceaux-gares")
    set_merged(demo, "passerelle-loire", "passerelle-loire")
    set_merged(demo, "double-sens-cyclable", "abri-velos-gare")  # abri-velos-gare is merged into arceaux-gare
    errors = check_errors(demo)
    where = f"{PROPOSALS}/rues-scolaires.md:{line_of(demo, 'rues-scolaires')}:"
    unknown = next(e for e in errors if e.startswith(where))
    assert "'merged_into'" in unknown and "la proposition « arceaux-gares » n'existe pas" in unknown.replace("\u00a0", " ")
    assert "arceaux-gare" in unknown.split("n'existe pas", 1)[1]  # did you mean
    assert any(e.startswith(f"{PROPOSALS}/passerelle-loire.md:{line_of(demo, 'passerelle-loire')}:")
               and "fusionnée avec elle-même" in e for e in errors)
    assert any(e.startswith(f"{PROPOSALS}/double-sens-cyclable.md:") and "est elle-même fusionnée dans" in e
               for e in errors)


def test_check_refuses_a_loop_of_merges(demo: Path) -> None:
    set_merged(demo, "arceaux-gare", "rues-scolaires")
    set_merged(demo, "rues-scolaires", "abri-velos-gare")
    errors = [e.replace("\u00a0", " ") for e in check_errors(demo)]
    loops = [e for e in errors if "forment une boucle" in e]
    assert len(loops) == 3 and any("arceaux-gare → rues-scolaires → abri-velos-gare → arceaux-gare" in e for e in loops)


def test_check_refuses_a_support_goal_below_one(demo: Path) -> None:
    index = demo / VELO / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("support_goal: 250", "support_goal: 0"), encoding="utf-8")
    assert any(e.startswith(f"{VELO}/index.md:") and "'support_goal' doit être un nombre entier" in e
               for e in check_errors(demo))


# --- pull: the kept proposal counts each person once across its duplicates -------------------------

def support(n: int, proposal: str, voter: str) -> Submission:
    return Submission(**{**sub(n).__dict__, "kind": "support", "title": "", "body": "", "answers": {},
                         "proposal": proposal, "voter": voter})


def test_pull_counts_the_union_of_supporters_of_a_merged_group(site: Path, inbox: Inbox) -> None:  # noqa: F811
    # Three people: one supports both the kept proposal and its duplicate, one each only one of them.
    for n, (proposal, voter) in enumerate([("arceaux-gare", "fp-alice"), ("abri-velos-gare", "fp-alice"),
                                           ("abri-velos-gare", "fp-bob"), ("arceaux-gare", "fp-chloe"),
                                           ("rues-scolaires", "fp-alice")]):
        inbox.add(support(n, proposal, voter))
    do_pull(site, inbox)
    path = site / VELO / "supports.yaml"
    counts = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert counts["arceaux-gare"] == 137 + 3  # alice, bob, chloe: alice once
    assert counts["abri-velos-gare"] == 41 + 2 and counts["rues-scolaires"] == 96 + 1
    assert do_pull(site, inbox).supports == []  # the same inbox again: nothing moves
    # A later merge moves the union: rues-scolaires's supporter (alice) is already counted.
    assert run(site, "merge", "arceaux-gare", "rues-scolaires", "--date", "2026-11-20").exit_code == 0
    do_pull(site, inbox)
    counts = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert counts["arceaux-gare"] == 140 and counts["rues-scolaires"] == 97
    inbox.add(support(9, "rues-scolaires", "fp-dan"))  # sent before the site was rebuilt
    do_pull(site, inbox)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["arceaux-gare"] == 141
    everything = b"".join(p.read_bytes() for p in (site / "content").rglob("*") if p.is_file())
    assert b"fp-" not in everything  # fingerprints stay in the inbox


def test_distinct_supporters_counts_anonymised_supports_apart(inbox: Inbox) -> None:  # noqa: F811
    for n, (proposal, voter) in enumerate([("a", "x"), ("b", "x"), ("b", "y"), ("c", "z")]):
        inbox.add(support(n, proposal, voter))
    assert inbox.distinct_supporters("plan-velo", ["a", "b"]) == 2
    assert inbox.distinct_supporters("plan-velo", ["a", "b", "c"]) == 3
    assert inbox.distinct_supporters("autre", ["a", "b"]) == 0 and inbox.distinct_supporters("plan-velo", []) == 0


# --- support goals ------------------------------------------------------------------------------------

def test_cards_and_pages_show_the_goal_as_text_and_a_labelled_meter(demo: Path) -> None:
    files = check_site(demo, WHEN).files
    listing = files["consultations/plan-velo/index.html"].decode().replace("\u00a0", " ")
    assert "Objectif de la consultation : 250 soutiens" in listing
    card = re.search(r'<span id="goal-piste-rue-des-tanneurs">([^<]*)</span> <meter [^>]*></meter>', listing)
    assert card and card.group(1) == "214 soutiens sur 250"
    assert 'min="0" max="250" value="214" aria-labelledby="goal-piste-rue-des-tanneurs"' in card.group(0)
    reached = re.search(r'id="goal-passerelle-loire">301 soutiens sur 250</span> <meter[^>]*value="250"[^>]*>'
                        r'</meter> <strong class="badge badge--goal">Objectif atteint</strong>', listing)
    assert reached
    assert listing.count("Objectif atteint") == 1
    proposal = files["consultations/plan-velo/proposals/passerelle-loire/index.html"].decode()
    assert '<span id="goal">301 soutiens sur 250</span>' in proposal and "Objectif atteint" in proposal
    other = files["consultations/parc-des-berges/index.html"].decode()  # no goal: the counts as before
    assert "<meter" not in other and 'class="card__counts">' in other


# --- the home page, the feeds, the open data ----------------------------------------------------------

def home_lists(html: str) -> dict[str, list[str]]:
    lists = {}
    for name in ("home-most_supported", "home-latest_answered"):
        section = html.split(f'aria-labelledby="{name}"', 1)[1].split("</section>", 1)[0]
        lists[name] = re.findall(r'class="card__title"><a href="/consultations/[^/]+/proposals/([^/]+)/', section)
    return lists


def test_home_shows_the_most_supported_and_the_latest_answered_of_open_consultations(demo: Path) -> None:
    path = demo / PROPOSALS / "double-sens-cyclable.md"  # an answer dated after the build: embargoed
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n---\n", "\nresponse: Oui.\nresponse_date: 2026-12-24\n---\n", 1), encoding="utf-8")
    lists = home_lists(page(demo, "index.html"))
    # abri-velos-gare (41) is merged: never listed; parc-des-berges is closed: its proposals neither.
    assert lists["home-most_supported"] == ["passerelle-loire", "piste-rue-des-tanneurs", "arceaux-gare",
                                            "rues-scolaires", "atelier-reparation-velo"]
    assert lists["home-latest_answered"] == ["atelier-reparation-velo", "piste-rue-des-tanneurs", "rues-scolaires",
                                             "passerelle-loire", "arceaux-gare"]
    assert "/proposals/double-sens-cyclable/" not in page(demo, "index.html").split('"home-latest_answered"')[1]
    lists = home_lists(check_site(demo, "2026-12-24T12:00").files["index.html"].decode())
    assert lists["home-latest_answered"][0] == "double-sens-cyclable"  # the day comes: it shows


def test_feeds_carry_new_citizen_proposals_and_official_answers_never_embargoed(demo: Path) -> None:
    path = demo / PROPOSALS / "double-sens-cyclable.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n---\n", "\nresponse: Réponse secrète.\nresponse_date: 2026-12-24\n---\n", 1),
                    encoding="utf-8")
    files = check_site(demo, WHEN).files
    for feed in ("feed.xml", "consultations/plan-velo/feed.xml"):
        xml = files[feed].decode().replace("\u00a0", " ")
        entry = xml.split("<title>Nouvelle proposition : Un atelier de réparation de vélos", 1)[1].split("</entry>")[0]
        assert "<updated>2026-10-14T00:00:00+02:00</updated>" in entry and "/proposals/atelier-reparation-velo/" in entry
        answer = xml.split("<title>Réponse officielle : Un atelier de réparation de vélos", 1)[1].split("</entry>")[0]
        assert "<updated>2026-11-25T00:00:00+01:00</updated>" in answer and "retient" in answer
        assert "Réponse secrète" not in xml
    assert "Nouvelle proposition" not in files["consultations/parc-des-berges/feed.xml"].decode()  # agency's only


def test_open_data_gains_origin_author_submitted_merged_into_and_support_goal(demo: Path) -> None:
    files = check_site(demo, WHEN).files
    proposals = {row["slug"]: row for row in csv.DictReader(io.StringIO(files["data/proposals.csv"].decode()))}
    assert proposals["abri-velos-gare"]["merged_into"] == "arceaux-gare"  # still there, marked
    assert proposals["abri-velos-gare"]["origin"] == "citizen" and proposals["abri-velos-gare"]["author"] == "Paul V."
    assert proposals["abri-velos-gare"]["submitted"] == "2026-10-09"
    assert proposals["arceaux-gare"]["origin"] == "agency" and proposals["arceaux-gare"]["merged_into"] == ""
    assert proposals["arceaux-gare"]["submitted"] == "" and proposals["arceaux-gare"]["author"] == ""
    consultations = {row["slug"]: row for row in csv.DictReader(io.StringIO(files["data/consultations.csv"].decode()))}
    assert consultations["plan-velo"]["support_goal"] == "250" and consultations["parc-des-berges"]["support_goal"] == ""
    package = json.loads(files["data/datapackage.json"])
    fields = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in package["resources"]}
    assert {"origin", "author", "submitted", "merged_into"} <= set(fields["proposals"])
    assert fields["proposals"]["submitted"]["format"] == "date"
    assert fields["consultations"]["support_goal"]["type"] == "integer"
    for name, resource in fields.items():
        if name in ("proposals", "consultations"):
            header = files[f"data/{name}.csv"].decode().split("\n", 1)[0].split(",")
            assert header == list(resource)  # the schema says every column, in order

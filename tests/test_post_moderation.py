"""Post-moderation: clean items published at pull, flagged ones wait; reports flag their target;
`consult moderate unpublish` takes a published contribution down with a reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from consult.build import build_site
from consult.content.files import parse_contribution
from consult.config import parse_config
from consult.inbox import Inbox, Submission
from consult.moderation import list_pending
from tests.test_pull import NOW, contribution_files, do_pull, front_matter, inbox, site, sub  # noqa: F401

INDEX = "content/consultations/plan-velo/index.md"


def set_mode(site: Path, mode: str) -> None:
    index = site / INDEX
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace("moderation: pre", f"moderation: {mode}", 1), encoding="utf-8")


def test_post_mode_publishes_clean_items_at_pull_and_keeps_flagged_ones_pending(site: Path, inbox: Inbox) -> None:
    set_mode(site, "post")
    inbox.add(sub(1))
    inbox.add(replace(sub(2), flags="too-fast"))
    inbox.add(replace(sub(3), body="Écrivez-moi à zoe@example.net"))  # a detector flags it
    inbox.add(replace(sub(4), kind="proposal"))  # a proposal becomes a page only by a person
    inbox.add(sub(5, consultation="budget-participatif-2027"))  # a pre-moderated consultation
    report = do_pull(site, inbox)
    files = contribution_files(site)
    clean = front_matter(files[sub(1).id])
    assert clean["status"] == "published" and clean["decided_by"] == "auto"
    assert clean["decided"] == NOW  # the pull's time, in the site's zone
    for n in (2, 3, 4, 5):
        data = front_matter(files[sub(n).id])
        assert data["status"] == "pending" and "decided" not in data and "decided_by" not in data, n
    assert report.published == {sub(1).id}
    config = parse_config((site / "site.yaml").read_text(encoding="utf-8"), "site.yaml")
    record, problems = parse_contribution(files[sub(1).id].read_text(encoding="utf-8"), "x.md", sub(1).id,
                                          "plan-velo", config)
    assert problems == [] and record is not None and record.status == "published"
    new = {sub(n).id for n in range(1, 6)}
    assert {e.id for e in list_pending(site)} & new == new - {sub(1).id}
    build_site(site, now=NOW)
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "_site" / "consultations" / "plan-velo").rglob("*.html"))
    assert "Texte 1" in pages and "Texte 2" not in pages


def test_pre_mode_and_an_unreadable_index_publish_nothing(site: Path, inbox: Inbox) -> None:
    inbox.add(sub(1))
    do_pull(site, inbox)
    assert front_matter(contribution_files(site)[sub(1).id])["status"] == "pending"
    set_mode(site, "post")
    index = site / INDEX
    index.write_text(index.read_text(encoding="utf-8").replace("title:", "title: [broken", 1), encoding="utf-8")
    inbox.add(sub(2))
    do_pull(site, inbox)
    assert front_matter(contribution_files(site)[sub(2).id])["status"] == "pending"


def moderate(site: Path, *args: str) -> Any:
    from click.testing import CliRunner

    from consult.cli import cli

    return CliRunner().invoke(cli, ["-C", str(site), "moderate", *args])


def plain(result: Any) -> str:
    """The output with French typography's no-break spaces as plain ones."""
    return str(result.output).replace("\u00a0", " ")


def test_unpublish_takes_a_published_contribution_down_with_a_reason_and_only_those_lines(
        site: Path, inbox: Inbox) -> None:
    set_mode(site, "post")
    inbox.add(sub(1))
    inbox.add(replace(sub(2), flags="too-fast"))
    do_pull(site, inbox)
    files = contribution_files(site)
    before = files[sub(1).id].read_text(encoding="utf-8")
    assert moderate(site, "unpublish", sub(1).id).exit_code == 1  # no reason: nothing written
    bad = moderate(site, "unpublish", sub(1).id, "--reason", "nope")
    assert bad.exit_code == 1 and "hors-sujet" in bad.output
    pending = moderate(site, "unpublish", sub(1).id, sub(2).id, "--reason", "hors-sujet")
    assert pending.exit_code == 1 and "et non « published »" in pending.output
    assert files[sub(1).id].read_text(encoding="utf-8") == before  # all checked before any write
    done = moderate(site, "unpublish", sub(1).id, "--reason", "hors-sujet")
    assert done.exit_code == 0 and "dépubliée (hors-sujet)" in done.output, done.output
    after = files[sub(1).id].read_text(encoding="utf-8")
    data = front_matter(files[sub(1).id])
    assert data["status"] == "rejected" and data["reason"] == "hors-sujet" and "decided_by" not in data
    assert data["decided"] != NOW  # decided again, now
    changed = {line for line in after.splitlines()} ^ {line for line in before.splitlines()}
    assert {line.split(":")[0] for line in changed} == {"status", "reason", "decided", "decided_by"}
    build_site(site, now=NOW)
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "_site").rglob("*.html"))
    assert "Texte 1" not in pages


def test_moderate_lists_a_page_at_a_time_with_filters_and_categories(site: Path, inbox: Inbox) -> None:
    for n in range(1, 8):
        inbox.add(replace(sub(n), flags="rate" if n % 2 else ""))
    inbox.add(replace(sub(8), kind="proposal", category="stationnement", flags="rate"))
    do_pull(site, inbox)
    new = {sub(n).id for n in range(1, 9)}
    flagged = moderate(site, "--flag", "rate", "--consultation", "plan-velo", "--limit", "3")
    assert flagged.exit_code == 0, flagged.output
    shown = [line.split()[0] for line in flagged.output.splitlines() if line[:8].isdigit()]
    assert len(shown) == 3 and set(shown) <= {sub(n).id for n in (1, 3, 5, 7, 8)}
    assert "5 contributions en attente." in plain(flagged) and "Affichées : 1 à 3 sur 5." in plain(flagged)
    assert "--offset 3" in flagged.output
    rest = moderate(site, "--flag", "rate", "--consultation", "plan-velo", "--limit", "3", "--offset", "3")
    shown_rest = [line.split()[0] for line in rest.output.splitlines() if line[:8].isdigit()]
    assert len(shown_rest) == 2 and not set(shown) & set(shown_rest) and "--offset" not in rest.output
    proposals = moderate(site, "--kind", "proposal", "--consultation", "plan-velo")
    assert "[catégorie : stationnement]" in plain(proposals) and sub(8).id in proposals.output
    everything = moderate(site, "--consultation", "plan-velo", "--limit", "100")
    assert new <= {line.split()[0] for line in everything.output.splitlines() if line[:8].isdigit()}
    assert "Affichées" not in everything.output  # one page holds it all
    assert moderate(site, "--limit", "0").exit_code == 2


def test_branch_batches_250_files_flagged_first_and_post_moderation_goes_straight_to_the_branch(
        site: Path, inbox: Inbox) -> None:
    from tests.test_pull import git

    set_mode(site, "post")
    git(site, "commit", "-q", "-am", "plan-velo: post-moderation")
    for n in range(560):
        inbox.add(replace(sub(n), body=f"Idée claire numéro {n}"))
    flagged = [replace(sub(1000 + n), body=f"Idée {n}", flags="too-fast") for n in range(40)]
    for item in flagged:
        inbox.add(item)
    for n in range(500):
        inbox.add(replace(sub(2000 + n, consultation="budget-participatif-2027"), body=f"Parc {n}"))
    base = git(site, "rev-parse", "HEAD").strip()
    report = do_pull(site, inbox, branch="moderation")
    assert [count for _, count in report.batches] == [250, 250, 40]
    published = git(site, "show", "--name-only", "--format=", "HEAD").split()
    assert len(published) == 560 and all("/plan-velo/" in path for path in published)
    assert git(site, "rev-parse", "HEAD~1").strip() == base  # one commit on the branch per pull
    first = None
    for name, count in report.batches:
        changed = git(site, "diff", "--name-only", f"{base}...{name}").split()
        assert len(changed) == count <= 250
        assert not set(changed) & set(published)
        first = first or changed
    assert first is not None and {item.id for item in flagged} <= {Path(p).stem for p in first}  # flagged first
    texts = sorted((site / ".consult" / "pull-requests").glob("*.md"))
    assert len(texts) == 3 and all(len(t.read_text(encoding="utf-8")) < 65_536 for t in texts)
    assert "Flagged (40)" in texts[0].read_text(encoding="utf-8")
    assert git(site, "status", "--porcelain").strip() == ""
    assert do_pull(site, inbox, branch="moderation").confirmed == 1100  # every file where it went

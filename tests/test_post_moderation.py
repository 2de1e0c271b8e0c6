"""Post-moderation: clean items published at pull, flagged ones wait; reports flag their target;
`consult moderate unpublish` takes a published contribution down with a reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

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
    inbox.add(sub(5, consultation="parc-des-berges"))  # a pre-moderated consultation
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

"""Moderation edits only the decision lines; erase leaves a tombstone; the CLI commands."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli
from consult.document import parse_front_matter
from consult.errors import ConsultError
from consult.inbox import Submission, open_inbox
from consult.moderation import decide, erase, list_pending, set_status
from consult.pull import pull, render_contribution
from tests.conftest import copy_demo

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def site(disk_dir: Path) -> Path:
    root = disk_dir / "site"
    root.mkdir()
    copy_demo(root)
    return root


def sub(n: int, **over: object) -> Submission:
    base = dict(id=f"20261115-{n:08d}", consultation="plan-velo", kind="suggestion", proposal=None,
                title=f"status: published\n---", body="status: published\n---\nreason: x", author="A",
                answers={"frequence": "Rarement ou jamais"}, received=NOW, idem_key=f"k{n}", body_hash="h",
                email="x@example.org")
    base.update(over)
    return Submission(**base)  # type: ignore[arg-type]


@pytest.fixture
def pulled(site: Path, disk_dir: Path) -> tuple[Path, str]:
    url = f"sqlite:///{disk_dir / 'inbox.sqlite3'}"
    box = open_inbox(url)
    for n in range(3):
        box.add(sub(n, title=f"Idée {n}"))
    pull(site, box, now=NOW)
    box.close()
    return site, url


def mine(site: Path) -> list:
    return [i for i in list_pending(site) if i.id.startswith("20261115-")]


def test_set_status_changes_only_the_decision_lines() -> None:
    text = render_contribution(sub(1, title="a\nstatus: published"), timezone.utc)
    rejected = set_status(text, "rejected", "hors-sujet")
    before, after = text.splitlines(), rejected.splitlines()
    changed = [line for line in after if line not in before]
    assert changed == ["status: rejected", "reason: hors-sujet"]
    assert [line for line in before if line not in after] == ["status: pending"]
    published = set_status(rejected, "published")
    assert published == text.replace("status: pending", "status: published")
    doc, body, problems = parse_front_matter(published, "x")
    assert problems == [] and body == "status: published\n---\nreason: x\n"


def test_list_approve_reject(pulled: tuple[Path, str]) -> None:
    site, _ = pulled
    items = mine(site)
    assert [i.title for i in items] == ["Idée 0", "Idée 1", "Idée 2"]
    decide(site, [items[0].id], "published")
    decide(site, [items[1].id], "rejected", "doublon", ("doublon",))
    assert [i.id for i in mine(site)] == [items[2].id]
    with pytest.raises(ConsultError, match="unknown reason"):
        decide(site, [items[2].id], "rejected", "nope", ("doublon",))
    with pytest.raises(ConsultError, match="needs --reason"):
        decide(site, [items[2].id], "rejected")
    with pytest.raises(ConsultError, match="not a contribution id"):
        decide(site, ["../../site"], "published")
    with pytest.raises(ConsultError, match="no contribution"):
        decide(site, ["20990101-zzzzzzzz"], "published")


def test_decisions_keep_crlf_line_endings(pulled: tuple[Path, str]) -> None:
    """A file saved on Windows (CRLF) stays CRLF: the diff is the decision, not every line."""
    site, _ = pulled
    first, second = mine(site)[:2]
    path = site / first.path
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    result = CliRunner().invoke(cli, ["-C", str(site), "moderate", "reject", first.id, "--reason", "hors-sujet"])
    assert result.exit_code == 0, result.output
    rejected = path.read_bytes()
    assert rejected == crlf.replace(b"status: pending\r\n", b"status: rejected\r\nreason: hors-sujet\r\n", 1)
    decide(site, [first.id], "published")  # the reason line goes, with its CRLF
    assert path.read_bytes() == crlf.replace(b"status: pending\r\n", b"status: published\r\n", 1)
    other = site / second.path  # an LF file next to it stays LF
    lf = other.read_bytes()
    decide(site, [second.id], "published")
    assert other.read_bytes() == lf.replace(b"status: pending\n", b"status: published\n", 1)


def test_erase_removes_file_and_row_and_pull_never_brings_it_back(pulled: tuple[Path, str]) -> None:
    site, url = pulled
    target = mine(site)[0]
    box = open_inbox(url)
    done = erase(site, box, target.id, NOW)
    assert done[0] == f"removed {target.path}" and not (site / target.path).exists()
    assert box.get(target.id) is None and box.is_erased(target.id)
    report = pull(site, box, now=NOW)
    assert report.written == [] and not (site / target.path).exists()
    box.close()


def test_cli_commands(pulled: tuple[Path, str]) -> None:
    site, url = pulled
    runner = CliRunner()
    listed = runner.invoke(cli, ["-C", str(site), "moderate"])
    assert listed.exit_code == 0 and "20261115-00000002" in listed.output and "x@example.org" not in listed.output
    ids = [i.id for i in mine(site)]
    assert runner.invoke(cli, ["-C", str(site), "moderate", "approve", ids[0]]).exit_code == 0
    result = runner.invoke(cli, ["-C", str(site), "moderate", "reject", ids[1], "--reason", "hors-sujet"])
    assert result.exit_code == 0 and "rejected" in result.output
    bad = runner.invoke(cli, ["-C", str(site), "moderate", "reject", ids[2], "--reason", "nope"])
    assert bad.exit_code == 1 and "unknown reason" in bad.output
    pulled_again = runner.invoke(cli, ["-C", str(site), "pull", "--inbox", url])
    assert pulled_again.exit_code == 0 and "0 new contribution" in pulled_again.output
    erased = runner.invoke(cli, ["-C", str(site), "erase", ids[2], "--inbox", url])
    assert erased.exit_code == 0 and "tombstone" in erased.output

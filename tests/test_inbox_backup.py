"""`consult inbox backup FILE` / `consult inbox restore FILE`: a real SQLite inbox fed by the
real handler, backed up, lost, restored, then pulled."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli
from consult.inbox import open_inbox
from tests.test_pull import NOW, contribution_files, do_pull, make_handler, send, site, velo  # noqa: F401


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), "inbox", *args])
    return result.exit_code, result.output


def submit(root: Path, url: str, *titles: str) -> list[str]:
    """Submissions through the real handler; their inbox ids."""
    inbox = open_inbox(url)
    try:
        app = make_handler(root, inbox)
        before = {s.id for s in inbox.all()}
        for title in titles:
            status, _, _ = send(app, velo(title=title, body=f"{title}, vraiment."))
            assert status.startswith("303")
        return sorted({s.id for s in inbox.all()} - before)
    finally:
        inbox.close()


def test_backup_lose_restore_pull(site: Path) -> None:  # noqa: F811
    url = f"sqlite:///{site / '.consult' / 'inbox.sqlite3'}"
    kept = submit(site, url, "Des arceaux rue Haute", "Une piste quai Nord")
    backup = site.parent / "inbox-backup.sqlite3"
    code, out = run(site, "backup", str(backup), "--inbox", url)
    assert code == 0 and "2 envoi(s) sauvegardé(s)" in out  # a site made by consult init: French
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # e-mail addresses inside
    assert sqlite3.connect(backup).execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file

    for suffix in ("", "-wal", "-shm"):  # the disk is lost
        Path(str(site / ".consult" / "inbox.sqlite3") + suffix).unlink(missing_ok=True)
    code, out = run(site, "restore", str(backup), "--inbox", url)
    assert code == 0 and "2 envoi(s) restauré(s)" in out

    inbox = open_inbox(url)
    try:
        do_pull(site, inbox)
        files = contribution_files(site)
        assert set(kept) <= set(files)
        texts = "".join(files[id_].read_text(encoding="utf-8") for id_ in kept)
        assert "Une piste quai Nord" in texts and "Des arceaux rue Haute" in texts
        counts = inbox.counts()
        assert "new" not in counts and sum(counts.values()) == 2  # both delivered
        assert do_pull(site, inbox).written == []  # and only once
    finally:
        inbox.close()


def test_restore_refuses_to_lose_newer_submissions_and_keeps_erasures(site: Path) -> None:  # noqa: F811
    url = f"sqlite:///{site / '.consult' / 'inbox.sqlite3'}"
    first, second = submit(site, url, "Avant la sauvegarde", "Effacée plus tard")
    backup = site.parent / "backup.sqlite3"
    assert run(site, "backup", str(backup), "--inbox", url)[0] == 0
    (newer,) = submit(site, url, "Après la sauvegarde")
    inbox = open_inbox(url)
    inbox.erase(second, NOW)
    inbox.close()

    code, out = run(site, "restore", str(backup), "--inbox", url)
    assert code == 1 and "1 submission(s)" in out and "--force" in out
    inbox = open_inbox(url)
    assert {s.id for s in inbox.all()} == {first, newer}  # nothing changed
    inbox.close()

    code, out = run(site, "restore", str(backup), "--inbox", url, "--force")
    assert code == 0
    inbox = open_inbox(url)
    try:
        assert {s.id for s in inbox.all()} == {first}  # the erasure survives the older backup
        assert inbox.is_erased(second)
        do_pull(site, inbox)
        assert first in contribution_files(site) and second not in contribution_files(site)
    finally:
        inbox.close()


def test_backup_never_overwrites_and_restore_reads_only_inbox_backups(site: Path) -> None:  # noqa: F811
    url = f"sqlite:///{site / '.consult' / 'inbox.sqlite3'}"
    submit(site, url, "Une idée")
    taken = site.parent / "taken.sqlite3"
    taken.write_bytes(b"precious")
    code, out = run(site, "backup", str(taken), "--inbox", url)
    assert code == 1 and "already exists" in out and taken.read_bytes() == b"precious"
    code, out = run(site, "restore", str(taken), "--inbox", url)
    assert code == 1 and "not a backup of a consult inbox" in out and "Traceback" not in out
    code, out = run(site, "restore", str(site.parent / "absent.sqlite3"), "--inbox", url)
    assert code == 1 and "no such file" in out


@pytest.mark.postgres
def test_a_postgresql_inbox_points_to_pg_dump_and_pg_restore(site: Path, pg_url: str) -> None:  # noqa: F811
    code, out = run(site, "backup", "inbox.dump", "--inbox", pg_url)
    assert code == 1 and "pg_dump --format=custom" in out and "inbox.dump" in out
    code, out = run(site, "restore", "inbox.dump", "--inbox", pg_url)
    assert code == 1 and "pg_restore" in out
    assert "password" not in out.lower() or "***" in out

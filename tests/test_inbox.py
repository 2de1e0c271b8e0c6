"""The inbox interface, run unchanged against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from consult.inbox import InboxError, Submission, open_inbox
from consult.inbox.sqlite import check_filesystem, filesystem_of

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def sub(n: int, **over: object) -> Submission:
    base = dict(
        id=f"20261201-{n:08d}", consultation="velo", kind="suggestion", proposal=None,
        title=f"Titre {n}", body=f"Texte {n}\n\n---\n<script>", author="Ana", answers={"q1": ["a", "b"]},
        received=NOW, email="ana@example.org", idem_key=f"key-{n}", body_hash=f"hash-{n}",
    )
    base.update(over)
    return Submission(**base)  # type: ignore[arg-type]


@pytest.fixture
def inbox(inbox_url: str):
    box = open_inbox(inbox_url)
    yield box
    box.close()


def test_add_then_read_back_exactly(inbox) -> None:
    s = sub(1, body="é\u0301 <b>x</b>\n'\"\\ %s ?")
    assert inbox.add(s) == ("created", s.id)
    assert inbox.get(s.id) == s


def test_same_key_same_body_is_a_duplicate_different_body_a_conflict(inbox) -> None:
    inbox.add(sub(1))
    assert inbox.add(sub(2, idem_key="key-1", body_hash="hash-1")) == ("duplicate", sub(1).id)
    assert inbox.add(sub(3, idem_key="key-1", body_hash="other")) == ("conflict", sub(1).id)
    assert len(inbox.all()) == 1


def test_one_support_per_voter_and_proposal(inbox) -> None:
    support = dict(kind="support", proposal="p1", voter="v1", title="", body="", answers={})
    assert inbox.add(sub(1, **support))[0] == "created"
    assert inbox.add(sub(2, **support))[0] == "duplicate"
    assert inbox.add(sub(3, **{**support, "proposal": "p2"}))[0] == "created"
    assert inbox.add(sub(4, **{**support, "voter": "v2"}))[0] == "created"
    assert inbox.add(sub(5, **{**support, "voter": "v3", "quarantine": "honeypot"}))[0] == "created"
    assert inbox.support_tallies() == {"velo": {"p1": 2, "p2": 1}}


def test_claim_export_once_and_skip_quarantine_and_supports(inbox) -> None:
    inbox.add(sub(1))
    inbox.add(sub(2, quarantine="honeypot"))
    inbox.add(sub(3, kind="support", proposal="p", voter="v"))
    assert inbox.claim("w1", NOW) == 1
    assert inbox.claim("w2", NOW) == 0  # w1's lease is live
    rows = inbox.claimed("w1")
    assert [r.id for r in rows] == [sub(1).id]
    assert inbox.mark_exported([sub(1).id], "w2", NOW) == 0
    assert inbox.mark_exported([sub(1).id], "w1", NOW) == 1
    assert inbox.claim("w1", NOW) == 0
    assert inbox.counts() == {"exported": 1, "quarantined": 1, "new": 1}


def test_a_killed_pull_is_taken_over_by_the_same_worker_or_after_the_lease(inbox) -> None:
    inbox.add(sub(1))
    inbox.claim("w1", NOW)
    assert inbox.claim("w1", NOW) == 1
    assert inbox.claim("w2", NOW + timedelta(minutes=5)) == 0
    assert inbox.claim("w2", NOW + timedelta(minutes=11)) == 1


def test_claimed_pages_by_id(inbox) -> None:
    for n in range(25):
        inbox.add(sub(n))
    inbox.claim("w", NOW)
    first = inbox.claimed("w", limit=10)
    second = inbox.claimed("w", after=first[-1].id, limit=10)
    assert len(first) == 10 and second[0].id > first[-1].id


def test_erase_leaves_a_tombstone_that_blocks_reuse(inbox) -> None:
    inbox.add(sub(1))
    assert inbox.erase(sub(1).id, NOW) is True
    assert inbox.get(sub(1).id) is None and inbox.is_erased(sub(1).id)
    with pytest.raises(InboxError):
        inbox.add(sub(1))
    assert inbox.claim("w", NOW) == 0
    assert inbox.erase("20990101-nothere0", NOW) is False


def test_rate_hits_and_nonces(inbox) -> None:
    assert [inbox.hit("k", "2026120110") for _ in range(3)] == [1, 2, 3]
    assert inbox.hit("k", "2026120111") == 1
    assert inbox.use_nonce("n1", NOW + timedelta(hours=1)) is True
    assert inbox.use_nonce("n1", NOW + timedelta(hours=1)) is False


def test_purge_quarantine_after_ttl_and_emails_after_retention(inbox) -> None:
    old = NOW - timedelta(days=400)
    inbox.add(sub(1, quarantine="honeypot", received=old))
    inbox.add(sub(2, received=old))
    inbox.add(sub(3))
    assert inbox.purge(NOW, quarantine_days=30, retention_days=365) == {"quarantine": 1, "emails": 1}
    assert inbox.get(sub(1).id) is None
    assert inbox.get(sub(2).id).email == "" and inbox.get(sub(3).id).email == "ana@example.org"


def test_parallel_identical_adds_store_one_row(inbox) -> None:
    results: list[tuple[str, str]] = []
    barrier = threading.Barrier(8)

    def post(n: int) -> None:
        barrier.wait()
        results.append(inbox.add(sub(100 + n, idem_key="same", body_hash="h")))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["created"] + ["duplicate"] * 7
    assert len({r[1] for r in results}) == 1 and len(inbox.all()) == 1


def test_naive_times_are_refused(inbox) -> None:
    with pytest.raises(ValueError):
        inbox.add(sub(1, received=datetime(2026, 1, 1)))


def test_unknown_url_and_unsafe_filesystems() -> None:
    with pytest.raises(InboxError, match="unknown inbox URL"):
        open_inbox("mysql://x")
    mounts = "tmpfs /run tmpfs rw 0 0\nserver:/x /mnt/nfs nfs4 rw 0 0\n/dev/vda / ext4 rw 0 0\n"
    assert filesystem_of(Path("/run/x/y"), mounts) == "tmpfs"
    with pytest.raises(InboxError, match="lost at reboot"):
        check_filesystem(Path("/run/x"), mounts)
    with pytest.raises(InboxError, match="network filesystem"):
        check_filesystem(Path("/mnt/nfs/site"), mounts)
    check_filesystem(Path("/home/x"), mounts)


def test_sqlite_on_tmpfs_is_refused_for_real() -> None:
    if filesystem_of(Path("/dev/shm")) != "tmpfs":
        pytest.skip("no tmpfs at /dev/shm on this machine")
    with pytest.raises(InboxError, match="tmpfs"):
        open_inbox("sqlite:////dev/shm/consult-test/inbox.sqlite3")


def test_postgres_down_is_a_clear_error(disk_dir: Path) -> None:
    with pytest.raises(InboxError, match="cannot reach the inbox"):
        open_inbox(f"postgresql://postgres@/x?host={disk_dir}&connect_timeout=1")


def test_written_rows_are_confirmed_or_claimed_again(inbox) -> None:
    for n in (1, 2, 3):
        inbox.add(sub(n))
    assert inbox.claim("w1", NOW) == 3
    ids = [sub(n).id for n in (1, 2, 3)]
    assert inbox.mark_written(ids, "w2", NOW) == 0  # only the claimer's rows
    assert inbox.mark_written(ids, "w1", NOW) == 3
    assert inbox.confirming("w2", NOW) == [(id_, "velo") for id_ in ids]
    assert inbox.confirming("w3", NOW) == []  # w2 holds them
    assert inbox.confirm("w2", [sub(2).id], NOW) == 2  # sub(2)'s file never arrived
    assert inbox.counts() == {"exported": 2, "written": 1}
    assert inbox.claim("w3", NOW) == 1 and [r.id for r in inbox.claimed("w3")] == [sub(2).id]


def test_a_pull_killed_while_confirming_leaves_rows_to_claim_again(inbox) -> None:
    inbox.add(sub(1))
    inbox.claim("w1", NOW)
    inbox.mark_written([sub(1).id], "w1", NOW)
    assert len(inbox.confirming("w1", NOW)) == 1  # ... and the pull is killed here
    assert inbox.claim("w2", NOW + timedelta(minutes=5)) == 0
    assert inbox.claim("w1", NOW) == 1


def test_tombstones_are_listed(inbox) -> None:
    inbox.add(sub(2))
    inbox.erase(sub(2).id, NOW)
    inbox.erase("20261201-zzzzzzzz", NOW)
    assert inbox.tombstones() == [sub(2).id, "20261201-zzzzzzzz"]

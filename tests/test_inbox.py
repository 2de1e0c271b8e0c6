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


def test_claim_export_once_and_skip_held_rows_and_supports(inbox) -> None:
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
    assert inbox.counts() == {"exported": 1, "held": 1, "new": 1}


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


def test_a_page_of_claimed_rows_is_read_by_index_not_sorted(disk_dir: Path) -> None:
    """Each page of a pull must cost its own rows, not a sort of every row still claimed: a pull
    of a million rows would otherwise read N^2 / 1000 rows (issue 17)."""
    from consult.inbox.sql import CLAIMED

    box = open_inbox(f"sqlite:///{disk_dir / 'inbox.sqlite3'}")
    conn = box._acquire()
    try:
        plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + CLAIMED, ("w", "", 10)))
    finally:
        box._release(conn)
        box.close()
    assert "submissions_claimed" in plan and "TEMP B-TREE" not in plan, plan


def test_erase_leaves_a_tombstone_that_blocks_reuse(inbox) -> None:
    inbox.add(sub(1))
    assert inbox.erase(sub(1).id, NOW) is True
    assert inbox.get(sub(1).id) is None and inbox.is_erased(sub(1).id)
    with pytest.raises(InboxError):
        inbox.add(sub(1))
    assert inbox.claim("w", NOW) == 0


def test_erasing_an_unknown_id_leaves_no_trace_unless_it_is_known_elsewhere(inbox) -> None:
    assert inbox.erase("20990101-nothere0", NOW) is False
    assert not inbox.is_erased("20990101-nothere0")
    assert inbox.add(sub(7, id="20990101-nothere0"))[0] == "created"  # a typo blocked nothing
    assert inbox.erase("20990101-infile00", NOW, known=True) is False  # its file is in content/
    assert inbox.is_erased("20990101-infile00")


def test_rate_hits_and_nonces(inbox) -> None:
    assert [inbox.hit("k", "2026120110") for _ in range(3)] == [1, 2, 3]
    assert inbox.hit("k", "2026120111") == 1
    assert inbox.use_nonce("n1", NOW + timedelta(hours=1)) is True
    assert inbox.use_nonce("n1", NOW + timedelta(hours=1)) is False


def _deliver(inbox, n: int, when: datetime, **over: object) -> str:
    """A row exported (its file delivered to the repository) at `when`."""
    inbox.add(sub(n, received=when, **over))
    inbox.claim(f"w{n}", when)
    assert inbox.mark_exported([sub(n).id], f"w{n}", when) == 1
    return sub(n).id


def test_purge_forgets_delivered_rows_after_retention_never_undelivered_ones(inbox) -> None:
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)
    gone = _deliver(inbox, 1, old)
    kept = _deliver(inbox, 2, recent, email="late@example.org")
    inbox.add(sub(3, received=old))  # never pulled
    inbox.add(sub(4, received=old, quarantine="honeypot"))  # held for a person to decide
    inbox.add(sub(5, received=old))
    inbox.claim("stuck", old)  # claimed by a pull that died
    inbox.hit("rate-key", (NOW - timedelta(days=3)).strftime("%Y%m%d%H"))
    inbox.use_nonce("n1", NOW - timedelta(minutes=1))
    assert inbox.purge(NOW, 365, {}) == {"delivered": 1, "fingerprints": 0, "scrubbed": 1}
    assert inbox.get(gone) is None and not inbox.is_erased(gone)
    assert inbox.get(kept).email == "late@example.org"  # a year after delivery, not after receipt
    for n in (3, 4, 5):
        row = inbox.get(sub(n).id)
        assert row is not None and row.email == "ana@example.org" and row.body == sub(n).body
    assert inbox.hit("rate-key", (NOW - timedelta(days=3)).strftime("%Y%m%d%H")) == 1  # the old counter went
    assert inbox.use_nonce("n1", NOW + timedelta(minutes=5)) is True
    assert inbox.purge(NOW, 365, {}) == {"delivered": 0, "fingerprints": 0, "scrubbed": 1}


def test_support_fingerprints_live_as_long_as_the_consultation_then_retention(inbox) -> None:
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)

    def support(n: int, consultation: str, voter: str, received: datetime = old, **over: object) -> str:
        row = sub(n, kind="support", consultation=consultation, proposal="p1", voter=voter, received=received,
                  title="", body="", author="", answers={}, email="", **over)
        assert inbox.add(row)[0] == "created"
        return row.id

    closed_long_ago = [support(1, "velo", "v1"), support(2, "velo", "v2")]
    held = support(3, "velo", "v3", quarantine="rate")
    closed_lately = support(4, "parc", "v1")
    still_open = support(5, "budget", "v1")
    unreadable = support(6, "brouillon", "v1")
    no_longer_on_site = [support(7, "ancienne", "v1"), support(8, "ancienne", "v2", received=recent)]
    tallies = inbox.support_tallies()
    closes = {"velo": old, "parc": recent, "budget": NOW + timedelta(days=30), "brouillon": None}
    assert inbox.purge(NOW, 365, closes) == {"delivered": 0, "fingerprints": 3, "scrubbed": 1}
    assert inbox.support_tallies() == tallies  # the counts stay
    for id_ in closed_long_ago + no_longer_on_site[:1]:
        row = inbox.get(id_)
        assert row.voter == "" and row.email == "" and row.idem_key == f"forgotten-{id_}"
    for id_ in (held, closed_lately, still_open, unreadable, no_longer_on_site[1]):
        assert inbox.get(id_).voter.startswith("v")
    assert inbox.add(sub(9, kind="support", consultation="budget", proposal="p1", voter="v1"))[0] == "duplicate"
    assert inbox.purge(NOW, 365, closes)["fingerprints"] == 0


def test_held_rows_are_listed_with_their_text_and_released(inbox) -> None:
    inbox.add(sub(1, quarantine="honeypot", flags="honeypot,too-fast"))
    inbox.add(sub(2, quarantine="bad-token", flags=""))  # held by an older version: its reason becomes a flag
    inbox.add(sub(3))
    assert [(r.id, r.body) for r in inbox.held()] == [(sub(1).id, sub(1).body), (sub(2).id, sub(2).body)]
    assert inbox.claim("w", NOW) == 1
    assert inbox.release([sub(1).id, sub(2).id, sub(3).id, "x"]) == {
        sub(1).id: "released", sub(2).id: "released", sub(3).id: "not-held", "x": "unknown"}
    assert inbox.held() == [] and inbox.claim("w", NOW) == 3
    assert [r.flags for r in inbox.claimed("w")] == ["honeypot,too-fast", "bad-token", ""]


def test_a_held_support_counts_once_released_and_never_twice(inbox) -> None:
    support = dict(kind="support", proposal="p1", title="", body="", answers={})
    inbox.add(sub(1, **support, voter="v1", quarantine="rate", flags="rate"))
    inbox.add(sub(2, **support, voter="v1", quarantine="too-fast", flags="too-fast"))
    inbox.add(sub(3, **support, voter="v2", quarantine="rate", flags="rate"))
    assert inbox.support_tallies() == {}
    assert inbox.release([sub(1).id, sub(2).id, sub(3).id]) == {
        sub(1).id: "released", sub(2).id: "duplicate", sub(3).id: "released"}
    assert inbox.support_tallies() == {"velo": {"p1": 2}} and inbox.get(sub(2).id) is None
    assert inbox.add(sub(4, **support, voter="v1"))[0] == "duplicate"


def test_rate_past_soft_flags_and_holds_only_supports(inbox) -> None:
    rate = ("k", "2026120110", 0, 100)
    inbox.add(sub(1, flags="no-token"), rate)
    inbox.add(sub(2, kind="support", proposal="p", voter="v", title="", body="", answers={}), rate)
    assert (inbox.get(sub(1).id).flags, inbox.get(sub(1).id).quarantine) == ("no-token,rate", "")
    assert (inbox.get(sub(2).id).flags, inbox.get(sub(2).id).quarantine) == ("rate", "rate")


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


# --- privacy of the storage files (SQLite) and of messages (both) ----------------------------

def _files_holding(folder: Path, needle: bytes) -> list[str]:
    """Every file under `folder` (database, -wal, -shm included) whose bytes contain `needle`."""
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())


def test_erased_and_purged_emails_are_in_no_file_of_the_sqlite_inbox(disk_dir: Path) -> None:
    folder = disk_dir / ".consult"
    url = f"sqlite:///{folder / 'inbox.sqlite3'}"
    box, handler = open_inbox(url), open_inbox(url)  # a handler keeps the database open meanwhile
    try:
        for n in range(40):
            box.add(sub(n, email=f"citizen{n:03d}@example.org", body=f"Texte {n} " + "x" * 300))
        handler.get(sub(0).id)
        # Deleted cells are overwritten, not left in free space (this is SQLite's compiled-in
        # default on some builds only, Debian's included).
        assert box._acquire().execute("PRAGMA secure_delete").fetchone() == (1,)
        assert _files_holding(folder, b"citizen005@example.org") == ["inbox.sqlite3-wal"]  # the scan sees it
        box.erase(sub(5).id, NOW)
        assert _files_holding(folder, b"citizen005@example.org") == []
        assert _files_holding(folder, b"citizen006@example.org") == ["inbox.sqlite3"]  # the others are kept
        box.claim("w", NOW - timedelta(days=400))
        box.mark_exported([s.id for s in box.claimed("w")], "w", NOW - timedelta(days=400))
        handler.get(sub(0).id)
        assert box.purge(NOW, 365, {})["delivered"] == 39
        assert [n for n in range(40) if _files_holding(folder, f"citizen{n:03d}@".encode())] == []
        assert _files_holding(folder, b"Texte 6 ") == []
    finally:
        handler.close()
        box.close()


def test_the_sqlite_inbox_is_private_whatever_the_umask(disk_dir: Path) -> None:
    import os
    import stat

    site = disk_dir / "site"
    (site / ".consult" / "cache").mkdir(parents=True)  # made earlier by a build
    os.chmod(site / ".consult", 0o755)
    mask = os.umask(0)
    try:
        for url in (f"sqlite:///{site / '.consult' / 'inbox.sqlite3'}", f"sqlite:///{disk_dir / 'new' / 'deep' / 'inbox.sqlite3'}"):
            box = open_inbox(url)
            try:
                box.add(sub(1))
                path = Path(url[len("sqlite:///"):])
                for name in ("inbox.sqlite3", "inbox.sqlite3-wal", "inbox.sqlite3-shm"):
                    assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600, name
                assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
            finally:
                box.close()
        assert stat.S_IMODE((disk_dir / "new").stat().st_mode) == 0o700  # made by the inbox: private too
    finally:
        os.umask(mask)


def test_an_existing_world_readable_inbox_is_narrowed(disk_dir: Path) -> None:
    import os
    import stat

    folder = disk_dir / "srv"
    folder.mkdir(mode=0o755)
    path = folder / "inbox.sqlite3"
    open_inbox(f"sqlite:///{path}").close()
    for name in ("inbox.sqlite3", "inbox.sqlite3-wal"):
        (folder / name).touch()
        os.chmod(folder / name, 0o644)  # as an older version left them
    open_inbox(f"sqlite:///{path}").close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # a folder the operator chose: not ours to narrow


@pytest.mark.parametrize("url", [
    "postgresql://bob:s3cretpw@/nowhere?host={dir}&connect_timeout=1",
    "postgresql://bob@/nowhere?host={dir}&password=s3cretpw&connect_timeout=1",
    "postgresql://bob:s3cretpw@[::1/nowhere",  # psycopg quotes this URL whole in its error
    "postgresql://bob@/nowhere?password=s3cretpw&bogus=1",
    "mysql://bob:s3cretpw@db/inbox",
])
def test_an_inbox_url_password_is_in_no_message(url: str, disk_dir: Path) -> None:
    with pytest.raises(InboxError) as caught:
        open_inbox(url.format(dir=disk_dir))
    assert "s3cretpw" not in str(caught.value) and "***" in str(caught.value)
    assert "s3cretpw" not in str(caught.value.__cause__ or "")


def test_a_reachable_server_refusing_a_url_with_a_password_says_so_without_it(pg_url: str) -> None:
    wrong = pg_url.replace("postgresql://postgres@/", "postgresql://postgres:s3cretpw@/nonexistent_") + "&password=s3cretpw"
    with pytest.raises(InboxError, match="does not exist") as caught:
        open_inbox(wrong)
    assert "s3cretpw" not in str(caught.value)


def test_url_for_humans_hides_the_password() -> None:
    from consult.inbox import redact

    assert redact("postgresql://bob:pa%40ss@db:5432/x?sslmode=require", "") == "postgresql://bob:***@db:5432/x?sslmode=require"
    assert redact("postgresql://db/x?user=bob&password=pa%40ss", "") == "postgresql://db/x?user=bob&password=***"
    url = "postgresql://bob:pa%40ss@db/x"
    assert redact("authentication failed for 'pa@ss'", url) == "authentication failed for '***'"
    assert redact("sqlite:///srv/consult/inbox.sqlite3") == "sqlite:///srv/consult/inbox.sqlite3"


def test_a_reader_holding_the_journal_makes_erase_say_so_and_a_second_run_finish(disk_dir: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from consult.inbox.sqlite import SqliteInbox

    monkeypatch.setattr(SqliteInbox, "busy_ms", 200)
    folder = disk_dir / ".consult"
    box = open_inbox(f"sqlite:///{folder / 'inbox.sqlite3'}")
    reader = sqlite3.connect(folder / "inbox.sqlite3", isolation_level=None)
    try:
        box.add(sub(1, email="held@example.org"))
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM submissions").fetchone()  # a snapshot the checkpoint must wait for
        with pytest.raises(InboxError, match="busy: the row is erased.*run the same command again"):
            box.erase(sub(1).id, NOW)
        assert box.get(sub(1).id) is None and box.is_erased(sub(1).id)
        assert box.purge(NOW, 365, {})["scrubbed"] == 0  # pull goes on; the next purge scrubs
        assert _files_holding(folder, b"held@example.org")
        reader.execute("COMMIT")
        assert box.erase(sub(1).id, NOW, known=True) is False  # the second run
        assert _files_holding(folder, b"held@example.org") == []
    finally:
        reader.close()
        box.close()


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
    inbox.erase("20261201-zzzzzzzz", NOW, known=True)  # erased from a file only: tombstoned
    assert inbox.tombstones() == [sub(2).id, "20261201-zzzzzzzz"]

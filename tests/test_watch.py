"""`consult watch`: a live watcher's journal lets a build skip the stat of every input file, and
is trusted only when it proves that nothing changed (consult.watch)."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consult import build as build_module
from consult import lint
from consult.build import build_site, check_site
from consult.lint import lint_files
from consult.watch import (IN_CREATE, IN_MODIFY, IN_Q_OVERFLOW, SESSION, WATCH_DIR, Token, Watcher, escape,
                           parse_events, sync)
from tests.conftest import site_with_proposals, tree

NOW = "2026-02-15T12:00"
PROPOSAL = "content/consultations/exemple/proposals/autre-0.md"


class Watching:
    """`consult watch` in a process of its own, ready once it said so."""

    def __init__(self, root: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "consult", "-C", str(root), "watch"],
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        assert line.startswith("Surveillance de "), line  # a site made by consult init speaks French

    def stop(self, how: int = signal.SIGINT) -> str:
        self.process.send_signal(how)
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never left behind, even by a failing test
            raise
        return err


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    return site_with_proposals(tmp_path / "site", 3)


@pytest.fixture()
def watching(site: Path) -> Iterator[Watching]:
    watcher = Watching(site)
    yield watcher
    if watcher.process.poll() is None:
        watcher.stop()


@pytest.fixture()
def began(site: Path) -> Iterator[Watcher]:
    """A watcher of `site` in this process, its first session begun, driven by hand (`_record`)."""
    watcher = Watcher(site)
    try:
        watcher._begin()
        yield watcher
    finally:
        watcher.close()


@pytest.fixture()
def stats(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The folders each of the build's stat_files calls looked at, by name."""
    seen: list[list[str]] = []
    real = build_module.stat_files

    def spy(paths: Any, base: Path) -> Any:
        paths = list(paths)
        seen.append([path.name for path in paths])
        return real(paths, base)

    monkeypatch.setattr(build_module, "stat_files", spy)
    return seen


def edit_in_place(path: Path, text: str) -> None:
    """Rewrite a file's bytes without replacing it (its folder does not change), as some editors do."""
    with open(path, "r+", encoding="utf-8") as file:
        old = file.read()
        file.seek(0)
        file.write(old.replace("Autre 0", text))
        file.truncate()


def test_a_watched_site_unchanged_since_the_last_build_is_not_looked_at_file_by_file(
        site: Path, tmp_path: Path, watching: Watching, stats: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    found = lint_files(site)
    assert found  # consult init's placeholders
    build_site(site, out, NOW, cache=True)
    assert "content" in stats[0]  # the first build with this watcher stats every input
    stats.clear()

    def no_listing(*args: Any) -> Any:
        raise AssertionError("lint_files listed the content again")

    monkeypatch.setattr(lint, "_lint_files", no_listing)
    assert lint_files(site) == found
    built, report = build_site(site, out, NOW, cache=True)
    assert report.written == [] and report.unchanged == len(built.kept) > 40
    assert stats == [["out"]]  # the output folder only: the journal proved the inputs unchanged


def test_a_watcher_started_after_a_build_proves_the_inputs_from_the_next_build_on(
        site: Path, tmp_path: Path, stats: list[list[str]]) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    watcher = Watching(site)
    try:
        stats.clear()
        build_site(site, out, NOW, cache=True)  # nothing changed, but only a stat of every file can tell
        assert stats[0][0] == "site.yaml"
        stats.clear()
        build_site(site, out, NOW, cache=True)
    finally:
        watcher.stop()
    assert stats == [["out"]]


def test_an_edit_in_place_under_a_watcher_is_built(site: Path, tmp_path: Path, watching: Watching) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    build_site(site, out, NOW, cache=True)  # proven unchanged
    edit_in_place(site / PROPOSAL, "Titre corrigé sur place")
    _, report = build_site(site, out, NOW, cache=True)
    assert report.written
    assert tree(out) == check_site(site, NOW).files
    assert "Titre corrigé sur place" in (out / "consultations/exemple/proposals/autre-0/index.html").read_text()


def test_a_folder_made_under_a_watcher_is_watched_too(site: Path, tmp_path: Path, watching: Watching) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    second = site / "content/consultations/seconde"
    second.mkdir()
    (second / "proposals").mkdir()
    for name in ("index.md",):
        (second / name).write_bytes((site / "content/consultations/exemple" / name).read_bytes())
    (second / "proposals/autre-0.md").write_bytes((site / PROPOSAL).read_bytes())
    build_site(site, out, NOW, cache=True)
    edit_in_place(second / "proposals/autre-0.md", "Dans le nouveau dossier")
    build_site(site, out, NOW, cache=True)
    assert tree(out) == check_site(site, NOW).files
    assert "Dans le nouveau dossier" in (out / "consultations/seconde/proposals/autre-0/index.html").read_text()


def test_a_killed_watcher_or_another_session_is_not_trusted(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = Watching(site)
    build_site(site, out, NOW, cache=True)
    first.stop(signal.SIGKILL)
    assert sync(site) is None  # nobody holds the lock
    edit_in_place(site / PROPOSAL, "Pendant que personne ne regardait")
    second = Watching(site)  # a new session: its journal knows nothing of the edit
    try:
        build_site(site, out, NOW, cache=True)
    finally:
        second.stop()
    assert "Pendant que personne ne regardait" in (out / "consultations/exemple/proposals/autre-0/index.html").read_text()


def test_a_watcher_started_after_the_last_build_is_not_trusted(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, out, NOW, cache=True)
    edit_in_place(site / PROPOSAL, "Avant le veilleur")
    watcher = Watching(site)
    try:
        build_site(site, out, NOW, cache=True)
    finally:
        watcher.stop()
    assert "Avant le veilleur" in (out / "consultations/exemple/proposals/autre-0/index.html").read_text()


def test_a_second_watcher_of_the_same_site_is_refused(site: Path, watching: Watching) -> None:
    run = subprocess.run([sys.executable, "-m", "consult", "-C", str(site), "watch"], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 1
    assert "Un autre « consult watch » surveille déjà" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_stopping_says_that_builds_look_at_every_file_again(site: Path, how: int) -> None:
    watcher = Watching(site)
    assert "Surveillance arrêtée" in watcher.stop(how)
    assert watcher.process.returncode == 0
    assert sync(site) is None


def test_ctrl_c_stops_a_watcher_started_with_it_ignored(site: Path) -> None:
    """A script's background job starts with SIGINT ignored (and so did this one, inside the suite)."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        watcher = Watching(site)
    finally:
        signal.signal(signal.SIGINT, old)
    assert "Surveillance arrêtée" in watcher.stop(signal.SIGINT)


def test_lost_events_start_a_new_session_that_no_earlier_token_matches(site: Path, began: Watcher) -> None:
    journal = site / WATCH_DIR / "journal"
    before = Token(began.session, journal.stat().st_size)
    began._record([(-1, IN_Q_OVERFLOW, b"")])  # the kernel's queue overflowed: changes were lost
    assert began.session != before.session
    assert journal.read_bytes() == SESSION + began.session + b"\n"
    first = began.session
    began._record([(began.cookies, IN_CREATE, b"abc")])
    assert journal.read_bytes().endswith(b"\nK abc\n")
    assert began.session == first


def test_a_long_journal_starts_a_new_session(began: Watcher, monkeypatch: pytest.MonkeyPatch) -> None:
    import consult.watch

    monkeypatch.setattr(consult.watch, "ROTATE_BYTES", 100)
    first = began.session
    content = next(wd for wd, name in began.names.items() if name == "content")
    began._record([(content, IN_MODIFY, b"x" * 10), (began.cookies, IN_CREATE, b"k"),
                   (content, IN_MODIFY, b"y" * 10)])  # 30 + 21 + 4 + 21 bytes
    assert began.session == first
    began._record([(content, IN_MODIFY, b"z" * 40)])  # one change since the last cookie is enough
    assert began.session == first
    began._record([(began.cookies, IN_CREATE, b"k"), (content, IN_MODIFY, b"z" * 40)])
    assert began.session != first


def test_one_change_line_after_each_cookie(site: Path, began: Watcher) -> None:
    content = next(wd for wd, name in began.names.items() if name == "content")
    began._record([(content, IN_MODIFY, b"a"), (content, IN_MODIFY, b"b"), (began.cookies, IN_CREATE, b"k1"),
                   (content, IN_MODIFY, b"c")])
    began._record([(content, IN_MODIFY, b"d"), (began.cookies, IN_CREATE, b"k2")])
    lines = (site / WATCH_DIR / "journal").read_bytes().splitlines()[1:]
    assert lines == [b"C content/a", b"K k1", b"C content/c", b"K k2"]


def test_a_path_is_one_journal_line_whatever_its_name() -> None:
    assert escape("a\nK cookie") == b"a\\nK cookie"
    assert escape("a\\n") == b"a\\\\n"
    assert b"\n" not in escape("content/\n\n.md")


def test_inotify_records_are_read_with_their_names_unpadded() -> None:
    data = struct.pack("iIII", 3, IN_MODIFY, 0, 8) + b"a.md\0\0\0\0" + struct.pack("iIII", -1, IN_Q_OVERFLOW, 0, 0)
    assert list(parse_events(data)) == [(3, IN_MODIFY, b"a.md"), (-1, IN_Q_OVERFLOW, b"")]


def test_watching_a_folder_that_is_not_a_site_is_refused(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "consult", "-C", str(tmp_path), "watch"], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 1 and "site.yaml" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / WATCH_DIR).exists()


def test_a_site_whose_state_folder_cannot_be_written_is_refused_with_a_message(site: Path) -> None:
    (site / ".consult").mkdir(exist_ok=True)
    (site / ".consult" / "watch").write_text("not a folder")
    run = subprocess.run([sys.executable, "-m", "consult", "-C", str(site), "watch"], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 1 and "Impossible de tenir un journal dans" in run.stderr and "Traceback" not in run.stderr


def test_no_watcher_no_journal(site: Path) -> None:
    assert sync(site) is None
    assert not os.path.exists(site / WATCH_DIR)

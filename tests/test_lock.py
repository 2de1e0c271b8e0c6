"""One build of a site at a time: a second `consult build` (or a `consult serve` rebuild) waits for
the first, says so, and both finish with the whole site; no traceback, no half-written _site/."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consult.build import Builder, check_site
from consult.lock import LOCK_FILE, WAITING, build_lock
from tests.conftest import REPO, site_with_proposals, tree

NOW = "2026-02-15T12:00"


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """A site that takes a second or so to build in one process."""
    return site_with_proposals(tmp_path / "site", 600)


def consult_build(site: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
    # --no-search: the output is compared with check_site's, which has no search index (consult.search)
    return subprocess.Popen([sys.executable, "-m", "consult", "-C", str(site), "build", "--now", NOW, "--jobs", "1",
                             "--no-search", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def held_by_another_process(path: Path) -> bool:
    """Is there a flock on `path`? Read from /proc/locks, which taking the lock to test it would disturb."""
    inode = path.stat().st_ino if path.exists() else None
    locks = Path("/proc/locks").read_text()
    return inode is not None and any(line.split()[5].endswith(f":{inode}") for line in locks.splitlines()
                                     if "FLOCK" in line)


def test_a_second_build_waits_for_the_first(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "_site"
    first = consult_build(site, out)
    deadline = time.monotonic() + 30
    while not held_by_another_process(site / LOCK_FILE):
        assert first.poll() is None and time.monotonic() < deadline, "the first build never took the lock"
        time.sleep(0.002)
    second = consult_build(site, out)
    (_, err1), (_, err2) = first.communicate(timeout=120), second.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 0), err1 + err2
    assert WAITING not in err1 and WAITING in err2
    assert "Traceback" not in err1 + err2
    assert tree(out) == check_site(site, NOW).files


def test_a_build_waits_while_the_lock_is_held(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "_site"
    with build_lock(site):
        build = consult_build(site, out)
        assert build.stderr is not None
        assert build.stderr.readline().strip() == WAITING
        time.sleep(0.5)
        assert build.poll() is None and not out.exists()  # nothing written while the other build runs
    _, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    assert tree(out) == check_site(site, NOW).files


def test_serve_rebuilds_take_the_same_lock(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from consult.serve import Rebuilder, Status

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\nfrom consult.lock import build_lock\n"
         "with build_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(1.5)\n", str(site)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    rebuilder = Rebuilder(Builder(site, tmp_path / "_site", NOW), Status())
    rebuilder.rebuild(None)
    assert time.monotonic() - started > 1.0 and holder.wait(10) == 0
    assert WAITING in capsys.readouterr().err
    assert rebuilder.status.problems == [] and rebuilder.last_report is not None


def test_no_site_no_lock_file(tmp_path: Path) -> None:
    """A build pointed at a folder without site.yaml leaves nothing behind in it."""
    with build_lock(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "site.yaml").write_text("title: x\n", encoding="utf-8")
    with build_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).is_file()
    assert (tmp_path / ".consult").stat().st_mode & 0o777 == 0o700


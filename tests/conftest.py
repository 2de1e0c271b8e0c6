"""Shared fixtures. Sections are owned by different parts of the suite; keep them apart."""

from __future__ import annotations

import os
import time
from typing import Any

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/sites/*/expected/ from the current build (review the diff).")


@pytest.fixture(autouse=True, scope="session")
def _user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The user's cache folder (theme.shared_compiled_folder) is the session's own: the builds of the
    suite share it, the home folder of whoever runs the tests is left alone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def repo_root() -> Path:
    return REPO


def copy_demo(root: Path) -> Path:
    """A copy of the demo site (site.yaml + content/) in `root`, created if needed."""
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "static", root / "static")  # the demo's logo (site.yaml theme:)
    return root


def add_comments(root: Path, consultation: str, proposal: str, count: int) -> None:
    """`count` published comments on one proposal of a copy of a site: enough pages of comments
    to test their pagination, without bloating the demo itself."""
    folder = root / "content" / "consultations" / consultation / "contributions"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, count + 1):
        name = f"20260401-{n:08d}"
        (folder / f"{name}.md").write_text(
            f"---\nid: {name}\nkind: comment\nproposal: {proposal}\nauthor: \"Participant {n}\"\n"
            f"submitted: 2026-04-01T{8 + n // 60 % 12:02d}:{n % 60:02d}:00+02:00\nstatus: published\n---\n"
            f"Commentaire numéro {n}, assez long pour occuper quelques lignes sur un téléphone.\n",
            encoding="utf-8")


# --- submissions: inbox backends, disk paths (forms, inbox, pull, moderation) ------------

import uuid as _uuid

from tests.pg_server import PgServer, pg_server, pg_url  # noqa: E402,F401


@pytest.fixture
def disk_dir(tmp_path: Path) -> Path:
    """A directory on a real disk: tmp_path, unless /tmp is tmpfs (the inbox refuses tmpfs)."""
    from consult.inbox.sqlite import VOLATILE, filesystem_of

    if filesystem_of(tmp_path) not in VOLATILE:
        return tmp_path
    path = REPO / "tests" / "_artifacts" / _uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def inbox_url(request: pytest.FixtureRequest, disk_dir: Path) -> str:
    """The same tests against both backends: a fresh SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{disk_dir / 'inbox.sqlite3'}"
    return request.getfixturevalue("pg_url")


# --- builds: a scaffolded site of any size, an output folder's files (build, cache, lock) --------


def site_with_proposals(root: Path, count: int) -> Path:
    """`consult init` in `root`, plus `count` proposals 'Autre <n>' (autre-<n>.md) beside its example."""
    from consult.scaffold import init_site

    init_site(root)
    proposals = root / "content/consultations/exemple/proposals"
    template = next(proposals.glob("*.md")).read_text(encoding="utf-8")
    for n in range(count):
        (proposals / f"autre-{n}.md").write_text(template.replace("Exemple de proposition", f"Autre {n}"), encoding="utf-8")
    return root


class CallLog:
    """Which process called what, and when, across forked workers and children: each call of a
    function wrapped by `logged` appends a line to a file whose path they all inherit."""

    def __init__(self, path: Path):
        self.path = path

    def logged(self, name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            with open(self.path, "a") as handle:  # one line per call, whichever process calls
                handle.write(f"{name} {os.getpid()} {time.monotonic()}\n")
            return function(*args, **kwargs)
        return run

    def calls(self) -> list[tuple[str, int, float]]:
        """(name, process id, moment) of each call logged since the last `calls()`."""
        if not self.path.exists():
            return []
        found = [(name, int(pid), float(when)) for name, pid, when in (line.split() for line in self.path.read_text().splitlines())]
        self.path.unlink()
        return found


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`: relative path -> bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- a full disk: a small real filesystem to fill up (build, pull) ----------------------------

from collections.abc import Callable, Iterator  # noqa: E402


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """small_disk('1m') -> an empty folder on a tmpfs of that size, unmounted after the test.
    Skips the test where this machine does not let us mount one (not root, in a container...)."""
    import subprocess

    mounted: list[Path] = []

    def make(size: str) -> Path:
        path = tmp_path / f"small-{len(mounted)}"
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a small filesystem here ({done.stderr.strip()})")
        mounted.append(path)
        return path

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill_up(folder: Path) -> Path:
    """Fill the filesystem holding `folder` to the last byte; returns the filler file (delete it to free)."""
    import errno
    import os

    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def refuse_writes_under(folder: Path) -> Callable[[int, bytes], int]:
    """An os.write that fails with ENOSPC, as a full disk does, for files under `folder` only
    (where mounting a small filesystem is not allowed). Install it with monkeypatch."""
    import errno
    import os

    write = os.write

    def full(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder) + os.sep):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(fd, data)

    return full


THEMES = ("default", "dsfr")  # the built-in themes the browser, axe and vnu suites run on


def use_theme(root: Path, theme: str) -> None:
    """Switch a copy of the demo site to another built-in theme (its site.yaml says `name: default`)."""
    path = root / "site.yaml"
    text = path.read_text(encoding="utf-8")
    switched = text.replace("\n  name: default\n", f"\n  name: {theme}\n", 1)
    assert theme == "default" or switched != text, "the demo's site.yaml no longer says 'theme: name: default'"
    path.write_text(switched, encoding="utf-8")

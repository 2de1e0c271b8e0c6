"""Shared fixtures. Sections are owned by different parts of the suite; keep them apart."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/sites/*/expected/ from the current build (review the diff).")


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
    return root


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


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`: relative path -> bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

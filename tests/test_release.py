"""The release: the wheel holds the theme and the skeleton, installs into a fresh virtual
environment, and the installed `consult` makes, builds and serves a site; the version is
written once and the changelog speaks of it.

The wheel test needs the package index for the dependencies (pip's own configuration).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from consult import DISTRIBUTION, __version__
from tests.conftest import REPO


def _clean_env() -> dict[str, str]:
    """The environment without this checkout on the path: only the installed wheel may answer."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def _run(*args: str | Path, cwd: Path, timeout: int = 600) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_changelog_has_an_entry_for_this_version() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}]" in changelog


def test_the_version_is_written_once() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and 'attr = "consult.__version__"' in pyproject


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO, cwd=dist)
    (found,) = dist.glob("*.whl")
    return found


def test_the_wheel_holds_the_theme_and_the_skeleton(wheel: Path) -> None:
    assert wheel.name == f"{DISTRIBUTION.replace('-', '_')}-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    themes = {p.relative_to(REPO / "themes").as_posix() for p in (REPO / "themes" / "default").rglob("*") if p.is_file()}
    assert {f"consult/themes/{name}" for name in themes} <= names
    for name in ("site.yaml", "netlify.toml", ".gitignore", ".github/workflows/consult-pull.yml",
                 "content/pages/a-propos.md"):
        assert f"consult/skeleton/{name}" in names


def test_the_installed_wheel_makes_builds_and_serves_a_site(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    bin_ = venv / "bin"
    _run(bin_ / "python", "-m", "pip", "install", "-q", "--find-links", wheel.parent,
         f"{DISTRIBUTION}=={__version__}", cwd=tmp_path)
    where = _run(bin_ / "python", "-c", "import consult, consult.themes; print(consult.__file__)", cwd=tmp_path)
    assert where.startswith(str(venv)), where  # the installed copy, not this checkout

    assert _run(bin_ / "consult", "--version", cwd=tmp_path).strip() == f"consult, version {__version__}"
    _run(bin_ / "consult", "init", "site", cwd=tmp_path)
    site = tmp_path / "site"
    assert f"{DISTRIBUTION}[postgres,search]=={__version__}" in (site / "requirements.txt").read_text(encoding="utf-8")
    _run(bin_ / "consult", "--root", site, "build", cwd=tmp_path)
    assert (site / "_site" / "index.html").is_file() and (site / "_site" / "static" / "style.css").is_file()

    port = _free_port()
    server = subprocess.Popen([str(bin_ / "consult"), "--root", str(site), "serve", "--port", str(port)],
                              cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        home = _get(f"http://127.0.0.1:{port}/", server)
        assert "<!DOCTYPE html>" in home and "/static/style.css" in home
        assert "--accent" in _get(f"http://127.0.0.1:{port}/static/style.css", server)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode("utf-8"))
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode("utf-8", "replace") if server.stdout else ""
                raise AssertionError(f"consult serve did not answer {url}:\n{output}")
            time.sleep(0.3)

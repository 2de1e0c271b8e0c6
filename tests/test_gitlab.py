"""`consult init --ci gitlab`: a .gitlab-ci.yml instead of .github/, whose jobs run when GitLab
would run them, and whose pull script, run for real against a bare origin and a real SQLite
inbox, keeps one rolling moderation branch with every batch on top of the waiting ones."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from consult.cli import cli
from consult.inbox import open_inbox
from consult.scaffold import skeleton_dir
from tests.test_pull import git, make_handler, send, site, velo  # noqa: F401

CI = yaml.safe_load((skeleton_dir() / ".gitlab-ci.yml").read_text(encoding="utf-8"))


def test_init_writes_the_pipelines_of_the_chosen_forge(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "lab"), "--ci", "gitlab"]).exit_code == 0
    assert (tmp_path / "lab" / ".gitlab-ci.yml").is_file() and not (tmp_path / "lab" / ".github").exists()
    assert runner.invoke(cli, ["init", str(tmp_path / "hub")]).exit_code == 0
    assert (tmp_path / "hub" / ".github" / "workflows").is_dir() and not (tmp_path / "hub" / ".gitlab-ci.yml").exists()
    assert runner.invoke(cli, ["init", str(tmp_path / "x"), "--ci", "gitea"]).exit_code != 0


def _runs(job: str, **variables: str) -> bool:
    """Whether GitLab would run `job` in a pipeline with these predefined variables: its rules,
    evaluated with the few operators the file uses (==, !=, &&, ||, parentheses)."""
    for rule in CI[job]["rules"]:
        expression = rule["if"].replace("&&", " and ").replace("||", " or ")
        expression = re.sub(r"\$(\w+)", lambda m: repr(variables.get(m.group(1), "")), expression)
        if eval(expression, {"__builtins__": {}}):  # noqa: S307 - our own file, simple comparisons
            return True
    return False


def test_each_job_runs_when_its_github_equivalent_would() -> None:
    assert set(CI["stages"]) == {"check", "pull", "deploy", "notify"}
    mr = {"CI_PIPELINE_SOURCE": "merge_request_event"}
    push_main = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}
    hourly = {"CI_PIPELINE_SOURCE": "schedule", "CONSULT_JOB": "pull"}
    nightly = {"CI_PIPELINE_SOURCE": "schedule", "CONSULT_JOB": "rebuild"}
    assert _runs("check", **mr) and _runs("check", **push_main) and not _runs("check", **hourly)
    assert _runs("pull", **hourly) and not _runs("pull", **mr) and not _runs("pull", **nightly)
    assert _runs("rebuild", **nightly) and not _runs("rebuild", **nightly, CONSULT_PAGES="1")
    assert _runs("pages", **nightly, CONSULT_PAGES="1") and _runs("pages", **push_main, CONSULT_PAGES="1")
    assert not _runs("pages", **push_main) and not _runs("pages", **mr, CONSULT_PAGES="1")
    assert _runs("notify", **push_main) and not any(_runs("notify", **v) for v in (mr, hourly, nightly))
    assert CI["check"]["script"] == ["consult check", "consult build"]
    assert CI["pages"]["artifacts"]["paths"] == ["public"] and "--out public" in CI["pages"]["script"][0]
    assert CI["pull"]["resource_group"]  # one pull at a time, as the GitHub workflow's concurrency


def _pull_job(work: Path, origin: Path, inbox_url: str, pipeline: int, **variables: str) -> str:
    """The pull job's script; `variables` are more CI/CD variables (an unset one is absent, as on GitLab)."""
    env: dict[str, Any] = dict(os.environ, CI_DEFAULT_BRANCH="main", CI_PIPELINE_ID=str(pipeline),
                               CI_SERVER_HOST="gitlab.example.org", CI_PROJECT_PATH="ville/consultations",
                               CONSULT_PUSH_URL=str(origin), PREFIX=CI["variables"]["PREFIX"],
                               GIT_AUTHOR_NAME="t", GIT_COMMITTER_NAME="t", **variables)
    if inbox_url:
        env["CONSULT_INBOX_URL"] = inbox_url
    result = subprocess.run(["bash", "-c", "\n".join(CI["pull"]["script"])], cwd=work, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _submit(root: Path, url: str, title: str) -> None:
    inbox = open_inbox(url)
    try:
        assert send(make_handler(root, inbox), velo(title=title, body=f"{title}.", idempotency_key=None))[0].startswith("303")
    finally:
        inbox.close()


def _review_files(origin: Path) -> dict[str, str]:
    """path -> review branch, for every file the review branches add to main."""
    found = {}
    for branch in git(origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/consult/review/").split():
        for path in git(origin, "diff", "--name-only", f"main...{branch}").split():
            found[path] = branch
    return found


def test_the_pull_job_opens_one_review_branch_per_batch(site: Path, tmp_path: Path) -> None:  # noqa: F811
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(site), str(origin)], check=True)
    git(origin, "config", "receive.advertisePushOptions", "true")  # as GitLab does
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True)
    (work / "_site").symlink_to(site / "_site")  # the built rules, for the handler below
    inbox_url = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"

    _submit(site, inbox_url, "Première idée")
    _pull_job(work, origin, inbox_url, 1)
    [(path, branch)] = _review_files(origin).items()
    assert "Première idée" in git(origin, "show", f"{branch}:{path}")

    _submit(site, inbox_url, "Deuxième idée")
    _pull_job(work, origin, inbox_url, 2)
    second = _review_files(origin)
    assert len(second) == 2 and second[path] == branch  # the first batch untouched, nothing dropped
    [added] = set(second) - {path}
    assert second[added] != branch and "Deuxième idée" in git(origin, "show", f"{second[added]}:{added}")

    assert "Nothing new in the inbox." in _pull_job(work, origin, inbox_url, 3)
    assert _review_files(origin) == second


def test_with_consult_pull_url_the_pull_job_goes_through_the_handler_export(site: Path, tmp_path: Path) -> None:  # noqa: F811
    """No CONSULT_INBOX_URL at all: the job reaches the SQLite inbox on the handler's machine
    through /api/export only."""
    from tests.test_export import TOKEN, start_handler

    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(site), str(origin)], check=True)
    git(origin, "config", "receive.advertisePushOptions", "true")  # as GitLab does
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True)
    handler, server = start_handler(tmp_path)
    try:
        ids = handler.send(2, consultation="plan-velo")
        remote = {"CONSULT_PULL_URL": handler.url, "CONSULT_PULL_TOKEN": TOKEN}
        out = _pull_job(work, origin, "", 1, **remote)
        assert "2 nouvelle(s) contribution(s)" in out and TOKEN not in out
        names = {Path(path).stem for path in _review_files(origin)}
        assert set(ids) <= names
        assert "Nothing new in the inbox." in _pull_job(work, origin, "", 2, **remote)
        assert handler.inbox.counts() == {"exported": 2}
    finally:
        server.shutdown()
        server.server_close()
        handler.inbox.close()

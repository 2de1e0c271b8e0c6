"""The shipped pull workflow, replayed: its own `run:` steps, in fresh clones of a bare "origin".

Only what cannot run here is replaced: `actions/checkout` by `git clone`, `setup-python` and
`pip install` by this interpreter, and `gh` (GitHub's API) by a recording fake that refuses a
body over 65,536 characters as GitHub does. Everything else is the workflow's shell, real git
and a real inbox (SQLite file, PostgreSQL server).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from consult.inbox import Inbox, Submission, open_inbox
from consult.scaffold import init_site
from tests.conftest import REPO

WORKFLOW = REPO / "consult" / "skeleton" / ".github" / "workflows" / "consult-pull.yml"
BRANCH = "consult/pull"
PUSH_STEP = "Open or update the rolling pull request"
PASSWORD = "Sup3r-s3cret-inbox-pw"
TOKEN = "ghp_fake_token_never_printed"
FOLDER = "content/consultations/exemple/contributions"
RECEIVED = datetime.now(timezone.utc) - timedelta(hours=1)

FAKE_GH = """#!{python}
import json, os, sys
from pathlib import Path
state = Path(os.environ["FAKE_GH_STATE"])
args = sys.argv[1:]
if not os.environ.get("GH_TOKEN"):
    sys.exit("gh: GH_TOKEN is not set")
entry = {{"args": args}}
if "--body-file" in args:
    entry["body"] = Path(args[args.index("--body-file") + 1]).read_text(encoding="utf-8")
with (state / "calls.jsonl").open("a", encoding="utf-8") as log:
    log.write(json.dumps(entry) + "\\n")
if len(entry.get("body", "")) > 65536:
    sys.exit("GraphQL: Body is too long (maximum is 65536 characters) (createPullRequest)")
if args[:2] == ["pr", "list"]:
    print((state / "pr").read_text() if (state / "pr").exists() else "")
elif args[:2] == ["pr", "create"]:
    (state / "pr").write_text("1")
    print("https://github.example/o/r/pull/1")
"""


def git(root: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Modératrice", GIT_AUTHOR_EMAIL="m@example.org",
               GIT_COMMITTER_NAME="Modératrice", GIT_COMMITTER_EMAIL="m@example.org")
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


@dataclass
class Run:
    steps: list[tuple[str, int, str]] = field(default_factory=list)  # (name, exit code, stdout + stderr)

    @property
    def ok(self) -> bool:
        return all(code == 0 for _, code, _ in self.steps)

    @property
    def log(self) -> str:
        return "\n".join(output for _, _, output in self.steps)


class Actions:
    """A GitHub runner for the shipped workflow, against one bare origin and one inbox."""

    def __init__(self, work: Path, inbox_url: str, pull_url: str = "", pull_token: str = ""):
        self.work = work
        self.origin = work / "origin.git"
        self.inbox_url = inbox_url
        self.pull_url, self.pull_token = pull_url, pull_token  # the handler's export, when set
        self.runs = 0
        self.bin = work / "bin"
        self.bin.mkdir()
        (self.bin / "gh").write_text(FAKE_GH.format(python=sys.executable))
        (self.bin / "consult").write_text(f"#!/bin/sh\nexec {sys.executable} -m consult \"$@\"\n")
        for tool in ("gh", "consult"):
            (self.bin / tool).chmod(0o755)
        self.gh_state = work / "gh"
        self.gh_state.mkdir()
        self.workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
        self._make_origin()

    def _make_origin(self) -> None:
        site = self.work / "init"
        init_site(site)
        git(site, "init", "-q", "-b", "main")
        git(site, "add", ".")
        git(site, "commit", "-q", "-m", "consult init")
        subprocess.run(["git", "clone", "-q", "--bare", str(site), str(self.origin)], check=True)

    def expand(self, value: str) -> str:
        """The workflow's `${{ }}` expressions this runner knows; any other one fails the test."""
        known = {"github.ref_name": "main", "secrets.CONSULT_INBOX_URL": self.inbox_url,
                 "secrets.CONSULT_PR_TOKEN || github.token": TOKEN, "vars.CONSULT_PULL_URL": self.pull_url,
                 "secrets.CONSULT_PULL_TOKEN": self.pull_token}

        def one(match: re.Match[str]) -> str:
            assert match.group(1) in known, f"unknown expression {match.group(0)} in the workflow"
            return known[match.group(1)]

        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, str(value))

    def run(self, before: dict[str, Callable[[], None]] | None = None, stop_before: str | None = None) -> Run:
        """One job in a fresh clone; `before` hooks run before the named steps; `stop_before`
        kills the job there (its clone is thrown away, as a cancelled runner's is)."""
        self.runs += 1
        clone = self.work / f"runner-{self.runs}"
        subprocess.run(["git", "clone", "-q", str(self.origin), str(clone)], check=True)  # actions/checkout
        temp = self.work / f"runner-temp-{self.runs}"
        temp.mkdir()
        env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
        env.update({key: self.expand(value) for key, value in self.workflow["env"].items()})
        env.update(PATH=f"{self.bin}:{env['PATH']}", PYTHONPATH=str(REPO), GITHUB_RUN_ID=str(1000 + self.runs),
                   RUNNER_TEMP=str(temp), GITHUB_REF_NAME="main", CI="true", FAKE_GH_STATE=str(self.gh_state),
                   GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(self.work / "no-global-gitconfig"))
        run = Run()
        for step in self.workflow["jobs"]["pull"]["steps"]:
            name = step.get("name", step.get("uses", ""))
            if "uses" in step or step["run"].startswith("pip install"):
                continue  # checkout: the clone above; setup-python and pip: this interpreter
            if name == stop_before:
                break
            if before and name in before:
                before[name]()
            step_env = dict(env, **{key: self.expand(value) for key, value in step.get("env", {}).items()})
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                  cwd=clone, env=step_env, capture_output=True, text=True)
            run.steps.append((name, done.returncode, done.stdout + done.stderr))
            if done.returncode != 0:
                break
        return run

    def branch_files(self) -> dict[str, str]:
        """path -> text of every contribution file on the rolling branch of origin."""
        listing = git(self.origin, "ls-tree", "-r", "--name-only", BRANCH, "--", "content/consultations")
        return {path: git(self.origin, "show", f"{BRANCH}:{path}")
                for path in listing.split() if "/contributions/" in path}

    def gh_calls(self) -> list[dict[str, object]]:
        log = self.gh_state / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def moderator_edits(self, id_: str, status: str = "published") -> None:
        """A moderator publishes one contribution and pushes to the rolling branch."""
        clone = self.work / f"moderator-{self.runs}"
        subprocess.run(["git", "clone", "-q", "--branch", BRANCH, str(self.origin), str(clone)], check=True)
        path = clone / FOLDER / f"{id_}.md"
        path.write_text(path.read_text(encoding="utf-8").replace("status: pending", f"status: {status}"),
                        encoding="utf-8")
        git(clone, "commit", "-q", "-am", f"Publish {id_}")
        git(clone, "push", "-q", "origin", BRANCH)


class Citizens:
    """Submissions the handler acknowledged: rows committed in the inbox."""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox
        self.ids: list[str] = []

    def send(self, count: int, flags: str = "") -> list[str]:
        new = []
        for _ in range(count):
            n = len(self.ids)
            sub = Submission(id=f"20261115-{n:08d}", consultation="exemple", kind="suggestion", proposal=None,
                             title=f"Idée {n}", body=f"Mon idée numéro {n}.", author=f"Camille {n}",
                             received=RECEIVED, email=f"camille{n}@example.net", idem_key=f"k{n}",
                             body_hash=f"h{n}", flags=flags)
            assert self.inbox.add(sub) == ("created", sub.id)
            self.ids.append(sub.id)
            new.append(sub.id)
        return new


def ids_on(files: dict[str, str]) -> Counter[str]:
    return Counter(Path(path).stem for path in files)


@pytest.fixture
def secret_inbox_url(inbox_url: str) -> str:
    """The inbox URL as a repository secret holds it: PostgreSQL's with a password (the test
    server trusts local connections, so the password is carried but never checked)."""
    return inbox_url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")


def test_a_refused_push_and_killed_jobs_lose_nothing_and_double_nothing(disk_dir: Path, secret_inbox_url: str) -> None:
    actions = Actions(disk_dir, secret_inbox_url)
    inbox = open_inbox(secret_inbox_url)
    citizens = Citizens(inbox)
    citizens.send(4)
    first = actions.run()
    assert first.ok, first.log
    assert set(ids_on(actions.branch_files())) == set(citizens.ids)

    # A moderator pushes to the rolling branch while the next job runs: its first push is refused.
    citizens.send(3)
    edited = citizens.ids[0]
    second = actions.run(before={PUSH_STEP: lambda: actions.moderator_edits(edited)})
    assert second.ok, second.log
    assert "The push was refused (attempt 1)" in second.log

    # Two jobs in a row killed between `consult pull` and the push: their clones are gone.
    for _ in range(2):
        citizens.send(2)
        killed = actions.run(stop_before=PUSH_STEP)
        assert killed.ok and [name for name, _, _ in killed.steps][-1] == "consult pull", killed.log
    citizens.send(1, flags="too-fast")
    last = actions.run()
    assert last.ok, last.log

    files = actions.branch_files()
    assert ids_on(files) == Counter({id_: 1 for id_ in citizens.ids})  # every one, exactly once
    assert "status: published" in files[f"{FOLDER}/{edited}.md"]  # the moderator's edit is kept
    assert "flags:\n- too-fast\n" in files[f"{FOLDER}/{citizens.ids[-1]}.md"]

    quiet = actions.run()  # confirms what the last push delivered; nothing new to push
    assert quiet.ok and "Nothing new in the inbox." in quiet.log, quiet.log
    assert inbox.counts() == {"exported": len(citizens.ids)}
    assert actions.branch_files() == files

    calls = actions.gh_calls()
    assert [c["args"][:2] for c in calls if c["args"][:2] != ["pr", "list"]] == [["pr", "create"]] + [["pr", "comment"]] * 2
    logs = [run.log for run in (first, second, last, quiet)] + [json.dumps(calls), git(actions.origin, "log", "-p", "--all")]
    for secret in (PASSWORD, TOKEN, "camille0@example.net"):
        assert not any(secret in text for text in logs), secret
    inbox.close()


def test_an_erased_contribution_leaves_the_rolling_branch_for_good(disk_dir: Path, inbox_url: str) -> None:
    actions = Actions(disk_dir, inbox_url)
    inbox = open_inbox(inbox_url)
    citizens = Citizens(inbox)
    citizens.send(3)
    assert actions.run().ok
    erased = citizens.ids[1]
    assert inbox.erase(erased, datetime.now(timezone.utc))  # what `consult erase` does to the inbox
    update = actions.run()
    assert update.ok, update.log
    assert set(ids_on(actions.branch_files())) == set(citizens.ids) - {erased}
    assert "1 file(s) removed: their contributions were erased" in actions.gh_calls()[-1]["body"]  # type: ignore[operator]
    citizens.send(1)
    assert actions.run().ok and actions.run().ok
    assert set(ids_on(actions.branch_files())) == set(citizens.ids) - {erased}
    inbox.close()


@pytest.mark.parametrize("inbox_url", ["sqlite"], indirect=True)
def test_two_thousand_contributions_open_a_pull_request_github_accepts(disk_dir: Path, inbox_url: str) -> None:
    actions = Actions(disk_dir, inbox_url)
    inbox = open_inbox(inbox_url)
    citizens = Citizens(inbox)
    citizens.send(1990)
    flagged = citizens.send(10, flags="no-token,rate")
    run = actions.run()
    assert run.ok, run.log
    [create] = [c for c in actions.gh_calls() if c["args"][:2] == ["pr", "create"]]
    body = str(create["body"])
    assert len(body) < 65_536
    assert body.index(flagged[0]) < body.index("### By consultation and kind") < body.index("### Not flagged (1990)")
    assert "Envoyé sans le jeton de temps du formulaire" in body and "… and " in body
    assert "Camille" not in body and "Mon idée" not in body and "@example.net" not in body
    assert len(ids_on(actions.branch_files())) == 2000
    inbox.close()


def test_with_consult_pull_url_the_workflow_pulls_through_the_handler_export(disk_dir: Path) -> None:
    """An SQLite inbox on the handler's machine, reached only through /api/export: the same
    replay (killed jobs, then a quiet run) delivers every row once, and no secret is printed."""
    from tests.test_export import TOKEN as PULL_TOKEN, start_handler

    handler, server = start_handler(disk_dir)
    try:
        actions = Actions(disk_dir, "", pull_url=handler.url, pull_token=PULL_TOKEN)
        citizens = Citizens(handler.inbox)
        citizens.send(3)
        first = actions.run()
        assert first.ok, first.log
        citizens.send(2)
        killed = actions.run(stop_before=PUSH_STEP)
        assert killed.ok, killed.log
        held = Submission(id="20261115-held0001", consultation="exemple", kind="suggestion", proposal=None,
                          title="x", body="x", author="", received=RECEIVED, idem_key="held", body_hash="held",
                          quarantine="honeypot", flags="honeypot")
        assert handler.inbox.add(held)[0] == "created"
        last = actions.run()
        assert last.ok, last.log
        quiet = actions.run()
        assert quiet.ok and "Nothing new in the inbox." in quiet.log, quiet.log
        assert ids_on(actions.branch_files()) == Counter({id_: 1 for id_ in citizens.ids})
        assert handler.inbox.counts() == {"exported": len(citizens.ids), "held": 1}
        assert any(path == "/api/export" for _, path, _ in handler.gate.seen)
        logs = [run.log for run in (first, killed, last, quiet)] + [git(actions.origin, "log", "-p", "--all")]
        for secret in (PULL_TOKEN, "camille0@example.net"):
            assert not any(secret in text for text in logs), secret
    finally:
        server.shutdown()
        server.server_close()
        handler.inbox.close()

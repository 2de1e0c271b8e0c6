"""consult check beyond the build: contradictions, leftovers of `consult init`, ignored files,
and the next moment the built pages go stale."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from click.testing import CliRunner

from consult.cli import cli
from consult.lint import next_status_change
from consult.scaffold import skeleton_dir
from tests.helpers_site import NOW, PARIS, consultation


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=PARIS)


def test_the_next_status_change_is_the_earliest_opening_or_closing_to_come() -> None:
    closed = consultation("old", at("2026-01-01"), at("2026-02-01"))
    open_ = consultation("velo", at("2026-11-01"), at("2027-01-31T23:59:59"))
    upcoming = consultation("budget", at("2027-01-15"), at("2027-03-01"))
    change = next_status_change((closed, open_, upcoming), NOW)
    assert change is not None and (change.consultation.slug, change.event) == ("budget", "opens")
    change = next_status_change((closed, open_, upcoming), at("2027-01-20"))
    assert change is not None and (change.consultation.slug, change.event) == ("velo", "closes")
    assert next_status_change((closed,), NOW) is None


def test_check_prints_when_the_pages_must_next_be_rebuilt(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    CliRunner().invoke(cli, ["init", str(site)], catch_exceptions=False)
    result = CliRunner().invoke(cli, ["-C", str(site), "check", "--now", "2025-12-31T12:00"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.splitlines()[-2:] == [
        "Prochain changement d'état\u00a0: «\u00a0Exemple de consultation\u00a0» ouvre le 1er janvier 2026 à 0 h 00.",
        "L'état d'une consultation est figé dans les pages au moment où le site est construit\u00a0: reconstruisez-le "
        "à cette date (dans un site fait par consult init, le workflow .github/workflows/consult-rebuild.yml le fait "
        "chaque nuit).",
    ]
    later = CliRunner().invoke(cli, ["-C", str(site), "check", "--now", "2031-01-01T12:00"], catch_exceptions=False)
    assert later.output.startswith("OK\u00a0: 1 consultation, 1 proposition, ") and "Prochain" not in later.output


def test_the_new_site_rebuilds_every_night_just_after_midnight_in_france() -> None:
    workflow = yaml.safe_load((skeleton_dir() / ".github/workflows/consult-rebuild.yml").read_text(encoding="utf-8"))
    crons = [entry["cron"] for entry in workflow[True]["schedule"]]  # YAML 1.1 reads the key `on` as True
    steps = workflow["jobs"]["rebuild"]["steps"]
    assert "${{ secrets.NETLIFY_BUILD_HOOK }}" in str(steps) and "curl --fail" in str(steps)
    for day in ("2027-01-15", "2027-07-15"):  # winter time and summer time
        runs = []
        for cron in crons:
            minute, hours = cron.split()[:2]
            for hour in hours.split(","):
                moment = datetime.fromisoformat(f"{day}T{int(hour):02d}:{int(minute):02d}").replace(tzinfo=timezone.utc)
                runs.append(moment.astimezone(ZoneInfo("Europe/Paris")))
        assert any(run.hour == 0 and run.minute < 30 for run in runs), (day, runs)

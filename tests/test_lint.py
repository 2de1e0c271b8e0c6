"""consult check beyond the build: contradictions, leftovers of `consult init`, ignored files,
and the next moment the built pages go stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from consult.cli import cli
from consult.config import parse_config
from consult.content.files import parse_proposal
from consult.document import parse_front_matter
from consult.errors import SourceError
from consult.lint import (
    check_history,
    check_ignored_files,
    check_requirements,
    decision_statuses,
    lint_site,
    next_status_change,
    unanswered,
)
from consult.scaffold import skeleton_dir
from tests.helpers_site import NOW, PARIS, consultation, make_site


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
    assert result.stdout.splitlines()[-2:] == [
        "Prochain changement d'état\u00a0: «\u00a0Exemple de consultation\u00a0» ouvre le 1er janvier 2026 à 0 h 00.",
        "L'état d'une consultation est figé dans les pages au moment où le site est construit\u00a0: reconstruisez-le "
        "à cette date (dans un site fait par consult init, le workflow .github/workflows/consult-rebuild.yml le fait "
        "chaque nuit).",
    ]
    later = CliRunner().invoke(cli, ["-C", str(site), "check", "--now", "2031-01-01T12:00"], catch_exceptions=False)
    assert later.stdout.startswith("OK\u00a0: 1 consultation, 1 proposition, ") and "Prochain" not in later.output


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


# --- contradictions in a proposal ---

STATUSES = ("recue", "a-l-etude", "retenue", "mise-en-oeuvre", "non-retenue")


def proposal_text(status: str, history: str, response: str = "Réponse.") -> str:
    return f"---\ntitle: P\nstatus: {status}\nhistory:\n{history}response: {response}\n---\nTexte.\n"


def history_problems(text: str) -> list[SourceError]:
    doc, _, problems = parse_front_matter(text, "p.md")
    assert not problems
    return check_history(doc, doc.data, STATUSES)


def test_a_proposal_agrees_with_its_history_or_says_where_it_does_not() -> None:
    steps = "  - date: 2026-11-02\n    status: recue\n  - date: 2026-11-10\n    status: retenue\n"
    assert history_problems(proposal_text("retenue", steps)) == []
    assert [str(p) for p in history_problems(proposal_text("a-l-etude", steps))] == [
        "p.md:3:9: status 'a-l-etude' is not the latest status of the history ('retenue' on 2026-11-10) "
        "(add a history entry for 'a-l-etude', or correct 'status')"]
    # the latest by date, as the page shows it, not the last written
    backwards = "  - date: 2026-11-10\n    status: retenue\n  - date: 2026-11-02\n    status: recue\n"
    assert [(p.line, p.message) for p in history_problems(proposal_text("retenue", backwards))] == [
        (7, "history dates are out of order: 2026-11-02 comes after 2026-11-10")]


_ENTRY = st.fixed_dictionaries({
    "date": st.sampled_from([date(2026, 11, 2), date(2026, 11, 10), datetime(2026, 11, 2, 9), datetime(2026, 11, 10, 18)]),
    "status": st.sampled_from(["recue", "retenue", "a-l-etude"]),
})


@given(st.lists(_ENTRY, max_size=5), st.sampled_from(["recue", "retenue", "a-l-etude"]))
def test_the_current_status_is_the_last_entry_of_the_latest_day(history: list[dict[str, object]], status: str) -> None:
    """The status the page shows (the history's latest day's entry, the last listed of that day), the first
    date out of order: as the history's entries compare by day."""
    def day(value: object) -> object:
        return value.date() if isinstance(value, datetime) else value

    doc, _, _ = parse_front_matter(proposal_text(status, "  - {date: 2026-11-02, status: recue}\n"), "p.md")
    expected = []
    for index in range(1, len(history)):
        if day(history[index]["date"]) < day(history[index - 1]["date"]):
            expected.append(f"history dates are out of order: {history[index]['date']} comes after {history[index - 1]['date']}")
            break
    if history:
        last = max(reversed(history), key=lambda entry: day(entry["date"]))
        if last["status"] != status:
            expected.append(f"status '{status}' is not the latest status of the history ('{last['status']}' on {last['date']})")
    assert [p.message for p in check_history(doc, {"status": status, "history": history}, STATUSES)] == expected


def test_the_build_refuses_the_contradiction_once_and_not_on_top_of_an_unknown_status() -> None:
    config = parse_config("title: T\nbase_url: https://x.example.org\norganisation:\n  name: O\n")
    steps = "  - date: 2026-11-02\n    status: recue\n"
    record, problems = parse_proposal(proposal_text("retenue", steps), "p.md", "p", config)
    assert record is None and [p.message for p in problems] == [
        "status 'retenue' is not the latest status of the history ('recue' on 2026-11-02)"]
    _, problems = parse_proposal(proposal_text("retenu", steps), "p.md", "p", config)
    assert [p.message for p in problems] == ["unknown proposal status 'retenu'"]


def test_a_decision_without_a_response_is_a_warning_at_its_status_line() -> None:
    site = make_site()
    marche = site.consultation("marche")
    silent = replace(marche.proposals[0], response_html="")
    waiting = replace(marche.proposals[1], response_html="")  # 'recue': no answer expected yet
    site = replace(site, consultations=tuple(
        replace(c, proposals=(silent, waiting)) if c.slug == "marche" else c for c in site.consultations))
    assert unanswered(site) == [silent]
    config = parse_config("title: T\nbase_url: https://x.example.org\norganisation:\n  name: O\n")
    record, _ = parse_proposal(proposal_text("retenue", "  - date: 2026-11-02\n    status: retenue\n", '""'),
                               silent.source, silent.slug, config)
    assert record is not None and record.status_line == 3  # found when parsed, carried by the model
    site = replace(site, consultations=tuple(
        replace(c, proposals=(replace(silent, status_line=record.status_line), waiting)) if c.slug == "marche" else c
        for c in site.consultations))
    assert [str(p) for p in lint_site(site)] == [
        f"{silent.source}:3:9: warning: the proposal is 'retenue' but has no 'response' "
        "(say what was decided and why in 'response': citizens read it on its page)"]
    assert decision_statuses(STATUSES) == ("retenue", "mise-en-oeuvre", "non-retenue")
    assert decision_statuses(("ouverte", "acceptee", "close")) == ("close",)


# --- files the build would ignore ---


def test_markdown_files_the_build_would_ignore_are_reported() -> None:
    problems = check_ignored_files([
        ("content", ["notes.md"]),
        ("content/pages", ["contact.MD", "a-propos.md", ".brouillon.markdown", "logo.png"]),
        ("content/consultations/velo", ["index.md", "synthesis.md", "notes.markdown"]),
        ("content/consultations/velo/proposals", ["piste.markdown", "bancs.md"]),
        ("content/consultations/velo/reports", ["20260306-0000abcd.md"]),  # pull keeps reports here
    ])
    assert [(p.path, p.warning, p.hint) for p in problems] == [
        ("content/notes.md", True, "pages go in content/pages/, proposals in content/consultations/<slug>/proposals/"),
        ("content/pages/contact.MD", False, "rename it to content/pages/contact.md"),
        ("content/consultations/velo/proposals/piste.markdown", False,
         "rename it to content/consultations/velo/proposals/piste.md"),
    ]


# --- leftovers of consult init ---


def test_a_new_site_lists_what_is_left_to_replace_and_a_strict_build_refuses_it(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    CliRunner().invoke(cli, ["init", str(site)], catch_exceptions=False)
    checked = CliRunner().invoke(cli, ["-C", str(site), "check"], catch_exceptions=False)
    assert checked.exit_code == 0 and checked.stdout.startswith("OK")
    warnings = checked.stderr.splitlines()
    assert "site.yaml:12:9: avertissement : « organisation.name » est encore l'exemple de consult init " \
           "('Nom de votre organisme') (remplacez-le par le vôtre)" in warnings
    assert any(line.startswith("site.yaml:15:18: avertissement : « organisation.contact_email »") for line in warnings)
    assert any(line.startswith("content/pages/mentions-legales.md:") for line in warnings)
    assert not any(line.startswith("requirements.txt") for line in warnings)
    strict = CliRunner().invoke(cli, ["-C", str(site), "build", "--strict"])
    assert strict.exit_code == 1 and not (site / "_site").exists()
    assert "site.yaml:12:9: « organisation.name » est encore l'exemple" in strict.stderr  # an error, not a warning
    built = CliRunner().invoke(cli, ["-C", str(site), "build"])
    assert built.exit_code == 0 and (site / "_site" / "index.html").is_file() and "avertissement :" in built.stderr
    # once replaced, nothing is said
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("Nom de votre organisme", "Mairie de Clairval"),
                      encoding="utf-8")
    again = CliRunner().invoke(cli, ["-C", str(site), "check"], catch_exceptions=False)
    assert "Nom de votre organisme" not in again.stderr and "« organisation.url »" in again.stderr


def test_a_site_made_before_the_package_index_is_told_to_pin_it() -> None:
    old = "# À compléter\nconsult[postgres] @ git+https://forge.example.org/outils/consult@v0.1.0\n"
    assert [str(p) for p in check_requirements(old)] == [
        "requirements.txt:2:1: warning: consult is installed from a placeholder address "
        "(write consult-static[postgres]==VERSION (the package index name))"]
    assert check_requirements("consult-static[postgres]==0.1.0\n") == []
    assert [p.said("fr") for p in check_requirements(old)] == [
        "requirements.txt:2:1: avertissement : consult est installé depuis une adresse d'exemple "
        "(écrivez consult-static[postgres]==VERSION (son nom dans l'index des paquets))"]


def test_check_warns_about_a_decision_without_a_response_and_still_passes(tmp_path: Path) -> None:
    site = tmp_path / "mairie"
    CliRunner().invoke(cli, ["init", str(site)], catch_exceptions=False)
    CliRunner().invoke(cli, ["-C", str(site), "new", "proposal", "Des bancs"], catch_exceptions=False)
    path = site / "content/consultations/exemple/proposals/des-bancs.md"
    path.write_text(path.read_text(encoding="utf-8").replace("recue", "non-retenue"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(site), "check"], catch_exceptions=False)
    assert result.exit_code == 0
    assert ("content/consultations/exemple/proposals/des-bancs.md:4:9: avertissement : la proposition est "
            "« non-retenue » mais n'a pas de « response »") in result.stderr


def test_a_decision_whose_response_is_dated_later_is_not_unanswered(tmp_path: Path) -> None:
    """A response written and dated later is embargoed, not missing: `check` lists the embargo and
    does not warn (the warning would send the editor to write what they already wrote)."""
    site = tmp_path / "mairie"
    CliRunner().invoke(cli, ["init", str(site)], catch_exceptions=False)
    CliRunner().invoke(cli, ["-C", str(site), "new", "proposal", "Des bancs"], catch_exceptions=False)
    path = site / "content/consultations/exemple/proposals/des-bancs.md"
    text = path.read_text(encoding="utf-8").replace("recue", "non-retenue")
    path.write_text(text.replace("\n---\n", "\nresponse: Pas cette année.\nresponse_date: 2099-01-04\n---\n", 1)
                    if text.startswith("---\n") else text, encoding="utf-8")
    assert "response_date: 2099-01-04" in path.read_text(encoding="utf-8")
    scheduled = CliRunner().invoke(cli, ["-C", str(site), "check"], catch_exceptions=False)
    assert scheduled.exit_code == 0 and "des-bancs.md" in scheduled.stdout + scheduled.stderr
    assert "n'a pas de « response »" not in scheduled.stderr
    # the day the response shows, it is there; the day before, it is scheduled: never "missing"
    path.write_text(path.read_text(encoding="utf-8").replace("2099-01-04", "2020-01-04"), encoding="utf-8")
    shown = CliRunner().invoke(cli, ["-C", str(site), "check"], catch_exceptions=False)
    assert "n'a pas de « response »" not in shown.stderr and "des-bancs.md" not in shown.stdout

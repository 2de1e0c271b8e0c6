"""Moderation edits only the decision lines; erase leaves a tombstone; the CLI commands."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli
from consult.config import require_config
from consult.document import dump_front_matter, parse_front_matter
from consult.errors import ConsultError
from consult.inbox import Submission, open_inbox
from consult.flags import describe
from consult.moderation import FULL_LIMIT, decide, erase, list_pending, set_status
from consult.pull import pull, render_contribution
from tests.conftest import copy_demo

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 20)


@pytest.fixture
def site(disk_dir: Path) -> Path:
    root = disk_dir / "site"
    root.mkdir()
    copy_demo(root)
    return root


def sub(n: int, **over: object) -> Submission:
    base = dict(id=f"20261115-{n:08d}", consultation="plan-velo", kind="suggestion", proposal=None,
                title=f"status: published\n---", body="status: published\n---\nreason: x", author="A",
                answers={"frequence": "Rarement ou jamais"}, received=NOW, idem_key=f"k{n}", body_hash="h",
                email="x@example.org")
    base.update(over)
    return Submission(**base)  # type: ignore[arg-type]


@pytest.fixture
def pulled(site: Path, disk_dir: Path) -> tuple[Path, str]:
    url = f"sqlite:///{disk_dir / 'inbox.sqlite3'}"
    box = open_inbox(url)
    for n in range(3):
        box.add(sub(n, title=f"Idée {n}"))
    pull(site, box, now=NOW)
    box.close()
    return site, url


def mine(site: Path) -> list:
    return [i for i in list_pending(site) if i.id.startswith("20261115-")]


def test_set_status_changes_only_the_decision_lines() -> None:
    text = render_contribution(sub(1, title="a\nstatus: published"), timezone.utc)
    rejected = set_status(text, "rejected", "hors-sujet")
    before, after = text.splitlines(), rejected.splitlines()
    changed = [line for line in after if line not in before]
    assert changed == ["status: rejected", "reason: hors-sujet"]
    assert [line for line in before if line not in after] == ["status: pending"]
    published = set_status(rejected, "published")
    assert published == text.replace("status: pending", "status: published")
    doc, body, problems = parse_front_matter(published, "x")
    assert problems == [] and body == "status: published\n---\nreason: x\n"


def test_list_approve_reject(pulled: tuple[Path, str]) -> None:
    site, _ = pulled
    items = mine(site)
    assert [i.title for i in items] == ["Idée 0", "Idée 1", "Idée 2"]
    decide(site, [items[0].id], "published")
    decide(site, [items[1].id], "rejected", "doublon", ("doublon",))
    assert [i.id for i in mine(site)] == [items[2].id]
    with pytest.raises(ConsultError, match="unknown reason"):
        decide(site, [items[2].id], "rejected", "nope", ("doublon",))
    with pytest.raises(ConsultError, match="needs --reason"):
        decide(site, [items[2].id], "rejected")
    with pytest.raises(ConsultError, match="not a contribution id"):
        decide(site, ["../../site"], "published")
    with pytest.raises(ConsultError, match="no contribution"):
        decide(site, ["20990101-zzzzzzzz"], "published")


def test_moderation_problems_are_said_in_french_too(pulled: tuple[Path, str]) -> None:
    """A moderator of a French site reads the problem in French; the code's words stay English."""
    site, _ = pulled
    items = mine(site)
    with pytest.raises(ConsultError) as caught:
        decide(site, [items[0].id], "rejected", "nope", ("doublon", "hors-sujet"))
    [problem] = caught.value.problems
    assert str(problem) == "unknown reason 'nope' (codes: doublon, hors-sujet)"
    assert problem.said("fr") == "motif inconnu « nope » (codes : doublon, hors-sujet)"
    with pytest.raises(ConsultError) as caught:
        list_pending(site, kind="coment")
    assert caught.value.render("fr") == "type inconnu « coment » (vouliez-vous dire « comment » ?)"
    with pytest.raises(ConsultError) as caught:
        list_pending(site, kind="zzz")
    assert caught.value.render("fr") == "type inconnu « zzz » (types : suggestion, proposal, comment, answers)"
    assert caught.value.render("en") == "unknown kind 'zzz' (kinds: suggestion, proposal, comment, answers)"


def test_decisions_keep_crlf_line_endings(pulled: tuple[Path, str]) -> None:
    """A file saved on Windows (CRLF) stays CRLF: the diff is the decision, not every line."""
    site, _ = pulled
    first, second = mine(site)[:2]
    path = site / first.path
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    result = CliRunner().invoke(cli, ["-C", str(site), "moderate", "reject", first.id, "--reason", "hors-sujet"])
    assert result.exit_code == 0, result.output
    rejected = path.read_bytes()
    today = datetime.now(require_config(site).tz).date().isoformat().encode()
    assert rejected == crlf.replace(b"status: pending\r\n",
                                    b"status: rejected\r\nreason: hors-sujet\r\ndecided: " + today + b"\r\n", 1)
    decide(site, [first.id], "published", today=DAY)  # the reason line goes, with its CRLF
    assert path.read_bytes() == crlf.replace(b"status: pending\r\n", b"status: published\r\ndecided: 2026-11-20\r\n", 1)
    other = site / second.path  # an LF file next to it stays LF
    lf = other.read_bytes()
    decide(site, [second.id], "published", today=DAY)
    assert other.read_bytes() == lf.replace(b"status: pending\n", b"status: published\ndecided: 2026-11-20\n", 1)


def test_erase_removes_file_and_row_and_pull_never_brings_it_back(pulled: tuple[Path, str]) -> None:
    site, url = pulled
    target = mine(site)[0]
    box = open_inbox(url)
    done = erase(site, box, target.id, NOW)
    assert f"removed {target.path}" in done and not (site / target.path).exists()
    assert box.get(target.id) is None and box.is_erased(target.id)
    report = pull(site, box, now=NOW)
    assert report.written == [] and not (site / target.path).exists()
    box.close()


def test_cli_commands(pulled: tuple[Path, str]) -> None:
    site, url = pulled
    runner = CliRunner()
    listed = runner.invoke(cli, ["-C", str(site), "moderate"])
    assert listed.exit_code == 0 and "20261115-00000002" in listed.output and "x@example.org" not in listed.output
    ids = [i.id for i in mine(site)]
    assert runner.invoke(cli, ["-C", str(site), "moderate", "approve", ids[0]]).exit_code == 0
    result = runner.invoke(cli, ["-C", str(site), "moderate", "reject", ids[1], "--reason", "hors-sujet"])
    assert result.exit_code == 0 and result.output == f"refusée\u00a0: content/consultations/plan-velo/contributions/{ids[1]}.md\n"
    bad = runner.invoke(cli, ["-C", str(site), "moderate", "reject", ids[2], "--reason", "nope"])
    assert bad.exit_code == 1 and "motif inconnu « nope »" in bad.output
    pulled_again = runner.invoke(cli, ["-C", str(site), "pull", "--inbox", url])
    assert pulled_again.exit_code == 0 and "0 nouvelle(s) contribution(s)" in pulled_again.output
    erased = runner.invoke(cli, ["-C", str(site), "erase", ids[2], "--inbox", url])
    assert erased.exit_code == 0 and "tombstone" in erased.output


# --- what a moderator reads: everything, flags first, nothing that can drive the terminal ---

LONG = "Une piste protégée rue Haute, " * 12  # well over the old 120-character cut


def write_pending(site: Path, n: int, consultation: str = "plan-velo", **front: object) -> str:
    id_ = f"20261116-{n:08d}"
    data: dict[str, object] = {"id": id_, "kind": "suggestion", "submitted": NOW, "status": "pending", **front}
    body = str(data.pop("body", LONG))
    path = site / "content" / "consultations" / consultation / "contributions" / f"{id_}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_front_matter(data, body), encoding="utf-8")
    return id_


def moderate(site: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-C", str(site), "moderate", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_few_contributions_are_shown_whole_with_every_answer(pulled: tuple[Path, str]) -> None:
    site, _ = pulled
    write_pending(site, 1, title="Rue Haute", author="Camille",
                  answers={"frequence": "Rarement ou jamais", "freins": ["La sécurité", "Le stationnement"]})
    out = moderate(site, "--consultation", "plan-velo")
    assert " ".join(LONG.split()) in " ".join(out.split())  # the whole text, not 120 characters
    assert "À quelle fréquence vous déplacez-vous à vélo dans Clairval ?\n        Rarement ou jamais" in out
    assert "        La sécurité, Le stationnement" in out
    assert "Auteur\u00a0: Camille" in out and "Titre\u00a0: Rue Haute" in out
    assert "Textes abrégés" not in out


def test_many_contributions_are_abridged_and_say_how_to_read_them_whole(site: Path) -> None:
    for n in range(FULL_LIMIT + 1):
        write_pending(site, n)
    out = moderate(site, "--consultation", "plan-velo")
    total = len(list_pending(site, consultation="plan-velo"))
    assert total > FULL_LIMIT and f"{total} contributions en attente." in out and "consult moderate --full" in out
    assert LONG.strip() not in out and "…" in out
    full = moderate(site, "--full", "--consultation", "plan-velo")
    assert full.count(" ".join(LONG.split())[:200]) == FULL_LIMIT + 1 and "Textes abrégés" not in full
    shown = moderate(site, "show", "20261116-00000003")
    assert "20261116-00000003" in shown and "20261116-00000004" not in shown and LONG.split()[-1] in shown


def test_flags_come_first_with_their_meaning_and_the_filters_narrow_the_list(site: Path) -> None:
    plain = write_pending(site, 1, body="Rien à signaler.")
    flagged = write_pending(site, 2, body="Envoyé vite.", flags=["too-fast", "rate"])
    comment = write_pending(site, 3, kind="comment", proposal="x", body="Un commentaire.")
    other = write_pending(site, 4, consultation="parc-des-berges", body="Ailleurs.")
    items = list_pending(site)
    assert [i.id for i in items][:1] == [flagged] and {plain, comment, other} <= {i.id for i in items}
    out = moderate(site)
    assert out.index(flagged) < out.index(plain)
    assert "Signalements\u00a0:\n      ! too-fast: " + describe("too-fast", "fr") in out
    assert "! rate: " + describe("rate", "fr") in out
    assert [i.id for i in list_pending(site, flagged=True)] == [flagged]
    assert [i.id for i in list_pending(site, kind="comment")] == [comment]
    assert [i.id for i in list_pending(site, consultation="parc-des-berges")] == [other]
    assert "sur x" in moderate(site, "--kind", "comment")
    with pytest.raises(ConsultError, match="unknown kind 'coment'"):
        list_pending(site, kind="coment")


def test_citizen_text_cannot_drive_the_terminal(site: Path) -> None:
    """Escape sequences, C1 controls and bidi overrides are shown as escapes, never sent raw; a
    newline in a one-line field cannot forge the lines that follow it."""
    write_pending(site, 1, title="Bon\nFichier : ailleurs.md", author="\u202eenilorac",
                  body="Texte\x1b[2J\x1b]0;titre\x07 caché\u2066x\u2069\x9b31m\r\n\tfin")
    out = moderate(site)
    assert not any(ch in out for ch in "\x1b\x07\x9b\r\u202e\u2066\u2069")
    assert "Titre\u00a0: Bon\\nFichier : ailleurs.md" in out and "Auteur\u00a0: \\u202eenilorac" in out
    assert "Texte\\x1b[2J\\x1b]0;titre\\x07 caché\\u2066x\\u2069\\x9b31m" in out and "\tfin" in out


def test_an_english_site_is_moderated_in_english(site: Path) -> None:
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: fr", "language: en"), encoding="utf-8")
    write_pending(site, 1, flags=["honeypot"], body="Hello.")
    out = moderate(site, "--flagged")
    assert "Flags:\n      ! honeypot: " + describe("honeypot", "en") in out and "1 pending contribution." in out


def test_erase_an_unknown_or_mistyped_id_erases_nothing_and_says_so(pulled: tuple[Path, str]) -> None:
    site, url = pulled
    files = sorted(p.name for p in site.rglob("*.md"))
    runner = CliRunner()
    for wrong in ("20261115-0000000", "20261115-zzzzzzzz", "../../site.yaml"):
        result = runner.invoke(cli, ["-C", str(site), "erase", wrong, "--inbox", url])
        assert result.exit_code == 1 and "rien n'a été effacé" in result.output, result.output
    box = open_inbox(url)
    assert not box.is_erased("20261115-zzzzzzzz")  # no tombstone for a typo
    assert len(box.all()) == 3
    box.close()
    assert sorted(p.name for p in site.rglob("*.md")) == files


def test_erase_an_id_found_in_one_place_only(site: Path, disk_dir: Path) -> None:
    box = open_inbox(f"sqlite:///{disk_dir / 'inbox.sqlite3'}")
    box.add(sub(1))  # not pulled yet: only in the inbox
    assert erase(site, box, sub(1).id, NOW) == ["removed the inbox row and recorded a tombstone"]
    assert pull(site, box, now=NOW).written == []
    other = open_inbox(f"sqlite:///{disk_dir / 'other.sqlite3'}")  # pulled from another inbox: only a file here
    other.add(sub(2))
    pull(site, other, now=NOW)
    path = next(site.rglob(f"{sub(2).id}.md"))
    done = erase(site, box, sub(2).id, NOW)
    assert done[0].startswith("no inbox row") and not path.exists() and box.is_erased(sub(2).id)
    again = erase(site, box, sub(2).id, NOW)  # run twice: says what is already done, no error
    assert again == ["the inbox row was already erased (tombstone kept)"]
    box.close()
    other.close()


def test_erased_email_is_in_no_file_of_dot_consult(site: Path) -> None:
    """`consult erase` while the handler holds the inbox open: the e-mail is in no byte of
    .consult/ (database, -wal, -shm), the other e-mails still are."""
    folder = site / ".consult"
    url = f"sqlite:///{folder / 'inbox.sqlite3'}"  # the demo's forms.inbox
    box, handler = open_inbox(url), open_inbox(url)
    try:
        for n in range(5):
            box.add(sub(n, email=f"person{n}@example.org"))
        pull(site, box, now=NOW)
        handler.get(sub(0).id)

        def holding(needle: bytes) -> list[str]:
            return sorted(p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())

        assert holding(b"person1@example.org")
        result = CliRunner().invoke(cli, ["-C", str(site), "erase", sub(1).id])
        assert result.exit_code == 0, result.output
        assert holding(b"person1@example.org") == []
        assert holding(b"person2@example.org") == ["inbox.sqlite3"]
    finally:
        handler.close()
        box.close()


def test_flag_filter_and_the_spans_that_triggered_each_flag(site: Path) -> None:
    """`--flag CODE` narrows the list; under each detector flag, the exact span (re-detected on the
    file, escaped for the terminal) or the near-duplicate's id."""
    (site / "moderation.words").write_text("arnaque\n", encoding="utf-8")
    email = write_pending(site, 1, title="Une ARNAQUE", body="Écrivez à zoe@exemple.fr\x1b[2J ou au 06 12 34 56 78.",
                          flags=["personal-email", "personal-phone", "listed-word"],
                          answers={"frequence": "appelez le 01 42 68 53 00"})
    copy = write_pending(site, 2, body="Un texte.", flags=["near-duplicate"], duplicate_of="20261116-00000001")
    write_pending(site, 3, body="Rien.", flags=["too-fast"])
    assert [i.id for i in list_pending(site, flag="personal-email")] == [email]
    out = moderate(site, "--flag", "personal-email")
    assert copy not in out and "20261116-00000003" not in out
    assert "! personal-email: " + describe("personal-email", "fr") + "\n          Texte [10-24]: «zoe@exemple.fr»" in out
    assert "Texte [35-49]: «06 12 34 56 78»" in out and "\x1b" not in out
    assert "Titre [4-11]: «ARNAQUE»" in out
    assert "Clairval ? [11-25]: «01 42 68 53 00»" in out  # in an answer, named by its question's label
    shown = moderate(site, "show", copy)
    assert "! near-duplicate: " + describe("near-duplicate", "fr") + "\n          duplicate_of: 20261116-00000001" in shown
    with pytest.raises(ConsultError, match="unknown flag 'personal-mail'"):
        list_pending(site, flag="personal-mail")

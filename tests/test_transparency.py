"""The public moderation report: golden figures from a set of files, on the page and in the open
data, and nothing of a rejected text or of a person."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from consult.build import build_site
from consult.transparency import duration
from tests.conftest import site_with_proposals

FOLDER = "content/consultations/exemple/contributions"
# (id, status, reason, submitted, decided, decided_by, flags, text)
FILES = [
    ("20260301-aaaaaaa1", "published", "", "2026-03-01 10:00:00+01:00", "2026-03-01 12:00:00+01:00", "", [], "Bonne idée"),
    ("20260301-aaaaaaa2", "published", "", "2026-03-01 10:00:00+01:00", "2026-03-01 10:00:30+01:00", "auto", [], "Oui"),
    ("20260301-aaaaaaa3", "published", "", "2026-03-01 10:00:00+01:00", "", "", ["reported"], "Contesté"),
    ("20260301-aaaaaaa4", "rejected", "hors-sujet", "2026-03-01 10:00:00+01:00", "2026-03-04 10:00:00+01:00", "",
     ["too-fast", "links"], "SECRET-REJETE-1 achetez ici"),
    ("20260301-aaaaaaa5", "rejected", "hors-sujet", "2026-03-02 10:00:00+01:00", "2026-03-03 04:00:00+01:00", "",
     ["links"], "SECRET-REJETE-2"),
    ("20260301-aaaaaaa6", "rejected", "donnees-personnelles", "2026-03-02 10:00:00+01:00", "", "",
     ["personal-email"], "SECRET-REJETE-3 écrivez à zoe@example.net"),
    ("20260301-aaaaaaa7", "pending", "", "2026-03-05 10:00:00+01:00", "", "", ["near-duplicate"], "SECRET-ATTENTE"),
]


def write_files(root: Path) -> None:
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for id_, status, reason, submitted, decided, by, flags, text in FILES:
        lines = [f"id: {id_}", "kind: suggestion", "author: Zoé Secrète", f"submitted: {submitted}", f"status: {status}"]
        lines += [f"reason: {reason}"] if reason else []
        lines += [f"decided: {decided}"] if decided else []
        lines += [f"decided_by: {by}"] if by else []
        lines += ["flags:"] + [f"- {code}" for code in flags] if flags else []
        lines.append(f"title: Titre {id_[-1]}")
        (folder / f"{id_}.md").write_text("---\n" + "\n".join(lines) + "\n---\n" + text + "\n", encoding="utf-8")


def page_text(out: Path, path: str) -> str:
    import html
    import re

    markup = (out / path / "index.html").read_text(encoding="utf-8")
    main = markup[markup.index("<main"):markup.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).replace("\u00a0", " ").split())


def test_the_report_page_and_open_data_say_the_golden_figures_and_nothing_else(tmp_path: Path) -> None:
    root = site_with_proposals(tmp_path / "site", 0)
    write_files(root)
    out = tmp_path / "out"
    build_site(root, out=out)
    text = page_text(out, "consultations/exemple/moderation")
    # Decided: 2 h, 30 s, 72 h, 18 h -> median 10 h (the mean of 2 h and 18 h); a pending file has none.
    for golden in ("Reçues 7", "Publiées 3", "dont publiées aussitôt (modération a posteriori) 1",
                   "Refusées 3", "En attente de relecture 1", "Signalées par des participants 1",
                   "Délai médian entre l'envoi et la décision 10 heures",
                   "Délai médian calculé sur 4 contributions dont la date de décision est connue.",
                   "Hors sujet 2", "Données personnelles 1",
                   "Nombreux liens dans le texte (publicité ?) links 2",
                   "Envoyé très vite après l'affichage du formulaire (robot ?) too-fast 1",
                   "Presque identique à une autre contribution de la consultation (voir duplicate_of) near-duplicate 1",
                   "personal-email 1", "reported 1"):
        assert golden in text, golden
    markup = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".csv", ".json", ".xml"))
    for secret in ("SECRET-REJETE", "SECRET-ATTENTE", "zoe@example.net", "achetez", "20260301-aaaaaaa4"):
        assert secret not in markup, secret
    assert "Zoé Secrète" not in page_text(out, "consultations/exemple/moderation")

    rows = list(csv.DictReader(io.StringIO((out / "data" / "moderation.csv").read_text(encoding="utf-8"))))
    figures = {(r["figure"], r["code"]): r["value"] for r in rows if r["consultation"] == "exemple"}
    assert figures == {
        ("received", ""): "7", ("published", ""): "3", ("published_at_once", ""): "1", ("rejected", ""): "3",
        ("pending", ""): "1", ("reported", ""): "1", ("reported_kept", ""): "0", ("reported_unpublished", ""): "0",
        ("decided", ""): "4", ("median_decision_seconds", ""): "36000",
        ("rejected_for", "donnees-personnelles"): "1", ("rejected_for", "hors-sujet"): "2",
        ("flag", "links"): "2", ("flag", "near-duplicate"): "1", ("flag", "personal-email"): "1",
        ("flag", "reported"): "1", ("flag", "too-fast"): "1",
    }
    package = json.loads((out / "data" / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [r for r in package["resources"] if r["path"] == "moderation.csv"]
    assert [f["name"] for f in resource["schema"]["fields"]] == ["consultation", "figure", "code", "value"]

    consultation = (out / "consultations" / "exemple" / "index.html").read_text(encoding="utf-8")
    assert 'href="/consultations/exemple/moderation/"' in consultation
    charter = next(p for p in out.glob("*/index.html") if "charte" in p.parent.name)
    assert 'href="/consultations/exemple/moderation/"' in charter.read_text(encoding="utf-8")
    assert "/consultations/exemple/moderation/" in (out / "sitemap.xml").read_text(encoding="utf-8")


def write_report(root: Path, id_: str, target: str) -> None:
    folder = root / "content/consultations/exemple/reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{id_}.md").write_text(f"---\nid: {id_}\nkind: report\ntarget: '{target}'\nreason: hors-sujet\n"
                                      "submitted: 2026-03-06 10:00:00+01:00\n---\nSECRET-NOTE\n", encoding="utf-8")


def test_reports_count_what_a_person_did_with_them_kept_or_unpublished(tmp_path: Path) -> None:
    """A reported contribution is one a report in reports/ names or one still flagged `reported`; kept:
    published and the flag taken off (consult moderate keep); unpublished: rejected; each counted once."""
    root = site_with_proposals(tmp_path / "site", 0)
    write_files(root)
    write_report(root, "20260306-rrrrrrr1", "20260301-aaaaaaa1")  # kept: published, no flag left
    write_report(root, "20260306-rrrrrrr2", "20260301-aaaaaaa1")  # a second report on it: still one item
    write_report(root, "20260306-rrrrrrr3", "20260301-aaaaaaa4")  # unpublished
    write_report(root, "20260306-rrrrrrr4", "20260301-aaaaaaa3")  # still flagged: waiting for a person
    write_report(root, "20260306-rrrrrrr5", "")  # named nothing here (pull flagged it orphan): counts for none
    out = tmp_path / "out"
    build_site(root, out=out)
    text = page_text(out, "consultations/exemple/moderation")
    for golden in ("Signalées par des participants 3", "dont gardées après relecture 1",
                   "dont dépubliées après relecture 1"):
        assert golden in text, golden
    rows = list(csv.DictReader(io.StringIO((out / "data" / "moderation.csv").read_text(encoding="utf-8"))))
    figures = {r["figure"]: r["value"] for r in rows if r["consultation"] == "exemple" and not r["code"]}
    assert (figures["reported"], figures["reported_kept"], figures["reported_unpublished"]) == ("3", "1", "1")
    assert figures["received"] == "7"  # a report is not a contribution
    site = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.suffix in (".html", ".csv", ".json"))
    assert "SECRET-NOTE" not in site and "rrrrrrr" not in site


def test_an_empty_consultation_has_a_report_that_says_so(tmp_path: Path) -> None:
    root = site_with_proposals(tmp_path / "site", 0)
    out = tmp_path / "out"
    build_site(root, out=out)
    text = page_text(out, "consultations/exemple/moderation")
    assert "Reçues 0" in text and "non connu" in text and "Aucune contribution refusée." in text
    assert "Aucun signalement." in text and "publiées aussitôt" not in text


def test_durations_read_as_a_person_says_them() -> None:
    assert duration(None, "fr") == "non connu" and duration(59 * 60, "en") == "under an hour"
    assert duration(3600, "fr") == "1 heure" and duration(47 * 3600, "en") == "47 hours"
    assert duration(48 * 3600, "fr") == "2 jours" and duration(86400 * 10, "en") == "10 days"

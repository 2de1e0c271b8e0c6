"""A deterministic benchmark site: N consultations, P proposals, C contributions.

    python bench/corpus.py bench/_work/site-10k --consultations 20 --proposals 10000

The text is French-like filler of realistic length (a proposal is ~400 words with
headings, a list and links); the same seed always gives the same bytes, so runs
on different machines measure the same work.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

WORDS = (
    "la ville propose de aménager les rues du centre pour que les piétons et les cyclistes "
    "circulent en sécurité le conseil municipal a étudié plusieurs scénarios avec les habitants "
    "des quartiers nord et sud une piste cyclable protégée relierait la gare au lycée en moins "
    "de dix minutes les arbres plantés le long du boulevard apporteraient de l’ombre en été "
    "le budget participatif financerait une partie des travaux dès l’année prochaine "
    "les commerçants demandent des places de livraison mieux placées et un marché couvert "
    "les associations de parents souhaitent des rues scolaires fermées aux voitures aux heures "
    "d’entrée et de sortie des écoles la médiathèque resterait ouverte le dimanche matin "
    "un service de navettes électriques desservirait les hameaux éloignés du centre-bourg"
).split()
STATUSES = ("recue", "a-l-etude", "retenue", "mise-en-oeuvre", "non-retenue")
CATEGORIES = (("mobilite", "Mobilité"), ("environnement", "Environnement"), ("culture", "Culture"),
              ("education", "Éducation"), ("amenagement", "Aménagement"))


def sentence(rng: random.Random, low: int = 8, high: int = 20) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def proposal_body(rng: random.Random, index: int) -> str:
    """~400 words: three sections, a list, a few links."""
    parts = [paragraph(rng, 4)]
    for heading in ("Le constat", "Ce que nous proposons", "Calendrier et budget"):
        parts.append(f"## {heading}")
        parts.append(paragraph(rng, 5))
    parts.append("\n".join(f"- {sentence(rng, 4, 9)}" for _ in range(5)))
    parts.append(f"Voir aussi [le plan de mobilité](https://www.example.org/plan/{index}) et "
                 f"[la délibération du conseil](https://www.example.org/deliberations/{index % 97}.pdf). "
                 + paragraph(rng, 3))
    return "\n\n".join(parts) + "\n"


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_consultation(folder: Path, rng: random.Random, number: int, opens: date) -> None:
    folder.mkdir(parents=True)
    categories = "\n".join(f"  - id: {cid}\n    label: {label}" for cid, label in CATEGORIES)
    (folder / "index.md").write_text(
        f"---\ntitle: {quoted(f'Consultation {number} : ' + sentence(rng, 3, 6))}\n"
        f"summary: {quoted(sentence(rng))}\nopens: {opens.isoformat()}\n"
        f"closes: {(opens + timedelta(days=60)).isoformat()}\ncategories:\n{categories}\n"
        f"questions:\n  - id: priorite\n    label: \"Quelle est votre priorité ?\"\n    type: single\n"
        f"    choices: [Mobilité, Environnement, Culture]\n---\n\n{paragraph(rng, 6)}\n\n{paragraph(rng, 6)}\n",
        encoding="utf-8")


def write_proposal(path: Path, rng: random.Random, index: int) -> None:
    status = STATUSES[index % len(STATUSES)]
    history = "\n".join(
        f"  - date: {(date(2026, 1, 1) + timedelta(days=7 * step)).isoformat()}\n    status: {sid}"
        for step, sid in enumerate(STATUSES[: STATUSES.index(status) + 1]))
    response = ""
    if status in ("retenue", "non-retenue"):
        response = f"response: {quoted(paragraph(rng, 2))}\nresponse_date: 2026-03-01\n"
    path.write_text(
        f"---\ntitle: {quoted(f'Proposition {index} : ' + sentence(rng, 3, 7))}\n"
        f"summary: {quoted(sentence(rng))}\ncategory: {CATEGORIES[index % len(CATEGORIES)][0]}\n"
        f"status: {status}\nhistory:\n{history}\n{response}---\n\n{proposal_body(rng, index)}",
        encoding="utf-8")


def write_contribution(path: Path, rng: random.Random, ident: str, consultation: str, proposal: str | None) -> None:
    kind = "comment" if proposal else "suggestion"
    target = f"proposal: {proposal}\n" if proposal else f"title: {quoted(sentence(rng, 3, 8))}\n"
    day = date(2026, 2, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 50))
    path.write_text(
        f"---\nid: {ident}\nkind: {kind}\nconsultation: {consultation}\n{target}"
        f"author: {quoted(rng.choice(['Camille', 'Dominique', 'Sacha', '']))}\nsubmitted: {day.isoformat()}\n"
        f"status: published\n---\n\n{paragraph(rng, rng.randint(1, 4))}\n",
        encoding="utf-8")


def start_site(target: Path, consultations: int, rng: random.Random) -> list[str]:
    """A new site in `target` (replaced if it exists) with `consultations` consultations; their slugs."""
    from consult.scaffold import init_site

    if target.exists():
        shutil.rmtree(target)
    init_site(target)
    shutil.rmtree(target / "content" / "consultations")
    slugs = [f"consultation-{n:03d}" for n in range(1, consultations + 1)]
    for number, slug in enumerate(slugs, start=1):
        write_consultation(target / "content" / "consultations" / slug, rng, number, date(2026, 1, 1) + timedelta(days=number))
    return slugs


def generate(target: Path, consultations: int = 10, proposals: int = 1000, contributions: int = 0, seed: int = 1) -> Path:
    """Write the corpus into `target` (replaced if it exists); return it."""
    rng = random.Random(seed)
    slugs = start_site(target, consultations, rng)
    owners: list[tuple[str, str]] = []
    for index in range(1, proposals + 1):
        slug = slugs[index % consultations]
        name = f"proposition-{index:06d}"
        folder = target / "content" / "consultations" / slug / "proposals"
        folder.mkdir(exist_ok=True)
        write_proposal(folder / f"{name}.md", rng, index)
        owners.append((slug, name))
    for index in range(1, contributions + 1):
        ident = f"c{index:07d}"
        if owners and index % 3 == 0:
            slug, proposal = owners[rng.randrange(len(owners))]
        else:
            slug, proposal = slugs[index % consultations], None
        folder = target / "content" / "consultations" / slug / "contributions"
        folder.mkdir(exist_ok=True)
        write_contribution(folder / f"{ident}.md", rng, ident, slug, proposal)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--consultations", type=int, default=10)
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--contributions", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.target, args.consultations, args.proposals, args.contributions, args.seed)
    print(f"wrote {args.target}")


if __name__ == "__main__":
    main()

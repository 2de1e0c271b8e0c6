"""`consult themes SLUG`: suggestions that are deterministic, recover planted themes in a
generated corpus, make a codebook `consult check` accepts, and change only `tags:` lines."""

from __future__ import annotations

import difflib
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult.cli import cli
from consult.document import parse_front_matter
from consult.suggest import Text, lemma, suggest, terms
from tests.conftest import copy_demo

PLANTED = {
    "stationnement": ["arceaux", "abri", "garage", "stationnement", "antivol", "parking"],
    "eclairage": ["éclairage", "lampadaires", "nuit", "lumière", "sombre", "ampoules"],
    "bruit": ["bruit", "nuisances", "klaxons", "musique", "tapage", "sonores"],
    "proprete": ["déchets", "poubelles", "propreté", "ramassage", "ordures", "encombrants"],
    "transport": ["bus", "tramway", "horaires", "arrêt", "ligne", "correspondance"],
}
COMMON = ["quartier", "ville", "habitants", "rue", "mairie", "projet", "idée", "semaine", "matin", "voisins"]
RARE = ["girafe", "mandoline", "chapiteau", "boussole", "parapluie", "citronnier", "tabouret", "lanterne",
        "grenier", "violon", "cerisier", "horloge", "falaise", "moulin", "écharpe", "sablier"]
GLUE = ["je pense que", "il faudrait", "dans notre", "pour les", "avec des", "et aussi", "mais pas", "nous avons"]


def planted_corpus(seed: int, count: int = 120) -> tuple[list[Text], dict[str, set[str]]]:
    """`count` texts, each about one or two of five planted themes (two to four of its words),
    in filler made of stop words, common words of any text and rare words; the truth per theme."""
    rng = random.Random(seed)
    texts, truth = [], {theme: set() for theme in PLANTED}  # type: list[Text], dict[str, set[str]]
    for n in range(count):
        id_ = f"20260101-{n:08d}"
        themes = rng.sample(sorted(PLANTED), rng.choice([1, 1, 2]))
        words = [w for theme in themes for w in rng.sample(PLANTED[theme], rng.randint(2, 4))]
        words += rng.sample(COMMON, 3) + rng.sample(RARE, 2)
        rng.shuffle(words)
        text = " ".join(f"{rng.choice(GLUE)} {word}" for word in words) + "."
        texts.append(Text(id_, f"c/{id_}.md", text))
        for theme in themes:
            truth[theme].add(id_)
    return texts, truth


def recovery(texts: list[Text], truth: dict[str, set[str]]) -> tuple[dict[str, float], float]:
    """Each planted theme's best Jaccard with a suggested theme's tagged texts, and the F1 of the
    tags once each suggested theme is read as the planted theme it matches best."""
    found = suggest("c", texts)
    best = {}
    for planted, docs in truth.items():
        best[planted] = max((len(docs & set(t.tagged)) / len(docs | set(t.tagged)) for t in found.themes), default=0.0)
    as_planted = {t.id: max(truth, key=lambda p: (len(truth[p] & set(t.tagged)), p)) for t in found.themes}
    said = {(id_, as_planted[theme]) for id_, themes in found.tags.items() for theme in themes}
    real = {(id_, planted) for planted, docs in truth.items() for id_ in docs}
    precision = len(said & real) / len(said) if said else 0.0
    recall = len(said & real) / len(real)
    return best, 2 * precision * recall / (precision + recall) if said else 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_themes_are_recovered_from_a_generated_corpus(seed: int) -> None:
    """Each planted theme is one suggested theme (a planted theme split in two costs the single
    best match, not the F1), and a suggested theme mixes the words of two planted themes, or
    the filler, at most once (two rare words met by chance)."""
    texts, truth = planted_corpus(seed)
    best, f1 = recovery(texts, truth)
    assert all(score >= 0.7 for score in best.values()), best
    assert f1 >= 0.9, (f1, best)
    vocabulary = [{lemma(word) for word in words} for words in PLANTED.values()]
    found = suggest("c", texts).themes
    assert len(found) <= 8
    assert sum(not any(set(theme.terms) <= words for words in vocabulary) for theme in found) <= 1


def test_the_same_texts_give_the_same_suggestions_in_any_order() -> None:
    texts, _ = planted_corpus(7, 60)
    first = suggest("c", texts)
    for seed in range(3):
        shuffled = texts[:]
        random.Random(seed).shuffle(shuffled)
        again = suggest("c", shuffled)
        assert [(t.id, t.label, t.terms, t.tagged) for t in again.themes] == \
               [(t.id, t.label, t.terms, t.tagged) for t in first.themes]
        assert again.tags == first.tags


def test_words_are_folded_into_rough_french_lemmas_and_stop_words_dropped() -> None:
    assert {lemma(w) for w in ["piste", "Pistes", "PISTES"]} == {"piste"}
    assert lemma("sécurisées") == lemma("sécurisée") == lemma("sécurisé") == "securise"
    assert lemma("arceaux") == "arceau" and lemma("locaux") == "local"
    found, forms = terms("Les pistes cyclables de l’avenue ! Voir https://example.org/piste et a@b.fr.")
    assert found == ["piste", "cyclable", "piste cyclable", "avenue"]
    assert ("piste cyclable", "pistes cyclables") in forms


def themes(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), "themes", *args])
    return result.exit_code, result.output


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "content").rglob("*")) if p.is_file()}


def test_the_cli_writes_nothing_without_apply_and_is_the_same_whatever_the_file_order(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "a")
    before = files(site)
    code, out = themes(site, "parc-des-berges")
    assert code == 0, out
    assert files(site) == before
    assert "themes:" in out and "(rien n'est écrit sans --apply)" in out
    # The same contributions, written to disk in the reverse order: the same output.
    other = tmp_path / "b"
    copy_demo(other)
    folder = other / "content/consultations/parc-des-berges/contributions"
    saved = {p.name: p.read_bytes() for p in folder.glob("*.md")}
    for p in folder.glob("*.md"):
        p.unlink()
    for name in sorted(saved, reverse=True):
        (folder / name).write_bytes(saved[name])
    assert themes(other, "parc-des-berges") == (0, out)


def test_apply_writes_a_codebook_check_accepts_and_changes_only_tags_lines(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "site")
    before = files(site)
    code, out = themes(site, "parc-des-berges", "--apply")
    assert code == 0, out
    after = files(site)
    codebook = "content/consultations/parc-des-berges/codebook.yaml"
    assert codebook in after and codebook not in before
    changed = sorted(path for path in before if before[path] != after[path])
    assert changed and all("/contributions/" in path for path in changed)
    for path in changed:
        diff = [line for line in difflib.unified_diff(before[path].decode().splitlines(), after[path].decode().splitlines(),
                                                      lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert diff and all(line[1:].startswith("tags: [") for line in diff), diff
        old, old_body, _ = parse_front_matter(before[path].decode(), path)
        new, new_body, _ = parse_front_matter(after[path].decode(), path)
        assert {k: v for k, v in new.data.items() if k != "tags"} == old.data and new_body == old_body
        assert new.data["tags"], path
    result = CliRunner().invoke(cli, ["-C", str(site), "check"])
    assert result.exit_code == 0, result.output
    # Run again: the codebook is the same draft, the tags are there; nothing changes.
    assert themes(site, "parc-des-berges", "--apply")[0] == 0
    assert files(site) == after


def test_apply_never_writes_over_a_codebook_a_person_made(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "site")
    before = files(site)
    code, out = themes(site, "plan-velo", "--apply")
    assert code == 1 and "codebook.yaml existe déjà" in out and "rien n'a été écrit" in out
    assert files(site) == before


def test_a_consultation_without_published_text_or_unknown_is_a_clear_error(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "site")
    code, out = themes(site, "budget-participatif-2027")
    assert code == 1 and "pas de texte publié" in out
    code, out = themes(site, "nulle-part")
    assert code == 1 and "pas de consultation « nulle-part »" in out and "Traceback" not in out  # the demo: French

"""Detectors: a table of texts that must be flagged (with the exact span) and of texts that must not."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from consult.detect import (
    MAX_CANDIDATES, DuplicateIndex, Finding, Screening, codes, detect_contribution, detect_text, find_capitals,
    find_links, find_personal_data, find_repeated, load_index, parse_words,
)
from consult.flags import FLAGS

# (text, code, the exact span that must be reported)
TRUE_POSITIVES = [
    ("Écrivez-moi : jean.dupont@mairie-exemple.fr, merci.", "personal-email", "jean.dupont@mairie-exemple.fr"),
    ("contact: Zoé.Martin+velo@exemple.co.uk", "personal-email", "Zoé.Martin+velo@exemple.co.uk"),
    ("Appelez le 06 12 34 56 78 le soir", "personal-phone", "06 12 34 56 78"),
    ("Mon fixe : 01.42.68.53.00.", "personal-phone", "01.42.68.53.00"),
    ("joignable au +33 6 12 34 56 78", "personal-phone", "+33 6 12 34 56 78"),
    ("à Londres : +44 20 7946 0958", "personal-phone", "+44 20 7946 0958"),
    ("tél. 0612345678", "personal-phone", "0612345678"),
    ("Versez sur FR76 3000 6000 0112 3456 7890 189 merci", "personal-iban", "FR76 3000 6000 0112 3456 7890 189"),
    ("IBAN : DE89370400440532013000", "personal-iban", "DE89370400440532013000"),
    ("mon numéro de sécu 2 55 08 14 168 025 38 pour le dossier", "personal-nir", "2 55 08 14 168 025 38"),
    ("NIR 255081416802538", "personal-nir", "255081416802538"),
    ("né en Corse : 1 85 05 2A 004 011 71", "personal-nir", "1 85 05 2A 004 011 71"),
    ("Voir https://bit.ly/3xYz pour la pétition", "url-shortener", "https://bit.ly/3xYz"),
    ("lien www.tinyurl.com/abc", "url-shortener", "www.tinyurl.com/abc"),
    ("https://a.example.fr, http://b.example.fr et www.c.example.fr", "links",
     "https://a.example.fr, http://b.example.fr et www.c.example.fr"),
    ("  NON À LA PISTE CYCLABLE SUR LE QUAI, JAMAIS  ", "capitals", "NON À LA PISTE CYCLABLE SUR LE QUAI, JAMAIS"),
    ("C'est nooooooon", "repeated-chars", "ooooooo"),
    ("Scandaleux !!!!!!", "repeated-chars", "!!!!!!"),
]

# (text, a code that must NOT be found in it)
FALSE_POSITIVES = [
    ("Réunion le 01/12/2026 à 18h30", "personal-phone"),
    ("75001 Paris, 1 200 000 € sur 2026-2030", "personal-phone"),
    ("article L. 2121-29 du code général des collectivités", "personal-phone"),
    ("le compte FR76 3000 6000 0112 3456 7890 180 (clé fausse)", "personal-iban"),
    ("2 55 08 14 168 025 39 : la clé ne correspond pas", "personal-nir"),
    ("un numéro de dossier 123456789012345", "personal-nir"),
    ("écrire à la mairie (@mairie sur le réseau)", "personal-email"),
    ("le site https://www.service-public.fr explique tout", "links"),
    ("https://a.example.fr et https://b.example.fr", "links"),
    ("voir https://bitly.example.fr/page", "url-shortener"),
    ("La SNCF et la RATP doivent coopérer avec la métropole.", "capitals"),
    ("OUI !", "capitals"),
    ("Il y a eu 1000000 de passages", "repeated-chars"),
    ("Titre\n------\n......", "repeated-chars"),
    ("C'est coooool", "repeated-chars"),
]


@pytest.mark.parametrize("text, code, span", TRUE_POSITIVES)
def test_detector_finds_and_locates(text: str, code: str, span: str) -> None:
    found = [f for f in detect_text(text) if f.code == code]
    assert found, f"{code} not found in {text!r}"
    assert text[found[0].start:found[0].end] == span
    assert code in FLAGS  # consult check, moderate and the PR text know the code


@pytest.mark.parametrize("text, code", FALSE_POSITIVES)
def test_detector_does_not_flag(text: str, code: str) -> None:
    assert code not in codes(detect_text(text)), text


def test_a_phone_inside_an_iban_or_nir_is_not_reported_twice() -> None:
    text = "FR76 3000 6000 0112 3456 7890 189 et 2 55 08 14 168 025 38"
    assert [f.code for f in find_personal_data(text)] == ["personal-iban", "personal-nir"]


def test_links_counts_shortener_each_and_many_once() -> None:
    text = "http://bit.ly/a http://bit.ly/b https://exemple.fr"
    assert codes(find_links(text)) == ("url-shortener", "links")
    assert len([f for f in find_links(text) if f.code == "url-shortener"]) == 2


def test_capitals_and_repeated_edges() -> None:
    assert find_capitals("A" * 19) == [] and find_capitals("A" * 20)[0].end == 20
    assert find_repeated("aaaaa") == [] and find_repeated("aaaaaa") == [Finding("repeated-chars", 0, 6)]


WORDS = """# Liste du site : un mot ou une expression par ligne
connard
idiot utile   # une expression

"""


@pytest.mark.parametrize("text, span", [
    ("Quel CONNARD ce maire", "CONNARD"),
    ("un idiot  utile du système", "idiot  utile"),
    ("Élu Connard !", "Connard"),
])
def test_listed_words_found_whole_ignoring_case_accents_and_spaces(text: str, span: str) -> None:
    [found] = parse_words(WORDS).find(text)
    assert (found.code, text[found.start:found.end]) == ("listed-word", span)


@pytest.mark.parametrize("text", ["des connards", "un idiot", "utile", "# connard est commenté ailleurs".replace("connard", "con")])
def test_listed_words_false_positives(text: str) -> None:
    assert parse_words(WORDS).find(text) == []


def test_listed_words_accents_in_the_list_match_any_spelling() -> None:
    assert [f.code for f in parse_words("pétasse").find("PETASSE")] == ["listed-word"]
    assert parse_words("# rien\n\n").find("n'importe quoi") == []


def test_detect_contribution_names_the_field() -> None:
    found = detect_contribution("Appelez au 06 12 34 56 78", "Rien ici.", {"q1": "jean@exemple.fr", "q2": ["oui", "non"]})
    assert [(f.code, f.field) for f in found] == [("personal-phone", "title"), ("personal-email", "q1")]


# --- near-duplicates -------------------------------------------------------------------------------

BASE = ("Il faudrait installer des arceaux pour les vélos devant la gare et le long de la rue Haute, "
        "car aujourd'hui les cyclistes attachent leur vélo aux grilles et aux poteaux.")


@pytest.mark.parametrize("text", [
    BASE,
    BASE.upper(),
    BASE.replace("installer", "poser"),
    BASE + " Merci.",
    BASE.replace("vélos", "velos").replace("aujourd'hui", "aujourd hui"),
])
def test_near_duplicate_found_and_names_the_other(text: str) -> None:
    index = DuplicateIndex()
    index.add("20261101-aaaaaaaa", BASE)
    index.add("20261101-bbbbbbbb", "Une tout autre idée : fermer la rue aux voitures le dimanche matin pour les familles.")
    assert index.check("20261102-cccccccc", text) == Finding("near-duplicate", other="20261101-aaaaaaaa")


@pytest.mark.parametrize("text", [
    "Il faudrait installer des bancs devant la mairie et planter des arbres sur la place du marché.",
    "Il faudrait installer des arceaux.",  # too short to judge: short texts are legitimately alike
    BASE[: len(BASE) // 2] + " et puis surtout il faut des pistes séparées des voitures sur tout le boulevard.",
])
def test_near_duplicate_false_positives(text: str) -> None:
    index = DuplicateIndex()
    index.add("20261101-aaaaaaaa", BASE)
    assert index.check("20261102-cccccccc", text) is None


def test_near_duplicate_never_itself_and_indexes_what_it_checks() -> None:
    index = DuplicateIndex()
    assert index.check("20261101-aaaaaaaa", BASE) is None
    assert index.check("20261101-aaaaaaaa", BASE) is None  # the same id again: not its own duplicate
    assert index.check("20261101-bbbbbbbb", BASE) == Finding("near-duplicate", other="20261101-aaaaaaaa")
    assert len(index) == 2


def test_a_very_common_band_stays_bounded() -> None:
    """A thousand identical texts: each new one compares with at most MAX_CANDIDATES others."""
    index = DuplicateIndex()
    for n in range(1000):
        index.add(f"{n:08d}-aaaaaaaa", BASE)
    start = time.process_time()
    found = index.check("99999999-zzzzzzzz", BASE)
    assert found is not None and found.other == "00000000-aaaaaaaa"
    assert time.process_time() - start < 0.05
    assert MAX_CANDIDATES < 1000


def test_checking_against_a_huge_bucket_does_not_walk_it() -> None:
    """20,000 identical texts (a campaign, or bench/pull.py's corpus): each further check costs the
    same as against a few, not a walk through every member of the shared buckets."""
    index = DuplicateIndex()
    for n in range(20_000):
        index.add(f"{n:08d}-aaaaaaaa", BASE)
    start = time.process_time()
    for n in range(300):
        assert index.check(f"{n:08d}-zzzzzzzz", BASE) is not None
    assert time.process_time() - start < 0.6  # walking the buckets: 300 x 8 x 20,000 steps, several seconds


def test_duplicates_scale_linearly_5000_in_a_consultation() -> None:
    """5,000 texts, a tenth of them lightly edited copies: all copies found, in well under 5 s
    (bench/detect.py measures the rate; no pairwise comparison of all texts)."""
    rng = random.Random(7)
    vocab = [f"mot{i}" for i in range(4000)] + ["été", "vélo", "arbres", "école"]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(10, 120))) for _ in range(4500)]
    index = DuplicateIndex()
    start = time.process_time()  # CPU time: the test machine is shared
    for n, text in enumerate(texts):
        assert index.check(f"{n:08d}-aaaaaaaa", text) is None
    missed = 0
    for n, text in enumerate(texts[:500]):
        words = text.split()
        if len(words) >= 40:  # one word in forty changed: Jaccard well over the threshold
            words[len(words) // 2] = "changé"
        found = index.check(f"{n:08d}-bbbbbbbb", " ".join(words))
        missed += found is None or found.other != f"{n:08d}-aaaaaaaa"
    assert missed == 0
    assert time.process_time() - start < 5


def _contribution(folder: Path, id_: str, status: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{id_}.md").write_text(f"---\nid: {id_}\nkind: suggestion\nsubmitted: 2026-11-01\nstatus: {status}\n"
                                      f"title: Des arceaux\n---\n{body}\n", encoding="utf-8")


def test_screening_compares_with_published_and_pending_files_not_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "consultations" / "velo" / "contributions"
    _contribution(folder, "20261101-rrrrrrrr", "rejected", BASE)
    assert load_index(folder).check("20261102-cccccccc", "Des arceaux\n" + BASE) is None
    _contribution(folder, "20261101-pppppppp", "published", BASE)
    (folder / "20261101-broken0.md").write_text("---\nid: [unclosed\n---\n" + BASE)
    (tmp_path / "moderation.words").write_text("arceaux\n", encoding="utf-8")
    found = Screening(tmp_path).findings(folder, "20261102-cccccccc", "Des arceaux", BASE, {})
    assert [(f.code, f.other, f.field) for f in found] == [("listed-word", "", "title"), ("listed-word", "", "body"),
                                                           ("near-duplicate", "20261101-pppppppp", "")]


def test_the_skeleton_ships_an_example_word_list_with_no_word_active() -> None:
    from consult.detect import WORDS_FILE, load_words
    from consult.scaffold import skeleton_dir

    assert (skeleton_dir() / WORDS_FILE).is_file()
    assert load_words(skeleton_dir()).pattern is None
    assert load_words(Path("/nonexistent")).pattern is None


# --- the signature cache of load_index (.consult/signatures/) -------------------------------------

OTHER = ("Un texte tout à fait différent sur les bancs du parc et leur ombre en été, pour que les "
         "familles puissent s'asseoir près des jeux des enfants.")


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import consult.detect as detect

    read: list[str] = []
    original = detect.read_indexed
    monkeypatch.setattr(detect, "read_indexed", lambda path: read.append(path.name) or original(path))
    return read


def test_the_signature_cache_reads_only_new_or_changed_files_and_finds_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.detect import SIGNATURES_DIR

    folder = tmp_path / "content" / "consultations" / "velo" / "contributions"
    for n in range(5):
        _contribution(folder, f"20261101-0000000{n}", "published", OTHER + f" Numéro {n} de la série.")
    _contribution(folder, "20261101-pppppppp", "published", BASE)
    cold = load_index(folder, root=tmp_path)
    assert (tmp_path / SIGNATURES_DIR / "velo.pickle").is_file() and len(cold) == 6
    read = _counting_reads(monkeypatch)
    warm = load_index(folder, root=tmp_path)
    assert read == [] and len(warm) == 6
    found = warm.check("20261102-cccccccc", "Des arceaux\n" + BASE)  # the candidate's file is read for Jaccard
    assert found is not None and found.other == "20261101-pppppppp" and read == ["20261101-pppppppp.md"]
    assert load_index(folder).check("20261102-cccccccc", "Des arceaux\n" + BASE) == found  # as without a cache


def test_an_edited_file_is_read_again_and_a_deleted_one_drops_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "content" / "consultations" / "velo" / "contributions"
    _contribution(folder, "20261101-pppppppp", "published", BASE)
    _contribution(folder, "20261101-qqqqqqqq", "published", OTHER)
    load_index(folder, root=tmp_path)
    _contribution(folder, "20261101-pppppppp", "rejected", BASE)  # a moderator rejected it since
    read = _counting_reads(monkeypatch)
    assert load_index(folder, root=tmp_path).check("20261102-cccccccc", "Des arceaux\n" + BASE) is None
    assert read == ["20261101-pppppppp.md"]
    third = "Une troisième idée : des fontaines d'eau potable le long des pistes cyclables du centre-ville."
    _contribution(folder, "20261101-pppppppp", "published", third)  # published again, another text: edited
    found = load_index(folder, root=tmp_path).check("20261102-cccccccc", third)
    assert found is not None and found.other == "20261101-pppppppp"
    (folder / "20261101-pppppppp.md").unlink()
    read.clear()
    index = load_index(folder, root=tmp_path)
    assert read == [] and len(index) == 1
    found = index.check("20261102-cccccccc", OTHER)
    assert found is not None and found.other == "20261101-qqqqqqqq"


def test_a_damaged_or_foreign_cache_is_ignored_and_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.detect import SIGNATURES_DIR

    folder = tmp_path / "content" / "consultations" / "velo" / "contributions"
    _contribution(folder, "20261101-pppppppp", "published", BASE)
    load_index(folder, root=tmp_path)
    cache = tmp_path / SIGNATURES_DIR / "velo.pickle"
    good = cache.read_bytes()
    read = _counting_reads(monkeypatch)
    for damaged in (good[:-7], good[:40] + bytes([good[40] ^ 1]) + good[41:], b"", b"\x00" * 32 + b"junk"):
        cache.write_bytes(damaged)
        read.clear()
        found = load_index(folder, root=tmp_path).check("20261102-cccccccc", "Des arceaux\n" + BASE)
        assert found is not None and found.other == "20261101-pppppppp" and read == ["20261101-pppppppp.md"]
        assert cache.read_bytes() == good


# --- the same near-duplicates as the all-in-memory index (issue 17) ------------------------------


class ReferenceIndex:
    """DuplicateIndex as it was before issue 17, every text's shingles in memory: what the
    file-backed index must find, flag for flag, on the same texts in the same order."""

    def __init__(self) -> None:
        self._buckets: dict[int, list[str]] = {}
        self._shingles: dict[str, frozenset[int]] = {}

    def add(self, id_: str, text: str) -> None:
        from consult.detect import _bands, shingles

        hashes = shingles(text)
        if hashes and id_ not in self._shingles:
            self._shingles[id_] = hashes
            for band in _bands(hashes):
                self._buckets.setdefault(band, []).append(id_)

    def check(self, id_: str, text: str) -> Finding | None:
        from consult.detect import THRESHOLD, _bands, jaccard, shingles

        hashes = shingles(text)
        if not hashes:
            return None
        best: tuple[float, str] | None = None
        compared = 0
        seen: set[str] = {id_}
        for band in _bands(hashes):
            for other in self._buckets.get(band, ()):
                if compared >= MAX_CANDIDATES:
                    break
                if other in seen:
                    continue
                seen.add(other)
                compared += 1
                score = jaccard(hashes, self._shingles[other])
                if score >= THRESHOLD and (best is None or (-score, other) < (-best[0], best[1])):
                    best = (score, other)
                    if score == 1.0:
                        compared = MAX_CANDIDATES
        self.add(id_, text)
        return Finding("near-duplicate", other=best[1]) if best else None


def planted_corpus(count: int, seed: int = 17) -> list[tuple[str, str, dict[str, object]]]:
    """(title, body, answers) of `count` contributions: Zipf-like words from a 400-word vocabulary,
    a fifth near-copies of an earlier one (a word changed, added or cut), a campaign of identical
    texts longer than MAX_CANDIDATES, short texts, accents, emoji, line breaks, list answers."""
    rng = random.Random(seed)
    vocab = ["vélo", "été", "École", "rue", "piste", "l'arrêt", "Œuvre", "😀", "gare"] + [f"mot{i}" for i in range(391)]
    weights = [1 / rank for rank in range(1, len(vocab) + 1)]
    campaign = ("Nous demandons une piste cyclable protégée sur tout le boulevard, des deux côtés, "
                "avec des arceaux à chaque carrefour et un éclairage la nuit.")
    out: list[tuple[str, str, dict[str, object]]] = []
    for n in range(count):
        roll = rng.random()
        if n % 7 == 3:
            out.append(("Campagne", campaign, {}))
        elif out and roll < 0.2:
            title, body, copied = rng.choice(out)
            words = body.split(" ")
            edit = rng.randrange(3)
            if edit == 0:
                words[rng.randrange(len(words))] = rng.choice(vocab)
            elif edit == 1:
                words.insert(rng.randrange(len(words) + 1), rng.choice(vocab))
            elif len(words) > 1:
                del words[rng.randrange(len(words))]
            out.append((title, " ".join(words), copied))
        else:
            words = rng.choices(vocab, weights, k=rng.choice([3, 6, 12, 25, 40, 90]))
            if rng.random() < 0.2:
                words.insert(len(words) // 2, "\n\n")
            answers: dict[str, object] = {"frequence": rng.choice(["Souvent", "Rarement ou jamais"])}
            if rng.random() < 0.3:
                answers["themes"] = rng.sample(["sécurité", "vitesse", "stationnement"], 2)
            out.append((rng.choice(["", "Des arceaux", f"Idée {n}"]), " ".join(words), answers))
    return out


def test_the_file_backed_index_finds_what_the_in_memory_one_found(tmp_path: Path) -> None:
    """Texts checked in batches, each batch then written as files (`settle`) as pull does: every
    later comparison reads them back from their files, and every finding is the reference's,
    on a corpus with planted near-copies, after an existing folder loaded cold and then warm."""
    from consult.detect import duplicate_text
    from consult.inbox import Submission
    from consult.pull import render_contribution
    from datetime import datetime, timezone

    folder = tmp_path / "content" / "consultations" / "velo" / "contributions"
    folder.mkdir(parents=True)
    corpus = planted_corpus(1500)
    existing, new = corpus[:300], corpus[300:]

    def write(n: int, title: str, body: str, answers: Any) -> str:
        sub = Submission(id=f"20261115-{n:08d}", consultation="velo", kind="suggestion", proposal=None, title=title,
                         body=body, author="", answers=answers, received=datetime(2026, 11, 15, tzinfo=timezone.utc),
                         idem_key=f"k{n}", body_hash="h")
        (folder / f"{sub.id}.md").write_text(render_contribution(sub), encoding="utf-8")
        return sub.id

    reference = ReferenceIndex()
    for n, (title, body, answers) in enumerate(existing):
        reference.add(write(n, title, body, answers), duplicate_text(title, body, answers))
    expected = [reference.check(f"20261115-{n:08d}", duplicate_text(*texts)) for n, texts in enumerate(new, 300)]
    assert sum(f is not None for f in expected) > 250  # the planted copies and the campaign are there

    for warm in (False, True):  # no signature cache yet, then every existing file's signature cached
        index = load_index(folder, root=tmp_path)
        found, batch = [], []
        for n, (title, body, answers) in enumerate(new, 300):
            found.append(index.check(f"20261115-{n:08d}", duplicate_text(title, body, answers)))
            batch.append((n, title, body, answers))
            if len(batch) == 50:
                index.settle([write(*item) for item in batch])
                batch = []
        assert found == expected, f"warm={warm}"
        assert len(index._shingles) == len(batch)  # only the texts of the batch not yet written stay in memory
        for path in folder.glob("*.md"):
            if path.stem >= f"20261115-{300:08d}":
                path.unlink()


# --- the detectors' per-text work, cheaper, with the same results (issue 17) ---------------------

def test_folding_never_changes_whether_a_character_is_part_of_a_word() -> None:
    """`shingles` folds each word apart (cached) instead of the whole text: the same words only if
    `fold` keeps every character a word character exactly when it was one. Every code point."""
    import re
    import sys

    from consult.detect import _FOLD, fold

    word = re.compile(r"\w")
    kept = dict(_FOLD)
    try:
        assert [hex(code) for code in range(sys.maxunicode + 1)
                if (word.match(chr(code)) is None) != (word.match(fold(chr(code))) is None)] == []
    finally:  # fold's table keeps what it computed: not a million entries for the rest of the session
        _FOLD.clear()
        _FOLD.update(kept)


_TEXTS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200) | st.lists(
    st.sampled_from(["Élu", "élu", "ÉCOLE", "école", "vélo", "İstanbul", "ǅemal", "ﬁn", "œuvre", "a", "b", "2",
                     "_x", "e\u0301t\u00e9", "Straße", "😀", "-", ",", "\n"]), max_size=40).map(" ".join)


@given(_TEXTS)
def test_shingles_are_those_of_the_folded_text(text: str) -> None:
    import zlib

    from consult.detect import MIN_WORDS, SHINGLE, _WORD, fold, shingles

    words = _WORD.findall(fold(text))
    grams = [" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    assert shingles(text) == (frozenset(zlib.crc32(g.encode()) for g in grams) if len(words) >= MIN_WORDS else frozenset())


@given(st.text(alphabet="aaé-_ .*\n0😀", max_size=40) | _TEXTS)
def test_repeated_characters_are_found_as_before(text: str) -> None:
    """`find_repeated` skips its expression where no character runs six times: the same findings."""
    from consult.detect import REPEATED, Finding, find_repeated

    assert find_repeated(text) == [Finding("repeated-chars", m.start(), m.end()) for m in REPEATED.finditer(text)]

"""Detectors: why a moderator should look at a contribution's text, found without a person.

Each detector is a pure function `text -> list[Finding]`: a flag code of consult.flags and
the exact span (start, end) of `text` that triggered it. `detect_contribution` runs them on
every text of a contribution (title, body, answers) and says in which field. Nothing here
changes a text or decides anything: flags only ask for a person's attention.

`consult pull` writes the codes in the `flags:` list (and `duplicate_of:` for a near-duplicate);
`consult moderate` runs the detectors again on the text it shows, so the spans a moderator
reads are always those of the file as it is now, and no detected e-mail, phone number or
IBAN is ever copied anywhere else (a file, a pull request, a log).

Near-duplicates are found with MinHash over word 3-shingles and LSH banding
(`DuplicateIndex`): each text costs O(its length), whatever the number of texts already
indexed; only texts that share a band are compared exactly (Jaccard), at most
`MAX_CANDIDATES` of them.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
import yaml
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

from consult.layout import STATE_DIR
from consult.stamps import read_stamped, stamp_of, write_stamped

WORDS_FILE = "moderation.words"  # at the site root: one word or phrase a line, '#' comments


@dataclass(frozen=True)
class Finding:
    """A flag code and what triggered it: a span of one field's text, or another contribution."""

    code: str
    start: int = 0
    end: int = 0
    field: str = ""  # 'title', 'body' or an answer's question id (set by detect_contribution)
    other: str = ""  # near-duplicate: the other contribution's id


# --- personal data -------------------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?![\w-])")
# Candidates only: the country's length and the checksum are checked by python-stdnum.
IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", re.I)
# Sex, year, month (01-12, or 20-99 for unknown), department (2A/2B: Corsica), commune, order, key.
NIR = re.compile(r"\b[12] ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}\b", re.I)


# Seven digits or more, with the separators phone numbers are written with: a phone number may be there.
PHONE_DIGITS = re.compile(r"[0-9](?:[ .()/-]{0,3}[0-9]){6,}")


def find_emails(text: str) -> list[Finding]:
    if "@" not in text:  # the regex would try every word
        return []
    return [Finding("personal-email", m.start(), m.end()) for m in EMAIL.finditer(text)]


def find_ibans(text: str) -> list[Finding]:
    """IBANs whose country length and check digits are right (python-stdnum)."""
    found = []
    for match in IBAN.finditer(text):
        candidate = match.group()
        while candidate and not stdnum_iban.is_valid(candidate):  # the next word may have been taken
            candidate = candidate.rsplit(" ", 1)[0] if " " in candidate else ""
        if candidate:
            found.append(Finding("personal-iban", match.start(), match.start() + len(candidate)))
    return found


def find_nirs(text: str) -> list[Finding]:
    """French social security numbers (NIR) whose key (97 - number mod 97) is right."""
    return [Finding("personal-nir", m.start(), m.end()) for m in NIR.finditer(text) if stdnum_nir.is_valid(m.group())]


def find_phones(text: str, region: str = "FR") -> list[Finding]:
    """Valid phone numbers, French (06 12 34 56 78) or international (+44 20 7946 0958)."""
    if not PHONE_DIGITS.search(text):  # the matcher is slow; most texts have no run of digits at all
        return []
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    return [Finding("personal-phone", match.start, match.end) for match in matcher]


_DIGIT = re.compile(r"[0-9]")


def find_personal_data(text: str) -> list[Finding]:
    """E-mails, IBANs, NIRs, then phone numbers not inside one of those (their digits would match)."""
    if not _DIGIT.search(text):  # IBANs, NIRs and phone numbers all have digits; most texts none
        return find_emails(text)
    found = find_emails(text) + find_ibans(text) + find_nirs(text)
    taken = [(f.start, f.end) for f in found]
    found += [f for f in find_phones(text) if not any(f.start < end and start < f.end for start, end in taken)]
    return sorted(found, key=lambda f: f.start)


# --- form ----------------------------------------------------------------------------------------

LINK = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()\[\]]+", re.I)
LINKS_LIMIT = 3  # this many links or more in one text: flagged
SHORTENERS = frozenset({
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly",
    "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "s.id", "v.gd", "bl.ink", "lnkd.in", "shorte.st", "adf.ly",
})
CAPITALS_MIN_LETTERS = 20
CAPITALS_RATIO = 0.7
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))
# Six or more of the same character; not digits (1000000), spaces nor Markdown's rules and dots.
REPEATED = re.compile(r"([^\s0-9\-_=*.#~])\1{5,}")


def _host(link: str) -> str:
    rest = re.sub(r"^(?:https?://)?", "", link, flags=re.I)
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0].lower()
    return host[4:] if host.startswith("www.") else host


def find_links(text: str) -> list[Finding]:
    """`url-shortener` on each link to a shortener (the real target is hidden); `links` on the
    LINKS_LIMIT-th link when a text has that many (advertising, link farms)."""
    if "://" not in text and "www." not in text.lower():
        return []
    links = list(LINK.finditer(text))
    found = [Finding("url-shortener", m.start(), m.end()) for m in links if _host(m.group()) in SHORTENERS]
    if len(links) >= LINKS_LIMIT:
        found.append(Finding("links", links[0].start(), links[-1].end()))
    return found


def find_capitals(text: str) -> list[Finding]:
    """Text mostly in capitals (shouting): at least CAPITALS_RATIO of its letters, of at least
    CAPITALS_MIN_LETTERS letters (a short acronym-rich sentence is not shouting)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) - len(data.translate(None, _ASCII_LOWER)) > (1 - CAPITALS_RATIO) * len(text):
        return []  # a third of its characters are a-z already: not mostly capitals (and fast)
    letters = _LETTER.findall(text)
    if len(letters) < CAPITALS_MIN_LETTERS:
        return []
    upper = sum(map(str.isupper, letters))
    if upper / len(letters) < CAPITALS_RATIO:
        return []
    stripped = text.strip()
    start = text.index(stripped[0]) if stripped else 0
    return [Finding("capitals", start, start + len(stripped))]


# Any run of six same characters: three times cheaper for `re` than REPEATED (no class to test at
# each character), and most texts have none, so REPEATED runs only where it may find something.
_RUN = re.compile(r"(.)\1\1\1\1\1", re.S)


def find_repeated(text: str) -> list[Finding]:
    if _RUN.search(text) is None:
        return []
    return [Finding("repeated-chars", m.start(), m.end()) for m in REPEATED.finditer(text)]


# --- the site's word list ------------------------------------------------------------------------


class _Fold(dict[int, str]):
    """str.translate table: each character to its lower-case base letter, computed once."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0].lower()
        self[code] = base if len(base) == 1 else char
        return self[code]


_FOLD = _Fold()


def fold(text: str) -> str:
    """Lower case without accents, same length as `text` (so spans map back): 'Élu' -> 'elu'."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


@dataclass(frozen=True)
class WordList:
    """The site's words and phrases, matched whole, ignoring case and accents."""

    pattern: re.Pattern[str] | None

    def find(self, text: str) -> list[Finding]:
        if self.pattern is None:
            return []
        return [Finding("listed-word", m.start(), m.end()) for m in self.pattern.finditer(fold(text))]


def parse_words(text: str) -> WordList:
    """`moderation.words`: one word or phrase a line; blank lines and '#' comments ignored."""
    words = {fold(" ".join(line.split("#", 1)[0].split())) for line in text.splitlines()}
    words.discard("")
    if not words:
        return WordList(None)
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in sorted(words, key=len, reverse=True))
    return WordList(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"))


def load_words(root: Path) -> WordList:
    """The site's word list (empty when it has no `moderation.words`)."""
    path = root / WORDS_FILE
    return parse_words(path.read_text(encoding="utf-8")) if path.is_file() else WordList(None)


# --- one text, one contribution ------------------------------------------------------------------


def detect_text(text: str, words: WordList = WordList(None)) -> list[Finding]:
    """Every finding of every text detector, in the order of the text."""
    found = find_personal_data(text) + find_links(text) + find_capitals(text) + find_repeated(text) + words.find(text)
    return sorted(found, key=lambda f: (f.start, f.code))


def contribution_texts(title: str, body: str, answers: dict[str, object]) -> list[tuple[str, str]]:
    """(field, text) of a contribution: its title, body and free-text answers."""
    texts = [("title", title), ("body", body)]
    for qid, value in answers.items():
        values = value if isinstance(value, list) else [value]
        texts.append((str(qid), ", ".join(str(v) for v in values)))  # as `consult moderate` shows a list
    return [(name, text) for name, text in texts if text]


def detect_fields(texts: Iterable[tuple[str, str]], words: WordList = WordList(None)) -> list[Finding]:
    """Every finding in each (field, text), with its field."""
    return [Finding(f.code, f.start, f.end, name, f.other) for name, text in texts for f in detect_text(text, words)]


def detect_contribution(title: str, body: str, answers: dict[str, object],
                        words: WordList = WordList(None)) -> list[Finding]:
    """Every text finding of a contribution, each with its field."""
    return detect_fields(contribution_texts(title, body, answers), words)


def codes(findings: Iterable[Finding]) -> tuple[str, ...]:
    """The distinct codes, in the order found."""
    return tuple(dict.fromkeys(f.code for f in findings))


# --- near-duplicates -----------------------------------------------------------------------------

SHINGLE = 3  # words
MIN_WORDS = 8  # shorter texts ("Je suis pour.") are legitimately alike: never flagged
THRESHOLD = 0.8  # Jaccard similarity of shingle sets from which two texts are near-duplicates
BANDS, ROWS = 8, 4  # 32 MinHash bins; P(candidate) = 1 - (1 - J^4)^8: 0.98 at J=0.8, 0.02 at J=0.2
MAX_CANDIDATES = 64  # exact comparisons per text, at most (a very common band cannot go quadratic)
_EMPTY = 1 << 40  # above every crc32
_SHIFT = 1 << 32
_WORD = re.compile(r"\w+")


class _FoldedWords(dict[str, str]):
    """A word -> `fold(word)`, computed once: words recur from text to text (Zipf), and one dict
    lookup a word costs less than `fold`'s per-character table for the whole text."""

    def __missing__(self, word: str) -> str:
        if len(self) >= FOLDED_KEPT:  # a million texts' vocabulary would not stay small
            self.clear()
        folded = self[word] = fold(word)
        return folded


FOLDED_KEPT = 200_000
_FOLDED = _FoldedWords()


def shingles(text: str) -> frozenset[int]:
    """Hashes of the text's word 3-grams, case and accents ignored (empty under MIN_WORDS words).
    The words of `fold(text)` are the folded words of `text`: `fold` maps each character to one
    that is a word character exactly when it is (tested on every code point)."""
    words = _WORD.findall(text.lower()) if text.isascii() else list(map(_FOLDED.__getitem__, _WORD.findall(text)))
    if len(words) < MIN_WORDS:
        return frozenset()
    grams = zip(*(words[i:] for i in range(SHINGLE)))  # each run of SHINGLE words, in C loops
    return frozenset(map(zlib.crc32, map(str.encode, map(" ".join, grams))))


def _bands(hashes: frozenset[int]) -> tuple[int, ...]:
    """The MinHash signature cut into BANDS bands, each as one key: the hash of (its number, its
    ROWS values). Ints and tuples of ints hash the same in every run of one Python version (no
    random seed), so the keys may be kept in a cache (`SIGNATURES_VERSION` names the version).

    One-permutation hashing: each shingle hash falls in one of BANDS * ROWS bins by its low bits
    and each bin keeps its least value (one pass instead of one per hash function); an empty bin
    takes the value of the next full bin to its right, shifted by the distance (densification),
    so short texts have a full signature too."""
    size = BANDS * ROWS
    bins: list[int] = [_EMPTY] * size
    for value in hashes:
        slot = value % size
        if value < bins[slot]:
            bins[slot] = value
    if _EMPTY in bins:
        full = [i for i in range(size) if bins[i] != _EMPTY]
        for i in range(size):
            if bins[i] == _EMPTY:
                j = next((k for k in full if k > i), full[0])
                bins[i] = bins[j] + ((j - i) % size) * _SHIFT
    return tuple(hash((band, *bins[band * ROWS:(band + 1) * ROWS])) for band in range(BANDS))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


_NO_NEXT = array("i", [-1]) * BANDS


class _BandTable:
    """Band key -> the rows filed under it, first filed first: an open-addressing hash table
    (linear probing, at most half full) of keys and of the first and last entry filed under
    each, and a chain of entries (entry `row * BANDS + band` -> the next entry of its key), all in
    flat arrays: about 36 bytes a band where a dict of lists costs some 100 (issue 17: a
    consultation of a million texts has eight million bands)."""

    def __init__(self, slots: int = 1 << 12) -> None:
        self._mask = slots - 1
        self._keys = array("q", bytes(8 * slots))
        self._first = array("i", [-1]) * slots  # -1: an empty slot
        self._last = array("i", bytes(4 * slots))
        self._next = array("i")  # entry -> the next entry of its key, -1 at the end
        self._count = 0  # keys filed

    def rows(self, key: int) -> Iterator[int]:
        """The rows filed under `key`, first filed first."""
        entry = self._first[self._slot(key)]
        chain = self._next
        while entry >= 0:
            yield entry // BANDS
            entry = chain[entry]

    def add(self, row: int, bands: tuple[int, ...]) -> bool:
        """File `row` under each of its BANDS band keys; True when an earlier row is filed under one
        of them (else `row` has no candidate at all)."""
        if 2 * (self._count + BANDS) > len(self._first):  # room for BANDS new keys, at most half full
            self._grow()
        chain, keys, first, last, mask = self._next, self._keys, self._first, self._last, self._mask
        chain.extend(_NO_NEXT)
        entry = row * BANDS
        shared = False
        for key in bands:  # _slot, inlined: this runs eight times a text
            slot = key & mask
            while (head := first[slot]) >= 0 and keys[slot] != key:
                slot = (slot + 1) & mask
            if head >= 0:
                chain[last[slot]] = entry
                shared = True
            else:
                keys[slot] = key
                first[slot] = entry
                self._count += 1
            last[slot] = entry
            entry += 1
        return shared

    def _slot(self, key: int) -> int:
        """The slot of `key`, or the empty slot where it would go."""
        keys, first, mask = self._keys, self._first, self._mask
        slot = key & mask
        while first[slot] >= 0 and keys[slot] != key:
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        keys, first, last = self._keys, self._first, self._last
        size = 2 * len(first)
        self._mask = size - 1
        self._keys = array("q", bytes(8 * size))
        self._first = array("i", [-1]) * size
        self._last = array("i", bytes(4 * size))
        for slot, head in enumerate(first):
            if head >= 0:
                new = self._slot(keys[slot])
                self._keys[new], self._first[new], self._last[new] = keys[slot], head, last[slot]


class DuplicateIndex:
    """The texts of one consultation seen so far; `check` finds an earlier near-duplicate and
    then adds the text. Time per text does not grow with the number of texts indexed.

    Memory holds each text's band keys (`_BandTable`) and id, not its shingles: those of a text
    in a file of `folder` (`add_signature`, from `load_index`'s cache, or a checked text once
    `settle` says its file was written) are read from the file when a new text lands in one of
    its buckets, which near-duplicates and rare band collisions only do. A text `add`ed or
    `check`ed keeps its shingles in memory until then."""

    def __init__(self, folder: Path | None = None, expected: int = 0) -> None:
        """`expected`: about how many texts it will hold, so that its table is made that large at
        once rather than grown step by step (each step files every key again)."""
        self.folder = folder
        self._prefix = f"{folder}{os.sep}" if folder is not None else None
        self._table = _BandTable(max(1 << 12, 1 << (2 * BANDS * expected).bit_length()))
        self._ids: list[str] = []  # row -> id
        self._known: set[str] = set()
        # Texts held in memory (no file to read them from yet): shingles, or as `prepare` sent them
        # (array "I" bytes, a tenth of a frozenset's memory), made a set only if ever compared.
        self._shingles: dict[str, frozenset[int] | bytes] = {}
        self._files: dict[str, str] = {}  # ids whose file is not `folder/<id>.md`: their file
        self._read: dict[str, frozenset[int]] = {}  # the last texts read back from their file

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, id_: str, text: str) -> None:
        self._add(id_, shingles(text))

    def add_signature(self, id_: str, bands: tuple[int, ...], path: str) -> None:
        """Index the text of the file at `path` by its bands (`signature`), reading it only when needed."""
        if id_ in self._known:
            return
        if path != f"{self._prefix}{id_}.md":
            self._files[id_] = path
        self._file(id_, bands)

    def settle(self, ids: Iterable[str]) -> None:
        """The texts of `ids`, checked or added here, are now in their files `folder/<id>.md`
        (exactly: read back, they give the same shingles): their shingles leave memory."""
        if self.folder is None:
            raise ValueError("settle needs the index's folder")
        for id_ in ids:
            self._shingles.pop(id_, None)

    def check(self, id_: str, text: str) -> Finding | None:
        """A `near-duplicate` finding naming the most similar indexed text (the smallest id
        among equals compared; the first identical one found ends the search), or None; the
        text is indexed either way."""
        hashes = shingles(text)
        return self.check_shingles(id_, hashes, _bands(hashes) if hashes else ())

    def check_shingles(self, id_: str, hashes: frozenset[int] | bytes, bands: tuple[int, ...]) -> Finding | None:
        """`check` of a text whose `shingles` (or `prepare`'s bytes of them) and their `_bands` are
        already computed. A new text is filed first: one that shares no band with an earlier one
        (most) has no candidate and is done; else its own row, last in each chain, is skipped below."""
        if not hashes:
            return None
        if id_ not in self._known:
            self._shingles[id_] = hashes
            if not self._file(id_, bands):
                return None
        hashes = _as_set(hashes)
        best: tuple[float, str] | None = None
        compared = 0
        seen: set[str] = {id_}
        for band in bands:
            for row in self._table.rows(band):
                if compared >= MAX_CANDIDATES:  # stop, do not even walk the rest: a bucket may hold thousands
                    break
                other = self._ids[row]
                if other in seen:
                    continue
                seen.add(other)
                compared += 1
                score = jaccard(hashes, self._shingles_of(other))
                if score >= THRESHOLD and (best is None or (-score, other) < (-best[0], best[1])):
                    best = (score, other)
                    if score == 1.0:  # identical: none can be closer (a campaign costs one comparison)
                        compared = MAX_CANDIDATES
        return Finding("near-duplicate", other=best[1]) if best else None

    def _shingles_of(self, id_: str) -> frozenset[int]:
        held = self._shingles.get(id_)
        found = _as_set(held) if held is not None else self._read.get(id_)
        if found is None:
            read = read_indexed(Path(self._files.get(id_) or f"{self._prefix}{id_}.md"))
            found = shingles(read[1]) if read else frozenset()
            self.remember(id_, found)
        return found

    def remember(self, id_: str, hashes: frozenset[int]) -> None:
        """Keep the shingles just read from an indexed text's file, among the READ_KEPT last."""
        if len(self._read) >= READ_KEPT:  # the oldest read leaves: memory stays bounded
            del self._read[next(iter(self._read))]
        self._read[id_] = hashes

    def _add(self, id_: str, hashes: frozenset[int], bands: tuple[int, ...] | None = None) -> None:
        if not hashes or id_ in self._known:
            return
        self._shingles[id_] = hashes
        self._file(id_, bands or _bands(hashes))

    def _file(self, id_: str, bands: tuple[int, ...]) -> bool:
        """Index `id_` by its bands; True when an earlier text shares one."""
        row = len(self._ids)
        self._ids.append(id_)
        self._known.add(id_)
        return self._table.add(row, bands)


def _as_set(hashes: frozenset[int] | bytes) -> frozenset[int]:
    return frozenset(array("I", hashes)) if isinstance(hashes, bytes) else hashes


READ_KEPT = 4096  # texts read back from their files kept in memory, the most recent


def signature(text: str) -> tuple[int, ...] | None:
    """What the index keeps of a text: its bands (None for a text too short to compare)."""
    hashes = shingles(text)
    return _bands(hashes) if hashes else None


def duplicate_text(title: str, body: str, answers: dict[str, object]) -> str:
    """The text compared for near-duplicates: every text of the contribution, in one."""
    return "\n".join(text for _, text in contribution_texts(title, body, answers))


# --- at pull time --------------------------------------------------------------------------------


class Screening:
    """The detectors as `consult pull` runs them: the site's word list, read once, and one
    DuplicateIndex per consultation, filled on first use with the contributions already in its
    folder (published or pending: rejected ones are not compared) and then with each new one."""

    def __init__(self, root: Path):
        self.root = root
        self.words = load_words(root)
        self._indexes: dict[Path, DuplicateIndex] = {}
        self.expected = 0  # about how many texts the caller will screen (pull: the rows it claimed)

    def findings(self, folder: Path, id_: str, title: str, body: str, answers: dict[str, object],
                 delivered: Callable[[str], bool] = lambda name: True) -> list[Finding]:
        """Text findings of one new contribution of the consultation whose contributions are in
        `folder`, then a near-duplicate (naming the other id) if an earlier one is alike.
        Only the files `delivered` accepts (by name) are indexed: a file a stopped pull wrote is
        written again by this one, and must be compared as it was then, so its bytes match."""
        found = detect_contribution(title, body, answers, self.words)
        if folder not in self._indexes:
            self._indexes[folder] = load_index(folder, delivered, self.root, self.expected)
        duplicate = self._indexes[folder].check(id_, duplicate_text(title, body, answers))
        return found + [duplicate] if duplicate else found

    def screen(self, folder: Path, id_: str, prepared: Prepared,
               delivered: Callable[[str], bool] = lambda name: True) -> tuple[tuple[str, ...], str]:
        """`findings` of a contribution whose texts `prepare` went through (maybe in another
        process): the codes, in the order found, and the id of the near-duplicate ('' if none)."""
        found, hashes, bands = prepared
        if folder not in self._indexes:
            self._indexes[folder] = load_index(folder, delivered, self.root, self.expected)
        duplicate = self._indexes[folder].check_shingles(id_, hashes, bands)
        return (found + ("near-duplicate",) if duplicate else found), duplicate.other if duplicate else ""

    def written(self, folder: Path, ids: Iterable[str]) -> None:
        """The contributions `ids` that `findings` screened are now files of `folder`, exactly as
        screened: the index reads their texts from there when needed (`DuplicateIndex.settle`)."""
        if folder in self._indexes:
            self._indexes[folder].settle(ids)


# What `prepare` computes of a contribution: its text detectors' codes (in the order found), the
# shingles of its compared text (array "I" bytes: cheap to send between processes), their bands.
Prepared = tuple[tuple[str, ...], bytes, tuple[int, ...]]


def prepare(words: WordList, texts: list[tuple[str, str, dict[str, object]]]) -> list[Prepared]:
    """The detectors' work on each (title, body, answers) that needs no other text, so a pull
    may do it in another process (`Screening.screen` does the rest, in order)."""
    out: list[Prepared] = []
    for title, body, answers in texts:
        hashes = shingles(duplicate_text(title, body, answers))
        out.append((codes(detect_contribution(title, body, answers, words)), array("I", hashes).tobytes(),
                    _bands(hashes) if hashes else ()))
    return out


# The cache of each consultation's signatures (consult.stamps): file name -> (size, mtime_ns, id, bands).
SIGNATURES_DIR = Path(STATE_DIR) / "signatures"
SIGNATURES_VERSION = (1, SHINGLE, MIN_WORDS, BANDS, ROWS, sys.version_info[:2])  # band keys are Python hashes


def read_indexed(path: Path) -> tuple[str, str] | None:
    """(id, the text compared) of a contribution file that is not rejected; None for a rejected
    file or one that cannot be read (`consult check` says why)."""
    from consult.document import SafeLoader, split_front_matter

    try:
        split = split_front_matter(path.read_text(encoding="utf-8", errors="replace"))
        data = yaml.load(split.yaml_text, Loader=SafeLoader) if split else None
    except (OSError, yaml.YAMLError):
        return None
    if split is None or not isinstance(data, dict) or data.get("status") == "rejected":
        return None
    answers: dict[str, object] = data["answers"] if isinstance(data.get("answers"), dict) else {}
    return str(data.get("id") or path.stem), duplicate_text(str(data.get("title") or ""), split.body.strip("\n"), answers)


def load_index(folder: Path, keep: Callable[[str], bool] = lambda name: True, root: Path | None = None,
               more: int = 0) -> DuplicateIndex:
    """A DuplicateIndex of the contribution files in `folder` that are not rejected (and whose
    name `keep` accepts); a file that cannot be read is left out (`consult check` says why).

    With the site's `root`, each file's signature is kept in `.consult/signatures/<slug>.pickle`
    keyed by its size and mtime: the next pull reads only new or changed files (a deleted one
    drops out; a damaged cache is read as empty and written again). `more`: how many texts
    are about to be checked into it (the table is made large enough at once)."""
    cache = root / SIGNATURES_DIR / f"{folder.parent.name}.pickle" if root is not None else None
    cached: dict[str, tuple[int, int, str, tuple[int, ...] | None]] = \
        (read_stamped(cache, SIGNATURES_VERSION) or {}) if cache is not None else {}
    fresh: dict[str, tuple[int, int, str, tuple[int, ...] | None]] = {}
    read = 0
    with os.scandir(folder) as found:
        files = sorted((item for item in found if item.name.endswith(".md") and keep(item.name)), key=lambda i: i.name)
    index = DuplicateIndex(folder, len(files) + more)
    for item in files:
        size, mtime = stamp_of(item.stat())
        known = cached.get(item.name)
        if known is not None and known[:2] == (size, mtime):
            id_, bands = known[2], known[3]
            if bands is not None:
                index.add_signature(id_, bands, item.path)  # a str: a Path per file costs a third of a warm load
        else:
            read += 1
            text = read_indexed(Path(item.path))
            id_, hashes = (text[0], shingles(text[1])) if text else ("", frozenset[int]())
            bands = _bands(hashes) if hashes else None
            if bands is not None:  # its shingles are read from the file again if ever needed
                index.add_signature(id_, bands, item.path)
                index.remember(id_, hashes)
        fresh[item.name] = (size, mtime, id_, bands)
    if cache is not None and (read or len(fresh) != len(cached)):
        write_stamped(cache, SIGNATURES_VERSION, fresh)
    return index

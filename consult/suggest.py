"""`consult themes SLUG`: a first codebook suggested from a consultation's published free text.

Each published contribution (title, text, answers to `text` questions) is one document. Words
are folded into rough French lemmas (lower case, no accents, plural and feminine endings cut),
stop words dropped; terms are those lemmas and pairs of adjacent ones ("piste cyclable").
A term's weight is its TF-IDF summed over the documents; terms found in fewer than two
documents, or in more than half, are not themes. The heaviest terms are grouped by how often
they are found together (average-linkage clustering on the correlation of their presence): a
group of two terms or more is a theme, its heaviest term first. A document is suggested a theme when it holds the theme's first term or two of
its terms. Every order is sorted with a tie-break (the term itself, the contribution id): the
same texts give the same suggestions, whatever order the files are read in. Nothing is tagged
here: `apply` writes the draft codebook.yaml and the tags (only the `tags:` line) once a
person asks for it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from consult.document import parse_front_matter
from consult.errors import ConsultError, say
from consult.i18n import translate
from consult.pull import write_replace
from consult.slug import slugify
from consult.tagging import set_tags

MAX_THEMES = 8
MAX_TERMS = 8  # terms per theme, heaviest first
CANDIDATES = 80  # the heaviest terms are clustered into themes
LINK = 0.3  # average correlation of two groups' terms above which they are one theme
MAX_TAGS = 3  # suggested themes per contribution
MIN_DOCS = 2
WORD = re.compile(r"[^\W\d_]+")
NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|`[^`]*`")  # links, addresses, code: no themes there

# French stop words (articles, pronouns, prepositions, auxiliaries, frequent verbs and adverbs)
# and a few English ones, folded like the words they are compared with.
STOP_WORDS = frozenset("""
a afin ai aie aient ainsi alors apres as assez au aucun aucune aujourd aupres aussi autre autres aux avaient
avais avait avant avec avez aviez avoir avon ayant bah beaucoup bien bon c ca car ce ceci cela celle celles
celui cependant certain certaine certaines certain ces cet cette ceux chaque chez ci comme comment d dan dans
de deja depuis des deux devant devrai devrait doit doivent donc dont du elle elles en encore entre es est et
etaient etais etait etant ete etre eu eux fai fais fait faire faut fois font ici il ils j je jusqu jusque l la
le les leur leurs lui m ma mai mais me meme memes mes moi moin moins mon n ne ni non nos notre nou nous on ont
ou par parce parfois pas peu peut peuvent plu plus plutot pour pourquoi pourrait pourraient pouvoir puis qu
quand que quel quelle quelles quels qui quoi s sa san sans se sera serai serait seraient ses si sien son sont
sou sous souvent sur t ta tan tant te tes toi ton tou tous tout toute toutes tre tres trop tu un une unes uns
va vai vais vers veut via voila voir vont vos votre vou vous vu y
merci bonjour madame monsieur svp chose choses faudrait fallait serai etc oui
the and for that this with are was were have has not you your our from they them their there what which
about would could should will can all any been but its into more most other some such than then these those
""".split())


@dataclass(frozen=True)
class Text:
    """One published contribution as the suggester reads it."""

    id: str
    path: str  # relative to the site root
    text: str


@dataclass
class Theme:
    terms: list[str]  # term keys, the first one first
    docs: frozenset[str]  # ids of the documents holding the first term
    label: str = ""
    id: str = ""
    tagged: list[str] = field(default_factory=list)  # ids suggested this theme


@dataclass(frozen=True)
class Suggestion:
    slug: str
    texts: int
    themes: tuple[Theme, ...]
    tags: dict[str, list[str]]  # contribution id -> theme ids (every document, [] when none)
    shown: dict[str, str]  # term key -> how it is most often written


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def lemma(word: str) -> str:
    """A rough French lemma: 'Pistes' -> 'piste', 'sécurisées' -> 'securise', 'arceaux' -> 'arceau'."""
    w = fold(word.lower())
    if len(w) > 5 and w.endswith("eaux"):
        w = w[:-1]
    elif len(w) > 5 and w.endswith("aux"):
        w = w[:-3] + "al"
    elif len(w) > 3 and w[-1] in "sx":
        w = w[:-1]
    if len(w) > 4 and w.endswith("ee"):
        w = w[:-1]
    return w


def terms(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The text's terms in order (lemmas, and pairs of adjacent lemmas with no stop word between),
    and (term, written form) pairs to label them with."""
    found: list[str] = []
    forms: list[tuple[str, str]] = []
    before: tuple[str, str] | None = None
    for match in WORD.finditer(NOISE.sub(" ", text.replace("’", "'"))):
        word = match.group(0).lower()
        key = lemma(word)
        if len(key) < 3 or key in STOP_WORDS or fold(word) in STOP_WORDS:
            before = None
            continue
        found.append(key)
        forms.append((key, word))
        if before is not None and before[0] != key:
            pair = f"{before[0]} {key}"
            found.append(pair)
            forms.append((pair, f"{before[1]} {word}"))
        before = (key, word)
    return found, forms


def suggest(slug: str, texts: list[Text], max_themes: int = MAX_THEMES, topic: str = "") -> Suggestion:
    """Themes and per-contribution tags for `texts`; see the module docstring. The words of
    `topic` (the consultation's title: what every text is about) are no theme. Pure."""
    texts = sorted(texts, key=lambda t: t.id)
    about = set(terms(topic)[0])
    per_doc: dict[str, Counter[str]] = {}
    written: Counter[tuple[str, str]] = Counter()
    for text in texts:
        found, forms = terms(text.text)
        per_doc[text.id] = Counter(t for t in found if not set(t.split()) & about)
        written.update(forms)
    df: Counter[str] = Counter(term for counts in per_doc.values() for term in counts)
    total = len(texts)
    most = max(MIN_DOCS, total // 2)
    weight: dict[str, float] = {}
    for term, n in sorted(df.items()):
        if MIN_DOCS <= n <= most:
            idf = math.log((1 + total) / (1 + n)) + 1
            weight[term] = sum((1 + math.log(c[term])) * idf for _, c in sorted(per_doc.items()) if term in c)
    docs_of = {term: frozenset(id_ for id_, c in per_doc.items() if term in c) for term in weight}
    themes = _group(sorted(weight, key=lambda t: (-round(weight[t], 9), t)), docs_of, weight, max_themes, total)
    shown = _shown(written)
    _name(themes, shown, docs_of)
    tags = {text.id: [] for text in texts}  # type: dict[str, list[str]]
    for theme in themes:
        for id_, counts in sorted(per_doc.items()):
            if (theme.terms[0] in counts or sum(term in counts for term in theme.terms) >= 2) \
                    and len(tags[id_]) < MAX_TAGS:
                tags[id_].append(theme.id)
                theme.tagged.append(id_)
    return Suggestion(slug, total, tuple(themes), tags, shown)


def _group(ranked: list[str], docs_of: dict[str, frozenset[str]], weight: dict[str, float],
           max_themes: int, total: int) -> list[Theme]:
    """Average-linkage clustering of the best CANDIDATES terms by the correlation of their
    presence in the `total` documents, merging while the closest two groups are at least LINK
    alike; the groups of two terms or more, by their summed weight (`ranked` is by weight, for
    ties), are the themes."""
    top = ranked[:CANDIDATES]
    rank = {term: n for n, term in enumerate(top)}
    alike = {(a, b): _phi(docs_of[a], docs_of[b], total) for a in top for b in top if rank[a] < rank[b]}
    groups = [[term] for term in top]
    while True:
        best: tuple[float, int, int] | None = None
        for i, first in enumerate(groups):
            for j in range(i + 1, len(groups)):
                pairs = [alike[(a, b) if rank[a] < rank[b] else (b, a)] for a in first for b in groups[j]]
                score = sum(pairs) / len(pairs)
                if score >= LINK and (best is None or score > best[0]):
                    best = (score, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] = sorted(groups[i] + groups.pop(j), key=rank.__getitem__)
    kept = sorted((g for g in groups if len(g) >= 2), key=lambda g: (-round(sum(weight[t] for t in g), 9), rank[g[0]]))
    return [Theme(group[:MAX_TERMS], docs_of[group[0]]) for group in kept[:max_themes]]


def _phi(a: frozenset[str], b: frozenset[str], total: int) -> float:
    """The correlation of two terms' presence across documents: 0 when they meet by chance (two
    frequent words meet often), 1 when always together. A cosine would favour frequent words."""
    pa, pb, both = len(a) / total, len(b) / total, len(a & b) / total
    spread = math.sqrt(pa * (1 - pa) * pb * (1 - pb))
    return (both - pa * pb) / spread if spread else 0.0


def _shown(written: Counter[tuple[str, str]]) -> dict[str, str]:
    """term -> its most frequent written form (ties: the first in alphabetical order)."""
    best: dict[str, tuple[int, str]] = {}
    for (term, form), n in written.items():
        if term not in best or (-n, form) < (-best[term][0], best[term][1]):
            best[term] = (n, form)
    return {term: form for term, (_, form) in best.items()}


def _name(themes: list[Theme], shown: dict[str, str], docs_of: dict[str, frozenset[str]]) -> None:
    """Labels and unique slug ids. A pair of words that holds the first term, found in at least
    half of its documents, reads better than the word alone ('pont saint' for 'jacques')."""
    used: set[str] = set()
    for theme in themes:
        first = theme.terms[0]
        pairs = [t for t in docs_of if " " in t and first in t.split() and 2 * len(docs_of[t]) >= len(theme.docs)]
        pair = min(pairs, key=lambda t: (-len(docs_of[t]), t.split().index(first), t), default=first)
        label = shown.get(pair, pair)
        theme.label = label[:1].upper() + label[1:]
        base = slugify(label) or "theme"
        theme.id, n = base, 2
        while theme.id in used:
            theme.id, n = f"{base}-{n}", n + 1
        used.add(theme.id)


# --- reading and writing ---------------------------------------------------------------


def read_texts(root: Path, slug: str) -> tuple[str, list[Text]]:
    """The title of consultation `slug`, and its published contributions: title, text and
    answers to its `text` questions."""
    folder = root / "content" / "consultations" / slug
    index = folder / "index.md"
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) or not index.is_file():
        raise ConsultError(say(f"no consultation '{slug}' in content/consultations/",
                               f"pas de consultation « {slug} » dans content/consultations/"))
    doc, _, problems = parse_front_matter(index.read_text(encoding="utf-8"), index.relative_to(root).as_posix())
    if problems:
        raise ConsultError(problems)
    questions = (doc.data or {}).get("questions") or []
    free = {str(q.get("id")) for q in questions if isinstance(q, dict) and q.get("type") == "text"}
    texts = []
    for path in sorted((folder / "contributions").glob("*.md")):
        relative = path.relative_to(root).as_posix()
        data, body, problems = parse_front_matter(path.read_text(encoding="utf-8"), relative)
        if problems or not isinstance(data.data, dict):
            raise ConsultError(problems or f"{relative}: no front matter")
        if data.data.get("status") != "published":
            continue
        answers = data.data.get("answers") or {}
        parts = [str(data.data.get("title") or ""), body] + [
            str(value) for key, value in sorted(answers.items()) if key in free and isinstance(value, str)]
        texts.append(Text(str(data.data.get("id") or path.stem), relative, "\n".join(parts)))
    return str((doc.data or {}).get("title") or ""), texts


def render_codebook(suggestion: Suggestion, language: str) -> str:
    """The draft codebook.yaml (safe_dump), every theme's keywords in its description."""
    themes = [{"id": theme.id, "label": theme.label,
               "description": translate(language, "cli.themes.keywords",
                                        terms=", ".join(suggestion.shown.get(t, t) for t in theme.terms))}
              for theme in suggestion.themes]
    header = translate(language, "cli.themes.header", slug=suggestion.slug, count=suggestion.texts)
    body = yaml.safe_dump({"themes": themes}, allow_unicode=True, sort_keys=False, width=100)
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


def render_report(suggestion: Suggestion, language: str) -> str:
    """What a person reviews: the themes, their keywords and counts, the tags per contribution."""
    tagged = sum(1 for ids in suggestion.tags.values() if ids)
    lines = [translate(language, "cli.themes.summary", slug=suggestion.slug, count=suggestion.texts,
                       themes=len(suggestion.themes), tagged=tagged), ""]
    for theme in suggestion.themes:
        lines.append(translate(language, "cli.themes.theme", id=theme.id, label=theme.label, count=len(theme.tagged),
                               terms=", ".join(suggestion.shown.get(t, t) for t in theme.terms)))
    lines += ["", translate(language, "cli.themes.tags")]
    none = translate(language, "cli.themes.none")
    lines += [f"  {id_}  {', '.join(ids) or none}" for id_, ids in sorted(suggestion.tags.items())]
    return "\n".join(lines) + "\n"


def apply(root: Path, suggestion: Suggestion, language: str) -> list[str]:
    """Write the draft codebook.yaml (never over a different one) and add each suggested tag to
    its contribution (only the `tags:` line changes, as `consult tag` does). Every edit is
    computed and checked before anything is written. Returns the paths written."""
    folder = root / "content" / "consultations" / suggestion.slug
    codebook = folder / "codebook.yaml"
    draft = render_codebook(suggestion, language)
    relative = codebook.relative_to(root).as_posix()
    if codebook.exists() and codebook.read_text(encoding="utf-8") != draft:
        raise ConsultError(translate(language, "cli.themes.exists", path=relative))
    edits = []
    for id_, ids in sorted(suggestion.tags.items()):
        path = folder / "contributions" / f"{id_}.md"
        text = path.read_text(encoding="utf-8")
        doc, _, _ = parse_front_matter(text, path.as_posix())
        current = [str(t) for t in (doc.data or {}).get("tags") or []] if isinstance(doc.data, dict) else []
        wanted = list(dict.fromkeys(current + ids))
        if wanted != current:
            edits.append((path, set_tags(text, wanted, path.relative_to(root).as_posix())))
    written = []
    if not codebook.exists():
        write_replace(codebook, draft.encode("utf-8"))
        written.append(relative)
    for path, edited in edits:
        write_replace(path, edited.encode("utf-8"))
        written.append(path.relative_to(root).as_posix())
    return written

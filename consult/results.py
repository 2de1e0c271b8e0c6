"""A consultation's published contributions -> the figures of its results page. Pure.

`count_results` reads every published contribution once (suggestions, answers, comments) and
feeds each answer to its question's tally: no question re-scans the contributions. Only
questions marked `results: public` are counted; `Consultation.shows_results` says whether
the page exists at all. `results_view` turns the figures into what the page shows (formatted
shares, charts); `consult.opendata` writes the same figures as CSV.

Participants: contributions carry no identity, only the public name a citizen chose. Distinct
participants are the distinct public names (compared case-insensitively, spaces collapsed);
contributions without a name are counted apart, since they cannot be told apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from consult.charts import Bar, render_bar_chart
from consult.i18n import format_date, translate
from consult.model import Consultation, Contribution, Question, Theme

CONTRIBUTION_KINDS = ("suggestion", "answers", "comment")


@dataclass(frozen=True)
class TextAnswer:
    contribution: str  # the contribution's id
    text: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class QuestionCount:
    """One public question's tally. `counts` pairs each choice (or scale value, as text) with the
    number of respondents who gave it, in the question's order."""

    question: Question
    respondents: int
    counts: tuple[tuple[str, int], ...] = ()
    answers: tuple[TextAnswer, ...] = ()  # text questions, oldest first

    @property
    def mean(self) -> float | None:
        if self.question.type != "scale" or not self.respondents:
            return None
        return sum(int(value) * n for value, n in self.counts) / self.respondents

    @property
    def median(self) -> float | None:
        """The middle value of the sorted answers (the mean of the two middle ones for an even count)."""
        if self.question.type != "scale" or not self.respondents:
            return None
        values = [int(value) for value, n in self.counts for _ in range(n)]
        middle = len(values) // 2
        return float(values[middle]) if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


@dataclass(frozen=True)
class Counts:
    """Everything the results page counts, for one consultation."""

    by_kind: tuple[tuple[str, int], ...]  # CONTRIBUTION_KINDS order
    named: int  # distinct public names
    anonymous: int  # contributions without a public name
    supports: int
    weeks: tuple[tuple[date, int], ...]  # Monday of each week, first to last contribution, zeros included
    questions: tuple[QuestionCount, ...]
    themes: tuple[tuple[Theme, int], ...]  # codebook order
    tagged: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)  # theme id -> contribution ids

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_kind)


def published(consultation: Consultation) -> Iterator[Contribution]:
    """Every published contribution of a consultation: suggestions and answers, then comments."""
    yield from consultation.contributions
    for proposal in consultation.proposals:
        yield from proposal.comments


class _Tally:
    """One question's answers, gathered in the pass over the contributions and counted after it:
    a choice's or a scale's values go to one list counted at C speed (`Counter`), a text answer
    keeps its contribution (for its id and tags)."""

    def __init__(self, question: Question):
        self.question = question
        self.values: list[str | tuple[str, ...]] = []
        self.texts: list[tuple[str | tuple[str, ...], Contribution]] = []
        self.allowed = set(question.choices) if question.type in ("single", "multiple") else (
            {str(v) for v in range(question.scale_min, question.scale_max + 1)} if question.type == "scale" else set())

    def result(self) -> QuestionCount:
        q = self.question
        if q.type == "text":
            answers = sorted((TextAnswer(x.id, value.strip(), x.tags) for value, x in self.texts
                              if isinstance(value, str) and value.strip()), key=lambda a: a.contribution)
            return QuestionCount(q, len(answers), (), tuple(answers))
        respondents, counts = 0, Counter[str]()
        for value, n in Counter(self.values).items():
            # A value the question does not offer (a file edited by hand) is not counted; a single
            # choice or a scale takes one value.
            given = {value.strip()} if isinstance(value, str) else {v.strip() for v in value}
            given &= self.allowed
            if given and (q.type == "multiple" or len(given) == 1):
                respondents += n
                for choice in given:
                    counts[choice] += n
        order = q.choices if q.type != "scale" else tuple(str(v) for v in range(q.scale_min, q.scale_max + 1))
        return QuestionCount(q, respondents, tuple((value, counts[value]) for value in order))


def count_results(consultation: Consultation, tz: tzinfo) -> Counts:
    """The figures of one consultation's results page, in one pass over its published contributions."""
    tallies = {q.id: _Tally(q) for q in consultation.questions if q.results == "public"}
    gathered = {qid: t.values for qid, t in tallies.items() if t.question.type != "text"}
    texts = {qid: t.texts for qid, t in tallies.items() if t.question.type == "text"}
    kinds: Counter[str] = Counter()
    names: set[str] = set()
    anonymous = 0
    days: Counter[date] = Counter()
    tagged: dict[str, list[str]] = {theme.id: [] for theme in consultation.codebook}
    for contribution in published(consultation):
        kinds[contribution.kind] += 1
        name = " ".join(contribution.author.split()).casefold() if contribution.author else ""
        if name:
            names.add(name)
        else:
            anonymous += 1
        days[contribution.submitted.astimezone(tz).date()] += 1
        if contribution.tags:
            for tag in dict.fromkeys(contribution.tags):
                if tag in tagged:
                    tagged[tag].append(contribution.id)
        for answer in contribution.answers:
            values = gathered.get(answer.question.id)
            if values is not None:
                values.append(answer.value)
            elif answer.question.id in texts:
                texts[answer.question.id].append((answer.value, contribution))
    weeks: Counter[date] = Counter()
    for day, n in days.items():
        weeks[day - timedelta(days=day.weekday())] += n
    return Counts(
        by_kind=tuple((kind, kinds[kind]) for kind in CONTRIBUTION_KINDS), named=len(names), anonymous=anonymous,
        supports=sum(p.supports for p in consultation.listed), weeks=_weeks(weeks),  # a merged pair: counted once
        questions=tuple(t.result() for t in tallies.values()),
        themes=tuple((theme, len(tagged[theme.id])) for theme in consultation.codebook),
        tagged={theme: tuple(sorted(ids)) for theme, ids in tagged.items()},
    )


def _weeks(counts: Counter[date]) -> tuple[tuple[date, int], ...]:
    if not counts:
        return ()
    first, last = min(counts), max(counts)
    return tuple((first + timedelta(weeks=n), counts[first + timedelta(weeks=n)])
                 for n in range((last - first).days // 7 + 1))


# -- what the page shows ---------------------------------------------------------------------


def format_number(value: float, language: str) -> str:
    """One decimal, the language's decimal mark: 3.5 -> '3,5' in French."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "fr" else text


def format_share(count: int, total: int, language: str) -> str:
    """count as a percentage of total, one decimal: '33,3 %' (fr, narrow no-break space), '33.3%' (en)."""
    number = format_number(100 * count / total if total else 0.0, language)
    return f"{number}\u202f%" if language == "fr" else f"{number}%"


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    share: str  # '' where a share means nothing


@dataclass(frozen=True)
class Figure:
    """One chart and its table: the same rows."""

    id: str
    title: str
    rows: tuple[Row, ...]
    svg: str


@dataclass(frozen=True)
class QuestionView:
    question: Question
    respondents: int
    figure: Figure | None  # None for text questions
    mean: str
    median: str
    answers: tuple[TextAnswer, ...]


@dataclass(frozen=True)
class ThemeView:
    theme: Theme
    count: int
    contributions: tuple[tuple[str, str], ...]  # (contribution id, its URL)


@dataclass(frozen=True)
class ResultsView:
    counts: Counts
    kinds: Figure
    weeks: Figure | None
    questions: tuple[QuestionView, ...]
    themes: Figure | None
    theme_lists: tuple[ThemeView, ...]


def figure(figure_id: str, title: str, rows: tuple[Row, ...]) -> Figure:
    bars = [Bar(row.label, row.count, f"{row.count} ({row.share})" if row.share else str(row.count)) for row in rows]
    return Figure(figure_id, title, rows, render_bar_chart(figure_id, title, bars))


def results_view(consultation: Consultation, counts: Counts, language: str, urls: Mapping[str, str]) -> ResultsView:
    """The page's figures: rows with formatted shares, and a chart of each. `urls` maps a contribution
    id to the page that shows it (for the lists per theme)."""
    def t(key: str, **params: object) -> str:
        return translate(language, key, **params)

    total = counts.total
    kinds = figure("chart-kinds", t("results.kinds_chart"),
                   tuple(Row(t(f"results.kind.{kind}"), n, format_share(n, total, language)) for kind, n in counts.by_kind))
    weeks = figure("chart-weeks", t("results.weeks_chart"),
                   tuple(Row(t("results.week_of", date=format_date(monday, language)), n, "")
                         for monday, n in counts.weeks)) if counts.weeks else None
    questions = tuple(_question_view(index, q, language) for index, q in enumerate(counts.questions, start=1))
    themes = None
    if counts.themes:
        tagged_total = total
        labels = {theme.id: theme.label for theme, _ in counts.themes}
        themes = figure("chart-themes", t("results.themes_chart"),
                        tuple(Row(theme_label(theme, labels), n, format_share(n, tagged_total, language))
                              for theme, n in counts.themes))
    lists = tuple(ThemeView(theme, n, tuple((cid, urls.get(cid, "")) for cid in counts.tagged.get(theme.id, ())))
                  for theme, n in counts.themes)
    return ResultsView(counts, kinds, weeks, questions, themes, lists)


def theme_label(theme: Theme, labels: Mapping[str, str]) -> str:
    """A theme's label, after its parent's: 'Sécurité › Carrefours'."""
    return f"{labels[theme.parent]} › {theme.label}" if theme.parent in labels else theme.label


def _question_view(index: int, q: QuestionCount, language: str) -> QuestionView:
    fig = None
    if q.question.type != "text":
        rows = tuple(Row(label, n, format_share(n, q.respondents, language)) for label, n in q.counts)
        fig = figure(f"chart-q{index}", q.question.label, rows)
    mean, median = q.mean, q.median
    return QuestionView(q.question, q.respondents, fig,
                        format_number(mean, language) if mean is not None else "",
                        format_number(median, language) if median is not None else "", q.answers)

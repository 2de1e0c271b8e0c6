"""A consultation's moderation figures -> its public moderation report: the page's rows, in the
site's language with the charter's wording of each reason and the moderators' sentence of each
flag, and the same figures as open data rows. Pure; counts only (consult.content.figures).
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.flags import describe
from consult.i18n import reason_label, translate
from consult.model import Consultation, ModerationFigures


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    code: str = ""  # a reason or flag code, shown beside its wording


@dataclass(frozen=True)
class ReportView:
    figures: list[Row]
    reasons: list[Row]
    flags: list[Row]
    median_over: str


def duration(seconds: int | None, language: str) -> str:
    """A median wait in words: under an hour, whole hours up to two days, then whole days."""
    if seconds is None:
        return translate(language, "moderation_report.none")
    if seconds < 3600:
        return translate(language, "moderation_report.under_hour")
    if seconds < 48 * 3600:
        return translate(language, "moderation_report.hours", count=round(seconds / 3600))
    return translate(language, "moderation_report.days", count=round(seconds / 86400))


def report_view(figures: ModerationFigures, language: str) -> ReportView:
    def t(key: str, **params: object) -> str:
        return translate(language, f"moderation_report.{key}", **params)

    rows = [Row(t("received"), str(figures.received)), Row(t("published"), str(figures.published))]
    if figures.auto_published:
        rows.append(Row(t("auto_published"), str(figures.auto_published)))
    rows += [Row(t("rejected"), str(figures.rejected_total)), Row(t("pending"), str(figures.pending)),
             Row(t("reported"), str(figures.reported)),
             Row(t("reported_kept"), str(figures.reported_kept)),
             Row(t("reported_unpublished"), str(figures.reported_unpublished)),
             Row(t("median"), duration(figures.median_decision_seconds, language))]
    return ReportView(
        figures=rows,
        reasons=[Row(reason_label(code, language), str(count)) for code, count in figures.rejected],
        flags=[Row(describe(code, language), str(count), code) for code, count in figures.flags],
        median_over=t("median_over", count=figures.decided),
    )


def open_data_rows(consultation: Consultation) -> list[dict[str, object]]:
    """The report's figures as rows of data/moderation.csv: (consultation, figure, code, value)."""
    f = consultation.moderation_figures
    slug = consultation.slug
    rows: list[dict[str, object]] = [
        {"consultation": slug, "figure": name, "code": "", "value": value}
        for name, value in (("received", f.received), ("published", f.published),
                            ("published_at_once", f.auto_published), ("rejected", f.rejected_total),
                            ("pending", f.pending), ("reported", f.reported), ("reported_kept", f.reported_kept),
                            ("reported_unpublished", f.reported_unpublished), ("decided", f.decided),
                            ("median_decision_seconds", "" if f.median_decision_seconds is None
                             else f.median_decision_seconds))
    ]
    rows += [{"consultation": slug, "figure": "rejected_for", "code": code, "value": count} for code, count in f.rejected]
    rows += [{"consultation": slug, "figure": "flag", "code": code, "value": count} for code, count in f.flags]
    return rows

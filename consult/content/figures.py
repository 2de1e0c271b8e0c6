"""A consultation's contribution records -> the figures of its public moderation report.

Counts only: every file is counted, whatever its status, but no text, name or id is kept, so
the figures may reach the model (and the site) although pending and rejected contributions
never do. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from consult.content.files import ContributionRecord, ReportRecord
from consult.model import ModerationFigures

REPORTED = "reported"  # the flag a citizen's report sets (consult.flags)


def count_moderation(records: Iterable[ContributionRecord], reports: Iterable[ReportRecord] = ()) -> ModerationFigures:
    """Received, published, pending, rejected by reason, reported, flags by code, and the median
    time from submission to decision (over the files that say when they were decided).

    A contribution counts as reported when it carries the `reported` flag or a report in reports/
    names it; of those, `kept` are published without the flag (a person kept it: `consult moderate
    keep` took the flag off) and `unpublished` are rejected; the others wait for a person."""
    records = list(records)
    targets = {report.target for report in reports}
    reported = [r for r in records if REPORTED in r.flags or r.id in targets]
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    waits: list[float] = []
    auto = 0
    for record in records:
        statuses[record.status] += 1
        if record.status == "rejected":
            reasons[record.reason] += 1
        flags.update(set(record.flags))
        if record.decided is not None and record.status != "pending" and record.decided >= record.submitted:
            waits.append((record.decided - record.submitted).total_seconds())
        auto += record.status == "published" and record.decided_by == "auto"
    return ModerationFigures(
        received=sum(statuses.values()), published=statuses["published"], pending=statuses["pending"],
        rejected=tuple(sorted(reasons.items())), reported=len(reported), decided=len(waits),
        median_decision_seconds=_median(waits), flags=tuple(sorted(flags.items())),
        auto_published=auto,
        reported_kept=sum(r.status == "published" and REPORTED not in r.flags for r in reported),
        reported_unpublished=sum(r.status == "rejected" for r in reported),
    )


def _median(seconds: list[float]) -> int | None:
    if not seconds:
        return None
    from statistics import median  # 5 ms to import: only for a site whose files say when they were decided

    return round(median(seconds))

"""Figures -> inline static SVG: horizontal bar charts, no script, no colour-only meaning. Pure.

One chart shape serves every figure (choices, scale values, weeks, themes): each bar has its
label written above it and its value written at its end, so nothing relies on colour, and
the drawing is 320 units wide, so a phone shows it at about its own size. The SVG carries
its accessible name (`<title>`, `aria-labelledby`); the page puts the same figures in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 320
FONT = 13
LINE = 16  # height of one line of label text
BAR = 16
GAP = 10  # space below a bar
VALUE_ROOM = 96  # room kept right of the longest bar for its value
WRAP = 40  # characters per label line (13 px text in 320 units)
BAR_COLOUR = "#1f4e79"  # 8.9:1 against white: far above the 3:1 graphics need (WCAG 1.4.11)
TEXT_COLOUR = "#1a1a1a"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    value: str  # the text written at the bar's end, e.g. "12 (33,3 %)"


def wrap(text: str, width: int = WRAP) -> list[str]:
    """`text` in lines of at most `width` characters, broken between words (a longer word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def render_bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> str:
    """An SVG bar chart named `title` (its accessible name), one bar per item, in the given order.
    `chart_id` must be unique on the page: it makes the id of the title element."""
    top = max((bar.count for bar in bars), default=0)
    room = WIDTH - VALUE_ROOM
    parts: list[str] = []
    y = 0
    for bar in bars:
        for line in wrap(bar.label):
            y += LINE
            parts.append(f'<text x="0" y="{y - 4}">{escape(line)}</text>')
        length = round(room * bar.count / top) if top else 0
        parts.append(f'<rect x="0" y="{y}" width="{max(length, 1 if bar.count else 0)}" height="{BAR}" '
                     f'fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{length + 6}" y="{y + BAR - 3}">{escape(bar.value)}</text>')
        y += BAR + GAP
    title_id = f"{chart_id}-title"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{title_id}" '
            f'viewBox="0 0 {WIDTH} {max(y, 1)}" width="100%" font-family="sans-serif" font-size="{FONT}" '
            f'fill="{TEXT_COLOUR}"><title id="{title_id}">{escape(title)}</title>{"".join(parts)}</svg>')

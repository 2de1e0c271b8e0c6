"""Colour contrast (WCAG 2.1) and the nearest shade of a colour that reaches a ratio.

Pure functions on '#rrggbb' strings. `consult check` uses them on the theme's colours
(config.py): a site's primary colour is the colour of links on white and on the light
surface, and the background of buttons under white text; the focus ring must stand out
from the backgrounds it is drawn on.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable

HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
WHITE = "#ffffff"
SURFACE = "#f4f4f2"  # the default theme's --surface (header, footer)
TEXT_RATIO = 4.5  # WCAG 1.4.3, normal text
NON_TEXT_RATIO = 3.0  # WCAG 1.4.11, focus rings and borders


def is_hex(color: str) -> bool:
    """True for '#abc' and '#aabbcc'."""
    return bool(HEX_RE.match(color))


def normalise(color: str) -> str:
    """'#ABC' -> '#aabbcc'. ValueError when `color` is not a hex colour."""
    if not is_hex(color):
        raise ValueError(f"not a colour like '#1a4f8b': {color!r}")
    digits = color[1:].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _rgb(color: str) -> tuple[float, float, float]:
    digits = normalise(color)[1:]
    r, g, b = (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def _hex(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in (r, g, b))


def luminance(color: str) -> float:
    """Relative luminance, as WCAG 2.1 defines it (0 black .. 1 white)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two colours, 1.0 to 21.0 (symmetric)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def passes(color: str, against: Iterable[str], ratio: float) -> bool:
    """True when `color` reaches `ratio` against every colour of `against`."""
    return all(contrast(color, other) >= ratio for other in against)


def nearest_passing(color: str, against: Iterable[str], ratio: float) -> str | None:
    """The shade of `color` (same hue and saturation, lightness moved as little as possible)
    that reaches `ratio` against every colour of `against`; `color` itself when it passes;
    None when no lightness does (e.g. 4.5:1 against both black and white)."""
    others = tuple(against)
    if passes(color, others, ratio):
        return normalise(color)
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(color))
    for step in range(1, 1001):
        delta = step / 1000
        for candidate_lightness in (lightness - delta, lightness + delta):
            if 0.0 <= candidate_lightness <= 1.0:
                candidate = _hex(*colorsys.hls_to_rgb(hue, candidate_lightness, saturation))
                if passes(candidate, others, ratio):
                    return candidate
    return None


def darker(color: str, amount: float = 0.08) -> str:
    """`color` with its lightness lowered by `amount` (the hover shade of a button)."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(color))
    return _hex(*colorsys.hls_to_rgb(hue, max(0.0, lightness - amount), saturation))

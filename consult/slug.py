"""Safe slugs: lowercase ASCII letters, digits and single hyphens.

`slugify("Réaménager la place du marché")` -> "reamenager-la-place-du-marche".
Idempotent: slugify(slugify(x)) == slugify(x).
"""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "-", "'": "-"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 60


def slugify(text: str) -> str:
    text = text.translate(_LIGATURES)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_LENGTH:
        slug = slug[:MAX_LENGTH].rsplit("-", 1)[0] or slug[:MAX_LENGTH]
    return slug.strip("-")

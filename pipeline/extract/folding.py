"""Folding text for matching: lower case, no accents, plain apostrophes, same length."""

from __future__ import annotations

import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "´": "'", "‘": "'"})


def fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[:1] or char
    return base.lower().translate(_APOSTROPHES)


def fold(text: str) -> str:
    """Lower case, accents and typographic apostrophes removed, same length as `text`.

    The same length lets a span found in the folded text be cut from the original.
    """
    return "".join(fold_char(c) for c in text)

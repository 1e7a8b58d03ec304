"""The MRZ layouts and how to tell them from the length and count of lines.

ICAO 9303 TD1 (3 x 30: French identity card since 2021, residence permits),
TD2 (2 x 36), TD3 (2 x 44: passports), and the French identity card issued
until 2021 (2 x 36, its own layout, see `pipeline.codes.mrz.parse`).
"""

from __future__ import annotations

from enum import StrEnum


class MrzFormat(StrEnum):
    TD1 = "td1"
    TD2 = "td2"
    TD3 = "td3"
    FR_CNI_OLD = "fr_cni_old"


LINE_LENGTHS = {30: MrzFormat.TD1, 36: MrzFormat.TD2, 44: MrzFormat.TD3}
LINE_COUNTS = {MrzFormat.TD1: 3, MrzFormat.TD2: 2, MrzFormat.TD3: 2, MrzFormat.FR_CNI_OLD: 2}
# How far an OCR'd line may miss its nominal length and still be repaired.
LENGTH_TOLERANCE = 3


def nominal_length(line: str) -> int | None:
    for length in LINE_LENGTHS:
        if abs(len(line) - length) <= LENGTH_TOLERANCE:
            return length
    return None


def compatible(line: str, length: int) -> bool:
    """Near `length`, or shorter but with fillers at its end or in a long run inside.

    OCR drops trailing '<' runs, and under-counts long runs of '<' inside a line
    (the old French card's name field); `_fit_length` grows them back and the
    check digits decide.
    """
    near = abs(len(line) - length) <= LENGTH_TOLERANCE
    truncated = line.endswith("<") and length * 0.5 <= len(line) < length
    squeezed = "<<<" in line and length * 0.6 <= len(line) < length
    return near or truncated or squeezed


def group_length(lines: list[str]) -> int | None:
    """The nominal length every line of a group is compatible with, preferring the longest."""
    nominal = {n for n in (nominal_length(line) for line in lines) if n is not None}
    for length in sorted(nominal, reverse=True):
        if all(compatible(line, length) for line in lines):
            return length
    return None


def guess_format(lines: list[str]) -> MrzFormat | None:
    length = group_length(lines)
    if length is None:
        return None
    fmt = LINE_LENGTHS[length]
    return fmt if len(lines) == LINE_COUNTS[fmt] else None

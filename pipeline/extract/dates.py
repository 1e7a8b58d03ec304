"""French-aware dates.

"12/03/2025", "12.03.25", "12 03 2025", "2025-03-12", "12 mars 2025", "1er mars 2025".

A small explicit parser rather than `dateparser`: documents print a handful of
formats, and an explicit list never turns a reference number into a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Folded (lower case, no accents) month names and their usual abbreviations.
MONTHS: dict[str, int] = {
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2,
    "mars": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
# OCR reads 'O' for '0' and 'l'/'I' for '1' inside numeric dates.
_DIGIT = r"[0-9OoIl]"
NUMERIC = re.compile(
    rf"(?<![0-9A-Za-z])({_DIGIT}{{1,2}})\s?([/.\- ])\s?({_DIGIT}{{1,2}})\s?\2\s?"
    rf"({_DIGIT}{{4}}|{_DIGIT}{{2}})(?![0-9])"
)
# OCR of small print mixes separators ("22.02 2034", "22,02.2034") and reads
# a dot as a comma: tried after NUMERIC, four-digit years only.
NOISY_NUMERIC = re.compile(
    rf"(?<![0-9A-Za-z])({_DIGIT}{{2}})\s?[/.,\- ]\s?({_DIGIT}{{2}})\s?[/.,\- ]\s?"
    rf"({_DIGIT}{{4}})(?![0-9])"
)
# Separators lost altogether ("03111967"): only where a label says a date follows.
COMPACT = re.compile(r"(?<![0-9A-Za-z])([0-3][0-9])([01][0-9])((?:19|20)[0-9]{2})(?![0-9])")
ISO = re.compile(r"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?![0-9])")
WORDED = re.compile(
    rf"(?<![0-9a-z])(\d{{1,2}})\s*(?:er)?\s+({_MONTH_WORD})\.?\s+(\d{{4}})(?![0-9])"
)
MONTH_YEAR = re.compile(rf"(?<![a-z])({_MONTH_WORD})\.?\s+(\d{{4}})(?![0-9])")
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    day: date


def _year(text: str) -> int:
    year = int(text)
    # Two-digit years on administrative documents: this century unless clearly past.
    return year + 2000 if len(text) == 2 and year < 70 else year + 1900 if len(text) == 2 else year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(folded: str, *, compact: bool = False) -> list[FoundDate]:
    """Every date in a folded line (see `text.fold`), in order of position.

    `compact=True` also accepts DDMMYYYY without separators, for text known to
    hold a date (under a date label); every date must exist in the calendar.
    """
    found: list[FoundDate] = []
    for match in ISO.finditer(folded):
        day = _safe_date(int(match[1]), int(match[2]), int(match[3]))
        if day:
            found.append(FoundDate(match.start(), match.end(), day))
    for match in WORDED.finditer(folded):
        day = _safe_date(int(match[3]), MONTHS[match[2]], int(match[1]))
        if day:
            found.append(FoundDate(match.start(), match.end(), day))
    for match in NUMERIC.finditer(folded):
        if any(f.start <= match.start() < f.end for f in found):
            continue
        parts = [match[i].translate(_TO_DIGIT) for i in (1, 3, 4)]
        day = _safe_date(_year(parts[2]), int(parts[1]), int(parts[0]))
        if day:
            found.append(FoundDate(match.start(), match.end(), day))
    extra = [NOISY_NUMERIC, COMPACT] if compact else [NOISY_NUMERIC]
    for pattern in extra:
        for match in pattern.finditer(folded):
            if any(
                f.start <= match.start() < f.end or match.start() <= f.start < match.end()
                for f in found
            ):
                continue
            parts = [match[i].translate(_TO_DIGIT) for i in (1, 2, 3)]
            day = _safe_date(int(parts[2]), int(parts[1]), int(parts[0]))
            if day:
                found.append(FoundDate(match.start(), match.end(), day))
    return sorted(found, key=lambda f: f.start)


def parse_date(text: str) -> date | None:
    """The first date in `text`, or None."""
    from pipeline.extract.text import fold

    found = find_dates(fold(text))
    return found[0].day if found else None


def find_month(folded: str) -> tuple[int, int] | None:
    """(year, month) of "septembre 2026", "09/2026" or "2026-09", for periods."""
    worded = MONTH_YEAR.search(folded)
    if worded:
        return int(worded[2]), MONTHS[worded[1]]
    numeric = re.search(r"(?<![0-9/.\-])(0?[1-9]|1[0-2])[/.\-](20\d{2})(?![0-9/.\-])", folded)
    if numeric:
        return int(numeric[2]), int(numeric[1])
    iso = re.search(r"(?<![0-9])(20\d{2})-(0[1-9]|1[0-2])(?![0-9])", folded)
    if iso:
        return int(iso[1]), int(iso[2])
    return None

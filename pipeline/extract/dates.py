"""French-aware dates.

"12/03/2025", "12.03.25", "12 03 2025", "2025-03-12", "12 mars 2025", "1er mars 2025".

A small explicit parser rather than `dateparser`: documents print a handful of
formats, and an explicit list never turns a reference number into a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

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
# OCR look-alikes of digits inside numeric dates, as they appear in folded (lower-case)
# text: O/o for 0, I/l/| for 1, S for 5, B for 8, Z for 2. A date read through
# them is a guess: `FoundDate.corrected` counts them and extractors weaken its evidence.
LOOKALIKES = "oil|sbz"
_DIGIT = rf"[0-9{re.escape(LOOKALIKES)}]"
_TO_DIGIT = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1", "s": "5", "b": "8", "z": "2"})
# At most this many look-alikes in one date, and each part keeps a real digit:
# "lO/OS/2O2S" is more likely words than a date.
MAX_LOOKALIKES = 2
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
# "12 mars 2025", "1er mars 2025" and its OCR "ler mars 2025"; the month word is
# matched loosely and checked against MONTHS (exactly, else by similarity).
WORDED = re.compile(
    rf"(?<![0-9a-z])({_DIGIT}{{1,2}})\s*(er)?\s+([a-z]{{3,10}})\.?\s+({_DIGIT}{{4}})(?![0-9])"
)
MONTH_YEAR = re.compile(rf"(?<![a-z])({_MONTH_WORD})\.?\s+(\d{{4}})(?![0-9])")
# Full month names only for the similarity match: abbreviations are too short to
# tell an OCR slip from another word.
_FULL_MONTHS = [m for m in MONTHS if len(m) >= 4]
# rapidfuzz ratio (0-100) for "fevner" -> "fevrier", "decernbre" -> "decembre".
MONTH_SIMILARITY = 80.0


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    day: date
    corrected: int = 0  # look-alike characters read as digits, or 1 for a misspelt month


def _year(text: str) -> int:
    year = int(text)
    # Two-digit years on administrative documents: this century unless clearly past.
    return year + 2000 if len(text) == 2 and year < 70 else year + 1900 if len(text) == 2 else year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _digits(parts: list[str]) -> tuple[list[str], int] | None:
    """Parts with look-alikes made digits and how many there were; None when too doubtful."""
    corrected = sum(sum(c in LOOKALIKES for c in part) for part in parts)
    if corrected > MAX_LOOKALIKES or not all(any(c.isdigit() for c in p) for p in parts):
        return None
    return [p.translate(_TO_DIGIT) for p in parts], corrected


def _month(word: str) -> tuple[int, int] | None:
    """(month, 0) for a month name or abbreviation, (month, 1) for a misspelt full name."""
    if word in MONTHS:
        return MONTHS[word], 0
    if len(word) < 4:
        return None
    found = process.extractOne(word, _FULL_MONTHS, scorer=fuzz.ratio, score_cutoff=MONTH_SIMILARITY)
    return (MONTHS[found[0]], 1) if found else None


def _overlaps(found: list[FoundDate], match: re.Match[str]) -> bool:
    return any(
        f.start <= match.start() < f.end or match.start() <= f.start < match.end() for f in found
    )


def _worded(folded: str) -> list[FoundDate]:
    found = []
    for match in WORDED.finditer(folded):
        month = _month(match[3])
        # "1er" read "ler": the one day written with a suffix, the only lone look-alike kept.
        first = match[1] in ("l", "i", "|") and match[2] is not None
        digits = _digits(["1" if first else match[1], match[4]])
        if month is None or digits is None:
            continue
        (day_text, year_text), corrected = digits
        corrected += first
        day = _safe_date(int(year_text), month[0], int(day_text))
        if day:
            found.append(FoundDate(match.start(), match.end(), day, corrected + month[1]))
    return found


def _numeric(folded: str, pattern: re.Pattern[str], found: list[FoundDate]) -> list[FoundDate]:
    """Day-month-year matches of `pattern` not overlapping the dates already `found`."""
    more: list[FoundDate] = []
    groups = (1, 3, 4) if pattern is NUMERIC else (1, 2, 3)
    for match in pattern.finditer(folded):
        if _overlaps(found + more, match):
            continue
        digits = _digits([match[i] for i in groups])
        if digits is None or _inside_longer_number(folded, match):
            continue
        (day_text, month_text, year_text), corrected = digits
        day = _safe_date(_year(year_text), int(month_text), int(day_text))
        if day:
            more.append(FoundDate(match.start(), match.end(), day, corrected))
    return more


def _inside_longer_number(folded: str, match: re.Match[str]) -> bool:
    """Whether space-separated digit pairs run on beyond the match: "06 11 78 23 78" is a
    phone number, not 6 November 1978 followed by digits. A four-digit year ends a date
    ("06 12 2019 05 12 2029" is two dates side by side on a card)."""
    if " " not in match[0] or re.search(r"[0-9]{4}$", match[0]):
        return False
    before = re.search(r"[0-9]\s?$", folded[: match.start()])
    after = re.match(r"\s?[0-9]", folded[match.end() :])
    return before is not None or after is not None


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
    found += [
        f for f in _worded(folded) if not any(f.start < g.end and g.start < f.end for g in found)
    ]
    for pattern in [NUMERIC, NOISY_NUMERIC, COMPACT] if compact else [NUMERIC, NOISY_NUMERIC]:
        found += _numeric(folded, pattern, found)
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

"""Find, parse and verify machine-readable zones (MRZ) of identity documents.

Formats: ICAO 9303 TD1 (3 x 30: French identity card since 2021, residence
permits), TD2 (2 x 36), TD3 (2 x 44: passports), and the French identity card
issued until 2021 (2 x 36, its own layout, see `_parse_fr_cni_old`).

OCR output is noisy, so lines are repaired before parsing: spaces dropped,
'«' (or lower-case 'c'/'e' runs) read for '<', fillers read as 'K', and O/0,
I/1, S/5... confusions undone by the kind of field a character sits in (digits
or letters). Every check digit is verified and reported. When checks fail,
look-alike corrections are tried (`corrected_lines`): digit corrections (dates,
field check digits) must be confirmed by the composite check, which weighs them
independently; letter/digit swaps in document numbers only by their own check
digit, as the composite weighs them the same way. A correction must be the only
valid one, and is counted in `MrzReading.corrections`, whose values then carry
weaker evidence. The composite check digit itself is only ever read.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
from pydantic import BaseModel, Field

from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import Box, PageReading, TextSource


class MrzFormat(StrEnum):
    TD1 = "td1"
    TD2 = "td2"
    TD3 = "td3"
    FR_CNI_OLD = "fr_cni_old"


MRZ_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_LINE_LENGTHS = {30: MrzFormat.TD1, 36: MrzFormat.TD2, 44: MrzFormat.TD3}
_LINE_COUNTS = {MrzFormat.TD1: 3, MrzFormat.TD2: 2, MrzFormat.TD3: 2, MrzFormat.FR_CNI_OLD: 2}
# How far an OCR'd line may miss its nominal length and still be repaired.
_LENGTH_TOLERANCE = 3


# --- check digits -----------------------------------------------------------


def _char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def check_digit(text: str) -> int:
    """ICAO 9303 check digit: weights 7, 3, 1 repeated, sum modulo 10."""
    weights = (7, 3, 1)
    return sum(_char_value(c) * weights[i % 3] for i, c in enumerate(text)) % 10


def _check_passes(text: str, digit: str) -> bool:
    # An empty optional field may carry '<' as its check digit (ICAO 9303-3 §4.9).
    if digit == "<":
        return set(text) <= {"<"}
    return digit.isdigit() and check_digit(text) == int(digit)


# --- OCR repair -------------------------------------------------------------

# Field masks per line: A = letters (or '<'), N = digits (or '<'), X = either.
_MASKS: dict[MrzFormat, tuple[str, ...]] = {
    MrzFormat.TD1: (
        "AAAAA" + "X" * 9 + "N" + "X" * 15,
        "NNNNNNNA" + "NNNNNNN" + "AAA" + "X" * 11 + "N",
        "A" * 30,
    ),
    MrzFormat.TD2: (
        "A" * 36,
        "X" * 9 + "N" + "AAA" + "NNNNNNN" + "A" + "NNNNNNN" + "X" * 7 + "N",
    ),
    MrzFormat.TD3: (
        "A" * 44,
        "X" * 9 + "N" + "AAA" + "NNNNNNN" + "A" + "NNNNNNN" + "X" * 14 + "NN",
    ),
    MrzFormat.FR_CNI_OLD: (
        "A" * 30 + "X" * 6,
        "NNNN" + "XXX" + "NNNNN" + "N" + "A" * 14 + "NNNNNNN" + "A" + "N",
    ),
}
_TO_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
)
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A"})
_FILLER_LOOKALIKES = str.maketrans({"«": "<", "‹": "<", "(": "<", "[": "<", "{": "<"})


# An MRZ has no lower case: page OCR reads runs of '<' as 'c', 'e' or 'ec' mixed
# (now and then 'a') mixed with '<' and '«' ("<<ccceccacce"); next to a filler, or
# three together, they are fillers.
_LOWER_FILLERS = re.compile(r"(?:(?<=[<«‹])|(?=[cea]*[<«‹]))[cea]*[ce][cea]*|[cea]*[ce]{3,}[cea]*")


def clean_line(raw: str) -> str:
    """Upper-case, '<' look-alikes mapped, everything outside the MRZ charset dropped."""
    text = _LOWER_FILLERS.sub(lambda m: "<" * len(m.group()), raw)
    text = text.upper().translate(_FILLER_LOOKALIKES)
    return "".join(c for c in text if c in MRZ_CHARSET)


def _fit_length(line: str, length: int) -> str:
    """Bring a line to its nominal length by growing or shrinking its longest run of fillers.

    OCR most often adds or drops a '<' inside long filler runs, which carry no data.
    """
    while len(line) != length:
        runs = list(re.finditer(r"<+", line))
        if not runs:
            return line[:length].ljust(length, "<")
        longest = max(runs, key=lambda m: (len(m.group()), m.start()))
        if len(line) < length:
            line = line[: longest.end()] + "<" + line[longest.end() :]
        else:
            line = line[: longest.start()] + line[longest.start() + 1 :]
    return line


def _length_variants(line: str, length: int) -> list[str]:
    """Ways to bring a line to `length`: via its filler runs, or by cutting/padding either end.

    OCR adds or drops a '<' inside filler runs, drops trailing fillers, or adds a
    stray character at an edge; which one happened is decided later by the check digits.
    """
    variants = [_fit_length(line, length), line[:length].ljust(length, "<")]
    if len(line) > length:
        variants.append(line[len(line) - length :])
    return list(dict.fromkeys(variants))


def _first_line_variants(line: str, fmt: MrzFormat, index: int, length: int) -> list[str]:
    """Length variants of a line, and for a passport's first line also with the filler
    after its one-letter document code restored ("PFRADUPONT" for "P<FRADUPONT"):
    OCR often drops it. No check digit covers that line; `_score` prefers the
    variant whose issuing state is the holder's nationality when all else is equal.
    """
    variants = _length_variants(line, length)
    if index == 0 and fmt in (MrzFormat.TD2, MrzFormat.TD3) and line[1:2] not in ("<", ""):
        variants += _length_variants(line[0] + "<" + line[1:], length)
    return list(dict.fromkeys(variants))


def _fix_fillers_read_as_k(line: str, mask: str) -> str:
    """In letter fields, a 'K' that only touches fillers (or the line end) is a misread '<'."""
    chars = list(line)
    changed = True
    while changed:
        changed = False
        for i, char in enumerate(chars):
            if char != "K" or mask[i] != "A":
                continue
            left = chars[i - 1] if i > 0 else "<"
            right = chars[i + 1] if i + 1 < len(chars) else "<"
            if left in "<K" and right in "<K" and (left == "<" or right == "<"):
                chars[i] = "<"
                changed = True
    fixed = "".join(chars)
    # A run of 3+ 'K' reaching the end of a letter field is fillers read as 'K'.
    # So is one after fillers at the end of an optional-data field: real optional
    # data does not end in 'KKK', and the check digits cannot tell (a run of nine
    # 'K' adds a multiple of 10 to the weighted sum, so it passes as fillers do).
    tail = re.search(r"K{3,}$", fixed)
    if tail and (
        set(mask[tail.start() :]) == {"A"}
        or (set(mask[tail.start() :]) <= {"A", "X"} and fixed[: tail.start()].endswith("<"))
    ):
        fixed = fixed[: tail.start()] + "<" * len(tail.group())
    return fixed


def _apply_mask(line: str, mask: str) -> str:
    out = []
    for char, kind in zip(line, mask, strict=True):
        if kind == "N":
            out.append(char.translate(_TO_DIGIT))
        elif kind == "A":
            out.append(char.translate(_TO_LETTER))
        else:
            out.append(char)
    return "".join(out)


def repair_lines(lines: list[str], fmt: MrzFormat) -> list[list[str]]:
    """Candidate repairs of OCR'd lines of a known format, one list of lines per candidate."""
    per_line = []
    for index, (line, mask) in enumerate(zip(lines, _MASKS[fmt], strict=True)):
        variants: list[str] = []
        for fitted in _first_line_variants(clean_line(line), fmt, index, len(mask)):
            repaired = _apply_mask(_fix_fillers_read_as_k(fitted, mask), mask)
            # A lone character inside a filler run is usually a misread '<'; offered
            # as an alternative only, so that check digits decide.
            despeckled = re.sub(r"(?<=<<)[A-Z0-9](?=<<)", "<", repaired)
            variants.extend(dict.fromkeys([repaired, despeckled]))
        per_line.append(variants)
    return [list(combo) for combo in itertools.product(*per_line)]


# Look-alikes by what a position may hold (ICAO character classes): in digit
# fields, the digits blurred photos merge (0/8/6, 3/8, 5/6, 1/7); in fields that
# mix letters and digits (document numbers), the classic letter/digit pairs only.
_DIGIT_LOOKALIKES = {"0": "86", "8": "063", "6": "085", "3": "8", "5": "6", "1": "7", "7": "1"}
_CROSS_LOOKALIKES = {"0": "O", "O": "0", "D": "0", "Q": "0", "1": "I", "I": "1", "5": "S",
                     "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2", "6": "G",
                     "G": "6"}  # fmt: skip


@dataclass(frozen=True)
class _CheckedField:
    """A field of one line, the position of its check digit in that line, and whether
    the composite check weighs the field differently (see `field_corrections`)."""

    line: int
    start: int
    end: int
    check: int
    composite_independent: bool


_CHECKED: dict[MrzFormat, tuple[_CheckedField, ...]] = {
    MrzFormat.TD1: (_CheckedField(0, 5, 14, 14, False), _CheckedField(1, 0, 6, 6, True),
                    _CheckedField(1, 8, 14, 14, True)),
    MrzFormat.TD2: (_CheckedField(1, 0, 9, 9, False), _CheckedField(1, 13, 19, 19, True),
                    _CheckedField(1, 21, 27, 27, True)),
    MrzFormat.TD3: (_CheckedField(1, 0, 9, 9, False), _CheckedField(1, 13, 19, 19, True),
                    _CheckedField(1, 21, 27, 27, True)),
    MrzFormat.FR_CNI_OLD: (_CheckedField(1, 0, 12, 12, False),
                           _CheckedField(1, 27, 33, 33, False)),
}  # fmt: skip
_MAX_CORRECTED = 64
# Evidence confidence of values from a look-alike-corrected MRZ (under the 0.8
# that makes a failed rule a refusal rather than a doubt).
CORRECTED_CONFIDENCE = 0.75  # corrected line sets parsed per repaired candidate at most


def field_corrections(
    field: str, digit: str, mask: str, *, composite_independent: bool
) -> list[str]:
    """Look-alike variants of a failed field that its check digit (read, never changed) accepts.

    The fewest changes win, and only where each position's character class
    allows them (`mask`: A letters, N digits, X either):
    - fields mixing letters and digits (document numbers): up to two classic
      letter/digit swaps (0/O, 1/I, 5/S, 8/B, 2/Z, 6/G);
    - digit fields (dates): one digit look-alike, and only when the composite
      check weighs the field with other weights (`composite_independent`): a
      check digit alone accepts one wrong digit in ten, the composite then
      rejects nine in ten of those. Where the field sits at a multiple of three
      in the composite, any change its own check accepts the composite accepts too.
    Empty when the field passes or nothing passes.
    """
    if _check_passes(field, digit) or not digit.isdigit():
        return []
    digits_only = set(mask) == {"N"}
    if digits_only and not composite_independent:
        return []
    table = _DIGIT_LOOKALIKES if digits_only else _CROSS_LOOKALIKES
    # Only positions of kind X take a letter for a digit or back; N and A positions
    # were already brought to their class by `_apply_mask`.
    kind = "N" if digits_only else "X"
    positions = [(i, table[c]) for i, c in enumerate(field) if c in table and mask[i] == kind]
    for changes in range(1, (1 if digits_only else 2) + 1):
        passing = []
        for chosen in itertools.combinations(positions, changes):
            for replacement in itertools.product(*(alts for _, alts in chosen)):
                chars = list(field)
                for (i, _), char in zip(chosen, replacement, strict=True):
                    chars[i] = char
                variant = "".join(chars)
                if _check_passes(variant, digit):
                    passing.append(variant)
        if passing:
            return list(dict.fromkeys(passing))
    return []


# (line, start, end) of optional fields whose check digit must be '0' or '<' when
# the field is empty (ICAO 9303-4: TD3 personal number); the composite covers it.
_EMPTY_WHEN_FILLED: dict[MrzFormat, tuple[tuple[int, int, int], ...]] = {
    MrzFormat.TD3: ((1, 28, 42),),
}
_Edit = tuple[int, int, int, str]  # line, start, end, replacement


def check_digit_corrections(field: str, digit: str) -> list[str]:
    """The digit the field's data call for, when the check digit read is its look-alike.

    Only ever offered beside a composite check: the composite weighs every field
    check digit, so a corrected check digit passes it only if the data around it
    were read right (or, once in ten, by chance, as for any correction).
    """
    if _check_passes(field, digit) or not set(field) <= set(MRZ_CHARSET):
        return []
    expected = str(check_digit(field))
    return [expected] if expected in _DIGIT_LOOKALIKES.get(digit, "") else []


def corrected_lines(lines: list[str], fmt: MrzFormat) -> list[tuple[list[str], int]]:
    """Line sets with failed checked fields replaced by their look-alike corrections,
    with the number of fields changed; the lines as read come first (0 changes)."""
    per_field: list[list[_Edit | None]] = []
    for spec in _CHECKED[fmt]:
        line = lines[spec.line]
        mask = _MASKS[fmt][spec.line][spec.start : spec.end]
        fixes = field_corrections(
            line[spec.start : spec.end],
            line[spec.check],
            mask,
            composite_independent=spec.composite_independent,
        )
        edits: list[_Edit | None] = [None]
        edits += [(spec.line, spec.start, spec.end, fix) for fix in fixes]
        edits += [
            (spec.line, spec.check, spec.check + 1, digit)
            for digit in check_digit_corrections(line[spec.start : spec.end], line[spec.check])
        ]
        per_field.append(edits)
    for row, start, end in _EMPTY_WHEN_FILLED.get(fmt, ()):
        # An empty field's check digit read as another digit: only '0' or '<' can be printed.
        if set(lines[row][start:end]) == {"<"} and lines[row][end] not in "0<":
            per_field.append([None, (row, end, end + 1, "0"), (row, end, end + 1, "<")])
    results: list[tuple[list[str], int]] = []
    for combo in itertools.islice(itertools.product(*per_field), _MAX_CORRECTED):
        fixed = list(lines)
        for edit in combo:
            if edit is not None:
                row, start, end, value = edit
                fixed[row] = fixed[row][:start] + value + fixed[row][end:]
        results.append((fixed, sum(edit is not None for edit in combo)))
    return results


# --- result model -----------------------------------------------------------


class MrzReading(BaseModel):
    """What an MRZ says, and whether its check digits agree."""

    format: MrzFormat
    lines: list[str]
    document_code: str
    issuing_country: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str | None  # ISO; None if the digits are not a date
    sex: str  # M, F or X (unspecified)
    expiry_date: str | None  # ISO
    expiry_estimated: bool = False  # old French card: derived from the issue month, see docs
    issue_date: str | None = None  # ISO, first day of the month (old French card only)
    optional_data: str = ""
    checks: dict[str, bool] = Field(default_factory=dict)
    # Checked fields whose look-alike characters were corrected (in the values; `lines`
    # stay as read, after the character-class repair) so that their own
    # check digit and the composite one pass (see `field_corrections`).
    corrections: int = 0

    @property
    def dates_valid(self) -> bool:
        return self.birth_date is not None and self.expiry_date is not None

    @property
    def valid(self) -> bool:
        """Every check digit passes and the dates are real dates."""
        return all(self.checks.values()) and self.dates_valid

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, passed in self.checks.items() if not passed]

    def to_fields(self, *, page: int | None = None, box: Box | None = None) -> list[ExtractedField]:
        """Fields with MRZ evidence; confidence 1.0 only when every check digit passes on
        the characters as read. Look-alike corrections (`corrections`) pass the checks
        but may, about once in a hundred, pass them by chance: their values stay
        below the strong-evidence line until the printed text confirms them."""
        confidence = (CORRECTED_CONFIDENCE if self.corrections else 1.0) if self.valid else 0.5
        raw = "\n".join(self.lines)
        values: list[tuple[FieldName, str | None]] = [
            (FieldName.MRZ, raw),
            (FieldName.LAST_NAME, self.surname),
            (FieldName.FIRST_NAMES, self.given_names),
            (FieldName.DOCUMENT_NUMBER, self.document_number),
            (FieldName.NATIONALITY, self.nationality),
            (FieldName.BIRTH_DATE, self.birth_date),
            (FieldName.SEX, self.sex),
            (FieldName.EXPIRY_DATE, self.expiry_date),
            (FieldName.ISSUE_DATE, self.issue_date),
            (FieldName.ISSUER, self.issuing_country),
        ]
        evidence = Evidence(page=page, box=box, source=TextSource.MRZ, confidence=confidence)
        return [
            ExtractedField(name=name, value=value, evidence=evidence.model_copy())
            for name, value in values
            if value
        ]


# --- dates ------------------------------------------------------------------


def _parse_yymmdd(text: str, century_for: Callable[[int], int]) -> date | None:
    if not text.isdigit() or len(text) != 6:
        return None
    yy, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    try:
        return date(century_for(yy) + yy, month, day)
    except ValueError:
        return None


def birth_date_from_mrz(text: str, as_of: date) -> date | None:
    """Two-digit year: the most recent century that puts the birth date in the past."""

    def century(yy: int) -> int:
        base = as_of.year // 100 * 100
        return base if base + yy <= as_of.year else base - 100

    found = _parse_yymmdd(text, century)
    if found is not None and found > as_of:
        found = found.replace(year=found.year - 100)
    return found


def expiry_date_from_mrz(text: str, as_of: date) -> date | None:
    """Two-digit year: the century that puts expiry at most 20 years ahead of `as_of`."""

    def century(yy: int) -> int:
        base = as_of.year // 100 * 100
        return base if base + yy <= as_of.year + 20 else base - 100

    return _parse_yymmdd(text, century)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _add_years_end_of_month(start: date, years: int) -> date:
    year = start.year + years
    return date(year, start.month, calendar.monthrange(year, start.month)[1])


# --- parsers ----------------------------------------------------------------


def _names(field: str) -> tuple[str, str]:
    """(surname, given names); the given names end at the next '<<', whatever noise follows."""
    surname, _, rest = field.strip("<").partition("<<")
    given = rest.split("<<", 1)[0]
    return _words(surname), _words(given)


def _words(field: str) -> str:
    return " ".join(part for part in field.split("<") if part)


def _sex(char: str) -> str:
    return char if char in ("M", "F") else "X"


def _document_number_td1(line1: str) -> tuple[str, str, str]:
    """(number, its check digit, optional data) of TD1 line 1, with the long-number extension.

    ICAO 9303-5: a number longer than 9 characters puts '<' in the check position
    and continues in the optional field, ended by its check digit and a '<'.
    """
    if line1[14] != "<":
        return line1[5:14], line1[14], line1[15:30]
    rest = line1[15:30].split("<", 1)[0]
    if not rest:
        return line1[5:14], line1[14], line1[15:30]
    return line1[5:14] + rest[:-1], rest[-1], line1[15 + len(rest) + 1 : 30]


def _parse_td1(lines: list[str], as_of: date) -> MrzReading:
    line1, line2, line3 = lines
    number, number_check, optional1 = _document_number_td1(line1)
    surname, given = _names(line3)
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    return MrzReading(
        format=MrzFormat.TD1,
        lines=lines,
        document_code=line1[0:2].strip("<"),
        issuing_country=line1[2:5].strip("<"),
        surname=surname,
        given_names=given,
        document_number=number.strip("<"),
        nationality=line2[15:18].strip("<"),
        birth_date=_iso(birth_date_from_mrz(line2[0:6], as_of)),
        sex=_sex(line2[7]),
        expiry_date=_iso(expiry_date_from_mrz(line2[8:14], as_of)),
        optional_data=(optional1 + line2[18:29]).strip("<"),
        checks={
            "document_number": _check_passes(number, number_check),
            "birth_date": _check_passes(line2[0:6], line2[6]),
            "expiry_date": _check_passes(line2[8:14], line2[14]),
            "composite": _check_passes(composite, line2[29]),
        },
    )


def _parse_td2_td3(lines: list[str], as_of: date, fmt: MrzFormat) -> MrzReading:
    line1, line2 = lines
    surname, given = _names(line1[5:])
    optional_end = 35 if fmt is MrzFormat.TD2 else 42
    checks = {
        "document_number": _check_passes(line2[0:9], line2[9]),
        "birth_date": _check_passes(line2[13:19], line2[19]),
        "expiry_date": _check_passes(line2[21:27], line2[27]),
    }
    if fmt is MrzFormat.TD3:
        checks["personal_number"] = _check_passes(line2[28:42], line2[42])
    checks["composite"] = _check_passes(
        line2[0:10] + line2[13:20] + line2[21 : len(line2) - 1], line2[-1]
    )
    return MrzReading(
        format=fmt,
        lines=lines,
        document_code=line1[0:2].strip("<"),
        issuing_country=line1[2:5].strip("<"),
        surname=surname,
        given_names=given,
        document_number=line2[0:9].strip("<"),
        nationality=line2[10:13].strip("<"),
        birth_date=_iso(birth_date_from_mrz(line2[13:19], as_of)),
        sex=_sex(line2[20]),
        expiry_date=_iso(expiry_date_from_mrz(line2[21:27], as_of)),
        optional_data=line2[28:optional_end].strip("<"),
        checks=checks,
    )


def fr_cni_old_expiry(issue_month: date, birth: date | None) -> date:
    """Expiry of a French identity card of the old format, from its issue month.

    Validity is 10 years for cards issued to minors and for cards issued before
    2004. Décret 2013-1188 made it 15 years for cards issued to adults from
    2014-01-01 on, and extended the cards issued to adults from 2004-01-02 to
    2013-12-31 to 15 years as well. The MRZ only carries the issue year and
    month, so the result is the last day of the month 10 (or 15) years later:
    in the holder's favour, never a day early. Issue-month ambiguity for
    January 2004 is resolved in the holder's favour too.
    """
    adult = birth is not None and _age_on(birth, issue_month) >= 18
    years = 15 if issue_month >= date(2004, 1, 1) and adult else 10
    return _add_years_end_of_month(issue_month, years)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _issue_month_fr_cni_old(card_number: str, as_of: date) -> date | None:
    yymm = card_number[0:4]
    if not yymm.isdigit() or not 1 <= int(yymm[2:]) <= 12:
        return None
    yy = int(yymm[:2])
    base = as_of.year // 100 * 100
    year = base + yy if base + yy <= as_of.year else base - 100 + yy
    return date(year, int(yymm[2:]), 1)


def _parse_fr_cni_old(lines: list[str], as_of: date) -> MrzReading:
    """French identity card 1988-2021 (2 x 36).

    Line 1: 'ID' + 'FRA' + surname (25) + department and office code (6).
    Line 2: card number (12: YYMM of issue, department (3), office and sequence (5)),
    its check digit, given names (14), birth date YYMMDD and check digit, sex, and
    a final check digit over line 1 and the first 35 characters of line 2.
    """
    line1, line2 = lines
    card_number = line2[0:12]
    birth = birth_date_from_mrz(line2[27:33], as_of)
    issue_month = _issue_month_fr_cni_old(card_number, as_of)
    expiry = fr_cni_old_expiry(issue_month, birth) if issue_month else None
    return MrzReading(
        format=MrzFormat.FR_CNI_OLD,
        lines=lines,
        document_code=line1[0:2],
        issuing_country=line1[2:5],
        surname=_words(line1[5:30]),
        given_names=" ".join(_words(name) for name in line2[13:27].split("<<") if name),
        document_number=card_number,
        nationality="FRA",
        birth_date=_iso(birth),
        sex=_sex(line2[34]),
        expiry_date=_iso(expiry),
        expiry_estimated=True,
        issue_date=_iso(issue_month),
        optional_data=line1[30:36].strip("<"),
        checks={
            "document_number": _check_passes(card_number, line2[12]),
            "birth_date": _check_passes(line2[27:33], line2[33]),
            "composite": _check_passes(line1 + line2[0:35], line2[35]),
        },
    )


def parse_mrz(lines: list[str], *, as_of: date) -> MrzReading:
    """Parse 2 or 3 MRZ lines (raw OCR text is fine), guessing the format from their lengths.

    Among the candidate repairs of the lines, the one whose check digits agree best
    wins. Raises ValueError when the lines fit no known layout.
    """
    cleaned = [clean_line(line) for line in lines if clean_line(line)]
    fmt = _guess_format(cleaned)
    if fmt is None:
        raise ValueError("lines do not fit any MRZ layout")
    formats = [fmt]
    if fmt is MrzFormat.TD2 and cleaned[0].startswith("IDFRA"):
        formats.insert(0, MrzFormat.FR_CNI_OLD)
    readings = [
        reading
        for f in formats
        for candidate in repair_lines(cleaned, f)
        for reading in _corrected_readings(candidate, f, as_of)
    ]
    return max(readings, key=_score)


def _corrected_readings(lines: list[str], fmt: MrzFormat, as_of: date) -> list[MrzReading]:
    """The lines parsed as read, and the one look-alike correction that makes them valid.

    Corrections count only when every check then passes (the composite one covers
    the corrected fields a second time) and one correction with the fewest changed
    fields stands alone: two different valid corrections mean the check digits
    cannot tell which one was printed, and the lines stay as read.
    """
    as_read = _parse_as(lines, fmt, as_of)
    if as_read.valid:
        return [as_read]
    valid: dict[int, list[MrzReading]] = {}
    for fixed, changes in corrected_lines(lines, fmt)[1:]:
        reading = _parse_as(fixed, fmt, as_of)
        if reading.valid:
            valid.setdefault(changes, []).append(reading)
    if not valid:
        return [as_read]
    fewest = valid[min(valid)]
    if len({_values(r) for r in fewest}) > 1:
        return [as_read]
    # `lines` stay as read: whoever parses them again (the page signals keep them)
    # makes the same correction and knows it was one.
    return [as_read, fewest[0].model_copy(update={"corrections": min(valid), "lines": lines})]


def corrected_fields(reading: MrzReading, *, as_of: date) -> frozenset[FieldName]:
    """The fields whose values a look-alike correction changed: those that differ
    from the same lines parsed as read (empty when nothing was corrected)."""
    if not reading.corrections:
        return frozenset()
    as_read = {f.name: f.value for f in _parse_as(reading.lines, reading.format, as_of).to_fields()}
    return frozenset(
        f.name
        for f in reading.to_fields()
        if f.name is not FieldName.MRZ and as_read.get(f.name) != f.value
    )


def _values(reading: MrzReading) -> tuple[str | None, ...]:
    """What a reading says, whatever the check digits ('0' or '<' for an empty field)."""
    return (
        reading.document_number,
        reading.birth_date,
        reading.expiry_date,
        reading.optional_data,
        reading.surname,
        reading.given_names,
    )


def _score(reading: MrzReading) -> tuple[bool, int, int, bool]:
    home = reading.issuing_country == reading.nationality
    return reading.valid, sum(reading.checks.values()), -reading.corrections, home


def _parse_as(lines: list[str], fmt: MrzFormat, as_of: date) -> MrzReading:
    if fmt is MrzFormat.TD1:
        return _parse_td1(lines, as_of)
    if fmt is MrzFormat.FR_CNI_OLD:
        return _parse_fr_cni_old(lines, as_of)
    return _parse_td2_td3(lines, as_of, fmt)


def _nominal_length(line: str) -> int | None:
    for length in _LINE_LENGTHS:
        if abs(len(line) - length) <= _LENGTH_TOLERANCE:
            return length
    return None


def _compatible(line: str, length: int) -> bool:
    """Near `length`, or shorter but with fillers at its end or in a long run inside.

    OCR drops trailing '<' runs, and under-counts long runs of '<' inside a line
    (the old French card's name field); `_fit_length` grows them back and the
    check digits decide.
    """
    near = abs(len(line) - length) <= _LENGTH_TOLERANCE
    truncated = line.endswith("<") and length * 0.5 <= len(line) < length
    squeezed = "<<<" in line and length * 0.6 <= len(line) < length
    return near or truncated or squeezed


def _group_length(lines: list[str]) -> int | None:
    """The nominal length every line of a group is compatible with, preferring the longest."""
    nominal = {n for n in (_nominal_length(line) for line in lines) if n is not None}
    for length in sorted(nominal, reverse=True):
        if all(_compatible(line, length) for line in lines):
            return length
    return None


def _guess_format(lines: list[str]) -> MrzFormat | None:
    length = _group_length(lines)
    if length is None:
        return None
    fmt = _LINE_LENGTHS[length]
    return fmt if len(lines) == _LINE_COUNTS[fmt] else None


# --- finding the MRZ in page text ---------------------------------------------


def _looks_like_mrz_line(raw: str) -> str | None:
    """The cleaned line if `raw` plausibly is an MRZ line, else None."""
    squeezed = "".join(raw.split()).upper().translate(_FILLER_LOOKALIKES)
    if not squeezed:
        return None
    in_charset = sum(c in MRZ_CHARSET for c in squeezed) / len(squeezed)
    cleaned = clean_line("".join(raw.split()))
    # Fillers are what tells an MRZ line from a line of capitals; 'K' stands in for them
    # when OCR misreads, so it counts towards the filler evidence too.
    filler_like = cleaned.count("<") + len(re.findall(r"KK", cleaned))
    fits = any(_compatible(cleaned, length) for length in _LINE_LENGTHS)
    if in_charset < 0.9 or filler_like < 1 or not fits:
        return None
    return cleaned


@dataclass(frozen=True)
class MrzCandidate:
    lines: list[str]
    first_line_index: int  # index in the text's lines, for locating it


def find_mrz_candidates(text: str) -> list[MrzCandidate]:
    """Groups of consecutive MRZ-looking lines with the same nominal length and a valid count.

    Blank lines are skipped: OCR often leaves them between MRZ lines.
    """
    found: list[MrzCandidate] = []
    run: list[tuple[int, str]] = []
    for index, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        cleaned = _looks_like_mrz_line(raw)
        if cleaned is not None and run and _group_length([run[-1][1], cleaned]) is not None:
            run.append((index, cleaned))
            continue
        found.extend(_candidates_in_run(run))
        run = [(index, cleaned)] if cleaned is not None else []
    found.extend(_candidates_in_run(run))
    return found


def _candidates_in_run(run: list[tuple[int, str]]) -> list[MrzCandidate]:
    """The last 2 or 3 lines of a run (an MRZ ends its block) that form a known layout."""
    found = []
    for count in (3, 2):
        tail = run[-count:]
        if len(tail) == count and _guess_format([line for _, line in tail]) is not None:
            found.append(
                MrzCandidate(lines=[line for _, line in tail], first_line_index=tail[0][0])
            )
    return found


def find_mrz(text: str, *, as_of: date) -> MrzReading | None:
    """The best MRZ in a page's text: valid ones first, then the one with most passing checks."""
    readings = []
    for candidate in find_mrz_candidates(text):
        try:
            readings.append(parse_mrz(candidate.lines, as_of=as_of))
        except ValueError:
            continue
    if not readings:
        return None
    return max(readings, key=lambda r: (r.valid, sum(r.checks.values())))


def find_mrz_in_page(page: PageReading, *, as_of: date) -> MrzReading | None:
    """`find_mrz` over one page's text (OCR or text layer)."""
    return find_mrz(page.text, as_of=as_of)


def mrz_box(page: PageReading) -> Box | None:
    """Union of the boxes of the page's words that look like MRZ fragments (fillers inside)."""
    boxes = [w.box for w in page.words if "<" in clean_line(w.text) and len(w.text) >= 5]
    if not boxes:
        return None
    return Box(
        x0=min(b.x0 for b in boxes),
        y0=min(b.y0 for b in boxes),
        x1=max(b.x1 for b in boxes),
        y1=max(b.y1 for b in boxes),
    )


# --- reading the MRZ band of a page image -------------------------------------

# The MRZ sits in the bottom third of an identity card and the bottom quarter of a
# passport data page; re-reading that band alone with a single-block layout (psm 6)
# avoids the page layout analysis splitting its lines into columns.
_BAND_FRACTIONS = (0.35, 1.0)


def read_mrz_from_image(image: np.ndarray, *, as_of: date) -> MrzReading | None:
    """OCR the bottom band of a card or page image (then the whole image) and parse its MRZ."""
    from pipeline.read.ocr import ocr_page  # the one door to tesseract

    best: MrzReading | None = None
    height = image.shape[0]
    for fraction in _BAND_FRACTIONS:
        band = image[int(height * (1 - fraction)) :, :]
        reading = find_mrz(ocr_page(band, languages="eng", psm=6).text, as_of=as_of)
        if reading is not None and (best is None or _score(reading) > _score(best)):
            best = reading
        if best is not None and best.valid:
            break
    return best

"""Parse MRZ lines into an `MrzReading`: the layouts' fields, their dates, and the
choice among repaired and corrected candidates by their check digits.

Every check digit is verified and reported. When checks fail, look-alike
corrections (`pipeline.codes.mrz.corrections`) are tried; a correction must be
the only valid one, and is counted in `MrzReading.corrections`, whose values
then carry weaker evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pipeline.codes.mrz.checks import check_passes
from pipeline.codes.mrz.corrections import corrected_lines
from pipeline.codes.mrz.formats import MrzFormat, guess_format
from pipeline.codes.mrz.reading import MrzReading
from pipeline.codes.mrz.repair import clean_line, repair_lines
from pipeline.codes.validity import fr_cni_old_expiry
from pipeline.fields import FieldName


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
            "document_number": check_passes(number, number_check),
            "birth_date": check_passes(line2[0:6], line2[6]),
            "expiry_date": check_passes(line2[8:14], line2[14]),
            "composite": check_passes(composite, line2[29]),
        },
    )


def _parse_td2_td3(lines: list[str], as_of: date, fmt: MrzFormat) -> MrzReading:
    line1, line2 = lines
    surname, given = _names(line1[5:])
    optional_end = 35 if fmt is MrzFormat.TD2 else 42
    checks = {
        "document_number": check_passes(line2[0:9], line2[9]),
        "birth_date": check_passes(line2[13:19], line2[19]),
        "expiry_date": check_passes(line2[21:27], line2[27]),
    }
    if fmt is MrzFormat.TD3:
        checks["personal_number"] = check_passes(line2[28:42], line2[42])
    checks["composite"] = check_passes(
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
            "document_number": check_passes(card_number, line2[12]),
            "birth_date": check_passes(line2[27:33], line2[33]),
            "composite": check_passes(line1 + line2[0:35], line2[35]),
        },
    )


def parse_mrz(lines: list[str], *, as_of: date) -> MrzReading:
    """Parse 2 or 3 MRZ lines (raw OCR text is fine), guessing the format from their lengths.

    Among the candidate repairs of the lines, the one whose check digits agree best
    wins. Raises ValueError when the lines fit no known layout.
    """
    cleaned = [clean_line(line) for line in lines if clean_line(line)]
    fmt = guess_format(cleaned)
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

"""Look-alike corrections of MRZ fields whose check digits fail.

Digit corrections (dates, field check digits) must be confirmed by the
composite check, which weighs them independently; letter/digit swaps in
document numbers only by their own check digit, as the composite weighs them
the same way. The composite check digit itself is only ever read. Which
correction is kept (the only valid one) is decided by the parser.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pipeline.codes.mrz.checks import MRZ_CHARSET, check_digit, check_passes
from pipeline.codes.mrz.formats import MrzFormat
from pipeline.codes.mrz.repair import MASKS

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
_MAX_CORRECTED = 64  # corrected line sets parsed per repaired candidate at most


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
    if check_passes(field, digit) or not digit.isdigit():
        return []
    digits_only = set(mask) == {"N"}
    if digits_only and not composite_independent:
        return []
    table = _DIGIT_LOOKALIKES if digits_only else _CROSS_LOOKALIKES
    # Only positions of kind X take a letter for a digit or back; N and A positions
    # were already brought to their class by the repair (`repair_lines`).
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
                if check_passes(variant, digit):
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
    if check_passes(field, digit) or not set(field) <= set(MRZ_CHARSET):
        return []
    expected = str(check_digit(field))
    return [expected] if expected in _DIGIT_LOOKALIKES.get(digit, "") else []


def corrected_lines(lines: list[str], fmt: MrzFormat) -> list[tuple[list[str], int]]:
    """Line sets with failed checked fields replaced by their look-alike corrections,
    with the number of fields changed; the lines as read come first (0 changes)."""
    per_field: list[list[_Edit | None]] = []
    for spec in _CHECKED[fmt]:
        line = lines[spec.line]
        mask = MASKS[fmt][spec.line][spec.start : spec.end]
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

"""OCR repair of MRZ lines: what page OCR makes of a machine-readable zone, brought
back to the MRZ alphabet and the nominal length of its layout.

Spaces are dropped, '«' (or lower-case 'c'/'e' runs) read for '<', fillers read
as 'K' restored, and O/0, I/1, S/5... confusions undone by the kind of field a
character sits in (digits or letters). Several candidates may come out: the
check digits choose among them (`pipeline.codes.mrz.parse`).
"""

from __future__ import annotations

import itertools
import re

from pipeline.codes.mrz.checks import MRZ_CHARSET
from pipeline.codes.mrz.formats import MrzFormat

# Field masks per line: A = letters (or '<'), N = digits (or '<'), X = either.
MASKS: dict[MrzFormat, tuple[str, ...]] = {
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
FILLER_LOOKALIKES = str.maketrans({"«": "<", "‹": "<", "(": "<", "[": "<", "{": "<"})


# An MRZ has no lower case: page OCR reads runs of '<' as 'c', 'e' or 'ec' mixed
# (now and then 'a') mixed with '<' and '«' ("<<ccceccacce"); next to a filler, or
# three together, they are fillers.
_LOWER_FILLERS = re.compile(r"(?:(?<=[<«‹])|(?=[cea]*[<«‹]))[cea]*[ce][cea]*|[cea]*[ce]{3,}[cea]*")


def clean_line(raw: str) -> str:
    """Upper-case, '<' look-alikes mapped, everything outside the MRZ charset dropped."""
    text = _LOWER_FILLERS.sub(lambda m: "<" * len(m.group()), raw)
    text = text.upper().translate(FILLER_LOOKALIKES)
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
    for index, (line, mask) in enumerate(zip(lines, MASKS[fmt], strict=True)):
        variants: list[str] = []
        for fitted in _first_line_variants(clean_line(line), fmt, index, len(mask)):
            repaired = _apply_mask(_fix_fillers_read_as_k(fitted, mask), mask)
            # A lone character inside a filler run is usually a misread '<'; offered
            # as an alternative only, so that check digits decide.
            despeckled = re.sub(r"(?<=<<)[A-Z0-9](?=<<)", "<", repaired)
            variants.extend(dict.fromkeys([repaired, despeckled]))
        per_line.append(variants)
    return [list(combo) for combo in itertools.product(*per_line)]

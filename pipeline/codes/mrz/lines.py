"""The one test of whether a text looks like a line of an MRZ, or a piece of one.

An MRZ line is capitals, digits and '<' fillers, of a layout's length. Four
callers ask with a different tolerance, on purpose (`MrzLineTest`):
- the MRZ finder takes noisy OCR lines that the repair can still bring back,
  since the check digits judge the result;
- the page signals keep lines verbatim, so they take only lines already in the
  MRZ alphabet;
- the band locator looks at single OCR words, pieces of a line, and the
  evidence box of an MRZ gathers the shorter words with a filler;
- the document-type features look for a first line (document code, issuing
  state) in text where no MRZ was found: what the type model was fitted on.
Each test is kept exactly as its caller was measured with; loosening the
stricter ones would change signals, features and so decisions.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pipeline.codes.mrz.checks import MRZ_CHARSET
from pipeline.codes.mrz.formats import LINE_LENGTHS, compatible
from pipeline.codes.mrz.repair import FILLER_LOOKALIKES, clean_line


class MrzLineTest(StrEnum):
    REPAIRABLE = "repairable"  # an OCR line the repair can bring to a layout
    AS_READ = "as_read"  # a line already in the MRZ alphabet, kept as it is read
    FRAGMENT = "fragment"  # one OCR word: a piece of a line, to locate the band
    EVIDENCE = "evidence"  # one OCR word with a filler: part of the MRZ's box on the page
    HEADED = "headed"  # a run of tokens opening with a document code and issuing state


# Document codes of ICAO 9303 machine-readable documents in use; residence permits'
# own codes apart, as they tell a permit from an identity card.
PERMIT_CODES = frozenset({"IR", "AR", "CR", "RP", "RT"})
DOCUMENT_CODES = frozenset(
    {"P<", "PP", "PD", "PS", "PO", "PM", "I<", "ID", "IP", "A<", "AC", "C<"} | PERMIT_CODES
)

# AS_READ: the lengths of the three layouts with OCR's slack, at least two fillers.
_AS_READ = re.compile(r"^[A-Z0-9<]{25,46}$")
_AS_READ_MIN_FILLERS = 2

# FRAGMENT: page OCR reads '<' as '<', '«', 'c', 'C', 'e' or 'K': a fragment is a
# long run of MRZ-looking characters.
_FRAGMENT = re.compile(r"^[A-Z0-9<«‹ceCK]{10,}$")

_EVIDENCE_MIN_CHARS = 5

# HEADED: a document code and an issuing state, padded with '<'. OCR reads a
# leading I as 1 or L. MRZ lines are 30 to 44 characters (OCR may keep half of
# one); a shorter run is a fragment of capitals: a card photo's debris "ARTE <<<<"
# (from "CARTE") read as the permit code "AR".
_HEADED_START = re.compile(r"[PIAC1LR][A-Z<][A-Z<]{3}")
_OCR_I = str.maketrans({"1": "I", "L": "I"})
MIN_HEADED_RUN = 14


def mrz_line(text: str, test: MrzLineTest) -> str | None:
    """`text` as `test` normalises it when it looks like an MRZ line (or piece), else None."""
    if test is MrzLineTest.REPAIRABLE:
        return _repairable(text)
    if test is MrzLineTest.AS_READ:
        squeezed = re.sub(r"\s+", "", text).upper()
        enough = squeezed.count("<") >= _AS_READ_MIN_FILLERS
        return squeezed if _AS_READ.match(squeezed) and enough else None
    if test is MrzLineTest.FRAGMENT:
        compact = text.replace(" ", "")
        # Fillers misread as 'c'/'e' may make most of it; two real characters suffice.
        real = sum(c.isdigit() or c.isupper() or c in "<«‹" for c in compact)
        return compact if _FRAGMENT.match(compact) and real >= 2 else None
    if test is MrzLineTest.EVIDENCE:
        return text if "<" in clean_line(text) and len(text) >= _EVIDENCE_MIN_CHARS else None
    return _headed(text)


def _repairable(raw: str) -> str | None:
    squeezed = "".join(raw.split()).upper().translate(FILLER_LOOKALIKES)
    if not squeezed:
        return None
    in_charset = sum(c in MRZ_CHARSET for c in squeezed) / len(squeezed)
    cleaned = clean_line("".join(raw.split()))
    # Fillers are what tells an MRZ line from a line of capitals; 'K' stands in for them
    # when OCR misreads, so it counts towards the filler evidence too.
    filler_like = cleaned.count("<") + len(re.findall(r"KK", cleaned))
    fits = any(compatible(cleaned, length) for length in LINE_LENGTHS)
    if in_charset < 0.9 or filler_like < 1 or not fits:
        return None
    return cleaned


def _headed(run: str) -> str | None:
    if run[:1] in ("1", "L"):
        run = run[0].translate(_OCR_I) + run[1:]
    if (
        len(run) >= MIN_HEADED_RUN
        and "<<<" in run
        and _HEADED_START.match(run)
        and run[:2] in DOCUMENT_CODES
    ):
        return run
    return None

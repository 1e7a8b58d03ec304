"""One sample per piece: normalised text, a few numeric signals and the domain-vocabulary
scores of `lexicon.py`, from a PieceReading.

Only what was read goes in: no file name, no font, no path. Numbers are
collapsed so that amounts, dates and identifiers never act as features.
"""

from __future__ import annotations

import math
import re
import unicodedata
from enum import StrEnum

import numpy as np

from classifiers.doctype.lexicon import LEXICON_GROUPS, fold_ocr, lexicon_scores
from pipeline.codes.mrz.lines import DOCUMENT_CODES, PERMIT_CODES, MrzLineTest, mrz_line
from pipeline.types import PageSignals, PieceReading, TextSource

MAX_TEXT_CHARS = 6000  # bounds the classification time of long documents
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_ALNUM = re.compile(r"[a-z0-9]")
# Share of the image the largest face covers in an identity photo (0.13-0.45
# measured on generated ones; the regulation asks for a face of 32-36 mm in 45 mm)
# against a card's printed portrait seen whole (about 0.02).
PORTRAIT_FACE_RATIO = 0.08
_TD3_LENGTH = 42  # TD3 lines are 44 characters; OCR may lose one or two
# An MRZ line as OCR prints it among the text: uppercase tokens (OCR may split
# the line), joined and tested as a first MRZ line. Used when the MRZ band was not found.
_MRZ_TOKEN = re.compile(r"[A-Z0-9<]+")


class NumericFeature(StrEnum):
    PAGES = "pages"
    LOG_CHARS = "log_chars_per_page"
    WORDS_PER_PAGE = "log_words_per_page"
    LANDSCAPE = "landscape"
    CARD_SHAPE = "card_shape"
    COLOUR = "colourfulness"
    INK = "ink_ratio"
    FACE = "face"
    SMALL_FACE = "small_face"
    FACE_SIZE = "largest_face_ratio"
    BACKGROUND = "background_uniformity"
    MRZ = "mrz"
    MRZ_PASSPORT = "mrz_passport"
    MRZ_IDENTITY = "mrz_identity"
    MRZ_PERMIT = "mrz_permit"
    DATAMATRIX = "datamatrix"
    OCR_SHARE = "ocr_share"
    DIGIT_SHARE = "digit_share"
    UPPER_SHARE = "upper_share"


NUMERIC_FEATURES: tuple[NumericFeature, ...] = tuple(NumericFeature)
TEXT_COLUMN = 0  # column of the normalised text in a feature matrix
CHAR_TEXT_COLUMN = 1  # the same text OCR-folded, for character n-grams; numbers follow
_FIRST_NUMERIC = 2
NUMERIC_COLUMNS: tuple[int, ...] = tuple(
    range(_FIRST_NUMERIC, _FIRST_NUMERIC + len(NUMERIC_FEATURES))
)
LEXICON_COLUMNS: tuple[int, ...] = tuple(
    range(NUMERIC_COLUMNS[-1] + 1, NUMERIC_COLUMNS[-1] + 1 + len(LEXICON_GROUPS))
)
N_COLUMNS = LEXICON_COLUMNS[-1] + 1


def normalise_text(text: str) -> str:
    """Lowercase, accents folded, digit runs collapsed to 0, whitespace squeezed."""
    folded = unicodedata.normalize("NFKD", text.lower())
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return _SPACES.sub(" ", _DIGITS.sub("0", ascii_text)).strip()[:MAX_TEXT_CHARS]


def raw_text(reading: PieceReading) -> str:
    return "\n".join(page.text for page in reading.pages)


def numeric_features(reading: PieceReading) -> list[float]:
    """Signals that still speak when text is scarce (photos, cards), in NUMERIC_FEATURES order."""
    pages = reading.pages
    count = max(len(pages), 1)
    text = raw_text(reading)
    letters = [c for c in text if c.isalpha()]
    signals = [p.signals for p in pages if p.signals is not None]
    first = signals[0] if signals else None
    ratio = first.aspect_ratio if first else 0.0
    shape = min(ratio, 1 / ratio) if ratio > 0 else 0.0
    values = {
        NumericFeature.PAGES: math.log1p(len(pages)),
        NumericFeature.LOG_CHARS: math.log1p(len(_ALNUM.findall(text.lower())) / count),
        NumericFeature.WORDS_PER_PAGE: math.log1p(len(text.split()) / count),
        NumericFeature.LANDSCAPE: float(ratio > 1.0),
        # ID-1 cards are 0.63 wide/high, A4 is 0.71: a scanned card on A4 looks like A4.
        NumericFeature.CARD_SHAPE: float(0.0 < shape < 0.67),
        NumericFeature.COLOUR: math.log1p(max((s.colourfulness for s in signals), default=0.0)),
        NumericFeature.INK: float(np.mean([s.ink_ratio for s in signals])) if signals else 0.0,
        NumericFeature.FACE: float(any(s.faces > 0 and is_portrait(s) for s in signals)),
        # The portrait printed on a card or a form: it says "identity document", not
        # "identity photo" (a face there made card photos look like id photos).
        NumericFeature.SMALL_FACE: float(any(s.faces > 0 and not is_portrait(s) for s in signals)),
        NumericFeature.FACE_SIZE: max((s.largest_face_ratio for s in signals), default=0.0),
        # Id photos have a plain background by regulation; a card photographed on a
        # table does not, though both may read as a few specks and a face.
        NumericFeature.BACKGROUND: first.background_uniformity if first else 0.0,
        NumericFeature.MRZ: float(any(s.mrz_lines for s in signals)),
        **mrz_kind(signals, text),
        NumericFeature.DATAMATRIX: float(any(s.datamatrix for s in signals)),
        NumericFeature.OCR_SHARE: sum(p.text_source is TextSource.OCR for p in pages) / count,
        NumericFeature.DIGIT_SHARE: sum(c.isdigit() for c in text) / max(len(text), 1),
        NumericFeature.UPPER_SHARE: sum(c.isupper() for c in letters) / max(len(letters), 1),
    }
    return [values[name] for name in NUMERIC_FEATURES]


def is_portrait(signals: PageSignals) -> bool:
    """A face as large as an identity photo's was found on the page."""
    return signals.faces > 0 and signals.largest_face_ratio >= PORTRAIT_FACE_RATIO


def mrz_kind(signals: list[PageSignals], text: str = "") -> dict[NumericFeature, float]:
    """The ICAO 9303 document code of the first MRZ line, the same in every country:
    P for passports, I/A/C for identity cards, IR/AR (and RP) for residence permits;
    TD3 lines (44 characters) belong to passports. Without an MRZ band in the
    signals (a poor photo), MRZ-like lines of the OCR text are used."""
    lines = [line.strip().upper() for s in signals for line in s.mrz_lines if line.strip()]
    if not lines:
        lines = mrz_lines_in_text(text)
    code = document_code(lines[0]) if lines else ""
    permit = code in PERMIT_CODES
    td3 = any(len(line) >= _TD3_LENGTH for line in lines)
    return {
        NumericFeature.MRZ_PASSPORT: float(code.startswith("P") or (td3 and not code)),
        NumericFeature.MRZ_IDENTITY: float(code[:1] in ("I", "A", "C") and not permit),
        NumericFeature.MRZ_PERMIT: float(permit),
    }


def document_code(line: str) -> str:
    """The two-character document code of a first MRZ line, or "" when none is found.

    OCR often prints a speck before the line ("PIDFRA..." for "IDFRA..."): the
    code may start at the first or second character, and must be a code in use
    followed by three letters or fillers (the issuing state).
    """
    for start in (0, 1):
        code = line[start : start + 2]
        state = line[start + 2 : start + 5]
        if (
            code in DOCUMENT_CODES
            and len(state) == 3
            and all(c.isalpha() or c == "<" for c in state)
        ):
            return code
    return ""


def mrz_lines_in_text(text: str) -> list[str]:
    """MRZ-like runs of the text, with the OCR's usual misreadings of a leading I fixed."""
    found = []
    for line in text.splitlines():
        run: list[str] = []
        for token in [*line.split(), ""]:  # the empty token ends the last run
            if token and _MRZ_TOKEN.fullmatch(token):
                run.append(token)
                continue
            headed = mrz_line("".join(run), MrzLineTest.HEADED)
            if headed is not None:
                found.append(headed)
            run = []
    return found


def char_text(normalised: str) -> str:
    """The text the character n-grams see: OCR-confusable characters folded onto one
    of each class, so that a scan's "vigiIance" or "URS5AF" gives the n-grams the
    text layer's "vigilance" and "urssaf" give (a model fitted mostly on clean text
    layers otherwise meets unseen n-grams in every OCR'd word)."""
    return fold_ocr(normalised)


def sample_row(reading: PieceReading) -> list[object]:
    """One row of the model's input: [normalised text, its OCR-folded form, *numeric
    features, *lexicon scores]."""
    text = normalise_text(raw_text(reading))
    return [text, char_text(text), *numeric_features(reading), *lexicon_scores(text)]


def feature_matrix(readings: list[PieceReading]) -> np.ndarray:
    """Rows for many readings, as the object array the model pipeline expects."""
    rows = [sample_row(reading) for reading in readings]
    matrix = np.empty((len(rows), N_COLUMNS), dtype=object)
    for i, row in enumerate(rows):
        matrix[i, :] = row
    return matrix

"""What a scan or a phone photo does to a reading: the OCR-noise model of training.

OCR of hundreds of scans would not fit the training budget, so most scans are
simulated: the text layer of a document goes through character confusions,
dropped, merged and split words and lost lines, and its page signals shift as
a scan or photo shifts them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.fields import DocType
from pipeline.types import PageReading, PageSignals, PieceReading, TextSource

# Types whose real uploads are mostly photos or scans of a card.
CARD_TYPES = frozenset(
    {DocType.IDENTITY_CARD, DocType.PASSPORT, DocType.RESIDENCE_PERMIT, DocType.ID_PHOTO}
)
A4_RATIO = 210 / 297
_CONFUSIONS: dict[str, tuple[str, ...]] = {
    "e": ("c", "é", "o"),
    "é": ("e", "ê", "6"),
    "è": ("e", "é"),
    "a": ("o", "à", "e"),
    "o": ("0", "a", "c"),
    "i": ("l", "1", "í"),
    "l": ("1", "I", "i"),
    "n": ("m", "u", "ri"),
    "m": ("rn", "nn"),
    "u": ("v", "n"),
    "s": ("5", "$"),
    "t": ("f", "l"),
    "c": ("e", "("),
    "r": ("t", "n"),
    "d": ("cl", "a"),
    "0": ("O", "o"),
    "1": ("l", "I", "7"),
    "5": ("S", "s"),
    "8": ("B", "3"),
    "B": ("8", "E"),
    "O": ("0", "Q"),
    "I": ("l", "1"),
    "S": ("5",),
}
JUNK = ("|", "—", "'", ".", ",", "_", "~", "»", "«", "=", "ii", "Ë", "ï")


def ocr_noise(text: str, rng: np.random.Generator, level: float) -> str:
    """Text as a mediocre OCR would return it; `level` in 0..1 scales every kind of error."""
    lines = []
    for line in text.splitlines():
        if rng.random() < 0.12 * level:
            continue  # a line lost to a fold, a stain or a crop
        lines.append(" ".join(_noisy_words(line.split(), rng, level)))
    return "\n".join(lines)


def _noisy_words(words: Sequence[str], rng: np.random.Generator, level: float) -> list[str]:
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < 0.06 * level:
            continue
        if roll < 0.10 * level and out:
            out[-1] += word  # two words merged
            continue
        word = "".join(_noisy_char(c, rng, level) for c in word)
        if len(word) > 4 and rng.random() < 0.04 * level:
            cut = int(rng.integers(1, len(word) - 1))
            word = word[:cut] + " " + word[cut:]
        out.append(word)
        if rng.random() < 0.04 * level:
            out.append(JUNK[int(rng.integers(0, len(JUNK)))])
    return out


def _noisy_char(char: str, rng: np.random.Generator, level: float) -> str:
    options = _CONFUSIONS.get(char)
    if options and rng.random() < 0.08 * level:
        return options[int(rng.integers(0, len(options)))]
    return char


def simulate_scan(
    reading: PieceReading, doc_type: DocType, rng: np.random.Generator
) -> PieceReading:
    """The reading a scan or phone photo of the same document would give."""
    card = doc_type in CARD_TYPES
    photo = rng.random() < (0.6 if card else 0.25)
    # Tesseract on a phone photo of a small card often returns nothing but debris
    # (measured on real OCR: 50-110 characters of fragments, no face found, no
    # MRZ). Without such readings in training, any debris-only reading looks like
    # an id photo (the only class with almost no text) and is typed confidently.
    debris = photo and card and rng.random() < 0.35
    heavy = photo and card and not debris and rng.random() < 0.4
    level = float(rng.uniform(1.0, 3.0) if heavy else rng.uniform(0.15, 1.0))
    pages = [
        _simulated_page(page, rng, level, photo=photo, debris=debris, card=card)
        for page in reading.pages
    ]
    return reading.model_copy(update={"pages": pages})


def ocr_debris(text: str, rng: np.random.Generator) -> str:
    """What tesseract returns from a photo it cannot read: short fragments of the
    page's characters, garbled, among specks."""
    compact = "".join(text.split())
    tokens = []
    for _ in range(int(rng.integers(4, 28))):
        if not compact or rng.random() < 0.25:
            tokens.append(JUNK[int(rng.integers(0, len(JUNK)))])
            continue
        start = int(rng.integers(0, len(compact)))
        piece = compact[start : start + int(rng.integers(1, 7))]
        tokens.append("".join(_noisy_char(c, rng, 3.0) for c in piece))
    lines = [" ".join(tokens[i : i + int(rng.integers(1, 6))]) for i in range(0, len(tokens), 4)]
    return "\n\n".join(lines)


def _simulated_page(
    page: PageReading,
    rng: np.random.Generator,
    level: float,
    *,
    photo: bool,
    debris: bool,
    card: bool,
) -> PageReading:
    signals = page.signals
    if signals is not None:
        signals = _simulated_signals(signals, rng, photo=photo)
        if debris or (level > 1.0 and rng.random() < 0.5):
            # A photo too poor for the text is often too poor for the MRZ band as well.
            signals = signals.model_copy(update={"mrz_lines": []})
        if photo and rng.random() < (0.8 if debris else 0.4):
            # The portrait of a card is small and often tilted in a photo: the face
            # detector misses it (measured: most real card photos show no face).
            signals = signals.model_copy(update={"faces": 0, "largest_face_ratio": 0.0})
        elif card and rng.random() < 0.25:
            # Or finds it, small (measured on real OCR of card photos: ~0.02 of the
            # image), which must not pass for an identity photo.
            ratio = float(rng.uniform(0.005, 0.06))
            signals = signals.model_copy(update={"faces": 1, "largest_face_ratio": ratio})
    text = ocr_debris(page.text, rng) if debris else ocr_noise(page.text, rng, level)
    return page.model_copy(
        update={
            "text": text,
            "words": [],
            "text_source": TextSource.OCR,
            "confidence": float(rng.uniform(0.2, 0.5) if debris else rng.uniform(0.55, 0.95)),
            "signals": signals,
        }
    )


def _simulated_signals(
    signals: PageSignals, rng: np.random.Generator, *, photo: bool
) -> PageSignals:
    if photo:  # the sheet on a table: any framing, some background colour and texture
        ratio = float(rng.uniform(0.55, 1.8))
        colour = signals.colourfulness + float(rng.uniform(5, 40))
        uniformity = float(rng.uniform(0.3, 0.9))
    else:  # scanners give A4, a card lands on an A4 sheet
        ratio = A4_RATIO if rng.random() < 0.8 else signals.aspect_ratio
        colour = signals.colourfulness * float(rng.uniform(0.3, 1.1))
        uniformity = signals.background_uniformity
    return signals.model_copy(
        update={
            "aspect_ratio": ratio,
            "colourfulness": colour,
            "ink_ratio": min(1.0, signals.ink_ratio + float(rng.uniform(0.0, 0.08))),
            "background_uniformity": uniformity,
        }
    )


def one_side_scan(
    reading: PieceReading, doc_type: DocType, rng: np.random.Generator
) -> PieceReading:
    """A scan of one side of a two-sided card, alone, as citizens often send them:
    the back of an old identity card (address, dates, issuing prefecture, no
    MRZ) must read as an identity card too."""
    page = reading.pages[int(rng.integers(0, len(reading.pages)))]
    alone = reading.model_copy(update={"pages": [page.model_copy(update={"n": 1})]})
    return simulate_scan(alone, doc_type, rng)

"""The text layer of PDF pages: extract it fast (pypdfium2) and decide whether to trust it.

A text layer is used instead of OCR only when it is both real and sensible:
enough characters, mostly letters, words that look like French or English,
no private-use / replacement / `(cid:N)` characters left by a broken ToUnicode
map, no mojibake. A page mostly covered by an image (a scan) is OCRed even
when it carries some text: a header over a scan, or an invisible OCR layer
written by another tool, which we cannot check against the picture.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pydantic import TypeAdapter

from pipeline.types import Word

USABLE_SCORE = 0.5
# Below this share of the page covered by images the page is born-digital.
IMAGE_PAGE_COVERAGE = 0.5
# A scanned page can carry a little real text (a header, a stamp); beyond this
# many visible characters it is a born-digital page with a background image.
TEXT_OVER_IMAGE_CHARS = 400
_COVERAGE_GRID = 64  # coverage is measured on a coarse grid, overlaps counted once
_TEXT_RENDER_INVISIBLE = 3

# Small, generic: function words and the commonest administrative words, enough
# to tell prose from shuffled or shifted glyphs, in French and English.
_COMMON_WORDS_TEXT = """
le la les l un une des du de d et ou à au aux en dans par pour sur sous avec sans
ce cet cette ces qui que qu quoi dont où il elle ils elles on nous vous je j tu
se s son sa ses leur leurs mon ma mes notre nos votre vos est sont a ont été être
avoir fait faire pas ne n plus moins tout tous toute toutes comme si mais donc car
ni y date nom prénom prénoms adresse rue avenue boulevard code postal ville né née
montant total euros euro n° numéro page objet madame monsieur mme m fin
année mois jour période référence délivré délivrée valable validité signature
certificat attestation avis impôt revenu revenus banque compte identité carte
facture contrat client titulaire domicile naissance sexe société social sociale
the of and to in is was for on that with as by at from this be or are an it not
have has which you your we our their all will can if no name address number total
amount account bank tax income certificate invoice payment period year month day
"""
COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0e-\x1f]")
_CID = re.compile(r"\(cid:\d+\)")
# UTF-8 read as Latin-1: "Ã©", "Ã¨", "â€™"...
_MOJIBAKE = re.compile(r"Ã[\x80-\xbf©¨ª«®´§¢¹»¼½]|â€|Â[\xa0-\xbf]")
_WORDS = TypeAdapter(list[Word])
# (left, right, top, top, bottom, bottom) of a word's first and last characters, PDF points
Edge = tuple[float, float, float, float, float, float]
_NON_SPACE = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")  # apostrophes split "l'avis" into "l", "avis"


class LayerVerdict(StrEnum):
    USABLE = "usable"
    TOO_LITTLE_TEXT = "too_little_text"
    GARBAGE = "garbage"
    IMAGE_PAGE = "image_page"  # a scan with a little text over it
    INVISIBLE_OVER_IMAGE = "invisible_over_image"  # another tool's hidden OCR layer


@dataclass(frozen=True)
class TextScore:
    chars: int  # non-whitespace characters
    letter_ratio: float
    bad_ratio: float  # private-use, replacement, control, (cid:N), mojibake
    common_ratio: float  # share of word tokens in COMMON_WORDS
    mean_word_length: float
    score: float  # 0..1; usable from USABLE_SCORE


@dataclass(frozen=True)
class LayerText:
    text: str
    words: list[Word]
    score: TextScore
    image_coverage: float  # 0..1 share of the page area under images
    invisible_ratio: float  # 0..1 share of text objects drawn invisibly
    verdict: LayerVerdict

    @property
    def usable(self) -> bool:
        return self.verdict is LayerVerdict.USABLE


def read_text_layer(page: pdfium.PdfPage) -> LayerText:
    """Text, words with boxes, and whether this page's text layer can replace OCR."""
    return build_layer(scan_text_layer(page))


@dataclass(frozen=True)
class LayerScan:
    """What pdfium says about a page's text: raw figures, before words are built."""

    raw_text: str
    score: TextScore
    image_coverage: float
    invisible_ratio: float
    verdict: LayerVerdict
    page_size_pt: tuple[float, float]
    word_texts: list[str]
    word_edges: list[Edge]


def scan_text_layer(page: pdfium.PdfPage) -> LayerScan:
    """The pdfium half of `read_text_layer`: the only part that must hold PDFIUM_LOCK."""
    image_coverage, invisible_ratio = measure_page_objects(page)
    textpage = page.get_textpage()
    try:
        raw_text = textpage.get_text_range()
        score = score_text(raw_text)
        verdict = judge_layer(score, image_coverage=image_coverage, invisible_ratio=invisible_ratio)
        texts: list[str] = []
        edges: list[Edge] = []
        if verdict is LayerVerdict.USABLE:
            texts, edges = word_edges(textpage, raw_text)
    finally:
        textpage.close()
    width, height = page.get_size()
    return LayerScan(
        raw_text, score, image_coverage, invisible_ratio, verdict, (width, height), texts, edges
    )


def build_layer(scan: LayerScan) -> LayerText:
    """The pure-Python half of `read_text_layer`: runs outside the pdfium lock."""
    width, height = scan.page_size_pt
    words = build_words(scan.word_texts, scan.word_edges, width, height)
    return LayerText(
        text=normalise_layer_text(scan.raw_text),
        words=words,
        score=scan.score,
        image_coverage=scan.image_coverage,
        invisible_ratio=scan.invisible_ratio,
        verdict=scan.verdict,
    )


def judge_layer(score: TextScore, *, image_coverage: float, invisible_ratio: float) -> LayerVerdict:
    if score.chars == 0 or score.score < USABLE_SCORE:
        return LayerVerdict.TOO_LITTLE_TEXT if score.chars < 30 else LayerVerdict.GARBAGE
    if image_coverage >= IMAGE_PAGE_COVERAGE:
        if invisible_ratio >= 0.5:
            return LayerVerdict.INVISIBLE_OVER_IMAGE
        if score.chars < TEXT_OVER_IMAGE_CHARS:
            return LayerVerdict.IMAGE_PAGE
    return LayerVerdict.USABLE


def score_text(text: str) -> TextScore:
    """How much `text` looks like real French/English prose or form content (0..1)."""
    compact = "".join(text.split())
    chars = len(compact)
    if chars == 0:
        return TextScore(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    bad = (
        len(_PRIVATE_USE.findall(compact))
        + 6 * len(_CID.findall(compact))
        + 2 * len(_MOJIBAKE.findall(compact))
    )
    letters = len(_LETTER.findall(compact))
    # Single letters ("l", "d", "a") match too easily by chance: words of 2+ letters only.
    words = [w for w in _WORD.findall(unicodedata.normalize("NFC", text).lower()) if len(w) > 1]
    common = sum(1 for word in words if word in COMMON_WORDS)
    common_ratio = common / len(words) if words else 0.0
    mean_length = sum(map(len, words)) / len(words) if words else 0.0
    bad_ratio = bad / chars
    factors = (
        _ramp(chars, 10, 30),
        1.0 - _ramp(bad_ratio, 0.005, 0.03),
        _ramp(letters / chars, 0.35, 0.55),
        # Short texts (a title, a form) may hold no function word at all.
        _ramp(common_ratio, 0.02, 0.08) if len(words) >= 12 else 1.0,
        1.0 - _ramp(abs(mean_length - 6.0), 6.0, 10.0),
    )
    return TextScore(chars, letters / chars, bad_ratio, common_ratio, mean_length, min(factors))


def measure_page_objects(page: pdfium.PdfPage) -> tuple[float, float]:
    """(share of the page covered by images, share of text objects drawn invisibly)."""
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 0.0, 0.0
    grid = np.zeros((_COVERAGE_GRID, _COVERAGE_GRID), dtype=bool)
    texts = invisible = 0
    for obj in page.get_objects(
        filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_TEXT), max_depth=3
    ):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts += 1
            if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) == _TEXT_RENDER_INVISIBLE:
                invisible += 1
            continue
        left, bottom, right, top = obj.get_bounds()
        x0, x1 = _grid_span(left, right, width)
        y0, y1 = _grid_span(bottom, top, height)
        grid[y0:y1, x0:x1] = True
    return float(grid.mean()), (invisible / texts if texts else 0.0)


def word_edges(textpage: pdfium.PdfTextPage, raw_text: str) -> tuple[list[str], list[Edge]]:
    """Words of the layer and the PDF-space edges of their first and last characters.

    `get_text_range` returns one UTF-16 unit per character index for BMP text,
    so word spans in the string are character indices; asking pdfium for the
    loose box of the first and last character only keeps this fast.
    """
    if len(raw_text) != textpage.count_chars():
        return [], []  # astral characters shift the indices: no reliable boxes
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)  # converted once, not on each of ~1000 calls
    char_box = pdfium_c.FPDFText_GetLooseCharBox
    handle = textpage.raw
    texts: list[str] = []
    edges: list[Edge] = []
    for match in _NON_SPACE.finditer(raw_text):
        start, end = match.span()
        if not char_box(handle, start, rect_ref):
            continue
        left, top, bottom = rect.left, rect.top, rect.bottom
        if not char_box(handle, end - 1, rect_ref):
            continue
        texts.append(match.group())
        edges.append((left, rect.right, top, rect.top, bottom, rect.bottom))
    return texts, edges


def build_words(
    texts: list[str],
    edges: list[Edge],
    width: float,
    height: float,
) -> list[Word]:
    if not texts or width <= 0 or height <= 0:
        return []
    boxes = _relative_boxes(np.asarray(edges, dtype=np.float64), width, height).tolist()
    # One validation call for the whole page: building models one by one dominated the time.
    return _WORDS.validate_python(
        [
            {"text": text, "box": {"x0": x0, "y0": y0, "x1": x1, "y1": y1}, "confidence": 1.0}
            for text, (x0, y0, x1, y1) in zip(texts, boxes, strict=True)
        ]
    )


def _relative_boxes(edges: np.ndarray, width: float, height: float) -> np.ndarray:
    """(left, right, top1, top2, bottom1, bottom2) in PDF points -> relative (x0, y0, x1, y1).

    PDF user space has its origin bottom-left; boxes are top-left based.
    """
    x0 = np.minimum(edges[:, 0], edges[:, 1]) / width
    x1 = np.maximum(edges[:, 0], edges[:, 1]) / width
    y0 = 1.0 - np.maximum(edges[:, 2], edges[:, 3]) / height
    y1 = 1.0 - np.minimum(edges[:, 4], edges[:, 5]) / height
    return np.clip(np.stack([x0, y0, x1, y1], axis=1), 0.0, 1.0)


def normalise_layer_text(raw_text: str) -> str:
    """pdfium separates lines with CRLF and may leave NULs and soft hyphens."""
    text = raw_text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.replace("\u00ad", "").replace("\ufffe", "")


def _grid_span(low: float, high: float, size: float) -> tuple[int, int]:
    start = int(np.floor(_clamp(low / size) * _COVERAGE_GRID))
    stop = int(np.ceil(_clamp(high / size) * _COVERAGE_GRID))
    return start, stop


def _ramp(value: float, low: float, high: float) -> float:
    """0 at `low`, 1 at `high`, linear in between."""
    return _clamp((value - low) / (high - low))


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))

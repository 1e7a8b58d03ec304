"""Text helpers shared by the extractors: folding, labelled values, evidence boxes.

Extractors work on the text lines of each page. Matching is done on a *folded*
copy of each line (lower case, accents removed, typographic apostrophes made
plain) that has exactly the same length, so a span found in the folded line is
the same span in the original and the original spelling is what gets returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import fuzz

from pipeline.extract.folding import fold
from pipeline.extract.labels import looks_like_label, only_label
from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import Box, PageReading, TextSource, Word

# Separators that text layers and OCR put inside numbers ("25 234", "25\u202f234");
# '■' is what some PDF fonts without a narrow no-break space glyph yield.
THOUSANDS_SEPARATORS = " \u00a0\u202f\u2009■."
# How far below its label a value may sit (labels above values on cards and forms).
NEXT_LINES = 2


@dataclass(frozen=True)
class Line:
    page: PageReading
    index: int  # position among the page's non-blank lines
    text: str
    folded: str


@dataclass(frozen=True)
class Hit:
    """A value found in the text, before normalisation."""

    line: Line
    raw: str

    @property
    def page_no(self) -> int:
        return self.line.page.n


class DocText:
    """The lines of every page of a piece, in reading order."""

    def __init__(self, pages: Sequence[PageReading]) -> None:
        self.pages = list(pages)
        self.lines: list[Line] = []
        for page in self.pages:
            texts = [t.strip() for t in page.text.splitlines() if t.strip()]
            self.lines.extend(Line(page, i, t, fold(t)) for i, t in enumerate(texts))

    def following(self, line: Line, count: int = NEXT_LINES) -> list[Line]:
        """The next `count` lines of the same page."""
        at = self.lines.index(line)
        return [ln for ln in self.lines[at + 1 : at + 1 + count] if ln.page is line.page]

    def search(self, pattern: re.Pattern[str]) -> Iterator[tuple[Line, re.Match[str]]]:
        """Matches of a pattern over folded lines (patterns are written lower case, no accents)."""
        for line in self.lines:
            for match in pattern.finditer(line.folded):
                yield line, match


def label_pattern(*labels: str) -> re.Pattern[str]:
    """A pattern for any of the labels (folded spelling), as whole words."""
    joined = "|".join(f"(?:{label})" for label in labels)
    return re.compile(rf"(?<![a-z0-9])(?:{joined})(?![a-z0-9])")


_LEAD = re.compile(r"^[\s:;.,\-–—=/|]*(?:\([^)]*\)[\s:;.,\-–—]*)?")


def after_label(line: Line, match: re.Match[str] | Span) -> str:
    """The text after a label on its line, without the ':' and the like that follow labels."""
    rest = line.text[match.end() :]
    return rest[_LEAD.match(rest).end() :].strip()  # type: ignore[union-attr]


class Span(NamedTuple):
    """Where a label was found in a line, like a match's `start()`/`end()`."""

    begin: int
    stop: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop


# OCR garbles labels ("OATE O8 DÉL1VRANCE"); a label found with this partial
# similarity (0-100, on folded text) still anchors its value on OCR'd pages.
FUZZY_LABEL_SCORE = 80.0


def fuzzy_search(doc: DocText, labels: Sequence[str]) -> Iterator[tuple[Line, Span]]:
    """Lines of OCR'd pages holding one of the plain (folded) labels, read with noise."""
    for line in doc.lines:
        if line.page.text_source is not TextSource.OCR or len(line.folded) < 4:
            continue
        best: Span | None = None
        best_score = FUZZY_LABEL_SCORE
        for label in labels:
            if len(line.folded) < 0.6 * len(label):
                continue
            found = fuzz.partial_ratio_alignment(label, line.folded, score_cutoff=best_score)
            if found is not None and found.score >= best_score:
                best, best_score = Span(found.dest_start, found.dest_end), found.score
        if best is not None:
            yield line, best


def fuzzy_labelled_values(doc: DocText, labels: Sequence[str]) -> Iterator[tuple[Line, str]]:
    """`labelled_values` for labels found by similarity, on OCR'd pages only."""
    for line, span in fuzzy_search(doc, labels):
        yield from _values_at(doc, line, span)


def labelled_values(doc: DocText, labels: re.Pattern[str]) -> Iterator[tuple[Line, str]]:
    """Candidate values of a label: the rest of its line, the text printed under it, the next lines.

    On OCR'd cards and forms, layout analysis often puts a label and the value
    printed under it in different blocks, so the next text line is another
    label; the words' boxes tell what is really under the label.
    """
    for line, match in doc.search(labels):
        yield from _values_at(doc, line, match)


def _values_at(doc: DocText, line: Line, match: re.Match[str] | Span) -> Iterator[tuple[Line, str]]:
    rest = after_label(line, match)
    # A label followed by labels ("Déclarant 1  Déclarant 2", "NOM D'USAGE / Alternate
    # name") heads a column: its value is under it, never the rest of the line.
    rest_is_label = bool(rest) and only_label(rest)
    # Past a column gap, the rest of the line is a value in a table ("Nom   LEMOINE")
    # but the next label on a card ("Nom   Date de naissance").
    if (
        rest
        and not rest_is_label
        and not (_rest_in_other_column(line, match) and looks_like_label(rest))
    ):
        yield line, rest
    ocr = line.page.text_source is TextSource.OCR
    if ocr or rest_is_label:
        if ocr and not rest:
            beside = text_beside(line, match)
            if beside and not looks_like_label(beside):
                yield Line(line.page, -1, beside, fold(beside)), beside
        under = text_under(line, match)
        if under and not looks_like_label(under):
            yield Line(line.page, -1, under, fold(under)), under
    for below in doc.following(line):
        if not (ocr and _left_of_label(below, line, match)):
            yield below, below.text


def _left_of_label(below: Line, line: Line, match: re.Match[str] | Span) -> bool:
    """Whether a line that follows a label in reading order lies wholly left of it on
    the page: OCR's reading order joins a card's photo or margin noise to the label's
    block, but a value is under or beside its label, never before it."""
    label = union_box(label_words(line, match))
    words = union_box(words_for(below.page, below.text))
    return label is not None and words is not None and words.x1 < label.x0


# A value sits at most this many label heights under its label; the words of
# one value line are at most this many heights apart (a wider gap is the next column).
UNDER_MAX_GAP = 3.0
SAME_LINE_GAP = 2.5
# After a label on its line, a gap this wide (in label heights) means the words
# belong to the next column (a ':' word may sit in between, hence wider).
COLUMN_GAP = 4.0


def label_words(line: Line, match: re.Match[str] | Span) -> list[Word]:
    """The page words that make up the label matched in `line`."""
    return words_for(line.page, line.text[match.start() : match.end()])


def text_under(line: Line, match: re.Match[str] | Span) -> str:
    """The text of the nearest word line under the label, in the label's column ('' if none)."""
    label = union_box(label_words(line, match))
    if label is None:
        return ""
    height = max(label.y1 - label.y0, 1e-4)
    margin = height * _x_per_y(line.page)
    below = [
        w
        for w in line.page.words
        if label.y1 - 0.3 * height <= w.box.y0 <= label.y1 + UNDER_MAX_GAP * height
        and w.box.x1 > label.x0 - margin
        and w.box.x0 < label.x1 + margin
        and (w.box.y0 + w.box.y1) / 2 > label.y1
    ]
    if not below:
        return ""
    top = min(below, key=lambda w: (w.box.y0, w.box.x0))
    # On a tilted scan a later word of the value line may sit higher than its first
    # one: the line starts at the leftmost word of the top word's row.
    centre, half = (top.box.y0 + top.box.y1) / 2, (top.box.y1 - top.box.y0) / 2
    first = min(
        (w for w in below if abs((w.box.y0 + w.box.y1) / 2 - centre) <= half),
        key=lambda w: w.box.x0,
    )
    return " ".join(w.text for w in _line_from(line.page.words, first, _x_per_y(line.page)))


def text_beside(line: Line, match: re.Match[str] | Span) -> str:
    """The words right of a label on its row, in the next column ('' if none).

    Two-column tables ("Rubrique | Information") are read by the OCR column by
    column, so a label's value lands lines away from it; the words' boxes tell
    which value sits on the label's row.
    """
    label = union_box(label_words(line, match))
    if label is None:
        return ""
    height = max(label.y1 - label.y0, 1e-4)
    centre = (label.y0 + label.y1) / 2
    right = [
        w
        for w in line.page.words
        if w.box.x0 >= label.x1 and abs((w.box.y0 + w.box.y1) / 2 - centre) <= 0.5 * height
    ]
    if not right:
        return ""
    first = min(right, key=lambda w: w.box.x0)
    return " ".join(w.text for w in _line_from(line.page.words, first, _x_per_y(line.page)))


def _x_per_y(page: PageReading) -> float:
    """Page-relative x units per page-relative y unit (boxes are relative to each side)."""
    return page.height_px / page.width_px if page.width_px and page.height_px else 1.0


def _rest_in_other_column(line: Line, match: re.Match[str] | Span) -> bool:
    """Whether the words after an OCR'd label on its line start past a column gap.

    Layout analysis joins side-by-side labels of a card into one line ("Nom
    Date de naissance"): what follows such a label is the next column's label.
    """
    if line.page.text_source is not TextSource.OCR:
        return False
    label = union_box(label_words(line, match))
    rest = words_for(line.page, after_label(line, match))
    if label is None or not rest:
        return False
    height = max(label.y1 - label.y0, 1e-4) * _x_per_y(line.page)
    return rest[0].box.x0 - label.x1 > COLUMN_GAP * height


def _line_from(words: Sequence[Word], first: Word, x_per_y: float) -> list[Word]:
    """`first` and the words after it on the same text line, up to a column gap."""
    height = max(first.box.y1 - first.box.y0, 1e-4)
    centre = (first.box.y0 + first.box.y1) / 2
    gap = SAME_LINE_GAP * height * x_per_y
    same_row = sorted(
        (w for w in words if abs((w.box.y0 + w.box.y1) / 2 - centre) <= 0.5 * height),
        key=lambda w: w.box.x0,
    )
    # Words left of `first` belong to the column before.
    row = [w for w in same_row if w.box.x0 >= first.box.x0]
    kept = [row[0]] if row else [first]
    for word in row[1:]:
        if word.box.x0 - kept[-1].box.x1 > gap:
            break
        kept.append(word)
    return kept


def find_labelled(
    doc: DocText, labels: re.Pattern[str], value: re.Pattern[str]
) -> tuple[Hit, re.Match[str]] | None:
    """First value matching `value` (on the original text) at or below one of the labels."""
    for line, text in labelled_values(doc, labels):
        found = value.search(text)
        if found:
            return Hit(line, found.group(0).strip()), found
    return None


# --- evidence -----------------------------------------------------------------


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


def words_for(page: PageReading, raw: str) -> list[Word]:
    """The page's consecutive words whose text makes up `raw` (spacing and punctuation ignored)."""
    target = _compact(raw)
    if not target:
        return []
    joined = ""
    starts: list[int] = []
    for word in page.words:
        starts.append(len(joined))
        joined += _compact(word.text)
    at = joined.find(target)
    if at < 0:
        return []
    end = at + len(target)
    return [
        word
        for word, begin in zip(page.words, starts, strict=True)
        if begin < end and begin + len(_compact(word.text)) > at
    ]


def union_box(words: Sequence[Word]) -> Box | None:
    if not words:
        return None
    return Box(
        x0=min(w.box.x0 for w in words),
        y0=min(w.box.y0 for w in words),
        x1=max(w.box.x1 for w in words),
        y1=max(w.box.y1 for w in words),
    )


def evidence_for(hit: Hit, *, validated: bool = False) -> Evidence:
    """Evidence of a value read from the page: its box and how much the reading is worth.

    A text layer is exact (1.0); OCR is worth its words' mean confidence, raised
    when a checksum confirmed the value (a misread rarely passes a checksum).
    """
    page = hit.line.page
    words = words_for(page, hit.raw)
    if page.text_source is TextSource.OCR:
        confidence = sum(w.confidence for w in words) / len(words) if words else page.confidence
        if validated:
            confidence = max(confidence, 0.95)
    else:
        confidence = 1.0
    return Evidence(
        page=page.n,
        box=union_box(words),
        source=page.text_source,
        confidence=round(min(1.0, max(0.0, confidence)), 4),
        raw=hit.raw,
    )


def make_field(name: FieldName, value: str, hit: Hit, *, validated: bool = False) -> ExtractedField:
    return ExtractedField(name=name, value=value, evidence=evidence_for(hit, validated=validated))

"""Text helpers shared by the extractors: folding, labelled values, evidence boxes.

Extractors work on the text lines of each page. Matching is done on a *folded*
copy of each line (lower case, accents removed, typographic apostrophes made
plain) that has exactly the same length, so a span found in the folded line is
the same span in the original and the original spelling is what gets returned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import Box, PageReading, TextSource, Word

_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "´": "'", "‘": "'"})
# Separators that text layers and OCR put inside numbers ("25 234", "25\u202f234");
# '■' is what some PDF fonts without a narrow no-break space glyph yield.
THOUSANDS_SEPARATORS = " \u00a0\u202f\u2009■."
# How far below its label a value may sit (labels above values on cards and forms).
NEXT_LINES = 2


def fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[:1] or char
    return base.lower().translate(_APOSTROPHES)


def fold(text: str) -> str:
    """Lower case, accents and typographic apostrophes removed, same length as `text`."""
    return "".join(fold_char(c) for c in text)


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


def after_label(line: Line, match: re.Match[str]) -> str:
    """The text after a label on its line, without the ':' and the like that follow labels."""
    rest = line.text[match.end() :]
    return rest[_LEAD.match(rest).end() :].strip()  # type: ignore[union-attr]


def labelled_values(doc: DocText, labels: re.Pattern[str]) -> Iterator[tuple[Line, str]]:
    """Candidate values of a label: the rest of its line, then the next lines below it."""
    for line, match in doc.search(labels):
        rest = after_label(line, match)
        if rest:
            yield line, rest
        for below in doc.following(line):
            yield below, below.text


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

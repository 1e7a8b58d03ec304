"""Types passed between the stages of the pipeline.

One typed tree: a piece (one uploaded file) has pages, a page has words with
relative boxes. Every model exports to the JSON contract of DESIGN.md §7 with
`model_dump(mode="json")`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class FileKind(StrEnum):
    """Real file type, from magic bytes (never from the extension)."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    WEBP = "webp"
    HEIC = "heic"
    DOCX = "docx"
    TEXT = "text"


class TextSource(StrEnum):
    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    MRZ = "mrz"
    TWODDOC = "2ddoc"


class Box(BaseModel):
    """A rectangle in page-relative coordinates (0..1, origin top-left)."""

    x0: float
    y0: float
    x1: float
    y1: float


class Word(BaseModel):
    text: str
    box: Box
    confidence: float = Field(ge=0.0, le=1.0)


class Quality(BaseModel):
    """Legibility figures of one page."""

    blur: float  # variance of the Laplacian on the page image; higher is sharper
    dpi: float  # effective resolution of the page image
    contrast: float  # 0..1, spread between ink and paper
    blank: bool


class PageSignals(BaseModel):
    aspect_ratio: float  # width / height of the page image
    colourfulness: float  # Hasler & Süsstrunk metric, 0 for grey pages
    ink_ratio: float  # share of dark pixels
    faces: int  # frontal faces found by the face cascades (-1: cascade unavailable)
    largest_face_ratio: float = 0.0  # area of the largest face / page area
    background_uniformity: float = 0.0  # 0..1, share of the border ring of one plain colour
    # 0..1, share of the border ring's tiles on a smooth plain background (photo rule);
    # None in readings made before it was measured
    plain_background: float | None = None
    datamatrix: list[str] = Field(default_factory=list)  # raw 2D-Doc payloads
    mrz_lines: list[str] = Field(default_factory=list)  # MRZ-like lines of the page text
    seconds: float = 0.0  # time spent measuring these signals (part of the page's seconds)


class PageReading(BaseModel):
    n: int  # 1-based page number
    text_source: TextSource
    text: str
    words: list[Word] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)  # mean word confidence (1.0 for a text layer)
    quality: Quality
    width_px: int
    height_px: int
    rotation_deg: float = 0.0  # rotation applied before OCR (orientation + deskew)
    seconds: float = 0.0
    signals_seconds: float = 0.0  # part of `seconds` spent measuring `signals`
    cached: bool = False  # served from the page cache in this run
    signals: PageSignals | None = None  # None for pages with no image (DOCX, text)

    @property
    def chars(self) -> int:
        return len(self.text.strip())


class IntakeReport(BaseModel):
    """What intake learnt about an untrusted file before it is read."""

    kind: FileKind
    mime: str
    size_bytes: int
    page_count: int
    warnings: list[str] = Field(default_factory=list)  # stable codes, e.g. PDF_EMBEDDED_FILES


class ErrorInfo(BaseModel):
    code: str
    message: str  # French, for citizens and case officers


class IntakeOutcome(BaseModel):
    """Intake's verdict on a file: its report when accepted, its error when refused."""

    report: IntakeReport | None = None
    error: ErrorInfo | None = None


class PieceReading(BaseModel):
    """Result of reading one uploaded file; `error` set means the piece is unreadable."""

    sha256: str
    intake: IntakeReport | None = None
    pages: list[PageReading] = Field(default_factory=list)
    error: ErrorInfo | None = None
    seconds: float = 0.0  # wall time of the whole reading, intake included
    intake_seconds: float = 0.0  # intake's share of it (0 when its report came from the cache)

    @property
    def text(self) -> str:
        return "\n\f".join(page.text for page in self.pages)

    @property
    def signals_seconds(self) -> float:
        """Time this run spent on page signals (faces, MRZ band, 2D-Doc); cached pages cost 0."""
        return sum(page.signals_seconds for page in self.pages if not page.cached)

    @property
    def read_seconds(self) -> float:
        """Time this run spent reading page texts, summed over pages; cached pages cost 0."""
        pages = sum(page.seconds for page in self.pages if not page.cached)
        return max(0.0, pages - self.signals_seconds)

"""Page images of a file whose real kind is known, one at a time, with their effective dpi.

PDF pages are rendered with pdfium; images are decoded with Pillow (HEIC via
pillow-heif), EXIF orientation applied, every TIFF frame a page. DOCX and plain
text files have no page image: `read_text_document` gives their text.

pdfium is not thread-safe, not even across documents: every pdfium call in
justif goes through `PDFIUM_LOCK`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import CorruptFile, UnsupportedType
from pipeline.types import FileKind

pillow_heif.register_heif_opener()

PDFIUM_LOCK = threading.RLock()
IMAGE_KINDS = frozenset({FileKind.JPEG, FileKind.PNG, FileKind.TIFF, FileKind.WEBP, FileKind.HEIC})
TEXT_KINDS = frozenset({FileKind.DOCX, FileKind.TEXT})

# Dpi estimation for images without a believable resolution tag: a scanned or
# photographed document is assumed to be about A4, so the long side of the
# image spans 11.7 inches. ID cards photographed full-frame come out low, which
# errs on the side of upscaling them for OCR.
A4_LONG_SIDE_IN = 11.69
# Declared dpi is believed only if it gives a document-sized page: an A7 card
# (4.1 in) to A3 (16.5 in), and a resolution a scanner or camera can produce.
PLAUSIBLE_LONG_SIDE_IN = (3.0, 17.0)
PLAUSIBLE_DPI = (70.0, 1200.0)


@dataclass(frozen=True)
class PageImage:
    n: int  # 1-based page number
    image: np.ndarray  # uint8, greyscale (H, W) or RGB (H, W, 3)
    dpi: float  # effective resolution relative to the physical document


def page_count(path: Path, kind: FileKind) -> int:
    """Number of pages (PDF pages, TIFF frames, 1 otherwise)."""
    if kind is FileKind.PDF:
        with PDFIUM_LOCK:
            document = open_pdf(path)
            try:
                return len(document)
            finally:
                document.close()
    if kind in IMAGE_KINDS:
        with _open_image(path) as image:
            return int(getattr(image, "n_frames", 1)) if kind is FileKind.TIFF else 1
    if kind in TEXT_KINDS:
        return 1
    raise UnsupportedType(_UNSUPPORTED_FR, detail=f"no page reader for kind {kind}")


def iter_page_images(
    path: Path, kind: FileKind, *, dpi: int = 300, max_pixels: int = 80_000_000
) -> Iterator[PageImage]:
    """Every page image in order, produced one at a time (memory stays bounded)."""
    for n in range(1, page_count(path, kind) + 1):
        yield load_page_image(path, kind, n, dpi=dpi, max_pixels=max_pixels)


def load_page_image(
    path: Path, kind: FileKind, n: int, *, dpi: int = 300, max_pixels: int = 80_000_000
) -> PageImage:
    """Page `n` (1-based) as an image. Opens the file itself, so threads can call it."""
    if kind is FileKind.PDF:
        with PDFIUM_LOCK:
            document = open_pdf(path)
            try:
                return render_pdf_page(document, n, dpi=dpi, max_pixels=max_pixels)
            finally:
                document.close()
    if kind in IMAGE_KINDS:
        return load_image_frame(path, n, max_pixels=max_pixels)
    raise UnsupportedType(_UNSUPPORTED_FR, detail=f"kind {kind} has no page images")


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF with pdfium; the caller holds PDFIUM_LOCK."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise CorruptFile(_CORRUPT_FR, detail=f"pdfium cannot open the PDF: {e}") from e


def render_pdf_page(
    document: pdfium.PdfDocument, n: int, *, dpi: float, max_pixels: int
) -> PageImage:
    """Render page `n` greyscale; the caller holds PDFIUM_LOCK."""
    try:
        page = document[n - 1]
    except pdfium.PdfiumError as e:
        raise CorruptFile(_CORRUPT_FR, detail=f"pdfium cannot load page {n}: {e}") from e
    try:
        width_pt, height_pt = page.get_size()
        render_dpi = capped_render_dpi(width_pt, height_pt, dpi=dpi, max_pixels=max_pixels)
        bitmap = page.render(scale=render_dpi / 72.0, grayscale=True)
        # The bitmap's buffer belongs to pdfium: copy before closing it.
        pixels = np.array(bitmap.to_numpy(), copy=True)
        bitmap.close()
    finally:
        page.close()
    if pixels.ndim == 3:
        pixels = np.ascontiguousarray(pixels[..., 0])
    return PageImage(n, pixels, pdf_effective_dpi(width_pt, height_pt, render_dpi))


def capped_render_dpi(width_pt: float, height_pt: float, *, dpi: float, max_pixels: int) -> float:
    """`dpi`, lowered so the rendered page stays under `max_pixels`."""
    area_in2 = max(width_pt, 1.0) * max(height_pt, 1.0) / 72.0**2
    return min(float(dpi), math.sqrt(max_pixels / area_in2))


def pdf_effective_dpi(width_pt: float, height_pt: float, render_dpi: float) -> float:
    """Render dpi relative to the real document.

    A page bigger than A3 is almost always a scan embedded at 72 "dpi" (page
    size = pixel size in points): the document itself is taken to be A4.
    """
    long_side_in = max(width_pt, height_pt) / 72.0
    if long_side_in <= PLAUSIBLE_LONG_SIDE_IN[1]:
        return render_dpi
    return render_dpi * long_side_in / A4_LONG_SIDE_IN


def load_image_frame(path: Path, n: int, *, max_pixels: int) -> PageImage:
    with _open_image(path) as image:
        try:
            image.seek(n - 1)
        except EOFError as e:
            raise CorruptFile(_CORRUPT_FR, detail=f"image has no frame {n}") from e
        declared = image.info.get("dpi")
        upright = ImageOps.exif_transpose(image)
        factor = max(1, math.ceil(math.sqrt(upright.width * upright.height / max_pixels)))
        if factor > 1:
            upright = upright.reduce(factor)
        pixels = _to_array(upright)
    height, width = pixels.shape[:2]
    dpi = image_effective_dpi(width * factor, height * factor, declared) / factor
    return PageImage(n, pixels, dpi)


def image_effective_dpi(width_px: int, height_px: int, declared: object) -> float:
    """The image's declared dpi if plausible, else estimated as if the page were A4."""
    long_side_px = max(width_px, height_px)
    dpi = _declared_dpi(declared)
    if dpi is not None:
        long_side_in = long_side_px / dpi
        if PLAUSIBLE_LONG_SIDE_IN[0] <= long_side_in <= PLAUSIBLE_LONG_SIDE_IN[1]:
            return dpi
    return long_side_px / A4_LONG_SIDE_IN


def read_text_document(path: Path, kind: FileKind) -> str:
    """Text of a DOCX (paragraphs, then tables) or of a plain text file."""
    if kind is FileKind.DOCX:
        return _docx_text(path)
    if kind is FileKind.TEXT:
        return decode_text(path.read_bytes())
    raise UnsupportedType(_UNSUPPORTED_FR, detail=f"kind {kind} is not a text document")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the usual legacy French encoding."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _docx_text(path: Path) -> str:
    import docx  # python-docx: imported here, only DOCX uploads need it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as e:
        raise CorruptFile(_CORRUPT_FR, detail=f"python-docx cannot open the file: {e}") from e
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _declared_dpi(declared: object) -> float | None:
    if not isinstance(declared, tuple) or not declared:
        return None
    try:
        dpi = float(declared[0])
    except (TypeError, ValueError):
        return None
    low, high = PLAUSIBLE_DPI
    return dpi if low <= dpi <= high else None


def _open_image(path: Path) -> Image.Image:
    try:
        return Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise CorruptFile(_CORRUPT_FR, detail=f"Pillow cannot open the image: {e}") from e


def _to_array(image: Image.Image) -> np.ndarray:
    try:
        if image.mode in ("L", "1", "I;16", "I", "F"):
            return np.asarray(image.convert("L"))
        return np.asarray(image.convert("RGB"))
    except OSError as e:  # truncated or corrupt image data surfaces on decode
        raise CorruptFile(_CORRUPT_FR, detail=f"image data cannot be decoded: {e}") from e


_CORRUPT_FR = (
    "Le fichier est endommagé et ne peut pas être lu : merci d'en envoyer une nouvelle copie."
)
_UNSUPPORTED_FR = (
    "Ce type de fichier n'est pas accepté : merci d'envoyer un PDF, une image ou un document Word."
)

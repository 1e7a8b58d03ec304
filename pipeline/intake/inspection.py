"""Intake of untrusted files: real type, limits, encryption and active content.

Nothing here trusts the file name or the extension. `sniff` decides the type
from magic bytes; `inspect_file` applies the caps of `Limits` and checks what
would make the file dangerous or impossible to read, before anything renders
or OCRs it. Decoding an image to detect truncation costs real memory and time,
so `inspect_file` is meant to run inside `pipeline.intake.isolation.run_isolated`.

Decisions (see docs/errors.md for the codes):
- A PDF page too large to render at `limits.render_dpi` within
  `limits.max_pixels` is accepted with the warning `PDF_PAGE_REDUCED_DPI`: the
  reader lowers the dpi for that page. Only a page that would not fit even at
  `MIN_READABLE_DPI` is refused with `TooManyPixels`.
- An image embedded in a PDF with more pixels than `limits.max_pixels` is
  refused (`TooManyPixels`): rendering decodes it whole, whatever the dpi.
- A PDF that opens without a password (owner password only, i.e. permission
  flags) is accepted: only a PDF that needs a password to open is refused.
- A PDF without `%%EOF` near its end is refused as truncated: readers repair
  such files silently and would drop the missing pages.
- Embedded files in a PDF are a warning (`PDF_EMBEDDED_FILES`), not a refusal:
  Factur-X invoices embed their XML.
- If the object scan of a PDF exceeds its budget (objects or seconds), the
  warning `PDF_SCAN_INCOMPLETE` is added instead of refusing a large file.
"""

from __future__ import annotations

import codecs
import logging
import re
import struct
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef, PDFStream
from pdfminer.psparser import PSLiteral
from PIL import Image, UnidentifiedImageError

from pipeline.errors import (
    ActiveContent,
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileTooLarge,
    TooManyPages,
    TooManyPixels,
    UnsupportedType,
)
from pipeline.settings import Limits
from pipeline.types import FileKind, IntakeReport

log = logging.getLogger(__name__)

MIME_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.TIFF: "image/tiff",
    FileKind.WEBP: "image/webp",
    FileKind.HEIC: "image/heic",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.TEXT: "text/plain",
}

# Stable warning codes carried by IntakeReport.warnings.
WARNING_EMBEDDED_FILES = "PDF_EMBEDDED_FILES"
WARNING_REDUCED_DPI = "PDF_PAGE_REDUCED_DPI"
WARNING_SCAN_INCOMPLETE = "PDF_SCAN_INCOMPLETE"

MIN_READABLE_DPI = 100  # below this, tesseract misses small print
SNIFF_BYTES = 4096
PDF_MAGIC_WINDOW = 1024  # readers accept junk before %PDF- within the first KB
PDF_EOF_WINDOW = 16 * 1024
TEXT_SAMPLE_BYTES = 64 * 1024
TEXT_MIN_PRINTABLE = 0.95
ZIP_MAX_ENTRIES = 5000  # a real DOCX has tens of parts
DOCX_EXPANSION_FACTOR = 4  # declared uncompressed total may be this many times limits.max_bytes
DOCX_APP_XML_MAX_BYTES = 256 * 1024
PDF_SCAN_MAX_OBJECTS = 200_000
PDF_SCAN_MAX_SECONDS = 20.0
PDF_SCAN_MAX_DEPTH = 12  # nesting of direct dictionaries/arrays inside one object

HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif"}
)
ACTIVE_ACTIONS = frozenset({"JavaScript", "Launch", "ImportData", "RichMediaExecute"})
HTML_MARKERS = ("<!doctype", "<html", "<head", "<body", "<script", "<?xml", "<svg", "<iframe")

MESSAGE_EMPTY = "Le fichier est vide : envoyez à nouveau le document."
MESSAGE_UNSUPPORTED = (
    "Ce type de fichier n'est pas accepté : envoyez le document en PDF, JPEG, PNG, TIFF, "
    "WebP, HEIC, DOCX ou texte."
)
MESSAGE_ENCRYPTED = "Le fichier PDF est protégé par un mot de passe : envoyez-le sans mot de passe."
MESSAGE_ACTIVE_CONTENT = (
    "Le fichier PDF contient du code exécutable (JavaScript ou lancement de programme) : "
    "imprimez-le en PDF ou scannez-le, puis envoyez cette nouvelle version."
)
MESSAGE_MACROS = (
    "Le document Word contient des macros : enregistrez-le en PDF ou au format DOCX sans "
    "macros, puis envoyez cette nouvelle version."
)
MESSAGE_CORRUPT = (
    "Le fichier est endommagé ou incomplet : vérifiez qu'il s'ouvre correctement et "
    "envoyez-le à nouveau, de préférence en PDF."
)
MESSAGE_TRUNCATED_PDF = (
    "Le fichier PDF est incomplet (l'envoi a peut-être été interrompu) : envoyez-le à nouveau."
)


@dataclass
class PdfScan:
    """What the object structure of a PDF contains."""

    active: set[str] = field(default_factory=set)  # why it is active: "JS", "Launch"...
    embedded_files: bool = False
    largest_image_pixels: int = 0
    complete: bool = True


# --- sniffing -------------------------------------------------------------------------------


def sniff(path: Path) -> FileKind:
    """The real type of the file, from its bytes only; raises EmptyFile or UnsupportedType."""
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    if not head:
        raise EmptyFile(MESSAGE_EMPTY, detail="zero bytes")
    kind = _kind_from_magic(head)
    if kind is None and head.startswith(b"PK\x03\x04") and _is_docx(path):
        kind = FileKind.DOCX
    if kind is None and _is_text(path):
        kind = FileKind.TEXT
    if kind is None:
        raise UnsupportedType(MESSAGE_UNSUPPORTED, detail=f"magic {head[:8].hex()}")
    if kind is FileKind.HEIC and not _heif_supported(path):
        raise UnsupportedType(MESSAGE_UNSUPPORTED, detail="ftyp brand not decodable as HEIF")
    return kind


def _kind_from_magic(head: bytes) -> FileKind | None:
    if b"%PDF-" in head[:PDF_MAGIC_WINDOW]:
        return FileKind.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return FileKind.TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileKind.WEBP
    if _is_heif_ftyp(head):
        return FileKind.HEIC
    return None


def _is_heif_ftyp(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = struct.unpack(">I", head[:4])[0]
    box = head[8 : min(box_size, len(head))]
    # Major brand, then (after the minor version) the compatible brands.
    brands = {box[:4], *(box[i : i + 4] for i in range(8, len(box) - 3, 4))}
    return box[:4] in HEIF_BRANDS or (b"mif1" in brands and b"heic" in brands)


def _heif_supported(path: Path) -> bool:
    import pillow_heif

    return bool(pillow_heif.is_supported(str(path)))


def _is_docx(path: Path) -> bool:
    """A zip whose central directory names the two parts every DOCX has (nothing is extracted)."""
    entries = _zip_entry_count(path)
    if entries is None or entries > ZIP_MAX_ENTRIES:
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _zip_entry_count(path: Path) -> int | None:
    """Entries declared by the end-of-central-directory record, read before zipfile loads it all."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(max(0, size - (65535 + 22)))
        tail = stream.read()
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) - position < 22:
        return None
    entries = int(struct.unpack("<H", tail[position + 10 : position + 12])[0])
    return None if entries == 0xFFFF else entries  # zip64: no DOCX needs it


def _is_text(path: Path) -> bool:
    """Plain text for CVs: UTF-8 or cp1252, no NUL, mostly printable, not markup or a script."""
    with path.open("rb") as stream:
        sample = stream.read(TEXT_SAMPLE_BYTES)
    if b"\x00" in sample:
        return False
    text = _decode_text_sample(sample)
    if text is None or not text.strip():
        return False
    start = text.lstrip("\ufeff \t\r\n")[:1024].lower()
    if start.startswith("#!") or any(marker in start for marker in HTML_MARKERS):
        return False
    printable = sum(1 for char in text if char.isprintable() or char in "\t\r\n\f")
    return printable / len(text) >= TEXT_MIN_PRINTABLE


def _decode_text_sample(sample: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        # Incremental, so that a character cut by the sample's end is not an error.
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return str(decoder.decode(sample, final=False))
        except UnicodeDecodeError:
            continue
    return None


# --- inspection -----------------------------------------------------------------------------


def inspect_file(path: Path, limits: Limits) -> IntakeReport:
    """Type, size and page count of an untrusted file, or the PieceError that refuses it."""
    size_bytes = path.stat().st_size
    if size_bytes > limits.max_bytes:
        raise FileTooLarge(_message_too_large(limits), detail=f"{size_bytes} bytes")
    kind = sniff(path)
    page_count, warnings_found = _inspect_kind(path, kind, limits)
    if page_count > limits.max_pages:
        raise TooManyPages(_message_too_many_pages(limits), detail=f"{page_count} pages")
    return IntakeReport(
        kind=kind,
        mime=MIME_TYPES[kind],
        size_bytes=size_bytes,
        page_count=page_count,
        warnings=warnings_found,
    )


def _inspect_kind(path: Path, kind: FileKind, limits: Limits) -> tuple[int, list[str]]:
    if kind is FileKind.PDF:
        return inspect_pdf(path, limits)
    if kind is FileKind.DOCX:
        return inspect_docx(path, limits), []
    if kind is FileKind.TEXT:
        return 1, []
    return inspect_image(path, kind, limits), []


def _message_too_large(limits: Limits) -> str:
    return (
        f"Le fichier dépasse la taille maximale de {_french_size(limits.max_bytes)} : "
        "réduisez sa taille "
        "(scan en 200 ou 300 dpi, PDF compressé) puis envoyez-le à nouveau."
    )


def _french_size(size_bytes: int) -> str:
    for unit, factor in (("Go", 1024**3), ("Mo", 1024**2), ("Ko", 1024)):
        if size_bytes >= factor:
            return f"{size_bytes / factor:.3g} {unit}".replace(".", ",")
    return f"{size_bytes} octets"


def _message_too_many_pages(limits: Limits) -> str:
    return (
        f"Le fichier dépasse le nombre maximal de {limits.max_pages} pages : envoyez "
        "uniquement les pages du document demandé."
    )


def _message_too_many_pixels() -> str:
    return (
        "L'image ou la page est beaucoup trop grande pour être lue : envoyez un scan "
        "en 200 ou 300 dpi ou une photo de taille normale."
    )


# --- images ---------------------------------------------------------------------------------


def inspect_image(path: Path, kind: FileKind, limits: Limits) -> int:
    """Number of frames (TIFF) or 1, after checking pixel caps and decoding every frame."""
    if kind is FileKind.HEIC:
        import pillow_heif

        pillow_heif.register_heif_opener()
    # Pillow's own bomb guard stays on, at our cap; its warning is an error here.
    # The cap is Pillow's process-wide setting: put the previous one back after.
    previous_cap = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                frames = _frame_count(image, kind)
                if frames > limits.max_pages:
                    raise TooManyPages(_message_too_many_pages(limits), detail=f"{frames} frames")
                for index in range(frames):
                    _check_frame(image, index, limits)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise TooManyPixels(_message_too_many_pixels(), detail="Pillow bomb guard") from error
    except UnidentifiedImageError as error:
        raise CorruptFile(MESSAGE_CORRUPT, detail=f"{kind} not identified") from error
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise CorruptFile(MESSAGE_CORRUPT, detail=f"{kind}: {type(error).__name__}") from error
    finally:
        Image.MAX_IMAGE_PIXELS = previous_cap
    return frames


def _frame_count(image: Image.Image, kind: FileKind) -> int:
    # Only TIFF frames are pages; animated WebP or HEIC bursts are read as one picture.
    return int(getattr(image, "n_frames", 1)) if kind is FileKind.TIFF else 1


def _check_frame(image: Image.Image, index: int, limits: Limits) -> None:
    image.seek(index)
    width, height = image.size
    if width * height > limits.max_pixels:
        raise TooManyPixels(_message_too_many_pixels(), detail=f"{width}x{height}")
    if image.format == "JPEG":
        # Decoding at 1/8 scale still reads every byte, so truncation is caught cheaply.
        image.draft("L", (max(1, width // 8), max(1, height // 8)))
    image.load()


# --- DOCX -----------------------------------------------------------------------------------


def inspect_docx(path: Path, limits: Limits) -> int:
    """Page count declared by Word (1 when absent), after zip-bomb, macro and CRC checks."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_zip_expansion(infos, limits)
            _check_no_macros(archive, infos)
            _check_crc(archive, infos)
            return _docx_declared_pages(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        raise CorruptFile(MESSAGE_CORRUPT, detail=f"docx: {type(error).__name__}") from error


def _check_zip_expansion(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    declared = sum(info.file_size for info in infos)
    if declared > DOCX_EXPANSION_FACTOR * limits.max_bytes:
        raise FileTooLarge(
            "Une fois décompressé, le document Word est beaucoup trop volumineux : "
            "enregistrez-le en PDF et envoyez cette version.",
            detail=f"declared uncompressed {declared} bytes",
        )


def _check_no_macros(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    if any(info.filename.lower().endswith("vbaproject.bin") for info in infos):
        raise ActiveContent(MESSAGE_MACROS, detail="docx contains vbaProject.bin")
    content_types = _read_small(archive, "[Content_Types].xml", DOCX_APP_XML_MAX_BYTES)
    if content_types is not None and b"macroEnabled" in content_types:
        raise ActiveContent(MESSAGE_MACROS, detail="macro-enabled content type")


def _check_crc(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    # Reading is bounded by the declared sizes checked above; zipfile verifies each CRC.
    for info in infos:
        with archive.open(info) as member:
            while member.read(1024 * 1024):
                pass


def _docx_declared_pages(archive: zipfile.ZipFile) -> int:
    app = _read_small(archive, "docProps/app.xml", DOCX_APP_XML_MAX_BYTES)
    # A regex, not an XML parser: no entity expansion on untrusted XML.
    match = re.search(rb"<(?:\w+:)?Pages>\s*(\d{1,6})\s*<", app or b"")
    return max(1, int(match.group(1))) if match else 1


def _read_small(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > max_bytes:
        return None
    return archive.read(info)


# --- PDF ------------------------------------------------------------------------------------


def inspect_pdf(path: Path, limits: Limits) -> tuple[int, list[str]]:
    """Page count and warnings of a PDF, refusing encrypted, truncated, active or huge ones."""
    _check_pdf_end(path)
    document = _open_pdf(path)
    try:
        page_count = len(document)
        if page_count == 0:
            raise CorruptFile(MESSAGE_CORRUPT, detail="pdf without pages")
        if page_count > limits.max_pages:
            raise TooManyPages(_message_too_many_pages(limits), detail=f"{page_count} pages")
        found: list[str] = []
        if _pages_need_reduced_dpi(document, limits):
            found.append(WARNING_REDUCED_DPI)
        pdfium_scan = _pdfium_scan(document)
    finally:
        document.close()
    scan = scan_pdf_objects(path, limits)
    _refuse_dangerous(scan, pdfium_scan, limits)
    if scan.embedded_files or pdfium_scan.embedded_files:
        found.append(WARNING_EMBEDDED_FILES)
    if not scan.complete:
        found.append(WARNING_SCAN_INCOMPLETE)
    return page_count, found


def _check_pdf_end(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(max(0, size - PDF_EOF_WINDOW))
        tail = stream.read()
    if b"%%EOF" not in tail:
        raise CorruptFile(MESSAGE_TRUNCATED_PDF, detail="no %%EOF near the end")


def _open_pdf(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedFile(MESSAGE_ENCRYPTED, detail="pdf needs a password") from error
        raise CorruptFile(MESSAGE_CORRUPT, detail=f"pdfium error {error.err_code}") from error


def _pages_need_reduced_dpi(document: pdfium.PdfDocument, limits: Limits) -> bool:
    """True if a page must render below render_dpi; TooManyPixels if even MIN_READABLE_DPI is."""
    reduced = False
    for index in range(len(document)):
        try:
            width_pt, height_pt = document.get_page_size(index)
        except pdfium.PdfiumError as error:
            raise CorruptFile(MESSAGE_CORRUPT, detail=f"page {index + 1} unreadable") from error
        dpi = max_render_dpi(width_pt, height_pt, limits.max_pixels)
        if dpi < MIN_READABLE_DPI:
            raise TooManyPixels(_message_too_many_pixels(), detail=f"page {index + 1} too large")
        reduced = reduced or dpi < limits.render_dpi
    return reduced


def max_render_dpi(width_pt: float, height_pt: float, max_pixels: int) -> float:
    """Highest dpi at which a page of this size (in points) renders within max_pixels."""
    area_sq_inches = max(width_pt, 1.0) * max(height_pt, 1.0) / (72.0 * 72.0)
    return float((max_pixels / area_sq_inches) ** 0.5)


def _pdfium_scan(document: pdfium.PdfDocument) -> PdfScan:
    """Second opinion from pdfium: document-level JavaScript and attachments."""
    scan = PdfScan()
    if pdfium_c.FPDFDoc_GetJavaScriptActionCount(document.raw) > 0:
        scan.active.add("JavaScript")
    scan.embedded_files = pdfium_c.FPDFDoc_GetAttachmentCount(document.raw) > 0
    return scan


def _refuse_dangerous(scan: PdfScan, pdfium_scan: PdfScan, limits: Limits) -> None:
    reasons = scan.active | pdfium_scan.active
    if reasons:
        raise ActiveContent(
            MESSAGE_ACTIVE_CONTENT, detail="pdf active: " + ",".join(sorted(reasons))
        )
    if scan.largest_image_pixels > limits.max_pixels:
        raise TooManyPixels(
            _message_too_many_pixels(), detail=f"embedded image {scan.largest_image_pixels} px"
        )


def scan_pdf_objects(path: Path, limits: Limits) -> PdfScan:
    """Walk every object of the PDF (object streams included) for actions, files and images.

    Bounded by PDF_SCAN_MAX_OBJECTS and PDF_SCAN_MAX_SECONDS; when a bound is hit
    the scan is marked incomplete. pdfminer decompresses object streams, which a
    byte search for "/JavaScript" would miss.
    """
    scan = PdfScan()
    deadline = time.monotonic() + PDF_SCAN_MAX_SECONDS
    with path.open("rb") as stream:
        try:
            document = PDFDocument(PDFParser(stream))
        except PDFPasswordIncorrect as error:
            raise EncryptedFile(MESSAGE_ENCRYPTED, detail="pdfminer: password") from error
        except Exception:
            # pdfium opened it; pdfminer is stricter. Do not refuse what can be read.
            log.info("pdf object scan could not parse the file structure")
            scan.complete = False
            return scan
        for count, obj in enumerate(_pdf_objects(document)):
            if count >= PDF_SCAN_MAX_OBJECTS or time.monotonic() > deadline:
                scan.complete = False
                break
            _inspect_value(obj, scan, depth=0)
    return scan


def _pdf_objects(document: PDFDocument) -> Iterator[Any]:
    seen: set[int] = set()
    for xref in document.xrefs:
        for objid in xref.get_objids():
            if objid in seen:
                continue
            seen.add(objid)
            try:
                yield document.getobj(objid)
            except Exception:
                # A broken object cannot carry an action a reader would run either.
                continue


def _inspect_value(value: Any, scan: PdfScan, depth: int) -> None:
    if depth > PDF_SCAN_MAX_DEPTH:
        return
    if isinstance(value, PDFStream):
        _inspect_dict(value.attrs, scan, depth, is_stream=True)
    elif isinstance(value, dict):
        _inspect_dict(value, scan, depth, is_stream=False)
    elif isinstance(value, list):
        for item in value:
            _inspect_value(item, scan, depth + 1)


def _inspect_dict(entries: dict[str, Any], scan: PdfScan, depth: int, *, is_stream: bool) -> None:
    kind = _name(entries.get("S"))
    if kind in ACTIVE_ACTIONS:
        scan.active.add(kind)
    if "JS" in entries:
        scan.active.add("JS")
    if "JavaScript" in entries:  # the document-level names tree
        scan.active.add("JavaScript")
    if (
        "EmbeddedFiles" in entries
        or "EF" in entries
        or _name(entries.get("Type")) == "EmbeddedFile"
    ):
        scan.embedded_files = True
    if is_stream and _name(entries.get("Subtype")) == "Image":
        scan.largest_image_pixels = max(scan.largest_image_pixels, _image_pixels(entries))
    for item in entries.values():
        # Indirect objects are visited on their own by the walk over the xref.
        if not isinstance(item, PDFObjRef):
            _inspect_value(item, scan, depth + 1)


def _name(value: Any) -> str | None:
    if isinstance(value, PSLiteral):
        name = value.name
        return name.decode("latin-1") if isinstance(name, bytes) else str(name)
    return None


def _image_pixels(entries: dict[str, Any]) -> int:
    width, height = entries.get("Width"), entries.get("Height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width * height
    return 0

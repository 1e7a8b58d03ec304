"""Small documents for the reading tests, built from fixtures.textpages (deterministic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from fixtures.scan import ScanStyle, degrade
from fixtures.textpages import MARGIN_PT, text_page_image, write_text_lines

SCAN_TEXT = (
    "Attestation de scolarité délivrée le 12 février 2024\n"
    "Le directeur certifie que l'élève Hélène Lefèvre est inscrite\n"
    "en classe de première générale au lycée Jean Moulin.\n"
    "Année scolaire 2023-2024, référence n° 36-41872.\n"
    "Fait à Châteauroux pour servir et valoir ce que de droit."
)
SCAN_WORDS = ("scolarité", "délivrée", "février", "élève", "Hélène", "Lefèvre", "Châteauroux")


def scanned_page(folder: Path, *, rotation_deg: float = 0.0, seed: int = 3) -> Image.Image:
    """SCAN_TEXT printed on A4 at 300 dpi, then scanned with noise, blur and skew."""
    clean = text_page_image(SCAN_TEXT, folder)
    style = ScanStyle(rotation_deg=rotation_deg, noise_sigma=7.0, blur_px=0.7, dpi=300)
    return degrade(clean, style, np.random.default_rng(seed))


def write_image_pdf(
    path: Path, image: Image.Image, *, overlay: str = "", invisible: bool = True
) -> Path:
    """One A4 page covered by `image`, optionally with `overlay` text over it."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    width, height = A4
    pdf.drawImage(_as_jpeg(image, path), 0, 0, width, height)
    if overlay:
        write_text_lines(pdf, overlay.split("\n"), top_pt=height - MARGIN_PT, invisible=invisible)
    pdf.showPage()
    pdf.save()
    return path


def write_mixed_pdf(path: Path, text: str, scan: Image.Image) -> Path:
    """Page 1 born-digital `text`, page 2 the scanned image only."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    width, height = A4
    write_text_lines(pdf, text.split("\n"), top_pt=height - MARGIN_PT)
    pdf.showPage()
    pdf.drawImage(_as_jpeg(scan, path), 0, 0, width, height)
    pdf.showPage()
    pdf.save()
    return path


def _as_jpeg(image: Image.Image, beside: Path) -> str:
    # reportlab embeds a JPEG file as is; re-encoding raw pixels takes seconds.
    jpeg = beside.with_suffix(".scan.jpg")
    image.convert("L").save(jpeg, quality=90, dpi=(300, 300))
    return str(jpeg)


BANNER_TEXT = "AVIS DE SITUATION DÉCLARATIVE"


def write_banner_pdf(path: Path, body: str) -> Path:
    """A page whose title is white on a black banner, above ordinary text."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    width, height = A4
    pdf.setFillGray(0.0)
    pdf.rect(MARGIN_PT - 10, height - 110, width - 2 * MARGIN_PT + 20, 40, stroke=0, fill=1)
    pdf.setFillGray(1.0)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(MARGIN_PT, height - 96, BANNER_TEXT)
    pdf.setFillGray(0.0)
    write_text_lines(pdf, body.split("\n"), top_pt=height - 150)
    pdf.showPage()
    pdf.save()
    return path

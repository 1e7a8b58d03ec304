"""Small real documents for dossier-level tests: born-digital, scanned and broken."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fixtures.scan import ScanStyle, degrade
from fixtures.textpages import text_page_image, write_text_pdf

# The applicant of the test dossiers, as the documents below name her.
APPLICANT = {
    "first_name": "Hélène",
    "last_name": "Dupré-Léger",
    "birth_date": "2007-02-11",
    "address": {"line": "12 rue des Écoles", "postcode": "21000", "city": "Dijon"},
}
BORN_DIGITAL_TEXT = (
    "Attestation de scolarité\n"
    "Le proviseur du lycée Victor-Hugo certifie que Hélène Dupré-Léger\n"
    "est inscrite en classe de première pour l'année scolaire 2026-2027.\n"
    "Fait à Besançon, le 14 septembre 2026."
)
SCANNED_TEXT = (
    "Quittance de loyer\n"
    "Je soussigné, propriétaire du logement situé 12 rue des Écoles à Dijon,\n"
    "déclare avoir reçu de Madame Hélène Dupré-Léger la somme de 640,00 euros\n"
    "au titre du loyer et des charges du mois d'octobre 2026."
)


def write_small_dossier(folder: Path) -> dict[str, Path]:
    """A born-digital PDF, a scanned JPEG and an empty file, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = write_text_pdf(folder / "certificat.pdf", [BORN_DIGITAL_TEXT])
    rng = np.random.default_rng(7)
    work = folder / ".work"
    work.mkdir(exist_ok=True)
    clean = text_page_image(SCANNED_TEXT, work)
    scan = degrade(clean, ScanStyle(rotation_deg=1.2, noise_sigma=5, dpi=300), rng)
    jpeg = folder / "quittance.jpg"
    scan.save(jpeg, quality=88, dpi=(300, 300))
    empty = folder / "vide.pdf"
    empty.write_bytes(b"")
    return {"pdf": pdf, "scan": jpeg, "empty": empty}

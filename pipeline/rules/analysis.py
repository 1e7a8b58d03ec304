"""From a piece's reading to what the decision needs: type, fields, authenticity and legibility.

The classifier is passed in (`pipeline` never imports `classifiers`); its
output is a `Classification`. Everything here is a pure function of the
reading, so re-running a dossier gives the same report.
"""

from __future__ import annotations

from datetime import date

from pipeline.classify import Classification
from pipeline.codes.twoddoc.trust import TrustList
from pipeline.decide.inputs import PieceInput
from pipeline.extract import ExtractedFields, extract_fields
from pipeline.fields import DocType, ExtractedField
from pipeline.rules.checks import (
    Check,
    CheckCode,
    CheckStatus,
    legibility_low,
    make_check,
    mrz_invalid,
    twoddoc_invalid,
)
from pipeline.rules.context import PhotoMeasurement
from pipeline.types import PageReading, PieceReading, TextSource

# Calibrated by bench/legibility.py (docs/benchmarks.md, "Legibility calibration"):
# OCR character accuracy of degraded text pages against these figures. OCR
# confidence is what tells trustworthy text from garbage. Re-measured when
# tesseract started reading grey pages (READING_VERSION 7), on 96 pages: every
# page read at under 90 % accuracy had a mean word confidence ≤ 0.737, every
# page at ≥ 95 % one ≥ 0.842. The calibration half alone gave 0.731, which let
# one held-out bad page through (0.737); 0.75 clears all 96. Sharpness and
# contrast alone do not separate them (sensor noise raises the sharpness
# figure; pale but sharp print reads perfectly at contrast 0.27), so they are
# floors under every clean page seen: text pages (sharpness ≥ 0.118, contrast
# ≥ 0.27) and the generator's phone photos, whose table background lowers the
# figure (sharpness ≥ 0.035).
MIN_SHARPNESS = 0.03
MIN_CONTRAST = 0.13
MIN_OCR_CONFIDENCE = 0.75
# Identity photos as uploaded (no dpi worth the name, so measured at their own
# size): the generator's sharp drawings 0.004-0.015, the same under a 12-px blur
# (its unreadable variant) 0.000-0.001. Real photos have more texture (hair,
# eyes), so they measure higher; the floor only catches a photo no face can be
# compared with.
MIN_PHOTO_SHARPNESS = 0.002


def analyse_piece(
    file: str,
    reading: PieceReading,
    classification: Classification | None,
    *,
    as_of: date,
    trust: TrustList | None,
) -> PieceInput:
    """Everything the decision needs about one piece; an unreadable piece carries its error."""
    extraction = extract_piece(reading, classification, as_of=as_of, trust=trust)
    return assess_piece(file, reading, classification, extraction)


def extract_piece(
    reading: PieceReading,
    classification: Classification | None,
    *,
    as_of: date,
    trust: TrustList | None,
) -> ExtractedFields:
    """The fields of the piece's type (or of the classifier's guess); none when untyped."""
    doc_type = _type_of(classification)
    if reading.error is not None or doc_type is None:
        return ExtractedFields()
    return extract_fields(reading, doc_type, as_of=as_of, trust=trust)


def assess_piece(
    file: str,
    reading: PieceReading,
    classification: Classification | None,
    extraction: ExtractedFields,
) -> PieceInput:
    """The piece's own checks (legibility, authenticity) beside its type and fields."""
    if reading.error is not None:
        return PieceInput(file=file, sha256=reading.sha256, error=reading.error)
    doc_type = _type_of(classification)
    # A photo has no text to read: only its sharpness is judged here, the rest by the photo rule.
    legibility = (
        photo_sharpness_checks(reading.pages)
        if doc_type is DocType.ID_PHOTO
        else legibility_checks(reading.pages, machine_read=verified_mrz_pages(extraction))
    )
    checks = [*legibility, *authenticity_checks(extraction, reading)]
    return PieceInput(
        file=file,
        sha256=reading.sha256,
        doc_type=doc_type,
        confidence=classification.confidence if classification else 0.0,
        abstained=classification.abstained if classification else True,
        fields=weakened_on_illegible_pages(extraction.as_list(), reading.pages, legibility),
        checks=checks,
        photo=photo_measurement(reading) if doc_type is DocType.ID_PHOTO else None,
        texts=[page.text for page in reading.pages],
    )


def _type_of(classification: Classification | None) -> DocType | None:
    """The type decided, else the classifier's best guess (what extraction and rules go by)."""
    if classification is None:
        return None
    return classification.type or classification.best_guess


def legibility_checks(
    pages: list[PageReading], *, machine_read: frozenset[int] = frozenset()
) -> list[Check]:
    """A doubt per page that a reader could not trust: blurred, washed out or unreadable.

    Pages in `machine_read` carry an MRZ whose every check digit verified as
    read: a low OCR confidence there (a card's guilloches and portrait read as
    noise words) says nothing against fields that come from the MRZ, so it is
    no doubt; blur, washed-out ink or a blank page still are.
    """
    checks = []
    for page in pages:
        if page.text_source is not TextSource.OCR:
            continue
        problems = []
        if page.quality.blank:
            problems.append("page blanche")
        else:
            if page.quality.blur < MIN_SHARPNESS:
                problems.append(f"flou (netteté {page.quality.blur:.2f})")
            if page.quality.contrast < MIN_CONTRAST:
                problems.append(f"contraste faible ({page.quality.contrast:.2f})")
            if not page.words:
                # Ink but no word read: the text, if any, is out of reach.
                problems.append("aucun texte lu")
            elif page.confidence < MIN_OCR_CONFIDENCE and page.n not in machine_read:
                problems.append(f"lecture incertaine (confiance {page.confidence:.0%})")
        if problems:
            checks.append(legibility_low(page.n, ", ".join(problems)))
    return checks


def weakened_on_illegible_pages(
    fields: list[ExtractedField], pages: list[PageReading], legibility: list[Check]
) -> list[ExtractedField]:
    """OCR'd fields of a page with a legibility doubt, at most as sure as that page's read.

    Word confidences can be high on a page read badly overall (a civility read
    alone, "Mme", made a clean tax notice photo's holder): whatever rule such a
    field fails is then a doubt, never a refusal.
    """
    doubtful = {check.evidence[0].page for check in legibility if check.evidence}
    read_at = {page.n: page.confidence for page in pages}
    return [
        field.at_most(read_at.get(field.evidence.page or 0, 0.0))
        if field.evidence.source is TextSource.OCR and field.evidence.page in doubtful
        else field
        for field in fields
    ]


def verified_mrz_pages(extraction: ExtractedFields) -> frozenset[int]:
    """The page whose MRZ verified, if any: as read, or after look-alike corrections
    whose every changed value the page also prints (two independent reads agree)."""
    mrz = extraction.mrz
    if mrz is None or not mrz.valid or extraction.mrz_page is None:
        return frozenset()
    if mrz.corrections and not extraction.mrz_corrections_confirmed:
        return frozenset()
    return frozenset({extraction.mrz_page})


def photo_sharpness_checks(pages: list[PageReading]) -> list[Check]:
    """A doubt on an identity photo too blurred to recognise a face by (never a refusal:
    a smooth face has few edges, and a case officer judges better than the figure)."""
    page = pages[0] if pages else None
    if page is None:
        return []
    if page.quality.blank:
        return [legibility_low(page.n, "image vide")]
    if page.quality.blur < MIN_PHOTO_SHARPNESS:
        return [legibility_low(page.n, f"photo floue (netteté {page.quality.blur:.3f})")]
    return []


def authenticity_checks(extraction: ExtractedFields, reading: PieceReading) -> list[Check]:
    """MRZ check digits and 2D-Doc signatures and contents, as checks with their evidence."""
    checks = []
    mrz = extraction.mrz
    if mrz is not None and not mrz.valid:
        mrz_fields = [f for f in extraction.as_list() if f.evidence.source is TextSource.MRZ]
        checks.append(mrz_invalid(mrz_fields, ", ".join(mrz.failed_checks) or "format"))
    for finding in extraction.twoddocs:
        if finding.document is None or not finding.signature_valid:
            reason = finding.error_code or (
                finding.document.signature.value if finding.document else "illisible"
            )
            if reason != "unknown_certificate":
                checks.append(twoddoc_invalid(f"page {finding.page} : {reason}"))
            continue
        page = next((p for p in reading.pages if p.n == finding.page), None)
        # A mismatch against OCR text may be a misread; against a text layer it is a fact.
        strong = page is not None and page.text_source is TextSource.TEXT_LAYER
        for mismatch in finding.mismatches:
            checks.append(
                make_check(
                    CheckCode.TWODDOC_MISMATCH,
                    CheckStatus.KO if strong else CheckStatus.DOUBT,
                    field=str(mismatch.field or mismatch.code),
                    found="absent du texte imprimé",
                    expected=mismatch.signed_value,
                )
            )
    return checks


def photo_measurement(reading: PieceReading) -> PhotoMeasurement | None:
    page = reading.pages[0] if reading.pages else None
    if page is None or page.signals is None or page.signals.faces < 0:
        return None
    plain = page.signals.plain_background
    return PhotoMeasurement(
        face_count=page.signals.faces,
        background_uniformity=page.signals.background_uniformity if plain is None else plain,
    )

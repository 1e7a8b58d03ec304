"""Extraction on generated documents read for real (text layer, and tesseract for scans)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures.generator.api import DEFAULT_AS_OF, generate_document
from pipeline.extract import extract_fields
from pipeline.extract.people import strip_civility
from pipeline.extract.text import fold
from pipeline.fields import DocType, FieldName
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.settings import Limits
from pipeline.types import TextSource
from tests.conftest import require_tool

CHECKED = {
    FieldName.IBAN, FieldName.SIREN, FieldName.SIRET, FieldName.BIRTH_DATE,
    FieldName.EXPIRY_DATE, FieldName.ISSUE_DATE, FieldName.DOCUMENT_DATE,
    FieldName.HOLDER_NAME, FieldName.ACCOUNT_HOLDER, FieldName.FISCAL_NUMBER,
    FieldName.TAX_YEAR, FieldName.SCHOOL_YEAR, FieldName.PAY_PERIOD, FieldName.DOCUMENT_NUMBER,
}  # fmt: skip


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", fold(strip_civility(value)))


def _extract(folder: Path, doc_type: DocType, seed: int, rendering: str) -> tuple[dict, object]:
    generated = generate_document(doc_type, folder, seed=seed, rendering=rendering)
    file = generated.files[0]
    reading = read_piece(folder / file.path, ReadOptions(limits=Limits(), page_workers=1))
    return file.fields, extract_fields(reading, doc_type, as_of=DEFAULT_AS_OF, trust=None)


@pytest.mark.parametrize(
    "doc_type",
    [
        DocType.IDENTITY_CARD, DocType.PASSPORT, DocType.RESIDENCE_PERMIT,
        DocType.PROOF_OF_ADDRESS, DocType.TAX_NOTICE, DocType.BANK_DETAILS,
        DocType.SCHOOL_CERTIFICATE, DocType.COMPANY_EXTRACT, DocType.URSSAF_CERTIFICATE,
        DocType.PAYSLIP,
    ],
)  # fmt: skip
def test_born_digital_fields_match_ground_truth(tmp_path: Path, doc_type: DocType) -> None:
    truth, found = _extract(tmp_path, doc_type, seed=7, rendering="born_digital")
    checked = [FieldName(k) for k in truth if FieldName(k) in CHECKED]
    assert checked, "the generator gave no checked field"
    for name in checked:
        got = found.fields.get(name)  # type: ignore[attr-defined]
        assert got is not None, f"{name} not found"
        assert _norm(got.value) == _norm(truth[name]), name
        assert got.evidence.page is not None and got.evidence.confidence > 0


def test_invalid_iban_defect_is_reported_with_raw_value(tmp_path: Path) -> None:
    generated = generate_document(
        DocType.BANK_DETAILS, tmp_path, seed=3, rendering="born_digital", defect="iban_invalid"
    )
    file = generated.files[0]
    reading = read_piece(tmp_path / file.path, ReadOptions(limits=Limits(), page_workers=1))
    found = extract_fields(reading, DocType.BANK_DETAILS, as_of=DEFAULT_AS_OF, trust=None)
    assert found.fields[FieldName.IBAN].value == file.fields["iban"]
    assert FieldName.IBAN in found.invalid


@pytest.mark.slow
def test_scanned_identity_card_mrz_verified(tmp_path: Path) -> None:
    require_tool("tesseract")
    truth, found = _extract(tmp_path, DocType.IDENTITY_CARD, seed=11, rendering="scan")
    assert found.mrz is not None and found.mrz.valid  # type: ignore[attr-defined]
    birth = found.fields[FieldName.BIRTH_DATE]  # type: ignore[attr-defined]
    assert birth.value == truth["birth_date"] and birth.evidence.source is TextSource.MRZ


@pytest.mark.slow
def test_scanned_rib_iban_read_by_ocr(tmp_path: Path) -> None:
    require_tool("tesseract")
    truth, found = _extract(tmp_path, DocType.BANK_DETAILS, seed=12, rendering="scan")
    iban = found.fields[FieldName.IBAN]  # type: ignore[attr-defined]
    assert iban.value == truth["iban"]
    assert iban.evidence.source is TextSource.OCR and iban.evidence.box is not None

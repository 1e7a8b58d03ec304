"""2D-Doc: signed with a test CA, rendered as DataMatrix, decoded back and verified."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from fixtures.twoddoc_sign import (
    TwoDDocSigner,
    make_test_signer,
    make_twoddoc,
    render_datamatrix,
    write_trust_bundle,
)
from pipeline.codes.twoddoc.crosscheck import cross_check
from pipeline.codes.twoddoc.decode import parse_twoddoc, read_twoddocs
from pipeline.codes.twoddoc.payload import GS, US, InvalidTwoDDoc, SignatureStatus
from pipeline.codes.twoddoc.trust import TrustList
from pipeline.errors import ConfigurationError
from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import TextSource

TAX_FIELDS = {
    "46": "DUPONT JEAN",
    "47": "1234567890123",
    "44": "2433A12345678",
    "45": "2024",
    "41": "42000",
}
TAX_PAGE = (
    "AVIS D'IMPÔT 2025 SUR LES REVENUS DE L'ANNÉE 2024\n"
    "Déclarant 1 : Dupont Jean\n"
    "Numéro fiscal : 1234567890123   Référence de l'avis : 2433A12345678\n"
    "Revenu fiscal de référence : 42 000 €\n"
)


@pytest.fixture(scope="module")
def signer() -> TwoDDocSigner:
    return make_test_signer("FR99", "TS01")


@pytest.fixture(scope="module")
def trust(signer: TwoDDocSigner, tmp_path_factory: pytest.TempPathFactory) -> TrustList:
    path = tmp_path_factory.mktemp("trust") / "trust.json"
    return TrustList.load(write_trust_bundle(path, [signer]))


def _page_with(code: np.ndarray) -> np.ndarray:
    """An A4-ish grey page at 100 dpi with the code in its top-right corner."""
    page = np.full((1169, 827), 255, dtype=np.uint8)
    page[60 : 60 + code.shape[0], 827 - 60 - code.shape[1] : 827 - 60] = code
    return page


@pytest.mark.parametrize("version", [2, 3, 4])
def test_signed_tax_notice_round_trips_through_an_image(
    signer: TwoDDocSigner, trust: TrustList, version: int
) -> None:
    payload = make_twoddoc(
        signer, TAX_FIELDS, document_type="04", document_date=date(2025, 8, 1), version=version
    )
    docs = read_twoddocs(_page_with(render_datamatrix(payload)), trust)
    assert len(docs) == 1
    doc = docs[0]
    assert doc.signature is SignatureStatus.VALID
    assert doc.header.version == version
    assert (doc.header.ca_id, doc.header.cert_id) == ("FR99", "TS01")
    assert doc.header.document_date == "2025-08-01"
    assert doc.header.country == ("FR" if version == 4 else None)
    assert doc.fields == TAX_FIELDS
    canonical = doc.canonical()
    assert canonical[FieldName.REFERENCE_INCOME] == "42000"
    assert canonical[FieldName.TAX_YEAR] == "2024"
    assert canonical[FieldName.FISCAL_NUMBER] == "1234567890123"
    fields = doc.to_fields(page=1)
    assert all(f.evidence.source is TextSource.TWODDOC for f in fields)
    assert all(f.evidence.confidence == 1.0 for f in fields)


def test_tampered_field_invalidates_signature(signer: TwoDDocSigner, trust: TrustList) -> None:
    payload = make_twoddoc(signer, TAX_FIELDS, document_type="04", document_date=date(2025, 8, 1))
    tampered = payload.replace("4142000", "4112000")
    doc = parse_twoddoc(tampered, trust)
    assert doc.signature is SignatureStatus.INVALID
    assert all(f.evidence.confidence < 1.0 for f in doc.to_fields())


def test_unknown_certificate(trust: TrustList) -> None:
    stranger = make_test_signer("FR98", "ZZ01")
    payload = make_twoddoc(stranger, TAX_FIELDS, document_type="04")
    assert parse_twoddoc(payload, trust).signature is SignatureStatus.UNKNOWN_CERTIFICATE


def test_same_ids_other_key_is_invalid(trust: TrustList) -> None:
    impostor = make_test_signer("FR99", "TS01")  # claims the trusted ids, own key
    payload = make_twoddoc(impostor, TAX_FIELDS, document_type="04")
    assert parse_twoddoc(payload, trust).signature is SignatureStatus.INVALID


def test_missing_signature_is_absent(signer: TwoDDocSigner, trust: TrustList) -> None:
    payload = make_twoddoc(signer, TAX_FIELDS, document_type="04").split(US)[0]
    assert parse_twoddoc(payload, trust).signature is SignatureStatus.ABSENT


def test_proof_of_address_fields_and_date(signer: TwoDDocSigner, trust: TrustList) -> None:
    fields = {"26": "FR", "24": "75001", "10": "MME/SPECIMEN/NATACHA", "22": "145 AVENUE DES LILAS"}
    payload = make_twoddoc(signer, fields, document_type="01", document_date=date(2025, 5, 2))
    doc = parse_twoddoc(payload, trust)
    assert doc.signature is SignatureStatus.VALID
    canonical = doc.canonical()
    assert canonical[FieldName.HOLDER_NAME] == "MME SPECIMEN NATACHA"
    assert canonical[FieldName.POSTCODE] == "75001"
    assert canonical[FieldName.ADDRESS_LINE] == "145 AVENUE DES LILAS"
    assert canonical[FieldName.DOCUMENT_DATE] == "2025-05-02"
    page = "Facture d'électricité\nMme Natacha Specimen\n145 avenue des Lilas\n75001 Paris"
    assert cross_check(doc, page) == []


def test_truncated_field_is_reported(signer: TwoDDocSigner, trust: TrustList) -> None:
    signed = "DC04FR99TS012480248001" + "01FR" + "13SPECIMEN-TRES-LON\x1e" + "2475001"
    doc = parse_twoddoc(signed, trust)
    assert doc.fields["13"] == "SPECIMEN-TRES-LON"
    assert doc.truncated == ["13"]
    assert doc.fields["24"] == "75001"


def test_cross_check_agrees_with_matching_page(signer: TwoDDocSigner, trust: TrustList) -> None:
    doc = parse_twoddoc(make_twoddoc(signer, TAX_FIELDS, document_type="04"), trust)
    assert cross_check(doc, TAX_PAGE) == []


def test_cross_check_detects_edits(signer: TwoDDocSigner, trust: TrustList) -> None:
    doc = parse_twoddoc(make_twoddoc(signer, TAX_FIELDS, document_type="04"), trust)
    forged = TAX_PAGE.replace("42 000", "12 000").replace("Dupont Jean", "Durand Jean")
    mismatches = cross_check(doc, forged)
    assert {m.field for m in mismatches} == {FieldName.REFERENCE_INCOME, FieldName.HOLDER_NAME}
    assert all("2D-Doc" in m.message_fr for m in mismatches)


def test_cross_check_with_extracted_fields(signer: TwoDDocSigner, trust: TrustList) -> None:
    doc = parse_twoddoc(make_twoddoc(signer, TAX_FIELDS, document_type="04"), trust)
    evidence = Evidence(source=TextSource.OCR, confidence=0.9)
    printed = [
        ExtractedField(name=FieldName.HOLDER_NAME, value="Jean DUPONT", evidence=evidence),
        ExtractedField(name=FieldName.REFERENCE_INCOME, value="41 000", evidence=evidence),
    ]
    mismatches = cross_check(doc, printed)
    assert [m.field for m in mismatches] == [FieldName.REFERENCE_INCOME]


def test_not_a_2ddoc_is_refused(trust: TrustList) -> None:
    with pytest.raises(InvalidTwoDDoc):
        parse_twoddoc("HELLO" + GS + "WORLD", trust)


def test_trust_list_folder_and_bad_file(signer: TwoDDocSigner, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    folder = tmp_path / "certs"
    folder.mkdir()
    der = signer.certificate.public_bytes(serialization.Encoding.DER)
    (folder / "FR99_TS01.der").write_bytes(der)
    assert TrustList.load(folder).get("FR99", "TS01") is not None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        TrustList.load(bad)


def test_page_without_code_gives_nothing(trust: TrustList) -> None:
    assert read_twoddocs(np.full((400, 300), 255, dtype=np.uint8), trust) == []

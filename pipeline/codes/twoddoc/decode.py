"""From a decoded payload, or a page image, to 2D-Docs whose signature is checked."""

from __future__ import annotations

import logging

import numpy as np

from pipeline.codes.twoddoc.payload import (
    InvalidTwoDDoc,
    SignatureStatus,
    TwoDDoc,
    TwoDDocHeader,
    parse_header,
    parse_message,
    split_payload,
)
from pipeline.codes.twoddoc.trust import TrustList, verify_signature

logger = logging.getLogger(__name__)


def parse_twoddoc(payload: str, trust: TrustList | None) -> TwoDDoc:
    """Parse a decoded 2D-Doc and check its signature against the trust list."""
    header = parse_header(payload)
    signed, signature, annex = split_payload(payload)
    fields, truncated = parse_message(signed[header.length :])
    return TwoDDoc(
        header=header,
        fields=fields,
        truncated=truncated,
        annex=annex,
        signature=_signature_status(header, signed, signature, trust),
    )


def _signature_status(
    header: TwoDDocHeader, signed: str, signature: str | None, trust: TrustList | None
) -> SignatureStatus:
    if signature is None:
        return SignatureStatus.ABSENT
    certificate = trust.get(header.ca_id, header.cert_id) if trust else None
    if certificate is None:
        return SignatureStatus.UNKNOWN_CERTIFICATE
    if verify_signature(signed, signature, certificate):
        return SignatureStatus.VALID
    return SignatureStatus.INVALID


def read_twoddoc_payloads(image: np.ndarray) -> list[str]:
    """Texts of the 2D-Doc DataMatrix codes found in a page image (grey or RGB array)."""
    import zxingcpp  # imported here: only this function needs the native library

    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.DataMatrix)
    )
    # `.text` escapes control characters ("<GS>"); the raw bytes keep GS, RS and US.
    texts = [bytes(r.bytes).decode("latin-1") for r in results if r.valid]
    return [text for text in texts if text.startswith("DC")]


def read_twoddocs(image: np.ndarray, trust: TrustList | None) -> list[TwoDDoc]:
    """Every 2D-Doc on a page, parsed and verified; malformed ones are skipped and logged."""
    docs = []
    for payload in read_twoddoc_payloads(image):
        try:
            docs.append(parse_twoddoc(payload, trust))
        except InvalidTwoDDoc as e:
            logger.info("2D-Doc skipped: %s", e.detail)
    return docs

"""Signed 2D-Doc values against what the visible document prints."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel

from pipeline.codes.twoddoc.payload import (
    CANONICAL_FIELDS,
    FIELD_SPECS,
    TwoDDoc,
    canonical_value,
)
from pipeline.fields import ExtractedField, FieldName


class Mismatch(BaseModel):
    code: str  # 2D-Doc data identifier
    field: FieldName | None
    signed_value: str
    message_fr: str


def normalise_text(text: str) -> str:
    """Upper case, no accents, thousands separators removed, other punctuation as single spaces."""
    stripped = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in stripped if not unicodedata.combining(c)).upper()
    stripped = re.sub(r"(?<=\d)[ \u00a0\u202f.](?=\d{3}\b)", "", stripped)
    return " ".join(re.sub(r"[^0-9A-Z]+", " ", stripped).split())


def _printed_on_page(value: str, page: str) -> bool:
    words = normalise_text(value).split()
    return all(re.search(rf"(?<![0-9A-Z]){re.escape(w)}(?![0-9A-Z])", page) for w in words)


_CIVILITIES = {"M", "MME", "MLLE", "MR", "MRS", "MONSIEUR", "MADAME"}


def cross_check(doc: TwoDDoc, printed: str | Sequence[ExtractedField]) -> list[Mismatch]:
    """Signed canonical fields that the visible document does not show.

    `printed` is the page text, or the fields extracted from it. With text, each
    word of the signed value must appear as a word of the page (accents, case,
    spacing and thousands separators ignored); with fields, values are compared
    after the same normalisation. Fields absent from the extraction are not
    mismatches (nothing to compare), only disagreements are.
    """
    mismatches = []
    mapping = CANONICAL_FIELDS.get(doc.header.document_type, {})
    extracted = None if isinstance(printed, str) else {f.name: f.value for f in printed}
    page = normalise_text(printed) if isinstance(printed, str) else ""
    for code, name in mapping.items():
        if code not in doc.fields:
            continue
        value = canonical_value(code, doc.fields[code])
        if name is FieldName.HOLDER_NAME:
            value = " ".join(w for w in value.split() if w.upper() not in _CIVILITIES)
        if extracted is None:
            agrees = _printed_on_page(value, page)
        elif name in extracted:
            agrees = sorted(normalise_text(value).split()) == sorted(
                normalise_text(extracted[name]).split()
            )
        else:
            continue
        if not agrees:
            label = FIELD_SPECS[code].label_fr if code in FIELD_SPECS else code
            mismatches.append(
                Mismatch(
                    code=code,
                    field=name,
                    signed_value=value,
                    message_fr=(
                        f"Le champ « {label} » signé dans le code 2D-Doc ne correspond pas "
                        "au texte imprimé sur le document."
                    ),
                )
            )
    return mismatches

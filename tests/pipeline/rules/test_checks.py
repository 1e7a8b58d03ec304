"""The central weak-evidence rule and the wording table."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from pipeline.fields import FieldName
from pipeline.rules.checks import (
    STRONG_EVIDENCE_MIN_CONFIDENCE,
    CheckStatus,
    ko_or_doubt,
    make_check,
    worst_status,
)
from pipeline.rules.messages import MESSAGES, CheckCode
from tests.support.fieldkit import field, ocr

ERRORS_DOC = Path(__file__).resolve().parents[3] / "docs" / "errors.md"


def test_ko_on_strong_evidence_doubt_on_weak() -> None:
    strong = ocr(FieldName.IBAN, "FR00", confidence=STRONG_EVIDENCE_MIN_CONFIDENCE)
    weak = ocr(FieldName.IBAN, "FR00", confidence=STRONG_EVIDENCE_MIN_CONFIDENCE - 0.01)
    assert ko_or_doubt(CheckCode.IBAN_INVALID, [strong], iban="FR00").status is CheckStatus.KO
    check = ko_or_doubt(CheckCode.IBAN_INVALID, [strong, weak], iban="FR00")
    assert check.status is CheckStatus.DOUBT
    assert "79\u00a0%" in check.officer_message
    assert [e.confidence for e in check.evidence] == [
        strong.evidence.confidence,
        weak.evidence.confidence,
    ]


def test_threshold_can_be_raised_by_a_caller() -> None:
    text = field(FieldName.IBAN, "FR00", confidence=0.9)
    assert (
        ko_or_doubt(CheckCode.IBAN_INVALID, [text], min_confidence=0.95, iban="x").status
        is CheckStatus.DOUBT
    )


def test_worst_status() -> None:
    ok = make_check(CheckCode.MRZ_INVALID, CheckStatus.OK, detail="")
    doubt = make_check(CheckCode.MRZ_INVALID, CheckStatus.DOUBT, detail="")
    ko = make_check(CheckCode.MRZ_INVALID, CheckStatus.KO, detail="")
    assert worst_status([]) is CheckStatus.OK
    assert worst_status([ok, doubt]) is CheckStatus.DOUBT
    assert worst_status([doubt, ko, ok]) is CheckStatus.KO


@pytest.mark.parametrize("code", list(CheckCode))
def test_every_code_has_french_wording_and_is_documented(code: CheckCode) -> None:
    wording = MESSAGES[code]
    for text in wording:
        assert text.strip() and text == text.strip()
        # every placeholder is a plain name, so a missing parameter fails loudly
        for _, name, _, _ in string.Formatter().parse(text):
            assert name is None or name.isidentifier()
    assert f"`{code}`" in ERRORS_DOC.read_text(encoding="utf-8")


def test_missing_placeholder_is_a_bug() -> None:
    with pytest.raises(KeyError):
        make_check(CheckCode.EXPIRED, CheckStatus.KO)

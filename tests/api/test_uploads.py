"""Uploaded file names are data: cleaned, never a path."""

from __future__ import annotations

import pytest

from justif.api.uploads import clean_name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\facture.pdf", "facture.pdf"),
        ("a\x00b\x07c\nd.pdf", "abcd.pdf"),
        ("..", "piece-3"),
        ("", "piece-3"),
        (None, "piece-3"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("x" * 300 + ".pdf", ("x" * 300 + ".pdf")[-150:]),
    ],
)
def test_clean_name(raw: str | None, clean: str) -> None:
    assert clean_name(raw, 3) == clean

"""Fuzzed files: every one gives a reading or a piece error with a stable code, never an exception.

Intake and reading parse untrusted bytes with Pillow, pdfium, pdfminer and
OpenCV, whose exceptions on malformed input are whatever their authors
foresaw. Hypothesis mutates small valid files (tests/support/mutations.py);
in-process runs check intake's boundary (`parsing_untrusted`) on hundreds of
them, isolated runs check the whole reading as `read_piece` does it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import PIECE_ERRORS, PieceError
from pipeline.intake.inspection import inspect_file
from pipeline.intake.untrusted import parsing_untrusted
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.settings import Limits
from pipeline.types import IntakeReport
from tests.support.mutations import (
    flipped,
    header_swapped,
    missing_dimensions_tiff,
    seeds,
    truncated,
)

# Pillow warns about the tags it skips in a broken TIFF: expected here, not a finding.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SEEDS = sorted(seeds())
LIMITS = Limits()

mutated = st.one_of(
    st.builds(
        flipped,
        st.sampled_from(SEEDS),
        st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), min_size=1, max_size=6).map(
            tuple
        ),
    ),
    st.builds(truncated, st.sampled_from(SEEDS), st.floats(0.0, 0.999)),
    st.builds(header_swapped, st.sampled_from(SEEDS), st.sampled_from(SEEDS)),
)


def _inspect(data: bytes) -> IntakeReport | PieceError:
    with tempfile.TemporaryDirectory(prefix="justif-fuzz-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        try:
            with parsing_untrusted("inspecting the file"):
                return inspect_file(path, LIMITS)
        except PieceError as error:
            return error


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure replays
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated)
def test_intake_of_a_mutated_file_gives_a_report_or_a_piece_error(data: bytes) -> None:
    outcome = _inspect(data)
    if isinstance(outcome, PieceError):
        assert outcome.code in PIECE_ERRORS
        assert outcome.message_fr
    else:
        assert outcome.page_count >= 1


def test_the_tiff_pillow_cannot_size_is_a_read_failure_not_a_type_error() -> None:
    outcome = _inspect(missing_dimensions_tiff())
    assert isinstance(outcome, PieceError) and outcome.code == "READ_FAILED"
    assert "TypeError" in (outcome.detail or "")


# A few mutations of each kind, read whole in the isolated child (intake, render, OCR).
READ_CASES = [
    pytest.param(missing_dimensions_tiff(), id="tiff-missing-dimensions"),
    *(pytest.param(truncated(seed, 0.6), id=f"{seed}-truncated") for seed in SEEDS),
    *(pytest.param(flipped(seed, ((40, 0), (90, 255))), id=f"{seed}-flipped") for seed in SEEDS),
    pytest.param(header_swapped("png", "tiff"), id="png-as-tiff"),
    pytest.param(header_swapped("pdf", "jpeg"), id="pdf-as-jpeg"),
]


@pytest.mark.parametrize("data", READ_CASES)
def test_reading_a_mutated_file_gives_pages_or_an_error(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    reading = read_piece(path, ReadOptions(limits=LIMITS, page_workers=1))
    if reading.error is not None:
        assert reading.error.code in PIECE_ERRORS and reading.error.message
        assert reading.pages == []
    else:
        assert reading.intake is not None and reading.pages


def test_the_missing_dimensions_tiff_read_whole_is_that_piece_s_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    path.write_bytes(missing_dimensions_tiff())
    reading = read_piece(path, ReadOptions(limits=LIMITS, page_workers=1))
    assert reading.error is not None and reading.error.code == "READ_FAILED"

"""Intake on real hostile files: every one gets its expected code or type."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from fixtures.hostile import EXPECTED, EXPECTED_PAGES, EXPECTED_WARNINGS, write_hostile_files
from pipeline.errors import PieceError
from pipeline.intake.inspection import (
    MIN_READABLE_DPI,
    inspect_file,
    max_render_dpi,
    scan_pdf_objects,
    sniff,
)
from pipeline.intake.isolation import run_isolated
from pipeline.settings import Limits
from pipeline.types import FileKind

ACCEPTED = sorted(name for name, outcome in EXPECTED.items() if isinstance(outcome, FileKind))
REFUSED = sorted(name for name, outcome in EXPECTED.items() if not isinstance(outcome, FileKind))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_hostile_files(tmp_path_factory.mktemp("hostile"))


def _outcome(path: Path, limits: Limits) -> str | FileKind:
    try:
        return inspect_file(path, limits).kind
    except PieceError as error:
        return error.code


def test_every_hostile_file_has_an_expected_outcome(hostile: dict[str, Path]) -> None:
    assert set(hostile) == set(EXPECTED)


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_files(hostile: dict[str, Path], name: str) -> None:
    report = inspect_file(hostile[name], Limits())
    assert report.kind == EXPECTED[name]
    assert report.size_bytes == hostile[name].stat().st_size
    assert report.page_count == EXPECTED_PAGES.get(name, 1)
    assert report.warnings == EXPECTED_WARNINGS.get(name, [])
    assert report.mime


@pytest.mark.parametrize("name", REFUSED)
def test_refused_files_have_their_code_and_a_french_instruction(
    hostile: dict[str, Path], name: str
) -> None:
    with pytest.raises(PieceError) as caught:
        inspect_file(hostile[name], Limits())
    assert caught.value.code == EXPECTED[name]
    message = caught.value.message_fr
    # Every refusal tells the citizen what to send instead.
    assert any(verb in message for verb in ("envoyez", "Envoyez")), message
    assert message[0].isupper() and message.endswith(".")


@pytest.mark.slow
def test_outcomes_are_the_same_through_isolation(hostile: dict[str, Path]) -> None:
    # The real use: intake runs in the isolated child, bombs included.
    for name, path in hostile.items():
        try:
            outcome: str | FileKind = run_isolated(
                inspect_file, path, Limits(), timeout_s=60, memory_mb=2048
            ).kind
        except PieceError as error:
            outcome = error.code
        assert outcome == EXPECTED[name], name


def test_extension_is_never_trusted(hostile: dict[str, Path]) -> None:
    assert sniff(hostile["jpeg_named.pdf"]) is FileKind.JPEG
    assert sniff(hostile["pdf_named.jpg"]) is FileKind.PDF


def test_javascript_in_a_compressed_object_stream_is_found(hostile: dict[str, Path]) -> None:
    path = hostile["javascript_objstm.pdf"]
    # A byte search cannot see it; the object walk must.
    assert b"/JavaScript" not in path.read_bytes()
    assert b"/JS" not in path.read_bytes()
    scan = scan_pdf_objects(path, Limits())
    assert scan.complete
    assert {"JS", "JavaScript"} <= scan.active


def test_plain_pdf_has_a_clean_scan(hostile: dict[str, Path]) -> None:
    scan = scan_pdf_objects(hostile["pdf_named.jpg"], Limits())
    assert scan.complete
    assert not scan.active
    assert not scan.embedded_files


def test_size_cap_names_the_limit(hostile: dict[str, Path]) -> None:
    with pytest.raises(PieceError) as caught:
        inspect_file(hostile["cv.txt"], Limits(max_bytes=100))
    assert caught.value.code == "FILE_TOO_LARGE"
    assert "100 octets" in caught.value.message_fr


def test_tiff_frames_count_as_pages(hostile: dict[str, Path]) -> None:
    assert _outcome(hostile["multipage.tif"], Limits(max_pages=2)) == "TOO_MANY_PAGES"


def test_docx_declared_pages_count(hostile: dict[str, Path]) -> None:
    assert _outcome(hostile["letter.docx"], Limits(max_pages=1)) == "TOO_MANY_PAGES"


def test_pixel_cap_follows_limits(hostile: dict[str, Path]) -> None:
    # 400x300 sample image: refused under a smaller cap, by Pillow's guard or ours.
    before = Image.MAX_IMAGE_PIXELS
    assert _outcome(hostile["photo.webp"], Limits(max_pixels=50_000)) == "TOO_MANY_PIXELS"
    assert _outcome(hostile["photo.heic"], Limits(max_pixels=50_000)) == "TOO_MANY_PIXELS"
    assert _outcome(hostile["multipage.tif"], Limits(max_pixels=50_000)) == "TOO_MANY_PIXELS"
    # Pillow's cap is process-wide: intake must not leave its own behind.
    assert before == Image.MAX_IMAGE_PIXELS


def test_many_pages_pdf_is_read_within_a_higher_page_cap(hostile: dict[str, Path]) -> None:
    # 5000 page objects packed in an object stream: page count and full object scan.
    report = inspect_file(hostile["many_pages.pdf"], Limits(max_pages=6000))
    assert report.page_count == 5000
    assert report.warnings == []


def test_max_render_dpi() -> None:
    a4 = (595.0, 842.0)
    assert max_render_dpi(*a4, 80_000_000) > 300
    assert abs(max_render_dpi(*a4, 8_700_000) - 300) < 5
    assert max_render_dpi(14400, 14400, 80_000_000) < MIN_READABLE_DPI


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = write_hostile_files(tmp_path / "a")
    second = write_hostile_files(tmp_path / "b")
    differing = [
        name
        for name in first
        if hashlib.sha256(first[name].read_bytes()).digest()
        != hashlib.sha256(second[name].read_bytes()).digest()
    ]
    assert differing == []

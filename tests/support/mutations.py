"""Broken copies of valid files, for fuzzing intake: truncated, bit-flipped, header-swapped.

Seeds are small and written by the fixtures' own code (a sample image saved
as PNG, JPEG and TIFF, a one-page text PDF), so a mutation reaches the parsers'
deep paths, not only the magic-byte check. Every mutation is deterministic
given its arguments: a failure found by the fuzzer is replayed exactly.
"""

from __future__ import annotations

from functools import cache

from fixtures.hostile import _image_bytes, _sample_image, _simple_pdf

# A greyscale TIFF whose byte 118 (inside its first directory entry, the image
# width's tag) is changed: Pillow then raises `TypeError: Missing dimensions`.
MISSING_DIMENSIONS_TIFF = ("tiff", ((118, 32),))


@cache
def seeds() -> dict[str, bytes]:
    """Valid files by name: the bytes mutations start from."""
    sample = _sample_image(64, 48)
    return {
        "png": _image_bytes(sample, "PNG"),
        "jpeg": _image_bytes(sample, "JPEG", quality=85),
        "tiff": _image_bytes(sample.convert("L"), "TIFF"),
        "tiff_lzw": _image_bytes(sample, "TIFF", compression="tiff_lzw"),
        "pdf": _simple_pdf(pages=1),
    }


def flipped(seed: str, changes: tuple[tuple[int, int], ...]) -> bytes:
    """The seed with the byte at each offset (modulo its length) replaced by a value."""
    data = bytearray(seeds()[seed])
    for offset, value in changes:
        data[offset % len(data)] = value % 256
    return bytes(data)


def truncated(seed: str, keep: float) -> bytes:
    """The first `keep` (0..1) of the seed, as an interrupted upload leaves it."""
    data = seeds()[seed]
    return data[: int(len(data) * keep)]


def header_swapped(seed: str, other: str) -> bytes:
    """The seed's body behind another format's first 16 bytes (a format lying about itself)."""
    return seeds()[other][:16] + seeds()[seed][16:]


def missing_dimensions_tiff() -> bytes:
    seed, changes = MISSING_DIMENSIONS_TIFF
    return flipped(seed, changes)

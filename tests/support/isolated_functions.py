"""Top-level functions run by the isolation tests in a child process (they must be importable)."""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import time
from pathlib import Path

import numpy as np

from pipeline.errors import EncryptedFile, PieceError
from pipeline.types import Box, PageReading, Quality, TextSource, Word


class CustomPieceError(PieceError):
    code = "CUSTOM_TEST_ERROR"


def add(a: int, b: int = 0) -> int:
    return a + b


def confinement() -> tuple[str | None, int, int]:
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return os.environ.get("OMP_THREAD_LIMIT"), soft, os.getsid(0) == os.getpid()


def many_pages(count: int) -> list[PageReading]:
    word = Word(text="Bonjour", box=Box(x0=0.1, y0=0.1, x1=0.2, y1=0.15), confidence=0.9)
    quality = Quality(blur=120.0, dpi=300.0, contrast=0.8, blank=False)
    return [
        PageReading(
            n=n,
            text_source=TextSource.OCR,
            text="Bonjour " * 400,
            words=[word] * 300,
            confidence=0.9,
            quality=quality,
            width_px=2480,
            height_px=3508,
        )
        for n in range(1, count + 1)
    ]


def hang() -> None:
    time.sleep(600)


def grow_until_memory_error() -> None:
    chunks = []
    while True:
        chunks.append(np.ones(50 * 1024 * 1024 // 8))  # touched pages, like a real decoder


def allocate_huge() -> None:
    np.zeros((100_000, 100_000))  # 80 GB at once


def segfault() -> None:
    ctypes.string_at(0)


def abort() -> None:
    os.abort()


def exit_silently() -> None:
    os._exit(0)


def raise_encrypted() -> None:
    raise EncryptedFile("Le fichier PDF est protégé par un mot de passe.", detail="test detail")


def raise_custom() -> None:
    raise CustomPieceError("Message de test à accents : é è à ç.")


def raise_bug() -> None:
    values: dict[str, int] = {}
    _ = values["missing-key-in-child"]


def unpicklable_result() -> object:
    return lambda: None


def start_sleeper_then_hang(pid_file: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    pid_file.write_text(str(sleeper.pid))
    time.sleep(600)


def start_sleeper_and_return() -> int:
    return subprocess.Popen(["sleep", "60"]).pid


def render_and_ocr(pdf_path: Path, tesseract: str) -> tuple[int, str]:
    """Real heavy work under the cap: pdfium render, opencv, tesseract subprocess."""
    import cv2
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_path)
    image = document[0].render(scale=300 / 72, grayscale=True).to_numpy()
    document.close()
    _, binary = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    png = pdf_path.with_suffix(".png")
    cv2.imwrite(str(png), binary)
    result = subprocess.run(
        [tesseract, str(png), "stdout", "-l", "fra", "--psm", "6"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(binary.shape[0]), result.stdout

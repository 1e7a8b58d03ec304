"""The whole-path benchmark runs end to end on one page (real CLI, real tesseract)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import require_tool


def test_wholepath_bench_runs_on_one_page() -> None:
    require_tool("tesseract")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.wholepath",
            "--pages",
            "1",
            "--repeats",
            "1",
            "--startup-runs",
            "1",
            "--skip-check",
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    figures = json.loads(out.stdout.splitlines()[-1])
    assert figures["pages"] == 1
    for form in ("baseline", "image_pdf", "png_files"):
        assert figures[form]["pages_per_minute"] > 0
        assert 0.9 <= figures[form]["char_accuracy"] <= 1.0
    assert figures["image_pdf"]["ratio"] > 0 and figures["png_files"]["ratio"] > 0
    assert figures["help_s"] > 0 and figures["digital_pdf_s"] > 0

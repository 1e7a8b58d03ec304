"""The layering of DESIGN.md §2: the library never depends on Prefect or the entry points."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[str]:
    found = [package]
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        if ".migrations" not in info.name:
            found.append(info.name)
    return found


@pytest.mark.parametrize("package", ["pipeline", "classifiers"])
def test_library_imports_no_prefect_and_no_entry_points(package: str) -> None:
    modules = _modules(package)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "bad = sorted(top & {'prefect', 'flows', 'justif'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{package} pulled in: {result.stdout.strip()}"


def test_only_storage_imports_minio_and_only_ocr_imports_pytesseract() -> None:
    doors = {"minio": "pipeline/store/storage.py", "pytesseract": "pipeline/read/ocr.py"}
    for library, door in doors.items():
        users = sorted(
            str(path.relative_to(ROOT))
            for folder in ("pipeline", "classifiers", "flows", "justif")
            for path in (ROOT / folder).rglob("*.py")
            if f"import {library}" in path.read_text(encoding="utf-8")
            or f"from {library}" in path.read_text(encoding="utf-8")
        )
        assert users in ([door], []), f"{library} imported outside {door}: {users}"

"""The production-like stack (ops.stack) started once for a test module, and always stopped."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops import stack
from tests.conftest import require_tool


def require_postgres() -> None:
    if not (stack.PG_BIN / "postgres").is_file():
        reason = (
            f"PostgreSQL server binaries missing in {stack.PG_BIN} (apt-get install postgresql)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def running_stack(prefix: str, *, worker: bool) -> Iterator[stack.StackState]:
    """Start the stack under a fresh folder, yield it, stop it and remove the folder."""
    require_tool("tesseract")
    require_postgres()
    if not (stack.BIN / "weed").is_file():
        require_tool("weed")
    # Not under pytest's 0700 folder: PostgreSQL runs as its own user and must reach it.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        state = stack.start_stack(root, worker=worker)
        try:
            yield state
        finally:
            stack.stop_stack(state)
    finally:
        shutil.rmtree(root, ignore_errors=True)

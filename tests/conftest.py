"""Shared test setup: isolate every test session from the user's machine.

Environment is set before Prefect or justif modules are imported, so nothing
writes to ~/.prefect or the real justif home.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from justif.environment import apply_defaults

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="justif-tests-"))
os.environ.update(
    {
        "PREFECT_HOME": str(_SESSION_TMP / "prefect"),
        "JUSTIF_HOME": str(_SESSION_TMP / "home"),
        "DASK_TEMPORARY_DIRECTORY": str(_SESSION_TMP / "dask"),
        "DASK_LOGGING__DISTRIBUTED": "warning",
    }
)
os.environ.pop("PREFECT_API_URL", None)
apply_defaults()  # the product's own defaults (quiet, private Prefect; one tesseract thread)

pytest_plugins = ["tests.support.s3server"]


def require_tool(name: str) -> str:
    """Path of an executable the test needs: skip locally when missing, fail in CI."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (run `make test` to install it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def session_tmp() -> Path:
    return _SESSION_TMP


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)

"""A check-dossier run killed midway (its process, like a worker dying) completes when run again.

Nothing is lost (pages read before the kill come back from the page cache) and
nothing is duplicated (one cache entry per page, one dossier row, one check event);
a further run gives the same report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from fixtures.scanned_dossier import write_scanned_pdf
from flows import prefect_runtime as runtime
from flows.check_dossier import check_dossier
from pipeline.store import db, keys
from pipeline.store.dossiers import store_dossier
from tests.conftest import require_tool
from tests.support.dossier_files import APPLICANT

PAGES = 4
KILL_TIMEOUT_S = 120.0
_VOLATILE = frozenset({"seconds", "generated_at", "cached", "timings"})


def _stable(value: Any) -> Any:
    """The report without what legitimately changes between runs (timings, cache flags)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


def _start_run_in_child(dossier_id: str, api_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "JUSTIF_PAGE_BATCH_SIZE": "1",
        "JUSTIF_PAGE_WORKERS": "1",
        # One page at a time, so that the kill surely lands between two pages.
        "PREFECT_TASKS_RUNNER_THREAD_POOL_MAX_WORKERS": "1",
    }
    code = f"from flows.check_dossier import check_dossier; check_dossier({dossier_id!r})"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        start_new_session=True,  # its own group: the kill takes its isolated children too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _cached_pages(sha256: str) -> list[str]:
    return list(runtime.store().list(keys.page_cache_prefix(sha256)))


@pytest.mark.slow
def test_a_killed_run_completes_when_run_again(prefect_harness: None, tmp_path: Path) -> None:
    require_tool("tesseract")
    from prefect.settings import PREFECT_API_URL

    pdf = write_scanned_pdf(tmp_path / "releve.pdf", PAGES, seed=9, dpi=150)
    manifest = store_dossier(
        runtime.store(),
        procedure="bourse-sanitaire-sociale",
        files=[("releve.pdf", pdf)],
        applicant=APPLICANT,
    )
    sha = manifest.files[0].sha256
    child = _start_run_in_child(manifest.dossier_id, str(PREFECT_API_URL.value()))
    deadline = time.monotonic() + KILL_TIMEOUT_S
    try:
        while not _cached_pages(sha):
            if child.poll() is not None:
                stderr = child.stderr.read() if child.stderr else b""
                pytest.fail(f"the run ended before any page was read:\n{stderr!r}")
            if time.monotonic() > deadline:
                pytest.fail("no page was read in time")
            time.sleep(0.1)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the worker dies: no clean-up of any kind
        child.wait()
    read_before = {key.rsplit("/", 1)[1] for key in _cached_pages(sha)}
    assert 0 < len(read_before) < PAGES
    assert not runtime.store().exists(keys.report_key(manifest.dossier_id))

    report = check_dossier(manifest.dossier_id)

    [piece] = report["pieces"]
    assert [page["n"] for page in piece["pages"]] == list(range(1, PAGES + 1))
    reused = {f"{page['n']}.json" for page in piece["pages"] if page["cached"]}
    assert read_before <= reused  # nothing read before the kill was lost or read again
    assert len(_cached_pages(sha)) == PAGES  # one cache entry per page, no duplicate
    with runtime.database()() as session:
        rows = session.scalar(
            select(func.count())
            .select_from(db.Piece)
            .where(db.Piece.dossier_id == manifest.dossier_id)
        )
        checks = session.scalar(
            select(func.count())
            .select_from(db.AuditEvent)
            .where(
                db.AuditEvent.dossier_id == manifest.dossier_id,
                db.AuditEvent.action == "dossier.checked",
            )
        )
    assert rows == 1 and checks == 1

    again = check_dossier(manifest.dossier_id)
    assert all(page["cached"] for page in again["pieces"][0]["pages"])
    assert _stable(again) == _stable(report)

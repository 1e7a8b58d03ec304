"""Page fan-out of the check flow's read phase: batches on a Dask LocalCluster of 2 processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow

from fixtures.scanned_dossier import write_scanned_pdf
from flows import prefect_runtime as runtime
from flows.check_dossier import ReadPhase, read_phase
from pipeline.read import fanout
from pipeline.settings import Settings
from pipeline.store import keys
from pipeline.store.dossiers import store_dossier
from pipeline.types import PieceReading, TextSource
from tests.conftest import require_tool

PAGES = 4


@flow(name="read-phase-probe")
def _probe(dossier_id: str) -> ReadPhase:
    return read_phase(dossier_id)


def test_page_batches_cover_every_page_in_order() -> None:
    assert fanout.page_batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert fanout.page_batches([], 4) == []
    with pytest.raises(ValueError):
        fanout.page_batches([1], 0)


def test_task_runner_follows_the_settings() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    assert isinstance(runtime.task_runner(Settings()), ThreadPoolTaskRunner)
    local = runtime.task_runner(Settings(dask_local_workers=2))
    assert isinstance(local, DaskTaskRunner)
    remote = runtime.task_runner(Settings(dask_address="tcp://127.0.0.1:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://127.0.0.1:8786"


@pytest.mark.slow
def test_pages_of_one_piece_are_read_in_two_dask_workers(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("tesseract")
    # One page per task, so that four pages make four tasks to spread.
    monkeypatch.setenv("JUSTIF_PAGE_BATCH_SIZE", "1")
    monkeypatch.setenv("JUSTIF_PAGE_WORKERS", "1")
    runtime.settings.cache_clear()
    try:
        pdf = write_scanned_pdf(tmp_path / "scan.pdf", PAGES, seed=5, dpi=150)
        manifest = store_dossier(
            runtime.store(), procedure="bourse-sanitaire-sociale", files=[("scan.pdf", pdf)]
        )
        runner = runtime.dask_task_runner(local_workers=2)
        phase = _probe.with_options(task_runner=runner)(manifest.dossier_id)
    finally:
        runtime.settings.cache_clear()

    assert sorted(n for batch in phase.batches for n in batch.pages) == list(range(1, PAGES + 1))
    workers = {batch.worker for batch in phase.batches}
    assert len(workers) == 2, workers
    [key] = phase.reading_keys
    assert key == keys.reading_key(manifest.dossier_id, manifest.files[0].sha256)
    reading = PieceReading.model_validate(runtime.store().get_json(key))
    assert [page.n for page in reading.pages] == list(range(1, PAGES + 1))
    assert all(page.text_source is TextSource.OCR and page.chars > 200 for page in reading.pages)
    assert not any(page.cached for page in reading.pages)  # read in this run, not reused

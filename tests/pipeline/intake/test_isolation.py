"""run_isolated with real children: hangs, memory hogs, segfaults, grandchildren."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from pipeline.errors import (
    EncryptedFile,
    ParseCrashed,
    ParseMemoryExceeded,
    ParseTimeout,
    PieceError,
)
from pipeline.intake.isolation import prestart, run_isolated
from tests.conftest import require_tool
from tests.support import isolated_functions as child

MB = 1024 * 1024


def _gone(pid: int, within_s: float = 3.0) -> bool:
    """True once `pid` no longer runs (a zombie waiting for init counts as gone)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_result_args_and_kwargs_come_back() -> None:
    assert run_isolated(child.add, 2, b=40, timeout_s=30, memory_mb=2048) == 42


def test_a_prestarted_forkserver_serves_confined_children() -> None:
    prestart()
    prestart()  # a second call, like one after isolated runs, changes nothing
    assert run_isolated(child.add, 1, b=2, timeout_s=30, memory_mb=2048) == 3
    omp, address_space, own_session = run_isolated(child.confinement, timeout_s=30, memory_mb=1536)
    assert (omp, address_space, own_session) == ("1", 1536 * MB, True)


def test_child_is_confined() -> None:
    omp, address_space, own_session = run_isolated(child.confinement, timeout_s=30, memory_mb=1536)
    assert omp == "1"
    assert address_space == 1536 * MB
    assert own_session


def test_large_result_goes_through_the_pipe() -> None:
    pages = run_isolated(child.many_pages, 200, timeout_s=60, memory_mb=2048)
    assert [page.n for page in pages] == list(range(1, 201))
    assert len(pages[-1].words) == 300


def test_hanging_function_times_out_in_bounded_time() -> None:
    started = time.monotonic()
    with pytest.raises(ParseTimeout) as caught:
        run_isolated(child.hang, timeout_s=1.0, memory_mb=1024)
    assert time.monotonic() - started < 5
    assert caught.value.code == "PARSE_TIMEOUT"
    assert "trop de temps" in caught.value.message_fr


def test_memory_hog_is_stopped_and_parent_survives() -> None:
    with pytest.raises(ParseMemoryExceeded) as caught:
        run_isolated(child.grow_until_memory_error, timeout_s=60, memory_mb=1024)
    assert caught.value.code == "PARSE_MEMORY"
    # The caller is intact and can isolate the next piece.
    assert run_isolated(child.add, 1, timeout_s=30, memory_mb=1024) == 1


def test_single_huge_allocation_is_a_memory_error() -> None:
    with pytest.raises(ParseMemoryExceeded):
        run_isolated(child.allocate_huge, timeout_s=30, memory_mb=2048)


@pytest.mark.parametrize("fn", [child.segfault, child.abort, child.exit_silently])
def test_crash_or_silent_exit_is_parse_crashed(fn: object) -> None:
    with pytest.raises(ParseCrashed) as caught:
        run_isolated(fn, timeout_s=30, memory_mb=1024)  # type: ignore[arg-type]
    assert caught.value.code == "PARSE_CRASHED"
    assert "envoyez-le à nouveau" in caught.value.message_fr


def test_piece_error_round_trips_with_class_code_message_detail() -> None:
    with pytest.raises(EncryptedFile) as caught:
        run_isolated(child.raise_encrypted, timeout_s=30, memory_mb=1024)
    assert caught.value.code == "ENCRYPTED_FILE"
    assert caught.value.message_fr == "Le fichier PDF est protégé par un mot de passe."
    assert caught.value.detail == "test detail"


def test_piece_error_subclass_defined_elsewhere_keeps_its_class() -> None:
    with pytest.raises(PieceError) as caught:
        run_isolated(child.raise_custom, timeout_s=30, memory_mb=1024)
    assert type(caught.value) is child.CustomPieceError
    assert caught.value.message_fr == "Message de test à accents : é è à ç."


def test_other_exception_is_a_bug_with_the_child_traceback() -> None:
    with pytest.raises(RuntimeError) as caught:
        run_isolated(child.raise_bug, timeout_s=30, memory_mb=1024)
    assert not isinstance(caught.value, PieceError)
    assert "KeyError" in str(caught.value)
    assert "raise_bug" in str(caught.value)


def test_unpicklable_result_is_a_bug() -> None:
    with pytest.raises(RuntimeError, match="pickle"):
        run_isolated(child.unpicklable_result, timeout_s=30, memory_mb=1024)


def test_grandchildren_are_killed_on_timeout(tmp_path: Path) -> None:
    require_tool("sleep")
    pid_file = tmp_path / "sleeper.pid"
    with pytest.raises(ParseTimeout):
        run_isolated(child.start_sleeper_then_hang, pid_file, timeout_s=1.5, memory_mb=1024)
    assert _gone(int(pid_file.read_text()))


def test_grandchildren_are_killed_after_a_normal_return() -> None:
    require_tool("sleep")
    pid = run_isolated(child.start_sleeper_and_return, timeout_s=30, memory_mb=1024)
    assert _gone(pid)


def test_concurrent_calls_from_threads() -> None:
    results: dict[int, int] = {}

    def call(n: int) -> None:
        results[n] = run_isolated(child.add, n, b=1, timeout_s=30, memory_mb=1024)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: n + 1 for n in range(6)}


def test_pdfium_opencv_and_tesseract_work_under_a_2_gb_cap(tmp_path: Path) -> None:
    tesseract = require_tool("tesseract")
    from reportlab.pdfgen import canvas

    pdf_path = tmp_path / "page.pdf"
    pdf = canvas.Canvas(str(pdf_path), pagesize=(595, 842))
    pdf.setFont("Helvetica", 28)
    pdf.drawString(72, 720, "Attestation de domicile")
    pdf.save()
    height_px, text = run_isolated(
        child.render_and_ocr, pdf_path, tesseract, timeout_s=120, memory_mb=2048
    )
    assert abs(height_px - 842 * 300 / 72) <= 1
    assert "Attestation" in text


def test_isolation_does_not_leak_children() -> None:
    before = set(os.listdir("/proc"))
    for _ in range(5):
        run_isolated(child.add, 1, timeout_s=30, memory_mb=1024)
    time.sleep(0.2)
    mine = os.getpid()
    leftovers = []
    for pid in set(os.listdir("/proc")) - before:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[3] == str(mine):
                leftovers.append(pid)
        except (FileNotFoundError, IndexError):
            continue
    assert leftovers == []


def test_main_module_run_with_dash_m_is_imported_once_not_per_child(tmp_path: Path) -> None:
    # Prefect runs flows with `python -m prefect.engine`; multiprocessing re-runs
    # such a main module in each child, so its heavy imports must already be
    # loaded in the forkserver. The probe counts the processes importing them.
    import subprocess
    import sys

    log_file = tmp_path / "imports.log"
    (tmp_path / "probe_heavy.py").write_text(
        "import os\n"
        "with open(os.environ['PROBE_LOG'], 'a') as log:\n"
        "    log.write(f'{os.getpid()}\\n')\n"
    )
    (tmp_path / "probe_main.py").write_text(
        "import probe_heavy\n"
        "from pipeline.intake.isolation import run_isolated\n"
        "from tests.support.isolated_functions import add\n"
        "if __name__ == '__main__':\n"
        "    results = [run_isolated(add, n, timeout_s=60, memory_mb=1024) for n in range(3)]\n"
        "    assert results == [0, 1, 2], results\n"
    )
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PROBE_LOG": str(log_file), "PYTHONPATH": f"{tmp_path}:{repo}"}
    subprocess.run(
        [sys.executable, "-m", "probe_main"], cwd=tmp_path, env=env, check=True, timeout=120
    )
    importing_processes = set(log_file.read_text().split())
    assert len(importing_processes) == 2  # the caller and the forkserver, no child


def test_zero_timeout_kills_a_child_that_may_not_have_started() -> None:
    # The child may be killed before it leads its own process group: no hang.
    for _ in range(5):
        started = time.monotonic()
        with pytest.raises(ParseTimeout):
            run_isolated(child.hang, timeout_s=0.0, memory_mb=1024)
        assert time.monotonic() - started < 10

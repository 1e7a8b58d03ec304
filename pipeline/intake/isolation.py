"""Run the parsing of one untrusted file in a disposable child process.

A decompression bomb, a hanging parser, a segfault in a C library or an
out-of-memory must cost one piece, never the caller (a threaded Prefect worker,
the API, the CLI). `run_isolated` runs a picklable top-level function in a child
started from a "forkserver" (never "fork" from the caller: forking a threaded
process can deadlock the child), with the heavy modules preloaded in the server
so that a call costs tens of milliseconds, not an interpreter start.

Limits applied in the child:
- `RLIMIT_AS` (address space) to `memory_mb`. Measured: the forkserver with
  numpy, opencv, Pillow, pypdfium2 and pdfminer loaded is ~0.5 GB of address
  space, so a 2-3 GB cap leaves them working (tesseract, started by the child,
  inherits the cap and fits too).
- `OMP_THREAD_LIMIT=1` for tesseract: on few cores its own threads are slower
  than parallelism over pages, and each thread reserves address space.
- no core dumps (a crash of a parser must not write document memory to disk).
- its own session, so that on timeout the whole process group (tesseract
  children included) is killed with SIGKILL.

Outcomes in the parent: `ParseTimeout`, `ParseMemoryExceeded` (MemoryError in
the child, an allocation failure reported by OpenCV, or a SIGKILL we did not
send, which is how the kernel's OOM killer ends a process), `ParseCrashed` (any
other signal or exit without a result, e.g. SIGSEGV or SIGABRT), a `PieceError`
raised by `fn` re-raised as is, and any other exception re-raised as a
`RuntimeError` carrying the child's traceback: that one is a bug.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from pipeline.errors import ParseCrashed, ParseMemoryExceeded, ParseTimeout, PieceError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Loaded once in the forkserver so that children start with them imported.
# A module that fails to import is skipped by multiprocessing; "__main__" keeps
# the default behaviour (the caller's main module is not re-run in each child).
PRELOAD_MODULES = [
    "__main__",
    "numpy",
    "cv2",
    "PIL.Image",
    "pillow_heif",
    "pypdfium2",
    "pytesseract",
    "pdfminer.pdfdocument",
    "pdfminer.pdfparser",
    "pydantic",
    "pipeline.errors",
    "pipeline.types",
    "pipeline.settings",
    "pipeline.intake.inspection",
    "pipeline.read.pages",
    "pipeline.read.reading",
    "pipeline.read.textlayer",
    "pipeline.read.preprocess",
    "pipeline.read.ocr",
    "pipeline.read.legibility",
    "pipeline.read.piece",
]

# A child that produced its result is killed once the parent has it; this bounds
# how long an orphaned child (parent gone) waits before leaving on its own.
_ORPHAN_WAIT_S = 30.0
_EXIT_STATUS_WAIT_S = 5.0
# cv2 reports allocation failures as cv2.error, not MemoryError.
_OPENCV_MEMORY_HINTS = ("insufficient memory", "failed to allocate")

MESSAGE_TIMEOUT = (
    "La lecture du fichier a pris trop de temps : vérifiez qu'il s'ouvre correctement "
    "et envoyez-le à nouveau, de préférence en PDF."
)
MESSAGE_MEMORY = (
    "Le fichier demande trop de mémoire pour être lu (image ou page démesurée) : "
    "envoyez un scan ou une photo de taille normale, de préférence en PDF."
)
MESSAGE_CRASHED = (
    "Le fichier n'a pas pu être lu, il est probablement endommagé : vérifiez qu'il s'ouvre "
    "correctement et envoyez-le à nouveau, de préférence en PDF."
)

_context: multiprocessing.context.ForkServerContext | None = None


class _Outcome(StrEnum):
    OK = "ok"
    PIECE_ERROR = "piece_error"
    MEMORY = "memory"
    BUG = "bug"


@dataclass(frozen=True)
class _Report:
    outcome: _Outcome
    value: Any = None  # the result, the PieceError, or the traceback text


def forkserver_context() -> multiprocessing.context.ForkServerContext:
    """The shared forkserver context, with the heavy modules preloaded (started lazily)."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([*PRELOAD_MODULES, *_main_module_by_name()])
        _context = ctx
    return _context


def prestart() -> None:
    """Start the forkserver now, without waiting for it.

    Its interpreter then imports the preloaded modules (about a second, more
    on a loaded machine) while the caller goes on with its own start-up (the
    document-type model, the store); the first `run_isolated` only waits for
    what is left. Calling it again, or after a first isolated run, costs nothing.
    """
    forkserver_context()
    multiprocessing.forkserver.ensure_running()


def _main_module_by_name() -> list[str]:
    """The caller's main module when started with `python -m NAME`, e.g. `prefect.engine`.

    multiprocessing re-runs such a main module in every child; imported once in
    the forkserver, its imports are already loaded and the re-run is cheap
    (measured: 1.8 s per call without this for a main importing scikit-learn).
    """
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    # `python -m package` runs package.__main__, which children never re-run and
    # which is often an unguarded CLI call: never import it.
    if not isinstance(name, str) or name == "__main__" or name.endswith(".__main__"):
        return []
    return [name]


def run_isolated(
    fn: Callable[..., T], *args: Any, timeout_s: float, memory_mb: int, **kwargs: Any
) -> T:
    """Return `fn(*args, **kwargs)` computed in a child process under time and memory caps.

    `fn` must be a top-level function and its arguments and result picklable.
    Raises ParseTimeout, ParseMemoryExceeded, ParseCrashed, the PieceError `fn`
    raised, or RuntimeError (with the child's traceback) for any other exception.
    """
    ctx = forkserver_context()
    parent_conn, child_conn = ctx.Pipe(duplex=True)
    process = ctx.Process(
        target=_child_main,
        args=(child_conn, fn, args, kwargs, memory_mb),
        name=f"justif-isolated-{getattr(fn, '__name__', 'fn')}",
        daemon=True,
    )
    deadline = time.monotonic() + timeout_s
    process.start()
    child_conn.close()
    exitcode: int | None = None
    try:
        report = _wait_for_report(parent_conn, process, deadline)
        timed_out = report is None and time.monotonic() >= deadline
        if report is None and not timed_out:
            # It died on its own; its pipe may close before its exit status arrives.
            process.join(_EXIT_STATUS_WAIT_S)
            exitcode = process.exitcode
    finally:
        # Whatever happened, nothing the child started may outlive the call.
        _kill_group(process)
        process.join()
        parent_conn.close()
    return _unwrap(report, exitcode, fn, timeout_s, timed_out=timed_out)


def _wait_for_report(
    conn: Connection, process: multiprocessing.process.BaseProcess, deadline: float
) -> _Report | None:
    """The child's report, or None if it died or the deadline passed first."""
    ready = wait([conn, process.sentinel], timeout=max(0.0, deadline - time.monotonic()))
    if conn in ready:
        try:
            report = conn.recv()
        except (EOFError, OSError):
            return None
        if not isinstance(report, _Report):
            raise RuntimeError(f"isolated child sent an unexpected object: {type(report)!r}")
        return report
    return None


def _kill_group(process: multiprocessing.process.BaseProcess) -> None:
    """SIGKILL the child's process group (the child leads its own session), then the child.

    A child killed before it called setsid has no group of its own yet: killing
    its pid directly covers that case (it cannot have started anything yet).
    """
    pid = process.pid
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if process.exitcode is None:
        process.kill()


def _unwrap(
    report: _Report | None,
    exitcode: int | None,
    fn: Callable[..., Any],
    timeout_s: float,
    *,
    timed_out: bool,
) -> Any:
    name = getattr(fn, "__name__", "fn")
    if timed_out:
        log.warning("isolated %s timed out after %.1f s", name, timeout_s)
        raise ParseTimeout(MESSAGE_TIMEOUT, detail=f"{name}: timeout after {timeout_s} s")
    if report is None:
        raise _failure_without_report(exitcode, name)
    if report.outcome is _Outcome.OK:
        return report.value
    if report.outcome is _Outcome.PIECE_ERROR:
        raise report.value
    if report.outcome is _Outcome.MEMORY:
        log.warning("isolated %s ran out of memory", name)
        raise ParseMemoryExceeded(MESSAGE_MEMORY, detail=f"{name}: MemoryError in child")
    raise RuntimeError(f"isolated {name} failed in the child process:\n{report.value}")


def _failure_without_report(exitcode: int | None, name: str) -> PieceError:
    """The child died on its own, before sending a report (we only kill it afterwards)."""
    if exitcode == -signal.SIGKILL:
        log.warning("isolated %s was killed (out of memory)", name)
        return ParseMemoryExceeded(MESSAGE_MEMORY, detail=f"{name}: killed by SIGKILL")
    log.warning("isolated %s crashed, exit code %s", name, exitcode)
    return ParseCrashed(MESSAGE_CRASHED, detail=f"{name}: exit code {exitcode}")


def _child_main(
    conn: Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    memory_mb: int,
) -> None:
    """Entry point of the child: confine itself, run `fn`, send one report, wait to be killed."""
    os.setsid()
    _confine(memory_mb)
    report = _run(fn, args, kwargs)
    try:
        conn.send(report)
    except Exception:
        # The result or the error could not be pickled: that is a bug in `fn`.
        conn.send(_Report(_Outcome.BUG, traceback.format_exc()))
    # Stay alive until the parent kills the group, so that our pid (the group
    # id) cannot be reused before then; leave if the parent is gone.
    if conn.poll(_ORPHAN_WAIT_S):
        return


def _confine(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Report:
    try:
        return _Report(_Outcome.OK, fn(*args, **kwargs))
    except PieceError as error:
        return _Report(_Outcome.PIECE_ERROR, error)
    except MemoryError:
        return _Report(_Outcome.MEMORY)
    except BaseException as error:
        if is_opencv_memory_error(error):
            return _Report(_Outcome.MEMORY)
        return _Report(_Outcome.BUG, traceback.format_exc())


def is_opencv_memory_error(error: BaseException) -> bool:
    if type(error).__module__.split(".")[0] != "cv2":
        return False
    text = str(error).lower()
    return any(hint in text for hint in _OPENCV_MEMORY_HINTS)

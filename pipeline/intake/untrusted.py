"""The boundary around code that parses an untrusted file's bytes.

Parsers (Pillow, pdfium, pdfminer, OpenCV, zipfile) raise whatever their authors
foresaw, and a hostile or merely broken file reaches paths nobody foresaw: a
fuzzed TIFF makes Pillow raise `TypeError: Missing dimensions`. Inside
`parsing_untrusted()`, any such exception becomes `ReadFailed` (a `PieceError`
with a stable code): one piece is lost, never the dossier or the other files of
a `justif inspect` call. Errors that already say what happened pass unchanged:
a `PieceError`, and memory exhaustion, which the isolation layer reports as
`PARSE_MEMORY`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.errors import PieceError, ReadFailed
from pipeline.intake.isolation import is_opencv_memory_error

log = logging.getLogger(__name__)

MESSAGE_READ_FAILED = (
    "Le fichier n'a pas pu être lu : vérifiez qu'il s'ouvre correctement et envoyez-le "
    "à nouveau, de préférence en PDF."
)


@contextmanager
def parsing_untrusted(what: str) -> Iterator[None]:
    """Turn an unforeseen parser exception into `ReadFailed`; `what` names the step in logs."""
    try:
        yield
    except (PieceError, MemoryError):
        raise
    except Exception as error:
        if is_opencv_memory_error(error):
            raise  # the isolation layer reports it as PARSE_MEMORY
        # The exception's type and the step only: its text may quote the document.
        log.warning("unforeseen %s while %s", type(error).__name__, what)
        raise ReadFailed(MESSAGE_READ_FAILED, detail=f"{what}: {type(error).__name__}") from error

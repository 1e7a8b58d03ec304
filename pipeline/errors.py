"""One tree of exceptions for justif, each with a stable code and a French message.

Bad input is an outcome, not a bug: intake and reading raise a `PieceError`
subclass, and the edge (CLI, flow, API) turns it into an `unreadable` piece with
`error = {code, message}`. Anything else that escapes is a bug and fails loudly.
"""

from __future__ import annotations

from typing import ClassVar


class JustifError(Exception):
    """Base of every error justif raises on purpose."""

    code: ClassVar[str] = "JUSTIF_ERROR"

    def __init__(self, message_fr: str, *, detail: str | None = None) -> None:
        super().__init__(message_fr)
        self.message_fr = message_fr
        # English, for operators' logs; must never contain document content.
        self.detail = detail

    def export(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message_fr}


class ConfigurationError(JustifError):
    code = "CONFIGURATION_ERROR"


class ProcedureError(ConfigurationError):
    """A procedure file is invalid; the message names the file, the line and the problem."""

    code = "PROCEDURE_ERROR"


class InvalidApplicant(JustifError):
    """The applicant identity sent with a dossier is malformed (a backend error, not a piece)."""

    code = "INVALID_APPLICANT"


class InvalidIncoming(JustifError):
    """A dossier dropped under incoming/ by a backend is malformed; it is left in place."""

    code = "INVALID_INCOMING"


class StorageError(JustifError):
    """The object store failed (network, permissions, missing object)."""

    code = "STORAGE_ERROR"


class ObjectNotFound(StorageError):
    code = "OBJECT_NOT_FOUND"


class StorageUnavailable(StorageError):
    """A transient failure (network, 5xx, throttling) still there after the client's own retries:
    worth retrying later, unlike a missing object or a refused access."""

    code = "STORAGE_UNAVAILABLE"


class PieceError(JustifError):
    """A piece cannot be read; its `code` is stable and documented in docs/errors.md."""

    code = "PIECE_ERROR"
    # False where our own limits on a busy machine may be the cause (a time limit, a
    # crash): the citizen is then not asked to send the file again on that alone.
    file_at_fault = True


class EmptyFile(PieceError):
    code = "EMPTY_FILE"


class UnsupportedType(PieceError):
    code = "UNSUPPORTED_TYPE"


class FileTooLarge(PieceError):
    code = "FILE_TOO_LARGE"


class TooManyPages(PieceError):
    code = "TOO_MANY_PAGES"


class TooManyPixels(PieceError):
    code = "TOO_MANY_PIXELS"


class EncryptedFile(PieceError):
    code = "ENCRYPTED_FILE"


class ActiveContent(PieceError):
    code = "ACTIVE_CONTENT"


class CorruptFile(PieceError):
    code = "CORRUPT_FILE"


class ParseTimeout(PieceError):
    code = "PARSE_TIMEOUT"
    file_at_fault = False


class ParseMemoryExceeded(PieceError):
    code = "PARSE_MEMORY"


class ParseCrashed(PieceError):
    code = "PARSE_CRASHED"
    file_at_fault = False


class ReadFailed(PieceError):
    """A parser raised something unforeseen on an untrusted file (a fuzzed TIFF makes Pillow
    raise TypeError): the file is malformed, or our reader has a gap. Either way one piece
    is lost, not the dossier; nobody asks the citizen to resend on that alone."""

    code = "READ_FAILED"
    file_at_fault = False


class OcrFailed(PieceError):
    """Tesseract gave up on a page (crash or time limit): the file or a busy machine."""

    code = "OCR_FAILED"
    file_at_fault = False


class OcrUnavailable(JustifError):
    """Tesseract or one of its languages is missing: an installation problem, not bad input."""

    code = "OCR_UNAVAILABLE"


PIECE_ERRORS: dict[str, type[PieceError]] = {
    cls.code: cls
    for cls in (
        PieceError,
        EmptyFile,
        UnsupportedType,
        FileTooLarge,
        TooManyPages,
        TooManyPixels,
        EncryptedFile,
        ActiveContent,
        CorruptFile,
        ParseTimeout,
        ParseMemoryExceeded,
        ParseCrashed,
        ReadFailed,
        OcrFailed,
    )
}


def blames_the_file(code: str) -> bool:
    """Whether an unreadable piece's error code is certainly the file's doing."""
    error = PIECE_ERRORS.get(code)
    return error.file_at_fault if error is not None else True

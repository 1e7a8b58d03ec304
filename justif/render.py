"""Human-readable output of the CLI (rich tables), and running `inspect` on files side by side.

The JSON shapes are the models of `pipeline/decide/models.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.decide.models import InspectResult, Timings
from pipeline.errors import JustifError, ReadFailed
from pipeline.intake.untrusted import MESSAGE_READ_FAILED
from pipeline.rules.analysis import MIN_CONTRAST, MIN_OCR_CONFIDENCE, MIN_SHARPNESS
from pipeline.store.dossiers import sha256_of
from pipeline.types import ErrorInfo


@contextmanager
def progress(
    console: Console, *, total: int, label: str, enabled: bool
) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for long work; a no-op for a single item."""
    if not enabled:
        yield lambda: None
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def side_by_side(
    work: Callable[[Path], dict[str, Any]], files: list[Path], *, workers: int
) -> Iterator[dict[str, Any]]:
    """`work` on every file, `workers` at a time, yielded in the order of `files`.

    Each read runs in its own isolated child process, so threads are enough to
    keep every core busy; a result is printed as soon as those before it are.
    """
    if workers <= 1 or len(files) <= 1:
        yield from (work(path) for path in files)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inspect") as pool:
        yield from pool.map(work, files)


def failed_result(file: str, error: Exception) -> dict[str, Any]:
    """The `inspect --json` object of a file whose check failed outside the isolated reading."""
    code = error.code if isinstance(error, JustifError) else ReadFailed.code
    message = error.message_fr if isinstance(error, JustifError) else MESSAGE_READ_FAILED
    try:
        sha256 = sha256_of(Path(file))
    except OSError:
        sha256 = ""
    result = InspectResult(
        file=file,
        sha256=sha256,
        kind=None,
        type=None,
        confidence=None,
        type_guess=None,
        pages=[],
        fields={},
        checks=[],
        warnings=[],
        error=ErrorInfo(code=code, message=message),
        seconds=0.0,
        timings=Timings(),
    )
    return result.model_dump(mode="json")


def _quality_label(page: dict[str, Any]) -> str:
    quality = page["quality"]
    if quality["blank"]:
        return "page blanche"
    return (
        f"netteté {quality['blur']:.1f} · {quality['dpi']:.0f} dpi"
        f" · contraste {quality['contrast']:.2f}"
    )


def print_inspect(console: Console, result: dict[str, Any]) -> None:
    title = f"{result['file']} — {result['kind'] or '?'} — {result['seconds']:.2f} s"
    error = result["error"]
    if error:
        console.print(f"[bold]{title}[/bold]\n  [red]{error['code']}[/red]: {error['message']}")
        return
    if result.get("type"):
        title += f" — {result['type']} ({result['confidence']:.0%})"
    table = Table(title=title, title_justify="left")
    for column in ("page", "source", "caractères", "confiance", "lisibilité", "temps"):
        table.add_column(column)
    for page in result["pages"]:
        table.add_row(
            str(page["n"]),
            page["text_source"],
            str(page["chars"]),
            f"{page['confidence']:.2f}",
            _quality_label(page),
            f"{page['seconds']:.2f} s",
        )
    console.print(table)
    for page in result["pages"]:
        if "text" in page:
            console.rule(f"page {page['n']}")
            console.print(page["text"], markup=False, highlight=False)


DECISION_LABELS = {
    "accepted": "[green]accepté[/green]",
    "incomplete": "[red]incomplet[/red]",
    "to_review": "[yellow]à examiner[/yellow]",
}
STATUS_LABELS = {
    "valid": "valide",
    "invalid": "invalide",
    "doubtful": "douteuse",
    "unreadable": "illisible",
    "unexpected": "non demandée",
}
STATUS_STYLES = {
    "valid": "green",
    "invalid": "red",
    "doubtful": "yellow",
    "unreadable": "red",
    "unexpected": "magenta",
}


def _legibility_word(page: dict[str, Any] | None) -> str:
    """One word a person reads at a glance; the figures are in the JSON report."""
    if page is None:
        return "—"
    quality = page["quality"]
    if quality["blank"]:
        return "blanche"
    if page["text_source"] != "ocr":
        return "bonne"
    # The thresholds of the legibility check (pipeline/rules/analysis.py): the word agrees.
    if quality["blur"] < MIN_SHARPNESS:
        return "floue"
    if quality["contrast"] < MIN_CONTRAST:
        return "pâle"
    if page.get("confidence", 1.0) < MIN_OCR_CONFIDENCE:
        return "incertaine"
    return "bonne"


SOURCE_LABELS = {"text_layer": "texte", "ocr": "OCR"}


def print_report(console: Console, report: dict[str, Any]) -> None:
    """The readable summary of one dossier: a row per piece, then the decision and messages."""
    table = Table(
        title=f"Dossier {report['dossier_id']} — procédure {report['procedure']}",
        title_justify="left",
    )
    for column in ("fichier", "p.", "lecture", "lisibilité", "type", "pièce", "statut", "s"):
        table.add_column(column, overflow="fold")
    for piece in report["pieces"]:
        pages = piece.get("pages", [])
        sources = "+".join(
            sorted({SOURCE_LABELS.get(p["text_source"], p["text_source"]) for p in pages})
        )
        worst = min(pages, key=lambda page: page["quality"]["blur"]) if pages else None
        style = STATUS_STYLES.get(piece["status"], "white")
        doc_type = piece.get("type") or f"? {piece.get('type_guess') or ''}".strip()
        confidence = f" {piece['confidence']:.0%}" if piece.get("confidence") else ""
        table.add_row(
            piece["file"],
            str(len(pages)),
            sources or "—",
            _legibility_word(worst),
            f"{doc_type}{confidence}",
            piece.get("requirement") or "—",
            f"[{style}]{STATUS_LABELS.get(piece['status'], piece['status'])}[/{style}]",
            f"{piece.get('seconds', 0):.1f}",
        )
    console.print(table)
    decision = report.get("decision")
    if decision:
        qa = " (échantillon de contrôle qualité)" if report.get("qa_sample") else ""
        console.print(f"Décision : [bold]{DECISION_LABELS.get(decision, decision)}[/bold]{qa}")
    for message in report.get("messages", []):
        console.print(f"  • {message}", markup=False)
    problems = [
        (piece, check)
        for piece in report["pieces"]
        for check in piece.get("checks", [])
        if check["status"] != "ok"
    ]
    if problems:
        console.print("Détail des contrôles :", style="dim")
    for piece, check in problems:
        line = f"  {piece['file']} — {check['code']} ({check['status']}) : {check['message']}"
        console.print(line, markup=False, style="dim")

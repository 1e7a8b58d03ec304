"""Human-readable output of the CLI (rich tables) and the JSON shapes of its contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.report import page_summary
from pipeline.types import PieceReading


@contextmanager
def progress(console: Console, *, total: int, label: str, enabled: bool) -> Iterator[Callable[[], None]]:
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


def inspect_result(file: str, reading: PieceReading, *, with_text: bool) -> dict[str, Any]:
    """One line of `justif inspect --json` (DESIGN.md §7)."""
    return {
        "file": file,
        "sha256": reading.sha256,
        "kind": reading.intake.kind.value if reading.intake else None,
        "type": None,
        "confidence": None,
        "pages": [page_summary(page, with_text=with_text) for page in reading.pages],
        "fields": {},
        "checks": [],
        "warnings": reading.intake.warnings if reading.intake else [],
        "error": reading.error.model_dump() if reading.error else None,
        "seconds": round(reading.seconds, 3),
    }


def _quality_label(page: dict[str, Any]) -> str:
    quality = page["quality"]
    if quality["blank"]:
        return "page blanche"
    return f"net {quality['blur']:.0f} · {quality['dpi']:.0f} dpi · contraste {quality['contrast']:.2f}"


def print_inspect(console: Console, result: dict[str, Any]) -> None:
    title = f"{result['file']} — {result['kind'] or '?'} — {result['seconds']:.2f} s"
    if result["error"]:
        console.print(f"[bold]{title}[/bold]\n  [red]{result['error']['code']}[/red]: {result['error']['message']}")
        return
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


def print_report(console: Console, report: dict[str, Any]) -> None:
    """The readable summary of one dossier: a row per piece."""
    table = Table(
        title=f"Dossier {report['dossier_id']} — procédure {report['procedure']}",
        title_justify="left",
    )
    for column in ("fichier", "pages", "source", "caractères", "lisibilité", "statut", "temps"):
        table.add_column(column)
    for piece in report["pieces"]:
        pages = piece["pages"]
        sources = sorted({page["text_source"] for page in pages})
        if piece["error"]:
            status = f"[red]{piece['error']['code']}[/red]"
        else:
            status = piece["status"]
        legibility = _quality_label(min(pages, key=lambda page: page["quality"]["blur"])) if pages else "—"
        table.add_row(
            piece["file"],
            str(len(pages)),
            "+".join(sources) or "—",
            str(sum(page["chars"] for page in pages)),
            legibility,
            status,
            f"{piece['seconds']:.2f} s",
        )
    console.print(table)
    decision = report.get("decision")
    if decision:
        console.print(f"Décision : [bold]{decision}[/bold]")
    for message in report.get("messages", []):
        console.print(f"  • {message}")
    for piece in report["pieces"]:
        if piece["error"]:
            console.print(f"  • {piece['file']} : {piece['error']['message']}")

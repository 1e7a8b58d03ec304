"""The `justif` command line. Thin: parses options, builds settings once, calls the library."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from justif.environment import apply_defaults

apply_defaults()

from justif import api_cli, models_cli, render  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

app = typer.Typer(
    name="justif",
    help="Vérification automatique des pièces justificatives — checks the supporting documents "
    "of online administrative procedures.",
    no_args_is_help=True,
    add_completion=False,
)
models_cli.register(app)
api_cli.register(app)
# Piped output (CI logs, files) gets tables wide enough to stay readable.
out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.command()
def inspect(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="Files to read."),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON Lines, one object per file.")
    ] = False,
    text: Annotated[bool, typer.Option("--text", help="Include each page's text.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not use the page cache.")
    ] = False,
) -> None:
    """Read files (text layer or OCR) and report type, fields, legibility and errors."""
    from flows import runtime
    from pipeline.read.piece import ReadOptions, read_piece
    from pipeline.rules.analysis import analyse_piece

    settings = runtime.settings()
    options = ReadOptions(
        limits=settings.limits, languages=settings.ocr_languages, page_workers=settings.page_workers
    )
    cache = None if no_cache else runtime.store()
    classifier = runtime.classifier()
    today = date.today()
    with render.progress(err, total=len(files), label="Lecture", enabled=len(files) > 1) as advance:
        for path in files:
            reading = read_piece(path, options, cache=cache)
            classification = classifier.classify(reading) if classifier else None
            analysed = analyse_piece(
                path.name, reading, classification, as_of=today, trust=runtime.trust_list()
            )
            result = render.inspect_result(
                str(path),
                reading,
                with_text=text,
                classification=classification,
                analysed=analysed,
            )
            if as_json:
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                render.print_inspect(out, result)
            advance()


def _collect(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            _fail(f"{path}: no such file or folder")
    if not files:
        _fail("no file to check")
    return files


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Files, or a folder of files, of one dossier.")
    ],
    procedure: Annotated[str, typer.Option("--procedure", "-p", help="Procedure code.")],
    applicant: Annotated[
        Path,
        typer.Option(
            "--applicant", exists=True, dir_okay=False, help="Applicant JSON (see README)."
        ),
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date used as today, YYYY-MM-DD.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check one dossier with the `check-dossier` flow and print its report.

    Exits 0 whatever the decision; non-zero only for usage errors or an infrastructure failure.
    """
    files = _collect(paths)
    try:
        applicant_data = json.loads(applicant.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        _fail(f"{applicant}: not valid JSON ({error})")
    as_of_date = None
    if as_of:
        try:
            as_of_date = date.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of {as_of!r} is not a date in the form YYYY-MM-DD")
    _validate_submission(procedure, applicant_data)
    report = run_check(files, procedure, applicant_data, as_of_date, quiet=as_json)
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        render.print_report(out, report)


def _validate_submission(procedure_code: str, applicant: Any) -> None:
    """Usage errors (unknown procedure, invalid applicant) are refused before any work."""
    from pipeline.errors import JustifError
    from pipeline.rules.applicants import parse_applicant
    from pipeline.rules.procedures import get_procedure

    settings = Settings()
    try:
        procedure = get_procedure(procedure_code, settings.procedures_dir)
        if not isinstance(applicant, dict):
            _fail("the applicant JSON must be an object")
        parse_applicant(procedure.applicant, applicant)
    except JustifError as error:
        _fail(f"{error.code}: {error.message_fr}")


def run_check(
    files: list[Path],
    procedure: str,
    applicant: dict[str, Any],
    as_of: date | None,
    *,
    quiet: bool = False,
) -> dict[str, Any]:
    """Store a dossier and run the check flow on it (embedded defaults unless configured)."""
    from flows import runtime
    from flows.check_dossier import check_dossier
    from pipeline.errors import JustifError
    from pipeline.store.dossiers import store_dossier

    try:
        manifest = store_dossier(
            runtime.store(),
            procedure=procedure,
            files=[(path.name, path) for path in files],
            applicant=applicant,
            as_of=as_of,
        )
        if not quiet:
            err.print(f"Dossier {manifest.dossier_id}: {len(files)} fichier(s), vérification…")
        return check_dossier(manifest.dossier_id)
    except JustifError as error:
        _fail(f"{error.code}: {error.detail or error.message_fr}", code=1)
        raise  # unreachable, for type checkers


@app.command()
def procedures() -> None:
    """List the procedures and what each requires."""
    from pipeline.rules.procedures import load_procedures

    for code, procedure in sorted(load_procedures(Settings().procedures_dir).items()):
        out.print(f"[bold]{code}[/bold] — {procedure.title} ({procedure.applicant})")
        for requirement in procedure.requirements:
            accepted = ", ".join(str(t) for t in requirement.accept)
            optional = " (facultatif)" if requirement.optional else ""
            out.print(
                f"  • {requirement.id}: {requirement.label}{optional} ({accepted})", markup=False
            )


@app.command()
def demo(
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to write the sample dossier.")
    ] = None,
) -> None:
    """Generate a sample dossier from fixtures/ and check it on embedded defaults."""
    from justif import demo as demo_module

    demo_module.run(out, out_dir)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

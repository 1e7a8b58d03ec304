"""The `justif` command line. Thin: parses options, builds settings once, calls the library."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from justif.environment import apply_defaults

apply_defaults()

import runtime  # noqa: E402
from justif import api_cli, models_cli  # noqa: E402


def _lazy_module(name: str) -> ModuleType:
    """`name`, executed on its first attribute access (the `importlib.util.LazyLoader` recipe)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from justif import render
else:
    # The renderer pulls in the report models and the reading stage: `justif --help`
    # and usage errors must not pay for them, so the module loads on first use.
    render = _lazy_module("justif.render")

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


@app.callback()
def _configure() -> None:
    """Settings are read once per call, here: a bad configuration stops before any work."""
    from pydantic import ValidationError

    try:
        runtime.settings()
    except ValidationError as error:
        _fail(f"configuration: {error}")


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
    """Read files (text layer or OCR) and report type, fields, legibility and errors.

    Several files are read side by side (one per core) and printed in the order given.
    """
    from pipeline import sequence

    settings = runtime.settings()
    options = sequence.ReadOptions(
        limits=settings.limits, languages=settings.ocr_languages, page_workers=settings.page_workers
    )
    cache = None if no_cache else runtime.store()
    classifier, trust, today = runtime.classifier(), runtime.trust_list(), date.today()

    def inspect_one(path: Path) -> dict[str, Any]:
        try:
            result = sequence.inspect_file(
                path, options, classifier, cache=cache, as_of=today, trust=trust, with_text=text
            )
        except Exception as error:  # one file's failure is its own line, never the call's end
            return render.failed_result(str(path), error)
        return result.model_dump(mode="json")

    with render.progress(err, total=len(files), label="Lecture", enabled=len(files) > 1) as advance:
        for result in render.side_by_side(inspect_one, files, workers=os.cpu_count() or 1):
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

    settings = runtime.settings()
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
    from flows.check_dossier import check_files
    from pipeline.errors import JustifError

    def announce(dossier_id: str) -> None:
        if not quiet:
            err.print(f"Dossier {dossier_id}: {len(files)} fichier(s), vérification…")

    try:
        return check_files(files, procedure, applicant, as_of, on_stored=announce)
    except JustifError as error:
        _fail(f"{error.code}: {error.detail or error.message_fr}", code=1)
        raise  # unreachable, for type checkers


@app.command()
def procedures() -> None:
    """List the procedures and what each requires."""
    from pipeline.rules.procedures import load_procedures

    for code, procedure in sorted(load_procedures(runtime.settings().procedures_dir).items()):
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

    models_cli.require_generator()
    demo_module.run(out, out_dir)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

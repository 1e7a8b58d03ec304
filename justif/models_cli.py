"""`justif train doctype` and `justif evaluate doctype`, and `ensure_model` for demo and tests."""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

import runtime
from classifiers.doctype.plan import TrainingPlan

if TYPE_CHECKING:
    from classifiers.doctype.classifier import DoctypeModel
    from pipeline.settings import Settings
    from pipeline.store.storage import ObjectStore

train_app = typer.Typer(help="Entraîner un modèle.", no_args_is_help=True)
evaluate_app = typer.Typer(help="Évaluer un modèle.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()


def require_generator() -> None:
    """Stop with the install command when the document generator is not installed."""
    missing = [
        n for n in ("faker", "reportlab", "fontTools") if importlib.util.find_spec(n) is None
    ]
    if missing:
        err.print(
            f"[red]error:[/red] the document generator needs {', '.join(missing)}: "
            "pip install 'justif[train]'"
        )
        raise typer.Exit(2)


@contextmanager
def _bars(console: Console) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bars:

        def start(label: str, total: int) -> Callable[[], None]:
            task = bars.add_task(label, total=total)
            return lambda: bars.advance(task)

        yield start


def train_default(
    store: ObjectStore, plan: TrainingPlan, console: Console | None = None
) -> tuple[DoctypeModel, bool]:
    """Train with `plan`, save the model, promote it if it beats the current one."""
    from classifiers.doctype.train import promote_if_better
    from training.doctype import train_doctype  # the document generator: the [train] extra

    with tempfile.TemporaryDirectory(prefix="justif-doctype-") as work:
        if console is None:
            result = train_doctype(Path(work), plan)
        else:
            with _bars(console) as progress:
                result = train_doctype(Path(work), plan, progress)
        promoted = promote_if_better(store, result.model, result.validation)
    return result.model, promoted


def ensure_model(settings: Settings, *, plan: TrainingPlan | None = None) -> DoctypeModel:
    """The current document-type model, trained first if none is usable (demo, tests)."""
    from classifiers.doctype.store import (
        ModelMissing,
        ModelVersionMismatch,
        UntrustedModel,
        load_model,
    )
    from pipeline.store.storage import open_store

    store = open_store(settings)
    try:
        return load_model(store)
    except (ModelMissing, ModelVersionMismatch, UntrustedModel) as error:
        err.print(f"doctype model: {error.code}, training one")
    train_default(store, plan or TrainingPlan(), err)
    return load_model(store)


@train_app.command("doctype")
def train_doctype_command(
    count: Annotated[
        int, typer.Option(help="Training documents (balanced over types).")
    ] = TrainingPlan.count,
    seed: Annotated[int, typer.Option(help="Seed of the training documents.")] = TrainingPlan.seed,
    validation_count: Annotated[
        int, typer.Option(help="Validation documents.")
    ] = TrainingPlan.validation_count,
    ocr_count: Annotated[
        int, typer.Option(help="Training card documents photographed and OCRed.")
    ] = TrainingPlan.ocr_count,
    validation_ocr_count: Annotated[
        int, typer.Option(help="Validation card documents photographed and OCRed.")
    ] = TrainingPlan.validation_ocr_count,
    workers: Annotated[int, typer.Option(help="Processes generating and reading.")] = 2,
) -> None:
    """Train the document-type model; it becomes current only if it beats the current one."""
    require_generator()
    plan = TrainingPlan(
        count=count,
        seed=seed,
        validation_count=validation_count,
        ocr_count=ocr_count,
        validation_ocr_count=validation_ocr_count,
        workers=workers,
    )
    model, promoted = train_default(runtime.store(), plan, err)
    _print_metrics(model.card["metrics"]["validation"], title=f"Validation {model.version}")
    out.print(
        f"version {model.version}: {'promoted to current' if promoted else 'kept, not promoted'}"
    )


@evaluate_app.command("doctype")
def evaluate_doctype_command(
    count: Annotated[int, typer.Option(help="Evaluation documents (held-out templates).")] = 130,
    seed: Annotated[int, typer.Option(help="Seed never used in training.")] = 3,
    ocr_count: Annotated[int, typer.Option(help="Documents really scanned and OCRed.")] = 26,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for metrics.json and the plot.")
    ] = Path("doctype-evaluation"),
    version: Annotated[str | None, typer.Option(help="Model version (default: current).")] = None,
) -> None:
    """Evaluate a model on held-out templates and fresh seeds: metrics, confusion, coverage plot."""
    require_generator()
    from classifiers.doctype.evaluate import coverage_curve, plot_coverage_curve
    from classifiers.doctype.plan import evaluation_spec
    from classifiers.doctype.store import load_model
    from classifiers.doctype.train import labels_of, score
    from training.doctype import build_sample_set  # the document generator: the [train] extra

    model = load_model(runtime.store(), version)
    with tempfile.TemporaryDirectory(prefix="justif-doctype-eval-") as work, _bars(err) as progress:
        samples = build_sample_set(
            evaluation_spec(count, seed, ocr_count),
            Path(work) / "docs",
            cache_dir=Path(work) / "readings",
            on_done=progress("Documents d'évaluation", count),
        ).samples
        metrics = score(model, samples)
        proba = model.predict_proba([s.reading for s in samples])
    curve = coverage_curve(labels_of(samples), proba, model.classes)
    out_dir.mkdir(parents=True, exist_ok=True)
    plot = plot_coverage_curve(curve, model.threshold, out_dir / "coverage.png")
    (out_dir / "metrics.json").write_text(
        json.dumps({"version": model.version, **metrics, "curve": curve}, indent=1) + "\n",
        encoding="utf-8",
    )
    _print_metrics(metrics, title=f"Evaluation {model.version}")
    out.print(f"plot: {plot}")


def _print_metrics(metrics: dict[str, Any], *, title: str) -> None:
    from rich.table import Table

    summary = Table(title=title)
    for name in ("documents", "accuracy", "threshold", "coverage", "accuracy_answered"):
        summary.add_column(name)
    summary.add_column("wrong_above")
    summary.add_column("ece")
    summary.add_row(
        str(metrics["documents"]),
        f"{metrics['accuracy']:.3f}",
        f"{metrics['threshold']:.2f}",
        f"{metrics['coverage']:.3f}",
        f"{metrics['accuracy_answered']:.3f}",
        f"{metrics['wrong_above_threshold']:.4f}",
        f"{metrics['ece']:.3f}",
    )
    out.print(summary)
    per_class = Table(title="Per class")
    for name in ("type", "precision", "recall", "support"):
        per_class.add_column(name)
    for label, figures in metrics["per_class"].items():
        per_class.add_row(
            label,
            f"{figures['precision']:.2f}",
            f"{figures['recall']:.2f}",
            str(figures["support"]),
        )
    out.print(per_class)
    confusion = Table(title="Confusion (rows: true, columns: predicted)")
    confusion.add_column("")
    for label in metrics["labels"]:
        confusion.add_column(label[:6])
    for label, row in zip(metrics["labels"], metrics["confusion"], strict=True):
        confusion.add_row(label, *(str(v) for v in row))
    out.print(confusion)


def register(app: typer.Typer) -> None:
    """Add `train` and `evaluate` to the main CLI."""
    app.add_typer(train_app, name="train")
    app.add_typer(evaluate_app, name="evaluate")

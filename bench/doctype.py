"""Document-type classifier benchmark (a benchmark, not a test: takes minutes).

    .venv/bin/python -m bench.doctype [--count 260] [--ocr-count 52] [--seed 3 5] [--cache DIR]

Trains the default model (seeds 1 and 2), then evaluates it on documents from
the held-out templates with a seed never used in training, some of them really
scanned or photographed and OCRed; prints the figures of docs/benchmarks.md,
the classification time per born-digital document, every mistake made above
the threshold, and how many documents were skipped because their reading
failed (e.g. a tesseract timeout on a loaded machine). `--cache` keeps the
readings (by file sha256) between runs: a rerun then only generates. Several
seeds are evaluated with the same trained model, each in its own folder under
`--out` (`seed-<n>`) when more than one is given.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from classifiers.doctype.classifier import DoctypeModel
from classifiers.doctype.evaluate import coverage_curve, meets_targets, plot_coverage_curve
from classifiers.doctype.plan import TrainingPlan, evaluation_spec
from classifiers.doctype.samples import Sample, SampleSet
from classifiers.doctype.train import labels_of, score
from training.doctype import build_sample_set, train_doctype


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=260)
    parser.add_argument("--ocr-count", type=int, default=52)
    parser.add_argument("--seed", type=int, nargs="+", default=[3])
    parser.add_argument("--out", type=Path, default=Path("doctype-bench"))
    parser.add_argument("--cache", type=Path, default=None, help="readings cache to keep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="justif-bench-doctype-") as work:
        started = time.perf_counter()
        result = train_doctype(Path(work) / "train", TrainingPlan())
        train_s = time.perf_counter() - started
        for seed in args.seed:
            built = build_sample_set(
                evaluation_spec(args.count, seed, args.ocr_count),
                Path(work) / f"eval-{seed}",
                cache_dir=args.cache or Path(work) / "readings",
            )
            out = args.out if len(args.seed) == 1 else args.out / f"seed-{seed}"
            figures = evaluate_set(result.model, built, out)
            figures = {"seed": seed, "training_seconds": round(train_s, 1), **figures}
            figures["training_split_seconds"] = result.seconds
            figures["skipped_unreadable_training"] = len(result.failures)
            (out / "figures.json").write_text(json.dumps(figures, indent=1) + "\n")
            print(json.dumps(figures, indent=1), flush=True)


def evaluate_set(model: DoctypeModel, built: SampleSet, out: Path) -> dict[str, object]:
    """Figures of one evaluation set; predictions, metrics and the coverage plot go to `out`."""
    samples = built.samples
    metrics = score(model, samples)
    born_digital = [s.reading for s in samples if s.source == "text_layer"]
    timings = []
    for reading in born_digital:
        tick = time.perf_counter()
        model.classify(reading)
        timings.append(time.perf_counter() - tick)
    proba = model.predict_proba([s.reading for s in samples])
    out.mkdir(parents=True, exist_ok=True)
    plot_coverage_curve(
        coverage_curve(labels_of(samples), proba, model.classes),
        model.threshold,
        out / "coverage.png",
    )
    ocr = [s for s in samples if s.source == "ocr"]
    mistakes = confident_mistakes(samples, proba, model.classes, model.threshold)
    figures = {
        "evaluation_documents": len(samples),
        "skipped_unreadable": len(built.failures),
        "real_ocr_documents": len(ocr),
        "threshold": model.threshold,
        "ocr_threshold": model.ocr_threshold,
        "accuracy": round(metrics["accuracy"], 4),
        "coverage": round(metrics["coverage"], 4),
        "accuracy_answered": round(metrics["accuracy_answered"], 4),
        "wrong_above_threshold": round(metrics["wrong_above_threshold"], 4),
        "ece": round(metrics["ece"], 4),
        "meets_targets": meets_targets(metrics),
        "classify_ms_born_digital_median": round(1000 * float(np.median(timings)), 1)
        if timings
        else None,
        "classify_ms_born_digital_p95": round(1000 * float(np.percentile(timings, 95)), 1)
        if timings
        else None,
        "per_source": per_source(samples, proba, model),
        "per_class_recall": {k: round(v["recall"], 3) for k, v in metrics["per_class"].items()},
        "confident_mistakes": mistakes,
        "skipped": [f"{f.template_id}: {f.reason}" for f in built.failures],
    }
    predictions = [
        {
            "true": s.label.value,
            "template": s.template_id,
            "source": s.source.value,
            "rendering": s.rendering,
            "proba": {str(c): round(float(p), 4) for c, p in zip(model.classes, row, strict=True)},
        }
        for s, row in zip(samples, proba, strict=True)
    ]
    (out / "predictions.json").write_text(json.dumps(predictions) + "\n")
    (out / "metrics.json").write_text(json.dumps({**metrics, **figures}, indent=1) + "\n")
    return figures


def per_source(
    samples: list[Sample], proba: np.ndarray, model: DoctypeModel
) -> dict[str, dict[str, float]]:
    """Coverage and accuracy of each way of reading (text layer, simulated scan, real OCR)."""
    rows: dict[str, dict[str, float]] = {}
    thresholds = model.thresholds_for([s.reading for s in samples])
    for source in sorted({s.source.value for s in samples}):
        mask = np.asarray([s.source.value == source for s in samples])
        best = proba[mask].max(axis=1)
        right = model.classes[proba[mask].argmax(axis=1)] == labels_of(samples)[mask]
        rows[source] = {
            "documents": int(mask.sum()),
            "coverage": round(float((best >= thresholds[mask]).mean()), 3),
            "accuracy": round(float(right.mean()), 3),
        }
    return rows


def confident_mistakes(
    samples: list[Sample], proba: np.ndarray, classes: np.ndarray, threshold: float
) -> list[dict[str, object]]:
    """Wrong types answered above the threshold, with what produced them (no content)."""
    rows: list[dict[str, object]] = []
    for sample, row in zip(samples, proba, strict=True):
        best = int(row.argmax())
        if row[best] >= threshold and classes[best] != sample.label.value:
            second = float(np.sort(row)[-2])
            rows.append(
                {
                    "true": sample.label.value,
                    "predicted": str(classes[best]),
                    "confidence": round(float(row[best]), 3),
                    "second": round(second, 3),
                    "template": sample.template_id,
                    "source": sample.source.value,
                    "rendering": sample.rendering,
                }
            )
    return rows


if __name__ == "__main__":
    main()

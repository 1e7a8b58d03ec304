"""Metrics of a document-type model: accuracy vs coverage, calibration, per-class figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, log_loss, precision_recall_fscore_support

# The targets, and the stricter ones the threshold is chosen for on
# validation data so that unseen documents still meet the targets.
TARGET_ACCURACY_ANSWERED = 0.98
TARGET_COVERAGE = 0.95
TARGET_WRONG_ABOVE = 0.005
SELECT_ACCURACY_ANSWERED = 0.99
SELECT_WRONG_ABOVE = 0.0025
MIN_THRESHOLD = 0.5  # below this the best type is as likely wrong as right
ECE_BINS = 15


Threshold = float | np.ndarray  # one for all documents, or one per document


def answered_figures(
    y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray, threshold: Threshold
) -> dict[str, Any]:
    """Coverage, accuracy on the answered and rate of confident mistakes at one threshold
    (or at each document's own threshold)."""
    best = proba.max(axis=1)
    predicted = classes[proba.argmax(axis=1)]
    answered = best >= threshold
    right = predicted == y_true
    count = max(len(y_true), 1)
    return {
        **_threshold_figures(threshold),
        "coverage": float(answered.mean()) if len(y_true) else 0.0,
        "accuracy_answered": float(right[answered].mean()) if answered.any() else 1.0,
        "wrong_above_threshold": float((answered & ~right).sum() / count),
    }


def _threshold_figures(threshold: Threshold) -> dict[str, Any]:
    """The threshold as the card records it: `threshold` is the lowest in use (the text
    layers'), `thresholds` every distinct one."""
    values = np.unique(np.asarray(threshold, dtype=float))
    return {"threshold": float(values.min()), "thresholds": [float(t) for t in values]}


def coverage_curve(
    y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray
) -> list[dict[str, float]]:
    """Accuracy on the answered documents for every threshold on a grid."""
    grid = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    return [answered_figures(y_true, proba, classes, float(t)) for t in grid]


def choose_threshold(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Lowest threshold (most coverage) meeting the selection targets on validation data."""
    for point in coverage_curve(y_true, proba, classes):
        # A threshold that answers nothing trivially "meets" the targets.
        if point["threshold"] < MIN_THRESHOLD or point["coverage"] == 0.0:
            continue
        if (
            point["accuracy_answered"] >= SELECT_ACCURACY_ANSWERED
            and point["wrong_above_threshold"] <= SELECT_WRONG_ABOVE
        ):
            return point["threshold"]
    return 0.95  # no threshold meets them: answer only the near-certain


def choose_ocr_threshold(
    y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray, ocr: np.ndarray, threshold: float
) -> float:
    """Threshold for OCR'd readings: the selection targets met on those readings alone,
    never below the threshold of all readings.

    Scans and photos make nearly all the mistakes; counted among the text layers,
    which are almost always right, their rate looks half what it is.
    """
    if not ocr.any():
        return threshold
    return max(threshold, choose_threshold(y_true[ocr], proba[ocr], classes))


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Gap between confidence and accuracy, averaged over equal-width confidence bins."""
    best = proba.max(axis=1)
    right = classes[proba.argmax(axis=1)] == y_true
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    bins = np.clip(np.digitize(best, edges[1:-1]), 0, ECE_BINS - 1)
    total = 0.0
    for b in range(ECE_BINS):
        inside = bins == b
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - best[inside].mean())
    return float(total)


def evaluate_probabilities(
    y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray, threshold: Threshold
) -> dict[str, Any]:
    """Every figure of the model card and of `justif evaluate doctype`."""
    predicted = classes[proba.argmax(axis=1)]
    labels = list(classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, predicted, labels=labels, zero_division=0
    )
    return {
        "documents": len(y_true),
        "accuracy": float((predicted == y_true).mean()) if len(y_true) else 0.0,
        "log_loss": float(log_loss(y_true, proba, labels=labels)) if len(y_true) else 0.0,
        "ece": expected_calibration_error(y_true, proba, classes),
        **answered_figures(y_true, proba, classes, threshold),
        "per_class": {
            str(label): {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "labels": [str(label) for label in labels],
        "confusion": confusion_matrix(y_true, predicted, labels=labels).tolist(),
    }


def meets_targets(metrics: dict[str, Any]) -> bool:
    return bool(
        metrics["accuracy_answered"] >= TARGET_ACCURACY_ANSWERED
        and metrics["coverage"] >= TARGET_COVERAGE
        and metrics["wrong_above_threshold"] <= TARGET_WRONG_ABOVE
    )


def plot_coverage_curve(curve: list[dict[str, float]], threshold: float, path: Path) -> Path:
    """PNG of accuracy on the answered documents against coverage, threshold marked."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    axes.plot([p["coverage"] for p in curve], [p["accuracy_answered"] for p in curve], marker=".")
    chosen = min(curve, key=lambda p: abs(p["threshold"] - threshold))
    axes.scatter([chosen["coverage"]], [chosen["accuracy_answered"]], color="red", zorder=3)
    axes.annotate(f"seuil {threshold:.2f}", (chosen["coverage"], chosen["accuracy_answered"]))
    axes.axhline(TARGET_ACCURACY_ANSWERED, color="grey", linestyle="--", linewidth=0.8)
    axes.axvline(TARGET_COVERAGE, color="grey", linestyle="--", linewidth=0.8)
    axes.set_xlabel("coverage (share of documents answered)")
    axes.set_ylabel("accuracy on answered documents")
    axes.set_title("Document type: accuracy vs coverage")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path

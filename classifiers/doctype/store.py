"""Persisting document-type models: skops file + JSON model card in the object store.

Layout (DESIGN.md §6): `models/doctype/<version>/model.skops`,
`models/doctype/<version>/card.json`, and `models/doctype/current` naming the
promoted version. The version folder is written first (the card last, so a
folder without a card is incomplete and ignored) and the pointer is moved
last: a reader never sees a half-written current model.
"""

from __future__ import annotations

import json
import logging
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy
import scipy
import sklearn
import skops
import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

from classifiers.doctype.classifier import DoctypeModel
from pipeline.errors import JustifError, ObjectNotFound
from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)

FORMAT_VERSION = 5  # bump when the features or the card change incompatibly
MODEL_PREFIX = "models/doctype"
CURRENT_KEY = f"{MODEL_PREFIX}/current"

# Every type a saved model may contain beyond skops' built-in safe list.
# Anything else in a file is refused: no blind trust of a model file.
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.float",
    "classifiers.doctype.features.NumericFeature",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.MaxAbsScaler",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.utils._bunch.Bunch",
)


class ModelVersionMismatch(JustifError):
    """The stored model was made by another scikit-learn or another feature format."""

    code = "MODEL_VERSION_MISMATCH"


class ModelMissing(JustifError):
    code = "MODEL_MISSING"


class UntrustedModel(JustifError):
    code = "MODEL_UNTRUSTED"


def version_key(version: str, name: str) -> str:
    return f"{MODEL_PREFIX}/{version}/{name}"


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
    }


def git_commit(folder: Path | None = None) -> str:
    """Commit of the code that trained the model; empty outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder or Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip()


def new_version(data_hash: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{data_hash[:8]}"


def make_card(
    *,
    version: str,
    data_hash: str,
    threshold: float,
    metrics: dict[str, Any],
    extra: dict[str, Any],
    ocr_threshold: float | None = None,
) -> dict[str, Any]:
    return {
        "name": "doctype",
        "format_version": FORMAT_VERSION,
        "version": version,
        "versions": library_versions(),
        "training_data_sha256": data_hash,
        "threshold": threshold,
        "ocr_threshold": ocr_threshold,
        "metrics": metrics,
        "git_commit": git_commit(),
        "created_at": datetime.now(UTC).isoformat(),
        **extra,
    }


def save_model(store: ObjectStore, model: DoctypeModel) -> str:
    """Write the model and its card under a new version folder; returns the version."""
    version = model.version
    if not version:
        raise ValueError("the model card has no version")
    store.put_bytes(version_key(version, "model.skops"), sio.dumps(model.pipeline))
    store.put_json(version_key(version, "card.json"), model.card)
    return version


def promote(store: ObjectStore, version: str) -> None:
    """Point `current` at a saved version (written last, after the version folder)."""
    if not store.exists(version_key(version, "card.json")):
        raise ModelMissing("Modèle introuvable.", detail=f"no card for version {version}")
    store.put_json(CURRENT_KEY, {"version": version})


def current_version(store: ObjectStore) -> str | None:
    try:
        return str(store.get_json(CURRENT_KEY)["version"])
    except ObjectNotFound:
        return None


def check_card(card: dict[str, Any]) -> None:
    """Raise ModelVersionMismatch unless this code and these libraries can load the model."""
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelVersionMismatch(
            "Le modèle de classification doit être réentraîné.",
            detail=f"format {card.get('format_version')} != {FORMAT_VERSION}",
        )
    saved = card.get("versions", {}).get("sklearn")
    if saved != sklearn.__version__:
        raise ModelVersionMismatch(
            "Le modèle de classification doit être réentraîné.",
            detail=f"trained with scikit-learn {saved}, running {sklearn.__version__}",
        )


def load_model(store: ObjectStore, version: str | None = None) -> DoctypeModel:
    """The given (default: current) model; ModelMissing, ModelVersionMismatch or UntrustedModel."""
    version = version or current_version(store)
    if version is None:
        raise ModelMissing("Aucun modèle de classification n'est installé.", detail="no current")
    try:
        card = store.get_json(version_key(version, "card.json"))
        data = store.get_bytes(version_key(version, "model.skops"))
    except ObjectNotFound as error:
        raise ModelMissing("Modèle introuvable.", detail=f"version {version}") from error
    check_card(card)
    # skops audits the file as it loads it and refuses any type beyond its safe
    # list and ours: one pass over the file (a separate audit first doubled it).
    try:
        pipeline = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as error:
        raise UntrustedModel(
            "Le fichier du modèle contient des types non autorisés.",
            detail=str(error.args[0]) if error.args else "untrusted types",
        ) from error
    ocr_threshold = card.get("ocr_threshold")
    return DoctypeModel(
        pipeline=pipeline,
        threshold=float(card["threshold"]),
        card=card,
        ocr_threshold=None if ocr_threshold is None else float(ocr_threshold),
    )


def export_model(model: DoctypeModel, folder: Path) -> Path:
    """Copy a model to a local folder atomically (`.part` then rename), e.g. for a release."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (
        ("model.skops", sio.dumps(model.pipeline)),
        ("card.json", json.dumps(model.card, indent=1).encode()),
    ):
        part = folder / f"{name}.part"
        part.write_bytes(data)
        part.replace(folder / name)
    return folder

"""The document-type model: one scikit-learn Pipeline built by a factory."""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from classifiers.doctype.features import NUMERIC_FEATURES, TEXT_COLUMN

# Numeric signals are few and dense; TF-IDF rows are unit-length. This weight
# keeps the signals from drowning the text when both are present.
NUMERIC_WEIGHT = 0.5


def build_doctype_pipeline(*, random_state: int, calibration_folds: int = 3) -> Pipeline:
    """Untrained pipeline: word + character n-gram TF-IDF and scaled signals -> calibrated LR.

    Character n-grams inside word boundaries survive OCR confusions that break
    whole words; `min_df`/`max_df` and sublinear tf keep one template's exact
    phrases from dominating.
    """
    words = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=3,
        max_df=0.8,
        sublinear_tf=True,
        max_features=10_000,
        dtype=np.float64,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        min_df=3,
        max_df=0.8,
        sublinear_tf=True,
        max_features=20_000,
        dtype=np.float64,
    )
    numeric_columns = list(range(TEXT_COLUMN + 1, TEXT_COLUMN + 1 + len(NUMERIC_FEATURES)))
    features = ColumnTransformer(
        [
            ("words", words, TEXT_COLUMN),
            ("chars", chars, TEXT_COLUMN),
            ("signals", StandardScaler(), numeric_columns),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "signals": NUMERIC_WEIGHT},
    )
    linear = LogisticRegression(C=5.0, max_iter=1000, random_state=random_state)
    calibrated = CalibratedClassifierCV(linear, method="sigmoid", cv=calibration_folds)
    return Pipeline([("features", features), ("classifier", calibrated)])

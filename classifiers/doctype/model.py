"""The document-type model: word and character TF-IDF, page signals and domain-vocabulary
scores, in one calibrated logistic regression."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from classifiers.doctype.features import (
    CHAR_TEXT_COLUMN,
    LEXICON_COLUMNS,
    NUMERIC_COLUMNS,
    TEXT_COLUMN,
)

# Numeric signals are few and dense; TF-IDF rows are unit-length. These weights
# keep the signals from drowning the text when both are present, and give the
# vocabulary scores (which carry over to other issuers' documents) a say as
# strong as the template-bound n-grams.
NUMERIC_WEIGHT = 0.5
LEXICON_WEIGHT = 2.0
WORD_PARAMS: dict[str, Any] = {"ngram_range": (1, 2)}
CHAR_PARAMS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (3, 5)}
# Inverse regularisation strength. Weakly regularised: the temperature calibration
# on held-out templates then sets the confidence. On the development seeds C = 30
# answered more scans right above the threshold than C = 5 (seed 3 coverage
# 0.946 -> 0.958, seed 5 0.946 -> 0.958) with no more confident mistakes.
REGULARISATION_C = 30.0
MAX_WORDS = 10_000
MAX_CHARS = 20_000
MIN_DOCUMENTS = 3
MAX_DOCUMENT_SHARE = 0.8
# A term must appear in documents of this many templates: a phrase only one
# layout prints is an artefact of our generator, not of the document type.
MIN_TEMPLATES = 2


def shared_vocabulary(
    texts: Sequence[str],
    templates: Sequence[str],
    params: dict[str, Any],
    max_features: int,
) -> dict[str, int]:
    """Terms seen in enough documents and in at least MIN_TEMPLATES templates."""
    counter = CountVectorizer(binary=True, dtype=np.int32, **params)
    present = counter.fit_transform(texts).tocsc()
    names = counter.get_feature_names_out()
    template_ids, rows = np.unique(np.asarray(templates, dtype=object), return_inverse=True)
    membership = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, np.arange(len(rows)))),
        shape=(len(template_ids), len(rows)),
    )
    spread = np.asarray(((membership @ present) > 0).sum(axis=0)).ravel()
    frequency = np.asarray(present.sum(axis=0)).ravel()
    keep = (
        (spread >= MIN_TEMPLATES)
        & (frequency >= MIN_DOCUMENTS)
        & (frequency <= MAX_DOCUMENT_SHARE * len(texts))
    )
    kept = np.flatnonzero(keep)
    # Most frequent first, ties by name, so the vocabulary does not depend on set order.
    order = sorted(kept, key=lambda i: (-int(frequency[i]), str(names[i])))[:max_features]
    return {str(names[i]): n for n, i in enumerate(sorted(order, key=lambda i: str(names[i])))}


def build_doctype_pipeline(
    *,
    random_state: int,
    calibration_folds: int = 3,
    word_vocabulary: dict[str, int] | None = None,
    char_vocabulary: dict[str, int] | None = None,
) -> Pipeline:
    """Untrained pipeline: word + character n-gram TF-IDF, scaled signals and vocabulary
    scores -> calibrated LR.

    Character n-grams inside word boundaries survive OCR confusions that break
    whole words. Without a given vocabulary (`shared_vocabulary`), `min_df`,
    `max_df` and `max_features` bound it; sublinear tf keeps one exact phrase
    from dominating.
    """
    bounds = {"min_df": MIN_DOCUMENTS, "max_df": MAX_DOCUMENT_SHARE}
    words = TfidfVectorizer(
        **WORD_PARAMS,
        **({"vocabulary": word_vocabulary} if word_vocabulary else bounds),
        max_features=None if word_vocabulary else MAX_WORDS,
        sublinear_tf=True,
        dtype=np.float64,
    )
    chars = TfidfVectorizer(
        **CHAR_PARAMS,
        **({"vocabulary": char_vocabulary} if char_vocabulary else bounds),
        max_features=None if char_vocabulary else MAX_CHARS,
        sublinear_tf=True,
        dtype=np.float64,
    )
    features = ColumnTransformer(
        [
            ("words", words, TEXT_COLUMN),
            ("chars", chars, CHAR_TEXT_COLUMN),
            ("signals", StandardScaler(), list(NUMERIC_COLUMNS)),
            # Max-abs, not standard: a rare group's tiny spread in training must not turn
            # one of its terms in a real document into a huge value.
            ("lexicon", MaxAbsScaler(), list(LEXICON_COLUMNS)),
        ],
        transformer_weights={
            "words": 1.0,
            "chars": 1.0,
            "signals": NUMERIC_WEIGHT,
            "lexicon": LEXICON_WEIGHT,
        },
    )
    linear = LogisticRegression(C=REGULARISATION_C, max_iter=1000, random_state=random_state)
    calibrated = CalibratedClassifierCV(linear, method="temperature", cv=calibration_folds)
    return Pipeline([("features", features), ("classifier", calibrated)])

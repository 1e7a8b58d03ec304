"""Labelled readings: what a training, validation or evaluation set is made of."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pipeline.fields import DocType
from pipeline.types import PieceReading


class SampleSource(StrEnum):
    TEXT_LAYER = "text_layer"
    SIMULATED_SCAN = "simulated_scan"
    OCR = "ocr"


@dataclass(frozen=True)
class Sample:
    reading: PieceReading
    label: DocType
    template_id: str
    source: SampleSource
    file_sha256: str
    rendering: str = ""  # born_digital / scan / photo of the generated file


@dataclass(frozen=True)
class ReadingFailure:
    """A generated document that could not be read (its sample is skipped)."""

    index: int
    label: DocType
    template_id: str
    reason: str  # error class or code, never document content


@dataclass
class SampleSet:
    """The samples of a build, and the documents skipped because their reading failed."""

    samples: list[Sample]
    failures: list[ReadingFailure]


def samples_hash(samples: Sequence[Sample]) -> str:
    """Identifies a training set: the files read, their labels and how each was read."""
    digest = hashlib.sha256()
    for sample in samples:
        digest.update(f"{sample.file_sha256}:{sample.label}:{sample.source.value}\n".encode())
    return digest.hexdigest()


def write_manifest(samples: Sequence[Sample], path: Path) -> None:
    """Labels, templates and sources of a sample set (no text), for the model card's folder."""
    rows = [
        {
            "sha256": s.file_sha256,
            "type": s.label.value,
            "template": s.template_id,
            "source": s.source.value,
        }
        for s in samples
    ]
    path.write_text(json.dumps(rows, indent=0) + "\n", encoding="utf-8")

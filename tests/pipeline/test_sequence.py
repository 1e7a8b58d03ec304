"""The one sequence on a generated dossier: the report's JSON is exactly the typed contract.

Every key `justif check --json` prints is a field of `DossierReport` (and of
its piece and requirement models): a key added beside the model, or a field
the JSON lacks, fails here. The classifier stage is given the generator's own
record of each file's type (`pipeline.classify.TypeClassifier` is an
interface; the trained model is exercised by tests/classifiers and the demo).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from fixtures.generator.api import generate_dossier
from pipeline import sequence
from pipeline.classify import Classification
from pipeline.decide.models import DossierReport, InspectResult, PieceReport, Timings
from pipeline.fields import DocType
from pipeline.rules.procedures import get_procedure
from pipeline.settings import Limits
from pipeline.store.dossiers import Manifest, ManifestFile, sha256_of
from pipeline.types import PieceReading

AS_OF = date(2026, 11, 26)


class GeneratorTypes:
    """Types each file as the generator recorded it (its `piece_N.json`), sure of it."""

    def __init__(self, folder: Path) -> None:
        self.by_sha = {
            sha256_of(pdf): DocType(json.loads(pdf.with_suffix(".json").read_text())["type"])
            for pdf in folder.glob("piece_*.pdf")
        }

    def classify(self, reading: PieceReading) -> Classification:
        doc_type = self.by_sha[reading.sha256]
        return Classification(type=doc_type, confidence=1.0, abstained=False, best_guess=doc_type)


@pytest.fixture(scope="module")
def dossier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Manifest, dict[str, Any]]:
    """A clean, born-digital dossier of five pieces (the demo's first), read and checked."""
    folder = tmp_path_factory.mktemp("dossier")
    generate_dossier("bourse-sanitaire-sociale", np.random.default_rng(19), AS_OF, folder)
    expected = json.loads((folder / "expected.json").read_text())
    files = [folder / name for name in expected["pieces"]]
    manifest = Manifest(
        dossier_id="contract",
        procedure=expected["procedure"],
        applicant=json.loads((folder / "applicant.json").read_text()),
        files=[
            ManifestFile(name=f.name, sha256=sha256_of(f), size_bytes=f.stat().st_size)
            for f in files
        ],
        submitted_at=datetime.now(UTC),
        as_of=AS_OF,
    )
    options = sequence.ReadOptions(limits=Limits(), page_workers=1)
    readings = {sha256_of(f): sequence.read_piece(f, options) for f in files}
    report = sequence.check_dossier(
        manifest, get_procedure(manifest.procedure), readings, GeneratorTypes(folder), None
    )
    return manifest, report.model_dump(mode="json")


def _same_keys(data: dict[str, Any], model: type[BaseModel]) -> None:
    assert set(data) == set(model.model_fields), model.__name__


def test_the_report_json_is_the_typed_contract_key_for_key(
    dossier: tuple[Manifest, dict[str, Any]],
) -> None:
    manifest, report = dossier
    assert report["decision"] == "accepted"  # the demo's first dossier
    # What the CLI prints goes through JSON: it must validate back to the same model.
    printed = json.loads(json.dumps(report, ensure_ascii=False))
    assert DossierReport.model_validate(printed).model_dump(mode="json") == report
    _same_keys(report, DossierReport)
    assert report["generated_at"]
    assert len(report["pieces"]) == len(manifest.files)
    for piece in report["pieces"]:
        _same_keys(piece, PieceReport)
        _same_keys(piece["timings"], Timings)
        assert piece["kind"] == "pdf" and piece["type_guess"] == piece["type"]
        assert piece["fields"], piece["file"]
        for page in piece["pages"]:
            assert "text" not in page  # a report never carries page texts
            assert set(page) == {
                "n",
                "text_source",
                "quality",
                "chars",
                "confidence",
                "seconds",
                "cached",
            }


def test_each_piece_says_where_its_time_went(dossier: tuple[Manifest, dict[str, Any]]) -> None:
    _, report = dossier
    for piece in report["pieces"]:
        timings = piece["timings"]
        assert timings["intake"] > 0 and timings["read"] > 0 and timings["extract"] > 0
        assert all(seconds >= 0 for seconds in timings.values())
        # Stages run inside the reading cannot take longer than it did.
        assert timings["intake"] + timings["read"] <= piece["seconds"] * 2 + 0.01


def test_inspect_of_one_file_is_its_typed_object(tmp_path: Path) -> None:
    folder = tmp_path / "dossier"
    generate_dossier("bourse-sanitaire-sociale", np.random.default_rng(19), AS_OF, folder)
    pdf = folder / "piece_1.pdf"
    result = sequence.inspect_file(
        pdf,
        sequence.ReadOptions(limits=Limits(), page_workers=1),
        GeneratorTypes(folder),
        cache=None,
        as_of=AS_OF,
        trust=None,
        with_text=True,
    ).model_dump(mode="json")
    _same_keys(result, InspectResult)
    assert result["type"] == "identity_card" and result["fields"]
    assert all(page["text"] for page in result["pages"])
    assert InspectResult.model_validate(result).model_dump(mode="json") == result

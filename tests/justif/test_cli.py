"""The `justif` command line as a user and an integration run it: real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.hostile import EXPECTED, write_hostile_files
from pipeline.types import FileKind
from tests.conftest import require_tool
from tests.support.dossier_files import SCANNED_TEXT, write_small_dossier
from tests.support.mutations import missing_dimensions_tiff, seeds

JUSTIF = [sys.executable, "-m", "justif.cli"]
# Every refusal the CLI is promised to turn into a structured error.
HOSTILE = [name for name, outcome in EXPECTED.items() if not isinstance(outcome, FileKind)]


def run_cli(*args: str, home: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUSTIF_HOME": str(home), "COLUMNS": "120"}
    return subprocess.run(
        [*JUSTIF, *args], capture_output=True, text=True, env=env, timeout=timeout_s, check=False
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_hostile_files(tmp_path_factory.mktemp("hostile"))


def test_inspect_turns_every_hostile_file_into_one_structured_error(
    hostile: dict[str, Path], tmp_path: Path
) -> None:
    files = [str(hostile[name]) for name in HOSTILE]
    result = run_cli("inspect", *files, "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == files
    for name, line in zip(HOSTILE, lines, strict=True):
        assert line["error"]["code"] == EXPECTED[name], name
        assert line["error"]["message"], name  # French, for the citizen
        assert line["pages"] == []


def test_inspect_reads_a_scanned_french_page_with_legibility(tmp_path: Path) -> None:
    require_tool("tesseract")
    files = write_small_dossier(tmp_path / "dossier")
    result = run_cli("inspect", str(files["scan"]), "--json", "--text", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["error"] is None and line["kind"] == "jpeg"
    (page,) = line["pages"]
    assert page["text_source"] == "ocr"
    assert set(page["quality"]) == {"blur", "dpi", "contrast", "blank"}
    assert not page["quality"]["blank"] and page["quality"]["dpi"] > 0
    words = {w.strip(",.").lower() for w in page["text"].split()}
    expected = {w.strip(",.").lower() for w in SCANNED_TEXT.split()}
    assert len(words & expected) / len(expected) > 0.8


def test_check_refuses_usage_errors_with_a_one_line_reason(tmp_path: Path) -> None:
    files = write_small_dossier(tmp_path / "dossier")
    applicant = tmp_path / "applicant.json"
    applicant.write_text(json.dumps({"first_name": "Hélène"}), encoding="utf-8")
    unknown = run_cli(
        "check", str(files["pdf"]), "--procedure", "no-such-thing", "--applicant",
        str(applicant), home=tmp_path / "home",
    )  # fmt: skip
    assert unknown.returncode == 2
    assert "PROCEDURE_ERROR" in unknown.stderr and "Traceback" not in unknown.stderr
    invalid = run_cli(
        "check", str(files["pdf"]), "--procedure", "bourse-sanitaire-sociale", "--applicant",
        str(applicant), home=tmp_path / "home",
    )  # fmt: skip
    assert invalid.returncode == 2
    assert "INVALID_APPLICANT" in invalid.stderr and "Traceback" not in invalid.stderr


def test_procedures_lists_the_three_shipped_procedures(tmp_path: Path) -> None:
    result = run_cli("procedures", home=tmp_path)
    assert result.returncode == 0, result.stderr
    for code in ("bourse-sanitaire-sociale", "transport-scolaire", "aide-entreprise"):
        assert code in result.stdout


TIMED_STAGES = {"intake", "read", "signals", "classify", "extract", "rules"}


def test_inspect_keeps_going_past_a_file_a_parser_chokes_on(tmp_path: Path) -> None:
    require_tool("tesseract")
    files = write_small_dossier(tmp_path / "dossier")
    broken = tmp_path / "broken.tif"
    broken.write_bytes(missing_dimensions_tiff())
    image = tmp_path / "good.png"
    image.write_bytes(seeds()["png"])
    paths = [str(files["pdf"]), str(broken), str(image)]
    result = run_cli("inspect", *paths, "--json", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == paths  # the order given, read side by side
    good_pdf, bad, good_png = lines
    assert bad["error"]["code"] == "READ_FAILED" and bad["error"]["message"]
    assert bad["pages"] == [] and bad["kind"] is None
    assert good_pdf["error"] is None and good_pdf["kind"] == "pdf" and good_pdf["pages"]
    assert good_png["error"] is None and good_png["kind"] == "png"
    for line in lines:
        assert set(line["timings"]) == TIMED_STAGES
        assert all(seconds >= 0 for seconds in line["timings"].values())
    assert good_pdf["timings"]["intake"] > 0

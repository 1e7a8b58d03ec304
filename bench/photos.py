"""Phone photos of documents: how much of what they say does the reading find?

    .venv/bin/python -m bench.photos [--count 30] [--seed 610000] [--out FILE.json]

a) `--count` documents, one type after the other (every type but "other"), are
   generated as phone photos (`fixtures/generator`, rendering "photo": a
   document on a table, in perspective, blurred, grainy);
b) each is read by the real page reader (`upright.read_upright`: outline cut,
   preprocessing, tesseract, dropped-block re-read), as a piece would be;
c) per photo: tesseract's mean word confidence, the time taken and how many
   of the document's known field values (names, dates as DD MM YYYY, numbers,
   addresses: the generator's ground truth) appear in the text read, compared
   accent-, case- and punctuation-free. Finding a value in the text is what
   extraction needs first; it is a reading figure, not a field accuracy (that
   is `bench.fields`).
Not a test: it prints figures and writes them as JSON. Compare two versions of
the reading by running both on the same seed.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fixtures.generator.api import generate_document
from pipeline.fields import DocType
from pipeline.read.upright import read_upright

SEED = 610000
# A photo's dpi is unknown; the reading measures its letters instead.
PHOTO_DPI = 200.0
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class PhotoResult:
    file: str
    template: str
    confidence: float
    seconds: float
    values: int
    found: int


def known_values(fields: dict[str, object]) -> list[list[str]]:
    """The ground-truth values worth finding, each as its accepted spellings (folded)."""
    values = []
    for value in fields.values():
        if value is None or isinstance(value, dict | list):
            continue
        text = str(value)
        if _DATE.fullmatch(text):
            year, month, day = text.split("-")
            values.append([day + month + year, day + month + year[2:]])
        elif len(fold(text)) >= 3:
            values.append([fold(text)])
    return values


def fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", plain)


def read_photo(path: Path, truth: dict[str, object]) -> PhotoResult:
    image = np.asarray(Image.open(path).convert("RGB"))
    started = time.perf_counter()
    result, _, _ = read_upright(image, PHOTO_DPI, "fra+eng")
    seconds = time.perf_counter() - started
    text = fold(result.text)
    values = known_values(dict(truth["fields"]))  # type: ignore[call-overload]
    found = sum(any(spelling in text for spelling in value) for value in values)
    return PhotoResult(
        path.name,
        str(truth["template"]),
        round(result.confidence, 3),
        round(seconds, 2),
        len(values),
        found,
    )


def run(count: int, seed: int, folder: Path) -> list[PhotoResult]:
    types = [t for t in DocType if t is not DocType.OTHER]
    results = []
    for i in range(count):
        doc = generate_document(
            types[i % len(types)], folder, seed=seed + i, name=f"p{i:03d}", rendering="photo"
        )
        truth = json.loads((folder / f"p{i:03d}.json").read_text())
        result = read_photo(folder / doc.files[0].path, truth)
        results.append(result)
        print(
            f"{i + 1}/{count} {result.template:<38} confidence {result.confidence:.2f} "
            f"found {result.found}/{result.values} {result.seconds:.1f} s",
            flush=True,
        )
    return results


def summary(results: list[PhotoResult]) -> dict[str, float]:
    confidences = [r.confidence for r in results]
    return {
        "photos": len(results),
        "mean_confidence": round(float(np.mean(confidences)), 3),
        "at_least_0_75": sum(c >= 0.75 for c in confidences),
        "values": sum(r.values for r in results),
        "found": sum(r.found for r in results),
        "seconds_median": round(float(np.median([r.seconds for r in results])), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=30, help="photos to generate and read")
    parser.add_argument("--seed", type=int, default=SEED, help="first document seed")
    parser.add_argument("--out", type=Path, help="write every photo's figures here (JSON)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="justif-bench-photos-") as folder:
        results = run(args.count, args.seed, Path(folder))
    totals = summary(results)
    print(json.dumps(totals, indent=1))
    if args.out:
        args.out.write_text(
            json.dumps({"summary": totals, "photos": [asdict(r) for r in results]}, indent=1)
        )


if __name__ == "__main__":
    main()

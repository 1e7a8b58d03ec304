"""Field extraction benchmark: exact-match rates per field family on generated pieces.

    .venv/bin/python -m bench.fields [--count N] [--scans N] [--id-scans N] [--seed S]

Generates born-digital and scanned pieces (seeds far from the tests' ones), reads
them for real (`read_piece`: text layer or tesseract), extracts, and compares with
the generator's ground truth. Values are compared after normalisation (case,
accents, spacing and punctuation for names; compact form for identifiers).
Also reports the share of ID scans whose MRZ was read with every check digit verified
(over the pieces whose template prints an MRZ).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from fixtures.generator.api import DEFAULT_AS_OF, generate_document
from fixtures.generator.registry import TEMPLATES, template_ids
from pipeline.extract import extract_fields
from pipeline.extract.people import strip_civility
from pipeline.extract.text import fold
from pipeline.fields import IDENTITY_DOC_TYPES, DocType, FieldName
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.settings import Limits

FAMILIES: dict[str, set[FieldName]] = {
    "iban": {FieldName.IBAN},
    "siren_siret": {FieldName.SIREN, FieldName.SIRET},
    "dates": {FieldName.BIRTH_DATE, FieldName.EXPIRY_DATE, FieldName.ISSUE_DATE,
              FieldName.DOCUMENT_DATE},
    "names": {FieldName.LAST_NAME, FieldName.FIRST_NAMES, FieldName.HOLDER_NAME,
              FieldName.ACCOUNT_HOLDER, FieldName.LEGAL_REPRESENTATIVE},
    "other": {FieldName.DOCUMENT_NUMBER, FieldName.FISCAL_NUMBER, FieldName.TAX_REFERENCE,
              FieldName.REFERENCE_INCOME, FieldName.TAX_YEAR, FieldName.BIC,
              FieldName.SCHOOL_YEAR, FieldName.PAY_PERIOD, FieldName.POSTCODE,
              FieldName.COMPANY_NAME, FieldName.EMPLOYER, FieldName.SCHOOL_NAME},
}  # fmt: skip
DOC_TYPES = [t for t in DocType if t not in (DocType.ID_PHOTO, DocType.RESUME, DocType.OTHER)]
ID_TYPES = [t for t in DocType if t in IDENTITY_DOC_TYPES]  # in a fixed order
BASE_SEED = 900_000  # tests use small seeds


def normalise(name: FieldName, value: str) -> str:
    if name in FAMILIES["names"]:
        # An apostrophe joins (ICAO 9303 drops it: "Floc'h" is "FLOCH" in an MRZ).
        joined = re.sub(r"['’]", "", fold(strip_civility(value)))
        return " ".join(re.sub(r"[^a-z]+", " ", joined).split())
    return re.sub(r"[\s.]+", "", fold(value))


def family_of(name: FieldName) -> str | None:
    return next((family for family, names in FAMILIES.items() if name in names), None)


def score_piece(path: Path, truth: dict[str, str], doc_type: DocType, tally: dict) -> object:
    reading = read_piece(path, ReadOptions(limits=Limits(), page_workers=1))
    found = extract_fields(reading, doc_type, as_of=DEFAULT_AS_OF, trust=None)
    for key, expected in truth.items():
        name = FieldName(key)
        family = family_of(name)
        if family is None:
            continue
        got = found.fields.get(name)
        ok = got is not None and normalise(name, got.value) == normalise(name, expected)
        tally[family][0] += ok
        tally[family][1] += 1
        if not ok and tally.get("verbose"):
            print(f"  miss {path.name} {key}: {got.value if got else None!r} != {expected!r}")
    return found


def run(rendering: str, count: int, seed: int, verbose: bool) -> dict:
    tally: dict = defaultdict(lambda: [0, 0])
    if verbose:
        tally["verbose"] = True
    with tempfile.TemporaryDirectory(prefix="justif-bench-fields-") as folder:
        for i in range(count):
            doc_type = DOC_TYPES[i % len(DOC_TYPES)]
            generated = generate_document(
                doc_type, Path(folder), seed=seed + i, rendering=rendering
            )
            for file in generated.files:
                score_piece(Path(folder) / file.path, file.fields, doc_type, tally)
    tally.pop("verbose", None)
    return dict(tally)


def prints_mrz(template_id: str) -> bool:
    """Whether the template draws an MRZ (a residence permit receipt carries none,
    though the generator's ground truth still lists the holder's MRZ)."""
    template_ids()  # loads the registry
    pages = TEMPLATES[template_id].pages
    return any(page.fields is None or FieldName.MRZ in page.fields for page in pages)


def mrz_rate(
    count: int, seed: int, renderings: tuple[str, ...] = ("scan", "photo"), verbose: bool = False
) -> tuple[int, int]:
    verified = total = 0
    with tempfile.TemporaryDirectory(prefix="justif-bench-mrz-") as folder:
        for i in range(count):
            doc_type = ID_TYPES[i % len(ID_TYPES)]
            rendering = renderings[i % len(renderings)]
            generated = generate_document(
                doc_type, Path(folder), seed=seed + i, rendering=rendering
            )
            if not prints_mrz(generated.template_id):
                continue
            for file in generated.files:
                if "mrz" not in file.fields:
                    continue
                reading = read_piece(
                    Path(folder) / file.path, ReadOptions(limits=Limits(), page_workers=1)
                )
                found = extract_fields(reading, doc_type, as_of=DEFAULT_AS_OF, trust=None)
                total += 1
                ok = bool(found.mrz and found.mrz.valid)
                verified += ok
                if verbose and not ok:
                    print(f"  mrz miss {file.path} ({generated.template_id}, {rendering})")
    return verified, total


def table(title: str, tally: dict) -> str:
    rows = [f"| {title} | matched | total | rate |", "|---|---|---|---|"]
    for family in FAMILIES:
        ok, n = tally.get(family, [0, 0])
        rows.append(
            f"| {family} | {ok} | {n} | {ok / n:.1%} |" if n else f"| {family} | 0 | 0 | - |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40, help="born-digital pieces")
    parser.add_argument("--scans", type=int, default=20, help="scanned pieces")
    parser.add_argument("--id-scans", type=int, default=20, help="ID scans/photos for the MRZ rate")
    parser.add_argument("--seed", type=int, default=BASE_SEED)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    print(table("born digital", run("born_digital", args.count, args.seed, args.verbose)))
    print()
    print(table("scan", run("scan", args.scans, args.seed + 10_000, args.verbose)))
    print()
    if args.id_scans:
        verified, total = mrz_rate(args.id_scans, args.seed + 20_000, verbose=args.verbose)
        print(
            f"MRZ verified on ID scans/photos: {verified}/{total} = {verified / max(total, 1):.1%}"
        )
    print(f"seconds: {time.perf_counter() - started:.0f}")
    print(json.dumps({"seed": args.seed}))


if __name__ == "__main__":
    main()

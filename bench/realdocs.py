"""Real-documents benchmark: `justif inspect` on public documents written by other people.

    .venv/bin/python -m bench.realdocs [--root DIR] [--json] [--out FILE] [--results FILE]

Runs `justif inspect --json` as a user runs it (one subprocess of the CLI on every
file at once, the page cache on) over the files listed in the set's MANIFEST.tsv,
whose `true_label` column is the type truth. The set defaults to the
`shared/realdocs` folder beside the repository.

Prints:
- type accuracy on answered pieces, coverage (share answered), the confident
  mistakes (answered and wrong, with file and confidence) and one row per true type;
- per field, how many of the values a person read on the documents were found and
  how many were right (bench/realdocs_expected.tsv, one row per document and field,
  written by eye; `absent` rows count a value the tool must not invent); values
  are compared after the field benchmark's normalisation (case, accents, spacing);
- the fields whose value is a field label ("Nom", "Déclarant", "Nom de l'abonné"),
  over every field the tool reported, expected or not.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench.fields import normalise
from pipeline.extract.text import fold
from pipeline.fields import FieldName

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "realdocs"
EXPECTED = Path(__file__).with_name("realdocs_expected.tsv")
ABSENT = "absent"  # expected value of a field the document does not show

# The bench's own list of label words, kept apart from the product's vocabulary so
# that the count measures the extraction rather than repeating its rules: a value
# whose every word is one of these, or that holds one of the phrases, is a label.
_LABEL_WORDS = frozenset(
    [
        "nom",
        "noms",
        "prenom",
        "prenoms",
        "usage",
        "naissance",
        "date",
        "de",
        "d",
        "du",
        "la",
        "le",
        "l",
        "sexe",
        "nationalite",
        "adresse",
        "declarant",
        "declarants",
        "titulaire",
        "abonne",
        "client",
        "souscripteur",
        "assure",
        "beneficiaire",
        "lieu",
        "surname",
        "given",
        "name",
        "names",
        "alternate",
        "sex",
        "nationality",
        "address",
        "birth",
        "place",
        "of",
        "account",
        "owner",
        "holder",
        "intitule",
        "compte",
        "sn",
        "gn",
    ]
)
_LABEL_PHRASES = (
    "nom d'usage", "nom de naissance", "date de naissance", "lieu de naissance",
    "nom de l'abonne", "nom du titulaire", "given names", "alternate name", "declarant 1",
)  # fmt: skip


def is_label(value: str) -> bool:
    """Whether a field's value reads as a field label rather than a value."""
    folded = fold(value)
    words = re.findall(r"[a-z]+", folded)
    if words and all(w in _LABEL_WORDS for w in words) and any(len(w) > 2 for w in words):
        return True
    return any(phrase in folded for phrase in _LABEL_PHRASES)


@dataclass
class Expectation:
    path: str
    name: FieldName
    value: str
    note: str


@dataclass
class FieldTally:
    expected: int = 0
    found: int = 0
    right: int = 0
    absent: int = 0  # rows saying the field is not on the document
    invented: int = 0  # ... but the tool reported one
    misses: list[str] = field(default_factory=list)


def read_manifest(root: Path) -> list[dict[str, str]]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_expected(path: Path) -> list[Expectation]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if not row["relative_path"] or row["relative_path"].startswith("#"):
                continue
            rows.append(
                Expectation(
                    row["relative_path"], FieldName(row["field"]), row["expected"], row["note"]
                )
            )
    return rows


def run_inspect(root: Path, paths: list[str]) -> list[dict]:
    """One `justif inspect --json` over every file, with this checkout's packages first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "justif.cli", "inspect", "--json"]
    done = subprocess.run(
        [*command, *(str(root / p) for p in paths)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"justif inspect failed (exit {done.returncode})")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def relative(root: Path, file: str) -> str:
    try:
        return Path(file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return file


def score(root: Path, manifest: list[dict[str, str]], results: list[dict], expected) -> dict:
    by_path = {relative(root, r["file"]): r for r in results}
    types: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # total, answered, right
    mistakes = []
    for row in manifest:
        path, truth = row["relative_path"], row["true_label"]
        got = by_path.get(path, {})
        answer = got.get("type")
        tally = types[truth]
        tally[0] += 1
        if answer is None:
            continue
        tally[1] += 1
        tally[2] += answer == truth
        if answer != truth:
            mistakes.append(
                {"file": path, "truth": truth, "type": answer, "confidence": got.get("confidence")}
            )
    total = sum(t[0] for t in types.values())
    answered = sum(t[1] for t in types.values())
    right = sum(t[2] for t in types.values())

    values = {
        path: {k: f["value"] for k, f in r.get("fields", {}).items()} for path, r in by_path.items()
    }
    fields = tally_fields(values, expected)
    labels = [
        {"file": relative(root, r["file"]), "field": name, "value": f["value"]}
        for r in results
        for name, f in r.get("fields", {}).items()
        if is_label(f["value"])
    ]
    return {
        "files": total,
        "answered": answered,
        "right": right,
        "accuracy_on_answered": right / answered if answered else None,
        "coverage": answered / total if total else None,
        "confident_mistakes": mistakes,
        "types": {
            k: dict(zip(("total", "answered", "right"), v, strict=True)) for k, v in types.items()
        },
        "fields": fields,
        "labels_as_values": labels,
    }


def tally_fields(values: dict[str, dict[str, str]], expected: list[Expectation]) -> dict:
    """Found / right / invented counts per field of `values` ({path: {field: value}})."""
    fields: dict[str, FieldTally] = defaultdict(FieldTally)
    for exp in expected:
        got = values.get(exp.path, {}).get(str(exp.name))
        tally = fields[str(exp.name)]
        if exp.value == ABSENT:
            tally.absent += 1
            if got is not None:
                tally.invented += 1
                tally.misses.append(f"{exp.path}: invented {got!r}")
            continue
        tally.expected += 1
        if got is None:
            tally.misses.append(f"{exp.path}: missing (expected {exp.value!r})")
            continue
        tally.found += 1
        if normalise(exp.name, got) == normalise(exp.name, exp.value):
            tally.right += 1
        else:
            tally.misses.append(f"{exp.path}: {got!r} != {exp.value!r}")
    return {k: {**vars(v)} for k, v in sorted(fields.items())}


def fields_with_true_type(root: Path, manifest: list[dict[str, str]], paths: set[str]) -> dict:
    """{path: {field: value}} extracted with each document's true type given, from the
    readings `justif inspect` left in the page cache: extraction alone, whatever the
    classifier answered (a piece whose type is not answered gets no fields in inspect)."""
    from flows import prefect_runtime as runtime
    from pipeline.extract import extract_fields
    from pipeline.fields import DocType
    from pipeline.read.piece import ReadOptions, read_piece

    settings = runtime.settings()
    options = ReadOptions(
        limits=settings.limits, languages=settings.ocr_languages, page_workers=settings.page_workers
    )
    values = {}
    for row in manifest:
        if row["relative_path"] not in paths:
            continue
        reading = read_piece(root / row["relative_path"], options, cache=runtime.store())
        found = extract_fields(
            reading, DocType(row["true_label"]), as_of=date.today(), trust=runtime.trust_list()
        )
        values[row["relative_path"]] = {str(k): f.value for k, f in found.fields.items()}
    return values


def _rate(num: int, den: int) -> str:
    return f"{num / den:.1%}" if den else "-"


def field_table(fields: dict, verbose: bool) -> list[str]:
    out = ["| field | expected | found | right | absent | invented |", "|---|---|---|---|---|---|"]
    totals = [0, 0, 0, 0, 0]
    for name, t in fields.items():
        row = [t["expected"], t["found"], t["right"], t["absent"], t["invented"]]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        out.append(f"| {name} | " + " | ".join(map(str, row)) + " |")
    out.append("| **all** | " + " | ".join(map(str, totals)) + " |")
    out.append(
        f"found {_rate(totals[1], totals[0])}, right {_rate(totals[2], totals[0])} "
        f"of the {totals[0]} values read by eye; {totals[4]}/{totals[3]} absent fields invented"
    )
    if verbose:
        for name, t in fields.items():
            out += [f"  {name} {miss}" for miss in t["misses"]]
    return out


def report(figures: dict, verbose: bool) -> str:
    out = [
        f"files: {figures['files']}  answered: {figures['answered']}  "
        f"coverage: {_rate(figures['answered'], figures['files'])}  "
        f"accuracy on answered: {_rate(figures['right'], figures['answered'])}",
        "",
        "| true type | files | answered | right |",
        "|---|---|---|---|",
    ]
    for name, t in sorted(figures["types"].items()):
        out.append(f"| {name} | {t['total']} | {t['answered']} | {t['right']} |")
    wrong = len(figures["confident_mistakes"])
    share = _rate(wrong, figures["files"])
    out += ["", f"confident mistakes (answered and wrong): {wrong}, {share} of files"]
    for m in figures["confident_mistakes"]:
        out.append(f"  {m['file']}: {m['type']} at {m['confidence']} (truth {m['truth']})")
    out += ["", "fields in `justif inspect` (the classifier's type):"]
    out += field_table(figures["fields"], verbose)
    if "fields_true_type" in figures:
        out += ["", "fields with the true type given (extraction alone):"]
        out += field_table(figures["fields_true_type"], verbose)
    out += ["", f"labels read as values: {len(figures['labels_as_values'])}"]
    for lab in figures["labels_as_values"]:
        out.append(f"  {lab['file']} {lab['field']} = {lab['value']!r}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.realdocs",
        description="Type and field figures of `justif inspect` on real public documents "
        "(MANIFEST.tsv's true_label, and bench/realdocs_expected.tsv for fields).",
    )
    parser.add_argument(
        "--root", type=Path, default=DEFAULT_ROOT, help=f"the realdocs set (default {DEFAULT_ROOT})"
    )
    parser.add_argument("--expected", type=Path, default=EXPECTED, help="expectations file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--out", type=Path, help="also write the printed report to this file")
    parser.add_argument(
        "--results",
        type=Path,
        help="score this saved `justif inspect --json` output instead of running inspect",
    )
    parser.add_argument(
        "--save-results", type=Path, help="write the `justif inspect --json` output to this file"
    )
    parser.add_argument(
        "--no-true-type",
        action="store_true",
        help="skip the field figures with each document's true type given",
    )
    parser.add_argument("--verbose", action="store_true", help="list every field miss")
    args = parser.parse_args()
    root = args.root
    if not (root / "MANIFEST.tsv").is_file():
        raise SystemExit(f"no MANIFEST.tsv in {root}")
    manifest = read_manifest(root)
    started = time.perf_counter()
    if args.results:
        results = [json.loads(x) for x in args.results.read_text().splitlines() if x.strip()]
    else:
        results = run_inspect(root, [row["relative_path"] for row in manifest])
        if args.save_results:
            lines = (json.dumps(r, ensure_ascii=False) for r in results)
            args.save_results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = read_expected(args.expected)
    figures = score(root, manifest, results, expected)
    if not args.no_true_type:
        values = fields_with_true_type(root, manifest, {e.path for e in expected})
        figures["fields_true_type"] = tally_fields(values, expected)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    text = (
        json.dumps(figures, ensure_ascii=False, indent=2)
        if args.json
        else report(figures, args.verbose) + f"\nseconds: {figures['seconds']}"
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

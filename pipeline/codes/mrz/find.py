"""Find the MRZ in a page's text: groups of MRZ-looking lines parsed, the best kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.codes.mrz.formats import group_length, guess_format
from pipeline.codes.mrz.lines import MrzLineTest, mrz_line
from pipeline.codes.mrz.parse import parse_mrz
from pipeline.codes.mrz.reading import MrzReading
from pipeline.types import Box, PageReading


@dataclass(frozen=True)
class MrzCandidate:
    lines: list[str]
    first_line_index: int  # index in the text's lines, for locating it


def find_mrz_candidates(text: str) -> list[MrzCandidate]:
    """Groups of consecutive MRZ-looking lines with the same nominal length and a valid count.

    Blank lines are skipped: OCR often leaves them between MRZ lines.
    """
    found: list[MrzCandidate] = []
    run: list[tuple[int, str]] = []
    for index, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        cleaned = mrz_line(raw, MrzLineTest.REPAIRABLE)
        if cleaned is not None and run and group_length([run[-1][1], cleaned]) is not None:
            run.append((index, cleaned))
            continue
        found.extend(_candidates_in_run(run))
        run = [(index, cleaned)] if cleaned is not None else []
    found.extend(_candidates_in_run(run))
    return found


def _candidates_in_run(run: list[tuple[int, str]]) -> list[MrzCandidate]:
    """The last 2 or 3 lines of a run (an MRZ ends its block) that form a known layout."""
    found = []
    for count in (3, 2):
        tail = run[-count:]
        if len(tail) == count and guess_format([line for _, line in tail]) is not None:
            found.append(
                MrzCandidate(lines=[line for _, line in tail], first_line_index=tail[0][0])
            )
    return found


def find_mrz(text: str, *, as_of: date) -> MrzReading | None:
    """The best MRZ in a page's text: valid ones first, then the one with most passing checks."""
    readings = []
    for candidate in find_mrz_candidates(text):
        try:
            readings.append(parse_mrz(candidate.lines, as_of=as_of))
        except ValueError:
            continue
    if not readings:
        return None
    return max(readings, key=lambda r: (r.valid, sum(r.checks.values())))


def mrz_box(page: PageReading) -> Box | None:
    """Union of the boxes of the page's words that look like MRZ fragments (fillers inside)."""
    boxes = [w.box for w in page.words if mrz_line(w.text, MrzLineTest.EVIDENCE) is not None]
    if not boxes:
        return None
    return Box(
        x0=min(b.x0 for b in boxes),
        y0=min(b.y0 for b in boxes),
        x1=max(b.x1 for b in boxes),
        y1=max(b.y1 for b in boxes),
    )

"""MRZ and 2D-Doc: machine-readable values that override the printed ones when trusted."""

from __future__ import annotations

import logging
import re
from datetime import date

from pydantic import BaseModel, Field

from pipeline.codes.mrz.band import combine_readings
from pipeline.codes.mrz.find import find_mrz, mrz_box
from pipeline.codes.mrz.formats import MrzFormat
from pipeline.codes.mrz.parse import corrected_fields
from pipeline.codes.mrz.reading import MrzReading
from pipeline.codes.twoddoc.crosscheck import Mismatch, cross_check
from pipeline.codes.twoddoc.decode import parse_twoddoc
from pipeline.codes.twoddoc.payload import InvalidTwoDDoc, SignatureStatus, TwoDDoc
from pipeline.codes.twoddoc.trust import TrustList
from pipeline.extract.dates import find_dates
from pipeline.extract.people import USAGE_WORD
from pipeline.extract.text import fold
from pipeline.fields import ExtractedField, FieldName
from pipeline.types import PageReading, PieceReading, TextSource

log = logging.getLogger(__name__)

# Printed names keep their accents: when the MRZ (which has none) agrees, the printed
# spelling stays, confirmed; when it disagrees, the MRZ wins.
_NAME_FIELDS = frozenset({FieldName.LAST_NAME, FieldName.FIRST_NAMES})
# The MRZ's issuing state ("FRA") is not the printed issuing authority.
_PRINTED_FIRST = frozenset({FieldName.ISSUER})
# The old French card's MRZ only gives the issue month and a derived expiry.
_ESTIMATED = frozenset({FieldName.ISSUE_DATE, FieldName.EXPIRY_DATE})


class TwoDDocFinding(BaseModel):
    page: int
    document: TwoDDoc | None = None  # None when the payload could not be parsed
    error_code: str | None = None
    mismatches: list[Mismatch] = Field(default_factory=list)

    @property
    def signature_valid(self) -> bool:
        return self.document is not None and self.document.signature is SignatureStatus.VALID


def _mrz_of_page(page: PageReading, as_of: date) -> MrzReading | None:
    texts = [page.text]
    if page.signals and page.signals.mrz_lines:
        texts.insert(0, "\n".join(page.signals.mrz_lines))
    readings = [r for text in texts if (r := find_mrz(text, as_of=as_of)) is not None]
    best = max(readings, key=_score, default=None)
    if best is not None and (not best.valid or best.corrections) and len(readings) > 1:
        # The page OCR and the band re-read misread different lines: the check
        # digits tell which assembly of their lines is right.
        combined = combine_readings(readings, as_of)
        if combined is not None and _score(combined) > _score(best):
            return combined
    return best


def _score(reading: MrzReading) -> tuple[bool, int, int]:
    return reading.valid, sum(reading.checks.values()), -reading.corrections


def read_mrz(reading: PieceReading, *, as_of: date) -> tuple[MrzReading, PageReading] | None:
    """The best MRZ of the piece and its page."""
    found = [(mrz, page) for page in reading.pages if (mrz := _mrz_of_page(page, as_of))]
    if not found:
        return None
    return max(found, key=lambda item: _score(item[0]))


def _name_zone_full(mrz: MrzReading, name: FieldName) -> bool:
    """Whether the MRZ zone holding `name` is filled to its end (the name may be cut)."""
    lines = mrz.lines
    if mrz.format is MrzFormat.FR_CNI_OLD:
        zone = lines[0][5:30] if name is FieldName.LAST_NAME else lines[1][13:27]
    elif mrz.format is MrzFormat.TD1:
        zone = lines[2]
    else:
        zone = lines[0][5:]
    return bool(zone) and not zone.endswith("<")


def _same_name(printed: str, machine: str, *, cut: bool = False) -> bool:
    def simple(text: str) -> str:
        # "L'HÔTE" is "LHOTE" in an MRZ, "Jean-Marc" is "JEAN<MARC": letters alone compare.
        return re.sub(r"[^a-z]+", "", fold(text))

    # An MRZ name zone has a fixed width: long names are cut ("BENOIT EMMANUE"),
    # so when the zone is full, a printed name that the MRZ starts is the same name.
    full, short = simple(printed), simple(machine)
    # No check digit covers the names: a '<' after a name read as 'K' ("GERARDK")
    # is a misread the printed name settles.
    filler_as_k = short.endswith("k") and short[:-1] == full
    return full == short or filler_as_k or (cut and len(short) >= 4 and full.startswith(short))


def _starts_with_names(printed: ExtractedField, machine: ExtractedField) -> bool:
    """Whether the printed given names begin with all the MRZ's, whole names only.

    A name zone too short for every given name keeps the first ones (the old French
    card drops those that do not fit): "PIERRE LOUIS" for "Pierre-Louis, Benoît".
    "JEAN" is not "Jeanne": names compare whole.
    """
    printed_names = re.findall(r"[a-z]+", fold(printed.value))
    machine_names = re.findall(r"[a-z]+", fold(machine.value))
    return bool(machine_names) and printed_names[: len(machine_names)] == machine_names


def _estimated(mrz: MrzReading, name: FieldName) -> bool:
    return mrz.format is MrzFormat.FR_CNI_OLD and name in _ESTIMATED


def _printed_day_of(estimate: ExtractedField, page: PageReading) -> ExtractedField | None:
    """The old card's expiry as printed, when its label was not read: the one date of the
    page in the month the MRZ derives (it knows the month, not the day). It keeps the
    estimate's confidence: the month is check-digit verified, and the day read by the
    OCR can only move the expiry within that month.
    """
    month = date.fromisoformat(estimate.value).replace(day=1)
    days = {
        found.day
        for line in page.text.splitlines()
        for found in find_dates(fold(line), compact=True)
        if found.day.replace(day=1) == month
    }
    if len(days) != 1:
        return None
    evidence = estimate.evidence.model_copy(update={"source": TextSource.OCR})
    return estimate.model_copy(update={"value": days.pop().isoformat(), "evidence": evidence})


def _is_birth_name(
    fields: dict[FieldName, ExtractedField], surname: ExtractedField, mrz: MrzReading
) -> bool:
    """Whether the MRZ surname is the printed birth name, beside another (usage) last name."""
    birth = fields.get(FieldName.BIRTH_NAME)
    cut = _name_zone_full(mrz, FieldName.LAST_NAME)
    return birth is not None and _same_name(birth.value, surname.value, cut=cut)


_USAGE_MARKER = rf"(?:{USAGE_WORD}|nom d['’]usage\s*:?)"


def _printed_as_usage_name(text: str, name: str) -> bool:
    """Whether the page prints `name` right after a usage marker ("ép. DUMAS")."""
    pattern = rf"(?i)(?<!\w){_USAGE_MARKER}\s*{re.escape(name)}(?!\w)"
    return re.search(pattern, text) is not None


def apply_mrz(fields: dict[FieldName, ExtractedField], mrz: MrzReading, page: PageReading) -> None:
    """Merge MRZ values into `fields`: they win only when every check digit passes."""
    for found in mrz.to_fields(page=page.n, box=mrz_box(page)):
        printed = fields.get(found.name)
        if found.name is FieldName.MRZ:
            fields[found.name] = found
        elif not mrz.valid:
            # A failed check digit means some characters are misread, and which ones is
            # unknown: none of its values is worth more than nothing.
            continue
        elif found.name is FieldName.ISSUE_DATE and _estimated(mrz, found.name):
            continue  # the old card's MRZ only knows the issue month
        elif printed is None and _estimated(mrz, found.name):
            fields[found.name] = _printed_day_of(found, page) or found
        elif printed is None:
            fields[found.name] = found
        elif found.name in _PRINTED_FIRST or _estimated(mrz, found.name):
            continue
        elif found.name is FieldName.LAST_NAME and _is_birth_name(fields, found, mrz):
            # "MARTIN ép. DUMAS": the MRZ carries the birth name, the printed usage
            # name is the one the holder goes by; the MRZ confirms the birth name.
            birth = fields[FieldName.BIRTH_NAME]
            confirmed = birth.evidence.model_copy(update={"confidence": 1.0})
            fields[FieldName.BIRTH_NAME] = birth.model_copy(update={"evidence": confirmed})
        elif found.name in _NAME_FIELDS and (
            _same_name(printed.value, found.value, cut=_name_zone_full(mrz, found.name))
            or (found.name is FieldName.FIRST_NAMES and _starts_with_names(printed, found))
        ):
            confirmed = printed.evidence.model_copy(update={"confidence": 1.0})
            fields[found.name] = printed.model_copy(update={"evidence": confirmed})
        elif found.name is FieldName.LAST_NAME and (
            FieldName.BIRTH_NAME in fields or _printed_as_usage_name(page.text, printed.value)
        ):
            # A usage name is printed ("ép. DUMAS") and the birth name beside it is lost
            # or does not read as the MRZ surname: the MRZ (of French documents) carries
            # the birth name, so it is the birth name, and the usage name stays.
            fields[FieldName.BIRTH_NAME] = found.model_copy(update={"name": FieldName.BIRTH_NAME})
        elif mrz.corrections and printed.value == found.value:
            # A corrected MRZ value the printed text also shows: two independent reads agree.
            confirmed = found.evidence.model_copy(update={"confidence": 1.0})
            fields[found.name] = found.model_copy(update={"evidence": confirmed})
        else:
            fields[found.name] = found


def corrections_confirmed(
    printed: dict[FieldName, ExtractedField], mrz: MrzReading, *, as_of: date
) -> bool:
    """Whether every value a look-alike correction of `mrz` changed is printed, the
    same, among the fields read on the page (`printed`, before the MRZ merge).

    A correction passes the check digits by chance about once in a hundred; an
    independent read of the same value rules that out. A correction that changed
    no value (a check digit read as its look-alike) has nothing to be confirmed by.
    """
    changed = corrected_fields(mrz, as_of=as_of)
    if not mrz.valid or not changed:
        return False
    machine = {found.name: found.value for found in mrz.to_fields()}
    return all(name in printed and printed[name].value == machine[name] for name in changed)


def apply_twoddocs(
    fields: dict[FieldName, ExtractedField], reading: PieceReading, trust: TrustList | None
) -> list[TwoDDocFinding]:
    """Parse every 2D-Doc of the piece, cross-check it with its page, and let signed values win."""
    findings = []
    for page in reading.pages:
        for payload in page.signals.datamatrix if page.signals else []:
            try:
                document = parse_twoddoc(payload, trust)
            except InvalidTwoDDoc as error:
                log.info("2D-Doc on page %d not parsed: %s", page.n, error.code)
                findings.append(TwoDDocFinding(page=page.n, error_code=error.code))
                continue
            finding = TwoDDocFinding(
                page=page.n, document=document, mismatches=cross_check(document, page.text)
            )
            findings.append(finding)
            if finding.signature_valid:
                for signed in document.to_fields(page=page.n):
                    fields[signed.name] = signed
    return findings


__all__ = [
    "TwoDDocFinding",
    "apply_mrz",
    "apply_twoddocs",
    "corrections_confirmed",
    "read_mrz",
]

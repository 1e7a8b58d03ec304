"""Payslips: employee, employer, SIRET, pay period, net pay."""

from __future__ import annotations

import re

from pipeline.extract.company import company_numbers
from pipeline.extract.dates import find_dates, find_month
from pipeline.extract.household import person_fields
from pipeline.extract.people import CIVILITY, cut_at_column_gap
from pipeline.extract.text import DocText, Hit, Line, label_pattern, labelled_values, make_field
from pipeline.fields import ExtractedField, FieldName

PERIOD_LABELS = label_pattern(
    r"periode(?: de paie)?(?: du)?",
    r"mois(?: de paie)?",
    r"paie du",
    r"bulletin de (?:paie|salaire)(?: du mois)?(?: de)?",
)
NET_LABELS = label_pattern(
    r"net a payer(?: au salarie)?(?! avant)", r"net paye", r"net verse", r"salaire net"
)
EMPLOYER_LABELS = label_pattern(
    r"employeur", r"raison sociale", r"entreprise", r"etablissement", r"societe"
)
AMOUNT = re.compile(r"(-?\d{1,3}(?:[ \u00a0\u202f■.]\d{3})*|\d+),(\d{2})")
_LEGAL_FORM = re.compile(r"\b(?:SAS|SASU|SARL|EURL|SA|SCI|SNC|SCOP|SELARL|ASSOCIATION|GROUPE)\b")


def _period(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, PERIOD_LABELS):
        from pipeline.extract.text import fold

        folded = fold(text)
        dates = find_dates(folded)
        if dates:
            day = dates[0].day
            raw = text[dates[0].start : dates[0].end]
            return make_field(FieldName.PAY_PERIOD, f"{day.year}-{day.month:02d}", Hit(line, raw))
        month = find_month(folded)
        if month:
            return make_field(
                FieldName.PAY_PERIOD, f"{month[0]}-{month[1]:02d}", Hit(line, text.strip())
            )
    return None


def _net_pay(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, NET_LABELS):
        found = AMOUNT.search(text)
        if found:
            euros = re.sub(r"\D", "", found[1])
            return make_field(FieldName.NET_PAY, f"{int(euros)}.{found[2]}", Hit(line, found[0]))
    return None


def _employer_name(line: Line, text: str) -> str:
    """The employer part of a text: up to a column gap (the title or the employee's block
    beside it in the header) or a civility (the employee)."""
    name = cut_at_column_gap(line, text.strip(" :"))
    civility = CIVILITY.search(name)
    return (name[: civility.start()] if civility else name).strip(" :,")


def _employer(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, EMPLOYER_LABELS):
        if _LEGAL_FORM.search(text):
            name = _employer_name(line, text)
            return make_field(FieldName.EMPLOYER, name, Hit(line, name))
    # Employers head the payslip: the first line with a legal form near the top.
    for line in doc.lines[:8]:
        if _LEGAL_FORM.search(line.text) and len(line.text) <= 80:
            name = _employer_name(line, line.text)
            return make_field(FieldName.EMPLOYER, name, Hit(line, name))
    return None


def extract_payslip(doc: DocText) -> list[ExtractedField]:
    fields = person_fields(doc)
    numbers = [f for f in company_numbers(doc) if f.name is FieldName.SIRET]
    found = [_period(doc), _net_pay(doc), _employer(doc)]
    return fields + numbers + [f for f in found if f is not None]

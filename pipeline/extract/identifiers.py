"""Identifiers with checksums: IBAN, BIC, SIREN, SIRET, numéro fiscal; French postcodes.

Validation is python-stdnum's. OCR confusions (O/0, I/1, S/5, B/8...) are undone
only where the format says a digit must stand, and a repaired value is kept only
if its checksum passes; otherwise the value is returned as read, flagged invalid,
so that the rules can tell the citizen the number is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.fr import nif as stdnum_nif
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

_TO_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "o": "0", "I": "1", "L": "1", "l": "1", "i": "1", "|": "1",
     "Z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "b": "6", "T": "7", "A": "4"}
)  # fmt: skip

# IBAN lengths of the countries a French administration most often sees.
IBAN_LENGTHS = {
    "FR": 27, "MC": 27, "IT": 27, "DE": 22, "BE": 16, "ES": 24, "LU": 20, "CH": 21,
    "GB": 22, "NL": 18, "PT": 25, "AT": 20, "IE": 22, "PL": 28, "RO": 24, "MA": 28,
}  # fmt: skip
IBAN_MAX = 34
# Country code, check digits, then groups of characters separated by single spaces.
# Inside a group, OCR reads a smudged or cut character as a bracket or a bar
# ("FR76 300) 2332"): such a mark stands for one unknown character.
IBAN_START = re.compile(
    r"(?<![A-Z0-9])([A-Z]{2})\s?([0-9OIlSB]{2})((?:\s?(?:[A-Z0-9]|[()\[\]{}|!](?=\s?[A-Z0-9]))){8,40})"
)
_UNKNOWN_MARKS = re.compile(r"[()\[\]{}|!]")
UNKNOWN_CHAR = "?"
# Every IBAN holds a long run of digits (a French one 23 of 27 characters, a British
# one 18 of 22): a line of capitals ("THIBAULT ELECTRICITE", its "IB" read as check
# digits) is no IBAN.
_IBAN_MIN_DIGITS = 10
BIC_PATTERN = re.compile(r"(?<![A-Z0-9])([A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![A-Z0-9])")
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9OIlSB](?:[ \u00a0\u202f.]?[0-9OIlSB]){8,16}(?![0-9])")


@dataclass(frozen=True)
class Identifier:
    value: str  # compact, normalised
    raw: str  # as read
    valid: bool


def digits_only(text: str) -> str:
    return re.sub(r"\D", "", text)


def to_digits(text: str) -> str:
    """OCR look-alikes turned into digits, everything else but digits dropped."""
    return digits_only(text.translate(_TO_DIGIT))


# --- IBAN ---------------------------------------------------------------------


def _iban_candidates(compact: str) -> list[str]:
    """The value read, then with look-alikes fixed where French BBANs carry digits."""
    fixed_key = compact[:2] + compact[2:4].translate(_TO_DIGIT) + compact[4:]
    candidates = [compact, fixed_key]
    if compact[:2] in ("FR", "MC") and len(compact) == 27:
        # Bank and branch codes (5 + 5) and the RIB key (2) are digits; accounts may hold letters.
        bban = fixed_key[4:]
        digits = bban[:10].translate(_TO_DIGIT) + bban[10:21] + bban[21:].translate(_TO_DIGIT)
        candidates.append(fixed_key[:4] + digits)
        candidates.append(
            fixed_key[:4] + digits[:10] + digits[10:21].translate(_TO_DIGIT) + digits[21:]
        )
    return list(dict.fromkeys(candidates))


def _iban_match(text: str) -> re.Match[str] | None:
    """The first run of `text` shaped like an IBAN and holding enough digits to be one."""
    for match in IBAN_START.finditer(text.upper()):
        if sum(c.isdigit() for c in match[0]) >= _IBAN_MIN_DIGITS:
            return match
    return None


def parse_iban(text: str) -> Identifier | None:
    """The first IBAN-looking run in `text` (upper case expected), validated and repaired.

    A character read as a bracket or a bar is kept as `UNKNOWN_CHAR`: the value
    then fails its key, and only the RIB table may settle it (`iban_from_rib_row`).
    """
    match = _iban_match(text)
    if not match:
        return None
    country = match[1]
    body = _UNKNOWN_MARKS.sub(UNKNOWN_CHAR, re.sub(r"\s", "", match[3]))
    length = IBAN_LENGTHS.get(country)
    compact = (country + match[2] + body)[: length or IBAN_MAX]
    if length and len(compact) < length:
        return Identifier(compact, match[0].strip(), False)
    for candidate in _iban_candidates(compact):
        if stdnum_iban.is_valid(candidate):
            return Identifier(candidate, match[0].strip(), True)
    if length is None:
        # Unknown country: find the longest prefix that is a valid IBAN.
        for end in range(len(compact), 14, -1):
            if stdnum_iban.is_valid(compact[:end]):
                return Identifier(compact[:end], match[0].strip(), True)
    return Identifier(compact, match[0].strip(), False)


# A French RIB prints its BBAN as a table besides the IBAN: bank code (5 digits),
# branch code (5), account number (11, letters allowed), RIB key (2), under
# labels that a row may also carry inline ("Banque 40618 Guichet 09947 ...").
_RIB_ROW_LABELS = re.compile(
    r"(?i)(?<!\S)(?:code|banque|guichet|n°|no|num[ée]ro|de|du|compte|cl[ée]|rib)(?!\S)|:"
)
_RIB_ROW = re.compile(
    r"(?<![0-9A-Z])([0-9OIlSB]{5})\s+([0-9OIlSB]{5})\s+([0-9A-Z]{11})(?:\s+([0-9OIlSB]{2}))?"
    r"(?![0-9A-Z])"
)
# RIB key weights: 97 - (89 * bank + 15 * branch + 3 * account) mod 97, letters of the
# account number standing for digits (A, J -> 1; B, K, S -> 2; ...).
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
# The read IBAN and the one rebuilt from the table must still look alike: at most
# this share of its characters misread or lost.
_REBUILT_MAX_EDIT_SHARE = 1 / 3


@dataclass(frozen=True)
class RibRow:
    bank: str
    branch: str
    account: str
    key: str | None  # None when the key column was not read


def parse_rib_row(text: str) -> RibRow | None:
    """The bank, branch, account and key columns of a French RIB table row."""
    unlabelled = " ".join(_RIB_ROW_LABELS.sub(" ", text).split())
    match = _RIB_ROW.search(unlabelled)
    if not match:
        return None
    key = match[4].translate(_TO_DIGIT) if match[4] else None
    return RibRow(match[1].translate(_TO_DIGIT), match[2].translate(_TO_DIGIT), match[3], key)


def rib_key_valid(row: RibRow, key: str) -> bool:
    letters_as_digits = row.account.translate(_RIB_LETTERS)
    if not letters_as_digits.isdigit():
        return False
    account = int(letters_as_digits)
    return (89 * int(row.bank) + 15 * int(row.branch) + 3 * account + int(key)) % 97 == 0


def iban_from_rib_row(read: Identifier, row: RibRow) -> Identifier | None:
    """A French IBAN whose line was misread, rebuilt from the RIB table of the same page.

    Every character comes from the page: the country and check digits from the
    IBAN line, the BBAN from the table, the key from the table or else from the
    IBAN line's end. It is kept only if both independent keys agree with the
    table (the IBAN's mod-97 check digits and the RIB key), so a misread table
    fails as a misread IBAN would; and only if it still looks like the line read.
    """
    country, check = read.value[:2], read.value[2:4].translate(_TO_DIGIT)
    if country not in ("FR", "MC") or not check.isdigit() or _well_formed_french(read.value):
        return None
    tail = read.value[-2:].translate(_TO_DIGIT)
    for key in dict.fromkeys(k for k in (row.key, tail) if k and k.isdigit()):
        rebuilt = f"{country}{check}{row.bank}{row.branch}{row.account}{key}"
        if not (stdnum_iban.is_valid(rebuilt) and rib_key_valid(row, key)):
            continue
        if Levenshtein.distance(read.value, rebuilt) <= len(rebuilt) * _REBUILT_MAX_EDIT_SHARE:
            return Identifier(rebuilt, read.raw, True)
    return None


def iban_of_rib_row(row: RibRow) -> Identifier | None:
    """The French IBAN a RIB table row stands for, when its own RIB key checks it.

    A French IBAN is "FR", two check digits computed from the BBAN, and the BBAN
    (bank, branch, account, key): the table holds all of it. The RIB key is a
    mod-97 check of its own, as strong as the IBAN's, so a misread row fails it.
    """
    if row.key is None or not rib_key_valid(row, row.key):
        return None
    bban = f"{row.bank}{row.branch}{row.account}{row.key}"
    iban = f"FR{stdnum_iban.calc_check_digits('FR00' + bban)}{bban}"
    return Identifier(iban, f"{row.bank} {row.branch} {row.account} {row.key}", True)


def _well_formed_french(compact: str) -> bool:
    """27 characters with digits where a French IBAN has them: a number that fails its key
    although nothing in its form betrays a misreading may be a wrong number, which no
    other part of the page may overrule."""
    digits_at = compact[2:14] + compact[-2:]
    return len(compact) == 27 and digits_at.isdigit()


def parse_bic(text: str) -> Identifier | None:
    for match in BIC_PATTERN.finditer(text.upper()):
        value = match[1]
        if stdnum_bic.is_valid(value) and not value.startswith("IBAN"):
            return Identifier(value, match[0], True)
    return None


# --- SIREN / SIRET --------------------------------------------------------------


def parse_company_number(text: str) -> Identifier | None:
    """A SIRET (14 digits) or SIREN (9 digits) in `text`, spaces and dots allowed."""
    for match in DIGIT_RUN.finditer(text):
        digits = to_digits(match[0])
        if len(digits) >= 14:
            digits = digits[:14]
            return Identifier(digits, match[0], stdnum_siret.is_valid(digits))
        if len(digits) == 9:
            return Identifier(digits, match[0], stdnum_siren.is_valid(digits))
    return None


def siren_of(siret: Identifier) -> Identifier:
    siren = siret.value[:9]
    return Identifier(siren, siret.raw, stdnum_siren.is_valid(siren))


# --- tax ------------------------------------------------------------------------


def parse_fiscal_number(text: str) -> Identifier | None:
    """Numéro fiscal: 13 digits, first one 0-3, with stdnum's check."""
    # OCR look-alikes (O, I, l, S, B) are read as digits: the number's key checks them.
    for match in re.finditer(r"(?<![0-9A-Za-z])[0-9OIlSB](?:\s?[0-9OIlSB]){12}(?![0-9])", text):
        digits = to_digits(match[0])
        if len(digits) == 13:
            return Identifier(digits, match[0], stdnum_nif.is_valid(digits))
    return None


def parse_tax_reference(text: str) -> Identifier | None:
    """Référence de l'avis: 13 characters, digits with a letter in 5th position, spaces allowed."""
    compact = re.sub(r"\s", "", text.upper())
    match = re.search(r"(?<![0-9A-Z])([0-9]{4}[A-Z0-9][0-9]{8})(?![0-9A-Z])", compact)
    if match:
        return Identifier(match[1], match[1], True)
    return None


# --- postcode -------------------------------------------------------------------

POSTCODE_CITY = re.compile(
    r"(?<![0-9])((?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3})\s+"
    r"([A-ZÀ-Ýa-zà-ÿ][A-Za-zÀ-ÿ' \-]+?)\s*(?:cedex[^,]*)?(?=\s*(?:,|\.?\s*$))",
    re.IGNORECASE,
)


_VALIDATORS = {
    "iban": stdnum_iban.is_valid,
    "bic": stdnum_bic.is_valid,
    "siren": stdnum_siren.is_valid,
    "siret": stdnum_siret.is_valid,
    "fiscal_number": stdnum_nif.is_valid,
}


def is_valid_identifier(name: str, value: str) -> bool | None:
    """Checksum verdict for identifier fields; None for fields without a checksum."""
    validator = _VALIDATORS.get(str(name))
    return None if validator is None else bool(validator(value))

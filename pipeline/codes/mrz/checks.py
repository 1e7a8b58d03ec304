"""ICAO 9303 check digits: the value of each MRZ character and the weighted sum modulo 10."""

from __future__ import annotations

MRZ_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def _char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def check_digit(text: str) -> int:
    """ICAO 9303 check digit: weights 7, 3, 1 repeated, sum modulo 10."""
    weights = (7, 3, 1)
    return sum(_char_value(c) * weights[i % 3] for i, c in enumerate(text)) % 10


def check_passes(text: str, digit: str) -> bool:
    # An empty optional field may carry '<' as its check digit (ICAO 9303-3 §4.9).
    if digit == "<":
        return set(text) <= {"<"}
    return digit.isdigit() and check_digit(text) == int(digit)

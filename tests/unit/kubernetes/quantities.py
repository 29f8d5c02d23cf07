"""Kubernetes resource quantities as numbers, for the tests that add them up."""

from __future__ import annotations

import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def cpu(quantity: str | int) -> float:
    """Cores: ``"250m"`` -> 0.25, ``"2"`` -> 2.0."""
    text = str(quantity)
    if text.endswith("m"):
        return int(text[:-1]) / 1000
    return float(text)


def size(quantity: str | int) -> int:
    """Bytes of a memory or storage quantity (``"512Mi"``, ``"50Gi"``, ``"1G"``)."""
    match = re.fullmatch(r"(\d+)([KMGT]i|[kMGT]?)", str(quantity))
    assert match, f"unexpected quantity {quantity!r}"
    number, unit = match.groups()
    return int(number) * (_BINARY.get(unit) or _DECIMAL[unit])


def flag_size(value: str) -> int:
    """Bytes of a VictoriaMetrics-style size flag (``"8GiB"``, ``"500MB"``)."""
    match = re.fullmatch(r"(\d+)([KMGT]i?)B", value)
    assert match, f"unexpected size {value!r}"
    number, unit = match.groups()
    scale = _BINARY[unit] if unit.endswith("i") else _DECIMAL[unit]
    return int(number) * scale

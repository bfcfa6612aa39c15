"""Vietnamese agenda numbering, computed from the order and never stored.

Top-level items are numbered with Roman numerals (I, II, III, ...) and their sub-items with
Arabic numerals restarting under each (1, 2, 3, ...), as on printed Vietnamese agendas. An
item's `label` names it without ambiguity on its own ("II", "II.1"): the current-item banner
and the log use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def roman(number: int) -> str:
    """1 → "I", 14 → "XIV" (an agenda holds at most a few hundred items)."""
    if number < 1:
        raise ValueError("Roman numerals start at 1")
    digits = []
    for value, symbol in _ROMAN:
        count, number = divmod(number, value)
        digits.append(symbol * count)
    return "".join(digits)


class Numbered(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def parent_id(self) -> int | None: ...


@dataclass(frozen=True)
class Number:
    number: str  # as printed in the list: "II" for a top-level item, "1" for a sub-item
    label: str  # unambiguous on its own: "II", "II.1"
    depth: int  # 0 top-level, 1 sub-item


def number_items(items: Iterable[Numbered]) -> dict[int, Number]:
    """Numbers for items given in agenda order (a parent before its sub-items)."""
    numbers: dict[int, Number] = {}
    top = 0
    children: dict[int, int] = {}
    for item in items:
        assert item.id is not None
        if item.parent_id is None or item.parent_id not in numbers:
            top += 1
            numbers[item.id] = Number(roman(top), roman(top), 0)
        else:
            count = children.get(item.parent_id, 0) + 1
            children[item.parent_id] = count
            parent = numbers[item.parent_id]
            numbers[item.id] = Number(str(count), f"{parent.label}.{count}", 1)
    return numbers

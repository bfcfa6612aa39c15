"""Text rules shared by every schema: Vietnamese is stored and compared in Unicode NFC."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """For search: lower case, no diacritics, đ as d (people type "hop" for "Họp")."""
    decomposed = unicodedata.normalize("NFD", value.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("đ", "d").split())


def _no_control_chars(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise ValueError("không được chứa ký tự điều khiển")
    return value


RequiredText = Annotated[
    str, AfterValidator(nfc), AfterValidator(_no_control_chars), StringConstraints(min_length=1)
]
OptionalText = Annotated[str, AfterValidator(nfc), AfterValidator(_no_control_chars)]


# Database ids: positive and within PostgreSQL's `integer` (the id columns' type; SQLite's
# are wider). A larger id names nothing; sent to PostgreSQL it would be a driver error.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

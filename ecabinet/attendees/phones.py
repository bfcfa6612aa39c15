"""Vietnamese phone numbers to E.164, with the 2018 renumbering of 11-digit mobiles."""

from __future__ import annotations

import phonenumbers

from ecabinet.errors import Invalid

# Mobile prefixes retired in 2018 (016x → 03x, 012x → 07x/08x, ...), still on old lists.
_OLD_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039", "0120": "070", "0121": "079", "0122": "077", "0126": "076",
    "0128": "078", "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip


def normalise_phone(raw: str) -> str:
    """Return E.164 (`+84...`) or "" for an empty input; raise Invalid otherwise."""
    digits = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if not digits:
        return ""
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if len(digits) == 11 and digits[:4] in _OLD_MOBILE_PREFIXES:
        digits = _OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    try:
        number = phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException:
        raise Invalid("Số điện thoại không hợp lệ.", code="phone_invalid", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid("Số điện thoại không hợp lệ.", code="phone_invalid", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Whether an E.164 number can receive SMS (a mobile, not a desk phone)."""
    if e164.startswith("+84"):  # fast path for 50,000 delegates: VN mobiles are 0[35789]x
        return len(e164) == 12 and e164[3] in "35789"
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def normalise_or_none(raw: str) -> str | None:
    """E.164, or None for anything that is not a valid number (a reply's sender)."""
    try:
        return normalise_phone(raw) or None
    except Invalid:
        return None

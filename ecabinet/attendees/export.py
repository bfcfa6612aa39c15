"""The attendee list as an XLSX workbook, written as people read it (0912 345 001)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import phonenumbers

from ecabinet.attendees.models import ROLE_LABELS, AttendeeRole
from ecabinet.attendees.service import AttendeeView

HEADINGS = ("STT", "Họ và tên", "Chức vụ", "Đơn vị", "Số điện thoại", "Vai trò")


def national(phone: str) -> str:
    """+84912345001 → 0912 345 001 (how people here read a number)."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV/XLSX injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def attendees_xlsx(attendees: Sequence[AttendeeView], *, title: str) -> bytes:
    """One sheet: a title row, the headings, a row per attendee. Phones only when the views
    carry them (those who may contact attendees)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    with_phones = any(a.phone is not None for a in attendees)
    headings = [h for h in HEADINGS if with_phones or h != "Số điện thoại"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Đại biểu")
    sheet.append([_cell(title)])
    sheet.append(headings)
    for number, attendee in enumerate(attendees, start=1):
        row: list[object] = [number, _cell(attendee.full_name), _cell(attendee.position)]
        row.append(_cell(attendee.unit))
        if with_phones:
            row.append(national(attendee.phone or ""))
        row.append(ROLE_LABELS.get(AttendeeRole(attendee.role), attendee.role))
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

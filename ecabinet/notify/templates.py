"""The wording of each kind of SMS: Vietnamese defaults, a secretary's edits, and rendering.

Fields are written {name}; only the names below exist (a template is text a secretary types,
so it is never given to str.format, which would reach into attributes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ecabinet.errors import Invalid
from ecabinet.notify.models import SmsKind

FIELDS: dict[str, str] = {
    "ten": "Họ tên đại biểu",
    "chuc_vu": "Chức vụ",
    "cuoc_hop": "Tên cuộc họp",
    "don_vi": "Đơn vị tổ chức",
    "thoi_gian": "Thời gian bắt đầu (08:00 20/12/2026)",
    "dia_diem": "Địa điểm",
    "lien_ket": "Liên kết nhận tài liệu riêng của đại biểu",
    "noi_dung": "Nội dung (thay đổi, lý do hủy, tin tự soạn)",
}

DEFAULTS: dict[SmsKind, str] = {
    SmsKind.INVITATION: (
        "{don_vi} trân trọng kính mời đ/c {ten} dự {cuoc_hop}, lúc {thoi_gian} tại "
        "{dia_diem}. Tài liệu họp: {lien_ket}"
    ),
    SmsKind.REMINDER: (
        "Nhắc lịch: {cuoc_hop} bắt đầu lúc {thoi_gian} tại {dia_diem}. Tài liệu: {lien_ket}"
    ),
    SmsKind.CHANGE: "Thay đổi về {cuoc_hop} ({thoi_gian}, {dia_diem}): {noi_dung}",
    SmsKind.CANCELLATION: "Thông báo: {cuoc_hop} dự kiến lúc {thoi_gian} không diễn ra. {noi_dung}",
    SmsKind.FREE: "{noi_dung}",
}

MAX_TEMPLATE = 1000
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Wording:
    body: str
    strip_diacritics: bool


def check_template(body: str) -> str:
    """A template's text, or Invalid naming the unknown field."""
    body = body.strip()
    if not body:
        raise Invalid("Mẫu tin không được để trống.", code="template_empty", field="body")
    if len(body) > MAX_TEMPLATE:
        raise Invalid(
            f"Mẫu tin dài quá {MAX_TEMPLATE} ký tự.", code="template_too_long", field="body"
        )
    for name in _FIELD.findall(body):
        if name not in FIELDS:
            raise Invalid(
                f"Mẫu tin có trường {{{name}}} không có. Các trường dùng được: "
                + ", ".join(f"{{{n}}}" for n in FIELDS),
                code="template_unknown_field",
                field="body",
            )
    return body


def uses_link(body: str) -> bool:
    return "{lien_ket}" in body


def render(body: str, values: Mapping[str, str]) -> str:
    """The template with each {field} replaced; a field with no value becomes empty and the
    spaces around it are tidied."""
    text = _FIELD.sub(lambda m: values.get(m.group(1), ""), body)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" ([,.;:)])", r"\1", text)
    return text.strip()

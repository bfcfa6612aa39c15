"""Pydantic's validation errors as the Vietnamese a person reads: the field named as the form
labels it (each input schema field's `title`), the rule in plain words.

Used by every entry point that validates input (API bodies, forms, socket payloads), so no
person ever sees library English or an internal field name.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ecabinet.errors import Invalid

M = TypeVar("M", bound=BaseModel)


def label_of(schema: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """The field's label (its `title`), or, for a field the schema does not know, its name."""
    if not loc:
        return "Dữ liệu"
    field = schema.model_fields.get(str(loc[0]))
    if field is not None and field.title:
        return field.title
    return f"Trường “{loc[0]}”"


def _limit(ctx: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in ctx:
            return ctx[name]
    return "?"


def sentence(error: ErrorDetails, label: str) -> str:
    """One error in Vietnamese, starting with the field's label."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "missing":
        return f"Vui lòng nhập {label.lower()}."
    if kind in ("too_short", "too_long") and isinstance(error.get("input"), str):
        kind = "string_" + kind  # a length rule on text that other validators run first
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return f"{label} không được để trống."
        return f"{label} phải có ít nhất {ctx['min_length']} ký tự."
    if kind == "string_too_long":
        return f"{label} dài quá {ctx.get('max_length', '?')} ký tự."
    if kind in ("too_short", "too_long"):
        least = kind == "too_short"
        bound = _limit(ctx, "min_length" if least else "max_length")
        return f"{label} cần {'ít nhất' if least else 'tối đa'} {bound} mục."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label} phải là một số nguyên."
    if kind in ("float_parsing", "float_type", "decimal_parsing"):
        return f"{label} phải là một số."
    if kind in ("greater_than_equal", "greater_than"):
        return f"{label} phải từ {_limit(ctx, 'ge', 'gt')} trở lên."
    if kind in ("less_than_equal", "less_than"):
        return f"{label} không được lớn hơn {_limit(ctx, 'le', 'lt')}."
    if kind == "timezone_aware":
        return f"{label} phải ghi rõ múi giờ (ví dụ 2026-12-05T08:00:00+07:00)."
    if kind.startswith(("datetime", "date", "time")):
        return f"{label} không đúng dạng ngày giờ (ngày/tháng/năm giờ:phút)."
    if kind in ("bool_parsing", "bool_type"):
        return f"{label} phải là có hoặc không."
    if kind in ("enum", "literal_error"):
        choices = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return f"{label} phải là một trong: {choices}."
    if kind == "extra_forbidden":
        return f"{label} không có trong mẫu này."
    if kind == "value_error":
        reason = str(ctx.get("error", "")).strip()
        return f"{label} {reason}." if reason else f"{label} không hợp lệ."
    if kind in ("string_type", "model_type", "dict_type", "list_type", "model_attributes_type"):
        return f"{label} không đúng kiểu dữ liệu."
    return f"{label} không hợp lệ."


def explain(exc: ValidationError, schema: type[BaseModel]) -> Invalid:
    """The first error of `exc`, as an Invalid naming its field."""
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    if not loc and first["type"] == "value_error":  # a rule across fields: its own words
        reason = str((first.get("ctx") or {}).get("error", "")).strip()
        if reason:
            return Invalid(reason[0].upper() + reason[1:] + ".")
    field = ".".join(str(p) for p in loc) or None
    return Invalid(sentence(first, label_of(schema, loc)), field=field)


def validate(schema: type[M], data: Any) -> M:
    """`schema.model_validate(data)`, or Invalid in Vietnamese."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, schema) from None

"""Every message a person sees about bad input is Vietnamese and names the field as the form
labels it: no library English, no internal field name."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from pydantic import BaseModel

import ecabinet
from tests.conftest import Login
from tests.factories import MeetingFixture
from tests.http.test_api import bearer

# Words of pydantic's and Python's English messages; none may reach a person.
ENGLISH = re.compile(
    r"\b(Value|should|Input|Field|required|valid|least|characters|Extra|permitted|"
    r"integer|greater|less|equal|string|timezone|error|type)\b"
)


def input_schemas() -> list[type[BaseModel]]:
    """Every pydantic model in the package that accepts input (extra="forbid")."""
    found: dict[str, type[BaseModel]] = {}
    for module_info in pkgutil.walk_packages(ecabinet.__path__, "ecabinet."):
        if module_info.name.startswith("ecabinet.migrations") or module_info.name.endswith(
            "__main__"
        ):
            continue
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, BaseModel)
                and value.__module__ == module.__name__
                and value.model_config.get("extra") == "forbid"
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def test_every_input_field_has_a_vietnamese_label() -> None:
    schemas = input_schemas()
    assert len(schemas) >= 10
    unlabelled = [
        f"{schema.__name__}.{name}"
        for schema in schemas
        for name, field in schema.model_fields.items()
        if not field.title or field.title == name
    ]
    assert not unlabelled, unlabelled


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("meeting", {"title": "   "}, "title", "Tên cuộc họp không được để trống."),
    ("meeting", {}, "title", "Vui lòng nhập tên cuộc họp."),
    ("meeting", {"title": "x" * 301}, "title", "Tên cuộc họp dài quá 300 ký tự."),
    (
        "meeting",
        {"title": "Họp", "starts_at": "ngày mai"},
        "starts_at",
        "Thời gian bắt đầu không đúng dạng ngày giờ (ngày/tháng/năm giờ:phút).",
    ),
    (
        "meeting",
        {"title": "Họp", "starts_at": "2026-12-05T08:00:00"},
        "starts_at",
        "Thời gian bắt đầu phải ghi rõ múi giờ (ví dụ 2026-12-05T08:00:00+07:00).",
    ),
    ("meeting", {"title": "Họp", "chair_id": "một"}, "chair_id", "Chủ tọa phải là một số nguyên."),
    ("meeting", {"title": "Họp", "chair_id": 0}, "chair_id", "Chủ tọa phải từ 1 trở lên."),
    ("meeting", {"title": "Họp", "mau": 1}, "mau", "Trường “mau” không có trong mẫu này."),
    (
        "meeting",
        {"title": "Họp\x07"},
        "title",
        "Tên cuộc họp không được chứa ký tự điều khiển.",
    ),
    (
        "item",
        {"title": "Khai mạc", "duration_minutes": 0},
        "duration_minutes",
        "Thời lượng (phút) phải từ 1 trở lên.",
    ),
    (
        "item",
        {"title": "Khai mạc", "duration_minutes": 99999},
        "duration_minutes",
        "Thời lượng (phút) không được lớn hơn 1440.",
    ),
    ("attendee", {"full_name": ""}, "full_name", "Họ và tên không được để trống."),
    (
        "attendee",
        {"full_name": "Lê Văn Bình", "role": "vua"},
        "role",
        "Vai trò phải là một trong: 'delegate', 'guest', 'chair' hoặc 'secretary'.",
    ),
]


@pytest.mark.parametrize(("target", "body", "field", "message"), CASES)
def test_api_errors_name_the_field_in_vietnamese(
    client: FlaskClient,
    meeting: MeetingFixture,
    target: str,
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    headers = bearer(client, meeting.secretary.username)
    url = {
        "meeting": "/api/v1/meetings",
        "item": f"/api/v1/meetings/{meeting.id}/agenda",
        "attendee": f"/api/v1/meetings/{meeting.id}/attendees",
    }[target]
    answer = client.post(url, json=body, headers=headers)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["field"] == field
    assert error["message"] == message
    assert not ENGLISH.search(error["message"].replace("'", " ")), error["message"]


def test_a_form_shows_the_vietnamese_message_and_keeps_what_was_typed(
    client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    csrf = login.as_staff(meeting.secretary)
    answer = client.post(
        f"/meetings/{meeting.id}/agenda",
        data={"csrf_token": csrf, "title": "Báo cáo", "duration_minutes": "0", "presenter": "An"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Thời lượng (phút) phải từ 1 trở lên." in page
    assert 'value="Báo cáo"' in page
    assert not re.search(r"greater than|Value error|should be", page)

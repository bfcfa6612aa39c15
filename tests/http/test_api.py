"""The JSON API: wiring, permissions, error shapes (rules are tested in tests/unit)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi
from sqlmodel import func, select
from werkzeug.test import TestResponse

from ecabinet.actor import Role
from ecabinet.db import Database
from ecabinet.documents.models import Document
from ecabinet.documents.storage import Storage
from tests import hostile_pdfs
from tests.conftest import Login, run_jobs
from tests.factories import (
    PASSWORD,
    MeetingFixture,
    make_meeting,
    make_token,
    make_user,
    sample_pdf,
)


def bearer(client: FlaskClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_secretary_builds_a_meeting_over_the_api(client: FlaskClient, app_db: Database) -> None:
    secretary = make_user(app_db, Role.SECRETARY)
    chair = make_user(app_db, Role.CHAIR)
    auth = bearer(client, secretary.username)
    created = client.post(
        "/api/v1/meetings",
        json={
            "title": "Họp giao ban tháng 11",
            "location": "Phòng 2",
            "chair_id": chair.id,
            "starts_at": "2026-11-30T08:00:00+07:00",
        },
        headers=auth,
    )
    assert created.status_code == 201, created.json
    meeting_id = created.json["id"]
    assert created.json["starts_at"] == "2026-11-30T01:00:00Z"
    for title in ("Khai mạc", "Báo cáo", "Bế mạc"):
        assert (
            client.post(
                f"/api/v1/meetings/{meeting_id}/agenda", json={"title": title}, headers=auth
            ).status_code
            == 201
        )
    items = client.get(f"/api/v1/meetings/{meeting_id}/agenda", headers=auth).json
    assert [i["title"] for i in items] == ["Khai mạc", "Báo cáo", "Bế mạc"]
    moved = client.post(f"/api/v1/agenda/{items[2]['id']}/move", json={"position": 0}, headers=auth)
    assert moved.json["position"] == 0
    patched = client.patch(
        f"/api/v1/agenda/{items[0]['id']}", json={"presenter": "Đồng chí Minh"}, headers=auth
    )
    assert patched.json["presenter"] == "Đồng chí Minh"
    assert client.delete(f"/api/v1/agenda/{items[1]['id']}", headers=auth).status_code == 204
    titles = [
        i["title"] for i in client.get(f"/api/v1/meetings/{meeting_id}/agenda", headers=auth).json
    ]
    assert titles == ["Bế mạc", "Khai mạc"]
    # Sub-items: numbered by the server, moved under a section, refused past the end.
    section = items[0]["id"]  # "Khai mạc", now second
    sub = client.post(
        f"/api/v1/meetings/{meeting_id}/agenda",
        json={"title": "Điểm danh", "parent_id": section},
        headers=auth,
    )
    assert sub.status_code == 201, sub.json
    assert (sub.json["number"], sub.json["label"], sub.json["parent_id"]) == ("1", "II.1", section)
    under = client.post(
        f"/api/v1/agenda/{items[2]['id']}/move",
        json={"position": 0, "parent_id": section},
        headers=auth,
    )
    assert (under.json["label"], under.json["position"]) == ("I.1", 1), under.json
    listed = client.get(f"/api/v1/meetings/{meeting_id}/agenda", headers=auth).json
    assert [(i["label"], i["title"]) for i in listed] == [
        ("I", "Khai mạc"),
        ("I.1", "Bế mạc"),
        ("I.2", "Điểm danh"),
    ]
    too_far = client.post(
        f"/api/v1/agenda/{items[2]['id']}/move", json={"position": 5}, headers=auth
    )
    assert too_far.status_code == 422
    assert too_far.json["error"]["code"] == "position_out_of_range"
    assert too_far.json["error"]["field"] == "position"
    assert "chọn từ 1 đến 2" in too_far.json["error"]["message"]
    attendee = client.post(
        f"/api/v1/meetings/{meeting_id}/attendees",
        json={
            "full_name": "Nguyễn Văn An",
            "position": "Ủy viên",
            "unit": "Xã Tân Lập",
            "phone": "0987 654 321",
        },
        headers=auth,
    )
    assert attendee.status_code == 201
    assert attendee.json["phone"] == "+84987654321"
    link = client.post(f"/api/v1/attendees/{attendee.json['id']}/link", headers=auth)
    assert link.status_code == 201
    assert link.json["url"].startswith("http://localhost/p/")


def test_bad_input_gets_json_errors_with_stable_codes(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    auth = bearer(client, meeting.secretary.username)
    not_json = client.post("/api/v1/meetings", data="title=x", headers=auth)
    assert not_json.status_code == 422
    assert not_json.json["error"]["code"] == "invalid_json"
    blank = client.post("/api/v1/meetings", json={"title": "  "}, headers=auth)
    assert blank.status_code == 422
    assert blank.json["error"]["field"] == "title"
    extra = client.post("/api/v1/meetings", json={"title": "Họp", "admin": True}, headers=auth)
    assert extra.status_code == 422
    naive = client.post(
        "/api/v1/meetings", json={"title": "Họp", "starts_at": "2026-11-30T08:00"}, headers=auth
    )
    assert naive.json["error"]["field"] == "starts_at"
    phone = client.post(
        f"/api/v1/meetings/{meeting.id}/attendees",
        json={"full_name": "A", "phone": "12"},
        headers=auth,
    )
    assert (phone.status_code, phone.json["error"]["code"]) == (422, "phone_invalid")
    unknown = client.get("/api/v1/khong-co", headers=auth)
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "not_found"
    wrong_method = client.put("/api/v1/meetings", headers=auth)
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"
    conflict = client.post(
        f"/api/v1/meetings/{meeting.id}/live/next", headers=bearer(client, meeting.chair.username)
    )
    assert (conflict.status_code, conflict.json["error"]["code"]) == (409, "meeting_not_live")


def test_session_json_writes_need_the_csrf_header(
    client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    token = login.as_staff(meeting.secretary)
    without = client.post(f"/api/v1/meetings/{meeting.id}/agenda", json={"title": "Mục mới"})
    assert without.status_code == 400
    assert without.json["error"]["code"] == "csrf_failed"
    with_header = client.post(
        f"/api/v1/meetings/{meeting.id}/agenda",
        json={"title": "Mục mới"},
        headers={"X-CSRFToken": token},
    )
    assert with_header.status_code == 201


def test_anonymous_api_calls_are_401(client: FlaskClient, meeting: MeetingFixture) -> None:
    response = client.get(f"/api/v1/meetings/{meeting.id}")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    bad_token = client.get("/api/v1/meetings", headers={"Authorization": "Bearer ecb_nope"})
    assert bad_token.status_code == 401


def test_revoked_api_token_stops_working(client: FlaskClient, meeting: MeetingFixture) -> None:
    auth = bearer(client, meeting.secretary.username)
    assert client.get("/api/v1/meetings", headers=auth).status_code == 200
    assert client.delete("/api/v1/auth/tokens/current", headers=auth).status_code == 204
    assert client.get("/api/v1/meetings", headers=auth).status_code == 401


def test_token_login_is_rate_limited(db_url: str, tmp_path: Path) -> None:
    from ecabinet.app import create_app
    from tests.conftest import app_config

    app = create_app(app_config(db_url, tmp_path, LOGIN_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    codes = [
        client.post("/api/v1/auth/tokens", json={"username": "x", "password": "y"}).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    limited = client.post("/api/v1/auth/tokens", json={"username": "x", "password": "y"})
    assert limited.headers["Retry-After"] == "60"
    assert limited.json["error"]["code"] == "rate_limited"
    app.extensions["ecabinet.db"].dispose()


def multipart(data: bytes, name: str, fields: dict[str, str]) -> tuple[bytes, str]:
    """Encode in memory: werkzeug's test encoder spools large bodies to a file it never closes."""
    boundary = "ecabinet-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body = b"".join(parts) + head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(
    client: FlaskClient,
    meeting_id: int,
    auth: dict[str, str],
    data: bytes,
    name: str = "Báo cáo.pdf",
    **fields: str,
) -> TestResponse:
    body, content_type = multipart(data, name, fields)
    return client.post(
        f"/api/v1/meetings/{meeting_id}/documents",
        data=io.BytesIO(body),
        headers=auth,
        content_type=content_type,
    )


def count_documents(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def blobs(storage: Storage) -> list[Path]:
    """Every stored file (not the SEALED marker naming the key the files need)."""
    return list(storage.stored_files())


def test_pdf_upload_records_hash_size_and_pages(
    app: Flask,
    client: FlaskClient,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    pdf = sample_pdf()
    auth = bearer(client, meeting.secretary.username)
    response = upload(
        client,
        meeting.id,
        auth,
        pdf,
        title="Báo cáo tổng kết",
        agenda_item_id=str(meeting.item_ids[1]),
    )
    assert response.status_code == 201, response.json
    body = response.json
    import hashlib

    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert (body["size"], body["agenda_item_id"]) == (len(pdf), meeting.item_ids[1])
    assert (body["status"], body["page_count"]) == ("processing", 0)  # checked by a job
    assert body["filename"] == "Báo cáo.pdf"
    assert app_storage.read_bytes(body["sha256"]) == pdf
    assert run_jobs(app) == 1
    checked = client.get(f"/api/v1/documents/{body['id']}", headers=auth).json
    assert (checked["status"], checked["page_count"], checked["has_thumbnail"]) == (
        "ready",
        1,
        True,
    )
    with client.get(f"/documents/{body['id']}/thumbnail.png", headers=auth) as thumbnail:
        assert thumbnail.status_code == 200
        assert thumbnail.data.startswith(b"\x89PNG")


def test_refused_uploads_leave_no_row_and_no_file(
    app: Flask, client: FlaskClient, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    """What the request itself can tell (size, empty, not a PDF, wrong item) is a 4xx at once."""
    auth = bearer(client, meeting.secretary.username)
    app.config["MAX_UPLOAD_MB"] = 1
    cases = [
        (b"<html>not a pdf</html>", 422, "not_a_pdf"),
        (b"", 422, "upload_empty"),
        (b"%PDF-" + b"0" * (1024 * 1024 + 10), 413, "upload_too_large"),
    ]
    for data, status, code in cases:
        response = upload(client, meeting.id, auth, data)
        assert response.status_code == status, (code, response.json)
        assert response.json["error"]["code"] == code
    other = make_meeting(app_db)
    wrong_item = upload(
        client, meeting.id, auth, sample_pdf(), agenda_item_id=str(other.item_ids[0])
    )
    assert wrong_item.status_code == 422
    missing = client.post(f"/api/v1/meetings/{meeting.id}/documents", data={}, headers=auth)
    assert missing.json["error"]["code"] == "upload_missing"
    assert count_documents(app_db) == 0
    # The count limit is a setting too, with a clear reason once it is reached.
    app.config["MAX_DOCUMENTS_PER_MEETING"] = 1
    kept = upload(client, meeting.id, auth, sample_pdf())
    assert kept.status_code == 201
    full = upload(client, meeting.id, auth, sample_pdf("Thêm một tài liệu"))
    assert full.status_code == 409
    assert full.json["error"]["code"] == "documents_full"
    assert "MAX_DOCUMENTS_PER_MEETING" in full.json["error"]["message"]
    assert count_documents(app_db) == 1
    # The refused one left no file.
    assert [path.name for path in blobs(app_storage)] == [kept.json["sha256"]]


def test_the_inspection_job_rejects_broken_and_hostile_pdfs_with_a_reason(
    app: Flask, client: FlaskClient, meeting: MeetingFixture
) -> None:
    """What needs the file read (broken, encrypted, too complex) is decided by the job: the
    secretary sees the document as rejected, with the reason; tablets never see it."""
    auth = bearer(client, meeting.secretary.username)
    cases = [
        (b"%PDF-1.4\ncorrupt", "pdf_unreadable"),
        (hostile_pdfs.nested_dictionaries(), "pdf_too_complex"),
        (hostile_pdfs.exponential_tree(), "pdf_too_complex"),
    ]
    ids = []
    for data, _code in cases:
        response = upload(client, meeting.id, auth, data)
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    assert run_jobs(app) == len(cases)
    for document_id, (_data, code) in zip(ids, cases, strict=True):
        body = client.get(f"/api/v1/documents/{document_id}", headers=auth).json
        assert (body["status"], body["rejection_code"]) == ("rejected", code)
        assert body["rejection_message"]
    state = client.get(f"/api/v1/meetings/{meeting.id}/state", headers=auth).json
    assert state["documents"] == []


def test_a_long_vietnamese_file_name_keeps_its_beginning(
    client: FlaskClient, meeting: MeetingFixture
) -> None:
    import unicodedata

    words = "Báo cáo tổng kết công tác xây dựng Đảng và hệ thống chính trị năm 2026 "
    name = unicodedata.normalize("NFD", (words * 5)[:296] + ".pdf")  # 300 characters, NFD
    auth = bearer(client, meeting.secretary.username)
    response = upload(client, meeting.id, auth, sample_pdf(), name=name)
    assert response.status_code == 201, response.json
    stored = response.json["filename"]
    assert stored.startswith("Báo cáo tổng kết công tác")  # NFC, from the beginning
    assert stored.endswith("….pdf")
    assert len(stored) <= 255
    assert unicodedata.is_normalized("NFC", stored)
    assert response.json["title"].startswith("Báo cáo tổng kết")


def test_request_over_the_size_cap_is_413_json(
    app: Flask, client: FlaskClient, meeting: MeetingFixture
) -> None:
    auth = bearer(client, meeting.secretary.username)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, meeting.id, auth, b"%PDF-" + b"1" * 4096)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "upload_too_large"


def test_document_bytes_for_attendees_of_that_meeting_only(
    client: FlaskClient, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    pdf = sample_pdf()
    doc = upload(client, meeting.id, bearer(client, meeting.secretary.username), pdf).json
    token = make_token(app_db, meeting)
    assert client.get(f"/p/{token}").status_code == 302
    assert client.get(f"/documents/{doc['id']}/file").status_code == 404  # not checked yet
    run_jobs(client.application)
    with client.get(f"/documents/{doc['id']}/file") as full:
        assert full.status_code == 200
        assert full.data == pdf
        assert full.headers["Content-Type"] == "application/pdf"
        assert full.headers["Cache-Control"] == "private, no-store"
        assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf" in full.headers["Content-Disposition"]
    with client.get(f"/documents/{doc['id']}/file", headers={"Range": "bytes=0-99"}) as ranged:
        assert (ranged.status_code, len(ranged.data)) == (206, 100)
    other = make_meeting(app_db)
    other_doc = upload(
        client, other.id, bearer(client, other.secretary.username), sample_pdf("Khác")
    ).json
    client.get(f"/p/{token}")
    assert client.get(f"/documents/{other_doc['id']}/file").status_code == 404


def test_deleting_a_document_removes_its_blob(
    client: FlaskClient, app_storage: Storage, meeting: MeetingFixture
) -> None:
    auth = bearer(client, meeting.secretary.username)
    doc = upload(client, meeting.id, auth, sample_pdf()).json
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=auth).status_code == 204
    assert blobs(app_storage) == []


def test_state_endpoint_matches_live_controls(client: FlaskClient, meeting: MeetingFixture) -> None:
    auth = bearer(client, meeting.chair.username)
    before = client.get(f"/api/v1/meetings/{meeting.id}/state", headers=auth).json
    started = client.post(f"/api/v1/meetings/{meeting.id}/live/start", headers=auth).json
    assert started["version"] == before["version"] + 1
    jumped = client.post(
        f"/api/v1/meetings/{meeting.id}/live/jump",
        json={"item_id": meeting.item_ids[2]},
        headers=auth,
    )
    assert jumped.json["current_item_id"] == meeting.item_ids[2]
    state = client.get(f"/api/v1/meetings/{meeting.id}/state", headers=auth).json
    assert (state["status"], state["current_item_id"]) == ("live", meeting.item_ids[2])


def test_openapi_document_is_valid_and_covers_every_api_route(
    app: Flask, client: FlaskClient
) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert isinstance(spec, dict)
    validate_openapi(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (
                f"{method} {rule.rule} is not in the OpenAPI document"
            )
    create = spec["paths"]["/api/v1/meetings"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeetingCreate"
    }
    assert "title" in spec["components"]["schemas"]["MeetingCreate"]["required"]

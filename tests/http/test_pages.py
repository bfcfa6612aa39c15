"""Server-rendered pages: login, forms that keep input and show errors, tablet entry, QR."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from ecabinet.actor import Role
from ecabinet.db import Database
from ecabinet.pickup import devices
from tests.conftest import Login
from tests.factories import PASSWORD, MeetingFixture, make_attendee, make_token, make_user
from tests.tools import need_module


def test_login_page_and_bad_password(client: FlaskClient, login: Login, app_db: Database) -> None:
    staff = make_user(app_db, Role.SECRETARY)
    page = client.get("/login")
    assert page.status_code == 200
    assert "Đăng nhập" in page.get_data(as_text=True)
    bad = client.post(
        "/login", data={"username": staff.username, "password": "sai", "csrf_token": login.csrf()}
    )
    assert bad.status_code == 401
    html = bad.get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu." in html
    assert f'value="{staff.username}"' in html  # keeps what the user typed


def test_login_without_csrf_token_is_refused(client: FlaskClient, app_db: Database) -> None:
    staff = make_user(app_db, Role.SECRETARY)
    response = client.post("/login", data={"username": staff.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)


def test_login_redirects_only_to_local_paths(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    staff = make_user(app_db, Role.SECRETARY)
    token = login.csrf()
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": staff.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/meetings"


def test_pages_redirect_anonymous_users_to_login(
    client: FlaskClient, meeting: MeetingFixture
) -> None:
    response = client.get(f"/meetings/{meeting.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/meetings/")


def test_logout_ends_the_session(
    client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    token = login.as_staff(meeting.secretary)
    assert client.get("/meetings").status_code == 200
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/meetings").status_code == 302


def test_new_meeting_form_shows_error_next_to_field_and_keeps_input(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    staff = make_user(app_db, Role.SECRETARY)
    token = login.as_staff(staff)
    response = client.post(
        "/meetings/new",
        data={
            "title": "   ",
            "location": "Hội trường tầng 3",
            "starts_at": "",
            "chair_id": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-title"' in html
    assert 'value="Hội trường tầng 3"' in html


def test_secretary_walks_the_workspace(client: FlaskClient, login: Login, app_db: Database) -> None:
    staff = make_user(app_db, Role.SECRETARY)
    chair = make_user(app_db, Role.CHAIR)
    token = login.as_staff(staff)
    created = client.post(
        "/meetings/new",
        data={
            "title": "Họp chi bộ tháng 12",
            "location": "Phòng 1",
            "starts_at": "2026-12-01T14:00",
            "chair_id": str(chair.id),
            "csrf_token": token,
        },
    )
    assert created.status_code == 302
    workspace = created.headers["Location"]
    meeting_id = int(workspace.rsplit("/", 1)[1])
    for title in ("Khai mạc", "Kiểm điểm", "Bế mạc"):
        client.post(f"/meetings/{meeting_id}/agenda", data={"title": title, "csrf_token": token})
    page = client.get(workspace).get_data(as_text=True)
    assert page.index("Khai mạc") < page.index("Kiểm điểm") < page.index("Bế mạc")
    assert "14:00 01/12/2026" in page  # typed in Vietnam time, shown in Vietnam time
    item_ids = [int(i) for i in re.findall(r"/agenda/(\d+)/edit", page)]
    client.post(f"/agenda/{item_ids[2]}/move", data={"direction": "up", "csrf_token": token})
    page = client.get(workspace).get_data(as_text=True)
    assert page.index("Bế mạc") < page.index("Kiểm điểm")
    bad_attendee = client.post(
        f"/meetings/{meeting_id}/attendees",
        data={
            "full_name": "Lê Thị Hoa",
            "phone": "12345",
            "position": "Bí thư",
            "unit": "",
            "role": "delegate",
            "csrf_token": token,
        },
    )
    assert bad_attendee.status_code == 422
    html = bad_attendee.get_data(as_text=True)
    assert 'id="err-phone"' in html
    assert 'value="Lê Thị Hoa"' in html
    client.post(
        f"/meetings/{meeting_id}/attendees",
        data={
            "full_name": "Lê Thị Hoa",
            "phone": "0912000111",
            "position": "Bí thư",
            "unit": "",
            "role": "delegate",
            "csrf_token": token,
        },
    )
    bad_pdf = client.post(
        f"/meetings/{meeting_id}/documents",
        data={
            "file": (io.BytesIO(b"not a pdf"), "x.pdf"),
            "title": "Tài liệu",
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert bad_pdf.status_code == 422
    assert "Tệp không phải PDF." in bad_pdf.get_data(as_text=True)
    page = client.get(workspace).get_data(as_text=True)
    assert "0912 000 111" in page  # as people read it


def test_unknown_page_is_a_vietnamese_404(client: FlaskClient) -> None:
    response = client.get("/khong-ton-tai")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"


def test_issued_link_opens_the_tablet_and_its_qr_decodes(
    client: FlaskClient, login: Login, meeting: MeetingFixture, app_db: Database
) -> None:
    zxingcpp = need_module("zxingcpp", "decodes QR codes")
    attendee_id = make_attendee(app_db, meeting, name="Phạm Văn Đồng")
    token = login.as_staff(meeting.secretary)
    page = client.post(f"/attendees/{attendee_id}/link", data={"csrf_token": token}).get_data(
        as_text=True
    )
    link = re.search(r'id="attendee-link">([^<]+)<', page).group(1)
    qr_url = re.search(r'<img class="qr" src="([^"]+)"', page).group(1)
    png = client.get(qr_url)
    assert png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [d.text for d in decoded] == [link]
    tablet_client = client.application.test_client()
    entered = tablet_client.get(link.removeprefix("http://localhost"))
    assert (entered.status_code, entered.headers["Location"]) == (302, "/tablet")
    tablet = tablet_client.get("/tablet").get_data(as_text=True)
    assert "Phạm Văn Đồng" in tablet
    assert "Họp Ban Thường vụ Đảng ủy" in tablet


def test_invalid_token_is_404_and_guessing_is_throttled(app: Flask, client: FlaskClient) -> None:
    app.config["PICKUP_FAILURE_LIMIT"] = "5 per minute"
    codes = [client.get(f"/p/doan-bua-{n}").status_code for n in range(7)]
    assert codes == [404] * 5 + [429] * 2


def test_tablet_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/tablet").status_code == 302


def test_staff_session_cannot_open_tablet_page(
    client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    login.as_staff(meeting.secretary)
    assert client.get("/tablet").status_code == 403


def test_a_reprinted_card_leaves_devices_in_and_a_cut_off_device_is_closed(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    attendee_id = make_attendee(app_db, meeting)
    first = make_token(app_db, meeting, attendee_id)
    entered = client.get(f"/p/{first}")
    assert entered.headers["Location"] == "/tablet"  # the address bar carries no token
    assert client.get("/tablet").status_code == 200
    # The browser keeps a device secret of its own, never the card's token.
    cookie = client.get_cookie("ecabinet_session")
    assert cookie is not None
    payload = _session_payload(cookie.value)
    assert '"device"' in payload
    assert first not in payload
    make_token(app_db, meeting, attendee_id)  # reprinting the card: a new token
    assert client.get("/tablet").status_code == 200  # this tablet stays in
    other = client.application.test_client()
    assert other.get(f"/p/{first}").status_code == 404  # the old card opens nothing now
    with app_db.unit_of_work(write=False) as session:
        [device] = devices.list_devices(
            session, actor=meeting.secretary.actor, attendee_id=attendee_id
        )
    with app_db.unit_of_work() as session:
        devices.revoke_device(session, actor=meeting.secretary.actor, device_id=device.id)
    assert client.get("/tablet").status_code == 302  # cut off, back to the entry page


def _session_payload(value: str) -> str:
    """What Flask's signed session cookie carries, decoded (it is signed, not encrypted)."""
    import base64
    import zlib

    compressed = value.startswith(".")
    body = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_pages_send_a_strict_content_security_policy(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval'" not in csp.replace("wasm-unsafe-eval'", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"  # never to another site
    cookie = response.headers.get("Set-Cookie", "")  # the CSRF token lives in the session
    assert cookie.startswith("ecabinet_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_healthz(client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = client.get("/healthz")
    assert (ok.status_code, ok.json["status"]) == (200, "ok")
    from sqlalchemy.exc import OperationalError

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is gone"))

    monkeypatch.setattr(app.extensions["ecabinet.db"].engine, "connect", down)
    failed = client.get("/healthz")
    assert failed.status_code == 503
    assert failed.json == {"status": "error", "database": "unavailable"}


def test_login_form_is_rate_limited(app: Flask, client: FlaskClient, login: Login) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    wrong = {"username": "a", "password": "b", "csrf_token": login.csrf()}
    codes = [client.post("/login", data=wrong).status_code for _ in range(2)]
    assert codes == [401, 401]
    page = client.post("/login", data=wrong)
    assert page.status_code == 429
    assert "Bạn đã thử quá nhiều lần" in page.get_data(as_text=True)


def test_healthz_is_503_when_the_sqlite_file_is_gone(app: Flask, client: FlaskClient) -> None:
    from sqlalchemy.engine import make_url

    from tests.conftest import TEST_DATABASE_URL

    if TEST_DATABASE_URL:
        pytest.skip("about the SQLite file; this run is on PostgreSQL")
    path = make_url(app.config["DATABASE_URL"]).database
    assert path
    app.extensions["ecabinet.db"].dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    assert client.get("/healthz").status_code == 503


def test_a_copied_cookie_dies_at_logout(app: Flask, login: Login, meeting: MeetingFixture) -> None:
    token = login.as_staff(meeting.secretary)
    stolen = app.test_client()
    cookie = login.client.get_cookie("ecabinet_session")
    assert cookie is not None
    stolen.set_cookie("ecabinet_session", cookie.value)
    assert stolen.get("/meetings").status_code == 200
    login.client.post("/logout", data={"csrf_token": token})
    assert stolen.get("/meetings").status_code == 302

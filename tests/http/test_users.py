"""Administrators manage staff accounts on a page and over /api/v1/users."""

from __future__ import annotations

from flask.testing import FlaskClient

from ecabinet.actor import Role
from ecabinet.db import Database
from tests.conftest import Login
from tests.factories import PASSWORD, make_user
from tests.http.test_api import bearer


def test_an_admin_lists_creates_disables_and_enables_accounts(
    client: FlaskClient, app_db: Database
) -> None:
    admin = make_user(app_db, Role.ADMIN)
    headers = bearer(client, admin.username)
    created = client.post(
        "/api/v1/users",
        json={
            "username": "thuky.lan",
            "full_name": "Trần Thị Lan",
            "role": "secretary",
            "password": PASSWORD,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    user_id = created.json["id"]
    secretaries = client.get("/api/v1/users?role=secretary", headers=headers).json
    assert [u["username"] for u in secretaries] == ["thuky.lan"]
    lan = bearer(client, "thuky.lan")
    assert client.get("/api/v1/meetings", headers=lan).status_code == 200
    disabled = client.post(f"/api/v1/users/{user_id}/disable", headers=headers)
    assert disabled.json["is_active"] is False
    assert client.get("/api/v1/meetings", headers=lan).status_code == 401  # cut at once
    assert client.post(f"/api/v1/users/{user_id}/enable", headers=headers).json["is_active"]
    taken = client.post(
        "/api/v1/users",
        json={"username": "thuky.lan", "role": "chair", "password": PASSWORD},
        headers=headers,
    )
    assert taken.status_code == 409
    assert taken.json["error"]["field"] == "username"


def test_only_admins_see_accounts(client: FlaskClient, app_db: Database) -> None:
    secretary = make_user(app_db, Role.SECRETARY)
    headers = bearer(client, secretary.username)
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post(f"/api/v1/users/{secretary.id}/disable", headers=headers).status_code == 403


def test_the_accounts_page_creates_and_explains_mistakes(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    admin = make_user(app_db, Role.ADMIN)
    csrf = login.as_staff(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert admin.username in page
    bad = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "thư ký",
            "full_name": "Lan",
            "role": "secretary",
            "password": "ngan",
        },
    )
    assert bad.status_code == 422
    # The first rule broken is the user name's (a space, a diacritic); the short password
    # would be next.
    assert "Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới." in bad.get_data(as_text=True)
    good = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "chutoa.hung",
            "full_name": "Lê Hùng",
            "role": "chair",
            "password": PASSWORD,
        },
    )
    assert good.status_code == 302
    assert "chutoa.hung" in client.get("/admin/users").get_data(as_text=True)

"""Schemathesis over /api/v1/openapi.json, in process (WSGI), as an admin with a bearer token.

Every documented operation gets a fixed number of generated requests. Most of them are
aimed at objects that exist (seeded ids, real credentials, a real PDF); the rest keep the
generated ids and values, so both the happy paths and the rejections are exercised. Asserted:
no 5xx, every error is `{"error": {"code": str, "message": str}}`, Schemathesis's response
checks against the document, and every operation answered 2xx at least once (a fuzz that only
ever got 404s would claim more than it checked).
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

import pytest

from ecabinet.actor import Role
from ecabinet.auth import service as auth_service
from ecabinet.auth.models import User
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.live import screens
from ecabinet.notify.api import callback_secret
from tests.factories import (
    PASSWORD,
    MeetingFixture,
    Staff,
    make_alert,
    make_attendee,
    make_device,
    make_document,
    make_meeting,
    make_printout,
    make_screen,
    make_token,
    make_user,
    sample_pdf,
)
from tests.tools import need_module

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from schemathesis import APIOperation, Case, Response

    Operation: TypeAlias = APIOperation[Any, Any, Any, Any]
    AnyCase: TypeAlias = Case[Any]

OPENAPI = "/api/v1/openapi.json"
# Requests per operation: (aimed at existing objects, left as generated).
EXAMPLES = (14, 6)
# Requests per operation that break the document (wrong types, missing fields, huge ids).
NEGATIVE_EXAMPLES = 4
# Each of these requests costs an Argon2 check or a PDF probe in a subprocess (0.1-0.25 s).
FEWER_EXAMPLES = {
    "POST /api/v1/auth/tokens": (6, 4),
    "DELETE /api/v1/documents/{document_id}": (6, 4),
}


@dataclass(frozen=True)
class World:
    """A meeting with agenda items, an attendee and, when asked for, a document."""

    meeting: MeetingFixture
    attendee_id: int
    document_id: int | None
    device_id: int
    alert_id: int
    printout_id: int
    screen_id: int

    def ids(self) -> dict[str, int | None]:
        return {
            "screen_id": self.screen_id,
            "meeting_id": self.meeting.id,
            "item_id": self.meeting.item_ids[0],
            "attendee_id": self.attendee_id,
            "document_id": self.document_id,
            "device_id": self.device_id,
            "alert_id": self.alert_id,
            "printout_id": self.printout_id,
            "user_id": self.meeting.chair.id,  # an account the admin may disable and enable
        }


@dataclass
class Fuzz:
    client: FlaskClient
    database: Database
    storage: Storage
    admin: Staff
    shared: World
    token: str = ""
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    aimed: int = 0
    aimed_users: int = 0
    callback: str = ""  # the secret path an SMS gateway calls back on
    # A delegate's own notes are refused to staff (403): their cases come from a delegate's
    # tablet session (its cookie and CSRF token), on a document no other case changes.
    notes_document: int = 0
    delegate_cookie: dict[str, str] = field(default_factory=dict)
    delegate_csrf: str = ""

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def sign_in(self) -> str:
        response = self.client.post(
            "/api/v1/auth/tokens", json={"username": self.admin.username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        token: str = response.json["token"]
        return token

    def spare_token(self) -> str:
        """A token to revoke, issued directly: signing in costs an Argon2 check each time."""
        with self.database.unit_of_work() as session:
            user = session.get(User, self.admin.id)
            assert user is not None
            raw, _ = auth_service.issue_api_token(session, user=user, ttl=timedelta(hours=1))
            return raw

    def new_world(self, *, document: bool = False) -> World:
        """Reuses the shared meeting's secretary and chair (no password hashing). A document
        costs a PDF probe in a subprocess, so only the cases that delete one get one."""
        meeting = make_meeting(
            self.database, secretary=self.shared.meeting.secretary, chair=self.shared.meeting.chair
        )
        attendee_id = make_attendee(self.database, meeting)
        document_id = make_document(self.database, self.storage, meeting).id if document else None
        device_id = make_device(self.database, meeting, attendee_id)
        alert_id = make_alert(self.database, meeting, make_attendee(self.database, meeting))
        printout_id = make_printout(self.database, self.storage, meeting)
        screen_id = make_screen(self.database, meeting)[0]
        return World(meeting, attendee_id, document_id, device_id, alert_id, printout_id, screen_id)

    def world_for(self, transition: str) -> World:
        """A fresh meeting in the state `transition` (publish, unpublish, archive) starts from."""
        world = self.new_world()
        steps = {"publish": (), "unpublish": ("publish",), "archive": ("live/start", "live/end")}
        for step in steps[transition]:
            response = self.client.post(
                f"/api/v1/meetings/{world.meeting.id}/{step}", headers=self.auth()
            )
            assert response.status_code == 200, response.get_data(as_text=True)
        return world

    def live_world(self) -> World:
        """A fresh meeting, live on its second item: next, previous, jump and end all apply."""
        world = self.new_world()
        for action in ("start", "next"):
            response = self.client.post(
                f"/api/v1/meetings/{world.meeting.id}/live/{action}", headers=self.auth()
            )
            assert response.status_code == 200, response.get_data(as_text=True)
        return world


def _label(operation: Operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _order(operation: Operation) -> tuple[int, str]:
    """Reads and reversible writes first, then the live controls, then deletes (meetings last).

    Aimed cases of the irreversible operations get a fresh world each (see `_aim`), so order
    matters only for generated ids: a DELETE or a `live/start` whose generated id happens to
    be a shared object's (hypothesis likes 1) changes it, and by then the others have run.
    """
    method, path = operation.method.upper(), operation.path
    if method == "DELETE":
        rank = 3 if path == "/api/v1/meetings/{meeting_id}" else 2
    elif "/live/" in path:
        rank = 1
    else:
        rank = 0
    return rank, _label(operation)


def _aim(fuzz: Fuzz, case: AnyCase) -> None:
    """Point the case at objects that exist, with values the server can accept.

    Live controls and deletes get a fresh world per case rather than running on the shared
    meeting: there every case after the first would be a 404 or a 409 (an ended meeting cannot
    start again), and later operations would lose their objects.
    """
    method, path = case.operation.method.upper(), case.operation.path
    if path.endswith("/note"):
        case.path_parameters = {"document_id": fuzz.notes_document}
        # The delegate's session, not a generated bearer token (which would be checked first).
        if case.headers:
            case.headers.pop("Authorization", None)
        if isinstance(case.body, dict):  # a random expected_updated_at is rightly a conflict
            case.body = {**case.body, "expected_updated_at": None}
        return
    if "/live/" in path:
        world = fuzz.new_world() if path.endswith("/live/start") else fuzz.live_world()
        if path.endswith("/live/resume"):  # only a paused meeting resumes
            paused = fuzz.client.post(
                f"/api/v1/meetings/{world.meeting.id}/live/pause", headers=fuzz.auth()
            )
            assert paused.status_code == 200, paused.get_data(as_text=True)
    elif path.endswith(("/publish", "/unpublish", "/archive")):
        world = fuzz.world_for(path.rsplit("/", 1)[1])
    elif method == "DELETE":
        world = fuzz.new_world(document=path.startswith("/api/v1/documents/"))
    else:
        world = fuzz.shared
    ids: dict[str, Any] = {**world.ids(), "secret": fuzz.callback}
    case.path_parameters = {name: ids[name] for name in case.path_parameters or {}}
    body = case.body
    if not isinstance(body, dict):
        return
    if path == "/api/v1/auth/tokens":
        case.body = {"username": fuzz.admin.username, "password": PASSWORD}
    elif path == "/api/v1/users" and method == "POST":
        # Random names mostly collide with the rules (too short a password, a name taken):
        # aimed cases ask for a new account the rules accept.
        fuzz.aimed_users += 1
        case.body = {
            "username": f"can_bo_{fuzz.aimed_users}",
            "full_name": "Cán bộ thử",
            "role": body.get("role") if body.get("role") in ("chair", "secretary") else "chair",
            "password": "mat-khau-du-dai-2026",
        }
    elif path.endswith("/live/jump"):
        case.body = {"item_id": world.meeting.item_ids[-1]}
    elif path.endswith("/live/present"):
        case.body = {"document_id": None}  # stop presenting: random ids are not this meeting's
    elif path.endswith("/live/announce"):
        case.body = {"text": str(body.get("text") or "")[:200]}  # past 500 is rightly refused
    elif method == "POST" and path.endswith("/screens"):
        # A random code is rightly refused: aimed cases type the code a waiting screen shows.
        with fuzz.database.unit_of_work() as session:
            case.body = {**body, "code": screens.start_pairing(session).code}
    elif path.endswith(("/move", "/agenda")):
        # Random positions and parents are rightly refused (422 position_out_of_range,
        # agenda_parent_invalid): aimed cases name a place that exists.
        position = body.get("position")
        aimed = {**body, "position": position % 2 if isinstance(position, int) else 0}
        if aimed.get("parent_id") is not None:
            aimed["parent_id"] = world.meeting.item_ids[0]
        if path.endswith("/move"):
            aimed.pop("parent_id", None)  # the moved item may be that parent itself
        case.body = aimed
    elif method == "POST" and path.endswith("/revisions"):
        revised: dict[str, Any] = {**body, "file": sample_pdf("bản mới")}
        case.body = revised  # random bytes are rightly refused
    elif method == "POST" and path.endswith("/documents"):
        # The multipart upload: Schemathesis fills the binary `file` part with random bytes,
        # which the server rightly refuses (422 pdf_unreadable). Aimed cases keep the
        # generated form fields but send a real PDF, and a real agenda item when one is set.
        upload: dict[str, Any] = {**body, "file": sample_pdf()}
        if upload.get("agenda_item_id") is not None:
            upload["agenda_item_id"] = world.meeting.item_ids[1]
        case.body = upload
    elif path.endswith("/attendees/import"):
        # As for documents: random bytes are rightly refused; aimed cases send a real list.
        listed: dict[str, Any] = {**body, "file": attendee_list()}
        case.body = listed
    elif method == "POST" and path.endswith(("/sms", "/sms/preview")):
        # Random attendee ids and templates are rightly refused (422): aimed cases write to
        # everyone, in the saved wording, with something to say.
        case.body = {
            **body,
            "attendee_ids": None,
            "body": None,
            "content": body.get("content") or "Họp lúc 8 giờ",
        }
        if path.endswith("/sms"):
            case.body.pop("body")
    elif path.endswith("/sms/resend"):
        case.body = {**body, "message_ids": None}  # random ids are not this meeting's
    elif body.get("chair_id") is not None:
        case.body = {**body, "chair_id": world.meeting.chair.id}


def attendee_list() -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook()
    workbook.active.append(["Họ và tên", "Đơn vị", "Số điện thoại"])
    workbook.active.append(["Nguyễn Văn Tám", "Xã Tân Lập", ""])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _check_error_body(case: AnyCase, response: Response) -> None:
    where = f"{case.operation.method.upper()} {case.formatted_path} -> {response.status_code}"
    try:
        payload = response.json()
    except ValueError:
        payload = response.content[:200]
    assert isinstance(payload, dict), f"{where}: the error body is not a JSON object: {payload!r}"
    error = payload.get("error")
    assert isinstance(error, dict), f"{where}: no `error` object in {payload!r}"
    assert isinstance(error.get("code"), str), f"{where}: no `error.code` string in {payload!r}"
    assert isinstance(error.get("message"), str), f"{where}: no `error.message` in {payload!r}"


@pytest.fixture
def fuzz(app: Flask, app_db: Database, app_storage: Storage) -> Fuzz:
    # Rate limits have their own tests; here they would turn most later cases into 429s.
    app.config.update(
        LOGIN_RATE_LIMIT="100000 per minute",
        LIVE_CONTROL_LIMIT="100000 per second",
        SCREEN_CODE_LIMIT="100000 per minute",
    )
    app.config["PUBLIC_URL"] = "http://10.0.0.5:5000"  # printouts need it
    meeting = make_meeting(app_db)
    attendee_id = make_attendee(app_db, meeting, phone="0912345678")  # SMS reach them
    shared = World(
        meeting,
        attendee_id,
        make_document(app_db, app_storage, meeting).id,
        make_device(app_db, meeting, attendee_id),
        make_alert(app_db, meeting, make_attendee(app_db, meeting, name="Lê Thị Hai")),
        make_printout(app_db, app_storage, meeting),
        make_screen(app_db, meeting)[0],
    )
    fuzz = Fuzz(app.test_client(), app_db, app_storage, make_user(app_db, Role.ADMIN), shared)
    fuzz.token = fuzz.sign_in()
    with app.test_request_context():
        fuzz.callback = callback_secret()
    notes_meeting = make_meeting(app_db, secretary=meeting.secretary, chair=meeting.chair)
    fuzz.notes_document = make_document(app_db, app_storage, notes_meeting).id
    tablet = app.test_client()
    assert tablet.get(f"/p/{make_token(app_db, notes_meeting)}").status_code == 302
    csrf = re.search(r'csrf-token" content="([^"]+)"', tablet.get("/tablet").get_data(as_text=True))
    cookie = tablet.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert csrf is not None
    assert cookie is not None
    fuzz.delegate_csrf, fuzz.delegate_cookie = csrf.group(1), {cookie.key: cookie.value}
    return fuzz


def test_upload_body_is_one_object_a_client_can_satisfy(client: FlaskClient) -> None:
    """Not an `allOf` whose `additionalProperties: false` branch forbids the other's `file`."""
    spec = client.get(OPENAPI).json
    upload = spec["paths"]["/api/v1/meetings/{meeting_id}/documents"]["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "allOf" not in schema
    assert (schema["type"], schema["additionalProperties"]) == ("object", False)
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"]["format"] == "binary"
    # Form parts are text: an unset agenda item is left out, never sent as `null`.
    assert schema["properties"]["agenda_item_id"]["type"] == "integer"
    assert set(schema["properties"]) == {
        "file",
        "title",
        "agenda_item_id",
        "audience",
        "confidentiality",
        "attendee_ids",
    }


def test_schemathesis_finds_no_server_error_and_reaches_every_operation(
    app: Flask, fuzz: Fuzz
) -> None:
    need_module("schemathesis", "generates requests from the OpenAPI document")
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    documented = {_label(operation) for operation in operations}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]

    def fuzz_operation(
        operation: Operation, *, aimed: bool, examples: int, negative: bool = False
    ) -> None:
        seen = fuzz.statuses.setdefault(_label(operation), Counter())
        mode = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE

        @seed(int(aimed) + 2 * int(negative))  # the same cases every run: failures reproduce
        @settings(
            max_examples=examples,
            deadline=None,  # a case is a real request, sometimes after seeding a meeting
            database=None,  # seeded cases: nothing to save for replay between runs
            # No shrinking: cases change the server's state, so a shrunk replay would not run
            # against the world the failure saw. Schemathesis's report carries a curl line.
            phases=[Phase.generate],
            suppress_health_check=[
                # Drawing the larger request bodies on a loaded 2-core runner can pass the
                # 1 s mark; that says nothing about the API under test.
                HealthCheck.too_slow,
            ],
        )
        @given(case=operation.as_strategy(mode))
        def run(case: AnyCase) -> None:
            if aimed:
                _aim(fuzz, case)
                fuzz.aimed += 1
            if case.operation.path.endswith("/note"):  # a delegate's own note
                headers = {"X-CSRFToken": fuzz.delegate_csrf}
                response = case.call(headers=headers, cookies=fuzz.delegate_cookie)
            else:
                # Revoking the shared token would turn every later case into a 401.
                revokes = case.operation.path == "/api/v1/auth/tokens/current"
                headers = fuzz.auth(fuzz.spare_token() if revokes else None)
                response = case.call(headers=headers)
            seen[response.status_code] += 1
            if response.status_code >= 400:
                _check_error_body(case, response)
            if not negative:  # invalid requests only have to fail cleanly (checked above)
                case.validate_response(response, checks=checks, headers=headers)

        run()

    started = time.monotonic()
    for operation in operations:
        aimed, generated = FEWER_EXAMPLES.get(_label(operation), EXAMPLES)
        fuzz_operation(operation, aimed=True, examples=aimed)
        fuzz_operation(operation, aimed=False, examples=generated)
    for operation in operations:  # then bodies, ids and types outside the document
        fuzz_operation(operation, aimed=False, examples=NEGATIVE_EXAMPLES, negative=True)
    elapsed = time.monotonic() - started

    calls = sum(sum(seen.values()) for seen in fuzz.statuses.values())
    ok = sum(
        n for seen in fuzz.statuses.values() for status, n in seen.items() if 200 <= status < 300
    )
    summary = "\n".join(f"{label}: {dict(seen)}" for label, seen in sorted(fuzz.statuses.items()))
    report = f"{calls} requests, {fuzz.aimed} aimed, {ok} answered 2xx, {elapsed:.1f} s\n{summary}"
    print(report)  # noqa: T201  (shown with -s, and under a failure)
    assert not [s for seen in fuzz.statuses.values() for s in seen if s >= 500], report
    reached = {label for label, seen in fuzz.statuses.items() if any(200 <= s < 300 for s in seen)}
    assert documented - reached == set(), f"never answered 2xx:\n{report}"
    assert ok >= calls // 2, f"most requests should reach existing objects:\n{report}"

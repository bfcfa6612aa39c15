"""HTTP glue of attendee import and export: the page flow (upload → preview → confirm), the
API, and the XLSX download. The work itself is in importing.py and export.py.

Between the preview and the confirmation the uploaded file waits in STORAGE_DIR/imports,
named by a random token and tied to the meeting and the user who sent it; confirming reads it
again and plans again in the write transaction. Drafts older than two hours are swept.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from pydantic import BaseModel, ConfigDict
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ecabinet.actor import Actor
from ecabinet.attendees import importing, service
from ecabinet.attendees.export import attendees_xlsx, national
from ecabinet.errors import AppError, Conflict, Invalid, TooLarge
from ecabinet.meetings.service import get_meeting
from ecabinet.offload import off_hub
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    api_doc,
    database,
    form_data,
    requires,
    submit_workspace_form,
    validate,
    workspace_with_error,
)

bp = Blueprint("attendee_transfer", __name__)

DRAFT_SECONDS = 2 * 3600
PREVIEW_ROWS = 500  # rows shown on the preview page (every error is shown)
MAX_IMPORT_BYTES = 30 * 1024 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportFields(BaseModel):
    """A multipart import carries the `file` part only."""

    model_config = ConfigDict(extra="forbid")


def _limit() -> int:
    return int(current_app.config["MAX_ATTENDEES_PER_MEETING"])


def _uploaded() -> tuple[str, bytes]:
    file: FileStorage | None = request.files.get("file")
    if file is None or not file.filename:
        raise Invalid(
            "Hãy chọn tệp danh sách (Excel .xlsx hoặc CSV).", code="file_missing", field="file"
        )
    data = file.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge("Tệp danh sách quá lớn (tối đa 30 MB).", code="import_too_large")
    return file.filename, data


def _read(filename: str, data: bytes) -> list[importing.CheckedRow]:
    """The spreadsheet's rows, parsed and checked off the hub (50,000 rows take seconds)."""
    return off_hub(importing.read_and_check, filename, data, max_rows=_limit())


def _drafts() -> Path:
    folder = Path(current_app.config["STORAGE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - DRAFT_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def _save_draft(meeting_id: int, user_id: int | None, filename: str, data: bytes) -> str:
    folder = _drafts()
    _sweep(folder)
    token = secrets.token_urlsafe(18)
    meta = {"meeting_id": meeting_id, "user_id": user_id, "filename": filename}
    for suffix, content in ((".bin", data), (".json", json.dumps(meta).encode())):
        partial = folder / f"{token}{suffix}.part"
        partial.write_bytes(content)
        os.replace(partial, folder / f"{token}{suffix}")
    return token


def _load_draft(token: str, meeting_id: int, user_id: int | None) -> tuple[str, bytes]:
    gone = Conflict(  # shown beside the file field, so the secretary just picks it again
        "Bản xem trước đã hết hạn hoặc đã được nhập; hãy chọn lại tệp danh sách.",
        code="import_draft_gone",
        field="file",
    )
    if not _TOKEN.match(token):
        raise gone
    folder = _drafts()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.bin").read_bytes()
    except (FileNotFoundError, ValueError):
        raise gone from None
    if meta.get("meeting_id") != meeting_id or meta.get("user_id") != user_id:
        raise gone
    return str(meta.get("filename", "")), data


def _drop_draft(token: str) -> None:
    for suffix in (".bin", ".json"):
        (_drafts() / f"{token}{suffix}").unlink(missing_ok=True)


@bp.route("/meetings/<int:meeting_id>/attendees/import", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def preview_page(meeting_id: int) -> tuple[str, int]:
    """Step 1: read the file and show what it would change; nothing is written."""
    actor = actor_or_401()
    try:
        filename, data = _uploaded()
        table = _read(filename, data)
        with database().unit_of_work(write=False) as db_session:
            plan = importing.preview_import(
                db_session,
                actor=actor,
                meeting_id=meeting_id,
                checked=table,
                max_attendees=_limit(),
            )
            meeting = get_meeting(db_session, meeting_id)
    except AppError as exc:
        return workspace_with_error(meeting_id, exc, form="import")
    token = "" if plan.errors else _save_draft(meeting_id, actor.user_id, filename, data)
    rows = plan.errors + [r for r in plan.rows if r.action != "error"][:PREVIEW_ROWS]
    html = render_template(
        "attendees/import.html",
        meeting=meeting,
        plan=plan,
        rows=sorted(rows, key=lambda r: r.line),
        filename=filename,
        token=token,
        national=national,
    )
    return html, 200


@bp.route("/meetings/<int:meeting_id>/attendees/import/<token>", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def confirm_page(meeting_id: int, token: str) -> Response | tuple[str, int]:
    actor = actor_or_401()

    def confirm() -> str:
        table = _read(*_load_draft(token, meeting_id, actor.user_id))
        plan = _import(actor, meeting_id, table, dry_run=False)
        _drop_draft(token)
        added, changed = plan.count("add"), plan.count("update")
        return f"Đã nhập danh sách: thêm {added}, cập nhật {changed} đại biểu."

    return submit_workspace_form(meeting_id, form="import", action=confirm, anchor="attendees")


@bp.route("/api/v1/meetings/<int:meeting_id>/attendees/import", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Import attendees from an XLSX or CSV file, all or nothing (dry_run=1: the plan "
    "only). Rows match existing attendees by phone, else by name and unit.",
    body=ImportFields,
    multipart={"file": "The list: headings Họ và tên, Chức vụ, Đơn vị, Số điện thoại, Vai trò"},
    status=201,
)
def import_api(meeting_id: int) -> Response:
    actor = actor_or_401()
    validate(ImportFields, form_data(skip=("file",)))
    filename, data = _uploaded()
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    table = _read(filename, data)
    plan = _import(actor, meeting_id, table, dry_run=dry_run)
    # Every row's outcome: for a congress list, megabytes of JSON, encoded off the hub.
    body = off_hub(lambda: json.dumps(plan.to_dict(), ensure_ascii=False))
    return Response(body, status=200 if dry_run else 201, mimetype="application/json")


def _import(
    actor: Actor, meeting_id: int, table: list[importing.CheckedRow], *, dry_run: bool
) -> importing.ImportPlan:
    """Plan in a read transaction (its matching runs off the hub), then write that plan in a
    short write transaction that never yields (importing.apply_import says why)."""
    with database().unit_of_work(write=False) as db_session:
        planned = importing.preview_import(
            db_session, actor=actor, meeting_id=meeting_id, checked=table, max_attendees=_limit()
        )
    if dry_run:
        return planned
    with database().unit_of_work() as db_session:
        return importing.apply_import(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            checked=table,
            max_attendees=_limit(),
            planned=planned,
        )


def _xlsx(meeting_id: int) -> Response:
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        views = service.list_attendees_for(db_session, actor=actor, meeting_id=meeting_id)
        title = get_meeting(db_session, meeting_id).title
    body = off_hub(attendees_xlsx, views, title=f"Danh sách đại biểu: {title}")
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename=dai-bieu-{meeting_id}.xlsx"
    response.headers["Cache-Control"] = "no-store"  # names and phones
    return response


@bp.route("/meetings/<int:meeting_id>/attendees.xlsx")
@requires(Perm.VIEW_ATTENDEES)
def export_page(meeting_id: int) -> Response:
    return _xlsx(meeting_id)


@bp.route("/api/v1/meetings/<int:meeting_id>/attendees.xlsx", methods=["GET"])
@requires(Perm.VIEW_ATTENDEES)
@api_doc(summary="The attendee list as an XLSX workbook (phones for its secretaries only)")
def export_api(meeting_id: int) -> Response:
    return _xlsx(meeting_id)

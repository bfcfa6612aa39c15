"""Attendee lists from spreadsheets: read a CSV or XLSX, plan what it would change (each row:
add, update or an error with its reason), and apply it all or nothing.

The plan is shown before anything is written; applying plans again inside the write
transaction, so what is written is what the database holds at that moment. Plain Python and
a session: the pages, the API and the CLI call the same functions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, astuple, dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ecabinet.actor import Actor
from ecabinet.attendees.models import ROLE_LABELS, Attendee, AttendeeRole, search_text
from ecabinet.attendees.phones import normalise_phone
from ecabinet.db import run
from ecabinet.errors import AppError, Conflict, Invalid
from ecabinet.events import audit
from ecabinet.meetings import service as meetings
from ecabinet.offload import off_hub
from ecabinet.permissions import Perm
from ecabinet.text import fold, nfc
from ecabinet.timeutil import utcnow

Action = Literal["add", "update", "error"]

# Column headings people use, folded (text.fold); the first column that matches wins.
HEADINGS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho va ten", "ho ten", "ho va ten dai bieu", "ten dai bieu", "dai bieu"),
    "position": ("chuc vu", "chuc danh"),
    "unit": ("don vi", "co quan", "don vi cong tac", "noi cong tac"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so di dong", "di dong", "dtdd"),
    "role": ("vai tro", "thanh phan", "loai"),
}
ROLE_WORDS = {
    "": AttendeeRole.DELEGATE,
    "dai bieu": AttendeeRole.DELEGATE,
    "delegate": AttendeeRole.DELEGATE,
    "khach moi": AttendeeRole.GUEST,
    "khach": AttendeeRole.GUEST,
    "guest": AttendeeRole.GUEST,
    "chu toa": AttendeeRole.CHAIR,
    "chu tri": AttendeeRole.CHAIR,
    "chair": AttendeeRole.CHAIR,
    "thu ky": AttendeeRole.SECRETARY,
    "secretary": AttendeeRole.SECRETARY,
}
LIMITS = {"full_name": 200, "position": 200, "unit": 200}
MAX_XLSX_UNPACKED = 300 * 1024 * 1024  # a zip bomb is refused before any XML is parsed


class ImportFileError(Invalid):
    """The file as a whole cannot be read (format, encoding, headings, size)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code, field="file")


@dataclass(frozen=True)
class ImportRow:
    line: int  # the spreadsheet's row number (the heading is row 1)
    full_name: str
    position: str
    unit: str
    phone: str  # E.164 or ""
    role: str
    action: Action
    error: str = ""
    attendee_id: int | None = None  # the attendee an update changes


@dataclass(frozen=True)
class ImportPlan:
    rows: list[ImportRow]
    existing: int  # attendees the meeting has now
    basis: str = ""  # a fingerprint of the attendees it was planned against (apply_import)
    # The statement parameters of its rows to add and update (no meeting, no time yet),
    # built with the plan, off the hub.
    adds: list[dict[str, Any]] = dataclass_field(default_factory=list, repr=False, compare=False)
    updates: list[dict[str, Any]] = dataclass_field(default_factory=list, repr=False, compare=False)

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def errors(self) -> list[ImportRow]:
        return [row for row in self.rows if row.action == "error"]

    def summary(self) -> dict[str, int]:
        return {
            "add": self.count("add"),
            "update": self.count("update"),
            "error": self.count("error"),
            "existing": self.existing,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "rows": [asdict(row) for row in self.rows]}


def _number(n: int) -> str:
    """12.345, as Vietnamese writes thousands."""
    return f"{n:,}".replace(",", ".")


def _row(
    line: int,
    values: dict[str, str],
    *,
    phone: str,
    role: str,
    action: Action,
    error: str = "",
    attendee_id: int | None = None,
) -> ImportRow:
    return ImportRow(
        line,
        values["full_name"],
        values["position"],
        values["unit"],
        phone,
        role,
        action,
        error,
        attendee_id,
    )


# -- reading -----------------------------------------------------------------------------


def read_table(filename: str, data: bytes, *, max_rows: int) -> list[tuple[int, list[str]]]:
    """The file's rows as text cells, with their row numbers; empty rows left out."""
    if not data:
        raise ImportFileError("Tệp rỗng.", code="import_empty")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        rows = _csv_rows(data)
    else:
        raise ImportFileError(
            "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv).", code="import_unsupported_type"
        )
    table: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if any(cell.strip() for cell in cells):
            table.append((number, cells))
            if len(table) > max_rows + 1:  # the heading, then at most max_rows
                raise ImportFileError(
                    f"Tệp có hơn {_number(max_rows)} dòng; mỗi cuộc họp có tối đa "
                    f"{_number(max_rows)} đại biểu.",
                    code="import_too_many_rows",
                )
    if not table:
        raise ImportFileError("Tệp không có dòng nào.", code="import_empty")
    return table


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Old Vietnamese Windows exports: Windows-1258, with combining tone marks (NFC below).
        text = data.decode("cp1258", errors="replace")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        yield number, [nfc(cell) for cell in cells]


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # only for workbooks

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError(
            "Tệp không phải Excel (.xlsx) hợp lệ.", code="import_unreadable"
        ) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise ImportFileError("Tệp Excel quá lớn khi giải nén.", code="import_too_large")
    try:
        # Formulas are read as formulas, not as the values Excel cached (which a generated file
        # may not have): a formula cell is a row error, never a silently empty cell.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise ImportFileError(
            "Tệp không phải Excel (.xlsx) hợp lệ.", code="import_unreadable"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed as a number: 912345001.0
    return nfc(str(value))


def _columns(heading: Sequence[str]) -> dict[str, int]:
    folded = [fold(cell.replace("*", "").replace(":", "")) for cell in heading]
    found: dict[str, int] = {}
    for field, names in HEADINGS.items():
        for index, text in enumerate(folded):
            if text in names and index not in found.values():
                found[field] = index
                break
    if "full_name" not in found:
        seen = ", ".join(f"“{h}”" for h in heading if h.strip()) or "không có"
        raise ImportFileError(
            "Không thấy cột “Họ và tên” ở dòng đầu. Dòng đầu cần có các cột: Họ và tên, Chức vụ, "
            f"Đơn vị, Số điện thoại, Vai trò (tệp này có: {seen}).",
            code="import_bad_heading",
        )
    return found


# -- planning ----------------------------------------------------------------------------


def _key(full_name: str, unit: str) -> tuple[str, str]:
    return fold(full_name), fold(unit)


@dataclass(frozen=True)
class CheckedRow:
    """One row after the checks that need no database (run off the hub)."""

    line: int
    values: dict[str, str]  # full_name, position, unit
    phone: str
    role: str
    role_given: bool
    error: str


def check_table(table: list[tuple[int, list[str]]]) -> list[CheckedRow]:
    """Columns, lengths, formulas, phones, roles and duplicates within the file: the CPU-heavy
    part of a plan, with no database, so the pages and the API run it off the hub."""
    columns = _columns(table[0][1])
    seen_phones: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    checked: list[CheckedRow] = []
    for line, cells in table[1:]:

        def cell(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        values = {field: cell(field) for field in ("full_name", "position", "unit")}
        raw_phone, raw_role = cell("phone"), cell("role")
        error, phone, role = "", "", AttendeeRole.DELEGATE
        try:
            for field, limit in LIMITS.items():
                if len(values[field]) > limit:
                    raise Invalid(f"{_LABELS[field]} dài quá {limit} ký tự.")
            if not values["full_name"]:
                raise Invalid("Thiếu họ và tên.")
            if any(v.startswith("=") for v in (*values.values(), raw_phone, raw_role)):
                raise Invalid(
                    "Ô chứa công thức (bắt đầu bằng “=”): hãy dán giá trị thay vì công thức."
                )
            phone = normalise_phone(raw_phone)
            folded_role = fold(raw_role)
            if folded_role not in ROLE_WORDS:
                choices = ", ".join(ROLE_LABELS.values())
                raise Invalid(f"Vai trò “{raw_role}” không rõ (chọn một trong: {choices}).")
            role = ROLE_WORDS[folded_role]
            if phone and phone in seen_phones:
                raise Invalid(f"Trùng số điện thoại với dòng {seen_phones[phone]}.")
            key = _key(values["full_name"], values["unit"])
            if not phone and key in seen_names:
                raise Invalid(f"Trùng họ tên và đơn vị với dòng {seen_names[key]}.")
            if phone:
                seen_phones[phone] = line
            seen_names.setdefault(key, line)
        except AppError as exc:
            error = (
                exc.message
                if exc.code != "phone_invalid"
                else f"Số điện thoại “{raw_phone}” không hợp lệ."
            )
        checked.append(CheckedRow(line, values, phone, role, bool(raw_role), error))
    return checked


def read_and_check(filename: str, data: bytes, *, max_rows: int) -> list[CheckedRow]:
    """read_table then check_table: everything of an import that needs no database."""
    return check_table(read_table(filename, data, max_rows=max_rows))


@dataclass(frozen=True)
class _Existing:
    id: int
    full_name: str
    position: str
    unit: str
    phone: str
    role: str


_EXISTING = (
    sa_select(
        col(Attendee.id),
        col(Attendee.full_name),
        col(Attendee.position),
        col(Attendee.unit),
        col(Attendee.phone),
        col(Attendee.role),
    )
    .where(col(Attendee.meeting_id) == bindparam("meeting_id"))
    .order_by(col(Attendee.id))
)


def plan_import(
    session: Session, *, meeting_id: int, checked: list[CheckedRow], max_attendees: int
) -> ImportPlan:
    """What importing the checked rows into the meeting would do, row by row: match each to
    an attendee it updates (by phone, else by name and unit) or add it. Writes nothing.
    The matching, seconds of Python for a congress list, runs off the hub (offload.py)."""
    return off_hub(_match, _existing(session, meeting_id), checked, max_attendees)


def _existing(session: Session, meeting_id: int) -> list[_Existing]:
    return [_Existing(*row) for row in run(session, _EXISTING, {"meeting_id": meeting_id})]


def _fingerprint(existing: list[_Existing]) -> str:
    digest = hashlib.sha256()
    for attendee in existing:
        digest.update(repr(astuple(attendee)).encode())
    return digest.hexdigest()


def _match(existing: list[_Existing], checked: list[CheckedRow], max_attendees: int) -> ImportPlan:
    by_phone = {a.phone: a for a in existing if a.phone}
    by_name = {_key(a.full_name, a.unit): a for a in existing}
    claimed: dict[int, int] = {}  # attendee id → the row that updates them
    rows: list[ImportRow] = []
    for item in checked:
        line, values, phone, role = item.line, item.values, item.phone, item.role
        if item.error:
            rows.append(
                _row(line, values, phone=phone, role=role, action="error", error=item.error)
            )
            continue
        match = by_phone.get(phone) if phone else None
        match = match or by_name.get(_key(values["full_name"], values["unit"]))
        if match is not None and match.phone and phone and match.phone != phone:
            match = None  # same name, another person's phone: a namesake
        if match is not None and match.id in claimed:
            error = f"Cùng một đại biểu với dòng {claimed[match.id]}."
            rows.append(_row(line, values, phone=phone, role=role, action="error", error=error))
            continue
        if match is None:
            rows.append(_row(line, values, phone=phone, role=role, action="add"))
            continue
        claimed[match.id] = line
        # A blank cell keeps what the list already says (a column left empty erases nothing).
        merged = {field: values[field] or getattr(match, field) for field in values}
        rows.append(
            _row(
                line,
                merged,
                phone=phone or match.phone,
                role=role if item.role_given else match.role,
                action="update",
                attendee_id=match.id,
            )
        )
    adds, updates = _written_rows(rows)
    plan = ImportPlan(
        rows, existing=len(existing), basis=_fingerprint(existing), adds=adds, updates=updates
    )
    if plan.existing + plan.count("add") > max_attendees:
        raise Conflict(
            f"Cuộc họp chỉ nhận tối đa {_number(max_attendees)} đại biểu; đã có "
            f"{_number(plan.existing)}, tệp thêm {_number(plan.count('add'))}.",
            code="attendees_full",
        )
    return plan


_LABELS = {"full_name": "Họ và tên", "position": "Chức vụ", "unit": "Đơn vị"}


# -- applying ----------------------------------------------------------------------------

WRITE_BATCH = 2000
_COLUMNS = ("full_name", "position", "unit", "phone", "role")
_INSERT = insert(Attendee.__table__)  # type: ignore[attr-defined]
_UPDATE = (
    update(Attendee.__table__)  # type: ignore[attr-defined]
    .where(col(Attendee.id) == bindparam("attendee_id"))
    .values({name: bindparam(name) for name in (*_COLUMNS, "search_text")})
)


def _written_rows(
    rows: list[ImportRow],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A plan's rows as statement parameters: rows to insert, rows to update."""
    adds: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        values = {name: getattr(row, name) for name in _COLUMNS}
        values["search_text"] = search_text(row.full_name, row.position, row.unit, row.phone)
        if row.action == "add":
            adds.append(values)
        elif row.action == "update":
            updates.append({"attendee_id": row.attendee_id, **values})
    return adds, updates


_DRIVER_INSERT = (
    "INSERT INTO attendee (meeting_id, created_at, full_name, position, unit, phone, role, "
    "search_text, rsvp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')"
)


def _write(session: Session, adds: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    """Many rows per statement. SQLite: straight to the driver's executemany (50,000 rows in
    a fraction of a second: the statement machinery costs twenty times more per row). Other
    databases: SQLAlchemy's batched statements, pausing between batches for the hub (a
    pure-Python driver waits on green sockets, so a pause holds no one up)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        created_at = Attendee.__table__.c.created_at.type  # type: ignore[attr-defined]
        to_db = created_at.bind_processor(connection.dialect)  # as SQLAlchemy would store it
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(
                _DRIVER_INSERT,
                [
                    (
                        row["meeting_id"],
                        to_db(row["created_at"]) if to_db else row["created_at"],
                        *(row[name] for name in _COLUMNS),
                        row["search_text"],
                    )
                    for row in adds
                ],
            )
        finally:
            cursor.close()
        for start in range(0, len(updates), WRITE_BATCH):
            connection.execute(_UPDATE, updates[start : start + WRITE_BATCH])
        return
    for start in range(0, len(adds), WRITE_BATCH):
        connection.execute(_INSERT, adds[start : start + WRITE_BATCH])
        time.sleep(0)  # under eventlet or gevent: let the hub run
    for start in range(0, len(updates), WRITE_BATCH):
        connection.execute(_UPDATE, updates[start : start + WRITE_BATCH])
        time.sleep(0)


def preview_import(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    checked: list[CheckedRow],
    max_attendees: int,
) -> ImportPlan:
    """The plan for rows from read_and_check (which callers run off the hub: it is the slow
    part of a big list). Writes nothing."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meeting)
    return plan_import(session, meeting_id=meeting_id, checked=checked, max_attendees=max_attendees)


def apply_import(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    checked: list[CheckedRow],
    max_attendees: int,
    planned: ImportPlan | None = None,
) -> ImportPlan:
    """Write every row of the plan, or nothing: a plan with any error raises Invalid (code
    import_has_errors) and the transaction rolls back.

    Pass the plan of these rows made just before in a read transaction (`planned`, whose
    matching ran off the hub): it is used when the meeting's attendees are still those it
    was made against, else the rows are planned again here. Nothing in here yields to other
    green threads: under SQLite a writer that yields while holding the write lock makes
    the next writer's BEGIN wait for it inside the hub, which then cannot run it."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meeting)
    existing = _existing(session, meeting_id)
    if planned is None or planned.basis != _fingerprint(existing):
        planned = _match(existing, checked, max_attendees)
    plan = planned
    if plan.errors:
        first = plan.errors[0]
        raise Invalid(
            f"Tệp còn {len(plan.errors)} dòng lỗi (dòng {first.line}: {first.error}). "
            "Chưa nhập dòng nào; hãy sửa tệp rồi nhập lại.",
            code="import_has_errors",
            field="file",
        )
    now = utcnow()
    adds = [{"meeting_id": meeting_id, "created_at": now, **row} for row in plan.adds]
    _write(session, adds, plan.updates)
    updates = plan.updates
    audit(
        session,
        actor,
        meeting_id=meeting_id,
        action="attendees.import",
        subject=f"{len(plan.rows)} dòng",
        changes={"added": ("", len(adds)), "updated": ("", len(updates))},
    )
    return plan

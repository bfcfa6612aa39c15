"""A realistic Vietnamese demo meeting, seeded once through the services (never raw inserts)."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from ecabinet.actor import SYSTEM, Role
from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate
from ecabinet.attendees import service as attendees
from ecabinet.attendees.schemas import AttendeeCreate
from ecabinet.auth import service as auth
from ecabinet.db import Database
from ecabinet.documents.pdf import text_pdf
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import upload_document
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting
from ecabinet.meetings.schemas import MeetingCreate
from ecabinet.pickup import service as pickup
from ecabinet.timeutil import utcnow

DEMO_TITLE = "Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12 (mở rộng)"
LOGINS_FILE = "demo_logins.json"

USERS = [
    ("quantri", Role.ADMIN, "Quản trị hệ thống"),
    ("thuky", Role.SECRETARY, "Nguyễn Thị Thu Hà"),
    ("chutoa", Role.CHAIR, "Trần Văn Quang"),
]

AGENDA = [
    ("Khai mạc hội nghị, giới thiệu đại biểu", "Đồng chí Chánh Văn phòng Tỉnh ủy", 10),
    (
        "Báo cáo kết quả thực hiện nhiệm vụ quý III, phương hướng quý IV năm 2026",
        "Đồng chí Phó Bí thư Thường trực",
        30,
    ),
    (
        "Tờ trình về Đề án chuyển đổi số trong các cơ quan Đảng giai đoạn 2026–2030",
        "Đồng chí Trưởng Ban Tổ chức",
        25,
    ),
    ("Thảo luận, cho ý kiến vào các báo cáo và tờ trình", "Các đại biểu", 60),
    ("Biểu quyết thông qua Nghị quyết hội nghị", "Chủ tọa hội nghị", 15),
    ("Phát biểu bế mạc", "Đồng chí Bí thư Tỉnh ủy", 10),
]

DOCUMENTS = [
    (
        1,
        "Báo cáo quý III năm 2026",
        [
            "Trong quý III, Ban Chấp hành Đảng bộ tỉnh đã lãnh đạo, chỉ đạo hoàn thành cơ bản "
            "các chỉ tiêu đề ra.",
            "Tăng trưởng kinh tế ước đạt 7,8%; thu ngân sách đạt 82% dự toán năm; 100% văn bản "
            "không mật được ký số.",
            "Công tác xây dựng Đảng, kiểm tra, giám sát được thực hiện nghiêm túc, đúng kế hoạch.",
        ],
    ),
    (
        2,
        "Đề án chuyển đổi số 2026–2030",
        [
            "Mục tiêu: 100% hội nghị cấp tỉnh và cấp huyện sử dụng phòng họp không giấy.",
            "Ứng dụng mã QR nhận tài liệu họp, tin nhắn thông báo lịch họp tới từng đại biểu.",
            "Bảo đảm an toàn, bảo mật thông tin trên mạng truyền số liệu chuyên dùng.",
        ],
    ),
    (
        4,
        "Dự thảo Nghị quyết hội nghị",
        [
            "Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12 (mở rộng) quyết nghị:",
            "1. Thông qua Báo cáo kết quả thực hiện nhiệm vụ quý III, "
            "phương hướng quý IV năm 2026.",
            "2. Thông qua Đề án chuyển đổi số trong các cơ quan Đảng giai đoạn 2026–2030.",
        ],
    ),
]

ATTENDEES = [
    ("Lê Văn Thành", "Phó Bí thư Thường trực Tỉnh ủy", "Tỉnh ủy", "0912345001"),
    ("Phạm Thị Hương", "Chủ tịch HĐND tỉnh", "HĐND tỉnh", "0912345002"),
    ("Hoàng Minh Đức", "Chủ tịch UBND tỉnh", "UBND tỉnh", "0912345003"),
    ("Vũ Thị Lan", "Trưởng Ban Tổ chức Tỉnh ủy", "Ban Tổ chức", "0912345004"),
    ("Đặng Quốc Việt", "Trưởng Ban Tuyên giáo Tỉnh ủy", "Ban Tuyên giáo", "0912345005"),
    ("Bùi Thị Ngọc Ánh", "Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy", "Ủy ban Kiểm tra", "0912345006"),
    ("Đỗ Văn Hùng", "Bí thư Huyện ủy", "Huyện ủy Thanh Sơn", "0912345007"),
    ("Ngô Thị Mai", "Giám đốc Sở Thông tin và Truyền thông", "Sở TT&TT", "0912345008"),
    ("Trịnh Công Sơn", "Chánh Văn phòng Tỉnh ủy", "Văn phòng Tỉnh ủy", "0912345009"),
    ("Lý Thị Hồng Nhung", "Phóng viên", "Báo tỉnh", "0912345010"),
]


@dataclass(frozen=True)
class DemoInfo:
    base_url: str
    meeting_id: int
    logins: dict[str, str]
    tablet_url: str
    created: bool

    def describe(self) -> str:
        lines = [
            "Demo " + ("created." if self.created else "already present."),
            "",
            f"  Secretary login : {self.base_url}/login",
            f"  Meeting         : {self.base_url}/meetings/{self.meeting_id}",
            f"  Chair console   : {self.base_url}/meetings/{self.meeting_id}/chair",
            f"  Room screen     : {self.base_url}/screen  (type its code on the chair console)",
            f"  Tablet link     : {self.tablet_url}",
            f"  Tablet QR (PNG) : {self.tablet_url}/qr.png",
            "",
            "  Logins (also in instance/" + LOGINS_FILE + "):",
        ]
        lines += [f"    {name:8} {password}" for name, password in self.logins.items()]
        return "\n".join(lines)


def seed_demo(
    database: Database,
    storage: Storage,
    *,
    instance_path: Path,
    base_url: str,
    token_days: int,
    timezone: str,
) -> DemoInfo:
    """Create the demo once; every call issues a fresh tablet link for the first delegate."""
    logins_path = instance_path / LOGINS_FILE
    with database.unit_of_work(write=False) as session:
        existing = session.exec(select(Meeting).where(Meeting.title == DEMO_TITLE)).first()
    created = existing is None
    if created:
        logins = _create_users(database)
        _write_logins(logins_path, logins)
        meeting_id = _create_meeting(database, storage, timezone)
    else:
        assert existing is not None
        assert existing.id is not None
        meeting_id = existing.id
        logins = json.loads(logins_path.read_text()) if logins_path.exists() else {}
    with database.unit_of_work() as session:
        first = attendees.list_attendees(session, meeting_id)[0]
        assert first.id is not None
        issued = pickup.issue_token(
            session, actor=SYSTEM, attendee_id=first.id, lifetime=timedelta(days=token_days)
        )
    return DemoInfo(base_url, meeting_id, logins, f"{base_url}/p/{issued.raw}", created)


def _create_users(database: Database) -> dict[str, str]:
    logins: dict[str, str] = {}
    with database.unit_of_work() as session:
        for username, role, full_name in USERS:
            if auth.find_user_by_username(session, username) is not None:
                continue
            password = secrets.token_urlsafe(9)
            auth.create_user(
                session,
                actor=SYSTEM,
                username=username,
                password=password,
                role=role,
                full_name=full_name,
            )
            logins[username] = password
    return logins


def _write_logins(path: Path, logins: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(logins, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


def _create_meeting(database: Database, storage: Storage, timezone: str) -> int:
    zone = ZoneInfo(timezone)
    today = utcnow().astimezone(zone).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    starts_at = datetime.combine(monday, time(8, 0), tzinfo=zone)
    with database.unit_of_work() as session:
        secretary = auth.find_user_by_username(session, "thuky")
        chair = auth.find_user_by_username(session, "chutoa")
        assert secretary is not None
        assert chair is not None
        actor = auth.actor_for_user(secretary)
        meeting = meetings.create_meeting(
            session,
            actor=actor,
            data=MeetingCreate(
                title=DEMO_TITLE,
                location="Hội trường A, Tỉnh ủy",
                starts_at=starts_at,
                chair_id=chair.id,
            ),
        )
        assert meeting.id is not None
        meeting_id = meeting.id
        item_ids = []
        for title, presenter, minutes in AGENDA:
            item = agenda.add_item(
                session,
                actor=actor,
                meeting_id=meeting_id,
                data=AgendaItemCreate(title=title, presenter=presenter, duration_minutes=minutes),
            )
            session.flush()
            item_ids.append(item.id)
        for full_name, position, unit, phone in ATTENDEES:
            attendees.add_attendee(
                session,
                actor=actor,
                meeting_id=meeting_id,
                data=AttendeeCreate(full_name=full_name, position=position, unit=unit, phone=phone),
            )
    for item_index, title, paragraphs in DOCUMENTS:
        pdf = text_pdf(title, paragraphs, author="Văn phòng Tỉnh ủy")
        upload_document(
            database,
            storage,
            actor=actor,
            meeting_id=meeting_id,
            stream=io.BytesIO(pdf),
            filename=f"{title}.pdf",
            title=title,
            agenda_item_id=item_ids[item_index],
            max_bytes=len(pdf) + 1,
        )
    return meeting_id
